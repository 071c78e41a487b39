//! S3 sink features end to end, one connector each, against the real
//! stack (tansu → `ferry` → SeaweedFS), objects read back with fastavro or
//! plain JSON: `schema.compatibility`, record-time and scheduled rotation
//! (idle partitions), key and header sidecar objects,
//! `behavior.on.null.values`, `topics.regex`.

use std::time::{Duration, Instant};

use ferry_tests::kafka::{committed_offsets, create_topic};
use ferry_tests::s3;
use ferry_tests::s3_sink::{serial, Sink, JSON_WITH_SCHEMA};
use ferry_tests::{bootstrap, unique};
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// A record to produce: everything optional.
#[derive(Default, Clone)]
struct Rec {
    key: Option<String>,
    value: Option<String>,
    headers: Vec<(String, String)>,
    timestamp: Option<i64>,
}

impl Rec {
    fn value(v: impl Into<String>) -> Rec {
        Rec {
            value: Some(v.into()),
            ..Rec::default()
        }
    }
}

/// Produces records to partition 0 and waits for the acknowledgements.
fn produce(topic: &str, records: &[Rec]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for r in records {
        let mut rec = BaseRecord::<str, str>::to(topic).partition(0);
        if let Some(k) = &r.key {
            rec = rec.key(k.as_str());
        }
        if let Some(v) = &r.value {
            rec = rec.payload(v.as_str());
        }
        if let Some(ts) = r.timestamp {
            rec = rec.timestamp(ts);
        }
        if !r.headers.is_empty() {
            let mut h = OwnedHeaders::new();
            for (k, v) in &r.headers {
                h = h.insert(Header {
                    key: k,
                    value: Some(v.as_str()),
                });
            }
            rec = rec.headers(h);
        }
        producer.send(rec).map_err(|(e, _)| e).expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// What JsonFormat writes for StringConverter values: JSON strings, one
/// per line.
fn json_lines(values: &[&str]) -> String {
    values.iter().map(|v| format!("\"{v}\"\n")).collect()
}

/// A `com.example.User` value: version 1 has `id`, `name`; version 2 adds
/// an optional `email`.
fn user(version: i32, id: i32) -> String {
    let (extra_field, extra_value) = if version >= 2 {
        (
            r#",{"field":"email","type":"string","optional":true}"#,
            format!(r#","email":"u{id}@example.com""#),
        )
    } else {
        ("", String::new())
    };
    format!(
        r#"{{"schema":{{"type":"struct","name":"com.example.User","version":{version},"optional":false,"fields":[{{"field":"id","type":"int32"}},{{"field":"name","type":"string"}}{extra_field}]}},"payload":{{"id":{id},"name":"u{id}"{extra_value}}}}}"#
    )
}

#[test]
fn backward_compatibility_projects_older_records_into_the_newer_file() {
    let _serial = serial();
    let topic = unique("compat");
    create_topic(&topic, 1);
    let mut props = vec![
        ("format.class", "AvroFormat"),
        ("schema.compatibility", "BACKWARD"),
        ("flush.size", "5"),
    ];
    props.extend_from_slice(JSON_WITH_SCHEMA);
    let sink = Sink::new(("topics", &topic), &props);
    // v1 ×3, v2 ×2, then v1 again ×3: with NONE this would be three files.
    let versions = [1, 1, 1, 2, 2, 1, 1, 1];
    let records: Vec<Rec> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| Rec::value(user(*v, i as i32)))
        .collect();
    produce(&topic, &records);
    let _worker = sink.start();
    // 0..2 rotate out when v2 arrives; 3..7 (flush.size 5) fill the v2 file.
    sink.wait_committed(&topic, 8, 90);
    let objects = sink.objects();
    assert_eq!(
        objects,
        vec![
            format!("{topic}/partition=0/{topic}+0+0000000000.avro"),
            format!("{topic}/partition=0/{topic}+0+0000000003.avro"),
        ]
    );
    let out = sink.read_avro(
        "**/*.avro",
        r#"s = r.writer_schema
print(s["name"], s.get("connect.version"), [x["name"] for x in s["fields"]], [(x["id"], x.get("email")) for x in r])"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "com.example.User 1 ['id', 'name'] [(0, None), (1, None), (2, None)]",
            "com.example.User 2 ['id', 'name', 'email'] [(3, 'u3@example.com'), (4, 'u4@example.com'), (5, None), (6, None), (7, None)]",
        ],
        "{out}"
    );
}

#[test]
fn backward_compatibility_fails_on_a_schema_without_version_naming_the_record() {
    let _serial = serial();
    let topic = unique("compatnv");
    create_topic(&topic, 1);
    let mut props = vec![
        ("format.class", "AvroFormat"),
        ("schema.compatibility", "BACKWARD"),
        ("flush.size", "10"),
    ];
    props.extend_from_slice(JSON_WITH_SCHEMA);
    let sink = Sink::new(("topics", &topic), &props);
    let unversioned = user(1, 1).replace(r#""version":1,"#, "");
    produce(
        &topic,
        &[Rec::value(user(1, 0)), Rec::value(unversioned.clone())],
    );
    let _worker = sink.start();
    let trace = sink.wait_failed(90);
    assert!(trace.contains(&format!("{topic}-0@1")), "{trace}");
    assert!(
        trace.contains("Schema version required for BACKWARD compatibility"),
        "{trace}"
    );
    assert!(sink.objects().is_empty());
}

#[test]
fn rotate_interval_rotates_on_record_time_and_commits_an_idle_file() {
    let _serial = serial();
    let topic = unique("rotint");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("path.format", "'hour'=HH"),
            ("partition.duration.ms", "3600000"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
            ("rotate.interval.ms", "10000"),
            ("flush.size", "1000"),
        ],
    );
    // 2024-05-01T13:45:00Z + seconds: a file spans < 10 s of record time.
    let t0 = 1_714_571_100_000;
    let secs = [0, 1, 2, 11, 12, 25];
    let records: Vec<Rec> = secs
        .iter()
        .enumerate()
        .map(|(i, s)| Rec {
            value: Some(format!("{i}")),
            timestamp: Some(t0 + s * 1000),
            ..Rec::default()
        })
        .collect();
    produce(&topic, &records);
    let _worker = sink.start();
    let first = sink.wait_objects(2, 90);
    let open_since = Instant::now();
    let dir = format!("{topic}/hour=13");
    assert_eq!(
        first,
        vec![
            format!("{dir}/{topic}+0+0000000000.json"),
            format!("{dir}/{topic}+0+0000000003.json"),
        ]
    );
    assert_eq!(sink.get(&first[0]), json_lines(&["0", "1", "2"]));
    assert_eq!(sink.get(&first[1]), json_lines(&["3", "4"]));
    // Record 5 (25 s) opened a third file; nothing more arrives, so it is
    // committed after rotate.interval.ms of wall time without records.
    let all = sink.wait_objects(3, 60);
    assert_eq!(all[2], format!("{dir}/{topic}+0+0000000005.json"));
    assert_eq!(sink.get(&all[2]), json_lines(&["5"]));
    assert!(
        open_since.elapsed() < Duration::from_secs(30),
        "idle file committed after {:?}",
        open_since.elapsed()
    );
    sink.wait_committed(&topic, 6, 30);
}

#[test]
fn rotate_schedule_commits_an_idle_partition_within_seconds() {
    let _serial = serial();
    let topic = unique("rotsched");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            ("rotate.schedule.interval.ms", "2000"),
            ("timezone", "UTC"),
            ("flush.size", "1000"),
        ],
    );
    let records: Vec<Rec> = (0..5).map(|i| Rec::value(format!("{i}"))).collect();
    produce(&topic, &records);
    let _worker = sink.start();
    // Nothing but the schedule can commit these 5 records (flush.size is
    // 1000 and no more records come).
    let objects = sink.wait_objects(1, 60);
    assert_eq!(
        objects,
        vec![format!("{topic}/partition=0/{topic}+0+0000000000.json")]
    );
    assert_eq!(
        sink.get(&objects[0]),
        json_lines(&["0", "1", "2", "3", "4"])
    );
    sink.wait_committed(&topic, 5, 15);
    // Later records go to a new file, committed on the next boundary.
    produce(&topic, &[Rec::value("5"), Rec::value("6")]);
    let objects = sink.wait_objects(2, 30);
    assert_eq!(
        objects[1],
        format!("{topic}/partition=0/{topic}+0+0000000005.json")
    );
    assert_eq!(sink.get(&objects[1]), json_lines(&["5", "6"]));
    sink.wait_committed(&topic, 7, 15);
}

