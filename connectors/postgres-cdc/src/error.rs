//! The connector's errors, the [`ConnectError`] kind each becomes, and
//! turning PostgreSQL failures into messages that say what to do.
//!
//! Kinds: a server that cannot be reached, a slot another client streams
//! and a failed replication stream are retriable; a value that cannot be
//! converted is a data error; everything else fails the task.

use ferry_api::ConnectError;
use pg_walstream::ReplicationError;

use crate::config::{
    PgConfig, HOSTNAME, MESSAGE_KEY_COLUMNS, PASSWORD, PORT, PUBLICATION_AUTOCREATE_MODE,
    PUBLICATION_NAME, SLOT_NAME, SSLMODE, SSLROOTCERT, USER,
};
use crate::types::Kind;

/// Why the PostgreSQL CDC connector failed.
#[derive(Debug, thiserror::Error)]
pub enum PgCdcError {
    // Connections.
    /// The server refused the SQL connection (login, database, TLS). Fatal.
    #[error("cannot connect to {at}: {reason}")]
    ConnectRefused {
        /// `PostgreSQL at host:port (database .., user ..)`.
        at: String,
        /// The server's message and what to check.
        reason: String,
    },

    /// The server could not be reached. Retriable.
    #[error(
        "cannot connect to {at}: {reason}; check {HOSTNAME} and {PORT}, and that the server is running"
    )]
    Unreachable {
        /// `PostgreSQL at host:port (database .., user ..)`.
        at: String,
        /// The client's error chain.
        reason: String,
    },

    /// The replication connection could not be opened (with a TLS hint
    /// when the failure is about TLS). Fatal.
    #[error("cannot open the replication connection: {0}")]
    ReplicationConnection(String),

    /// A SQL statement failed: what it was for and the server's message.
    #[error("{what}: {detail}")]
    Sql {
        /// What the statement was for (`reading pg_replication_slots`).
        what: String,
        /// [`describe_pg`] of the error.
        detail: String,
    },

    // TLS settings.
    /// rustls refused the protocol versions.
    #[error("TLS set-up failed: {0}")]
    TlsSetup(rustls::Error),

    /// `database.sslrootcert` cannot be read.
    #[error("cannot read {SSLROOTCERT} {path:?}: {error}")]
    RootCertUnreadable {
        /// The file.
        path: String,
        /// Why.
        error: rustls::pki_types::pem::Error,
    },

    /// `database.sslrootcert` holds no certificate.
    #[error("{SSLROOTCERT} {path:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    RootCertEmpty {
        /// The file.
        path: String,
    },

    /// A certificate in `database.sslrootcert` cannot be used as a root.
    #[error("{SSLROOTCERT} {path:?}: a certificate is unusable: {error}")]
    RootCertUnusable {
        /// The file.
        path: String,
        /// Why.
        error: rustls::Error,
    },

    /// The certificate verifier for a verifying `database.sslmode` cannot be built.
    #[error("{SSLMODE}={mode}: {error}")]
    TlsVerifier {
        /// The mode's name.
        mode: &'static str,
        /// Why.
        error: rustls::client::VerifierBuilderError,
    },

    // Pre-flight checks.
    /// `wal_level` is not `logical`.
    #[error(
        "the server's wal_level is {wal_level:?}, but change data capture needs wal_level=logical: \
         run ALTER SYSTEM SET wal_level = logical and restart PostgreSQL (on Amazon RDS/Aurora set \
         rds.logical_replication=1 in the parameter group)"
    )]
    WalLevel {
        /// The server's setting.
        wal_level: String,
    },

    /// The role lacks REPLICATION (or superuser, or `rds_replication`).
    #[error(
        "role {user:?} may not use logical replication: run ALTER ROLE \"{user}\" WITH REPLICATION \
         (on Amazon RDS: GRANT rds_replication TO \"{user}\"), or set {USER} to a role that has it"
    )]
    NoReplicationPrivilege {
        /// The role.
        user: String,
    },

    // The replication slot.
    /// Another client streams the slot. Retriable.
    #[error(
        "replication slot {slot:?} is in use by another client (walsender pid {pid}): stop the \
         other consumer (SELECT pg_terminate_backend({pid}) ends it), or set {SLOT_NAME} to a \
         different slot; two connectors must never share a slot"
    )]
    SlotInUse {
        /// The slot.
        slot: String,
        /// Its walsender's pid.
        pid: i32,
    },

    /// The slot decodes with another output plugin.
    #[error(
        "replication slot {slot:?} uses the {plugin} plugin, but Ferry streams pgoutput: drop the slot or set slot.name to another one"
    )]
    SlotPlugin {
        /// The slot.
        slot: String,
        /// Its plugin.
        plugin: String,
    },

    /// The slot cannot be created.
    #[error("cannot create replication slot {slot:?}: {error}")]
    CreateSlot {
        /// The slot.
        slot: String,
        /// Why.
        error: ReplicationError,
    },

    /// The slot was created by someone else, so it exported no snapshot.
    #[error(
        "replication slot {slot:?} was created concurrently by another client, so no snapshot was exported; \
         make sure only one connector uses this slot.name"
    )]
    NoExportedSnapshot {
        /// The slot.
        slot: String,
    },

    // The publication.
    /// The publication is missing and may not be created.
    #[error(
        "publication {name:?} does not exist and {PUBLICATION_AUTOCREATE_MODE}=disabled: create it \
         (CREATE PUBLICATION {} FOR ALL TABLES) or set {PUBLICATION_AUTOCREATE_MODE}=all_tables",
        crate::catalog::quote_ident(.name)
    )]
    NoPublication {
        /// The publication.
        name: String,
    },

    /// `filtered` would publish tables without a key.
    #[error(
        "table(s) {} have no primary key: PostgreSQL refuses UPDATE and DELETE on them once they \
         are in publication {name:?}, and their events would have no key. Add a primary key, run \
         ALTER TABLE ... REPLICA IDENTITY FULL, list their key columns in {MESSAGE_KEY_COLUMNS}, or \
         leave them out with table.exclude.list",
        .tables.join(", ")
    )]
    KeylessTables {
        /// `schema.table` of each.
        tables: Vec<String>,
        /// The publication.
        name: String,
    },

    /// `filtered` matches no table.
    #[error(
        "{PUBLICATION_AUTOCREATE_MODE}=filtered but no table matches the include/exclude lists; check table.include.list"
    )]
    NoTablesMatch,

    /// `filtered`, but the publication publishes all tables.
    #[error(
        "publication {name:?} publishes all tables, but {PUBLICATION_AUTOCREATE_MODE}=filtered: \
         drop it or set {PUBLICATION_NAME} to another name"
    )]
    PublicationAllTables {
        /// The publication.
        name: String,
    },

    /// The publication cannot be created.
    #[error(
        "cannot create publication {name:?} ({detail}); create it as a superuser or the tables' owner, \
         and set {PUBLICATION_AUTOCREATE_MODE}=disabled"
    )]
    CreatePublication {
        /// The publication.
        name: String,
        /// [`describe_pg`] of the error.
        detail: String,
    },

    // Streaming.
    /// The stored position is no longer available in the slot.
    #[error(
        "cannot resume streaming: {why}, so changes may have been lost. Set \
         snapshot.mode=when_needed to take a new snapshot, or remove this connector's \
         stored offsets to start over"
    )]
    ResumeLost {
        /// What happened to the slot.
        why: String,
    },

    /// `START_REPLICATION` failed.
    #[error("cannot start streaming from the replication slot: {0}")]
    StartStreaming(ReplicationError),

    /// A pgoutput message cannot be decoded.
    #[error("cannot decode a pgoutput message: {0}")]
    Decode(ReplicationError),

    /// The replication stream broke. Retriable.
    #[error(
        "the replication stream from PostgreSQL failed: {0}; the task restarts from the stored offsets"
    )]
    StreamFailed(ReplicationError),

    /// A change arrived for a relation pgoutput has not described.
    #[error("pgoutput sent a change for relation {0} before describing it")]
    UnknownRelation(u32),

    /// A table's columns cannot be read from the catalog.
    #[error("cannot describe table {schema}.{table}: {error}")]
    DescribeTable {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// Why.
        error: Box<PgCdcError>,
    },

    // Values (data errors).
    /// A value's text is not of its column's type.
    #[error("cannot read {text:?} as {kind:?}")]
    BadValue {
        /// The text.
        text: String,
        /// What it should be.
        kind: Kind,
    },

    /// A column's value cannot be converted.
    #[error("column {schema}.{table}.{column}: {error}")]
    Column {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Why.
        error: Box<PgCdcError>,
    },

    /// A row's values do not fit its struct schema.
    #[error("{0}")]
    BadStruct(ConnectError),

    /// A snapshot value is not UTF-8.
    #[error("snapshot: a value is not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),

    // Settings (reported as configuration errors of their key).
    /// A table or column filter that is not a regular expression.
    #[error("{pattern:?} is not a valid regular expression: {error}")]
    BadRegex {
        /// The pattern.
        pattern: String,
        /// Why.
        error: regex::Error,
    },

    /// A `message.key.columns` entry without `:`.
    #[error("entry {entry:?} must look like <schema>.<table>:<column>[,<column>...]")]
    BadKeyEntry {
        /// The entry.
        entry: String,
    },

    /// A `message.key.columns` entry without columns.
    #[error("entry {entry:?} lists no columns")]
    NoKeyColumns {
        /// The entry.
        entry: String,
    },

    // The task.
    /// `poll` before `start`.
    #[error("task not started")]
    NotStarted,

    /// The WAL reader ended without reporting why. Retriable.
    #[error("the PostgreSQL reader stopped unexpectedly")]
    ReaderStopped,
}

