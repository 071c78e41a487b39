//! Single message transforms and predicates, as Kafka Connect's
//! `Transformation` and `Predicate`.
//!
//! A connector's `transforms=a,b` names a chain; `transforms.a.type` picks
//! a [`TransformPlugin`] by class name or alias, and the keys under
//! `transforms.a.` configure it. A transform changes a record in place
//! through [`ConnectRecord`], which both [`SinkRecord`] (after the
//! converters, before `put`) and [`SourceRecord`] (after `poll`, before the
//! converters) implement, or drops it. `transforms.a.predicate=p` applies
//! it only to the records predicate `p` matches (`transforms.a.negate=true`:
//! the others).
//!
//! Each task gets its own instances, so a transform may keep per-task state
//! (for example a cache of derived schemas) behind `&mut self`.

use std::sync::Arc;

use crate::config::{ConfigDef, ConfigErrors};
use crate::data::{SchemaRef, Value};
use crate::error::ConnectResult;
use crate::record::{Headers, SinkRecord, SourceRecord};
use crate::PropertyMap;

/// The key or the value of a record: the two sides a `$Key` / `$Value`
/// transform variant works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyOrValue {
    /// The record key (`…$Key`).
    Key,
    /// The record value (`…$Value`).
    Value,
}

impl KeyOrValue {
    /// `"key"` or `"value"`, as Kafka's error messages name the side.
    pub fn label(self) -> &'static str {
        match self {
            KeyOrValue::Key => "key",
            KeyOrValue::Value => "value",
        }
    }
}

/// The parts of a record every transform can read and change (Kafka's
/// `ConnectRecord`): topic, partition, key, value, their schemas,
/// timestamp and headers.
pub trait ConnectRecord: Send {
    /// The topic the record goes to (sources) or came from, as renamed by
    /// earlier transforms (sinks).
    fn topic(&self) -> &str;

    /// Renames the topic (a sink's offsets stay with the original).
    fn set_topic(&mut self, topic: String);

    /// The Kafka partition; `None` when a source leaves it to the producer.
    fn kafka_partition(&self) -> Option<i32>;

    /// Sets the partition. A sink record always has one: `None` leaves it.
    fn set_kafka_partition(&mut self, partition: Option<i32>);

    /// The Kafka offset the record was read at: a sink record's; a source
    /// record has none (`InsertField`'s `offset.field` needs it).
    fn kafka_offset(&self) -> Option<i64> {
        None
    }

    /// The schema and value of one side.
    fn part(&self, side: KeyOrValue) -> (Option<&SchemaRef>, &Value);

    /// The schema and value of one side, to change in place.
    fn part_mut(&mut self, side: KeyOrValue) -> (&mut Option<SchemaRef>, &mut Value);

    /// Timestamp in ms since the epoch, if any.
    fn timestamp(&self) -> Option<i64>;

    /// Sets the timestamp.
    fn set_timestamp(&mut self, timestamp: Option<i64>);

    /// The headers.
    fn headers(&self) -> &Headers;

    /// The headers, to change in place.
    fn headers_mut(&mut self) -> &mut Headers;

    /// Takes one side's schema and value out, leaving no schema and null.
    fn take(&mut self, side: KeyOrValue) -> (Option<SchemaRef>, Value) {
        let (schema, value) = self.part_mut(side);
        (schema.take(), std::mem::take(value))
    }

    /// Replaces one side's schema and value.
    fn set(&mut self, side: KeyOrValue, schema: Option<SchemaRef>, value: Value) {
        let (s, v) = self.part_mut(side);
        *s = schema;
        *v = value;
    }

    /// The key's schema and value.
    fn key(&self) -> (Option<&SchemaRef>, &Value) {
        self.part(KeyOrValue::Key)
    }

    /// The value's schema and value.
    fn value(&self) -> (Option<&SchemaRef>, &Value) {
        self.part(KeyOrValue::Value)
    }
}

