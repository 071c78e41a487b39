//! `TopicNameMatches`: true when the whole topic name matches `pattern`.

use ferry_api::{ConfigDef, ConfigErrors, ConnectRecord, Importance, Predicate, PropertyMap};
use regex::Regex;

use crate::config::regex_key;

/// Key: the regular expression the topic name must match in full.
pub const PATTERN: &str = "pattern";

/// The predicate (configure before use).
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<Regex>,
}

impl Predicate for TopicNameMatches {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            regex_key(PATTERN)
                .importance(Importance::Medium)
                .doc("A Java regular expression for matching against the name of a topic."),
        )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let pattern = c.string(PATTERN).unwrap_or_default();
        self.pattern = Some(Regex::new(&format!("^(?:{pattern})$")).expect("validated"));
        Ok(())
    }

    fn test(&self, record: &dyn ConnectRecord) -> bool {
        let pattern = self
            .pattern
            .as_ref()
            .expect("TopicNameMatches is configured");
        pattern.is_match(record.topic())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::source_record;

    fn matches(pattern: &str, topic: &str) -> bool {
        let mut p = TopicNameMatches::default();
        p.configure(&ferry_api::property_map([(PATTERN, pattern)]))
            .unwrap();
        p.test(&source_record(topic))
    }

    // Kafka's TopicNameMatchesTest.
    #[test]
    fn the_whole_name_must_match() {
        assert!(matches("my-prefix-.*", "my-prefix-"));
        assert!(matches("my-prefix-.*", "my-prefix-foo"));
        assert!(!matches("my-prefix-.*", "x-my-prefix-"));
        assert!(!matches("my-prefix-.*", "my-prefix"));
    }

    #[test]
    fn a_missing_or_invalid_pattern_is_refused() {
        let mut p = TopicNameMatches::default();
        let missing = p.configure(&PropertyMap::new()).unwrap_err();
        assert_eq!(missing.0[0].key, PATTERN);
        let bad = p
            .configure(&ferry_api::property_map([(PATTERN, "[")]))
            .unwrap_err();
        assert_eq!(bad.0[0].key, PATTERN);
        assert!(bad.0[0].reason.starts_with("Invalid regex"), "{bad}");
    }
}
