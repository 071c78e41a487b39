//! The initial snapshot: every captured table read inside the slot's
//! exported snapshot (`REPEATABLE READ` + `SET TRANSACTION SNAPSHOT`) with
//! `COPY ... TO STDOUT`, as `op=r` events; streaming then starts at the
//! slot's consistent point, so nothing is missed or sent twice.

use std::sync::Arc;

use bytes::{Buf, BytesMut};
use ferry_api::{ConnectResult, OffsetMap, SourceRecord, Value};
use futures::StreamExt;
use tokio_postgres::Client;

use crate::catalog::{published_tables, quote_ident, quote_literal};
use crate::config::PgConfig;
use crate::envelope::{now_ns, Cell, SourceInfo, TableRef};
use crate::error::PgCdcError;
use crate::offsets::snapshot_offset;
use crate::wal_stream::{Item, WalStream};

fn sql(what: &str, e: tokio_postgres::Error) -> PgCdcError {
    PgCdcError::sql(format!("snapshot: {what}"), &e)
}

/// A row read but not yet sent: the next row decides its `snapshot` marker.
struct Held {
    table: TableRef,
    key: Value,
    after: Value,
    first_in_table: bool,
}

/// One initial snapshot: its own SQL connection, inside the slot's
/// exported snapshot, and what all of its rows' `source` blocks and
/// offsets share. [`Snapshot::run`] queues the rows on the [`WalStream`],
/// which then streams from the slot's consistent point.
pub struct Snapshot {
    cfg: Arc<PgConfig>,
    conn: Client,
    /// The slot's consistent point.
    lsn: u64,
    /// The snapshot transaction's id (none on a standby).
    tx_id: Option<i64>,
    /// When the snapshot started, µs since epoch.
    ts_us: i64,
}

impl Snapshot {
    /// Opens the snapshot transaction. `snapshot_name` is the slot's
    /// exported snapshot (None for `initial_only`, which needs no slot);
    /// `lsn` is the slot's consistent point.
    pub async fn begin(
        cfg: Arc<PgConfig>,
        snapshot_name: Option<&str>,
        lsn: u64,
    ) -> ConnectResult<Snapshot> {
        let conn = crate::setup::connect(&cfg).await?;
        conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| sql("BEGIN", e))?;
        if let Some(name) = snapshot_name {
            conn.batch_execute(&format!("SET TRANSACTION SNAPSHOT {}", quote_literal(name)))
                .await
                .map_err(|e| sql("importing the slot's snapshot", e))?;
        }
        // The snapshot transaction's own id, as Debezium reads it (none on
        // a standby, which cannot assign one): unique, so snapshot rows
        // never share a txId with a streamed transaction.
        let row = conn
            .query_one(
                "SELECT CASE pg_is_in_recovery() WHEN true THEN NULL ELSE txid_current() END",
                &[],
            )
            .await
            .map_err(|e| sql("reading the snapshot's transaction id", e))?;
        let tx_id: Option<i64> = row.get(0);
        let ts_us = now_ns() / 1000;
        Ok(Snapshot {
            cfg,
            conn,
            lsn,
            tx_id,
            ts_us,
        })
    }

    /// Reads every captured table and queues its rows as `op=r` events on
    /// `wal`, which also describes the tables (its catalog cache then
    /// serves the streaming that follows).
    pub async fn run(self, wal: &mut WalStream) -> ConnectResult<()> {
        let (cfg, conn, lsn, tx_id, ts_us) =
            (&self.cfg, &self.conn, self.lsn, self.tx_id, self.ts_us);
        let kind = cfg.snapshot_mode.offset_name();
        // Every row but the last has the same offset: built once, cloned.
        let row_offset = snapshot_offset(lsn, tx_id, ts_us, kind, false);
        let tables = published_tables(conn, &cfg.publication_name, &cfg.filters).await?;
        tracing::info!(tables = tables.len(), lsn = %pg_walstream::format_lsn(lsn), "snapshot starting");
        let mut held: Option<Held> = None;
        let mut first_overall = true;
        let mut total = 0u64;
        for rel in &tables {
            let Some(table) = wal.table_schema(rel).await? else {
                continue;
            };
            let cols = rel
                .columns
                .iter()
                .map(|c| quote_ident(&c.name))
                .collect::<Vec<_>>()
                .join(", ");
            let copy = format!(
                "COPY (SELECT {cols} FROM {}.{}) TO STDOUT",
                quote_ident(&rel.schema),
                quote_ident(&rel.table)
            );
            let stream = conn
                .copy_out(copy.as_str())
                .await
                .map_err(|e| sql(&format!("reading {}.{}", rel.schema, rel.table), e))?;
            let mut stream = std::pin::pin!(stream);
            let mut buf = BytesMut::new();
            let mut first_in_table = true;
            let mut fields: Vec<Option<std::ops::Range<usize>>> =
                Vec::with_capacity(rel.columns.len());
            let mut text = String::new();
            loop {
                if wal.cancel.is_cancelled() {
                    return Ok(());
                }
                let chunk = match stream.next().await {
                    Some(c) => {
                        c.map_err(|e| sql(&format!("reading {}.{}", rel.schema, rel.table), e))?
                    }
                    None => break,
                };
                buf.extend_from_slice(&chunk);
                while let Some(nl) = buf.iter().position(|b| *b == b'\n') {
                    let line = buf.split_to(nl + 1);
                    split_copy_line(&line[..nl], &mut text, &mut fields)?;
                    let cells: Vec<Cell<'_>> = fields
                        .iter()
                        .map(|f| f.clone().map_or(Cell::Null, |r| Cell::Text(&text[r])))
                        .collect();
                    let key = table.key(&cells)?;
                    let after = table.row(&cells)?;
                    if let Some(h) = held.take() {
                        let marker = marker(
                            first_overall,
                            h.first_in_table,
                            h.table.topic != table.topic,
                            false,
                        );
                        first_overall = false;
                        let r = self.record(wal, h, marker, row_offset.clone());
                        wal.push(Item::Record(r)).await;
                    }
                    held = Some(Held {
                        table: table.clone(),
                        key,
                        after,
                        first_in_table,
                    });
                    first_in_table = false;
                    total += 1;
                }
                buf.advance(0);
            }
        }
        match held {
            Some(h) => {
                let m = marker(first_overall, h.first_in_table, true, true);
                let offset = snapshot_offset(lsn, tx_id, ts_us, kind, true);
                let r = self.record(wal, h, m, offset);
                wal.push(Item::Record(r)).await;
            }
            None => {
                // No rows at all: a heartbeat records that the snapshot completed.
                let offset = snapshot_offset(lsn, tx_id, ts_us, kind, true);
                let r = wal.heartbeat_record(offset);
                wal.push(Item::Record(r)).await;
            }
        }
        let _ = conn.batch_execute("COMMIT").await;
        tracing::info!(rows = total, "snapshot completed");
        Ok(())
    }

    /// The `op=r` record of a row.
    fn record(
        &self,
        wal: &WalStream,
        h: Held,
        marker: &'static str,
        offset: OffsetMap,
    ) -> SourceRecord {
        let lsn = self.lsn;
        let source = SourceInfo {
            server: &self.cfg.topic_prefix,
            db: &self.cfg.dbname,
            ts_us: self.ts_us,
            snapshot: marker,
            sequence: Some(format!("[null,\"{lsn}\"]")),
            schema: &h.table.schema,
            table: &h.table.table,
            tx_id: self.tx_id,
            lsn: Some(lsn as i64),
            origin: None,
        };
        let value = h
            .table
            .envelope("r", Value::Null, h.after, &source, now_ns());
        let mut record = SourceRecord::new(
            wal.partition.clone(),
            offset,
            h.table.topic.clone(),
            Some(h.table.envelope_schema.clone()),
            value,
        )
        .with_key(h.table.key_schema.clone(), h.key);
        record.headers = wal.headers.clone();
        record
    }
}

