//! Converters whose failures are retriable (a Schema Registry that cannot
//! be reached) are retried here with backoff, so the task waits for the
//! outage to end instead of failing or skipping records.
//!
//! Kafka Connect retries such failures for `errors.retry.timeout` (default
//! 0: not at all) and then fails the record, which `errors.tolerance=all`
//! would skip; Ferry never skips a record because of an outage. It retries
//! for `errors.retry.timeout` when that is set above 0, for ever when it is
//! 0 (the default) or -1, waiting 100 ms at first and doubling up to
//! `errors.retry.delay.max.ms`; when the time is up the task fails (a
//! retriable error is never handed to error tolerance). A shutdown ends
//! the wait. Every retry counts in `total-retries` and `total-record-failures`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_api::{ConnectError, ConnectResult, Converter, SchemaRef, Value};
use ferry_config::error_handling::ErrorHandling;
use ferry_converters::HeaderConverter;
use tokio::sync::watch;

/// The first wait after a retriable failure.
const FIRST_DELAY: Duration = Duration::from_millis(100);

/// When and how long to retry.
#[derive(Clone)]
pub(crate) struct RetryPolicy {
    /// Give up after this long (`None`: never).
    timeout: Option<Duration>,
    /// The longest wait between attempts.
    delay_max: Duration,
    /// Turns true when the task shuts down.
    shutdown: watch::Receiver<bool>,
    retries: prometheus::IntCounter,
    failures: prometheus::IntCounter,
}

