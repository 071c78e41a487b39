//! `cargo xtask demo`: PostgreSQL → Kafka → S3 through one standalone
//! `ferry` worker running `configs/demo/postgres-cdc.properties` (the
//! Debezium-compatible source) and `configs/demo/s3-sink.properties`
//! (Confluent's S3 sink keys).
//!
//! 1. (Re)creates `ferry_demo.orders` with three rows; drops the demo's
//!    replication slot and publication left by an earlier run.
//! 2. Starts the worker: the snapshot emits the three rows (`op=r`).
//! 3. Inserts two rows, updates one, deletes one (`c`, `u`, `d`).
//! 4. Waits until the seven change events are in S3 objects under
//!    `demo-<run>/ferrydemo.ferry_demo.orders/partition=0/`, prints the
//!    objects and events, stops the worker and drops the slot.
//!
//! `topics.dir` is per run (`demo-<unix time>`), so a rerun against a
//! stack that kept the topic and the sink's committed offsets shows only
//! the events its own worker consumed.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{check_running, prepare, scratch_dir, show_connectors, start_worker, stop, REST_PORT};
use crate::bail;
use crate::env::Stack;
use crate::error::Result;
use crate::psql::Psql;
use crate::stack::process;
use crate::{http, kafka};

/// Names in configs/demo/postgres-cdc.properties.
const SLOT: &str = "ferry_demo";
const TOPIC: &str = "ferrydemo.ferry_demo.orders";
const HEARTBEATS: &str = "__debezium-heartbeat.ferrydemo";
const SOURCE: &str = "demo-orders-cdc";
const SINK: &str = "demo-orders-s3";
/// 3 snapshot rows + 2 inserts + 1 update + 1 delete (its tombstone is
/// ignored by the sink).
const EVENTS: usize = 7;
const TIMEOUT: Duration = Duration::from_secs(180);

/// Runs the demo.
pub fn main(_args: &[String]) -> Result<()> {
    let (stack, bin) = prepare(&["ferry", "ferry-bench"])?;
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let run_id = format!("run{run}");
    let topics_dir = format!("demo-{run}");
    let dir = scratch_dir("ferry-demo-postgres-s3")?;

    let psql = Psql {
        port: stack.pg_port,
    };
    psql.drop_slot_and_publication(SLOT);
    psql.run(&format!(
        "DROP SCHEMA IF EXISTS ferry_demo CASCADE;
         CREATE SCHEMA ferry_demo;
         CREATE TABLE ferry_demo.orders (id serial PRIMARY KEY, customer text NOT NULL,
           amount numeric(10,2) NOT NULL, status text NOT NULL DEFAULT 'new');
         INSERT INTO ferry_demo.orders (customer, amount) VALUES
           ('alice-{run_id}', 12.50), ('bob-{run_id}', 99.00), ('carol-{run_id}', 7.25);"
    ))?;
    println!("==> created ferry_demo.orders with 3 rows");
    for topic in [TOPIC, HEARTBEATS] {
        kafka::create_topic(stack.kafka_port, topic, 1)?;
    }

    let log = dir.join("ferry.log");
    let started = Instant::now();
    let mut worker = start_worker(
        &bin,
        &stack,
        &[
            "configs/demo/postgres-cdc.properties",
            "configs/demo/s3-sink.properties",
        ],
        &[
            ("FERRY_DEMO_DIR", dir.as_os_str()),
            ("FERRY_DEMO_TOPICS_DIR", OsStr::new(&topics_dir)),
        ],
        &log,
    )?;
    let outcome = run_changes(&psql, &mut worker, &log, &run_id).and_then(|()| {
        wait_for_events(
            &bin.join("ferry-bench"),
            &stack,
            &format!("{topics_dir}/{TOPIC}/"),
            &mut worker,
            &log,
        )
    });
    let elapsed = started.elapsed();
    show_connectors();
    let exit = stop(&mut worker)?;
    psql.drop_slot_and_publication(SLOT);
    let objects = outcome?;

    println!(
        "==> objects in s3://{}/{topics_dir}/",
        crate::env::S3_BUCKET
    );
    let mut ops = Vec::new();
    for (key, events) in &objects {
        println!("    {key}  ({} events)", events.len());
        for e in events {
            let op = field(e, "op").unwrap_or("?");
            let row = match op {
                "d" => field(e, "before"),
                _ => field(e, "after"),
            }
            .unwrap_or("null");
            println!("        op={op} {row}");
            ops.push(op.to_string());
        }
    }
    println!("==> summary");
    println!("    change events in S3  {} of {EVENTS}", ops.len());
    println!("    operations           {}", ops.join(" "));
    println!("    time to land in S3   {:.1}s", elapsed.as_secs_f64());
    println!("    worker exit          {exit}");
    println!("    worker log           {}", log.display());
    Ok(())
}

