//! Fixtures for the `$Key` / `$Value` transforms' unit tests: records
//! with one side set, schemaless maps, configuring a side's instance.

use ferry_api::{
    ConnectRecord, KeyOrValue, PropertyMap, SchemaRef, SinkRecord, Transformation, Value,
};

use crate::test_support::sink_record;

/// Both sides, for tests that run a case on each.
pub(crate) const SIDES: [KeyOrValue; 2] = [KeyOrValue::Key, KeyOrValue::Value];

/// `t` configured with `pairs`; panics on a config error.
pub(crate) fn configure<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> T {
    let props: PropertyMap = ferry_api::property_map(pairs.iter().copied());
    if let Err(e) = t.configure(&props) {
        panic!("config {pairs:?} refused: {e}");
    }
    t
}

/// The keys a refused configuration names, in order.
pub(crate) fn refused_keys<T: Transformation>(mut t: T, pairs: &[(&str, &str)]) -> Vec<String> {
    let props: PropertyMap = ferry_api::property_map(pairs.iter().copied());
    match t.configure(&props) {
        Ok(()) => panic!("config {pairs:?} accepted"),
        Err(errors) => errors.iter().map(|e| e.key.clone()).collect(),
    }
}

/// A sink record of topic `test` whose `side` has this schema and value
/// (the other side null, no schema).
pub(crate) fn record_with(side: KeyOrValue, schema: Option<SchemaRef>, value: Value) -> SinkRecord {
    let mut r = sink_record("test", None, Value::Null);
    r.set(side, schema, value);
    r
}

/// A schemaless map (`Value::Map` with string keys), in this order.
pub(crate) fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// The message of a data error (Kafka's `DataException`); panics on any
/// other result.
pub(crate) fn data_message<T: std::fmt::Debug>(result: ferry_api::ConnectResult<T>) -> String {
    match result {
        Err(ferry_api::ConnectError::Data { message, .. }) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}
