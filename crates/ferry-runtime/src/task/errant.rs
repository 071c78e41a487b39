//! Records that failed and are tolerated (`errors.tolerance=all`): logged
//! (`errors.log.enable`), counted, and for sinks written with their
//! original bytes to the dead-letter queue
//! (`errors.deadletterqueue.topic.name`), with Kafka Connect's
//! `__connect.errors.*` context headers when
//! `errors.deadletterqueue.context.headers.enable=true`.
//!
//! DLQ writes are asynchronous; [`ErrantReporter::flush`] waits for them
//! and runs before every offset commit, so a skipped record's offset is
//! never committed before its DLQ copy is acknowledged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_api::{ConnectError, SinkRecord, TopicPartition};
use ferry_config::error_handling::{DeadLetterQueue, ErrorHandling};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

use super::TaskId;

/// Where a record failed, as Kafka Connect's `Stage` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The key converter.
    KeyConverter,
    /// The value converter.
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// A transform.
    Transformation,
    /// The sink task, reporting a record it cannot write
    /// ([`ferry_api::ErrantRecordReporter`]).
    TaskPut,
}

impl Stage {
    /// Kafka's name for the stage (`__connect.errors.stage`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
        }
    }
}

/// A failure of one record: where, in which class, why.
#[derive(Debug)]
pub(crate) struct RecordFailure {
    /// The stage.
    pub stage: Stage,
    /// The converter's or transform's class.
    pub class: String,
    /// The error (a data error naming the record).
    pub error: ConnectError,
}

/// A sink record as read from Kafka, before conversion.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    /// Where it was read.
    pub at: TopicPartition,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp.
    pub timestamp: Option<i64>,
    /// Key bytes.
    pub key: Option<Vec<u8>>,
    /// Value bytes.
    pub value: Option<Vec<u8>>,
    /// Headers as read.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl RawRecord {
    /// Copies a consumed message.
    pub(crate) fn of<M: Message>(topic: Arc<str>, m: &M) -> RawRecord {
        RawRecord {
            at: TopicPartition {
                topic,
                partition: m.partition(),
            },
            offset: m.offset(),
            timestamp: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers: m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Counts DLQ deliveries that failed, with the first reason.
#[derive(Default)]
pub(crate) struct DlqContext {
    failures: AtomicU64,
    reason: Mutex<Option<String>>,
}

impl ClientContext for DlqContext {}

impl ProducerContext for DlqContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failures.fetch_add(1, Ordering::AcqRel);
            let mut reason = self.reason.lock().unwrap_or_else(|e| e.into_inner());
            reason.get_or_insert_with(|| e.to_string());
        }
    }
}

/// The metrics an errant record moves.
#[derive(Clone)]
pub(crate) struct ErrantMetrics {
    /// `total-record-failures`.
    pub record_failures: prometheus::IntCounter,
    /// `total-record-errors`.
    pub record_errors: prometheus::IntCounter,
    /// `last-error-timestamp`.
    pub last_error_timestamp: prometheus::IntGauge,
    /// `total-records-skipped`.
    pub records_skipped: prometheus::IntCounter,
    /// `total-errors-logged`.
    pub errors_logged: prometheus::IntCounter,
    /// `deadletterqueue-produce-requests`.
    pub dlq_requests: prometheus::IntCounter,
    /// `deadletterqueue-produce-failures`.
    pub dlq_failures: prometheus::IntCounter,
}

impl ErrantMetrics {
    /// The task's handles.
    pub(crate) fn of(m: &crate::metrics::TaskMetrics) -> Self {
        ErrantMetrics {
            record_failures: m.record_failures.clone(),
            record_errors: m.record_errors.clone(),
            last_error_timestamp: m.last_error_timestamp.clone(),
            records_skipped: m.records_skipped.clone(),
            errors_logged: m.errors_logged.clone(),
            dlq_requests: m.dlq_requests.clone(),
            dlq_failures: m.dlq_failures.clone(),
        }
    }
}

/// Decides what happens to a failed record and carries it out.
pub(crate) struct ErrantReporter {
    task: TaskId,
    handling: ErrorHandling,
    dlq: Option<(DeadLetterQueue, ThreadedProducer<DlqContext>)>,
    metrics: ErrantMetrics,
    reported_failures: AtomicU64,
    transforms_follow: bool,
}

