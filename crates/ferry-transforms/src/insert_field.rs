//! `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value`: adds
//! fields holding the record's topic, partition, offset (sink records
//! only), timestamp, or a static string to a struct (extending its
//! schema) or a schemaless map. A field name ending in `!` makes the new
//! field required, `?` (the default) optional. Null keys / values
//! (tombstones) pass unchanged.

use ferry_api::data::logical;
use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult,
    Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef, Struct,
    Transformation, Value,
};

use crate::config::replace_null_with_default_key;
use crate::requirements::{require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, map_put, struct_with_fields};
use crate::TransformError;

/// Key: field for the topic.
pub const TOPIC_FIELD: &str = "topic.field";
/// Key: field for the Kafka partition.
pub const PARTITION_FIELD: &str = "partition.field";
/// Key: field for the Kafka offset (sink records only).
pub const OFFSET_FIELD: &str = "offset.field";
/// Key: field for the record timestamp.
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
/// Key: field for the static value.
pub const STATIC_FIELD: &str = "static.field";
/// Key: the static value.
pub const STATIC_VALUE: &str = "static.value";
/// Key: whether null fields with a default are copied as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "field insertion";

const OPTIONALITY_DOC: &str = "Suffix with <code>!</code> to make this a required field, or \
                               <code>?</code> to keep it optional (the default).";

/// A field to insert: its name and whether its schema is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InsertionSpec {
    name: String,
    optional: bool,
}

impl InsertionSpec {
    /// `name`, `name?` (optional) or `name!` (required).
    fn parse(spec: Option<&str>) -> Option<Self> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            InsertionSpec {
                name: name.to_string(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            InsertionSpec {
                name: name.to_string(),
                optional: false,
            }
        } else {
            InsertionSpec {
                name: spec.to_string(),
                optional: true,
            }
        })
    }
}

/// The schema of an inserted field, optional or not.
type SchemaFor = fn(bool) -> SchemaRef;

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct InsertField {
    side: KeyOrValue,
    topic: Option<InsertionSpec>,
    partition: Option<InsertionSpec>,
    offset: Option<InsertionSpec>,
    timestamp: Option<InsertionSpec>,
    static_field: Option<InsertionSpec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl InsertField {
    /// `InsertField$Key` or `InsertField$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        InsertField {
            side,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// The configured insertions in Kafka's order, each with its schema.
    fn specs(&self) -> [(Option<&InsertionSpec>, SchemaFor); 5] {
        [
            (self.topic.as_ref(), |opt| string_schema(opt)),
            (self.partition.as_ref(), |opt| {
                if opt {
                    Schema::optional_int32()
                } else {
                    Schema::int32()
                }
            }),
            (self.offset.as_ref(), |opt| {
                if opt {
                    Schema::optional_int64()
                } else {
                    Schema::int64()
                }
            }),
            (self.timestamp.as_ref(), |opt| {
                logical::timestamp().set_optional(opt).build()
            }),
            (self.static_field.as_ref(), |opt| string_schema(opt)),
        ]
    }

    /// Kafka's `makeUpdatedSchema`: the struct's fields, then the
    /// configured ones; a name used twice is refused as Kafka's
    /// `SchemaBuilder` refuses it.
    fn updated_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let existing = schema
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.schema.clone()));
        let inserted = self
            .specs()
            .into_iter()
            .filter_map(|(spec, schema)| spec.map(|s| (s.name.as_str(), schema(s.optional))));
        struct_with_fields(
            copy_schema_basics(schema, SchemaBuilder::struct_()),
            existing.chain(inserted),
        )
    }
}

fn string_schema(optional: bool) -> SchemaRef {
    if optional {
        Schema::optional_string()
    } else {
        Schema::string()
    }
}

/// The record's Kafka offset, which only a sink record has (Kafka's
/// `requireSinkRecord(record, purpose).kafkaOffset()`).
fn require_sink_offset(record: &dyn ConnectRecord) -> Result<i64, TransformError> {
    record.kafka_offset().ok_or_else(|| {
        TransformError::Data(format!(
            "Only SinkRecord supported for [{PURPOSE}], found: \
             org.apache.kafka.connect.source.SourceRecord"
        ))
    })
}

