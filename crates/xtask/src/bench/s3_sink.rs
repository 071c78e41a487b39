//! `cargo xtask bench s3-sink [--records N] [--case a|b|c]...`: the S3
//! sink through the release `ferry` binary against the local tansu and
//! SeaweedFS, compared with a plain rdkafka consumer reading the same
//! records and discarding them (the ceiling), in the same run.
//!
//! A second baseline is the store itself: the objects the sink wrote,
//! copied byte for byte under another prefix with multipart uploads (same
//! part size, 4 in flight) and no Kafka, with the S3 server's CPU time
//! during both runs — on a small machine the local SeaweedFS competes with
//! the sink for the same cores (and compresses `.json` objects).
//!
//! Cases (default N = 1,000,000):
//! - a: N schemaless JSON records of ~1 KB over 4 partitions → JsonFormat;
//! - b: N records with a 10-field schema (JsonConverter envelope) over 4
//!   partitions → ParquetFormat, snappy;
//! - c: N ~1 KB JSON records over 200 partitions, `s3.part.size` 25 MiB →
//!   JsonFormat (memory with many open files).
//!
//! `flush.size` divides each partition's records, so the sink is done when
//! the expected number of objects exists; time runs from the start of the
//! process (consumer group join included) for both the sink and the
//! ceiling. Records, bytes, CPU seconds and peak RSS come from each
//! process's own `/proc` entries. The Kafka and S3 client work is done by
//! the `ferry-bench` helper binary (xtask uses only std).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ferry_process::{
    cpu_seconds, cpu_seconds_of, free_port, vm_hwm_kib, write_properties, Worker,
};
use super::flags;
use crate::bail;
use crate::env::Stack;
use crate::error::{Context, Result};
use crate::kafka;

const DEFAULT_RECORDS: u64 = 1_000_000;
/// Objects per Kafka partition in cases a and b.
const FILES_PER_PARTITION: u64 = 5;

/// One benchmark case.
#[derive(Clone, Copy)]
struct Case {
    id: char,
    title: &'static str,
    partitions: u64,
    shape: &'static str,
    schemas: bool,
    format: &'static str,
    extension: &'static str,
    extra: &'static [(&'static str, &'static str)],
}

const CASES: [Case; 3] = [
    Case {
        id: 'a',
        title: "schemaless JSON ~1 KB → JsonFormat, 4 partitions",
        partitions: 4,
        shape: "json1k",
        schemas: false,
        format: "io.confluent.connect.s3.format.json.JsonFormat",
        extension: ".json",
        extra: &[],
    },
    Case {
        id: 'b',
        title: "10-field schema → ParquetFormat snappy, 4 partitions",
        partitions: 4,
        shape: "schema10",
        schemas: true,
        format: "io.confluent.connect.s3.format.parquet.ParquetFormat",
        extension: ".snappy.parquet",
        extra: &[("parquet.codec", "snappy")],
    },
    Case {
        id: 'c',
        title: "~1 KB JSON → JsonFormat, 200 partitions, s3.part.size 25 MiB",
        partitions: 200,
        shape: "json1k",
        schemas: false,
        format: "io.confluent.connect.s3.format.json.JsonFormat",
        extension: ".json",
        extra: &[("s3.part.size", "26214400")],
    },
];

struct Args {
    records: u64,
    cases: Vec<Case>,
}

const USAGE: &str = "usage: cargo xtask bench s3-sink [--records N] [--case a|b|c]...";

