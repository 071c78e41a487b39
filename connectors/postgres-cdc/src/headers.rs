//! The Kafka headers Debezium puts on change records: the context headers
//! (`extended.headers.enabled`, on by default since Debezium 3.2.1:
//! `DebeziumHeaderProducer`) on every data change record, snapshot reads,
//! tombstones and truncates included, and the old / new key of an update
//! that changed the key (`RelationalChangeRecordEmitter`).

use std::hash::{BuildHasher, Hasher};

use ferry_api::{Headers, Schema, Value};

use crate::envelope::CONNECTOR;

/// On the delete of a key-changing update: the row's new key.
pub const NEW_KEY: &str = "__debezium.newkey";
/// On the create of a key-changing update: the row's old key.
pub const OLD_KEY: &str = "__debezium.oldkey";

/// `__debezium.context.*`, in Debezium's order: the logical name
/// (`topic.prefix`), the task id (`0`, the connector's only task), the
/// connector name (`postgresql`) and a random id of this task run.
pub fn context_headers(topic_prefix: &str) -> Headers {
    let mut h = Headers::new();
    let s = Some(Schema::string());
    h.add(
        "__debezium.context.connectorLogicalName",
        s.clone(),
        Value::String(topic_prefix.into()),
    );
    h.add(
        "__debezium.context.taskId",
        s.clone(),
        Value::String("0".into()),
    );
    h.add(
        "__debezium.context.connectorName",
        s.clone(),
        Value::String(CONNECTOR.into()),
    );
    h.add("__debezium.context.runId", s, Value::String(run_id()));
    h
}

/// A random (version 4) UUID, as Debezium's run id: from the standard
/// library's randomly keyed hasher, the time and the process id.
fn run_id() -> String {
    let word = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&word(1).to_be_bytes());
    b[8..].copy_from_slice(&word(2).to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and order from debezium v3.6.1.Final
    /// `debezium-util/.../connector/common/DebeziumHeaders.java` and
    /// `DebeziumHeaderProducer.contextHeaders`.
    #[test]
    fn context_headers_are_debeziums() {
        let h = context_headers("srv");
        let keys: Vec<&str> = h.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "__debezium.context.connectorLogicalName",
                "__debezium.context.taskId",
                "__debezium.context.connectorName",
                "__debezium.context.runId"
            ]
        );
        let values: Vec<&Value> = h.iter().map(|h| &h.value).collect();
        assert_eq!(values[0], &Value::String("srv".into()));
        assert_eq!(values[1], &Value::String("0".into()));
        assert_eq!(values[2], &Value::String("postgresql".into()));
        let Value::String(run) = values[3] else {
            panic!("a string run id")
        };
        assert_eq!(run.len(), 36);
        assert_eq!(&run[14..15], "4");
        assert_ne!(run_id(), run_id(), "a new id each time");
    }
}
