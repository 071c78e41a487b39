//! Start-up: the SQL connection, pre-flight checks, the publication and the slot's state.

use ferry_api::{ConnectError, ConnectResult};
use tokio_postgres::{Client, NoTls};

use crate::catalog::{quote_ident, quote_literal};
use crate::config::{
    PgConfig, PublicationMode, MESSAGE_KEY_COLUMNS, PUBLICATION_AUTOCREATE_MODE, PUBLICATION_NAME,
};
use crate::error::{
    check_replication_privilege, check_slot_free, check_wal_level, connect_error, describe_pg,
};

/// Opens a SQL connection (TLS per `database.sslmode`); its driver runs on
/// a spawned task.
pub async fn connect(cfg: &PgConfig) -> ConnectResult<Client> {
    let tls = crate::tls::client_config(cfg.sslmode, cfg.sslrootcert.as_deref())
        .map_err(ConnectError::other)?;
    let config = cfg.sql_config();
    let client = match tls {
        None => {
            let (client, conn) = config
                .connect(NoTls)
                .await
                .map_err(|e| connect_error(cfg, &e))?;
            tokio::spawn(drive(conn));
            client
        }
        Some(tls) => {
            let (client, conn) = config
                .connect(crate::tls::MakeRustls::new(tls))
                .await
                .map_err(|e| connect_error(cfg, &e))?;
            tokio::spawn(drive(conn));
            client
        }
    };
    Ok(client)
}

async fn drive<S, T>(conn: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "PostgreSQL SQL connection ended");
    }
}

fn sql(what: &str, e: tokio_postgres::Error) -> ConnectError {
    ConnectError::other(format!("{what}: {}", describe_pg(&e)))
}

/// The slot as `pg_replication_slots` shows it.
#[derive(Debug, Clone)]
pub struct SlotState {
    pub plugin: Option<String>,
    pub active_pid: Option<i32>,
    pub confirmed_flush: Option<u64>,
}

/// Checks wal_level and the role's privilege.
pub async fn preflight(client: &Client, cfg: &PgConfig) -> ConnectResult<()> {
    let row = client
        .query_one("SELECT current_setting('wal_level')", &[])
        .await
        .map_err(|e| sql("reading wal_level", e))?;
    check_wal_level(&row.get::<_, String>(0)).map_err(ConnectError::other)?;
    let row = client
        .query_one(
            "SELECT r.rolreplication, r.rolsuper, \
             COALESCE((SELECT pg_has_role(current_user, oid, 'member') FROM pg_roles WHERE rolname = 'rds_replication'), false) \
             FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .map_err(|e| sql("reading the role's privileges", e))?;
    check_replication_privilege(&cfg.user, row.get(0), row.get(1), row.get(2))
        .map_err(ConnectError::other)?;
    Ok(())
}

/// The slot's state, if it exists.
pub async fn slot_state(client: &Client, slot: &str) -> ConnectResult<Option<SlotState>> {
    let row = client
        .query_opt(
            "SELECT plugin::text, active_pid, confirmed_flush_lsn::text FROM pg_replication_slots \
             WHERE slot_name = $1 AND database = current_database()",
            &[&slot],
        )
        .await
        .map_err(|e| sql("reading pg_replication_slots", e))?;
    Ok(row.map(|r| SlotState {
        plugin: r.get(0),
        active_pid: r.get(1),
        confirmed_flush: r
            .get::<_, Option<String>>(2)
            .and_then(|s| pg_walstream::parse_lsn(&s).ok()),
    }))
}

/// Refuses a slot that another client streams, or one of another plugin.
pub fn check_slot(cfg: &PgConfig, slot: &SlotState) -> ConnectResult<()> {
    check_slot_free(&cfg.slot_name, slot.active_pid).map_err(ConnectError::retriable)?;
    if let Some(p) = &slot.plugin {
        if p != "pgoutput" {
            return Err(ConnectError::other(format!(
                "replication slot {:?} uses the {p} plugin, but Ferry streams pgoutput: drop the slot or set slot.name to another one",
                cfg.slot_name
            )));
        }
    }
    Ok(())
}

/// The slot's lag: WAL bytes between the server's current position and
/// the slot's `confirmed_flush_lsn`, and between it and `restart_lsn` (WAL
/// the server retains for the slot). `None` if the slot does not exist.
pub async fn slot_lag(client: &Client, slot: &str) -> ConnectResult<Option<(f64, f64)>> {
    let row = client
        .query_opt(
            "WITH cur AS (SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
             ELSE pg_current_wal_lsn() END AS lsn) \
             SELECT GREATEST(pg_wal_lsn_diff(cur.lsn, s.confirmed_flush_lsn), 0)::float8, \
             GREATEST(pg_wal_lsn_diff(cur.lsn, s.restart_lsn), 0)::float8 \
             FROM pg_replication_slots s, cur WHERE s.slot_name = $1 AND s.database = current_database()",
            &[&slot],
        )
        .await
        .map_err(|e| sql("reading the slot's lag", e))?;
    Ok(row.map(|r| {
        (
            r.get::<_, Option<f64>>(0).unwrap_or(0.0),
            r.get::<_, Option<f64>>(1).unwrap_or(0.0),
        )
    }))
}

