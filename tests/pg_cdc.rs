//! PostgreSQL CDC through the `ferry` binary: snapshot, streamed inserts,
//! updates, deletes with tombstones and schema changes, with the JSON
//! compared to Debezium's documented shape.

use std::time::Duration;

use ferry_tests::kafka::create_topic;
use ferry_tests::pg::{
    confirmed_flush, connector_properties, connector_properties_owned, exec, read_keyed, Fixture,
};
use ferry_tests::worker::{stored_offsets, worker_properties, Worker};
use ferry_tests::{test_dir, wait_for};
use serde_json::{json, Value};

/// Blanks what changes from run to run (times, LSNs, transaction ids).
fn mask(v: &mut Value) {
    if let Some(p) = v.get_mut("payload") {
        mask(p);
        return;
    }
    for k in ["ts_ms", "ts_us", "ts_ns"] {
        if v.get(k).is_some() {
            v[k] = json!("*");
        }
    }
    if let Some(src) = v.get_mut("source") {
        for k in ["ts_ms", "ts_us", "ts_ns", "txId", "lsn", "sequence"] {
            src[k] = json!("*");
        }
    }
}

fn parse(s: &Option<String>) -> Value {
    s.as_deref()
        .map(|s| serde_json::from_str(s).unwrap())
        .unwrap_or(Value::Null)
}

