//! The parts of one multipart upload, sent in the background.
//!
//! A full part is handed to a tokio task and the sink goes on reading
//! records; at most `ferry.s3.upload.concurrency` parts are in flight per
//! task (a semaphore, so a slow store slows the consumer instead of
//! piling up memory). A part's memory stays reserved in the budget until
//! its upload has finished. [`PartUploads::finish`] waits for every part
//! (in part-number order) before the object is committed, so the
//! exactly-once protocol in `writer.rs` sees the same completed part list
//! as with sequential uploads.

use std::sync::Arc;

use ferry_api::ConnectResult;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::buffer::PartBody;
use crate::error::S3SinkError;
use crate::storage::{Part, Store};

/// The uploads of one object's parts.
#[derive(Default)]
pub struct PartUploads {
    upload_id: Option<String>,
    /// Part uploads in part-number order, finished or not.
    sent: Vec<JoinHandle<ConnectResult<Part>>>,
}

impl PartUploads {
    /// Whether no part was sent yet.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// Starts uploading `body` as the next part of `key` (creating the
    /// multipart upload first if needed). Waits while `limit` has no free
    /// slot.
    pub async fn send(
        &mut self,
        store: &Arc<Store>,
        limit: &Arc<Semaphore>,
        key: &str,
        body: PartBody,
    ) -> ConnectResult<()> {
        let id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let id = store.create_upload(key).await?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| S3SinkError::LimiterClosed("upload"))?;
        let n = self.sent.len() as i32 + 1;
        let (store, key) = (store.clone(), key.to_string());
        self.sent.push(tokio::spawn(async move {
            let part = store.upload_part(&key, &id, n, body).await;
            drop(permit);
            part
        }));
        Ok(())
    }

    /// Waits for every part; returns the upload id and the parts in order.
    pub async fn finish(&mut self) -> ConnectResult<(String, Vec<Part>)> {
        let mut parts = Vec::with_capacity(self.sent.len());
        for h in self.sent.drain(..) {
            let part = h.await.map_err(|error| S3SinkError::TaskEnded {
                task: "a part upload task",
                error,
            })??;
            parts.push(part);
        }
        Ok((self.upload_id.clone().unwrap_or_default(), parts))
    }

    /// Stops the part uploads still running and aborts the upload.
    pub async fn abort(mut self, store: &Store, key: &str) {
        for h in self.sent.drain(..) {
            h.abort();
        }
        if let Some(id) = &self.upload_id {
            store.abort(key, id).await;
        }
    }
}
