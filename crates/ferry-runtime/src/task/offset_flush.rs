//! Offset flushes: when one is due (`offset.flush.interval.ms`, for sink
//! commits and source offset stores alike), and the source flush itself.
//!
//! A source flush stores the offsets that acknowledgements made committable
//! (see [`AckTracker`]), within `offset.flush.timeout.ms`; when storing
//! fails the offsets go back to the tracker, to be stored by the next flush,
//! and the task's `commit` is called only with offsets that were stored.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferry_api::SourceTask;

use super::ack_tracker::AckTracker;
use super::TaskId;
use crate::error::RuntimeError;
use crate::metrics::TaskMetrics;
use crate::offsets::OffsetStore;

/// When the next periodic offset flush is due.
#[derive(Debug, Clone)]
pub(crate) struct FlushSchedule {
    interval: Duration,
    last: Instant,
}

impl FlushSchedule {
    /// A schedule whose first flush is due `interval` after `now`.
    pub(crate) fn new(interval: Duration, now: Instant) -> Self {
        FlushSchedule {
            interval,
            last: now,
        }
    }

    /// Whether a flush is due at `now`.
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last) >= self.interval
    }

    /// When the next flush is due.
    pub(crate) fn deadline(&self) -> Instant {
        self.last + self.interval
    }

    /// A flush happened (periodic or asked for) at `now`: the next one is
    /// due a whole interval later.
    pub(crate) fn flushed(&mut self, now: Instant) {
        self.last = now;
    }
}

