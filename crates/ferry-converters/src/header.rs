//! The header converter trait, as Kafka Connect's `HeaderConverter`.

use ferry_api::{ConnectResult, Converter, SchemaRef, Value};

/// Converts record header values between Kafka bytes and Connect data
/// (`header.converter`). Unlike a [`Converter`] it sees each header's key.
///
/// Every [`Converter`] is also a header converter that ignores the key (as
/// Kafka's `JsonConverter`, `StringConverter` and `ByteArrayConverter` are).
pub trait HeaderConverter: Send + Sync {
    /// Deserializes one header value; `None` is a null header value.
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)>;

    /// Serializes one header value; `None` is a null header value.
    #[allow(clippy::wrong_self_convention)] // Kafka's name (`fromConnectHeader`)
    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;
}

impl<C: Converter> HeaderConverter for C {
    fn to_connect_header(
        &self,
        topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        self.to_connect(topic, bytes)
    }

    fn from_connect_header(
        &self,
        topic: &str,
        _key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.from_connect(topic, schema, value)
    }
}
