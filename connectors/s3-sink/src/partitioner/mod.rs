//! Partitioners: which "directory" (encoded partition) a record goes to,
//! exactly as Confluent's storage-common partitioners encode it.
//!
//! | partitioner | encoded partition |
//! |---|---|
//! | Default   | `partition=<kafka partition>` |
//! | Field     | `<field>=<value>` per configured field, joined by `directory.delim` |
//! | TimeBased | the record's time bucket formatted with `path.format` |
//! | Daily     | `'year'=YYYY/'month'=MM/'day'=dd`, 1-day buckets |
//! | Hourly    | `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`, 1-hour buckets |

pub mod joda;

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use ferry_api::data::logical;
use ferry_api::{ConnectResult, Schema, SchemaType, SinkRecord, Value};

use crate::config::S3SinkConfig;
use crate::error::S3SinkError;
use joda::JodaPattern;

/// The kind of partitioner selected by `partitioner.class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionerKind {
    Default,
    Field,
    TimeBased,
    Daily,
    Hourly,
}

impl PartitionerKind {
    /// Names accepted (short names; full Confluent class names also work).
    pub const NAMES: &'static [&'static str] = &[
        "DefaultPartitioner",
        "FieldPartitioner",
        "TimeBasedPartitioner",
        "DailyPartitioner",
        "HourlyPartitioner",
    ];

    /// From a class name or alias.
    pub fn from_class(class: &str) -> Option<Self> {
        let simple = class.trim().rsplit('.').next().unwrap_or("");
        let base = simple.strip_suffix("Partitioner").unwrap_or(simple);
        Some(match base.to_ascii_lowercase().as_str() {
            "default" => PartitionerKind::Default,
            "field" => PartitionerKind::Field,
            "timebased" => PartitionerKind::TimeBased,
            "daily" => PartitionerKind::Daily,
            "hourly" => PartitionerKind::Hourly,
            _ => return None,
        })
    }

    /// Confluent's simple class name.
    pub fn name(self) -> &'static str {
        match self {
            PartitionerKind::Default => "DefaultPartitioner",
            PartitionerKind::Field => "FieldPartitioner",
            PartitionerKind::TimeBased => "TimeBasedPartitioner",
            PartitionerKind::Daily => "DailyPartitioner",
            PartitionerKind::Hourly => "HourlyPartitioner",
        }
    }

    /// TimeBased, Daily or Hourly.
    pub fn is_time_based(self) -> bool {
        matches!(
            self,
            PartitionerKind::TimeBased | PartitionerKind::Daily | PartitionerKind::Hourly
        )
    }
}

/// `timestamp.extractor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampExtractorKind {
    Wallclock,
    Record,
    RecordField,
}

impl TimestampExtractorKind {
    /// From `Wallclock`/`Record`/`RecordField` or Confluent's class names
    /// (`...TimeBasedPartitioner$RecordTimestampExtractor`).
    pub fn from_name(name: &str) -> Option<Self> {
        let simple = name.trim().rsplit(['.', '$']).next().unwrap_or("");
        let base = simple.strip_suffix("TimestampExtractor").unwrap_or(simple);
        Some(match base {
            "Wallclock" => TimestampExtractorKind::Wallclock,
            "Record" => TimestampExtractorKind::Record,
            "RecordField" => TimestampExtractorKind::RecordField,
            _ => return None,
        })
    }
}

/// Finds a possibly nested (`a.b.c`) field of a struct or map value.
pub fn nested_field<'a>(
    schema: Option<&'a Schema>,
    value: &'a Value,
    path: &str,
) -> Option<(Option<&'a Schema>, &'a Value)> {
    let mut schema = schema;
    let mut value = value;
    for part in path.split('.') {
        match value {
            Value::Struct(s) => {
                let field = s.schema().field(part)?;
                value = &s.values()[field.index];
                // The struct's own schema is authoritative.
                schema = Some(&*field.schema);
            }
            Value::Map(_) => {
                value = value.get(part)?;
                schema = schema
                    .and_then(|s| s.value_schema.as_deref())
                    .filter(|s| s.schema_type != SchemaType::Struct);
            }
            _ => return None,
        }
    }
    Some((schema, value))
}

