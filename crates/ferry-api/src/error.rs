//! The error type connectors and tasks return.

use crate::config::ConfigErrors;

/// A boxed error from a library a connector uses.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result of connector and task operations.
pub type ConnectResult<T> = Result<T, ConnectError>;

/// Why a connector or task operation failed. The variant tells the runtime
/// what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The configuration is invalid; every problem is listed.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigErrors),

    /// A transient failure (network, throttling). The runtime retries the
    /// same call (for a sink `put`, the same batch) after a backoff, as
    /// Kafka Connect does for `RetriableException`.
    #[error("retriable error: {message}")]
    Retriable {
        /// What went wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// A record could not be handled (bad data). Carries enough context to
    /// find the record.
    #[error("data error: {message}")]
    Data {
        /// What went wrong, naming the record where possible.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// Any other failure. The task is reported FAILED with this error.
    #[error("{message}")]
    Other {
        /// What went wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl ConnectError {
    /// A retriable error with a message.
    pub fn retriable(message: impl Into<String>) -> Self {
        ConnectError::Retriable {
            message: message.into(),
            source: None,
        }
    }

    /// A data error with a message.
    pub fn data(message: impl Into<String>) -> Self {
        ConnectError::Data {
            message: message.into(),
            source: None,
        }
    }

    /// A fatal error with a message.
    pub fn other(message: impl Into<String>) -> Self {
        ConnectError::Other {
            message: message.into(),
            source: None,
        }
    }

    /// A fatal error wrapping a source error, with context.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ConnectError::Other {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Whether the runtime should retry the failed call.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable { .. })
    }

    /// Whether this is a data error: one record cannot be handled, and the
    /// connector's error handling (`errors.tolerance`) applies to it.
    pub fn is_data(&self) -> bool {
        matches!(self, ConnectError::Data { .. })
    }

    /// The message followed by the chain of sources, `: `-separated; what
    /// the runtime reports as a task's trace.
    pub fn full_message(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            out.push_str(": ");
            out.push_str(&s.to_string());
            source = s.source();
        }
        out
    }
}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        ConnectError::Other {
            message: "I/O error".into(),
            source: Some(Box::new(e)),
        }
    }
}
