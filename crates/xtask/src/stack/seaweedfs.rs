//! S3: SeaweedFS (`weed mini`, all components in one process) with the
//! bucket pre-created. Path-style; it runs without identities, so any
//! credentials are accepted.
//!
//! Besides S3 on `$FERRY_S3_PORT` it opens fixed ports on 127.0.0.1: master
//! 9333, volume 9340, filer 8888, admin 23646, and each of those + 10000 for
//! gRPC (plus S3 port + 10000). WebDAV, the Iceberg and Lance endpoints and
//! telemetry are switched off.

use std::fs;
use std::process::Command;
use std::time::Duration;

use super::daemon::Daemon;
use super::venv;
use crate::env::{Stack, S3_BUCKET};
use crate::error::Result;
use crate::http;

/// The server as a pid-file daemon.
pub fn daemon(stack: &Stack) -> Daemon {
    Daemon::new(
        stack,
        "seaweedfs",
        stack.venv().join("bin/weed"),
        stack.s3_port,
        "FERRY_S3_PORT",
    )
}

/// True when S3 answers and the bucket exists (an unsigned ListObjectsV2).
fn bucket_answers(port: u16) -> bool {
    http::get(port, &format!("/{S3_BUCKET}?list-type=2&max-keys=1")).is_ok_and(|r| r.status == 200)
}

/// Installs `weed` if needed, then starts it unless it already runs.
pub fn up(stack: &Stack) -> Result<()> {
    venv::ensure(stack)?;
    let data = stack.state.join("seaweedfs");
    fs::create_dir_all(&data)?;
    let port = stack.s3_port;
    let mut cmd = Command::new(daemon(stack).exe);
    cmd.arg("mini")
        // Without -ip it advertises a non-loopback address.
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-dir={}", data.display()))
        .arg(format!("-bucket={S3_BUCKET}"))
        .arg(format!("-s3.port={port}"))
        .args([
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
        ])
        // With these set, `weed mini` creates an identity and enforces
        // signatures; the stack is meant to accept any credentials.
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("S3_BUCKET")
        .env_remove("S3_TABLE_BUCKET")
        .env_remove("S3_EXTERNAL_URL")
        .current_dir(&data);
    daemon(stack).ensure_up(
        &mut cmd,
        &move || bucket_answers(port),
        Duration::from_secs(60),
    )
}

/// Stops the server (the data directory stays).
pub fn down(stack: &Stack) -> Result<()> {
    daemon(stack).stop()
}

/// One status line.
pub fn status(stack: &Stack) -> String {
    let port = stack.s3_port;
    daemon(stack).status_line(&move || bucket_answers(port))
}
