//! The S3 client: multipart uploads, small objects, existence checks, with
//! the SDK's standard retries configured from `s3.part.retries` and
//! `s3.retry.backoff.ms`.

use std::time::Duration;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ObjectCannedAcl, ServerSideEncryption, Tag, Tagging,
};
use aws_sdk_s3::Client;
use ferry_api::ConnectResult;

use crate::buffer::PartBody;
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

/// One completed part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub n: i32,
    pub etag: String,
}

/// S3 access for one task.
pub struct Store {
    client: Client,
    bucket: String,
    sse: crate::config::Sse,
    acl: Option<String>,
}

/// A failed request: what it was for and the SDK's error with its context.
fn s3_err<E: std::error::Error + Send + Sync + 'static>(action: String, e: E) -> S3SinkError {
    S3SinkError::S3 {
        action,
        detail: DisplayErrorContext(&e).to_string(),
    }
}

impl Store {
    /// A client for the configured endpoint, region and credentials (the
    /// AWS default chain: environment, profile, ECS/EKS roles, IMDS).
    pub async fn connect(cfg: &S3SinkConfig) -> Self {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(cfg.part_retries + 1)
            .with_initial_backoff(Duration::from_millis(cfg.retry_backoff_ms.max(1)));
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(cfg.region.clone()))
            .retry_config(retry)
            .load()
            .await;
        let mut b = aws_sdk_s3::config::Builder::from(&shared).force_path_style(cfg.path_style);
        if let Some(url) = &cfg.store_url {
            b = b.endpoint_url(url);
        }
        if let Some((id, secret)) = &cfg.static_credentials {
            b = b.credentials_provider(aws_sdk_s3::config::Credentials::new(
                id,
                secret.expose(),
                None,
                None,
                "aws.access.key.id",
            ));
        }
        Store {
            client: Client::from_conf(b.build()),
            bucket: cfg.bucket.clone(),
            sse: cfg.sse.clone(),
            acl: cfg.acl.clone(),
        }
    }

    /// Starts a multipart upload.
    pub async fn create_upload(&self, key: &str) -> ConnectResult<String> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key);
        if let Some(a) = &self.sse.algorithm {
            req = req.server_side_encryption(ServerSideEncryption::from(a.as_str()));
        }
        if let Some(k) = &self.sse.kms_key_id {
            req = req.ssekms_key_id(k);
        }
        if let Some(k) = &self.sse.customer_key {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5_b64(k));
        }
        if let Some(acl) = &self.acl {
            req = req.acl(ObjectCannedAcl::from(acl.as_str()));
        }
        let out = req.send().await.map_err(|e| {
            s3_err(
                format!("starting the upload of s3://{}/{key}", self.bucket),
                e,
            )
        })?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| S3SinkError::NoUploadId.into())
    }

    /// Uploads one part.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        n: i32,
        body: PartBody,
    ) -> ConnectResult<Part> {
        let (stream, _memory) = body.stream().await?;
        let mut req = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(n)
            .body(stream);
        if let Some(k) = &self.sse.customer_key {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5_b64(k));
        }
        let out = req.send().await.map_err(|e| {
            s3_err(
                format!("uploading part {n} of s3://{}/{key}", self.bucket),
                e,
            )
        })?;
        Ok(Part {
            n,
            etag: out.e_tag().unwrap_or_default().to_string(),
        })
    }

    /// Completes an upload, making the object visible. `Ok(false)` if the
    /// upload no longer exists (already completed or aborted).
    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[Part],
    ) -> ConnectResult<bool> {
        let done = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|p| {
                        CompletedPart::builder()
                            .part_number(p.n)
                            .e_tag(&p.etag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        match self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(done)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NoSuchUpload") => Ok(false),
            Err(e) => Err(s3_err(
                format!("completing the upload of s3://{}/{key}", self.bucket),
                e,
            )
            .into()),
        }
    }

    /// Aborts an upload (best effort: errors are logged).
    pub async fn abort(&self, key: &str, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            if e.code() != Some("NoSuchUpload") {
                tracing::warn!(key, upload_id, error = %DisplayErrorContext(&e), "aborting a multipart upload failed");
            }
        }
    }

    /// Uploads under `prefix` that have not been completed: (key, upload id).
    pub async fn list_uploads(&self, prefix: &str) -> ConnectResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let resp = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await
                .map_err(|e| {
                    s3_err(
                        format!("listing uploads under s3://{}/{prefix}", self.bucket),
                        e,
                    )
                })?;
            for u in resp.uploads() {
                if let (Some(k), Some(id)) = (u.key(), u.upload_id()) {
                    out.push((k.to_string(), id.to_string()));
                }
            }
            if resp.is_truncated() != Some(true) {
                return Ok(out);
            }
            key_marker = resp.next_key_marker().map(str::to_string);
            id_marker = resp.next_upload_id_marker().map(str::to_string);
            if key_marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// Writes a small object in one request.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> ConnectResult<()> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body));
        if let Some(a) = &self.sse.algorithm {
            req = req.server_side_encryption(ServerSideEncryption::from(a.as_str()));
        }
        if let Some(k) = &self.sse.kms_key_id {
            req = req.ssekms_key_id(k);
        }
        if let Some(k) = &self.sse.customer_key {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5_b64(k));
        }
        req.send()
            .await
            .map_err(|e| s3_err(format!("writing s3://{}/{key}", self.bucket), e))?;
        Ok(())
    }

    /// Reads an object; `None` if it does not exist.
    pub async fn get(&self, key: &str) -> ConnectResult<Option<Vec<u8>>> {
        let mut req = self.client.get_object().bucket(&self.bucket).key(key);
        if let Some(k) = &self.sse.customer_key {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5_b64(k));
        }
        match req.send().await {
            Ok(out) => {
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|source| S3SinkError::S3Body {
                        action: format!("reading s3://{}/{key}", self.bucket),
                        source,
                    })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e)
                if e.code() == Some("NoSuchKey")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(None)
            }
            Err(e) => Err(s3_err(format!("reading s3://{}/{key}", self.bucket), e).into()),
        }
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> ConnectResult<bool> {
        let mut req = self.client.head_object().bucket(&self.bucket).key(key);
        if let Some(k) = &self.sse.customer_key {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5_b64(k));
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
            Err(e) => Err(s3_err(format!("checking s3://{}/{key}", self.bucket), e).into()),
        }
    }

    /// Sets an object's tags.
    pub async fn tag(&self, key: &str, tags: &[(String, String)]) -> ConnectResult<()> {
        let tagging = Tagging::builder()
            .set_tag_set(Some(
                tags.iter()
                    .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                    .collect(),
            ))
            .build()
            .map_err(S3SinkError::BadTags)?;
        self.client
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| s3_err(format!("tagging s3://{}/{key}", self.bucket), e))?;
        Ok(())
    }
}

/// Base64 of the MD5 of a base64 SSE-C key, as S3 wants it.
fn md5_b64(key_b64: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(md5::compute(raw).0)
}
