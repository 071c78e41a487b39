//! Runs a task and restarts it with exponential backoff when it fails
//! (Kafka Connect leaves failed tasks FAILED until someone restarts them).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{TaskId, WorkerServices};
use crate::error::RuntimeError;
use crate::status::State;
use ferry_config::worker::RestartPolicy;

/// Starts one run of a task (a fresh task instance each time).
pub type TaskFactory = Arc<
    dyn Fn(watch::Receiver<bool>) -> Pin<Box<dyn Future<Output = Result<(), RuntimeError>> + Send>>
        + Send
        + Sync,
>;

/// A run that lasted this long resets the backoff.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// Counts a task's consecutive failures and picks the pause before each
/// restart (`ferry.task.restart.*`).
#[derive(Debug, Clone)]
pub(crate) struct RestartBackoff {
    policy: RestartPolicy,
    failures: u32,
}

/// The next restart of a failed task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Restart {
    /// Consecutive failures so far, from 1.
    pub(crate) attempt: u32,
    /// The pause before the restart.
    pub(crate) delay: Duration,
}

impl RestartBackoff {
    /// No failures yet.
    pub(crate) fn new(policy: RestartPolicy) -> Self {
        RestartBackoff {
            policy,
            failures: 0,
        }
    }

    /// The task failed after running for `ran`: when to restart it, or
    /// `None` when restarts are off (`ferry.task.restart.on.failure=false`)
    /// and it stays FAILED. A run of a minute or more was healthy: the
    /// count starts again from the first delay.
    pub(crate) fn after_failure(&mut self, ran: Duration) -> Option<Restart> {
        if !self.policy.enabled {
            return None;
        }
        self.failures = if ran >= HEALTHY_RUN {
            1
        } else {
            self.failures + 1
        };
        Some(Restart {
            attempt: self.failures,
            delay: self.policy.backoff(self.failures),
        })
    }
}

/// Remembers the bad record that failed the last run, so that a record
/// that fails the task again after a restart stops the restarts (with
/// `errors.tolerance=none` it can never pass, and restarting forever would
/// hide why the task makes no progress).
#[derive(Debug, Default)]
pub(crate) struct PoisonRecordGuard {
    last: Option<String>,
}

impl PoisonRecordGuard {
    /// Whether `error` is the same record's failure as the previous run's.
    pub(crate) fn failed_again(&mut self, error: &RuntimeError) -> bool {
        let current = error.bad_record();
        let again = current.is_some() && current == self.last;
        self.last = current;
        again
    }
}

/// Appended to the trace of a task stopped by [`PoisonRecordGuard`].
pub(crate) const SAME_RECORD_AGAIN: &str = "the task failed on the same record again after a restart, so it is not restarted (errors.tolerance=none: a bad record is never skipped); fix the record or the configuration, then restart the task";

/// The trace reported for a run that ended without being asked to stop.
fn failure_trace(result: Result<(), RuntimeError>) -> String {
    match result {
        Ok(()) => "task ended without being asked to stop".to_string(),
        Err(e) => error_chain(&e),
    }
}

/// Runs the task until shutdown, restarting it after failures per `policy`.
pub async fn supervise(
    id: TaskId,
    policy: RestartPolicy,
    services: Arc<WorkerServices>,
    factory: TaskFactory,
    mut shutdown: watch::Receiver<bool>,
) {
    let status = &services.status;
    let metrics = &services.metrics;
    let mut backoff = RestartBackoff::new(policy);
    let mut poison = PoisonRecordGuard::default();
    loop {
        status.set_task_state(&id.connector, id.task, State::Running, None);
        metrics.set_task_state(&id.connector, id.task, "running");
        tracing::info!(task = %id, "task running");
        let started = Instant::now();
        let result = factory(shutdown.clone()).await;
        if *shutdown.borrow() {
            if let Err(e) = &result {
                tracing::warn!(task = %id, error = %e, "task failed while stopping");
            }
            status.set_task_state(&id.connector, id.task, State::Unassigned, None);
            metrics.set_task_state(&id.connector, id.task, "unassigned");
            tracing::info!(task = %id, "task stopped");
            return;
        }
        let again = result
            .as_ref()
            .err()
            .is_some_and(|e| poison.failed_again(e));
        let mut trace = failure_trace(result);
        if again {
            trace = format!("{trace}; {SAME_RECORD_AGAIN}");
        }
        tracing::error!(task = %id, error = %trace, "task failed");
        status.set_task_state(&id.connector, id.task, State::Failed, Some(trace.clone()));
        metrics.set_task_state(&id.connector, id.task, "failed");
        if again {
            tracing::error!(task = %id, "task stays FAILED: the same record failed it twice");
            let _ = shutdown.changed().await;
            return;
        }
        let Some(Restart { attempt, delay }) = backoff.after_failure(started.elapsed()) else {
            tracing::error!(task = %id, "task stays FAILED (ferry.task.restart.on.failure=false)");
            let _ = shutdown.changed().await;
            return;
        };
        tracing::warn!(task = %id, attempt, delay_ms = delay.as_millis() as u64, "restarting failed task");
        status.set_task_state(&id.connector, id.task, State::Restarting, Some(trace));
        metrics.set_task_state(&id.connector, id.task, "restarting");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
        metrics.task(&id.connector, id.task).task_restarts.inc();
    }
}

