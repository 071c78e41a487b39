//! `wait-objects` and `delete-prefix`: S3 objects of the local stack's bucket.

use std::time::{Duration, Instant};

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;

use crate::args::Options;
use crate::error::{BenchError, Result};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn client() -> Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(env(
            "AWS_REGION",
            "us-east-1",
        )))
        .endpoint_url(env("FERRY_S3_ENDPOINT", "http://127.0.0.1:8333"))
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            env("AWS_ACCESS_KEY_ID", "ferry"),
            env("AWS_SECRET_ACCESS_KEY", "ferry"),
            None,
            None,
            "ferry-bench",
        ))
        .build();
    Client::from_conf(conf)
}

/// An S3 client error about `what`, with its causes.
fn s3_error(what: impl std::fmt::Display, e: impl std::error::Error) -> BenchError {
    BenchError::S3(format!(
        "{what}: {}",
        aws_sdk_s3::error::DisplayErrorContext(e)
    ))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::S3(format!("tokio runtime: {e}")))
}

/// Keys and sizes under `prefix`.
async fn list(c: &Client, bucket: &str, prefix: &str) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let resp = c
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| s3_error(format!("listing {prefix}"), e))?;
        out.extend(
            resp.contents()
                .iter()
                .filter_map(|o| Some((o.key()?.to_string(), o.size().unwrap_or(0)))),
        );
        token = resp.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Waits until `--count` objects ending in `--suffix` exist under `--prefix`.
