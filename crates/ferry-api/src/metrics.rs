//! Connector-defined metrics. A task gets a [`MetricsRegistry`] from its
//! context and registers its own gauges and counters; the runtime exports
//! them on `/metrics` with `connector` and `task` labels.
//!
//! ```
//! # use ferry_api::metrics::{MetricsRegistry, NoopMetrics};
//! let metrics = NoopMetrics;
//! let lag = metrics.gauge("ferry_postgres_slot_lag_bytes", "WAL the slot retains");
//! lag.set(1024.0);
//! ```

use std::sync::Arc;

/// A value that goes up and down.
pub trait Gauge: Send + Sync {
    /// Sets the value.
    fn set(&self, value: f64);
}

/// A value that only goes up.
pub trait Counter: Send + Sync {
    /// Adds to the value.
    fn inc_by(&self, value: u64);
}

/// Creates a task's metrics. Names follow Prometheus rules
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`); asking twice for a name returns the same
/// metric.
pub trait MetricsRegistry: Send + Sync {
    /// A gauge labelled with the task's connector and task number.
    fn gauge(&self, name: &str, help: &str) -> Arc<dyn Gauge>;

    /// A counter labelled with the task's connector and task number.
    fn counter(&self, name: &str, help: &str) -> Arc<dyn Counter>;
}

/// Metrics that go nowhere (the default in contexts and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopMetrics;

impl Gauge for NoopMetrics {
    fn set(&self, _value: f64) {}
}

impl Counter for NoopMetrics {
    fn inc_by(&self, _value: u64) {}
}

impl MetricsRegistry for NoopMetrics {
    fn gauge(&self, _name: &str, _help: &str) -> Arc<dyn Gauge> {
        Arc::new(NoopMetrics)
    }

    fn counter(&self, _name: &str, _help: &str) -> Arc<dyn Counter> {
        Arc::new(NoopMetrics)
    }
}
