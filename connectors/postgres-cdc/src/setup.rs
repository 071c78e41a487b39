//! Start-up: the SQL connection, pre-flight checks, the publication and the slot's state.

use ferry_api::ConnectResult;
use tokio_postgres::{Client, NoTls};

use crate::catalog::{quote_ident, quote_literal};
use crate::config::{PgConfig, PublicationMode};
use crate::error::{connect_error, describe_pg, PgCdcError};

/// Opens a SQL connection (TLS per `database.sslmode`); its driver runs on
/// a spawned task.
pub async fn connect(cfg: &PgConfig) -> ConnectResult<Client> {
    let tls = crate::tls::client_config(cfg.sslmode, cfg.sslrootcert.as_deref())?;
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

fn sql(what: &str, e: tokio_postgres::Error) -> PgCdcError {
    PgCdcError::sql(what, &e)
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
    check_wal_level(&row.get::<_, String>(0))?;
    let row = client
        .query_one(
            "SELECT r.rolreplication, r.rolsuper, \
             COALESCE((SELECT pg_has_role(current_user, oid, 'member') FROM pg_roles WHERE rolname = 'rds_replication'), false) \
             FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .map_err(|e| sql("reading the role's privileges", e))?;
    check_replication_privilege(&cfg.user, row.get(0), row.get(1), row.get(2))?;
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

/// `wal_level` must be `logical`.
pub fn check_wal_level(wal_level: &str) -> Result<(), PgCdcError> {
    if wal_level.eq_ignore_ascii_case("logical") {
        return Ok(());
    }
    Err(PgCdcError::WalLevel {
        wal_level: wal_level.to_string(),
    })
}

/// The user needs REPLICATION (or superuser, or `rds_replication`).
pub fn check_replication_privilege(
    user: &str,
    replication: bool,
    superuser: bool,
    rds_replication: bool,
) -> Result<(), PgCdcError> {
    if replication || superuser || rds_replication {
        return Ok(());
    }
    Err(PgCdcError::NoReplicationPrivilege {
        user: user.to_string(),
    })
}

/// A slot must not be streamed by another client.
pub fn check_slot_free(slot: &str, active_pid: Option<i32>) -> Result<(), PgCdcError> {
    match active_pid {
        None => Ok(()),
        Some(pid) => Err(PgCdcError::SlotInUse {
            slot: slot.to_string(),
            pid,
        }),
    }
}

/// Refuses a slot that another client streams, or one of another plugin.
pub fn check_slot(cfg: &PgConfig, slot: &SlotState) -> Result<(), PgCdcError> {
    check_slot_free(&cfg.slot_name, slot.active_pid)?;
    if let Some(p) = &slot.plugin {
        if p != "pgoutput" {
            return Err(PgCdcError::SlotPlugin {
                slot: cfg.slot_name.clone(),
                plugin: p.clone(),
            });
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
                return Err(PgCdcError::NoPublication { name: name.clone() }.into());
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
                return Err(PgCdcError::KeylessTables {
                    tables: keyless,
                    name: name.clone(),
                }
                .into());
            }
            if tables.is_empty() {
                return Err(PgCdcError::NoTablesMatch.into());
            }
            let list = tables
                .iter()
                .map(|(s, t, _, _)| format!("{}.{}", quote_ident(s), quote_ident(t)))
                .collect::<Vec<_>>()
                .join(", ");
            match exists {
                None => {
                    create(
                        client,
                        &format!("CREATE PUBLICATION {q} FOR TABLE {list}"),
                        name,
                    )
                    .await?
                }
                Some(row) if row.get::<_, bool>(0) => {
                    return Err(PgCdcError::PublicationAllTables { name: name.clone() }.into())
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
        Err(e) => Err(PgCdcError::CreatePublication {
            name: name.to_string(),
            detail: describe_pg(&e),
        }
        .into()),
    }
}

/// Unused-literal guard.
pub fn literal(s: &str) -> String {
    quote_literal(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_level_check_names_the_fix() {
        assert!(check_wal_level("logical").is_ok());
        let e = check_wal_level("replica").unwrap_err().to_string();
        assert!(
            e.contains("wal_level=logical") && e.contains("\"replica\""),
            "{e}"
        );
    }

    #[test]
    fn replication_privilege_check() {
        assert!(check_replication_privilege("u", true, false, false).is_ok());
        assert!(check_replication_privilege("u", false, false, true).is_ok());
        let e = check_replication_privilege("app", false, false, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ALTER ROLE \"app\" WITH REPLICATION"), "{e}");
    }

    #[test]
    fn slot_in_use_names_the_setting() {
        let e = check_slot_free("s", Some(42)).unwrap_err().to_string();
        assert!(e.contains("slot.name") && e.contains("42"), "{e}");
    }
}
