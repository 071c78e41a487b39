//! The fetch side of a sink task: a dedicated thread that polls the Kafka
//! consumer, converts messages into [`SinkRecord`]s and hands batches to the
//! task loop over a bounded channel (back-pressure: when the task is slow,
//! the thread blocks and stops fetching).
//!
//! Rebalance callbacks run on this thread, inside `poll`. On revocation the
//! thread asks the task loop — through the same channel, so every batch
//! fetched before is handled first — for the offsets to commit, commits
//! them synchronously, and only then lets the rebalance proceed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::Duration;

use ferry_api::{ConnectError, Headers, SinkRecord, TimestampType, TopicPartition};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers as _, Message};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, Timestamp, TopicPartitionList};
use tokio::sync::mpsc;

use super::codec::RecordCodec;
use super::errant::{ErrantReporter, RawRecord, RecordFailure, Stage};
use super::fetch_positions::FetchPositions;
use super::TaskId;

/// One poll's worth of records.
#[derive(Default)]
pub(crate) struct Fetched {
    /// Converted records, in the order read.
    pub records: Vec<SinkRecord>,
    /// Records that failed conversion and were skipped
    /// (`errors.tolerance=all`): done, their offsets count as processed.
    pub skipped: Vec<(TopicPartition, i64)>,
    /// The records as read, by position, when a dead-letter queue needs them
    /// (for records a transform fails on).
    pub raw: HashMap<(TopicPartition, i64), RawRecord>,
}

impl Fetched {
    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.skipped.is_empty()
    }
}

/// What the fetch thread tells the task loop, in order.
pub(crate) enum FetchEvent {
    /// Converted records.
    Batch(Fetched),
    /// Partitions were assigned.
    Assigned(Vec<TopicPartition>),
    /// Partitions are being revoked; reply with the offsets to commit.
    Revoked {
        partitions: Vec<TopicPartition>,
        reply: std_mpsc::SyncSender<Vec<(TopicPartition, i64)>>,
    },
    /// A requested rewind took effect: records of the partition after this
    /// event come from the new position.
    Rewound(TopicPartition),
    /// The fetch side failed (conversion error, fatal client error).
    Failed(ConnectError),
}

/// What the task loop asks of the fetch thread.
pub(crate) enum FetchCommand {
    Seek(TopicPartition, i64),
}

/// Rebalance and statistics callbacks of the sink consumer.
pub(crate) struct SinkConsumerContext {
    id: TaskId,
    events: mpsc::Sender<FetchEvent>,
    lag: prometheus::IntGauge,
    /// Rebalances so far; the fetch thread forgets its positions when it
    /// changes.
    rebalances: AtomicU64,
}

pub(crate) fn partitions_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// `topic-0, topic-1` for logs.
pub(crate) fn display_partitions(partitions: &[TopicPartition]) -> String {
    partitions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn offsets_list(offsets: &[(TopicPartition, i64)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (tp, offset) in offsets {
        // Adding a fresh partition cannot fail.
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset));
    }
    tpl
}

impl ClientContext for SinkConsumerContext {
    fn stats(&self, statistics: Statistics) {
        let max_lag = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0)
            .map(|p| p.consumer_lag)
            .max()
            .unwrap_or(0);
        self.lag.set(max_lag.max(0));
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.rebalances.fetch_add(1, Ordering::AcqRel);
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let partitions = partitions_of(tpl);
        if partitions.is_empty() {
            return;
        }
        tracing::info!(task = %self.id, partitions = %display_partitions(&partitions), "partitions revoked");
        if tokio::runtime::Handle::try_current().is_ok() {
            // Only the fetch thread may wait for the task loop; anywhere
            // else the loop is gone and committed on its way out.
            return;
        }
        let (reply, answer) = std_mpsc::sync_channel(1);
        if self
            .events
            .blocking_send(FetchEvent::Revoked { partitions, reply })
            .is_err()
        {
            return; // the task loop is gone: it committed on its way out
        }
        let Ok(offsets) = answer.recv() else {
            return;
        };
        if offsets.is_empty() {
            return;
        }
        if let Err(e) = consumer.commit(&offsets_list(&offsets), CommitMode::Sync) {
            tracing::warn!(task = %self.id, error = %e, "offset commit on revocation failed; the next owner re-reads from the last committed offset");
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let partitions = partitions_of(tpl);
                tracing::info!(task = %self.id, partitions = %display_partitions(&partitions), "partitions assigned");
                if tokio::runtime::Handle::try_current().is_err() {
                    let _ = self.events.blocking_send(FetchEvent::Assigned(partitions));
                }
            }
            Rebalance::Error(e) => tracing::warn!(task = %self.id, error = %e, "rebalance error"),
            Rebalance::Revoke(_) => {}
        }
    }
}

