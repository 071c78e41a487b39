//! Why a transform failed on a record.

use ferry_api::ConnectError;

/// A transform's failure on one record; it becomes a data error, handled by
/// the connector's `errors.*` settings (fail the task, or skip / DLQ).
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// The record does not have the shape the transform needs (Kafka's
    /// `DataException`), e.g. a struct field that does not exist.
    #[error("{0}")]
    Data(String),
}

impl From<TransformError> for ConnectError {
    fn from(e: TransformError) -> Self {
        ConnectError::data(e.to_string())
    }
}
