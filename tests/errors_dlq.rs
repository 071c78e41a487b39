//! `errors.tolerance=all` with a dead-letter queue on the real stack: every
//! good record reaches the sink once, every bad one (a value the converter
//! cannot read, or one a transform fails on) is in the DLQ topic with its
//! original bytes and Kafka Connect's `__connect.errors.*` headers, the
//! error metrics count them, and the offsets cover them all.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_tests::kafka::{committed_offsets, create_topic, produce, produce_nullable};
use ferry_tests::pg::read_keyed;
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{http_get, read_lines, test_dir, unique, wait_for};

const RECORDS: usize = 2_000;

/// Record `i`: every 100th is not JSON, every 100th + 50 has a field the
/// `Cast` transform cannot turn into a number; the rest are good.
fn record(i: usize) -> Vec<u8> {
    match i % 100 {
        0 => format!("not json {i}").into_bytes(),
        50 => format!(r#"{{"n":"x{i}"}}"#).into_bytes(),
        _ => format!(r#"{{"n":"{i}"}}"#).into_bytes(),
    }
}

fn metric(port: u16, name: &str, connector: &str) -> Option<f64> {
    let (_, text) = http_get(port, "/metrics")?;
    text.lines()
        .find(|l| l.starts_with(name) && l.contains(&format!("connector=\"{connector}\"")))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[test]
fn bad_records_go_to_the_dead_letter_queue_and_good_ones_through_once() {
    let dir = test_dir();
    let topic = unique("dlq-in");
    let dlq = unique("dlq-out");
    create_topic(&topic, 1);
    let values: Vec<Vec<u8>> = (0..RECORDS).map(record).collect();
    for chunk in values.chunks(500) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        produce(&topic, 0, &refs);
    }
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let output = dir.path().join("out.txt");
    let name = unique("dlq-sink");
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
            ("transforms", "toInt"),
            (
                "transforms.toInt.type",
                "org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ("transforms.toInt.spec", "n:int32"),
            ("errors.tolerance", "all"),
            ("errors.log.enable", "true"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[connector], port);
    let bad = RECORDS / 50;
    let good = RECORDS - bad;
    wait_for(
        "every good record in the file",
        Duration::from_secs(120),
        || (read_lines(&output).len() >= good).then_some(()),
    );

    let lines = read_lines(&output);
    assert_eq!(lines.len(), good, "each good record once");
    let expected: BTreeSet<String> = (0..RECORDS)
        .filter(|i| !i.is_multiple_of(50))
        .map(|i| format!("{{n={i}}}"))
        .collect();
    assert_eq!(lines.iter().cloned().collect::<BTreeSet<_>>(), expected);

    let dead = read_keyed(&dlq, bad, Duration::from_secs(20));
    assert_eq!(dead.len(), bad, "every bad record in the DLQ once");
    for d in &dead {
        let offset: usize = d
            .header("__connect.errors.offset")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            d.value.as_deref().map(str::as_bytes),
            Some(record(offset).as_slice()),
            "the original bytes"
        );
        assert_eq!(d.header("__connect.errors.topic"), Some(topic.as_str()));
        assert_eq!(d.header("__connect.errors.partition"), Some("0"));
        assert_eq!(
            d.header("__connect.errors.connector.name"),
            Some(name.as_str())
        );
        assert_eq!(d.header("__connect.errors.task.id"), Some("0"));
        let (stage, class) = if offset.is_multiple_of(100) {
            (
                "VALUE_CONVERTER",
                "org.apache.kafka.connect.json.JsonConverter",
            )
        } else {
            (
                "TRANSFORMATION",
                "org.apache.kafka.connect.transforms.Cast$Value",
            )
        };
        assert_eq!(d.header("__connect.errors.stage"), Some(stage), "{d:?}");
        assert_eq!(
            d.header("__connect.errors.class.name"),
            Some(class),
            "{d:?}"
        );
        assert!(
            d.header("__connect.errors.exception.message")
                .unwrap()
                .contains(&format!("{topic}-0@{offset}")),
            "{d:?}"
        );
    }

    let group = format!("connect-{name}");
    wait_for("every offset committed", Duration::from_secs(60), || {
        (committed_offsets(&group, &topic, 1).get(&0) == Some(&(RECORDS as i64))).then_some(())
    });
    for (metric_name, want) in [
        ("kafka_connect_task_error_metrics_total_record_errors", bad),
        (
            "kafka_connect_task_error_metrics_total_records_skipped",
            bad,
        ),
        ("kafka_connect_task_error_metrics_total_errors_logged", bad),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
            bad,
        ),
    ] {
        assert_eq!(
            metric(port, metric_name, &name),
            Some(want as f64),
            "{metric_name}"
        );
    }
    let (_, status) = http_get(port, &format!("/connectors/{name}/status")).unwrap();
    assert!(status.contains("RUNNING"), "{status}");
    assert!(
        worker
            .log_text()
            .contains("error in record processing, skipping it"),
        "errors.log.enable logs the skipped records"
    );
    worker.terminate(Duration::from_secs(30));
}

/// The issue's scale: 100,000 records, 1% malformed, into S3.
#[test]
fn with_100k_records_and_1_percent_malformed_every_good_one_lands_in_s3_once() {
    use ferry_tests::s3_sink::{serial, Sink, JSON_SCHEMALESS};
    const N: usize = 100_000;
    let _one_sink_at_a_time = serial();
    let topic = unique("dlq-s3-in");
    let dlq = unique("dlq-s3-out");
    create_topic(&topic, 1);
    let value = |i: usize| -> Vec<u8> {
        if i % 100 == 7 {
            format!("{{broken {i}").into_bytes()
        } else {
            format!(r#"{{"n":{i}}}"#).into_bytes()
        }
    };
    let values: Vec<Vec<u8>> = (0..N).map(value).collect();
    for chunk in values.chunks(10_000) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        produce(&topic, 0, &refs);
    }
    let bad = N / 100;
    let good = N - bad;
    let mut props = vec![
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        // 99,000 good records: exactly ten full objects.
        ("flush.size", "9900"),
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", dlq.as_str()),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ];
    props.extend_from_slice(JSON_SCHEMALESS);
    let sink = Sink::new(("topics", &topic), &props);
    let mut worker = sink.start();
    let objects = sink.wait_objects(10, 300);
    sink.wait_committed(&topic, N as i64, 120);

    let mut seen = BTreeSet::new();
    let mut lines = 0;
    for o in &objects {
        for line in sink.get(o).lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            seen.insert(v["n"].as_u64().expect("n") as usize);
            lines += 1;
        }
    }
    assert_eq!(lines, good, "each good record exactly once");
    let expected: BTreeSet<usize> = (0..N).filter(|i| i % 100 != 7).collect();
    assert_eq!(seen, expected);

    let dead = read_keyed(&dlq, bad, Duration::from_secs(30));
    assert_eq!(dead.len(), bad, "every malformed record in the DLQ");
    let offsets: BTreeSet<usize> = dead
        .iter()
        .map(|d| {
            assert_eq!(d.header("__connect.errors.stage"), Some("VALUE_CONVERTER"));
            let offset = d
                .header("__connect.errors.offset")
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                d.value.as_deref().map(str::as_bytes),
                Some(value(offset).as_slice())
            );
            offset
        })
        .collect();
    assert_eq!(
        offsets,
        (0..N).filter(|i| i % 100 == 7).collect::<BTreeSet<_>>()
    );
    assert_eq!(
        metric(
            sink.port,
            "kafka_connect_task_error_metrics_total_records_skipped",
            &sink.name
        ),
        Some(bad as f64)
    );
    worker.terminate(Duration::from_secs(30));
}

