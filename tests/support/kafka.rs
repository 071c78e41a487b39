//! Kafka helpers: create topics, produce, read a whole topic back, read a
//! consumer group's committed offsets.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::bootstrap;

/// A record read back from a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Value as UTF-8 (lossy), empty for null.
    pub value: String,
}

/// Runs a future to completion on the current thread (the admin API is
/// async; the tests are not, and rdkafka completes it from its own thread).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// Creates a topic with `partitions` partitions.
pub fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("admin client");
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let results = block_on(admin.create_topics(&[topic], &AdminOptions::new()))
        .expect("create_topics request");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// Produces values (null keys) and waits for every acknowledgement.
pub fn produce(topic: &str, partition: i32, values: &[&[u8]]) {
    let values: Vec<Option<&[u8]>> = values.iter().copied().map(Some).collect();
    produce_nullable(topic, partition, &values);
}

/// Produces values, `None` as a null value (a tombstone), with null keys,
/// and waits for every acknowledgement.
pub fn produce_nullable(topic: &str, partition: i32, values: &[Option<&[u8]>]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for v in values {
        let mut record = BaseRecord::<(), [u8]>::to(topic).partition(partition);
        if let Some(v) = v {
            record = record.payload(*v);
        }
        producer.send(record).expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// A consumer of its own group (no commits, `fetch.wait.max.ms=10`, and
/// the `extra` settings) assigned partitions `0..partitions` of `topic`
/// from the beginning.
pub fn reader_from_start(topic: &str, partitions: i32, extra: &[(&str, &str)]) -> BaseConsumer {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap())
        .set("group.id", crate::unique("ferry-test-reader"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10");
    for (key, value) in extra {
        config.set(*key, *value);
    }
    let consumer: BaseConsumer = config.create().expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    consumer
}

/// Reads every record of `topic` (partitions `0..partitions`) from the
/// beginning, until `expected` records arrived or nothing new came for
/// `idle`. Records are in offset order per partition.
pub fn read_topic(topic: &str, partitions: i32, expected: usize, idle: Duration) -> Vec<Read> {
    let consumer = reader_from_start(topic, partitions, &[]);
    let mut out = Vec::new();
    let mut last = Instant::now();
    while out.len() < expected && last.elapsed() < idle {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                out.push(Read {
                    partition: m.partition(),
                    offset: m.offset(),
                    value: m
                        .payload()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .unwrap_or_default(),
                });
                last = Instant::now();
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    out
}

/// The offsets committed by consumer group `group` for `topic`.
pub fn committed_offsets(group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}
