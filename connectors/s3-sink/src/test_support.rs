//! Helpers for unit tests.

use std::sync::Arc;

use ferry_api::{Headers, Schema, SinkRecord, TimestampType, TopicPartition, Value};

use crate::config::S3SinkConfig;

/// A record of topic `orders`.
pub fn record(
    partition: i32,
    offset: i64,
    schema: Option<Arc<Schema>>,
    value: Value,
) -> SinkRecord {
    SinkRecord {
        topic: "orders".into(),
        partition,
        offset,
        timestamp: Some(1_714_571_100_123),
        timestamp_type: TimestampType::CreateTime,
        key_schema: None,
        key: Value::Null,
        value_schema: schema,
        value,
        headers: Headers::new(),
        original: TopicPartition::new("orders", partition),
        original_offset: offset,
    }
}

/// A valid config with overrides.
pub fn config(pairs: &[(&str, &str)]) -> S3SinkConfig {
    let mut p = ferry_api::property_map([
        ("s3.bucket.name", "b"),
        ("format.class", "JsonFormat"),
        ("flush.size", "3"),
    ]);
    p.extend(ferry_api::property_map(pairs.iter().copied()));
    S3SinkConfig::parse(&p).unwrap()
}
