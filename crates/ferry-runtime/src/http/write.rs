//! Changes to connectors: create, replace, delete, pause, resume, stop, restart.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::*;

/// `POST /connectors` `{"name":…,"config":{…}}` → 201 with the
/// connector's info; 409 if the name is taken, 400 if the config is bad.
pub(super) async fn create_connector(
    State(s): State<HttpState>,
    body: axum::body::Bytes,
) -> Response {
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
    if let Err(m) = named(&mut config, &name) {
        return error(StatusCode::BAD_REQUEST, m);
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
pub(super) async fn put_connector_config(
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
    if let Err(m) = named(&mut config, &name) {
        return error(StatusCode::BAD_REQUEST, m);
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

/// Sets the config's `name` to `name`; an error if it names another.
fn named(config: &mut ferry_api::PropertyMap, name: &str) -> Result<(), String> {
    match config.get("name") {
        Some(n) if n != name => Err(format!(
            "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
        )),
        _ => {
            config.insert("name".into(), name.to_string());
            Ok(())
        }
    }
}

/// `status` if the connector was found, else 404.
fn found_or_404(found: bool, status: StatusCode, name: &str) -> Response {
    if found {
        status.into_response()
    } else {
        not_found(name)
    }
}

/// `DELETE /connectors/{name}` → 204; its tasks flush and commit first.
pub(super) async fn delete_connector(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    let found = s.herder.lock().await.delete(&name).await;
    found_or_404(found, StatusCode::NO_CONTENT, &name)
}

/// `PUT /connectors/{name}/pause` → 202: tasks flush, commit and stop,
/// and report PAUSED.
pub(super) async fn pause_connector(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    let found = s.herder.lock().await.pause(&name).await;
    found_or_404(found, StatusCode::ACCEPTED, &name)
}

/// `PUT /connectors/{name}/resume` → 202.
pub(super) async fn resume_connector(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    match s.herder.lock().await.resume(&name).await {
        Ok(true) => StatusCode::ACCEPTED.into_response(),
        Ok(false) => not_found(&name),
        Err(e) => herder_error(e),
    }
}

/// `PUT /connectors/{name}/stop` → 202: connector and tasks shut down
/// (KIP-875), the configuration kept.
pub(super) async fn stop_connector(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    let found = s.herder.lock().await.stop_one(&name).await;
    found_or_404(found, StatusCode::ACCEPTED, &name)
}

/// `POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]`: 204
/// without the parameters (Kafka's original form), else 202 with the
/// status. Ferry restarts the connector together with its tasks; with
/// `onlyFailed=true` nothing is restarted unless the connector or a task
/// is FAILED.
pub(super) async fn restart_connector(
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
pub(super) async fn restart_task(
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
