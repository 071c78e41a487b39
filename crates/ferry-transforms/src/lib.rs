//! # ferry-transforms — Kafka Connect's and Debezium's transforms
//!
//! Single message transforms and predicates that connector configs name in
//! `transforms.<alias>.type` and `predicates.<alias>.type`, by the Java
//! class name or the simple class name. The traits live in `ferry-api`
//! ([`ferry_api::Transformation`], [`ferry_api::Predicate`]); this crate
//! depends on nothing else, as Kafka ships its transforms apart from the
//! runtime (`connect-transforms`).
//!
//! | class | what it does |
//! |---|---|
//! | `org.apache.kafka.connect.transforms.RegexRouter` | renames topics matching a regex |
//! | `org.apache.kafka.connect.transforms.Cast$Key` / `$Value` | casts fields or the whole key / value to another primitive type |
//! | `org.apache.kafka.connect.transforms.Flatten$Key` / `$Value` | flattens nested structs / maps into `a.b` fields |
//! | `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key` / `$Value` | sets the key's / value's schema name and version |
//! | `org.apache.kafka.connect.transforms.TimestampConverter$Key` / `$Value` | converts timestamps between text, Unix time, Date, Time and Timestamp |
//! | `org.apache.kafka.connect.transforms.TimestampRouter` | renames topics to `${topic}-${timestamp}` (UTC `SimpleDateFormat`) |
//! | `org.apache.kafka.connect.transforms.predicates.TopicNameMatches` | topic name matches `pattern` |
//! | `org.apache.kafka.connect.transforms.predicates.HasHeaderKey` | the record has header `name` |
//! | `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone` | the value is null |
//! | `io.debezium.transforms.ExtractNewRecordState` | replaces a Debezium change event with its row state |
//! | `io.debezium.transforms.ByLogicalTableRouter` | routes several tables' change events to one topic, keys kept unique |

pub mod cast;
mod config;
pub mod debezium;
pub mod error;
pub mod flatten;
pub mod java_date_format;
mod kafka_util;
pub mod predicates;
pub mod regex_router;
pub mod set_schema_metadata;
#[cfg(test)]
mod side_fixtures;
#[cfg(test)]
mod test_support;
pub mod timestamp_converter;
pub mod timestamp_router;

pub use cast::Cast;
pub use debezium::ByLogicalTableRouter;
pub use debezium::ExtractNewRecordState;
pub use error::TransformError;
pub use flatten::Flatten;
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use regex_router::RegexRouter;
pub use set_schema_metadata::SetSchemaMetadata;
pub use timestamp_converter::TimestampConverter;
pub use timestamp_router::TimestampRouter;

use ferry_api::{KeyOrValue, PredicatePlugin, TransformPlugin};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every built-in transform.
pub fn transforms() -> Vec<TransformPlugin> {
    vec![
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.RegexRouter",
            aliases: &[],
            version: VERSION,
            factory: || Box::<RegexRouter>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.TimestampRouter",
            aliases: &[],
            version: VERSION,
            factory: || Box::<TimestampRouter>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(SetSchemaMetadata::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(SetSchemaMetadata::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.Flatten$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(Flatten::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.Flatten$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(Flatten::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.Cast$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(Cast::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.Cast$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(Cast::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(TimestampConverter::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(TimestampConverter::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "io.debezium.transforms.ExtractNewRecordState",
            aliases: &[],
            version: VERSION,
            factory: || Box::<ExtractNewRecordState>::default(),
        },
        TransformPlugin {
            class: "io.debezium.transforms.ByLogicalTableRouter",
            aliases: &[],
            version: VERSION,
            factory: || Box::<ByLogicalTableRouter>::default(),
        },
    ]
}

/// Every built-in predicate.
pub fn predicates() -> Vec<PredicatePlugin> {
    vec![
        PredicatePlugin {
            class: "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            aliases: &[],
            version: VERSION,
            factory: || Box::<TopicNameMatches>::default(),
        },
        PredicatePlugin {
            class: "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            aliases: &[],
            version: VERSION,
            factory: || Box::<HasHeaderKey>::default(),
        },
        PredicatePlugin {
            class: "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(RecordIsTombstone),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plugin_creates_an_instance_and_class_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for t in transforms() {
            assert!(names.insert(t.class), "{} twice", t.class);
            let _ = (t.factory)().config_def();
        }
        for p in predicates() {
            assert!(names.insert(p.class), "{} twice", p.class);
            let _ = (p.factory)().config_def();
        }
        assert!(transforms().iter().any(|t| t.matches("RegexRouter")));
    }
}
