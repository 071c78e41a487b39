//! `cargo xtask demo file`: file → Kafka → file through a standalone
//! `ferry` worker, using the configs in `configs/demo/`.
//!
//! Writes 1,000 lines to `$TMPDIR/ferry-demo/input.txt`, runs
//! `ferry standalone configs/demo/worker.properties
//! configs/demo/file-source.properties configs/demo/file-sink.properties`
//! with `FERRY_DEMO_DIR` and the stack variables set (the configs read them
//! through the `env` config provider), waits until every line arrived in
//! `output.txt`, then stops the worker with SIGTERM.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{check_running, prepare, scratch_dir, show_connectors, start_worker, stop};
use crate::bail;
use crate::error::Result;
use crate::kafka;
use crate::stack::process;

/// Lines written to the input file.
const LINES: usize = 1_000;
/// The topic the configs name.
const TOPIC: &str = "ferry-demo-lines";
/// Partitions the demo creates the topic with.
const PARTITIONS: i32 = 3;
/// How long to wait for all lines to arrive.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the demo.
pub fn main(_args: &[String]) -> Result<()> {
    let (stack, bin) = prepare(&["ferry"])?;
    let dir = scratch_dir("ferry-demo")?;
    // Lines carry a run id: the sink's consumer group and the topic outlive
    // a run while the stack stays up, so earlier runs' lines may reappear.
    let run_id = format!(
        "run-{}",
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs()
    );
    let input: Vec<String> = (1..=LINES)
        .map(|i| format!("{run_id} line {i:04} the quick brown fox jumps over the lazy dog"))
        .collect();
    let mut file = fs::File::create(dir.join("input.txt"))?;
    for line in &input {
        writeln!(file, "{line}")?;
    }
    drop(file);
    println!(
        "==> wrote {LINES} lines to {}",
        dir.join("input.txt").display()
    );

    match kafka::create_topic(stack.kafka_port, TOPIC, PARTITIONS)? {
        true => println!("==> created topic {TOPIC} ({PARTITIONS} partitions)"),
        false => println!("==> topic {TOPIC} already exists"),
    }

    let log = dir.join("ferry.log");
    let started = Instant::now();
    let mut worker = start_worker(
        &bin,
        &stack,
        &[
            "configs/demo/file-source.properties",
            "configs/demo/file-sink.properties",
        ],
        &[
            ("FERRY_DEMO_DIR", dir.as_os_str()),
            ("RUST_BACKTRACE", OsStr::new("1")),
        ],
        &log,
    )?;

    let outcome = wait_for_output(&mut worker, &dir.join("output.txt"), &run_id, &log);
    let elapsed = started.elapsed();
    show_connectors();
    let exit = stop(&mut worker)?;

    let received = outcome?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in &received {
        *counts.entry(line.as_str()).or_default() += 1;
    }
    let missing = input
        .iter()
        .filter(|l| !counts.contains_key(l.as_str()))
        .count();
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    println!("==> summary");
    println!("    lines in          {LINES}");
    println!("    lines out         {}", received.len());
    println!("    missing           {missing}");
    println!("    duplicates        {duplicates}");
    println!("    time to deliver   {:.1}s", elapsed.as_secs_f64());
    println!("    worker exit       {exit}");
    println!("    files             {}", dir.display());
    if missing > 0 {
        bail!(
            "{missing} lines did not arrive; worker log {}",
            log.display()
        );
    }
    Ok(())
}

/// Polls the output file until it holds all lines of this run, printing
/// progress; fails if the worker exits or [`TIMEOUT`] passes.
fn wait_for_output(
    worker: &mut Child,
    output: &Path,
    run_id: &str,
    log: &Path,
) -> Result<Vec<String>> {
    let started = Instant::now();
    let mut last_reported = None;
    loop {
        let received: Vec<String> = fs::read_to_string(output)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(run_id))
            .map(String::from)
            .collect();
        if last_reported != Some(received.len()) {
            println!(
                "    [{:>5.1}s] lines in: {LINES}  lines out: {}",
                started.elapsed().as_secs_f64(),
                received.len()
            );
            last_reported = Some(received.len());
        }
        if received.len() >= LINES {
            return Ok(received);
        }
        check_running(worker, log)?;
        if started.elapsed() > TIMEOUT {
            bail!(
                "only {} of {LINES} lines arrived within {}s; log {}:\n{}",
                received.len(),
                TIMEOUT.as_secs(),
                log.display(),
                process::tail(log, 30)
            );
        }
        sleep(Duration::from_millis(500));
    }
}
