//! The PostgreSQL CDC task's own metrics on the worker's `/metrics`: the
//! slot's lag (`pg_current_wal_lsn() - confirmed_flush_lsn`) rises while a
//! large transaction is being streamed and falls back once the runtime has
//! stored the offsets and the connector confirmed them.

use std::time::{Duration, Instant};

use ferry_tests::pg::{client, connector_properties_owned, exec, Fixture, TopicTail};
use ferry_tests::worker::{worker_properties, Worker};
use ferry_tests::{http_get, test_dir, wait_for};

const ROWS: i64 = 30_000;

/// The value of `metric` for `connector`'s task 0, with the labels checked.
fn metric(port: u16, metric: &str, connector: &str) -> Option<f64> {
    let (_, text) = http_get(port, "/metrics")?;
    let prefix = format!("{metric}{{connector=\"{connector}\",task=\"0\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))?
        .trim()
        .parse()
        .ok()
}

fn wal_position() -> i64 {
    client()
        .query_one("SELECT (pg_current_wal_lsn() - '0/0')::bigint", &[])
        .unwrap()
        .get(0)
}

#[test]
fn slot_lag_rises_while_streaming_and_falls_after_commits() {
    let f = Fixture::new("metrics");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s}; CREATE TABLE {s}.t (id bigserial PRIMARY KEY, pad text);
         INSERT INTO {s}.t (pad) VALUES ('seed');"
    ));
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let mut settings = f.settings();
    // No heartbeats: only stored events confirm positions, so the slot
    // cannot move while the transaction below is in flight. Gauges refresh
    // every 200 ms.
    settings.push(("heartbeat.interval.ms".into(), "0".into()));
    settings.push(("status.update.interval.ms".into(), "200".into()));
    settings.push(("value.converter.schemas.enable".into(), "false".into()));
    let name = "pg-metrics";
    let conn = connector_properties_owned(dir.path(), name, &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let tail = TopicTail::new(&f.topic("t"));
    let mut events = 0usize;
    wait_for("the snapshot event", Duration::from_secs(60), || {
        events += tail.poll(Duration::from_millis(500)).len();
        (events >= 1).then_some(())
    });
    // The gauge is exported with the task's labels and is near zero once
    // the snapshot is confirmed.
    let settled = wait_for("a small slot lag", Duration::from_secs(60), || {
        metric(port, "ferry_postgres_slot_lag_bytes", name).filter(|v| *v < 1_000_000.0)
    });
    assert!(settled >= 0.0);

    // One large transaction: until its last event is stored, nothing past
    // its start is confirmed, so the lag is at least the WAL it wrote.
    let before = wal_position();
    exec(&format!(
        "INSERT INTO {s}.t (pad) SELECT repeat('x', 300) FROM generate_series(1, {ROWS})"
    ));
    let written = (wal_position() - before) as f64;
    eprintln!("the transaction wrote {written} bytes of WAL");
    let mut max_lag = 0f64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while events < ROWS as usize + 1 {
        assert!(
            Instant::now() < deadline,
            "{events} of {} events arrived",
            ROWS + 1
        );
        events += tail.poll(Duration::from_millis(200)).len();
        if let Some(v) = metric(port, "ferry_postgres_slot_lag_bytes", name) {
            max_lag = max_lag.max(v);
        }
    }
    eprintln!("highest slot lag seen while streaming: {max_lag} bytes");
    assert!(
        max_lag >= written,
        "the lag ({max_lag}) did not show the unconfirmed transaction ({written} bytes)"
    );

    // Once the offsets are stored and confirmed, the lag falls back.
    let started = Instant::now();
    let low = wait_for("the slot lag to fall", Duration::from_secs(60), || {
        metric(port, "ferry_postgres_slot_lag_bytes", name).filter(|v| *v < written / 4.0)
    });
    eprintln!("lag {low} bytes after {:?}", started.elapsed());
    let retained =
        metric(port, "ferry_postgres_slot_retained_wal_bytes", name).expect("retained WAL gauge");
    assert!(retained >= 0.0, "{retained}");
    let behind = metric(port, "ferry_postgres_milliseconds_behind_source", name)
        .expect("milliseconds behind source gauge");
    assert!(
        (0.0..120_000.0).contains(&behind),
        "milliseconds behind source: {behind}"
    );
    w.terminate(Duration::from_secs(20));
}
