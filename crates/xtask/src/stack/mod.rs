//! `cargo xtask stack up|down|status|env`: the local services tests, the
//! demo and benchmarks run against, all on 127.0.0.1.
//!
//! | service    | port (override)          | state                               |
//! |------------|--------------------------|-------------------------------------|
//! | tansu      | 9092 (`FERRY_KAFKA_PORT`) | in memory; `$FERRY_CACHE/stack/tansu.{pid,log}` |
//! | SeaweedFS  | 8333 (`FERRY_S3_PORT`)    | `$FERRY_CACHE/stack/seaweedfs/`, `seaweedfs.{pid,log}` |
//! | PostgreSQL | 5433 (`FERRY_PG_PORT`)    | see [`postgres`]; `postgres.log`    |
//! | Schema Registry (stand-in, [`schema_registry`]) | 8081 (`FERRY_REGISTRY_PORT`) | `schema-registry.json`, `schema-registry.{pid,log}` |

mod daemon;
mod postgres;
pub mod process;
mod schema_registry;
mod seaweedfs;
mod tansu;
mod tansu_source;
mod venv;

use std::time::Instant;

use crate::bail;
use crate::env::Stack;
use crate::error::Result;

/// Dispatches `stack <sub>`.
pub fn main(args: &[String]) -> Result<()> {
    let stack = Stack::from_env()?;
    match args.first().map(String::as_str) {
        Some("up") => up(&stack),
        Some("down") => down(&stack),
        Some("status") => {
            status(&stack);
            Ok(())
        }
        Some("env") => {
            stack.print_exports();
            Ok(())
        }
        other => bail!(
            "unknown stack command {:?}; expected one of: up, down, status, env",
            other.unwrap_or("")
        ),
    }
}

/// One service's `up` or `down`.
type Action = fn(&Stack) -> Result<()>;

/// Starts whatever is not running yet (idempotent). Every service is
/// attempted; the error lists each one that failed.
pub fn up(stack: &Stack) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&stack.state)?;
    // Fast ones first, so their problems show before a long tansu build.
    run_all(
        stack,
        "up",
        &[
            ("seaweedfs", seaweedfs::up),
            ("postgres", postgres::up),
            ("schema-registry", schema_registry::up),
            ("tansu", tansu::up),
        ],
    )?;
    println!(
        "stack is up ({:.1}s); `cargo xtask stack env` prints the variables clients read",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Restarts the broker: tansu keeps everything in memory and slows as it
/// fills, so a benchmark run that compares cases starts each on an empty
/// broker.
pub fn restart_kafka(stack: &Stack) -> Result<()> {
    tansu::down(stack)?;
    tansu::up(stack)
}

/// Stops every service.
pub fn down(stack: &Stack) -> Result<()> {
    run_all(
        stack,
        "down",
        &[
            ("tansu", tansu::down),
            ("seaweedfs", seaweedfs::down),
            ("postgres", postgres::down),
            ("schema-registry", schema_registry::down),
        ],
    )
}

/// Runs every action even when one fails; the error names those that did.
fn run_all(stack: &Stack, verb: &str, actions: &[(&str, Action)]) -> Result<()> {
    let mut failed = Vec::new();
    for (name, action) in actions {
        if let Err(e) = action(stack) {
            eprintln!("error: {e}");
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        bail!("stack {verb} failed for: {}", failed.join(", "));
    }
    Ok(())
}

/// Prints one line per service.
pub fn status(stack: &Stack) {
    println!("kafka (tansu)      {}", tansu::status(stack));
    println!("s3 (seaweedfs)     {}", seaweedfs::status(stack));
    println!("postgres           {}", postgres::status(stack));
    println!("schema registry    {}", schema_registry::status(stack));
    println!("state              {}", stack.state.display());
}
