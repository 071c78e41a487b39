//! The source task trait and its context.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ConnectResult;
use crate::record::SourceRecord;
use crate::PropertyMap;

/// A source partition or offset: a JSON object of primitive values, exactly
/// what Kafka Connect stores (e.g. `{"filename": "/data/in.txt"}` and
/// `{"position": 1042}`).
pub type OffsetMap = serde_json::Map<String, serde_json::Value>;

/// A source partition together with an offset in it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePosition {
    /// The source partition.
    pub partition: OffsetMap,
    /// The offset within it.
    pub offset: OffsetMap,
}

/// Reads the offsets the runtime has stored for this connector.
pub trait OffsetReader: Send + Sync {
    /// The last stored offset of a source partition, if any.
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap>;
}

/// Handed to [`SourceTask::start`].
#[derive(Clone)]
pub struct SourceTaskContext {
    connector: String,
    task_id: u32,
    offsets: Arc<dyn OffsetReader>,
    metrics: Arc<dyn crate::metrics::MetricsRegistry>,
}

impl SourceTaskContext {
    /// A context (built by the runtime).
    pub fn new(connector: impl Into<String>, task_id: u32, offsets: Arc<dyn OffsetReader>) -> Self {
        SourceTaskContext {
            connector: connector.into(),
            task_id,
            offsets,
            metrics: Arc::new(crate::metrics::NoopMetrics),
        }
    }

    /// Sets where the task's own metrics go (done by the runtime).
    pub fn with_metrics(mut self, metrics: Arc<dyn crate::metrics::MetricsRegistry>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Registers the task's own metrics (exported on `/metrics`).
    pub fn metrics(&self) -> &dyn crate::metrics::MetricsRegistry {
        self.metrics.as_ref()
    }

    /// The connector's name.
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// This task's number, from 0.
    pub fn task_id(&self) -> u32 {
        self.task_id
    }

    /// Stored offsets, to resume from.
    pub fn offset_reader(&self) -> &dyn OffsetReader {
        self.offsets.as_ref()
    }
}

/// A task that reads records from an external system.
///
/// The runtime calls [`SourceTask::poll`] in a loop on one tokio task,
/// converts and produces the records, and stores a record's
/// `source_offset` once Kafka has acknowledged it *and every earlier record
/// of the same source partition*. It then calls [`SourceTask::commit`] with
/// the offsets it stored, so the task may release resources up to there
/// (e.g. confirm a replication slot position).
///
/// Delivery is at least once: after a crash the task resumes from the last
/// stored offset (read it in `start` with
/// [`SourceTaskContext::offset_reader`]), so the records after it are sent
/// again.
#[async_trait]
pub trait SourceTask: Send {
    /// Starts the task with its task configuration.
    async fn start(&mut self, ctx: SourceTaskContext, props: &PropertyMap) -> ConnectResult<()>;

    /// Returns the next batch of records. Return an empty batch when there
    /// is nothing to send within about a second, so that the runtime can
    /// flush offsets and react to shutdown; the runtime does not cancel a
    /// `poll` that is in progress.
    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>>;

    /// Called after offsets were durably stored; `stored` holds the
    /// latest stored offset of each source partition that advanced.
    async fn commit(&mut self, stored: &[SourcePosition]) -> ConnectResult<()> {
        let _ = stored;
        Ok(())
    }

    /// Stops the task and releases its resources.
    async fn stop(&mut self) -> ConnectResult<()>;
}
