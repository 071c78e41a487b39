//! The source executor: `poll` → converters → idempotent producer; stored
//! offsets advance only over acknowledged records; after each store the
//! task's `commit` is called.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, SourceRecord, SourceTask, SourceTaskContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use tokio::sync::watch;

use super::ack_tracker::{AckToken, AckTracker};
use super::codec::RecordCodec;
use super::errant::{ErrantMetrics, ErrantReporter, RecordFailure, Stage};
use super::offset_flush::{flush_source_offsets, FlushSchedule};
use super::topic_creation::{TopicCreation, TopicCreator};
use super::{TaskSpec, WorkerServices};
use crate::error::RuntimeError;
use crate::kafka_client::ToRdkafka;
use crate::metrics::TaskMetrics;
use crate::offsets::ConnectorOffsets;
use crate::transforms::{TransformChain, TransformFailure};
use ferry_api::Outcome;
use ferry_config::client::{client_config, ClientRole};

/// Delivery callbacks of the source producer.
struct AckContext {
    tracker: Arc<Mutex<AckTracker>>,
    written: prometheus::IntCounter,
    active: prometheus::IntGauge,
}

impl ClientContext for AckContext {}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Box<AckToken>;

    fn delivery(&self, result: &DeliveryResult<'_>, token: Box<AckToken>) {
        let mut tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(_) => {
                tracker.ack(*token);
                self.written.inc();
            }
            Err((e, message)) => {
                use rdkafka::Message;
                tracker.fail(format!(
                    "Kafka did not accept a record for topic {}: {e}",
                    message.topic()
                ));
            }
        }
        self.active.set(tracker.in_flight() as i64);
    }
}

type SourceProducer = ThreadedProducer<AckContext>;

fn producer_config(services: &WorkerServices, spec: &TaskSpec) -> rdkafka::ClientConfig {
    let settings = client_config(
        &services.worker.props,
        ClientRole::Producer,
        &spec.connector_props,
    );
    for w in &settings.warnings {
        tracing::warn!(task = %spec.id, "{w}");
    }
    let mut config = settings.to_rdkafka();
    // Kafka Connect's source producers never lose or duplicate on retry.
    // murmur2_random places keyed records on the same partitions as Java
    // producers do (librdkafka's default hash differs). The send queue is
    // capped at the Java producer's `buffer.memory` default (32 MiB)
    // instead of librdkafka's 1 GiB, so a fast source waits for Kafka
    // rather than growing the worker's memory.
    for (key, value) in [
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("partitioner", "murmur2_random"),
        ("queue.buffering.max.kbytes", "32768"),
    ] {
        if config.get(key).is_none() {
            config.set(key, value);
        }
    }
    if config.get("client.id").is_none() {
        config.set("client.id", format!("connector-producer-{}", spec.id));
    }
    config
}

/// Runs one source task until `shutdown` turns true or the task fails.
pub async fn run_source_task(
    spec: TaskSpec,
    mut task: Box<dyn SourceTask>,
    services: Arc<WorkerServices>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), RuntimeError> {
    let id = spec.id.clone();
    let metrics = services.metrics.task(&id.connector, id.task);
    let codec = RecordCodec::for_task(&services, &spec, &shutdown)?;
    let transforms = spec.transforms.instantiate_for(&id)?;
    let tracker = Arc::new(Mutex::new(AckTracker::default()));
    let context = AckContext {
        tracker: Arc::clone(&tracker),
        written: metrics.source_record_write.clone(),
        active: metrics.source_record_active.clone(),
    };
    let producer: SourceProducer = producer_config(&services, &spec)
        .create_with_context(context)
        .map_err(|e| RuntimeError::kafka(format!("creating the producer of task {id}"), e))?;

    let creator = match TopicCreation::from_props(&spec.connector_props, &services.worker.props) {
        Ok(Some(rules)) => {
            let admin = super::admin_client(&services, &spec)?;
            Some(TopicCreator::new(rules, admin))
        }
        Ok(None) => None,
        Err(reason) => {
            return Err(RuntimeError::Worker(format!(
                "connector {}: {reason}",
                id.connector
            )))
        }
    };
    let offsets = Arc::new(ConnectorOffsets::new(
        &id.connector,
        Arc::clone(&services.offsets),
    ));
    let ctx = SourceTaskContext::new(&id.connector, id.task, offsets)
        .with_metrics(services.metrics.connector_registry(&id.connector, id.task));
    task.start(ctx, &spec.task_props)
        .await
        .map_err(|e| RuntimeError::connect(format!("starting task {id}"), e))?;

    let mut run = SourceLoop {
        spec: &spec,
        services: &services,
        producer,
        tracker,
        codec,
        transforms,
        errant: ErrantReporter::new(
            id.clone(),
            spec.errors.clone(),
            None,
            ErrantMetrics::of(&metrics),
        ),
        metrics,
        creator,
    };
    let result = run.poll_loop(&mut task, &shutdown).await;

    // Orderly end: wait for outstanding acknowledgements, store offsets,
    // let the task commit. After a failure only what was acknowledged is
    // stored, which is still correct.
    let budget = services.worker.shutdown_timeout;
    let producer = &run.producer;
    let flushed = tokio::task::block_in_place(|| producer.flush(budget));
    if let Err(e) = flushed {
        tracing::warn!(task = %id, error = %e, "records still unacknowledged at shutdown; they will be sent again after restart");
    }
    if let Err(e) = run.flush_offsets(&mut task).await {
        tracing::warn!(task = %id, error = %e, "final offset flush failed");
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %id, error = %e.full_message(), "stopping task failed");
    }
    result
}

