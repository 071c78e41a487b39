//! Prometheus metrics, named after Kafka Connect's JMX metrics as the
//! Prometheus JMX exporter renders them: `kafka_connect_<group>_<metric>`
//! with `connector` and `task` labels, e.g.
//! `kafka_connect_sink_task_metrics_sink_record_read_total{connector="s3",task="0"}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// All of the worker's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    sink_record_read: IntCounterVec,
    sink_record_send: IntCounterVec,
    sink_record_lag_max: IntGaugeVec,
    partition_count: IntGaugeVec,
    put_batch_time: HistogramVec,
    source_record_poll: IntCounterVec,
    source_record_write: IntCounterVec,
    source_record_active: IntGaugeVec,
    poll_batch_time: HistogramVec,
    batch_size: HistogramVec,
    offset_commit_success: IntCounterVec,
    offset_commit_failure: IntCounterVec,
    task_status: IntGaugeVec,
    task_restarts: IntCounterVec,
    record_failures: IntCounterVec,
    record_errors: IntCounterVec,
    records_skipped: IntCounterVec,
    retries: IntCounterVec,
    last_error_timestamp: IntGaugeVec,
    errors_logged: IntCounterVec,
    dlq_requests: IntCounterVec,
    dlq_failures: IntCounterVec,
    /// `connect-worker-metrics`.
    pub worker: WorkerMetrics,
    connector_gauges: Arc<Mutex<HashMap<String, GaugeVec>>>,
    connector_counters: Arc<Mutex<HashMap<String, IntCounterVec>>>,
}

const LABELS: &[&str] = &["connector", "task"];

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), LABELS).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(g.clone()))
        .expect("unique metric");
    g
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> HistogramVec {
    let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), LABELS)
        .expect("valid metric");
    registry
        .register(Box::new(h.clone()))
        .expect("unique metric");
    h
}

/// The task states exported by `kafka_connect_connector_task_metrics_status`.
pub const TASK_STATES: &[&str] = &["running", "failed", "restarting", "unassigned", "paused"];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let r = Registry::new();
        let seconds = vec![0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0];
        let sizes = vec![1.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0];
        Metrics {
            sink_record_read: counter(&r, "kafka_connect_sink_task_metrics_sink_record_read_total", "Records read from Kafka by the sink task."),
            sink_record_send: counter(&r, "kafka_connect_sink_task_metrics_sink_record_send_total", "Records handed to the sink task's put (after transforms)."),
            sink_record_lag_max: gauge(&r, "kafka_connect_sink_task_metrics_sink_record_lag_max", "Largest consumer lag, in records, over the task's partitions (from librdkafka statistics).", LABELS),
            partition_count: gauge(&r, "kafka_connect_sink_task_metrics_partition_count", "Partitions assigned to the sink task.", LABELS),
            put_batch_time: histogram(&r, "kafka_connect_sink_task_metrics_put_batch_time_seconds", "Time taken by put for one batch.", seconds.clone()),
            source_record_poll: counter(&r, "kafka_connect_source_task_metrics_source_record_poll_total", "Records returned by the source task's poll."),
            source_record_write: counter(&r, "kafka_connect_source_task_metrics_source_record_write_total", "Records acknowledged by Kafka."),
            source_record_active: gauge(&r, "kafka_connect_source_task_metrics_source_record_active_count", "Records sent but not yet acknowledged.", LABELS),
            poll_batch_time: histogram(&r, "kafka_connect_source_task_metrics_poll_batch_time_seconds", "Time taken by poll for one batch.", seconds),
            batch_size: histogram(&r, "kafka_connect_connector_task_metrics_batch_size", "Records per batch (put or poll).", sizes),
            offset_commit_success: counter(&r, "kafka_connect_connector_task_metrics_offset_commit_success_total", "Successful offset commits."),
            offset_commit_failure: counter(&r, "kafka_connect_connector_task_metrics_offset_commit_failure_total", "Failed offset commits."),
            task_status: gauge(&r, "kafka_connect_connector_task_metrics_status", "1 for the task's current state.", &["connector", "task", "state"]),
            task_restarts: counter(&r, "ferry_task_restarts_total", "Automatic restarts of failed tasks."),
            record_failures: counter(&r, "kafka_connect_task_error_metrics_total_record_failures", "Failed attempts to convert, transform or write a record."),
            record_errors: counter(&r, "kafka_connect_task_error_metrics_total_record_errors", "Records that failed conversion or processing."),
            retries: counter(&r, "kafka_connect_task_error_metrics_total_retries", "Retried operations on records (errors.retry.timeout; Ferry's converters and transforms never fail retriably, so this stays 0)."),
            last_error_timestamp: gauge(&r, "kafka_connect_task_error_metrics_last_error_timestamp", "When the task last met a record error, in ms since the epoch (0: never).", LABELS),
            records_skipped: counter(&r, "kafka_connect_task_error_metrics_total_records_skipped", "Records skipped because of errors (errors.tolerance=all)."),
            errors_logged: counter(&r, "kafka_connect_task_error_metrics_total_errors_logged", "Errors written to the log (errors.log.enable)."),
            dlq_requests: counter(&r, "kafka_connect_task_error_metrics_deadletterqueue_produce_requests", "Records sent to the dead letter queue."),
            dlq_failures: counter(&r, "kafka_connect_task_error_metrics_deadletterqueue_produce_failures", "Records the dead letter queue did not accept."),
            worker: WorkerMetrics::new(&r),
            connector_gauges: Arc::default(),
            connector_counters: Arc::default(),
            registry: r,
        }
    }

    /// Handles for one task's metrics.
    pub fn task(&self, connector: &str, task: u32) -> TaskMetrics {
        let t = task.to_string();
        let l = [connector, t.as_str()];
        TaskMetrics {
            sink_record_read: self.sink_record_read.with_label_values(&l),
            sink_record_send: self.sink_record_send.with_label_values(&l),
            sink_record_lag_max: self.sink_record_lag_max.with_label_values(&l),
            partition_count: self.partition_count.with_label_values(&l),
            put_batch_time: self.put_batch_time.with_label_values(&l),
            source_record_poll: self.source_record_poll.with_label_values(&l),
            source_record_write: self.source_record_write.with_label_values(&l),
            source_record_active: self.source_record_active.with_label_values(&l),
            poll_batch_time: self.poll_batch_time.with_label_values(&l),
            batch_size: self.batch_size.with_label_values(&l),
            offset_commit_success: self.offset_commit_success.with_label_values(&l),
            offset_commit_failure: self.offset_commit_failure.with_label_values(&l),
            task_restarts: self.task_restarts.with_label_values(&l),
            record_failures: self.record_failures.with_label_values(&l),
            record_errors: self.record_errors.with_label_values(&l),
            retries: self.retries.with_label_values(&l),
            last_error_timestamp: self.last_error_timestamp.with_label_values(&l),
            records_skipped: self.records_skipped.with_label_values(&l),
            errors_logged: self.errors_logged.with_label_values(&l),
            dlq_requests: self.dlq_requests.with_label_values(&l),
            dlq_failures: self.dlq_failures.with_label_values(&l),
        }
    }

    /// The registry a task's connector code registers its own metrics in.
    pub fn connector_registry(
        &self,
        connector: &str,
        task: u32,
    ) -> Arc<dyn ferry_api::metrics::MetricsRegistry> {
        Arc::new(ConnectorMetrics {
            metrics: self.clone(),
            labels: [connector.to_string(), task.to_string()],
        })
    }

    /// Sets the task's state gauge: 1 for `state`, 0 for the others.
    pub fn set_task_state(&self, connector: &str, task: u32, state: &str) {
        let t = task.to_string();
        for s in TASK_STATES {
            self.task_status
                .with_label_values(&[connector, t.as_str(), s])
                .set(i64::from(*s == state));
        }
    }

    /// The text exposition format, for `/metrics`.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Connector-defined metrics of one task, registered on first use.
