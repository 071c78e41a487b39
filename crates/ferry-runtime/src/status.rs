//! Connector and task states, as the REST API and metrics report them
//! (Kafka Connect's `AbstractStatus.State`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ferry_api::PropertyMap;
use serde::Serialize;

/// A connector's or task's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not running yet.
    Unassigned,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Failed; see the trace.
    Failed,
    /// Waiting to be restarted after a failure.
    Restarting,
    /// Stopped.
    Stopped,
}

impl State {
    /// Lower-case name, for metric labels.
    pub fn label(self) -> &'static str {
        match self {
            State::Unassigned => "unassigned",
            State::Running => "running",
            State::Paused => "paused",
            State::Failed => "failed",
            State::Restarting => "restarting",
            State::Stopped => "stopped",
        }
    }
}

/// One task's status.
#[derive(Debug, Clone, Serialize)]
pub struct TaskStatus {
    /// State.
    pub state: State,
    /// The error, when FAILED (or RESTARTING after a failure).
    pub trace: Option<String>,
    /// The task's configuration.
    #[serde(skip)]
    pub config: PropertyMap,
}

/// One connector's status and configuration.
#[derive(Debug, Clone)]
pub struct ConnectorStatus {
    /// `source` or `sink`.
    pub kind: &'static str,
    /// State of the connector instance.
    pub state: State,
    /// The error, when FAILED.
    pub trace: Option<String>,
    /// The configuration as submitted, with password values hidden.
    pub config: PropertyMap,
    /// Tasks by number.
    pub tasks: BTreeMap<u32, TaskStatus>,
}

/// Shared, cheap-to-clone registry of every connector's status.
#[derive(Debug, Clone, Default)]
pub struct StatusRegistry {
    inner: Arc<RwLock<BTreeMap<String, ConnectorStatus>>>,
    /// KIP-558 active topics per connector (kept across restarts, cleared
    /// by a reset or a delete).
    topics: Arc<RwLock<BTreeMap<String, std::collections::BTreeSet<String>>>>,
}

impl StatusRegistry {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, ConnectorStatus>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers (or replaces) a connector.
    pub fn add_connector(&self, name: &str, status: ConnectorStatus) {
        self.write().insert(name.to_string(), status);
    }

    /// Forgets a deleted connector.
    pub fn remove_connector(&self, name: &str) {
        self.write().remove(name);
        self.reset_topics(name);
    }

    /// Records that a connector uses `topic` (KIP-558); cheap when known.
    pub fn add_topic(&self, name: &str, topic: &str) {
        let known = self
            .topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .is_some_and(|t| t.contains(topic));
        if !known {
            self.topics
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(name.to_string())
                .or_default()
                .insert(topic.to_string());
        }
    }

    /// The topics a connector has used since it was created or reset.
    pub fn topics(&self, name: &str) -> Vec<String> {
        self.topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `PUT /connectors/{name}/topics/reset`.
    pub fn reset_topics(&self, name: &str) {
        self.topics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
    }

    /// Sets a connector's state.
    pub fn set_connector_state(&self, name: &str, state: State, trace: Option<String>) {
        if let Some(c) = self.write().get_mut(name) {
            c.state = state;
            c.trace = trace;
        }
    }

    /// Registers a task of a connector.
    pub fn add_task(&self, name: &str, task: u32, status: TaskStatus) {
        if let Some(c) = self.write().get_mut(name) {
            c.tasks.insert(task, status);
        }
    }

    /// Sets a task's state (creating the entry if needed).
    pub fn set_task_state(&self, name: &str, task: u32, state: State, trace: Option<String>) {
        if let Some(c) = self.write().get_mut(name) {
            let entry = c.tasks.entry(task).or_insert_with(|| TaskStatus {
                state,
                trace: None,
                config: PropertyMap::new(),
            });
            entry.state = state;
            entry.trace = trace;
        }
    }

    /// A snapshot of one connector.
    pub fn connector(&self, name: &str) -> Option<ConnectorStatus> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// A snapshot of every connector.
    pub fn all(&self) -> BTreeMap<String, ConnectorStatus> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
