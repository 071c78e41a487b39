//! Connector configuration keys every connector has (Kafka Connect's
//! `ConnectorConfig`, `SinkConnectorConfig`, `SourceConnectorConfig`).

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, Importance,
    PropertyMap, Validator,
};

use crate::error_handling::{dead_letter_queue_keys, error_handling_keys, ErrorHandling};
use crate::worker::{restart_policy_keys, RestartPolicy};

/// Key: the connector's unique name.
pub const NAME: &str = "name";
/// Key: which connector plugin to run.
pub const CONNECTOR_CLASS: &str = "connector.class";
/// Key: most tasks to run.
pub const TASKS_MAX: &str = "tasks.max";
/// Key: sink topics.
pub const TOPICS: &str = "topics";
/// Key: sink topic regex.
pub const TOPICS_REGEX: &str = "topics.regex";
/// Key: transforms (single message transforms).
pub const TRANSFORMS: &str = "transforms";
/// Key: predicates for transforms.
pub const PREDICATES: &str = "predicates";
pub use crate::error_handling::ERRORS_TOLERANCE;

/// Whether the connector reads from or writes to Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    /// Writes to Kafka.
    Source,
    /// Reads from Kafka.
    Sink,
}

/// The keys every connector accepts.
pub fn common_config_def(kind: ConnectorKind) -> ConfigDef {
    let converter_doc = |side: &str| {
        format!("Overrides the worker's {side}.converter for this connector; its settings are then read from {side}.converter.* in this config.")
    };
    let def = ConfigDef::new()
        .define(ConfigKey::new(NAME, ConfigType::String).required()
            .validator(Validator::custom(|v| match v {
                ConfigValue::String(s) if s.trim().is_empty() => Err("must be a non-empty name".into()),
                ConfigValue::String(s) if s.chars().any(char::is_control) => Err("must not contain control characters".into()),
                _ => Ok(()),
            }))
            .importance(Importance::High).group("Common")
            .doc("Globally unique name of the connector."))
        .define(ConfigKey::new(CONNECTOR_CLASS, ConfigType::Class).required()
            .importance(Importance::High).group("Common")
            .doc("The connector plugin: a Java class name (e.g. io.confluent.connect.s3.S3SinkConnector) or an alias."))
        .define(ConfigKey::new(TASKS_MAX, ConfigType::Int).default_value("1")
            .validator(Validator::at_least(1.0)).importance(Importance::High).group("Common")
            .doc("Maximum number of tasks to use for this connector."))
        .define(ConfigKey::new("key.converter", ConfigType::Class).importance(Importance::Low).group("Common").doc(converter_doc("key")))
        .define(ConfigKey::new("value.converter", ConfigType::Class).importance(Importance::Low).group("Common").doc(converter_doc("value")))
        .define(ConfigKey::new("header.converter", ConfigType::Class).importance(Importance::Low).group("Common").doc(converter_doc("header")))
        .define(ConfigKey::new(TRANSFORMS, ConfigType::List).default_value("")
            .importance(Importance::Low).group("Transforms")
            .doc("Aliases of the transformations to apply to records."))
        .define(ConfigKey::new(PREDICATES, ConfigType::List).default_value("")
            .importance(Importance::Low).group("Predicates").doc("Aliases of predicates used by transforms."))
        .merge(&error_handling_keys())
        .merge(&restart_policy_keys());
    match kind {
        ConnectorKind::Source => def,
        ConnectorKind::Sink => def
            .define(ConfigKey::new(TOPICS, ConfigType::List).default_value("")
                .importance(Importance::High).group("Common")
                .doc("Topics to consume. Exactly one of topics and topics.regex must be set."))
            .define(ConfigKey::new(TOPICS_REGEX, ConfigType::String).default_value("")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s) if !s.is_empty() => regex::Regex::new(s).map(|_| ()).map_err(|e| format!("is not a valid regular expression: {e}")),
                    _ => Ok(()),
                }))
                .importance(Importance::High).group("Common")
                .doc("Regular expression of topics to consume. Exactly one of topics and topics.regex must be set."))
            .merge(&dead_letter_queue_keys()),
    }
}

/// Which topics a sink consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    /// A fixed list.
    Topics(Vec<String>),
    /// A regular expression (matched against the whole topic name).
    Regex(String),
}