struct SourceLoop<'a> {
    spec: &'a TaskSpec,
    services: &'a WorkerServices,
    producer: SourceProducer,
    tracker: Arc<Mutex<AckTracker>>,
    codec: RecordCodec,
    transforms: TransformChain,
    errant: ErrantReporter,
    metrics: TaskMetrics,
    creator: Option<TopicCreator>,
}

impl SourceLoop<'_> {
    fn tracker(&self) -> std::sync::MutexGuard<'_, AckTracker> {
        self.tracker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failed(&self, doing: &str, e: ConnectError) -> RuntimeError {
        RuntimeError::connect(format!("task {} failed in {doing}", self.spec.id), e)
    }

    async fn poll_loop(
        &mut self,
        task: &mut Box<dyn SourceTask>,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        let mut schedule =
            FlushSchedule::new(self.services.worker.offset_flush_interval, Instant::now());
        while !*shutdown.borrow() {
            if let Some(reason) = self.tracker().failure() {
                return Err(self.failed("producing records", ConnectError::other(reason)));
            }
            let started = Instant::now();
            let records = task.poll().await.map_err(|e| self.failed("poll", e))?;
            if !records.is_empty() {
                self.metrics
                    .poll_batch_time
                    .observe(started.elapsed().as_secs_f64());
                self.metrics.batch_size.observe(records.len() as f64);
                self.metrics.source_record_poll.inc_by(records.len() as u64);
                for mut record in records {
                    if self.transform(&mut record)? == Outcome::Drop {
                        self.dropped(record);
                        continue;
                    }
                    self.send(record).await?;
                }
            }
            let now = Instant::now();
            if schedule.is_due(now) {
                schedule.flushed(now);
                if let Err(e) = self.flush_offsets(task).await {
                    tracing::warn!(task = %self.spec.id, error = %e, "offset flush failed; retrying at the next interval");
                }
            }
        }
        Ok(())
    }

    /// Runs the connector's transforms on a polled record.
    fn transform(&mut self, record: &mut SourceRecord) -> Result<Outcome, RuntimeError> {
        if self.transforms.is_empty() {
            return Ok(Outcome::Keep);
        }
        match self.transforms.apply(record) {
            Ok(outcome) => Ok(outcome),
            Err(TransformFailure { class, error }) => {
                let from = serde_json::Value::Object(record.source_partition.clone());
                let failure = RecordFailure {
                    stage: Stage::Transformation,
                    class: class.to_string(),
                    error: ConnectError::data(format!(
                        "{} (record for topic {} from source partition {from})",
                        error.full_message(),
                        record.topic
                    )),
                };
                // Tolerated (errors.tolerance=all): skipped like a dropped record.
                match self.errant.report(failure, None) {
                    Ok(()) => Ok(Outcome::Drop),
                    Err(e) => Err(self.failed("transforming", e)),
                }
            }
        }
    }

    /// A transform dropped the record: nothing is written, and its offset
    /// counts as done once every earlier record is acknowledged, as in
    /// Kafka Connect.
    fn dropped(&mut self, record: SourceRecord) {
        let mut tracker = self.tracker();
        let token = tracker.register(&record.source_partition, record.source_offset);
        tracker.ack(token);
    }

    /// Converts and sends one record, waiting while the producer queue is full.
    async fn send(&mut self, mut record: SourceRecord) -> Result<(), RuntimeError> {
        if let Some(creator) = self.creator.as_mut() {
            creator.ensure(&record.topic).await?;
        }
        // The tracker keeps the offset; the record needs it no more.
        let source_offset = std::mem::take(&mut record.source_offset);
        let (key, value, headers) = match convert_record(&self.codec, &record) {
            Ok(converted) => converted,
            Err(failure) => {
                // Tolerated (errors.tolerance=all): skipped like a dropped record.
                return match self.errant.report(failure, None) {
                    Ok(()) => {
                        record.source_offset = source_offset;
                        self.dropped(record);
                        Ok(())
                    }
                    Err(e) => Err(self.failed("converting", e)),
                };
            }
        };
        let topic = record.topic.as_str();
        self.services
            .status
            .add_topic(&self.spec.id.connector, topic);
        let where_ = || describe(&record);
        let token = self
            .tracker()
            .register(&record.source_partition, source_offset);
        let mut message = BaseRecord::with_opaque_to(topic, Box::new(token));
        if let Some(v) = value.as_deref() {
            message = message.payload(v);
        }
        if let Some(k) = key.as_deref() {
            message = message.key(k);
        }
        if let Some(p) = record.partition {
            message = message.partition(p);
        }
        if let Some(t) = record.timestamp {
            message = message.timestamp(t);
        }
        if let Some(h) = headers {
            message = message.headers(h);
        }
        loop {
            match self.producer.send(message) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    message = back;
                    // The queue drains as Kafka acknowledges; a delivery
                    // failure means it never will.
                    if let Some(reason) = self.tracker().failure().map(str::to_string) {
                        return Err(self.failed("producing records", ConnectError::other(reason)));
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => {
                    return Err(self.failed(
                        "producing records",
                        ConnectError::with_source(format!("cannot send the {}", where_()), e),
                    ));
                }
            }
        }
    }

    /// Stores the offsets that became committable, then calls the task's
    /// `commit` with them.
    async fn flush_offsets(&mut self, task: &mut Box<dyn SourceTask>) -> Result<(), RuntimeError> {
        flush_source_offsets(
            &self.tracker,
            self.services.offsets.as_ref(),
            &self.spec.id,
            self.services.worker.offset_flush_timeout,
            &self.metrics,
            task.as_mut(),
        )
        .await
    }
}

