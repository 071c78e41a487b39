//! A service xtask runs itself and tracks with a pid file (tansu, SeaweedFS).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process;
use crate::bail;
use crate::env::Stack;
use crate::error::Result;

/// A long-running program started detached, recorded in `<state>/<name>.pid`
/// with its output in `<state>/<name>.log`.
pub struct Daemon {
    /// Short name used in messages and file names.
    pub name: &'static str,
    /// The executable; a live pid whose `argv[0]` differs is not ours.
    pub exe: PathBuf,
    /// The port clients use, probed to decide whether it is up.
    pub port: u16,
    /// The variable that overrides [`Daemon::port`], for error messages.
    pub port_var: &'static str,
    /// Pid file path.
    pub pid_file: PathBuf,
    /// Log file path (the previous run's log is kept as `.log.1`).
    pub log_file: PathBuf,
}

/// What [`Daemon::state`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Our process is alive and answers on its port.
    Running(u32),
    /// Our process is alive but does not answer (yet).
    NotAnswering(u32),
    /// The pid file names a process that is gone.
    Stale(u32),
    /// No pid file, but something else listens on the port.
    Foreign,
    /// Nothing running.
    Stopped,
}

impl Daemon {
    /// Describes daemon `name` of `stack`, run from `exe`, serving `port`.
    pub fn new(
        stack: &Stack,
        name: &'static str,
        exe: PathBuf,
        port: u16,
        port_var: &'static str,
    ) -> Self {
        Daemon {
            name,
            exe,
            port,
            port_var,
            pid_file: stack.state.join(format!("{name}.pid")),
            log_file: stack.state.join(format!("{name}.log")),
        }
    }

    /// The pid from the pid file if that process is alive and is ours.
    fn live_pid(&self) -> Result<Option<u32>, u32> {
        let Some(pid) = process::read_pid(&self.pid_file) else {
            return Ok(None);
        };
        let ours = process::is_alive(pid)
            && process::cmdline(pid)
                .and_then(|c| c.into_iter().next())
                .is_some_and(|argv0| Path::new(&argv0) == self.exe);
        if ours {
            Ok(Some(pid))
        } else {
            Err(pid)
        }
    }

    /// Classifies the daemon; `probe` says whether the port answers properly.
    pub fn state(&self, probe: &dyn Fn() -> bool) -> State {
        match self.live_pid() {
            Ok(Some(pid)) if probe() => State::Running(pid),
            Ok(Some(pid)) => State::NotAnswering(pid),
            Err(pid) => State::Stale(pid),
            Ok(None) if process::port_open(self.port) => State::Foreign,
            Ok(None) => State::Stopped,
        }
    }

    /// Makes sure the daemon runs and answers: leaves a healthy one alone,
    /// replaces a stale or unresponsive one, otherwise starts `cmd` and
    /// waits up to `timeout` for `probe`.
    pub fn ensure_up(
        &self,
        cmd: &mut Command,
        probe: &dyn Fn() -> bool,
        timeout: Duration,
    ) -> Result<()> {
        let name = self.name;
        match self.state(probe) {
            State::Running(pid) => {
                println!("[{name}] already running (pid {pid}, port {})", self.port);
                return Ok(());
            }
            State::NotAnswering(pid) => {
                let same_command = process::cmdline(pid).is_some_and(|argv| argv == argv_of(cmd));
                if !same_command && process::port_open(self.port) {
                    bail!(
                        "[{name}] port {} is taken by another program (xtask's {name} runs as pid {pid} \
                         with other settings); stop it or choose another port with {}",
                        self.port,
                        self.port_var
                    );
                }
                if same_command {
                    println!(
                        "[{name}] pid {pid} is running but not answering on port {}; waiting",
                        self.port
                    );
                    if process::wait_until(
                        Duration::from_secs(15),
                        Duration::from_millis(250),
                        || Ok(probe()),
                    )? {
                        println!("[{name}] running (pid {pid}, port {})", self.port);
                        return Ok(());
                    }
                    println!("[{name}] still not answering; restarting it");
                } else {
                    println!("[{name}] pid {pid} runs with other settings; restarting it");
                }
                process::terminate(pid, true, Duration::from_secs(10))?;
                let _ = fs::remove_file(&self.pid_file);
            }
            State::Stale(pid) => {
                println!("[{name}] stale pid file (pid {pid} is gone); starting again");
                let _ = fs::remove_file(&self.pid_file);
            }
            State::Foreign | State::Stopped => {}
        }
        if process::port_open(self.port) {
            if probe() {
                println!(
                    "[{name}] port {} already answers but was not started by xtask; using it as is",
                    self.port
                );
                return Ok(());
            }
            bail!(
                "[{name}] port {} is taken by another program; stop it or choose another port with {}",
                self.port,
                self.port_var
            );
        }
        self.start(cmd, probe, timeout)
    }

