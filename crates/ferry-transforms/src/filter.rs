//! `org.apache.kafka.connect.transforms.Filter`: drops every record. Used
//! with a predicate (`transforms.<alias>.predicate`), it drops the records
//! the predicate matches (or, with `negate=true`, those it does not).

use ferry_api::{
    ConfigDef, ConfigErrors, ConnectRecord, ConnectResult, Outcome, PropertyMap, Transformation,
};

/// The transform; it takes no keys.
#[derive(Debug, Default)]
pub struct Filter;

impl Transformation for Filter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn configure(&mut self, _props: &PropertyMap) -> Result<(), ConfigErrors> {
        Ok(())
    }

    fn apply(&mut self, _record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        Ok(Outcome::Drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, sink_record, source_record};

    #[test]
    fn every_record_is_dropped() {
        let mut t: Filter = configured(&[("anything", "ignored")]);
        assert_eq!(t.apply(&mut source_record("t")).unwrap(), Outcome::Drop);
        let mut r = sink_record("t", None, ferry_api::Value::Null);
        assert_eq!(t.apply(&mut r).unwrap(), Outcome::Drop);
    }
}
