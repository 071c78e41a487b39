//! PostgreSQL CDC survives `kill -9`: a writer commits 200,000 rows in
//! transactions of random size (1–1000 rows, some by `COPY`, whose rows
//! share LSNs) while the worker is killed three times at random moments and
//! restarted. Every committed row reaches Kafka as `c` (or `r`), in commit
//! order apart from replays after a restart, and the slot's
//! `confirmed_flush_lsn` advances past the writer's last commit.

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferry_tests::pg::{
    client, confirmed_flush, connector_properties_owned, exec, Fixture, TopicTail,
};
use ferry_tests::test_dir;
use ferry_tests::worker::{worker_properties, Worker};
use serde_json::Value;

const ROWS: u64 = 200_000;

/// xorshift64*: enough randomness for sizes and moments, and reproducible
/// from the printed seed (`FERRY_TEST_SEED`).
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("FERRY_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
                    | 1
            });
        eprintln!("FERRY_TEST_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Commits ROWS rows in random-size transactions, paced so the run spans
/// several seconds. Returns the WAL position after the last commit.
fn write_rows(table: String, mut rng: Rng, written: Arc<AtomicU64>) -> u64 {
    let mut c = client();
    let mut done = 0u64;
    let mut tx_no = 0i32;
    while done < ROWS {
        let n = rng.range(1, 1000).min(ROWS - done);
        tx_no += 1;
        let mut tx = c.transaction().expect("begin");
        if rng.range(0, 3) == 0 {
            // COPY inserts many rows under one WAL record (one LSN).
            let mut w = tx
                .copy_in(&format!("COPY {table} (tx, pad) FROM STDIN"))
                .expect("copy");
            let mut buf = String::new();
            for _ in 0..n {
                buf.push_str(&format!("{tx_no}\tcopy-{tx_no}\n"));
            }
            w.write_all(buf.as_bytes()).expect("copy data");
            w.finish().expect("copy finish");
        } else {
            tx.execute(
                &format!(
                    "INSERT INTO {table} (tx, pad) SELECT $1, 'insert-' || g FROM generate_series(1, $2) g"
                ),
                &[&tx_no, &(n as i32)],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
        done += n;
        written.store(done, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(rng.range(0, 40)));
    }
    let row = c
        .query_one("SELECT (pg_current_wal_lsn() - '0/0')::bigint", &[])
        .expect("wal position");
    row.get::<_, i64>(0) as u64
}

#[test]
fn kill9_three_times_while_writing_loses_nothing() {
    let started = Instant::now();
    let f = Fixture::new("crash");
    let s = &f.schema;
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.rows (id bigserial PRIMARY KEY, tx int NOT NULL, pad text);"
    ));
    let topic = f.topic("rows");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(
        dir.path(),
        port,
        &[("ferry.task.restart.backoff.initial.ms", "200")],
    );
    let conn = connector_properties_owned(dir.path(), "pg-crash", &f.schemaless_settings());

    let mut rng = Rng::seeded();
    let writer_rng = Rng(rng.next() | 1);
    let mut w = Worker::start(dir.path(), &worker, std::slice::from_ref(&conn), port);
    // Let the slot exist before writing so the snapshot is (mostly) empty.
    ferry_tests::wait_for("the slot", Duration::from_secs(60), || {
        confirmed_flush(&f.slot)
    });
    let initial_flush = confirmed_flush(&f.slot).unwrap();

    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let table = format!("{s}.rows");
        let written = written.clone();
        std::thread::spawn(move || write_rows(table, writer_rng, written))
    };
    let tail = TopicTail::new(&topic);
    let mut seen_ids: Vec<u64> = Vec::with_capacity(ROWS as usize * 2);
    let mut ops_ok = true;
    let mut absorb = |tail: &TopicTail, wait: Duration, seen_ids: &mut Vec<u64>| {
        for r in tail.poll(wait) {
            let v: Value = serde_json::from_str(r.value.as_deref().expect("no tombstones here"))
                .expect("JSON value");
            let op = v["op"].as_str().unwrap_or("");
            ops_ok &= op == "c" || op == "r";
            seen_ids.push(v["after"]["id"].as_u64().expect("after.id"));
        }
    };

    // Three kills at random moments while the writer runs (the first may
    // hit the snapshot or the start-up), each followed by a restart.
    for k in 0..3 {
        let until = Instant::now() + Duration::from_millis(rng.range(800, 3500));
        while Instant::now() < until {
            absorb(&tail, Duration::from_millis(300), &mut seen_ids);
        }
        eprintln!(
            "kill -9 #{} after {} rows written, {} events read",
            k + 1,
            written.load(Ordering::SeqCst),
            seen_ids.len()
        );
        w.kill9();
        std::thread::sleep(Duration::from_millis(rng.range(0, 1000)));
        w = Worker::start(dir.path(), &worker, std::slice::from_ref(&conn), port);
    }
    let last_commit = writer.join().expect("writer");
    eprintln!("writer done after {:?}", started.elapsed());

    // Everything arrives.
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut present = HashSet::new();
    let mut read = 0;
    while (present.len() as u64) < ROWS {
        assert!(
            Instant::now() < deadline,
            "only {} of {ROWS} rows reached Kafka; first missing: {:?}",
            present.len(),
            (1..=ROWS).find(|i| !present.contains(i))
        );
        absorb(&tail, Duration::from_millis(500), &mut seen_ids);
        present.extend(seen_ids[read..].iter().copied());
        read = seen_ids.len();
    }
    assert!(ops_ok, "every event is a create (or a snapshot read)");
    assert_eq!(present.len() as u64, ROWS);
    assert!(present.iter().all(|id| (1..=ROWS).contains(id)));

    // Commit order: ids follow each other; a restart may replay (go back),
    // never skip ahead.
    let mut replays = Vec::new();
    let mut prev = 0u64;
    for (i, &id) in seen_ids.iter().enumerate() {
        if id <= prev {
            replays.push(format!("event {i}: {prev} -> {id}"));
        } else {
            assert_eq!(
                id,
                prev + 1,
                "event {i}: id {id} follows {prev}: out of commit order or a gap"
            );
        }
        prev = id;
    }
    eprintln!(
        "{} events for {ROWS} rows ({} duplicates), replays: {replays:?}",
        seen_ids.len(),
        seen_ids.len() as u64 - ROWS
    );
    assert!(
        replays.len() <= 3,
        "{} replays for 3 restarts: more restarts than the kills",
        replays.len()
    );

    // The slot confirms everything once the offsets are stored (heartbeats
    // carry the position past the last commit).
    ferry_tests::wait_for(
        "confirmed_flush_lsn past the writer's last commit",
        Duration::from_secs(30),
        || {
            let now = confirmed_flush(&f.slot)?;
            (now >= last_commit && now > initial_flush).then_some(())
        },
    );
    w.terminate(Duration::from_secs(20));
    eprintln!("took {:?}", started.elapsed());
}
