//! Kafka: a tansu 0.6.0 broker with in-memory storage.
//!
//! The binary is built once with `cargo install` into `$FERRY_CACHE` (about
//! 16 minutes cold on 2 cores) and reused by every clone and CI run after.
//! It is built from crates.io sources with one fix (see [`tansu_source`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::daemon::Daemon;
use super::process;
use super::tansu_source::{self, PATCH_LEVEL};
use crate::bail;
use crate::env::Stack;
use crate::error::{Context, Result};
use crate::kafka;

/// The tansu release the stack runs.
pub const VERSION: &str = tansu_source::VERSION;

/// `$FERRY_CACHE/tansu-<version>-<patch level>`: the `cargo install --root`.
fn install_root(stack: &Stack) -> PathBuf {
    stack.cache.join(format!("tansu-{VERSION}-{PATCH_LEVEL}"))
}

/// The installed `tansu` binary.
pub fn binary(stack: &Stack) -> PathBuf {
    install_root(stack).join("bin/tansu")
}

/// The broker as a pid-file daemon.
pub fn daemon(stack: &Stack) -> Daemon {
    Daemon::new(
        stack,
        "tansu",
        binary(stack),
        stack.kafka_port,
        "FERRY_KAFKA_PORT",
    )
}

/// Installs tansu if needed, then starts the broker unless it already runs.
pub fn up(stack: &Stack) -> Result<()> {
    ensure_installed(stack)?;
    let url = format!("tcp://127.0.0.1:{}", stack.kafka_port);
    let port = stack.kafka_port;
    let mut cmd = Command::new(binary(stack));
    cmd.arg("broker")
        .args(["--listener-url", &url])
        .args(["--advertised-listener-url", &url])
        .args(["--storage-engine", "memory://tansu/"])
        // tansu logs through RUST_LOG; keep the tests' setting out of it.
        .env(
            "RUST_LOG",
            std::env::var("FERRY_TANSU_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .current_dir(&stack.state);
    daemon(stack).ensure_up(
        &mut cmd,
        &move || kafka::broker_answers(port),
        Duration::from_secs(60),
    )
}

/// Stops the broker; its in-memory topics and groups go with it.
pub fn down(stack: &Stack) -> Result<()> {
    daemon(stack).stop()
}

/// One status line.
pub fn status(stack: &Stack) -> String {
    let port = stack.kafka_port;
    daemon(stack).status_line(&move || kafka::broker_answers(port))
}

/// Builds tansu into the cache unless the binary is already there. Waits for
/// an install already in progress instead of starting a second one.
fn ensure_installed(stack: &Stack) -> Result<()> {
    let bin = binary(stack);
    if bin.exists() {
        return Ok(());
    }
    let log = stack.cache.join("tansu-install.log");
    let running = running_installs();
    if !running.is_empty() {
        println!(
            "[tansu] another `cargo install tansu` is running (pid {running:?}); waiting for it (log: {})",
            log.display()
        );
        let mut progress = Progress::new(&log);
        while running.iter().any(|&pid| process::is_alive(pid)) {
            sleep(Duration::from_secs(5));
            progress.tick();
        }
        if bin.exists() {
            println!("[tansu] installed by the other build");
            return Ok(());
        }
        println!("[tansu] the other build finished without a binary; installing now");
    }

    println!(
        "[tansu] {} is missing: building tansu {VERSION} with cargo install.\n\
         [tansu] This is a one-time step (about 16 minutes cold on 2 cores); the binary is cached.\n\
         [tansu] log: {}",
        bin.display(),
        log.display()
    );
    std::fs::create_dir_all(&stack.cache)?;
    let sources = tansu_source::prepare(&stack.cache.join("tansu-src"), &log)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["install", "--locked", "--path"])
        .arg(&sources)
        .args(["--features", "dynostore"])
        .arg("--root")
        .arg(install_root(stack))
        .arg("--target-dir")
        .arg(stack.cache.join("tansu-build"))
        // Outside the workspace so its .cargo/config.toml does not apply.
        .current_dir(&stack.cache)
        .stdin(std::process::Stdio::null());
    let out = process::open_log(&log)?;
    cmd.stdout(out.try_clone()?).stderr(out);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", process::describe(&cmd)))?;
    let mut progress = Progress::new(&log);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        sleep(Duration::from_secs(5));
        progress.tick();
    };
    if !status.success() || !bin.exists() {
        bail!(
            "[tansu] cargo install failed ({status}); log {}:\n{}",
            log.display(),
            process::tail(&log, 25)
        );
    }
    println!(
        "[tansu] installed {} in {}s",
        bin.display(),
        progress.started.elapsed().as_secs()
    );
    Ok(())
}

/// Pids of `cargo install tansu` processes already running on this machine.
fn running_installs() -> Vec<u32> {
    process::find_processes(|argv| {
        argv.first()
            .is_some_and(|a| a == "cargo" || a.ends_with("/cargo"))
            && argv.iter().any(|a| a == "install")
            && argv.iter().any(|a| a.contains("tansu"))
    })
}

/// Prints a progress line about once a minute while tansu builds.
struct Progress<'a> {
    log: &'a Path,
    started: Instant,
    next: Instant,
}

impl<'a> Progress<'a> {
    const EVERY: Duration = Duration::from_secs(60);

    fn new(log: &'a Path) -> Self {
        let now = Instant::now();
        Progress {
            log,
            started: now,
            next: now + Self::EVERY,
        }
    }

    fn tick(&mut self) {
        if Instant::now() < self.next {
            return;
        }
        self.next += Self::EVERY;
        let compiled = std::fs::read_to_string(self.log)
            .map(|text| text.matches("Compiling ").count())
            .unwrap_or(0);
        println!(
            "[tansu] still building ({}m elapsed, {compiled} crates compiled so far)",
            self.started.elapsed().as_secs() / 60
        );
    }
}
