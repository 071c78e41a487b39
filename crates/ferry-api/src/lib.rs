//! # ferry-api — the plugin API of Ferry
//!
//! Everything a connector author needs and nothing more: the connector and
//! task traits, the transform and predicate traits, the Kafka Connect data model (schemas, values, records),
//! typed configuration definitions with validation, the converter trait
//! ([`Converter`]) and Kafka's rules for printing values as text
//! ([`data::text`]). Converter implementations live in `ferry-converters`.
//!
//! A connector crate depends on this crate only. The runtime
//! (`ferry-runtime`) drives the traits; see `connectors/file` for the
//! reference implementation and the connector author's guide in the README.
//!
//! The shape follows Kafka Connect's Java API closely so that concepts,
//! config keys and semantics carry over:
//!
//! | Kafka Connect (Java)        | Ferry                                   |
//! |-----------------------------|-----------------------------------------|
//! | `SourceConnector`/`SinkConnector` | [`SourceConnector`] / [`SinkConnector`] |
//! | `SourceTask.poll()`         | [`SourceTask::poll`]                    |
//! | `SinkTask.put()`/`preCommit()` | [`SinkTask::put`] / [`SinkTask::pre_commit`] |
//! | `ConfigDef`                 | [`ConfigDef`]                           |
//! | `Schema`/`Struct`           | [`Schema`] / [`Struct`]                 |
//! | `Transformation`/`Predicate` | [`Transformation`] / [`Predicate`]     |

pub mod config;
pub mod connector;
pub mod convert;
pub mod data;
pub mod error;
pub mod metrics;
pub mod plugin;
pub mod record;
pub mod sink;
pub mod source;
pub mod transform;

pub use config::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, Importance,
    ParsedConfig, Password, Validator,
};
pub use connector::{
    Connector, ConnectorContext, ConnectorRuntime, SinkConnector, SourceConnector,
};
pub use convert::Converter;
pub use data::{Decimal, Field, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
pub use error::{ConnectError, ConnectResult};
pub use plugin::{ConnectorFactory, ConnectorPlugin};
pub use record::{Header, Headers, SinkRecord, SourceRecord, TimestampType, TopicPartition};
pub use sink::{
    ErrantRecordReporter, PartitionOffsets, SinkContextRequests, SinkTask, SinkTaskContext,
};
pub use source::{OffsetMap, OffsetReader, SourcePosition, SourceTask, SourceTaskContext};
pub use transform::{
    ConnectRecord, KeyOrValue, Outcome, Predicate, PredicatePlugin, TransformPlugin, Transformation,
};

/// A string-to-string property map, as Kafka Connect passes configuration
/// around (connector configs, task configs). Ordered for stable output.
pub type PropertyMap = std::collections::BTreeMap<String, String>;

/// Builds a [`PropertyMap`] from pairs, e.g. in tests:
/// `property_map([("name", "my-sink"), ("topics", "orders")])`.
pub fn property_map<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> PropertyMap
where
    K: Into<String>,
    V: Into<String>,
{
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}
