//! Where the local stack lives and how programs find it.
//!
//! [`Stack`] resolves every path and port once from the environment;
//! [`Stack::client_env`] is the single list of variables that tests, the demo
//! and benchmarks read (printed by `cargo xtask stack env`).

use std::env;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};

/// The S3 bucket SeaweedFS creates at start.
pub const S3_BUCKET: &str = "ferry";
/// Credentials for S3: SeaweedFS runs without identities, so any pair works.
pub const S3_ACCESS_KEY: &str = "ferry";
/// See [`S3_ACCESS_KEY`].
pub const S3_SECRET_KEY: &str = "ferry-secret";
/// The PostgreSQL role (superuser, REPLICATION), its password and database.
pub const PG_USER: &str = "ferry";
/// See [`PG_USER`].
pub const PG_PASSWORD: &str = "ferry";
/// See [`PG_USER`].
pub const PG_DB: &str = "ferry";

/// Paths and ports of the local stack, resolved from the environment.
#[derive(Debug, Clone)]
pub struct Stack {
    /// `$FERRY_CACHE`, default `$HOME/.cache/ferry`: downloads, builds, state.
    pub cache: PathBuf,
    /// `$FERRY_CACHE/stack`: pid files, logs, SeaweedFS data.
    pub state: PathBuf,
    /// Kafka (tansu) port, `$FERRY_KAFKA_PORT`, default 9092.
    pub kafka_port: u16,
    /// S3 (SeaweedFS) port, `$FERRY_S3_PORT`, default 8333.
    pub s3_port: u16,
    /// PostgreSQL port, `$FERRY_PG_PORT`, default 5433.
    pub pg_port: u16,
    /// Schema Registry (stand-in) port, `$FERRY_REGISTRY_PORT`, default 8081.
    pub registry_port: u16,
    /// True when running as root: PostgreSQL then runs as the `postgres` user.
    pub is_root: bool,
}

impl Stack {
    /// Reads `FERRY_CACHE` and the port variables.
    pub fn from_env() -> Result<Self> {
        let cache = match env::var_os("FERRY_CACHE") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let home = env::var_os("HOME").context("neither FERRY_CACHE nor HOME is set")?;
                PathBuf::from(home).join(".cache/ferry")
            }
        };
        let cache = absolute(&cache)?;
        let is_root = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        Ok(Stack {
            state: cache.join("stack"),
            cache,
            kafka_port: port_var("FERRY_KAFKA_PORT", 9092)?,
            s3_port: port_var("FERRY_S3_PORT", 8333)?,
            pg_port: port_var("FERRY_PG_PORT", 5433)?,
            registry_port: port_var("FERRY_REGISTRY_PORT", 8081)?,
            is_root,
        })
    }

    /// The Python virtualenv holding `weed` and the test tools.
    pub fn venv(&self) -> PathBuf {
        self.cache.join("venv")
    }

    /// The venv's Python interpreter (`$FERRY_PYTHON`).
    pub fn python(&self) -> PathBuf {
        self.venv().join("bin/python")
    }

    /// `host:port` of the Kafka listener.
    pub fn kafka_bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.kafka_port)
    }

    /// Base URL of the S3 endpoint.
    pub fn s3_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// Base URL of the Schema Registry.
    pub fn registry_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.registry_port)
    }

    /// The variables clients of the stack read, in a stable order.
    ///
    /// `stack env` prints them; `test` and `demo` set them on child processes.
    pub fn client_env(&self) -> Vec<(&'static str, String)> {
        let pg_url = format!(
            "postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{}/{PG_DB}",
            self.pg_port
        );
        vec![
            ("FERRY_CACHE", self.cache.display().to_string()),
            ("FERRY_KAFKA_BOOTSTRAP", self.kafka_bootstrap()),
            ("FERRY_S3_ENDPOINT", self.s3_endpoint()),
            ("FERRY_S3_BUCKET", S3_BUCKET.into()),
            ("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY.into()),
            ("AWS_REGION", "us-east-1".into()),
            ("FERRY_PG_HOST", "127.0.0.1".into()),
            ("FERRY_PG_PORT", self.pg_port.to_string()),
            ("FERRY_PG_USER", PG_USER.into()),
            ("FERRY_PG_PASSWORD", PG_PASSWORD.into()),
            ("FERRY_PG_DB", PG_DB.into()),
            ("FERRY_PG_URL", pg_url),
            ("FERRY_REGISTRY_URL", self.registry_url()),
            ("FERRY_PYTHON", self.python().display().to_string()),
        ]
    }

    /// Prints [`Stack::client_env`] as POSIX shell `export` lines.
    pub fn print_exports(&self) {
        for (key, value) in self.client_env() {
            println!("export {key}={}", shell_quote(&value));
        }
    }
}

/// Reads a port number from `var`, or returns `default` when unset.
fn port_var(var: &str, default: u16) -> Result<u16> {
    match env::var(var) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{var}={v:?} is not a port number")),
        _ => Ok(default),
    }
}

/// Makes `path` absolute against the current directory.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// Quotes `value` for a POSIX shell when it needs it.
fn shell_quote(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+%".contains(c));
    if plain && !value.is_empty() {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(shell_quote("127.0.0.1:9092"), "127.0.0.1:9092");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
