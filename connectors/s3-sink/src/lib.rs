//! # S3 sink — a drop-in for Confluent's S3 sink connector
//!
//! Writes Kafka records to S3 objects with Confluent's config keys, object
//! keys (`<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>`)
//! and formats (JSON lines, Avro, Parquet, raw bytes), and adds:
//!
//! * exactly-once output for every partitioner and rotation setting, via a
//!   small per-partition state object written before objects become
//!   visible ([`state`]);
//! * a process-wide memory budget for buffers, spilling to disk beyond it
//!   ([`buffer`]).
//!
//! See `connectors/s3-sink/README.md` for the configuration reference.

pub mod buffer;
pub mod compatibility;
pub mod config;
pub mod connector;
pub mod error;
pub mod format;
pub mod partitioner;
pub mod state;
pub mod storage;
pub mod task;
pub mod uploads;
pub mod writer;

#[cfg(test)]
pub(crate) mod test_support;

pub use connector::S3SinkConnector;
pub use error::S3SinkError;
pub use task::S3SinkTask;

use ferry_api::{ConnectorFactory, ConnectorPlugin};

/// The S3 sink plugin.
pub fn plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "io.confluent.connect.s3.S3SinkConnector",
        aliases: &["ferry.s3.S3Sink", "S3Sink"],
        version: env!("CARGO_PKG_VERSION"),
        factory: ConnectorFactory::Sink(|| Box::new(S3SinkConnector::default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_matches_confluent_and_short_names() {
        let p = plugin();
        assert!(p.matches("io.confluent.connect.s3.S3SinkConnector"));
        assert!(p.matches("S3SinkConnector"));
        assert!(p.matches("S3Sink"));
        assert_eq!(p.kind(), "sink");
    }
}