/// The error and its sources, `: `-joined.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use ferry_api::ConnectError;

    use super::*;
    use crate::task::test_support::{services, task_id};

    fn policy(enabled: bool, initial_ms: u64, max_ms: u64) -> RestartPolicy {
        RestartPolicy {
            enabled,
            initial_backoff: Duration::from_millis(initial_ms),
            max_backoff: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn consecutive_failures_double_the_pause_up_to_the_maximum() {
        let mut b = RestartBackoff::new(policy(true, 1_000, 10_000));
        let quick = Duration::from_secs(1);
        let restarts: Vec<(u32, u64)> = (0..6)
            .map(|_| {
                let r = b.after_failure(quick).unwrap();
                (r.attempt, r.delay.as_millis() as u64)
            })
            .collect();
        assert_eq!(
            restarts,
            [
                (1, 1_000),
                (2, 2_000),
                (3, 4_000),
                (4, 8_000),
                (5, 10_000),
                (6, 10_000)
            ]
        );
    }

    #[test]
    fn a_run_of_a_minute_or_more_starts_the_backoff_again() {
        let mut b = RestartBackoff::new(policy(true, 1_000, 60_000));
        for _ in 0..4 {
            b.after_failure(Duration::from_secs(5));
        }
        assert_eq!(
            b.after_failure(Duration::from_secs(59)).unwrap().delay,
            Duration::from_secs(16),
            "59 s is not healthy yet"
        );
        assert_eq!(
            b.after_failure(Duration::from_secs(60)),
            Some(Restart {
                attempt: 1,
                delay: Duration::from_secs(1)
            })
        );
        assert_eq!(b.after_failure(Duration::ZERO).unwrap().attempt, 2);
    }

    #[test]
    fn with_restarts_off_there_is_no_restart() {
        let mut b = RestartBackoff::new(policy(false, 1_000, 10_000));
        assert_eq!(b.after_failure(Duration::ZERO), None);
        assert_eq!(b.after_failure(Duration::from_secs(3600)), None);
    }

    #[test]
    fn the_trace_is_the_error_chain_without_repeats() {
        let io = std::io::Error::other("connection refused");
        let e = RuntimeError::connect(
            "task s3-0 failed in put",
            ConnectError::with_source("cannot upload part 3", io),
        );
        assert_eq!(
            failure_trace(Err(e)),
            "task s3-0 failed in put: cannot upload part 3: connection refused"
        );
        assert_eq!(
            failure_trace(Ok(())),
            "task ended without being asked to stop"
        );
    }

    /// A factory whose run `n` (from 0) ends as `run(n, shutdown)` says;
    /// counts the runs.
    fn factory<F, Fut>(runs: &Arc<AtomicU32>, run: F) -> TaskFactory
    where
        F: Fn(u32, watch::Receiver<bool>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), RuntimeError>> + Send + 'static,
    {
        let runs = Arc::clone(runs);
        let run = Arc::new(run);
        Arc::new(move |shutdown| {
            let n = runs.fetch_add(1, Ordering::SeqCst);
            Box::pin(run(n, shutdown))
        })
    }

    async fn until_stopped(mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                return;
            }
        }
    }

    fn boom() -> RuntimeError {
        RuntimeError::Worker("boom".into())
    }

    /// Waits (up to 5 s) until `cond` holds.
    async fn eventually(what: &str, cond: impl Fn() -> bool) {
        for _ in 0..1000 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// Runs `supervise` for task `c-0`; returns the services, the shutdown
    /// sender and the supervisor's handle.
    fn start(
        policy: RestartPolicy,
        factory: TaskFactory,
    ) -> (
        Arc<WorkerServices>,
        watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    ) {
        let services = services(&[]);
        services.status.add_connector(
            "c",
            crate::status::ConnectorStatus {
                kind: "source",
                state: State::Running,
                trace: None,
                config: Default::default(),
                tasks: Default::default(),
            },
        );
        services.status.add_task(
            "c",
            0,
            crate::status::TaskStatus {
                state: State::Unassigned,
                trace: None,
                config: Default::default(),
            },
        );
        let (stop, shutdown) = watch::channel(false);
        let handle = tokio::spawn(supervise(
            task_id("c", 0),
            policy,
            Arc::clone(&services),
            factory,
            shutdown,
        ));
        (services, stop, handle)
    }

    fn task_state(services: &WorkerServices) -> (State, Option<String>) {
        let t = services.status.connector("c").unwrap().tasks[&0].clone();
        (t.state, t.trace)
    }

    #[tokio::test]
    async fn a_failed_task_is_restarted_and_reported_running_again() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |n, shutdown| async move {
            if n < 2 {
                return Err(boom());
            }
            until_stopped(shutdown).await;
            Ok(())
        });
        let (services, stop, handle) = start(policy(true, 1, 1), f);
        eventually("the third run started", || runs.load(Ordering::SeqCst) == 3).await;
        assert_eq!(task_state(&services), (State::Running, None));
        assert_eq!(services.metrics.task("c", 0).task_restarts.get(), 2);
        assert!(services
            .metrics
            .render()
            .contains("state=\"running\",task=\"0\"} 1"));

        stop.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(task_state(&services), (State::Unassigned, None));
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    fn bad_record(offset: u32) -> RuntimeError {
        RuntimeError::connect(
            "task c-0 failed in reading records",
            ConnectError::data(format!(
                "cannot convert the value of the record at t-0@{offset}"
            )),
        )
    }

    #[test]
    fn only_the_same_bad_record_twice_in_a_row_counts_as_poison() {
        let mut guard = PoisonRecordGuard::default();
        assert!(!guard.failed_again(&bad_record(5)), "first failure");
        assert!(guard.failed_again(&bad_record(5)), "same record again");
        assert!(!guard.failed_again(&bad_record(6)), "another record");
        assert!(!guard.failed_again(&boom()), "not a record's failure");
        assert!(
            !guard.failed_again(&boom()),
            "repeated non-record failures restart"
        );
        assert!(!guard.failed_again(&bad_record(6)));
    }

    #[tokio::test]
    async fn a_record_that_fails_the_task_again_after_a_restart_leaves_it_failed() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |_, _| async { Err(bad_record(7)) });
        let (services, stop, handle) = start(policy(true, 1, 1), f);
        eventually("the task is FAILED for good", || {
            task_state(&services)
                .1
                .is_some_and(|t| t.contains(SAME_RECORD_AGAIN))
        })
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (state, trace) = task_state(&services);
        assert_eq!(state, State::Failed);
        assert!(trace.unwrap().contains("t-0@7"));
        assert_eq!(runs.load(Ordering::SeqCst), 2, "one restart, then no more");
        assert_eq!(services.metrics.task("c", 0).task_restarts.get(), 1);
        stop.send(true).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_task_waiting_to_restart_is_restarting_with_its_failure_trace() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |_, _| async {
            Err(RuntimeError::connect(
                "task c-0 failed in poll",
                ConnectError::other("replication slot is gone"),
            ))
        });
        let (services, stop, handle) = start(policy(true, 3_600_000, 3_600_000), f);
        eventually("the task is RESTARTING", || {
            task_state(&services).0 == State::Restarting
        })
        .await;
        assert_eq!(
            task_state(&services).1.as_deref(),
            Some("task c-0 failed in poll: replication slot is gone")
        );
        assert!(services
            .metrics
            .render()
            .contains("state=\"restarting\",task=\"0\"} 1"));
        assert_eq!(services.metrics.task("c", 0).task_restarts.get(), 0);

        stop.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1, "no restart after shutdown");
    }

    #[tokio::test]
    async fn with_restarts_off_a_failed_task_stays_failed() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |_, _| async { Err(boom()) });
        let (services, stop, handle) = start(policy(false, 1, 1), f);
        eventually("the task is FAILED", || {
            task_state(&services).0 == State::Failed
        })
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            task_state(&services),
            (State::Failed, Some("worker configuration: boom".into()))
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        stop.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(task_state(&services).0, State::Failed, "stays FAILED");
    }

    #[tokio::test]
    async fn a_run_that_ends_unasked_is_a_failure() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |_, _| async { Ok(()) });
        let (services, stop, handle) = start(policy(false, 1, 1), f);
        eventually("the task is FAILED", || {
            task_state(&services).0 == State::Failed
        })
        .await;
        assert_eq!(
            task_state(&services).1.as_deref(),
            Some("task ended without being asked to stop")
        );
        stop.send(true).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_task_stopped_by_shutdown_is_unassigned_even_if_it_failed_while_stopping() {
        let runs = Arc::new(AtomicU32::new(0));
        let f = factory(&runs, |_, shutdown| async move {
            until_stopped(shutdown).await;
            Err(boom())
        });
        let (services, stop, handle) = start(policy(true, 1, 1), f);
        eventually("the task runs", || runs.load(Ordering::SeqCst) == 1).await;
        stop.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(task_state(&services), (State::Unassigned, None));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "not restarted");
    }
}
