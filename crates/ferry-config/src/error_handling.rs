//! A connector's `errors.*` keys (Kafka Connect's KIP-298 error handling
//! and KIP-610's sink dead-letter queue).

use std::time::Duration;

use ferry_api::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Validator,
};

/// Key: `none` (a bad record fails the task) or `all` (it is skipped).
pub const ERRORS_TOLERANCE: &str = "errors.tolerance";
/// Key: how long a failed operation is retried (ms; 0 = never, -1 = forever).
pub const ERRORS_RETRY_TIMEOUT: &str = "errors.retry.timeout";
/// Key: the longest pause between retries (ms).
pub const ERRORS_RETRY_DELAY_MAX_MS: &str = "errors.retry.delay.max.ms";
/// Key: log each skipped record's error.
pub const ERRORS_LOG_ENABLE: &str = "errors.log.enable";
/// Key: include the record (topic, partition, offset, key, value) in that log.
pub const ERRORS_LOG_INCLUDE_MESSAGES: &str = "errors.log.include.messages";
/// Key (sinks): the dead-letter queue topic; empty = none.
pub const DLQ_TOPIC_NAME: &str = "errors.deadletterqueue.topic.name";
/// Key (sinks): replication factor when the DLQ topic is created.
pub const DLQ_TOPIC_REPLICATION_FACTOR: &str = "errors.deadletterqueue.topic.replication.factor";
/// Key (sinks): add `__connect.errors.*` headers to DLQ records.
pub const DLQ_CONTEXT_HEADERS_ENABLE: &str = "errors.deadletterqueue.context.headers.enable";

/// The keys every connector has.
pub(crate) fn error_handling_keys() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(ERRORS_TOLERANCE, ConfigType::String)
                .default_value("none")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s)
                        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("all") =>
                    {
                        Ok(())
                    }
                    _ => Err("must be one of [none, all]".into()),
                }))
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records."),
        )
        .define(
            ConfigKey::new(ERRORS_RETRY_TIMEOUT, ConfigType::Long)
                .default_value("0")
                .validator(Validator::at_least(-1.0))
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries."),
        )
        .define(
            ConfigKey::new(ERRORS_RETRY_DELAY_MAX_MS, ConfigType::Long)
                .default_value("60000")
                .validator(Validator::at_least(1.0))
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("The maximum duration in milliseconds between consecutive retry attempts."),
        )
        .define(
            ConfigKey::new(ERRORS_LOG_ENABLE, ConfigType::Boolean)
                .default_value("false")
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("If true, write each error and the details of the failed operation and problematic record to the Connect application log."),
        )
        .define(
            ConfigKey::new(ERRORS_LOG_INCLUDE_MESSAGES, ConfigType::Boolean)
                .default_value("false")
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("Whether to include in the log the Connect record that resulted in a failure."),
        )
}

/// The dead-letter queue keys, which only sinks have.
pub(crate) fn dead_letter_queue_keys() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(DLQ_TOPIC_NAME, ConfigType::String)
                .default_value("")
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ."),
        )
        .define(
            ConfigKey::new(DLQ_TOPIC_REPLICATION_FACTOR, ConfigType::Short)
                .default_value("3")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::Short(n) if *n == -1 || *n >= 1 => Ok(()),
                    ConfigValue::Short(_) => Err("must be -1 (the broker's default) or at least 1".into()),
                    _ => Ok(()),
                }))
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("Replication factor used to create the dead letter queue topic when it doesn't already exist."),
        )
        .define(
            ConfigKey::new(DLQ_CONTEXT_HEADERS_ENABLE, ConfigType::Boolean)
                .default_value("false")
                .importance(Importance::Medium)
                .group("Error Handling")
                .doc("If true, add headers containing error context to the messages written to the dead letter queue."),
        )
}

/// A sink's dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterQueue {
    /// The topic.
    pub topic: String,
    /// Replication factor if the topic has to be created (-1: broker default).
    pub replication_factor: i16,
    /// Whether to add the `__connect.errors.*` headers.
    pub context_headers: bool,
}

