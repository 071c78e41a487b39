//! Connect value → JSON text, written straight into a byte buffer (no
//! intermediate tree), as Kafka's `JsonConverter.convertToJson`.

use ferry_api::data::{logical, Schema, Value};
use ferry_api::error::{ConnectError, ConnectResult};

use super::config::{DecimalFormat, JsonConverterConfig};
use super::{type_upper, value_kind, BASE64};
use ferry_api::data::text;

/// Appends the JSON text of `value` to `out`, typed by `schema` when there is
/// one (validating the value against it, applying defaults to nulls), or
/// inferred from the value when there is none. No envelope.
///
/// ```
/// use ferry_converters::json::{write_value, JsonConverterConfig};
/// use ferry_api::{Schema, SchemaBuilder, Struct, Value};
///
/// let schema = SchemaBuilder::struct_().field("id", Schema::int32()).build();
/// let value = Value::Struct(Struct::new(schema.clone()).with("id", 7));
/// let mut out = Vec::new();
/// write_value(Some(&schema), &value, &JsonConverterConfig::default(), &mut out).unwrap();
/// assert_eq!(out, br#"{"id":7}"#);
/// ```
pub fn write_value(
    schema: Option<&Schema>,
    value: &Value,
    cfg: &JsonConverterConfig,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    Writer { cfg, out }.value(schema, value)
}

/// The JSON of `value` as a `serde_json::Value` tree; see [`write_value`].
///
/// A NUMERIC decimal becomes an `f64` number in the tree (see the module
/// docs on precision); everything else is exact.
pub fn value_to_json(
    schema: Option<&Schema>,
    value: &Value,
    cfg: &JsonConverterConfig,
) -> ConnectResult<serde_json::Value> {
    let mut out = Vec::with_capacity(64);
    write_value(schema, value, cfg, &mut out)?;
    serde_json::from_slice(&out)
        .map_err(|e| ConnectError::data(format!("JSON written for a value did not parse: {e}")))
}

