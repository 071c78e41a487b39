use bytes::Bytes;

use super::{Decimal, SchemaRef, SchemaType};
use crate::error::ConnectError;

/// A Connect value. Which variant is valid depends on the schema (if any):
/// INT8 ↔ [`Value::Int8`], …, a Decimal schema ↔ [`Value::Decimal`].
///
/// Schemaless data (for instance JSON without an envelope) uses the same
/// variants: objects become [`Value::Map`] with string keys, integers
/// [`Value::Int64`], fractions [`Value::Float64`], as Kafka's JsonConverter
/// produces them.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent / null.
    #[default]
    Null,
    /// INT8.
    Int8(i8),
    /// INT16.
    Int16(i16),
    /// INT32 (also Date and Time).
    Int32(i32),
    /// INT64 (also Timestamp).
    Int64(i64),
    /// FLOAT32.
    Float32(f32),
    /// FLOAT64.
    Float64(f64),
    /// BOOLEAN.
    Boolean(bool),
    /// STRING.
    String(String),
    /// BYTES.
    Bytes(Bytes),
    /// Decimal (BYTES with the Decimal logical schema).
    Decimal(Decimal),
    /// ARRAY.
    Array(Vec<Value>),
    /// MAP, in insertion order.
    Map(Vec<(Value, Value)>),
    /// STRUCT.
    Struct(Struct),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, if this is a STRING value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, widened to i64, if this is an integer value.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The struct, if this is a STRUCT value.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The schema type this value is naturally an instance of, or `None` for
    /// [`Value::Null`]. A Decimal reports BYTES, its physical type.
    pub fn natural_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) | Value::Decimal(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }

    /// Looks up a map entry whose key is the given string (schemaless
    /// objects), or a struct field by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(s) => s.get(name),
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(name))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}

impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

impl From<Decimal> for Value {
    fn from(v: Decimal) -> Self {
        Value::Decimal(v)
    }
}

/// A STRUCT value: a schema plus one value per field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct of the schema; every field starts as null.
    ///
    /// # Panics
    /// If the schema is not a STRUCT schema.
    pub fn new(schema: SchemaRef) -> Self {
        assert_eq!(
            schema.schema_type,
            SchemaType::Struct,
            "Struct::new needs a STRUCT schema"
        );
        let values = vec![Value::Null; schema.fields.len()];
        Struct { schema, values }
    }

    /// A struct from its schema and one value per field, in field order.
    pub fn from_values(schema: SchemaRef, values: Vec<Value>) -> Result<Self, ConnectError> {
        if values.len() != schema.fields.len() {
            return Err(ConnectError::data(format!(
                "struct {} has {} fields but {} values were given",
                schema.name.as_deref().unwrap_or("<unnamed>"),
                schema.fields.len(),
                values.len()
            )));
        }
        Ok(Struct { schema, values })
    }

    /// Sets a field by name, builder style.
    ///
    /// # Panics
    /// If the schema has no such field — a programming error in a connector.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.put(name, value)
            .expect("field exists in struct schema");
        self
    }

    /// Sets a field by name.
    pub fn put(&mut self, name: &str, value: impl Into<Value>) -> Result<(), ConnectError> {
        let field = self.schema.field(name).ok_or_else(|| {
            ConnectError::data(format!(
                "struct {} has no field {name:?}",
                self.schema.name.as_deref().unwrap_or("<unnamed>")
            ))
        })?;
        self.values[field.index] = value.into();
        Ok(())
    }

    /// A field's value by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schema.field(name).map(|f| &self.values[f.index])
    }

    /// The struct's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The values, in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Pairs of field name and value, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .zip(self.values.iter())
    }

    /// Consumes the struct, returning its values in field order.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaBuilder};

    #[test]
    fn struct_put_and_get_by_name() {
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("name", Schema::optional_string())
            .build();
        let s = Struct::new(schema).with("id", 7).with("name", "x");
        assert_eq!(s.get("id"), Some(&Value::Int32(7)));
        assert_eq!(s.get("name").and_then(Value::as_str), Some("x"));
        assert_eq!(s.get("missing"), None);
    }

    #[test]
    fn put_unknown_field_is_an_error() {
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .build();
        let mut s = Struct::new(schema);
        let err = s.put("nope", 1).unwrap_err();
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn from_values_checks_arity() {
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .build();
        assert!(Struct::from_values(schema, vec![]).is_err());
    }
}
