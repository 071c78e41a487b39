//! The sequence source's keys.

use ferry_api::{ConfigDef, ConfigKey, ConfigType, Importance, PropertyMap, Validator};

use crate::error::SequenceError;

/// Config key: the topic to write to.
pub const TOPIC: &str = "topic";
/// Config key: how many numbers to send (`0..count`).
pub const COUNT: &str = "count";
/// Config key: text put before each number.
pub const PREFIX: &str = "prefix";
/// Config key: the most records one poll returns.
pub const BATCH_SIZE: &str = "batch.size";

/// The keys, their types, defaults and validation.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(TOPIC, ConfigType::String)
                .required()
                .validator(Validator::NonEmptyString)
                .importance(Importance::High)
                .doc("The topic to send the sequence to."),
        )
        .define(
            ConfigKey::new(COUNT, ConfigType::Long)
                .required()
                .validator(Validator::at_least(0.0))
                .importance(Importance::High)
                .doc("How many numbers to send: 0, 1, … count-1."),
        )
        .define(
            ConfigKey::new(PREFIX, ConfigType::String)
                .default_value("")
                .importance(Importance::Low)
                .doc("Text put before each number in the record value."),
        )
        .define(
            ConfigKey::new(BATCH_SIZE, ConfigType::Int)
                .default_value("100")
                .validator(Validator::at_least(1.0))
                .importance(Importance::Low)
                .doc("The most records returned by one poll."),
        )
}

/// The settings, parsed and validated.
#[derive(Debug, Clone)]
pub struct SequenceConfig {
    /// Where the records go.
    pub topic: String,
    /// One past the last number sent.
    pub count: u64,
    /// Text before each number.
    pub prefix: String,
    /// The most records a poll returns.
    pub batch_size: usize,
}

impl SequenceConfig {
    /// Parses a task's properties (already validated by the runtime, but a
    /// task must not trust that).
    pub fn parse(props: &PropertyMap) -> Result<Self, SequenceError> {
        let cfg = config_def().parse(props)?;
        Ok(SequenceConfig {
            topic: cfg.string(TOPIC).unwrap_or_default().to_string(),
            count: cfg.long(COUNT).unwrap_or(0).max(0) as u64,
            prefix: cfg.string(PREFIX).unwrap_or_default().to_string(),
            batch_size: cfg.int(BATCH_SIZE).unwrap_or(100).max(1) as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn parses_with_defaults() {
        let cfg =
            SequenceConfig::parse(&property_map([("topic", "numbers"), ("count", "5")])).unwrap();
        assert_eq!(cfg.topic, "numbers");
        assert_eq!(cfg.count, 5);
        assert_eq!(cfg.prefix, "");
        assert_eq!(cfg.batch_size, 100);
    }

    #[test]
    fn every_problem_names_its_key() {
        let err = SequenceConfig::parse(&property_map([("count", "-1"), ("batch.size", "x")]))
            .unwrap_err();
        let text = err.to_string();
        for key in [TOPIC, COUNT, BATCH_SIZE] {
            assert!(text.contains(key), "{key} missing from: {text}");
        }
    }
}
