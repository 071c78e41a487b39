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
//! | `org.apache.kafka.connect.transforms.ExtractField$Key` / `$Value` | replaces the key / value with one of its fields (`field`; nested with `field.syntax.version=V2`) |
//! | `org.apache.kafka.connect.transforms.HoistField$Key` / `$Value` | wraps the key / value in a struct or map with one field `field` |
//! | `org.apache.kafka.connect.transforms.InsertField$Key` / `$Value` | adds the topic, partition, offset (sinks), timestamp or a static value as fields |
//! | `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value` | keeps (`include`), drops (`exclude`) and renames (`renames`) fields |
//! | `org.apache.kafka.connect.transforms.ValueToKey` | replaces the key with some of the value's fields (`fields`) |
//! | `org.apache.kafka.connect.transforms.MaskField$Key` / `$Value` | replaces fields (`fields`) with their type's empty value or `replacement` |
//! | `org.apache.kafka.connect.transforms.Filter` | drops every record (with a predicate: the ones it matches) |
//! | `org.apache.kafka.connect.transforms.DropHeaders` | removes the headers named in `headers` |
//! | `org.apache.kafka.connect.transforms.InsertHeader` | adds header `header` with `value.literal` parsed as `Values.parseString` |
//! | `org.apache.kafka.connect.transforms.HeaderFrom$Key` / `$Value` | copies or moves (`operation`) fields (`fields`) into headers (`headers`) |
//! | `org.apache.kafka.connect.transforms.predicates.TopicNameMatches` | topic name matches `pattern` |
//! | `org.apache.kafka.connect.transforms.predicates.HasHeaderKey` | the record has header `name` |
//! | `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone` | the value is null |
//! | `io.debezium.transforms.ExtractNewRecordState` | replaces a Debezium change event with its row state |
//! | `io.debezium.transforms.ByLogicalTableRouter` | routes several tables' change events to one topic, keys kept unique |

pub mod cast;
mod config;
pub mod debezium;
pub mod drop_headers;
pub mod error;
pub mod extract_field;
mod field_path;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod java_date_format;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod replace_field;
mod requirements;
mod schema_cache;
mod schema_util;
pub mod set_schema_metadata;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod test_values;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod value_to_key;

pub use cast::Cast;
pub use debezium::ByLogicalTableRouter;
pub use debezium::ExtractNewRecordState;
pub use drop_headers::DropHeaders;
pub use error::TransformError;
pub use extract_field::ExtractField;
pub use filter::Filter;
pub use flatten::Flatten;
pub use header_from::HeaderFrom;
pub use hoist_field::HoistField;
pub use insert_field::InsertField;
pub use insert_header::InsertHeader;
pub use mask_field::MaskField;
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use regex_router::RegexRouter;
pub use replace_field::ReplaceField;
pub use set_schema_metadata::SetSchemaMetadata;
pub use timestamp_converter::TimestampConverter;
pub use timestamp_router::TimestampRouter;
pub use value_to_key::ValueToKey;

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
            class: "org.apache.kafka.connect.transforms.ExtractField$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(ExtractField::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.ExtractField$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(ExtractField::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.HoistField$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(HoistField::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.HoistField$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(HoistField::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.InsertField$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(InsertField::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.InsertField$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(InsertField::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.ReplaceField$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(ReplaceField::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.ReplaceField$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(ReplaceField::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.ValueToKey",
            aliases: &[],
            version: VERSION,
            factory: || Box::<ValueToKey>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.MaskField$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(MaskField::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.MaskField$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(MaskField::new(KeyOrValue::Value)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.Filter",
            aliases: &[],
            version: VERSION,
            factory: || Box::<Filter>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.DropHeaders",
            aliases: &[],
            version: VERSION,
            factory: || Box::<DropHeaders>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.InsertHeader",
            aliases: &[],
            version: VERSION,
            factory: || Box::<InsertHeader>::default(),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.HeaderFrom$Key",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(HeaderFrom::new(KeyOrValue::Key)),
        },
        TransformPlugin {
            class: "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            aliases: &[],
            version: VERSION,
            factory: || Box::new(HeaderFrom::new(KeyOrValue::Value)),
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