/// Drops the slot (when it is not in use).
pub async fn drop_slot(client: &Client, slot: &str) -> ConnectResult<()> {
    client
        .execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
             WHERE slot_name = $1 AND database = current_database() AND NOT active",
            &[&slot],
        )
        .await
        .map_err(|e| sql("dropping the replication slot", e))?;
    Ok(())
}

/// Tables matching the filters (for `filtered` publications), as (schema, table, has_pk, replica identity).
async fn filtered_tables(
    client: &Client,
    cfg: &PgConfig,
) -> ConnectResult<Vec<(String, String, bool, String)>> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text, \
             EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), c.relreplident::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(|e| sql("listing tables", e))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .filter(|(s, t, _, _): &(String, String, bool, String)| cfg.filters.table_included(s, t))
        .collect())
}

/// Creates or updates the publication per `publication.autocreate.mode`.
pub async fn ensure_publication(client: &Client, cfg: &PgConfig) -> ConnectResult<()> {
    let name = &cfg.publication_name;
    let exists = client
        .query_opt(
            "SELECT puballtables FROM pg_publication WHERE pubname = $1",
            &[name],
        )
        .await
        .map_err(|e| sql("reading pg_publication", e))?;
    let q = quote_ident(name);
    match cfg.publication_mode {
        PublicationMode::Disabled => {
            if exists.is_none() {
                return Err(ConnectError::other(format!(
                    "publication {name:?} does not exist and {PUBLICATION_AUTOCREATE_MODE}=disabled: create it \
                     (CREATE PUBLICATION {q} FOR ALL TABLES) or set {PUBLICATION_AUTOCREATE_MODE}=all_tables"
                )));
            }
        }
        PublicationMode::AllTables => {
            if exists.is_none() {
                create(
                    client,
                    &format!("CREATE PUBLICATION {q} FOR ALL TABLES"),
                    name,
                )
                .await?;
            }
        }
        PublicationMode::NoTables => {
            if exists.is_none() {
                create(client, &format!("CREATE PUBLICATION {q}"), name).await?;
            }
        }
        PublicationMode::Filtered => {
            let tables = filtered_tables(client, cfg).await?;
            let keyless: Vec<String> = tables
                .iter()
                .filter(|(s, t, pk, ri)| {
                    !pk && ri != "f" && ri != "i" && cfg.key_columns.for_table(s, t).is_none()
                })
                .map(|(s, t, _, _)| format!("{s}.{t}"))
                .collect();
            if !keyless.is_empty() {
                return Err(ConnectError::other(format!(
                    "table(s) {} have no primary key: PostgreSQL refuses UPDATE and DELETE on them once they \
                     are in publication {name:?}, and their events would have no key. Add a primary key, run \
                     ALTER TABLE ... REPLICA IDENTITY FULL, list their key columns in {MESSAGE_KEY_COLUMNS}, or \
                     leave them out with table.exclude.list",
                    keyless.join(", ")
                )));
            }
            if tables.is_empty() {
                return Err(ConnectError::other(format!(
                    "{PUBLICATION_AUTOCREATE_MODE}=filtered but no table matches the include/exclude lists; check table.include.list"
                )));
            }
            let list = tables
                .iter()
                .map(|(s, t, _, _)| format!("{}.{}", quote_ident(s), quote_ident(t)))
                .collect::<Vec<_>>()
                .join(", ");
            match exists {
                None => create(client, &format!("CREATE PUBLICATION {q} FOR TABLE {list}"), name).await?,
                Some(row) if row.get::<_, bool>(0) => {
                    return Err(ConnectError::other(format!(
                        "publication {name:?} publishes all tables, but {PUBLICATION_AUTOCREATE_MODE}=filtered: \
                         drop it or set {PUBLICATION_NAME} to another name"
                    )))
                }
                Some(_) => {
                    client
                        .batch_execute(&format!("ALTER PUBLICATION {q} SET TABLE {list}"))
                        .await
                        .map_err(|e| sql(&format!("updating publication {name:?}"), e))?;
                }
            }
        }
    }
    Ok(())
}

async fn create(client: &Client, stmt: &str, name: &str) -> ConnectResult<()> {
    match client.batch_execute(stmt).await {
        Ok(()) => Ok(()),
        // A concurrent creator won the race.
        Err(e) if e.code().map(|c| c.code()) == Some("42710") => Ok(()),
        Err(e) => Err(ConnectError::other(format!(
            "cannot create publication {name:?} ({}); create it as a superuser or the tables' owner, \
             and set {PUBLICATION_AUTOCREATE_MODE}=disabled",
            describe_pg(&e)
        ))),
    }
}

/// Unused-literal guard.
pub fn literal(s: &str) -> String {
    quote_literal(s)
}