/// `record for topic t from source partition {…}`, for error messages.
fn describe(record: &SourceRecord) -> String {
    format!(
        "record for topic {} from source partition {}",
        record.topic,
        serde_json::Value::Object(record.source_partition.clone())
    )
}

/// A source record's key, value and headers as bytes, or which converter
/// failed on it.
#[allow(clippy::type_complexity)]
fn convert_record(
    codec: &RecordCodec,
    record: &SourceRecord,
) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>, Option<OwnedHeaders>), RecordFailure> {
    let topic = record.topic.as_str();
    let where_ = || describe(record);
    let fail = |stage: Stage, class: &str, cause: &ConnectError, message: String| RecordFailure {
        stage,
        class: class.to_string(),
        error: super::errant::like(cause, message),
    };
    let key = codec
        .key
        .from_connect(topic, record.key_schema.as_ref(), &record.key)
        .map_err(|e| {
            fail(
                Stage::KeyConverter,
                &codec.classes.0,
                &e,
                format!(
                    "cannot convert the key of the {} with {}: {}",
                    where_(),
                    codec.classes.0,
                    e.full_message()
                ),
            )
        })?;
    let value = codec
        .value
        .from_connect(topic, record.value_schema.as_ref(), &record.value)
        .map_err(|e| {
            fail(
                Stage::ValueConverter,
                &codec.classes.1,
                &e,
                format!(
                    "cannot convert the value of the {} with {}: {}",
                    where_(),
                    codec.classes.1,
                    e.full_message()
                ),
            )
        })?;
    let mut headers = None;
    if !record.headers.is_empty() {
        let mut hs = OwnedHeaders::new_with_capacity(record.headers.len());
        for h in record.headers.iter() {
            let bytes = codec
                .header
                .from_connect_header(topic, &h.key, h.schema.as_ref(), &h.value)
                .map_err(|e| {
                    fail(
                        Stage::HeaderConverter,
                        "header.converter",
                        &e,
                        format!(
                            "cannot convert header {:?} of the {}: {}",
                            h.key,
                            where_(),
                            e.full_message()
                        ),
                    )
                })?;
            hs = hs.insert(Header {
                key: &h.key,
                value: bytes.as_deref(),
            });
        }
        headers = Some(hs);
    }
    Ok((key, value, headers))
}

#[cfg(test)]
mod tests {
    use ferry_api::PropertyMap;

    use super::*;
    use crate::task::test_support::{services, task_id};

    fn spec(connector: &[(&str, &str)]) -> TaskSpec {
        TaskSpec {
            transforms: Default::default(),
            errors: Default::default(),
            id: task_id("pg", 0),
            connector_props: ferry_api::property_map(connector.iter().copied()),
            task_props: PropertyMap::new(),
            subscription: None,
        }
    }

    #[test]
    fn the_producer_never_loses_or_duplicates_and_partitions_like_java() {
        let config = producer_config(&services(&[]), &spec(&[]));
        let get = |k| config.get(k).unwrap_or("<unset>");
        assert_eq!(get("enable.idempotence"), "true");
        assert_eq!(get("acks"), "all");
        assert_eq!(get("partitioner"), "murmur2_random");
        assert_eq!(get("queue.buffering.max.kbytes"), "32768");
        assert_eq!(get("client.id"), "connector-producer-pg-0");
    }

    #[test]
    fn producer_overrides_win_over_the_defaults() {
        let config = producer_config(
            &services(&[]),
            &spec(&[
                ("producer.override.acks", "1"),
                ("producer.override.client.id", "mine"),
            ]),
        );
        assert_eq!(config.get("acks"), Some("1"));
        assert_eq!(config.get("client.id"), Some("mine"));
        assert_eq!(config.get("enable.idempotence"), Some("true"));
    }
}
