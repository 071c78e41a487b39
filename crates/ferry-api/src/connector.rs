//! The connector traits: a connector validates its configuration and splits
//! the work into task configurations; tasks do the work.

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigErrors};
use crate::error::{ConnectError, ConnectResult};
use crate::sink::SinkTask;
use crate::source::SourceTask;
use crate::PropertyMap;

/// What a connector can ask of the runtime.
pub trait ConnectorRuntime: Send + Sync {
    /// The connector's task configurations changed (e.g. new tables found):
    /// the runtime calls [`Connector::task_configs`] again and restarts the
    /// tasks if they differ.
    fn request_task_reconfiguration(&self);

    /// The connector failed outside of a call into it; the runtime marks it
    /// FAILED with this error.
    fn raise_error(&self, error: ConnectError);
}

/// Handed to [`Connector::start`].
#[derive(Clone)]
pub struct ConnectorContext {
    name: String,
    runtime: Arc<dyn ConnectorRuntime>,
}

impl ConnectorContext {
    /// A context (built by the runtime).
    pub fn new(name: impl Into<String>, runtime: Arc<dyn ConnectorRuntime>) -> Self {
        ConnectorContext {
            name: name.into(),
            runtime,
        }
    }

    /// The connector's name (its `name` config).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// See [`ConnectorRuntime::request_task_reconfiguration`].
    pub fn request_task_reconfiguration(&self) {
        self.runtime.request_task_reconfiguration();
    }

    /// See [`ConnectorRuntime::raise_error`].
    pub fn raise_error(&self, error: ConnectError) {
        self.runtime.raise_error(error);
    }
}

/// Behaviour shared by source and sink connectors.
///
/// Lifecycle: [`Connector::validate`] (at submit time) →
/// [`Connector::start`] → [`Connector::task_configs`] → … →
/// [`Connector::stop`].
#[async_trait]
pub trait Connector: Send + Sync {
    /// The connector's version, reported by the REST API.
    fn version(&self) -> String;

    /// The keys this connector accepts. The runtime's common keys (`name`,
    /// `connector.class`, `tasks.max`, converters, ...) are added by the
    /// runtime and need not be listed.
    fn config_def(&self) -> ConfigDef;

    /// Validates a configuration, returning every problem. The default
    /// checks each key against [`Connector::config_def`]; override it to add
    /// checks that involve several keys (and call the default first).
    fn validate(&self, props: &PropertyMap) -> ConfigErrors {
        self.config_def().validate(props)
    }

    /// Starts the connector with its (validated) configuration.
    async fn start(&mut self, ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()>;

    /// Splits the work into at most `max_tasks` task configurations
    /// (`tasks.max`). Each becomes one task, started with that map.
    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<PropertyMap>>;

    /// Stops the connector. Tasks are stopped separately.
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// A connector that reads from an external system into Kafka.
pub trait SourceConnector: Connector {
    /// A new, unstarted task.
    fn create_task(&self) -> Box<dyn SourceTask>;
}

/// A connector that writes Kafka records to an external system.
pub trait SinkConnector: Connector {
    /// A new, unstarted task.
    fn create_task(&self) -> Box<dyn SinkTask>;
}
