//! File source → Kafka (3 partitions) → file sink, through the `ferry`
//! binary on the real local stack: first a clean run, then one with a
//! `kill -9` of the worker in the middle.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_tests::kafka::{committed_offsets, create_topic, read_topic};
use ferry_tests::worker::{stored_offsets, worker_properties, write_properties, Worker};
use ferry_tests::{http_get, read_lines, test_dir, unique, wait_for};

const LINES: usize = 100_000;

fn line(i: usize) -> String {
    format!("line-{i:06}")
}

fn append_lines(path: &Path, range: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut buf = String::new();
    for i in range {
        buf.push_str(&line(i));
        buf.push('\n');
    }
    f.write_all(buf.as_bytes()).unwrap();
}

/// SIGTERM; the worker must exit successfully within 30 s.
fn stop_cleanly(worker: &mut Worker) {
    let exit = worker
        .terminate(Duration::from_secs(30))
        .expect("worker stops on SIGTERM");
    assert!(
        exit.success(),
        "worker exited with {exit:?}\n{}",
        worker.log_text()
    );
}

struct Pipeline {
    dir: tempfile::TempDir,
    topic: String,
    sink_name: String,
    input: PathBuf,
    output: PathBuf,
    worker_file: PathBuf,
    connectors: Vec<PathBuf>,
    port: u16,
}

impl Pipeline {
    fn new() -> Pipeline {
        let dir = test_dir();
        let topic = unique("lines");
        create_topic(&topic, 3);
        let input = dir.path().join("input.txt");
        let output = dir.path().join("output.txt");
        std::fs::write(&input, "").unwrap();
        let port = Worker::port();
        let worker_file = worker_properties(dir.path(), port, &[]);
        let source = dir.path().join("source.properties");
        let sink_name = unique("sink");
        write_properties(
            &source,
            &[
                ("name", &unique("source")),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ],
        );
        let sink = dir.path().join("sink.json");
        let sink_json = serde_json::json!({
            "name": sink_name,
            "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "file": output.to_str().unwrap(),
                "topics": topic,
                "tasks.max": 1
            }
        });
        std::fs::write(&sink, sink_json.to_string()).unwrap();
        Pipeline {
            dir,
            topic,
            sink_name,
            input,
            output,
            worker_file,
            connectors: vec![source, sink],
            port,
        }
    }

    fn start(&self) -> Worker {
        Worker::start(
            self.dir.path(),
            &self.worker_file,
            &self.connectors,
            self.port,
        )
    }

    fn offsets_file_position(&self) -> Option<u64> {
        stored_offsets(self.dir.path())
            .iter()
            .find_map(|o| o["position"].as_u64())
    }

    /// Every record in the topic, by partition, in offset order.
    fn topic_by_partition(&self, at_least: usize) -> BTreeMap<i32, Vec<String>> {
        let mut by_partition: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for r in read_topic(&self.topic, 3, at_least, Duration::from_secs(15)) {
            by_partition.entry(r.partition).or_default().push(r.value);
        }
        by_partition
    }
}

/// Every input line is in the output, and each partition's records appear
/// in the output in partition order: the partition's sequence is a
/// subsequence of the output (replays after a crash may add copies, but
/// never reorder a partition).
fn assert_complete_and_ordered(output: &[String], topic: &BTreeMap<i32, Vec<String>>) {
    let present: HashSet<&str> = output.iter().map(String::as_str).collect();
    let missing: Vec<String> = (0..LINES)
        .map(line)
        .filter(|l| !present.contains(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} lines missing from the output, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    for (partition, values) in topic {
        let mut next = 0;
        for l in output {
            if next < values.len() && *l == values[next] {
                next += 1;
            }
        }
        assert_eq!(
            next,
            values.len(),
            "partition {partition}: its records are not in order in the output; record #{next} ({:?}) is missing after its predecessors",
            values.get(next)
        );
    }
}

/// A running worker passes `/health`, `/health/live` and the ECS task
/// definition's container health check, run as ECS runs it.
fn assert_health_checks_pass(port: u16) {
    let (status, body) = http_get(port, "/health").expect("/health");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "healthy", "{body}");
    let (status, body) = http_get(port, "/health/live").expect("/health/live");
    assert_eq!(status, 200, "{body}");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let task: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/ecs/task-definition.json")).unwrap(),
    )
    .unwrap();
    let command: Vec<String> = task["containerDefinitions"][0]["healthCheck"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().replace("8083", &port.to_string()))
        .collect();
    assert_eq!(command[0], "CMD", "{command:?}");
    let ok = std::process::Command::new(&command[1])
        .args(&command[2..])
        .status()
        .expect("run the ECS health check");
    assert!(ok.success(), "ECS health check {command:?} failed: {ok}");
}

