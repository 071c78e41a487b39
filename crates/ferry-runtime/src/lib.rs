//! # ferry-runtime — the Ferry worker
//!
//! Runs source and sink tasks against Kafka, stores offsets, and serves
//! REST, metrics and health. Configuration loading lives in `ferry-config`,
//! the converters in `ferry-converters`, the built-in transforms in
//! `ferry-transforms`.
//!
//! * [`task`]: the sink and source executors and the restart supervisor.
//! * [`transforms`]: a connector's transform chain (`transforms`, `predicates`).
//! * [`herder`]: owns connectors and their tasks (standalone mode).
//! * [`offsets`]: where source offsets are stored.
//! * [`http`], [`metrics`], [`status`]: what the worker reports.
//! * [`cli`]: the `ferry` command line, reusable by custom binaries.

pub mod cli;
pub mod connector_offsets;
pub mod error;
pub mod health;
pub mod herder;
pub mod http;
pub mod kafka_client;
pub mod logging;
pub mod metrics;
pub mod offsets;
pub mod plugins;
pub mod status;
pub mod task;
pub mod transforms;
pub mod validation;
pub mod worker;

pub use error::RuntimeError;