impl ConnectRecord for SinkRecord {
    fn topic(&self) -> &str {
        &self.topic
    }
    fn set_topic(&mut self, topic: String) {
        self.topic = Arc::from(topic);
    }
    fn kafka_partition(&self) -> Option<i32> {
        Some(self.partition)
    }
    fn set_kafka_partition(&mut self, partition: Option<i32>) {
        if let Some(p) = partition {
            self.partition = p;
        }
    }
    fn kafka_offset(&self) -> Option<i64> {
        Some(self.offset)
    }
    fn part(&self, side: KeyOrValue) -> (Option<&SchemaRef>, &Value) {
        match side {
            KeyOrValue::Key => (self.key_schema.as_ref(), &self.key),
            KeyOrValue::Value => (self.value_schema.as_ref(), &self.value),
        }
    }
    fn part_mut(&mut self, side: KeyOrValue) -> (&mut Option<SchemaRef>, &mut Value) {
        match side {
            KeyOrValue::Key => (&mut self.key_schema, &mut self.key),
            KeyOrValue::Value => (&mut self.value_schema, &mut self.value),
        }
    }
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    fn set_timestamp(&mut self, timestamp: Option<i64>) {
        self.timestamp = timestamp;
    }
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}

impl ConnectRecord for SourceRecord {
    fn topic(&self) -> &str {
        &self.topic
    }
    fn set_topic(&mut self, topic: String) {
        self.topic = topic;
    }
    fn kafka_partition(&self) -> Option<i32> {
        self.partition
    }
    fn set_kafka_partition(&mut self, partition: Option<i32>) {
        self.partition = partition;
    }
    fn part(&self, side: KeyOrValue) -> (Option<&SchemaRef>, &Value) {
        match side {
            KeyOrValue::Key => (self.key_schema.as_ref(), &self.key),
            KeyOrValue::Value => (self.value_schema.as_ref(), &self.value),
        }
    }
    fn part_mut(&mut self, side: KeyOrValue) -> (&mut Option<SchemaRef>, &mut Value) {
        match side {
            KeyOrValue::Key => (&mut self.key_schema, &mut self.key),
            KeyOrValue::Value => (&mut self.value_schema, &mut self.value),
        }
    }
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    fn set_timestamp(&mut self, timestamp: Option<i64>) {
        self.timestamp = timestamp;
    }
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}

/// What a transform did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Pass the (possibly changed) record on.
    Keep,
    /// Drop it (Kafka's transform returning `null`): a sink never sees it,
    /// a source never writes it, and its offset still counts as done.
    Drop,
}

/// A single message transform (Kafka's `Transformation`).
pub trait Transformation: Send {
    /// The keys the transform takes (without the `transforms.<alias>.`
    /// prefix), for validation and documentation.
    fn config_def(&self) -> ConfigDef;

    /// Configures the transform with its own keys (the prefix removed).
    /// Every problem is reported at once, each naming its key.
    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors>;

    /// Transforms one record in place, or drops it. An error is a failed
    /// record, handled by the connector's `errors.*` settings.
    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome>;
}

/// A condition on records that decides whether a transform applies
/// (Kafka's `Predicate`).
pub trait Predicate: Send {
    /// The keys the predicate takes (without the `predicates.<alias>.`
    /// prefix).
    fn config_def(&self) -> ConfigDef;

    /// Configures the predicate with its own keys (the prefix removed).
    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors>;

    /// Whether the record matches.
    fn test(&self, record: &dyn ConnectRecord) -> bool;
}

/// A transform the runtime can instantiate by `transforms.<alias>.type`.
#[derive(Clone, Copy)]
pub struct TransformPlugin {
    /// The canonical class name; for Kafka's and Debezium's transforms the
    /// Java class name (`org.apache.kafka.connect.transforms.RegexRouter`,
    /// `org.apache.kafka.connect.transforms.ExtractField$Value`).
    pub class: &'static str,
    /// Other accepted names. The simple class name (after the last `.`) is
    /// accepted without being listed.
    pub aliases: &'static [&'static str],
    /// The plugin's version.
    pub version: &'static str,
    /// Creates an unconfigured instance.
    pub factory: fn() -> Box<dyn Transformation>,
}