struct ConnectorMetrics {
    metrics: Metrics,
    labels: [String; 2],
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

struct GaugeHandle(prometheus::Gauge);
impl ferry_api::metrics::Gauge for GaugeHandle {
    fn set(&self, value: f64) {
        self.0.set(value);
    }
}

struct CounterHandle(prometheus::IntCounter);
impl ferry_api::metrics::Counter for CounterHandle {
    fn inc_by(&self, value: u64) {
        self.0.inc_by(value);
    }
}

impl ferry_api::metrics::MetricsRegistry for ConnectorMetrics {
    fn gauge(&self, name: &str, help: &str) -> Arc<dyn ferry_api::metrics::Gauge> {
        let labels = [self.labels[0].as_str(), self.labels[1].as_str()];
        let mut gauges = self
            .metrics
            .connector_gauges
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(g) = gauges.get(name) {
            return Arc::new(GaugeHandle(g.with_label_values(&labels)));
        }
        let created = valid_name(name)
            .then(|| GaugeVec::new(Opts::new(name, help), LABELS).ok())
            .flatten()
            .filter(|g| self.metrics.registry.register(Box::new(g.clone())).is_ok());
        match created {
            Some(g) => {
                let handle = g.with_label_values(&labels);
                gauges.insert(name.to_string(), g);
                Arc::new(GaugeHandle(handle))
            }
            None => {
                tracing::warn!(
                    metric = name,
                    "connector metric has an invalid or clashing name; not exported"
                );
                Arc::new(ferry_api::metrics::NoopMetrics)
            }
        }
    }