/// Writes JSON text into a buffer. Writing to a `Vec` cannot fail, so only
/// data problems are errors.
pub(crate) struct Writer<'a> {
    pub(crate) cfg: &'a JsonConverterConfig,
    pub(crate) out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    /// A value, typed by its schema if any.
    pub(crate) fn value(&mut self, schema: Option<&Schema>, value: &Value) -> ConnectResult<()> {
        match schema {
            Some(schema) => self.typed(schema, value),
            None => self.schemaless(value),
        }
    }

    fn typed(&mut self, schema: &Schema, value: &Value) -> ConnectResult<()> {
        use ferry_api::data::SchemaType as T;
        if value.is_null() {
            return match schema.default.as_ref().filter(|d| !d.is_null()) {
                Some(default) if self.cfg.replace_null_with_default => self.typed(schema, default),
                _ if schema.optional => {
                    self.raw(b"null");
                    Ok(())
                }
                _ => Err(ConnectError::data(
                    "Conversion error: null value for field that is required and has no default value",
                )),
            };
        }
        if schema.is_logical(logical::DECIMAL) {
            return self.decimal(schema, value);
        }
        match (schema.schema_type, value) {
            (T::Int8, Value::Int8(v)) => self.int(*v),
            (T::Int16, Value::Int16(v)) => self.int(*v),
            (T::Int32, Value::Int32(v)) => self.int(*v),
            (T::Int64, Value::Int64(v)) => self.int(*v),
            (T::Float32, Value::Float32(v)) => self.float32(*v),
            (T::Float64, Value::Float64(v)) => self.float64(*v),
            (T::Boolean, Value::Boolean(b)) => self.raw(if *b { b"true" } else { b"false" }),
            (T::String, Value::String(s)) => self.string(s),
            (T::Bytes, Value::Bytes(b)) => self.bytes(b),
            (T::Array, Value::Array(items)) => {
                return self.array(schema.value_schema.as_deref(), items);
            }
            (T::Map, Value::Map(entries)) => {
                let string_keys = match &schema.key_schema {
                    Some(k) => k.schema_type == T::String,
                    None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
                };
                return self.map(
                    schema.key_schema.as_deref(),
                    schema.value_schema.as_deref(),
                    entries,
                    string_keys,
                );
            }
            (T::Struct, Value::Struct(s)) => {
                let own = s.schema();
                if !std::ptr::eq(&**own, schema) && **own != *schema {
                    return Err(ConnectError::data(format!(
                        "Mismatching schema: the struct's schema ({}) is not the schema it is written with ({})",
                        own.name.as_deref().unwrap_or("unnamed"),
                        schema.name.as_deref().unwrap_or("unnamed"),
                    )));
                }
                return self.fields(s.schema(), s.values());
            }
            (t, v) => {
                return Err(ConnectError::data(format!(
                    "Invalid type for {}: found a {} value",
                    type_upper(t),
                    value_kind(v)
                )))
            }
        }
        Ok(())
    }

    /// Kafka's `convertToJson` with a null schema: the type comes from the value.
    fn schemaless(&mut self, value: &Value) -> ConnectResult<()> {
        match value {
            Value::Null => self.raw(b"null"),
            Value::Int8(v) => self.int(*v),
            Value::Int16(v) => self.int(*v),
            Value::Int32(v) => self.int(*v),
            Value::Int64(v) => self.int(*v),
            Value::Float32(v) => self.float32(*v),
            Value::Float64(v) => self.float64(*v),
            Value::Boolean(b) => self.raw(if *b { b"true" } else { b"false" }),
            Value::String(s) => self.string(s),
            Value::Bytes(b) => self.bytes(b),
            Value::Decimal(d) => text::write_big_decimal(self.out, d),
            Value::Array(items) => return self.array(None, items),
            Value::Map(entries) => {
                let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                return self.map(None, None, entries, string_keys);
            }
            Value::Struct(s) => return self.fields(s.schema(), s.values()),
        }
        Ok(())
    }

    fn decimal(&mut self, schema: &Schema, value: &Value) -> ConnectResult<()> {
        let Value::Decimal(d) = value else {
            return Err(ConnectError::data(format!(
                "Invalid type for Decimal, expected a decimal value but found a {} value",
                value_kind(value)
            )));
        };
        match self.cfg.decimal_format {
            DecimalFormat::Numeric => text::write_big_decimal(self.out, d),
            DecimalFormat::Base64 => {
                let scale = decimal_scale(schema)?;
                if d.scale != scale {
                    return Err(ConnectError::data(format!(
                        "BigDecimal has mismatching scale value for given Decimal schema: \
                         the value {d} has scale {} but the schema's scale is {scale}",
                        d.scale
                    )));
                }
                self.bytes(&d.unscaled_bytes());
            }
        }
        Ok(())
    }

    fn array(&mut self, items: Option<&Schema>, values: &[Value]) -> ConnectResult<()> {
        self.out.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.value(items, v)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn map(
        &mut self,
        keys: Option<&Schema>,
        values: Option<&Schema>,
        entries: &[(Value, Value)],
        string_keys: bool,
    ) -> ConnectResult<()> {
        if string_keys {
            self.out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.string(map_key(keys, k)?);
                self.out.push(b':');
                self.value(values, v)?;
            }
            self.out.push(b'}');
        } else {
            self.out.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.out.push(b'[');
                self.value(keys, k)?;
                self.out.push(b',');
                self.value(values, v)?;
                self.out.push(b']');
            }
            self.out.push(b']');
        }
        Ok(())
    }

    fn fields(&mut self, schema: &Schema, values: &[Value]) -> ConnectResult<()> {
        self.out.push(b'{');
        for (i, (field, v)) in schema.fields.iter().zip(values).enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.string(&field.name);
            self.out.push(b':');
            self.typed(&field.schema, v)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    pub(crate) fn raw(&mut self, text: &[u8]) {
        self.out.extend_from_slice(text);
    }

    pub(crate) fn int(&mut self, v: impl Into<i64>) {
        // Delegates to serde_json's integer formatting (itoa).
        let _ = serde_json::to_writer(&mut *self.out, &v.into());
    }

    fn float64(&mut self, v: f64) {
        if v.is_finite() {
            text::write_double(self.out, v);
        } else {
            self.out.push(b'"');
            text::write_double(self.out, v);
            self.out.push(b'"');
        }
    }

    fn float32(&mut self, v: f32) {
        if v.is_finite() {
            text::write_float(self.out, v);
        } else {
            self.out.push(b'"');
            text::write_float(self.out, v);
            self.out.push(b'"');
        }
    }

    /// A JSON string literal, escaped as serde_json (and Jackson) escape:
    /// only `"`, `\\` and control characters below U+0020 are escaped, so a
    /// string without them (field names, most values) is copied as is.
    pub(crate) fn string(&mut self, s: &str) {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.out.reserve(s.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        } else {
            let _ = serde_json::to_writer(&mut *self.out, s);
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        use base64::Engine as _;
        let start = self.out.len();
        let len = base64::encoded_len(b.len(), true).unwrap_or(0);
        self.out.resize(start + len + 2, b'"');
        let written = BASE64
            .encode_slice(b, &mut self.out[start + 1..start + 1 + len])
            .unwrap_or(0);
        self.out.truncate(start + 1 + written);
        self.out.push(b'"');
    }
}

/// The text of a key in a string-keyed map.
fn map_key<'v>(schema: Option<&'v Schema>, key: &'v Value) -> ConnectResult<&'v str> {
    match key {
        Value::String(s) => Ok(s),
        Value::Null => match schema.and_then(|s| s.default.as_ref()) {
            Some(Value::String(s)) => Ok(s),
            _ => Err(ConnectError::data("Map keys may not be null")),
        },
        other => Err(ConnectError::data(format!(
            "Invalid type for STRING map key: found a {} value",
            value_kind(other)
        ))),
    }
}

/// The scale of a Decimal schema, or Kafka's error when it has none.
pub(crate) fn decimal_scale(schema: &Schema) -> ConnectResult<i32> {
    schema
        .decimal_scale()
        .ok_or_else(|| ConnectError::data("Invalid Decimal schema: scale parameter not found."))
}