/// Debezium 3.x's `source.snapshot` marker of a row.
fn marker(
    first_overall: bool,
    first_in_table: bool,
    last_in_table: bool,
    last_overall: bool,
) -> &'static str {
    if last_overall {
        "last"
    } else if first_overall {
        "first"
    } else if last_in_table {
        "last_in_data_collection"
    } else if first_in_table {
        "first_in_data_collection"
    } else {
        "true"
    }
}

/// Splits one line of COPY's text format into fields: their unescaped text
/// goes into `text` (one buffer for the whole line, so no allocation per
/// field) and `out` gets each field's range in it (`None` = `\N`).
pub fn split_copy_line(
    line: &[u8],
    text: &mut String,
    out: &mut Vec<Option<std::ops::Range<usize>>>,
) -> Result<(), PgCdcError> {
    out.clear();
    text.clear();
    for field in line.split(|b| *b == b'\t') {
        if field == b"\\N" {
            out.push(None);
            continue;
        }
        let unescaped;
        let bytes = if field.contains(&b'\\') {
            unescaped = unescape(field);
            &unescaped[..]
        } else {
            field
        };
        let s = std::str::from_utf8(bytes).map_err(PgCdcError::NotUtf8)?;
        let start = text.len();
        text.push_str(s);
        out.push(Some(start..text.len()));
    }
    Ok(())
}

fn unescape(f: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(f.len());
    let mut i = 0;
    while i < f.len() {
        if f[i] != b'\\' || i + 1 >= f.len() {
            out.push(f[i]);
            i += 1;
            continue;
        }
        let c = f[i + 1];
        i += 2;
        match c {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < f.len() && (b'0'..=b'7').contains(&f[i]) {
                    v = v * 8 + u32::from(f[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < f.len() && f[i].is_ascii_hexdigit() {
                    v = v * 16 + (f[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_split_and_unescape() {
        let (mut text, mut ranges) = (String::new(), Vec::new());
        split_copy_line(b"1\t\\N\ta\\tb\\\\c\\nd\t\\\\x0a", &mut text, &mut ranges).unwrap();
        let out: Vec<Option<String>> = ranges
            .into_iter()
            .map(|r| r.map(|r| text[r].to_string()))
            .collect();
        assert_eq!(
            out,
            vec![
                Some("1".into()),
                None,
                Some("a\tb\\c\nd".into()),
                Some("\\x0a".into())
            ]
        );
    }

    #[test]
    fn markers_follow_debezium() {
        assert_eq!(marker(true, true, false, false), "first");
        assert_eq!(
            marker(false, true, false, false),
            "first_in_data_collection"
        );
        assert_eq!(marker(false, false, true, false), "last_in_data_collection");
        assert_eq!(marker(false, false, false, false), "true");
        assert_eq!(marker(false, false, true, true), "last");
    }
}