    fn counter(&self, name: &str, help: &str) -> Arc<dyn ferry_api::metrics::Counter> {
        let labels = [self.labels[0].as_str(), self.labels[1].as_str()];
        let mut counters = self
            .metrics
            .connector_counters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(c) = counters.get(name) {
            return Arc::new(CounterHandle(c.with_label_values(&labels)));
        }
        let created = valid_name(name)
            .then(|| IntCounterVec::new(Opts::new(name, help), LABELS).ok())
            .flatten()
            .filter(|c| self.metrics.registry.register(Box::new(c.clone())).is_ok());
        match created {
            Some(c) => {
                let handle = c.with_label_values(&labels);
                counters.insert(name.to_string(), c);
                Arc::new(CounterHandle(handle))
            }
            None => {
                tracing::warn!(
                    metric = name,
                    "connector metric has an invalid or clashing name; not exported"
                );
                Arc::new(ferry_api::metrics::NoopMetrics)
            }
        }
    }
}

/// Kafka Connect's `connect-worker-metrics` (worker-wide, no labels).
#[derive(Clone)]
pub struct WorkerMetrics {
    /// `connector-count`: connectors on this worker.
    pub connector_count: prometheus::IntGauge,
    /// `task-count`: tasks running on this worker.
    pub task_count: prometheus::IntGauge,
    /// `connector-startup-attempts-total`.
    pub connector_startup_attempts: prometheus::IntCounter,
    /// `connector-startup-success-total`.
    pub connector_startup_success: prometheus::IntCounter,
    /// `connector-startup-failure-total`.
    pub connector_startup_failure: prometheus::IntCounter,
}

impl WorkerMetrics {
    fn new(r: &Registry) -> Self {
        let gauge = |name: &str, help: &str| {
            let g = prometheus::IntGauge::new(name, help).expect("valid metric");
            r.register(Box::new(g.clone())).expect("unique metric");
            g
        };
        let counter = |name: &str, help: &str| {
            let c = prometheus::IntCounter::new(name, help).expect("valid metric");
            r.register(Box::new(c.clone())).expect("unique metric");
            c
        };
        WorkerMetrics {
            connector_count: gauge(
                "kafka_connect_connect_worker_metrics_connector_count",
                "Connectors on this worker.",
            ),
            task_count: gauge(
                "kafka_connect_connect_worker_metrics_task_count",
                "Tasks running on this worker.",
            ),
            connector_startup_attempts: counter(
                "kafka_connect_connect_worker_metrics_connector_startup_attempts_total",
                "Connector starts attempted.",
            ),
            connector_startup_success: counter(
                "kafka_connect_connect_worker_metrics_connector_startup_success_total",
                "Connector starts that succeeded.",
            ),
            connector_startup_failure: counter(
                "kafka_connect_connect_worker_metrics_connector_startup_failure_total",
                "Connector starts that failed.",
            ),
        }
    }
}

/// One task's metric handles (cheap to update on the hot path).
#[derive(Clone)]
#[allow(missing_docs)]
pub struct TaskMetrics {
    pub sink_record_read: prometheus::IntCounter,
    pub sink_record_send: prometheus::IntCounter,
    pub sink_record_lag_max: prometheus::IntGauge,
    pub partition_count: prometheus::IntGauge,
    pub put_batch_time: prometheus::Histogram,
    pub source_record_poll: prometheus::IntCounter,
    pub source_record_write: prometheus::IntCounter,
    pub source_record_active: prometheus::IntGauge,
    pub poll_batch_time: prometheus::Histogram,
    pub batch_size: prometheus::Histogram,
    pub offset_commit_success: prometheus::IntCounter,
    pub offset_commit_failure: prometheus::IntCounter,
    pub task_restarts: prometheus::IntCounter,
    pub record_failures: prometheus::IntCounter,
    pub record_errors: prometheus::IntCounter,
    pub records_skipped: prometheus::IntCounter,
    pub retries: prometheus::IntCounter,
    pub last_error_timestamp: prometheus::IntGauge,
    pub errors_logged: prometheus::IntCounter,
    pub dlq_requests: prometheus::IntCounter,
    pub dlq_failures: prometheus::IntCounter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_connect_style_names_with_labels() {
        let m = Metrics::new();
        let t = m.task("sink-a", 2);
        t.sink_record_read.inc_by(5);
        m.set_task_state("sink-a", 2, "running");
        let text = m.render();
        assert!(text.contains(
            "kafka_connect_sink_task_metrics_sink_record_read_total{connector=\"sink-a\",task=\"2\"} 5"
        ), "{text}");
        assert!(text.contains("state=\"running\",task=\"2\"} 1"), "{text}");
        assert!(text.contains("state=\"failed\",task=\"2\"} 0"), "{text}");
    }

    #[test]
    fn connector_metrics_are_exported_with_task_labels() {
        let m = Metrics::new();
        let a = m.connector_registry("pg", 0);
        let b = m.connector_registry("pg", 1);
        a.gauge("ferry_test_lag_bytes", "lag").set(42.0);
        b.gauge("ferry_test_lag_bytes", "lag").set(7.0);
        a.counter("ferry_test_events_total", "events").inc_by(3);
        a.gauge("bad name", "ignored").set(1.0);
        let text = m.render();
        assert!(
            text.contains("ferry_test_lag_bytes{connector=\"pg\",task=\"0\"} 42"),
            "{text}"
        );
        assert!(
            text.contains("ferry_test_lag_bytes{connector=\"pg\",task=\"1\"} 7"),
            "{text}"
        );
        assert!(
            text.contains("ferry_test_events_total{connector=\"pg\",task=\"0\"} 3"),
            "{text}"
        );
        assert!(!text.contains("bad name"));
    }
}
