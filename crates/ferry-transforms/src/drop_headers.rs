//! `org.apache.kafka.connect.transforms.DropHeaders`: removes every header
//! whose key is one of `headers`.

use std::collections::HashSet;

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    Outcome, PropertyMap, Transformation,
};

use crate::config::non_empty_list;

/// Key: the header keys to remove.
pub const HEADERS: &str = "headers";

/// The transform (configure before use).
#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: HashSet<String>,
}

impl Transformation for DropHeaders {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(HEADERS, ConfigType::List)
                .required()
                .validator(non_empty_list())
                .importance(Importance::High)
                .doc("The name of the headers to be removed."),
        )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.headers = c.list(HEADERS).iter().cloned().collect();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        record
            .headers_mut()
            .0
            .retain(|h| !self.headers.contains(&h.key));
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, source_record};
    use ferry_api::{Headers, Schema, SourceRecord, Value};

    fn with_headers(headers: &[(&str, &str)]) -> SourceRecord {
        let mut r = source_record("topic");
        for (k, v) in headers {
            r.headers.add(*k, Some(Schema::string()), Value::from(*v));
        }
        r
    }

    fn dropped(headers: &[(&str, &str)]) -> (SourceRecord, SourceRecord) {
        let mut t: DropHeaders = configured(&[(HEADERS, "to-drop")]);
        let original = with_headers(headers);
        let mut r = original.clone();
        t.apply(&mut r).unwrap();
        (original, r)
    }

    fn expected() -> Headers {
        with_headers(&[("existing", "existing-value")]).headers
    }

    // Kafka's DropHeadersTest.
    #[test]
    fn drop_existing_header() {
        let (original, r) = dropped(&[
            ("existing", "existing-value"),
            ("to-drop", "existing-value"),
        ]);
        assert_eq!(r.headers, expected());
        assert_eq!(
            SourceRecord {
                headers: original.headers.clone(),
                ..r
            },
            original
        );
    }

    #[test]
    fn drop_existing_header_with_multiple_values() {
        let (_, r) = dropped(&[
            ("existing", "existing-value"),
            ("to-drop", "existing-value"),
            ("to-drop", "existing-other-value"),
        ]);
        assert_eq!(r.headers, expected());
    }

    #[test]
    fn drop_non_existing_header() {
        let (original, r) = dropped(&[("existing", "existing-value")]);
        assert_eq!(r, original);
    }

    #[test]
    fn config_rejects_empty_list() {
        let errors = DropHeaders::default()
            .configure(&ferry_api::property_map([(HEADERS, "")]))
            .unwrap_err();
        assert_eq!(errors.0[0].key, HEADERS);
        assert_eq!(errors.0[0].reason, "Empty list");
    }
}
