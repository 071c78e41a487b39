//! Records that flow through the runtime: [`SinkRecord`] (read from Kafka,
//! handed to a sink task) and [`SourceRecord`] (returned by a source task,
//! written to Kafka).

use std::fmt;
use std::sync::Arc;

use crate::data::{SchemaRef, Value};
use crate::source::OffsetMap;

/// A Kafka topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// A topic-partition.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// Formats as Kafka does: `topic-partition`.
impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// What a record's timestamp means, as Kafka's `TimestampType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// No timestamp.
    #[default]
    NoTimestampType,
    /// Set by the producer.
    CreateTime,
    /// Set by the broker on append.
    LogAppendTime,
}

/// A record header: a key and a (possibly schema-typed) value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Header key.
    pub key: String,
    /// Schema of the value, if known.
    pub schema: Option<SchemaRef>,
    /// Header value.
    pub value: Value,
}

/// Ordered record headers; keys may repeat, as in Kafka.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Appends a header.
    pub fn add(&mut self, key: impl Into<String>, schema: Option<SchemaRef>, value: Value) {
        self.0.push(Header {
            key: key.into(),
            schema,
            value,
        });
    }

    /// The last header with this key, as Kafka's `lastWithName`.
    pub fn last_with_name(&self, key: &str) -> Option<&Header> {
        self.0.iter().rev().find(|h| h.key == key)
    }

    /// Iterates the headers in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A record read from Kafka and converted, as handed to [`crate::SinkTask::put`].
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    /// Topic (after transforms).
    pub topic: Arc<str>,
    /// Kafka partition (after transforms).
    pub partition: i32,
    /// Kafka offset.
    pub offset: i64,
    /// Timestamp in ms since epoch, if the record has one.
    pub timestamp: Option<i64>,
    /// What the timestamp means.
    pub timestamp_type: TimestampType,
    /// Key schema, if the key converter produced one.
    pub key_schema: Option<SchemaRef>,
    /// Key.
    pub key: Value,
    /// Value schema, if the value converter produced one.
    pub value_schema: Option<SchemaRef>,
    /// Value.
    pub value: Value,
    /// Headers.
    pub headers: Headers,
    /// Where the record was read from, before any transform renamed it:
    /// offsets are always committed against this.
    pub original: TopicPartition,
    /// The offset the record was read at.
    pub original_offset: i64,
}

impl SinkRecord {
    /// The topic-partition the record was read from (before transforms).
    pub fn original_topic_partition(&self) -> &TopicPartition {
        &self.original
    }

    /// Where the record was read from, for error messages:
    /// `topic-partition@offset`.
    pub fn position(&self) -> String {
        format!("{}@{}", self.original, self.original_offset)
    }
}

/// A record produced by a source task, to be written to Kafka.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Identifies the source stream (e.g. `{"filename": "/var/log/a"}`).
    pub source_partition: OffsetMap,
    /// Position in that stream after this record (e.g. `{"position": 1042}`).
    /// Stored by the runtime once the record is acknowledged by Kafka.
    pub source_offset: OffsetMap,
    /// Destination topic.
    pub topic: String,
    /// Destination partition; `None` lets the producer choose (by key).
    pub partition: Option<i32>,
    /// Key schema.
    pub key_schema: Option<SchemaRef>,
    /// Key.
    pub key: Value,
    /// Value schema.
    pub value_schema: Option<SchemaRef>,
    /// Value.
    pub value: Value,
    /// Timestamp in ms since epoch; `None` lets the producer set it.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Headers,
}

impl SourceRecord {
    /// A record with a value and no key, headers or timestamp.
    pub fn new(
        source_partition: OffsetMap,
        source_offset: OffsetMap,
        topic: impl Into<String>,
        value_schema: Option<SchemaRef>,
        value: Value,
    ) -> Self {
        SourceRecord {
            source_partition,
            source_offset,
            topic: topic.into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema,
            value,
            timestamp: None,
            headers: Headers::new(),
        }
    }

    /// Sets the key and its schema, builder style.
    pub fn with_key(mut self, key_schema: Option<SchemaRef>, key: Value) -> Self {
        self.key_schema = key_schema;
        self.key = key;
        self
    }
}
