//! `ferry-bench`: the parts of `cargo xtask bench` (and `demo`) that need
//! a Kafka or S3 client library (xtask itself uses only std).
//!
//! ```text
//! ferry-bench produce  --brokers B --topic T --partitions P --records N --shape json1k|schema10
//! ferry-bench consume  --brokers B --topic T --records N
//! ferry-bench wait-objects --prefix P --count N [--timeout-s S]
//! ferry-bench delete-prefix --prefix P
//! ferry-bench cat-prefix --prefix P      (each object: "# <key>", then its text)
//! ferry-bench download --prefix P --dir D  (each object to D/<key below P>)
//! ferry-bench upload --prefix P --from-dir D [--part-bytes B] [--concurrency C]
//! ```
//!
//! `consume` is the ceiling a sink is compared with: a plain rdkafka
//! consumer in a fresh group that reads every record and discards it.
//! `upload` is the store's ceiling: the same objects (from `download`)
//! written to S3 with multipart uploads and no Kafka at all. Each
//! command prints one line of `key=value` figures on stdout, including its
//! own CPU seconds and peak RSS (from `/proc/self`).

mod args;
mod consume;
mod error;
mod objects;
mod produce;
mod shapes;

use error::{BenchError, Result};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("ferry-bench: {e}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        return Err(BenchError::Usage("a command is needed".into()));
    };
    let opts = args::Options::parse(rest)?;
    match command.as_str() {
        "produce" => produce::run(&opts),
        "consume" => consume::run(&opts),
        "wait-objects" => objects::wait(&opts),
        "delete-prefix" => objects::delete(&opts),
        "cat-prefix" => objects::cat(&opts),
        "download" => objects::download(&opts),
        "upload" => objects::upload(&opts),
        other => Err(BenchError::Usage(format!("unknown command {other:?}"))),
    }
}

/// This process's CPU seconds (user + system) and peak RSS in KiB.
pub fn self_usage() -> (f64, u64) {
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may contain spaces).
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            // /proc reports clock ticks of USER_HZ, which is 100 on Linux.
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0);
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    (cpu, hwm)
}
