//! The runtime's error type.

use ferry_api::{ConfigErrors, ConnectError};

/// Why the worker, a connector or a task could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A configuration file could not be loaded.
    #[error(transparent)]
    Load(#[from] ferry_config::ConfigLoadError),

    /// A configuration is invalid; every problem is listed.
    #[error("invalid configuration for {subject}: {errors}")]
    InvalidConfig {
        /// What was being configured (`worker`, `connector file-sink`).
        subject: String,
        /// The problems.
        errors: ConfigErrors,
    },

    /// No plugin matches `connector.class`.
    #[error("connector {connector}: no connector plugin matches connector.class={class:?}; available: {available}")]
    UnknownConnectorClass {
        /// The connector's name.
        connector: String,
        /// The class asked for.
        class: String,
        /// What is available.
        available: String,
    },

    /// A Kafka client could not be created or used.
    #[error("Kafka client error ({context}): {source}")]
    Kafka {
        /// What the runtime was doing.
        context: String,
        /// The client's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },

    /// The offset store failed.
    #[error(transparent)]
    Offsets(#[from] crate::offsets::OffsetStoreError),

    /// A connector or task failed.
    #[error("{context}: {source}")]
    Connect {
        /// Which connector/task, doing what.
        context: String,
        /// The connector's error.
        #[source]
        source: ConnectError,
    },

    /// The HTTP listener could not start.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address from `listeners`.
        address: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// A worker setting is invalid in a way a key definition cannot say.
    #[error("worker configuration: {0}")]
    Worker(String),
}

impl RuntimeError {
    /// Wraps a Kafka client error with context.
    pub fn kafka(context: impl Into<String>, source: rdkafka::error::KafkaError) -> Self {
        RuntimeError::Kafka {
            context: context.into(),
            source,
        }
    }

    /// Wraps a connector error with context.
    pub fn connect(context: impl Into<String>, source: ConnectError) -> Self {
        RuntimeError::Connect {
            context: context.into(),
            source,
        }
    }

    /// For a failure caused by one record (a data error: it could not be
    /// converted, transformed or written), the full message, which names
    /// the record; `None` for any other failure.
    pub fn bad_record(&self) -> Option<String> {
        match self {
            RuntimeError::Connect {
                source: ConnectError::Data { .. },
                ..
            } => Some(self.to_string()),
            _ => None,
        }
    }
}
