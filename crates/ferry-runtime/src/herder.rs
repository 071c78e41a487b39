//! The standalone herder: owns the connectors given on the command line,
//! validates them, starts their tasks under supervision and stops them.

use std::sync::Arc;

use ferry_api::{
    ConfigDef, ConfigErrors, ConnectError, ConnectorContext, ConnectorFactory, ConnectorPlugin,
    ConnectorRuntime, Password, PropertyMap, SinkConnector, SourceConnector,
};
use std::collections::BTreeMap;

use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

use crate::error::RuntimeError;
use crate::plugins::PluginRegistry;
use crate::status::{ConnectorStatus, State, TaskStatus};
use crate::task::{
    run_sink_task, run_source_task, supervise, RecordCodec, TaskFactory, TaskId, TaskSpec,
    TopicCreation, WorkerServices,
};
use crate::transforms::ChainSpec;
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
    transforms: Arc<ChainSpec>,
    /// As submitted (config provider references unresolved).
    raw: PropertyMap,
    /// The connector's own definitions, to hide its task configs' secrets.
    def: ConfigDef,
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

/// Kafka's client keys of type PASSWORD (`SslConfigs`, `SaslConfigs`), as
/// they appear after a client prefix (`producer.override.`, `consumer.`,
/// `admin.`, `errors.deadletterqueue.producer.`, …).
const CLIENT_PASSWORD_KEYS: &[&str] = &[
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.keystore.certificate.chain",
    "ssl.truststore.password",
    "ssl.truststore.certificates",
    "sasl.jaas.config",
    "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.login.client.secret",
];

/// Keys whose values are shown as `[hidden]`: PASSWORD keys of the
/// connector's definitions, Kafka's client PASSWORD keys under any prefix,
/// and, as a last guard for keys no definition knows (a converter's or a
/// config provider's), names ending in `password`, `secret` or
/// `secret.key`.
fn is_secret(def: &ConfigDef, key: &str) -> bool {
    def.is_password(key)
        || CLIENT_PASSWORD_KEYS
            .iter()
            .any(|k| key == *k || key.ends_with(&format!(".{k}")))
        || key.ends_with("password")
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

/// What a connector should be doing (Kafka Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Running its tasks.
    Started,
    /// Tasks stopped (offsets committed), connector kept.
    Paused,
    /// Connector and tasks shut down (KIP-875).
    Stopped,
}

/// One task of a running connector: how to (re)start it and, while it
/// runs, its supervisor.
struct RunningTask {
    id: TaskId,
    policy: ferry_config::worker::RestartPolicy,
    factory: TaskFactory,
    shutdown: watch::Sender<bool>,
    handle: Option<JoinHandle<()>>,
}

/// A connector the herder runs (or tried to: a connector whose `start`
/// failed is kept, FAILED, until it is deleted or replaced).
struct Running {
    /// The configuration as submitted (for restarts).
    raw: PropertyMap,
    /// The configuration with provider references resolved (for the
    /// Kafka clients of the offsets endpoints).
    props: PropertyMap,
    /// A sink's topics; `None` for a source.
    subscription: Option<ferry_config::connector::Subscription>,
    instance: Instance,
    /// Whether `start` succeeded and `stop` has not been called yet.
    started: bool,
    target: TargetState,
    tasks: Vec<RunningTask>,
}

/// Runs connectors in one process.
pub struct StandaloneHerder {
    services: Arc<WorkerServices>,
    plugins: PluginRegistry,
    providers: ConfigProviders,
    connectors: BTreeMap<String, Running>,
}

/// The herder shared by the REST handlers and the worker.
pub type SharedHerder = Arc<Mutex<StandaloneHerder>>;

impl StandaloneHerder {
    /// A herder with no connectors.
    pub fn new(
        services: Arc<WorkerServices>,
        plugins: PluginRegistry,
        providers: ConfigProviders,
    ) -> Self {
        StandaloneHerder {
            services,
            plugins,
            providers,
            connectors: BTreeMap::new(),
        }
    }

