//! The worker's HTTP listener: Kafka Connect's REST API, `/metrics` for
//! Prometheus and `/health` (see [`crate::health`]). In standalone mode,
//! connectors created over REST live in memory, as in Kafka Connect.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

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
fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(json!({"error_code": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn not_found(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("Connector {name} not found"))
}

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

async fn root() -> Json<Value> {
    Json(
        json!({"version": env!("CARGO_PKG_VERSION"), "commit": "ferry", "kafka_cluster_id": Value::Null}),
    )
}

async fn health(State(s): State<HttpState>) -> Response {
    let (code, body) = health::report(Probe::Readiness, &s.phase, &s.status);
    (code, Json(body)).into_response()
}

async fn liveness(State(s): State<HttpState>) -> Response {
    let (code, body) = health::report(Probe::Liveness, &s.phase, &s.status);
    (code, Json(body)).into_response()
}

async fn metrics(State(s): State<HttpState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

fn status_json(name: &str, c: &ConnectorStatus, worker_id: &str) -> Value {
    let mut connector = json!({"state": c.state, "worker_id": worker_id});
    if let Some(t) = &c.trace {
        connector["trace"] = json!(t);
    }
    let tasks: Vec<Value> = c
        .tasks
        .iter()
        .map(|(n, t)| {
            let mut v = json!({"id": n, "state": t.state, "worker_id": worker_id});
            if let Some(trace) = &t.trace {
                v["trace"] = json!(trace);
            }
            v
        })
        .collect();
    json!({"name": name, "connector": connector, "tasks": tasks, "type": c.kind})
}

fn info_json(name: &str, c: &ConnectorStatus) -> Value {
    let tasks: Vec<Value> = c
        .tasks
        .keys()
        .map(|n| json!({"connector": name, "task": n}))
        .collect();
    json!({"name": name, "config": c.config, "tasks": tasks, "type": c.kind})
}

async fn list_connectors(
    State(s): State<HttpState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Json<Value> {
    let all = s.status.all();
    let expand: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    if expand.is_empty() {
        return Json(json!(all.keys().collect::<Vec<_>>()));
    }
    let mut out = Map::new();
    for (name, c) in &all {
        let mut entry = Map::new();
        if expand.contains(&"status") {
            entry.insert("status".into(), status_json(name, c, &s.worker_id));
        }
        if expand.contains(&"info") {
            entry.insert("info".into(), info_json(name, c));
        }
        out.insert(name.clone(), Value::Object(entry));
    }
    Json(Value::Object(out))
}

async fn connector_info(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(info_json(&name, &c)).into_response(),
        None => not_found(&name),
    }
}

async fn connector_config(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(json!(c.config)).into_response(),
        None => not_found(&name),
    }
}

/// A JSON object of strings as a config (numbers and booleans are taken
/// as their text, as Kafka's Jackson mapping does); the error names the
/// first key that is neither.
fn config_of(value: &Value) -> Result<ferry_api::PropertyMap, String> {
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
fn herder_error(e: HerderError) -> Response {
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
fn json_body(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("Malformed JSON: {e}"))
}

/// `POST /connectors` `{"name":…,"config":{…}}` → 201 with the
/// connector's info; 409 if the name is taken, 400 if the config is bad.
async fn create_connector(State(s): State<HttpState>, body: axum::body::Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let Some(name) = body.get("name").and_then(Value::as_str).map(str::to_string) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Connector name must be provided (\"name\")".into(),
        );
    };
    if name.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "Connector name is empty".into());
    }
    let mut config = match body.get("config").map(config_of) {
        Some(Ok(c)) => c,
        Some(Err(reason)) => return error(StatusCode::BAD_REQUEST, reason),
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "Connector config must be provided (\"config\")".into(),
            )
        }
    };
    match config.get("name") {
        Some(n) if *n != name => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})"),
            )
        }
        _ => {
            config.insert("name".into(), name.clone());
        }
    }
    let target = match body.get("initial_state").and_then(Value::as_str) {
        None => crate::herder::TargetState::Started,
        Some(v) if v.eq_ignore_ascii_case("RUNNING") => crate::herder::TargetState::Started,
        Some(v) if v.eq_ignore_ascii_case("PAUSED") => crate::herder::TargetState::Paused,
        Some(v) if v.eq_ignore_ascii_case("STOPPED") => crate::herder::TargetState::Stopped,
        Some(v) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("initial_state {v:?} is not one of RUNNING, PAUSED, STOPPED"),
            )
        }
    };
    let result = s.herder.lock().await.create(config, target).await;
    match result {
        Ok(()) => match s.status.connector(&name) {
            Some(c) => (StatusCode::CREATED, Json(info_json(&name, &c))).into_response(),
            None => not_found(&name),
        },
        Err(e) => herder_error(e),
    }
}

