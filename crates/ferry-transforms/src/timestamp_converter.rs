//! `org.apache.kafka.connect.transforms.TimestampConverter$Key` / `$Value`:
//! converts a timestamp — the whole key or value, or its top-level `field`
//! — between text (`format`, a Java `SimpleDateFormat` pattern in UTC),
//! Unix time (an INT64 in `unix.precision` units), and Connect's Date,
//! Time and Timestamp, through milliseconds since the epoch (so
//! sub-millisecond digits are lost, as in Kafka). The input's kind comes
//! from its schema (Date/Time/Timestamp by name, STRING is text, INT64 is
//! Unix time) or, schemaless, from the value (a string or a long).
//!
//! Schemaless data has no Date, Time or Timestamp values, so converting
//! schemaless data to those gives their numbers (days, milliseconds of
//! the day, milliseconds since the epoch), where Kafka gives a
//! `java.util.Date` its JSON converter cannot write.

use ferry_api::data::logical;
use ferry_api::data::text::MILLIS_PER_DAY;
use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord,
    ConnectResult, Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, Validator, Value,
};

use crate::config::replace_null_with_default_key;
use crate::java_date_format::JavaDateFormat;
use crate::requirements::{java_class_name, require_map, require_struct_or_null, schema_string};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, field_value, map_get, map_put};
use crate::TransformError;

/// Key: the field holding the timestamp; empty for the whole key or value.
pub const FIELD: &str = "field";
/// Key: what to convert to: `string`, `unix`, `Date`, `Time` or `Timestamp`.
pub const TARGET_TYPE: &str = "target.type";
/// Key: the `SimpleDateFormat` pattern for text timestamps.
pub const FORMAT: &str = "format";
/// Key: the unit of Unix times: `seconds`, `milliseconds`, `microseconds`
/// or `nanoseconds`.
pub const UNIX_PRECISION: &str = "unix.precision";
/// Key: whether null struct fields with a default take the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "converting timestamp formats";

const TYPES: [&str; 5] = ["string", "unix", "Date", "Time", "Timestamp"];
const PRECISIONS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];

/// A representation of a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            _ => return None,
        })
    }

    /// Kafka's `timestampTypeFromSchema`.
    fn of_schema(schema: &Schema) -> Result<Kind, TransformError> {
        Ok(if schema.is_logical(logical::TIMESTAMP) {
            Kind::Timestamp
        } else if schema.is_logical(logical::DATE) {
            Kind::Date
        } else if schema.is_logical(logical::TIME) {
            Kind::Time
        } else if schema.schema_type == SchemaType::String {
            Kind::String
        } else if schema.schema_type == SchemaType::Int64 {
            Kind::Unix
        } else {
            return Err(TransformError::Data(format!(
                "Schema {} does not correspond to a known timestamp type format",
                schema_string(schema)
            )));
        })
    }

    /// Kafka's `inferTimestampType`, for schemaless values.
    fn of_value(value: &Value) -> Result<Kind, TransformError> {
        match value {
            Value::Int64(_) => Ok(Kind::Unix),
            Value::String(_) => Ok(Kind::String),
            other => Err(TransformError::Data(format!(
                "TimestampConverter does not support class {} objects as timestamps",
                java_class_name(None, other)
            ))),
        }
    }

    /// The schema of this kind (Kafka's `typeSchema`).
    fn schema(self, optional: bool) -> SchemaRef {
        let builder = match self {
            Kind::String => SchemaBuilder::new(SchemaType::String),
            Kind::Unix => SchemaBuilder::new(SchemaType::Int64),
            Kind::Date => logical::date(),
            Kind::Time => logical::time(),
            Kind::Timestamp => logical::timestamp(),
        };
        builder.set_optional(optional).build()
    }
}

