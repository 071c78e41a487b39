//! Log setup: `tracing` with `RUST_LOG`-style filtering (default `info`),
//! human-readable or JSON (`FERRY_LOG_FORMAT=json`) on standard error, and
//! the levels `/admin/loggers` changes at run time (KIP-495).
//!
//! Logger names are `tracing` targets, i.e. Rust module paths
//! (`ferry_runtime::task::sink`, `ferry_connector_s3_sink`); `root` is the
//! default level. Java logger names (`org.apache.kafka.connect`) are
//! accepted but match nothing Ferry logs.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// The logger levels set at run time, and how to apply them.
struct Levels {
    handle: reload::Handle<EnvFilter, Registry>,
    /// `root`: the filter the worker started with, or the level set for it.
    root: String,
    /// Levels set for named loggers, with when (ms since the epoch).
    loggers: BTreeMap<String, (String, i64)>,
}

static LEVELS: OnceLock<Mutex<Levels>> = OnceLock::new();

/// Installs the global subscriber. Safe to call more than once.
pub fn init() {
    let root = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| EnvFilter::try_new(v).is_ok())
        .unwrap_or_else(|| "info".into());
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&root));
    let json = std::env::var("FERRY_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let registry = tracing_subscriber::registry().with(filter);
    let installed = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_target(true),
            )
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(true)
                    .with_ansi(ansi),
            )
            .try_init()
    };
    if installed.is_ok() {
        let _ = LEVELS.set(Mutex::new(Levels {
            handle,
            root,
            loggers: BTreeMap::new(),
        }));
    }
}

/// Kafka's level name for a `tracing` level directive.
fn kafka_level(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "off" => "OFF".into(),
        "error" => "ERROR".into(),
        "warn" => "WARN".into(),
        "info" => "INFO".into(),
        "debug" => "DEBUG".into(),
        "trace" => "TRACE".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// A Log4j level (`OFF`, `FATAL`, `ERROR`, `WARN`, `INFO`, `DEBUG`,
/// `TRACE`, any case) as a `tracing` level; `None` if it is none of them.
pub fn parse_level(level: &str) -> Option<&'static str> {
    Some(match level.to_ascii_uppercase().as_str() {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        "TRACE" => "trace",
        _ => return None,
    })
}

fn lock() -> Option<std::sync::MutexGuard<'static, Levels>> {
    LEVELS
        .get()
        .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
}

/// `GET /admin/loggers`: `root` and every logger set at run time.
pub fn loggers() -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(levels) = lock() {
        let root = levels.root.rsplit(',').next().unwrap_or("info");
        out.insert(
            "root".into(),
            serde_json::json!({"level": kafka_level(root.rsplit('=').next().unwrap_or(root))}),
        );
        for (name, (level, at)) in &levels.loggers {
            out.insert(
                name.clone(),
                serde_json::json!({"level": kafka_level(level), "last_modified": at}),
            );
        }
    }
    serde_json::Value::Object(out)
}

/// `GET /admin/loggers/{name}`: its level, the root's if never set.
pub fn logger(name: &str) -> serde_json::Value {
    let all = loggers();
    all.get(name)
        .or_else(|| all.get("root"))
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

/// `PUT /admin/loggers/{name}`: sets a level (already parsed with
/// [`parse_level`]) and returns the loggers it changed.
pub fn set_level(name: &str, level: &'static str) -> Result<Vec<String>, String> {
    let mut levels = lock().ok_or("logging was not set up by this worker")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut changed = vec![name.to_string()];
    if name == "root" {
        levels.root = level.to_string();
        changed.extend(levels.loggers.keys().cloned());
        levels.loggers.clear();
    } else {
        levels
            .loggers
            .insert(name.to_string(), (level.to_string(), now));
    }
    let mut directives = levels.root.clone();
    for (target, (l, _)) in &levels.loggers {
        directives.push_str(&format!(",{target}={l}"));
    }
    let filter = EnvFilter::try_new(&directives).map_err(|e| format!("{name}: {e}"))?;
    levels.handle.reload(filter).map_err(|e| e.to_string())?;
    tracing::info!(logger = name, level, "log level changed");
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log4j_levels_map_to_tracing_levels() {
        assert_eq!(parse_level("fatal"), Some("error"));
        assert_eq!(parse_level("DEBUG"), Some("debug"));
        assert_eq!(parse_level("verbose"), None);
        assert_eq!(kafka_level("warn"), "WARN");
    }
}
