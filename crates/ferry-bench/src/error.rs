//! Errors of the benchmark helpers.

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Wrong command line.
    #[error("{0}\nusage: ferry-bench produce|consume|wait-objects|delete-prefix|cat-prefix|download|upload [--key value]...")]
    Usage(String),
    /// Kafka client error.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// S3 client error.
    #[error("s3: {0}")]
    S3(String),
    /// Local file error.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// Gave up waiting.
    #[error("timed out: {0}")]
    Timeout(String),
}

pub type Result<T> = std::result::Result<T, BenchError>;
