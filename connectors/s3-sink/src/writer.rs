//! One Kafka partition's files: which records go to which file, when the
//! files rotate, and the commit that makes them visible exactly once.
//!
//! Rotation follows Confluent's `TopicPartitionWriter`: all open files of
//! a Kafka partition are committed together when `flush.size` records were
//! written across them, when a record's schema cannot share its file's
//! schema (`schema.compatibility`, see [`crate::compatibility`]; otherwise
//! the record is projected onto it), when the record time passes `rotate.interval.ms` (or the encoded
//! partition changes, with `rotate.file.on.partition.change`), or when the
//! wall clock passes the next `rotate.schedule.interval.ms` boundary. A
//! time rotation happens before the record that triggers it is written; a
//! size rotation after. Idle partitions are also checked on every
//! `pre_commit`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use ferry_api::{ConnectError, ConnectResult, ErrantRecordReporter, SinkRecord, TopicPartition};

use crate::buffer::{MemoryBudget, PartBuffer};
use crate::compatibility::SchemaTracker;
use crate::config::{NullValues, S3SinkConfig};
use crate::error::S3SinkError;
use crate::format::{self, FormatKind, FormatWriter, View};
use crate::partitioner::Partitioner;
use crate::state::{self, PartitionState, PendingObject};
use crate::storage::Store;
use crate::uploads::PartUploads;

/// What every partition writer of a task shares.
pub struct Shared {
    pub cfg: Arc<S3SinkConfig>,
    pub store: Arc<Store>,
    pub partitioner: Partitioner,
    pub budget: Arc<MemoryBudget>,
    /// Part uploads in flight (`ferry.s3.upload.concurrency`).
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    /// Commits a task runs in the background at once (also
    /// `ferry.s3.upload.concurrency`): a rotation waits for a free slot, so
    /// files awaiting their commit cannot pile up across many partitions.
    pub commit_slots: Arc<tokio::sync::Semaphore>,
    pub connector: String,
    /// Where records that cannot be written go when the connector
    /// tolerates errors (`None`: such a record fails the task).
    pub reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl Shared {
    /// The files a record is written to: its value (not for the tombstone
    /// partition), and the key and header sidecars when stored.
    fn views(&self, tombstones: bool) -> Vec<View> {
        let mut views = Vec::with_capacity(3);
        if !tombstones {
            views.push(View::Value);
        }
        if self.cfg.store_keys {
            views.push(View::Key);
        }
        if self.cfg.store_headers {
            views.push(View::Headers);
        }
        views
    }

    fn format_of(&self, view: View) -> FormatKind {
        match view {
            View::Value => self.cfg.format,
            View::Key => self.cfg.keys_format,
            View::Headers => self.cfg.headers_format,
        }
    }

    /// The object key of a file, as Confluent's `fileKeyToCommit`.
    pub fn file_key(
        &self,
        topic: &str,
        partition: i32,
        encoded: &str,
        start: i64,
        view: View,
    ) -> String {
        let c = &self.cfg;
        let name = format!(
            "{topic}{fd}{partition}{fd}{start:0width$}{infix}{ext}",
            fd = c.file_delim,
            width = c.zero_pad_width,
            infix = view.infix(),
            ext = format::extension(self.format_of(view), c)
        );
        let suffix = format!("{topic}{d}{encoded}{d}{name}", d = c.directory_delim);
        if c.topics_dir.trim().is_empty() {
            suffix
        } else {
            format!("{}{}{suffix}", c.topics_dir, c.directory_delim)
        }
    }
}

/// One view (values, keys or headers) of an open file.
struct ViewFile {
    key: String,
    writer: Box<dyn FormatWriter>,
    buf: PartBuffer,
    upload: PartUploads,
    /// Bytes the format writer holds, as counted in the budget.
    held: u64,
}

struct OpenFile {
    start: i64,
    last: i64,
    count: u64,
    views: Vec<ViewFile>,
}

/// Wall-clock now in ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The next rotation time after `now`: multiples of `interval` from
/// midnight of `tz` (Confluent's `getNextTimeAdjustedByDay`).
pub fn next_scheduled_rotation(now: i64, interval: i64, tz: chrono_tz::Tz) -> i64 {
    use chrono::{Offset, TimeZone};
    const DAY: i64 = 86_400_000;
    let off = tz
        .timestamp_millis_opt(now)
        .single()
        .map(|t| t.offset().fix().local_minus_utc() as i64 * 1000)
        .unwrap_or(0);
    let day_start = (now + off).div_euclid(DAY) * DAY - off;
    day_start + ((now - day_start) / interval + 1) * interval
}

/// Records waiting to be written, per encoded partition, in order
/// (projected ones owned).
type Pending<'a> = Vec<(String, Vec<Cow<'a, SinkRecord>>)>;

