//! `consume`: the ceiling. A plain rdkafka consumer in a fresh group reads
//! every record of the topic and discards it.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;

use crate::args::Options;
use crate::error::{BenchError, Result};

pub fn run(opts: &Options) -> Result<()> {
    let brokers = opts.str("brokers")?;
    let topic = opts.str("topic")?;
    let records: u64 = opts.num("records", None)?;
    let timeout = Duration::from_secs(opts.num("timeout-s", Some(600))?);
    let started = Instant::now();
    let group = format!(
        "ferry-bench-ceiling-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", &group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        // tansu holds every fetch for up to this long, however much data
        // it has; the sink's worker is given the same setting.
        .set("fetch.wait.max.ms", "10")
        .create()?;
    consumer.subscribe(&[topic])?;
    let (mut count, mut bytes) = (0u64, 0u64);
    // Next expected offset per partition: tansu sometimes serves a record
    // twice, and a repeat must not count.
    let mut next = std::collections::HashMap::<i32, i64>::new();
    while count < records {
        if started.elapsed() > timeout {
            return Err(BenchError::Timeout(format!(
                "{count} of {records} records read from {topic}"
            )));
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) if m.offset() >= *next.get(&m.partition()).unwrap_or(&0) => {
                next.insert(m.partition(), m.offset() + 1);
                count += 1;
                bytes +=
                    (m.key().map_or(0, <[u8]>::len) + m.payload().map_or(0, <[u8]>::len)) as u64;
            }
            Some(Err(e)) => eprintln!("consume: {e}"),
            Some(Ok(_)) | None => {}
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu, rss) = crate::self_usage();
    println!(
        "records={count} bytes={bytes} seconds={seconds:.3} cpu_s={cpu:.2} peak_rss_kib={rss}"
    );
    Ok(())
}
