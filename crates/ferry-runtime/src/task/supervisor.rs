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
    let mut failures: u32 = 0;
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
        let trace = match result {
            Ok(()) => "task ended without being asked to stop".to_string(),
            Err(e) => error_chain(&e),
        };
        tracing::error!(task = %id, error = %trace, "task failed");
        status.set_task_state(&id.connector, id.task, State::Failed, Some(trace.clone()));
        metrics.set_task_state(&id.connector, id.task, "failed");
        if !policy.enabled {
            tracing::error!(task = %id, "task stays FAILED (ferry.task.restart.on.failure=false)");
            let _ = shutdown.changed().await;
            return;
        }
        failures = if started.elapsed() >= HEALTHY_RUN {
            1
        } else {
            failures + 1
        };
        let delay = policy.backoff(failures);
        tracing::warn!(task = %id, attempt = failures, delay_ms = delay.as_millis() as u64, "restarting failed task");
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
