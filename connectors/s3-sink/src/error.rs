//! The S3 sink's errors, and the [`ConnectError`] kind each one becomes:
//! a record that cannot be written is a data error (`errors.tolerance`
//! applies), a bad setting is a configuration error, everything else fails
//! the task.

use aws_sdk_s3::error::BuildError;
use aws_sdk_s3::primitives::ByteStreamError;
use ferry_api::{ConfigError, ConfigErrors, ConnectError};
use parquet::errors::ParquetError;
use tokio::task::JoinError;

use crate::config::{PATH_FORMAT, TIMEZONE};

/// Why the S3 sink failed.
#[derive(Debug, thiserror::Error)]
pub enum S3SinkError {
    /// A record cannot be written as configured (its value, schema or a
    /// field a setting needs); the message names the record where it is
    /// known (`record <topic>-<partition>@<offset>: …`). A data error.
    #[error("{0}")]
    BadRecord(String),

    /// A value does not fit the schema it is written with, with the path
    /// to it (`field a: element 2: …`); the caller names the record. A
    /// data error.
    #[error("{0}")]
    SchemaMismatch(String),

    /// A record's schema may neither share its file nor start a new one
    /// under `schema.compatibility`. A data error.
    #[error("{0}")]
    IncompatibleSchema(String),

    /// The `timezone` setting names no zone. A configuration error.
    #[error("is not a known time zone id (e.g. UTC, Europe/Berlin)")]
    UnknownTimeZone,

    /// A `path.format` that is not a Joda-Time pattern the partitioner
    /// supports. A configuration error.
    #[error("{0}")]
    BadPathFormat(String),

    /// An S3 request failed (after the SDK's retries): what was being done
    /// and the SDK's error with its context.
    #[error("{action}: {detail}")]
    S3 {
        /// What the request was for (`writing s3://bucket/key`).
        action: String,
        /// The SDK's error, all of its context on one line.
        detail: String,
    },

    /// The body of an object could not be read.
    #[error("{action}")]
    S3Body {
        /// What was being read (`reading s3://bucket/key`).
        action: String,
        /// The stream's error.
        #[source]
        source: ByteStreamError,
    },

    /// S3 started a multipart upload without giving its id.
    #[error("S3 returned no upload id")]
    NoUploadId,

    /// `ferry.s3.object.tagging` pairs S3 does not accept.
    #[error("bad tags: {0}")]
    BadTags(BuildError),

    /// An upload listed in a commit disappeared before it was completed.
    #[error("the upload of {key} vanished before it could be completed")]
    UploadVanished {
        /// The object's key.
        key: String,
    },

    /// The partition state could not be encoded.
    #[error("encoding the partition state")]
    EncodeState(#[source] serde_json::Error),

    /// A partition state object in S3 that cannot be read back.
    #[error(
        "the state object {key} is not valid; delete it to start over from the committed offsets"
    )]
    InvalidState {
        /// The state object's key.
        key: String,
        /// Why it cannot be decoded.
        #[source]
        source: serde_json::Error,
    },

    /// A buffer could not move to or grow on disk.
    #[error("cannot write to the spill directory (ferry.s3.spill.dir)")]
    Spill(#[source] std::io::Error),

    /// The Parquet writer failed.
    #[error("{action}")]
    Parquet {
        /// What the writer was doing (`writing Parquet`).
        action: &'static str,
        /// The library's error.
        #[source]
        source: ParquetError,
    },

    /// A Parquet file was written to after it was finished.
    #[error("Parquet file already finished")]
    ParquetFinished,

    /// Snappy compression of an Avro block failed.
    #[error("snappy: {0}")]
    Snappy(snap::Error),

    /// A semaphore limiting uploads or commits was closed.
    #[error("the {0} limiter was closed")]
    LimiterClosed(&'static str),

    /// A background upload or commit task panicked or was cancelled.
    #[error("{task} ended: {error}")]
    TaskEnded {
        /// Which task (`the S3 commit task`).
        task: &'static str,
        /// How it ended.
        error: JoinError,
    },

    /// A task method was called before `start`.
    #[error("S3 sink task used before start")]
    NotStarted,
}

impl From<S3SinkError> for ConnectError {
    fn from(e: S3SinkError) -> Self {
        let message = e.to_string();
        match e {
            S3SinkError::BadRecord(_)
            | S3SinkError::SchemaMismatch(_)
            | S3SinkError::IncompatibleSchema(_) => ConnectError::data(message),
            S3SinkError::UnknownTimeZone => config_error(TIMEZONE, message),
            S3SinkError::BadPathFormat(_) => config_error(PATH_FORMAT, message),
            S3SinkError::S3Body { source, .. } => ConnectError::with_source(message, source),
            S3SinkError::EncodeState(source) | S3SinkError::InvalidState { source, .. } => {
                ConnectError::with_source(message, source)
            }
            S3SinkError::Spill(source) => ConnectError::with_source(message, source),
            S3SinkError::Parquet { source, .. } => ConnectError::with_source(message, source),
            S3SinkError::S3 { .. }
            | S3SinkError::NoUploadId
            | S3SinkError::BadTags(_)
            | S3SinkError::UploadVanished { .. }
            | S3SinkError::ParquetFinished
            | S3SinkError::Snappy(_)
            | S3SinkError::LimiterClosed(_)
            | S3SinkError::TaskEnded { .. }
            | S3SinkError::NotStarted => ConnectError::other(message),
        }
    }
}

/// A configuration error for one key.
fn config_error(key: &str, reason: String) -> ConnectError {
    ConnectError::Config(ConfigErrors::single(ConfigError::new(key, None, reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_keeps_its_kind_message_and_source() {
        let data = ConnectError::from(S3SinkError::BadRecord("record t-0@1: bad".into()));
        assert!(matches!(data, ConnectError::Data { .. }));
        assert_eq!(data.full_message(), "data error: record t-0@1: bad");

        let config = ConnectError::from(S3SinkError::UnknownTimeZone);
        assert!(matches!(config, ConnectError::Config(_)));
        assert!(config.to_string().contains("timezone"), "{config}");

        let io = std::io::Error::other("disk full");
        let spill = ConnectError::from(S3SinkError::Spill(io));
        assert!(matches!(spill, ConnectError::Other { .. }));
        assert_eq!(
            spill.full_message(),
            "cannot write to the spill directory (ferry.s3.spill.dir): disk full"
        );

        let s3 = ConnectError::from(S3SinkError::S3 {
            action: "writing s3://b/k".into(),
            detail: "AccessDenied".into(),
        });
        assert!(!s3.is_retriable());
        assert_eq!(s3.full_message(), "writing s3://b/k: AccessDenied");
    }
}
