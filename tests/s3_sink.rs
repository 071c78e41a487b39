//! S3 sink end to end: Kafka (tansu) → `ferry` → S3 (SeaweedFS), objects
//! read back by independent readers (pyarrow, DuckDB, fastavro, plain
//! JSON), and exactly-once output across `kill -9`s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferry_tests::kafka::{create_topic, produce};
use ferry_tests::s3;
use ferry_tests::s3_sink::{serial, Sink, JSON_SCHEMALESS, JSON_WITH_SCHEMA};
use ferry_tests::worker::Worker;
use ferry_tests::{unique, wait_for};

/// A sink of a new topic `s3in-…` with `partitions` partitions, and that
/// topic.
fn sink_on_new_topic(partitions: i32, props: &[(&str, &str)]) -> (Sink, String) {
    let topic = unique("s3in");
    create_topic(&topic, partitions);
    (Sink::new(("topics", &topic), props), topic)
}

/// Produces `values` to partition 0 of `topic`, starts the worker and
/// waits up to 90 s for `n` objects; returns the worker and the objects.
fn produce_and_wait_objects(
    sink: &Sink,
    topic: &str,
    values: &[String],
    n: usize,
) -> (Worker, Vec<String>) {
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    produce(topic, 0, &refs);
    let worker = sink.start();
    (worker, sink.wait_objects(n, 90))
}

#[test]
fn json_default_partitioner_writes_confluent_keys_and_lines() {
    let _serial = serial();
    let mut props = vec![
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("flush.size", "3"),
    ];
    props.extend_from_slice(JSON_SCHEMALESS);
    let (sink, topic) = sink_on_new_topic(2, &props);
    let values: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"id":{i},"name":"n{i}","nested":{{"a":[1,2.5,null]}}}}"#))
        .collect();
    let refs: Vec<&[u8]> = values[..4].iter().map(|v| v.as_bytes()).collect();
    produce(&topic, 1, &refs);
    let (_worker, objects) = produce_and_wait_objects(&sink, &topic, &values, 4);
    let t = &topic;
    assert_eq!(
        objects,
        vec![
            format!("{t}/partition=0/{t}+0+0000000000.json"),
            format!("{t}/partition=0/{t}+0+0000000003.json"),
            format!("{t}/partition=0/{t}+0+0000000006.json"),
            format!("{t}/partition=1/{t}+1+0000000000.json"),
        ]
    );
    let text = sink.get(&objects[1]);
    assert_eq!(
        text,
        format!("{}\n{}\n{}\n", values[3], values[4], values[5])
    );
    // Offsets are committed for what is in S3 only: record 9 of partition
    // 0 and record 3 of partition 1 wait in open files.
    let committed = wait_for("commits", Duration::from_secs(30), || {
        let c = sink.committed(&topic, 2);
        (c.get(&0) == Some(&9) && c.get(&1) == Some(&3)).then_some(c)
    });
    assert_eq!(committed.len(), 2);
}

fn order_envelope(id: i64, region: &str, amount: f64, ts: i64) -> String {
    format!(
        r#"{{"schema":{{"type":"struct","name":"com.example.Order","optional":false,"fields":[{{"field":"id","type":"int64"}},{{"field":"region","type":"string"}},{{"field":"amount","type":"double"}},{{"field":"note","type":"string","optional":true}},{{"field":"ts","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1}}]}},"payload":{{"id":{id},"region":"{region}","amount":{amount},"note":null,"ts":{ts}}}}}"#
    )
}