/// Stores the source offsets that became committable, then calls the
/// task's `commit` with them. Nothing committable: neither happens.
pub(crate) async fn flush_source_offsets(
    tracker: &Mutex<AckTracker>,
    store: &dyn OffsetStore,
    id: &TaskId,
    timeout: Duration,
    metrics: &TaskMetrics,
    task: &mut dyn SourceTask,
) -> Result<(), RuntimeError> {
    let lock = || tracker.lock().unwrap_or_else(|e| e.into_inner());
    let positions = lock().take_committable();
    if positions.is_empty() {
        return Ok(());
    }
    let stored = tokio::time::timeout(timeout, store.put(&id.connector, &positions)).await;
    match stored {
        Ok(Ok(())) => metrics.offset_commit_success.inc(),
        Ok(Err(e)) => {
            metrics.offset_commit_failure.inc();
            lock().restore(positions);
            return Err(e.into());
        }
        Err(_) => {
            metrics.offset_commit_failure.inc();
            lock().restore(positions);
            return Err(RuntimeError::Worker(format!(
                "offset flush took longer than offset.flush.timeout.ms ({} ms)",
                timeout.as_millis()
            )));
        }
    }
    task.commit(&positions)
        .await
        .map_err(|e| RuntimeError::connect(format!("task {id} failed in commit"), e))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use ferry_api::{
        ConnectError, ConnectResult, PropertyMap, SourcePosition, SourceRecord, SourceTaskContext,
    };
    use serde_json::json;

    use super::*;
    use crate::metrics::Metrics;
    use crate::task::test_support::offset_map as map;
    use crate::task::test_support::{task_id, MemoryOffsetStore, StoreMode};

    #[test]
    fn a_flush_is_due_a_whole_interval_after_the_last_one() {
        let start = Instant::now();
        let mut s = FlushSchedule::new(Duration::from_secs(60), start);
        assert_eq!(s.deadline(), start + Duration::from_secs(60));
        assert!(!s.is_due(start));
        assert!(!s.is_due(start + Duration::from_secs(59)));
        assert!(s.is_due(start + Duration::from_secs(60)));
        // A commit asked for by the task after 30 s moves the next one.
        s.flushed(start + Duration::from_secs(30));
        assert!(!s.is_due(start + Duration::from_secs(60)));
        assert!(s.is_due(start + Duration::from_secs(90)));
        assert_eq!(s.deadline(), start + Duration::from_secs(90));
    }

    #[test]
    fn a_zero_interval_flushes_every_time() {
        let start = Instant::now();
        let s = FlushSchedule::new(Duration::ZERO, start);
        assert!(s.is_due(start));
    }

    /// Records what `commit` was called with; fails it when told to.
    #[derive(Default)]
    struct CommitLog {
        commits: Arc<Mutex<Vec<Vec<SourcePosition>>>>,
        fail: bool,
    }

    #[async_trait]
    impl SourceTask for CommitLog {
        async fn start(&mut self, _: SourceTaskContext, _: &PropertyMap) -> ConnectResult<()> {
            Ok(())
        }
        async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
            Ok(Vec::new())
        }
        async fn commit(&mut self, stored: &[SourcePosition]) -> ConnectResult<()> {
            self.commits.lock().unwrap().push(stored.to_vec());
            if self.fail {
                return Err(ConnectError::other("cannot confirm the LSN"));
            }
            Ok(())
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    /// A tracker with one acknowledged record of partition `file=a` at `pos`.
    fn acked(pos: i64) -> Mutex<AckTracker> {
        let mut t = AckTracker::default();
        let token = t.register(&map(json!({"file": "a"})), map(json!({"pos": pos})));
        t.ack(token);
        Mutex::new(t)
    }

    struct Flush {
        store: Arc<MemoryOffsetStore>,
        metrics: TaskMetrics,
        task: CommitLog,
    }

    impl Flush {
        fn new(mode: StoreMode) -> Self {
            Flush {
                store: MemoryOffsetStore::new(mode),
                metrics: Metrics::new().task("src", 0),
                task: CommitLog::default(),
            }
        }

        async fn run(&mut self, tracker: &Mutex<AckTracker>) -> Result<(), RuntimeError> {
            flush_source_offsets(
                tracker,
                self.store.as_ref(),
                &task_id("src", 0),
                Duration::from_millis(50),
                &self.metrics,
                &mut self.task,
            )
            .await
        }

        fn commits(&self) -> Vec<Vec<SourcePosition>> {
            self.task.commits.lock().unwrap().clone()
        }
    }

    #[tokio::test]
    async fn acknowledged_offsets_are_stored_then_committed_by_the_task() {
        let mut f = Flush::new(StoreMode::Store);
        let tracker = acked(7);
        f.run(&tracker).await.unwrap();
        let stored = f.store.stored();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].0, "src");
        assert_eq!(stored[0].1.offset, map(json!({"pos": 7})));
        assert_eq!(f.commits(), [vec![stored[0].1.clone()]]);
        assert_eq!(f.metrics.offset_commit_success.get(), 1);
    }

    #[tokio::test]
    async fn nothing_committable_stores_nothing_and_does_not_call_commit() {
        let mut f = Flush::new(StoreMode::Store);
        let tracker = Mutex::new(AckTracker::default());
        f.run(&tracker).await.unwrap();
        let tracker = acked(1);
        f.run(&tracker).await.unwrap();
        f.run(&tracker).await.unwrap();
        assert_eq!(f.store.stored().len(), 1, "handed out once");
        assert_eq!(f.commits().len(), 1);
        assert_eq!(f.metrics.offset_commit_success.get(), 1);
    }

    #[tokio::test]
    async fn offsets_that_could_not_be_stored_are_stored_by_the_next_flush() {
        let mut f = Flush::new(StoreMode::Fail);
        let tracker = acked(3);
        let err = f.run(&tracker).await.unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert!(
            f.commits().is_empty(),
            "commit only after the offsets are stored"
        );
        assert_eq!(f.metrics.offset_commit_failure.get(), 1);

        f.store.set_mode(StoreMode::Store);
        f.run(&tracker).await.unwrap();
        assert_eq!(f.store.stored()[0].1.offset, map(json!({"pos": 3})));
        assert_eq!(f.commits().len(), 1);
    }

    #[tokio::test]
    async fn a_store_slower_than_the_flush_timeout_fails_the_flush_and_keeps_the_offsets() {
        let mut f = Flush::new(StoreMode::Hang);
        let tracker = acked(5);
        let err = f.run(&tracker).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "worker configuration: offset flush took longer than offset.flush.timeout.ms (50 ms)"
        );
        assert!(f.commits().is_empty());
        assert_eq!(f.metrics.offset_commit_failure.get(), 1);
        let kept = tracker.lock().unwrap().take_committable();
        assert_eq!(kept[0].offset, map(json!({"pos": 5})));
    }

    #[tokio::test]
    async fn a_failing_task_commit_fails_the_flush_after_the_offsets_are_stored() {
        let mut f = Flush::new(StoreMode::Store);
        f.task.fail = true;
        let err = f.run(&acked(9)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "task src-0 failed in commit: cannot confirm the LSN"
        );
        assert_eq!(f.store.stored().len(), 1, "stored all the same");
    }
}
