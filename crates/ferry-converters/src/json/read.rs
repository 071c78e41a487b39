//! JSON text → Connect value, typed by a schema or inferred without one, as
//! Kafka's `JsonConverter.convertToConnect`.
//!
//! The text is parsed once, straight into [`Value`]s (serde seeds driven by
//! the schema), without building a `serde_json::Value` tree. Decimal values
//! are read from their raw text so NUMERIC decimals keep every digit.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use ferry_api::data::{logical, Decimal, Schema, SchemaRef, SchemaType, Struct, Value};
use ferry_api::error::{ConnectError, ConnectResult};

use super::config::JsonConverterConfig;
use super::{type_upper, BASE64};

/// Parses one JSON document into a value, typed by `schema` (validated,
/// nulls replaced by defaults per `cfg`) or inferred without one. No
/// envelope. Decimal fields are exact, including NUMERIC ones.
///
/// ```
/// use ferry_converters::json::{read_value, JsonConverterConfig};
/// use ferry_api::Value;
///
/// let v = read_value(None, br#"{"a":[1,2.5,"x"]}"#, &JsonConverterConfig::default()).unwrap();
/// assert_eq!(v.get("a"), Some(&Value::Array(vec![
///     Value::Int64(1), Value::Float64(2.5), Value::String("x".into()),
/// ])));
/// ```
pub fn read_value(
    schema: Option<&SchemaRef>,
    json: &[u8],
    cfg: &JsonConverterConfig,
) -> ConnectResult<Value> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = ValueSeed { schema, cfg }
        .deserialize(&mut de)
        .map_err(read_error)?;
    de.end().map_err(read_error)?;
    Ok(value)
}

/// A value from a `serde_json::Value` tree; see [`read_value`]. Numbers in a
/// tree are already `f64`, so NUMERIC decimals are only as exact as that.
pub fn value_from_json(
    schema: Option<&SchemaRef>,
    json: &serde_json::Value,
    cfg: &JsonConverterConfig,
) -> ConnectResult<Value> {
    let text = serde_json::to_vec(json)
        .map_err(|e| ConnectError::data(format!("JSON value could not be written: {e}")))?;
    read_value(schema, &text, cfg)
}

/// Turns a parse error into a data error: bad JSON gets Kafka's
/// "serialization error" wording; conversion problems keep their message.
pub(crate) fn read_error(e: serde_json::Error) -> ConnectError {
    match e.classify() {
        serde_json::error::Category::Data => ConnectError::data(e.to_string()),
        _ => ConnectError::data(format!(
            "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
        )),
    }
}

/// Deserializes one value typed by an optional schema.
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<'s> {
    pub(crate) schema: Option<&'s SchemaRef>,
    pub(crate) cfg: &'s JsonConverterConfig,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.schema {
            None => d.deserialize_any(Schemaless),
            Some(schema) => d.deserialize_option(Typed {
                schema,
                cfg: self.cfg,
            }),
        }
    }
}

/// What a JSON null means for a schema: its default, null, or an error.
fn null_value(schema: &Schema, cfg: &JsonConverterConfig) -> Result<Value, String> {
    if cfg.replace_null_with_default {
        if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
            return Ok(default.clone());
        }
    }
    if schema.optional {
        Ok(Value::Null)
    } else {
        Err(format!(
            "Invalid null value for required {} field",
            type_upper(schema.schema_type)
        ))
    }
}

/// Null or a typed value.
struct Typed<'s> {
    schema: &'s SchemaRef,
    cfg: &'s JsonConverterConfig,
}

