//! Process plumbing: detached daemons, pid files, liveness, signals, logs.
//!
//! Everything here is std-only and works through `/proc` and `sh`, since the
//! workspace forbids `unsafe` (so no direct `kill(2)`).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{Context, Result};

/// Spawns `cmd` so that it outlives xtask: its own process group, stdin from
/// `/dev/null`, stdout and stderr appended to `log`.
pub fn spawn_detached(cmd: &mut Command, log: &Path) -> Result<Child> {
    let out = open_log(log)?;
    let err = out.try_clone()?;
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {}", describe(cmd)))
}

/// Opens `path` for appending, creating it and its directory.
pub fn open_log(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log {}", path.display()))
}

/// Runs `cmd` to completion, capturing its output; fails with the output
/// when it exits non-zero. Returns stdout.
pub fn run(cmd: &mut Command) -> Result<String> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", describe(cmd)))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            describe(cmd),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `cmd` to completion with output appended to `log`; on failure the
/// error names the log and quotes its last lines.
pub fn run_logged(cmd: &mut Command, log: &Path) -> Result<()> {
    let out = open_log(log)?;
    let err = out.try_clone()?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .with_context(|| format!("running {}", describe(cmd)))?;
    if !status.success() {
        bail!(
            "{} failed ({status}); log {}:\n{}",
            describe(cmd),
            log.display(),
            tail(log, 20)
        );
    }
    Ok(())
}

/// A one-line rendering of a command for messages.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Reads a pid file; `None` when missing or unparsable.
pub fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Writes `pid` to `path`.
pub fn write_pid(path: &Path, pid: u32) -> Result<()> {
    fs::write(path, format!("{pid}\n")).with_context(|| format!("writing {}", path.display()))
}

/// True when process `pid` exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // Format: `pid (comm) state ...`; comm may contain spaces and parens.
    match stat.rfind(')') {
        Some(i) => !matches!(stat[i + 1..].trim_start().chars().next(), Some('Z' | 'X')),
        None => false,
    }
}

/// The command line of process `pid`.
pub fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// Pids of live processes whose command line satisfies `matches`.
pub fn find_processes(matches: impl Fn(&[String]) -> bool) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && is_alive(pid))
        .filter(|&pid| cmdline(pid).is_some_and(|c| matches(&c)))
        .collect()
}

/// Sends `signal` (e.g. `TERM`) to `pid`, or to its whole process group when
/// `group` is set. Errors (e.g. already gone) are ignored.
pub fn signal(pid: u32, signal: &str, group: bool) {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let _ = Command::new("sh")
        .args([
            "-c",
            "kill -s \"$0\" -- \"$1\" 2>/dev/null",
            signal,
            &target,
        ])
        .stdin(Stdio::null())
        .status();
}

/// Stops `pid` (and its process group when `group`): SIGTERM, then SIGKILL
/// after `grace`. Returns once the process is gone.
pub fn terminate(pid: u32, group: bool, grace: Duration) -> Result<()> {
    if !is_alive(pid) {
        return Ok(());
    }
    signal(pid, "TERM", group);
    if wait_until(grace, Duration::from_millis(100), || Ok(!is_alive(pid)))? {
        return Ok(());
    }
    signal(pid, "KILL", group);
    if wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
        Ok(!is_alive(pid))
    })? {
        return Ok(());
    }
    bail!("process {pid} survived SIGKILL")
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Polls `ready` every `interval` until it returns true (→ `Ok(true)`) or
/// `timeout` passes (→ `Ok(false)`). Errors from `ready` end the wait.
pub fn wait_until(
    timeout: Duration,
    interval: Duration,
    mut ready: impl FnMut() -> Result<bool>,
) -> Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        sleep(interval);
    }
}

/// The last `lines` lines of the file at `path` (at most its last 64 KiB),
/// indented for quoting in messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return format!("    (no log at {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut buf = Vec::new();
    let _ = file.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|l| format!("    | {l}\n"))
        .collect::<String>()
}
