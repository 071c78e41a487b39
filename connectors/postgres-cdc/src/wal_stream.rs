//! The background task that reads PostgreSQL (snapshot, then the
//! replication stream) and hands records to the task's `poll` through a
//! bounded queue.
//!
//! Back-pressure: when the queue (`max.queue.size`) is full the stream is
//! not read further, but standby status updates keep going out every
//! `status.update.interval.ms`, so the walsender does not time out.
//! Confirmation: the flushed LSN sent to PostgreSQL only ever comes from
//! offsets the runtime stored (`SourceTask::commit` → `flush` channel).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_api::metrics::{Gauge, NoopMetrics};
use ferry_api::{ConnectError, ConnectResult, Headers, OffsetMap, SourceRecord, Struct, Value};
use pg_walstream::{
    CancellationToken, ColumnData, LogicalReplicationMessage, LogicalReplicationParser,
    LogicalReplicationStream, ReplicationSlotOptions, ReplicationStreamConfig, RetryConfig,
    StreamingMode, TupleData,
};
use tokio::sync::{mpsc, watch};
use tokio_postgres::Client;

use crate::catalog::{describe, Catalog, RelColumn, RelationDesc};
use crate::config::{PgConfig, SnapshotMode};
use crate::envelope::{
    fill_unchanged, heartbeat_key_schema, heartbeat_value_schema, now_ns, Cell, Placeholder,
    SourceInfo, TableRef, TableSchema,
};
use crate::error::PgCdcError;
use crate::offsets::{Resume, StreamPos};
use crate::setup;
use crate::snapshot::Snapshot;
use crate::types::Mapping;

/// What flows from the WAL stream to `poll` (records are the common case:
/// not boxed).
#[allow(clippy::large_enum_variant)]
pub enum Item {
    /// A record for the worker.
    Record(SourceRecord),
    /// The reader failed and stopped.
    Failed(Box<ConnectError>),
    /// `snapshot.mode=initial_only` finished: nothing more will come.
    Done,
}

/// Seconds between the PostgreSQL epoch (2000-01-01) and the Unix epoch.
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// An open transaction.
struct Tx {
    xid: u32,
    commit_ts_us: i64,
    events: u64,
    /// From pgoutput's Origin message (sent right after Begin when the
    /// transaction was replayed through a replication origin): the origin's
    /// name and its commit LSN. Debezium clears it at each Begin and puts
    /// it in `source.origin` / `source.origin_lsn` of the transaction's events.
    origin: Option<(String, u64)>,
}

/// The reader of a replication slot: decodes pgoutput into change events
/// and confirms the positions the worker stored (it runs the snapshot
/// first when one is due).
pub struct WalStream {
    cfg: Arc<PgConfig>,
    client: Client,
    catalog: Catalog,
    mapping: Mapping,
    /// `unavailable.value.placeholder`, for every table.
    placeholder: Arc<Placeholder>,
    /// The headers of every change record (`extended.headers.enabled`).
    pub(crate) headers: Headers,
    tx: mpsc::Sender<Item>,
    flush: watch::Receiver<u64>,
    /// Set when the task stops.
    pub(crate) cancel: CancellationToken,
    /// The source partition of every record.
    pub(crate) partition: OffsetMap,
    stream: Option<LogicalReplicationStream>,
    parser: LogicalReplicationParser,
    relations: HashMap<u32, RelationDesc>,
    tables: HashMap<u32, Option<TableRef>>,
    open: Option<Tx>,
    /// End LSN of the last complete transaction (or of the last keepalive position).
    last_commit_end: u64,
    last_tx: Option<u32>,
    last_ts_us: i64,
    skip: Option<(u32, u64)>,
    /// Records of the latest event, held back so the transaction's last
    /// event can carry the completed position.
    pending: Vec<(SourceRecord, StreamPos, &'static str)>,
    last_heartbeat: Instant,
    last_status: Instant,
    /// `ferry_postgres_milliseconds_behind_source`: set at each commit.
    pub behind_source: Arc<dyn Gauge>,
}

impl WalStream {
    /// A reader of `cfg`'s slot that queues on `tx`, confirms what `flush`
    /// announces and stops when `cancel` is set.
    pub fn new(
        cfg: Arc<PgConfig>,
        client: Client,
        tx: mpsc::Sender<Item>,
        flush: watch::Receiver<u64>,
        cancel: CancellationToken,
    ) -> WalStream {
        let mapping = Mapping {
            decimal: cfg.decimal_mode,
            time: cfg.time_precision,
            binary: cfg.binary_mode,
        };
        let partition = crate::offsets::partition(&cfg.topic_prefix);
        let placeholder = Arc::new(Placeholder::new(&cfg.unavailable_value));
        let headers = if cfg.extended_headers {
            crate::headers::context_headers(&cfg.topic_prefix)
        } else {
            Headers::new()
        };
        WalStream {
            cfg,
            client,
            catalog: Catalog::default(),
            mapping,
            placeholder,
            headers,
            tx,
            flush,
            cancel,
            partition,
            stream: None,
            parser: LogicalReplicationParser::with_protocol_version(1),
            relations: HashMap::new(),
            tables: HashMap::new(),
            open: None,
            last_commit_end: 0,
            last_tx: None,
            last_ts_us: 0,
            skip: None,
            pending: Vec::new(),
            last_heartbeat: Instant::now(),
            last_status: Instant::now(),
            behind_source: Arc::new(NoopMetrics),
        }
    }

