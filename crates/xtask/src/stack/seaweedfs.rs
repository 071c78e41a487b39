//! S3: SeaweedFS (`weed mini`, all components in one process) with the
//! bucket pre-created. Path-style; it runs without identities, so any
//! credentials are accepted.
//!
//! Besides S3 on `$FERRY_S3_PORT` (default 8333) it listens on 127.0.0.1 for
//! master 9333, volume 9340, filer 8888 and admin 23646, and on each of
//! those + 10000 for gRPC (S3 too: 18333). All of them move with
//! `$FERRY_S3_PORT`: with 8433 they are 9433, 9440, 8988, 23746 (+ 10000),
//! so a second stack only needs a different S3 port. WebDAV, the Iceberg and
//! Lance endpoints and telemetry are switched off.

use std::fs;
use std::process::Command;
use std::time::Duration;

use super::daemon::Daemon;
use super::venv;
use crate::bail;
use crate::env::{Stack, S3_BUCKET};
use crate::error::{Context, Result};
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

/// The default S3 port; the other ports keep their distance to it.
const DEFAULT_S3_PORT: i32 = 8333;
/// Default master, volume, filer and admin ports (for S3 on 8333).
const DEFAULT_INTERNAL_PORTS: [i32; 4] = [9333, 9340, 8888, 23646];

/// Master, volume, filer and admin ports for S3 on `s3_port`: the defaults
/// shifted by as much as the S3 port is. Each also uses port + 10000 (gRPC).
fn internal_ports(s3_port: u16) -> Result<[u16; 4]> {
    let shift = i32::from(s3_port) - DEFAULT_S3_PORT;
    let mut ports = [0u16; 4];
    for (port, default) in ports.iter_mut().zip(DEFAULT_INTERNAL_PORTS) {
        *port = u16::try_from(default + shift)
            .ok()
            .filter(|p| (1024..=55535).contains(p))
            .with_context(|| {
                format!(
                    "FERRY_S3_PORT={s3_port} moves SeaweedFS's port {default} out of range; \
                     pick an S3 port nearer 8333"
                )
            })?;
    }
    if s3_port > 55535 {
        bail!("FERRY_S3_PORT={s3_port} is too high: SeaweedFS also uses port + 10000");
    }
    Ok(ports)
}

/// Installs `weed` if needed, then starts it unless it already runs.
pub fn up(stack: &Stack) -> Result<()> {
    venv::ensure(stack)?;
    let data = stack.state.join("seaweedfs");
    fs::create_dir_all(&data)?;
    let port = stack.s3_port;
    let [master, volume, filer, admin] = internal_ports(port)?;
    let mut cmd = Command::new(daemon(stack).exe);
    cmd.arg("mini")
        // Without -ip it advertises a non-loopback address.
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-dir={}", data.display()))
        .arg(format!("-bucket={S3_BUCKET}"))
        .arg(format!("-s3.port={port}"))
        .arg(format!("-master.port={master}"))
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-filer.port={filer}"))
        .arg(format!("-admin.port={admin}"))
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

#[cfg(test)]
mod tests {
    use super::internal_ports;

    #[test]
    fn internal_ports_move_with_the_s3_port() {
        assert_eq!(internal_ports(8333).unwrap(), [9333, 9340, 8888, 23646]);
        assert_eq!(internal_ports(8433).unwrap(), [9433, 9440, 8988, 23746]);
        assert!(internal_ports(60000).is_err());
    }
}
