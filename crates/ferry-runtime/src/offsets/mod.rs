//! Source offset storage: where a source task's acknowledged positions are
//! kept across restarts.
//!
//! Standalone workers use [`FileOffsetStore`] (`offset.storage.file.filename`).

mod file;

pub use file::FileOffsetStore;

use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::{OffsetMap, OffsetReader, SourcePosition};

/// Why offsets could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    /// The offsets file could not be read or written.
    #[error("offset file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The offsets file is not in the expected format.
    #[error("offset file {path} is corrupt: {reason}; fix or move it away (the connectors then start from the beginning)")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Durable storage of source offsets, per connector and source partition.
#[async_trait]
pub trait OffsetStore: Send + Sync {
    /// The stored offset of a connector's source partition.
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap>;

    /// Stores offsets; they are durable when this returns `Ok`.
    async fn put(
        &self,
        connector: &str,
        positions: &[SourcePosition],
    ) -> Result<(), OffsetStoreError>;

    /// Every stored offset of a connector (`GET /connectors/{n}/offsets`).
    fn connector_offsets(&self, connector: &str) -> Vec<SourcePosition>;

    /// Forgets the offsets of these source partitions of a connector (all
    /// of them with `None`); durable when this returns `Ok`.
    async fn remove(
        &self,
        connector: &str,
        partitions: Option<&[OffsetMap]>,
    ) -> Result<(), OffsetStoreError>;
}

/// The canonical text of a source partition, used as a map key.
pub fn partition_key(partition: &OffsetMap) -> String {
    // serde_json::Map keeps insertion order; sort so that equal maps match.
    let sorted: std::collections::BTreeMap<&String, &serde_json::Value> =
        partition.iter().collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// An [`OffsetReader`] for one connector, handed to its source tasks.
pub struct ConnectorOffsets {
    connector: String,
    store: Arc<dyn OffsetStore>,
}

impl ConnectorOffsets {
    /// A reader of `connector`'s offsets in `store`.
    pub fn new(connector: impl Into<String>, store: Arc<dyn OffsetStore>) -> Self {
        ConnectorOffsets {
            connector: connector.into(),
            store,
        }
    }
}

impl OffsetReader for ConnectorOffsets {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        self.store.get(&self.connector, partition)
    }
}
