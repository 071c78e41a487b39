//! PostgreSQL 15: a private cluster with logical replication on, its own
//! port, and a `ferry` superuser (password `ferry`, REPLICATION) owning a
//! `ferry` database.
//!
//! initdb refuses to run as root, so as root every server tool runs as the
//! `postgres` OS user and the data lives where that user can reach it
//! (`/var/tmp/ferry-stack/pgdata-<port>`; `$FERRY_CACHE` is usually under
//! 0700 `/root`). As any other user the data lives in
//! `$FERRY_CACHE/stack/pgdata-<port>`. `$FERRY_PG_DATA` overrides the
//! location. The port in the name keeps stacks on other ports apart.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process;
use crate::bail;
use crate::env::{Stack, PG_DB, PG_PASSWORD, PG_USER};
use crate::error::{Context, Result};

/// Where the server's Unix socket goes (short path, writable by everyone).
const SOCKET_DIR: &str = "/tmp";

/// A located PostgreSQL installation and the cluster xtask manages with it.
struct Cluster {
    /// Directory with `initdb`, `pg_ctl`, `postgres`, `psql`.
    bin: PathBuf,
    /// The cluster's data directory.
    data: PathBuf,
    /// uid/gid to run server tools as (`postgres` when we are root).
    run_as: Option<(u32, u32)>,
    /// Server log (`$FERRY_CACHE/stack/postgres.log`).
    log: PathBuf,
    /// TCP port.
    port: u16,
}

/// Initialises the cluster if needed and starts it unless it already runs;
/// then makes sure the `ferry` role and database exist.
pub fn up(stack: &Stack) -> Result<()> {
    let pg = Cluster::locate(stack, true)?;
    let running = pg.is_running();
    // A server that is still starting (or recovering) gets a moment.
    let ready = running
        && process::wait_until(Duration::from_secs(15), Duration::from_millis(250), || {
            Ok(pg.is_ready())
        })?;
    if !ready && process::port_open(pg.port) {
        bail!(
            "[postgres] port {} is taken by another program; stop it or choose another port with FERRY_PG_PORT",
            pg.port
        );
    }
    if !ready && pg.log.exists() {
        // Keep the previous run's log as postgres.log.1.
        let _ = fs::rename(&pg.log, pg.log.with_extension("log.1"));
    }
    pg.init()?;
    pg.write_config()?;
    let state = match (running, ready) {
        (true, true) => "already running",
        (true, false) => {
            println!(
                "[postgres] running but not answering on port {}; restarting",
                pg.port
            );
            pg.stop()?;
            pg.start()?;
            "up"
        }
        (false, _) => {
            pg.start()?;
            "up"
        }
    };
    pg.ensure_role_and_db()?;
    let wal_level = process::run(Command::new(pg.tool("psql")).args([
        "-X",
        "-A",
        "-t",
        "-d",
        &client_url(stack),
        "-c",
        "SHOW wal_level",
    ]))
    .context("[postgres] logging in as ferry over TCP")?;
    println!(
        "[postgres] {state} (port {}, user {PG_USER}, db {PG_DB}, wal_level={})",
        pg.port,
        wal_level.trim()
    );
    Ok(())
}

/// Stops the cluster (`pg_ctl stop -m fast`); the data directory stays.
pub fn down(stack: &Stack) -> Result<()> {
    let Ok(pg) = Cluster::locate(stack, false) else {
        println!("[postgres] not installed");
        return Ok(());
    };
    if pg.is_running() {
        println!("[postgres] stopping");
        pg.stop()?;
        println!("[postgres] stopped");
    } else {
        println!("[postgres] not running");
    }
    Ok(())
}

/// One status line.
pub fn status(stack: &Stack) -> String {
    let Ok(pg) = Cluster::locate(stack, false) else {
        return "not installed".into();
    };
    if !pg.data.join("PG_VERSION").exists() {
        return format!("not initialised ({})", pg.data.display());
    }
    let pid = process::read_pid(&pg.data.join("postmaster.pid"));
    match (pg.is_running(), pg.is_ready()) {
        (true, true) => format!(
            "running (pid {}, port {}, data {})",
            pid.unwrap_or(0),
            pg.port,
            pg.data.display()
        ),
        (true, false) => format!("NOT ANSWERING on port {} (server is running)", pg.port),
        (false, _) => "stopped".into(),
    }
}