/// The files of one Kafka partition.
pub struct PartitionWriter {
    shared: Arc<Shared>,
    tp: TopicPartition,
    state_key: String,
    files: BTreeMap<String, OpenFile>,
    record_count: u64,
    /// The offset after the last record handed in.
    next_offset: Option<i64>,
    /// Every record before this offset is in S3.
    durable: Option<i64>,
    /// Records before this offset are already in S3 (skipped on replay).
    floor: i64,
    /// The file schemas per encoded partition (`schema.compatibility`).
    schemas: SchemaTracker,
    base_ts: i64,
    encoded: Option<String>,
    next_rotation: i64,
    last_write: Instant,
    /// The commit running in the background, if any: it yields the offset
    /// after its last record once its objects are complete in S3.
    committing: Option<tokio::task::JoinHandle<ConnectResult<i64>>>,
    /// Ignored records after the commit under way: durable up to here
    /// once it is done.
    skipped_to: Option<i64>,
}

impl PartitionWriter {
    /// A writer for a newly assigned partition.
    pub fn new(shared: Arc<Shared>, tp: TopicPartition) -> Self {
        let state_key = state::state_key(
            &shared.cfg.state_prefix,
            &shared.connector,
            &tp.topic,
            tp.partition,
        );
        let schemas = SchemaTracker::new(
            shared.cfg.compatibility,
            shared.cfg.store_keys && shared.cfg.keys_format.needs_schema(),
        );
        PartitionWriter {
            shared,
            tp,
            state_key,
            files: BTreeMap::new(),
            record_count: 0,
            next_offset: None,
            durable: None,
            floor: i64::MIN,
            schemas,
            base_ts: 0,
            encoded: None,
            next_rotation: i64::MAX,
            last_write: Instant::now(),
            committing: None,
            skipped_to: None,
        }
    }

    /// Recovers the partition's state; returns the offset to resume from
    /// if it is past `committed` (the group's committed offset).
    pub async fn open(&mut self, committed: Option<i64>) -> ConnectResult<Option<i64>> {
        let resume = state::recover(&self.shared.store, &self.state_key).await?;
        self.abort_stale_uploads().await;
        let start = match (resume, committed) {
            (Some(r), Some(c)) => r.max(c),
            (Some(r), None) => r,
            (None, Some(c)) => c,
            (None, None) => return Ok(None),
        };
        self.floor = start;
        self.durable = Some(start);
        Ok(resume.filter(|r| committed.is_none_or(|c| *r > c)))
    }