#[test]
fn snapshot_then_changes_in_debezium_shape() {
    let f = Fixture::new("cdc");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.customers (id serial PRIMARY KEY, first_name text NOT NULL, email varchar(64),
           price numeric(10,2), born date, seen timestamptz, tags text[], doc jsonb, raw bytea);
         INSERT INTO {s}.customers (first_name, email, price, born, seen, tags, doc, raw)
           VALUES ('Anne', 'a@x', 12.30, '2024-01-02', '2024-01-02 03:04:05.5+00', '{{a,b}}', '{{\"k\": 1}}', '\\x0102');"
    ));
    let topic = f.topic("customers");
    create_topic(&topic, 1);
    create_topic(&format!("__debezium-heartbeat.{}", f.prefix), 1);
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn = connector_properties(
        dir.path(),
        "pg-cdc",
        &[
            ("topic.prefix", &f.prefix),
            ("slot.name", &f.slot),
            ("publication.name", &f.publication),
            ("publication.autocreate.mode", "filtered"),
            ("table.include.list", &format!("{s}\\..*")),
            ("heartbeat.interval.ms", "1000"),
        ],
    );
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let first = wait_for("the snapshot event", Duration::from_secs(60), || {
        read_keyed(&topic, 1, Duration::from_secs(2))
            .into_iter()
            .next()
    });
    let key = parse(&first.key);
    assert_eq!(
        key,
        json!({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"default":0,"field":"id"}],
               "optional":false,"name":format!("{topic}.Key")},"payload":{"id":1}})
    );
    let mut snap = parse(&first.value);
    assert_eq!(snap["payload"]["op"], "r");
    assert_eq!(snap["payload"]["source"]["snapshot"], "last");
    mask(&mut snap);
    let after = json!({"id":1,"first_name":"Anne","email":"a@x","price":"BM4=","born":19724,
        "seen":"2024-01-02T03:04:05.500000Z","tags":["a","b"],"doc":"{\"k\": 1}","raw":"AQI="});
    assert_eq!(snap["payload"]["after"], after);
    assert_eq!(
        snap["payload"]["source"],
        json!({"version": snap["payload"]["source"]["version"], "connector":"postgresql","name":f.prefix,
               "ts_ms":"*","snapshot":"last","db":"ferry","sequence":"*","ts_us":"*","ts_ns":"*",
               "schema":s,"table":"customers","txId":"*","lsn":"*","xmin":null,
               "origin":null,"origin_lsn":null})
    );
    // The schema, field by field, as Debezium 3.x.
    let schema = &snap["schema"];
    assert_eq!(schema["name"], format!("{topic}.Envelope"));
    assert_eq!(schema["version"], 2);
    let names: Vec<&str> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "before",
            "after",
            "source",
            "transaction",
            "op",
            "ts_ms",
            "ts_us",
            "ts_ns"
        ]
    );
    let value_fields = &schema["fields"][1]["fields"];
    assert_eq!(
        value_fields,
        &json!([
            {"type":"int32","optional":false,"default":0,"field":"id"},
            {"type":"string","optional":false,"field":"first_name"},
            {"type":"string","optional":true,"field":"email"},
            {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,
             "parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"price"},
            {"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"born"},
            {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"seen"},
            {"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"tags"},
            {"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"doc"},
            {"type":"bytes","optional":true,"field":"raw"}
        ])
    );
    assert_eq!(
        schema["fields"][2]["name"],
        "io.debezium.connector.postgresql.Source"
    );

    // Streamed changes, including a column added mid-stream.
    exec(&format!(
        "INSERT INTO {s}.customers (first_name) VALUES ('Bob');
         UPDATE {s}.customers SET email = 'b@x' WHERE id = 2;
         DELETE FROM {s}.customers WHERE id = 1;
         ALTER TABLE {s}.customers ADD COLUMN vip boolean;
         INSERT INTO {s}.customers (first_name, vip) VALUES ('Cy', true);"
    ));
    let all = wait_for("the streamed events", Duration::from_secs(60), || {
        let r = read_keyed(&topic, 6, Duration::from_secs(3));
        (r.len() >= 6).then_some(r)
    });
    let ops: Vec<Value> = all
        .iter()
        .map(|r| parse(&r.value)["payload"]["op"].clone())
        .collect();
    assert_eq!(
        ops,
        [
            json!("r"),
            json!("c"),
            json!("u"),
            json!("d"),
            Value::Null,
            json!("c")
        ]
    );
    let mut create = parse(&all[1].value);
    mask(&mut create);
    assert_eq!(create["payload"]["before"], Value::Null);
    assert_eq!(create["payload"]["source"]["snapshot"], "false");
    assert_eq!(create["payload"]["after"]["first_name"], "Bob");
    // DEFAULT replica identity: no before image on update, key-only on delete.
    assert_eq!(parse(&all[2].value)["payload"]["before"], Value::Null);
    let delete = parse(&all[3].value);
    assert_eq!(delete["payload"]["before"]["id"], 1);
    assert_eq!(delete["payload"]["after"], Value::Null);
    assert_eq!(parse(&all[4].key), key, "tombstone keyed like the delete");
    assert!(all[4].value.is_none(), "tombstone has a null value");
    let last = parse(&all[5].value);
    assert_eq!(last["payload"]["after"]["vip"], true);
    assert_eq!(last["schema"]["fields"][1]["fields"][9]["field"], "vip");

    // The runtime stored the offsets and the slot position advanced.
    wait_for(
        "confirmed_flush_lsn to advance",
        Duration::from_secs(30),
        || {
            let now = confirmed_flush(&f.slot)?;
            let commit = stored_offsets(dir.path()).first()?["lsn_commit"].as_u64()?;
            (now >= commit && commit > 0).then_some(())
        },
    );
    w.terminate(Duration::from_secs(20));
}

/// A wrong password and a slot held by another client fail the task with
/// an error naming the setting, and leave no slot or publication behind.
#[test]
fn bad_input_gives_actionable_errors() {
    let f = Fixture::new("bad");
    exec(&format!(
        "CREATE SCHEMA {}; CREATE TABLE {}.t (id int PRIMARY KEY);",
        f.schema, f.schema
    ));
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn = connector_properties(
        dir.path(),
        "pg-bad-password",
        &[
            ("topic.prefix", &f.prefix),
            ("slot.name", &f.slot),
            ("publication.name", &f.publication),
            ("database.password", "definitely-wrong"),
        ],
    );
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let log = wait_for("the password error", Duration::from_secs(30), || {
        let log = w.log_text();
        log.contains("database.password").then_some(log)
    });
    assert!(log.contains("password"), "{log}");
    assert!(
        !log.contains("definitely-wrong"),
        "the password leaked into the log"
    );
    w.terminate(Duration::from_secs(10));
    assert_eq!(confirmed_flush(&f.slot), None, "no slot was created");

    // A slot streamed by another client.
    let mut holder = ferry_tests::pg::client();
    holder
        .execute(
            "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
            &[&f.slot],
        )
        .unwrap();
    exec(&format!(
        "CREATE PUBLICATION {} FOR ALL TABLES",
        f.publication
    ));
    let (host, port_s, user, password, db) = ferry_tests::pg::coordinates();
    let walsender = std::process::Command::new("pg_recvlogical")
        .args([
            "-h",
            &host,
            "-p",
            &port_s,
            "-U",
            &user,
            "-d",
            &db,
            "--slot",
            &f.slot,
            "--start",
            "-f",
            "/dev/null",
            "-o",
            "proto_version=1",
            "-o",
            &format!("publication_names={}", f.publication),
        ])
        .env("PGPASSWORD", &password)
        .spawn();
    if walsender.is_ok() {
        wait_for(
            "the other client to hold the slot",
            Duration::from_secs(20),
            || {
                let active: bool = holder
                    .query_one(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
                        &[&f.slot],
                    )
                    .ok()?
                    .get(0);
                active.then_some(())
            },
        );
        let conn = connector_properties(
            dir.path(),
            "pg-slot-busy",
            &[
                ("topic.prefix", &f.prefix),
                ("slot.name", &f.slot),
                ("publication.name", &f.publication),
            ],
        );
        let port = Worker::port();
        let worker = worker_properties(dir.path(), port, &[]);
        let mut w = Worker::start(dir.path(), &worker, &[conn], port);
        let log = wait_for("the slot-in-use error", Duration::from_secs(60), || {
            let log = w.log_text();
            log.contains("is in use by another client").then_some(log)
        });
        assert!(log.contains("slot.name"), "{log}");
        w.terminate(Duration::from_secs(10));
    }
    if let Ok(mut child) = walsender {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A transaction replayed through a replication origin (as a logical
/// replication subscriber or BDR-style tool does) carries the origin's name
/// and commit LSN in `source.origin` / `source.origin_lsn`, as Debezium 3.5+
/// fills them from pgoutput's Origin message; other transactions have null.
/// Also checks the `source` schema's fields as JsonConverter writes them.
#[test]
fn replication_origin_fills_source_origin() {
    let f = Fixture::new("origin");
    let s = &f.schema;
    let origin = format!("o_{}", f.slot);
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.t (id int PRIMARY KEY, v text);
         INSERT INTO {s}.t VALUES (0, 'before the start');
         SELECT pg_replication_origin_create('{origin}');"
    ));
    let topic = f.topic("t");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn = connector_properties_owned(dir.path(), "pg-origin", &f.settings());
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    wait_for("the snapshot event", Duration::from_secs(60), || {
        read_keyed(&topic, 1, Duration::from_secs(2))
            .into_iter()
            .next()
    });
    // One session: origin set up for the session (commit LSN 0), then with
    // an explicit origin commit LSN (0/12345 = 74565), then none again.
    exec(&format!(
        "SELECT pg_replication_origin_session_setup('{origin}');
         BEGIN; INSERT INTO {s}.t VALUES (1, 'session origin'); COMMIT;
         BEGIN; SELECT pg_replication_origin_xact_setup('0/12345', now());
           INSERT INTO {s}.t VALUES (2, 'explicit origin lsn'); COMMIT;
         SELECT pg_replication_origin_session_reset();
         INSERT INTO {s}.t VALUES (3, 'no origin');"
    ));
    let all = wait_for("the streamed events", Duration::from_secs(60), || {
        let r = read_keyed(&topic, 4, Duration::from_secs(3));
        (r.len() >= 4).then_some(r)
    });
    let origins: Vec<(Value, Value, Value)> = all
        .iter()
        .map(|r| {
            let v = parse(&r.value);
            let src = &v["payload"]["source"];
            (
                v["payload"]["after"]["id"].clone(),
                src["origin"].clone(),
                src["origin_lsn"].clone(),
            )
        })
        .collect();
    assert_eq!(
        origins,
        [
            (json!(0), Value::Null, Value::Null),
            (json!(1), json!(origin), json!(0)),
            (json!(2), json!(origin), json!(74565)),
            (json!(3), Value::Null, Value::Null),
        ]
    );
    // The source schema as JsonConverter writes it, field for field.
    let v = parse(&all[1].value);
    let source = &v["schema"]["fields"][2];
    assert_eq!(source["name"], "io.debezium.connector.postgresql.Source");
    assert_eq!(source["version"], 1);
    assert_eq!(source["optional"], false);
    let fields: Vec<Value> = source["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if f["field"] == "snapshot" {
                // The enum's schema is checked on its own below.
                f = json!({"field": "snapshot"});
            }
            f
        })
        .collect();
    let opt = |t: &str, n: &str| json!({"type": t, "optional": true, "field": n});
    let req = |t: &str, n: &str| json!({"type": t, "optional": false, "field": n});
    assert_eq!(
        fields,
        [
            req("string", "version"),
            req("string", "connector"),
            req("string", "name"),
            req("int64", "ts_ms"),
            json!({"field": "snapshot"}),
            req("string", "db"),
            opt("string", "sequence"),
            opt("int64", "ts_us"),
            opt("int64", "ts_ns"),
            req("string", "schema"),
            req("string", "table"),
            opt("int64", "txId"),
            opt("int64", "lsn"),
            opt("int64", "xmin"),
            opt("string", "origin"),
            opt("int64", "origin_lsn"),
        ]
    );
    assert_eq!(
        source["fields"][4],
        json!({"type":"string","optional":true,"default":"false","name":"io.debezium.data.Enum","version":1,
               "parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},
               "field":"snapshot"})
    );
    w.terminate(Duration::from_secs(20));
    exec(&format!("SELECT pg_replication_origin_drop('{origin}');"));
}

/// Debezium's headers: `__debezium.context.*` on every change record
/// (snapshot read, create, update, delete, tombstone: the same run id
/// throughout), and on an update that changes the key, `__debezium.newkey`
/// on the delete (and its tombstone) and `__debezium.oldkey` on the create.
#[test]
fn change_records_carry_debeziums_headers() {
    let f = Fixture::new("headers");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.t (id int PRIMARY KEY, v text);
         INSERT INTO {s}.t VALUES (1, 'one');"
    ));
    let topic = f.topic("t");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn = connector_properties_owned(dir.path(), "pg-headers", &f.settings());
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    wait_for("the snapshot event", Duration::from_secs(60), || {
        read_keyed(&topic, 1, Duration::from_secs(2))
            .into_iter()
            .next()
    });
    exec(&format!(
        "UPDATE {s}.t SET v = 'uno' WHERE id = 1;
         UPDATE {s}.t SET id = 2 WHERE id = 1;"
    ));
    // r, u, then the key change: d (+ tombstone) under 1, c under 2.
    let all = wait_for("the streamed events", Duration::from_secs(60), || {
        let r = read_keyed(&topic, 5, Duration::from_secs(3));
        (r.len() >= 5).then_some(r)
    });
    let context = [
        "__debezium.context.connectorLogicalName",
        "__debezium.context.taskId",
        "__debezium.context.connectorName",
        "__debezium.context.runId",
    ];
    let run_id = all[0].header(context[3]).expect("a run id").to_string();
    assert_eq!(run_id.len(), 36, "a UUID: {run_id}");
    for (i, r) in all.iter().enumerate() {
        let keys: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        let want: Vec<&str> = match i {
            2 | 3 => ["__debezium.newkey"].into_iter().chain(context).collect(),
            4 => ["__debezium.oldkey"].into_iter().chain(context).collect(),
            _ => context.to_vec(),
        };
        assert_eq!(keys, want, "record {i}");
        assert_eq!(r.header(context[0]), Some(f.prefix.as_str()));
        assert_eq!(r.header(context[1]), Some("0"));
        assert_eq!(r.header(context[2]), Some("postgresql"));
        assert_eq!(r.header(context[3]), Some(run_id.as_str()));
    }
    let op = |i: usize| parse(&all[i].value)["payload"]["op"].clone();
    assert_eq!(
        (op(0), op(1), op(2), op(4)),
        (json!("r"), json!("u"), json!("d"), json!("c"))
    );
    assert!(all[3].value.is_none(), "tombstone");
    // The other key, as the header converter writes a struct.
    let new_key = all[2].header("__debezium.newkey").expect("new key");
    let old_key = all[4].header("__debezium.oldkey").expect("old key");
    assert!(new_key.contains('2'), "{new_key}");
    assert!(old_key.contains('1'), "{old_key}");
    eprintln!("newkey header: {new_key}; oldkey header: {old_key}");
    w.terminate(Duration::from_secs(20));
}
