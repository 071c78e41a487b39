//! S3 helpers: list, read and download objects of the local stack's
//! bucket (SeaweedFS), with the same AWS SDK the sink uses.

use std::path::Path;

use aws_sdk_s3::Client;

/// The local stack's S3 endpoint.
pub fn endpoint() -> String {
    std::env::var("FERRY_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8333".into())
}

/// The local stack's bucket.
pub fn bucket() -> String {
    std::env::var("FERRY_S3_BUCKET").unwrap_or_else(|_| "ferry".into())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn client() -> Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "ferry".into()),
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "ferry".into()),
            None,
            None,
            "tests",
        ))
        .build();
    Client::from_conf(conf)
}

/// Every key under `prefix`, sorted.
pub fn list(prefix: &str) -> Vec<String> {
    runtime().block_on(async {
        let c = client();
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let resp = c
                .list_objects_v2()
                .bucket(bucket())
                .prefix(prefix)
                .set_continuation_token(token.clone())
                .send()
                .await
                .expect("list objects");
            keys.extend(
                resp.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            token = resp.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        keys.sort();
        keys
    })
}

/// An object's bytes.
pub fn get(key: &str) -> Vec<u8> {
    runtime().block_on(async {
        let out = client()
            .get_object()
            .bucket(bucket())
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
        out.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec()
    })
}

/// Downloads every object under `prefix` into `dir`, keeping the key's
/// path below `prefix`; returns the keys.
pub fn download(prefix: &str, dir: &Path) -> Vec<String> {
    let keys = list(prefix);
    for k in &keys {
        let rel = k.strip_prefix(prefix).unwrap_or(k).trim_start_matches('/');
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, get(k)).expect("write object");
    }
    keys
}

/// Runs a Python snippet with the stack's venv (pyarrow, fastavro, duckdb)
/// and returns its stdout.
pub fn python(code: &str) -> String {
    let py = std::env::var("FERRY_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(py)
        .arg("-c")
        .arg(code)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        code
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