#[test]
fn file_source_to_file_sink_moves_every_line_in_partition_order() {
    let p = Pipeline::new();
    append_lines(&p.input, 0..LINES);
    let mut worker = p.start();
    wait_for(
        "the sink to write every line",
        Duration::from_secs(180),
        || (read_lines(&p.output).len() >= LINES).then_some(()),
    );

    let (status, body) =
        http_get(worker.port, &format!("/connectors/{}/status", p.sink_name)).expect("REST status");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["tasks"][0]["state"], "RUNNING", "{body}");
    assert_eq!(v["type"], "sink");
    let (_, metrics) = http_get(worker.port, "/metrics").expect("metrics");
    assert!(
        metrics.contains("kafka_connect_sink_task_metrics_sink_record_read_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kafka_connect_source_task_metrics_source_record_write_total"),
        "{metrics}"
    );

    assert_health_checks_pass(worker.port);

    stop_cleanly(&mut worker);

    let output = read_lines(&p.output);
    assert_eq!(output.len(), LINES, "a clean run writes each line once");
    let topic = p.topic_by_partition(LINES);
    assert_eq!(
        topic.values().map(Vec::len).sum::<usize>(),
        LINES,
        "a clean run produces each line once"
    );
    assert_eq!(topic.len(), 3, "records spread over the 3 partitions");
    assert_complete_and_ordered(&output, &topic);

    // Offsets were committed on shutdown: the sink group is at the end.
    let committed = committed_offsets(&format!("connect-{}", p.sink_name), &p.topic, 3);
    let total: i64 = committed.values().sum();
    assert_eq!(total as usize, LINES, "committed offsets {committed:?}");
    assert_eq!(
        p.offsets_file_position(),
        Some(std::fs::metadata(&p.input).unwrap().len())
    );
}

#[test]
fn kill_9_in_the_middle_loses_nothing_and_resumes_from_stored_offsets() {
    let p = Pipeline::new();
    let half = LINES / 2;
    append_lines(&p.input, 0..half);
    let mut worker = p.start();
    // Wait until both sides made durable progress, then crash.
    let group = format!("connect-{}", p.sink_name);
    wait_for(
        "offsets to be stored and committed",
        Duration::from_secs(180),
        || {
            let stored = p.offsets_file_position().unwrap_or(0);
            let written = read_lines(&p.output).len();
            (stored > 0
                && written > 1000
                && committed_offsets(&group, &p.topic, 3).values().sum::<i64>() > 0)
                .then_some(())
        },
    );
    worker.kill9();
    let committed_before: i64 = committed_offsets(&group, &p.topic, 3).values().sum();
    let written_before = read_lines(&p.output).len();
    let stored_before = p.offsets_file_position().unwrap();
    let in_topic_before = read_topic(&p.topic, 3, usize::MAX, Duration::from_secs(5)).len();

    append_lines(&p.input, half..LINES);
    let mut worker = p.start();
    wait_for(
        "every line after the restart",
        Duration::from_secs(240),
        || {
            let present: HashSet<String> = read_lines(&p.output).into_iter().collect();
            (present.len() >= LINES).then_some(())
        },
    );
    stop_cleanly(&mut worker);

    let output = read_lines(&p.output);
    let topic = p.topic_by_partition(usize::MAX);
    assert_complete_and_ordered(&output, &topic);

    // The source resumed from its stored position instead of from zero:
    // only lines after the stored offset were sent twice.
    let in_topic = topic.values().map(Vec::len).sum::<usize>();
    let resent = in_topic - LINES;
    assert!(
        resent <= in_topic_before,
        "source re-sent {resent} lines; at most the {in_topic_before} sent before the crash"
    );
    let stored_lines = stored_before as usize / (line(0).len() + 1);
    assert!(
        resent <= in_topic_before.saturating_sub(stored_lines),
        "source re-sent {resent} lines, but {stored_lines} were stored before the crash"
    );
    // The sink resumed from its committed offsets: it wrote every record of
    // the topic, plus replays bounded by what it had written before the crash.
    let replayed = output.len() - in_topic;
    let uncommitted = written_before - committed_before as usize;
    assert!(replayed <= uncommitted, "sink replayed {replayed} records; only the {uncommitted} written after its last commit should be");
}

#[test]
fn source_creates_its_topic_from_topic_creation_settings() {
    let dir = test_dir();
    let topic = unique("created");
    let input = dir.path().join("in.txt");
    append_lines(&input, 0..100);
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let source = dir.path().join("source.properties");
    write_properties(
        &source,
        &[
            ("name", &unique("creating-source")),
            ("connector.class", "FileStreamSource"),
            ("file", input.to_str().unwrap()),
            ("topic", &topic),
            ("topic.creation.default.partitions", "2"),
            ("topic.creation.default.replication.factor", "1"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[source], port);
    let records = wait_for(
        "records in the created topic",
        Duration::from_secs(60),
        || {
            let r = read_topic(&topic, 2, 100, Duration::from_secs(2));
            (r.len() >= 100).then_some(r)
        },
    );
    let partitions: HashSet<i32> = records.iter().map(|r| r.partition).collect();
    assert!(partitions.iter().all(|p| *p < 2), "{partitions:?}");
    assert!(
        worker.log_text().contains("created topic"),
        "{}",
        worker.log_text()
    );
    stop_cleanly(&mut worker);
}
