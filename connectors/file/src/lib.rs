//! # File connectors — the reference connector for Ferry
//!
//! Drop-in replacements for Kafka's `FileStreamSourceConnector` and
//! `FileStreamSinkConnector`, and the example to copy when writing a
//! connector against `ferry-api`:
//!
//! * [`source_task`]: reads a text file line by line into one topic. Each
//!   line becomes a record with a STRING value; the source offset is the
//!   byte position after the line (`{"position": n}` in partition
//!   `{"filename": path}`, exactly Kafka's keys), so a restarted worker
//!   resumes where the last stored offset points.
//! * [`sink_task`]: appends each record's value as a line to a file,
//!   flushing and `fsync`ing before offsets are committed (at least once).
//!
//! Every connector crate has the same shape: `lib.rs` (the plugins),
//! [`connector`], [`config`], the task ([`source_task`], [`sink_task`]),
//! [`error`]. A connector crate exposes a [`ferry_api::ConnectorPlugin`]
//! per connector; see [`plugins`].

pub mod config;
pub mod connector;
pub mod error;
pub mod sink_task;
pub mod source_task;

pub use connector::{FileSinkConnector, FileSourceConnector};
pub use error::FileError;
pub use sink_task::FileSinkTask;
pub use source_task::FileSourceTask;

use ferry_api::{ConnectorFactory, ConnectorPlugin};

/// The file source plugin (`FileStreamSource`).
pub fn source_plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
        aliases: &["ferry.file.FileSource"],
        version: env!("CARGO_PKG_VERSION"),
        factory: ConnectorFactory::Source(|| Box::new(FileSourceConnector::default())),
    }
}

/// The file sink plugin (`FileStreamSink`).
pub fn sink_plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
        aliases: &["ferry.file.FileSink"],
        version: env!("CARGO_PKG_VERSION"),
        factory: ConnectorFactory::Sink(|| Box::new(FileSinkConnector::default())),
    }
}

/// Both file connectors.
pub fn plugins() -> Vec<ConnectorPlugin> {
    vec![source_plugin(), sink_plugin()]
}