impl RetryPolicy {
    /// The policy of a connector's error handling.
    pub(crate) fn new(
        handling: &ErrorHandling,
        shutdown: watch::Receiver<bool>,
        metrics: &crate::metrics::TaskMetrics,
    ) -> Self {
        RetryPolicy {
            timeout: handling.retry_timeout.filter(|t| !t.is_zero()),
            delay_max: handling.retry_delay_max.max(FIRST_DELAY),
            shutdown,
            retries: metrics.retries.clone(),
            failures: metrics.record_failures.clone(),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, the time is up or
    /// the task shuts down.
    fn run<T>(
        &self,
        what: &str,
        mut attempt: impl FnMut() -> ConnectResult<T>,
    ) -> ConnectResult<T> {
        let started = Instant::now();
        let mut delay = FIRST_DELAY;
        loop {
            let error = match attempt() {
                Err(e) if e.is_retriable() => e,
                done => return done,
            };
            self.failures.inc();
            if self.timeout.is_some_and(|t| started.elapsed() + delay > t) {
                return Err(ConnectError::other(format!(
                    "{what} kept failing for {:.1} s (errors.retry.timeout): {}",
                    started.elapsed().as_secs_f64(),
                    error.full_message()
                )));
            }
            if *self.shutdown.borrow() {
                return Err(ConnectError::other(format!(
                    "{what} interrupted by shutdown while retrying: {}",
                    error.full_message()
                )));
            }
            tracing::warn!(error = %error.full_message(), retry_in_ms = delay.as_millis() as u64, "{what} failed with a retriable error; retrying");
            sleep(delay, &self.shutdown);
            self.retries.inc();
            delay = (delay * 2).min(self.delay_max);
        }
    }
}

/// Sleeps up to `delay`, waking early on shutdown; never parks a tokio
/// worker (it hands its role to another thread first).
fn sleep(delay: Duration, shutdown: &watch::Receiver<bool>) {
    ferry_converters::schema_registry::blocking(|| {
        let until = Instant::now() + delay;
        while Instant::now() < until && !*shutdown.borrow() {
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
    })
}

/// A key or value converter with retries.
pub(crate) struct Retrying {
    inner: Arc<dyn Converter>,
    policy: RetryPolicy,
    class: String,
}

impl Retrying {
    pub(crate) fn wrap(
        inner: Arc<dyn Converter>,
        policy: RetryPolicy,
        class: &str,
    ) -> Arc<dyn Converter> {
        Arc::new(Retrying {
            inner,
            policy,
            class: class.to_string(),
        })
    }
}

impl Converter for Retrying {
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.policy
            .run(&format!("{} (topic {topic})", self.class), || {
                self.inner.from_connect(topic, schema, value)
            })
    }

    fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        self.policy
            .run(&format!("{} (topic {topic})", self.class), || {
                self.inner.to_connect(topic, bytes)
            })
    }
}

/// A header converter with retries.
pub(crate) struct RetryingHeaders {
    inner: Arc<dyn HeaderConverter>,
    policy: RetryPolicy,
}

impl RetryingHeaders {
    pub(crate) fn wrap(
        inner: Arc<dyn HeaderConverter>,
        policy: RetryPolicy,
    ) -> Arc<dyn HeaderConverter> {
        Arc::new(RetryingHeaders { inner, policy })
    }
}

impl HeaderConverter for RetryingHeaders {
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        self.policy.run("header.converter", || {
            self.inner.to_connect_header(topic, key, bytes)
        })
    }

    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.policy.run("header.converter", || {
            self.inner.from_connect_header(topic, key, schema, value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Fails retriably `failures` times, then converts.
    struct Flaky {
        failures: u32,
        calls: AtomicU32,
        kind: fn() -> ConnectError,
    }

    impl Converter for Flaky {
        fn from_connect(
            &self,
            _: &str,
            _: Option<&SchemaRef>,
            _: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            Ok(None)
        }
        fn to_connect(
            &self,
            _: &str,
            _: Option<&[u8]>,
        ) -> ConnectResult<(Option<SchemaRef>, Value)> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                Err((self.kind)())
            } else {
                Ok((None, Value::Int32(n as i32)))
            }
        }
    }

    fn policy(
        timeout: Option<Duration>,
    ) -> (
        RetryPolicy,
        crate::metrics::TaskMetrics,
        watch::Sender<bool>,
    ) {
        let metrics = crate::metrics::Metrics::new().task("c", 0);
        let (tx, rx) = watch::channel(false);
        let handling = ErrorHandling {
            retry_timeout: timeout,
            retry_delay_max: Duration::from_millis(200),
            ..ErrorHandling::default()
        };
        (RetryPolicy::new(&handling, rx, &metrics), metrics, tx)
    }

    fn flaky(failures: u32, kind: fn() -> ConnectError) -> Arc<Flaky> {
        Arc::new(Flaky {
            failures,
            calls: AtomicU32::new(0),
            kind,
        })
    }

    #[test]
    fn retriable_failures_are_retried_until_the_converter_answers() {
        let (p, metrics, _tx) = policy(Some(Duration::ZERO));
        let inner = flaky(2, || ConnectError::retriable("registry down"));
        let c = Retrying::wrap(inner.clone(), p, "AvroConverter");
        assert_eq!(c.to_connect("t", None).unwrap().1, Value::Int32(2));
        assert_eq!(metrics.retries.get(), 2);
        assert_eq!(metrics.record_failures.get(), 2);
    }

    #[test]
    fn data_errors_are_not_retried() {
        let (p, metrics, _tx) = policy(None);
        let inner = flaky(5, || ConnectError::data("bad bytes"));
        let c = Retrying::wrap(inner.clone(), p, "AvroConverter");
        assert!(c.to_connect("t", None).unwrap_err().is_data());
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert_eq!(metrics.retries.get(), 0);
    }

    #[test]
    fn the_wait_ends_at_the_timeout_or_shutdown_and_fails_never_skips() {
        let (p, _m, _tx) = policy(Some(Duration::from_millis(250)));
        let c = Retrying::wrap(
            flaky(u32::MAX, || ConnectError::retriable("down")),
            p,
            "AvroConverter",
        );
        let e = c.to_connect("t", None).unwrap_err();
        assert!(!e.is_data() && !e.is_retriable(), "{e}");
        assert!(e.to_string().contains("errors.retry.timeout"), "{e}");

        let (p, _m, tx) = policy(None);
        let c = Retrying::wrap(
            flaky(u32::MAX, || ConnectError::retriable("down")),
            p,
            "AvroConverter",
        );
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            tx.send(true).unwrap();
        });
        let e = c.to_connect("t", None).unwrap_err();
        assert!(e.to_string().contains("shutdown"), "{e}");
        stopper.join().unwrap();
    }
}
