//! `produce`: creates the topic and fills its partitions evenly.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use crate::args::Options;
use crate::error::{BenchError, Result};
use crate::shapes;

pub fn run(opts: &Options) -> Result<()> {
    let brokers = opts.str("brokers")?;
    let topic = opts.str("topic")?;
    let partitions: i32 = opts.num("partitions", Some(1))?;
    let records: u64 = opts.num("records", None)?;
    let shape = opts.str("shape")?;
    if shapes::value(shape, 0).is_none() {
        return Err(BenchError::Usage(format!("unknown --shape {shape:?}")));
    }
    create_topic(brokers, topic, partitions)?;

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.kbytes", "262144")
        .set("compression.type", "none")
        .create()?;
    let started = Instant::now();
    let mut bytes = 0u64;
    for i in 0..records {
        let value = shapes::value(shape, i).unwrap_or_default();
        let key = i.to_string();
        bytes += (key.len() + value.len()) as u64;
        let mut record = BaseRecord::to(topic)
            .partition((i % partitions as u64) as i32)
            .key(&key)
            .payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
    }
    producer.flush(Duration::from_secs(300))?;
    let (cpu, rss) = crate::self_usage();
    println!(
        "records={records} bytes={bytes} seconds={:.3} cpu_s={cpu:.2} peak_rss_kib={rss}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::Usage(format!("tokio runtime: {e}")))?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = rt.block_on(admin.create_topics([&new], &AdminOptions::new()))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => {
                return Err(BenchError::Kafka(KafkaError::AdminOp(code)))
                    .map_err(|e| BenchError::Usage(format!("creating {t}: {e}")))
            }
        }
    }
    Ok(())
}
