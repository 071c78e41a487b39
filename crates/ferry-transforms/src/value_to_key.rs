//! `org.apache.kafka.connect.transforms.ValueToKey`: replaces the key with
//! a struct (or schemaless map) of some of the value's fields (`fields`).
//! The value stays as it is; a null value is an error, as in Kafka.

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef, Struct, Transformation,
    Value,
};

use crate::config::non_empty_list;
use crate::config::replace_null_with_default_key;
use crate::requirements::{require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{field_value, map_get, struct_with_fields};
use crate::TransformError;

/// Key: the value fields that form the key.
pub const FIELDS: &str = "fields";
/// Key: whether null fields with a default are copied as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "copying fields from value to key";

/// The transform (configure before use).
#[derive(Debug)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Default for ValueToKey {
    fn default() -> Self {
        ValueToKey {
            fields: Vec::new(),
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }
}

impl ValueToKey {
    /// The key schema for a value schema: the named fields, in `fields`
    /// order.
    fn key_schema(&self, value_schema: &Schema) -> Result<SchemaRef, TransformError> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for name in &self.fields {
            let field = value_schema
                .field(name)
                .ok_or_else(|| TransformError::Data(format!("Field does not exist: {name}")))?;
            fields.push((name.as_str(), field.schema.clone()));
        }
        struct_with_fields(SchemaBuilder::struct_(), fields)
    }
}

impl Transformation for ValueToKey {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(FIELDS, ConfigType::List)
                    .required()
                    .validator(non_empty_list())
                    .importance(Importance::High)
                    .doc("Field names on the record value to extract as the record key."),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.fields = c.list(FIELDS).to_vec();
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.value();
        let (key_schema, key) = match schema {
            None => {
                let entries = require_map(value, PURPOSE)?;
                let key = self
                    .fields
                    .iter()
                    .map(|f| {
                        let v = map_get(entries, f).cloned().unwrap_or_default();
                        (Value::String(f.clone()), v)
                    })
                    .collect();
                (None, Value::Map(key))
            }
            Some(schema) => {
                let value = require_struct(Some(schema), value, PURPOSE)?;
                let mut cache = std::mem::take(&mut self.cache);
                let key_schema = cache.get_or_derive(value.schema(), |s| self.key_schema(s));
                self.cache = cache;
                let key_schema = key_schema?;
                let values = self
                    .fields
                    .iter()
                    .map(|name| {
                        let field = value.schema().field(name).expect("checked by key_schema");
                        field_value(value, field, self.replace_null_with_default).clone()
                    })
                    .collect();
                let key = Struct::from_values(key_schema.clone(), values)?;
                (Some(key_schema), Value::Struct(key))
            }
        };
        record.set(KeyOrValue::Key, key_schema, key);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, sink_record};
    use crate::test_values::{data_message, map};
    use ferry_api::SchemaType;

    // Kafka's ValueToKeyTest.
    #[test]
    fn schemaless() {
        let mut t: ValueToKey = configured(&[(FIELDS, "a,b")]);
        let value = map(vec![("a", 1.into()), ("b", 2.into()), ("c", 3.into())]);
        let mut r = sink_record("", None, value.clone());
        t.apply(&mut r).unwrap();
        assert_eq!(r.key_schema, None);
        assert_eq!(r.key, map(vec![("a", 1.into()), ("b", 2.into())]));
        assert_eq!(r.value, value);
    }

    #[test]
    fn with_schema() {
        let mut t: ValueToKey = configured(&[(FIELDS, "a,b")]);
        let value_schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::int32())
            .field("c", Schema::int32())
            .build();
        let value = Struct::new(value_schema.clone())
            .with("a", 1)
            .with("b", 2)
            .with("c", 3);
        let mut r = sink_record("", Some(value_schema), value.into());
        t.apply(&mut r).unwrap();
        let expected_schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::int32())
            .build();
        let expected = Struct::new(expected_schema.clone())
            .with("a", 1)
            .with("b", 2);
        assert_eq!(r.key_schema, Some(expected_schema));
        assert_eq!(r.key, Value::Struct(expected));
    }

    #[test]
    fn non_existing_field() {
        let mut t: ValueToKey = configured(&[(FIELDS, "not_exist")]);
        let value_schema = SchemaBuilder::struct_().field("a", Schema::int32()).build();
        let value = Struct::new(value_schema.clone()).with("a", 1);
        let mut r = sink_record("", Some(value_schema), value.into());
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Field does not exist: not_exist"
        );
    }

    #[test]
    fn replace_null_with_default() {
        for (replace, expected) in [("false", Value::Null), ("true", Value::Int32(42))] {
            let mut t: ValueToKey = configured(&[
                (FIELDS, "optional_with_default"),
                (REPLACE_NULL_WITH_DEFAULT, replace),
            ]);
            let field = SchemaBuilder::new(SchemaType::Int32)
                .optional()
                .default_value(42.into())
                .build();
            let value_schema = SchemaBuilder::struct_()
                .field("optional_with_default", field)
                .build();
            let mut r = sink_record(
                "",
                Some(value_schema.clone()),
                Struct::new(value_schema).into(),
            );
            t.apply(&mut r).unwrap();
            assert_eq!(r.key.get("optional_with_default"), Some(&expected));
        }
    }

    // Beyond Kafka's cases.
    #[test]
    fn a_missing_schemaless_field_becomes_a_null_key_entry() {
        let mut t: ValueToKey = configured(&[(FIELDS, "b,a")]);
        let mut r = sink_record("", None, map(vec![("a", 1.into())]));
        t.apply(&mut r).unwrap();
        assert_eq!(r.key, map(vec![("b", Value::Null), ("a", 1.into())]));
    }

    #[test]
    fn a_null_value_is_an_error() {
        let mut t: ValueToKey = configured(&[(FIELDS, "a")]);
        let mut r = sink_record("", None, Value::Null);
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [copying fields from value to \
             key], found: null"
        );
        let mut r = sink_record("", Some(Schema::optional_string()), Value::Null);
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Struct objects supported for [copying fields from value to key], found: null"
        );
    }

    #[test]
    fn fields_must_be_a_non_empty_list() {
        for props in [vec![], vec![(FIELDS, "")]] {
            let errors = ValueToKey::default()
                .configure(&ferry_api::property_map(props))
                .unwrap_err();
            assert_eq!(errors.0[0].key, FIELDS);
        }
        let errors = ValueToKey::default()
            .configure(&ferry_api::property_map([(FIELDS, " , ")]))
            .unwrap_err();
        assert_eq!(errors.0[0].reason, "Empty list");
    }
}
