//! `org.apache.kafka.connect.transforms.ExtractField$Key` / `$Value`:
//! replaces the key or value with one of its fields — a struct field (the
//! new schema is the field's) or a schemaless map entry (no schema).
//! Nulls pass through; with `field.syntax.version=V2`, `field` may name a
//! nested field (`a.b`).

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult,
    Importance, KeyOrValue, Outcome, PropertyMap, Transformation, Value,
};

use crate::config::replace_null_with_default_key;
use crate::field_path::{take_at, FieldSyntaxVersion, Found, SingleFieldPath};
use crate::requirements::{require_map_or_null, require_struct_or_null};
use crate::TransformError;

/// Key: the field to extract.
pub const FIELD: &str = "field";
/// Key: whether a null field with a default extracts as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "field extraction";

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct ExtractField {
    side: KeyOrValue,
    original_path: String,
    path: Option<SingleFieldPath>,
    replace_null_with_default: bool,
}

impl ExtractField {
    /// `ExtractField$Key` or `ExtractField$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        ExtractField {
            side,
            original_path: String::new(),
            path: None,
            replace_null_with_default: true,
        }
    }
}

/// What the side becomes, decided before it is taken out of the record.
enum Extracted {
    Null,
    /// Moved out of the side at these indices.
    At(Vec<usize>),
    /// A schema default, cloned.
    Owned(Value),
}

impl From<Option<Found<'_>>> for Extracted {
    fn from(found: Option<Found<'_>>) -> Self {
        match found {
            None => Extracted::Null,
            Some(Found {
                path: Some(path), ..
            }) => Extracted::At(path),
            Some(Found { value, path: None }) => Extracted::Owned(value.clone()),
        }
    }
}