/// The unit of Unix times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl Precision {
    fn parse(name: &str) -> Precision {
        match name {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Microseconds,
            "nanoseconds" => Precision::Nanoseconds,
            _ => Precision::Milliseconds,
        }
    }

    /// Unix time in this unit → milliseconds (Java's `TimeUnit`:
    /// truncating division, saturating multiplication).
    fn to_millis(self, t: i64) -> i64 {
        match self {
            Precision::Seconds => t.saturating_mul(1000),
            Precision::Milliseconds => t,
            Precision::Microseconds => t / 1000,
            Precision::Nanoseconds => t / 1_000_000,
        }
    }

    /// Milliseconds → Unix time in this unit.
    fn of_millis(self, millis: i64) -> i64 {
        match self {
            Precision::Seconds => millis / 1000,
            Precision::Milliseconds => millis,
            Precision::Microseconds => millis.saturating_mul(1000),
            Precision::Nanoseconds => millis.saturating_mul(1_000_000),
        }
    }
}

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct TimestampConverter {
    side: KeyOrValue,
    field: String,
    target: Kind,
    format: Option<JavaDateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl TimestampConverter {
    /// The transform for the key (`$Key`) or the value (`$Value`).
    pub fn new(side: KeyOrValue) -> Self {
        TimestampConverter {
            side,
            field: String::new(),
            target: Kind::Timestamp,
            format: None,
            precision: Precision::Milliseconds,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// Milliseconds since the epoch of a timestamp of the given kind
    /// (Kafka's `toRaw`); `schema` names the value's class in errors.
    fn to_raw(
        &self,
        kind: Kind,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<i64, TransformError> {
        let found = || java_class_name(schema, value);
        match (kind, value) {
            (Kind::String, Value::String(text)) => {
                let format = self.format.as_ref().ok_or_else(|| {
                    TransformError::Data(format!(
                        "Could not parse timestamp: value ({text}) cannot be parsed without the {FORMAT} option"
                    ))
                })?;
                format.parse(text).ok_or_else(|| {
                    TransformError::Data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (Kind::String, _) => Err(TransformError::Data(format!(
                "Expected string timestamp to be a String, but found class {}",
                found()
            ))),
            (Kind::Unix, Value::Int64(t)) => Ok(self.precision.to_millis(*t)),
            (Kind::Unix, _) => Err(TransformError::Data(format!(
                "Expected Unix timestamp to be a Long, but found class {}",
                found()
            ))),
            (Kind::Date, Value::Int32(days)) => Ok(i64::from(*days) * MILLIS_PER_DAY),
            (Kind::Time, Value::Int32(millis)) => Ok(i64::from(*millis)),
            (Kind::Timestamp, Value::Int64(millis)) => Ok(*millis),
            (Kind::Date | Kind::Time | Kind::Timestamp, _) => Err(TransformError::Data(format!(
                "Expected {kind:?} to be a java.util.Date, but found class {}",
                found()
            ))),
        }
    }

    /// A timestamp of the target kind (Kafka's `toType`).
    fn to_type(&self, millis: i64) -> Result<Value, TransformError> {
        Ok(match self.target {
            Kind::String => Value::String(self.format.as_ref().expect("validated").format(millis)),
            Kind::Unix => Value::Int64(self.precision.of_millis(millis)),
            Kind::Date => {
                let days = millis.div_euclid(MILLIS_PER_DAY);
                Value::Int32(i32::try_from(days).map_err(|_| {
                    TransformError::Data(format!("Timestamp {millis} is out of range for a Date"))
                })?)
            }
            Kind::Time => Value::Int32(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            Kind::Timestamp => Value::Int64(millis),
        })
    }

    /// Kafka's `convertTimestamp`: the kind from the schema, or inferred
    /// from the value when schemaless.
    fn convert(&self, schema: Option<&Schema>, value: &Value) -> Result<Value, TransformError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match schema {
            Some(s) => Kind::of_schema(s)?,
            None => Kind::of_value(value)?,
        };
        self.to_type(self.to_raw(kind, schema, value)?)
    }

    /// The struct rebuilt on `updated` with the field converted (Kafka's
    /// `applyValueWithSchema`).
    fn convert_struct(
        &self,
        value: &Struct,
        updated: &SchemaRef,
    ) -> Result<Struct, TransformError> {
        let mut values = Vec::with_capacity(value.schema().fields.len());
        for field in &value.schema().fields {
            let v = field_value(value, field, self.replace_null_with_default);
            values.push(if field.name == self.field {
                // Kafka derives the kind from the schema even for a null.
                Kind::of_schema(&field.schema)?;
                self.convert(Some(&field.schema), v)?
            } else {
                v.clone()
            });
        }
        Struct::from_values(updated.clone(), values)
            .map_err(|e| TransformError::Data(e.to_string()))
    }

    fn updated_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            let field_schema = if field.name == self.field {
                self.target.schema(field.schema.optional)
            } else {
                field.schema.clone()
            };
            builder = builder.field(field.name.clone(), field_schema);
        }
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(default) = &schema.default {
            let default = match default {
                Value::Struct(s) => s,
                other => {
                    return Err(TransformError::Data(format!(
                        "Only Struct objects supported for [{PURPOSE}], found: {}",
                        java_class_name(None, other)
                    )))
                }
            };
            let cast = self.convert_struct(default, &builder.clone().build())?;
            builder = builder.default_value(Value::Struct(cast));
        }
        Ok(builder.build())
    }
}

impl Transformation for TimestampConverter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(FIELD, ConfigType::String)
                    .default_value("")
                    .importance(Importance::High)
                    .doc("The field containing the timestamp, or empty if the entire value is a timestamp"),
            )
            .define(
                ConfigKey::new(TARGET_TYPE, ConfigType::String)
                    .required()
                    .importance(Importance::High)
                    .validator(exactly_one_of(&TYPES))
                    .doc("The desired timestamp representation: string, unix, Date, Time, or Timestamp"),
            )
            .define(
                ConfigKey::new(FORMAT, ConfigType::String)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc(
                        "A SimpleDateFormat-compatible format for the timestamp (in UTC). Used to \
                         generate the output when type=string or used to parse the input if the \
                         input is a string.",
                    ),
            )
            .define(
                ConfigKey::new(UNIX_PRECISION, ConfigType::String)
                    .default_value("milliseconds")
                    .importance(Importance::Low)
                    .validator(exactly_one_of(&PRECISIONS))
                    .doc(
                        "The desired Unix precision for the timestamp: seconds, milliseconds, \
                         microseconds, or nanoseconds. Used to generate the output when type=unix \
                         or used to parse the input if the input is a Long. Note: This SMT will \
                         cause precision loss during conversions from, and to, values with \
                         sub-millisecond components.",
                    ),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let target = Kind::parse(c.string(TARGET_TYPE).unwrap_or_default()).expect("validated");
        let pattern = c.string(FORMAT).unwrap_or_default();
        let format = if pattern.is_empty() {
            if target == Kind::String {
                return Err(ConfigError::new(
                    FORMAT,
                    None,
                    "TimestampConverter requires format option to be specified when using string \
                     timestamps",
                )
                .into());
            }
            None
        } else {
            Some(JavaDateFormat::new(pattern).map_err(|e| {
                ConfigError::new(
                    FORMAT,
                    Some(pattern),
                    format!(
                        "TimestampConverter requires a SimpleDateFormat-compatible pattern for \
                         string timestamps: {pattern} ({e})"
                    ),
                )
            })?)
        };
        *self = TimestampConverter {
            side: self.side,
            field: c.string(FIELD).unwrap_or_default().to_string(),
            target,
            format,
            precision: Precision::parse(c.string(UNIX_PRECISION).unwrap_or_default()),
            replace_null_with_default: c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            cache: SchemaCache::default(),
        };
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        let Some(schema) = schema.cloned() else {
            let converted = if value.is_null() || self.field.is_empty() {
                self.convert(None, value)?
            } else {
                let mut entries = require_map(value, PURPOSE)?.to_vec();
                let orig = map_get(&entries, &self.field)
                    .cloned()
                    .unwrap_or(Value::Null);
                let field = self.field.clone();
                map_put(&mut entries, &field, self.convert(None, &orig)?);
                Value::Map(entries)
            };
            record.set(self.side, None, converted);
            return Ok(Outcome::Keep);
        };
        if self.field.is_empty() {
            Kind::of_schema(&schema)?;
            let converted = self.convert(Some(&schema), value)?;
            record.set(
                self.side,
                Some(self.target.schema(schema.optional)),
                converted,
            );
            return Ok(Outcome::Keep);
        }
        let value = require_struct_or_null(Some(&schema), value, PURPOSE)?;
        let mut cache = std::mem::take(&mut self.cache);
        let updated = cache.get_or_derive(&schema, |s| self.updated_schema(s));
        self.cache = cache;
        let updated = updated?;
        let converted = match value {
            Some(s) => Value::Struct(self.convert_struct(s, &updated)?),
            None => Value::Null,
        };
        record.set(self.side, Some(updated), converted);
        Ok(Outcome::Keep)
    }
}

/// One of the given strings, case-sensitively (Kafka's `ValidString.in`).
fn exactly_one_of(allowed: &'static [&'static str]) -> Validator {
    Validator::custom(move |v| match v {
        ConfigValue::String(s) if !allowed.contains(&s.as_str()) => {
            Err(format!("String must be one of: {}", allowed.join(", ")))
        }
        _ => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with, refused_keys, SIDES};

    /// 1970-01-02T00:00:01.234Z, Kafka's DATE_PLUS_TIME.
    const DATE_PLUS_TIME_UNIX: i64 = 86_401_234;
    const DATE_PLUS_TIME_UNIX_MICROS: i64 = DATE_PLUS_TIME_UNIX * 1000 + 123;
    const DATE_PLUS_TIME_UNIX_NANOS: i64 = DATE_PLUS_TIME_UNIX_MICROS * 1000 + 456;
    const DATE_PLUS_TIME_UNIX_SECONDS: i64 = 86_401;
    const STRING_DATE_FMT: &str = "yyyy MM dd HH mm ss SSS z";
    const DATE_PLUS_TIME_STRING: &str = "1970 01 02 00 00 01 234 UTC";
    /// Kafka's DATE (1970-01-02) as a Connect Date, and TIME (00:00:01.234).
    const DATE_DAYS: i32 = 1;
    const TIME_MILLIS: i32 = 1234;

    fn xform(side: KeyOrValue, pairs: &[(&str, &str)]) -> TimestampConverter {
        configure(TimestampConverter::new(side), pairs)
    }

    fn convert(
        pairs: &[(&str, &str)],
        schema: Option<SchemaRef>,
        value: Value,
    ) -> (Option<SchemaRef>, Value) {
        let mut t = xform(KeyOrValue::Value, pairs);
        let mut r = record_with(KeyOrValue::Value, schema, value);
        t.apply(&mut r).unwrap();
        (r.value_schema, r.value)
    }

    fn ts() -> SchemaRef {
        logical::timestamp().build()
    }

    // Kafka's testConfigNoTargetType, testConfigInvalidTargetType,
    // testConfigInvalidUnixPrecision, testConfigValidUnixPrecision,
    // testConfigMissingFormat, testConfigInvalidFormat.
    #[test]
    fn configs_are_checked_naming_the_key() {
        let new = || TimestampConverter::new(KeyOrValue::Value);
        assert_eq!(refused_keys(new(), &[]), [TARGET_TYPE]);
        assert_eq!(
            refused_keys(new(), &[(TARGET_TYPE, "invalid")]),
            [TARGET_TYPE]
        );
        assert_eq!(
            refused_keys(new(), &[(TARGET_TYPE, "timestamp")]),
            [TARGET_TYPE]
        );
        assert_eq!(
            refused_keys(new(), &[(TARGET_TYPE, "unix"), (UNIX_PRECISION, "invalid")]),
            [UNIX_PRECISION]
        );
        xform(
            KeyOrValue::Value,
            &[(TARGET_TYPE, "unix"), (UNIX_PRECISION, "seconds")],
        );
        assert_eq!(refused_keys(new(), &[(TARGET_TYPE, "string")]), [FORMAT]);
        assert_eq!(
            refused_keys(new(), &[(TARGET_TYPE, "string"), (FORMAT, "bad-format")]),
            [FORMAT]
        );
        let mut t = new();
        let e = t
            .configure(&ferry_api::property_map([
                (TARGET_TYPE, "Date"),
                (FORMAT, "yyyy-DDD"),
            ]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SimpleDateFormat-compatible pattern for string timestamps: yyyy-DDD"),
            "{e}"
        );
    }

    // Kafka's testSchemalessIdentity, testSchemalessTimestampTo*,
    // testSchemalessUnixToTimestamp, testSchemalessStringToTimestamp (a
    // schemaless Timestamp is its number here).
    #[test]
    fn schemaless_conversions() {
        let unix = Value::Int64(DATE_PLUS_TIME_UNIX);
        for (target, expected) in [
            ("Timestamp", Value::Int64(DATE_PLUS_TIME_UNIX)),
            ("Date", Value::Int32(DATE_DAYS)),
            ("Time", Value::Int32(TIME_MILLIS)),
            ("unix", Value::Int64(DATE_PLUS_TIME_UNIX)),
            ("string", Value::from(DATE_PLUS_TIME_STRING)),
        ] {
            let pairs = [(TARGET_TYPE, target), (FORMAT, STRING_DATE_FMT)];
            assert_eq!(
                convert(&pairs, None, unix.clone()),
                (None, expected),
                "{target}"
            );
        }
        let pairs = [(TARGET_TYPE, "Timestamp"), (FORMAT, STRING_DATE_FMT)];
        assert_eq!(
            convert(&pairs, None, Value::from(DATE_PLUS_TIME_STRING)),
            (None, Value::Int64(DATE_PLUS_TIME_UNIX))
        );
    }

    // Kafka's testWithSchemaIdentity and testWithSchemaTimestampTo*.
    #[test]
    fn timestamps_with_schema_convert_to_every_kind() {
        let value = Value::Int64(DATE_PLUS_TIME_UNIX);
        for (target, schema, expected) in [
            ("Timestamp", ts(), Value::Int64(DATE_PLUS_TIME_UNIX)),
            ("Date", logical::date().build(), Value::Int32(DATE_DAYS)),
            ("Time", logical::time().build(), Value::Int32(TIME_MILLIS)),
            ("unix", Schema::int64(), Value::Int64(DATE_PLUS_TIME_UNIX)),
            (
                "string",
                Schema::string(),
                Value::from(DATE_PLUS_TIME_STRING),
            ),
        ] {
            let pairs = [(TARGET_TYPE, target), (FORMAT, STRING_DATE_FMT)];
            assert_eq!(
                convert(&pairs, Some(ts()), value.clone()),
                (Some(schema), expected),
                "{target}"
            );
        }
    }

    // Kafka's testWithSchemaDateToTimestamp, testWithSchemaTimeToTimestamp,
    // testWithSchemaUnixToTimestamp, testWithSchemaStringToTimestamp.
    #[test]
    fn every_kind_with_schema_converts_to_timestamp() {
        for (schema, value, expected) in [
            (logical::date().build(), Value::Int32(DATE_DAYS), 86_400_000),
            (logical::time().build(), Value::Int32(TIME_MILLIS), 1234),
            (
                Schema::int64(),
                Value::Int64(DATE_PLUS_TIME_UNIX),
                DATE_PLUS_TIME_UNIX,
            ),
            (
                Schema::string(),
                Value::from(DATE_PLUS_TIME_STRING),
                DATE_PLUS_TIME_UNIX,
            ),
        ] {
            let pairs = [(TARGET_TYPE, "Timestamp"), (FORMAT, STRING_DATE_FMT)];
            assert_eq!(
                convert(&pairs, Some(schema), value),
                (Some(ts()), Value::Int64(expected))
            );
        }
    }

    // Kafka's testSchemalessNullValueTo* (whole value and field).
    #[test]
    fn schemaless_nulls_stay_null() {
        for target in TYPES {
            for field in ["", "ts"] {
                let pairs = [
                    (TARGET_TYPE, target),
                    (FORMAT, STRING_DATE_FMT),
                    (FIELD, field),
                ];
                assert_eq!(convert(&pairs, None, Value::Null), (None, Value::Null));
            }
        }
    }

    // Kafka's testWithSchemaNullValueTo* and testWithSchemaNullFieldTo*.
    #[test]
    fn nulls_with_schema_get_the_optional_target_schema() {
        let originals = [
            Schema::optional_int64(),
            logical::time().optional().build(),
            logical::date().optional().build(),
            Schema::optional_string(),
            logical::timestamp().optional().build(),
        ];
        for (target, expected) in [
            ("Timestamp", logical::timestamp().optional().build()),
            ("unix", Schema::optional_int64()),
            ("Time", logical::time().optional().build()),
            ("Date", logical::date().optional().build()),
            ("string", Schema::optional_string()),
        ] {
            for original in &originals {
                let pairs = [(TARGET_TYPE, target), (FORMAT, STRING_DATE_FMT)];
                assert_eq!(
                    convert(&pairs, Some(original.clone()), Value::Null),
                    (Some(expected.clone()), Value::Null)
                );

                let pairs = [
                    (TARGET_TYPE, target),
                    (FORMAT, STRING_DATE_FMT),
                    (FIELD, "ts"),
                ];
                let with = |ts: SchemaRef| {
                    SchemaBuilder::struct_()
                        .field("ts", ts)
                        .field("other", Schema::string())
                };
                let schema = with(original.clone()).build();
                let value = Struct::new(schema.clone()).with("other", "test");
                let (s, v) = convert(&pairs, Some(schema), Value::Struct(value));
                assert_eq!(s, Some(with(expected.clone()).build()));
                assert_eq!(v.get("ts"), Some(&Value::Null));
                assert_eq!(v.get("other"), Some(&Value::from("test")));

                let schema = with(original.clone()).optional().build();
                let (s, v) = convert(&pairs, Some(schema), Value::Null);
                assert_eq!(s, Some(with(expected.clone()).optional().build()));
                assert_eq!(v, Value::Null);
            }
        }
    }

    // Kafka's testSchemalessFieldConversion.
    #[test]
    fn a_schemaless_field_converts() {
        let pairs = [(TARGET_TYPE, "Date"), (FIELD, "ts")];
        let value = map(vec![
            ("ts", Value::Int64(DATE_PLUS_TIME_UNIX)),
            ("other", Value::from("x")),
        ]);
        assert_eq!(
            convert(&pairs, None, value),
            (
                None,
                map(vec![
                    ("ts", Value::Int32(DATE_DAYS)),
                    ("other", Value::from("x"))
                ])
            )
        );
        let value = map(vec![("other", Value::from("x"))]);
        assert_eq!(
            convert(&pairs, None, value).1,
            map(vec![("other", Value::from("x")), ("ts", Value::Null)]),
            "a missing field is put as null, as Java's Map.put"
        );
    }

    // Kafka's testWithSchemaFieldConversion and its _Micros, _Nanos and
    // _Seconds variants.
    #[test]
    fn a_unix_field_with_schema_converts_in_each_precision() {
        for (precision, unix, expected) in [
            ("milliseconds", DATE_PLUS_TIME_UNIX, DATE_PLUS_TIME_UNIX),
            (
                "microseconds",
                DATE_PLUS_TIME_UNIX_MICROS,
                DATE_PLUS_TIME_UNIX,
            ),
            (
                "nanoseconds",
                DATE_PLUS_TIME_UNIX_NANOS,
                DATE_PLUS_TIME_UNIX,
            ),
            ("seconds", DATE_PLUS_TIME_UNIX_SECONDS, 86_401_000),
        ] {
            let pairs = [
                (TARGET_TYPE, "Timestamp"),
                (FIELD, "ts"),
                (UNIX_PRECISION, precision),
            ];
            let schema = SchemaBuilder::struct_()
                .field("ts", Schema::int64())
                .field("other", Schema::string())
                .build();
            let value = Struct::new(schema.clone())
                .with("ts", unix)
                .with("other", "test");
            let (s, v) = convert(&pairs, Some(schema), Value::Struct(value));
            let expected_schema = SchemaBuilder::struct_()
                .field("ts", ts())
                .field("other", Schema::string())
                .build();
            assert_eq!(s, Some(expected_schema));
            assert_eq!(v.get("ts"), Some(&Value::Int64(expected)), "{precision}");
            assert_eq!(v.get("other"), Some(&Value::from("test")));
        }
    }

    // Kafka's testWithSchemaNullFieldWithDefaultConversion (both ways).
    #[test]
    fn a_null_field_with_a_default_converts_the_default_unless_told_not_to() {
        for (replace, expected) in [("false", Value::Null), ("true", Value::Int64(0))] {
            let pairs = [
                (TARGET_TYPE, "Timestamp"),
                (FIELD, "ts"),
                (REPLACE_NULL_WITH_DEFAULT, replace),
            ];
            let schema = SchemaBuilder::struct_()
                .field(
                    "ts",
                    SchemaBuilder::new(SchemaType::Int64)
                        .optional()
                        .default_value(Value::Int64(0))
                        .build(),
                )
                .field("other", Schema::string())
                .build();
            let value = Struct::new(schema.clone()).with("other", "test");
            let (s, v) = convert(&pairs, Some(schema), Value::Struct(value));
            let expected_schema = SchemaBuilder::struct_()
                .field("ts", logical::timestamp().optional().build())
                .field("other", Schema::string())
                .build();
            assert_eq!(s, Some(expected_schema));
            assert_eq!(v.get("ts"), Some(&expected), "{replace}");
            assert_eq!(v.get("other"), Some(&Value::from("test")));
        }
    }

    // Kafka's testSchemalessStringToUnix_Micros, _Nanos and _Seconds.
    #[test]
    fn text_to_unix_in_each_precision() {
        for (precision, expected) in [
            ("microseconds", 86_401_234_000),
            ("nanoseconds", 86_401_234_000_000),
            ("seconds", DATE_PLUS_TIME_UNIX_SECONDS),
        ] {
            let pairs = [
                (TARGET_TYPE, "unix"),
                (UNIX_PRECISION, precision),
                (FORMAT, STRING_DATE_FMT),
            ];
            assert_eq!(
                convert(&pairs, None, Value::from(DATE_PLUS_TIME_STRING)),
                (None, Value::Int64(expected))
            );
        }
    }

    // Kafka's testKey.
    #[test]
    fn the_key_converts_too() {
        for side in SIDES {
            let mut t = xform(side, &[(TARGET_TYPE, "string"), (FORMAT, "yyyy-MM-dd")]);
            let mut r = record_with(side, Some(ts()), Value::Int64(DATE_PLUS_TIME_UNIX));
            t.apply(&mut r).unwrap();
            assert_eq!(
                r.part(side),
                (Some(&Schema::string()), &Value::from("1970-01-02"))
            );
        }
    }

    #[test]
    fn wrong_shapes_fail_with_kafkas_messages() {
        let pairs = [(TARGET_TYPE, "unix")];
        let mut t = xform(KeyOrValue::Value, &pairs);
        let mut r = record_with(KeyOrValue::Value, Some(Schema::int32()), Value::Int32(1));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Schema Schema{INT32} does not correspond to a known timestamp type format"
        );
        let mut r = record_with(
            KeyOrValue::Value,
            Some(Schema::optional_int32()),
            Value::Null,
        );
        assert!(
            t.apply(&mut r).is_err(),
            "the schema is checked even for a null"
        );
        let mut r = record_with(KeyOrValue::Value, None, Value::Int32(1));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
        let mut r = record_with(KeyOrValue::Value, Some(Schema::int64()), Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Expected Unix timestamp to be a Long, but found class java.lang.String"
        );
        let mut r = record_with(KeyOrValue::Value, Some(ts()), Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Expected Timestamp to be a java.util.Date, but found class java.lang.String"
        );
        let mut t = xform(
            KeyOrValue::Value,
            &[(TARGET_TYPE, "unix"), (FORMAT, "yyyy-MM-dd")],
        );
        let mut r = record_with(
            KeyOrValue::Value,
            Some(Schema::string()),
            Value::from("soon"),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Could not parse timestamp: value (soon) does not match pattern (yyyy-MM-dd)"
        );
        let mut t = xform(KeyOrValue::Value, &[(TARGET_TYPE, "unix"), (FIELD, "ts")]);
        let mut r = record_with(KeyOrValue::Value, None, Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [converting timestamp formats], \
             found: java.lang.String"
        );
        let mut r = record_with(KeyOrValue::Value, Some(Schema::string()), Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Struct objects supported for [converting timestamp formats], found: java.lang.String"
        );
    }

    #[test]
    fn dates_before_the_epoch_floor_to_their_day() {
        let pairs = [(TARGET_TYPE, "Date")];
        assert_eq!(
            convert(&pairs, Some(ts()), Value::Int64(-1)),
            (Some(logical::date().build()), Value::Int32(-1))
        );
        let pairs = [(TARGET_TYPE, "Time")];
        assert_eq!(
            convert(&pairs, Some(ts()), Value::Int64(-1)).1,
            Value::Int32(86_399_999)
        );
        let pairs = [(TARGET_TYPE, "unix"), (UNIX_PRECISION, "seconds")];
        assert_eq!(
            convert(&pairs, Some(ts()), Value::Int64(-1500)).1,
            Value::Int64(-1),
            "truncates as Java"
        );
    }

    #[test]
    fn a_struct_default_is_converted_and_schemas_are_cached() {
        let base = SchemaBuilder::struct_()
            .optional()
            .field("ts", Schema::int64());
        let default =
            Struct::new(base.clone().build()).with("ts", Value::Int64(DATE_PLUS_TIME_UNIX));
        let schema = base.default_value(Value::Struct(default)).build();
        let mut t = xform(KeyOrValue::Value, &[(TARGET_TYPE, "Date"), (FIELD, "ts")]);
        let mut first: Option<SchemaRef> = None;
        for _ in 0..2 {
            let value = Struct::new(schema.clone()).with("ts", Value::Int64(0));
            let mut r = record_with(
                KeyOrValue::Value,
                Some(schema.clone()),
                Value::Struct(value),
            );
            t.apply(&mut r).unwrap();
            assert_eq!(r.value.get("ts"), Some(&Value::Int32(0)));
            let updated = r.value_schema.unwrap();
            assert_eq!(
                updated.default.as_ref().and_then(|d| d.get("ts")),
                Some(&Value::Int32(DATE_DAYS))
            );
            if let Some(f) = &first {
                assert!(SchemaRef::ptr_eq(f, &updated));
            }
            first = Some(updated);
        }
    }
}
