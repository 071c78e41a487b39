//! `org.apache.kafka.connect.transforms.HoistField$Key` / `$Value`: wraps
//! the key or value in a struct with one field `field` (schema'd data) or
//! a map with one entry (schemaless data).

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    KeyOrValue, Outcome, PropertyMap, SchemaBuilder, Struct, Transformation, Value,
};

use crate::schema_cache::SchemaCache;
use crate::schema_util::check_null_field;

/// Key: the name of the one field of the new struct or map.
pub const FIELD: &str = "field";

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct HoistField {
    side: KeyOrValue,
    field: String,
    cache: SchemaCache,
}

impl HoistField {
    /// `HoistField$Key` or `HoistField$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        HoistField {
            side,
            field: String::new(),
            cache: SchemaCache::default(),
        }
    }
}

impl Transformation for HoistField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(FIELD, ConfigType::String)
                .required()
                .importance(Importance::Medium)
                .doc(
                    "Field name for the single field that will be created in the resulting \
                     Struct or Map.",
                ),
        )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.field = c.string(FIELD).unwrap_or_default().to_string();
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        let updated_schema = match schema {
            None => None,
            Some(schema) => {
                let field = &self.field;
                let updated = self.cache.get_or_build(schema, |_| {
                    SchemaBuilder::struct_()
                        .field(field.clone(), schema.clone())
                        .build()
                });
                check_null_field(field, schema, value)?;
                Some(updated)
            }
        };
        let (_, value) = record.take(self.side);
        let hoisted = match &updated_schema {
            None => Value::Map(vec![(Value::String(self.field.clone()), value)]),
            Some(s) => Value::Struct(Struct::from_values(s.clone(), vec![value])?),
        };
        record.set(self.side, updated_schema, hoisted);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with, SIDES};
    use ferry_api::{Schema, SchemaType};

    // Kafka's HoistFieldTest, on keys and values.
    #[test]
    fn schemaless() {
        for side in SIDES {
            let mut t = configure(HoistField::new(side), &[(FIELD, "magic")]);
            let mut r = record_with(side, None, 42.into());
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (None, &map(vec![("magic", 42.into())])));
        }
    }

    #[test]
    fn with_schema() {
        for side in SIDES {
            let mut t = configure(HoistField::new(side), &[(FIELD, "magic")]);
            let mut r = record_with(side, Some(Schema::int32()), 42.into());
            t.apply(&mut r).unwrap();
            let (schema, value) = r.part(side);
            let schema = schema.unwrap();
            assert_eq!(schema.schema_type, SchemaType::Struct);
            assert_eq!(schema.field("magic").unwrap().schema, Schema::int32());
            assert_eq!(value.get("magic"), Some(&Value::Int32(42)));
        }
    }

    // Beyond Kafka's cases.
    #[test]
    fn a_null_is_hoisted_where_the_schema_allows_it() {
        for side in SIDES {
            let mut t = configure(HoistField::new(side), &[(FIELD, "magic")]);
            let mut r = record_with(side, None, Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side).1, &map(vec![("magic", Value::Null)]));

            let mut r = record_with(side, Some(Schema::optional_int32()), Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side).1.get("magic"), Some(&Value::Null));

            let mut r = record_with(side, Some(Schema::int32()), Value::Null);
            assert_eq!(
                data_message(t.apply(&mut r)),
                "Invalid value: null used for required field: \"magic\", schema type: INT32"
            );
        }
    }

    #[test]
    fn one_schema_is_derived_per_input_schema() {
        let mut t = configure(HoistField::new(KeyOrValue::Value), &[(FIELD, "f")]);
        let input = Schema::string();
        let mut out = Vec::new();
        for v in ["a", "b"] {
            let mut r = record_with(KeyOrValue::Value, Some(input.clone()), v.into());
            t.apply(&mut r).unwrap();
            out.push(r.value_schema.unwrap());
        }
        assert!(std::sync::Arc::ptr_eq(&out[0], &out[1]));
    }
}
