//! The converter trait: Kafka bytes ↔ Connect data, as Kafka Connect's
//! `Converter`. The runtime applies the configured `key.converter`,
//! `value.converter` and `header.converter`; connectors never see bytes
//! unless they choose a byte-array converter.

use crate::data::{SchemaRef, Value};
use crate::error::ConnectResult;

/// Converts between serialized bytes and Connect data for one side (key or
/// value) of records.
pub trait Converter: Send + Sync {
    /// Serializes a value. `None` means a Kafka null (e.g. a tombstone).
    /// (Named after Kafka's `fromConnectData`.)
    #[allow(clippy::wrong_self_convention)]
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;

    /// Deserializes bytes; `None` is a Kafka null.
    fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)>;
}
