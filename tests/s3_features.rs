//! S3 sink features end to end, one connector each, against the real
//! stack (tansu → `ferry` → SeaweedFS), objects read back with fastavro:
//! `schema.compatibility`.

use std::path::PathBuf;
use std::time::Duration;

use ferry_tests::kafka::{committed_offsets, create_topic};
use ferry_tests::s3;
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{bootstrap, http_get, test_dir, unique, wait_for};
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// One S3 sink connector on its own worker.
struct Sink {
    dir: tempfile::TempDir,
    name: String,
    topics_dir: String,
    worker_file: PathBuf,
    connector: PathBuf,
    port: u16,
}

impl Sink {
    /// `subscription` is `("topics", …)` or `("topics.regex", …)`.
    fn new(subscription: (&str, &str), props: &[(&str, &str)]) -> Sink {
        let dir = test_dir();
        let name = unique("s3feat");
        let topics_dir = unique("feat");
        let port = Worker::port();
        let worker_file = worker_properties(dir.path(), port, &[]);
        let connector = dir.path().join("s3.properties");
        let (endpoint, bucket) = (s3::endpoint(), s3::bucket());
        let mut pairs: Vec<(&str, &str)> = vec![
            ("name", &name),
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            subscription,
            ("tasks.max", "1"),
            ("s3.bucket.name", &bucket),
            ("store.url", &endpoint),
            ("s3.region", "us-east-1"),
            ("topics.dir", &topics_dir),
            ("ferry.task.restart.on.failure", "false"),
        ];
        pairs.extend_from_slice(props);
        write_properties(&connector, &pairs);
        Sink {
            dir,
            name,
            topics_dir,
            worker_file,
            connector,
            port,
        }
    }

    fn start(&self) -> Worker {
        Worker::start(
            self.dir.path(),
            &self.worker_file,
            std::slice::from_ref(&self.connector),
            self.port,
        )
    }

    /// Data objects (not the `_ferry` state), relative to `topics.dir`.
    fn objects(&self) -> Vec<String> {
        let prefix = format!("{}/", self.topics_dir);
        s3::list(&prefix)
            .into_iter()
            .filter(|k| !k.contains("/_ferry/"))
            .map(|k| k[prefix.len()..].to_string())
            .collect()
    }

    fn wait_committed(&self, topic: &str, offset: i64, secs: u64) {
        let group = format!("connect-{}", self.name);
        wait_for(
            &format!("offset {offset} committed"),
            Duration::from_secs(secs),
            || (committed_offsets(&group, topic, 1).get(&0) == Some(&offset)).then_some(()),
        );
    }

    /// Downloads every data object; returns the local root.
    fn download(&self) -> String {
        let local = self.dir.path().join("lake");
        s3::download(&format!("{}/", self.topics_dir), &local);
        local.to_str().expect("path").to_string()
    }

    /// The task's trace once it FAILED.
    fn wait_failed(&self, secs: u64) -> String {
        let path = format!("/connectors/{}/tasks/0/status", self.name);
        wait_for("the task to fail", Duration::from_secs(secs), || {
            let (_, body) = http_get(self.port, &path)?;
            let v: serde_json::Value = serde_json::from_str(&body).ok()?;
            (v["state"] == "FAILED").then(|| v["trace"].as_str().unwrap_or_default().to_string())
        })
    }
}

/// The sink tests run one at a time (see tests/s3_sink.rs).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

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

const JSON_WITH_SCHEMA: &[(&str, &str)] = &[
    (
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter",
    ),
    ("value.converter.schemas.enable", "true"),
];

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
    let root = sink.download();
    let out = s3::python(&format!(
        r#"
import fastavro, glob
for f in sorted(glob.glob("{root}/**/*.avro", recursive=True)):
    with open(f, "rb") as fh:
        r = fastavro.reader(fh)
        s = r.writer_schema
        print(s["name"], s.get("connect.version"), [x["name"] for x in s["fields"]], [(x["id"], x.get("email")) for x in r])
"#
    ));
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
