//! The `FileStreamSink` task: appends each record's value to the file as
//! a line, and makes the lines durable before offsets are committed.

use async_trait::async_trait;
use ferry_api::data::text::to_java_string;
use ferry_api::sink::PartitionOffsets;
use ferry_api::{ConnectResult, PropertyMap, SinkRecord, SinkTask, SinkTaskContext, Value};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::config::FileSinkConfig;
use crate::error::FileError;

/// Writes each record's value as one line.
#[derive(Default)]
pub struct FileSinkTask {
    path: String,
    writer: Option<BufWriter<tokio::fs::File>>,
    line: Vec<u8>,
}

/// Renders a value as the line Kafka's `FileStreamSinkTask` writes (Java's
/// `toString()` of the value: `7`, `1.0`, `[a, b]`, `{k=v}`, `Struct{f=v}`);
/// strings and bytes verbatim.
fn render(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => out.extend_from_slice(b),
        other => {
            let text = to_java_string(other).unwrap_or_default();
            out.extend_from_slice(text.as_bytes());
        }
    }
}

impl FileSinkTask {
    fn writer(&mut self) -> ConnectResult<&mut BufWriter<tokio::fs::File>> {
        self.writer
            .as_mut()
            .ok_or_else(|| FileError::NotStarted.into())
    }
}

#[async_trait]
impl SinkTask for FileSinkTask {
    async fn start(&mut self, _ctx: SinkTaskContext, props: &PropertyMap) -> ConnectResult<()> {
        self.path = FileSinkConfig::parse(props)?.file;
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|source| FileError::Io {
                action: format!("open sink file {}", self.path),
                source,
            })?;
        self.writer = Some(BufWriter::with_capacity(256 * 1024, file));
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let mut line = std::mem::take(&mut self.line);
        for record in records {
            line.clear();
            render(&record.value, &mut line);
            line.push(b'\n');
            self.writer()?
                .write_all(&line)
                .await
                .map_err(|source| FileError::Io {
                    action: "write to sink file".into(),
                    source,
                })?;
        }
        self.line = line;
        Ok(())
    }

    async fn flush(&mut self, _offsets: &PartitionOffsets) -> ConnectResult<()> {
        let path = self.path.clone();
        let writer = self.writer()?;
        writer.flush().await.map_err(|source| FileError::Io {
            action: format!("flush {path}"),
            source,
        })?;
        writer
            .get_ref()
            .sync_data()
            .await
            .map_err(|source| FileError::Io {
                action: format!("sync {path}"),
                source,
            })?;
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{Headers, Schema, SchemaBuilder, Struct, TimestampType, TopicPartition};

    #[test]
    fn values_render_as_javas_to_string() {
        let line = |v: Value| {
            let mut out = Vec::new();
            render(&v, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(line("text".into()), "text");
        assert_eq!(line(Value::Float64(1.0)), "1.0");
        assert_eq!(
            line(Value::Map(vec![("k".into(), Value::Int64(1))])),
            "{k=1}"
        );
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .build();
        let row = Struct::new(schema).with("id", 7).with("name", "a");
        assert_eq!(line(Value::Struct(row)), "Struct{id=7,name=a}");
    }

    fn record(offset: i64, value: Value) -> SinkRecord {
        let tp = TopicPartition::new("t", 0);
        SinkRecord {
            topic: tp.topic.clone(),
            partition: 0,
            offset,
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            headers: Headers::new(),
            original: tp,
            original_offset: offset,
        }
    }

    #[tokio::test]
    async fn pre_commit_makes_lines_durable_and_returns_current_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut props = PropertyMap::new();
        props.insert("file".into(), path.to_str().unwrap().into());
        let mut task = FileSinkTask::default();
        task.start(SinkTaskContext::new("c", 0), &props)
            .await
            .unwrap();
        task.put(&[record(0, "a".into()), record(1, Value::Int32(7))])
            .await
            .unwrap();
        let mut current = PartitionOffsets::new();
        current.insert(TopicPartition::new("t", 0), 2);
        let committable = task.pre_commit(&current).await.unwrap();
        assert_eq!(committable, current);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n7\n");
        task.stop().await.unwrap();
    }
}
