//! `HasHeaderKey`: true when the record has at least one header `name`.

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord, Importance,
    Predicate, PropertyMap, Validator,
};

/// Key: the header name.
pub const NAME: &str = "name";

/// The predicate (configure before use).
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl Predicate for HasHeaderKey {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(NAME, ConfigType::String)
                .required()
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s) if s.is_empty() => {
                        Err("String must be non-empty".to_string())
                    }
                    _ => Ok(()),
                }))
                .importance(Importance::Medium)
                .doc("The header name."),
        )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.name = c.string(NAME).unwrap_or_default().to_string();
        Ok(())
    }

    fn test(&self, record: &dyn ConnectRecord) -> bool {
        record.headers().iter().any(|h| h.key == self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::source_record;
    use ferry_api::Value;

    // Kafka's HasHeaderKeyTest.
    #[test]
    fn matches_records_with_the_header_whatever_its_value() {
        let mut p = HasHeaderKey::default();
        p.configure(&ferry_api::property_map([(NAME, "foo")]))
            .unwrap();
        let mut r = source_record("t");
        assert!(!p.test(&r));
        r.headers.add("bar", None, Value::Null);
        assert!(!p.test(&r));
        r.headers.add("foo", None, Value::Null);
        assert!(p.test(&r));
        let empty = p
            .configure(&ferry_api::property_map([(NAME, "")]))
            .unwrap_err();
        assert_eq!(empty.0[0].key, NAME);
    }
}
