//! The PostgreSQL → Kafka → S3 lake that MSK Connect and Debezium users
//! configure: Debezium's `ExtractNewRecordState` (with `add.fields` and
//! deletes rewritten) and `RegexRouter` on the source, Confluent's S3 sink
//! on the renamed topics. A predicate unwraps one table only.

use std::time::Duration;

use ferry_tests::kafka::create_topic;
use ferry_tests::pg::{connector_properties_owned, exec, Fixture};
use ferry_tests::s3_sink::{serial, Sink, JSON_SCHEMALESS};
use ferry_tests::test_dir;
use ferry_tests::worker::{worker_properties, Worker};
use serde_json::{json, Value};

/// Every JSON line of the objects under `dir` (relative to `topics.dir`),
/// in object order.
fn lines_under(sink: &Sink, dir: &str) -> Vec<Value> {
    let mut objects: Vec<String> = sink
        .objects()
        .into_iter()
        .filter(|o| o.starts_with(dir))
        .collect();
    objects.sort();
    objects
        .iter()
        .flat_map(|o| {
            sink.get(o)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn unwrapped_and_routed_rows_land_in_s3_under_the_renamed_topic() {
    let _one_sink_at_a_time = serial();
    let f = Fixture::new("lake");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.orders (id int PRIMARY KEY, item text NOT NULL, qty int NOT NULL);
         ALTER TABLE {s}.orders REPLICA IDENTITY FULL;
         CREATE TABLE {s}.notes (id int PRIMARY KEY, body text);
         INSERT INTO {s}.orders VALUES (1, 'apple', 3), (2, 'pear', 1);
         INSERT INTO {s}.notes VALUES (1, 'hi');"
    ));
    let orders = format!("{}-lake-orders", f.prefix);
    let notes = format!("{}-lake-notes", f.prefix);
    create_topic(&orders, 1);
    create_topic(&notes, 1);
    create_topic(&format!("__debezium-heartbeat.{}", f.prefix), 1);

    let dir = test_dir();
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let mut settings = f.schemaless_settings();
    for (k, v) in [
        ("transforms", "unwrap,route"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        ("transforms.unwrap.add.fields", "op,table,lsn"),
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        ),
        ("transforms.unwrap.predicate", "isOrders"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "([^.]+)\\.[^.]+\\.([^.]+)"),
        ("transforms.route.replacement", "$1-lake-$2"),
        ("predicates", "isOrders"),
        (
            "predicates.isOrders.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.isOrders.pattern", ".*\\.orders"),
    ] {
        settings.push((k.to_string(), v.to_string()));
    }
    let source = connector_properties_owned(dir.path(), "pg-lake", &settings);
    let mut source_worker = Worker::start(dir.path(), &worker_file, &[source], port);

    let topics = format!("{orders},{notes}");
    let mut props = vec![
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("flush.size", "1"),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ];
    props.extend_from_slice(JSON_SCHEMALESS);
    let sink = Sink::new(("topics", &topics), &props);
    let mut sink_worker = sink.start();

    sink.wait_objects(3, 120);
    exec(&format!(
        "UPDATE {s}.orders SET qty = 5 WHERE id = 1;
         DELETE FROM {s}.orders WHERE id = 2;"
    ));
    let objects = sink.wait_objects(5, 120);
    assert!(
        objects
            .iter()
            .all(|o| o.starts_with(&format!("{orders}/partition=0/"))
                || o.starts_with(&format!("{notes}/partition=0/"))),
        "objects only under the renamed topics: {objects:?}"
    );

    let rows = lines_under(&sink, &format!("{orders}/"));
    let shown: Vec<Value> = rows
        .iter()
        .map(|r| {
            assert!(r["__lsn"].is_i64(), "an LSN in {r}");
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("__lsn");
            r
        })
        .collect();
    assert_eq!(
        shown,
        [
            json!({"id":1,"item":"apple","qty":3,"__op":"r","__table":"orders","__deleted":"false"}),
            json!({"id":2,"item":"pear","qty":1,"__op":"r","__table":"orders","__deleted":"false"}),
            json!({"id":1,"item":"apple","qty":5,"__op":"u","__table":"orders","__deleted":"false"}),
            json!({"id":2,"item":"pear","qty":1,"__op":"d","__table":"orders","__deleted":"true"}),
        ],
        "flattened rows, the delete rewritten and its tombstone dropped"
    );

    // The predicate kept the other table's Debezium envelope.
    let notes_rows = lines_under(&sink, &format!("{notes}/"));
    assert_eq!(notes_rows.len(), 1, "{notes_rows:?}");
    assert_eq!(notes_rows[0]["op"], "r");
    assert_eq!(notes_rows[0]["after"], json!({"id":1,"body":"hi"}));

    sink_worker.terminate(Duration::from_secs(30));
    source_worker.terminate(Duration::from_secs(30));
}
