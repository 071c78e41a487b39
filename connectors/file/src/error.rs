//! The file connectors' errors, and the [`ConnectError`] each becomes.

use ferry_api::{ConnectError, OffsetMap};

use crate::source_task::POSITION_FIELD;

/// Why a file task failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened, read or written.
    #[error("cannot {action}")]
    Io {
        /// What failed (`read /tmp/in.txt`).
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The stored source offset is not one the source task wrote.
    #[error("stored offset for {file} has no numeric {POSITION_FIELD:?}: {offset:?}")]
    BadOffset {
        /// The source file.
        file: String,
        /// The offset found.
        offset: OffsetMap,
    },

    /// The sink task was used before `start`.
    #[error("file sink task used before start")]
    NotStarted,
}

impl From<FileError> for ConnectError {
    fn from(e: FileError) -> Self {
        let message = e.to_string();
        match e {
            FileError::Io { source, .. } => ConnectError::with_source(message, source),
            FileError::BadOffset { .. } | FileError::NotStarted => ConnectError::other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_keep_the_cause() {
        let io = FileError::Io {
            action: "read in.txt".into(),
            source: std::io::Error::other("gone"),
        };
        assert_eq!(
            ConnectError::from(io).full_message(),
            "cannot read in.txt: gone"
        );
        let mut offset = OffsetMap::new();
        offset.insert("position".into(), "x".into());
        let bad = ConnectError::from(FileError::BadOffset {
            file: "in.txt".into(),
            offset,
        });
        assert_eq!(
            bad.to_string(),
            r#"stored offset for in.txt has no numeric "position": {"position": String("x")}"#
        );
    }
}