/// Waits until both tasks run and the source's slot exists (its exported
/// snapshot fixes what the snapshot reads: later commits are streamed),
/// then inserts, updates and deletes.
fn run_changes(psql: &Psql, worker: &mut Child, log: &Path, run_id: &str) -> Result<()> {
    let started = Instant::now();
    let slot_exists = || {
        psql.run(&format!(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{SLOT}'"
        ))
        .is_ok_and(|n| n.trim() == "1")
    };
    while !running(SOURCE) || !running(SINK) || !slot_exists() {
        check_running(worker, log)?;
        if started.elapsed() > TIMEOUT {
            bail!("the connectors did not start; log {}", log.display());
        }
        sleep(Duration::from_millis(200));
    }
    psql.run(&format!(
        "INSERT INTO ferry_demo.orders (customer, amount) VALUES ('dave-{run_id}', 41.00), ('erin-{run_id}', 3.99);
         UPDATE ferry_demo.orders SET status = 'paid' WHERE customer = 'alice-{run_id}';
         DELETE FROM ferry_demo.orders WHERE customer = 'bob-{run_id}';"
    ))?;
    println!("==> inserted 2 rows, updated 1, deleted 1");
    Ok(())
}

/// True when REST reports the connector and its task RUNNING.
fn running(connector: &str) -> bool {
    http::get(REST_PORT, &format!("/connectors/{connector}/status"))
        .map(|r| r.status == 200 && r.body.matches("RUNNING").count() >= 2)
        .unwrap_or(false)
}

/// Polls the objects under `prefix` until they hold this run's events;
/// returns (key, events) per object.
fn wait_for_events(
    ferry_bench: &Path,
    stack: &Stack,
    prefix: &str,
    worker: &mut Child,
    log: &Path,
) -> Result<Vec<(String, Vec<String>)>> {
    let started = Instant::now();
    let mut reported = None;
    loop {
        let out = crate::stack::process::run(
            Command::new(ferry_bench)
                .args(["cat-prefix", "--prefix", prefix])
                .envs(stack.client_env()),
        )?;
        let objects = parse_objects(&out);
        let n: usize = objects.iter().map(|(_, e)| e.len()).sum();
        if reported != Some(n) {
            println!(
                "    [{:>5.1}s] change events in S3: {n} of {EVENTS}",
                started.elapsed().as_secs_f64()
            );
            reported = Some(n);
        }
        if n >= EVENTS {
            return Ok(objects);
        }
        check_running(worker, log)?;
        if started.elapsed() > TIMEOUT {
            bail!(
                "only {n} of {EVENTS} change events reached S3 within {}s; log {}:\n{}",
                TIMEOUT.as_secs(),
                log.display(),
                process::tail(log, 30)
            );
        }
        sleep(Duration::from_secs(1));
    }
}

/// Splits `ferry-bench cat-prefix` output into objects and their events.
fn parse_objects(out: &str) -> Vec<(String, Vec<String>)> {
    let mut objects: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines() {
        if let Some(key) = line.strip_prefix("# ") {
            objects.push((key.to_string(), Vec::new()));
        } else if !line.trim().is_empty() {
            if let Some((_, events)) = objects.last_mut() {
                events.push(line.to_string());
            }
        }
    }
    objects.retain(|(_, e)| !e.is_empty());
    objects
}

/// The raw JSON text of a top-level field of a one-line JSON object
/// (enough for Debezium's envelope: `"op":"c"`, `"after":{...}`).
fn field<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let start = json.find(&format!("\"{name}\":"))? + name.len() + 3;
    let rest = &json[start..];
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' if !in_string => depth += 1,
            '}' | ']' if !in_string => {
                if depth == 0 {
                    return Some(rest[..i].trim_matches('"'));
                }
                depth -= 1;
            }
            ',' if !in_string && depth == 0 => return Some(rest[..i].trim_matches('"')),
            _ => {}
        }
    }
    Some(rest.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_reads_nested_objects_and_strings() {
        let e = r#"{"before":null,"after":{"id":1,"customer":"a,b}"},"op":"c","ts_ms":5}"#;
        assert_eq!(field(e, "after"), Some(r#"{"id":1,"customer":"a,b}"}"#));
        assert_eq!(field(e, "op"), Some("c"));
        assert_eq!(field(e, "before"), Some("null"));
        assert_eq!(field(e, "ts_ms"), Some("5"));
        assert_eq!(field(e, "nope"), None);
    }

    #[test]
    fn objects_and_their_events() {
        let out =
            "# t/a+0+0000000000.json\n{\"x\":1}\n{\"x\":2}\n# t/a+0+0000000002.json\n{\"x\":3}\n";
        let objects = parse_objects(out);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].0, "t/a+0+0000000000.json");
        assert_eq!(objects[0].1.len(), 2);
        assert_eq!(objects[1].1, vec!["{\"x\":3}".to_string()]);
    }
}
