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
//! first event is in Kafka, the ferry process's peak RSS (VmHWM), and per
//! phase the CPU seconds of ferry, tansu, PostgreSQL, this benchmark's own
//! topic reader and the whole machine (from `/proc`), to tell whether
//! ferry is CPU-bound or waiting on the broker.
//! Events are counted by fetching the topic (record-batch headers), not
//! from watermarks. JsonConverter with `schemas.enable=true` (Kafka
//! Connect's default) unless `--no-schemas`. Default N: 1,000,000.
//!
//! `--transforms [--runs R]` measures what the transforms most Debezium →
//! S3 lakes configure cost: Debezium's `ExtractNewRecordState`
//! (`add.fields=op,table,lsn`, `delete.tombstone.handling.mode=rewrite`)
//! and `RegexRouter` (to `<prefix>.lake.items`), against the same run
//! without transforms. R rounds (default 3) of both cases, alternating
//! which goes first, each on a freshly restarted broker (tansu's memory
//! engine slows as it fills); prints the median and range of each figure
//! and the ratio of the medians. Default N in this mode: 200,000.

use std::path::Path;
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ferry_process::{free_port, proc_cpu, vm_hwm_kib, write_properties, Worker};
use super::flags;
use super::stats::Spread;
use super::topic_counter::TopicCounter;
use crate::bail;
use crate::env::{Stack, PG_DB, PG_PASSWORD, PG_USER};
use crate::error::{Context, Result};
use crate::psql::Psql;
use crate::{http, kafka};

const DEFAULT_ROWS: u64 = 1_000_000;
const TX_ROWS: u64 = 1_000;
const CONNECTOR: &str = "bench-pg-cdc";

struct Args {
    rows: u64,
    schemas: bool,
    /// `--producer key=value`: extra producer settings of the worker.
    producer: Vec<(String, String)>,
    /// `--transforms`: compare with and without transforms.
    transforms: bool,
    /// `--runs R`: rounds of the comparison.
    runs: u64,
}

/// Rows of one comparison run unless `--rows` says otherwise.
const COMPARE_ROWS: u64 = 200_000;

fn parse_args(args: &[String]) -> Result<Args> {
    let mut out = Args {
        rows: DEFAULT_ROWS,
        schemas: true,
        producer: Vec::new(),
        transforms: false,
        runs: 3,
    };
    let mut rows = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => rows = Some(flags::count(&mut it, "--rows")?),
            "--no-schemas" => out.schemas = false,
            "--transforms" => out.transforms = true,
            "--runs" => out.runs = flags::count(&mut it, "--runs")?,
            "--producer" => {
                let v = flags::value(&mut it, "--producer", "key=value")?;
                let (k, v) = v
                    .split_once('=')
                    .with_context(|| format!("--producer {v}: expected key=value"))?;
                out.producer.push((k.to_string(), v.to_string()));
            }
            other => bail!("unknown argument {other:?}; usage: cargo xtask bench postgres-cdc [--rows N] [--no-schemas] [--producer key=value]... [--transforms [--runs R]]"),
        }
    }
    out.rows = rows.unwrap_or(if out.transforms {
        COMPARE_ROWS
    } else {
        DEFAULT_ROWS
    });
    if out.rows < TX_ROWS || !out.rows.is_multiple_of(TX_ROWS) {
        bail!("--rows must be a multiple of {TX_ROWS}");
    }
    if out.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(out)
}

