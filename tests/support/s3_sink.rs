//! The S3 sink harness of tests/s3_sink.rs and tests/s3_features.rs: one
//! S3 sink connector on its own `ferry` worker, writing under a `topics.dir`
//! of its own in the local stack's bucket.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::kafka::committed_offsets;
use crate::worker::{worker_properties, write_properties, Worker};
use crate::{http_get, s3, test_dir, unique, wait_for};

const JSON_CONVERTER: (&str, &str) = (
    "value.converter",
    "org.apache.kafka.connect.json.JsonConverter",
);

/// Values read by JsonConverter with `schemas.enable=false`.
pub const JSON_SCHEMALESS: &[(&str, &str)] =
    &[JSON_CONVERTER, ("value.converter.schemas.enable", "false")];

/// Values read by JsonConverter as `{"schema":…,"payload":…}` envelopes.
pub const JSON_WITH_SCHEMA: &[(&str, &str)] =
    &[JSON_CONVERTER, ("value.converter.schemas.enable", "true")];

/// The S3 sink tests run one at a time: run together on a 2-core machine,
/// the crash tests' restarted workers did not get their partitions back
/// from the test broker within minutes.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// One S3 sink connector (`tasks.max=1`, no task restarts) on its own
/// worker; the worker runs from [`Sink::start`].
pub struct Sink {
    /// The test's scratch directory: worker and connector files, the
    /// worker's log, downloads.
    pub dir: tempfile::TempDir,
    /// The connector's name; its consumer group is `connect-<name>`.
    pub name: String,
    /// The connector's `topics.dir`: the prefix of every object it writes.
    pub topics_dir: String,
    worker_file: PathBuf,
    connector: PathBuf,
    /// The worker's REST port.
    pub port: u16,
}

impl Sink {
    /// Writes the worker and connector files. `subscription` is
    /// `("topics", …)` or `("topics.regex", …)`; `props` are added to (or
    /// override) the connector's settings.
    pub fn new(subscription: (&str, &str), props: &[(&str, &str)]) -> Sink {
        let dir = test_dir();
        let name = unique("s3sink");
        let topics_dir = unique("e2e");
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

    /// Starts a worker running the connector.
    pub fn start(&self) -> Worker {
        Worker::start(
            self.dir.path(),
            &self.worker_file,
            std::slice::from_ref(&self.connector),
            self.port,
        )
    }

    /// Data objects (not the `_ferry` state), keys relative to `topics.dir`.
    pub fn objects(&self) -> Vec<String> {
        let prefix = format!("{}/", self.topics_dir);
        s3::list(&prefix)
            .into_iter()
            .filter(|k| !k.contains("/_ferry/"))
            .map(|k| k[prefix.len()..].to_string())
            .collect()
    }

    /// [`Sink::objects`] once there are at least `n`, waiting up to `secs`.
    pub fn wait_objects(&self, n: usize, secs: u64) -> Vec<String> {
        wait_for(&format!("{n} objects"), Duration::from_secs(secs), || {
            let o = self.objects();
            (o.len() >= n).then_some(o)
        })
    }

    /// The connector's committed offsets of `topic`'s `partitions`.
    pub fn committed(&self, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
        committed_offsets(&format!("connect-{}", self.name), topic, partitions)
    }

    /// Waits up to `secs` until `offset` is committed for partition 0 of
    /// `topic`.
    pub fn wait_committed(&self, topic: &str, offset: i64, secs: u64) {
        wait_for(
            &format!("offset {offset} committed"),
            Duration::from_secs(secs),
            || (self.committed(topic, 1).get(&0) == Some(&offset)).then_some(()),
        );
    }

    /// The text of the object at `rel` (relative to `topics.dir`).
    pub fn get(&self, rel: &str) -> String {
        String::from_utf8(s3::get(&format!("{}/{rel}", self.topics_dir))).expect("utf-8")
    }

    /// Downloads every data object; returns the local root.
    pub fn download(&self) -> String {
        let local = self.dir.path().join("lake");
        s3::download(&format!("{}/", self.topics_dir), &local);
        local.to_str().expect("path").to_string()
    }

    /// Downloads every data object and reads those matching `pattern` (a
    /// Python glob under the download root, `**` recursive) in path order
    /// with fastavro, running `per_file` (Python; `r` is the file's
    /// reader) on each; returns what it printed.
    pub fn read_avro(&self, pattern: &str, per_file: &str) -> String {
        let root = self.download();
        let body: String = per_file
            .lines()
            .map(|line| format!("        {line}\n"))
            .collect();
        s3::python(&format!(
            r#"
import fastavro, glob
for f in sorted(glob.glob("{root}/{pattern}", recursive=True)):
    with open(f, "rb") as fh:
        r = fastavro.reader(fh)
{body}"#
        ))
    }

    /// The task's trace once it FAILED, waiting up to `secs`.
    pub fn wait_failed(&self, secs: u64) -> String {
        let path = format!("/connectors/{}/tasks/0/status", self.name);
        wait_for("the task to fail", Duration::from_secs(secs), || {
            let (_, body) = http_get(self.port, &path)?;
            let v: serde_json::Value = serde_json::from_str(&body).ok()?;
            (v["state"] == "FAILED").then(|| v["trace"].as_str().unwrap_or_default().to_string())
        })
    }
}