    /// Starts `cmd` detached and waits for `probe`.
    fn start(&self, cmd: &mut Command, probe: &dyn Fn() -> bool, timeout: Duration) -> Result<()> {
        let name = self.name;
        if self.log_file.exists() {
            let _ = fs::rename(&self.log_file, self.log_file.with_extension("log.1"));
        }
        println!(
            "[{name}] starting on port {} (log: {})",
            self.port,
            self.log_file.display()
        );
        let mut child = process::spawn_detached(cmd, &self.log_file)?;
        let pid = child.id();
        process::write_pid(&self.pid_file, pid)?;
        let ready = process::wait_until(timeout, Duration::from_millis(200), || {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "[{name}] exited during start ({status}); log {}:\n{}",
                    self.log_file.display(),
                    process::tail(&self.log_file, 20)
                );
            }
            Ok(probe())
        });
        match ready {
            Ok(true) => {
                println!("[{name}] up (pid {pid}, port {})", self.port);
                Ok(())
            }
            Ok(false) => {
                process::terminate(pid, true, Duration::from_secs(5))?;
                let _ = fs::remove_file(&self.pid_file);
                bail!(
                    "[{name}] did not answer on port {} within {}s; log {}:\n{}",
                    self.port,
                    timeout.as_secs(),
                    self.log_file.display(),
                    process::tail(&self.log_file, 20)
                )
            }
            Err(e) => {
                let _ = fs::remove_file(&self.pid_file);
                Err(e)
            }
        }
    }

    /// Stops our process (SIGTERM to its group, SIGKILL after 10 s).
    pub fn stop(&self) -> Result<()> {
        let name = self.name;
        match self.live_pid() {
            Ok(Some(pid)) => {
                println!("[{name}] stopping pid {pid}");
                process::terminate(pid, true, Duration::from_secs(10))?;
                println!("[{name}] stopped");
            }
            Ok(None) if process::port_open(self.port) => println!(
                "[{name}] port {} is served by a process xtask did not start; leaving it",
                self.port
            ),
            Ok(None) | Err(_) => println!("[{name}] not running"),
        }
        let _ = fs::remove_file(&self.pid_file);
        Ok(())
    }

    /// One status line.
    pub fn status_line(&self, probe: &dyn Fn() -> bool) -> String {
        match self.state(probe) {
            State::Running(pid) => format!("running (pid {pid}, port {})", self.port),
            State::NotAnswering(pid) => {
                format!("NOT ANSWERING (pid {pid} alive, port {})", self.port)
            }
            State::Stale(pid) => format!("stopped (stale pid file: {pid})"),
            State::Foreign => format!("port {} served by a process xtask did not start", self.port),
            State::Stopped => "stopped".into(),
        }
    }
}

/// `cmd`'s program and arguments as strings, as `/proc/<pid>/cmdline` shows them.
fn argv_of(cmd: &Command) -> Vec<String> {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}
