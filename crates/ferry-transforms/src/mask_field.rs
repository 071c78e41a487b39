//! `org.apache.kafka.connect.transforms.MaskField$Key` / `$Value`:
//! replaces the named fields of a struct or schemaless map with the
//! "empty" value of their type (`0`, `false`, `""`, epoch, empty list or
//! map), or with `replacement` converted to the field's type (numbers and
//! strings only). Null fields stay null.

use std::collections::BTreeSet;

use ferry_api::data::logical;
use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord, ConnectResult,
    Decimal, Importance, KeyOrValue, Outcome, PropertyMap, Schema, Struct, Transformation,
    Validator, Value,
};

use crate::config::non_empty_list;
use crate::config::replace_null_with_default_key;
use crate::requirements::{java_class_name, require_map, require_struct};
use crate::schema_util::{field_value, map_get, map_put};
use crate::TransformError;

/// Key: the fields to mask.
pub const FIELDS: &str = "fields";
/// Key: the value masked numbers and strings get instead of the empty one.
pub const REPLACEMENT: &str = "replacement";
/// Key: whether null fields with a default are read as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

const PURPOSE: &str = "mask fields";

/// `replacement` converted once to each type it can mask.
#[derive(Debug)]
struct Replacement {
    text: String,
    /// Java's `new BigDecimal(text).longValue()`, for the integer types.
    long: Option<i64>,
    /// Java's `new BigDecimal(text).doubleValue()`, for FLOAT32 / FLOAT64.
    double: Option<f64>,
    /// Java's `new BigDecimal(text)`, for Decimal.
    decimal: Option<Decimal>,
}

impl Replacement {
    fn new(text: &str) -> Self {
        let decimal: Option<Decimal> = text.parse().ok();
        Replacement {
            text: text.to_string(),
            long: decimal.as_ref().map(long_value),
            double: decimal
                .as_ref()
                .map(|d| format!("{}e{}", d.unscaled, -i64::from(d.scale)))
                .and_then(|s| s.parse().ok()),
            decimal,
        }
    }

    /// The error of a failed integer or floating point conversion
    /// (Kafka's `Values.asLong`).
    fn not_a_number(&self) -> TransformError {
        TransformError::Data(format!(
            "Unable to convert {} (class java.lang.String) to a number",
            self.text
        ))
    }
}

/// Java's `BigDecimal.longValue()`: the integer part, truncated toward
/// zero, in the low 64 bits.
fn long_value(d: &Decimal) -> i64 {
    let text = d.unscaled.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let scale = i64::from(d.scale);
    let int_digits = if scale >= 0 {
        let keep = (digits.len() as i64 - scale).max(0) as usize;
        &digits[..keep]
    } else {
        digits
    };
    let mut acc: u64 = 0;
    for b in int_digits.bytes() {
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
    }
    // Trailing zeros of a negative scale; 10^64 is 0 modulo 2^64.
    for _ in 0..(-scale).clamp(0, 64) {
        acc = acc.wrapping_mul(10);
    }
    let v = acc as i64;
    if negative {
        v.wrapping_neg()
    } else {
        v
    }
}

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct MaskField {
    side: KeyOrValue,
    fields: BTreeSet<String>,
    replacement: Option<Replacement>,
    replace_null_with_default: bool,
}

impl MaskField {
    /// `MaskField$Key` or `MaskField$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        MaskField {
            side,
            fields: BTreeSet::new(),
            replacement: None,
            replace_null_with_default: true,
        }
    }

    /// Kafka's `masked`: null stays null, else the empty value or the
    /// replacement. `schema` is the field's, when known.
    fn masked(&self, schema: Option<&Schema>, value: &Value) -> Result<Value, TransformError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        match &self.replacement {
            None => mask_with_null_value(schema, value),
            Some(r) => mask_with_replacement(schema, value, r),
        }
    }
}

fn is_temporal(schema: Option<&Schema>) -> bool {
    schema.is_some_and(|s| {
        s.is_logical(logical::DATE)
            || s.is_logical(logical::TIME)
            || s.is_logical(logical::TIMESTAMP)
    })
}

/// Kafka's `maskWithNullValue`.
fn mask_with_null_value(schema: Option<&Schema>, value: &Value) -> Result<Value, TransformError> {
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        // Date, Time and Timestamp mask to the epoch: 0 as well.
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        // BigDecimal.ZERO; kept at the value's scale so that it still fits
        // its Decimal schema.
        Value::Decimal(d) => Value::Decimal(Decimal::new(0, d.scale)),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        Value::Null | Value::Bytes(_) | Value::Struct(_) => {
            return Err(TransformError::Data(format!(
                "Cannot mask value of type: class {}",
                java_class_name(schema, value)
            )))
        }
    })
}

