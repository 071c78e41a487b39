//! The worker's HTTP listener: Kafka Connect's REST API, `/metrics` for
//! Prometheus and `/health` (see [`crate::health`]). In standalone mode,
//! connectors created over REST live in memory, as in Kafka Connect.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::RuntimeError;
use crate::health::{self, Probe, WorkerPhase};
use crate::herder::{HerderError, SharedHerder};
use crate::metrics::Metrics;
use crate::plugins::PluginRegistry;
use crate::status::{ConnectorStatus, StatusRegistry};
use ferry_converters::{
    BYTE_ARRAY_CONVERTER, JSON_CONVERTER, SIMPLE_HEADER_CONVERTER, STRING_CONVERTER,
};

/// What the handlers read.
#[derive(Clone)]
pub struct HttpState {
    /// Connector and task states.
    pub status: StatusRegistry,
    /// Metrics registry.
    pub metrics: Metrics,
    /// Available plugins.
    pub plugins: Arc<PluginRegistry>,
    /// `host:port` reported as `worker_id`.
    pub worker_id: String,
    /// Starting, running or stopping, for `/health`.
    pub phase: WorkerPhase,
    /// Creates, changes and deletes connectors.
    pub herder: SharedHerder,
}

/// Kafka Connect's error body.
pub(super) fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(json!({"error_code": status.as_u16(), "message": message})),
    )
        .into_response()
}

pub(super) fn not_found(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Connector {name} not found"))
}

mod admin;
mod offsets;
mod plugins;
mod read;
mod write;

use admin::*;
use offsets::*;
use plugins::*;
use read::*;
use write::*;

/// The router.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/health/live", get(liveness))
        .route("/metrics", get(metrics))
        .route("/connectors", get(list_connectors).post(create_connector))
        .route(
            "/connectors/{name}",
            get(connector_info).delete(delete_connector),
        )
        .route(
            "/connectors/{name}/config",
            get(connector_config).merge(put(put_connector_config)),
        )
        .route("/connectors/{name}/status", get(connector_status))
        .route(
            "/connectors/{name}/offsets",
            get(get_offsets).patch(alter_offsets).delete(reset_offsets),
        )
        .route("/connectors/{name}/topics", get(connector_topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route("/connectors/{name}/pause", put(pause_connector))
        .route("/connectors/{name}/resume", put(resume_connector))
        .route("/connectors/{name}/stop", put(stop_connector))
        .route("/connectors/{name}/restart", post(restart_connector))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(restart_task),
        )
        .route("/connectors/{name}/tasks", get(connector_tasks))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route("/admin/loggers", get(admin_loggers))
        .route(
            "/admin/loggers/{logger}",
            get(admin_logger).merge(put(admin_set_logger)),
        )
        .route("/connector-plugins", get(plugins))
        .route("/connector-plugins/{plugin}/config", get(plugin_config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(validate_config),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "HTTP 404 Not Found".into()) })
        .with_state(state)
}

/// A JSON object of strings as a config (numbers and booleans are taken
/// as their text, as Kafka's Jackson mapping does); the error names the
/// first key that is neither.
pub(super) fn config_of(value: &Value) -> Result<ferry_api::PropertyMap, String> {
    let Some(map) = value.as_object() else {
        return Err("the connector config must be a JSON object of strings".into());
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            Value::Bool(b) => Ok((k.clone(), b.to_string())),
            _ => Err(format!("config value of {k:?} must be a string")),
        })
        .collect()
}

/// A refused change as Kafka Connect answers it.
pub(super) fn herder_error(e: HerderError) -> Response {
    match e {
        HerderError::Exists(_) => error(StatusCode::CONFLICT, e.to_string()),
        HerderError::Invalid(RuntimeError::InvalidConfig { errors, .. }) => error(
            StatusCode::BAD_REQUEST,
            format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
                errors.0.len(),
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        ),
        HerderError::Invalid(other) => error(StatusCode::BAD_REQUEST, other.to_string()),
        HerderError::Start(other) => error(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    }
}

/// The body as JSON; Kafka Connect answers malformed JSON with 400.
pub(super) fn json_body(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("Malformed JSON: {e}"))
}

/// Parses a `listeners` entry (`http://host:port`; empty host = all).
pub fn listener_address(listener: &str) -> Result<String, String> {
    let rest = listener
        .strip_prefix("http://")
        .ok_or_else(|| format!("listener {listener:?}: only http:// listeners are supported"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("listener {listener:?} has no port"))?;
    port.parse::<u16>()
        .map_err(|_| format!("listener {listener:?} has an invalid port"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_urls_parse_like_kafka_connect() {
        assert_eq!(listener_address("http://:8083").unwrap(), "0.0.0.0:8083");
        assert_eq!(
            listener_address("http://127.0.0.1:9000/").unwrap(),
            "127.0.0.1:9000"
        );
        assert!(listener_address("https://x:1")
            .unwrap_err()
            .contains("only http://"));
        assert!(listener_address("http://x").is_err());
    }
}