impl Transformation for InsertField {
    fn config_def(&self) -> ConfigDef {
        let field = |name: &str, doc: &str| {
            ConfigKey::new(name, ConfigType::String)
                .importance(Importance::Medium)
                .doc(format!("{doc} {OPTIONALITY_DOC}"))
        };
        ConfigDef::new()
            .define(field(TOPIC_FIELD, "Field name for Kafka topic."))
            .define(field(PARTITION_FIELD, "Field name for Kafka partition."))
            .define(field(
                OFFSET_FIELD,
                "Field name for Kafka offset - only applicable to sink connectors.<br/>",
            ))
            .define(field(TIMESTAMP_FIELD, "Field name for record timestamp."))
            .define(field(STATIC_FIELD, "Field name for static data field."))
            .define(
                ConfigKey::new(STATIC_VALUE, ConfigType::String)
                    .importance(Importance::Medium)
                    .doc("Static field value, if field name configured."),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.topic = InsertionSpec::parse(c.string(TOPIC_FIELD));
        self.partition = InsertionSpec::parse(c.string(PARTITION_FIELD));
        self.offset = InsertionSpec::parse(c.string(OFFSET_FIELD));
        self.timestamp = InsertionSpec::parse(c.string(TIMESTAMP_FIELD));
        self.static_field = InsertionSpec::parse(c.string(STATIC_FIELD));
        self.static_value = c.string(STATIC_VALUE).map(str::to_string);
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        if self.specs().iter().all(|(spec, _)| spec.is_none()) {
            return Err(
                ConfigError::new(TOPIC_FIELD, None, "No field insertion configured").into(),
            );
        }
        if let (Some(field), None) = (&self.static_field, &self.static_value) {
            return Err(ConfigError::new(
                STATIC_VALUE,
                None,
                format!("No value specified for static field: {}", field.name),
            )
            .into());
        }
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        if value.is_null() {
            return Ok(Outcome::Keep);
        }
        let updated_schema = match schema {
            None => {
                require_map(value, PURPOSE)?;
                None
            }
            Some(schema) => {
                let s = require_struct(Some(schema), value, PURPOSE)?;
                let mut cache = std::mem::take(&mut self.cache);
                let updated = cache.get_or_derive(s.schema(), |s| self.updated_schema(s));
                self.cache = cache;
                Some(updated?)
            }
        };
        // Kafka's order: topic, partition, offset, timestamp, static.
        let offset = match self.offset {
            Some(_) => Some(require_sink_offset(&*record)?),
            None => None,
        };
        let timestamp = record.timestamp();
        let inserted = [
            self.topic
                .as_ref()
                .map(|s| (s, Some(Value::String(record.topic().to_string())))),
            self.partition
                .as_ref()
                .map(|s| (s, record.kafka_partition().map(Value::Int32))),
            self.offset.as_ref().map(|s| (s, offset.map(Value::Int64))),
            self.timestamp
                .as_ref()
                .map(|s| (s, timestamp.map(Value::Int64))),
            self.static_field
                .as_ref()
                .map(|s| (s, self.static_value.clone().map(Value::String))),
        ];
        let (_, value) = record.take(self.side);
        let updated = match (value, updated_schema.clone()) {
            (Value::Map(mut entries), None) => {
                for (spec, v) in inserted.into_iter().flatten() {
                    if let Some(v) = v {
                        map_put(&mut entries, &spec.name, v);
                    }
                }
                Value::Map(entries)
            }
            (Value::Struct(s), Some(updated)) => {
                let fields = s.schema().fields.clone();
                let mut values: Vec<Value> = s
                    .into_values()
                    .into_iter()
                    .zip(&fields)
                    .map(|(v, f)| match &f.schema.default {
                        Some(d) if self.replace_null_with_default && v.is_null() => d.clone(),
                        _ => v,
                    })
                    .collect();
                values.extend(
                    inserted
                        .into_iter()
                        .flatten()
                        .map(|(_, v)| v.unwrap_or_default()),
                );
                Value::Struct(Struct::from_values(updated, values)?)
            }
            (other, _) => other,
        };
        record.set(self.side, updated_schema, updated);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sink_record;
    use crate::test_values::{configure, data_message, map, SIDES};
    use ferry_api::{SchemaBuilder, SourceRecord};

    const ALL: [(&str, &str); 5] = [
        (TOPIC_FIELD, "topic_field!"),
        (PARTITION_FIELD, "partition_field"),
        (TIMESTAMP_FIELD, "timestamp_field?"),
        (STATIC_FIELD, "instance_id"),
        (STATIC_VALUE, "my-instance-id"),
    ];

    fn source(side: KeyOrValue, schema: Option<SchemaRef>, value: Value) -> SourceRecord {
        let mut r = SourceRecord::new(
            Default::default(),
            Default::default(),
            "test",
            None,
            Value::Null,
        );
        r.partition = Some(0);
        r.set(side, schema, value);
        r
    }

    fn simple_schema(magic: SchemaRef) -> SchemaRef {
        SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .field("magic", magic)
            .build()
    }

    // Kafka's InsertFieldTest, on keys and values.
    #[test]
    fn top_level_struct_required() {
        for side in SIDES {
            let mut t = configure(InsertField::new(side), &[(TOPIC_FIELD, "topic_field")]);
            let mut r = source(side, Some(Schema::int32()), 42.into());
            assert_eq!(
                data_message(t.apply(&mut r)),
                "Only Struct objects supported for [field insertion], found: java.lang.Integer"
            );
        }
    }

    #[test]
    fn copy_schema_and_insert_configured_fields() {
        for side in SIDES {
            let mut t = configure(InsertField::new(side), &ALL);
            let schema = simple_schema(Schema::optional_int64());
            let value = Struct::new(schema.clone()).with("magic", 42i64);
            let mut r = source(side, Some(schema.clone()), value.into());
            r.timestamp = Some(789);
            t.apply(&mut r).unwrap();
            let (out_schema, out) = r.part(side);
            let out_schema = out_schema.unwrap().clone();
            assert_eq!(out_schema.name.as_deref(), Some("name"));
            assert_eq!(out_schema.version, Some(1));
            assert_eq!(out_schema.doc.as_deref(), Some("doc"));
            let field = |n: &str| out_schema.field(n).unwrap().schema.clone();
            assert_eq!(field("magic"), Schema::optional_int64());
            assert_eq!(out.get("magic"), Some(&Value::Int64(42)));
            assert_eq!(field("topic_field"), Schema::string());
            assert_eq!(out.get("topic_field"), Some(&Value::from("test")));
            assert_eq!(field("partition_field"), Schema::optional_int32());
            assert_eq!(out.get("partition_field"), Some(&Value::Int32(0)));
            assert_eq!(
                field("timestamp_field"),
                logical::timestamp().optional().build()
            );
            assert_eq!(out.get("timestamp_field"), Some(&Value::Int64(789)));
            assert_eq!(field("instance_id"), Schema::optional_string());
            assert_eq!(out.get("instance_id"), Some(&Value::from("my-instance-id")));

            // Caching.
            let mut r2 = source(side, Some(schema.clone()), Struct::new(schema).into());
            r2.partition = Some(1);
            t.apply(&mut r2).unwrap();
            assert!(SchemaRef::ptr_eq(&out_schema, r2.part(side).0.unwrap()));
        }
    }

    #[test]
    fn schemaless_insert_configured_fields() {
        for side in SIDES {
            let mut t = configure(InsertField::new(side), &ALL);
            let mut r = source(side, None, map(vec![("magic", 42i64.into())]));
            r.timestamp = Some(123);
            t.apply(&mut r).unwrap();
            let expected = map(vec![
                ("magic", 42i64.into()),
                ("topic_field", "test".into()),
                ("partition_field", 0.into()),
                ("timestamp_field", 123i64.into()),
                ("instance_id", "my-instance-id".into()),
            ]);
            assert_eq!(r.part(side), (None, &expected));
        }
    }

    #[test]
    fn tombstones_pass_unchanged() {
        for side in SIDES {
            let mut t = configure(InsertField::new(side), &ALL);
            let mut r = source(side, None, Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (None, &Value::Null));

            let schema = simple_schema(Schema::optional_int64());
            let mut r = source(side, Some(schema.clone()), Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (Some(&schema), &Value::Null));
        }
    }

    #[test]
    fn key_fields_are_inserted_into_a_tombstone_and_a_null_key_is_left() {
        let mut t = configure(InsertField::new(KeyOrValue::Key), &ALL);
        let mut r = source(KeyOrValue::Key, None, map(vec![("magic", 42i64.into())]));
        t.apply(&mut r).unwrap();
        let expected = map(vec![
            ("magic", 42i64.into()),
            ("topic_field", "test".into()),
            ("partition_field", 0.into()),
            ("instance_id", "my-instance-id".into()),
        ]);
        assert_eq!(r.key, expected, "no timestamp, no timestamp_field");
        assert_eq!(r.value, Value::Null);

        let mut r = source(KeyOrValue::Value, None, map(vec![("magic", 42i64.into())]));
        let before = r.clone();
        t.apply(&mut r).unwrap();
        assert_eq!(r, before);
    }

    #[test]
    fn an_unset_optional_field_is_copied_as_its_default_unless_told_not_to() {
        for (replace, expected) in [("false", Value::Null), ("true", Value::Int64(42))] {
            let mut pairs = ALL.to_vec();
            pairs.push((REPLACE_NULL_WITH_DEFAULT, replace));
            let mut t = configure(InsertField::new(KeyOrValue::Value), &pairs);
            let magic = SchemaBuilder::new(ferry_api::SchemaType::Int64)
                .optional()
                .default_value(Value::Int64(42))
                .build();
            let schema = SchemaBuilder::struct_()
                .name("name")
                .version(1)
                .doc("doc")
                .field("magic_with_default", magic.clone())
                .build();
            let mut r = source(
                KeyOrValue::Value,
                Some(schema.clone()),
                Struct::new(schema).into(),
            );
            r.timestamp = Some(789);
            t.apply(&mut r).unwrap();
            let out_schema = r.value_schema.clone().unwrap();
            assert_eq!(out_schema.name.as_deref(), Some("name"));
            assert_eq!(
                out_schema.field("magic_with_default").unwrap().schema,
                magic
            );
            assert_eq!(r.value.get("magic_with_default"), Some(&expected));
        }
    }

    // Beyond Kafka's cases.
    #[test]
    fn a_sink_record_offset_is_inserted_and_a_source_record_has_none() {
        let mut t = configure(
            InsertField::new(KeyOrValue::Value),
            &[(OFFSET_FIELD, "off!")],
        );
        let mut r = sink_record("t", None, map(vec![]));
        r.offset = 17;
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![("off", 17i64.into())]));

        let schema = SchemaBuilder::struct_().build();
        let mut r = sink_record("t", Some(schema.clone()), Struct::new(schema).into());
        r.offset = 18;
        t.apply(&mut r).unwrap();
        assert_eq!(
            r.value_schema.unwrap().field("off").unwrap().schema,
            Schema::int64()
        );
        assert_eq!(r.value.get("off"), Some(&Value::Int64(18)));

        let mut r = source(KeyOrValue::Value, None, map(vec![]));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only SinkRecord supported for [field insertion], found: \
             org.apache.kafka.connect.source.SourceRecord"
        );
        assert_eq!(r.value, map(vec![]), "left as it was");
    }

    #[test]
    fn a_missing_partition_or_timestamp_leaves_the_field_null() {
        let mut t = configure(
            InsertField::new(KeyOrValue::Value),
            &[(PARTITION_FIELD, "p"), (TIMESTAMP_FIELD, "ts")],
        );
        let schema = SchemaBuilder::struct_().build();
        let mut r = source(
            KeyOrValue::Value,
            Some(schema.clone()),
            Struct::new(schema).into(),
        );
        r.partition = None;
        t.apply(&mut r).unwrap();
        assert_eq!(r.value.get("p"), Some(&Value::Null));
        assert_eq!(r.value.get("ts"), Some(&Value::Null));
        let mut r = source(KeyOrValue::Value, None, map(vec![]));
        r.partition = None;
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![]));
    }

    #[test]
    fn an_existing_field_name_is_refused_with_a_schema_and_replaced_without() {
        let mut t = configure(
            InsertField::new(KeyOrValue::Value),
            &[(TOPIC_FIELD, "magic")],
        );
        let schema = simple_schema(Schema::int64());
        let mut r = source(
            KeyOrValue::Value,
            Some(schema.clone()),
            Struct::new(schema).with("magic", 1i64).into(),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Cannot create field because of field name duplication magic"
        );
        let mut r = source(KeyOrValue::Value, None, map(vec![("magic", 1i64.into())]));
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![("magic", "test".into())]));
    }

    #[test]
    fn nothing_to_insert_and_a_static_field_without_value_are_refused() {
        let errors = InsertField::new(KeyOrValue::Value)
            .configure(&PropertyMap::new())
            .unwrap_err();
        assert_eq!(errors.0[0].reason, "No field insertion configured");
        let errors = InsertField::new(KeyOrValue::Value)
            .configure(&ferry_api::property_map([(STATIC_FIELD, "s")]))
            .unwrap_err();
        assert_eq!(errors.0[0].key, STATIC_VALUE);
        assert_eq!(errors.0[0].reason, "No value specified for static field: s");
    }
}