/// The consumer type of sink tasks.
pub(crate) type SinkConsumer = BaseConsumer<SinkConsumerContext>;

/// Creates the consumer context.
pub(crate) fn consumer_context(
    id: TaskId,
    events: mpsc::Sender<FetchEvent>,
    lag: prometheus::IntGauge,
) -> SinkConsumerContext {
    SinkConsumerContext {
        id,
        events,
        lag,
        rebalances: AtomicU64::new(0),
    }
}

/// The fetch loop's state.
pub(crate) struct Fetcher {
    pub id: TaskId,
    pub consumer: Arc<SinkConsumer>,
    pub codec: RecordCodec,
    pub events: mpsc::Sender<FetchEvent>,
    pub commands: std_mpsc::Receiver<FetchCommand>,
    pub max_batch: usize,
    pub stop: Arc<AtomicBool>,
    errant: Arc<ErrantReporter>,
    topics: HashMap<String, Arc<str>>,
    positions: FetchPositions,
}

impl Fetcher {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: TaskId,
        consumer: Arc<SinkConsumer>,
        codec: RecordCodec,
        events: mpsc::Sender<FetchEvent>,
        commands: std_mpsc::Receiver<FetchCommand>,
        max_batch: usize,
        stop: Arc<AtomicBool>,
        errant: Arc<ErrantReporter>,
    ) -> Self {
        Fetcher {
            id,
            consumer,
            codec,
            events,
            commands,
            max_batch: max_batch.max(1),
            stop,
            errant,
            topics: HashMap::new(),
            positions: FetchPositions::default(),
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Runs until told to stop or the task loop goes away, then closes the
    /// consumer (leaving the group).
    pub(crate) fn run(mut self) {
        while !self.stopping() {
            if !self.handle_commands() {
                break;
            }
            match self.fetch_batch() {
                Ok(batch) if batch.is_empty() => {}
                Ok(batch) => {
                    if self.events.blocking_send(FetchEvent::Batch(batch)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = self.events.blocking_send(FetchEvent::Failed(e));
                    break;
                }
            }
        }
        self.consumer.unsubscribe();
        tracing::debug!(task = %self.id, "fetcher stopped");
    }

    /// Applies rewinds requested by the task; false if the loop should end.
    fn handle_commands(&mut self) -> bool {
        while let Ok(FetchCommand::Seek(tp, offset)) = self.commands.try_recv() {
            let result = self.consumer.seek(
                &tp.topic,
                tp.partition,
                Offset::Offset(offset),
                Duration::from_secs(10),
            );
            match result {
                Ok(()) => {
                    self.positions.rewind(&tp.topic, tp.partition, offset);
                    if self.events.blocking_send(FetchEvent::Rewound(tp)).is_err() {
                        return false;
                    }
                }
                Err(e) => {
                    let _ =
                        self.events
                            .blocking_send(FetchEvent::Failed(ConnectError::with_source(
                                format!("cannot rewind {tp} to offset {offset}"),
                                e,
                            )));
                    return false;
                }
            }
        }
        true
    }

    /// Polls up to `max_batch` messages: waits up to 100 ms for the first,
    /// then takes what is already fetched.
    fn fetch_batch(&mut self) -> Result<Fetched, ConnectError> {
        let mut batch = Fetched::default();
        let mut repeats = 0u64;
        let mut wait = Duration::from_millis(100);
        while batch.records.len() + batch.skipped.len() < self.max_batch {
            let consumer = Arc::clone(&self.consumer);
            let polled = consumer.poll(wait);
            // Rebalance callbacks ran inside `poll`.
            self.positions
                .sync_generation(consumer.context().rebalances.load(Ordering::Acquire));
            match polled {
                None => break,
                Some(Ok(message)) => {
                    let topic = self.topic(message.topic());
                    if self
                        .positions
                        .accept(&topic, message.partition(), message.offset())
                    {
                        match convert_staged(&self.codec, Arc::clone(&topic), &message) {
                            Ok(record) => {
                                if self.errant.keeps_converted_raw() {
                                    let raw = RawRecord::of(topic, &message);
                                    batch.raw.insert((raw.at.clone(), raw.offset), raw);
                                }
                                batch.records.push(record);
                            }
                            Err(failure) => {
                                let raw = self
                                    .errant
                                    .wants_raw()
                                    .then(|| RawRecord::of(Arc::clone(&topic), &message));
                                self.errant.report(failure, raw.as_ref())?;
                                batch.skipped.push((
                                    TopicPartition::new(topic, message.partition()),
                                    message.offset(),
                                ));
                            }
                        }
                    } else {
                        repeats += 1;
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(e)) => {
                    if is_fatal(&e) {
                        return Err(ConnectError::with_source("Kafka consumer failed", e));
                    }
                    tracing::warn!(task = %self.id, error = %e, "consumer error (retrying)");
                    break;
                }
            }
            wait = Duration::ZERO;
        }
        if repeats > 0 {
            tracing::info!(task = %self.id, records = repeats, "skipped records the consumer served again below its position");
        }
        Ok(batch)
    }

    fn topic(&mut self, name: &str) -> Arc<str> {
        if let Some(t) = self.topics.get(name) {
            return Arc::clone(t);
        }
        let t: Arc<str> = Arc::from(name);
        self.topics.insert(name.to_string(), Arc::clone(&t));
        t
    }
}

/// Converts a message with the connector's converters. A failure names
/// the record (`topic-partition@offset`) and the converter. `topic` is the
/// message's topic name, interned by the fetcher.
#[cfg(test)]
fn convert<M: Message>(
    codec: &RecordCodec,
    topic: Arc<str>,
    m: &M,
) -> Result<SinkRecord, ConnectError> {
    convert_staged(codec, topic, m).map_err(|f| f.error)
}

/// [`convert`], saying which converter failed.
fn convert_staged<M: Message>(
    codec: &RecordCodec,
    topic: Arc<str>,
    m: &M,
) -> Result<SinkRecord, RecordFailure> {
    let tp = TopicPartition {
        topic: Arc::clone(&topic),
        partition: m.partition(),
    };
    let offset = m.offset();
    let fail = |stage: Stage, what: &str, class: &str, e: ConnectError| RecordFailure {
        stage,
        class: class.to_string(),
        error: super::errant::like(
            &e,
            format!(
                "cannot convert the {what} of the record at {tp}@{offset} with {class}: {}",
                e.full_message()
            ),
        ),
    };
    let (key_schema, key) = codec
        .key
        .to_connect(&topic, m.key())
        .map_err(|e| fail(Stage::KeyConverter, "key", &codec.classes.0, e))?;
    let (value_schema, value) = codec
        .value
        .to_connect(&topic, m.payload())
        .map_err(|e| fail(Stage::ValueConverter, "value", &codec.classes.1, e))?;
    let mut headers = Headers::new();
    if let Some(hs) = m.headers() {
        for h in hs.iter() {
            let (schema, value) = codec
                .header
                .to_connect_header(&topic, h.key, h.value)
                .map_err(|e| {
                    fail(
                        Stage::HeaderConverter,
                        &format!("header {:?}", h.key),
                        "header.converter",
                        e,
                    )
                })?;
            headers.add(h.key, schema, value);
        }
    }
    let (timestamp, timestamp_type) = match m.timestamp() {
        Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
        Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
        Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
    };
    Ok(SinkRecord {
        topic,
        partition: tp.partition,
        offset,
        timestamp,
        timestamp_type,
        key_schema,
        key,
        value_schema,
        value,
        headers,
        original: tp,
        original_offset: offset,
    })
}

/// Errors after which the consumer cannot continue.
fn is_fatal(e: &KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        e.rdkafka_error_code(),
        Some(
            C::Fatal
                | C::InvalidConfig
                | C::Authentication
                | C::SaslAuthenticationFailed
                | C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
        )
    )
}

#[cfg(test)]
mod tests {
    use ferry_api::{PropertyMap, Value};
    use rdkafka::message::{Header, OwnedHeaders, OwnedMessage};
    use rdkafka::types::RDKafkaErrorCode as C;

    use super::*;
    use crate::task::test_support::services;

    fn codec(connector: &[(&str, &str)]) -> RecordCodec {
        let props: PropertyMap = ferry_api::property_map(connector.iter().copied());
        RecordCodec::for_connector(&services(&[]).worker, &props).unwrap()
    }

    fn message(key: &[u8], value: &[u8], timestamp: Timestamp) -> OwnedMessage {
        let headers = OwnedHeaders::new().insert(Header {
            key: "trace",
            value: Some("abc"),
        });
        OwnedMessage::new(
            Some(value.to_vec()),
            Some(key.to_vec()),
            "orders".into(),
            timestamp,
            3,
            42,
            Some(headers),
        )
    }

    #[test]
    fn a_message_becomes_a_record_that_remembers_where_it_was_read() {
        let m = message(b"k1", b"v1", Timestamp::CreateTime(1_700_000_000_000));
        let r = convert(&codec(&[]), Arc::from("orders"), &m).unwrap();
        assert_eq!(r.position(), "orders-3@42");
        assert_eq!((&*r.topic, r.partition, r.offset), ("orders", 3, 42));
        assert_eq!(r.original, TopicPartition::new("orders", 3));
        assert_eq!(r.original_offset, 42);
        assert_eq!(r.key, Value::from("k1"));
        assert_eq!(r.value, Value::from("v1"));
        assert_eq!(
            (r.timestamp, r.timestamp_type),
            (Some(1_700_000_000_000), TimestampType::CreateTime)
        );
        let h = r.headers.last_with_name("trace").unwrap();
        assert_eq!(h.value, Value::from("abc"));
    }

    #[test]
    fn timestamps_keep_their_kind() {
        let c = codec(&[]);
        let log = message(b"k", b"v", Timestamp::LogAppendTime(5));
        let r = convert(&c, Arc::from("orders"), &log).unwrap();
        assert_eq!(
            (r.timestamp, r.timestamp_type),
            (Some(5), TimestampType::LogAppendTime)
        );
        let none = message(b"k", b"v", Timestamp::NotAvailable);
        let r = convert(&c, Arc::from("orders"), &none).unwrap();
        assert_eq!(
            (r.timestamp, r.timestamp_type),
            (None, TimestampType::NoTimestampType)
        );
    }

    #[test]
    fn a_conversion_failure_names_the_record_and_the_converter() {
        let c = codec(&[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
        ]);
        let m = message(b"k", b"{not json", Timestamp::NotAvailable);
        let e = convert(&c, Arc::from("orders"), &m).unwrap_err();
        assert!(matches!(e, ConnectError::Data { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(
                "data error: cannot convert the value of the record at orders-3@42 with \
                 org.apache.kafka.connect.json.JsonConverter: "
            ),
            "{text}"
        );
    }

    #[test]
    fn authentication_authorization_and_fatal_errors_stop_the_consumer() {
        for code in [
            C::Fatal,
            C::InvalidConfig,
            C::Authentication,
            C::SaslAuthenticationFailed,
            C::TopicAuthorizationFailed,
            C::GroupAuthorizationFailed,
        ] {
            assert!(is_fatal(&KafkaError::MessageConsumption(code)), "{code:?}");
        }
    }

    #[test]
    fn transient_errors_are_retried() {
        for code in [
            C::BrokerTransportFailure,
            C::AllBrokersDown,
            C::RequestTimedOut,
            C::UnknownTopicOrPartition,
        ] {
            assert!(!is_fatal(&KafkaError::MessageConsumption(code)), "{code:?}");
        }
    }

    #[test]
    fn offsets_lists_carry_each_partition_and_offset() {
        let offsets = [
            (TopicPartition::new("orders", 0), 10),
            (TopicPartition::new("audit", 2), 7),
        ];
        let tpl = offsets_list(&offsets);
        assert_eq!(
            partitions_of(&tpl),
            [offsets[0].0.clone(), offsets[1].0.clone()]
        );
        let back: Vec<(String, i32, Offset)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition(), e.offset()))
            .collect();
        assert_eq!(
            back,
            [
                ("orders".to_string(), 0, Offset::Offset(10)),
                ("audit".to_string(), 2, Offset::Offset(7))
            ]
        );
        assert_eq!(
            display_partitions(&partitions_of(&tpl)),
            "orders-0, audit-2"
        );
    }
}
