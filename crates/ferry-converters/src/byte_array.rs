//! `org.apache.kafka.connect.converters.ByteArrayConverter`.

use std::sync::LazyLock;

use bytes::Bytes;
use ferry_api::{ConnectError, ConnectResult, Converter, Schema, SchemaRef, SchemaType, Value};

static OPTIONAL_BYTES: LazyLock<SchemaRef> = LazyLock::new(Schema::optional_bytes);

/// Kafka's ByteArrayConverter: bytes pass through untouched.
///
/// Reading gives an optional BYTES schema and the bytes. Writing accepts
/// only BYTES values (and a BYTES schema, if any); a null value is a Kafka
/// null.
#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(schema) = schema {
            if schema.schema_type != SchemaType::Bytes {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for ByteArrayConverter: {}",
                    schema.schema_type.connect_name().to_ascii_uppercase()
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.to_vec())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with {} values; it only writes BYTES",
                other
                    .natural_type()
                    .map(|t| t.connect_name())
                    .unwrap_or("these")
            ))),
        }
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(Bytes::copy_from_slice(b)));
        Ok((Some(OPTIONAL_BYTES.clone()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_through() {
        let c = ByteArrayConverter;
        let value = Value::Bytes(Bytes::from_static(b"\x00\xffraw"));
        let bytes = c.from_connect("t", Some(&Schema::bytes()), &value).unwrap();
        assert_eq!(bytes.as_deref(), Some(&b"\x00\xffraw"[..]));
        let (schema, back) = c.to_connect("t", bytes.as_deref()).unwrap();
        assert_eq!(schema.unwrap(), Schema::optional_bytes());
        assert_eq!(back, value);
    }

    #[test]
    fn nulls_are_kafka_nulls() {
        let c = ByteArrayConverter;
        assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
        assert_eq!(c.to_connect("t", None).unwrap().1, Value::Null);
    }

    #[test]
    fn other_values_and_schemas_are_refused() {
        let c = ByteArrayConverter;
        let err = c.from_connect("t", None, &"text".into()).unwrap_err();
        assert!(
            err.to_string().contains("not compatible with string"),
            "{err}"
        );
        let err = c
            .from_connect("t", Some(&Schema::string()), &Value::Bytes(Bytes::new()))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid schema type for ByteArrayConverter: STRING"),
            "{err}"
        );
    }
}
