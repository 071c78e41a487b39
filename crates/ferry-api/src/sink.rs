//! The sink task trait and its context.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{ConnectError, ConnectResult};
use crate::record::{SinkRecord, TopicPartition};
use crate::PropertyMap;

/// Offsets per partition. As in Kafka, an offset is the *next* offset to
/// read: after handling the record at offset 41, the offset is 42.
pub type PartitionOffsets = HashMap<TopicPartition, i64>;

#[derive(Debug, Default)]
struct SinkContextState {
    assignment: BTreeSet<TopicPartition>,
    paused: BTreeSet<TopicPartition>,
    pending_pause: Vec<TopicPartition>,
    pending_resume: Vec<TopicPartition>,
    rewinds: HashMap<TopicPartition, i64>,
    commit_requested: bool,
    committed: HashMap<TopicPartition, i64>,
}

/// What the task asked of the runtime since the runtime last looked.
#[derive(Debug, Default, PartialEq)]
pub struct SinkContextRequests {
    /// Partitions to pause.
    pub pause: Vec<TopicPartition>,
    /// Partitions to resume.
    pub resume: Vec<TopicPartition>,
    /// Partitions to re-read from an offset.
    pub rewinds: HashMap<TopicPartition, i64>,
    /// Whether to commit offsets as soon as possible.
    pub commit: bool,
}