#[test]
fn key_and_header_sidecars_match_each_data_file() {
    let _serial = serial();
    let topic = unique("sidecar");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            ("store.kafka.keys", "true"),
            ("store.kafka.headers", "true"),
            // keys: the default AvroFormat; headers: JSON (enveloped).
            ("headers.format.class", "JsonFormat"),
            ("flush.size", "4"),
        ],
    );
    let records: Vec<Rec> = (0..10)
        .map(|i| Rec {
            key: Some(format!("k{i}")),
            value: Some(format!("v{i}")),
            headers: vec![
                ("trace".into(), format!("t{i}")),
                ("n".into(), format!("{i}")),
            ],
            timestamp: None,
        })
        .collect();
    produce(&topic, &records);
    let _worker = sink.start();
    sink.wait_committed(&topic, 8, 90);
    let p = format!("{topic}/partition=0/{topic}+0+");
    assert_eq!(
        sink.objects(),
        vec![
            format!("{p}0000000000.headers.json"),
            format!("{p}0000000000.json"),
            format!("{p}0000000000.keys.avro"),
            format!("{p}0000000004.headers.json"),
            format!("{p}0000000004.json"),
            format!("{p}0000000004.keys.avro"),
        ]
    );
    assert_eq!(
        sink.get(&format!("{p}0000000004.json")),
        "\"v4\"\n\"v5\"\n\"v6\"\n\"v7\"\n"
    );
    // Confluent's JSON header view: {"headers":[{"key":…,"value":…}]},
    // header values as strings (SimpleHeaderConverter parsed "4" as a
    // number; Values.convertToString prints it back).
    let headers = sink.get(&format!("{p}0000000004.headers.json"));
    let lines: Vec<&str> = headers.lines().collect();
    assert_eq!(lines.len(), 4, "{headers}");
    assert_eq!(
        lines[0],
        r#"{"headers":[{"key":"trace","value":"t4"},{"key":"n","value":"4"}]}"#
    );
    let out = sink.read_avro("**/*.keys.avro", "print(r.writer_schema, [x for x in r])");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "['null', 'string'] ['k0', 'k1', 'k2', 'k3']",
            "['null', 'string'] ['k4', 'k5', 'k6', 'k7']",
        ],
        "{out}"
    );
}

