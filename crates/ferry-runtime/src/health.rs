//! The worker's health, as `/health` (Kafka Connect's KIP-1017 check) and
//! `/health/live` report it.
//!
//! | phase | `/health` | `/health/live` |
//! |---|---|---|
//! | starting (connectors not all started) | 503 `starting` | 200 `starting` |
//! | running | 200 `healthy` | 200 `healthy` |
//! | stopping (shutdown signal received) | 500 `unhealthy` | 200 `unhealthy` |
//!
//! `/health` is for readiness probes and load balancers; `/health/live` for
//! liveness probes, which must not kill a worker that is still starting or
//! draining. As in Kafka Connect, failed connectors and tasks do not make the
//! worker unhealthy (Ferry restarts failed tasks); the message names them.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::status::{State, StatusRegistry};

const STARTING: u8 = 0;
const RUNNING: u8 = 1;
const STOPPING: u8 = 2;

/// Where the worker is in its life; cheap to clone and share.
#[derive(Clone, Debug, Default)]
pub struct WorkerPhase(Arc<AtomicU8>);

impl WorkerPhase {
    /// Every configured connector has been started.
    pub fn set_running(&self) {
        self.0.store(RUNNING, Ordering::Release);
    }

    /// The worker received its shutdown signal and is draining.
    pub fn set_stopping(&self) {
        self.0.store(STOPPING, Ordering::Release);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::Acquire)
    }
}

/// Which check is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `/health`: ready to handle requests.
    Readiness,
    /// `/health/live`: the process works; only a wedged worker fails it.
    Liveness,
}

/// The status code and body for `probe` in the worker's current state.
pub fn report(probe: Probe, phase: &WorkerPhase, status: &StatusRegistry) -> (StatusCode, Value) {
    let (state, code, message) = match phase.get() {
        STARTING => (
            "starting",
            StatusCode::SERVICE_UNAVAILABLE,
            "Worker is still starting up.".to_string(),
        ),
        RUNNING => (
            "healthy",
            StatusCode::OK,
            running_message(&failed_work(status)),
        ),
        _ => (
            "unhealthy",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Worker is shutting down.".to_string(),
        ),
    };
    let code = match probe {
        Probe::Readiness => code,
        Probe::Liveness => StatusCode::OK,
    };
    (code, json!({"status": state, "message": message}))
}

/// Connectors and tasks that are FAILED or RESTARTING, as `name` / `name-n`.
fn failed_work(status: &StatusRegistry) -> Vec<String> {
    let troubled = |s: &State| matches!(s, State::Failed | State::Restarting);
    let mut out = Vec::new();
    for (name, c) in status.all() {
        if troubled(&c.state) {
            out.push(name.clone());
        }
        for (n, t) in &c.tasks {
            if troubled(&t.state) {
                out.push(format!("{name}-{n}"));
            }
        }
    }
    out
}

fn running_message(failed: &[String]) -> String {
    if failed.is_empty() {
        "Worker has completed startup and is ready to handle requests.".to_string()
    } else {
        format!(
            "Worker has completed startup and is ready to handle requests; failed or restarting: {}",
            failed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{ConnectorStatus, TaskStatus};

    fn check(probe: Probe, phase: &WorkerPhase, status: &StatusRegistry) -> (u16, String, String) {
        let (code, body) = report(probe, phase, status);
        (
            code.as_u16(),
            body["status"].as_str().unwrap().to_string(),
            body["message"].as_str().unwrap().to_string(),
        )
    }

    #[test]
    fn readiness_follows_kafka_connect_codes_through_the_worker_life() {
        let phase = WorkerPhase::default();
        let status = StatusRegistry::default();
        let (code, state, message) = check(Probe::Readiness, &phase, &status);
        assert_eq!((code, state.as_str()), (503, "starting"));
        assert_eq!(message, "Worker is still starting up.");

        phase.set_running();
        let (code, state, message) = check(Probe::Readiness, &phase, &status);
        assert_eq!((code, state.as_str()), (200, "healthy"));
        assert_eq!(
            message,
            "Worker has completed startup and is ready to handle requests."
        );

        phase.set_stopping();
        let (code, state, _) = check(Probe::Readiness, &phase, &status);
        assert_eq!((code, state.as_str()), (500, "unhealthy"));
    }

    #[test]
    fn liveness_stays_ok_while_starting_and_draining() {
        let phase = WorkerPhase::default();
        let status = StatusRegistry::default();
        assert_eq!(check(Probe::Liveness, &phase, &status).0, 200);
        assert_eq!(check(Probe::Liveness, &phase, &status).1, "starting");
        phase.set_stopping();
        assert_eq!(check(Probe::Liveness, &phase, &status).0, 200);
        assert_eq!(check(Probe::Liveness, &phase, &status).1, "unhealthy");
    }

    #[test]
    fn failed_work_keeps_the_worker_healthy_and_is_named() {
        let phase = WorkerPhase::default();
        phase.set_running();
        let status = StatusRegistry::default();
        let task = |state| TaskStatus {
            state,
            trace: None,
            config: Default::default(),
        };
        status.add_connector(
            "orders",
            ConnectorStatus {
                kind: "sink",
                state: State::Running,
                trace: None,
                config: Default::default(),
                tasks: [(0, task(State::Running)), (1, task(State::Failed))].into(),
            },
        );
        status.add_connector(
            "cdc",
            ConnectorStatus {
                kind: "source",
                state: State::Failed,
                trace: Some("boom".into()),
                config: Default::default(),
                tasks: [(0, task(State::Restarting))].into(),
            },
        );
        let (code, state, message) = check(Probe::Readiness, &phase, &status);
        assert_eq!((code, state.as_str()), (200, "healthy"));
        assert!(
            message.ends_with("failed or restarting: cdc, cdc-0, orders-1"),
            "{message}"
        );
    }
}
