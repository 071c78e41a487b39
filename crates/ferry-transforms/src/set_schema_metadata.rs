//! `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key` / `$Value`:
//! sets the name, the version or both of the key's or value's schema. A
//! struct is rebuilt on the renamed schema; with
//! `replace.null.with.default` (the default) its null fields that have a
//! default take it, as Kafka's `Struct.get`.
//!
//! Kafka fails on any schema that is not a STRUCT (`Cannot list fields on
//! non-struct type`); Ferry renames those too. A renamed Decimal schema no
//! longer says Decimal, so its value becomes the unscaled bytes the schema
//! now describes.

use ferry_api::data::logical;
use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult,
    Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaRef, Struct, Transformation, Value,
};

use crate::config::replace_null_with_default_key;
use crate::requirements::require_schema;
use crate::schema_cache::SchemaCache;
use crate::schema_util::field_value;

/// Key: the schema name to set.
pub const SCHEMA_NAME: &str = "schema.name";
/// Key: the schema version to set.
pub const SCHEMA_VERSION: &str = "schema.version";
/// Key: whether null struct fields with a default take the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "updating schema metadata";

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: KeyOrValue,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl SetSchemaMetadata {
    /// The transform for the key (`$Key`) or the value (`$Value`).
    pub fn new(side: KeyOrValue) -> Self {
        SetSchemaMetadata {
            side,
            name: None,
            version: None,
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }
}

/// The schema with the configured name and version, all else kept.
fn renamed(schema: &Schema, name: Option<&str>, version: Option<i32>) -> SchemaRef {
    let mut renamed = schema.clone();
    if let Some(name) = name {
        renamed.name = Some(name.to_string());
    }
    if let Some(version) = version {
        renamed.version = Some(version);
    }
    SchemaRef::new(renamed)
}

impl Transformation for SetSchemaMetadata {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(SCHEMA_NAME, ConfigType::String)
                    .importance(Importance::High)
                    .doc("Schema name to set."),
            )
            .define(
                ConfigKey::new(SCHEMA_VERSION, ConfigType::Int)
                    .importance(Importance::High)
                    .doc("Schema version to set."),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let name = c.string(SCHEMA_NAME).map(str::to_string);
        let version = c.int(SCHEMA_VERSION);
        if name.is_none() && version.is_none() {
            return Err(ConfigError::new(
                SCHEMA_NAME,
                None,
                "Neither schema name nor version configured",
            )
            .into());
        }
        *self = SetSchemaMetadata {
            side: self.side,
            name,
            version,
            replace_null_with_default: c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
            cache: SchemaCache::default(),
        };
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        if schema.is_none() && value.is_null() {
            return Ok(Outcome::Keep);
        }
        let schema = require_schema(schema, PURPOSE)?.clone();
        let (name, version) = (self.name.as_deref(), self.version);
        let updated = self
            .cache
            .get_or_derive(&schema, |s| {
                Ok::<_, std::convert::Infallible>(renamed(s, name, version))
            })
            .unwrap_or_else(|never| match never {});
        let (_, value) = record.take(self.side);
        let value = match value {
            Value::Struct(s) => {
                let values = updated
                    .fields
                    .iter()
                    .map(|f| field_value(&s, f, self.replace_null_with_default).clone())
                    .collect();
                Value::Struct(Struct::from_values(updated.clone(), values)?)
            }
            Value::Decimal(d) if !updated.is_logical(logical::DECIMAL) => {
                Value::Bytes(d.unscaled_bytes().into())
            }
            other => other,
        };
        record.set(self.side, Some(updated), value);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, record_with, refused_keys, SIDES};
    use ferry_api::{Decimal, SchemaBuilder, SchemaType};

    fn xform(side: KeyOrValue, pairs: &[(&str, &str)]) -> SetSchemaMetadata {
        configure(SetSchemaMetadata::new(side), pairs)
    }

    fn f1_f2_schema(f1: SchemaRef) -> SchemaRef {
        SchemaBuilder::struct_()
            .name("my.orig.SchemaDefn")
            .field("f1", f1)
            .field("f2", Schema::int32())
            .build()
    }

    // Kafka's schemaNameUpdate, schemaVersionUpdate, schemaNameAndVersionUpdate.
    #[test]
    fn name_version_or_both_are_set_on_either_side() {
        for side in SIDES {
            for (pairs, name, version) in [
                (&[(SCHEMA_NAME, "foo")][..], Some("foo"), None),
                (&[(SCHEMA_VERSION, "42")][..], None, Some(42)),
                (
                    &[(SCHEMA_NAME, "foo"), (SCHEMA_VERSION, "42")][..],
                    Some("foo"),
                    Some(42),
                ),
            ] {
                let mut t = xform(side, pairs);
                let mut r = record_with(side, Some(SchemaBuilder::struct_().build()), Value::Null);
                t.apply(&mut r).unwrap();
                let schema = r.part(side).0.unwrap();
                assert_eq!(schema.name.as_deref(), name);
                assert_eq!(schema.version, version);
                assert_eq!(r.part(side).1, &Value::Null);
            }
        }
    }

    // Kafka's schemaNameAndVersionUpdateWithStruct and updateSchemaOfStruct.
    #[test]
    fn a_struct_is_rebuilt_on_the_renamed_schema() {
        let schema = f1_f2_schema(Schema::string());
        let value = Struct::new(schema.clone())
            .with("f1", "value1")
            .with("f2", 1);
        let mut t = xform(
            KeyOrValue::Value,
            &[(SCHEMA_NAME, "foo"), (SCHEMA_VERSION, "42")],
        );
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let updated = r.value_schema.clone().unwrap();
        assert_eq!(updated.name.as_deref(), Some("foo"));
        assert_eq!(updated.version, Some(42));
        let s = r.value.as_struct().unwrap();
        assert!(SchemaRef::ptr_eq(s.schema(), &updated));
        assert_eq!(s.get("f1"), Some(&Value::from("value1")));
        assert_eq!(s.get("f2"), Some(&Value::Int32(1)));
        assert_eq!(updated.fields[1].index, 1);
    }

    // Kafka's schemaNameAndVersionUpdateWithStructAndNullField (both ways).
    #[test]
    fn null_fields_take_their_default_unless_told_not_to() {
        let f1 = SchemaBuilder::new(SchemaType::String)
            .optional()
            .default_value(Value::from("default"))
            .build();
        for (replace, expected) in [("false", Value::Null), ("true", Value::from("default"))] {
            let schema = f1_f2_schema(f1.clone());
            let value = Struct::new(schema.clone()).with("f2", 1);
            let mut t = xform(
                KeyOrValue::Value,
                &[
                    (SCHEMA_NAME, "foo"),
                    (SCHEMA_VERSION, "42"),
                    (REPLACE_NULL_WITH_DEFAULT, replace),
                ],
            );
            let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
            t.apply(&mut r).unwrap();
            let s = r.value.as_struct().unwrap();
            assert_eq!(s.schema().name.as_deref(), Some("foo"));
            assert_eq!(
                s.get("f1"),
                Some(&expected),
                "replace.null.with.default={replace}"
            );
        }
    }

    // Kafka's valueSchemaRequired and ignoreRecordWithNullValue.
    #[test]
    fn a_schema_is_required_unless_the_side_is_null() {
        for side in SIDES {
            let mut t = xform(side, &[(SCHEMA_NAME, "foo")]);
            let mut r = record_with(side, None, Value::Int32(42));
            assert_eq!(
                data_message(t.apply(&mut r)),
                "Schema required for [updating schema metadata]"
            );
            let mut r = record_with(side, None, Value::Null);
            assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
            assert_eq!(r.part(side), (None, &Value::Null));
        }
    }

    // Kafka's updateSchemaOfNonStruct: a non-struct value stays as it is.
    #[test]
    fn primitive_and_container_schemas_are_renamed_too() {
        let mut t = xform(
            KeyOrValue::Key,
            &[(SCHEMA_NAME, "id"), (SCHEMA_VERSION, "2")],
        );
        let mut r = record_with(KeyOrValue::Key, Some(Schema::int32()), Value::Int32(1));
        t.apply(&mut r).unwrap();
        let schema = r.key_schema.clone().unwrap();
        assert_eq!(
            (schema.name.as_deref(), schema.version),
            (Some("id"), Some(2))
        );
        assert_eq!(schema.schema_type, SchemaType::Int32);
        assert_eq!(r.key, Value::Int32(1));

        let map_schema = SchemaBuilder::map(Schema::string(), Schema::int64())
            .optional()
            .build();
        let mut r = record_with(
            KeyOrValue::Key,
            Some(map_schema.clone()),
            Value::Map(vec![]),
        );
        t.apply(&mut r).unwrap();
        let schema = r.key_schema.clone().unwrap();
        assert_eq!(schema.key_schema, map_schema.key_schema);
        assert_eq!(schema.value_schema, map_schema.value_schema);
        assert!(schema.optional);
    }

    #[test]
    fn a_decimal_renamed_away_from_decimal_becomes_its_unscaled_bytes() {
        let mut t = xform(KeyOrValue::Value, &[(SCHEMA_NAME, "com.example.Amount")]);
        let decimal = logical::decimal(2).build();
        let mut r = record_with(
            KeyOrValue::Value,
            Some(decimal),
            Value::Decimal(Decimal::new(12345, 2)),
        );
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, Value::Bytes(vec![0x30, 0x39].into()));
        assert_eq!(
            r.value_schema.as_ref().unwrap().parameter("scale"),
            Some("2")
        );

        let mut t = xform(KeyOrValue::Value, &[(SCHEMA_VERSION, "7")]);
        let decimal = logical::decimal(2).build();
        let mut r = record_with(
            KeyOrValue::Value,
            Some(decimal),
            Value::Decimal(Decimal::new(1, 2)),
        );
        t.apply(&mut r).unwrap();
        assert_eq!(
            r.value,
            Value::Decimal(Decimal::new(1, 2)),
            "still a Decimal"
        );
    }

    #[test]
    fn neither_name_nor_version_is_refused() {
        assert_eq!(
            refused_keys(SetSchemaMetadata::new(KeyOrValue::Value), &[]),
            [SCHEMA_NAME]
        );
        assert_eq!(
            refused_keys(
                SetSchemaMetadata::new(KeyOrValue::Value),
                &[(SCHEMA_VERSION, "x")]
            ),
            [SCHEMA_VERSION]
        );
    }

    #[test]
    fn one_derived_schema_per_input_schema() {
        let mut t = xform(KeyOrValue::Value, &[(SCHEMA_NAME, "foo")]);
        let schema = f1_f2_schema(Schema::string());
        let mut first = None;
        for _ in 0..2 {
            let value = Struct::new(schema.clone()).with("f1", "a").with("f2", 1);
            let mut r = record_with(
                KeyOrValue::Value,
                Some(schema.clone()),
                Value::Struct(value),
            );
            t.apply(&mut r).unwrap();
            let updated = r.value_schema.unwrap();
            match &first {
                None => first = Some(updated),
                Some(f) => assert!(SchemaRef::ptr_eq(f, &updated)),
            }
        }
    }
}