    /// Aborts multipart uploads of this partition that a crashed or
    /// stopped task left behind (they can never complete).
    async fn abort_stale_uploads(&self) {
        let c = &self.shared.cfg;
        let prefix = if c.topics_dir.trim().is_empty() {
            format!("{}{}", self.tp.topic, c.directory_delim)
        } else {
            format!(
                "{}{d}{}{d}",
                c.topics_dir,
                self.tp.topic,
                d = c.directory_delim
            )
        };
        let mine = format!(
            "{}{fd}{}{fd}",
            self.tp.topic,
            self.tp.partition,
            fd = c.file_delim
        );
        match self.shared.store.list_uploads(&prefix).await {
            Ok(uploads) => {
                for (key, id) in uploads {
                    let name = key.rsplit(c.directory_delim.as_str()).next().unwrap_or("");
                    if name.starts_with(&mine) {
                        tracing::info!(%key, "aborting a multipart upload left by an earlier task");
                        self.shared.store.abort(&key, &id).await;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e.full_message(), "cannot list leftover multipart uploads; they stay until a bucket lifecycle rule removes them")
            }
        }
    }

    /// Every record before the returned offset is in S3.
    pub fn durable(&self) -> Option<i64> {
        self.durable
    }

    /// Handles this partition's records of a batch, in offset order.
    pub async fn put(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        let cfg = self.shared.cfg.clone();
        let mut pending: Pending<'_> = Vec::new();
        for &r in records {
            let offset = r.original_offset;
            if offset < self.floor || self.next_offset.is_some_and(|n| offset < n) {
                continue; // already in S3, or already buffered
            }
            let now = now_ms();
            let (encoded, ts) = if r.value.is_null() {
                match cfg.null_values {
                    NullValues::Fail => {
                        return Err(S3SinkError::BadRecord(format!(
                            "record {} has a null value; set behavior.on.null.values=ignore to skip such records (or write, with store.kafka.keys=true, to store them as tombstones)",
                            r.position()
                        )).into())
                    }
                    NullValues::Ignore => {
                        // Confluent's sink reports an ignored null to the
                        // errant record reporter when it has one.
                        if let (Some(reporter), true) =
                            (&self.shared.reporter, cfg.report_null_values)
                        {
                            reporter
                                .report(r, ConnectError::data("Skipping null value record."))?;
                        }
                        self.skip(offset, pending.is_empty());
                        continue;
                    }
                    NullValues::Write => {
                        let ts = if cfg.rotate_interval_ms > 0 {
                            self.shared.partitioner.timestamp(r, now)?
                        } else {
                            0
                        };
                        (cfg.tombstone_partition.clone(), ts)
                    }
                }
            } else {
                match self.writable(r, now) {
                    Ok(placed) => placed,
                    Err(e) => {
                        self.refuse(r, e, pending.is_empty())?;
                        continue;
                    }
                }
            };
            let r: Cow<'_, SinkRecord> = if r.value.is_null() {
                Cow::Borrowed(r)
            } else {
                let open =
                    self.files.contains_key(&encoded) || pending.iter().any(|(e, _)| *e == encoded);
                let admitted = match self.schemas.admit(r, &encoded, open) {
                    Ok(admitted) => admitted,
                    Err(e) => {
                        self.refuse(r, e, pending.is_empty())?;
                        continue;
                    }
                };
                if admitted.rotate {
                    self.flush(&mut pending).await?;
                    self.commit().await?;
                }
                admitted.record
            };
            if self.record_count > 0 {
                let periodic = cfg.rotate_interval_ms > 0
                    && (ts - self.base_ts >= cfg.rotate_interval_ms
                        || (cfg.rotate_on_partition_change
                            && self.encoded.as_deref() != Some(encoded.as_str())));
                let scheduled = cfg.rotate_schedule_interval_ms > 0 && now >= self.next_rotation;
                if periodic || scheduled {
                    self.flush(&mut pending).await?;
                    self.commit().await?;
                }
            }
            if self.record_count == 0 {
                self.base_ts = ts;
                if cfg.rotate_schedule_interval_ms > 0 {
                    self.next_rotation = next_scheduled_rotation(
                        now,
                        cfg.rotate_schedule_interval_ms,
                        cfg.timezone.unwrap_or(chrono_tz::Tz::UTC),
                    );
                }
            }
            match pending.iter_mut().find(|(e, _)| *e == encoded) {
                Some((_, v)) => v.push(r),
                None => pending.push((encoded.clone(), vec![r])),
            }
            self.encoded = Some(encoded);
            self.record_count += 1;
            self.next_offset = Some(offset + 1);
            self.last_write = Instant::now();
            if self.record_count >= cfg.flush_size {
                self.flush(&mut pending).await?;
                self.commit().await?;
            }
        }
        self.flush(&mut pending).await?;
        self.relieve_memory().await
    }

    /// Where a record goes (its encoded partition and, with
    /// `rotate.interval.ms`, its timestamp), once it is known that every
    /// file it would be written to can hold it.
    fn writable(&self, r: &SinkRecord, now: i64) -> ConnectResult<(String, i64)> {
        let encoded = self.shared.partitioner.encode(r, now)?;
        let ts = if self.shared.cfg.rotate_interval_ms > 0 {
            self.shared.partitioner.timestamp(r, now)?
        } else {
            0
        };
        for view in self.shared.views(false) {
            format::check_writable(self.shared.format_of(view), view, r)?;
        }
        Ok((encoded, ts))
    }

    /// A record that cannot be written: reported through the errant record
    /// reporter and skipped when the connector tolerates data errors,
    /// otherwise the task fails with the error.
    fn refuse(
        &mut self,
        r: &SinkRecord,
        e: ConnectError,
        nothing_pending: bool,
    ) -> ConnectResult<()> {
        match &self.shared.reporter {
            Some(reporter) if e.is_data() => {
                reporter.report(r, e)?;
                self.skip(r.original_offset, nothing_pending);
                Ok(())
            }
            _ => Err(e),
        }
    }

    /// A record that is not written is done: its offset counts as handled.
    fn skip(&mut self, offset: i64, nothing_pending: bool) {
        self.next_offset = Some(offset + 1);
        if self.files.is_empty() && nothing_pending {
            // Nothing of this partition is open: once the commit under way
            // (if any) is done, everything before the skipped record is in
            // S3.
            if self.committing.is_some() {
                self.skipped_to = Some(offset + 1);
            } else {
                self.durable = Some(offset + 1);
            }
        }
    }