impl TransformPlugin {
    /// Whether `transforms.<alias>.type = name` selects this plugin.
    pub fn matches(&self, name: &str) -> bool {
        crate::plugin::names_match(self.class, self.aliases, "Transformation", name)
    }
}

/// A predicate the runtime can instantiate by `predicates.<alias>.type`.
#[derive(Clone, Copy)]
pub struct PredicatePlugin {
    /// The canonical class name
    /// (`org.apache.kafka.connect.transforms.predicates.TopicNameMatches`).
    pub class: &'static str,
    /// Other accepted names; the simple class name is accepted unlisted.
    pub aliases: &'static [&'static str],
    /// The plugin's version.
    pub version: &'static str,
    /// Creates an unconfigured instance.
    pub factory: fn() -> Box<dyn Predicate>,
}

impl PredicatePlugin {
    /// Whether `predicates.<alias>.type = name` selects this plugin.
    pub fn matches(&self, name: &str) -> bool {
        crate::plugin::names_match(self.class, self.aliases, "Predicate", name)
    }
}

impl std::fmt::Debug for TransformPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformPlugin")
            .field("class", &self.class)
            .finish()
    }
}

impl std::fmt::Debug for PredicatePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredicatePlugin")
            .field("class", &self.class)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Schema;
    use crate::record::TopicPartition;

    fn sink_record() -> SinkRecord {
        SinkRecord {
            topic: "orders".into(),
            partition: 2,
            offset: 7,
            timestamp: Some(1),
            timestamp_type: Default::default(),
            key_schema: None,
            key: Value::String("k".into()),
            value_schema: Some(Schema::int32()),
            value: Value::Int32(5),
            headers: Headers::new(),
            original: TopicPartition::new("orders", 2),
            original_offset: 7,
        }
    }

    #[test]
    fn a_sink_record_changes_in_place_and_keeps_where_it_was_read() {
        let mut r = sink_record();
        let rec: &mut dyn ConnectRecord = &mut r;
        rec.set_topic("renamed".into());
        rec.set_kafka_partition(None);
        let (schema, value) = rec.take(KeyOrValue::Value);
        assert_eq!(value, Value::Int32(5));
        rec.set(KeyOrValue::Key, schema, value);
        assert_eq!(rec.value(), (None, &Value::Null));
        assert_eq!(&*r.topic, "renamed");
        assert_eq!(r.partition, 2, "a sink record keeps its partition");
        assert_eq!(r.key, Value::Int32(5));
        assert_eq!(r.position(), "orders-2@7");
        assert_eq!((&r as &dyn ConnectRecord).kafka_offset(), Some(7));
    }

    #[test]
    fn a_source_record_partition_can_be_left_to_the_producer() {
        let mut r = SourceRecord::new(
            Default::default(),
            Default::default(),
            "t",
            None,
            Value::Null,
        );
        r.partition = Some(1);
        let rec: &mut dyn ConnectRecord = &mut r;
        rec.set_kafka_partition(None);
        rec.headers_mut().add("h", None, Value::Boolean(true));
        assert_eq!(r.partition, None);
        assert_eq!(r.headers.len(), 1);
        assert_eq!((&r as &dyn ConnectRecord).kafka_offset(), None);
    }

    #[test]
    fn plugins_answer_to_class_simple_name_and_aliases() {
        struct Nop;
        impl Transformation for Nop {
            fn config_def(&self) -> ConfigDef {
                ConfigDef::new()
            }
            fn configure(&mut self, _: &PropertyMap) -> Result<(), ConfigErrors> {
                Ok(())
            }
            fn apply(&mut self, _: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
                Ok(Outcome::Keep)
            }
        }
        let p = TransformPlugin {
            class: "org.apache.kafka.connect.transforms.ExtractField$Value",
            aliases: &["unwrap-value"],
            version: "1",
            factory: || Box::new(Nop),
        };
        assert!(p.matches("org.apache.kafka.connect.transforms.ExtractField$Value"));
        assert!(p.matches("ExtractField$Value"));
        assert!(p.matches(" unwrap-value "));
        assert!(!p.matches("ExtractField$Key"));
        assert!(!p.matches("Value"));
    }
}
