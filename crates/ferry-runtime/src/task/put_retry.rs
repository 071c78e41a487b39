//! When a failed `SinkTask::put` is tried again: a retriable error retries
//! the same batch after a pause that starts at 100 ms and doubles up to
//! 10 s; any other error fails the task.

use std::time::Duration;

use ferry_api::ConnectError;

/// First pause after a retriable `put` failure.
const INITIAL_PUT_BACKOFF: Duration = Duration::from_millis(100);
/// Longest pause between retries of a `put` that failed with a retriable error.
const MAX_PUT_BACKOFF: Duration = Duration::from_secs(10);

/// The retry state of one batch's `put`.
#[derive(Debug, Clone)]
pub(crate) struct PutRetry {
    next: Duration,
}

impl Default for PutRetry {
    fn default() -> Self {
        PutRetry {
            next: INITIAL_PUT_BACKOFF,
        }
    }
}

impl PutRetry {
    /// The pause before retrying after `error`, or `None` when the error is
    /// not retriable and the task must fail.
    pub(crate) fn after_failure(&mut self, error: &ConnectError) -> Option<Duration> {
        if !error.is_retriable() {
            return None;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(MAX_PUT_BACKOFF);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retriable() -> ConnectError {
        ConnectError::retriable("S3 is slow down")
    }

    #[test]
    fn retriable_failures_pause_from_100_ms_doubling_up_to_10_s() {
        let mut retry = PutRetry::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| retry.after_failure(&retriable()).unwrap().as_millis() as u64)
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
    }

    #[test]
    fn a_non_retriable_failure_is_not_retried() {
        let mut retry = PutRetry::default();
        assert_eq!(
            retry.after_failure(&ConnectError::other("bad bucket")),
            None
        );
        assert_eq!(retry.after_failure(&ConnectError::data("bad record")), None);
    }

    #[test]
    fn a_fatal_failure_after_retries_still_fails() {
        let mut retry = PutRetry::default();
        assert!(retry.after_failure(&retriable()).is_some());
        assert_eq!(retry.after_failure(&ConnectError::other("gone")), None);
    }
}