    /// Writes pending records into their files.
    async fn flush(&mut self, pending: &mut Pending<'_>) -> ConnectResult<()> {
        for (encoded, recs) in pending.drain(..) {
            let recs: Vec<&SinkRecord> = recs.iter().map(|r| &**r).collect();
            let first = recs[0];
            if !self.files.contains_key(&encoded) {
                let file = self.new_file(&encoded, first)?;
                self.files.insert(encoded.clone(), file);
            }
            let part_size = self.shared.cfg.part_size as u64;
            let budget = self.shared.budget.clone();
            let shared = self.shared.clone();
            let file = self.files.get_mut(&encoded).expect("file just created");
            file.last = recs[recs.len() - 1].original_offset;
            file.count += recs.len() as u64;
            for v in &mut file.views {
                v.writer.write(&recs)?;
                let out = v.writer.take_output();
                v.buf.append(&out)?;
                let held = v.writer.buffered_bytes() as u64;
                if held > v.held {
                    budget.force_reserve(held - v.held);
                } else {
                    budget.release(v.held - held);
                }
                v.held = held;
                if v.buf.len() >= part_size {
                    send_part(&shared, v).await?;
                }
            }
        }
        Ok(())
    }

    fn new_file(&self, encoded: &str, first: &SinkRecord) -> ConnectResult<OpenFile> {
        let cfg = &self.shared.cfg;
        let tombstones = cfg.null_values == NullValues::Write && encoded == cfg.tombstone_partition;
        let views = self
            .shared
            .views(tombstones)
            .into_iter()
            .map(|view| {
                let schema = format::view_schema(first, view);
                let writer = format::new_writer(self.shared.format_of(view), view, schema, cfg)
                    .map_err(|e| {
                        S3SinkError::BadRecord(format!(
                            "record {}: {}",
                            first.position(),
                            e.full_message()
                        ))
                    })?;
                Ok(ViewFile {
                    key: self.shared.file_key(
                        &first.topic,
                        first.partition,
                        encoded,
                        first.original_offset,
                        view,
                    ),
                    writer,
                    buf: PartBuffer::new(self.shared.budget.clone()),
                    upload: PartUploads::default(),
                    held: 0,
                })
            })
            .collect::<ConnectResult<Vec<_>>>()?;
        Ok(OpenFile {
            start: first.original_offset,
            last: first.original_offset,
            count: 0,
            views,
        })
    }

    /// Under memory pressure, pushes data held inside format writers out
    /// to the part buffers (which spill to disk).
    async fn relieve_memory(&mut self) -> ConnectResult<()> {
        if !self.shared.budget.exhausted() {
            return Ok(());
        }
        let budget = self.shared.budget.clone();
        for file in self.files.values_mut() {
            for v in &mut file.views {
                if v.held > 0 {
                    v.writer.flush_buffered()?;
                    let out = v.writer.take_output();
                    v.buf.append(&out)?;
                    budget.release(v.held);
                    v.held = v.writer.buffered_bytes() as u64;
                    budget.force_reserve(v.held);
                }
            }
        }
        Ok(())
    }

    /// Rotates on schedule or idleness; called from `pre_commit`. When it
    /// returns, every commit started so far is done, so [`Self::durable`]
    /// covers everything rotated.
    pub async fn tick(&mut self) -> ConnectResult<()> {
        self.wait_committed().await?;
        if self.record_count == 0 {
            return Ok(());
        }
        let cfg = &self.shared.cfg;
        let scheduled = cfg.rotate_schedule_interval_ms > 0 && now_ms() >= self.next_rotation;
        let idle = cfg.rotate_interval_ms > 0
            && self.last_write.elapsed().as_millis() as i64 >= cfg.rotate_interval_ms;
        if scheduled || idle {
            self.commit().await?;
            self.wait_committed().await?;
        }
        Ok(())
    }

