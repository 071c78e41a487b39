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
    /// The record's headers in order, values as text.
    pub headers: Vec<(String, Option<String>)>,
}

impl Keyed {
    fn of(m: &rdkafka::message::BorrowedMessage<'_>) -> Keyed {
        use rdkafka::message::Headers;
        use rdkafka::Message;
        let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        Keyed {
            key: s(m.key()),
            value: s(m.payload()),
            headers: m
                .headers()
                .map(|h| h.iter().map(|h| (h.key.to_string(), s(h.value))).collect())
                .unwrap_or_default(),
        }
    }

    /// The text of the last header named `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Reads `topic` (one partition) from the beginning until `expected`
/// records arrived or nothing came for `idle`.
pub fn read_keyed(topic: &str, expected: usize, idle: std::time::Duration) -> Vec<Keyed> {
    let consumer = crate::kafka::reader_from_start(topic, 1, &[]);
    let mut out = Vec::new();
    let mut last = std::time::Instant::now();
    while out.len() < expected && last.elapsed() < idle {
        match consumer.poll(std::time::Duration::from_millis(100)) {
            Some(Ok(m)) => {
                out.push(Keyed::of(&m));
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

    /// [`Fixture::settings`] with schemaless JSON keys and values
    /// (`key.converter.schemas.enable=false`, the same for values).
    pub fn schemaless_settings(&self) -> Vec<(String, String)> {
        let mut settings = self.settings();
        settings.push(("value.converter.schemas.enable".into(), "false".into()));
        settings.push(("key.converter.schemas.enable".into(), "false".into()));
        settings
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
        let consumer = crate::kafka::reader_from_start(
            topic,
            1,
            &[("topic.metadata.refresh.interval.ms", "1000")],
        );
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
                    out.push(Keyed::of(&m));
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

/// A private PostgreSQL cluster for one test, made with the stack's server
/// binaries: `initdb` into a directory under /tmp (run as the `postgres` OS
/// user when the tests run as root, as initdb refuses root), its own free
/// port on 127.0.0.1 and its Unix socket in that directory. Superuser
/// `ferry`/`ferry`, database `postgres`. Stopped (`pg_ctl stop -m
/// immediate`) and removed on drop; `FERRY_TEST_KEEP=1` keeps the directory
/// (its `postgres.log` is the server log).
pub struct PrivateCluster {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    /// The server's TCP port.
    pub port: u16,
}

/// The options of a [`PrivateCluster`].
#[derive(Default)]
pub struct ClusterOptions<'a> {
    /// Extra `postgresql.conf` lines, e.g. `wal_level = replica`.
    pub conf: &'a str,
    /// TCP lines replacing initdb's `host` entries of `pg_hba.conf` (Unix
    /// socket logins stay `trust`); `None` keeps `host ... scram-sha-256`.
    pub hba: Option<&'a str>,
    /// Files written into the data directory before the start, readable by
    /// the server only (e.g. `server.key`).
    pub files: &'a [(&'a str, &'a [u8])],
}

/// The directory holding the server binaries (`FERRY_PG_BIN`, then where
/// `cargo xtask stack` finds them).
fn pg_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FERRY_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut candidates = vec![
        PathBuf::from("/usr/local/bin/initdb"),
        PathBuf::from("/usr/lib/postgresql/15/bin/initdb"),
    ];
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path().join("bin/initdb")))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("initdb")));
    }
    candidates
        .into_iter()
        .find_map(|initdb| {
            let dir = std::fs::canonicalize(&initdb).ok()?.parent()?.to_path_buf();
            (dir.join("pg_ctl").exists() && dir.join("postgres").exists()).then_some(dir)
        })
        .expect("PostgreSQL server binaries (initdb, pg_ctl); set FERRY_PG_BIN")
}

/// uid/gid of the `postgres` OS user when we are root.
fn server_user() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok()?;
    if euid != 0 {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = std::process::Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("id postgres");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the postgres OS user (initdb refuses to run as root)")
    };
    Some((id("-u"), id("-g")))
}

impl PrivateCluster {
    /// Creates and starts a cluster (a few seconds).
    pub fn start(opts: ClusterOptions<'_>) -> PrivateCluster {
        use std::os::unix::fs::PermissionsExt;
        let root = PathBuf::from(format!("/tmp/{}", crate::unique("ferry-pg")));
        std::fs::create_dir_all(&root).expect("cluster dir");
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run_as = server_user();
        let give = |p: &Path| {
            if let Some((uid, gid)) = run_as {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).expect("chown");
            }
        };
        give(&root);
        let cluster = PrivateCluster {
            data: root.join("data"),
            root,
            bin: pg_bin_dir(),
            run_as,
            port: crate::free_port(),
        };
        let pwfile = cluster.root.join("pw");
        std::fs::write(&pwfile, "ferry\n").unwrap();
        give(&pwfile);
        cluster.run(
            cluster
                .command("initdb")
                .arg("-D")
                .arg(&cluster.data)
                .args(["-U", "ferry", "-E", "UTF8", "--no-locale", "--no-sync"])
                .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display())),
        );
        let conf = cluster.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n{}\n",
            cluster.port,
            cluster.root.display(),
            opts.conf
        ));
        std::fs::write(&conf, text).unwrap();
        if let Some(hba) = opts.hba {
            let path = cluster.data.join("pg_hba.conf");
            std::fs::write(
                &path,
                format!("local all all trust\nlocal replication all trust\n{hba}\n"),
            )
            .unwrap();
            give(&path);
        }
        for (name, contents) in opts.files {
            let path = cluster.data.join(name);
            std::fs::write(&path, contents).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            give(&path);
        }
        let log = cluster.root.join("postgres.log");
        cluster.run(
            cluster
                .command("pg_ctl")
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(&cluster.data)
                .arg("-l")
                .arg(&log),
        );
        cluster
    }

    fn command(&self, tool: &str) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(self.bin.join(tool));
        cmd.current_dir(&self.root);
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", &self.root);
        }
        cmd
    }

    fn run(&self, cmd: &mut std::process::Command) {
        let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}\n{}\nserver log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.root.join("postgres.log")).unwrap_or_default()
        );
    }

    /// A superuser client over the cluster's Unix socket (works whatever
    /// the TCP rules are).
    pub fn client(&self) -> postgres::Client {
        postgres::Config::new()
            .host_path(&self.root)
            .port(self.port)
            .user("ferry")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .expect("connect to the private cluster")
    }

    /// Connector settings pointing at this cluster (to put after the
    /// stack's in [`connector_properties_owned`]).
    pub fn settings(&self) -> Vec<(String, String)> {
        [
            ("database.hostname", "127.0.0.1".to_string()),
            ("database.port", self.port.to_string()),
            ("database.user", "ferry".into()),
            ("database.password", "ferry".into()),
            ("database.dbname", "postgres".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Replication slots and publications that exist in the cluster.
    pub fn slots_and_publications(&self) -> (Vec<String>, Vec<String>) {
        let mut c = self.client();
        let names = |c: &mut postgres::Client, q: &str| -> Vec<String> {
            c.query(q, &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        };
        (
            names(&mut c, "SELECT slot_name::text FROM pg_replication_slots"),
            names(&mut c, "SELECT pubname::text FROM pg_publication"),
        )
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
        if std::env::var_os("FERRY_TEST_KEEP").is_some() {
            eprintln!("private cluster kept: {}", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
