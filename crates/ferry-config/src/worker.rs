//! The worker configuration (`worker.properties`), Kafka Connect's
//! `WorkerConfig`/`StandaloneConfig` keys plus Ferry's restart policy.

use std::time::Duration;

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, Importance, ParsedConfig, PropertyMap,
    Validator,
};

/// Key: Kafka bootstrap servers.
pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
/// Key: default key converter class.
pub const KEY_CONVERTER: &str = "key.converter";
/// Key: default value converter class.
pub const VALUE_CONVERTER: &str = "value.converter";
/// Key: default header converter class.
pub const HEADER_CONVERTER: &str = "header.converter";
/// Key: standalone offsets file.
pub const OFFSET_STORAGE_FILE: &str = "offset.storage.file.filename";
/// Key: interval between offset commits.
pub const OFFSET_FLUSH_INTERVAL_MS: &str = "offset.flush.interval.ms";
/// Key: how long an offset flush may take.
pub const OFFSET_FLUSH_TIMEOUT_MS: &str = "offset.flush.timeout.ms";
/// Key: total time tasks get to stop.
pub const TASK_SHUTDOWN_TIMEOUT_MS: &str = "task.shutdown.graceful.timeout.ms";
/// Key: the HTTP listeners (REST, metrics, health).
pub const LISTENERS: &str = "listeners";
/// Key: restart failed tasks automatically.
pub const RESTART_ON_FAILURE: &str = "ferry.task.restart.on.failure";
/// Key: first restart delay.
pub const RESTART_BACKOFF_INITIAL_MS: &str = "ferry.task.restart.backoff.initial.ms";
/// Key: longest restart delay.
pub const RESTART_BACKOFF_MAX_MS: &str = "ferry.task.restart.backoff.max.ms";

/// The simple header converter's Java class name, the default.
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The keys of the restart policy, shared by worker and connector configs.
pub fn restart_policy_keys() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(RESTART_ON_FAILURE, ConfigType::Boolean).default_value("true")
            .importance(Importance::Medium)
            .doc("Restart a FAILED task automatically with exponential backoff (Kafka Connect leaves failed tasks dead). A connector config may override it."))
        .define(ConfigKey::new(RESTART_BACKOFF_INITIAL_MS, ConfigType::Long).default_value("1000")
            .validator(Validator::at_least(0.0)).importance(Importance::Low)
            .doc("Delay before the first automatic restart; doubles after each consecutive failure."))
        .define(ConfigKey::new(RESTART_BACKOFF_MAX_MS, ConfigType::Long).default_value("60000")
            .validator(Validator::at_least(0.0)).importance(Importance::Low)
            .doc("Longest delay between automatic restarts."))
}

/// The worker's keys.
pub fn worker_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(BOOTSTRAP_SERVERS, ConfigType::List).default_value("localhost:9092")
            .importance(Importance::High).doc("Kafka brokers to connect to, host:port,…"))
        .define(ConfigKey::new(KEY_CONVERTER, ConfigType::Class).required().importance(Importance::High)
            .doc("Converter class for record keys, e.g. org.apache.kafka.connect.json.JsonConverter. Settings: key.converter.*"))
        .define(ConfigKey::new(VALUE_CONVERTER, ConfigType::Class).required().importance(Importance::High)
            .doc("Converter class for record values. Settings: value.converter.*"))
        .define(ConfigKey::new(HEADER_CONVERTER, ConfigType::Class).default_value(SIMPLE_HEADER_CONVERTER)
            .importance(Importance::Low).doc("Converter class for header values. Settings: header.converter.*"))
        .define(ConfigKey::new(OFFSET_STORAGE_FILE, ConfigType::String).importance(Importance::High)
            .doc("Standalone mode: file in which source offsets are stored (JSON, written atomically)."))
        .define(ConfigKey::new(OFFSET_FLUSH_INTERVAL_MS, ConfigType::Long).default_value("60000")
            .validator(Validator::at_least(1.0)).importance(Importance::Low)
            .doc("Interval at which offsets are committed (sink: to the consumer group; source: to the offset store)."))
        .define(ConfigKey::new(OFFSET_FLUSH_TIMEOUT_MS, ConfigType::Long).default_value("5000")
            .validator(Validator::at_least(1.0)).importance(Importance::Low)
            .doc("Longest time an offset flush may take before it is abandoned and retried at the next interval."))
        .define(ConfigKey::new(TASK_SHUTDOWN_TIMEOUT_MS, ConfigType::Long).default_value("5000")
            .validator(Validator::at_least(0.0)).importance(Importance::Low)
            .doc("Total time all tasks get to flush, commit and stop on shutdown."))
        .define(ConfigKey::new(LISTENERS, ConfigType::List).default_value("http://0.0.0.0:8083")
            .importance(Importance::Low)
            .doc("HTTP listeners for the REST API, /metrics and /health. Only http:// is supported."))
        .merge(&restart_policy_keys())
}

