//! The custom binary on the real local stack: the sequence source (this
//! crate) → Kafka → the built-in file sink, then a restart that resumes
//! from the stored source offset.

use std::path::Path;
use std::time::Duration;

use ferry_tests::kafka::create_topic;
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{read_lines, test_dir, unique, wait_for};

const BIN: &str = env!("CARGO_BIN_EXE_ferry-custom");

fn numbers(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|n| format!("n-{n}")).collect()
}

fn run_until(dir: &Path, connectors: &[std::path::PathBuf], output: &Path, lines: usize) {
    let port = Worker::port();
    let worker = worker_properties(dir, port, &[]);
    let mut w = Worker::start_binary(Path::new(BIN), dir, &worker, connectors, port);
    wait_for(
        &format!("{lines} lines in the sink's file"),
        Duration::from_secs(60),
        || (read_lines(output).len() >= lines).then_some(()),
    );
    let status = w.terminate(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "worker did not stop cleanly: {status:?}\n{}",
        w.log_text()
    );
}

#[test]
fn sequence_source_runs_beside_the_built_in_file_sink_and_resumes_after_a_restart() {
    let dir = test_dir();
    let topic = unique("sequence");
    create_topic(&topic, 1);
    let output = dir.path().join("output.txt");
    let source = dir.path().join("sequence.properties");
    let sink = dir.path().join("sink.properties");
    let source_name = unique("sequence-source");
    let write_source = |count: &str| {
        write_properties(
            &source,
            &[
                ("name", &source_name),
                ("connector.class", "SequenceSource"),
                ("topic", &topic),
                ("count", count),
                ("prefix", "n-"),
                ("batch.size", "50"),
            ],
        )
    };
    write_properties(
        &sink,
        &[
            ("name", &unique("sink")),
            ("connector.class", "FileStreamSink"),
            ("topics", &topic),
            ("file", output.to_str().unwrap()),
        ],
    );
    let connectors = [source.clone(), sink.clone()];

    write_source("300");
    run_until(dir.path(), &connectors, &output, 300);
    assert_eq!(read_lines(&output), numbers(0..300));

    // A larger count on restart: the source carries on from its stored
    // offset ({"next": 300}), so nothing is sent twice after a clean stop.
    write_source("500");
    run_until(dir.path(), &connectors, &output, 500);
    assert_eq!(read_lines(&output), numbers(0..500));
}

#[test]
fn the_custom_binary_lists_its_connector_beside_the_built_ins() {
    let out = std::process::Command::new(BIN)
        .arg("plugins")
        .output()
        .expect("run ferry-custom plugins");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for class in [
        "com.example.SequenceSourceConnector",
        "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "io.confluent.connect.s3.S3SinkConnector",
        "io.debezium.connector.postgresql.PostgresConnector",
    ] {
        assert!(text.contains(class), "{class} missing from:\n{text}");
    }
}