#[test]
fn parquet_with_field_partitioner_reads_back_with_pyarrow_and_duckdb() {
    let _serial = serial();
    let mut props = vec![
        (
            "format.class",
            "io.confluent.connect.s3.format.parquet.ParquetFormat",
        ),
        (
            "partitioner.class",
            "io.confluent.connect.storage.partitioner.FieldPartitioner",
        ),
        ("partition.field.name", "region"),
        ("flush.size", "10"),
    ];
    props.extend_from_slice(JSON_WITH_SCHEMA);
    let (sink, topic) = sink_on_new_topic(1, &props);
    let values: Vec<String> = (0..20)
        .map(|i| {
            order_envelope(
                i,
                if i % 2 == 0 { "eu" } else { "us" },
                i as f64 * 1.5,
                1_714_571_100_000,
            )
        })
        .collect();
    let (_worker, objects) = produce_and_wait_objects(&sink, &topic, &values, 4);
    let t = &topic;
    assert_eq!(
        objects,
        vec![
            format!("{t}/region=eu/{t}+0+0000000000.snappy.parquet"),
            format!("{t}/region=eu/{t}+0+0000000010.snappy.parquet"),
            format!("{t}/region=us/{t}+0+0000000001.snappy.parquet"),
            format!("{t}/region=us/{t}+0+0000000011.snappy.parquet"),
        ]
    );
    let root = sink.download();
    let out = s3::python(&format!(
        r#"
import pyarrow.parquet as pq
t = pq.read_table("{root}/{t}/region=eu/{t}+0+0000000000.snappy.parquet")
print(t.schema.field("id").type, t.schema.field("amount").type, t.schema.field("ts").type, t.num_rows)
print(t.column("id").to_pylist())
md = pq.ParquetFile("{root}/{t}/region=eu/{t}+0+0000000000.snappy.parquet").metadata
print(md.row_group(0).column(0).compression)
import duckdb
print(duckdb.sql("select region, count(*), sum(id) from read_parquet('{root}/{t}/*/*.parquet', hive_partitioning=true) group by region order by region").fetchall())
"#
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "int64 double timestamp[ms, tz=UTC] 5", "{out}");
    assert_eq!(lines[1], "[0, 2, 4, 6, 8]", "{out}");
    assert_eq!(lines[2], "SNAPPY", "{out}");
    assert_eq!(lines[3], "[('eu', 10, 90), ('us', 10, 100)]", "{out}");
}

#[test]
fn avro_with_daily_partitioner_reads_back_with_fastavro() {
    let _serial = serial();
    let mut props = vec![
        ("format.class", "AvroFormat"),
        ("avro.codec", "deflate"),
        (
            "partitioner.class",
            "io.confluent.connect.storage.partitioner.DailyPartitioner",
        ),
        ("locale", "en-US"),
        ("timezone", "UTC"),
        ("timestamp.extractor", "RecordField"),
        ("timestamp.field", "ts"),
        ("flush.size", "4"),
    ];
    props.extend_from_slice(JSON_WITH_SCHEMA);
    let (sink, topic) = sink_on_new_topic(1, &props);
    let day = 86_400_000;
    let values: Vec<String> = (0..4)
        .map(|i| order_envelope(i, "eu", 0.5, 1_714_571_100_000 + (i / 2) * day))
        .collect();
    let (_worker, objects) = produce_and_wait_objects(&sink, &topic, &values, 2);
    let t = &topic;
    assert_eq!(
        objects,
        vec![
            format!("{t}/year=2024/month=05/day=01/{t}+0+0000000000.avro"),
            format!("{t}/year=2024/month=05/day=02/{t}+0+0000000002.avro"),
        ]
    );
    let out = sink.read_avro(
        "**/*.avro",
        r#"print(r.codec, r.writer_schema["name"], [(x["id"], x["region"], x["note"], x["ts"].year) for x in r])"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "deflate com.example.Order [(0, 'eu', None, 2024), (1, 'eu', None, 2024)]",
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
}

#[test]
fn schemaless_record_into_parquet_fails_the_task_naming_it_and_commits_nothing() {
    let _serial = serial();
    let mut props = vec![("format.class", "ParquetFormat"), ("flush.size", "1")];
    props.extend_from_slice(JSON_SCHEMALESS);
    let (sink, topic) = sink_on_new_topic(1, &props);
    produce(&topic, 0, &[br#"{"a":1}"#, br#"{"a":2}"#]);
    let _worker = sink.start();
    let trace = sink.wait_failed(90);
    assert!(trace.contains(&format!("{topic}-0@0")), "{trace}");
    assert!(
        trace.contains("ParquetFormat needs STRUCT records with a schema"),
        "{trace}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(sink.committed(&topic, 1).is_empty(), "nothing committed");
    assert!(sink.objects().is_empty(), "no object written");
}

/// Runs the sink with `kill -9` at five random moments while `n` records
/// (values `p<partition>-<i>`) are produced over `partitions` in five
/// slices, one per worker life, then checks that every record is in
/// exactly one object. Asserts that kills really came mid-flight: while
/// records the worker had been given were not yet committed.
fn crash_test(props: &[(&str, &str)]) {
    let n: usize = std::env::var("FERRY_S3_CRASH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let partitions = 4;
    let rounds = 5;
    let mut all = vec![
        ("format.class", "ByteArrayFormat"),
        (
            "value.converter",
            "org.apache.kafka.connect.converters.ByteArrayConverter",
        ),
    ];
    all.extend_from_slice(props);
    let (sink, topic) = sink_on_new_topic(partitions, &all);
    let per_partition = n / partitions as usize;
    let slice = per_partition / rounds;
    let mut expected = HashMap::new();
    for p in 0..partitions {
        for i in 0..per_partition {
            expected.insert(format!("p{p}-{i}"), 0usize);
        }
    }
    // Slice `r` of every partition (records r*slice .. (r+1)*slice, the
    // last slice taking the remainder), produced in 20 steps 100 ms apart
    // so that the worker is killed while records are still arriving.
    let produced = Arc::new(AtomicUsize::new(0));
    let produce_slice = move |topic: String, r: usize, produced: Arc<AtomicUsize>| {
        let to = if r + 1 == rounds {
            per_partition
        } else {
            (r + 1) * slice
        };
        let from = r * slice;
        let step = (to - from).div_ceil(20);
        for chunk in (from..to).step_by(step) {
            let end = (chunk + step).min(to);
            for p in 0..partitions {
                let values: Vec<String> = (chunk..end).map(|i| format!("p{p}-{i}")).collect();
                let refs: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
                produce(&topic, p, &refs);
                produced.fetch_add(values.len(), Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rand = move |lo: u64, hi: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        lo + seed % (hi - lo)
    };
    let mut mid_flight = 0;
    for round in 0..rounds {
        let mut w = sink.start();
        let (producer_topic, counter) = (topic.clone(), produced.clone());
        let producer = std::thread::spawn(move || produce_slice(producer_topic, round, counter));
        // Killed only once it owns partitions: tansu never expires a group
        // member killed while joining, and its partitions would stay
        // assigned to the dead member (a real broker expires it after
        // session.timeout.ms).
        wait_for("partitions assigned", Duration::from_secs(60), || {
            w.log_text().contains("partitions assigned").then_some(())
        });
        let ms = rand(500, 2500);
        std::thread::sleep(Duration::from_millis(ms));
        let produced_at_kill = produced.load(Ordering::SeqCst);
        w.kill9();
        let committed: i64 = sink.committed(&topic, partitions).values().sum();
        eprintln!("kill -9 #{round} {ms} ms after assignment: {produced_at_kill} produced, {committed} committed");
        if (committed as usize) < produced_at_kill {
            mid_flight += 1;
        }
        producer.join().expect("producer");
    }
    assert!(
        mid_flight >= 3,
        "only {mid_flight} of {rounds} kills came while produced records were uncommitted; the test did not exercise crashes"
    );
    let _worker = sink.start();
    let count_lines = || -> usize {
        sink.objects()
            .iter()
            .map(|k| sink.get(k).split('\n').filter(|l| !l.is_empty()).count())
            .sum()
    };
    wait_for("every record in S3", Duration::from_secs(420), || {
        let c = sink.committed(&topic, partitions);
        (c.values().sum::<i64>() as usize >= n).then_some(())
    });
    let mut dups = Vec::new();
    for k in sink.objects() {
        for line in sink.get(&k).split('\n').filter(|l| !l.is_empty()) {
            let v = line.to_string();
            let c = expected
                .get_mut(&v)
                .unwrap_or_else(|| panic!("unexpected record {v} in {k}"));
            *c += 1;
            if *c > 1 {
                dups.push((v, k.clone()));
            }
        }
    }
    let missing: Vec<&String> = expected
        .iter()
        .filter(|(_, c)| **c == 0)
        .map(|(v, _)| v)
        .collect();
    assert!(
        dups.is_empty(),
        "{} duplicates, e.g. {:?}",
        dups.len(),
        &dups[..dups.len().min(5)]
    );
    assert!(
        missing.is_empty(),
        "{} missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(count_lines(), n);
}

#[test]
fn crash_test_default_partitioner_with_flush_size_is_exactly_once() {
    let _serial = serial();
    // 2,500 divides the records of each partition, so the last file closes too.
    crash_test(&[("flush.size", "2500")]);
}

#[test]
fn crash_test_time_based_with_scheduled_rotation_is_exactly_once() {
    let _serial = serial();
    crash_test(&[
        ("flush.size", "1000000"),
        ("partitioner.class", "TimeBasedPartitioner"),
        ("path.format", "'date'=YYYY-MM-dd/'minute'=HHmm"),
        ("partition.duration.ms", "60000"),
        ("locale", "en-US"),
        ("timezone", "UTC"),
        ("timestamp.extractor", "Wallclock"),
        ("rotate.schedule.interval.ms", "1000"),
    ]);
}