/// When and how fast failed tasks are restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Whether to restart at all.
    pub enabled: bool,
    /// First delay.
    pub initial_backoff: Duration,
    /// Longest delay.
    pub max_backoff: Duration,
}

impl RestartPolicy {
    /// Reads the policy from parsed keys of [`restart_policy_keys`].
    pub fn from_parsed(cfg: &ParsedConfig) -> Self {
        let ms = |k| Duration::from_millis(cfg.long(k).unwrap_or(0).max(0) as u64);
        RestartPolicy {
            enabled: cfg.boolean(RESTART_ON_FAILURE).unwrap_or(true),
            initial_backoff: ms(RESTART_BACKOFF_INITIAL_MS),
            max_backoff: ms(RESTART_BACKOFF_MAX_MS),
        }
    }

    /// The delay before restart number `attempt` (from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The typed worker configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// All worker properties, after config-provider substitution.
    pub props: PropertyMap,
    /// Default key converter class.
    pub key_converter: String,
    /// Default value converter class.
    pub value_converter: String,
    /// Default header converter class.
    pub header_converter: String,
    /// Standalone offsets file.
    pub offset_storage_file: Option<String>,
    /// Offset commit interval.
    pub offset_flush_interval: Duration,
    /// Offset flush timeout.
    pub offset_flush_timeout: Duration,
    /// Shutdown budget for all tasks.
    pub shutdown_timeout: Duration,
    /// HTTP listener URLs.
    pub listeners: Vec<String>,
    /// Default restart policy.
    pub restart: RestartPolicy,
}

impl WorkerConfig {
    /// Parses and validates worker properties (already provider-resolved).
    pub fn from_props(props: PropertyMap) -> Result<Self, ConfigErrors> {
        let cfg = worker_config_def().parse(&props)?;
        let ms = |k| Duration::from_millis(cfg.long(k).unwrap_or(0).max(0) as u64);
        Ok(WorkerConfig {
            key_converter: cfg.string(KEY_CONVERTER).unwrap_or_default().to_string(),
            value_converter: cfg.string(VALUE_CONVERTER).unwrap_or_default().to_string(),
            header_converter: cfg
                .string(HEADER_CONVERTER)
                .unwrap_or(SIMPLE_HEADER_CONVERTER)
                .to_string(),
            offset_storage_file: cfg.string(OFFSET_STORAGE_FILE).map(str::to_string),
            offset_flush_interval: ms(OFFSET_FLUSH_INTERVAL_MS),
            offset_flush_timeout: ms(OFFSET_FLUSH_TIMEOUT_MS),
            shutdown_timeout: ms(TASK_SHUTDOWN_TIMEOUT_MS),
            listeners: cfg.list(LISTENERS).to_vec(),
            restart: RestartPolicy::from_parsed(&cfg),
            props,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn defaults_match_kafka_connect() {
        let w = WorkerConfig::from_props(property_map([
            ("key.converter", "StringConverter"),
            ("value.converter", "StringConverter"),
        ]))
        .unwrap();
        assert_eq!(w.offset_flush_interval, Duration::from_secs(60));
        assert_eq!(w.shutdown_timeout, Duration::from_secs(5));
        assert_eq!(w.listeners, ["http://0.0.0.0:8083"]);
        assert_eq!(w.header_converter, SIMPLE_HEADER_CONVERTER);
        assert!(w.restart.enabled);
    }

    #[test]
    fn missing_converters_are_both_reported() {
        let errs = WorkerConfig::from_props(PropertyMap::new()).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["key.converter", "value.converter"]);
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let p = RestartPolicy {
            enabled: true,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        };
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(4));
        assert_eq!(p.backoff(10), Duration::from_secs(10));
    }
}
