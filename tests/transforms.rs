//! Single message transforms on the real stack: a source routes its
//! records to another topic, a sink renames the topic it hands to `put`
//! only for the topics its predicate matches, and offsets stay with the
//! topic the records were read from. A bad chain is refused naming keys.

use std::time::Duration;

use ferry_tests::kafka::{committed_offsets, create_topic, read_topic};
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{http_get, read_lines, test_dir, unique, wait_for};

const LINES: usize = 200;

#[test]
fn source_and_sink_transforms_route_records_and_offsets_follow_the_read_topic() {
    let dir = test_dir();
    let base = unique("smt");
    let (raw, routed) = (format!("{base}-raw"), format!("{base}-routed"));
    create_topic(&raw, 1);
    create_topic(&routed, 2);
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let lines: Vec<String> = (0..LINES).map(|i| format!("line {i}")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);

    let source = dir.path().join("source.properties");
    write_properties(
        &source,
        &[
            ("name", &unique("smt-source")),
            ("connector.class", "FileStreamSource"),
            ("file", input.to_str().unwrap()),
            ("topic", &raw),
            ("transforms", "route"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "(.*)-raw"),
            ("transforms.route.replacement", "$1-routed"),
        ],
    );
    let sink_name = unique("smt-sink");
    let sink = dir.path().join("sink.properties");
    write_properties(
        &sink,
        &[
            ("name", &sink_name),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &routed),
            ("transforms", "rename,never"),
            ("transforms.rename.type", "RegexRouter"),
            ("transforms.rename.regex", "(.*)"),
            ("transforms.rename.replacement", "renamed-$1"),
            ("transforms.rename.predicate", "isRouted"),
            // Applies to no record: its predicate matches every topic and is
            // negated (were negate ignored, Filter would drop every line).
            (
                "transforms.never.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.never.predicate", "any"),
            ("transforms.never.negate", "true"),
            ("predicates", "isRouted,any"),
            ("predicates.isRouted.type", "TopicNameMatches"),
            ("predicates.isRouted.pattern", ".*-routed"),
            (
                "predicates.any.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.any.pattern", ".*"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[source, sink], port);
    wait_for(
        "the sink to write every line",
        Duration::from_secs(120),
        || (read_lines(&output).len() >= LINES).then_some(()),
    );

    let mut written = read_lines(&output);
    written.sort();
    let mut expected = lines.clone();
    expected.sort();
    assert_eq!(written, expected, "{}", worker.log_text());
    let on_routed = read_topic(&routed, 2, LINES, Duration::from_secs(5));
    assert_eq!(
        on_routed.len(),
        LINES,
        "the source wrote to the routed topic"
    );
    assert!(
        read_topic(&raw, 1, 1, Duration::from_secs(2)).is_empty(),
        "nothing reached the topic the source task named"
    );

    // The sink renamed the topic before put, yet commits against the topic
    // it read: the group is at the end of the routed topic.
    let group = format!("connect-{sink_name}");
    wait_for("offsets committed", Duration::from_secs(60), || {
        let c = committed_offsets(&group, &routed, 2);
        (c.values().sum::<i64>() as usize == LINES).then_some(c)
    });

    // Kafka's plugin listing (KIP-769) shows the transforms and predicates.
    let (status, body) =
        http_get(port, "/connector-plugins?connectorsOnly=false").expect("plugins");
    assert_eq!(status, 200, "{body}");
    let plugins: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let has = |class: &str, kind: &str| {
        plugins
            .iter()
            .any(|p| p["class"] == class && p["type"] == kind)
    };
    assert!(
        has(
            "org.apache.kafka.connect.transforms.RegexRouter",
            "transformation"
        ),
        "{body}"
    );
    assert!(
        has(
            "io.debezium.transforms.ExtractNewRecordState",
            "transformation"
        ),
        "{body}"
    );
    assert!(
        has(
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "predicate"
        ),
        "{body}"
    );
    assert!(
        has("org.apache.kafka.connect.json.JsonConverter", "converter"),
        "{body}"
    );
    let (_, connectors_only) = http_get(port, "/connector-plugins").expect("plugins");
    assert!(
        !connectors_only.contains("transformation"),
        "{connectors_only}"
    );
    worker.terminate(Duration::from_secs(30));
}

#[test]
fn a_bad_transform_chain_is_refused_naming_each_key() {
    let dir = test_dir();
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let connector = dir.path().join("bad.properties");
    write_properties(
        &connector,
        &[
            ("name", "bad-chain"),
            ("connector.class", "FileStreamSink"),
            ("file", dir.path().join("o.txt").to_str().unwrap()),
            ("topics", "t"),
            ("transforms", "unknown,noType,badRegex,undeclared"),
            ("transforms.unknown.type", "com.example.NoSuchTransform"),
            ("transforms.badRegex.type", "RegexRouter"),
            ("transforms.badRegex.regex", "(unclosed"),
            ("transforms.badRegex.replacement", "x"),
            ("transforms.undeclared.type", "RegexRouter"),
            ("transforms.undeclared.regex", "x"),
            ("transforms.undeclared.replacement", "y"),
            ("transforms.undeclared.predicate", "nope"),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[connector], port);
    let status = worker
        .wait_exit(Duration::from_secs(30))
        .expect("ferry exits on a bad transform chain");
    assert!(!status.success());
    let log = worker.log_text();
    for needle in [
        "transforms.unknown.type = \"com.example.NoSuchTransform\"",
        "Class com.example.NoSuchTransform could not be found",
        "transforms.noType.type: is required",
        "transforms.badRegex.regex = \"(unclosed\": Invalid regex",
        "transforms.undeclared.predicate = \"nope\"",
    ] {
        assert!(log.contains(needle), "missing {needle:?} in\n{log}");
    }
}