fn parse_args(args: &[String]) -> Result<Args> {
    let mut out = Args {
        records: DEFAULT_RECORDS,
        cases: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--records" => out.records = flags::count(&mut it, "--records")?,
            "--case" => {
                let v = flags::value(&mut it, "--case", "a, b or c")?;
                match CASES.iter().find(|c| v.len() == 1 && v.starts_with(c.id)) {
                    Some(c) => out.cases.push(*c),
                    None => bail!("unknown case {v:?}; {USAGE}"),
                }
            }
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    if out.cases.is_empty() {
        out.cases = CASES.to_vec();
    }
    for c in &out.cases {
        if !out
            .records
            .is_multiple_of(c.partitions * FILES_PER_PARTITION)
        {
            bail!(
                "--records must be a multiple of {} (case {})",
                c.partitions * FILES_PER_PARTITION,
                c.id
            );
        }
    }
    Ok(out)
}

/// Figures of one process reading every record.
#[derive(Default)]
struct Run {
    seconds: f64,
    cpu_s: f64,
    peak_rss_kib: u64,
}

struct Outcome {
    case: Case,
    records: u64,
    bytes: u64,
    ceiling: Run,
    ferry: Run,
    objects: u64,
    object_bytes: u64,
    /// The S3 server's CPU seconds while the sink ran.
    s3_server_cpu_sink: f64,
    /// The same object bytes uploaded with no Kafka (the store's ceiling).
    upload: Run,
    s3_server_cpu_upload: f64,
}

/// CPU seconds the local S3 server (SeaweedFS, `weed`) has used so far.
fn s3_server_cpu() -> f64 {
    cpu_seconds_of("weed")
}

/// Runs the benchmark and prints the table.
pub fn main(args: &[String]) -> Result<()> {
    let args = parse_args(args)?;
    let (stack, release) = super::prepare(&["-p", "ferry", "-p", "ferry-bench"])?;
    let tools = Tools {
        ferry: release.join("ferry"),
        bench: release.join("ferry-bench"),
        stack,
    };
    let run_id = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut outcomes = Vec::new();
    for case in &args.cases {
        outcomes.push(tools.run_case(*case, args.records, run_id)?);
    }
    print_table(&outcomes);
    Ok(())
}

struct Tools {
    ferry: PathBuf,
    bench: PathBuf,
    stack: Stack,
}

impl Tools {
    /// Runs `ferry-bench <args>` and parses its `key=value` line.
    fn bench(&self, args: &[&str]) -> Result<Vec<(String, f64)>> {
        let mut cmd = Command::new(&self.bench);
        cmd.args(args)
            .envs(self.stack.client_env())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        let out = cmd
            .output()
            .with_context(|| format!("running {}", self.bench.display()))?;
        if !out.status.success() {
            bail!("ferry-bench {} failed ({})", args.join(" "), out.status);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .split_whitespace()
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect())
    }

    fn run_case(&self, case: Case, records: u64, run_id: u64) -> Result<Outcome> {
        let topic = format!("bench-s3-{}-{run_id}", case.id);
        let topics_dir = format!("bench-{run_id}");
        let prefix = format!("{topics_dir}/{topic}/");
        let n = records.to_string();
        let brokers = self.stack.kafka_bootstrap();
        println!("\n==> case {}: {}", case.id, case.title);
        println!("==> producing {records} records into {topic}");
        let produced = self.bench(&[
            "produce",
            "--brokers",
            &brokers,
            "--topic",
            &topic,
            "--partitions",
            &case.partitions.to_string(),
            "--records",
            &n,
            "--shape",
            case.shape,
        ])?;
        let bytes = get(&produced, "bytes") as u64;
        println!(
            "    {records} records, {:.0} MB in {:.1} s",
            bytes as f64 / 1e6,
            get(&produced, "seconds")
        );

        println!("==> ceiling: plain rdkafka consumer");
        let c = self.bench(&[
            "consume",
            "--brokers",
            &brokers,
            "--topic",
            &topic,
            "--records",
            &n,
        ])?;
        let ceiling = Run {
            seconds: get(&c, "seconds"),
            cpu_s: get(&c, "cpu_s"),
            peak_rss_kib: get(&c, "peak_rss_kib") as u64,
        };
        println!(
            "    {:.1} s, {:.0} records/s",
            ceiling.seconds,
            records as f64 / ceiling.seconds
        );

        println!("==> ferry S3 sink");
        let server_before = s3_server_cpu();
        let result = self.run_sink(case, records, &topic, &topics_dir, &prefix);
        let s3_server_cpu_sink = s3_server_cpu() - server_before;
        let _ = kafka::delete_topic(self.stack.kafka_port, &topic);
        let (ferry, objects, object_bytes) = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = self.bench(&["delete-prefix", "--prefix", &format!("{topics_dir}/")]);
                return Err(e);
            }
        };
        println!(
            "    {:.1} s, {:.0} records/s, peak RSS {} MiB",
            ferry.seconds,
            records as f64 / ferry.seconds,
            ferry.peak_rss_kib / 1024
        );

        println!("==> S3 ceiling: the same bytes uploaded without Kafka");
        let part_bytes = case
            .extra
            .iter()
            .find(|(k, _)| *k == "s3.part.size")
            .map_or("26214400", |(_, v)| v);
        // The objects ferry wrote, copied under another prefix: the same
        // names and bytes (SeaweedFS, for one, compresses `.json` objects).
        // They are downloaded to a local directory first, so the S3
        // server's CPU below counts the upload only.
        let copy_dir = std::env::temp_dir().join(format!("ferry-bench-{topics_dir}"));
        let downloaded = self.bench(&[
            "download",
            "--prefix",
            &format!("{topics_dir}/"),
            "--dir",
            &copy_dir.to_string_lossy(),
        ]);
        let _ = self.bench(&["delete-prefix", "--prefix", &format!("{topics_dir}/")]);
        let server_before = s3_server_cpu();
        let up = downloaded.and_then(|_| {
            self.bench(&[
                "upload",
                "--prefix",
                &format!("{topics_dir}-upload/"),
                "--from-dir",
                &copy_dir.to_string_lossy(),
                "--part-bytes",
                part_bytes,
                "--concurrency",
                "4",
            ])
        });
        let s3_server_cpu_upload = s3_server_cpu() - server_before;
        let _ = std::fs::remove_dir_all(&copy_dir);
        let up = up?;
        let _ = self.bench(&[
            "delete-prefix",
            "--prefix",
            &format!("{topics_dir}-upload/"),
        ]);
        let upload = Run {
            seconds: get(&up, "seconds"),
            cpu_s: get(&up, "cpu_s"),
            peak_rss_kib: get(&up, "peak_rss_kib") as u64,
        };
        println!("    {:.1} s", upload.seconds);
        Ok(Outcome {
            case,
            records,
            bytes,
            ceiling,
            ferry,
            objects,
            object_bytes,
            s3_server_cpu_sink,
            upload,
            s3_server_cpu_upload,
        })
    }

    fn run_sink(
        &self,
        case: Case,
        records: u64,
        topic: &str,
        topics_dir: &str,
        prefix: &str,
    ) -> Result<(Run, u64, u64)> {
        let dir = std::env::temp_dir().join(format!("ferry-bench-{topic}"));
        std::fs::create_dir_all(&dir)?;
        let per_partition = records / case.partitions;
        let flush_size = if case.partitions > 4 {
            per_partition
        } else {
            per_partition / FILES_PER_PARTITION
        };
        let expected_objects = records / flush_size;
        let name = format!("bench-s3-{}", case.id);
        write_properties(
            &dir.join("worker.properties"),
            &[
                ("bootstrap.servers", self.stack.kafka_bootstrap()),
                (
                    "key.converter",
                    "org.apache.kafka.connect.storage.StringConverter".into(),
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.json.JsonConverter".into(),
                ),
                (
                    "offset.storage.file.filename",
                    dir.join("offsets.json").display().to_string(),
                ),
                ("listeners", format!("http://127.0.0.1:{}", free_port()?)),
                // As for the ceiling consumer: tansu holds every fetch for
                // up to this long, however much data it has.
                ("consumer.fetch.max.wait.ms", "10".into()),
            ],
        )?;
        let mut connector = vec![
            ("name", name),
            (
                "connector.class",
                "io.confluent.connect.s3.S3SinkConnector".into(),
            ),
            ("tasks.max", "1".into()),
            ("topics", topic.to_string()),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter".into(),
            ),
            ("value.converter.schemas.enable", case.schemas.to_string()),
            ("ferry.task.restart.on.failure", "false".into()),
            ("s3.bucket.name", crate::env::S3_BUCKET.into()),
            ("store.url", self.stack.s3_endpoint()),
            ("s3.region", "us-east-1".into()),
            ("s3.path.style.access.enabled", "true".into()),
            ("topics.dir", topics_dir.to_string()),
            ("format.class", case.format.into()),
            ("flush.size", flush_size.to_string()),
            (
                "ferry.s3.spill.dir",
                dir.join("spill").display().to_string(),
            ),
        ];
        connector.extend(case.extra.iter().map(|(k, v)| (*k, v.to_string())));
        write_properties(&dir.join("connector.properties"), &connector)?;

        let log = dir.join("ferry.log");
        let started = Instant::now();
        let mut worker = Worker::start(
            &self.ferry,
            &self.stack,
            &dir.join("worker.properties"),
            &dir.join("connector.properties"),
            &log,
        )?;
        let pid = worker.pid();
        // The waiter lists S3 every 100 ms until every object exists.
        let mut waiter = Command::new(&self.bench)
            .args([
                "wait-objects",
                "--prefix",
                prefix,
                "--suffix",
                case.extension,
            ])
            .args(["--count", &expected_objects.to_string()])
            .envs(self.stack.client_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting ferry-bench wait-objects")?;
        let status = loop {
            if let Some(status) = waiter.try_wait()? {
                break status;
            }
            if let Err(e) = worker.check() {
                let _ = waiter.kill();
                return Err(e);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let seconds = started.elapsed().as_secs_f64();
        let cpu_s = cpu_seconds(pid).unwrap_or(0.0);
        let peak_rss_kib = vm_hwm_kib(pid).unwrap_or(0);
        worker.stop();
        let mut out = String::new();
        if let Some(mut s) = waiter.stdout.take() {
            use std::io::Read;
            let _ = s.read_to_string(&mut out);
        }
        if !status.success() {
            bail!(
                "the sink did not write {expected_objects} objects (log {})",
                log.display()
            );
        }
        let figures: Vec<(String, f64)> = out
            .split_whitespace()
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        Ok((
            Run {
                seconds,
                cpu_s,
                peak_rss_kib,
            },
            get(&figures, "objects") as u64,
            get(&figures, "bytes") as u64,
        ))
    }
}

fn get(figures: &[(String, f64)], key: &str) -> f64 {
    figures
        .iter()
        .find(|(k, _)| k == key)
        .map_or(0.0, |(_, v)| *v)
}

fn print_table(outcomes: &[Outcome]) {
    println!();
    println!("S3 sink (release ferry, 1 task) vs a plain rdkafka consumer (Kafka ceiling) and a plain multipart upload of the same object bytes (S3 ceiling), same run");
    println!("| case | records | Kafka ceiling records/s | ferry records/s | ferry / Kafka ceiling | ferry MB/s | ferry CPU s/GB | ferry peak RSS | S3 ceiling: upload time | ferry time | S3 server CPU s: ferry run / upload | objects |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for o in outcomes {
        let gb = o.bytes as f64 / 1e9;
        let ceiling = o.records as f64 / o.ceiling.seconds;
        let ferry = o.records as f64 / o.ferry.seconds;
        println!(
            "| {}: {} | {} ({:.0} MB) | {:.0} | {:.0} | **{:.0}%** | {:.1} | {:.1} (consumer {:.1}) | **{} MiB** | {:.1} s | {:.1} s | {:.1} / {:.1} | {} ({:.0} MB) |",
            o.case.id,
            o.case.title,
            o.records,
            o.bytes as f64 / 1e6,
            ceiling,
            ferry,
            100.0 * ferry / ceiling,
            o.bytes as f64 / 1e6 / o.ferry.seconds,
            o.ferry.cpu_s / gb,
            o.ceiling.cpu_s / gb,
            o.ferry.peak_rss_kib / 1024,
            o.upload.seconds,
            o.ferry.seconds,
            o.s3_server_cpu_sink,
            o.s3_server_cpu_upload,
            o.objects,
            o.object_bytes as f64 / 1e6,
        );
    }
}