impl<'de> Visitor<'de> for Typed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} value", type_upper(self.schema.schema_type))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        null_value(self.schema, self.cfg).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let (schema, cfg) = (self.schema, self.cfg);
        if schema.is_logical(logical::DECIMAL) {
            let raw = <&'de RawValue>::deserialize(d)?;
            return decimal_from_text(schema, raw.get()).map_err(de::Error::custom);
        }
        match schema.schema_type {
            t @ (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64) => {
                d.deserialize_any(IntVisitor(t))
            }
            t @ (SchemaType::Float32 | SchemaType::Float64) => d.deserialize_any(FloatVisitor(t)),
            SchemaType::Boolean => d.deserialize_any(BoolVisitor),
            SchemaType::String => d.deserialize_any(StringVisitor),
            SchemaType::Bytes => d.deserialize_any(BytesVisitor),
            SchemaType::Array => d.deserialize_any(ArrayVisitor(ValueSeed {
                schema: schema.value_schema.as_ref(),
                cfg,
            })),
            SchemaType::Map => {
                let values = ValueSeed {
                    schema: schema.value_schema.as_ref(),
                    cfg,
                };
                match schema.key_schema.as_ref() {
                    Some(k) if k.schema_type != SchemaType::String => {
                        d.deserialize_any(PairsVisitor {
                            keys: ValueSeed {
                                schema: Some(k),
                                cfg,
                            },
                            values,
                        })
                    }
                    _ => d.deserialize_any(ObjectVisitor(values)),
                }
            }
            SchemaType::Struct => d.deserialize_any(StructVisitor { schema, cfg }),
        }
    }
}

/// A Decimal from the raw JSON text of its value: a base64 string of the
/// unscaled bytes (scale from the schema) or a number (exact, from its text).
fn decimal_from_text(schema: &Schema, text: &str) -> Result<Value, String> {
    let t = text.trim();
    match t.as_bytes().first() {
        Some(b'"') => {
            let s: Cow<'_, str> = if t.contains('\\') {
                Cow::Owned(serde_json::from_str::<String>(t).map_err(|e| e.to_string())?)
            } else {
                Cow::Borrowed(&t[1..t.len() - 1])
            };
            let bytes = base64::Engine::decode(&BASE64, s.as_bytes())
                .map_err(|e| format!("Invalid bytes for Decimal field: {e}"))?;
            let scale = schema
                .decimal_scale()
                .ok_or("Invalid Decimal schema: scale parameter not found.")?;
            Ok(Value::Decimal(Decimal::from_unscaled_bytes(&bytes, scale)))
        }
        Some(b'-' | b'0'..=b'9') => {
            let d: Decimal = t
                .parse()
                .map_err(|e| format!("Invalid number for Decimal field: {e}"))?;
            let d = match schema.decimal_scale() {
                Some(scale) => d.rescale(scale).unwrap_or(d),
                None => d,
            };
            Ok(Value::Decimal(d))
        }
        _ => Err(format!(
            "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
            json_kind(t)
        )),
    }
}

fn json_kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b't' | b'f') => "BOOLEAN",
        Some(b'[') => "ARRAY",
        Some(b'{') => "OBJECT",
        Some(b'n') => "NULL",
        _ => "an unknown JSON type",
    }
}

/// A JSON integer in the range of INT8…INT64. Integral floats (`2.0`) are
/// accepted; fractions are refused rather than truncated.
struct IntVisitor(SchemaType);

impl IntVisitor {
    fn fit<E: de::Error>(&self, v: i64) -> Result<Value, E> {
        let value = match self.0 {
            SchemaType::Int8 => i8::try_from(v).ok().map(Value::Int8),
            SchemaType::Int16 => i16::try_from(v).ok().map(Value::Int16),
            SchemaType::Int32 => i32::try_from(v).ok().map(Value::Int32),
            _ => Some(Value::Int64(v)),
        };
        value.ok_or_else(|| {
            E::custom(format!(
                "{v} is out of range for {} (schema type {})",
                self.0.connect_name(),
                type_upper(self.0)
            ))
        })
    }
}

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer for schema type {}", type_upper(self.0))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.fit(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.fit(v),
            Err(_) => Err(E::custom(format!(
                "{v} is out of range for {} (schema type {})",
                self.0.connect_name(),
                type_upper(self.0)
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // i64::MAX as f64 rounds up to 2^63, which is already out of range.
        if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
            self.fit(v as i64)
        } else {
            Err(E::invalid_type(Unexpected::Float(v), &self))
        }
    }
}

/// A JSON number, or one of Jackson's strings for non-finite floats.
struct FloatVisitor(SchemaType);

