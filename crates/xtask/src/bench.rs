//! `cargo xtask bench <name> [args]`: benchmarks against the local stack,
//! one module per benchmark under `bench/`, dispatched by name.

mod ferry_process;
mod flags;
mod postgres_cdc;
mod s3_sink;
mod stats;
mod topic_counter;

use std::path::PathBuf;

use crate::bail;
use crate::env::Stack;
use crate::error::Result;
use crate::{stack, workspace};

/// A benchmark's entry point (its arguments after the name).
type Run = fn(&[String]) -> Result<()>;

/// The benchmarks: name, what it measures, entry point.
const BENCHES: &[(&str, &str, Run)] = &[
    (
        "postgres-cdc",
        "PostgreSQL CDC snapshot and streaming throughput, start-up time, peak RSS [--rows N] [--no-schemas] [--producer key=value]... [--transforms [--runs N]]",
        postgres_cdc::main,
    ),
    (
        "s3-sink",
        "S3 sink records/s, MB/s, CPU s/GB, peak RSS vs a plain rdkafka consumer [--records N] [--case a|b|c]...",
        s3_sink::main,
    ),
];

/// Runs the benchmark named by the first argument.
pub fn main(args: &[String]) -> Result<()> {
    let list = || {
        BENCHES
            .iter()
            .map(|(name, what, _)| format!("  {name:<14} {what}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let Some((name, rest)) = args.split_first() else {
        println!(
            "usage: cargo xtask bench <name> [args]\n\nbenchmarks:\n{}",
            list()
        );
        return Ok(());
    };
    match BENCHES.iter().find(|(n, _, _)| n == name) {
        Some((_, _, run)) => run(rest),
        None => bail!("unknown benchmark {name:?}; benchmarks:\n{}", list()),
    }
}

/// Brings the stack up and runs `cargo build --release <targets>`;
/// returns the stack and the directory holding the release binaries.
fn prepare(targets: &[&str]) -> Result<(Stack, PathBuf)> {
    let stack = Stack::from_env()?;
    println!("==> stack up");
    stack::up(&stack)?;
    let mut args = vec!["build", "--release"];
    args.extend_from_slice(targets);
    workspace::run_step("build (release)", &mut workspace::cargo(&args)?, None)?;
    Ok((stack, workspace::target_dir()?.join("release")))
}
