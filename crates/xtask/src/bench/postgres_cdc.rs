//! `cargo xtask bench postgres-cdc [--rows N] [--no-schemas]`: the
//! PostgreSQL CDC source through the release `ferry` binary into the
//! local tansu.
//!
//! 1. Snapshot: N existing rows of a 10-column mixed-type table; events/s
//!    from the worker's start to the N-th event in Kafka.
//! 2. Streaming: N more rows inserted in transactions of 1,000 while the
//!    worker runs; events/s from the first insert to the N-th streamed event.
//!
//! Also: time from start until the task runs (REST status) and until the
//! first event is in Kafka, and the ferry process's peak RSS (VmHWM).
//! Events are counted by fetching the topic (record-batch headers), not
//! from watermarks. JsonConverter with `schemas.enable=true` (Kafka
//! Connect's default) unless `--no-schemas`. Default N: 1,000,000.

use std::path::Path;
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ferry_process::{free_port, vm_hwm_kib, write_properties, Worker};
use super::topic_counter::TopicCounter;
use crate::bail;
use crate::env::{Stack, PG_DB, PG_PASSWORD, PG_USER};
use crate::error::{Context, Result};
use crate::psql::Psql;
use crate::{http, stack, workspace};

const DEFAULT_ROWS: u64 = 1_000_000;
const TX_ROWS: u64 = 1_000;
const CONNECTOR: &str = "bench-pg-cdc";

struct Args {
    rows: u64,
    schemas: bool,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut out = Args {
        rows: DEFAULT_ROWS,
        schemas: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => {
                let v = it.next().context("--rows needs a number")?;
                out.rows = v
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("--rows {v}"))?;
            }
            "--no-schemas" => out.schemas = false,
            other => bail!("unknown argument {other:?}; usage: cargo xtask bench postgres-cdc [--rows N] [--no-schemas]"),
        }
    }
    if out.rows < TX_ROWS || !out.rows.is_multiple_of(TX_ROWS) {
        bail!("--rows must be a multiple of {TX_ROWS}");
    }
    Ok(out)
}

/// Runs the benchmark and prints the table.
pub fn main(args: &[String]) -> Result<()> {
    let args = parse_args(args)?;
    let stack = Stack::from_env()?;
    println!("==> stack up");
    stack::up(&stack)?;
    workspace::run_step(
        "build (release)",
        &mut workspace::cargo(&["build", "--release", "-p", "ferry", "--bin", "ferry"])?,
        None,
    )?;
    let ferry = workspace::target_dir()?.join("release/ferry");
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let bench = Bench {
        psql: Psql {
            port: stack.pg_port,
        },
        schema: format!("bench_{run}"),
        slot: format!("bench_{run}"),
        prefix: format!("bench{run}"),
        rows: args.rows,
        kafka_port: stack.kafka_port,
    };
    let result = bench.run(&stack, &ferry, args.schemas);
    bench.cleanup();
    let r = result?;
    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    println!();
    println!(
        "PostgreSQL CDC → Kafka, {} rows, 10 columns, JsonConverter schemas.enable={}",
        args.rows, args.schemas
    );
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| snapshot: {} rows | {:.1} s, **{:.0} events/s** |",
        args.rows,
        r.snapshot.as_secs_f64(),
        rate(args.rows, r.snapshot)
    );
    println!(
        "| streaming: {} rows in transactions of {TX_ROWS} | {:.1} s, **{:.0} events/s** (PostgreSQL inserted them in {:.1} s; last event {:.1} s after the last commit) |",
        args.rows,
        r.streaming.as_secs_f64(),
        rate(args.rows, r.streaming),
        r.inserting.as_secs_f64(),
        r.streaming.saturating_sub(r.inserting).as_secs_f64()
    );
    println!(
        "| start → task running (REST) | {:.0} ms |",
        r.ready.as_secs_f64() * 1000.0
    );
    println!(
        "| start → first event in Kafka | {:.0} ms |",
        r.first_event.as_secs_f64() * 1000.0
    );
    println!(
        "| peak RSS (VmHWM): after snapshot / at the end | {} MiB / {} MiB |",
        r.rss_snapshot_kib / 1024,
        r.rss_end_kib / 1024
    );
    Ok(())
}

