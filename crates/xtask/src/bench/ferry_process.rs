//! The `ferry` worker a benchmark runs, and what `/proc` says about it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::bail;
use crate::env::Stack;
use crate::error::{Context, Result};
use crate::stack::process;

/// A running `ferry standalone`; killed if still running when dropped.
pub struct Worker {
    child: Child,
    log: std::path::PathBuf,
    last_log_check: std::time::Instant,
}

impl Worker {
    /// Starts `ferry standalone <worker> <connector>` logging to `log`,
    /// with the stack's client variables (S3 credentials) in its environment.
    pub fn start(
        ferry: &Path,
        stack: &Stack,
        worker: &Path,
        connector: &Path,
        log: &Path,
    ) -> Result<Worker> {
        let mut cmd = Command::new(ferry);
        cmd.arg("standalone")
            .arg(worker)
            .arg(connector)
            .envs(stack.client_env())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null());
        let out = process::open_log(log)?;
        cmd.stdout(out.try_clone()?).stderr(out);
        let child = cmd.spawn().context("starting ferry")?;
        Ok(Worker {
            child,
            log: log.to_path_buf(),
            last_log_check: std::time::Instant::now(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails (quoting the log) when the worker has exited or logged a
    /// failed task.
    pub fn check(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "ferry exited ({status}); log {}:\n{}",
                self.log.display(),
                process::tail(&self.log, 30)
            );
        }
        if self.last_log_check.elapsed() >= Duration::from_secs(1) {
            self.last_log_check = std::time::Instant::now();
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(line) = log.lines().find(|l| l.contains("task failed")) {
                bail!("{line}\n(log {})", self.log.display());
            }
        }
        Ok(())
    }

    /// SIGTERM, then SIGKILL after 15 s.
    pub fn stop(&mut self) {
        let _ = process::terminate(self.child.id(), false, Duration::from_secs(15));
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Peak resident set size of a process, KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    proc_cpu(&pid.to_string(), false).map(|(_, cpu)| cpu)
}

/// CPU seconds used so far by every process whose name (`comm`) is `name`.
pub fn cpu_seconds_of(name: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|pid| proc_cpu(&pid, false))
        .filter(|(comm, _)| comm == name)
        .map(|(_, cpu)| cpu)
        .sum()
}

/// utime + stime (+ cutime + cstime with `children`) of a process, seconds.
pub fn proc_cpu(pid: &str, children: bool) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    if f.len() < 4 {
        return None;
    }
    let own = f[0] + f[1];
    let reaped = if children { f[2] + f[3] } else { 0.0 };
    Some((comm, (own + reaped) / 100.0))
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Writes `key=value` lines (a `.properties` file).
pub fn write_properties(path: &Path, pairs: &[(&str, String)]) -> Result<()> {
    let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