/// A configured partitioner.
#[derive(Debug, Clone)]
pub struct Partitioner {
    kind: PartitionerKind,
    delim: String,
    fields: Vec<String>,
    pattern: Option<JodaPattern>,
    duration_ms: i64,
    tz: Tz,
    extractor: TimestampExtractorKind,
    timestamp_field: String,
}

impl Partitioner {
    /// From the connector config (already validated).
    pub fn new(cfg: &S3SinkConfig) -> Self {
        let delim = cfg.directory_delim.clone();
        let (pattern, duration_ms) = match cfg.partitioner {
            PartitionerKind::Daily => (
                Some(format!("'year'=YYYY{delim}'month'=MM{delim}'day'=dd")),
                86_400_000,
            ),
            PartitionerKind::Hourly => (
                Some(format!(
                    "'year'=YYYY{delim}'month'=MM{delim}'day'=dd{delim}'hour'=HH"
                )),
                3_600_000,
            ),
            PartitionerKind::TimeBased => {
                (Some(cfg.path_format.clone()), cfg.partition_duration_ms)
            }
            _ => (None, -1),
        };
        Partitioner {
            kind: cfg.partitioner,
            delim,
            fields: cfg.partition_fields.clone(),
            pattern: pattern.and_then(|p| JodaPattern::parse(&p).ok()),
            duration_ms,
            tz: cfg.timezone.unwrap_or(Tz::UTC),
            extractor: cfg.extractor,
            timestamp_field: cfg.timestamp_field.clone(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> PartitionerKind {
        self.kind
    }

    /// The record's time as the configured extractor sees it (ms).
    pub fn timestamp(&self, record: &SinkRecord, now_ms: i64) -> ConnectResult<i64> {
        match self.extractor {
            TimestampExtractorKind::Wallclock => Ok(now_ms),
            TimestampExtractorKind::Record => record.timestamp.ok_or_else(|| {
                S3SinkError::BadRecord(format!(
                    "record {} has no timestamp for timestamp.extractor=Record",
                    record.position()
                ))
                .into()
            }),
            TimestampExtractorKind::RecordField => {
                let (schema, value) = nested_field(
                    record.value_schema.as_deref(),
                    &record.value,
                    &self.timestamp_field,
                )
                .ok_or_else(|| {
                    S3SinkError::BadRecord(format!(
                        "record {} has no field {:?} (timestamp.field)",
                        record.position(),
                        self.timestamp_field
                    ))
                })?;
                field_timestamp(schema, value).ok_or_else(|| {
                    S3SinkError::BadRecord(format!(
                        "record {}: field {:?} is not a timestamp (a number of ms, an ISO-8601 string or a Timestamp)",
                        record.position(),
                        self.timestamp_field
                    ))
                    .into()
                })
            }
        }
    }

    /// The encoded partition of a record (its directory under the topic).
    pub fn encode(&self, record: &SinkRecord, now_ms: i64) -> ConnectResult<String> {
        match self.kind {
            PartitionerKind::Default => Ok(format!("partition={}", record.partition)),
            PartitionerKind::Field => {
                let mut out = String::new();
                for (i, name) in self.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&self.delim);
                    }
                    let value = nested_field(record.value_schema.as_deref(), &record.value, name)
                        .map(|(_, v)| v);
                    let text = match value {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Boolean(b)) => b.to_string(),
                        Some(v) if v.as_i64().is_some() => v.as_i64().unwrap_or(0).to_string(),
                        Some(other) => {
                            return Err(S3SinkError::BadRecord(format!(
                                "record {}: field {name:?} of partition.field.name is a {}, not a string, integer or boolean",
                                record.position(),
                                other.natural_type().map(|t| t.connect_name()).unwrap_or("null")
                            ))
                            .into())
                        }
                        None => {
                            return Err(S3SinkError::BadRecord(format!(
                                "record {}: the value has no field {name:?} (partition.field.name)",
                                record.position()
                            ))
                            .into())
                        }
                    };
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&text);
                }
                Ok(out)
            }
            _ => {
                let ts = self.timestamp(record, now_ms)?;
                Ok(self.encode_time(ts))
            }
        }
    }

    /// The start (UTC ms) of the time bucket holding `ts`, computed in the
    /// configured zone as Confluent's `TimeBasedPartitioner.getPartition`.
    pub fn bucket_start(&self, ts: i64) -> i64 {
        let offset = |utc: i64| -> i64 {
            use chrono::Offset;
            self.tz
                .timestamp_millis_opt(utc)
                .single()
                .map(|t| t.offset().fix().local_minus_utc() as i64 * 1000)
                .unwrap_or(0)
        };
        let local = ts + offset(ts);
        let floored = local.div_euclid(self.duration_ms.max(1)) * self.duration_ms.max(1);
        // local → UTC, non-strict: the offset in force at that local time.
        let guess = floored - offset(floored);
        floored - offset(guess)
    }

    /// Formats the bucket of `ts` with the path pattern.
    pub fn encode_time(&self, ts: i64) -> String {
        let start = self.bucket_start(ts);
        let t: DateTime<Tz> = self
            .tz
            .timestamp_millis_opt(start)
            .single()
            .unwrap_or_else(|| {
                Tz::UTC
                    .timestamp_millis_opt(start)
                    .unwrap()
                    .with_timezone(&self.tz)
            });
        self.pattern
            .as_ref()
            .map(|p| p.format(&t))
            .unwrap_or_default()
    }
}

