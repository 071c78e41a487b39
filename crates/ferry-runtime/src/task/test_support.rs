//! Fixtures for the runtime's unit tests: worker services without Kafka
//! and an in-memory offset store whose failures the test chooses.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_api::{OffsetMap, SourcePosition};

use super::{TaskId, WorkerServices};
use crate::metrics::Metrics;
use crate::offsets::{partition_key, OffsetStore, OffsetStoreError};
use crate::status::StatusRegistry;
use ferry_config::worker::WorkerConfig;

/// How [`MemoryOffsetStore::put`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreMode {
    /// Stores the offsets.
    Store,
    /// Fails with an I/O error.
    Fail,
    /// Never returns.
    Hang,
}

/// Offsets kept in memory, per connector, in the order they were stored.
#[derive(Debug)]
pub(crate) struct MemoryOffsetStore {
    mode: Mutex<StoreMode>,
    stored: Mutex<Vec<(String, SourcePosition)>>,
}

impl MemoryOffsetStore {
    /// An empty store in `mode`.
    pub(crate) fn new(mode: StoreMode) -> Arc<Self> {
        Arc::new(MemoryOffsetStore {
            mode: Mutex::new(mode),
            stored: Mutex::new(Vec::new()),
        })
    }

    /// Changes how later `put`s behave.
    pub(crate) fn set_mode(&self, mode: StoreMode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Every position stored so far, oldest first.
    pub(crate) fn stored(&self) -> Vec<(String, SourcePosition)> {
        self.stored.lock().unwrap().clone()
    }
}

#[async_trait]
impl OffsetStore for MemoryOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let key = partition_key(partition);
        self.stored
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(c, p)| c == connector && partition_key(&p.partition) == key)
            .map(|(_, p)| p.offset.clone())
    }

    async fn put(
        &self,
        connector: &str,
        positions: &[SourcePosition],
    ) -> Result<(), OffsetStoreError> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            StoreMode::Store => {
                let mut stored = self.stored.lock().unwrap();
                stored.extend(positions.iter().map(|p| (connector.to_string(), p.clone())));
                Ok(())
            }
            StoreMode::Fail => Err(OffsetStoreError::Io {
                path: "memory".into(),
                source: std::io::Error::other("disk full"),
            }),
            StoreMode::Hang => std::future::pending().await,
        }
    }

    fn connector_offsets(&self, connector: &str) -> Vec<SourcePosition> {
        let mut latest: std::collections::BTreeMap<String, SourcePosition> = Default::default();
        for (c, p) in self.stored.lock().unwrap().iter() {
            if c == connector {
                latest.insert(partition_key(&p.partition), p.clone());
            }
        }
        latest.into_values().collect()
    }

    async fn remove(
        &self,
        connector: &str,
        partitions: Option<&[OffsetMap]>,
    ) -> Result<(), OffsetStoreError> {
        let keys: Option<Vec<String>> = partitions.map(|ps| ps.iter().map(partition_key).collect());
        self.stored.lock().unwrap().retain(|(c, p)| {
            c != connector
                || keys
                    .as_ref()
                    .is_some_and(|k| !k.contains(&partition_key(&p.partition)))
        });
        Ok(())
    }
}

/// Worker services with string converters, `extra` worker properties and
/// an in-memory offset store; nothing of it talks to Kafka.
pub(crate) fn services(extra: &[(&str, &str)]) -> Arc<WorkerServices> {
    let mut props = ferry_api::property_map([
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]);
    props.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Arc::new(WorkerServices {
        worker: WorkerConfig::from_props(props).expect("valid worker config"),
        metrics: Metrics::new(),
        offsets: MemoryOffsetStore::new(StoreMode::Store),
        status: StatusRegistry::default(),
    })
}

/// Task `task` of `connector`.
pub(crate) fn task_id(connector: &str, task: u32) -> TaskId {
    TaskId {
        connector: connector.to_string(),
        task,
    }
}

/// A JSON object literal as an offset (or source partition) map.
pub(crate) fn offset_map(v: serde_json::Value) -> OffsetMap {
    v.as_object().expect("a JSON object").clone()
}
