//! PostgreSQL CDC misconfigurations fail the task with a message that names
//! the fix, and leave nothing behind (no slot, no publication). Wrong
//! passwords and slots held by another client are in `pg_cdc.rs`.

use std::time::Duration;

use ferry_tests::pg::{
    client, confirmed_flush, connector_properties_owned, exec, read_keyed, ClusterOptions, Fixture,
    PrivateCluster,
};
use ferry_tests::worker::{worker_properties, Worker};
use ferry_tests::{http_get, test_dir, unique, wait_for};

/// Quick restarts, so a test sees the error come back.
fn fast_restarts() -> [(&'static str, &'static str); 2] {
    [
        ("ferry.task.restart.backoff.initial.ms", "200"),
        ("ferry.task.restart.backoff.max.ms", "400"),
    ]
}

/// How often the worker restarted `connector`'s task.
fn restarts(port: u16, connector: &str) -> Option<f64> {
    let (_, metrics) = http_get(port, "/metrics")?;
    metrics
        .lines()
        .find(|l| l.starts_with("ferry_task_restarts_total") && l.contains(connector))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A server with `wal_level=replica`: the task fails with the statement to
/// run, every restart fails the same way, and neither the slot nor the
/// publication (`all_tables`, the default, would create one) exists.
#[test]
fn wal_level_replica_names_the_fix_and_creates_nothing() {
    let pg = PrivateCluster::start(ClusterOptions {
        conf: "wal_level = replica",
        ..Default::default()
    });
    pg.client()
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);")
        .unwrap();
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &fast_restarts());
    let name = unique("pg-replica");
    let mut settings = pg.settings();
    settings.extend(owned(&[
        ("topic.prefix", &name.replace('-', "_")),
        ("slot.name", "ferry_slot"),
        ("publication.name", "ferry_pub"),
    ]));
    let conn = connector_properties_owned(dir.path(), &name, &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    wait_for("two failed attempts", Duration::from_secs(60), || {
        (restarts(port, &name)? >= 2.0).then_some(())
    });
    let log = w.log_text();
    assert!(
        log.contains(
            "the server's wal_level is \"replica\", but change data capture needs wal_level=logical"
        ) && log.contains("ALTER SYSTEM SET wal_level = logical"),
        "{log}"
    );
    assert!(!log.contains("streaming changes"), "{log}");
    assert_eq!(
        pg.slots_and_publications(),
        (vec![], vec![]),
        "no slot and no publication were created"
    );
    w.terminate(Duration::from_secs(10));
}

/// `database.sslmode=require` against a server without TLS fails naming the
/// setting and creates no slot; `disable` against the same server streams.
#[test]
fn sslmode_require_without_server_tls_is_refused_and_disable_works() {
    let f = Fixture::new("sslreq");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s}; CREATE TABLE {s}.t (id int PRIMARY KEY); INSERT INTO {s}.t VALUES (1);"
    ));
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &fast_restarts());
    let mut settings = f.settings();
    settings.extend(owned(&[("database.sslmode", "require")]));
    let conn = connector_properties_owned(dir.path(), "pg-sslmode-require", &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let log = wait_for("the sslmode error", Duration::from_secs(60), || {
        let log = w.log_text();
        log.contains("database.sslmode=require requires one")
            .then_some(log)
    });
    assert!(
        log.contains("the server does not accept TLS (SSL) connections")
            && log.contains("set database.sslmode=prefer (or disable)"),
        "{log}"
    );
    w.terminate(Duration::from_secs(10));
    assert_eq!(confirmed_flush(&f.slot), None, "no slot was created");

    let mut settings = f.settings();
    settings.extend(owned(&[("database.sslmode", "disable")]));
    let conn = connector_properties_owned(dir.path(), "pg-sslmode-disable", &settings);
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let topic = f.topic("t");
    let first = wait_for("the snapshot event", Duration::from_secs(60), || {
        read_keyed(&topic, 1, Duration::from_secs(2))
            .into_iter()
            .next()
    });
    assert!(
        first
            .value
            .as_deref()
            .unwrap_or("")
            .contains("\"op\":\"r\""),
        "{first:?}"
    );
    w.terminate(Duration::from_secs(20));
}

/// A role without REPLICATION: the task says which statement grants it,
/// and neither slot nor publication is created.
#[test]
fn role_without_replication_names_the_grant_and_creates_nothing() {
    let f = Fixture::new("norepl");
    let role = format!("r_{}", f.slot);
    let password = format!("pw-{}", unique("x"));
    exec(&format!(
        "CREATE SCHEMA {s}; CREATE TABLE {s}.t (id int PRIMARY KEY);
         CREATE ROLE {role} LOGIN PASSWORD '{password}';
         GRANT USAGE ON SCHEMA {s} TO {role}; GRANT SELECT ON {s}.t TO {role};",
        s = f.schema
    ));
    struct DropRole(String);
    impl Drop for DropRole {
        fn drop(&mut self) {
            let _ = client().batch_execute(&format!(
                "DROP OWNED BY {0}; DROP ROLE IF EXISTS {0}",
                self.0
            ));
        }
    }
    let _role = DropRole(role.clone());
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &fast_restarts());
    let mut settings = f.settings();
    settings.extend(owned(&[
        ("database.user", &role),
        ("database.password", &password),
    ]));
    let conn = connector_properties_owned(dir.path(), "pg-norepl", &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let log = wait_for("the privilege error", Duration::from_secs(60), || {
        let log = w.log_text();
        log.contains("may not use logical replication")
            .then_some(log)
    });
    assert!(
        log.contains(&format!("ALTER ROLE \"{role}\" WITH REPLICATION")),
        "{log}"
    );
    assert!(!log.contains(&password), "the password leaked into the log");
    w.terminate(Duration::from_secs(10));
    assert_eq!(confirmed_flush(&f.slot), None, "no slot was created");
    let publications: i64 = client()
        .query_one(
            "SELECT count(*) FROM pg_publication WHERE pubname = $1",
            &[&f.publication],
        )
        .unwrap()
        .get(0);
    assert_eq!(publications, 0, "no publication was created");
}
