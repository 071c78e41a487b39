//! # ferry-config — Ferry's configuration, from files to the settings the
//! runtime uses
//!
//! A pure library (no Kafka client, no async runtime) with its own unit
//! tests; `ferry-runtime` and the `ferry` binary build on it.
//!
//! Configuration flows through three stages, each its own module:
//!
//! 1. **Files** ([`files`], [`properties`]). The worker file is a Java
//!    `.properties` file; a connector file is `.properties`, a flat JSON map or
//!    a JSON `CreateConnectorRequest`, as `connect-standalone` accepts. The
//!    result is a raw [`PropertyMap`](ferry_api::PropertyMap): strings, with
//!    `${provider:path:key}` references still in them.
//! 2. **Config providers** ([`providers`]). The worker's `config.providers*`
//!    keys declare file, directory and environment variable providers;
//!    [`ConfigProviders::resolve_worker`] and [`ConfigProviders::resolve`]
//!    substitute every reference in the worker and connector maps in one
//!    pass, reporting every unresolvable reference at once. Keep the raw map
//!    around for anything shown to users (REST, logs): only the resolved one
//!    holds secrets.
//! 3. **Typed config.** The resolved maps are parsed against `ConfigDef`s
//!    (the worker's and each connector's; see `ferry_api::ConfigDef`), and
//!    [`client_config`] derives the librdkafka settings for each consumer,
//!    producer and admin client from the worker's client keys, its
//!    `consumer.`/`producer.`/`admin.` keys and the connector's
//!    `*.override.` keys, translating Java client names to librdkafka's.
//!
//! Errors from loading are [`ConfigLoadError`]s, which always name the file,
//! key or provider involved; problems with values are
//! [`ConfigErrors`](ferry_api::ConfigErrors), each naming the key.

pub mod client;
pub mod connector;
pub mod error;
pub mod error_handling;
pub mod files;
pub mod properties;
pub mod providers;
pub mod worker;

pub use client::{client_config, is_sensitive_client_key, ClientRole, ClientSettings};
pub use error::{ConfigLoadError, PropertiesError, ProviderError};
pub use files::{
    load_connector_definition, load_connector_file, load_worker_file, parse_connector_file,
    ConnectorFile, InitialState,
};
pub use properties::{parse_properties, parse_properties_ordered};
pub use providers::{
    references, ConfigProvider, ConfigProviders, DirectoryConfigProvider, EnvVarConfigProvider,
    FileConfigProvider, Reference,
};