/// How a connector treats records that fail conversion, transformation or
/// (for sinks) the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorHandling {
    /// `errors.tolerance=all`: skip bad records instead of failing.
    pub tolerate_all: bool,
    /// `errors.retry.timeout`; `None` = retry forever (-1).
    pub retry_timeout: Option<Duration>,
    /// `errors.retry.delay.max.ms`.
    pub retry_delay_max: Duration,
    /// `errors.log.enable`.
    pub log: bool,
    /// `errors.log.include.messages`.
    pub log_messages: bool,
    /// The sink's dead-letter queue, if `errors.deadletterqueue.topic.name` is set.
    pub dead_letter_queue: Option<DeadLetterQueue>,
}

impl Default for ErrorHandling {
    fn default() -> Self {
        ErrorHandling {
            tolerate_all: false,
            retry_timeout: Some(Duration::ZERO),
            retry_delay_max: Duration::from_secs(60),
            log: false,
            log_messages: false,
            dead_letter_queue: None,
        }
    }
}

impl ErrorHandling {
    /// Reads the parsed keys (defaults where absent).
    pub(crate) fn from_parsed(c: &ParsedConfig) -> Self {
        let timeout = c.long(ERRORS_RETRY_TIMEOUT).unwrap_or(0);
        let dead_letter_queue = c
            .string(DLQ_TOPIC_NAME)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|topic| DeadLetterQueue {
                topic: topic.to_string(),
                replication_factor: c
                    .get(DLQ_TOPIC_REPLICATION_FACTOR)
                    .and_then(|v| match v {
                        ConfigValue::Short(n) => Some(*n),
                        _ => None,
                    })
                    .unwrap_or(3),
                context_headers: c.boolean(DLQ_CONTEXT_HEADERS_ENABLE).unwrap_or(false),
            });
        ErrorHandling {
            tolerate_all: c
                .string(ERRORS_TOLERANCE)
                .is_some_and(|t| t.eq_ignore_ascii_case("all")),
            retry_timeout: (timeout >= 0).then(|| Duration::from_millis(timeout as u64)),
            retry_delay_max: Duration::from_millis(
                c.long(ERRORS_RETRY_DELAY_MAX_MS).unwrap_or(60_000).max(1) as u64,
            ),
            log: c.boolean(ERRORS_LOG_ENABLE).unwrap_or(false),
            log_messages: c.boolean(ERRORS_LOG_INCLUDE_MESSAGES).unwrap_or(false),
            dead_letter_queue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    fn parse(pairs: &[(&str, &str)]) -> ErrorHandling {
        let def = error_handling_keys().merge(&dead_letter_queue_keys());
        ErrorHandling::from_parsed(&def.parse(&property_map(pairs.iter().copied())).unwrap())
    }

    #[test]
    fn defaults_match_kafka_connect() {
        assert_eq!(parse(&[]), ErrorHandling::default());
    }

    #[test]
    fn tolerance_all_with_a_dead_letter_queue() {
        let e = parse(&[
            (ERRORS_TOLERANCE, "ALL"),
            (ERRORS_RETRY_TIMEOUT, "-1"),
            (ERRORS_LOG_ENABLE, "true"),
            (DLQ_TOPIC_NAME, " dlq "),
            (DLQ_TOPIC_REPLICATION_FACTOR, "1"),
            (DLQ_CONTEXT_HEADERS_ENABLE, "true"),
        ]);
        assert!(e.tolerate_all && e.log && !e.log_messages);
        assert_eq!(e.retry_timeout, None);
        assert_eq!(
            e.dead_letter_queue,
            Some(DeadLetterQueue {
                topic: "dlq".into(),
                replication_factor: 1,
                context_headers: true
            })
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        let def = error_handling_keys().merge(&dead_letter_queue_keys());
        let errors = def
            .parse(&property_map([
                (ERRORS_TOLERANCE, "some"),
                (DLQ_TOPIC_REPLICATION_FACTOR, "0"),
                (ERRORS_RETRY_TIMEOUT, "-2"),
            ]))
            .unwrap_err();
        let mut keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                DLQ_TOPIC_REPLICATION_FACTOR,
                ERRORS_RETRY_TIMEOUT,
                ERRORS_TOLERANCE
            ]
        );
    }
}
