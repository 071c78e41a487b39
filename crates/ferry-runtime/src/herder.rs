//! The standalone herder: owns the connectors given on the command line,
//! validates them, starts their tasks under supervision and stops them.

use std::sync::Arc;

use ferry_api::{
    ConfigDef, ConfigErrors, ConnectError, ConnectorContext, ConnectorFactory, ConnectorPlugin,
    ConnectorRuntime, Password, PropertyMap, SinkConnector, SourceConnector,
};
use tokio::sync::{watch, Mutex};
use tokio::task::JoinSet;

use crate::error::RuntimeError;
use crate::plugins::PluginRegistry;
use crate::status::{ConnectorStatus, State, TaskStatus};
use crate::task::{
    run_sink_task, run_source_task, supervise, RecordCodec, TaskFactory, TaskId, TaskSpec,
    TopicCreation, WorkerServices,
};
use ferry_config::connector::{ConnectorConfig, ConnectorKind};
use ferry_config::ConfigProviders;

/// A connector instance of either kind.
enum Instance {
    Source(Arc<Mutex<Box<dyn SourceConnector>>>),
    Sink(Arc<Mutex<Box<dyn SinkConnector>>>),
}

/// A connector whose configuration has been validated, not yet started.
pub struct PreparedConnector {
    config: ConnectorConfig,
    plugin: ConnectorPlugin,
    instance: Instance,
    shown_config: PropertyMap,
}

impl PreparedConnector {
    /// The connector's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }
}

/// Connector-side requests; logged in standalone mode.
struct StandaloneConnectorRuntime {
    name: String,
    status: crate::status::StatusRegistry,
}

impl ConnectorRuntime for StandaloneConnectorRuntime {
    fn request_task_reconfiguration(&self) {
        tracing::warn!(connector = %self.name, "task reconfiguration requested; standalone mode applies new task configs on restart");
    }

    fn raise_error(&self, error: ConnectError) {
        tracing::error!(connector = %self.name, error = %error.full_message(), "connector failed");
        self.status
            .set_connector_state(&self.name, State::Failed, Some(error.full_message()));
    }
}

/// Keys whose values are shown as `[hidden]`: the connector's PASSWORD keys
/// and client secrets passed through overrides.
fn is_secret(def: &ConfigDef, key: &str) -> bool {
    def.is_password(key)
        || key.ends_with("password")
        || key.ends_with("sasl.jaas.config")
        || key.ends_with("secret")
        || key.ends_with("secret.key")
}

