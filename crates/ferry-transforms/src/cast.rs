//! `org.apache.kafka.connect.transforms.Cast$Key` / `$Value`: casts
//! top-level fields (`spec=id:int64,price:float64`) or the whole key or
//! value (`spec=int32`) to int8, int16, int32, int64, float32, float64,
//! boolean or string, as Java's numeric conversions do: narrowing wraps
//! (`300` → int8 `44`), floats truncate toward zero, decimals and
//! Date/Time/Timestamp cast through their number, strings parse
//! (`"42"` → `42`, `Boolean.parseBoolean` for boolean), bytes cast only to
//! string (base64), and Date/Time/Timestamp print as ISO-8601 in UTC.
//! Null values (tombstones) pass unchanged.
//!
//! A whole-value cast keeps the schema's name, version, doc and
//! parameters, as Kafka's (so a Timestamp cast to int64 is still a
//! Timestamp). Where that would put a Decimal, Date, Time or Timestamp
//! name on another physical type (which Kafka's converters then reject),
//! Ferry leaves the name off; and where Kafka
//! fails on a struct schema with a default value, Ferry casts the
//! default's fields.

use ferry_api::data::logical;
use ferry_api::data::text::{convert_to_string, to_java_string, MILLIS_PER_DAY};
use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord, ConnectResult,
    Decimal, Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, Validator, Value,
};

use crate::config::replace_null_with_default_key;
use crate::java_date_format::JavaDateFormat;
use crate::requirements::{java_class_name, require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, field_value, map_get, map_put};
use crate::TransformError;

/// Key: `field:type` pairs, or one type for the whole key or value.
pub const SPEC: &str = "spec";
/// Key: whether null struct fields with a default take the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "cast types";

const INPUT_TYPES: [SchemaType; 9] = [
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
    SchemaType::Bytes,
];

const OUTPUT_TYPES: [SchemaType; 8] = [
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
];

const ALL_TYPES: [SchemaType; 12] = [
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
    SchemaType::Bytes,
    SchemaType::Array,
    SchemaType::Map,
    SchemaType::Struct,
];

/// What `spec` asks for.
#[derive(Debug, Clone, PartialEq, Default)]
struct Spec {
    /// Field casts, in spec order (a repeated field keeps its last type).
    fields: Vec<(String, SchemaType)>,
    /// The type to cast the whole side to.
    whole: Option<SchemaType>,
}