/// `PUT /connectors/{name}/config` → 201 (created) or 200 (replaced) with
/// the connector's info.
async fn put_connector_config(
    State(s): State<HttpState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let mut config = match config_of(&body) {
        Ok(c) => c,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    match config.get("name") {
        Some(n) if *n != name => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Connector name configuration ({n}) doesn't match connector name in the URL ({name})"),
            )
        }
        _ => {
            config.insert("name".into(), name.clone());
        }
    }
    let result = s.herder.lock().await.put_config(config).await;
    match result {
        Ok(created) => match s.status.connector(&name) {
            Some(c) => (
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                Json(info_json(&name, &c)),
            )
                .into_response(),
            None => not_found(&name),
        },
        Err(e) => herder_error(e),
    }
}

/// `DELETE /connectors/{name}` → 204; its tasks flush and commit first.
async fn delete_connector(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.herder.lock().await.delete(&name).await {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found(&name)
    }
}

/// `GET /connectors/{name}/topics` (KIP-558): `{"<name>":{"topics":[…]}}`.
async fn connector_topics(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.status.connector(&name).is_none() {
        return not_found(&name);
    }
    Json(json!({ name.clone(): {"topics": s.status.topics(&name)} })).into_response()
}

/// `PUT /connectors/{name}/topics/reset` → 200.
async fn reset_topics(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.status.connector(&name).is_none() {
        return not_found(&name);
    }
    s.status.reset_topics(&name);
    StatusCode::OK.into_response()
}

