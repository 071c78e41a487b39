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

pub mod cli;
pub mod config;
pub mod converters;
pub mod error;
pub mod herder;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod offsets;
pub mod plugins;
pub mod status;
pub mod task;
pub mod worker;

pub use error::RuntimeError;
