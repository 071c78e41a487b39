//! SQL against the local stack's PostgreSQL through `psql`.

use std::process::{Command, Stdio};

use crate::env::{PG_DB, PG_PASSWORD, PG_USER};
use crate::error::{Context, Result};
use crate::stack::process;

/// `psql` as the stack's user on its database.
pub struct Psql {
    pub port: u16,
}

impl Psql {
    /// The command running `sql` (unaligned, tuples only, stop on error).
    pub fn command(&self, sql: &str) -> Command {
        let mut c = Command::new("psql");
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", PG_USER, "-d", PG_DB, "-qAtX", "-v", "ON_ERROR_STOP=1"])
            .args(["-c", sql])
            .env("PGPASSWORD", PG_PASSWORD)
            .stdin(Stdio::null());
        c
    }

    /// Runs `sql` and returns its output.
    pub fn run(&self, sql: &str) -> Result<String> {
        process::run(&mut self.command(sql)).with_context(|| format!("psql: {sql}"))
    }

    /// Drops a replication slot once no client holds it (a leftover slot
    /// retains WAL), and the publication of the same name.
    pub fn drop_slot_and_publication(&self, slot: &str) {
        for _ in 0..50 {
            let active = self
                .run(&format!(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'"
                ))
                .unwrap_or_default();
            if active.trim() != "t" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let _ = self.run(&format!(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{slot}'"
        ));
        let _ = self.run(&format!("DROP PUBLICATION IF EXISTS {slot}"));
    }
}
