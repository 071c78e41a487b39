//! PostgreSQL helpers for the CDC tests: a client for the local stack's
//! database and the connector properties pointing at it.

use std::path::{Path, PathBuf};

use crate::worker::write_properties;

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

/// Host, port, user, password and database of the local stack.
pub fn coordinates() -> (String, String, String, String, String) {
    (
        env("FERRY_PG_HOST", "127.0.0.1"),
        env("FERRY_PG_PORT", "5433"),
        env("FERRY_PG_USER", "ferry"),
        env("FERRY_PG_PASSWORD", "ferry"),
        env("FERRY_PG_DB", "ferry"),
    )
}

/// A blocking client.
pub fn client() -> postgres::Client {
    let (host, port, user, password, db) = coordinates();
    postgres::Config::new()
        .host(&host)
        .port(port.parse().expect("FERRY_PG_PORT"))
        .user(&user)
        .password(&password)
        .dbname(&db)
        .connect(postgres::NoTls)
        .expect("connect to the local PostgreSQL (cargo xtask stack up)")
}

/// Runs SQL statements.
pub fn exec(sql: &str) {
    client()
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Drops a slot and a publication (end of a test; leftover slots retain WAL).
pub fn cleanup(slot: &str, publication: &str, schema: &str) {
    let mut c = client();
    for _ in 0..50 {
        let active: Option<bool> = c
            .query_opt(
                "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0));
        match active {
            Some(true) => std::thread::sleep(std::time::Duration::from_millis(200)),
            Some(false) => {
                let _ = c.execute("SELECT pg_drop_replication_slot($1)", &[&slot]);
                break;
            }
            None => break,
        }
    }
    let _ = c.batch_execute(&format!(
        "DROP PUBLICATION IF EXISTS \"{publication}\"; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    ));
}

/// The slot's confirmed_flush_lsn as a number.
pub fn confirmed_flush(slot: &str) -> Option<u64> {
    let row = client()
        .query_opt(
            "SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .ok()??;
    row.get::<_, Option<i64>>(0).map(|v| v as u64)
}

/// Writes a connector properties file for the local database.
pub fn connector_properties(dir: &Path, name: &str, extra: &[(&str, &str)]) -> PathBuf {
    let (host, port, user, password, db) = coordinates();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("name", name),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        ),
        ("database.hostname", &host),
        ("database.port", &port),
        ("database.user", &user),
        ("database.password", &password),
        ("database.dbname", &db),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
    ];
    pairs.extend_from_slice(extra);
    let path = dir.join(format!("{name}.properties"));
    write_properties(&path, &pairs);
    path
}

/// A record read back with its key.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// Reads `topic` (one partition) from the beginning until `expected`
/// records arrived or nothing came for `idle`.
pub fn read_keyed(topic: &str, expected: usize, idle: std::time::Duration) -> Vec<Keyed> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{Message, Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", crate::bootstrap())
        .set("group.id", crate::unique("ferry-pg-reader"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let mut last = std::time::Instant::now();
    while out.len() < expected && last.elapsed() < idle {
        match consumer.poll(std::time::Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
                out.push(Keyed {
                    key: s(m.key()),
                    value: s(m.payload()),
                });
                last = std::time::Instant::now();
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    out
}

/// A private schema, slot, publication and topic prefix for one test;
/// dropped (slot, publication, schema) at the end.
pub struct Fixture {
    pub schema: String,
    pub prefix: String,
    pub slot: String,
    pub publication: String,
}

impl Fixture {
    pub fn new(tag: &str) -> Fixture {
        let id = crate::unique(tag).replace('-', "_");
        Fixture {
            schema: format!("s_{id}"),
            prefix: format!("p{id}"),
            slot: format!("slot_{id}"),
            publication: format!("pub_{id}"),
        }
    }

    /// The topic of `table`.
    pub fn topic(&self, table: &str) -> String {
        format!("{}.{}.{table}", self.prefix, self.schema)
    }

    /// Connector settings for this fixture: its slot, publication (filtered
    /// to its schema) and prefix, topics created by the runtime with one
    /// partition, heartbeats every second.
    pub fn settings(&self) -> Vec<(String, String)> {
        [
            ("topic.prefix", self.prefix.clone()),
            ("slot.name", self.slot.clone()),
            ("publication.name", self.publication.clone()),
            ("publication.autocreate.mode", "filtered".into()),
            ("table.include.list", format!("{}\\..*", self.schema)),
            ("heartbeat.interval.ms", "1000".into()),
            ("topic.creation.default.partitions", "1".into()),
            ("topic.creation.default.replication.factor", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        cleanup(&self.slot, &self.publication, &self.schema);
    }
}

/// Connector properties from owned pairs (later pairs win).
pub fn connector_properties_owned(dir: &Path, name: &str, extra: &[(String, String)]) -> PathBuf {
    let pairs: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    connector_properties(dir, name, &pairs)
}

/// Reads one partition-0 topic incrementally from the beginning, each
/// offset exactly once, in offset order. While a topic is being written,
/// tansu sometimes hands a consumer records again (same offsets: dropped)
/// or leaves a batch out of a fetch response (the consumer then jumps past
/// offsets that do exist: it is sent back to the first missing offset).
/// A producer without transactions leaves no gaps in a topic, so a gap that
/// persists for 50 re-reads is reported and accepted.
pub struct TopicTail {
    consumer: rdkafka::consumer::BaseConsumer,
    topic: String,
    next: std::cell::Cell<i64>,
    gap_retries: std::cell::Cell<u32>,
}

impl TopicTail {
    pub fn new(topic: &str) -> TopicTail {
        use rdkafka::config::ClientConfig;
        use rdkafka::consumer::Consumer;
        use rdkafka::{Offset, TopicPartitionList};
        let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", crate::bootstrap())
            .set("group.id", crate::unique("ferry-pg-tail"))
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "10")
            .set("topic.metadata.refresh.interval.ms", "1000")
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Beginning)
            .expect("partition");
        consumer.assign(&tpl).expect("assign");
        TopicTail {
            consumer,
            topic: topic.to_string(),
            next: std::cell::Cell::new(0),
            gap_retries: std::cell::Cell::new(0),
        }
    }

    /// Records that arrive within `wait` (stops early after a quiet 200 ms
    /// once something came).
    pub fn poll(&self, wait: std::time::Duration) -> Vec<Keyed> {
        use rdkafka::error::{KafkaError, RDKafkaErrorCode};
        use rdkafka::Message;
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        while start.elapsed() < wait {
            match self.consumer.poll(std::time::Duration::from_millis(200)) {
                Some(Ok(m)) if m.offset() < self.next.get() => {}
                Some(Ok(m)) if m.offset() > self.next.get() && self.gap_retries.get() < 50 => {
                    use rdkafka::consumer::Consumer;
                    self.gap_retries.set(self.gap_retries.get() + 1);
                    let _ = self.consumer.seek(
                        &self.topic,
                        0,
                        rdkafka::Offset::Offset(self.next.get()),
                        std::time::Duration::from_secs(5),
                    );
                }
                Some(Ok(m)) => {
                    if m.offset() > self.next.get() {
                        eprintln!(
                            "{}: offsets {}..{} stayed missing after 50 re-reads",
                            self.topic,
                            self.next.get(),
                            m.offset()
                        );
                    }
                    self.gap_retries.set(0);
                    self.next.set(m.offset() + 1);
                    let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
                    out.push(Keyed {
                        key: s(m.key()),
                        value: s(m.payload()),
                    });
                }
                // The topic may not exist yet (created by the runtime on the first record).
                Some(Err(KafkaError::MessageConsumption(
                    RDKafkaErrorCode::UnknownTopicOrPartition,
                )))
                | Some(Err(KafkaError::MessageConsumption(RDKafkaErrorCode::UnknownTopic))) => {}
                Some(Err(e)) => panic!("reading {}: {e}", self.topic),
                None if !out.is_empty() => break,
                None => {}
            }
        }
        out
    }
}
