//! `cargo xtask test [cargo test args]`: the full check CI runs.
//!
//! fmt → clippy → stack up → build the binaries → `cargo test --workspace`
//! with the stack's variables, `FERRY_BIN` and `RUST_BACKTRACE=1` set →
//! the demo (PostgreSQL → Kafka → S3), when no test arguments were given.

use std::time::Instant;

use crate::env::Stack;
use crate::error::Result;
use crate::{stack, workspace};

/// Runs every step, stopping at the first failure, and prints the time taken.
pub fn main(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let result = run(args);
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(()) => println!("==> all checks passed in {secs:.1}s"),
        Err(_) => println!("==> failed after {secs:.1}s"),
    }
    result
}

fn run(args: &[String]) -> Result<()> {
    let stack = Stack::from_env()?;
    workspace::run_step(
        "fmt",
        &mut workspace::cargo(&["fmt", "--all", "--", "--check"])?,
        Some("run `cargo fmt --all` and commit the result"),
    )?;
    workspace::run_step(
        "clippy",
        &mut workspace::cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])?,
        Some("fix the warnings above"),
    )?;
    println!("==> stack up");
    stack::up(&stack)?;
    workspace::run_step(
        "build",
        &mut workspace::cargo(&["build", "--workspace", "--bins"])?,
        None,
    )?;

    let ferry_bin = workspace::target_dir()?.join("debug/ferry");
    // `-p`/`--package` selects packages itself; `--workspace` would override it.
    let selects_package = args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-p" || a.starts_with("--package"));
    let mut cmd = workspace::cargo(&["test"])?;
    if !selects_package {
        cmd.arg("--workspace");
    }
    cmd.args(args)
        .envs(stack.client_env())
        .env("FERRY_BIN", &ferry_bin)
        .env("RUST_BACKTRACE", "1");
    workspace::run_step("test", &mut cmd, None)?;
    if args.is_empty() {
        println!("==> demo");
        crate::demo::main(&[])?;
    }
    Ok(())
}
