//! The task: starts the WAL reader, hands its records to the worker and
//! confirms stored positions to PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferry_api::metrics::Gauge;
use ferry_api::{
    ConnectError, ConnectResult, OffsetMap, PropertyMap, SourcePosition, SourceRecord, SourceTask,
    SourceTaskContext,
};
use pg_walstream::CancellationToken;
use tokio::sync::{mpsc, watch};

use crate::config::PgConfig;
use crate::error::PgCdcError;
use crate::offsets::{flushable_lsn, resume_from};
use crate::setup;
use crate::wal_stream::{Item, WalStream};

/// The task: `poll` drains the WAL stream's queue; `commit` confirms LSNs.
#[derive(Default)]
pub struct PostgresTask {
    cfg: Option<Arc<PgConfig>>,
    rx: Option<mpsc::Receiver<Item>>,
    flush: Option<watch::Sender<u64>>,
    cancel: CancellationToken,
    reader: Option<tokio::task::JoinHandle<()>>,
    monitor: Option<tokio::task::JoinHandle<()>>,
    partition: OffsetMap,
    failed: Option<ConnectError>,
    done: bool,
}

#[async_trait]
impl SourceTask for PostgresTask {
    async fn start(&mut self, ctx: SourceTaskContext, props: &PropertyMap) -> ConnectResult<()> {
        let cfg = Arc::new(PgConfig::parse(props)?);
        self.partition = crate::offsets::partition(&cfg.topic_prefix);
        let stored = ctx.offset_reader().offset(&self.partition);
        let resume = resume_from(stored.as_ref());
        tracing::info!(prefix = %cfg.topic_prefix, slot = %cfg.slot_name, ?resume, "PostgreSQL CDC task starting");
        let client = setup::connect(&cfg).await?;
        setup::preflight(&client, &cfg).await?;
        setup::ensure_publication(&client, &cfg).await?;
        // A slot still held by a previous worker (e.g. after kill -9) is
        // released once PostgreSQL notices; wait a little before refusing.
        let mut waited = Duration::ZERO;
        loop {
            match setup::slot_state(&client, &cfg.slot_name).await? {
                Some(s) if s.active_pid.is_some() && waited < Duration::from_secs(15) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    waited += Duration::from_millis(500);
                }
                Some(s) => {
                    // Fatal here (a slot still busy after the wait, or one of
                    // another plugin); a busy slot's text keeps the
                    // `retriable error: ` prefix it has always had.
                    setup::check_slot(&cfg, &s)
                        .map_err(|e| ConnectError::other(ConnectError::from(e).to_string()))?;
                    break;
                }
                None => break,
            }
        }
        let (tx, rx) = mpsc::channel(cfg.max_queue_size);
        let (flush_tx, flush_rx) = watch::channel(0u64);
        self.cancel = CancellationToken::new();
        let metrics = ctx.metrics();
        let gauges = SlotGauges {
            lag: metrics.gauge(
                SLOT_LAG_METRIC,
                "WAL bytes between the server's current position and the replication slot's confirmed_flush_lsn",
            ),
            retained: metrics.gauge(
                SLOT_RETAINED_METRIC,
                "WAL bytes the server retains for the replication slot (current position - restart_lsn)",
            ),
        };
        let behind = metrics.gauge(
            BEHIND_SOURCE_METRIC,
            "Milliseconds between the commit of the last streamed transaction and its processing by the connector",
        );
        self.monitor = Some(tokio::spawn(monitor_slot(
            cfg.clone(),
            flush_tx.subscribe(),
            gauges,
            self.cancel.clone(),
        )));
        let mut stream = WalStream::new(cfg.clone(), client, tx, flush_rx, self.cancel.clone());
        stream.behind_source = behind;
        self.reader = Some(tokio::spawn(stream.run(resume)));
        self.rx = Some(rx);
        self.flush = Some(flush_tx);
        self.cfg = Some(cfg);
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<SourceRecord>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let cfg = self.cfg.clone().ok_or(PgCdcError::NotStarted)?;
        let Some(rx) = self.rx.as_mut() else {
            return Ok(Vec::new());
        };
        if self.done {
            tokio::time::sleep(cfg.poll_interval).await;
            return Ok(Vec::new());
        }
        let mut items = Vec::with_capacity(cfg.max_batch_size.min(4096));
        if let Ok(0) = tokio::time::timeout(
            cfg.poll_interval,
            rx.recv_many(&mut items, cfg.max_batch_size),
        )
        .await
        {
            // The WAL stream is gone without a word: treat as a failure.
            self.done = true;
            return Err(PgCdcError::ReaderStopped.into());
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Record(r) => out.push(r),
                Item::Failed(e) => {
                    if out.is_empty() {
                        return Err(*e);
                    }
                    self.failed = Some(*e);
                    break;
                }
                Item::Done => {
                    tracing::info!("snapshot.mode=initial_only: the snapshot is complete; no changes are streamed");
                    self.done = true;
                }
            }
        }
        Ok(out)
    }

    async fn commit(&mut self, stored: &[SourcePosition]) -> ConnectResult<()> {
        let Some(flush) = &self.flush else {
            return Ok(());
        };
        for p in stored {
            if p.partition != self.partition {
                continue;
            }
            if let Some(lsn) = flushable_lsn(&p.offset) {
                flush.send_if_modified(|cur| {
                    if lsn > *cur {
                        *cur = lsn;
                        true
                    } else {
                        false
                    }
                });
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.cancel.cancel();
        self.rx = None;
        if let Some(h) = self.monitor.take() {
            h.abort();
        }
        if let Some(h) = self.reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        if let Some(cfg) = &self.cfg {
            if cfg.slot_drop_on_stop {
                if let Ok(client) = setup::connect(cfg).await {
                    for _ in 0..20 {
                        match setup::slot_state(&client, &cfg.slot_name).await {
                            Ok(Some(s)) if s.active_pid.is_some() => {
                                tokio::time::sleep(Duration::from_millis(250)).await
                            }
                            Ok(Some(_)) => {
                                if let Err(e) = setup::drop_slot(&client, &cfg.slot_name).await {
                                    tracing::warn!(error = %e, "cannot drop the replication slot");
                                }
                                break;
                            }
                            _ => break,
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The slot-lag gauge (bytes).
pub const SLOT_LAG_METRIC: &str = "ferry_postgres_slot_lag_bytes";
/// The retained-WAL gauge (bytes).
pub const SLOT_RETAINED_METRIC: &str = "ferry_postgres_slot_retained_wal_bytes";
/// Debezium's `MilliSecondsBehindSource`.
pub const BEHIND_SOURCE_METRIC: &str = "ferry_postgres_milliseconds_behind_source";

struct SlotGauges {
    lag: Arc<dyn Gauge>,
    retained: Arc<dyn Gauge>,
}

/// Keeps the slot gauges current: reads `pg_replication_slots` over its own
/// SQL connection every `status.update.interval.ms`, and half a second after
/// each confirmation (so a commit shows up at once). Failures only log: the
/// metric must never stop the stream.
async fn monitor_slot(
    cfg: Arc<PgConfig>,
    mut confirmed: watch::Receiver<u64>,
    gauges: SlotGauges,
    cancel: CancellationToken,
) {
    let mut client: Option<tokio_postgres::Client> = None;
    let mut warned = false;
    loop {
        if client.as_ref().is_none_or(|c| c.is_closed()) {
            client = match setup::connect(&cfg).await {
                Ok(c) => Some(c),
                Err(e) => {
                    if !warned {
                        tracing::warn!(error = %e, "cannot open a connection for the slot lag metric; retrying");
                        warned = true;
                    }
                    None
                }
            };
        }
        if let Some(c) = &client {
            match setup::slot_lag(c, &cfg.slot_name).await {
                Ok(Some((lag, retained))) => {
                    gauges.lag.set(lag);
                    gauges.retained.set(retained);
                    warned = false;
                }
                Ok(None) => {}
                Err(e) => {
                    if !warned {
                        tracing::warn!(error = %e, "cannot read the slot lag");
                        warned = true;
                    }
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(cfg.status_update_interval) => {}
            changed = confirmed.changed() => {
                if changed.is_err() {
                    return;
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
}