struct Figures {
    snapshot: Duration,
    streaming: Duration,
    inserting: Duration,
    ready: Duration,
    first_event: Duration,
    rss_snapshot_kib: u64,
    rss_end_kib: u64,
}

struct Bench {
    psql: Psql,
    schema: String,
    slot: String,
    prefix: String,
    rows: u64,
    kafka_port: u16,
}

impl Bench {
    fn topic(&self) -> String {
        format!("{}.{}.items", self.prefix, self.schema)
    }

    fn run(&self, stack: &Stack, ferry: &Path, schemas: bool) -> Result<Figures> {
        let (s, n) = (&self.schema, self.rows);
        println!("==> creating {s}.items with {n} rows");
        self.psql.run(&format!(
            "CREATE SCHEMA {s};
             CREATE TABLE {s}.items (id bigserial PRIMARY KEY, name text NOT NULL, qty integer,
               price numeric(12,2), ratio double precision, active boolean, created timestamptz,
               day date, uid uuid, payload jsonb);"
        ))?;
        self.psql
            .run(&format!("INSERT INTO {s}.items {}", rows_sql(1, n)))?;

        let dir = std::env::temp_dir().join(format!("ferry-bench-{}", self.prefix));
        std::fs::create_dir_all(&dir)?;
        let rest_port = free_port()?;
        write_properties(
            &dir.join("worker.properties"),
            &[
                ("bootstrap.servers", stack.kafka_bootstrap()),
                (
                    "key.converter",
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                (
                    "offset.storage.file.filename",
                    dir.join("offsets.json").display().to_string(),
                ),
                ("offset.flush.interval.ms", "1000".into()),
                ("listeners", format!("http://127.0.0.1:{rest_port}")),
                ("producer.linger.ms", "20".into()),
                ("producer.batch.size", "1000000".into()),
            ],
        )?;
        let schemas = schemas.to_string();
        write_properties(
            &dir.join("connector.properties"),
            &[
                ("name", CONNECTOR.into()),
                (
                    "connector.class",
                    "io.debezium.connector.postgresql.PostgresConnector".into(),
                ),
                ("database.hostname", "127.0.0.1".into()),
                ("database.port", stack.pg_port.to_string()),
                ("database.user", PG_USER.into()),
                ("database.password", PG_PASSWORD.into()),
                ("database.dbname", PG_DB.into()),
                ("topic.prefix", self.prefix.clone()),
                ("slot.name", self.slot.clone()),
                ("publication.name", self.slot.clone()),
                ("publication.autocreate.mode", "filtered".into()),
                ("table.include.list", format!("{s}\\\\..*")),
                ("topic.creation.default.partitions", "1".into()),
                ("topic.creation.default.replication.factor", "1".into()),
                (
                    "key.converter",
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                ("key.converter.schemas.enable", schemas.clone()),
                ("value.converter.schemas.enable", schemas),
            ],
        )?;
        let log = dir.join("ferry.log");
        println!(
            "==> snapshot: starting {} (log {})",
            ferry.display(),
            log.display()
        );
        let started = Instant::now();
        let mut worker = Worker::start(
            ferry,
            stack,
            &dir.join("worker.properties"),
            &dir.join("connector.properties"),
            &log,
        )?;
        let pid = worker.pid();
        let mut counter = TopicCounter::new(stack.kafka_port, &self.topic());
        let mut ready = None;
        let mut first_event = None;
        let timeout = Duration::from_secs(60 + n / 1000);
        let mut last_report = Instant::now();
        while counter.count < n {
            if ready.is_none() && task_running(rest_port) {
                ready = Some(started.elapsed());
            }
            counter.poll(Duration::from_millis(20)).unwrap_or_default();
            if first_event.is_none() && counter.count > 0 {
                first_event = Some(started.elapsed());
            }
            worker.check()?;
            if started.elapsed() > timeout {
                bail!(
                    "snapshot: only {} of {n} events after {timeout:?}",
                    counter.count
                );
            }
            if last_report.elapsed() > Duration::from_secs(5) {
                println!(
                    "    [{:>5.1}s] {} events",
                    started.elapsed().as_secs_f64(),
                    counter.count
                );
                last_report = Instant::now();
            }
        }
        let snapshot = started.elapsed();
        let rss_snapshot_kib = vm_hwm_kib(pid).unwrap_or(0);
        while ready.is_none() && started.elapsed() < Duration::from_secs(10) {
            if task_running(rest_port) {
                ready = Some(started.elapsed());
            }
            sleep(Duration::from_millis(20));
        }
        println!("==> snapshot: {n} events in {:.1}s", snapshot.as_secs_f64());

        println!("==> streaming: inserting {n} rows in transactions of {TX_ROWS}");
        let batches = n / TX_ROWS;
        let insert_sql = format!(
            "DO $$ BEGIN FOR b IN 0..{last} LOOP
               INSERT INTO {s}.items (name, qty, price, ratio, active, created, day, uid, payload)
                 SELECT {cols} FROM generate_series(b * {TX_ROWS} + {from}, b * {TX_ROWS} + {to}) g;
               COMMIT;
             END LOOP; END $$;",
            last = batches - 1,
            cols = COLUMNS,
            from = n + 1,
            to = n + TX_ROWS,
        );
        let stream_start = Instant::now();
        let mut inserter = self
            .psql
            .command(&insert_sql)
            .stdout(Stdio::null())
            .spawn()
            .context("starting psql")?;
        let mut inserting = None;
        let target = 2 * n;
        while counter.count < target {
            counter.poll(Duration::from_millis(20)).unwrap_or_default();
            if inserting.is_none() {
                if let Some(status) = inserter.try_wait()? {
                    if !status.success() {
                        bail!("psql inserting rows failed: {status}");
                    }
                    inserting = Some(stream_start.elapsed());
                }
            }
            worker.check()?;
            if stream_start.elapsed() > timeout {
                bail!(
                    "streaming: only {} of {n} events after {timeout:?}",
                    counter.count - n
                );
            }
            if last_report.elapsed() > Duration::from_secs(5) {
                println!(
                    "    [{:>5.1}s] {} events",
                    stream_start.elapsed().as_secs_f64(),
                    counter.count - n
                );
                last_report = Instant::now();
            }
        }
        let streaming = stream_start.elapsed();
        let inserting = match inserting {
            Some(d) => d,
            None => {
                inserter.wait()?;
                stream_start.elapsed()
            }
        };
        let rss_end_kib = vm_hwm_kib(pid).unwrap_or(0);
        println!(
            "==> streaming: {n} events in {:.1}s",
            streaming.as_secs_f64()
        );
        worker.stop();
        if counter.count > target {
            println!("    note: {} events more than rows", counter.count - target);
        }
        counter.delete_topic();
        TopicCounter::new(
            stack.kafka_port,
            &format!("__debezium-heartbeat.{}", self.prefix),
        )
        .delete_topic();
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Figures {
            snapshot,
            streaming,
            inserting,
            ready: ready.unwrap_or_default(),
            first_event: first_event.unwrap_or_default(),
            rss_snapshot_kib,
            rss_end_kib,
        })
    }

    /// Drops the slot, publication and schema (a leftover slot retains WAL)
    /// and deletes the topics (tansu keeps them in memory).
    fn cleanup(&self) {
        for topic in [
            self.topic(),
            format!("__debezium-heartbeat.{}", self.prefix),
        ] {
            TopicCounter::new(self.kafka_port, &topic).delete_topic();
        }
        self.psql.drop_slot_and_publication(&self.slot);
        let _ = self
            .psql
            .run(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// The nine non-key columns, computed from `g`.
const COLUMNS: &str = "'item ' || g, (g % 1000)::int, (g % 100000) / 100.0, g / 7.0, g % 2 = 0, \
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', date '2024-01-01' + (g % 365)::int, \
    md5(g::text)::uuid, jsonb_build_object('g', g, 'tag', 'bench')";

fn rows_sql(from: u64, to: u64) -> String {
    format!(
        "(name, qty, price, ratio, active, created, day, uid, payload) SELECT {COLUMNS} FROM generate_series({from}, {to}) g"
    )
}

fn task_running(port: u16) -> bool {
    http::get(port, &format!("/connectors/{CONNECTOR}/status"))
        .map(|r| r.status == 200 && r.body.matches("RUNNING").count() >= 2)
        .unwrap_or(false)
}
