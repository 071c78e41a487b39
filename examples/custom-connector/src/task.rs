//! The task: sends the next numbers on every poll, remembering where it is
//! through its source offset.

use std::time::Duration;

use async_trait::async_trait;
use ferry_api::{
    ConnectResult, OffsetMap, PropertyMap, Schema, SchemaRef, SourceRecord, SourceTask,
    SourceTaskContext, Value,
};

use crate::config::SequenceConfig;
use crate::error::SequenceError;

/// Source partition key: one partition per connector, `{"sequence": <name>}`.
pub const SEQUENCE_FIELD: &str = "sequence";
/// Source offset key: the next number to send, `{"next": n}`.
pub const NEXT_FIELD: &str = "next";

/// How long a poll waits once the sequence is done (polls return within
/// about a second so the runtime can flush offsets and stop).
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// Sends `prefix + n` for n from the stored offset up to `count`.
#[derive(Default)]
pub struct SequenceSourceTask {
    config: Option<SequenceConfig>,
    key: String,
    partition: OffsetMap,
    next: u64,
    schema: Option<SchemaRef>,
}

impl SequenceSourceTask {
    /// The record for number `n`; its offset says what comes after it.
    fn record(&self, config: &SequenceConfig, n: u64) -> SourceRecord {
        let mut offset = OffsetMap::new();
        offset.insert(NEXT_FIELD.into(), (n + 1).into());
        SourceRecord::new(
            self.partition.clone(),
            offset,
            config.topic.clone(),
            self.schema.clone(),
            Value::String(format!("{}{n}", config.prefix)),
        )
        .with_key(self.schema.clone(), Value::String(self.key.clone()))
    }
}

/// The next number a stored offset points at.
fn next_from(offset: &OffsetMap) -> Result<u64, SequenceError> {
    offset
        .get(NEXT_FIELD)
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| SequenceError::BadOffset {
            offset: serde_json::Value::Object(offset.clone()).to_string(),
            field: NEXT_FIELD,
        })
}

#[async_trait]
impl SourceTask for SequenceSourceTask {
    async fn start(&mut self, ctx: SourceTaskContext, props: &PropertyMap) -> ConnectResult<()> {
        let config = SequenceConfig::parse(props)?;
        self.key = ctx.connector().to_string();
        self.partition = OffsetMap::new();
        self.partition
            .insert(SEQUENCE_FIELD.into(), self.key.clone().into());
        self.next = match ctx.offset_reader().offset(&self.partition) {
            Some(offset) => next_from(&offset)?,
            None => 0,
        };
        self.schema = Some(Schema::string());
        self.config = Some(config);
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        let Some(config) = self.config.clone() else {
            return Ok(Vec::new());
        };
        let end = config.count.min(self.next + config.batch_size as u64);
        if self.next >= end {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let records = (self.next..end).map(|n| self.record(&config, n)).collect();
        self.next = end;
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{property_map, OffsetReader};
    use std::sync::Arc;

    /// An offset store that has `{"next": 3}` for every partition.
    struct AtThree;
    impl OffsetReader for AtThree {
        fn offset(&self, _partition: &OffsetMap) -> Option<OffsetMap> {
            let mut offset = OffsetMap::new();
            offset.insert(NEXT_FIELD.into(), 3.into());
            Some(offset)
        }
    }

    fn values(records: &[SourceRecord]) -> Vec<String> {
        records
            .iter()
            .map(|r| match &r.value {
                Value::String(s) => s.clone(),
                other => panic!("not a string: {other:?}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn resumes_from_the_stored_offset_in_batches_and_stops_at_count() {
        let mut task = SequenceSourceTask::default();
        let props = property_map([
            ("topic", "numbers"),
            ("count", "7"),
            ("prefix", "n-"),
            ("batch.size", "3"),
        ]);
        let ctx = SourceTaskContext::new("seq", 0, Arc::new(AtThree));
        task.start(ctx, &props).await.unwrap();
        let first = task.poll().await.unwrap();
        assert_eq!(values(&first), ["n-3", "n-4", "n-5"]);
        assert_eq!(first[2].source_offset.get(NEXT_FIELD), Some(&6.into()));
        assert_eq!(first[0].key, Value::String("seq".into()));
        assert_eq!(values(&task.poll().await.unwrap()), ["n-6"]);
        assert!(task.poll().await.unwrap().is_empty());
    }

    #[test]
    fn an_offset_without_next_is_refused() {
        let err = next_from(&OffsetMap::new()).unwrap_err();
        assert!(err.to_string().contains("\"next\""), "{err}");
    }
}
