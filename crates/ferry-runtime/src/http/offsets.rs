//! Offsets (KIP-875) and active topics (KIP-558).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::*;

/// `GET /connectors/{name}/topics` (KIP-558): `{"<name>":{"topics":[…]}}`.
pub(super) async fn connector_topics(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    if s.status.connector(&name).is_none() {
        return not_found(&name);
    }
    Json(json!({ name.clone(): {"topics": s.status.topics(&name)} })).into_response()
}

/// `PUT /connectors/{name}/topics/reset` → 200.
pub(super) async fn reset_topics(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    if s.status.connector(&name).is_none() {
        return not_found(&name);
    }
    s.status.reset_topics(&name);
    StatusCode::OK.into_response()
}

/// `GET /connectors/{name}/offsets` (KIP-875).
pub(super) async fn get_offsets(State(s): State<HttpState>, Path(name): Path<String>) -> Response {
    match s.herder.lock().await.offsets(&name).await {
        Some(Ok(v)) => Json(v).into_response(),
        Some(Err(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
        None => not_found(&name),
    }
}

/// `PATCH /connectors/{name}/offsets` → 200 with Kafka's message; works on
/// a running connector too (its tasks stop, the offsets change, they start
/// again).
pub(super) async fn alter_offsets(
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
pub(super) async fn reset_offsets(
    State(s): State<HttpState>,
    Path(name): Path<String>,
) -> Response {
    match s.herder.lock().await.change_offsets(&name, None).await {
        Ok(true) => {
            Json(json!({"message": "The offsets for this connector have been reset successfully"}))
                .into_response()
        }
        Ok(false) => not_found(&name),
        Err(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}
