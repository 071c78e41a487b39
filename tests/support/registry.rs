//! Schema Registry helpers: the stack's registry URL, a private registry
//! process on its own port and data file, and a runner for Python snippets
//! that talk to a registry through Confluent's Python client.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The local stack's Schema Registry (the stand-in `cargo xtask stack up` runs).
pub fn url() -> String {
    std::env::var("FERRY_REGISTRY_URL").unwrap_or_else(|_| "http://127.0.0.1:8081".into())
}

/// The stand-in's source, run by [`Registry::start`].
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/xtask/src/stack/schema_registry.py")
}

/// The venv's Python (`FERRY_PYTHON`), which has `confluent_kafka`.
pub fn python_bin() -> String {
    std::env::var("FERRY_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Lines every snippet starts with: imports, `c` (a `SchemaRegistryClient`
/// for `URL`), `code(f)` (the `error_code` of the `SchemaRegistryError` that
/// `f()` raises, or None), and `out(x)` (prints the snippet's JSON result).
const PRELUDE: &str = r#"
import json, struct, sys
from confluent_kafka.schema_registry import SchemaRegistryClient, Schema, SchemaReference
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationContext, MessageField
URL = sys.argv[1]
c = SchemaRegistryClient({"url": URL})
def code(f):
    try:
        f()
    except SchemaRegistryError as e:
        return [e.http_status_code, e.error_code]
    return None
def out(x):
    print("RESULT " + json.dumps(x))
"#;

/// Runs `code` (after [`PRELUDE`]) against the registry at `url` and returns
/// what it passed to `out(...)`. Panics with its stderr when it fails.
pub fn py(url: &str, code: &str) -> serde_json::Value {
    let program = format!("{PRELUDE}\n{code}");
    let output = Command::new(python_bin())
        .arg("-c")
        .arg(&program)
        .arg(url)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python failed ({}):\n{}\n{}\n--- program ---\n{code}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        stdout,
    );
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("the snippet printed no RESULT line:\n{stdout}"));
    serde_json::from_str(line).expect("RESULT is JSON")
}

/// A registry process of the test's own: its port, its data file; killed on drop.
pub struct Registry {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// Its data file.
    pub data: PathBuf,
    /// `--basic-auth` it was started with.
    pub auth: Option<String>,
}

impl Registry {
    /// Starts the stand-in on a free port with data file `data` and waits
    /// until it answers.
    pub fn start(data: &Path, auth: Option<&str>) -> Registry {
        Self::start_on(crate::free_port(), data, auth)
    }

    /// As [`Registry::start`], on `port`.
    pub fn start_on(port: u16, data: &Path, auth: Option<&str>) -> Registry {
        let log = data.with_extension("log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("registry log");
        let mut cmd = Command::new(python_bin());
        cmd.arg("-u")
            .arg(script())
            .args(["--port", &port.to_string()])
            .arg("--data")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file);
        if let Some(a) = auth {
            cmd.args(["--basic-auth", a]);
        }
        let child = cmd.spawn().expect("start the registry");
        let mut registry = Registry {
            child,
            port,
            data: data.to_path_buf(),
            auth: auth.map(str::to_string),
        };
        crate::wait_for("the registry to answer", Duration::from_secs(20), || {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!(
                    "the registry exited ({status}):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            crate::http_get(port, "/config").map(|_| ())
        });
        registry
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL: no chance to flush anything) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills it and starts it again on the same port and data file.
    pub fn restart(mut self) -> Registry {
        self.kill();
        let (port, data, auth) = (self.port, self.data.clone(), self.auth.clone());
        drop(self);
        Registry::start_on(port, &data, auth.as_deref())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}