/// `postgres://ferry:ferry@127.0.0.1:<port>/ferry`.
fn client_url(stack: &Stack) -> String {
    format!(
        "postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{}/{PG_DB}",
        stack.pg_port
    )
}

impl Cluster {
    /// Finds the server binaries (installing them with apt-get when
    /// `install` is set and they are missing) and the `postgres` user.
    fn locate(stack: &Stack, install: bool) -> Result<Self> {
        let bin = match find_bin_dir() {
            Some(bin) => bin,
            None if install => {
                apt_install(stack)?;
                find_bin_dir()
                    .context("[postgres] installed, but initdb/pg_ctl are still missing")?
            }
            None => bail!("[postgres] not installed"),
        };
        let run_as = if stack.is_root {
            Some(postgres_user()?)
        } else {
            None
        };
        let data = match std::env::var_os("FERRY_PG_DATA") {
            Some(dir) if !dir.is_empty() => crate::env::absolute(Path::new(&dir))?,
            _ if stack.is_root => {
                PathBuf::from(format!("/var/tmp/ferry-stack/pgdata-{}", stack.pg_port))
            }
            _ => stack.state.join(format!("pgdata-{}", stack.pg_port)),
        };
        Ok(Cluster {
            bin,
            data,
            run_as,
            log: stack.state.join("postgres.log"),
            port: stack.pg_port,
        })
    }

    /// Path of a client or server program.
    fn tool(&self, name: &str) -> PathBuf {
        let path = self.bin.join(name);
        if path.exists() {
            path
        } else {
            PathBuf::from(name)
        }
    }

    /// A command for `tool`, run as the server's OS user.
    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.tool(tool));
        let home = self.data.parent().unwrap_or(Path::new("/"));
        cmd.current_dir(home);
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", home);
        }
        cmd
    }

    /// Hands `path` to the server's OS user (no-op unless we are root).
    fn give(&self, path: &Path) -> Result<()> {
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .with_context(|| format!("chown {}", path.display()))?;
        }
        Ok(())
    }

    /// Runs initdb unless the data directory already holds a cluster.
    fn init(&self) -> Result<()> {
        if self.data.join("PG_VERSION").exists() {
            return Ok(());
        }
        println!(
            "[postgres] initialising a cluster in {} (log: {})",
            self.data.display(),
            self.log.display()
        );
        let _ = fs::remove_dir_all(&self.data);
        fs::create_dir_all(&self.data)
            .with_context(|| format!("creating {}", self.data.display()))?;
        fs::set_permissions(&self.data, fs::Permissions::from_mode(0o700))?;
        self.give(&self.data)?;
        process::run_logged(
            self.command("initdb")
                .arg("-D")
                .arg(&self.data)
                .args(["-U", "postgres", "-E", "UTF8", "--no-locale"])
                .args(["--auth-local=trust", "--auth-host=scram-sha-256"]),
            &self.log,
        )
        .context("[postgres] initdb failed")?;
        // Our settings live in ferry.conf, rewritten on every `up`.
        let conf = self.data.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf)?;
        text.push_str("\n# Added by cargo xtask stack up\ninclude_if_exists = 'ferry.conf'\n");
        fs::write(&conf, text)?;
        Ok(())
    }

    /// Writes `ferry.conf` (port, logical replication, test-friendly knobs).
    fn write_config(&self) -> Result<()> {
        let path = self.data.join("ferry.conf");
        let text = format!(
            "# Written by `cargo xtask stack up` on every start; edits are overwritten.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{SOCKET_DIR}'\n\
             wal_level = logical\n\
             max_replication_slots = 20\n\
             max_wal_senders = 20\n\
             max_connections = 200\n\
             # A throwaway test cluster: trade durability for speed.\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n",
            port = self.port
        );
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            self.give(&path)?;
        }
        Ok(())
    }

    /// `pg_ctl status`: is a postmaster running on this data directory?
    fn is_running(&self) -> bool {
        self.data.join("PG_VERSION").exists()
            && self
                .command("pg_ctl")
                .arg("status")
                .arg("-D")
                .arg(&self.data)
                .output()
                .is_ok_and(|o| o.status.success())
    }

    /// Does the server accept connections on 127.0.0.1:port?
    fn is_ready(&self) -> bool {
        let pg_isready = self.bin.join("pg_isready");
        if !pg_isready.exists() {
            return process::port_open(self.port);
        }
        Command::new(pg_isready)
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// `pg_ctl start -w`, server output appended to our log.
    fn start(&self) -> Result<()> {
        println!(
            "[postgres] starting on port {} (log: {})",
            self.port,
            self.log.display()
        );
        // The postmaster inherits our log file descriptor, so the log can
        // live in a directory the postgres user cannot open itself.
        let out = process::open_log(&self.log)?;
        let status = self
            .command("pg_ctl")
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&self.data)
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .status()
            .context("[postgres] running pg_ctl start")?;
        if !status.success() || !self.is_ready() {
            bail!(
                "[postgres] did not start ({status}); log {}:\n{}",
                self.log.display(),
                process::tail(&self.log, 20)
            );
        }
        Ok(())
    }

    /// `pg_ctl stop -m fast`.
    fn stop(&self) -> Result<()> {
        process::run(
            self.command("pg_ctl")
                .args(["stop", "-w", "-m", "fast", "-D"])
                .arg(&self.data),
        )
        .context("[postgres] pg_ctl stop")?;
        Ok(())
    }

    /// Creates (or refreshes) the `ferry` role and database.
    fn ensure_role_and_db(&self) -> Result<()> {
        let psql = |sql: &str| {
            process::run(
                self.command("psql")
                    .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
                    .args(["-h", SOCKET_DIR, "-p", &self.port.to_string()])
                    .args(["-U", "postgres", "-d", "postgres", "-c", sql]),
            )
            .context("[postgres] psql")
        };
        let attributes = format!("LOGIN SUPERUSER REPLICATION PASSWORD '{PG_PASSWORD}'");
        psql(&format!(
            "DO $$ BEGIN \
               IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_USER}') THEN \
                 ALTER ROLE {PG_USER} {attributes}; \
               ELSE \
                 CREATE ROLE {PG_USER} {attributes}; \
               END IF; \
             END $$;"
        ))?;
        let exists = psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'"
        ))?;
        if exists.trim().is_empty() {
            psql(&format!("CREATE DATABASE {PG_DB} OWNER {PG_USER}"))?;
        }
        Ok(())
    }
}