impl PgCdcError {
    /// A failed SQL statement.
    pub fn sql(what: impl Into<String>, e: &tokio_postgres::Error) -> PgCdcError {
        PgCdcError::Sql {
            what: what.into(),
            detail: describe_pg(e),
        }
    }
}

impl From<PgCdcError> for ConnectError {
    fn from(e: PgCdcError) -> Self {
        let message = e.to_string();
        match e {
            PgCdcError::Unreachable { .. }
            | PgCdcError::SlotInUse { .. }
            | PgCdcError::StreamFailed(_)
            | PgCdcError::ReaderStopped => ConnectError::retriable(message),
            PgCdcError::BadValue { .. }
            | PgCdcError::Column { .. }
            | PgCdcError::BadStruct(_)
            | PgCdcError::NotUtf8(_) => ConnectError::data(message),
            PgCdcError::ConnectRefused { .. }
            | PgCdcError::ReplicationConnection(_)
            | PgCdcError::Sql { .. }
            | PgCdcError::TlsSetup(_)
            | PgCdcError::RootCertUnreadable { .. }
            | PgCdcError::RootCertEmpty { .. }
            | PgCdcError::RootCertUnusable { .. }
            | PgCdcError::TlsVerifier { .. }
            | PgCdcError::WalLevel { .. }
            | PgCdcError::NoReplicationPrivilege { .. }
            | PgCdcError::SlotPlugin { .. }
            | PgCdcError::CreateSlot { .. }
            | PgCdcError::NoExportedSnapshot { .. }
            | PgCdcError::NoPublication { .. }
            | PgCdcError::KeylessTables { .. }
            | PgCdcError::NoTablesMatch
            | PgCdcError::PublicationAllTables { .. }
            | PgCdcError::CreatePublication { .. }
            | PgCdcError::ResumeLost { .. }
            | PgCdcError::StartStreaming(_)
            | PgCdcError::Decode(_)
            | PgCdcError::UnknownRelation(_)
            | PgCdcError::DescribeTable { .. }
            | PgCdcError::BadRegex { .. }
            | PgCdcError::BadKeyEntry { .. }
            | PgCdcError::NoKeyColumns { .. }
            | PgCdcError::NotStarted => ConnectError::other(message),
        }
    }
}

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
pub fn connect_error(cfg: &PgConfig, e: &tokio_postgres::Error) -> PgCdcError {
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
        let reason = format!(
            "{} (SQLSTATE {code}){}{hint}",
            db.message(),
            if hint.is_empty() { "" } else { "; " }
        );
        return PgCdcError::ConnectRefused { at, reason };
    }
    let text = describe_pg(e);
    if let Some(hint) = tls_hint(cfg, &text) {
        let reason = format!("{text}; {hint}");
        return PgCdcError::ConnectRefused { at, reason };
    }
    PgCdcError::Unreachable { at, reason: text }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_keeps_its_kind_and_message() {
        let busy = ConnectError::from(PgCdcError::SlotInUse {
            slot: "s".into(),
            pid: 42,
        });
        assert!(busy.is_retriable());
        assert!(busy.to_string().starts_with(
            "retriable error: replication slot \"s\" is in use by another client (walsender pid 42)"
        ));

        let value = ConnectError::from(PgCdcError::Column {
            schema: "public".into(),
            table: "t".into(),
            column: "n".into(),
            error: Box::new(PgCdcError::BadValue {
                text: "x".into(),
                kind: Kind::Int32,
            }),
        });
        assert!(matches!(value, ConnectError::Data { .. }));
        assert_eq!(
            value.to_string(),
            "data error: column public.t.n: cannot read \"x\" as Int32"
        );

        let missing = ConnectError::from(PgCdcError::NoPublication {
            name: "my \"pub\"".into(),
        });
        assert!(matches!(missing, ConnectError::Other { .. }));
        assert!(
            missing
                .to_string()
                .contains("(CREATE PUBLICATION \"my \"\"pub\"\"\" FOR ALL TABLES)"),
            "{missing}"
        );

        let keyless = PgCdcError::KeylessTables {
            tables: vec!["a.b".into(), "c.d".into()],
            name: "p".into(),
        };
        assert!(keyless
            .to_string()
            .starts_with("table(s) a.b, c.d have no primary key"));
    }
}
