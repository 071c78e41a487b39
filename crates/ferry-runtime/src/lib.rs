//! # ferry-runtime — the Ferry worker
//!
//! Loads worker and connector configuration the way Kafka Connect does,
//! converts records, runs source and sink tasks against Kafka, stores
//! offsets, and serves REST, metrics and health.
//!
//! * [`config`]: properties/JSON files, config providers, Kafka client
//!   settings, worker and common connector keys.
//! * [`converters`]: Kafka Connect's converters by class name.
//! * [`task`]: the sink and source executors and the restart supervisor.
//! * [`herder`]: owns connectors and their tasks (standalone mode).
//! * [`offsets`]: where source offsets are stored.
//! * [`http`], [`metrics`], [`status`]: what the worker reports.
//! * [`cli`]: the `ferry` command line, reusable by custom binaries.

#[cfg(feature = "wip")]
pub mod cli;
pub mod config;
pub mod converters;
#[cfg(feature = "wip")]
pub mod error;
#[cfg(feature = "wip")]
pub mod herder;
#[cfg(feature = "wip")]
pub mod http;
#[cfg(feature = "wip")]
pub mod logging;
#[cfg(feature = "wip")]
pub mod metrics;
#[cfg(feature = "wip")]
pub mod offsets;
#[cfg(feature = "wip")]
pub mod plugins;
#[cfg(feature = "wip")]
pub mod status;
#[cfg(feature = "wip")]
pub mod task;
#[cfg(feature = "wip")]
pub mod worker;

#[cfg(feature = "wip")]
pub use error::RuntimeError;
