//! Subject name strategies (`key.subject.name.strategy`,
//! `value.subject.name.strategy`), as Confluent's
//! `io.confluent.kafka.serializers.subject` classes.

/// How a record's subject is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default).
    #[default]
    TopicName,
    /// The record's fully-qualified schema name.
    RecordName,
    /// `<topic>-<fully-qualified schema name>`.
    TopicRecordName,
}

/// Where Confluent's strategies live.
const PACKAGE: &str = "io.confluent.kafka.serializers.subject.";

impl SubjectNameStrategy {
    /// The strategy a class name means: Confluent's full class names or
    /// their simple names.
    pub fn from_class(class: &str) -> Option<Self> {
        let class = class.trim();
        let simple = class.strip_prefix(PACKAGE).unwrap_or(class);
        match simple {
            "TopicNameStrategy" => Some(SubjectNameStrategy::TopicName),
            "RecordNameStrategy" => Some(SubjectNameStrategy::RecordName),
            "TopicRecordNameStrategy" => Some(SubjectNameStrategy::TopicRecordName),
            _ => None,
        }
    }

    /// Confluent's class name.
    pub fn class_name(self) -> &'static str {
        match self {
            SubjectNameStrategy::TopicName => {
                "io.confluent.kafka.serializers.subject.TopicNameStrategy"
            }
            SubjectNameStrategy::RecordName => {
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"
            }
            SubjectNameStrategy::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// The subject of a record of `topic` whose schema is named
    /// `record_name` (its fully-qualified name; a primitive schema's type
    /// name). `None` when the strategy needs a name and there is none.
    pub fn subject(self, topic: &str, is_key: bool, record_name: Option<&str>) -> Option<String> {
        match self {
            SubjectNameStrategy::TopicName => {
                Some(format!("{topic}-{}", if is_key { "key" } else { "value" }))
            }
            SubjectNameStrategy::RecordName => record_name.map(str::to_string),
            SubjectNameStrategy::TopicRecordName => record_name.map(|n| format!("{topic}-{n}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_named_as_confluent_names_them() {
        use SubjectNameStrategy::*;
        assert_eq!(
            TopicName.subject("orders", false, Some("x.Row")).as_deref(),
            Some("orders-value")
        );
        assert_eq!(
            TopicName.subject("orders", true, None).as_deref(),
            Some("orders-key")
        );
        assert_eq!(
            RecordName
                .subject("orders", false, Some("shop.Order"))
                .as_deref(),
            Some("shop.Order")
        );
        assert_eq!(
            TopicRecordName
                .subject("orders", true, Some("shop.Key"))
                .as_deref(),
            Some("orders-shop.Key")
        );
        assert_eq!(RecordName.subject("orders", false, None), None);
    }

    #[test]
    fn class_names_and_simple_names_resolve() {
        for s in [
            SubjectNameStrategy::TopicName,
            SubjectNameStrategy::RecordName,
            SubjectNameStrategy::TopicRecordName,
        ] {
            assert_eq!(SubjectNameStrategy::from_class(s.class_name()), Some(s));
            let simple = s.class_name().rsplit('.').next().unwrap();
            assert_eq!(SubjectNameStrategy::from_class(simple), Some(s));
        }
        assert_eq!(SubjectNameStrategy::from_class("com.example.Mine"), None);
    }
}
