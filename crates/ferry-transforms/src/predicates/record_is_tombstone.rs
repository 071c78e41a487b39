//! `RecordIsTombstone`: true when the value is null (a Kafka tombstone).

use ferry_api::{ConfigDef, ConfigErrors, ConnectRecord, Predicate, PropertyMap, Value};

/// The predicate; it takes no configuration.
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn configure(&mut self, _: &PropertyMap) -> Result<(), ConfigErrors> {
        Ok(())
    }

    fn test(&self, record: &dyn ConnectRecord) -> bool {
        matches!(record.value().1, Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::source_record;

    #[test]
    fn only_null_values_are_tombstones() {
        let mut r = source_record("t");
        assert!(!RecordIsTombstone.test(&r));
        r.value = Value::Null;
        r.value_schema = None;
        assert!(RecordIsTombstone.test(&r));
    }
}