    /// Runs until cancelled or failed; a failure is handed to `poll`.
    pub async fn run(mut self, resume: Resume) {
        let result = self.run_inner(resume).await;
        if let Some(mut s) = self.stream.take() {
            let _ = s.stop().await;
        }
        if let Err(e) = result {
            if !self.cancel.is_cancelled() {
                tracing::error!(error = %e.full_message(), "PostgreSQL CDC stopped");
                let _ = self.tx.send(Item::Failed(Box::new(e))).await;
            }
        }
    }

    async fn run_inner(&mut self, resume: Resume) -> ConnectResult<()> {
        let cfg = self.cfg.clone();
        let mut slot = setup::slot_state(&self.client, &cfg.slot_name).await?;
        let mode = cfg.snapshot_mode;
        let (snapshot, start) = match (&resume, mode) {
            (Resume::SnapshotIncomplete, _) => (true, None),
            (_, SnapshotMode::Always) => (true, None),
            (Resume::Fresh, SnapshotMode::NoData) => (false, None),
            (Resume::Fresh, _) => (true, None),
            (Resume::Stream { .. }, SnapshotMode::InitialOnly) => {
                let _ = self.tx.send(Item::Done).await;
                return Ok(());
            }
            (
                Resume::Stream {
                    lsn,
                    skip_tx,
                    skip_events,
                    pos,
                },
                _,
            ) => {
                let lost = match &slot {
                    None => Some("the replication slot no longer exists".to_string()),
                    Some(s) => match s.confirmed_flush {
                        Some(cf) if cf > *lsn => Some(format!(
                            "the slot's confirmed_flush_lsn {} is past the stored position {}",
                            pg_walstream::format_lsn(cf),
                            pg_walstream::format_lsn(*lsn)
                        )),
                        _ => None,
                    },
                };
                match (lost, mode) {
                    (Some(_), SnapshotMode::WhenNeeded) => (true, None),
                    (Some(why), _) => return Err(PgCdcError::ResumeLost { why }.into()),
                    (None, _) => {
                        self.skip = skip_tx.map(|x| (x, *skip_events));
                        self.last_commit_end = *lsn;
                        self.last_tx = pos.tx_id;
                        self.last_ts_us = pos.ts_usec;
                        (false, Some(*lsn))
                    }
                }
            }
        };
        if snapshot && mode == SnapshotMode::InitialOnly {
            Snapshot::begin(cfg.clone(), None, 0)
                .await?
                .run(self)
                .await?;
            let _ = self.tx.send(Item::Done).await;
            return Ok(());
        }
        if snapshot && slot.is_some() {
            tracing::info!(slot = %cfg.slot_name, "dropping the replication slot to take a new snapshot from a fresh one");
            setup::drop_slot(&self.client, &cfg.slot_name).await?;
            slot = None;
        }
        let options = ReplicationSlotOptions {
            snapshot: Some(if snapshot { "export" } else { "nothing" }.to_string()),
            ..Default::default()
        };
        let config =
            ReplicationStreamConfig::builder(cfg.slot_name.clone(), cfg.publication_name.clone())
                .with_protocol_version(1)
                .with_streaming_mode(StreamingMode::Off)
                .with_feedback_interval(cfg.status_update_interval)
                .with_connection_timeout(Duration::from_secs(30))
                .with_health_check_interval(Duration::from_secs(3600))
                .with_retry_config(RetryConfig::default())
                .with_slot_options(options);
        let mut stream = LogicalReplicationStream::new(&cfg.replication_uri(), config)
            .await
            .map_err(|e| {
                let text = e.to_string();
                PgCdcError::ReplicationConnection(match crate::error::tls_hint(&cfg, &text) {
                    Some(hint) => format!("{text}; {hint}"),
                    None => text,
                })
            })?;
        stream
            .ensure_replication_slot()
            .await
            .map_err(|error| PgCdcError::CreateSlot {
                slot: cfg.slot_name.clone(),
                error,
            })?;
        if snapshot {
            let name = stream
                .exported_snapshot_name()
                .map(str::to_string)
                .ok_or_else(|| PgCdcError::NoExportedSnapshot {
                    slot: cfg.slot_name.clone(),
                })?;
            let cp = setup::slot_state(&self.client, &cfg.slot_name)
                .await?
                .and_then(|s| s.confirmed_flush)
                .unwrap_or(0);
            Snapshot::begin(cfg.clone(), Some(&name), cp)
                .await?
                .run(self)
                .await?;
            self.last_commit_end = cp;
        } else if slot.is_none() {
            self.last_commit_end = setup::slot_state(&self.client, &cfg.slot_name)
                .await?
                .and_then(|s| s.confirmed_flush)
                .unwrap_or(0);
        }
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        stream
            .start(start)
            .await
            .map_err(PgCdcError::StartStreaming)?;
        tracing::info!(slot = %cfg.slot_name, start = %pg_walstream::format_lsn(start.unwrap_or(self.last_commit_end)), "streaming changes");
        self.stream = Some(stream);
        self.stream_loop().await
    }