#[test]
fn avro_header_sidecars_hold_arrays_of_key_value_records() {
    let _serial = serial();
    let topic = unique("hdravro");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            ("store.kafka.headers", "true"),
            ("flush.size", "2"),
        ],
    );
    let records: Vec<Rec> = (0..2)
        .map(|i| Rec {
            value: Some(format!("v{i}")),
            headers: vec![("a".into(), format!("x{i}")), ("b".into(), "true".into())],
            ..Rec::default()
        })
        .collect();
    produce(&topic, &records);
    let _worker = sink.start();
    sink.wait_committed(&topic, 2, 90);
    let p = format!("{topic}/partition=0/{topic}+0+0000000000");
    assert_eq!(
        sink.objects(),
        vec![format!("{p}.headers.avro"), format!("{p}.json")]
    );
    let root = sink.download();
    let out = s3::python(&format!(
        r#"
import fastavro
with open("{root}/{p}.headers.avro", "rb") as fh:
    r = fastavro.reader(fh)
    s = r.writer_schema
    print(s["type"], [f["name"] for f in s["items"]["fields"]])
    for x in r:
        print(x)
"#
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "array ['key', 'value']",
            "[{'key': 'a', 'value': 'x0'}, {'key': 'b', 'value': 'true'}]",
            "[{'key': 'a', 'value': 'x1'}, {'key': 'b', 'value': 'true'}]",
        ],
        "{out}"
    );
}