impl Spec {
    fn field(&self, name: &str) -> Option<SchemaType> {
        self.fields.iter().find(|(f, _)| f == name).map(|(_, t)| *t)
    }
}

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct Cast {
    side: KeyOrValue,
    spec: Spec,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Cast {
    /// The transform for the key (`$Key`) or the value (`$Value`).
    pub fn new(side: KeyOrValue) -> Self {
        Cast {
            side,
            spec: Spec::default(),
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    fn cast_struct(&self, value: &Struct, updated: &SchemaRef) -> Result<Struct, TransformError> {
        let mut values = Vec::with_capacity(updated.fields.len());
        for field in &value.schema().fields {
            let orig = field_value(value, field, self.replace_null_with_default);
            values.push(match self.spec.field(&field.name) {
                Some(target) => cast_value(Some(&field.schema), orig, target)?,
                None => orig.clone(),
            });
        }
        Struct::from_values(updated.clone(), values)
            .map_err(|e| TransformError::Data(e.to_string()))
    }

    fn updated_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let mut builder = match self.spec.whole {
            Some(target) if is_logical_of_another_type(schema, target) => {
                let b = SchemaBuilder::new(target);
                match &schema.doc {
                    Some(doc) => b.doc(doc.clone()),
                    None => b,
                }
            }
            Some(target) => copy_schema_basics(schema, SchemaBuilder::new(target)),
            None => {
                let mut b = copy_schema_basics(schema, SchemaBuilder::struct_());
                for field in &schema.fields {
                    let field_schema = match self.spec.field(&field.name) {
                        Some(target) => {
                            let mut fb = SchemaBuilder::new(target);
                            if field.schema.optional {
                                fb = fb.optional();
                            }
                            if let Some(default) = &field.schema.default {
                                fb = fb.default_value(cast_value(
                                    Some(&field.schema),
                                    default,
                                    target,
                                )?);
                            }
                            fb.build()
                        }
                        None => field.schema.clone(),
                    };
                    b = b.field(field.name.clone(), field_schema);
                }
                b
            }
        };
        if schema.optional {
            builder = builder.optional();
        }
        let Some(default) = &schema.default else {
            return Ok(builder.build());
        };
        match (self.spec.whole, default) {
            (Some(target), _) => Ok(builder
                .default_value(cast_value(Some(schema), default, target)?)
                .build()),
            (None, Value::Struct(s)) => {
                let without_default = builder.clone().build();
                let cast = self.cast_struct(s, &without_default)?;
                Ok(builder.default_value(Value::Struct(cast)).build())
            }
            (None, other) => Err(unsupported_input(
                other.natural_type().unwrap_or(SchemaType::Struct),
            )),
        }
    }
}

/// Whether the schema is a Decimal, Date, Time or Timestamp whose
/// physical type is not `target`: its logical name cannot stay.
fn is_logical_of_another_type(schema: &Schema, target: SchemaType) -> bool {
    target != schema.schema_type
        && [
            logical::DECIMAL,
            logical::DATE,
            logical::TIME,
            logical::TIMESTAMP,
        ]
        .iter()
        .any(|name| schema.is_logical(name))
}

fn type_list(types: &[SchemaType]) -> String {
    let names: Vec<String> = types
        .iter()
        .map(|t| t.connect_name().to_ascii_uppercase())
        .collect();
    format!("[{}]", names.join(", "))
}

fn unsupported_input(ty: SchemaType) -> TransformError {
    TransformError::Data(format!(
        "Cast transformation does not support casting from {}; supported types are {}",
        ty.connect_name().to_ascii_uppercase(),
        type_list(&INPUT_TYPES)
    ))
}

/// A type named in the spec, which must be one Cast writes.
fn parse_type(name: &str) -> Result<SchemaType, String> {
    let name = name.trim();
    let ty = ALL_TYPES
        .into_iter()
        .find(|t| t.connect_name().eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("Invalid type found in casting spec: {name}"))?;
    if OUTPUT_TYPES.contains(&ty) {
        Ok(ty)
    } else {
        Err(format!(
            "Cast transformation does not support casting to {}; supported types are {}",
            ty.connect_name().to_ascii_uppercase(),
            type_list(&OUTPUT_TYPES)
        ))
    }
}

/// Kafka's `parseFieldTypes`.
fn parse_spec(mappings: &[String]) -> Result<Spec, String> {
    if mappings.is_empty() {
        return Err("Must specify at least one field to cast.".into());
    }
    let mut spec = Spec::default();
    for mapping in mappings {
        // Java's String.split drops trailing empty parts.
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        match parts[..] {
            [ty] => spec.whole = Some(parse_type(ty)?),
            [field, ty] => {
                let ty = parse_type(ty)?;
                let field = field.trim().to_string();
                spec.fields.retain(|(f, _)| *f != field);
                spec.fields.push((field, ty));
            }
            _ => return Err(format!("Invalid rename mapping: {mapping}")),
        }
    }
    if spec.whole.is_some() && mappings.len() > 1 {
        return Err(
            "Cast transformations that specify a type to cast the entire value to may \
                    only specify a single cast in their spec"
                .into(),
        );
    }
    Ok(spec)
}

/// Kafka's `castValueToType`: `schema` is the value's (none when
/// schemaless, then the type is the value's own).
fn cast_value(
    schema: Option<&Schema>,
    value: &Value,
    target: SchemaType,
) -> Result<Value, TransformError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.schema_type,
        None => match value {
            // Java's ConnectSchema.schemaType knows no BigDecimal.
            Value::Decimal(_) => None,
            v => v.natural_type(),
        }
        .ok_or_else(|| {
            TransformError::Data(format!(
                "Cast transformation was passed a value of type class {} which is not supported \
                 by Connect's data API",
                java_class_name(None, value)
            ))
        })?,
    };
    if !INPUT_TYPES.contains(&inferred) {
        return Err(unsupported_input(inferred));
    }
    let out_of_range = || {
        let shown = match value {
            Value::String(s) => s.clone(),
            other => convert_to_string(None, other),
        };
        TransformError::Data(format!(
            "Value ({shown}) was out of range for requested data type"
        ))
    };
    let unexpected = || {
        TransformError::Data(format!(
            "Unexpected type in Cast transformation: class {}",
            java_class_name(schema, value)
        ))
    };
    if target == SchemaType::String {
        return Ok(Value::String(cast_to_string(schema, value)));
    }
    let number = match value {
        Value::Boolean(b) => Number::Long(i64::from(*b)),
        Value::String(s) => {
            return match target {
                SchemaType::Int8 => s.parse().map(Value::Int8).map_err(|_| out_of_range()),
                SchemaType::Int16 => s.parse().map(Value::Int16).map_err(|_| out_of_range()),
                SchemaType::Int32 => s.parse().map(Value::Int32).map_err(|_| out_of_range()),
                SchemaType::Int64 => s.parse().map(Value::Int64).map_err(|_| out_of_range()),
                SchemaType::Float32 => java_float_literal(s)
                    .and_then(|t| t.parse().ok())
                    .map(Value::Float32)
                    .ok_or_else(out_of_range),
                SchemaType::Float64 => java_float_literal(s)
                    .and_then(|t| t.parse().ok())
                    .map(Value::Float64)
                    .ok_or_else(out_of_range),
                SchemaType::Boolean => Ok(Value::Boolean(s.eq_ignore_ascii_case("true"))),
                _ => unreachable!("output types are checked when configured"),
            };
        }
        other => Number::of(other).ok_or_else(unexpected)?,
    };
    Ok(match target {
        SchemaType::Int8 => Value::Int8(number.int_value() as i8),
        SchemaType::Int16 => Value::Int16(number.int_value() as i16),
        SchemaType::Int32 => Value::Int32(number.int_value()),
        SchemaType::Int64 => Value::Int64(number.long_value()),
        SchemaType::Float32 => Value::Float32(number.float_value()),
        SchemaType::Float64 => Value::Float64(number.double_value()),
        SchemaType::Boolean => Value::Boolean(number.long_value() != 0),
        _ => unreachable!("output types are checked when configured"),
    })
}

