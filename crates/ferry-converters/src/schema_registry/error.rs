//! What can go wrong talking to a Schema Registry or reading its framing.

use ferry_api::ConnectError;

/// A Schema Registry failure.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error document
    /// (`{"error_code":…,"message":…}`).
    #[error("Schema Registry error {code} (HTTP {status}) for {what}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// Confluent's error code (e.g. 40401 subject not found, 409 incompatible).
        code: i64,
        /// The registry's message.
        message: String,
        /// What was asked (`GET /schemas/ids/7`).
        what: String,
    },

    /// No registry URL answered.
    #[error("cannot reach the Schema Registry ({urls}) for {what}: {reason}")]
    Unreachable {
        /// The URLs tried.
        urls: String,
        /// What was asked.
        what: String,
        /// The last transport error.
        reason: String,
    },

    /// The registry answered with something that is not what its API
    /// returns.
    #[error("unexpected answer from the Schema Registry for {what}: {reason}")]
    BadResponse {
        /// What was asked.
        what: String,
        /// Why the answer could not be used.
        reason: String,
    },

    /// Bytes that are not in Confluent's framing (magic byte 0, 4-byte id).
    #[error("Unknown magic byte!")]
    UnknownMagicByte,

    /// Bytes too short for Confluent's framing.
    #[error("the data is {0} bytes long, too short for the Schema Registry framing (5 bytes: magic byte and schema id)")]
    TooShort(usize),
}

impl RegistryError {
    /// Whether trying again later may succeed: the registry could not be
    /// reached, or it failed on its side (HTTP 5xx, 408, 429).
    pub fn is_retriable(&self) -> bool {
        match self {
            RegistryError::Unreachable { .. } => true,
            RegistryError::Api { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Confluent's error code, for an error the registry answered with.
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<RegistryError> for ConnectError {
    fn from(e: RegistryError) -> Self {
        if e.is_retriable() {
            ConnectError::retriable(e.to_string())
        } else {
            ConnectError::data(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_retriable_and_refusals_are_data_errors() {
        let down = RegistryError::Unreachable {
            urls: "http://r:8081".into(),
            what: "GET /schemas/ids/1".into(),
            reason: "connection refused".into(),
        };
        assert!(ConnectError::from(down).is_retriable());
        let busy = RegistryError::Api {
            status: 503,
            code: 50003,
            message: "try later".into(),
            what: "x".into(),
        };
        assert!(busy.is_retriable());
        let missing = RegistryError::Api {
            status: 404,
            code: 40403,
            message: "Schema not found".into(),
            what: "GET /schemas/ids/9".into(),
        };
        assert_eq!(missing.code(), Some(40403));
        let e = ConnectError::from(missing);
        assert!(e.is_data(), "{e}");
        assert!(e.to_string().contains("40403"), "{e}");
    }
}
