//! The initial snapshot and the stream line up exactly: 100,000 existing
//! rows, plus rows inserted while the snapshot runs, each reach Kafka
//! exactly once, as `r` (in the snapshot) or `c` (streamed), none missing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_tests::pg::{client, connector_properties_owned, exec, Fixture, TopicTail};
use ferry_tests::test_dir;
use ferry_tests::worker::{worker_properties, Worker};
use serde_json::Value;

const EXISTING: i64 = 100_000;

#[test]
fn snapshot_with_concurrent_inserts_has_every_row_exactly_once() {
    let started = Instant::now();
    let f = Fixture::new("snap");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.items (id bigserial PRIMARY KEY, name text NOT NULL, qty int, at timestamptz DEFAULT now());
         INSERT INTO {s}.items (name, qty) SELECT 'item-' || g, g % 97 FROM generate_series(1, {EXISTING}) g;"
    ));
    let topic = f.topic("items");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn = connector_properties_owned(dir.path(), "pg-snapshot", &f.schemaless_settings());

    // Inserts in small transactions from before the worker starts until
    // the snapshot has been read back.
    let stop = Arc::new(AtomicBool::new(false));
    let inserted = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, inserted) = (stop.clone(), inserted.clone());
        let table = format!("{s}.items");
        std::thread::spawn(move || {
            let mut c = client();
            while !stop.load(Ordering::SeqCst) {
                c.batch_execute(&format!(
                    "INSERT INTO {table} (name, qty) SELECT 'new-' || g, g FROM generate_series(1, 20) g"
                ))
                .expect("insert");
                inserted.fetch_add(20, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let tail = TopicTail::new(&topic);
    // (op, id, source.snapshot, source.txId)
    let mut events: Vec<(String, i64, String, i64)> = Vec::new();
    let absorb = |events: &mut Vec<(String, i64, String, i64)>| {
        for r in tail.poll(Duration::from_millis(500)) {
            let v: Value = serde_json::from_str(r.value.as_deref().expect("a value")).unwrap();
            events.push((
                v["op"].as_str().unwrap().to_string(),
                v["after"]["id"].as_i64().unwrap(),
                v["source"]["snapshot"].as_str().unwrap().to_string(),
                v["source"]["txId"].as_i64().expect("source.txId"),
            ));
        }
    };
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut inserted_during_snapshot = 0;
    let mut at_first_event = None;
    while !events.iter().any(|e| e.2 == "last") {
        assert!(
            Instant::now() < deadline,
            "the snapshot did not finish: {} events",
            events.len()
        );
        absorb(&mut events);
        if !events.is_empty() && at_first_event.is_none() {
            at_first_event = Some(inserted.load(Ordering::SeqCst));
        }
        if let Some(first) = at_first_event {
            inserted_during_snapshot = inserted.load(Ordering::SeqCst) - first;
        }
    }
    // A few more streamed transactions, then stop and read up to the end.
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let total: i64 = client()
        .query_one(&format!("SELECT count(*) FROM {s}.items"), &[])
        .unwrap()
        .get(0);
    while (events.len() as i64) < total {
        assert!(
            Instant::now() < deadline,
            "{} of {total} rows arrived",
            events.len()
        );
        absorb(&mut events);
    }
    absorb(&mut events); // anything beyond `total` would be a duplicate

    let mut count: HashMap<i64, u32> = HashMap::new();
    for (_, id, _, _) in &events {
        *count.entry(*id).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "rows sent more than once: {twice:?}");
    assert_eq!(events.len() as i64, total, "every row once");
    assert!((1..=total).all(|id| count.contains_key(&id)));

    // All reads come first, with Debezium's markers, then the creates.
    let reads = events.iter().take_while(|e| e.0 == "r").count();
    assert!(reads as i64 >= EXISTING);
    assert!(events[reads..].iter().all(|e| e.0 == "c" && e.2 == "false"));
    assert_eq!(events[0].2, "first");
    assert_eq!(events[reads - 1].2, "last");
    assert!(events[1..reads - 1].iter().all(|e| e.2 == "true"));
    // Snapshot rows carry the snapshot transaction's own id (Debezium's
    // txid_current()), which no streamed transaction shares.
    let snapshot_tx = events[0].3;
    assert!(events[..reads].iter().all(|e| e.3 == snapshot_tx));
    assert!(
        events[reads..].iter().all(|e| e.3 != snapshot_tx),
        "a streamed transaction has the snapshot's txId {snapshot_tx}: {:?}",
        events[reads..]
            .iter()
            .filter(|e| e.3 == snapshot_tx)
            .take(3)
            .collect::<Vec<_>>()
    );
    let creates = events.len() - reads;
    eprintln!(
        "{reads} reads, {creates} creates; {inserted_during_snapshot} rows inserted while the snapshot was read; {:?}",
        started.elapsed()
    );
    assert!(
        creates > 0 && inserted_during_snapshot > 0,
        "inserts ran concurrently with the snapshot"
    );
    w.terminate(Duration::from_secs(20));
}
