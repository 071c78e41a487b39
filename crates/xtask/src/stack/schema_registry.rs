//! Schema Registry: a stand-in for Confluent's, written for Ferry's tests
//! (`schema_registry.py` beside this file, Python standard library only).
//!
//! Confluent's server is Java and cannot be installed here, so the stack runs
//! this one: the REST subset converters and Confluent's clients use (register,
//! lookup, schemas by id, subjects and versions, soft and hard deletes,
//! global and per-subject compatibility, compatibility tests) for AVRO,
//! PROTOBUF and JSON schemas. The script's doc comment lists the endpoints
//! and the compatibility rules.
//!
//! The script is built into xtask and written to
//! `$FERRY_CACHE/stack/schema_registry.py` at `up`; it runs on the venv's
//! Python, listens on 127.0.0.1:`$FERRY_REGISTRY_PORT` (default 8081) and
//! keeps everything in `$FERRY_CACHE/stack/schema-registry.json` (rewritten
//! atomically on every change), so ids and versions survive restarts.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::daemon::{Daemon, State};
use super::venv;
use crate::env::Stack;
use crate::error::{Context, Result};
use crate::http;

/// The server script, as built into xtask.
pub const SCRIPT: &str = include_str!("schema_registry.py");

/// Where `up` writes [`SCRIPT`].
pub fn script_path(stack: &Stack) -> PathBuf {
    stack.state.join("schema_registry.py")
}

/// The registry's data file.
pub fn data_path(stack: &Stack) -> PathBuf {
    stack.state.join("schema-registry.json")
}

/// The server as a pid-file daemon (the venv's Python running the script).
pub fn daemon(stack: &Stack) -> Daemon {
    Daemon::new(
        stack,
        "schema-registry",
        stack.python(),
        stack.registry_port,
        "FERRY_REGISTRY_PORT",
    )
}

/// True when `GET /config` answers with a compatibility level.
fn answers(port: u16) -> bool {
    http::get(port, "/config")
        .is_ok_and(|r| r.status == 200 && r.body.contains("compatibilityLevel"))
}

/// Writes the script (restarting a running server whose script changed),
/// then starts the server unless it already runs.
pub fn up(stack: &Stack) -> Result<()> {
    venv::ensure(stack)?;
    fs::create_dir_all(&stack.state)?;
    let script = script_path(stack);
    let port = stack.registry_port;
    let probe = move || answers(port);
    let daemon = daemon(stack);
    let current = fs::read_to_string(&script).ok();
    if current.as_deref() != Some(SCRIPT) {
        if matches!(
            daemon.state(&probe),
            State::Running(_) | State::NotAnswering(_)
        ) {
            println!("[schema-registry] the server script changed; restarting it");
            daemon.stop()?;
        }
        fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    }
    let mut cmd = Command::new(&daemon.exe);
    cmd.arg("-u")
        .arg(&script)
        .arg("--port")
        .arg(port.to_string())
        .arg("--data")
        .arg(data_path(stack))
        .current_dir(&stack.state);
    daemon.ensure_up(&mut cmd, &probe, Duration::from_secs(20))
}

/// Stops the server (the data file stays).
pub fn down(stack: &Stack) -> Result<()> {
    daemon(stack).stop()
}

/// One status line.
pub fn status(stack: &Stack) -> String {
    let port = stack.registry_port;
    daemon(stack).status_line(&move || answers(port))
}
