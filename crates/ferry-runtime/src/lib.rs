//! # ferry-runtime — the Ferry worker
//!
//! Loads worker and connector configuration the way Kafka Connect does,
//! converts records, runs source and sink tasks against Kafka, stores
//! offsets, and serves metrics and REST.

pub mod config;
pub mod converters;
