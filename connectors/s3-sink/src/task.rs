//! The sink task: one [`PartitionWriter`] per assigned partition.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::sink::PartitionOffsets;
use ferry_api::{
    ConnectResult, PropertyMap, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};

use crate::buffer::MemoryBudget;
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;
use crate::partitioner::Partitioner;
use crate::storage::Store;
use crate::writer::{by_partition, PartitionWriter, Shared};

/// The S3 sink task.
#[derive(Default)]
pub struct S3SinkTask {
    ctx: Option<SinkTaskContext>,
    shared: Option<Arc<Shared>>,
    writers: HashMap<TopicPartition, PartitionWriter>,
}

impl S3SinkTask {
    fn shared(&self) -> ConnectResult<Arc<Shared>> {
        self.shared
            .clone()
            .ok_or_else(|| S3SinkError::NotStarted.into())
    }

    async fn open_one(&mut self, tp: &TopicPartition) -> ConnectResult<()> {
        let shared = self.shared()?;
        let mut w = PartitionWriter::new(shared, tp.clone());
        let committed = self.ctx.as_ref().and_then(|c| c.committed_offset(tp));
        if let Some(resume) = w.open(committed).await? {
            tracing::info!(partition = %tp, resume, ?committed, "resuming after the last object in S3 (beyond the committed offset)");
            if let Some(ctx) = &self.ctx {
                ctx.offset(tp.clone(), resume);
            }
        }
        self.writers.insert(tp.clone(), w);
        Ok(())
    }
}

#[async_trait]
impl SinkTask for S3SinkTask {
    async fn start(&mut self, ctx: SinkTaskContext, props: &PropertyMap) -> ConnectResult<()> {
        let cfg = Arc::new(S3SinkConfig::parse(props)?);
        let store = Arc::new(Store::connect(&cfg).await);
        let budget = MemoryBudget::global(cfg.buffer_max_bytes, cfg.spill_dir.clone());
        let upload_slots = Arc::new(tokio::sync::Semaphore::new(cfg.upload_concurrency));
        self.shared = Some(Arc::new(Shared {
            upload_slots,
            commit_slots: Arc::new(tokio::sync::Semaphore::new(cfg.upload_concurrency)),
            partitioner: Partitioner::new(&cfg),
            cfg,
            store,
            budget,
            connector: ctx.connector().to_string(),
            reporter: ctx.errant_record_reporter(),
        }));
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        for tp in partitions {
            self.open_one(tp).await?;
        }
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        for (tp, recs) in by_partition(records) {
            if !self.writers.contains_key(tp) {
                self.open_one(tp).await?;
            }
            if let Some(w) = self.writers.get_mut(tp) {
                w.put(&recs).await?;
            }
        }
        Ok(())
    }

    async fn pre_commit(&mut self, _current: &PartitionOffsets) -> ConnectResult<PartitionOffsets> {
        let mut out = PartitionOffsets::new();
        for (tp, w) in &mut self.writers {
            w.tick().await?;
            if let Some(o) = w.durable() {
                out.insert(tp.clone(), o);
            }
        }
        Ok(out)
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        for tp in partitions {
            if let Some(mut w) = self.writers.remove(tp) {
                w.close().await;
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        for (_, mut w) in self.writers.drain() {
            w.close().await;
        }
        Ok(())
    }
}