/// The runtime's view of one connector's configuration.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    /// The connector's name.
    pub name: String,
    /// Its `connector.class`.
    pub class: String,
    /// `tasks.max`.
    pub tasks_max: usize,
    /// Sink subscription (sinks only).
    pub subscription: Option<Subscription>,
    /// Restart policy (worker default, overridable per connector).
    pub restart: RestartPolicy,
    /// The `errors.*` keys.
    pub errors: ErrorHandling,
    /// All properties, after config-provider substitution.
    pub props: PropertyMap,
}

impl ConnectorConfig {
    /// Validates the common keys; `worker_defaults` supplies the restart
    /// policy keys the connector does not set. Returns every problem.
    pub fn from_props(
        props: PropertyMap,
        kind: ConnectorKind,
        worker_defaults: &PropertyMap,
    ) -> Result<Self, ConfigErrors> {
        let mut merged = props.clone();
        for k in restart_policy_keys().keys() {
            if let Some(v) = worker_defaults.get(&k.name) {
                merged.entry(k.name.clone()).or_insert_with(|| v.clone());
            }
        }
        let def = common_config_def(kind);
        let parsed = def.parse(&merged);
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        let subscription = if kind == ConnectorKind::Sink {
            let topics: Vec<String> = parsed
                .as_ref()
                .map(|p| p.list(TOPICS).to_vec())
                .unwrap_or_default();
            let regex = props
                .get(TOPICS_REGEX)
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            match (topics.is_empty(), regex.is_empty()) {
                (false, true) => Some(Subscription::Topics(topics)),
                (true, false) => Some(Subscription::Regex(regex)),
                (true, true) => {
                    errors.push(ConfigError::new(
                        TOPICS,
                        None,
                        "a sink connector needs topics or topics.regex",
                    ));
                    None
                }
                (false, false) => {
                    errors.push(ConfigError::new(
                        TOPICS_REGEX,
                        Some(&regex),
                        "topics and topics.regex are mutually exclusive; set only one",
                    ));
                    None
                }
            }
        } else {
            None
        };
        errors.clone().into_result()?;
        let parsed = parsed.map_err(|_| errors)?;
        Ok(ConnectorConfig {
            name: parsed.string(NAME).unwrap_or_default().to_string(),
            class: parsed
                .string(CONNECTOR_CLASS)
                .unwrap_or_default()
                .to_string(),
            tasks_max: parsed.int(TASKS_MAX).unwrap_or(1).max(1) as usize,
            subscription,
            restart: RestartPolicy::from_parsed(&parsed),
            errors: ErrorHandling::from_parsed(&parsed),
            props,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn sink_needs_exactly_one_subscription() {
        let base = [("name", "s"), ("connector.class", "FileStreamSink")];
        let none = ConnectorConfig::from_props(
            property_map(base),
            ConnectorKind::Sink,
            &PropertyMap::new(),
        )
        .unwrap_err();
        assert_eq!(none.0[0].key, "topics");
        let mut both = property_map(base);
        both.insert("topics".into(), "a".into());
        both.insert("topics.regex".into(), "a.*".into());
        let err = ConnectorConfig::from_props(both, ConnectorKind::Sink, &PropertyMap::new())
            .unwrap_err();
        assert_eq!(err.0[0].key, "topics.regex");
        let mut ok = property_map(base);
        ok.insert("topics".into(), "a, b".into());
        let cfg =
            ConnectorConfig::from_props(ok, ConnectorKind::Sink, &PropertyMap::new()).unwrap();
        assert_eq!(
            cfg.subscription,
            Some(Subscription::Topics(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn several_bad_common_keys_are_reported_together() {
        let errs = ConnectorConfig::from_props(
            property_map([
                ("connector.class", "X"),
                ("tasks.max", "0"),
                ("errors.tolerance", "some"),
            ]),
            ConnectorKind::Source,
            &PropertyMap::new(),
        )
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["name", "tasks.max", "errors.tolerance"]);
    }

    #[test]
    fn restart_policy_falls_back_to_worker_then_connector_overrides() {
        let worker = property_map([("ferry.task.restart.on.failure", "false")]);
        let base = [("name", "s"), ("connector.class", "X")];
        let cfg = ConnectorConfig::from_props(property_map(base), ConnectorKind::Source, &worker)
            .unwrap();
        assert!(!cfg.restart.enabled);
        let mut own = property_map(base);
        own.insert("ferry.task.restart.on.failure".into(), "true".into());
        let cfg = ConnectorConfig::from_props(own, ConnectorKind::Source, &worker).unwrap();
        assert!(cfg.restart.enabled);
    }
}
