//! The `FileStreamSource` task: reads the file line by line, one record
//! per line, from the byte position stored in the last offset.

use std::io::SeekFrom;

use async_trait::async_trait;
use ferry_api::{
    ConnectResult, OffsetMap, PropertyMap, Schema, SchemaRef, SourceRecord, SourceTask,
    SourceTaskContext, Value,
};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, BufReader};

use crate::config::FileSourceConfig;
use crate::error::FileError;

/// Source partition key, as Kafka's `FileStreamSourceTask.FILENAME_FIELD`.
pub const FILENAME_FIELD: &str = "filename";
/// Source offset key, as Kafka's `FileStreamSourceTask.POSITION_FIELD`.
pub const POSITION_FIELD: &str = "position";

/// How long a poll waits for new lines before returning an empty batch.
const IDLE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Reads lines from the file, remembering the byte position after each.
#[derive(Default)]
pub struct FileSourceTask {
    path: String,
    topic: String,
    batch_size: usize,
    reader: Option<BufReader<tokio::fs::File>>,
    /// Byte position after the last complete line returned.
    position: u64,
    partition: OffsetMap,
    schema: Option<SchemaRef>,
    line: Vec<u8>,
}

impl FileSourceTask {
    /// Opens the file (if it exists yet) at the stored position.
    async fn open(&mut self) -> ConnectResult<bool> {
        if self.reader.is_some() {
            return Ok(true);
        }
        let mut file = match tokio::fs::File::open(&self.path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(file = %self.path, "source file does not exist yet");
                return Ok(false);
            }
            Err(source) => {
                return Err(FileError::Io {
                    action: format!("open source file {}", self.path),
                    source,
                }
                .into())
            }
        };
        file.seek(SeekFrom::Start(self.position))
            .await
            .map_err(|source| FileError::Io {
                action: format!("seek in {}", self.path),
                source,
            })?;
        self.reader = Some(BufReader::with_capacity(256 * 1024, file));
        Ok(true)
    }

    fn record(&self, line: &[u8]) -> SourceRecord {
        let mut offset = OffsetMap::new();
        offset.insert(POSITION_FIELD.into(), self.position.into());
        SourceRecord::new(
            self.partition.clone(),
            offset,
            self.topic.clone(),
            self.schema.clone(),
            Value::String(String::from_utf8_lossy(line).into_owned()),
        )
    }
}

/// Strips a trailing `\n` or `\r\n`.
fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[async_trait]
impl SourceTask for FileSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext, props: &PropertyMap) -> ConnectResult<()> {
        let cfg = FileSourceConfig::parse(props)?;
        self.path = cfg.file;
        self.topic = cfg.topic;
        self.batch_size = cfg.batch_size;
        self.partition = OffsetMap::new();
        self.partition
            .insert(FILENAME_FIELD.into(), self.path.clone().into());
        self.schema = Some(Schema::string());
        self.position = match ctx.offset_reader().offset(&self.partition) {
            Some(offset) => offset
                .get(POSITION_FIELD)
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| FileError::BadOffset {
                    file: self.path.clone(),
                    offset: offset.clone(),
                })?,
            None => 0,
        };
        tracing::info!(file = %self.path, position = self.position, "file source starting");
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if !self.open().await? {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        while records.len() < self.batch_size {
            let reader = self.reader.as_mut().expect("opened above");
            let n = reader
                .read_until(b'\n', &mut self.line)
                .await
                .map_err(|source| FileError::Io {
                    action: format!("read {}", self.path),
                    source,
                })?;
            if n == 0 || self.line.last() != Some(&b'\n') {
                // End of file, possibly in the middle of a line: keep the
                // partial line and wait for the rest.
                break;
            }
            self.position += self.line.len() as u64;
            let record = self.record(strip_line_end(&self.line));
            self.line.clear();
            records.push(record);
        }
        if records.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.reader = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    struct Offsets(HashMap<String, OffsetMap>);
    impl ferry_api::OffsetReader for Offsets {
        fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
            self.0
                .get(&serde_json::to_string(partition).unwrap())
                .cloned()
        }
    }

    fn props(file: &str) -> PropertyMap {
        ferry_api::property_map([("file", file), ("topic", "lines"), ("batch.size", "2")])
    }

    async fn started(file: &str, stored: Option<u64>) -> FileSourceTask {
        let mut map = HashMap::new();
        if let Some(pos) = stored {
            let mut part = OffsetMap::new();
            part.insert("filename".into(), file.into());
            let mut off = OffsetMap::new();
            off.insert("position".into(), pos.into());
            map.insert(serde_json::to_string(&part).unwrap(), off);
        }
        let ctx = SourceTaskContext::new("c", 0, Arc::new(Offsets(map)));
        let mut task = FileSourceTask::default();
        task.start(ctx, &props(file)).await.unwrap();
        task
    }

    fn values(records: &[SourceRecord]) -> Vec<&str> {
        records.iter().map(|r| r.value.as_str().unwrap()).collect()
    }

    #[tokio::test]
    async fn reads_lines_in_batches_with_byte_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\r\nbb\nccc\npartial").unwrap();
        let mut task = started(path.to_str().unwrap(), None).await;
        let first = task.poll().await.unwrap();
        assert_eq!(values(&first), ["a", "bb"]);
        assert_eq!(first[1].source_offset["position"], 6);
        assert_eq!(
            first[0].source_partition["filename"],
            path.to_str().unwrap()
        );
        let second = task.poll().await.unwrap();
        assert_eq!(values(&second), ["ccc"]);
        assert!(
            task.poll().await.unwrap().is_empty(),
            "partial line held back"
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b" line\n"))
            .unwrap();
        let third = task.poll().await.unwrap();
        assert_eq!(values(&third), ["partial line"]);
        assert_eq!(third[0].source_offset["position"], 23);
    }

    #[tokio::test]
    async fn resumes_from_stored_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let mut task = started(path.to_str().unwrap(), Some(4)).await;
        assert_eq!(values(&task.poll().await.unwrap()), ["two", "three"]);
    }

    #[tokio::test]
    async fn missing_file_yields_nothing_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.txt");
        let mut task = started(path.to_str().unwrap(), None).await;
        assert!(task.poll().await.unwrap().is_empty());
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(values(&task.poll().await.unwrap()), ["x"]);
    }
}