/// The S3 sink's own errant records (KIP-610): with `errors.tolerance=all`
/// a record its format cannot write (AvroFormat and a value without a
/// schema) and a null value under `behavior.on.null.values=ignore` are
/// reported through the task's errant record reporter, as Confluent's
/// sink does: both land in the DLQ with stage `TASK_PUT`, the rest in S3,
/// and the offsets cover all of them.
#[test]
fn the_s3_sink_reports_records_its_format_cannot_write() {
    use ferry_tests::s3_sink::{serial, Sink, JSON_WITH_SCHEMA};
    let _one_sink_at_a_time = serial();
    let topic = unique("errant-s3-in");
    let dlq = unique("errant-s3-out");
    create_topic(&topic, 1);
    let row = |n: usize| {
        format!(
            r#"{{"schema":{{"type":"struct","name":"row","fields":[{{"field":"n","type":"int32"}}]}},"payload":{{"n":{n}}}}}"#
        )
    };
    let schemaless = r#"{"schema":null,"payload":{"n":3}}"#.to_string();
    let values: Vec<Option<String>> = (0..10)
        .map(|i| match i {
            3 => Some(schemaless.clone()),
            6 => None,
            _ => Some(row(i)),
        })
        .collect();
    let refs: Vec<Option<&[u8]>> = values
        .iter()
        .map(|v| v.as_deref().map(str::as_bytes))
        .collect();
    produce_nullable(&topic, 0, &refs);
    let mut props = vec![
        (
            "format.class",
            "io.confluent.connect.s3.format.avro.AvroFormat",
        ),
        ("flush.size", "4"),
        ("behavior.on.null.values", "ignore"),
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", dlq.as_str()),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ];
    props.extend_from_slice(JSON_WITH_SCHEMA);
    let sink = Sink::new(("topics", &topic), &props);
    let mut worker = sink.start();
    let objects = sink.wait_objects(2, 120);
    sink.wait_committed(&topic, 10, 120);
    assert_eq!(
        objects,
        vec![
            format!("{topic}/partition=0/{topic}+0+0000000000.avro"),
            format!("{topic}/partition=0/{topic}+0+0000000005.avro"),
        ]
    );
    let rows = sink.read_avro("**/*.avro", "print([x['n'] for x in r])");
    assert_eq!(rows.trim(), "[0, 1, 2, 4]\n[5, 7, 8, 9]");

    let dead = read_keyed(&dlq, 2, Duration::from_secs(30));
    assert_eq!(dead.len(), 2, "both errant records in the DLQ");
    for d in &dead {
        assert_eq!(d.header("__connect.errors.stage"), Some("TASK_PUT"));
        assert_eq!(d.header("__connect.errors.topic"), Some(topic.as_str()));
        assert_eq!(
            d.header("__connect.errors.exception.class.name"),
            Some("org.apache.kafka.connect.errors.DataException")
        );
    }
    assert_eq!(dead[0].header("__connect.errors.offset"), Some("3"));
    let message = dead[0]
        .header("__connect.errors.exception.message")
        .unwrap();
    assert!(
        message.contains("AvroFormat needs a value with a schema"),
        "{message}"
    );
    // Serialized again with the connector's converter: the same JSON.
    let sent: serde_json::Value = serde_json::from_str(dead[0].value.as_deref().unwrap()).unwrap();
    assert_eq!(
        sent,
        serde_json::from_str::<serde_json::Value>(&schemaless).unwrap()
    );
    assert_eq!(dead[1].header("__connect.errors.offset"), Some("6"));
    assert_eq!(dead[1].value, None);
    assert!(dead[1]
        .header("__connect.errors.exception.message")
        .unwrap()
        .contains("Skipping null value record."));

    let m = |name: &str| metric(sink.port, name, &sink.name);
    assert_eq!(
        m("kafka_connect_task_error_metrics_total_record_failures"),
        Some(2.0)
    );
    assert_eq!(
        m("kafka_connect_task_error_metrics_total_records_skipped"),
        Some(2.0)
    );
    assert_eq!(
        m("kafka_connect_task_error_metrics_deadletterqueue_produce_requests"),
        Some(2.0)
    );
    assert!(m("kafka_connect_task_error_metrics_last_error_timestamp").unwrap() > 1.7e12);
    worker.terminate(Duration::from_secs(30));
}
