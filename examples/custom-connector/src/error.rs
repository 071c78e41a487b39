//! The sequence source's errors. Each becomes a `ConnectError` of the kind
//! the runtime acts on (a config error fails the task with the key named).

use ferry_api::{ConfigErrors, ConnectError};

/// What can go wrong in the sequence source.
#[derive(Debug, thiserror::Error)]
pub enum SequenceError {
    /// The connector's configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// The stored offset is not one this connector wrote.
    #[error("stored offset {offset} has no whole number {field:?}")]
    BadOffset {
        /// The offset as stored.
        offset: String,
        /// The field that should hold the next number.
        field: &'static str,
    },
}

impl From<SequenceError> for ConnectError {
    fn from(e: SequenceError) -> Self {
        match e {
            SequenceError::Config(errors) => ConnectError::Config(errors),
            other => ConnectError::other(other.to_string()),
        }
    }
}
