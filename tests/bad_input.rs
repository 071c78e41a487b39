//! Bad input is refused or reported clearly, and nothing is lost.

use std::time::Duration;

use ferry_tests::kafka::{committed_offsets, create_topic, produce};
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{http_get, read_lines, test_dir, unique, wait_for};

#[test]
fn connector_file_with_two_invalid_keys_is_refused_naming_both() {
    let dir = test_dir();
    let worker_file = worker_properties(dir.path(), Worker::port(), &[]);
    let connector = dir.path().join("bad.properties");
    write_properties(
        &connector,
        &[
            ("name", "bad-source"),
            ("connector.class", "FileStreamSource"),
            ("file", "/tmp/whatever.txt"),
            ("topic", "a,b"),
            ("batch.size", "zero"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[connector], Worker::port());
    let status = worker
        .wait_exit(Duration::from_secs(30))
        .expect("ferry exits on a bad config");
    assert!(!status.success());
    let log = worker.log_text();
    assert!(log.contains("topic = \"a,b\""), "{log}");
    assert!(log.contains("must be a single topic"), "{log}");
    assert!(log.contains("batch.size = \"zero\""), "{log}");
    assert!(log.contains("expected a 32-bit integer"), "{log}");
}

#[test]
fn unknown_connector_class_lists_the_available_ones() {
    let dir = test_dir();
    let worker_file = worker_properties(dir.path(), Worker::port(), &[]);
    let connector = dir.path().join("c.properties");
    write_properties(
        &connector,
        &[
            ("name", "x"),
            ("connector.class", "com.example.Nope"),
            ("topics", "t"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[connector], Worker::port());
    let status = worker
        .wait_exit(Duration::from_secs(30))
        .expect("ferry exits");
    assert!(!status.success());
    let log = worker.log_text();
    assert!(log.contains("com.example.Nope"), "{log}");
    assert!(
        log.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"),
        "{log}"
    );
}

#[test]
fn invalid_json_record_fails_the_sink_task_naming_its_offset() {
    let dir = test_dir();
    let topic = unique("json-in");
    create_topic(&topic, 1);
    produce(
        &topic,
        0,
        &[
            br#"{"a":1}"#,
            br#"{"a":2}"#,
            b"this is not json",
            br#"{"a":4}"#,
        ],
    );
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let output = dir.path().join("out.txt");
    let name = unique("json-sink");
    let connector = dir.path().join("sink.properties");
    write_properties(
        &connector,
        &[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("ferry.task.restart.on.failure", "false"),
        ],
    );
    let worker = Worker::start(dir.path(), &worker_file, &[connector], port);
    let trace = wait_for("the task to fail", Duration::from_secs(90), || {
        let (_, body) = http_get(port, &format!("/connectors/{name}/tasks/0/status"))?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        (v["state"] == "FAILED").then(|| v["trace"].as_str().unwrap_or_default().to_string())
    });
    assert!(
        trace.contains(&format!("{topic}-0@2")),
        "trace names topic-partition@offset: {trace}"
    );
    assert!(
        trace.contains("JsonConverter"),
        "trace names the converter: {trace}"
    );
    assert!(
        worker.log_text().contains(&format!("{topic}-0@2")),
        "the log names the record too"
    );
    // Nothing at or after the bad record is committed.
    std::thread::sleep(Duration::from_secs(2));
    let committed = committed_offsets(&format!("connect-{name}"), &topic, 1);
    assert!(
        committed.get(&0).copied().unwrap_or(0) <= 2,
        "committed {committed:?}"
    );
    let lines = read_lines(&output);
    assert!(
        !lines.iter().any(|l| l.contains('4')),
        "no record after the bad one was written: {lines:?}"
    );
}

#[test]
fn a_task_failed_by_the_same_record_after_a_restart_stays_failed() {
    let dir = test_dir();
    let topic = unique("restart-in");
    create_topic(&topic, 1);
    produce(&topic, 0, &[b"not json either"]);
    let port = Worker::port();
    let worker_file = worker_properties(
        dir.path(),
        port,
        &[
            ("ferry.task.restart.backoff.initial.ms", "200"),
            ("ferry.task.restart.backoff.max.ms", "400"),
        ],
    );
    let name = unique("restart-sink");
    let connector = dir.path().join("sink.properties");
    write_properties(
        &connector,
        &[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", dir.path().join("out.txt").to_str().unwrap()),
            ("topics", &topic),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ],
    );
    let worker = Worker::start(dir.path(), &worker_file, &[connector], port);
    // The bad record failed the first run; the task was restarted once,
    // failed on the same record again, and now stays FAILED instead of
    // restarting forever.
    let status_path = format!("/connectors/{name}/tasks/0/status");
    let trace = wait_for("the task to stay FAILED", Duration::from_secs(120), || {
        let (_, body) = http_get(port, &status_path)?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let trace = v["trace"].as_str().unwrap_or_default().to_string();
        (v["state"] == "FAILED" && trace.contains("same record again")).then_some(trace)
    });
    assert!(trace.contains(&format!("{topic}-0@0")), "{trace}");
    let restarts = || -> Option<f64> {
        let (_, metrics) = http_get(port, "/metrics")?;
        metrics
            .lines()
            .find(|l| l.starts_with("ferry_task_restarts_total") && l.contains(&name))?
            .rsplit(' ')
            .next()?
            .parse()
            .ok()
    };
    assert_eq!(restarts(), Some(1.0), "one automatic restart");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(restarts(), Some(1.0), "and no more");
    let log = worker.log_text();
    assert!(log.contains("restarting failed task"), "{log}");
    assert!(log.contains("the same record failed it twice"), "{log}");
}
