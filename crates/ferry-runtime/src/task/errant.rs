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

use ferry_api::{ConnectError, TopicPartition};
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
}

impl Stage {
    /// Kafka's name for the stage (`__connect.errors.stage`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
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
    /// `total-record-errors`.
    pub record_errors: prometheus::IntCounter,
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
            record_errors: m.record_errors.clone(),
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

    /// Whether a converted record's original bytes must be kept: only with
    /// a DLQ and transforms after the converters (a record that fails
    /// conversion is copied when it fails).
    pub(crate) fn keeps_converted_raw(&self) -> bool {
        self.dlq.is_some() && self.transforms_follow
    }

    /// Whether there is a dead-letter queue (failed records then need
    /// their original bytes, and commits wait for it).
    pub(crate) fn wants_raw(&self) -> bool {
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
        self.metrics.record_errors.inc();
        if !self.handling.tolerate_all {
            return Err(failure.error);
        }
        self.metrics.records_skipped.inc();
        if self.handling.log {
            self.metrics.errors_logged.inc();
            let record = match (raw, self.handling.log_messages) {
                (Some(r), true) => format!(
                    " record: topic={} partition={} offset={} key={:?} value={:?}",
                    r.at.topic,
                    r.at.partition,
                    r.offset,
                    r.key.as_deref().map(String::from_utf8_lossy),
                    r.value.as_deref().map(String::from_utf8_lossy),
                ),
                _ => String::new(),
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
                "org.apache.kafka.connect.errors.DataException".to_string(),
            ),
            ("__connect.errors.exception.message", message.clone()),
            (
                "__connect.errors.exception.stacktrace",
                format!("org.apache.kafka.connect.errors.DataException: {message}"),
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

    #[test]
    fn stages_are_named_as_kafka_names_them() {
        assert_eq!(Stage::KeyConverter.name(), "KEY_CONVERTER");
        assert_eq!(Stage::HeaderConverter.name(), "HEADER_CONVERTER");
        assert_eq!(Stage::Transformation.name(), "TRANSFORMATION");
    }
}
