//! The settings of both connectors, with Kafka's FileStream* keys: the
//! definitions (validation, defaults, docs for the REST API) and the typed
//! configurations the tasks read.

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, Importance, PropertyMap, Validator,
};

/// Config key: the file to read (source) or append to (sink).
pub const FILE: &str = "file";
/// Config key: the topic to write to (source).
pub const TOPIC: &str = "topic";
/// Config key: the most lines returned by one poll (source).
pub const BATCH_SIZE: &str = "batch.size";

/// The source's settings.
pub fn source_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(FILE, ConfigType::String)
                .required()
                .validator(Validator::NonEmptyString)
                .importance(Importance::High)
                .doc("Source filename."),
        )
        .define(
            ConfigKey::new(TOPIC, ConfigType::String)
                .required()
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s) if s.contains(',') => {
                        Err("must be a single topic, not a list".into())
                    }
                    ConfigValue::String(s) if s.trim().is_empty() => {
                        Err("must name a topic".into())
                    }
                    _ => Ok(()),
                }))
                .importance(Importance::High)
                .doc("The topic to publish data to."),
        )
        .define(
            ConfigKey::new(BATCH_SIZE, ConfigType::Int)
                .default_value("2000")
                .validator(Validator::at_least(1.0))
                .importance(Importance::Low)
                .doc("The maximum number of records the source task can read from the file each time it is polled."),
        )
}

/// The sink's settings.
pub fn sink_config_def() -> ConfigDef {
    ConfigDef::new().define(
        ConfigKey::new(FILE, ConfigType::String)
            .required()
            .validator(Validator::NonEmptyString)
            .importance(Importance::High)
            .doc("Destination filename."),
    )
}

/// The source task's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSourceConfig {
    /// The file to read.
    pub file: String,
    /// The topic to write to.
    pub topic: String,
    /// The most lines returned by one poll.
    pub batch_size: usize,
}

impl FileSourceConfig {
    /// Parses and validates `props`; every problem is reported at once.
    pub fn parse(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        let cfg = source_config_def().parse(props)?;
        Ok(FileSourceConfig {
            file: cfg.string(FILE).unwrap_or_default().to_string(),
            topic: cfg.string(TOPIC).unwrap_or_default().to_string(),
            batch_size: cfg.int(BATCH_SIZE).unwrap_or(2000).max(1) as usize,
        })
    }
}

/// The sink task's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSinkConfig {
    /// The file to append to.
    pub file: String,
}

impl FileSinkConfig {
    /// Parses and validates `props`.
    pub fn parse(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        let cfg = sink_config_def().parse(props)?;
        Ok(FileSinkConfig {
            file: cfg.string(FILE).unwrap_or_default().to_string(),
        })
    }
}
