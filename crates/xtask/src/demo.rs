//! `cargo xtask demo [file]`: the main job on the local stack.
//!
//! - `cargo xtask demo`: PostgreSQL → Kafka → S3 (Debezium-compatible
//!   change events landing as JSON objects under `topics.dir`);
//! - `cargo xtask demo file`: file → Kafka → file.

mod file;
mod postgres_s3;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::bail;
use crate::env::Stack;
use crate::error::{Context, Result};
use crate::stack::process;
use crate::{stack, workspace};

/// The demo worker's REST port (`listeners` in configs/demo/worker.properties).
const REST_PORT: u16 = 8083;

/// Runs the demo named by the first argument (default: PostgreSQL → S3).
pub fn main(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None | Some("postgres-s3") => postgres_s3::main(&args[args.len().min(1)..]),
        Some("file") => file::main(&args[1..]),
        Some(other) => bail!("unknown demo {other:?}; demos: postgres-s3 (the default), file"),
    }
}

/// Brings the stack up and builds `packages` (debug); returns the stack
/// and the directory holding the binaries.
fn prepare(packages: &[&str]) -> Result<(Stack, PathBuf)> {
    let stack = Stack::from_env()?;
    println!("==> stack up");
    stack::up(&stack)?;
    let mut args = vec!["build"];
    for p in packages {
        args.extend(["-p", p]);
    }
    workspace::run_step("build", &mut workspace::cargo(&args)?, None)?;
    Ok((stack, workspace::target_dir()?.join("debug")))
}

/// An empty scratch directory `$TMPDIR/<name>`.
fn scratch_dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Starts `ferry standalone configs/demo/worker.properties <connectors>`
/// in the workspace root with the stack's variables and `env`, logging to
/// `log`.
fn start_worker(
    bin: &Path,
    stack: &Stack,
    connectors: &[&str],
    env: &[(&str, &OsStr)],
    log: &Path,
) -> Result<Child> {
    let root = workspace::root();
    let mut cmd = Command::new(bin.join("ferry"));
    cmd.arg("standalone")
        .arg("configs/demo/worker.properties")
        .args(connectors)
        .current_dir(&root)
        .envs(stack.client_env())
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = process::open_log(log)?;
    cmd.stdout(out.try_clone()?).stderr(out);
    println!(
        "==> {} (cwd {}, log {})",
        process::describe(&cmd),
        root.display(),
        log.display()
    );
    cmd.spawn().context("starting ferry")
}

/// Fails, quoting the log, when the worker has exited.
fn check_running(worker: &mut Child, log: &Path) -> Result<()> {
    if let Some(status) = worker.try_wait()? {
        bail!(
            "ferry exited early ({status}); log {}:\n{}",
            log.display(),
            process::tail(log, 30)
        );
    }
    Ok(())
}

/// Prints the worker's view of its connectors (REST), if it answers.
fn show_connectors() {
    match crate::http::get(REST_PORT, "/connectors?expand=status") {
        Ok(r) => println!(
            "==> GET /connectors?expand=status → {}\n    {}",
            r.status,
            r.body.trim()
        ),
        Err(e) => println!("==> REST API on port {REST_PORT} did not answer: {e}"),
    }
}

/// SIGTERM, then SIGKILL after 15 s; returns how the worker exited.
fn stop(worker: &mut Child) -> Result<String> {
    if let Some(status) = worker.try_wait()? {
        return Ok(format!("{status} (before SIGTERM)"));
    }
    println!("==> stopping the worker (SIGTERM)");
    process::signal(worker.id(), "TERM", false);
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Some(status) = worker.try_wait()? {
            return Ok(status.to_string());
        }
        sleep(Duration::from_millis(100));
    }
    worker.kill()?;
    Ok(format!("{} (killed after 15s)", worker.wait()?))
}
