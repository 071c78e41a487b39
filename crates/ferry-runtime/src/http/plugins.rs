//! `/connector-plugins`: listing, definitions and validation.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::*;

pub(super) fn unknown_plugin(plugin: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!(
            "Failed to find any class that implements Connector and which name matches {plugin}"
        ),
    )
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's keys.
pub(super) async fn plugin_config(
    State(s): State<HttpState>,
    Path(plugin): Path<String>,
) -> Response {
    match s.herder.lock().await.plugin_config(&plugin) {
        Some(v) => Json(v).into_response(),
        None => unknown_plugin(&plugin),
    }
}

/// `PUT /connector-plugins/{plugin}/config/validate`: 200 with Kafka's
/// `ConfigInfos` (errors per key, `error_count`), whether or not the
/// config is valid.
pub(super) async fn validate_config(
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
pub(super) async fn plugins(
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