pub fn wait(opts: &Options) -> Result<()> {
    let prefix = opts.str("prefix")?;
    let suffix = opts.str("suffix").unwrap_or("");
    let count: usize = opts.num("count", None)?;
    let timeout = Duration::from_secs(opts.num("timeout-s", Some(900))?);
    let bucket = env("FERRY_S3_BUCKET", "ferry");
    let started = Instant::now();
    runtime()?.block_on(async {
        let c = client();
        loop {
            let objects: Vec<(String, i64)> = list(&c, &bucket, prefix)
                .await?
                .into_iter()
                .filter(|(k, _)| k.ends_with(suffix))
                .collect();
            if objects.len() >= count {
                let bytes: i64 = objects.iter().map(|(_, s)| s).sum();
                println!(
                    "objects={} bytes={bytes} seconds={:.3}",
                    objects.len(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(BenchError::Timeout(format!(
                    "{} of {count} objects under {prefix}",
                    objects.len()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// The bytes of the object at `key`.
async fn read(c: &Client, bucket: &str, key: &str) -> Result<bytes::Bytes> {
    Ok(c.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_error(format!("reading {key}"), e))?
        .body
        .collect()
        .await
        .map_err(|e| BenchError::S3(format!("reading {key}: {e}")))?
        .into_bytes())
}

/// Prints every object under `--prefix`: a `# <key>` line, then its text.
pub fn cat(opts: &Options) -> Result<()> {
    let prefix = opts.str("prefix")?;
    let bucket = env("FERRY_S3_BUCKET", "ferry");
    runtime()?.block_on(async {
        let c = client();
        for (key, _) in list(&c, &bucket, prefix).await? {
            let body = read(&c, &bucket, &key).await?;
            println!("# {key}");
            print!("{}", String::from_utf8_lossy(&body));
        }
        Ok(())
    })
}

/// Deletes every object under `--prefix`.
pub fn delete(opts: &Options) -> Result<()> {
    let prefix = opts.str("prefix")?;
    let bucket = env("FERRY_S3_BUCKET", "ferry");
    runtime()?.block_on(async {
        let c = client();
        let keys = list(&c, &bucket, prefix).await?;
        for chunk in keys.chunks(1000) {
            let ids = chunk
                .iter()
                .filter_map(|(k, _)| ObjectIdentifier::builder().key(k).build().ok())
                .collect::<Vec<_>>();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .build()
                .map_err(|e| BenchError::S3(e.to_string()))?;
            c.delete_objects()
                .bucket(&bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| s3_error(format!("deleting under {prefix}"), e))?;
        }
        println!("deleted={}", keys.len());
        Ok(())
    })
}

/// `download`: every object under `--prefix` into `--dir`, at its key
/// below the prefix (the input of `upload --from-dir`).
pub fn download(opts: &Options) -> Result<()> {
    let prefix = opts.str("prefix")?;
    let dir = std::path::PathBuf::from(opts.str("dir")?);
    let bucket = env("FERRY_S3_BUCKET", "ferry");
    runtime()?.block_on(async {
        let c = client();
        let keys = list(&c, &bucket, prefix).await?;
        for (key, _) in &keys {
            let body = read(&c, &bucket, key).await?;
            let path = dir.join(&key[prefix.len()..]);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &body)?;
        }
        println!("objects={}", keys.len());
        Ok(())
    })
}

/// Every file under `dir` (recursively) with its path relative to `root`.
fn files_under(
    root: &std::path::Path,
    dir: &std::path::Path,
    out: &mut Vec<(String, bytes::Bytes)>,
) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(root, &path, out)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .map_err(|e| BenchError::Usage(e.to_string()))?
                .to_string_lossy()
                .into_owned();
            out.push((relative, bytes::Bytes::from(std::fs::read(&path)?)));
        }
    }
    Ok(())
}

/// `upload`: the S3 ceiling. Uploads every file under `--from-dir`
/// (filled by `download`) to `--prefix` + its relative path through
/// multipart uploads of `--part-bytes` parts, `--concurrency` parts in
/// flight: the same names and bytes as a sink's output (the store may treat
/// them by type; SeaweedFS compresses `.json`), so what a sink writing them
/// must at least spend on the store. Files are read before the clock starts.
pub fn upload(opts: &Options) -> Result<()> {
    let prefix = opts.str("prefix")?.to_string();
    let dir = std::path::PathBuf::from(opts.str("from-dir")?);
    let part_bytes: usize = opts.num("part-bytes", Some(25 << 20))?;
    let concurrency: usize = opts.num("concurrency", Some(4))?;
    let bucket = env("FERRY_S3_BUCKET", "ferry");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| BenchError::S3(format!("tokio runtime: {e}")))?;
    rt.block_on(async {
        let c = client();
        let mut objects = Vec::new();
        files_under(&dir, &dir, &mut objects)?;
        objects.sort();
        let started = Instant::now();
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut written = 0u64;
        for (name, body) in &objects {
            let key = &format!("{prefix}{name}");
            let id = c
                .create_multipart_upload()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| s3_error(key, e))?
                .upload_id()
                .unwrap_or_default()
                .to_string();
            let mut parts = Vec::new();
            for (i, start) in (0..body.len().max(1))
                .step_by(part_bytes.max(1))
                .enumerate()
            {
                let number = i as i32 + 1;
                let part = body.slice(start..(start + part_bytes).min(body.len()));
                let permit = slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| BenchError::S3(e.to_string()))?;
                let (c2, b2, k2, id2) = (c.clone(), bucket.clone(), key.clone(), id.clone());
                parts.push(tokio::spawn(async move {
                    let out = c2
                        .upload_part()
                        .bucket(b2)
                        .key(&k2)
                        .upload_id(id2)
                        .part_number(number)
                        .body(aws_sdk_s3::primitives::ByteStream::from(part))
                        .send()
                        .await;
                    drop(permit);
                    out.map(|o| {
                        aws_sdk_s3::types::CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(o.e_tag().map(str::to_string))
                            .build()
                    })
                    .map_err(|e| s3_error(&k2, e))
                }));
            }
            let mut done = Vec::new();
            for p in parts {
                done.push(p.await.map_err(|e| BenchError::S3(e.to_string()))??);
            }
            c.complete_multipart_upload()
                .bucket(&bucket)
                .key(key)
                .upload_id(&id)
                .multipart_upload(
                    aws_sdk_s3::types::CompletedMultipartUpload::builder()
                        .set_parts(Some(done))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| s3_error(key, e))?;
            written += body.len() as u64;
        }
        let (cpu, rss) = crate::self_usage();
        println!(
            "bytes={written} objects={} seconds={:.3} cpu_s={cpu:.2} peak_rss_kib={rss}",
            objects.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
}
