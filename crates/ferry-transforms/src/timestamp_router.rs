//! `org.apache.kafka.connect.transforms.TimestampRouter`: renames the topic
//! to `topic.format`, where `${topic}` is the topic and `${timestamp}` the
//! record timestamp formatted with `timestamp.format` (a Java
//! `SimpleDateFormat` pattern, in UTC). Mostly for sinks, whose topic names
//! the destination table or index: `orders` → `orders-20240131`.

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord, ConnectResult,
    Importance, Outcome, PropertyMap, Transformation, Validator,
};

use crate::java_date_format::JavaDateFormat;
use crate::TransformError;

/// Key: the new topic name, with `${topic}` and `${timestamp}` placeholders.
pub const TOPIC_FORMAT: &str = "topic.format";
/// Key: the `SimpleDateFormat` pattern for `${timestamp}`.
pub const TIMESTAMP_FORMAT: &str = "timestamp.format";

/// The transform (configure before use).
#[derive(Debug, Default)]
pub struct TimestampRouter {
    rule: Option<(String, JavaDateFormat)>,
}

impl Transformation for TimestampRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(TOPIC_FORMAT, ConfigType::String)
                    .default_value("${topic}-${timestamp}")
                    .importance(Importance::High)
                    .doc(
                        "Format string which can contain ${topic} and ${timestamp} as \
                         placeholders for the topic and timestamp, respectively.",
                    ),
            )
            .define(
                ConfigKey::new(TIMESTAMP_FORMAT, ConfigType::String)
                    .default_value("yyyyMMdd")
                    .importance(Importance::High)
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::String(s) => JavaDateFormat::new(s)
                            .map(|_| ())
                            .map_err(|e| format!("not a usable SimpleDateFormat pattern: {e}")),
                        _ => Ok(()),
                    }))
                    .doc(
                        "Format string for the timestamp that is compatible with \
                         java.text.SimpleDateFormat (always in UTC).",
                    ),
            )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let topic_format = c.string(TOPIC_FORMAT).unwrap_or_default().to_string();
        let pattern = c.string(TIMESTAMP_FORMAT).unwrap_or_default();
        let format = JavaDateFormat::new(pattern).expect("validated");
        self.rule = Some((topic_format, format));
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (topic_format, format) = self.rule.as_ref().expect("TimestampRouter is configured");
        let Some(timestamp) = record.timestamp() else {
            let partition = record
                .kafka_partition()
                .map_or("null".to_string(), |p| p.to_string());
            return Err(TransformError::Data(format!(
                "Timestamp missing on record: ConnectRecord{{topic='{}', kafkaPartition={partition}}}",
                record.topic()
            ))
            .into());
        };
        let topic = topic_format
            .replace("${topic}", record.topic())
            .replace("${timestamp}", &format.format(timestamp));
        record.set_topic(topic);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, sink_record, source_record};

    // Kafka's TimestampRouterTest.defaultConfiguration.
    #[test]
    fn the_default_appends_the_utc_day() {
        let mut t: TimestampRouter = configured(&[]);
        let mut r = source_record("test");
        r.timestamp = Some(1_483_425_001_864);
        assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
        assert_eq!(r.topic, "test-20170103");
    }

    #[test]
    fn both_placeholders_anywhere_and_more_than_once() {
        let mut t: TimestampRouter = configured(&[
            (TOPIC_FORMAT, "${timestamp}/${topic}.${topic}_$1"),
            (TIMESTAMP_FORMAT, "yyyy-MM-dd'T'HH"),
        ]);
        let mut r = sink_record("pg.orders", None, ferry_api::Value::Null);
        t.apply(&mut r).unwrap();
        assert_eq!(&*r.topic, "2023-11-14T22/pg.orders.pg.orders_$1");
        assert_eq!(
            r.position(),
            "pg.orders-0@0",
            "offsets stay with the original topic"
        );
    }

    #[test]
    fn a_topic_with_a_placeholder_in_its_name_is_not_expanded_again() {
        let mut t: TimestampRouter = configured(&[(TIMESTAMP_FORMAT, "yyyy")]);
        let mut r = source_record("odd-${timestamp}");
        r.timestamp = Some(0);
        t.apply(&mut r).unwrap();
        // Java replaces ${topic} first, then ${timestamp} in the result.
        assert_eq!(r.topic, "odd-1970-1970");
    }

    #[test]
    fn a_record_without_timestamp_fails() {
        let mut t: TimestampRouter = configured(&[]);
        let mut r = source_record("test");
        r.timestamp = None;
        let err = t.apply(&mut r).unwrap_err().to_string();
        assert!(err.contains("Timestamp missing on record"), "{err}");
        assert!(err.contains("topic='test'"), "{err}");
    }

    #[test]
    fn an_unsupported_pattern_is_refused_naming_the_key() {
        for pattern in ["yyyy-ww", "bad", "'open"] {
            let errors = TimestampRouter::default()
                .configure(&ferry_api::property_map([(TIMESTAMP_FORMAT, pattern)]))
                .unwrap_err();
            let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
            assert_eq!(keys, [TIMESTAMP_FORMAT], "{errors}");
        }
    }
}