/// A timestamp from a field: a Timestamp/Date, an integer (ms), or an
/// ISO-8601 string.
fn field_timestamp(schema: Option<&Schema>, value: &Value) -> Option<i64> {
    if let Some(s) = schema {
        if s.is_logical(logical::DATE) {
            return value.as_i64().map(|d| d * 86_400_000);
        }
    }
    match value {
        Value::String(s) => parse_iso(s),
        v => v.as_i64(),
    }
}

fn parse_iso(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::S3SinkConfig;
    use ferry_api::{Headers, SchemaBuilder, Struct, TimestampType, TopicPartition};
    use std::sync::Arc;

    pub(crate) fn record(
        partition: i32,
        offset: i64,
        schema: Option<Arc<Schema>>,
        value: Value,
        ts: Option<i64>,
    ) -> SinkRecord {
        SinkRecord {
            topic: "orders".into(),
            partition,
            offset,
            timestamp: ts,
            timestamp_type: TimestampType::CreateTime,
            key_schema: None,
            key: Value::Null,
            value_schema: schema,
            value,
            headers: Headers::new(),
            original: TopicPartition::new("orders", partition),
            original_offset: offset,
        }
    }

    fn cfg(pairs: &[(&str, &str)]) -> S3SinkConfig {
        let mut all = vec![("flush.size", "1")];
        all.extend_from_slice(pairs);
        crate::test_support::config(&all)
    }

    // 2024-05-01T13:45:00.123Z
    const TS: i64 = 1_714_571_100_123;

    #[test]
    fn default_partitioner_names_the_kafka_partition() {
        let p = Partitioner::new(&cfg(&[]));
        assert_eq!(
            p.encode(&record(3, 0, None, Value::Null, None), 0).unwrap(),
            "partition=3"
        );
    }

    #[test]
    fn field_partitioner_with_several_and_nested_fields() {
        let addr = SchemaBuilder::struct_()
            .field("country", Schema::string())
            .build();
        let schema = SchemaBuilder::struct_()
            .field("region", Schema::string())
            .field("shard", Schema::int32())
            .field("vip", Schema::boolean())
            .field("address", addr.clone())
            .build();
        let v = Value::Struct(
            Struct::new(schema.clone())
                .with("region", "eu")
                .with("shard", 7)
                .with("vip", true)
                .with("address", Struct::new(addr).with("country", "de")),
        );
        let p = Partitioner::new(&cfg(&[
            ("partitioner.class", "FieldPartitioner"),
            ("partition.field.name", "region,shard,vip,address.country"),
        ]));
        let r = record(0, 0, Some(schema), v, None);
        assert_eq!(
            p.encode(&r, 0).unwrap(),
            "region=eu/shard=7/vip=true/address.country=de"
        );
        // Schemaless maps work too.
        let m = Value::Map(vec![
            ("region".into(), "us".into()),
            ("shard".into(), Value::Int64(1)),
            ("vip".into(), false.into()),
            (
                "address".into(),
                Value::Map(vec![("country".into(), "fr".into())]),
            ),
        ]);
        assert_eq!(
            p.encode(&record(0, 0, None, m, None), 0).unwrap(),
            "region=us/shard=1/vip=false/address.country=fr"
        );
        let missing = p
            .encode(&record(0, 9, None, Value::Map(vec![]), None), 0)
            .unwrap_err();
        assert!(missing.to_string().contains("orders-0@9"), "{missing}");
    }

    #[test]
    fn time_based_partitioners_bucket_in_their_zone() {
        let hourly = Partitioner::new(&cfg(&[
            ("partitioner.class", "HourlyPartitioner"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
        ]));
        let r = record(0, 0, None, Value::Null, Some(TS));
        assert_eq!(
            hourly.encode(&r, 0).unwrap(),
            "year=2024/month=05/day=01/hour=13"
        );
        let daily = Partitioner::new(&cfg(&[
            ("partitioner.class", "DailyPartitioner"),
            ("locale", "en-US"),
            ("timezone", "Asia/Tokyo"),
            ("timestamp.extractor", "Record"),
        ]));
        // 13:45Z is 22:45 in Tokyo.
        assert_eq!(daily.encode(&r, 0).unwrap(), "year=2024/month=05/day=01");
        let late = record(0, 0, None, Value::Null, Some(TS + 3 * 3_600_000));
        assert_eq!(daily.encode(&late, 0).unwrap(), "year=2024/month=05/day=02");

        let tb = Partitioner::new(&cfg(&[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("path.format", "'dt'=YYYY-MM-dd/'min'=HHmm"),
            ("partition.duration.ms", "900000"),
            ("locale", "en"),
            ("timezone", "Europe/Berlin"),
            ("timestamp.extractor", "RecordField"),
            ("timestamp.field", "meta.at"),
        ]));
        let meta = SchemaBuilder::struct_()
            .field("at", logical::timestamp().build())
            .build();
        let schema = SchemaBuilder::struct_().field("meta", meta.clone()).build();
        let v = Value::Struct(
            Struct::new(schema.clone())
                .with("meta", Struct::new(meta).with("at", Value::Int64(TS))),
        );
        // 15:45 CEST, 15-minute buckets.
        assert_eq!(
            tb.encode(&record(0, 0, Some(schema), v, None), 0).unwrap(),
            "dt=2024-05-01/min=1545"
        );
        let iso = Value::Map(vec![(
            "meta".into(),
            Value::Map(vec![("at".into(), "2024-05-01T13:59:59Z".into())]),
        )]);
        assert_eq!(
            tb.encode(&record(0, 0, None, iso, None), 0).unwrap(),
            "dt=2024-05-01/min=1545"
        );
    }

    #[test]
    fn wallclock_uses_now() {
        let p = Partitioner::new(&cfg(&[
            ("partitioner.class", "HourlyPartitioner"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
        ]));
        assert_eq!(
            p.encode(&record(0, 0, None, Value::Null, None), TS)
                .unwrap(),
            "year=2024/month=05/day=01/hour=13"
        );
    }

    #[test]
    fn class_names_resolve() {
        assert_eq!(
            PartitionerKind::from_class(
                "io.confluent.connect.storage.partitioner.HourlyPartitioner"
            ),
            Some(PartitionerKind::Hourly)
        );
        assert_eq!(PartitionerKind::from_class("Nope"), None);
        assert_eq!(
            TimestampExtractorKind::from_name("io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor"),
            Some(TimestampExtractorKind::RecordField)
        );
    }
}