/// Runs the benchmark and prints the table.
pub fn main(args: &[String]) -> Result<()> {
    let args = parse_args(args)?;
    let (stack, release) = super::prepare(&["-p", "ferry", "--bin", "ferry"])?;
    let ferry = release.join("ferry");
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    if args.transforms {
        return compare(&args, &stack, &ferry, run);
    }
    let bench = Bench::new(&stack, &run.to_string(), args.rows, false);
    let result = bench.run(&stack, &ferry, args.schemas, &args.producer);
    bench.cleanup();
    let r = result?;
    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    println!();
    println!(
        "PostgreSQL CDC → Kafka, {} rows, 10 columns, JsonConverter schemas.enable={}{}",
        args.rows,
        args.schemas,
        args.producer
            .iter()
            .map(|(k, v)| format!(", producer.{k}={v}"))
            .collect::<String>()
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
    for (phase, cpu) in [
        ("snapshot", &r.cpu_snapshot),
        ("streaming", &r.cpu_streaming),
    ] {
        println!("| CPU during {phase} | {} |", cpu.describe());
    }
    Ok(())
}

/// Cumulative CPU seconds (user + system) at one moment.
#[derive(Clone, Copy, Default)]
struct CpuSample {
    at: Option<Instant>,
    ferry: f64,
    tansu: f64,
    postgres: f64,
    /// This benchmark process (the topic reader).
    bench: f64,
    /// Every CPU of the machine, busy time.
    machine: f64,
}

/// CPU seconds spent between two samples.
struct CpuUse {
    wall: f64,
    ferry: f64,
    tansu: f64,
    postgres: f64,
    bench: f64,
    machine: f64,
}

impl CpuUse {
    fn describe(&self) -> String {
        let pct = |s: f64| 100.0 * s / self.wall.max(1e-9);
        format!(
            "wall {:.1} s; ferry {:.1} s ({:.0}% of one core), tansu {:.1} s ({:.0}%), PostgreSQL {:.1} s ({:.0}%), \
             topic reader {:.1} s ({:.0}%); machine busy {:.1} s ({:.0}% of {} cores)",
            self.wall,
            self.ferry,
            pct(self.ferry),
            self.tansu,
            pct(self.tansu),
            self.postgres,
            pct(self.postgres),
            self.bench,
            pct(self.bench),
            self.machine,
            pct(self.machine) / cores() as f64,
            cores()
        )
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl CpuSample {
    /// Reads `/proc`: ferry by pid, tansu and PostgreSQL by process name
    /// (PostgreSQL's exited backends through the postmaster's reaped
    /// children), the machine from `/proc/stat`.
    fn take(ferry_pid: u32) -> CpuSample {
        let mut s = CpuSample {
            at: Some(Instant::now()),
            ..CpuSample::default()
        };
        s.ferry = proc_cpu(&ferry_pid.to_string(), false).map_or(0.0, |(_, c)| c);
        s.bench = proc_cpu("self", false).map_or(0.0, |(_, c)| c);
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let Some(pid) = name
                    .to_str()
                    .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                let Some((comm, own)) = proc_cpu(pid, false) else {
                    continue;
                };
                match comm.as_str() {
                    "tansu" => s.tansu += own,
                    "postgres" => {
                        // Only the postmaster (whose parent is not postgres)
                        // counts its reaped children, so nothing is counted twice.
                        let postmaster = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                            .ok()
                            .and_then(|st| {
                                let ppid = st
                                    .rsplit_once(')')?
                                    .1
                                    .split_whitespace()
                                    .nth(1)?
                                    .to_string();
                                proc_cpu(&ppid, false).map(|(c, _)| c != "postgres")
                            })
                            .unwrap_or(false);
                        s.postgres += proc_cpu(pid, postmaster).map_or(0.0, |(_, c)| c);
                    }
                    _ => {}
                }
            }
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/stat") {
            if let Some(line) = stat.lines().next() {
                // cpu user nice system idle iowait irq softirq steal ...
                let v: Vec<f64> = line
                    .split_whitespace()
                    .skip(1)
                    .map(|x| x.parse().unwrap_or(0.0))
                    .collect();
                let busy: f64 = v
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
                    .map(|(_, x)| *x)
                    .sum();
                s.machine = busy / 100.0;
            }
        }
        s
    }

    fn since(&self, start: &CpuSample) -> CpuUse {
        let wall = match (self.at, start.at) {
            (Some(a), Some(b)) => a.duration_since(b).as_secs_f64(),
            _ => 0.0,
        };
        CpuUse {
            wall,
            ferry: self.ferry - start.ferry,
            tansu: self.tansu - start.tansu,
            postgres: self.postgres - start.postgres,
            bench: self.bench - start.bench,
            machine: self.machine - start.machine,
        }
    }
}

struct Figures {
    snapshot: Duration,
    streaming: Duration,
    inserting: Duration,
    ready: Duration,
    first_event: Duration,
    rss_snapshot_kib: u64,
    rss_end_kib: u64,
    cpu_snapshot: CpuUse,
    cpu_streaming: CpuUse,
}

struct Bench {
    psql: Psql,
    schema: String,
    slot: String,
    prefix: String,
    rows: u64,
    kafka_port: u16,
    /// With `ExtractNewRecordState` + `RegexRouter`.
    transforms: bool,
}

impl Bench {
    /// A run on its own schema, slot and topics, named after `id`.
    fn new(stack: &Stack, id: &str, rows: u64, transforms: bool) -> Bench {
        Bench {
            psql: Psql {
                port: stack.pg_port,
            },
            schema: format!("bench_{id}"),
            slot: format!("bench_{id}"),
            prefix: format!("bench{id}"),
            rows,
            kafka_port: stack.kafka_port,
            transforms,
        }
    }

    /// The topic the events land in: Debezium's `<prefix>.<schema>.items`,
    /// or where the router sends them.
    fn topic(&self) -> String {
        if self.transforms {
            format!("{}.lake.items", self.prefix)
        } else {
            format!("{}.{}.items", self.prefix, self.schema)
        }
    }

    /// The connector's transforms for the run.
    fn transform_props(&self) -> Vec<(&'static str, String)> {
        if !self.transforms {
            return Vec::new();
        }
        vec![
            ("transforms", "unwrap,route".into()),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState".into(),
            ),
            ("transforms.unwrap.add.fields", "op,table,lsn".into()),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "rewrite".into(),
            ),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter".into(),
            ),
            // Escaped for the properties file: the regex is ([^.]+)\.[^.]+\.([^.]+).
            (
                "transforms.route.regex",
                "([^.]+)\\\\.[^.]+\\\\.([^.]+)".into(),
            ),
            ("transforms.route.replacement", "$1.lake.$2".into()),
        ]
    }

    fn run(
        &self,
        stack: &Stack,
        ferry: &Path,
        schemas: bool,
        producer: &[(String, String)],
    ) -> Result<Figures> {
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
        let producer: Vec<(String, String)> = producer
            .iter()
            .map(|(k, v)| (format!("producer.{k}"), v.clone()))
            .collect();
        let mut worker_props = vec![
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
        ];
        for (k, v) in &producer {
            worker_props.retain(|(key, _)| key != k);
            worker_props.push((k.as_str(), v.clone()));
        }
        write_properties(&dir.join("worker.properties"), &worker_props)?;
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
            ]
            .into_iter()
            .chain(self.transform_props())
            .collect::<Vec<_>>(),
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
        let cpu_start = CpuSample::take(pid);
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
        let cpu_snapshot = CpuSample::take(pid).since(&cpu_start);
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
        let cpu_stream_start = CpuSample::take(pid);
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
        let cpu_streaming = CpuSample::take(pid).since(&cpu_stream_start);
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
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Figures {
            snapshot,
            streaming,
            inserting,
            ready: ready.unwrap_or_default(),
            first_event: first_event.unwrap_or_default(),
            rss_snapshot_kib,
            rss_end_kib,
            cpu_snapshot,
            cpu_streaming,
        })
    }

    /// Drops the slot, publication and schema (a leftover slot retains WAL)
    /// and deletes the topics (tansu keeps them in memory).
    fn cleanup(&self) {
        for topic in [
            format!("{}.{}.items", self.prefix, self.schema),
            format!("{}.lake.items", self.prefix),
            format!("__debezium-heartbeat.{}", self.prefix),
        ] {
            let _ = kafka::delete_topic(self.kafka_port, &topic);
        }
        self.psql.drop_slot_and_publication(&self.slot);
        let _ = self
            .psql
            .run(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// `--transforms`: rounds of both cases, each on a restarted broker;
/// prints medians, ranges and the ratio of the medians.
fn compare(args: &Args, stack: &Stack, ferry: &Path, run: u64) -> Result<()> {
    let mut figures: [Vec<Figures>; 2] = [Vec::new(), Vec::new()];
    for round in 0..args.runs {
        // Alternate which case goes first, so drift favours neither.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for transforms in order {
            println!(
                "==> round {}/{}: {}; restarting the broker",
                round + 1,
                args.runs,
                case_name(transforms)
            );
            crate::stack::restart_kafka(stack)?;
            let id = format!("{run}_{round}_{}", u8::from(transforms));
            let bench = Bench::new(stack, &id, args.rows, transforms);
            let result = bench.run(stack, ferry, args.schemas, &args.producer);
            bench.cleanup();
            figures[usize::from(transforms)].push(result?);
        }
    }
    let n = args.rows as f64;
    type Measure = (&'static str, usize, fn(&Figures, f64) -> f64);
    let measures: [Measure; 7] = [
        ("snapshot, events/s", 0, |f, n| n / f.snapshot.as_secs_f64()),
        ("streaming, events/s", 0, |f, n| {
            n / f.streaming.as_secs_f64()
        }),
        ("ferry CPU per event, snapshot (µs)", 1, |f, n| {
            f.cpu_snapshot.ferry / n * 1e6
        }),
        ("ferry CPU per event, streaming (µs)", 1, |f, n| {
            f.cpu_streaming.ferry / n * 1e6
        }),
        ("machine CPU per event, streaming (µs)", 1, |f, n| {
            f.cpu_streaming.machine / n * 1e6
        }),
        ("peak RSS after snapshot (MiB)", 1, |f, _| {
            f.rss_snapshot_kib as f64 / 1024.0
        }),
        ("peak RSS at the end (MiB)", 1, |f, _| {
            f.rss_end_kib as f64 / 1024.0
        }),
    ];
    println!();
    println!(
        "PostgreSQL CDC → Kafka, {} rows per phase, {} rounds, JsonConverter schemas.enable={}; median (range)",
        args.rows, args.runs, args.schemas
    );
    println!(
        "| measure | {} | {} | ratio of medians |",
        case_name(false),
        case_name(true)
    );
    println!("|---|---|---|---|");
    for (name, decimals, measure) in measures {
        let spread =
            |fs: &[Figures]| Spread::of(&fs.iter().map(|f| measure(f, n)).collect::<Vec<_>>());
        let (without, with) = (spread(&figures[0]), spread(&figures[1]));
        println!(
            "| {name} | {} | {} | {:.3} |",
            without.describe(decimals),
            with.describe(decimals),
            with.median / without.median.max(1e-12)
        );
    }
    Ok(())
}

fn case_name(transforms: bool) -> &'static str {
    if transforms {
        "ExtractNewRecordState + RegexRouter"
    } else {
        "no transforms"
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
