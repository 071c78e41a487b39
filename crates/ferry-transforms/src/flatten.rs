//! `org.apache.kafka.connect.transforms.Flatten$Key` / `$Value`: flattens
//! nested structs (with a schema) or nested maps (schemaless) into one
//! level, naming each field by its path joined with `delimiter` (`.`):
//! `{"a": {"b": 1}}` → `{"a.b": 1}`. Arrays and their contents stay as
//! they are. A field under an optional struct becomes optional, and takes
//! its default from the parent's default when it has none of its own.
//! Null values (tombstones) pass unchanged; so do null nested maps, as a
//! null field.

use std::collections::{HashMap, HashSet};

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct,
    Transformation, Value,
};

use crate::requirements::{java_class_name, require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, field_value};
use crate::TransformError;

/// Key: the text between the names of nested fields.
pub const DELIMITER: &str = "delimiter";

const PURPOSE: &str = "flattening";

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct Flatten {
    side: KeyOrValue,
    delimiter: String,
    cache: SchemaCache,
}

impl Flatten {
    /// The transform for the key (`$Key`) or the value (`$Value`).
    pub fn new(side: KeyOrValue) -> Self {
        Flatten {
            side,
            delimiter: ".".into(),
            cache: SchemaCache::default(),
        }
    }

