//! A snapshot interrupted by `kill -9` is taken again from scratch, as
//! Debezium does: 150,000 existing rows, the worker killed while they are
//! being read, rows inserted while it is down, a restart. The restarted
//! snapshot holds every row exactly once (including those inserted while
//! the worker was down), it ends with the only `snapshot: "last"` marker,
//! and streaming follows it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferry_tests::pg::{connector_properties_owned, exec, Fixture, TopicTail};
use ferry_tests::test_dir;
use ferry_tests::worker::{stored_offsets, worker_properties, Worker};
use serde_json::Value;

const EXISTING: i64 = 150_000;
/// Inserted while the worker is down: part of the restarted snapshot.
const WHILE_DOWN: i64 = 100;
/// Inserted once the restarted snapshot is complete: streamed.
const AFTER: i64 = 50;

/// (op, id, source.snapshot) of each event.
type Event = (String, i64, String);

fn absorb(tail: &TopicTail, wait: Duration, events: &mut Vec<Event>) {
    for r in tail.poll(wait) {
        let v: Value = serde_json::from_str(r.value.as_deref().expect("a value")).unwrap();
        events.push((
            v["op"].as_str().unwrap().to_string(),
            v["after"]["id"].as_i64().unwrap(),
            v["source"]["snapshot"].as_str().unwrap().to_string(),
        ));
    }
}

#[test]
fn snapshot_killed_midway_is_taken_again_from_scratch() {
    let started = Instant::now();
    let f = Fixture::new("snapcrash");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.items (id bigserial PRIMARY KEY, name text NOT NULL, qty int);
         INSERT INTO {s}.items (name, qty) SELECT 'item-' || g, g % 97 FROM generate_series(1, {EXISTING}) g;"
    ));
    let topic = f.topic("items");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let conn =
        connector_properties_owned(dir.path(), "pg-snapshot-crash", &f.schemaless_settings());

    let mut w = Worker::start(dir.path(), &worker, std::slice::from_ref(&conn), port);
    let tail = TopicTail::new(&topic);
    let mut events: Vec<Event> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Kill as soon as a mid-snapshot offset is stored (offsets are flushed
    // every 500 ms): the snapshot is then under way and far from done. The
    // topic reader can lag the worker by the whole snapshot, so it cannot
    // tell when to kill.
    let mid_snapshot_offset_stored = || {
        stored_offsets(dir.path())
            .iter()
            .any(|o| o["snapshot"].is_string() && o["last_snapshot_record"] == Value::Bool(false))
    };
    while !mid_snapshot_offset_stored() {
        assert!(
            Instant::now() < deadline,
            "no mid-snapshot offset stored in {:?}",
            dir.path()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    w.kill9();
    let offsets = std::fs::read_to_string(dir.path().join("offsets.json")).unwrap_or_default();
    eprintln!(
        "kill -9 after {} events read, {:?}; stored offsets: {offsets}",
        events.len(),
        started.elapsed()
    );
    // Everything the killed worker wrote, to be sure the kill hit the snapshot.
    loop {
        let before = events.len();
        absorb(&tail, Duration::from_secs(3), &mut events);
        if events.len() == before {
            break;
        }
    }
    let first_run = events.len();
    assert!(
        (first_run as i64) < EXISTING,
        "the kill came after the snapshot: {first_run} events"
    );
    assert!(
        events.iter().all(|e| e.0 == "r" && e.2 != "last"),
        "the first run wrote only snapshot reads, without the last marker"
    );
    assert_eq!(events[0].2, "first");

    exec(&format!(
        "INSERT INTO {s}.items (name, qty) SELECT 'down-' || g, g FROM generate_series(1, {WHILE_DOWN}) g"
    ));
    let mut w = Worker::start(dir.path(), &worker, std::slice::from_ref(&conn), port);
    let deadline = Instant::now() + Duration::from_secs(240);
    while !events[first_run..].iter().any(|e| e.2 == "last") {
        assert!(
            Instant::now() < deadline,
            "the restarted snapshot did not finish: {} events after the restart",
            events.len() - first_run
        );
        absorb(&tail, Duration::from_millis(500), &mut events);
    }
    exec(&format!(
        "INSERT INTO {s}.items (name, qty) SELECT 'after-' || g, g FROM generate_series(1, {AFTER}) g"
    ));
    let total = EXISTING + WHILE_DOWN + AFTER;
    let expected = first_run + (total as usize);
    while events.len() < expected {
        assert!(
            Instant::now() < deadline,
            "{} of {expected} events arrived",
            events.len()
        );
        absorb(&tail, Duration::from_millis(500), &mut events);
    }
    absorb(&tail, Duration::from_secs(2), &mut events); // duplicates would show here
    w.terminate(Duration::from_secs(20));

    // The restart began a new snapshot (Debezium's "first" marker again)...
    let second = &events[first_run..];
    assert_eq!(second[0].2, "first", "the restarted snapshot starts over");
    let reads = second.iter().take_while(|e| e.0 == "r").count();
    let snapshot = &second[..reads];
    assert_eq!(snapshot[reads - 1].2, "last");
    assert!(snapshot[1..reads - 1].iter().all(|e| e.2 == "true"));
    // ...holding every row that existed at its start exactly once...
    let mut count: HashMap<i64, u32> = HashMap::new();
    for e in snapshot {
        *count.entry(e.1).or_default() += 1;
    }
    assert_eq!(reads as i64, EXISTING + WHILE_DOWN, "one read per row");
    assert!((1..=EXISTING + WHILE_DOWN).all(|id| count.get(&id) == Some(&1)));
    // ...then the streamed rows, once each, as creates.
    let streamed = &second[reads..];
    assert_eq!(
        streamed
            .iter()
            .map(|e| (e.0.as_str(), e.1, e.2.as_str()))
            .collect::<Vec<_>>(),
        (EXISTING + WHILE_DOWN + 1..=total)
            .map(|id| ("c", id, "false"))
            .collect::<Vec<_>>()
    );
    // One "last" marker in the whole topic, and every row at least once.
    assert_eq!(events.iter().filter(|e| e.2 == "last").count(), 1);
    let mut all: Vec<i64> = events.iter().map(|e| e.1).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    eprintln!(
        "{first_run} events before the kill, {} after the restart; {:?}",
        second.len(),
        started.elapsed()
    );
}
