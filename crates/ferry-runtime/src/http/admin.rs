//! `/admin/loggers` (KIP-495).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::*;

/// `GET /admin/loggers` (KIP-495).
pub(super) async fn admin_loggers() -> Json<Value> {
    Json(crate::logging::loggers())
}

/// `GET /admin/loggers/{logger}`.
pub(super) async fn admin_logger(Path(logger): Path<String>) -> Json<Value> {
    Json(crate::logging::logger(&logger))
}

/// `PUT /admin/loggers/{logger}` `{"level":"DEBUG"}` → 200 with the
/// loggers changed.
pub(super) async fn admin_set_logger(
    Path(logger): Path<String>,
    body: axum::body::Bytes,
) -> Response {
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
