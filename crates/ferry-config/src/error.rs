//! Errors of the config layer: reading files, parsing `.properties` text,
//! declaring config providers and looking values up through them.
//!
//! Every message names the file, key or provider it is about and says what
//! to do. None of them ever contains a value obtained from a config provider
//! (those are secrets, as a rule).

use std::io;
use std::path::PathBuf;

/// A `.properties` text that `java.util.Properties.load` would refuse too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertiesError {
    /// `\u` not followed by four hexadecimal digits.
    #[error(
        "line {line}: malformed \\uXXXX escape: \\u must be followed by exactly four \
         hexadecimal digits (write a literal backslash as \\\\)"
    )]
    MalformedUnicodeEscape {
        /// 1-based physical line of the offending backslash.
        line: usize,
    },
}

/// Why a worker or connector configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigLoadError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}; check the path and its permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// A `.properties` file is malformed.
    #[error("config file {path}: {source}")]
    Properties {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line number.
        #[source]
        source: PropertiesError,
    },

    /// A JSON connector file does not parse.
    #[error(
        "connector file {path} is not valid JSON: {source}; fix the JSON, or give the file \
         a .properties extension and properties syntax"
    )]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// A JSON connector file holds something other than an object.
    #[error(
        "connector file {path} must hold a JSON object: either {{\"name\": \"...\", \
         \"config\": {{...}}}} or a flat map of config keys to values"
    )]
    JsonNotObject {
        /// The file.
        path: PathBuf,
    },

    /// A JSON connector config value is an object or an array.
    #[error(
        "connector file {path}: the value of {key} is a JSON {kind}; config values must be \
         strings, numbers or booleans (write lists as comma-separated strings)"
    )]
    JsonNestedValue {
        /// The file.
        path: PathBuf,
        /// The config key whose value is nested.
        key: String,
        /// `object` or `array`.
        kind: &'static str,
    },

    /// The connector has no name.
    #[error(
        "connector file {path} does not name the connector; add a `name` property \
         (or a top-level \"name\" in JSON)"
    )]
    MissingConnectorName {
        /// The file.
        path: PathBuf,
    },

    /// `name` and `config.name` of a JSON connector request disagree.
    #[error(
        "connector file {path}: \"name\" is {name:?} but \"config\".\"name\" is \
         {config_name:?}; make them equal or drop \"name\" from \"config\""
    )]
    ConnectorNameMismatch {
        /// The file.
        path: PathBuf,
        /// The top-level `name`.
        name: String,
        /// The `name` inside `config`.
        config_name: String,
    },

    /// `initial_state` of a JSON connector request is not a known state.
    #[error(
        "connector file {path}: initial_state {value:?} is not one of RUNNING, PAUSED, STOPPED"
    )]
    InvalidInitialState {
        /// The file.
        path: PathBuf,
        /// The value given.
        value: String,
    },

    /// `config.providers` lists an alias that has no class.
    #[error(
        "config.providers lists {alias:?} but config.providers.{alias}.class is not set; \
         set it to FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider \
         (or remove {alias:?} from config.providers)"
    )]
    ConfigProviderClassMissing {
        /// The provider alias.
        alias: String,
    },

    /// A config provider class Ferry does not implement.
    #[error(
        "config.providers.{alias}.class = {class:?} is not a config provider Ferry has; \
         use org.apache.kafka.common.config.provider.FileConfigProvider, \
         DirectoryConfigProvider or EnvVarConfigProvider"
    )]
    UnknownConfigProvider {
        /// The provider alias.
        alias: String,
        /// The class given.
        class: String,
    },

    /// A config provider parameter is invalid.
    #[error("config.providers.{alias}.param.{param}: {reason}")]
    InvalidConfigProviderParam {
        /// The provider alias.
        alias: String,
        /// The parameter name (after `param.`).
        param: String,
        /// What is wrong and what is expected.
        reason: String,
    },
}

/// Why a config provider could not supply a value. Never contains the value
/// itself, nor any other value the provider holds.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A file or directory provider reference without a path.
    #[error("the {provider} provider needs a path: write ${{alias:{example}:key}}")]
    PathRequired {
        /// `file` or `directory`.
        provider: &'static str,
        /// An example path.
        example: &'static str,
    },

    /// An environment variable reference with a path.
    #[error(
        "the environment variable provider takes no path ({path:?} given); write ${{alias:NAME}}"
    )]
    PathNotSupported {
        /// The path given.
        path: String,
    },

    /// A path outside the provider's `allowed.paths`.
    #[error(
        "path {path} is not under this provider's allowed.paths ({allowed}); use a path below \
         one of them or extend config.providers.<alias>.param.allowed.paths"
    )]
    PathNotAllowed {
        /// The path requested.
        path: String,
        /// The allowed paths, comma-separated.
        allowed: String,
    },

    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// A properties file of the file provider is malformed.
    #[error("{path}: {source}")]
    Properties {
        /// The file.
        path: String,
        /// What is wrong.
        #[source]
        source: PropertiesError,
    },

    /// The directory provider's path is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path.
        path: String,
    },

    /// The file provider's properties file lacks the key.
    #[error("key {key:?} is not defined in {path}")]
    KeyNotInFile {
        /// The file.
        path: String,
        /// The key.
        key: String,
    },

    /// The directory provider's directory lacks the file.
    #[error("there is no regular file named {key:?} in directory {path}")]
    FileNotInDirectory {
        /// The directory.
        path: String,
        /// The file name.
        key: String,
    },

    /// The environment variable is not set.
    #[error("environment variable {name} is not set")]
    EnvVarNotSet {
        /// The variable.
        name: String,
    },

    /// The environment variable does not match the provider's `allowlist.pattern`.
    #[error(
        "environment variable {name} does not match this provider's allowlist.pattern \
         {pattern:?}; rename the variable or widen config.providers.<alias>.param.allowlist.pattern"
    )]
    EnvVarNotAllowed {
        /// The variable.
        name: String,
        /// The pattern.
        pattern: String,
    },

    /// The key was not found (generic, for custom providers).
    #[error("key {key:?} was not found under path {path:?}")]
    KeyNotFound {
        /// The path.
        path: String,
        /// The key.
        key: String,
    },
}