/// Kafka's `maskWithCustomReplacement`.
fn mask_with_replacement(
    schema: Option<&Schema>,
    value: &Value,
    r: &Replacement,
) -> Result<Value, TransformError> {
    let long = || r.long.ok_or_else(|| r.not_a_number());
    let double = || r.double.ok_or_else(|| r.not_a_number());
    Ok(match value {
        Value::Int32(_) | Value::Int64(_) if is_temporal(schema) => {
            return Err(unsupported(schema, value));
        }
        Value::Int8(_) => Value::Int8(long()? as i8),
        Value::Int16(_) => Value::Int16(long()? as i16),
        Value::Int32(_) => Value::Int32(long()? as i32),
        Value::Int64(_) => Value::Int64(long()?),
        Value::Float32(_) => Value::Float32(double()? as f32),
        Value::Float64(_) => Value::Float64(double()?),
        Value::String(_) => Value::String(r.text.clone()),
        Value::Decimal(_) => Value::Decimal(r.decimal.clone().ok_or_else(|| {
            TransformError::Data(format!(
                "Unable to convert {} (class java.lang.String) to number",
                r.text
            ))
        })?),
        _ => return Err(unsupported(schema, value)),
    })
}

fn unsupported(schema: Option<&Schema>, value: &Value) -> TransformError {
    TransformError::Data(format!(
        "Cannot mask value of type class {} with custom replacement.",
        java_class_name(schema, value)
    ))
}