/// Kafka's `castToString`: Date/Time/Timestamp as `Values.dateFormatFor`
/// picks (a time before the first day's end, a date at midnight, else a
/// timestamp; in UTC), bytes as base64, anything else as Java's
/// `toString()`.
fn cast_to_string(schema: Option<&Schema>, value: &Value) -> String {
    let millis = match (schema, value.as_i64()) {
        (Some(s), Some(v)) if s.is_logical(logical::DATE) => Some(v.saturating_mul(MILLIS_PER_DAY)),
        (Some(s), Some(v)) if s.is_logical(logical::TIME) || s.is_logical(logical::TIMESTAMP) => {
            Some(v)
        }
        _ => None,
    };
    if let Some(millis) = millis {
        let pattern = if millis < MILLIS_PER_DAY {
            "HH:mm:ss.SSS'Z'"
        } else if millis % MILLIS_PER_DAY == 0 {
            "yyyy-MM-dd"
        } else {
            "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        };
        return JavaDateFormat::new(pattern)
            .expect("valid pattern")
            .format(millis);
    }
    match value {
        Value::Bytes(_) => convert_to_string(None, value),
        other => to_java_string(other).unwrap_or_default(),
    }
}

/// A Java `Number`, for its `intValue()`, `longValue()`, ... conversions.
enum Number<'a> {
    Long(i64),
    Float(f32),
    Double(f64),
    Decimal(&'a Decimal),
}

impl<'a> Number<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        Some(match value {
            Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => {
                Number::Long(value.as_i64()?)
            }
            Value::Float32(v) => Number::Float(*v),
            Value::Float64(v) => Number::Double(*v),
            Value::Decimal(d) => Number::Decimal(d),
            _ => return None,
        })
    }

    /// `intValue()`: the low 32 bits of integers, floats saturated.
    fn int_value(&self) -> i32 {
        match *self {
            Number::Long(v) => v as i32,
            Number::Float(v) => v as i32,
            Number::Double(v) => v as i32,
            Number::Decimal(d) => decimal_low_bits(d) as i32,
        }
    }

    /// `longValue()`: floats saturated, decimals' low 64 bits.
    fn long_value(&self) -> i64 {
        match *self {
            Number::Long(v) => v,
            Number::Float(v) => v as i64,
            Number::Double(v) => v as i64,
            Number::Decimal(d) => decimal_low_bits(d),
        }
    }

    fn float_value(&self) -> f32 {
        match *self {
            Number::Long(v) => v as f32,
            Number::Float(v) => v,
            Number::Double(v) => v as f32,
            Number::Decimal(d) => d.to_string().parse().unwrap_or(f32::NAN),
        }
    }

    fn double_value(&self) -> f64 {
        match *self {
            Number::Long(v) => v as f64,
            Number::Float(v) => f64::from(v),
            Number::Double(v) => v,
            Number::Decimal(d) => d.to_f64(),
        }
    }
}

/// The low 64 bits of a decimal's integer part (Java's
/// `BigDecimal.longValue()`: the fraction dropped, then two's complement).
fn decimal_low_bits(d: &Decimal) -> i64 {
    let text = d.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let int_part = digits.split('.').next().unwrap_or("");
    let magnitude = int_part.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    });
    let bits = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    bits as i64
}

/// The text of a Java floating-point literal as Rust parses it, or `None`
/// where Java's `Float.parseFloat` / `Double.parseDouble` throw:
/// surrounding whitespace and one `f`/`d` suffix dropped, `NaN` and
/// `Infinity` spelled as Java spells them (hexadecimal literals aside).
fn java_float_literal(s: &str) -> Option<&str> {
    let trimmed = s.trim_matches(|c: char| c <= ' ');
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if unsigned == "NaN" || unsigned == "Infinity" {
        return Some(trimmed);
    }
    let t = trimmed
        .strip_suffix(['f', 'F', 'd', 'D'])
        .unwrap_or(trimmed);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let ok = body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    ok.then_some(t)
}