#[test]
fn null_values_ignored_are_skipped_and_their_offsets_committed() {
    let _serial = serial();
    let topic = unique("nullign");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            ("behavior.on.null.values", "ignore"),
            ("flush.size", "2"),
        ],
    );
    let records = vec![
        Rec::value("a"),
        Rec::default(),
        Rec::value("b"),
        Rec::default(),
        Rec::default(),
    ];
    produce(&topic, &records);
    let _worker = sink.start();
    // The trailing tombstones (3, 4) leave nothing open: all 5 committed.
    sink.wait_committed(&topic, 5, 90);
    let objects = sink.objects();
    assert_eq!(
        objects,
        vec![format!("{topic}/partition=0/{topic}+0+0000000000.json")]
    );
    assert_eq!(sink.get(&objects[0]), "\"a\"\n\"b\"\n");
}

#[test]
fn null_values_written_go_to_the_tombstone_partition_as_keys_only() {
    let _serial = serial();
    let topic = unique("nullwrite");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[
            ("format.class", "JsonFormat"),
            ("behavior.on.null.values", "write"),
            ("store.kafka.keys", "true"),
            ("keys.format.class", "JsonFormat"),
            ("flush.size", "4"),
        ],
    );
    let keyed = |k: &str, v: Option<&str>| Rec {
        key: Some(k.into()),
        value: v.map(str::to_string),
        ..Rec::default()
    };
    produce(
        &topic,
        &[
            keyed("k0", Some("v0")),
            keyed("k1", None),
            keyed("k2", Some("v2")),
            keyed("k3", None),
        ],
    );
    let _worker = sink.start();
    sink.wait_committed(&topic, 4, 90);
    let data = format!("{topic}/partition=0/{topic}+0+0000000000");
    let tomb = format!("{topic}/tombstone/{topic}+0+0000000001");
    assert_eq!(
        sink.objects(),
        vec![
            format!("{data}.json"),
            format!("{data}.keys.json"),
            format!("{tomb}.keys.json"),
        ]
    );
    assert_eq!(sink.get(&format!("{data}.json")), "\"v0\"\n\"v2\"\n");
    assert_eq!(sink.get(&format!("{data}.keys.json")), "\"k0\"\n\"k2\"\n");
    assert_eq!(sink.get(&format!("{tomb}.keys.json")), "\"k1\"\n\"k3\"\n");
}

#[test]
fn null_values_fail_by_default_naming_the_record() {
    let _serial = serial();
    let topic = unique("nullfail");
    create_topic(&topic, 1);
    let sink = Sink::new(
        ("topics", &topic),
        &[("format.class", "JsonFormat"), ("flush.size", "1")],
    );
    produce(&topic, &[Rec::value("a"), Rec::default(), Rec::value("c")]);
    let _worker = sink.start();
    let trace = sink.wait_failed(90);
    assert!(trace.contains(&format!("{topic}-0@1")), "{trace}");
    assert!(trace.contains("behavior.on.null.values"), "{trace}");
    // Record 0 went to S3 on its own (flush.size 1); nothing after it.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        sink.objects(),
        vec![format!("{topic}/partition=0/{topic}+0+0000000000.json")]
    );
    // The failed record is never committed.
    let group = format!("connect-{}", sink.name);
    let committed = committed_offsets(&group, &topic, 1);
    assert!(committed.get(&0).is_none_or(|o| *o <= 1), "{committed:?}");
}

#[test]
fn topics_regex_picks_up_matching_topics_only() {
    let _serial = serial();
    let base = unique("rx");
    let (a, b, other) = (format!("{base}-a"), format!("{base}-b"), unique("rxother"));
    for t in [&a, &b, &other] {
        create_topic(t, 1);
        produce(
            t,
            &[Rec::value(format!("{t}-0")), Rec::value(format!("{t}-1"))],
        );
    }
    let regex = format!("{base}-.*");
    let sink = Sink::new(
        ("topics.regex", &regex),
        &[("format.class", "JsonFormat"), ("flush.size", "2")],
    );
    let _worker = sink.start();
    let objects = sink.wait_objects(2, 90);
    assert_eq!(
        objects,
        vec![
            format!("{a}/partition=0/{a}+0+0000000000.json"),
            format!("{b}/partition=0/{b}+0+0000000000.json"),
        ]
    );
    assert_eq!(sink.get(&objects[0]), format!("\"{a}-0\"\n\"{a}-1\"\n"));
    // The other topic is never read.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.objects().len(), 2);
    let group = format!("connect-{}", sink.name);
    assert!(committed_offsets(&group, &other, 1).is_empty());
}