    fn field_name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        entries: &[(Value, Value)],
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
        index: &mut HashMap<String, usize>,
    ) -> Result<(), TransformError> {
        for (key, value) in entries {
            let Value::String(key) = key else {
                return Err(TransformError::Data(format!(
                    "Flatten transformation needs string map keys, found: {}",
                    java_class_name(None, key)
                )));
            };
            let name = self.field_name(prefix, key);
            match value {
                Value::Map(nested) => self.flatten_map(nested, &name, out, index)?,
                Value::Struct(_) => {
                    return Err(TransformError::Data(format!(
                        "Flatten transformation does not support class {} for record without \
                         schemas (for field {name}).",
                        java_class_name(None, value)
                    )))
                }
                Value::Decimal(_) => {
                    return Err(TransformError::Data(format!(
                        "Flatten transformation was passed a value of type class {} which is not \
                         supported by Connect's data API",
                        java_class_name(None, value)
                    )))
                }
                _ => {
                    // Java's LinkedHashMap.put: a repeated name keeps its place.
                    match index.get(&name) {
                        Some(&i) => out[i].1 = value.clone(),
                        None => {
                            index.insert(name.clone(), out.len());
                            out.push((Value::String(name), value.clone()));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The flattened schema of a STRUCT schema.
    fn flattened_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        let default = schema.default.as_ref().and_then(Value::as_struct);
        let mut names = HashSet::new();
        let builder =
            self.flatten_schema(schema, "", builder, &mut names, schema.optional, default)?;
        Ok(builder.build())
    }

    /// Adds the flattened fields of `schema` to `builder`; `optional` and
    /// `parent_default` come from the enclosing structs.
    fn flatten_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        mut builder: SchemaBuilder,
        names: &mut HashSet<String>,
        optional: bool,
        parent_default: Option<&Struct>,
    ) -> Result<SchemaBuilder, TransformError> {
        for field in &schema.fields {
            let name = self.field_name(prefix, &field.name);
            let field_optional = optional || field.schema.optional;
            let default = match (&field.schema.default, parent_default) {
                (Some(d), _) => Some(d),
                (None, Some(parent)) => {
                    Some(&parent.values()[field.index]).filter(|v| !v.is_null())
                }
                (None, None) => None,
            };
            match field.schema.schema_type {
                SchemaType::Struct => {
                    let default = default.and_then(Value::as_struct);
                    builder = self.flatten_schema(
                        &field.schema,
                        &name,
                        builder,
                        names,
                        field_optional,
                        default,
                    )?;
                }
                SchemaType::Map => {
                    return Err(unsupported_with_schema(field.schema.schema_type, &name))
                }
                _ => {
                    if !names.insert(name.clone()) {
                        return Err(TransformError::Data(format!(
                            "Cannot create field because of field name duplication {name}"
                        )));
                    }
                    let mut leaf =
                        copy_schema_basics(&field.schema, primitive_builder(&field.schema));
                    if field_optional {
                        leaf = leaf.optional();
                    }
                    if let Some(d) = default {
                        leaf = leaf.default_value(d.clone());
                    }
                    builder = builder.field(name, leaf.build());
                }
            }
        }
        Ok(builder)
    }
}

/// A builder of the same type (and element schema, for arrays).
fn primitive_builder(schema: &Schema) -> SchemaBuilder {
    match (&schema.schema_type, &schema.value_schema) {
        (SchemaType::Array, Some(items)) => SchemaBuilder::array(items.clone()),
        (ty, _) => SchemaBuilder::new(*ty),
    }
}

fn unsupported_with_schema(ty: SchemaType, name: &str) -> TransformError {
    TransformError::Data(format!(
        "Flatten transformation does not support {} for record with schemas (for field {name}).",
        ty.connect_name().to_ascii_uppercase()
    ))
}

/// The leaf values of `value` (a struct of `schema`, or none), in the
/// order [`Flatten::flatten_schema`] lays out their fields. Null fields
/// read as their default, as Kafka's `Struct.get`.
fn flatten_values(schema: &Schema, value: Option<&Struct>, out: &mut Vec<Value>) {
    for field in &schema.fields {
        let v = value.map(|s| field_value(s, field, true));
        match field.schema.schema_type {
            SchemaType::Struct => flatten_values(&field.schema, v.and_then(Value::as_struct), out),
            _ => out.push(v.cloned().unwrap_or(Value::Null)),
        }
    }
}

impl Transformation for Flatten {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(DELIMITER, ConfigType::String)
                .default_value(".")
                .importance(Importance::Medium)
                .doc(
                    "Delimiter to insert between field names from the input record when \
                     generating field names for the output record",
                ),
        )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        *self = Flatten {
            side: self.side,
            delimiter: c.string(DELIMITER).unwrap_or_default().to_string(),
            cache: SchemaCache::default(),
        };
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        if value.is_null() {
            return Ok(Outcome::Keep);
        }
        let Some(schema) = schema.cloned() else {
            let entries = require_map(value, PURPOSE)?;
            let mut out = Vec::with_capacity(entries.len());
            self.flatten_map(entries, "", &mut out, &mut HashMap::new())?;
            record.set(self.side, None, Value::Map(out));
            return Ok(Outcome::Keep);
        };
        let value = require_struct(Some(&schema), value, PURPOSE)?;
        let mut cache = std::mem::take(&mut self.cache);
        let updated = cache.get_or_derive(&schema, |s| self.flattened_schema(s));
        self.cache = cache;
        let updated = updated?;
        let mut values = Vec::with_capacity(updated.fields.len());
        flatten_values(&schema, Some(value), &mut values);
        let flattened = Struct::from_values(updated.clone(), values)?;
        record.set(self.side, Some(updated), Value::Struct(flattened));
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with, SIDES};

    fn xform(side: KeyOrValue, pairs: &[(&str, &str)]) -> Flatten {
        configure(Flatten::new(side), pairs)
    }

    fn supported_types_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("int8", Schema::int8())
            .field("int16", Schema::int16())
            .field("int32", Schema::int32())
            .field("int64", Schema::int64())
            .field("float32", Schema::float32())
            .field("float64", Schema::float64())
            .field("boolean", Schema::boolean())
            .field("string", Schema::string())
            .field("bytes", Schema::bytes())
            .build()
    }

    fn supported_values() -> Vec<(&'static str, Value)> {
        vec![
            ("int8", Value::Int8(8)),
            ("int16", Value::Int16(16)),
            ("int32", Value::Int32(32)),
            ("int64", Value::Int64(64)),
            ("float32", Value::Float32(32.0)),
            ("float64", Value::Float64(64.0)),
            ("boolean", Value::Boolean(true)),
            ("string", Value::from("stringy")),
            ("bytes", Value::Bytes(b"bytes".to_vec().into())),
        ]
    }

    // Kafka's topLevelStructRequired and topLevelMapRequired.
    #[test]
    fn the_top_level_must_be_a_struct_or_a_map() {
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(KeyOrValue::Value, Some(Schema::int32()), Value::Int32(42));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Struct objects supported for [flattening], found: java.lang.Integer"
        );
        let mut r = record_with(KeyOrValue::Value, None, Value::Int32(42));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [flattening], found: java.lang.Integer"
        );
    }

    // Kafka's testNestedStruct.
    #[test]
    fn nested_structs_flatten_with_dotted_names() {
        let inner = supported_types_schema();
        let one = SchemaBuilder::struct_().field("B", inner.clone()).build();
        let two = SchemaBuilder::struct_().field("A", one.clone()).build();
        let mut b = Struct::new(inner);
        for (k, v) in supported_values() {
            b.put(k, v).unwrap();
        }
        let a = Struct::new(one).with("B", b);
        let value = Struct::new(two.clone()).with("A", a);
        for side in SIDES {
            let mut t = xform(side, &[]);
            let mut r = record_with(side, Some(two.clone()), Value::Struct(value.clone()));
            t.apply(&mut r).unwrap();
            let (schema, v) = r.part(side);
            assert_eq!(schema.unwrap().schema_type, SchemaType::Struct);
            let s = v.as_struct().unwrap();
            assert_eq!(s.schema().fields.len(), 9);
            for (k, expected) in supported_values() {
                assert_eq!(s.get(&format!("A.B.{k}")), Some(&expected));
                let field = s.schema().field(&format!("A.B.{k}")).unwrap();
                assert!(!field.schema.optional);
            }
        }
    }

    // Kafka's testNestedMapWithDelimiter.
    #[test]
    fn nested_maps_flatten_with_the_delimiter() {
        let value = map(vec![("A", map(vec![("B", map(supported_values()))]))]);
        let mut t = xform(KeyOrValue::Value, &[(DELIMITER, "#")]);
        let mut r = record_with(KeyOrValue::Value, None, value);
        t.apply(&mut r).unwrap();
        assert!(r.value_schema.is_none());
        let expected = Value::Map(
            supported_values()
                .into_iter()
                .map(|(k, v)| (Value::String(format!("A#B#{k}")), v))
                .collect(),
        );
        assert_eq!(r.value, expected);
    }

    // Kafka's testOptionalFieldStruct and testOptionalNestedStruct.
    #[test]
    fn null_optional_fields_and_null_optional_structs_flatten_to_null() {
        let inner = SchemaBuilder::struct_()
            .field("opt_int32", Schema::optional_int32())
            .build();
        let outer = SchemaBuilder::struct_().field("B", inner.clone()).build();
        let value = Struct::new(outer.clone()).with("B", Struct::new(inner));
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(KeyOrValue::Value, Some(outer), Value::Struct(value));
        t.apply(&mut r).unwrap();
        assert_eq!(r.value.get("B.opt_int32"), Some(&Value::Null));

        let inner = SchemaBuilder::struct_()
            .optional()
            .field("opt_int32", Schema::optional_int32())
            .build();
        let outer = SchemaBuilder::struct_().field("B", inner).build();
        let value = Struct::new(outer.clone());
        let mut r = record_with(KeyOrValue::Value, Some(outer), Value::Struct(value));
        t.apply(&mut r).unwrap();
        assert_eq!(r.value.get("B.opt_int32"), Some(&Value::Null));
    }

    // Kafka's testOptionalStruct, tombstoneEventWithSchemaShouldPassThrough
    // and tombstoneEventWithoutSchemaShouldPassThrough.
    #[test]
    fn null_values_pass_unchanged() {
        let schema = SchemaBuilder::struct_()
            .name("name")
            .version(1)
            .doc("doc")
            .optional()
            .field("magic", Schema::optional_int64())
            .build();
        for side in SIDES {
            let mut t = xform(side, &[]);
            let mut r = record_with(side, Some(schema.clone()), Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (Some(&schema), &Value::Null));
            let mut r = record_with(side, None, Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (None, &Value::Null));
        }
    }

    // Kafka's testOptionalFieldMap and testMapWithNullFields.
    #[test]
    fn null_map_entries_stay_in_place() {
        let value = map(vec![("B", map(vec![("opt_int32", Value::Null)]))]);
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(KeyOrValue::Value, None, value);
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![("B.opt_int32", Value::Null)]));

        let value = map(vec![
            ("firstNull", Value::Null),
            ("firstNonNull", Value::from("nonNull")),
            ("secondNull", Value::Null),
            ("secondNonNull", Value::from("alsoNonNull")),
            ("thirdNonNull", Value::Null),
        ]);
        let mut r = record_with(KeyOrValue::Value, None, value.clone());
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, value);
    }

    // Kafka's testStructWithNullFields.
    #[test]
    fn a_flat_struct_with_null_fields_is_unchanged() {
        let schema = SchemaBuilder::struct_()
            .field("firstNull", Schema::optional_string())
            .field("firstNonNull", Schema::optional_string())
            .field("secondNull", Schema::optional_string())
            .field("secondNonNull", Schema::optional_string())
            .field("thirdNonNull", Schema::optional_string())
            .build();
        let value = Struct::new(schema.clone())
            .with("firstNonNull", "nonNull")
            .with("secondNonNull", "alsoNonNull");
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(
            KeyOrValue::Value,
            Some(schema.clone()),
            Value::Struct(value.clone()),
        );
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, Value::Struct(value));
        assert_eq!(r.value_schema, Some(schema));
    }

    // Kafka's testKey.
    #[test]
    fn a_schemaless_key_flattens() {
        let key = map(vec![("A", map(vec![("B", Value::Int32(12))]))]);
        let mut t = xform(KeyOrValue::Key, &[]);
        let mut r = record_with(KeyOrValue::Key, None, key);
        t.apply(&mut r).unwrap();
        assert!(r.key_schema.is_none());
        assert_eq!(r.key, map(vec![("A.B", Value::Int32(12))]));
    }

    // Kafka's testSchemalessArray and testArrayWithSchema.
    #[test]
    fn arrays_and_their_contents_are_left_alone() {
        let value = map(vec![(
            "foo",
            Value::Array(vec![
                Value::from("bar"),
                map(vec![("baz", map(vec![("lfg", Value::from("lfg"))]))]),
            ]),
        )]);
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(KeyOrValue::Value, None, value.clone());
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, value);

        let nested = SchemaBuilder::struct_()
            .field("lfg", Schema::string())
            .build();
        let inner = SchemaBuilder::struct_()
            .field("baz", nested.clone())
            .build();
        let schema = SchemaBuilder::struct_()
            .field(
                "foo",
                SchemaBuilder::array(inner.clone()).doc("durk").build(),
            )
            .build();
        let inner_value = Struct::new(inner).with("baz", Struct::new(nested).with("lfg", "lfg"));
        let value = Struct::new(schema.clone()).with("foo", Value::Array(vec![inner_value.into()]));
        let mut r = record_with(
            KeyOrValue::Value,
            Some(schema.clone()),
            Value::Struct(value.clone()),
        );
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, Value::Struct(value));
        assert_eq!(r.value_schema, Some(schema));
    }

    // Kafka's testOptionalAndDefaultValuesNested.
    #[test]
    fn optional_parents_make_optional_fields_and_lend_their_defaults() {
        let child = SchemaBuilder::struct_()
            .optional()
            .field("req_field", Schema::string())
            .field(
                "opt_field",
                SchemaBuilder::new(SchemaType::String)
                    .optional()
                    .default_value("child_default".into())
                    .build(),
            );
        let default = Struct::new(child.clone().build()).with("req_field", "req_default");
        let schema = child.default_value(Value::Struct(default)).build();
        let value = Struct::new(schema.clone());
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let flat = r.value_schema.unwrap();
        assert_eq!(flat.schema_type, SchemaType::Struct);
        assert_eq!(flat.fields.len(), 2);
        let expected = |d: &str| {
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(d.into())
                .build()
        };
        assert_eq!(
            flat.field("req_field").unwrap().schema,
            expected("req_default")
        );
        assert_eq!(
            flat.field("opt_field").unwrap().schema,
            expected("child_default")
        );
    }

    #[test]
    fn null_fields_read_as_their_default_and_schemas_keep_their_basics() {
        let inner = SchemaBuilder::struct_()
            .field(
                "n",
                SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(5))
                    .build(),
            )
            .field("d", ferry_api::data::logical::decimal(2).build())
            .build();
        let outer = SchemaBuilder::struct_()
            .name("Outer")
            .version(3)
            .field("in", inner.clone())
            .build();
        let value = Struct::new(outer.clone()).with(
            "in",
            Struct::new(inner).with("d", ferry_api::Decimal::new(150, 2)),
        );
        let mut t = xform(KeyOrValue::Value, &[(DELIMITER, "_")]);
        let mut r = record_with(KeyOrValue::Value, Some(outer), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let flat = r.value_schema.clone().unwrap();
        assert_eq!(
            (flat.name.as_deref(), flat.version),
            (Some("Outer"), Some(3))
        );
        assert_eq!(flat.field("in_d").unwrap().schema.decimal_scale(), Some(2));
        assert_eq!(r.value.get("in_n"), Some(&Value::Int32(5)));
        assert_eq!(
            r.value.get("in_d"),
            Some(&Value::Decimal(ferry_api::Decimal::new(150, 2)))
        );
    }

    #[test]
    fn maps_with_schemas_and_name_clashes_are_refused() {
        let schema = SchemaBuilder::struct_()
            .field(
                "m",
                SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
            )
            .build();
        let mut t = xform(KeyOrValue::Value, &[]);
        let mut r = record_with(
            KeyOrValue::Value,
            Some(schema.clone()),
            Value::Struct(Struct::new(schema)),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );

        let inner = SchemaBuilder::struct_().field("b", Schema::int32()).build();
        let schema = SchemaBuilder::struct_()
            .field("a", inner)
            .field("a.b", Schema::int32())
            .build();
        let mut r = record_with(
            KeyOrValue::Value,
            Some(schema.clone()),
            Value::Struct(Struct::new(schema)),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Cannot create field because of field name duplication a.b"
        );
    }

    #[test]
    fn schemaless_structs_and_decimals_are_refused_and_clashes_overwrite() {
        let mut t = xform(KeyOrValue::Value, &[]);
        let s = Struct::new(SchemaBuilder::struct_().build());
        let mut r = record_with(KeyOrValue::Value, None, map(vec![("s", Value::Struct(s))]));
        let message = data_message(t.apply(&mut r));
        assert!(
            message.contains("does not support class org.apache.kafka.connect.data.Struct"),
            "{message}"
        );
        assert!(message.contains("(for field s)"), "{message}");

        let mut r = record_with(
            KeyOrValue::Value,
            None,
            map(vec![("d", Value::Decimal(ferry_api::Decimal::new(1, 0)))]),
        );
        let message = data_message(t.apply(&mut r));
        assert!(
            message.contains("class java.math.BigDecimal which is not supported"),
            "{message}"
        );

        let value = map(vec![
            ("a.b", Value::Int32(1)),
            ("c", Value::Int32(2)),
            ("a", map(vec![("b", Value::Int32(3))])),
        ]);
        let mut r = record_with(KeyOrValue::Value, None, value);
        t.apply(&mut r).unwrap();
        assert_eq!(
            r.value,
            map(vec![("a.b", Value::Int32(3)), ("c", Value::Int32(2))])
        );
    }
}
