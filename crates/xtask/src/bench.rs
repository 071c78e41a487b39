//! `cargo xtask bench <name> [args]`: benchmarks against the local stack,
//! one module per benchmark under `bench/`, dispatched by name.

mod ferry_process;
mod flags;
mod postgres_cdc;
mod s3_sink;
mod topic_counter;

use crate::bail;
use crate::error::Result;

/// A benchmark's entry point (its arguments after the name).
type Run = fn(&[String]) -> Result<()>;

/// The benchmarks: name, what it measures, entry point.
const BENCHES: &[(&str, &str, Run)] = &[
    (
        "postgres-cdc",
        "PostgreSQL CDC snapshot and streaming throughput, start-up time, peak RSS [--rows N] [--no-schemas] [--producer key=value]...",
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