/// The directory holding `initdb` and `pg_ctl`: /usr/local/bin, then
/// Debian's /usr/lib/postgresql/15/bin (or the newest other version), then
/// `$PATH`. Symlinks are followed to the real directory.
fn find_bin_dir() -> Option<PathBuf> {
    let mut candidates = vec![
        PathBuf::from("/usr/local/bin/initdb"),
        PathBuf::from("/usr/lib/postgresql/15/bin/initdb"),
    ];
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path().join("bin/initdb")))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("initdb")));
    }
    candidates.into_iter().find_map(|initdb| {
        let dir = fs::canonicalize(&initdb).ok()?.parent()?.to_path_buf();
        (dir.join("pg_ctl").exists() && dir.join("postgres").exists()).then_some(dir)
    })
}

/// `apt-get install postgresql` (needs root).
fn apt_install(stack: &Stack) -> Result<()> {
    if !stack.is_root || !Path::new("/usr/bin/apt-get").exists() {
        bail!(
            "[postgres] PostgreSQL server binaries (initdb, pg_ctl) not found; \
             install PostgreSQL 15 (e.g. `apt-get install postgresql`)"
        );
    }
    let log = stack.state.join("apt.log");
    println!(
        "[postgres] not installed; running apt-get install postgresql (log: {})",
        log.display()
    );
    process::run_logged(Command::new("apt-get").arg("update"), &log)?;
    process::run_logged(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &log,
    )
}

/// uid and gid of the `postgres` OS user.
fn postgres_user() -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = process::run(Command::new("id").args([flag, "postgres"])).context(
            "[postgres] running as root needs a `postgres` OS user (the postgresql package creates it)",
        )?;
        out.trim()
            .parse()
            .with_context(|| format!("parsing `id {flag} postgres` output {out:?}"))
    };
    Ok((id("-u")?, id("-g")?))
}