impl FloatVisitor {
    fn value(&self, v: f64) -> Value {
        if self.0 == SchemaType::Float32 {
            Value::Float32(v as f32)
        } else {
            Value::Float64(v)
        }
    }
}

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a number for schema type {}", type_upper(self.0))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(self.value(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(self.value(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(self.value(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        match v {
            "NaN" => Ok(self.value(f64::NAN)),
            "Infinity" => Ok(self.value(f64::INFINITY)),
            "-Infinity" => Ok(self.value(f64::NEG_INFINITY)),
            _ => Err(E::invalid_type(Unexpected::Str(v), &self)),
        }
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean for schema type BOOLEAN")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
}

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string for schema type STRING")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string for schema type BYTES")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        base64::Engine::decode(&BASE64, v.as_bytes())
            .map(|b| Value::Bytes(Bytes::from(b)))
            .map_err(|e| E::custom(format!("Invalid bytes field: {e}")))
    }
}

struct ArrayVisitor<'s>(ValueSeed<'s>);

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array for schema type ARRAY")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
}

/// A map with string keys, written as a JSON object.
struct ObjectVisitor<'s>(ValueSeed<'s>);

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object (maps with string keys are encoded as JSON objects)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(Key(k)) = map.next_key()? {
            let v = map.next_value_seed(self.0)?;
            entries.push((Value::String(k.into_owned()), v));
        }
        Ok(Value::Map(entries))
    }
}

/// A map with non-string keys, written as an array of `[key, value]` pairs.
struct PairsVisitor<'s> {
    keys: ValueSeed<'s>,
    values: ValueSeed<'s>,
}

impl<'de> Visitor<'de> for PairsVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of [key, value] pairs (maps with non-string keys are encoded as JSON arrays of tuples)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(entry) = seq.next_element_seed(PairSeed {
            keys: self.keys,
            values: self.values,
        })? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

struct PairSeed<'s> {
    keys: ValueSeed<'s>,
    values: ValueSeed<'s>,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_> {
    type Value = (Value, Value);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(Value, Value), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PairSeed<'_> {
    type Value = (Value, Value);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [key, value] array tuple as map entry")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(Value, Value), A::Error> {
        let key = seq
            .next_element_seed(self.keys)?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value = seq
            .next_element_seed(self.values)?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(
                "Found invalid map entry, expected length 2 but found more",
            ));
        }
        Ok((key, value))
    }
}

/// A struct: a JSON object whose keys are field names. Unknown keys are
/// ignored; missing fields are treated as null (default, null or error).
struct StructVisitor<'s> {
    schema: &'s SchemaRef,
    cfg: &'s JsonConverterConfig,
}

impl<'de> Visitor<'de> for StructVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object for schema type STRUCT")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let fields = &self.schema.fields;
        let mut values: Vec<Option<Value>> = vec![None; fields.len()];
        let mut next = 0;
        while let Some(Key(name)) = map.next_key()? {
            // Fields usually arrive in schema order: try the next one first.
            let index = if fields.get(next).is_some_and(|f| f.name == name) {
                Some(next)
            } else {
                fields.iter().position(|f| f.name == name)
            };
            match index {
                Some(i) => {
                    values[i] = Some(map.next_value_seed(ValueSeed {
                        schema: Some(&fields[i].schema),
                        cfg: self.cfg,
                    })?);
                    next = i + 1;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let mut out = Vec::with_capacity(fields.len());
        for (field, value) in fields.iter().zip(values) {
            match value {
                Some(v) => out.push(v),
                None => out.push(
                    null_value(&field.schema, self.cfg)
                        .map_err(|e| de::Error::custom(format!("{e} {:?}", field.name)))?,
                ),
            }
        }
        Struct::from_values(self.schema.clone(), out)
            .map(Value::Struct)
            .map_err(de::Error::custom)
    }
}

/// Kafka's inference without a schema.
struct Schemaless;

impl<'de> Visitor<'de> for Schemaless {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float64(v as f64), Value::Int64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        ArrayVisitor(SCHEMALESS).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        ObjectVisitor(SCHEMALESS).visit_map(map)
    }
}

/// Nested values without a schema; the config only matters with schemas.
const SCHEMALESS: ValueSeed<'static> = ValueSeed {
    schema: None,
    cfg: &SCHEMALESS_CONFIG,
};

const SCHEMALESS_CONFIG: JsonConverterConfig = JsonConverterConfig {
    schemas_enable: false,
    schemas_cache_size: 0,
    decimal_format: super::config::DecimalFormat::Base64,
    replace_null_with_default: true,
};

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}
