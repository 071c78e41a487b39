//! Read-only endpoints: `/`, health, metrics, connectors, status, tasks.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::*;

pub(super) async fn root() -> Json<Value> {
    Json(
        json!({"version": env!("CARGO_PKG_VERSION"), "commit": "ferry", "kafka_cluster_id": Value::Null}),
    )
}

pub(super) async fn health(State(s): State<HttpState>) -> Response {
    let (code, body) = health::report(Probe::Readiness, &s.phase, &s.status);
    (code, Json(body)).into_response()
}

pub(super) async fn liveness(State(s): State<HttpState>) -> Response {
    let (code, body) = health::report(Probe::Liveness, &s.phase, &s.status);
    (code, Json(body)).into_response()
}

pub(super) async fn metrics(State(s): State<HttpState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

pub(super) fn status_json(name: &str, c: &ConnectorStatus, worker_id: &str) -> Value {
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

pub(super) fn info_json(name: &str, c: &ConnectorStatus) -> Value {
    let tasks: Vec<Value> = c
        .tasks
        .keys()
        .map(|n| json!({"connector": name, "task": n}))
        .collect();
    json!({"name": name, "config": c.config, "tasks": tasks, "type": c.kind})
}

pub(super) async fn list_connectors(
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

pub(super) async fn connector_info(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(info_json(&name, &c)).into_response(),
        None => not_found(&name),
    }
}

pub(super) async fn connector_config(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(json!(c.config)).into_response(),
        None => not_found(&name),
    }
}

pub(super) async fn connector_status(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    match s.status.connector(&name) {
        Some(c) => Json(status_json(&name, &c, &s.worker_id)).into_response(),
        None => not_found(&name),
    }
}

pub(super) async fn connector_tasks(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
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

pub(super) async fn task_status(
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
