//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, Kafka
//! Connect's default `header.converter`.

use bytes::Bytes;
use ferry_api::{ConnectResult, Schema, SchemaRef, Value};

use super::header::HeaderConverter;
use ferry_api::data::text::{convert_to_string, parse_string};

/// Kafka's SimpleHeaderConverter: header values are written as strings and
/// their type is inferred when read.
///
/// - Writing: Kafka's `Values.convertToString` (`42`, `1.5`, `true`, text
///   as is, bytes as base64, dates as `2024-01-31`, lists as `[1,"a"]`); a
///   null value is a null header.
/// - Reading: `null`, `true`/`false`, integers (the narrowest INT type),
///   other numbers (FLOAT32, else FLOAT64, else Decimal), ISO dates, times
///   and timestamps; anything else is a STRING. Bytes that are not UTF-8
///   are returned as BYTES.
#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(parse_string(text)),
            Err(_) => Ok((
                Some(Schema::bytes()),
                Value::Bytes(Bytes::copy_from_slice(bytes)),
            )),
        }
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(
            convert_to_string(schema.map(|s| &**s), value).into_bytes(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::data::logical;

    fn round_trip(schema: Option<SchemaRef>, value: Value) -> (Option<SchemaRef>, Value) {
        let c = SimpleHeaderConverter;
        let bytes = c
            .from_connect_header("t", "h", schema.as_ref(), &value)
            .unwrap();
        c.to_connect_header("t", "h", bytes.as_deref()).unwrap()
    }

    #[test]
    fn typed_values_come_back_with_their_type() {
        assert_eq!(
            round_trip(None, Value::Int8(5)),
            (Some(Schema::int8()), Value::Int8(5))
        );
        assert_eq!(
            round_trip(None, Value::Int64(1 << 40)),
            (Some(Schema::int64()), Value::Int64(1 << 40))
        );
        assert_eq!(
            round_trip(None, Value::Boolean(true)),
            (Some(Schema::boolean()), Value::Boolean(true))
        );
        assert_eq!(
            round_trip(None, Value::Float64(2.5)),
            (Some(Schema::float32()), Value::Float32(2.5))
        );
        assert_eq!(
            round_trip(Some(Schema::string()), "order-created".into()),
            (Some(Schema::string()), "order-created".into())
        );
        let ts = logical::timestamp().build();
        assert_eq!(
            round_trip(Some(ts.clone()), Value::Int64(1_700_000_000_123)),
            (Some(ts), Value::Int64(1_700_000_000_123))
        );
    }

    #[test]
    fn values_are_written_as_strings() {
        let c = SimpleHeaderConverter;
        let write = |v: Value| c.from_connect_header("t", "h", None, &v).unwrap();
        assert_eq!(write(Value::Int32(42)).unwrap(), b"42");
        assert_eq!(write(Value::Float64(1.0)).unwrap(), b"1.0");
        assert_eq!(write("text".into()).unwrap(), b"text");
        assert_eq!(write(Value::Null), None);
    }

    #[test]
    fn nulls_and_binary_values() {
        let c = SimpleHeaderConverter;
        assert_eq!(
            c.to_connect_header("t", "h", None).unwrap(),
            (None, Value::Null)
        );
        assert_eq!(
            c.to_connect_header("t", "h", Some(b"null")).unwrap(),
            (None, Value::Null)
        );
        assert_eq!(
            c.to_connect_header("t", "h", Some(b"\xff\x00")).unwrap(),
            (
                Some(Schema::bytes()),
                Value::Bytes(Bytes::from_static(b"\xff\x00"))
            )
        );
    }
}
