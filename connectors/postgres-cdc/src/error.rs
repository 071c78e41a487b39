//! Turning PostgreSQL failures into errors that say what to do.

use ferry_api::ConnectError;

use crate::config::{PgConfig, HOSTNAME, PASSWORD, PORT, SLOT_NAME, SSLMODE, SSLROOTCERT, USER};

/// A PostgreSQL error as one line: the server's message and SQLSTATE, or the client error chain.
pub fn describe_pg(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// The error for a failed SQL connection: authentication problems are
/// fatal and name the settings; network problems are retriable.
pub fn connect_error(cfg: &PgConfig, e: &tokio_postgres::Error) -> ConnectError {
    let at = format!(
        "PostgreSQL at {}:{} (database {:?}, user {:?})",
        cfg.hostname, cfg.port, cfg.dbname, cfg.user
    );
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let hint = match code {
            "28P01" => format!("the password was rejected: check {PASSWORD} (and {USER})"),
            "28000" => format!("the server refused the login (pg_hba.conf or role): check {USER} and the server's pg_hba.conf"),
            "3D000" => "the database does not exist: check database.dbname".to_string(),
            _ => String::new(),
        };
        return ConnectError::other(format!(
            "cannot connect to {at}: {} (SQLSTATE {code}){}{hint}",
            db.message(),
            if hint.is_empty() { "" } else { "; " }
        ));
    }
    let text = describe_pg(e);
    if let Some(hint) = tls_hint(cfg, &text) {
        return ConnectError::other(format!("cannot connect to {at}: {text}; {hint}"));
    }
    ConnectError::retriable(format!(
        "cannot connect to {at}: {text}; check {HOSTNAME} and {PORT}, and that the server is running"
    ))
}

/// What to do about a failed TLS negotiation (`None` if `text` is not about TLS).
pub fn tls_hint(cfg: &PgConfig, text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mode = cfg.sslmode.name();
    if lower.contains("does not support tls") || lower.contains("does not support ssl") {
        return Some(format!(
            "the server does not accept TLS (SSL) connections, but {SSLMODE}={mode} requires one: \
             turn ssl on in the server, or set {SSLMODE}=prefer (or disable) to connect unencrypted"
        ));
    }
    if !(lower.contains("tls") || lower.contains("certificate") || lower.contains("ssl")) {
        return None;
    }
    Some(if cfg.sslmode.verifies() {
        let trusted = match &cfg.sslrootcert {
            Some(p) => format!("the CAs in {SSLROOTCERT} {p:?}"),
            None => format!("the public web CAs ({SSLROOTCERT} is not set)"),
        };
        let (name, or) = if cfg.sslmode == crate::tls::SslMode::VerifyFull {
            (
                format!(", and that it names {HOSTNAME} {:?}", cfg.hostname),
                format!(", or use {SSLMODE}=verify-ca to skip the name check"),
            )
        } else {
            (String::new(), String::new())
        };
        format!(
            "the TLS handshake failed with {SSLMODE}={mode}: check that the server's certificate \
             is signed by {trusted}{name} (set {SSLROOTCERT} to the server's CA bundle{or})"
        )
    } else {
        format!("the TLS handshake failed with {SSLMODE}={mode}: check the server's ssl settings")
    })
}

/// `wal_level` must be `logical`.
pub fn check_wal_level(wal_level: &str) -> Result<(), String> {
    if wal_level.eq_ignore_ascii_case("logical") {
        return Ok(());
    }
    Err(format!(
        "the server's wal_level is {wal_level:?}, but change data capture needs wal_level=logical: \
         run ALTER SYSTEM SET wal_level = logical and restart PostgreSQL (on Amazon RDS/Aurora set \
         rds.logical_replication=1 in the parameter group)"
    ))
}

/// The user needs REPLICATION (or superuser, or `rds_replication`).
pub fn check_replication_privilege(
    user: &str,
    replication: bool,
    superuser: bool,
    rds_replication: bool,
) -> Result<(), String> {
    if replication || superuser || rds_replication {
        return Ok(());
    }
    Err(format!(
        "role {user:?} may not use logical replication: run ALTER ROLE \"{user}\" WITH REPLICATION \
         (on Amazon RDS: GRANT rds_replication TO \"{user}\"), or set {USER} to a role that has it"
    ))
}

/// A slot must not be streamed by another client.
pub fn check_slot_free(slot: &str, active_pid: Option<i32>) -> Result<(), String> {
    match active_pid {
        None => Ok(()),
        Some(pid) => Err(format!(
            "replication slot {slot:?} is in use by another client (walsender pid {pid}): stop the \
             other consumer (SELECT pg_terminate_backend({pid}) ends it), or set {SLOT_NAME} to a \
             different slot; two connectors must never share a slot"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_level_check_names_the_fix() {
        assert!(check_wal_level("logical").is_ok());
        let e = check_wal_level("replica").unwrap_err();
        assert!(
            e.contains("wal_level=logical") && e.contains("\"replica\""),
            "{e}"
        );
    }

    #[test]
    fn replication_privilege_check() {
        assert!(check_replication_privilege("u", true, false, false).is_ok());
        assert!(check_replication_privilege("u", false, false, true).is_ok());
        let e = check_replication_privilege("app", false, false, false).unwrap_err();
        assert!(e.contains("ALTER ROLE \"app\" WITH REPLICATION"), "{e}");
    }

    #[test]
    fn slot_in_use_names_the_setting() {
        let e = check_slot_free("s", Some(42)).unwrap_err();
        assert!(e.contains("slot.name") && e.contains("42"), "{e}");
    }
}