impl Transformation for ExtractField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(FIELD, ConfigType::String)
                    .required()
                    .importance(Importance::Medium)
                    .doc("Field name to extract."),
            )
            .define(replace_null_with_default_key())
            .define(FieldSyntaxVersion::config_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let original = c.string(FIELD).unwrap_or_default().to_string();
        let path = SingleFieldPath::parse(&original, FieldSyntaxVersion::from_config(&c))
            .map_err(|reason| ConfigError::new(FIELD, Some(&original), reason))?;
        self.original_path = original;
        self.path = Some(path);
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let path = self.path.as_ref().expect("ExtractField is configured");
        let (schema, value) = record.part(self.side);
        let (new_schema, extracted) = match schema {
            None => match require_map_or_null(value, PURPOSE)? {
                None => (None, Extracted::Null),
                Some(map) => (None, path.value_from_map(map)?.into()),
            },
            Some(schema) => {
                let value = require_struct_or_null(Some(schema), value, PURPOSE)?;
                let field = path.field_from(schema).ok_or_else(|| {
                    TransformError::Data(format!("Unknown field: {}", self.original_path))
                })?;
                let extracted = match value {
                    None => Extracted::Null,
                    Some(s) => path
                        .value_from_struct(s, self.replace_null_with_default)?
                        .into(),
                };
                (Some(field.schema.clone()), extracted)
            }
        };
        let new_value = match extracted {
            Extracted::Null => Value::Null,
            Extracted::Owned(v) => v,
            Extracted::At(indices) => take_at(record.take(self.side).1, &indices),
        };
        record.set(self.side, new_schema, new_value);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_path::FIELD_SYNTAX_VERSION;
    use crate::test_values::{configure, data_message, map, record_with, SIDES};
    use ferry_api::{Schema, SchemaBuilder, SchemaRef, Struct};

    fn extract(
        side: KeyOrValue,
        pairs: &[(&str, &str)],
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let mut t = configure(ExtractField::new(side), pairs);
        let mut r = record_with(side, schema, value);
        assert_eq!(t.apply(&mut r)?, Outcome::Keep);
        let (s, v) = r.part(side);
        Ok((s.cloned(), v.clone()))
    }

    const V2: (&str, &str) = (FIELD_SYNTAX_VERSION, "V2");

    // Kafka's ExtractFieldTest, on keys and values.
    #[test]
    fn schemaless() {
        for side in SIDES {
            let out = extract(
                side,
                &[(FIELD, "magic")],
                None,
                map(vec![("magic", 42.into())]),
            );
            assert_eq!(out.unwrap(), (None, Value::Int32(42)));
        }
    }

    #[test]
    fn schemaless_and_nested_path() {
        for side in SIDES {
            let key = map(vec![("magic", map(vec![("foo", 42.into())]))]);
            let out = extract(side, &[(FIELD, "magic.foo"), V2], None, key);
            assert_eq!(out.unwrap(), (None, Value::Int32(42)));
        }
    }

    #[test]
    fn null_schemaless() {
        for side in SIDES {
            let out = extract(side, &[(FIELD, "magic")], None, Value::Null);
            assert_eq!(out.unwrap(), (None, Value::Null));
        }
    }

    #[test]
    fn with_schema() {
        for side in SIDES {
            let schema = SchemaBuilder::struct_()
                .field("magic", Schema::int32())
                .build();
            let key = Struct::new(schema.clone()).with("magic", 42);
            let out = extract(side, &[(FIELD, "magic")], Some(schema), key.into());
            assert_eq!(out.unwrap(), (Some(Schema::int32()), Value::Int32(42)));
        }
    }

    #[test]
    fn with_schema_and_nested_path() {
        for side in SIDES {
            let foo = SchemaBuilder::struct_()
                .field("foo", Schema::int32())
                .build();
            let schema = SchemaBuilder::struct_().field("magic", foo.clone()).build();
            let key = Struct::new(schema.clone()).with("magic", Struct::new(foo).with("foo", 42));
            let out = extract(side, &[(FIELD, "magic.foo"), V2], Some(schema), key.into());
            assert_eq!(out.unwrap(), (Some(Schema::int32()), Value::Int32(42)));
        }
    }

    #[test]
    fn null_with_schema() {
        for side in SIDES {
            let schema = SchemaBuilder::struct_()
                .field("magic", Schema::int32())
                .optional()
                .build();
            let out = extract(side, &[(FIELD, "magic")], Some(schema), Value::Null);
            assert_eq!(out.unwrap(), (Some(Schema::int32()), Value::Null));
        }
    }

    #[test]
    fn a_missing_schemaless_field_extracts_null() {
        for side in SIDES {
            let out = extract(
                side,
                &[(FIELD, "nonexistent")],
                None,
                map(vec![("magic", 42.into())]),
            );
            assert_eq!(out.unwrap(), (None, Value::Null));
            let key = map(vec![("magic", map(vec![("foo", 42.into())]))]);
            let out = extract(side, &[(FIELD, "magic.nonexistent"), V2], None, key);
            assert_eq!(out.unwrap(), (None, Value::Null));
        }
    }

    #[test]
    fn a_missing_schema_field_fails() {
        for side in SIDES {
            let schema = SchemaBuilder::struct_()
                .field("magic", Schema::int32())
                .build();
            let key = Struct::new(schema.clone()).with("magic", 42);
            let err = extract(side, &[(FIELD, "nonexistent")], Some(schema), key.into());
            assert_eq!(data_message(err), "Unknown field: nonexistent");

            let foo = SchemaBuilder::struct_()
                .field("foo", Schema::int32())
                .build();
            let schema = SchemaBuilder::struct_().field("magic", foo.clone()).build();
            let key = Struct::new(schema.clone()).with("magic", Struct::new(foo).with("foo", 42));
            let err = extract(
                side,
                &[(FIELD, "magic.nonexistent"), V2],
                Some(schema),
                key.into(),
            );
            assert_eq!(data_message(err), "Unknown field: magic.nonexistent");
        }
    }

    #[test]
    fn an_unset_optional_field_extracts_its_default_unless_told_not_to() {
        for side in SIDES {
            for (replace, expected) in [("false", Value::Null), ("true", Value::Int32(42))] {
                let field_schema = SchemaBuilder::new(ferry_api::SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(42))
                    .build();
                let schema = SchemaBuilder::struct_()
                    .field("optional_with_default", field_schema)
                    .build();
                let key = Struct::new(schema.clone());
                let out = extract(
                    side,
                    &[
                        (FIELD, "optional_with_default"),
                        (REPLACE_NULL_WITH_DEFAULT, replace),
                    ],
                    Some(schema),
                    key.into(),
                );
                assert_eq!(out.unwrap().1, expected);
            }
        }
    }

    // Beyond Kafka's cases.
    #[test]
    fn the_other_side_is_left_alone() {
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .build();
        let mut t = configure(ExtractField::new(KeyOrValue::Key), &[(FIELD, "id")]);
        let mut r = record_with(
            KeyOrValue::Key,
            Some(schema.clone()),
            Struct::new(schema).with("id", 7i64).into(),
        );
        r.value = "v".into();
        t.apply(&mut r).unwrap();
        assert_eq!(r.key, Value::Int64(7));
        assert_eq!(r.value, Value::from("v"));
        assert_eq!(r.value_schema, None);
    }

    #[test]
    fn a_wrong_shape_is_a_data_error() {
        let err = extract(KeyOrValue::Value, &[(FIELD, "f")], None, 1.into());
        assert_eq!(
            data_message(err),
            "Only Map objects supported in absence of schema for [field extraction], found: \
             java.lang.Integer"
        );
        let err = extract(
            KeyOrValue::Value,
            &[(FIELD, "f")],
            Some(Schema::string()),
            "x".into(),
        );
        assert_eq!(
            data_message(err),
            "Only Struct objects supported for [field extraction], found: java.lang.String"
        );
    }

    #[test]
    fn a_nested_default_struct_is_read_through() {
        let inner = SchemaBuilder::struct_().field("n", Schema::int32()).build();
        let inner_default = Struct::new(inner.clone()).with("n", 5);
        let inner_opt = SchemaBuilder::struct_()
            .field("n", Schema::int32())
            .optional()
            .default_value(inner_default.into())
            .build();
        let schema = SchemaBuilder::struct_().field("a", inner_opt).build();
        let out = extract(
            KeyOrValue::Value,
            &[(FIELD, "a.n"), V2],
            Some(schema.clone()),
            Struct::new(schema).into(),
        );
        assert_eq!(out.unwrap(), (Some(Schema::int32()), Value::Int32(5)));
    }

    #[test]
    fn config_errors_name_the_key() {
        let errors = ExtractField::new(KeyOrValue::Value)
            .configure(&ferry_api::property_map([(FIELD, "`a.b"), V2]))
            .unwrap_err();
        assert_eq!(errors.0[0].key, FIELD);
        let errors = ExtractField::new(KeyOrValue::Value)
            .configure(&PropertyMap::new())
            .unwrap_err();
        assert_eq!(errors.0[0].key, FIELD);
    }
}