    /// Commits every open file: the files are handed to a background task
    /// (finish, upload the rest, write the state, complete) and the next
    /// records go to new files meanwhile. One commit runs at a time per
    /// partition, so state objects are written in offset order; a commit
    /// waits for the previous one first.
    pub async fn commit(&mut self) -> ConnectResult<()> {
        let Some(next) = self.next_offset else {
            return Ok(());
        };
        self.wait_committed().await?;
        self.record_count = 0;
        if self.files.is_empty() {
            self.durable = Some(next);
            return Ok(());
        }
        let slot = self
            .shared
            .commit_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| S3SinkError::LimiterClosed("commit"))?;
        let files = std::mem::take(&mut self.files);
        let (shared, state_key) = (self.shared.clone(), self.state_key.clone());
        self.committing = Some(tokio::spawn(async move {
            let committed = commit_files(shared, state_key, files, next).await;
            drop(slot);
            committed
        }));
        self.next_rotation = i64::MAX;
        Ok(())
    }

    /// Waits for the background commit, if any; its end offset becomes
    /// durable. A failed commit fails the task (its records were never
    /// acknowledged; the next owner recovers from the state object).
    async fn wait_committed(&mut self) -> ConnectResult<()> {
        if let Some(running) = self.committing.take() {
            let next = running.await.map_err(|error| S3SinkError::TaskEnded {
                task: "the S3 commit task",
                error,
            })??;
            self.durable = Some(self.skipped_to.take().map_or(next, |s| s.max(next)));
        }
        Ok(())
    }

    /// Drops open files, aborting their uploads (the records will be read
    /// again by the partition's next owner).
    pub async fn close(&mut self) {
        // A commit under way finishes first: its state object must not be
        // written after the partition's next owner has read it.
        if let Err(e) = self.wait_committed().await {
            tracing::warn!(partition = %self.tp, error = %e.full_message(), "the last commit failed; the partition's next owner resumes from the previous one");
        }
        for (_, file) in std::mem::take(&mut self.files) {
            for v in file.views {
                self.shared.budget.release(v.held);
                v.upload.abort(&self.shared.store, &v.key).await;
            }
        }
    }
}

/// The body of a commit: uploads the last part of every file (all first,
/// so they upload together), waits for every part, writes the partition's
/// state object, then completes each upload. Returns `next`, the offset
/// after the files' last record.
async fn commit_files(
    shared: Arc<Shared>,
    state_key: String,
    mut files: BTreeMap<String, OpenFile>,
    next: i64,
) -> ConnectResult<i64> {
    let cfg = shared.cfg.clone();
    let store = shared.store.clone();
    for file in files.values_mut() {
        for v in &mut file.views {
            v.writer.finish()?;
            let out = v.writer.take_output();
            v.buf.append(&out)?;
            shared.budget.release(v.held);
            v.held = 0;
            if !v.buf.is_empty() || v.upload.is_empty() {
                send_part(&shared, v).await?;
            }
        }
    }
    let mut pending = Vec::new();
    for file in files.values_mut() {
        for v in &mut file.views {
            let (upload_id, parts) = v.upload.finish().await?;
            let mut tags = Vec::new();
            if cfg.object_tagging {
                tags.push(("startOffset".to_string(), file.start.to_string()));
                tags.push(("endOffset".to_string(), file.last.to_string()));
                tags.push(("recordCount".to_string(), file.count.to_string()));
                tags.extend(cfg.tagging_pairs.iter().cloned());
            }
            pending.push(PendingObject {
                key: v.key.clone(),
                upload_id,
                parts,
                tags,
            });
        }
    }
    let st = PartitionState {
        version: 1,
        next_offset: next,
        pending,
    };
    state::write(&store, &state_key, &st).await?;
    for p in &st.pending {
        if !store.complete(&p.key, &p.upload_id, &p.parts).await? && !store.exists(&p.key).await? {
            return Err(S3SinkError::UploadVanished { key: p.key.clone() }.into());
        }
        if !p.tags.is_empty() {
            store.tag(&p.key, &p.tags).await?;
        }
        tracing::debug!(key = %p.key, "object committed");
    }
    Ok(next)
}

/// Starts uploading the view's buffered bytes as its next part.
async fn send_part(shared: &Shared, v: &mut ViewFile) -> ConnectResult<()> {
    let body = v.buf.take();
    v.upload
        .send(&shared.store, &shared.upload_slots, &v.key, body)
        .await
}

/// Groups a batch by the partition records were read from, keeping order.
pub fn by_partition(records: &[SinkRecord]) -> HashMap<&TopicPartition, Vec<&SinkRecord>> {
    let mut out: HashMap<&TopicPartition, Vec<&SinkRecord>> = HashMap::new();
    for r in records {
        out.entry(&r.original).or_default().push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_aligned_to_midnight_of_the_zone() {
        // 2024-05-01T13:45:00Z, hourly → 14:00Z.
        let now = 1_714_571_100_000;
        assert_eq!(
            next_scheduled_rotation(now, 3_600_000, chrono_tz::Tz::UTC),
            1_714_572_000_000
        );
        // 10-minute schedule in UTC+5:30 (Kolkata): 19:15 local → 19:20 local.
        assert_eq!(
            next_scheduled_rotation(now, 600_000, chrono_tz::Tz::Asia__Kolkata),
            1_714_571_400_000
        );
    }
}
