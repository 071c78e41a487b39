//! The standalone offset store: one readable JSON file, rewritten
//! atomically (temporary file, fsync, rename, fsync of the directory) on
//! every flush.
//!
//! ```json
//! {"version": 1, "offsets": [
//!   {"connector": "file-source", "partition": {"filename": "/data/in.txt"},
//!    "offset": {"position": 1042}}
//! ]}
//! ```
//!
//! Unlike Kafka Connect's Java-serialized file, it can be read and edited
//! by hand (with the worker stopped).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_api::{OffsetMap, SourcePosition};
use serde::{Deserialize, Serialize};

use super::{partition_key, OffsetStore, OffsetStoreError};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    connector: String,
    partition: OffsetMap,
    offset: OffsetMap,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileContents {
    version: u32,
    offsets: Vec<Entry>,
}

type Key = (String, String);

/// Offsets kept in memory and persisted to one JSON file.
pub struct FileOffsetStore {
    path: PathBuf,
    entries: Mutex<BTreeMap<Key, Entry>>,
    /// Serializes writers so that a newer snapshot is never overwritten by
    /// an older one.
    write_lock: tokio::sync::Mutex<()>,
}

impl FileOffsetStore {
    /// Opens (or starts) the offsets file at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Arc<Self>, OffsetStoreError> {
        let path = path.into();
        let shown = path.display().to_string();
        let mut entries = BTreeMap::new();
        match std::fs::read(&path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {}
            Ok(bytes) => {
                let contents: FileContents =
                    serde_json::from_slice(&bytes).map_err(|e| OffsetStoreError::Corrupt {
                        path: shown.clone(),
                        reason: e.to_string(),
                    })?;
                if contents.version != 1 {
                    return Err(OffsetStoreError::Corrupt {
                        path: shown,
                        reason: format!("unsupported version {}", contents.version),
                    });
                }
                for e in contents.offsets {
                    entries.insert((e.connector.clone(), partition_key(&e.partition)), e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(OffsetStoreError::Io {
                    path: shown,
                    source,
                })
            }
        }
        Ok(Arc::new(FileOffsetStore {
            path,
            entries: Mutex::new(entries),
            write_lock: tokio::sync::Mutex::new(()),
        }))
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the file from the entries as they are now.
    async fn persist(&self) -> Result<(), OffsetStoreError> {
        let snapshot = FileContents {
            version: 1,
            offsets: self.entries().values().cloned().collect(),
        };
        let bytes = serde_json::to_vec_pretty(&snapshot).expect("offsets serialize");
        let path = self.path.clone();
        let result = tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        result.map_err(|source| OffsetStoreError::Io {
            path: self.path.display().to_string(),
            source,
        })
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "offsets".into());
    let tmp = dir.join(format!(".{file_name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        self.entries()
            .get(&(connector.to_string(), partition_key(partition)))
            .map(|e| e.offset.clone())
    }

    async fn put(
        &self,
        connector: &str,
        positions: &[SourcePosition],
    ) -> Result<(), OffsetStoreError> {
        let _guard = self.write_lock.lock().await;
        {
            let mut entries = self.entries();
            for p in positions {
                entries.insert(
                    (connector.to_string(), partition_key(&p.partition)),
                    Entry {
                        connector: connector.to_string(),
                        partition: p.partition.clone(),
                        offset: p.offset.clone(),
                    },
                );
            }
        }
        self.persist().await
    }

    fn connector_offsets(&self, connector: &str) -> Vec<SourcePosition> {
        self.entries()
            .values()
            .filter(|e| e.connector == connector)
            .map(|e| SourcePosition {
                partition: e.partition.clone(),
                offset: e.offset.clone(),
            })
            .collect()
    }

    async fn remove(
        &self,
        connector: &str,
        partitions: Option<&[OffsetMap]>,
    ) -> Result<(), OffsetStoreError> {
        let _guard = self.write_lock.lock().await;
        {
            let keys: Option<Vec<String>> =
                partitions.map(|ps| ps.iter().map(partition_key).collect());
            self.entries().retain(|(c, key), _| {
                c != connector || keys.as_ref().is_some_and(|k| !k.contains(key))
            });
        }
        self.persist().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::test_support::offset_map as map;
    use serde_json::json;

    #[tokio::test]
    async fn offsets_survive_reopen_and_partitions_match_regardless_of_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/offsets.json");
        let store = FileOffsetStore::open(&path).unwrap();
        let partition = map(json!({"a": 1, "b": "x"}));
        store
            .put(
                "c1",
                &[SourcePosition {
                    partition: partition.clone(),
                    offset: map(json!({"position": 30})),
                }],
            )
            .await
            .unwrap();
        let reopened = FileOffsetStore::open(&path).unwrap();
        let same_partition_other_order = map(json!({"b": "x", "a": 1}));
        assert_eq!(
            reopened.get("c1", &same_partition_other_order),
            Some(map(json!({"position": 30})))
        );
        assert_eq!(reopened.get("c2", &partition), None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"connector\": \"c1\""), "{text}");
        assert!(!dir.path().join("sub/.offsets.json.tmp").exists());
    }

    #[test]
    fn corrupt_file_is_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        std::fs::write(&path, "not json").unwrap();
        let err = FileOffsetStore::open(&path).err().unwrap().to_string();
        assert!(err.contains("offsets.json"), "{err}");
        assert!(err.contains("corrupt"), "{err}");
    }
}