impl Transformation for MaskField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(FIELDS, ConfigType::List)
                    .required()
                    .validator(non_empty_list())
                    .importance(Importance::High)
                    .doc("Names of fields to mask."),
            )
            .define(
                ConfigKey::new(REPLACEMENT, ConfigType::String)
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::String(s) if s.is_empty() => {
                            Err("String must be non-empty".to_string())
                        }
                        _ => Ok(()),
                    }))
                    .importance(Importance::Low)
                    .doc(
                        "Custom value replacement, that will be applied to all 'fields' values \
                         (numeric or non-empty string values only).",
                    ),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.fields = c.list(FIELDS).iter().cloned().collect();
        self.replacement = c.string(REPLACEMENT).map(Replacement::new);
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        // Mask from the borrowed side first (masking can fail), then move
        // the rest of the side over.
        let (schema, value) = record.part(self.side);
        let schemaless = schema.is_none();
        let mut masked = Vec::with_capacity(self.fields.len());
        match schema {
            None => {
                let entries = require_map(value, PURPOSE)?;
                for name in &self.fields {
                    let v = map_get(entries, name).unwrap_or(&Value::Null);
                    masked.push((name.as_str(), self.masked(None, v)?));
                }
            }
            Some(schema) => {
                let s = require_struct(Some(schema), value, PURPOSE)?;
                for field in &s.schema().fields {
                    if self.fields.contains(&field.name) {
                        let v = field_value(s, field, self.replace_null_with_default);
                        masked.push((field.name.as_str(), self.masked(Some(&field.schema), v)?));
                    }
                }
            }
        }
        let masked: Vec<(String, Value)> = masked
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        let side = record.part_mut(self.side).1;
        match (std::mem::take(side), schemaless) {
            (Value::Map(mut entries), true) => {
                for (name, v) in masked {
                    map_put(&mut entries, &name, v);
                }
                *side = Value::Map(entries);
            }
            (Value::Struct(s), false) => {
                let struct_schema = s.schema().clone();
                let mut values = s.into_values();
                for (field, v) in struct_schema.fields.iter().zip(values.iter_mut()) {
                    match (&field.schema.default, v.is_null()) {
                        (Some(d), true) if self.replace_null_with_default => *v = d.clone(),
                        _ => {}
                    }
                }
                for (name, m) in masked {
                    if let Some(f) = struct_schema.field(&name) {
                        values[f.index] = m;
                    }
                }
                *side = Value::Struct(Struct::from_values(struct_schema, values)?);
            }
            (other, _) => *side = other,
        }
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with};
    use ferry_api::{SchemaBuilder, SchemaRef, SchemaType};

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("magic", Schema::int32())
            .field("bool", Schema::boolean())
            .field("byte", Schema::int8())
            .field("short", Schema::int16())
            .field("int", Schema::int32())
            .field("long", Schema::int64())
            .field("float", Schema::float32())
            .field("double", Schema::float64())
            .field("string", Schema::string())
            .field("date", logical::date().build())
            .field("time", logical::time().build())
            .field("timestamp", logical::timestamp().build())
            .field("decimal", logical::decimal(0).build())
            .field("array", SchemaBuilder::array(Schema::int32()).build())
            .field(
                "map",
                SchemaBuilder::map(Schema::string(), Schema::string()).build(),
            )
            .field(
                "withDefault",
                SchemaBuilder::new(SchemaType::String)
                    .optional()
                    .default_value("default".into())
                    .build(),
            )
            .build()
    }

    fn values_with_schema() -> Value {
        Struct::new(schema())
            .with("magic", 42)
            .with("bool", true)
            .with("byte", Value::Int8(42))
            .with("short", Value::Int16(42))
            .with("int", 42)
            .with("long", 42i64)
            .with("float", Value::Float32(42.0))
            .with("double", 42.0)
            .with("string", "hmm")
            .with("date", 19_000)
            .with("time", 3_600_000)
            .with("timestamp", 1_700_000_000_000i64)
            .with("decimal", Decimal::new(42, 0))
            .with("array", Value::Array(vec![1.into(), 2.into(), 3.into()]))
            .with("map", map(vec![("what", "what".into())]))
            .into()
    }

    /// Kafka's schemaless VALUES (no Date or BigInteger in Ferry's data
    /// model; `bigdec` is a Decimal).
    fn values() -> Value {
        map(vec![
            ("magic", 42.into()),
            ("bool", true.into()),
            ("byte", Value::Int8(42)),
            ("short", Value::Int16(42)),
            ("int", 42.into()),
            ("long", 42i64.into()),
            ("float", Value::Float32(42.0)),
            ("double", 42.0.into()),
            ("string", "55.121.20.20".into()),
            ("bigdec", Decimal::new(420, 1).into()),
            ("list", Value::Array(vec![42.into()])),
            ("map", map(vec![("key", "value".into())])),
        ])
    }

    fn transform(fields: &str, replacement: Option<&str>) -> MaskField {
        let mut pairs = vec![(FIELDS, fields), (REPLACE_NULL_WITH_DEFAULT, "false")];
        if let Some(r) = replacement {
            pairs.push((REPLACEMENT, r));
        }
        configure(MaskField::new(KeyOrValue::Value), &pairs)
    }

    fn masked(
        fields: &str,
        replacement: Option<&str>,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectResult<Value> {
        let mut r = record_with(KeyOrValue::Value, schema, value);
        transform(fields, replacement).apply(&mut r)?;
        Ok(r.value)
    }

    // Kafka's MaskFieldTest.
    #[test]
    fn schemaless() {
        let fields = "bool,byte,short,int,long,float,double,string,bigdec,list,map";
        let out = masked(fields, None, None, values()).unwrap();
        let expected = map(vec![
            ("magic", 42.into()),
            ("bool", false.into()),
            ("byte", Value::Int8(0)),
            ("short", Value::Int16(0)),
            ("int", 0.into()),
            ("long", 0i64.into()),
            ("float", Value::Float32(0.0)),
            ("double", 0.0.into()),
            ("string", "".into()),
            ("bigdec", Decimal::new(0, 1).into()),
            ("list", Value::Array(vec![])),
            ("map", map(vec![])),
        ]);
        assert_eq!(out, expected);
    }

    #[test]
    fn with_schema() {
        let fields = schema()
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| *n != "magic")
            .collect::<Vec<_>>()
            .join(",");
        let out = masked(&fields, None, Some(schema()), values_with_schema()).unwrap();
        let get = |n: &str| out.get(n).unwrap().clone();
        assert_eq!(get("magic"), Value::Int32(42));
        assert_eq!(get("bool"), Value::Boolean(false));
        assert_eq!(get("byte"), Value::Int8(0));
        assert_eq!(get("short"), Value::Int16(0));
        assert_eq!(get("int"), Value::Int32(0));
        assert_eq!(get("long"), Value::Int64(0));
        assert_eq!(get("float"), Value::Float32(0.0));
        assert_eq!(get("double"), Value::Float64(0.0));
        assert_eq!(get("string"), Value::from(""));
        assert_eq!(get("date"), Value::Int32(0));
        assert_eq!(get("time"), Value::Int32(0));
        assert_eq!(get("timestamp"), Value::Int64(0));
        assert_eq!(get("decimal"), Value::Decimal(Decimal::new(0, 0)));
        assert_eq!(get("array"), Value::Array(vec![]));
        assert_eq!(get("map"), map(vec![]));
        assert_eq!(get("withDefault"), Value::Null);
    }

    #[test]
    fn schemaless_with_replacement() {
        for (field, expected) in [
            ("short", Value::Int16(123)),
            ("byte", Value::Int8(123)),
            ("int", Value::Int32(123)),
            ("long", Value::Int64(123)),
            ("float", Value::Float32(123.0)),
            ("double", Value::Float64(123.0)),
            ("string", Value::from("123")),
        ] {
            let out = masked(field, Some("123"), None, values()).unwrap();
            assert_eq!(out.get(field), Some(&expected), "{field}");
        }
        let out = masked("bigdec", Some("123.0"), None, values()).unwrap();
        assert_eq!(out.get("bigdec"), Some(&Decimal::new(1230, 1).into()));
    }

    #[test]
    fn schemaless_unsupported_replacement_type() {
        for (fields, replacement) in [("bool", "false"), ("list", "[123]"), ("map", "{123=321}")] {
            let err = data_message(masked(fields, Some(replacement), None, values()));
            assert!(err.starts_with("Cannot mask value of type"), "{err}");
        }
        assert_eq!(
            data_message(masked("bool", Some("false"), None, values())),
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
    }

    #[test]
    fn with_schema_and_replacement() {
        for (field, replacement, expected) in [
            ("short", "123", Value::Int16(123)),
            ("byte", "123", Value::Int8(123)),
            ("int", "123", Value::Int32(123)),
            ("long", "123", Value::Int64(123)),
            ("float", "123.0", Value::Float32(123.0)),
            ("double", "123.0", Value::Float64(123.0)),
            ("string", "123", Value::from("123")),
            ("decimal", "123.0", Decimal::new(1230, 1).into()),
        ] {
            let out = masked(
                field,
                Some(replacement),
                Some(schema()),
                values_with_schema(),
            );
            assert_eq!(out.unwrap().get(field), Some(&expected), "{field}");
        }
    }

    #[test]
    fn with_schema_unsupported_replacement_type() {
        for field in ["time", "timestamp", "date"] {
            assert_eq!(
                data_message(masked(
                    field,
                    Some("x"),
                    Some(schema()),
                    values_with_schema()
                )),
                "Cannot mask value of type class java.util.Date with custom replacement."
            );
        }
        assert_eq!(
            data_message(masked(
                "array",
                Some("[123]"),
                Some(schema()),
                values_with_schema()
            )),
            "Cannot mask value of type class java.util.ArrayList with custom replacement."
        );
    }

    #[test]
    fn replacement_type_mismatch() {
        for field in ["byte", "short", "int", "long", "float", "double"] {
            assert_eq!(
                data_message(masked(field, Some("foo"), None, values())),
                "Unable to convert foo (class java.lang.String) to a number",
                "{field}"
            );
        }
        assert_eq!(
            data_message(masked("bigdec", Some("foo"), None, values())),
            "Unable to convert foo (class java.lang.String) to number"
        );
        assert!(masked("string,int", Some("foo"), None, values()).is_err());
    }

    #[test]
    fn an_empty_replacement_is_refused() {
        let errors = MaskField::new(KeyOrValue::Value)
            .configure(&ferry_api::property_map([
                (FIELDS, "short"),
                (REPLACEMENT, ""),
            ]))
            .unwrap_err();
        assert_eq!(errors.0[0].key, REPLACEMENT);
        assert_eq!(errors.0[0].reason, "String must be non-empty");
    }

    // Beyond Kafka's cases.
    #[test]
    fn integer_replacements_convert_as_java_narrowing_does() {
        let r = Replacement::new("300.9");
        assert_eq!(r.long, Some(300));
        assert_eq!(
            mask_with_replacement(None, &Value::Int8(1), &r).unwrap(),
            Value::Int8(44)
        );
        assert_eq!(Replacement::new("-7.5").long, Some(-7));
        assert_eq!(Replacement::new("1.5E+3").long, Some(1500));
        assert_eq!(Replacement::new("1e100").long, Some(0));
        assert_eq!(Replacement::new("18446744073709551617").long, Some(1));
        assert_eq!(Replacement::new("0.001").long, Some(0));
        assert_eq!(Replacement::new("2.5e-3").double, Some(0.0025));
        assert_eq!(Replacement::new("abc").double, None);
    }

    #[test]
    fn masking_keeps_nulls_and_reads_defaults_when_told_to() {
        let mut t = configure(
            MaskField::new(KeyOrValue::Key),
            &[(FIELDS, "withDefault,string")],
        );
        let mut r = record_with(KeyOrValue::Key, Some(schema()), values_with_schema());
        t.apply(&mut r).unwrap();
        assert_eq!(r.key.get("withDefault"), Some(&Value::from("")));
        assert_eq!(r.key.get("string"), Some(&Value::from("")));
        assert_eq!(r.key.get("magic"), Some(&Value::Int32(42)));

        let out = masked("absent", None, None, map(vec![])).unwrap();
        assert_eq!(
            out,
            map(vec![("absent", Value::Null)]),
            "as Java's put(field, null)"
        );
    }

    #[test]
    fn bytes_and_structs_cannot_be_masked_and_null_is_refused() {
        let out = masked(
            "b",
            None,
            None,
            map(vec![("b", Value::Bytes(vec![1u8].into()))]),
        );
        assert_eq!(data_message(out), "Cannot mask value of type: class [B");
        let out = masked("b", None, None, Value::Null);
        assert_eq!(
            data_message(out),
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
    }
}
