//! Fixtures for the transforms' unit tests.

use ferry_api::{
    Headers, PropertyMap, Schema, SchemaRef, SinkRecord, SourceRecord, TopicPartition,
    Transformation, Value,
};

/// A transform configured with `pairs`; panics on a config error.
pub(crate) fn configured<T: Transformation + Default>(pairs: &[(&str, &str)]) -> T {
    let mut t = T::default();
    let props: PropertyMap = ferry_api::property_map(pairs.iter().copied());
    if let Err(e) = t.configure(&props) {
        panic!("config {pairs:?} refused: {e}");
    }
    t
}

/// A source record for `topic` with a null key and an INT32 value.
pub(crate) fn source_record(topic: &str) -> SourceRecord {
    SourceRecord::new(
        Default::default(),
        Default::default(),
        topic,
        Some(Schema::int32()),
        Value::Int32(42),
    )
}

/// A sink record read from `topic`-0 at offset 0 with this value.
pub(crate) fn sink_record(topic: &str, schema: Option<SchemaRef>, value: Value) -> SinkRecord {
    SinkRecord {
        topic: topic.into(),
        partition: 0,
        offset: 0,
        timestamp: Some(1_700_000_000_000),
        timestamp_type: Default::default(),
        key_schema: None,
        key: Value::Null,
        value_schema: schema,
        value,
        headers: Headers::new(),
        original: TopicPartition::new(topic, 0),
        original_offset: 0,
    }
}