impl ErrantReporter {
    /// A reporter; `dlq` is the producer for the dead-letter queue, if the
    /// connector has one.
    pub(crate) fn new(
        task: TaskId,
        handling: ErrorHandling,
        dlq: Option<ThreadedProducer<DlqContext>>,
        metrics: ErrantMetrics,
    ) -> Self {
        let dlq = handling.dead_letter_queue.clone().zip(dlq);
        ErrantReporter {
            task,
            handling,
            dlq,
            metrics,
            reported_failures: AtomicU64::new(0),
            transforms_follow: false,
        }
    }

    /// Records that convert can still fail in the connector's transforms,
    /// so with a DLQ their bytes are kept until the transforms ran.
    pub(crate) fn with_transforms(mut self, transforms: bool) -> Self {
        self.transforms_follow = transforms;
        self
    }

    /// Whether a converted record's original bytes must be kept: only when
    /// failed records need them and transforms follow the converters (a
    /// record that fails conversion is copied when it fails).
    pub(crate) fn keeps_converted_raw(&self) -> bool {
        self.transforms_follow && self.wants_raw()
    }

    /// Whether failed records need their original bytes: for a
    /// dead-letter queue, or for the error log with
    /// `errors.log.include.messages=true`.
    pub(crate) fn wants_raw(&self) -> bool {
        self.dlq.is_some()
            || (self.handling.tolerate_all && self.handling.log && self.handling.log_messages)
    }

    /// Whether there is a dead-letter queue (commits then wait for it).
    pub(crate) fn has_dlq(&self) -> bool {
        self.dlq.is_some()
    }

    /// A record failed. With `errors.tolerance=none` the error is handed
    /// back (the task fails); with `all` it is logged if asked, sent to the
    /// DLQ if there is one (`raw` is the record as read), and skipped.
    pub(crate) fn report(
        &self,
        failure: RecordFailure,
        raw: Option<&RawRecord>,
    ) -> Result<(), ConnectError> {
        // One failed attempt and one failed record: Ferry's stages are not
        // retried (nothing in them fails retriably), so the two agree.
        self.metrics.record_failures.inc();
        self.metrics.record_errors.inc();
        self.metrics.last_error_timestamp.set(now_ms());
        // Only bad data is tolerated: a converter that gave up waiting for
        // its registry fails the task, its record is never skipped.
        if !self.handling.tolerate_all || !failure.error.is_data() {
            return Err(failure.error);
        }
        self.metrics.records_skipped.inc();
        if self.handling.log {
            self.metrics.errors_logged.inc();
            // As Kafka's LogReporter: where the record was read, and its
            // content only with errors.log.include.messages=true.
            let record = match (raw, self.handling.log_messages) {
                (Some(r), true) => format!(
                    " record: topic={} partition={} offset={} key={:?} value={:?}",
                    r.at.topic,
                    r.at.partition,
                    r.offset,
                    r.key.as_deref().map(String::from_utf8_lossy),
                    r.value.as_deref().map(String::from_utf8_lossy),
                ),
                (Some(r), false) => format!(
                    " record: topic={} partition={} offset={}",
                    r.at.topic, r.at.partition, r.offset
                ),
                (None, _) => String::new(),
            };
            tracing::error!(
                task = %self.task,
                stage = failure.stage.name(),
                class = %failure.class,
                error = %failure.error.full_message(),
                "error in record processing, skipping it (errors.tolerance=all){record}"
            );
        }
        if let (Some((dlq, producer)), Some(raw)) = (&self.dlq, raw) {
            self.metrics.dlq_requests.inc();
            let headers = self.headers(dlq, &failure, raw);
            let mut record: BaseRecord<'_, [u8], [u8], ()> =
                BaseRecord::to(&dlq.topic).headers(headers);
            if let Some(k) = raw.key.as_deref() {
                record = record.key(k);
            }
            if let Some(v) = raw.value.as_deref() {
                record = record.payload(v);
            }
            if let Some(t) = raw.timestamp {
                record = record.timestamp(t);
            }
            if let Err((e, _)) = producer.send(record) {
                self.metrics.dlq_failures.inc();
                return Err(ConnectError::with_source(
                    format!(
                        "cannot write the record at {}@{} to the dead letter queue {}",
                        raw.at, raw.offset, dlq.topic
                    ),
                    e,
                ));
            }
        }
        Ok(())
    }