/// The configuration as shown by REST and logs.
pub fn redacted(def: &ConfigDef, props: &PropertyMap) -> PropertyMap {
    props
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret(def, k) {
                Password::HIDDEN.to_string()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Runs connectors in one process.
pub struct StandaloneHerder {
    services: Arc<WorkerServices>,
    plugins: PluginRegistry,
    providers: ConfigProviders,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    started: Vec<(String, Instance)>,
}

impl StandaloneHerder {
    /// A herder with no connectors.
    pub fn new(
        services: Arc<WorkerServices>,
        plugins: PluginRegistry,
        providers: ConfigProviders,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        StandaloneHerder {
            services,
            plugins,
            providers,
            shutdown,
            tasks: JoinSet::new(),
            started: Vec::new(),
        }
    }

    /// The plugins this herder can run.
    pub fn plugins(&self) -> &PluginRegistry {
        &self.plugins
    }

    /// Resolves config providers and validates everything about a connector
    /// configuration, reporting every problem at once.
    pub fn prepare(&self, raw: PropertyMap) -> Result<PreparedConnector, RuntimeError> {
        let subject = format!(
            "connector {}",
            raw.get("name").map(String::as_str).unwrap_or("<unnamed>")
        );
        let invalid = |errors: ConfigErrors| RuntimeError::InvalidConfig {
            subject: subject.clone(),
            errors,
        };
        let props = self.providers.resolve(&raw).map_err(invalid)?;
        let class = props.get("connector.class").cloned().unwrap_or_default();
        let plugin = match self.plugins.find(&class) {
            Some(p) => *p,
            None if class.is_empty() => {
                // Let the common-key validation report the missing class with the rest.
                let errors = ConnectorConfig::from_props(
                    props,
                    ConnectorKind::Source,
                    &self.services.worker.props,
                )
                .err()
                .unwrap_or_default();
                return Err(invalid(errors));
            }
            None => {
                return Err(RuntimeError::UnknownConnectorClass {
                    connector: props.get("name").cloned().unwrap_or_default(),
                    class,
                    available: self.plugins.class_names(),
                })
            }
        };
        let (kind, instance) = match plugin.factory {
            ConnectorFactory::Source(f) => (
                ConnectorKind::Source,
                Instance::Source(Arc::new(Mutex::new(f()))),
            ),
            ConnectorFactory::Sink(f) => (
                ConnectorKind::Sink,
                Instance::Sink(Arc::new(Mutex::new(f()))),
            ),
        };
        let (connector_errors, def) = match &instance {
            Instance::Source(c) => {
                let c = c.try_lock().expect("fresh instance");
                (c.validate(&props), c.config_def())
            }
            Instance::Sink(c) => {
                let c = c.try_lock().expect("fresh instance");
                (c.validate(&props), c.config_def())
            }
        };
        let common = ConnectorConfig::from_props(props.clone(), kind, &self.services.worker.props);
        let mut errors = common.as_ref().err().cloned().unwrap_or_default();
        for e in connector_errors.0 {
            if !errors.iter().any(|x| x.key == e.key) {
                errors.push(e);
            }
        }
        if let Err(codec_errors) = RecordCodec::for_connector(&self.services.worker, &props) {
            errors.0.extend(codec_errors.0);
        }
        if kind == ConnectorKind::Source {
            if let Err(reason) = TopicCreation::from_props(&props, &self.services.worker.props) {
                errors.push(ferry_api::ConfigError::new(
                    "topic.creation.*",
                    None,
                    reason,
                ));
            }
        }
        errors.into_result().map_err(invalid)?;
        let config = common.map_err(invalid)?;
        Ok(PreparedConnector {
            shown_config: redacted(&def, &raw),
            config,
            plugin,
            instance,
        })
    }

    /// Starts a prepared connector and its tasks.
    pub async fn start(&mut self, prepared: PreparedConnector) -> Result<(), RuntimeError> {
        let PreparedConnector {
            config,
            plugin,
            instance,
            shown_config,
        } = prepared;
        let name = config.name.clone();
        let status = &self.services.status;
        status.add_connector(
            &name,
            ConnectorStatus {
                kind: plugin.kind(),
                state: State::Unassigned,
                trace: None,
                config: shown_config,
                tasks: Default::default(),
            },
        );
        let runtime = Arc::new(StandaloneConnectorRuntime {
            name: name.clone(),
            status: status.clone(),
        });
        let ctx = ConnectorContext::new(&name, runtime);
        let task_configs = match &instance {
            Instance::Source(c) => {
                let mut c = c.lock().await;
                c.start(ctx, &config.props)
                    .await
                    .and_then(|_| c.task_configs(config.tasks_max))
            }
            Instance::Sink(c) => {
                let mut c = c.lock().await;
                c.start(ctx, &config.props)
                    .await
                    .and_then(|_| c.task_configs(config.tasks_max))
            }
        };
        let task_configs = match task_configs {
            Ok(t) => t,
            Err(e) => {
                status.set_connector_state(&name, State::Failed, Some(e.full_message()));
                return Err(RuntimeError::connect(
                    format!("starting connector {name}"),
                    e,
                ));
            }
        };
        status.set_connector_state(&name, State::Running, None);
        tracing::info!(connector = %name, class = plugin.class, tasks = task_configs.len(), "connector started");
        for (n, task_props) in task_configs.into_iter().take(config.tasks_max).enumerate() {
            let id = TaskId {
                connector: name.clone(),
                task: n as u32,
            };
            let task_props = match &instance {
                Instance::Sink(_) => crate::task::sink_task_props(&task_props, &config.props),
                Instance::Source(_) => task_props,
            };
            status.add_task(
                &name,
                id.task,
                TaskStatus {
                    state: State::Unassigned,
                    trace: None,
                    config: redacted(&ConfigDef::new(), &task_props),
                },
            );
            let spec = TaskSpec {
                id: id.clone(),
                connector_props: config.props.clone(),
                task_props,
                subscription: config.subscription.clone(),
            };
            let factory = self.task_factory(&instance, spec);
            let services = Arc::clone(&self.services);
            self.tasks.spawn(supervise(
                id,
                config.restart,
                services,
                factory,
                self.shutdown.subscribe(),
            ));
        }
        self.started.push((name, instance));
        Ok(())
    }

    fn task_factory(&self, instance: &Instance, spec: TaskSpec) -> TaskFactory {
        let services = Arc::clone(&self.services);
        match instance {
            Instance::Source(c) => {
                let c = Arc::clone(c);
                Arc::new(move |shutdown| {
                    let (c, spec, services) = (Arc::clone(&c), spec.clone(), Arc::clone(&services));
                    Box::pin(async move {
                        let task = c.lock().await.create_task();
                        run_source_task(spec, task, services, shutdown).await
                    })
                })
            }
            Instance::Sink(c) => {
                let c = Arc::clone(c);
                Arc::new(move |shutdown| {
                    let (c, spec, services) = (Arc::clone(&c), spec.clone(), Arc::clone(&services));
                    Box::pin(async move {
                        let task = c.lock().await.create_task();
                        run_sink_task(spec, task, services, shutdown).await
                    })
                })
            }
        }
    }

    /// Stops every task (flush, commit, close) within
    /// `task.shutdown.graceful.timeout.ms`, then the connectors.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        let budget = self.services.worker.shutdown_timeout;
        let all_done = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(budget, all_done).await.is_err() {
            tracing::warn!(timeout_ms = budget.as_millis() as u64, "tasks did not stop within task.shutdown.graceful.timeout.ms; abandoning them (uncommitted records will be processed again)");
            self.tasks.abort_all();
        }
        for (name, instance) in self.started.drain(..) {
            let result = match instance {
                Instance::Source(c) => c.lock().await.stop().await,
                Instance::Sink(c) => c.lock().await.stop().await,
            };
            if let Err(e) = result {
                tracing::warn!(connector = %name, error = %e.full_message(), "connector stop failed");
            }
            self.services
                .status
                .set_connector_state(&name, State::Stopped, None);
        }
    }
}
