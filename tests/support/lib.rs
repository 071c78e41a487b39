//! Helpers for Ferry's end-to-end tests: the local stack's addresses, a
//! `ferry` worker process, Kafka admin/consume, PostgreSQL, S3 and Schema
//! Registry helpers, and the S3 sink harness.
//!
//! The tests run against the real stack started by `cargo xtask stack up`
//! (`cargo xtask test` does that and exports the addresses).

pub mod kafka;
pub mod pg;
pub mod registry;
pub mod s3;
pub mod s3_sink;
pub mod worker;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Kafka bootstrap address of the local stack.
pub fn bootstrap() -> String {
    std::env::var("FERRY_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// The `ferry` binary under test (`FERRY_BIN`, set by `cargo xtask test`).
pub fn ferry_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FERRY_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("debug/ferry");
    assert!(
        bin.exists(),
        "ferry binary not found at {}; run the tests with `cargo xtask test`",
        bin.display()
    );
    bin
}

/// A name unique to this test run, for topics and connectors.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scratch directory for one test. With `FERRY_TEST_KEEP=1` it is kept
/// after the test (its path is printed) for looking at logs.
pub fn test_dir() -> tempfile::TempDir {
    let mut builder = tempfile::Builder::new();
    builder.prefix("ferry-test-");
    if std::env::var_os("FERRY_TEST_KEEP").is_some() {
        builder.disable_cleanup(true);
    }
    let dir = builder.tempdir().expect("temp dir");
    eprintln!("test directory: {}", dir.path().display());
    dir
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Lines of a file (empty if it does not exist).
pub fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A plain HTTP/1.1 GET against 127.0.0.1 (no client library needed).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_request(port, "GET", path, None)
}

/// A plain HTTP/1.1 request with an optional JSON body; the status and the
/// body of the answer. Waits up to 60 s for it (a DELETE waits for tasks to
/// commit).
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    let body = if buf
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