    fn headers(
        &self,
        dlq: &DeadLetterQueue,
        failure: &RecordFailure,
        raw: &RawRecord,
    ) -> OwnedHeaders {
        let mut out = OwnedHeaders::new_with_capacity(raw.headers.len() + 10);
        for (key, value) in &raw.headers {
            out = out.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        if !dlq.context_headers {
            return out;
        }
        let message = failure.error.full_message();
        let context = [
            ("__connect.errors.topic", raw.at.topic.to_string()),
            ("__connect.errors.partition", raw.at.partition.to_string()),
            ("__connect.errors.offset", raw.offset.to_string()),
            (
                "__connect.errors.connector.name",
                self.task.connector.clone(),
            ),
            ("__connect.errors.task.id", self.task.task.to_string()),
            ("__connect.errors.stage", failure.stage.name().to_string()),
            ("__connect.errors.class.name", failure.class.clone()),
            (
                "__connect.errors.exception.class.name",
                exception_class(&failure.error).to_string(),
            ),
            ("__connect.errors.exception.message", message.clone()),
            (
                "__connect.errors.exception.stacktrace",
                format!("{}: {message}", exception_class(&failure.error)),
            ),
        ];
        for (key, value) in &context {
            out = out.insert(Header {
                key,
                value: Some(value.as_bytes()),
            });
        }
        out
    }

    /// Waits until every DLQ record sent so far is acknowledged; an error
    /// if one was not (then offsets must not be committed).
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), ConnectError> {
        let Some((dlq, producer)) = &self.dlq else {
            return Ok(());
        };
        if let Err(e) = producer.flush(timeout) {
            return Err(ConnectError::with_source(
                format!(
                    "the dead letter queue {} did not acknowledge its records",
                    dlq.topic
                ),
                e,
            ));
        }
        let context = producer.context();
        let failures = context.failures.load(Ordering::Acquire);
        let new = failures - self.reported_failures.swap(failures, Ordering::AcqRel);
        if new > 0 {
            self.metrics.dlq_failures.inc_by(new);
            let reason = context
                .reason
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .unwrap_or_default();
            return Err(ConnectError::other(format!(
                "{new} records could not be written to the dead letter queue {}: {reason}",
                dlq.topic
            )));
        }
        Ok(())
    }
}

/// `message` as an error of the same kind as `cause`: a data error stays
/// one (error tolerance applies), anything else is not.
pub(crate) fn like(cause: &ConnectError, message: String) -> ConnectError {
    if cause.is_data() {
        ConnectError::data(message)
    } else {
        ConnectError::other(message)
    }
}