/// Reports records a sink task cannot write, through the connector's error
/// handling (Kafka's `ErrantRecordReporter`, KIP-610): with
/// `errors.tolerance=all` the record is counted, logged when
/// `errors.log.enable=true`, sent to the dead-letter queue when
/// `errors.deadletterqueue.topic.name` is set, and the task goes on.
///
/// The runtime waits for every reported record to be acknowledged by the
/// dead-letter queue before it commits an offset past it, so a task need
/// not wait itself: after `report` returns `Ok`, treat the record as
/// handled (its offset may be reported as durable from
/// [`SinkTask::pre_commit`]).
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record`, which failed with `error`. Returns an error the
    /// task should fail with when the connector does not tolerate errors
    /// (`errors.tolerance=none`) or the record could not be handed to the
    /// dead-letter queue.
    fn report(&self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()>;
}

/// Handed to [`SinkTask::start`]; a cheap handle the task may keep and
/// clone. Requests take effect after the current call returns.
#[derive(Clone)]
pub struct SinkTaskContext {
    connector: String,
    task_id: u32,
    state: Arc<Mutex<SinkContextState>>,
    metrics: Arc<dyn crate::metrics::MetricsRegistry>,
    errant: Option<Arc<dyn ErrantRecordReporter>>,
}

impl SinkTaskContext {
    /// A context (built by the runtime).
    pub fn new(connector: impl Into<String>, task_id: u32) -> Self {
        SinkTaskContext {
            connector: connector.into(),
            task_id,
            state: Arc::default(),
            metrics: Arc::new(crate::metrics::NoopMetrics),
            errant: None,
        }
    }

    /// Sets the reporter of records the task cannot write (done by the
    /// runtime when the connector configures error handling).
    pub fn with_errant_record_reporter(mut self, reporter: Arc<dyn ErrantRecordReporter>) -> Self {
        self.errant = Some(reporter);
        self
    }

    /// The reporter for records the task cannot write, or `None` when the
    /// connector configures no error handling (`errors.tolerance=none`
    /// without a dead-letter queue or error log): then a task fails on
    /// such a record, as it would in Kafka Connect.
    pub fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.errant.clone()
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

    fn state(&self) -> std::sync::MutexGuard<'_, SinkContextState> {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connector's name.
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// This task's number, from 0.
    pub fn task_id(&self) -> u32 {
        self.task_id
    }

    /// The partitions currently assigned to this task.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.state().assignment.clone()
    }

    /// Stops fetching from these partitions until resumed (back-pressure).
    pub fn pause(&self, partitions: &[TopicPartition]) {
        let mut s = self.state();
        for tp in partitions {
            s.paused.insert(tp.clone());
            s.pending_pause.push(tp.clone());
        }
    }

    /// Resumes fetching from paused partitions.
    pub fn resume(&self, partitions: &[TopicPartition]) {
        let mut s = self.state();
        for tp in partitions {
            s.paused.remove(tp);
            s.pending_resume.push(tp.clone());
        }
    }

    /// The partitions the task has paused.
    pub fn paused(&self) -> BTreeSet<TopicPartition> {
        self.state().paused.clone()
    }

    /// Re-reads a partition from `offset` (e.g. after the task found its
    /// own durable position in the external system).
    pub fn offset(&self, partition: TopicPartition, offset: i64) {
        self.state().rewinds.insert(partition, offset);
    }

    /// The offset committed in Kafka for an assigned partition when it was
    /// assigned (the next offset to read), if the group had one. Set before
    /// [`SinkTask::open`] is called, so a task can reconcile its external
    /// state (e.g. objects written but not yet committed) with Kafka's.
    pub fn committed_offset(&self, partition: &TopicPartition) -> Option<i64> {
        self.state().committed.get(partition).copied()
    }

    /// Runtime side: records the committed offsets of newly assigned partitions.
    pub fn set_committed_offsets(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) {
        self.state().committed.extend(offsets);
    }

    /// Asks the runtime to commit offsets soon, without waiting for
    /// `offset.flush.interval.ms`.
    pub fn request_commit(&self) {
        self.state().commit_requested = true;
    }

    /// Runtime side: records the current assignment.
    pub fn set_assignment(&self, partitions: impl IntoIterator<Item = TopicPartition>) {
        let mut s = self.state();
        s.assignment = partitions.into_iter().collect();
        let assignment = s.assignment.clone();
        s.paused.retain(|tp| assignment.contains(tp));
        s.committed.retain(|tp, _| assignment.contains(tp));
    }

    /// Runtime side: takes the task's pending requests.
    pub fn take_requests(&self) -> SinkContextRequests {
        let mut s = self.state();
        SinkContextRequests {
            pause: std::mem::take(&mut s.pending_pause),
            resume: std::mem::take(&mut s.pending_resume),
            rewinds: std::mem::take(&mut s.rewinds),
            commit: std::mem::take(&mut s.commit_requested),
        }
    }
}

/// A task that writes records to an external system.
///
/// The runtime owns a Kafka consumer in group `connect-<connector name>`.
/// It calls [`SinkTask::open`] when partitions are assigned,
/// [`SinkTask::put`] with batches of records, and every
/// `offset.flush.interval.ms` [`SinkTask::pre_commit`], committing to Kafka
/// exactly the offsets it returns. When partitions are revoked it commits
/// what was last returned and calls [`SinkTask::close`].
///
/// All calls come from one tokio task, one at a time.
#[async_trait]
pub trait SinkTask: Send {
    /// Starts the task with its task configuration.
    async fn start(&mut self, ctx: SinkTaskContext, props: &PropertyMap) -> ConnectResult<()>;

    /// Partitions were assigned to this task.
    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let _ = partitions;
        Ok(())
    }

    /// Handles a batch of records. A task may buffer what it derives from
    /// them; it reports what is durable from [`SinkTask::pre_commit`].
    /// Return [`crate::ConnectError::Retriable`] to have the same batch
    /// handed to `put` again after a backoff (so nothing of it may be kept
    /// in that case).
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()>;

    /// Makes everything `put` so far durable (used by the default
    /// [`SinkTask::pre_commit`]).
    async fn flush(&mut self, offsets: &PartitionOffsets) -> ConnectResult<()> {
        let _ = offsets;
        Ok(())
    }

    /// Returns the offsets that are safe to commit. `current` holds, per
    /// assigned partition, the offset after the last record handed to
    /// `put`. The default flushes and returns `current`; a task that writes
    /// asynchronously returns only what is durable (possibly nothing).
    async fn pre_commit(&mut self, current: &PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        self.flush(current).await?;
        Ok(current.clone())
    }

    /// Partitions were revoked; drop any state held for them. Records not
    /// yet durable will be read again by the partition's next owner.
    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let _ = partitions;
        Ok(())
    }

    /// Stops the task.
    async fn stop(&mut self) -> ConnectResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_collects_requests_once() {
        let ctx = SinkTaskContext::new("c", 0);
        let tp = TopicPartition::new("t", 1);
        ctx.set_assignment([tp.clone()]);
        ctx.pause(std::slice::from_ref(&tp));
        ctx.offset(tp.clone(), 5);
        ctx.request_commit();
        assert!(ctx.paused().contains(&tp));
        let r = ctx.take_requests();
        assert_eq!(r.pause, vec![tp.clone()]);
        assert_eq!(r.rewinds.get(&tp), Some(&5));
        assert!(r.commit);
        assert_eq!(ctx.take_requests(), SinkContextRequests::default());
    }

    #[test]
    fn reassignment_forgets_pauses_of_lost_partitions() {
        let ctx = SinkTaskContext::new("c", 0);
        let a = TopicPartition::new("t", 0);
        ctx.set_assignment([a.clone()]);
        ctx.pause(std::slice::from_ref(&a));
        ctx.set_assignment([TopicPartition::new("t", 1)]);
        assert!(ctx.paused().is_empty());
    }
}