    /// Applies a newly stored position: confirm it to PostgreSQL.
    async fn apply_flush(&mut self, force: bool) {
        let changed = self.flush.has_changed().unwrap_or(false);
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        if changed {
            let lsn = *self.flush.borrow_and_update();
            stream.shared_lsn_feedback.update_flushed_lsn(lsn);
            stream.shared_lsn_feedback.update_applied_lsn(lsn);
        }
        if changed || force || self.last_status.elapsed() >= self.cfg.status_update_interval {
            if let Err(e) = stream.send_feedback().await {
                tracing::warn!(error = %e, "cannot send a standby status update");
            }
            self.last_status = Instant::now();
        }
    }

    /// Queues an item, waiting for room while keeping the walsender alive.
    pub async fn push(&mut self, item: Item) -> bool {
        let mut item = item;
        loop {
            match self.tx.try_send(item) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(i)) => item = i,
            }
            let wait = self.cfg.status_update_interval.min(Duration::from_secs(1));
            let tx = self.tx.clone();
            let cancel = self.cancel.clone();
            tokio::select! {
                permit = tx.reserve() => match permit {
                    Ok(p) => { p.send(item); return true; }
                    Err(_) => return false,
                },
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return false,
            }
            self.apply_flush(false).await;
        }
    }

    async fn stream_loop(&mut self) -> ConnectResult<()> {
        let read_window = self.cfg.poll_interval.max(Duration::from_millis(100));
        let mut window = CancellationToken::new();
        let mut timer: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            self.apply_flush(false).await;
            self.maybe_heartbeat().await;
            if timer.is_none() {
                let w = window.clone();
                let parent = self.cancel.clone();
                timer = Some(tokio::spawn(async move {
                    tokio::select! {
                        _ = tokio::time::sleep(read_window) => {}
                        _ = parent.cancelled() => {}
                    }
                    w.cancel();
                }));
            }
            let next = match self.stream.as_mut() {
                Some(stream) => stream.next_raw_event(&window).await,
                None => return Ok(()),
            };
            match next {
                Ok(raw) => {
                    let msg = self
                        .parser
                        .parse_wal_message_bytes(raw.data)
                        .map_err(PgCdcError::Decode)?;
                    self.handle(msg.message, raw.wal_start.value()).await?;
                }
                Err(e) if e.is_cancelled() => {
                    window = CancellationToken::new();
                    timer = None;
                }
                Err(e) => {
                    if let Some(t) = timer {
                        t.abort();
                    }
                    return Err(PgCdcError::StreamFailed(e).into());
                }
            }
        }
    }

    async fn maybe_heartbeat(&mut self) {
        let Some(interval) = self.cfg.heartbeat_interval else {
            return;
        };
        if self.open.is_some() || self.last_heartbeat.elapsed() < interval {
            return;
        }
        self.last_heartbeat = Instant::now();
        if let Some(q) = self.cfg.heartbeat_action_query.clone() {
            if let Err(e) = self.client.batch_execute(&q).await {
                tracing::warn!(error = %crate::error::describe_pg(&e), "heartbeat.action.query failed");
            }
        }
        // Outside a transaction everything the server sent up to its last
        // keepalive position has been handled: that position is complete.
        if let Some(s) = &self.stream {
            self.last_commit_end = self.last_commit_end.max(s.current_lsn());
        }
        let pos = self.complete_pos(self.last_commit_end);
        let record = self.heartbeat_record(pos.to_map(None));
        self.push(Item::Record(record)).await;
    }

    /// A heartbeat record (on `topic.heartbeat.prefix`.`topic.prefix`) with
    /// `offset`; on partition 0, as Debezium's `HeartbeatImpl` sends it.
    pub fn heartbeat_record(&self, offset: OffsetMap) -> SourceRecord {
        let key =
            Struct::new(heartbeat_key_schema()).with("serverName", self.cfg.topic_prefix.as_str());
        let value = Struct::new(heartbeat_value_schema()).with("ts_ms", now_ns() / 1_000_000);
        let mut record = SourceRecord::new(
            self.partition.clone(),
            offset,
            self.cfg.heartbeat_topic(),
            Some(heartbeat_value_schema()),
            Value::Struct(value),
        )
        .with_key(Some(heartbeat_key_schema()), Value::Struct(key));
        record.partition = Some(0);
        record
    }

    fn complete_pos(&self, lsn: u64) -> StreamPos {
        StreamPos {
            lsn,
            lsn_proc: lsn,
            lsn_commit: lsn,
            tx_id: self.last_tx,
            ts_usec: self.last_ts_us,
            tx_events: 0,
        }
    }

    async fn flush_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (mut r, pos, t) in pending {
            r.source_offset = pos.to_map(Some(t));
            self.push(Item::Record(r)).await;
        }
    }

    async fn handle(&mut self, msg: LogicalReplicationMessage, lsn: u64) -> ConnectResult<()> {
        match msg {
            LogicalReplicationMessage::Begin { timestamp, xid, .. } => {
                self.open = Some(Tx {
                    xid,
                    commit_ts_us: timestamp + PG_EPOCH_OFFSET_US,
                    events: 0,
                    origin: None,
                });
                if matches!(self.skip, Some((x, _)) if x != xid) {
                    self.skip = None;
                }
            }
            LogicalReplicationMessage::Commit { end_lsn, .. } => {
                let tx = self.open.take();
                if let Some(tx) = &tx {
                    self.last_tx = Some(tx.xid);
                    self.last_ts_us = tx.commit_ts_us;
                    let behind_ms = (now_ns() / 1000 - tx.commit_ts_us) / 1000;
                    self.behind_source.set(behind_ms.max(0) as f64);
                }
                self.last_commit_end = end_lsn;
                self.skip = None;
                // The transaction's last event carries the completed position.
                let done = self.complete_pos(end_lsn);
                if let Some((_, pos, _)) = self.pending.last_mut() {
                    *pos = StreamPos {
                        lsn: pos.lsn,
                        ..done
                    };
                }
                self.flush_pending().await;
            }
            LogicalReplicationMessage::Origin {
                origin_lsn,
                origin_name,
            } => {
                if let Some(tx) = self.open.as_mut() {
                    tx.origin = Some((origin_name, origin_lsn));
                }
            }
            LogicalReplicationMessage::Relation {
                relation_id,
                namespace,
                relation_name,
                replica_identity,
                columns,
            } => {
                let desc = RelationDesc {
                    oid: relation_id,
                    schema: namespace.to_string(),
                    table: relation_name.to_string(),
                    replica_identity,
                    columns: columns
                        .iter()
                        .map(|c| RelColumn {
                            name: c.name.to_string(),
                            type_oid: c.type_id,
                            typmod: c.type_modifier,
                            identity: c.flags & 1 == 1,
                        })
                        .collect(),
                };
                self.relations.insert(relation_id, desc);
                self.tables.remove(&relation_id);
            }
            LogicalReplicationMessage::Insert { relation_id, tuple } => {
                if self.cfg.skipped.create {
                    return Ok(());
                }
                let Some(t) = self.table(relation_id).await? else {
                    return Ok(());
                };
                if self.skip_event() {
                    return Ok(());
                }
                let after = cells(&tuple);
                let key = t.key(&after)?;
                let after = t.row(&after)?;
                self.emit(&t, "c", "INSERT", (key, Value::Null), after, lsn, None)
                    .await;
            }
            LogicalReplicationMessage::Update {
                relation_id,
                old_tuple,
                new_tuple,
                ..
            } => {
                if self.cfg.skipped.update {
                    return Ok(());
                }
                let Some(t) = self.table(relation_id).await? else {
                    return Ok(());
                };
                if self.skip_event() {
                    return Ok(());
                }
                let mut new = cells(&new_tuple);
                let old = old_tuple.as_ref().map(cells);
                if let Some(old) = &old {
                    fill_unchanged(&mut new, old);
                }
                let key = t.key(&new)?;
                let after = t.row(&new)?;
                let (before, old_key) = match &old {
                    Some(old) => (before_row(&t, old)?, Some(t.key(old)?)),
                    None => (Value::Null, None),
                };
                match old_key {
                    Some(old_key) if old_key != key && !key.is_null() => {
                        // A key change: delete (+ tombstone) under the old key, create under the new.
                        // Until the create is stored, the event counts as not sent.
                        // Each carries the other key in a header, as Debezium's.
                        if let Some(tx) = self.open.as_mut() {
                            tx.events -= 1;
                        }
                        let new_key = Some((crate::headers::NEW_KEY, key.clone()));
                        let gone = (old_key.clone(), before);
                        self.emit(&t, "d", "UPDATE", gone, Value::Null, lsn, new_key)
                            .await;
                        if let Some(tx) = self.open.as_mut() {
                            tx.events += 1;
                        }
                        let old_key = Some((crate::headers::OLD_KEY, old_key));
                        self.emit(&t, "c", "UPDATE", (key, Value::Null), after, lsn, old_key)
                            .await;
                    }
                    _ => {
                        self.emit(&t, "u", "UPDATE", (key, before), after, lsn, None)
                            .await
                    }
                }
            }
            LogicalReplicationMessage::Delete {
                relation_id,
                old_tuple,
                ..
            } => {
                if self.cfg.skipped.delete {
                    return Ok(());
                }
                let Some(t) = self.table(relation_id).await? else {
                    return Ok(());
                };
                if self.skip_event() {
                    return Ok(());
                }
                let old = cells(&old_tuple);
                let key = t.key(&old)?;
                let before = before_row(&t, &old)?;
                self.emit(&t, "d", "DELETE", (key, before), Value::Null, lsn, None)
                    .await;
            }
            LogicalReplicationMessage::Truncate { relation_ids, .. } => {
                if self.cfg.skipped.truncate {
                    return Ok(());
                }
                for rel in relation_ids {
                    let Some(t) = self.table(rel).await? else {
                        continue;
                    };
                    if self.skip_event() {
                        continue;
                    }
                    let none = (Value::Null, Value::Null);
                    self.emit(&t, "t", "TRUNCATE", none, Value::Null, lsn, None)
                        .await;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether this event was already sent before a restart.
    fn skip_event(&mut self) -> bool {
        let Some(tx) = self.open.as_mut() else {
            return false;
        };
        tx.events += 1;
        matches!(self.skip, Some((xid, n)) if xid == tx.xid && tx.events <= n)
    }

    async fn table(&mut self, oid: u32) -> ConnectResult<Option<TableRef>> {
        if let Some(t) = self.tables.get(&oid) {
            return Ok(t.clone());
        }
        let rel = self
            .relations
            .get(&oid)
            .cloned()
            .ok_or(PgCdcError::UnknownRelation(oid))?;
        let t = self.table_schema(&rel).await?;
        self.tables.insert(oid, t.clone());
        Ok(t)
    }

    /// The schemas of a relation (read from the catalog), or `None` if the
    /// filters leave it out.
    pub async fn table_schema(&mut self, rel: &RelationDesc) -> ConnectResult<Option<TableRef>> {
        if !self.cfg.filters.table_included(&rel.schema, &rel.table) {
            return Ok(None);
        }
        let key_override = self
            .cfg
            .key_columns
            .for_table(&rel.schema, &rel.table)
            .map(<[String]>::to_vec);
        let (cols, key) = describe(
            &self.client,
            &mut self.catalog,
            rel,
            &self.cfg.filters,
            key_override.as_deref(),
            &self.mapping,
        )
        .await
        .map_err(|e| PgCdcError::DescribeTable {
            schema: rel.schema.clone(),
            table: rel.table.clone(),
            error: Box::new(e),
        })?;
        Ok(Some(Arc::new(TableSchema::build(
            &self.cfg.topic_prefix,
            &rel.schema,
            &rel.table,
            cols,
            &key,
            self.mapping,
            self.placeholder.clone(),
        ))))
    }

    /// Queues the event `op` of `t` (its key and before image in `old`),
    /// with its tombstone after a delete; `key_header` is the other key of a
    /// key-changing update (`__debezium.newkey` / `__debezium.oldkey`).
    #[allow(clippy::too_many_arguments)]
    async fn emit(
        &mut self,
        t: &TableSchema,
        op: &str,
        message_type: &'static str,
        (key, before): (Value, Value),
        after: Value,
        lsn: u64,
        key_header: Option<(&'static str, Value)>,
    ) {
        let Some(tx) = &self.open else { return };
        let pos = StreamPos {
            lsn,
            lsn_proc: lsn,
            lsn_commit: self.last_commit_end,
            tx_id: Some(tx.xid),
            ts_usec: tx.commit_ts_us,
            tx_events: tx.events,
        };
        let source = SourceInfo {
            server: &self.cfg.topic_prefix,
            db: &self.cfg.dbname,
            ts_us: tx.commit_ts_us,
            snapshot: "false",
            sequence: Some(format!("[\"{}\",\"{}\"]", self.last_commit_end, lsn)),
            schema: &t.schema,
            table: &t.table,
            tx_id: Some(i64::from(tx.xid)),
            lsn: Some(lsn as i64),
            origin: tx
                .origin
                .as_ref()
                .map(|(name, lsn)| (name.as_str(), *lsn as i64)),
        };
        let value = t.envelope(op, before, after, &source, now_ns());
        let mut record = SourceRecord::new(
            self.partition.clone(),
            OffsetMap::new(),
            t.topic.clone(),
            Some(t.envelope_schema.clone()),
            value,
        )
        // A truncate has neither key nor key schema (as Debezium's).
        .with_key(t.key_schema.clone().filter(|_| !key.is_null()), key.clone());
        if let Some((name, other)) = key_header {
            record.headers.add(name, t.key_schema.clone(), other);
        }
        record.headers.0.extend(self.headers.iter().cloned());
        // The previous event is not the transaction's last: send it.
        let held = std::mem::take(&mut self.pending);
        for (mut r, p, mt) in held {
            r.source_offset = p.to_map(Some(mt));
            self.push(Item::Record(r)).await;
        }
        // Until the event's last record is stored, the event counts as not sent.
        let partial = StreamPos {
            tx_events: pos.tx_events.saturating_sub(1),
            ..pos
        };
        if op == "d" && self.cfg.tombstones_on_delete && !key.is_null() {
            // Debezium's tombstone repeats the delete's headers.
            let mut tomb = SourceRecord::new(
                self.partition.clone(),
                OffsetMap::new(),
                t.topic.clone(),
                None,
                Value::Null,
            )
            .with_key(t.key_schema.clone(), key);
            tomb.headers = record.headers.clone();
            self.pending.push((record, partial, message_type));
            self.pending.push((tomb, pos, message_type));
        } else {
            self.pending.push((record, pos, message_type));
        }
    }
}

/// The cells of a pgoutput tuple.
fn cells(t: &TupleData) -> Vec<Cell<'_>> {
    t.columns.iter().map(cell).collect()
}

fn cell(c: &ColumnData) -> Cell<'_> {
    if c.is_null() {
        Cell::Null
    } else if c.is_unchanged() {
        Cell::Unchanged
    } else {
        match std::str::from_utf8(c.as_bytes()) {
            Ok(s) => Cell::Text(s),
            Err(_) => Cell::Null,
        }
    }
}

/// A before image. pgoutput sends only the key columns under REPLICA
/// IDENTITY DEFAULT; required non-key columns then get their type's zero
/// value, as Debezium's fallback defaults do.
fn before_row(t: &TableSchema, old: &[Cell<'_>]) -> ConnectResult<Value> {
    let v = t.row(old)?;
    let Value::Struct(s) = v else { return Ok(v) };
    let schema = s.schema().clone();
    let mut values = s.into_values();
    for (f, v) in schema.fields.iter().zip(values.iter_mut()) {
        if v.is_null() && !f.schema.optional {
            *v = f
                .schema
                .default
                .clone()
                .unwrap_or_else(|| crate::types::zero_value(&f.schema));
        }
    }
    Struct::from_values(schema, values).map(Value::Struct)
}