/// The Java exception class Kafka Connect would name for an error of this
/// kind (`__connect.errors.exception.class.name`).
fn exception_class(error: &ConnectError) -> &'static str {
    match error {
        ConnectError::Data { .. } => "org.apache.kafka.connect.errors.DataException",
        ConnectError::Retriable { .. } => "org.apache.kafka.connect.errors.RetriableException",
        ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
        ConnectError::Other { .. } => "org.apache.kafka.connect.errors.ConnectException",
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The error, its message naming the record at `at` if it does not yet.
fn naming_record(error: ConnectError, at: &str) -> ConnectError {
    if error.to_string().contains(at) {
        return error;
    }
    let named = |message: String| format!("{message} (record at {at})");
    match error {
        ConnectError::Data { message, source } => ConnectError::Data {
            message: named(message),
            source,
        },
        ConnectError::Retriable { message, source } => ConnectError::Retriable {
            message: named(message),
            source,
        },
        ConnectError::Other { message, source } => ConnectError::Other {
            message: named(message),
            source,
        },
        config @ ConnectError::Config(_) => config,
    }
}

/// What a sink task reports through [`ferry_api::ErrantRecordReporter`]:
/// the connector's error handling, with stage `TASK_PUT`.
///
/// The dead-letter copy carries the record's original bytes while Ferry
/// still holds them (the batch being `put`, when the connector has
/// transforms and a DLQ); otherwise the record is serialized again with the
/// connector's converters, as Kafka Connect does for a record that is not
/// the one it handed to the task. Either way the context headers name the
/// topic, partition and offset the record was read at.
pub(crate) struct TaskErrantReporter {
    reporter: Arc<ErrantReporter>,
    codec: super::RecordCodec,
    class: String,
    batch: Mutex<std::collections::HashMap<(TopicPartition, i64), RawRecord>>,
}

impl TaskErrantReporter {
    /// A reporter for the task when the connector tolerates errors
    /// (`errors.tolerance=all`); `None` otherwise, and the task then fails
    /// on a record it cannot write.
    ///
    /// Kafka Connect also hands out a reporter with `errors.tolerance=none`
    /// when a DLQ or the error log is configured, and every report then
    /// fails the task ("Tolerance exceeded"); a connector that reports
    /// records it would otherwise drop quietly (Confluent's S3 sink with
    /// `behavior.on.null.values=ignore`) would fail where the user asked
    /// for nothing to fail. Ferry gives no reporter then: the outcome for
    /// a record the task cannot write is the same (the task fails), and
    /// records the task skips on its own stay skipped.
    pub(crate) fn for_task(
        reporter: &Arc<ErrantReporter>,
        codec: super::RecordCodec,
        class: &str,
    ) -> Option<Arc<Self>> {
        reporter.handling.tolerate_all.then(|| {
            Arc::new(TaskErrantReporter {
                reporter: Arc::clone(reporter),
                codec,
                class: class.to_string(),
                batch: Mutex::default(),
            })
        })
    }

    fn batch(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(TopicPartition, i64), RawRecord>>
    {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The original bytes of the batch about to be `put`.
    pub(crate) fn hold(&self, raw: std::collections::HashMap<(TopicPartition, i64), RawRecord>) {
        *self.batch() = raw;
    }

    /// `put` returned: the batch's bytes are no longer needed.
    pub(crate) fn release(&self) {
        self.batch().clear();
    }

    /// The record as it was read, or serialized again.
    fn raw_of(&self, record: &SinkRecord) -> RawRecord {
        let at = (record.original.clone(), record.original_offset);
        if let Some(raw) = self.batch().get(&at) {
            return raw.clone();
        }
        let topic = &record.original.topic;
        let encode = |side: &str, converter: &dyn ferry_api::Converter, schema, value| {
            converter
                .from_connect(topic, schema, value)
                .unwrap_or_else(|e| {
                    tracing::warn!(record = %record.position(), error = %e.full_message(), "cannot serialize the {side} again for the dead letter queue; it is sent without it");
                    None
                })
        };
        let headers = record
            .headers
            .iter()
            .filter_map(|h| {
                self.codec
                    .header
                    .from_connect_header(topic, &h.key, h.schema.as_ref(), &h.value)
                    .map(|bytes| (h.key.clone(), bytes))
                    .ok()
            })
            .collect();
        RawRecord {
            at: record.original.clone(),
            offset: record.original_offset,
            timestamp: record.timestamp,
            key: encode(
                "key",
                self.codec.key.as_ref(),
                record.key_schema.as_ref(),
                &record.key,
            ),
            value: encode(
                "value",
                self.codec.value.as_ref(),
                record.value_schema.as_ref(),
                &record.value,
            ),
            headers,
        }
    }
}

impl ferry_api::ErrantRecordReporter for TaskErrantReporter {
    fn report(&self, record: &SinkRecord, error: ConnectError) -> ferry_api::ConnectResult<()> {
        let raw = self.reporter.wants_raw().then(|| self.raw_of(record));
        let failure = RecordFailure {
            stage: Stage::TaskPut,
            class: self.class.clone(),
            error: naming_record(error, &record.position()),
        };
        self.reporter.report(failure, raw.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    fn reporter(handling: ErrorHandling) -> (ErrantReporter, Metrics) {
        let metrics = Metrics::new();
        let m = ErrantMetrics::of(&metrics.task("c", 0));
        let id = TaskId {
            connector: "c".into(),
            task: 0,
        };
        (ErrantReporter::new(id, handling, None, m), metrics)
    }

    fn failure() -> RecordFailure {
        RecordFailure {
            stage: Stage::ValueConverter,
            class: "org.apache.kafka.connect.json.JsonConverter".into(),
            error: ConnectError::data("cannot convert the value of the record at t-0@3"),
        }
    }

    #[test]
    fn with_tolerance_none_the_error_fails_the_task_and_is_counted() {
        let (r, metrics) = reporter(ErrorHandling::default());
        let e = r.report(failure(), None).unwrap_err();
        assert!(e.to_string().contains("t-0@3"), "{e}");
        assert_eq!(metrics.task("c", 0).record_errors.get(), 1);
    }

    #[test]
    fn with_tolerance_all_the_record_is_skipped_and_logged_when_asked() {
        let (r, metrics) = reporter(ErrorHandling {
            tolerate_all: true,
            log: true,
            ..ErrorHandling::default()
        });
        assert!(!r.wants_raw());
        r.report(failure(), None).unwrap();
        let t = metrics.task("c", 0);
        assert_eq!(
            (
                t.record_errors.get(),
                t.records_skipped.get(),
                t.errors_logged.get()
            ),
            (1, 1, 1)
        );
        assert!(
            r.flush(Duration::from_millis(1)).is_ok(),
            "no DLQ to wait for"
        );
    }

    fn task_reporter(handling: ErrorHandling) -> (Option<Arc<TaskErrantReporter>>, Metrics) {
        let (r, metrics) = reporter(handling);
        let services = crate::task::test_support::services(&[]);
        let codec = crate::task::RecordCodec::for_connector(
            &services.worker,
            &ferry_api::PropertyMap::new(),
        )
        .unwrap();
        (
            TaskErrantReporter::for_task(
                &Arc::new(r),
                codec,
                "io.confluent.connect.s3.S3SinkConnector",
            ),
            metrics,
        )
    }

    fn sink_record() -> SinkRecord {
        SinkRecord {
            topic: "renamed".into(),
            partition: 0,
            offset: 9,
            timestamp: None,
            timestamp_type: ferry_api::TimestampType::NoTimestampType,
            key_schema: None,
            key: ferry_api::Value::Null,
            value_schema: None,
            value: ferry_api::Value::from("v"),
            headers: ferry_api::Headers::new(),
            original: TopicPartition::new("orders", 2),
            original_offset: 9,
        }
    }

    #[test]
    fn a_task_gets_a_reporter_only_when_errors_are_tolerated() {
        let (none, _) = task_reporter(ErrorHandling {
            log: true,
            ..ErrorHandling::default()
        });
        assert!(none.is_none(), "tolerance=none: the task fails on its own");
        let (all, metrics) = task_reporter(ErrorHandling {
            tolerate_all: true,
            ..ErrorHandling::default()
        });
        let all = all.expect("tolerance=all gives a reporter");
        use ferry_api::ErrantRecordReporter as _;
        all.report(&sink_record(), ConnectError::data("cannot write it"))
            .unwrap();
        let t = metrics.task("c", 0);
        assert_eq!((t.record_failures.get(), t.records_skipped.get()), (1, 1));
        assert!(t.last_error_timestamp.get() > 1_700_000_000_000);
    }

    #[test]
    fn a_task_error_names_the_record_once_and_keeps_its_kind() {
        let e = naming_record(ConnectError::data("bad"), "orders-2@9");
        assert_eq!(e.to_string(), "data error: bad (record at orders-2@9)");
        let again = naming_record(e, "orders-2@9");
        assert_eq!(again.to_string(), "data error: bad (record at orders-2@9)");
        let other = naming_record(ConnectError::other("S3 said no"), "t-0@1");
        assert_eq!(
            exception_class(&other),
            "org.apache.kafka.connect.errors.ConnectException"
        );
        assert_eq!(
            exception_class(&ConnectError::retriable("later")),
            "org.apache.kafka.connect.errors.RetriableException"
        );
    }

    #[test]
    fn a_reported_record_is_serialized_again_unless_its_bytes_are_held() {
        let (all, _) = task_reporter(ErrorHandling {
            tolerate_all: true,
            ..ErrorHandling::default()
        });
        let all = all.unwrap();
        let record = sink_record();
        let raw = all.raw_of(&record);
        assert_eq!(
            (raw.at.clone(), raw.offset),
            (TopicPartition::new("orders", 2), 9)
        );
        assert!(
            raw.value.is_some(),
            "value serialized with the connector's converter"
        );
        let held = RawRecord {
            value: Some(b"original".to_vec()),
            ..raw.clone()
        };
        all.hold(std::collections::HashMap::from([(
            (held.at.clone(), held.offset),
            held,
        )]));
        assert_eq!(all.raw_of(&record).value.as_deref(), Some(&b"original"[..]));
        all.release();
        assert_ne!(all.raw_of(&record).value.as_deref(), Some(&b"original"[..]));
    }

    #[test]
    fn only_data_errors_are_tolerated() {
        let (r, metrics) = reporter(ErrorHandling {
            tolerate_all: true,
            ..ErrorHandling::default()
        });
        let gave_up = RecordFailure {
            stage: Stage::ValueConverter,
            class: "io.confluent.connect.avro.AvroConverter".into(),
            error: like(
                &ConnectError::retriable("registry down"),
                "cannot convert the value".into(),
            ),
        };
        assert!(
            r.report(gave_up, None).is_err(),
            "an outage is never skipped"
        );
        assert_eq!(metrics.task("c", 0).records_skipped.get(), 0);
        assert!(like(&ConnectError::data("x"), "y".into()).is_data());
    }

    #[test]
    fn stages_are_named_as_kafka_names_them() {
        assert_eq!(Stage::KeyConverter.name(), "KEY_CONVERTER");
        assert_eq!(Stage::HeaderConverter.name(), "HEADER_CONVERTER");
        assert_eq!(Stage::Transformation.name(), "TRANSFORMATION");
        assert_eq!(Stage::TaskPut.name(), "TASK_PUT");
    }
}