impl Transformation for Cast {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(SPEC, ConfigType::List)
                    .required()
                    .importance(Importance::High)
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::List(items) => parse_spec(items).map(|_| ()),
                        _ => Ok(()),
                    }))
                    .doc(
                        "List of fields and the type to cast them to of the form \
                         field1:type,field2:type to cast fields of Maps or Structs. A single type \
                         to cast the entire value. Valid types are int8, int16, int32, int64, \
                         float32, float64, boolean, and string. Note that binary fields can only \
                         be cast to string.",
                    ),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        *self = Cast {
            side: self.side,
            spec: parse_spec(c.list(SPEC)).expect("validated"),
            replace_null_with_default: c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
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
            let cast = match self.spec.whole {
                Some(target) => cast_value(None, value, target)?,
                None => {
                    let mut entries = require_map(value, PURPOSE)?.to_vec();
                    for (field, target) in &self.spec.fields {
                        let orig = map_get(&entries, field).cloned().unwrap_or(Value::Null);
                        map_put(&mut entries, field, cast_value(None, &orig, *target)?);
                    }
                    Value::Map(entries)
                }
            };
            record.set(self.side, None, cast);
            return Ok(Outcome::Keep);
        };
        let mut cache = std::mem::take(&mut self.cache);
        let updated = cache.get_or_derive(&schema, |s| self.updated_schema(s));
        self.cache = cache;
        let updated = updated?;
        let cast = match self.spec.whole {
            Some(target) => cast_value(Some(&schema), value, target)?,
            None => Value::Struct(
                self.cast_struct(require_struct(Some(&schema), value, PURPOSE)?, &updated)?,
            ),
        };
        record.set(self.side, Some(updated), cast);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with, refused_keys, SIDES};

    fn xform(side: KeyOrValue, spec: &str) -> Cast {
        configure(Cast::new(side), &[(SPEC, spec)])
    }

    /// Casts the whole side (with or without schema) and returns the result.
    fn whole(spec: &str, schema: Option<SchemaRef>, value: Value) -> (Option<SchemaRef>, Value) {
        let mut t = xform(KeyOrValue::Value, spec);
        let mut r = record_with(KeyOrValue::Value, schema, value);
        t.apply(&mut r).unwrap();
        (r.value_schema, r.value)
    }

    // Kafka's testConfigEmpty, testConfigInvalidSchemaType,
    // testConfigInvalidTargetType, testUnsupportedTargetType,
    // testConfigInvalidMap, testConfigMixWholeAndFieldTransformation.
    #[test]
    fn bad_specs_are_refused_naming_the_key() {
        for spec in [
            "",
            "foo:faketype",
            "foo:array",
            "array",
            "foo:bytes",
            "foo:int8:extra",
            "foo:int8,int32",
        ] {
            assert_eq!(
                refused_keys(Cast::new(KeyOrValue::Key), &[(SPEC, spec)]),
                [SPEC],
                "{spec}"
            );
        }
        assert_eq!(refused_keys(Cast::new(KeyOrValue::Key), &[]), [SPEC]);
        let reason = |spec: &str| parse_spec(&[spec.to_string()]).unwrap_err();
        assert_eq!(
            reason("foo:faketype"),
            "Invalid type found in casting spec: faketype"
        );
        assert_eq!(
            reason("foo:bytes"),
            "Cast transformation does not support casting to BYTES; supported types are \
             [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
        assert_eq!(
            reason("foo:int8:extra"),
            "Invalid rename mapping: foo:int8:extra"
        );
    }

    // Kafka's castNullValueRecordWithSchema, castNullValueRecordSchemaless,
    // castNullKeyRecordWithSchema, castNullKeyRecordSchemaless.
    #[test]
    fn null_sides_pass_unchanged() {
        for side in SIDES {
            for schema in [Some(Schema::string()), None] {
                let mut t = xform(side, "foo:int64");
                let mut r = record_with(side, schema.clone(), Value::Null);
                let before = r.clone();
                t.apply(&mut r).unwrap();
                assert_eq!(r, before);
            }
        }
    }

    // Kafka's castFieldWithDefaultValueRecordWithSchema (both ways).
    #[test]
    fn a_null_field_with_a_default_casts_the_default_unless_told_not_to() {
        let schema = SchemaBuilder::struct_()
            .field(
                "magic",
                SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(10))
                    .build(),
            )
            .build();
        for (replace, expected) in [("false", Value::Null), ("true", Value::from("10"))] {
            let mut t = configure(
                Cast::new(KeyOrValue::Value),
                &[(SPEC, "magic:string"), (REPLACE_NULL_WITH_DEFAULT, replace)],
            );
            let mut r = record_with(
                KeyOrValue::Value,
                Some(schema.clone()),
                Value::Struct(Struct::new(schema.clone())),
            );
            t.apply(&mut r).unwrap();
            let s = r.value.as_struct().unwrap();
            assert_eq!(
                s.schema().field("magic").unwrap().schema.schema_type,
                SchemaType::String
            );
            assert_eq!(s.get("magic"), Some(&expected));
        }
    }

    // Kafka's castWholeRecordKeyWithSchema and castWholeRecordValueWithSchema*.
    #[test]
    fn whole_values_with_schema() {
        let mut t = xform(KeyOrValue::Key, "int8");
        let mut r = record_with(KeyOrValue::Key, Some(Schema::int32()), Value::Int32(42));
        r.value_schema = Some(Schema::string());
        r.value = Value::from("bogus");
        t.apply(&mut r).unwrap();
        assert_eq!(r.key_schema.as_ref().unwrap().schema_type, SchemaType::Int8);
        assert_eq!(r.key, Value::Int8(42));
        assert_eq!(r.value, Value::from("bogus"));

        for (spec, ty, expected) in [
            ("int8", SchemaType::Int8, Value::Int8(42)),
            ("int16", SchemaType::Int16, Value::Int16(42)),
            ("int32", SchemaType::Int32, Value::Int32(42)),
            ("int64", SchemaType::Int64, Value::Int64(42)),
            ("float32", SchemaType::Float32, Value::Float32(42.0)),
            ("float64", SchemaType::Float64, Value::Float64(42.0)),
            ("boolean", SchemaType::Boolean, Value::Boolean(true)),
            ("string", SchemaType::String, Value::from("42")),
        ] {
            let (schema, value) = whole(spec, Some(Schema::int32()), Value::Int32(42));
            assert_eq!(schema.unwrap().schema_type, ty, "{spec}");
            assert_eq!(value, expected, "{spec}");
        }
        let (_, value) = whole("boolean", Some(Schema::int32()), Value::Int32(0));
        assert_eq!(value, Value::Boolean(false));
    }

    // Kafka's castWholeBigDecimalRecordValueWithSchemaString,
    // castWholeDateRecordValueWithSchemaString, castWholeRecordDefaultValue.
    #[test]
    fn whole_logical_values_and_defaults() {
        let (schema, value) = whole(
            "string",
            Some(logical::decimal(0).build()),
            Value::Decimal(Decimal::new(42, 0)),
        );
        let schema = schema.unwrap();
        assert_eq!(schema.schema_type, SchemaType::String);
        assert_eq!(
            schema.name, None,
            "the logical name does not stay on a string"
        );
        assert_eq!(value, Value::from("42"));

        let (schema, value) = whole(
            "string",
            Some(logical::timestamp().build()),
            Value::Int64(MILLIS_PER_DAY + 1),
        );
        assert_eq!(schema.unwrap().schema_type, SchemaType::String);
        assert_eq!(value, Value::from("1970-01-02T00:00:00.001Z"));

        let (schema, value) = whole("int64", Some(logical::timestamp().build()), Value::Int64(5));
        assert_eq!(
            schema,
            Some(logical::timestamp().build()),
            "still a Timestamp, as Kafka's"
        );
        assert_eq!(value, Value::Int64(5));
        let (schema, value) = whole("int32", Some(logical::timestamp().build()), Value::Int64(5));
        assert_eq!(schema, Some(Schema::int32()));
        assert_eq!(value, Value::Int32(5));

        let (schema, value) = whole(
            "int32",
            Some(
                SchemaBuilder::new(SchemaType::Float32)
                    .default_value(Value::Float32(-42.125))
                    .build(),
            ),
            Value::Float32(42.125),
        );
        let schema = schema.unwrap();
        assert_eq!(schema.schema_type, SchemaType::Int32);
        assert_eq!(value, Value::Int32(42));
        assert_eq!(schema.default, Some(Value::Int32(-42)));
    }

    // Kafka's castWholeRecordKeySchemaless, castWholeRecordValueSchemaless*
    // and castWholeRecordValueSchemalessUnsupportedType.
    #[test]
    fn whole_values_without_schema() {
        let mut t = xform(KeyOrValue::Key, "int8");
        let mut r = record_with(KeyOrValue::Key, None, Value::Int32(42));
        t.apply(&mut r).unwrap();
        assert_eq!((r.key_schema, r.key), (None, Value::Int8(42)));
        for (spec, expected) in [
            ("int8", Value::Int8(42)),
            ("int16", Value::Int16(42)),
            ("int32", Value::Int32(42)),
            ("int64", Value::Int64(42)),
            ("float32", Value::Float32(42.0)),
            ("float64", Value::Float64(42.0)),
            ("boolean", Value::Boolean(true)),
            ("string", Value::from("42")),
        ] {
            assert_eq!(
                whole(spec, None, Value::Int32(42)),
                (None, expected),
                "{spec}"
            );
        }
        assert_eq!(
            whole("boolean", None, Value::Int32(0)),
            (None, Value::Boolean(false))
        );

        let mut t = xform(KeyOrValue::Value, "int8");
        let mut r = record_with(
            KeyOrValue::Value,
            None,
            Value::Array(vec![Value::from("foo")]),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Cast transformation does not support casting from ARRAY; supported types are \
             [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
        );
    }

    // Kafka's castLogicalToPrimitive.
    #[test]
    fn logical_values_cast_through_their_number() {
        let schema = SchemaBuilder::struct_()
            .field("date_to_int32", logical::date().build())
            .field("timestamp_to_int64", logical::timestamp().build())
            .field("time_to_int64", logical::time().build())
            .field("decimal_to_int32", logical::decimal(0).build())
            .field("timestamp_to_float64", logical::timestamp().build())
            .field(
                "null_timestamp_to_int32",
                logical::timestamp().optional().build(),
            )
            .build();
        let value = Struct::new(schema.clone())
            .with("date_to_int32", Value::Int32(1))
            .with("timestamp_to_int64", Value::Int64(0))
            .with("time_to_int64", Value::Int32(1))
            .with("decimal_to_int32", Decimal::new(i64::from(i32::MAX) + 1, 0))
            .with("timestamp_to_float64", Value::Int64(i64::MAX));
        let mut t = xform(
            KeyOrValue::Value,
            "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,\
             decimal_to_int32:int32,timestamp_to_float64:float64,null_timestamp_to_int32:int32",
        );
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let s = r.value.as_struct().unwrap();
        assert_eq!(s.get("date_to_int32"), Some(&Value::Int32(1)));
        assert_eq!(s.get("timestamp_to_int64"), Some(&Value::Int64(0)));
        assert_eq!(s.get("time_to_int64"), Some(&Value::Int64(1)));
        assert_eq!(s.get("decimal_to_int32"), Some(&Value::Int32(i32::MIN)));
        assert_eq!(
            s.get("timestamp_to_float64"),
            Some(&Value::Float64(9.223372036854776E18))
        );
        assert_eq!(s.get("null_timestamp_to_int32"), Some(&Value::Null));
        let ty = |f: &str| s.schema().field(f).unwrap().schema.schema_type;
        assert_eq!(ty("date_to_int32"), SchemaType::Int32);
        assert_eq!(ty("timestamp_to_int64"), SchemaType::Int64);
        assert_eq!(ty("time_to_int64"), SchemaType::Int64);
        assert_eq!(ty("decimal_to_int32"), SchemaType::Int32);
        assert_eq!(ty("timestamp_to_float64"), SchemaType::Float64);
        assert_eq!(ty("null_timestamp_to_int32"), SchemaType::Int32);
        assert_eq!(
            s.schema()
                .field("null_timestamp_to_int32")
                .unwrap()
                .schema
                .name,
            None
        );
    }

    // Kafka's castLogicalToString.
    #[test]
    fn logical_values_cast_to_iso_text() {
        let schema = SchemaBuilder::struct_()
            .field("date", logical::date().build())
            .field("decimal", logical::decimal(0).build())
            .field("time", logical::time().build())
            .field("timestamp", logical::timestamp().build())
            .build();
        let value = Struct::new(schema.clone())
            .with("date", Value::Int32(1))
            .with("decimal", Decimal::new(1982, 0))
            .with("time", Value::Int32(3_600_000))
            .with("timestamp", Value::Int64(1_700_000_000_123));
        let mut t = xform(
            KeyOrValue::Value,
            "date:string,decimal:string,time:string,timestamp:string",
        );
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let s = r.value.as_struct().unwrap();
        assert_eq!(s.get("date"), Some(&Value::from("1970-01-02")));
        assert_eq!(s.get("decimal"), Some(&Value::from("1982")));
        assert_eq!(s.get("time"), Some(&Value::from("01:00:00.000Z")));
        assert_eq!(
            s.get("timestamp"),
            Some(&Value::from("2023-11-14T22:13:20.123Z"))
        );
        for f in ["date", "decimal", "time", "timestamp"] {
            assert_eq!(
                s.schema().field(f).unwrap().schema.schema_type,
                SchemaType::String
            );
        }
    }

    // Kafka's castFieldsWithSchema.
    #[test]
    fn fields_with_schema() {
        let bytes = Value::Bytes(vec![0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10].into());
        let schema = SchemaBuilder::struct_()
            .field("int8", Schema::int8())
            .field("int16", Schema::optional_int16())
            .field(
                "int32",
                SchemaBuilder::new(SchemaType::Int32)
                    .default_value(Value::Int32(2))
                    .build(),
            )
            .field("int64", Schema::int64())
            .field("float32", Schema::float32())
            .field(
                "float64",
                SchemaBuilder::new(SchemaType::Float64)
                    .default_value(Value::Float64(-1.125))
                    .build(),
            )
            .field("boolean", Schema::boolean())
            .field("string", Schema::string())
            .field("bigdecimal", logical::decimal(0).build())
            .field("date", logical::date().build())
            .field("optional", Schema::optional_float32())
            .field("timestamp", logical::timestamp().build())
            .field("bytes", Schema::bytes())
            .field("byteArray", Schema::bytes())
            .build();
        let value = Struct::new(schema.clone())
            .with("int8", Value::Int8(8))
            .with("int16", Value::Int16(16))
            .with("int32", 32)
            .with("int64", Value::Int64(64))
            .with("float32", Value::Float32(32.0))
            .with("float64", -64.0)
            .with("boolean", true)
            .with("bigdecimal", Decimal::new(42, 0))
            .with("date", Value::Int32(1))
            .with("string", "42")
            .with("timestamp", Value::Int64(0))
            .with("bytes", bytes.clone())
            .with("byteArray", bytes);
        let mut t = xform(
            KeyOrValue::Value,
            "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,\
             boolean:int8,string:int32,bigdecimal:string,date:string,optional:int32,bytes:string,\
             byteArray:string",
        );
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        t.apply(&mut r).unwrap();
        let s = r.value.as_struct().unwrap();
        let field = |f: &str| s.schema().field(f).unwrap().schema.clone();
        assert_eq!(s.get("int8"), Some(&Value::Int16(8)));
        assert!(field("int16").optional);
        assert_eq!(s.get("int16"), Some(&Value::Int32(16)));
        assert_eq!(s.get("int32"), Some(&Value::Int64(32)));
        assert_eq!(field("int32").default, Some(Value::Int64(2)));
        assert_eq!(s.get("int64"), Some(&Value::Boolean(true)));
        assert_eq!(s.get("float32"), Some(&Value::Float64(32.0)));
        assert_eq!(s.get("float64"), Some(&Value::Boolean(true)));
        assert_eq!(field("float64").default, Some(Value::Boolean(true)));
        assert_eq!(s.get("boolean"), Some(&Value::Int8(1)));
        assert_eq!(s.get("string"), Some(&Value::Int32(42)));
        assert_eq!(s.get("bigdecimal"), Some(&Value::from("42")));
        assert_eq!(s.get("date"), Some(&Value::from("1970-01-02")));
        assert_eq!(s.get("timestamp"), Some(&Value::Int64(0)));
        assert_eq!(s.get("bytes"), Some(&Value::from("/ty6mHZUMhA=")));
        assert_eq!(s.get("byteArray"), Some(&Value::from("/ty6mHZUMhA=")));
        assert_eq!(s.get("optional"), Some(&Value::Null));
        for (f, ty) in [
            ("int8", SchemaType::Int16),
            ("int16", SchemaType::Int32),
            ("int32", SchemaType::Int64),
            ("int64", SchemaType::Boolean),
            ("float32", SchemaType::Float64),
            ("float64", SchemaType::Boolean),
            ("boolean", SchemaType::Int8),
            ("string", SchemaType::Int32),
            ("bigdecimal", SchemaType::String),
            ("date", SchemaType::String),
            ("optional", SchemaType::Int32),
            ("bytes", SchemaType::String),
            ("byteArray", SchemaType::String),
        ] {
            assert_eq!(field(f).schema_type, ty, "{f}");
        }
        assert_eq!(
            field("timestamp"),
            logical::timestamp().build(),
            "not cast, unchanged"
        );
    }

    // Kafka's castFieldsSchemaless.
    #[test]
    fn fields_without_schema() {
        let value = map(vec![
            ("int8", Value::Int8(8)),
            ("int16", Value::Int16(16)),
            ("int32", Value::Int32(32)),
            ("int64", Value::Int64(64)),
            ("float32", Value::Float32(32.0)),
            ("float64", Value::Float64(-64.0)),
            ("boolean", Value::Boolean(true)),
            ("string", Value::from("42")),
        ]);
        let mut t = xform(
            KeyOrValue::Value,
            "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,\
             boolean:int8,string:int32",
        );
        let mut r = record_with(KeyOrValue::Value, None, value);
        t.apply(&mut r).unwrap();
        assert!(r.value_schema.is_none());
        assert_eq!(
            r.value,
            map(vec![
                ("int8", Value::Int16(8)),
                ("int16", Value::Int32(16)),
                ("int32", Value::Int64(32)),
                ("int64", Value::Boolean(true)),
                ("float32", Value::Float64(32.0)),
                ("float64", Value::Boolean(true)),
                ("boolean", Value::Int8(1)),
                ("string", Value::Int32(42)),
            ])
        );
    }

    #[test]
    fn java_narrowing_parsing_and_errors() {
        let cast = |v: Value, t: SchemaType| cast_value(None, &v, t);
        assert_eq!(
            cast(Value::Int32(300), SchemaType::Int8).unwrap(),
            Value::Int8(44)
        );
        assert_eq!(
            cast(Value::Float64(-2.9), SchemaType::Int32).unwrap(),
            Value::Int32(-2)
        );
        assert_eq!(
            cast(Value::Float64(1e20), SchemaType::Int32).unwrap(),
            Value::Int32(i32::MAX)
        );
        assert_eq!(
            cast(Value::Float64(f64::NAN), SchemaType::Int64).unwrap(),
            Value::Int64(0)
        );
        assert_eq!(
            cast(Value::Float64(0.5), SchemaType::Boolean).unwrap(),
            Value::Boolean(false)
        );
        assert_eq!(
            cast(Value::Float32(1.5), SchemaType::String).unwrap(),
            Value::from("1.5")
        );
        assert_eq!(
            cast(Value::Float64(1e20), SchemaType::String).unwrap(),
            Value::from("1.0E20")
        );
        assert_eq!(
            cast(Value::from("TRUE"), SchemaType::Boolean).unwrap(),
            Value::Boolean(true)
        );
        assert_eq!(
            cast(Value::from("yes"), SchemaType::Boolean).unwrap(),
            Value::Boolean(false)
        );
        assert_eq!(
            cast(Value::from("+7"), SchemaType::Int16).unwrap(),
            Value::Int16(7)
        );
        assert_eq!(
            cast(Value::from(" 1.5f "), SchemaType::Float64).unwrap(),
            Value::Float64(1.5)
        );
        assert_eq!(
            cast(Value::from("-Infinity"), SchemaType::Float32).unwrap(),
            Value::Float32(f32::NEG_INFINITY)
        );
        assert_eq!(
            cast(Value::from("1e3"), SchemaType::Float32).unwrap(),
            Value::Float32(1000.0)
        );
        for (text, ty) in [
            ("128", SchemaType::Int8),
            ("4.5", SchemaType::Int32),
            (" 1", SchemaType::Int64),
        ] {
            assert_eq!(
                cast(Value::from(text), ty).unwrap_err().to_string(),
                format!("Value ({text}) was out of range for requested data type")
            );
        }
        for text in ["inf", "nan", "abc", ""] {
            assert!(
                cast(Value::from(text), SchemaType::Float64).is_err(),
                "{text}"
            );
        }
        assert_eq!(
            cast(Value::Bytes(vec![1].into()), SchemaType::Int32)
                .unwrap_err()
                .to_string(),
            "Unexpected type in Cast transformation: class [B"
        );
        assert_eq!(
            cast(Value::Decimal(Decimal::new(1, 0)), SchemaType::Int32)
                .unwrap_err()
                .to_string(),
            "Cast transformation was passed a value of type class java.math.BigDecimal which is \
             not supported by Connect's data API"
        );
        let decimal = logical::decimal(2).build();
        let d = |unscaled: i64| Value::Decimal(Decimal::new(unscaled, 2));
        assert_eq!(
            cast_value(Some(&decimal), &d(-1999), SchemaType::Int64).unwrap(),
            Value::Int64(-19)
        );
        assert_eq!(
            cast_value(Some(&decimal), &d(12345), SchemaType::Float64).unwrap(),
            Value::Float64(123.45)
        );
        assert_eq!(
            cast_value(Some(&decimal), &d(25600), SchemaType::Int8).unwrap(),
            Value::Int8(0)
        );
        assert_eq!(
            cast_value(Some(&decimal), &d(50), SchemaType::Boolean).unwrap(),
            Value::Boolean(false)
        );
        let big = "123456789012345678901234567890".parse::<Decimal>().unwrap();
        // Java: new BigDecimal("123456789012345678901234567890").longValue()
        assert_eq!(decimal_low_bits(&big), -4_362_896_299_872_285_998);
        let exp = "1.5E+3".parse::<Decimal>().unwrap();
        assert_eq!(
            cast_value(
                Some(&logical::decimal(-2).build()),
                &Value::Decimal(exp),
                SchemaType::String
            )
            .unwrap(),
            Value::from("1.5E+3")
        );
    }

    #[test]
    fn missing_schemaless_fields_are_added_as_null_and_structs_refused() {
        let mut t = xform(KeyOrValue::Value, "a:int8,b:string");
        let mut r = record_with(KeyOrValue::Value, None, map(vec![("a", Value::Int64(1))]));
        t.apply(&mut r).unwrap();
        assert_eq!(
            r.value,
            map(vec![("a", Value::Int8(1)), ("b", Value::Null)])
        );

        let mut r = record_with(KeyOrValue::Value, None, Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [cast types], found: java.lang.String"
        );
        let mut r = record_with(KeyOrValue::Value, Some(Schema::string()), Value::from("x"));
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Struct objects supported for [cast types], found: java.lang.String"
        );
        let inner = SchemaBuilder::struct_().field("x", Schema::int32()).build();
        let schema = SchemaBuilder::struct_().field("a", inner.clone()).build();
        let value = Struct::new(schema.clone()).with("a", Struct::new(inner).with("x", 1));
        let mut r = record_with(KeyOrValue::Value, Some(schema), Value::Struct(value));
        assert!(data_message(t.apply(&mut r))
            .starts_with("Cast transformation does not support casting from STRUCT"));
    }

    #[test]
    fn a_struct_default_has_its_fields_cast_and_schemas_are_cached() {
        let base = SchemaBuilder::struct_()
            .optional()
            .field("n", Schema::int32());
        let default = Struct::new(base.clone().build()).with("n", 7);
        let schema = base.default_value(Value::Struct(default)).build();
        let mut t = xform(KeyOrValue::Value, "n:string");
        let mut first: Option<SchemaRef> = None;
        for n in [1, 2] {
            let value = Struct::new(schema.clone()).with("n", n);
            let mut r = record_with(
                KeyOrValue::Value,
                Some(schema.clone()),
                Value::Struct(value),
            );
            t.apply(&mut r).unwrap();
            assert_eq!(r.value.get("n"), Some(&Value::from(n.to_string())));
            let updated = r.value_schema.unwrap();
            assert!(updated.optional);
            assert_eq!(
                updated.default.as_ref().and_then(|d| d.get("n")),
                Some(&Value::from("7"))
            );
            if let Some(f) = &first {
                assert!(SchemaRef::ptr_eq(f, &updated));
            }
            first = Some(updated);
        }
    }
}
