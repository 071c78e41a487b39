//! `cargo xtask demo [file]`: the main job on the local stack.
//!
//! - `cargo xtask demo`: PostgreSQL → Kafka → S3 (Debezium-compatible
//!   change events landing as JSON objects under `topics.dir`);
//! - `cargo xtask demo file`: file → Kafka → file.

mod file;
mod postgres_s3;

use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::Result;
use crate::stack::process;

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