/// `GET /connectors/{name}/offsets` (KIP-875).
async fn get_offsets(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.herder.lock().await.offsets(&name).await {
        Some(Ok(v)) => Json(v).into_response(),
        Some(Err(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
        None => not_found(&name),
    }
}

/// `PATCH /connectors/{name}/offsets` → 200 with Kafka's message; works on
/// a running connector too (its tasks stop, the offsets change, they start
/// again).
async fn alter_offsets(
    State(s): State<HttpState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    match s
        .herder
        .lock()
        .await
        .change_offsets(&name, Some(body))
        .await
    {
        Ok(true) => Json(
            json!({"message": "The offsets for this connector have been altered successfully"}),
        )
        .into_response(),
        Ok(false) => not_found(&name),
        Err(m) => error(StatusCode::BAD_REQUEST, m),
    }
}

/// `DELETE /connectors/{name}/offsets` → 200: a source forgets its
/// offsets, a sink's consumer group is deleted.
async fn reset_offsets(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.herder.lock().await.change_offsets(&name, None).await {
        Ok(true) => {
            Json(json!({"message": "The offsets for this connector have been reset successfully"}))
                .into_response()
        }
        Ok(false) => not_found(&name),
        Err(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

/// `PUT /connectors/{name}/pause` → 202: tasks flush, commit and stop,
/// and report PAUSED.
async fn pause_connector(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.herder.lock().await.pause(&name).await {
        StatusCode::ACCEPTED.into_response()
    } else {
        not_found(&name)
    }
}

/// `PUT /connectors/{name}/resume` → 202.
async fn resume_connector(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.herder.lock().await.resume(&name).await {
        Ok(true) => StatusCode::ACCEPTED.into_response(),
        Ok(false) => not_found(&name),
        Err(e) => herder_error(e),
    }
}

/// `PUT /connectors/{name}/stop` → 202: connector and tasks shut down
/// (KIP-875), the configuration kept.
async fn stop_connector(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.herder.lock().await.stop_one(&name).await {
        StatusCode::ACCEPTED.into_response()
    } else {
        not_found(&name)
    }
}

/// `POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]`: 204
/// without the parameters (Kafka's original form), else 202 with the
/// status. Ferry restarts the connector together with its tasks; with
/// `onlyFailed=true` nothing is restarted unless the connector or a task
/// is FAILED.
async fn restart_connector(
    State(s): State<HttpState>,
    Path(name): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let flag = |key: &str| {
        q.iter()
            .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
    };
    let (include_tasks, only_failed) = (flag("includeTasks"), flag("onlyFailed"));
    let Some(current) = s.status.connector(&name) else {
        return not_found(&name);
    };
    let failed = current.state == crate::status::State::Failed
        || current
            .tasks
            .values()
            .any(|t| t.state == crate::status::State::Failed);
    if !only_failed || failed {
        let mut herder = s.herder.lock().await;
        let Some(raw) = herder.raw_config(&name) else {
            return not_found(&name);
        };
        if let Err(e) = herder.restart(&name, raw).await {
            return herder_error(e);
        }
    }
    if !include_tasks && !only_failed {
        return StatusCode::NO_CONTENT.into_response();
    }
    match s.status.connector(&name) {
        Some(c) => (
            StatusCode::ACCEPTED,
            Json(status_json(&name, &c, &s.worker_id)),
        )
            .into_response(),
        None => not_found(&name),
    }
}

/// `POST /connectors/{name}/tasks/{task}/restart` → 204.
async fn restart_task(
    State(s): State<HttpState>,
    Path((name, task)): Path<(String, u32)>,
) -> Response {
    if s.herder.lock().await.restart_task(&name, task).await {
        StatusCode::NO_CONTENT.into_response()
    } else if s.status.connector(&name).is_none() {
        not_found(&name)
    } else {
        error(
            StatusCode::NOT_FOUND,
            format!("Task {name}-{task} not found"),
        )
    }
}

async fn connector_status(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(status_json(&name, &c, &s.worker_id)).into_response(),
        None => not_found(&name),
    }
}

async fn connector_tasks(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.status.connector(&name) {
        Some(c) => {
            let tasks: Vec<Value> = c
                .tasks
                .iter()
                .map(|(n, t)| json!({"id": {"connector": name, "task": n}, "config": t.config}))
                .collect();
            Json(json!(tasks)).into_response()
        }
        None => not_found(&name),
    }
}

async fn task_status(
    State(s): State<HttpState>,
    Path((name, task)): Path<(String, u32)>,
) -> Response {
    let Some(c) = s.status.connector(&name) else {
        return not_found(&name);
    };
    match c.tasks.get(&task) {
        Some(t) => {
            let mut v = json!({"id": task, "state": t.state, "worker_id": s.worker_id});
            if let Some(trace) = &t.trace {
                v["trace"] = json!(trace);
            }
            Json(v).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("Task {name}-{task} not found"),
        ),
    }
}

/// `GET /admin/loggers` (KIP-495).
async fn admin_loggers() -> Json<Value> {
    Json(crate::logging::loggers())
}

/// `GET /admin/loggers/{logger}`.
async fn admin_logger(Path(logger): Path<String>) -> Json<Value> {
    Json(crate::logging::logger(&logger))
}

/// `PUT /admin/loggers/{logger}` `{"level":"DEBUG"}` → 200 with the
/// loggers changed.
async fn admin_set_logger(Path(logger): Path<String>, body: axum::body::Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let Some(level) = body
        .get("level")
        .and_then(Value::as_str)
        .and_then(crate::logging::parse_level)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "Invalid log level: {}",
                body.get("level").unwrap_or(&Value::Null)
            ),
        );
    };
    match crate::logging::set_level(&logger, level) {
        Ok(changed) => Json(json!(changed)).into_response(),
        Err(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

fn unknown_plugin(plugin: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "Failed to find any class that implements Connector and which name matches {plugin}"
        ),
    )
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's keys.
async fn plugin_config(State(s): State<HttpState>, Path(plugin): Path<String>) -> Response {
    match s.herder.lock().await.plugin_config(&plugin) {
        Some(v) => Json(v).into_response(),
        None => unknown_plugin(&plugin),
    }
}

/// `PUT /connector-plugins/{plugin}/config/validate`: 200 with Kafka's
/// `ConfigInfos` (errors per key, `error_count`), whether or not the
/// config is valid.
async fn validate_config(
    State(s): State<HttpState>,
    Path(plugin): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let config = match json_body(&body).and_then(|v| config_of(&v)) {
        Ok(c) => c,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    match s.herder.lock().await.validate(&plugin, config) {
        Some(v) => Json(v).into_response(),
        None => unknown_plugin(&plugin),
    }
}

/// `GET /connector-plugins[?connectorsOnly=false]`: the connectors, or
/// (KIP-769) also the transformations, predicates and converters.
async fn plugins(
    State(s): State<HttpState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Json<Value> {
    let connectors_only = !q
        .iter()
        .any(|(k, v)| k == "connectorsOnly" && v.eq_ignore_ascii_case("false"));
    let entry = |class: &str, kind: &str, version: &str| json!({"class": class, "type": kind, "version": version});
    let mut list: Vec<Value> = s
        .plugins
        .connectors()
        .iter()
        .map(|p| entry(p.class, p.kind(), p.version))
        .collect();
    if !connectors_only {
        let version = env!("CARGO_PKG_VERSION");
        list.extend(
            s.plugins
                .transforms()
                .iter()
                .map(|p| entry(p.class, "transformation", p.version)),
        );
        list.extend(
            s.plugins
                .predicates()
                .iter()
                .map(|p| entry(p.class, "predicate", p.version)),
        );
        for class in [JSON_CONVERTER, STRING_CONVERTER, BYTE_ARRAY_CONVERTER] {
            list.push(entry(class, "converter", version));
        }
        for class in [
            SIMPLE_HEADER_CONVERTER,
            JSON_CONVERTER,
            STRING_CONVERTER,
            BYTE_ARRAY_CONVERTER,
        ] {
            list.push(entry(class, "header_converter", version));
        }
    }
    Json(json!(list))
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
