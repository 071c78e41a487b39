//! A `ferry standalone` process under test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{bootstrap, ferry_bin, free_port};

/// Writes a properties file from key/value pairs.
pub fn write_properties(path: &Path, pairs: &[(&str, &str)]) {
    let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(path, text).expect("write properties");
}

/// The source offsets a worker made with [`worker_properties`] stored in
/// `dir`: each entry's `offset` object (none while the file is missing or
/// half written).
pub fn stored_offsets(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("offsets.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| {
            v["offsets"]
                .as_array()
                .map(|all| all.iter().map(|e| e["offset"].clone()).collect())
        })
        .unwrap_or_default()
}

/// A worker config for tests: StringConverter, fast commits, a private
/// offsets file and HTTP port, and the consumer settings tansu needs.
pub fn worker_properties(dir: &Path, port: u16, extra: &[(&str, &str)]) -> PathBuf {
    let offsets = dir.join("offsets.json");
    let listeners = format!("http://127.0.0.1:{port}");
    let bootstrap = bootstrap();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("bootstrap.servers", &bootstrap),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        ("offset.storage.file.filename", offsets.to_str().unwrap()),
        ("offset.flush.interval.ms", "500"),
        ("listeners", &listeners),
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "1000"),
        ("consumer.fetch.max.wait.ms", "10"),
        ("consumer.partition.assignment.strategy", "range"),
        ("producer.linger.ms", "5"),
        ("task.shutdown.graceful.timeout.ms", "10000"),
    ];
    pairs.extend_from_slice(extra);
    let path = dir.join("worker.properties");
    write_properties(&path, &pairs);
    path
}

/// A running worker; killed on drop.
pub struct Worker {
    child: Option<Child>,
    /// Its HTTP port.
    pub port: u16,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl Worker {
    /// Starts `ferry standalone <worker> <connectors...>`, logging to
    /// `dir/worker-<n>.log`.
    pub fn start(dir: &Path, worker: &Path, connectors: &[PathBuf], port: u16) -> Worker {
        Worker::start_binary(&ferry_bin(), dir, worker, connectors, port)
    }

    /// [`Worker::start`] with another binary built on the runtime's command
    /// line (a custom binary with its own connectors).
    pub fn start_binary(
        bin: &Path,
        dir: &Path,
        worker: &Path,
        connectors: &[PathBuf],
        port: u16,
    ) -> Worker {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("worker-{n}.log"));
        let err = std::fs::File::create(&log).expect("log file");
        let child = Command::new(bin)
            .arg("standalone")
            .arg(worker)
            .args(connectors)
            .env(
                "RUST_LOG",
                std::env::var("FERRY_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("start ferry");
        Worker {
            child: Some(child),
            port,
            log,
        }
    }

    /// A fresh free port for a worker.
    pub fn port() -> u16 {
        free_port()
    }

    /// The worker's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = c.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    /// Waits for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let c = self.child.as_mut()?;
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = c.try_wait() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill9();
    }
}