    /// Whether a connector of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.connectors.contains_key(name)
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
        let transforms = match ChainSpec::from_props(&props, &self.plugins) {
            Ok(chain) => chain,
            Err(chain_errors) => {
                errors.0.extend(chain_errors.0);
                ChainSpec::default()
            }
        };
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
            raw: raw.clone(),
            def,
            config,
            plugin,
            instance,
            transforms: Arc::new(transforms),
        })
    }

    /// Starts a prepared connector and its tasks.
    pub async fn start(&mut self, prepared: PreparedConnector) -> Result<(), RuntimeError> {
        self.start_in(prepared, TargetState::Started).await
    }

    /// Starts a prepared connector in a target state (KIP-980's
    /// `initial_state`): STOPPED registers it without starting anything;
    /// PAUSED starts the connector and creates its tasks paused.
    pub async fn start_in(
        &mut self,
        prepared: PreparedConnector,
        target: TargetState,
    ) -> Result<(), RuntimeError> {
        if target == TargetState::Stopped {
            let name = prepared.config.name.clone();
            self.services.status.add_connector(
                &name,
                ConnectorStatus {
                    kind: prepared.plugin.kind(),
                    state: State::Stopped,
                    trace: None,
                    config: prepared.shown_config,
                    tasks: Default::default(),
                },
            );
            self.connectors.insert(
                name,
                Running {
                    raw: prepared.raw,
                    props: prepared.config.props,
                    subscription: prepared.config.subscription,
                    instance: prepared.instance,
                    started: false,
                    target,
                    tasks: Vec::new(),
                },
            );
            return Ok(());
        }
        let worker_metrics = self.services.metrics.worker.clone();
        worker_metrics.connector_startup_attempts.inc();
        let result = self.start_prepared(prepared, target).await;
        match &result {
            Ok(()) => worker_metrics.connector_startup_success.inc(),
            Err(_) => worker_metrics.connector_startup_failure.inc(),
        }
        self.count();
        result
    }

    async fn start_prepared(
        &mut self,
        prepared: PreparedConnector,
        target: TargetState,
    ) -> Result<(), RuntimeError> {
        let PreparedConnector {
            config,
            plugin,
            instance,
            shown_config,
            transforms,
            raw,
            def,
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
                self.connectors.insert(
                    name.clone(),
                    Running {
                        raw,
                        props: config.props.clone(),
                        subscription: config.subscription.clone(),
                        instance,
                        started: false,
                        target: TargetState::Started,
                        tasks: Vec::new(),
                    },
                );
                return Err(RuntimeError::connect(
                    format!("starting connector {name}"),
                    e,
                ));
            }
        };
        let mut tasks = Vec::new();
        let paused = target == TargetState::Paused;
        status.set_connector_state(
            &name,
            if paused {
                State::Paused
            } else {
                State::Running
            },
            None,
        );
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
                    config: redacted(&def, &task_props),
                },
            );
            let spec = TaskSpec {
                id: id.clone(),
                connector_props: config.props.clone(),
                task_props,
                subscription: config.subscription.clone(),
                transforms: Arc::clone(&transforms),
                errors: config.errors.clone(),
            };
            let factory = self.task_factory(&instance, spec);
            let mut task = RunningTask {
                id,
                policy: config.restart,
                factory,
                shutdown: watch::channel(false).0,
                handle: None,
            };
            if paused {
                status.set_task_state(&name, task.id.task, State::Paused, None);
            } else {
                self.spawn(&mut task);
            }
            tasks.push(task);
        }
        self.connectors.insert(
            name,
            Running {
                raw,
                props: config.props.clone(),
                subscription: config.subscription.clone(),
                instance,
                started: true,
                target,
                tasks,
            },
        );
        Ok(())
    }

    /// Updates `connector-count` and `task-count`.
    fn count(&self) {
        let m = &self.services.metrics.worker;
        m.connector_count.set(self.connectors.len() as i64);
        let tasks = self
            .connectors
            .values()
            .flat_map(|r| &r.tasks)
            .filter(|t| t.handle.as_ref().is_some_and(|h| !h.is_finished()))
            .count();
        m.task_count.set(tasks as i64);
    }

    /// Starts a task's supervisor with a fresh shutdown signal.
    fn spawn(&self, task: &mut RunningTask) {
        let (shutdown, receiver) = watch::channel(false);
        task.shutdown = shutdown;
        task.handle = Some(tokio::spawn(supervise(
            task.id.clone(),
            task.policy,
            Arc::clone(&self.services),
            Arc::clone(&task.factory),
            receiver,
        )));
    }

    /// Stops tasks together (flush, commit, close) within
    /// `task.shutdown.graceful.timeout.ms` in all; then they are not
    /// running.
    async fn stop_tasks<'a>(&self, tasks: impl IntoIterator<Item = &'a mut RunningTask>) {
        let mut handles = Vec::new();
        for t in tasks {
            let _ = t.shutdown.send(true);
            handles.extend(t.handle.take());
        }
        let budget = self.services.worker.shutdown_timeout;
        let aborts: Vec<_> = handles.iter().map(JoinHandle::abort_handle).collect();
        let all_done = async {
            for h in handles {
                let _ = h.await;
            }
        };
        if tokio::time::timeout(budget, all_done).await.is_err() {
            tracing::warn!(timeout_ms = budget.as_millis() as u64, "tasks did not stop within task.shutdown.graceful.timeout.ms; abandoning them (uncommitted records will be processed again)");
            for a in aborts {
                a.abort();
            }
        }
    }

    /// The connector's target state, if it exists.
    pub fn target(&self, name: &str) -> Option<TargetState> {
        self.connectors.get(name).map(|r| r.target)
    }

    /// Pauses a connector (`PUT /connectors/{name}/pause`): its tasks stop
    /// after flushing and committing, and report PAUSED. False if unknown.
    pub async fn pause(&mut self, name: &str) -> bool {
        let Some(mut running) = self.connectors.remove(name) else {
            return false;
        };
        if running.target == TargetState::Started {
            self.stop_tasks(running.tasks.iter_mut()).await;
            let status = &self.services.status;
            for t in &running.tasks {
                status.set_task_state(name, t.id.task, State::Paused, None);
            }
            if running.started {
                status.set_connector_state(name, State::Paused, None);
            }
            running.target = TargetState::Paused;
            tracing::info!(connector = %name, "connector paused");
        }
        self.connectors.insert(name.to_string(), running);
        self.count();
        true
    }

    /// Resumes a paused or stopped connector (`PUT /connectors/{name}/resume`).
    pub async fn resume(&mut self, name: &str) -> Result<bool, HerderError> {
        let Some(running) = self.connectors.get_mut(name) else {
            return Ok(false);
        };
        match running.target {
            TargetState::Started => Ok(true),
            TargetState::Paused => {
                running.target = TargetState::Started;
                let mut tasks = std::mem::take(&mut running.tasks);
                let started = running.started;
                for t in &mut tasks {
                    self.spawn(t);
                }
                let running = self.connectors.get_mut(name).expect("still there");
                running.tasks = tasks;
                if started {
                    self.services
                        .status
                        .set_connector_state(name, State::Running, None);
                }
                self.count();
                tracing::info!(connector = %name, "connector resumed");
                Ok(true)
            }
            TargetState::Stopped => {
                let raw = running.raw.clone();
                self.restart(name, raw).await.map(|()| true)
            }
        }
    }

    /// Stops a connector and its tasks but keeps its configuration
    /// (`PUT /connectors/{name}/stop`, KIP-875): STOPPED, with no tasks.
    pub async fn stop_one(&mut self, name: &str) -> bool {
        let Some(mut running) = self.connectors.remove(name) else {
            return false;
        };
        self.stop_tasks(running.tasks.iter_mut()).await;
        self.stop_instance(name, &mut running).await;
        running.tasks.clear();
        running.target = TargetState::Stopped;
        let status = &self.services.status;
        if let Some(mut c) = status.connector(name) {
            c.tasks.clear();
            c.state = State::Stopped;
            c.trace = None;
            status.add_connector(name, c);
        }
        self.connectors.insert(name.to_string(), running);
        self.count();
        tracing::info!(connector = %name, "connector stopped");
        true
    }

    /// Calls the connector's `stop` if it was started.
    async fn stop_instance(&self, name: &str, running: &mut Running) {
        if !std::mem::take(&mut running.started) {
            return;
        }
        let result = match &running.instance {
            Instance::Source(c) => c.lock().await.stop().await,
            Instance::Sink(c) => c.lock().await.stop().await,
        };
        if let Err(e) = result {
            tracing::warn!(connector = %name, error = %e.full_message(), "connector stop failed");
        }
    }

    /// Restarts a connector and its tasks from `raw` (`POST
    /// /connectors/{name}/restart?includeTasks=true`, or a resume from
    /// STOPPED).
    pub async fn restart(&mut self, name: &str, raw: PropertyMap) -> Result<(), HerderError> {
        let prepared = self.prepare(raw).map_err(HerderError::Invalid)?;
        self.stop_connector(name).await;
        self.start(prepared).await.map_err(HerderError::Start)
    }

    /// A fresh instance's own config definition and the common keys of
    /// its kind, for a plugin class or alias; `None` if unknown.
    fn plugin_defs(&self, plugin: &str) -> Option<(ConnectorPlugin, ConfigDef, ConfigDef)> {
        let p = *self.plugins.find(plugin)?;
        let (own, kind) = match p.factory {
            ConnectorFactory::Source(f) => (f().config_def(), ConnectorKind::Source),
            ConnectorFactory::Sink(f) => (f().config_def(), ConnectorKind::Sink),
        };
        Some((p, own, ferry_config::connector::common_config_def(kind)))
    }

    /// `GET /connector-plugins/{plugin}/config`: the plugin's own keys.
    pub fn plugin_config(&self, plugin: &str) -> Option<serde_json::Value> {
        let (_, own, _) = self.plugin_defs(plugin)?;
        Some(crate::validation::definitions(&own))
    }

    /// `PUT /connector-plugins/{plugin}/config/validate`: every key with
    /// its value and the problems found, as Kafka's `ConfigInfos`; `None`
    /// if the plugin is unknown. Nothing is started.
    pub fn validate(&self, plugin: &str, mut raw: PropertyMap) -> Option<serde_json::Value> {
        let (p, own, common) = self.plugin_defs(plugin)?;
        raw.entry("connector.class".to_string())
            .or_insert_with(|| p.class.to_string());
        let errors = match self.prepare(raw.clone()) {
            Ok(_) => Vec::new(),
            Err(RuntimeError::InvalidConfig { errors, .. }) => errors.0,
            Err(other) => vec![ferry_api::ConfigError::new(
                "connector.class",
                raw.get("connector.class").map(String::as_str),
                other.to_string(),
            )],
        };
        let def = common.merge(&own);
        Some(crate::validation::config_infos(
            p.class, &def, &raw, &errors,
        ))
    }

    /// `GET /connectors/{name}/offsets`; `None` if unknown.
    pub async fn offsets(&self, name: &str) -> Option<Result<serde_json::Value, String>> {
        let running = self.connectors.get(name)?;
        Some(match running.subscription.clone() {
            None => Ok(crate::connector_offsets::source_offsets(
                self.services.offsets.as_ref(),
                name,
            )),
            Some(subscription) => {
                let worker = self.services.worker.props.clone();
                let props = running.props.clone();
                let name = name.to_string();
                tokio::task::spawn_blocking(move || {
                    crate::connector_offsets::sink_offsets(&worker, &props, &subscription, &name)
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            }
        })
    }

    /// `PATCH /connectors/{name}/offsets` (`body` given) or `DELETE`
    /// (reset). Unlike Kafka Connect, the connector need not be STOPPED:
    /// its running tasks are stopped first (they commit what they have),
    /// the change is applied, and they start again from the new offsets.
    /// `Ok(false)` if the connector is unknown.
    pub async fn change_offsets(
        &mut self,
        name: &str,
        body: Option<serde_json::Value>,
    ) -> Result<bool, String> {
        let Some(mut running) = self.connectors.remove(name) else {
            return Ok(false);
        };
        let was_running = running.tasks.iter().any(|t| t.handle.is_some());
        if was_running {
            self.stop_tasks(running.tasks.iter_mut()).await;
        }
        let worker = self.services.worker.props.clone();
        let props = running.props.clone();
        let result = match (running.subscription.is_some(), body) {
            (false, Some(body)) => {
                crate::connector_offsets::alter_source(self.services.offsets.as_ref(), name, &body)
                    .await
            }
            (false, None) => self
                .services
                .offsets
                .remove(name, None)
                .await
                .map_err(|e| e.to_string()),
            (true, Some(body)) => {
                let connector = name.to_string();
                tokio::task::spawn_blocking(move || {
                    crate::connector_offsets::alter_sink(&worker, &props, &connector, &body)
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            }
            (true, None) => crate::connector_offsets::reset_sink(&worker, &props, name).await,
        };
        if was_running {
            for t in &mut running.tasks {
                self.spawn(t);
            }
        }
        self.connectors.insert(name.to_string(), running);
        self.count();
        result.map(|()| true)
    }

    /// The configuration a connector was submitted with.
    pub fn raw_config(&self, name: &str) -> Option<PropertyMap> {
        self.connectors.get(name).map(|r| r.raw.clone())
    }

    /// Restarts one task (`POST /connectors/{name}/tasks/{task}/restart`);
    /// false if there is no such task.
    pub async fn restart_task(&mut self, name: &str, task: u32) -> bool {
        let Some(mut running) = self.connectors.remove(name) else {
            return false;
        };
        let found = match running.tasks.iter_mut().find(|t| t.id.task == task) {
            Some(t) => {
                self.stop_tasks(std::iter::once(&mut *t)).await;
                if running.target == TargetState::Started {
                    self.spawn(t);
                } else {
                    self.services
                        .status
                        .set_task_state(name, task, State::Paused, None);
                }
                true
            }
            None => false,
        };
        self.connectors.insert(name.to_string(), running);
        self.count();
        found
    }

    /// Validates and starts a new connector (`POST /connectors`).
    pub async fn create(
        &mut self,
        raw: PropertyMap,
        target: TargetState,
    ) -> Result<(), HerderError> {
        let name = raw.get("name").cloned().unwrap_or_default();
        if self.contains(&name) {
            return Err(HerderError::Exists(name));
        }
        let prepared = self.prepare(raw).map_err(HerderError::Invalid)?;
        self.start_in(prepared, target)
            .await
            .map_err(HerderError::Start)
    }

    /// Creates or replaces a connector's configuration
    /// (`PUT /connectors/{name}/config`); true if it was created. A new
    /// configuration is validated before the running connector is
    /// stopped, so a bad one leaves it running.
    pub async fn put_config(&mut self, raw: PropertyMap) -> Result<bool, HerderError> {
        let name = raw.get("name").cloned().unwrap_or_default();
        let prepared = self.prepare(raw).map_err(HerderError::Invalid)?;
        let created = !self.stop_connector(&name).await;
        self.start(prepared).await.map_err(HerderError::Start)?;
        Ok(created)
    }

    /// Stops and forgets a connector (`DELETE /connectors/{name}`): its
    /// tasks flush and commit first. False if there was none.
    pub async fn delete(&mut self, name: &str) -> bool {
        let existed = self.stop_connector(name).await;
        if existed {
            self.services.status.remove_connector(name);
            tracing::info!(connector = %name, "connector deleted");
        }
        existed
    }

    /// Stops one connector's tasks (flush, commit, close) within
    /// `task.shutdown.graceful.timeout.ms`, then the connector; false if
    /// there was none.
    async fn stop_connector(&mut self, name: &str) -> bool {
        let Some(running) = self.connectors.remove(name) else {
            return false;
        };
        self.stop_all(vec![(name.to_string(), running)]).await;
        self.count();
        true
    }

    /// Stops connectors together: every task gets the shutdown signal at
    /// once and the time budget is shared; then the connectors.
    async fn stop_all(&self, mut connectors: Vec<(String, Running)>) {
        self.stop_tasks(connectors.iter_mut().flat_map(|(_, r)| r.tasks.iter_mut()))
            .await;
        for (name, running) in &mut connectors {
            self.stop_instance(name, running).await;
            self.services
                .status
                .set_connector_state(name, State::Stopped, None);
        }
    }

    /// Starts every prepared connector. One that fails to start is left
    /// FAILED with its error as the status trace (and logged); the others
    /// run, as in Kafka Connect. Returns how many failed.
    pub async fn start_all(&mut self, prepared: Vec<(PreparedConnector, TargetState)>) -> usize {
        let mut failed = 0;
        for (p, target) in prepared {
            let name = p.name().to_string();
            if let Err(e) = self.start_in(p, target).await {
                failed += 1;
                tracing::error!(connector = %name, error = %e, "connector failed to start; it stays FAILED (see its status) and the worker goes on");
            }
        }
        failed
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
    pub async fn stop(&mut self) {
        let all = std::mem::take(&mut self.connectors).into_iter().collect();
        self.stop_all(all).await;
        self.count();
    }
}

/// Why a REST change to a connector was refused.
#[derive(Debug, thiserror::Error)]
pub enum HerderError {
    /// `POST /connectors` with a name in use (409).
    #[error("Connector {0} already exists")]
    Exists(String),
    /// The configuration does not validate (400).
    #[error(transparent)]
    Invalid(RuntimeError),
    /// The connector was accepted but its `start` failed; it is FAILED.
    #[error(transparent)]
    Start(RuntimeError),
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_trait::async_trait;
    use ferry_api::{
        ConfigKey, ConfigType, ConnectResult, Connector, SinkRecord, SinkTask, SinkTaskContext,
        SourceRecord, SourceTask, SourceTaskContext,
    };

    use super::*;
    use crate::task::test_support::services;
    use ferry_api::property_map;

    const SOURCE: &str = "com.example.TestSourceConnector";
    const SINK: &str = "com.example.TestSinkConnector";

    /// A source connector driven by its config: `mode=fail-start` fails
    /// `start`; `task.configs` says how many task configs it returns
    /// (ignoring `tasks.max`); its tasks fail to start.
    struct TestSource {
        props: PropertyMap,
    }

    fn test_def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("db.host", ConfigType::String).required())
            .define(ConfigKey::new("db.password", ConfigType::Password))
            .define(ConfigKey::new("mode", ConfigType::String).default_value("ok"))
            .define(ConfigKey::new("task.configs", ConfigType::Int).default_value("1"))
    }

    #[async_trait]
    impl Connector for TestSource {
        fn version(&self) -> String {
            "1.0".into()
        }
        fn config_def(&self) -> ConfigDef {
            test_def()
        }
        fn validate(&self, props: &PropertyMap) -> ConfigErrors {
            let mut errors = self.config_def().validate(props);
            if props
                .get("tasks.max")
                .is_some_and(|v| v.parse::<u32>().is_err())
            {
                errors.push(ferry_api::ConfigError::new(
                    "tasks.max",
                    None,
                    "the connector's own complaint",
                ));
            }
            errors
        }
        async fn start(&mut self, _: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
            if props.get("mode").map(String::as_str) == Some("fail-start") {
                return Err(ConnectError::other("cannot reach the database"));
            }
            self.props = props.clone();
            Ok(())
        }
        fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
            let n: usize = self
                .props
                .get("task.configs")
                .map_or(1, |v| v.parse().unwrap());
            Ok((0..n)
                .map(|i| {
                    ferry_api::property_map([
                        ("table", format!("t{i}")),
                        ("db.password", "s3cret".to_string()),
                    ])
                })
                .collect())
        }
    }

    impl SourceConnector for TestSource {
        fn create_task(&self) -> Box<dyn SourceTask> {
            Box::new(FailingSourceTask)
        }
    }

    struct FailingSourceTask;

    #[async_trait]
    impl SourceTask for FailingSourceTask {
        async fn start(&mut self, _: SourceTaskContext, _: &PropertyMap) -> ConnectResult<()> {
            Err(ConnectError::other("no database"))
        }
        async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
            Ok(Vec::new())
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    /// A sink connector with no tasks.
    struct TestSink;

    #[async_trait]
    impl Connector for TestSink {
        fn version(&self) -> String {
            "1.0".into()
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        async fn start(&mut self, _: ConnectorContext, _: &PropertyMap) -> ConnectResult<()> {
            Ok(())
        }
        fn task_configs(&self, _: usize) -> ConnectResult<Vec<PropertyMap>> {
            Ok(Vec::new())
        }
    }

    impl SinkConnector for TestSink {
        fn create_task(&self) -> Box<dyn SinkTask> {
            Box::new(IdleSinkTask)
        }
    }

    struct IdleSinkTask;

    #[async_trait]
    impl SinkTask for IdleSinkTask {
        async fn start(&mut self, _: SinkTaskContext, _: &PropertyMap) -> ConnectResult<()> {
            Ok(())
        }
        async fn put(&mut self, _: &[SinkRecord]) -> ConnectResult<()> {
            Ok(())
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    fn herder() -> StandaloneHerder {
        let plugins = PluginRegistry::new(vec![
            ConnectorPlugin {
                class: SOURCE,
                aliases: &[],
                version: "1.0",
                factory: ConnectorFactory::Source(|| {
                    Box::new(TestSource {
                        props: PropertyMap::new(),
                    })
                }),
            },
            ConnectorPlugin {
                class: SINK,
                aliases: &[],
                version: "1.0",
                factory: ConnectorFactory::Sink(|| Box::new(TestSink)),
            },
        ]);
        // Nothing listens on port 1: the task clients never reach a broker.
        let services = services(&[("bootstrap.servers", "127.0.0.1:1")]);
        StandaloneHerder::new(services, plugins, ConfigProviders::default())
    }

    fn source(extra: &[(&str, &str)]) -> PropertyMap {
        let mut p = property_map([
            ("name", "src"),
            ("connector.class", SOURCE),
            ("db.host", "pg"),
            ("db.password", "hunter2"),
        ]);
        p.extend(property_map(extra.iter().copied()));
        p
    }

    fn invalid_keys(e: RuntimeError) -> (String, Vec<String>) {
        match e {
            RuntimeError::InvalidConfig { subject, errors } => {
                (subject, errors.iter().map(|e| e.key.clone()).collect())
            }
            other => panic!("not an invalid config: {other}"),
        }
    }

    fn err<T>(r: Result<T, RuntimeError>) -> RuntimeError {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        }
    }

    #[test]
    fn secrets_are_hidden_in_the_shown_config() {
        let shown = redacted(
            &test_def(),
            &property_map([
                ("db.password", "a"),
                ("consumer.override.sasl.jaas.config", "b"),
                ("ssl.key.password", "c"),
                ("aws.secret", "d"),
                ("aws.secret.key", "e"),
                ("db.host", "pg"),
                ("password.hint", "f"),
                ("producer.override.ssl.keystore.key", "g"),
                ("consumer.ssl.truststore.certificates", "h"),
            ]),
        );
        for key in [
            "db.password",
            "consumer.override.sasl.jaas.config",
            "ssl.key.password",
            "aws.secret",
            "aws.secret.key",
            "producer.override.ssl.keystore.key",
            "consumer.ssl.truststore.certificates",
        ] {
            assert_eq!(shown[key], "[hidden]", "{key}");
        }
        assert_eq!(shown["db.host"], "pg");
        assert_eq!(shown["password.hint"], "f");
    }

    #[test]
    fn a_valid_connector_is_prepared_with_its_config_redacted() {
        let p = herder().prepare(source(&[])).unwrap();
        assert_eq!(p.name(), "src");
        assert_eq!(p.shown_config["db.password"], "[hidden]");
        assert_eq!(p.shown_config["db.host"], "pg");
    }

    #[test]
    fn transform_problems_are_reported_with_the_rest_and_a_valid_chain_is_kept() {
        let e = err(herder().prepare(source(&[
            ("tasks.max", "many"),
            ("transforms", "route,unknown"),
            ("transforms.route.type", "RegexRouter"),
            ("transforms.route.regex", "(unclosed"),
            ("transforms.route.replacement", "x"),
            ("transforms.unknown.type", "com.example.NoSuchTransform"),
        ])));
        let (_, mut keys) = invalid_keys(e);
        keys.sort();
        assert_eq!(
            keys,
            [
                "tasks.max",
                "transforms.route.regex",
                "transforms.unknown.type"
            ]
        );
        let ok = herder()
            .prepare(source(&[
                ("transforms", "route"),
                ("transforms.route.type", "RegexRouter"),
                ("transforms.route.regex", "(.*)"),
                ("transforms.route.replacement", "x-$1"),
            ]))
            .unwrap();
        assert!(!ok.transforms.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = err(herder().prepare(property_map([
            ("name", "src"),
            ("connector.class", SOURCE),
            ("tasks.max", "many"),
            ("value.converter", "com.example.NoSuchConverter"),
        ])));
        let (subject, mut keys) = invalid_keys(e);
        assert_eq!(subject, "connector src");
        keys.sort();
        assert_eq!(keys, ["db.host", "tasks.max", "value.converter"]);
    }

    #[test]
    fn a_key_the_runtime_checks_is_not_reported_again_by_the_connector() {
        let e = err(herder().prepare(source(&[("tasks.max", "many")])));
        let RuntimeError::InvalidConfig { errors, .. } = e else {
            panic!("not an invalid config");
        };
        let tasks_max: Vec<_> = errors.iter().filter(|e| e.key == "tasks.max").collect();
        assert_eq!(tasks_max.len(), 1);
        assert!(!tasks_max[0]
            .to_string()
            .contains("the connector's own complaint"));
    }

    #[test]
    fn a_missing_connector_class_is_reported_with_the_other_common_keys() {
        let e = err(herder().prepare(property_map([("tasks.max", "0")])));
        let (subject, mut keys) = invalid_keys(e);
        assert_eq!(subject, "connector <unnamed>");
        keys.sort();
        assert_eq!(keys, ["connector.class", "name", "tasks.max"]);
    }

    #[test]
    fn an_unknown_class_lists_the_available_plugins() {
        let e = err(herder().prepare(property_map([
            ("name", "x"),
            ("connector.class", "com.example.Nope"),
        ])));
        assert!(matches!(e, RuntimeError::UnknownConnectorClass { .. }));
        assert_eq!(
            e.to_string(),
            format!(
                "connector x: no connector plugin matches connector.class=\"com.example.Nope\"; \
                 available: {SOURCE}, {SINK}"
            )
        );
    }

    #[test]
    fn a_sink_needs_topics() {
        let e = err(herder().prepare(property_map([("name", "snk"), ("connector.class", SINK)])));
        assert_eq!(invalid_keys(e).1, ["topics"]);
        let ok = herder().prepare(property_map([
            ("name", "snk"),
            ("connector.class", SINK),
            ("topics", "orders"),
        ]));
        assert!(ok.is_ok());
    }

    #[test]
    fn bad_topic_creation_settings_of_a_source_are_refused() {
        let e = err(herder().prepare(source(&[("topic.creation.default.partitions", "x")])));
        assert!(invalid_keys(e).1.contains(&"topic.creation.*".to_string()));
    }

    #[test]
    fn connector_side_errors_mark_the_connector_failed() {
        let status = crate::status::StatusRegistry::default();
        status.add_connector(
            "src",
            ConnectorStatus {
                kind: "source",
                state: State::Running,
                trace: None,
                config: PropertyMap::new(),
                tasks: Default::default(),
            },
        );
        let runtime = StandaloneConnectorRuntime {
            name: "src".into(),
            status: status.clone(),
        };
        runtime.request_task_reconfiguration();
        assert_eq!(status.connector("src").unwrap().state, State::Running);
        runtime.raise_error(ConnectError::other("slot dropped"));
        let c = status.connector("src").unwrap();
        assert_eq!(c.state, State::Failed);
        assert_eq!(c.trace.as_deref(), Some("slot dropped"));
    }

    #[tokio::test]
    async fn a_connector_that_cannot_start_is_failed_with_its_error_and_has_no_tasks() {
        let mut h = herder();
        let p = h.prepare(source(&[("mode", "fail-start")])).unwrap();
        let e = h.start(p).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "starting connector src: cannot reach the database"
        );
        let c = h.services.status.connector("src").unwrap();
        assert_eq!(c.state, State::Failed);
        assert_eq!(c.trace.as_deref(), Some("cannot reach the database"));
        assert!(c.tasks.is_empty());
        assert_eq!(c.config["db.password"], "[hidden]");
        h.stop().await;
    }

    #[tokio::test]
    async fn a_connector_that_cannot_start_does_not_stop_the_others() {
        let mut h = herder();
        let failing = h.prepare(source(&[("mode", "fail-start")])).unwrap();
        let good = h
            .prepare(property_map([
                ("name", "snk"),
                ("connector.class", SINK),
                ("topics", "orders"),
            ]))
            .unwrap();
        assert_eq!(
            h.start_all(vec![
                (failing, TargetState::Started),
                (good, TargetState::Started)
            ])
            .await,
            1
        );
        let status = h.services.status.clone();
        assert_eq!(status.connector("src").unwrap().state, State::Failed);
        assert_eq!(status.connector("snk").unwrap().state, State::Running);
        let worker = &h.services.metrics.worker;
        assert_eq!(
            (
                worker.connector_startup_attempts.get(),
                worker.connector_startup_failure.get(),
                worker.connector_count.get()
            ),
            (2, 1, 2)
        );
        h.stop().await;
    }

    #[tokio::test]
    async fn rest_changes_keep_a_running_connector_when_refused() {
        let mut h = herder();
        let sink = |topics: &str| {
            property_map([
                ("name", "snk"),
                ("connector.class", SINK),
                ("topics", topics),
            ])
        };
        h.create(sink("orders"), TargetState::Started)
            .await
            .unwrap();
        assert!(matches!(
            h.create(sink("orders"), TargetState::Started).await,
            Err(HerderError::Exists(n)) if n == "snk"
        ));
        // A bad replacement is refused before anything stops.
        let mut bad = sink("orders");
        bad.remove("topics");
        assert!(matches!(
            h.put_config(bad).await,
            Err(HerderError::Invalid(_))
        ));
        let status = h.services.status.clone();
        let c = status.connector("snk").unwrap();
        assert_eq!(
            (c.state, c.config["topics"].as_str()),
            (State::Running, "orders")
        );
        // A good one replaces it.
        assert!(!h.put_config(sink("payments")).await.unwrap());
        assert_eq!(
            status.connector("snk").unwrap().config["topics"],
            "payments"
        );
        assert!(h.delete("snk").await);
        assert!(status.connector("snk").is_none());
        assert!(!h.delete("snk").await);
        h.stop().await;
    }

    #[tokio::test]
    async fn connectors_start_in_their_initial_state() {
        let mut h = herder();
        let p = h
            .prepare(source(&[("tasks.max", "2"), ("task.configs", "2")]))
            .unwrap();
        h.start_in(p, TargetState::Paused).await.unwrap();
        let status = h.services.status.clone();
        let c = status.connector("src").unwrap();
        assert_eq!(c.state, State::Paused);
        assert!(c.tasks.values().all(|t| t.state == State::Paused), "{c:?}");
        assert_eq!(h.target("src"), Some(TargetState::Paused));
        let worker = h.services.metrics.worker.clone();
        assert_eq!(worker.connector_count.get(), 1);
        assert_eq!(worker.task_count.get(), 0, "paused tasks do not run");
        assert_eq!(worker.connector_startup_success.get(), 1);
        assert!(h.resume("src").await.unwrap());
        let c = status.connector("src").unwrap();
        assert_eq!(c.state, State::Running);

        let stopped = h
            .prepare(property_map([
                ("name", "snk"),
                ("connector.class", SINK),
                ("topics", "orders"),
            ]))
            .unwrap();
        h.start_in(stopped, TargetState::Stopped).await.unwrap();
        let c = status.connector("snk").unwrap();
        assert_eq!(c.state, State::Stopped);
        assert!(c.tasks.is_empty());
        assert!(h.resume("snk").await.unwrap());
        assert_eq!(status.connector("snk").unwrap().state, State::Running);
        h.stop().await;
    }

    #[tokio::test]
    async fn a_connector_runs_at_most_tasks_max_tasks_and_stop_stops_it() {
        let mut h = herder();
        let p = h
            .prepare(source(&[
                ("tasks.max", "2"),
                ("task.configs", "3"),
                ("ferry.task.restart.on.failure", "false"),
            ]))
            .unwrap();
        h.start(p).await.unwrap();
        let status = h.services.status.clone();
        let c = status.connector("src").unwrap();
        assert_eq!((c.kind, c.state), ("source", State::Running));
        let numbers: Vec<u32> = c.tasks.keys().copied().collect();
        assert_eq!(numbers, [0, 1], "a third config is beyond tasks.max");
        assert_eq!(c.tasks[&1].config["table"], "t1");
        assert_eq!(c.tasks[&1].config["db.password"], "[hidden]");

        for _ in 0..1000 {
            let c = status.connector("src").unwrap();
            if c.tasks.values().all(|t| t.state == State::Failed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let c = status.connector("src").unwrap();
        for (n, t) in &c.tasks {
            assert_eq!(t.state, State::Failed, "task {n}");
            assert_eq!(
                t.trace.as_deref(),
                Some(format!("starting task src-{n}: no database").as_str())
            );
        }

        h.stop().await;
        let c = status.connector("src").unwrap();
        assert_eq!(c.state, State::Stopped);
        assert!(
            c.tasks.values().all(|t| t.state == State::Failed),
            "a task left FAILED stays FAILED"
        );
    }

    #[tokio::test]
    async fn a_connector_with_no_task_configs_runs_without_tasks() {
        let mut h = herder();
        let p = h
            .prepare(property_map([
                ("name", "snk"),
                ("connector.class", SINK),
                ("topics", "orders"),
            ]))
            .unwrap();
        h.start(p).await.unwrap();
        let c = h.services.status.connector("snk").unwrap();
        assert_eq!((c.kind, c.state), ("sink", State::Running));
        assert!(c.tasks.is_empty());
        let status = h.services.status.clone();
        h.stop().await;
        assert_eq!(status.connector("snk").unwrap().state, State::Stopped);
    }
}
