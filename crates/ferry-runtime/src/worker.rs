//! Starting a standalone worker: load configs, validate everything up
//! front, serve HTTP, run connectors until SIGTERM/SIGINT, stop gracefully.

use std::path::Path;
use std::sync::Arc;

use crate::error::RuntimeError;
use crate::health::WorkerPhase;
use crate::herder::{StandaloneHerder, TargetState};
use crate::http::{listener_address, router, HttpState};
use crate::metrics::Metrics;
use crate::offsets::FileOffsetStore;
use crate::plugins::PluginRegistry;
use crate::status::StatusRegistry;
use crate::task::WorkerServices;
use ferry_api::{ConfigError, ConfigErrors};
use ferry_config::files::InitialState;
use ferry_config::worker::{WorkerConfig, OFFSET_STORAGE_FILE};
use ferry_config::{load_connector_definition, load_worker_file, ConfigProviders};

/// Loads and validates the worker file, resolving config providers.
pub fn load_worker(path: &Path) -> Result<(WorkerConfig, ConfigProviders), RuntimeError> {
    let raw = load_worker_file(path)?;
    let providers = ConfigProviders::from_worker_props(&raw)?;
    let invalid = |errors| RuntimeError::InvalidConfig {
        subject: format!("worker ({})", path.display()),
        errors,
    };
    let props = providers.resolve_worker(&raw).map_err(invalid)?;
    let worker = WorkerConfig::from_props(props).map_err(invalid)?;
    Ok((worker, providers))
}

/// Runs a standalone worker until a shutdown signal arrives.
pub async fn run_standalone(
    worker_file: &Path,
    connector_files: &[std::path::PathBuf],
    plugins: PluginRegistry,
) -> Result<(), RuntimeError> {
    let (worker, providers) = load_worker(worker_file)?;
    let offsets_file =
        worker
            .offset_storage_file
            .clone()
            .ok_or_else(|| RuntimeError::InvalidConfig {
                subject: format!("worker ({})", worker_file.display()),
                errors: ConfigErrors::single(ConfigError::new(
                    OFFSET_STORAGE_FILE,
                    None,
                    "is required in standalone mode (where source offsets are stored)",
                )),
            })?;
    let offsets = FileOffsetStore::open(&offsets_file)?;
    let services = Arc::new(WorkerServices {
        worker,
        metrics: Metrics::new(),
        offsets,
        status: StatusRegistry::default(),
    });
    let herder = StandaloneHerder::new(Arc::clone(&services), plugins.clone(), providers);

    // Validate every connector before starting any, and report all problems.
    let mut prepared = Vec::new();
    let mut failures = Vec::new();
    for file in connector_files {
        match load_connector_definition(file)
            .map_err(RuntimeError::from)
            .and_then(|def| Ok((herder.prepare(def.config)?, target_of(def.initial_state))))
        {
            Ok(p) => prepared.push(p),
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    let mut names = std::collections::HashSet::new();
    for (p, _) in &prepared {
        if !names.insert(p.name().to_string()) {
            failures.push(format!(
                "connector name {:?} is used by more than one file",
                p.name()
            ));
        }
    }
    if !failures.is_empty() {
        return Err(RuntimeError::Worker(format!(
            "cannot start: {}",
            failures.join("\n  ")
        )));
    }

    let herder = Arc::new(tokio::sync::Mutex::new(herder));
    let http = HttpState {
        herder: Arc::clone(&herder),
        status: services.status.clone(),
        metrics: services.metrics.clone(),
        plugins: Arc::new(plugins),
        worker_id: String::new(),
        phase: WorkerPhase::default(),
    };
    let mut servers = Vec::new();
    for listener in &services.worker.listeners {
        let address = listener_address(listener).map_err(RuntimeError::Worker)?;
        let socket = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|source| RuntimeError::Listen {
                address: address.clone(),
                source,
            })?;
        let local = socket
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or(address);
        tracing::info!(address = %local, "REST, /metrics and /health listening");
        let mut state = http.clone();
        state.worker_id = local;
        servers.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(socket, router(state)).await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }));
    }

    herder.lock().await.start_all(prepared).await;
    http.phase.set_running();
    tracing::info!("worker started");
    wait_for_signal().await;
    http.phase.set_stopping();
    tracing::info!("shutting down: stopping tasks, flushing and committing offsets");
    herder.lock().await.stop().await;
    for s in servers {
        s.abort();
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// The herder's target state for a file's `initial_state` (KIP-980).
pub fn target_of(initial: Option<InitialState>) -> TargetState {
    match initial {
        Some(InitialState::Paused) => TargetState::Paused,
        Some(InitialState::Stopped) => TargetState::Stopped,
        Some(InitialState::Running) | None => TargetState::Started,
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
