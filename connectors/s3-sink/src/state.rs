//! The exactly-once state of one Kafka partition: a small JSON object in S3
//! (`<state prefix>/<connector>/<topic>/<partition>.json`) written *before*
//! the objects of a commit are made visible.
//!
//! A commit of a partition's open files goes:
//! 1. upload every part of every file (nothing visible yet);
//! 2. write the state: `next_offset` (the offset after the last record of
//!    the commit) and, for each file, its key, upload id and parts;
//! 3. complete each multipart upload (each object appears atomically).
//!
//! After a crash anywhere, [`recover`] completes the uploads listed in the
//! state whose objects are missing (their parts were uploaded before step
//! 2) and returns `next_offset`; the task resumes reading there. Records
//! before it are in S3 exactly once; records after it were in no visible
//! object. Which record went to which file is decided once, before anything
//! is visible, so this holds for wall-clock partitioning and scheduled
//! rotation as well.

use serde::{Deserialize, Serialize};

use ferry_api::ConnectResult;

use crate::error::S3SinkError;
use crate::storage::{Part, Store};

/// An object of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingObject {
    pub key: String,
    pub upload_id: String,
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// The state object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionState {
    pub version: u32,
    /// Every record before this offset is in exactly one object (once the
    /// pending objects are completed).
    pub next_offset: i64,
    /// The objects of the last commit.
    pub pending: Vec<PendingObject>,
}

/// Where a partition's state lives.
pub fn state_key(prefix: &str, connector: &str, topic: &str, partition: i32) -> String {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        format!("{connector}/{topic}/{partition}.json")
    } else {
        format!("{prefix}/{connector}/{topic}/{partition}.json")
    }
}

/// Writes the state (step 2 of a commit).
pub async fn write(store: &Store, key: &str, state: &PartitionState) -> ConnectResult<()> {
    let body = serde_json::to_vec(state).map_err(S3SinkError::EncodeState)?;
    store.put(key, body).await
}

/// Finishes an interrupted commit; returns the offset to resume from, if
/// the partition has state.
pub async fn recover(store: &Store, key: &str) -> ConnectResult<Option<i64>> {
    let Some(bytes) = store.get(key).await? else {
        return Ok(None);
    };
    let state: PartitionState =
        serde_json::from_slice(&bytes).map_err(|source| S3SinkError::InvalidState {
            key: key.to_string(),
            source,
        })?;
    for p in &state.pending {
        if store.exists(&p.key).await? {
            continue;
        }
        if store.complete(&p.key, &p.upload_id, &p.parts).await? {
            tracing::info!(key = %p.key, "completed an upload interrupted by a crash");
            if !p.tags.is_empty() {
                store.tag(&p.key, &p.tags).await?;
            }
        } else if !store.exists(&p.key).await? {
            tracing::error!(key = %p.key, upload_id = %p.upload_id, "an interrupted upload is gone (aborted by someone else?) and its object does not exist; its records before offset {} are missing from S3", state.next_offset);
        }
    }
    Ok(Some(state.next_offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_as_json() {
        let s = PartitionState {
            version: 1,
            next_offset: 42,
            pending: vec![PendingObject {
                key: "topics/t/partition=0/t+0+0000000000.json".into(),
                upload_id: "u".into(),
                parts: vec![Part {
                    n: 1,
                    etag: "\"e\"".into(),
                }],
                tags: vec![],
            }],
        };
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<PartitionState>(&j).unwrap(), s);
        assert_eq!(
            state_key("topics/_ferry", "c", "t", 3),
            "topics/_ferry/c/t/3.json"
        );
    }
}
