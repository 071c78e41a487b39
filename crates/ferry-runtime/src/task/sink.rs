//! The sink executor: one consumer per task in group `connect-<name>`,
//! batches to `put`, and commits of exactly what `pre_commit` returns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_api::{
    ConnectError, Outcome, PropertyMap, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::{mpsc, watch};

use super::codec::RecordCodec;
use super::errant::{
    DlqContext, ErrantMetrics, ErrantReporter, RawRecord, RecordFailure, Stage, TaskErrantReporter,
};
use super::offset_flush::FlushSchedule;
use super::put_retry::PutRetry;
use super::sink_fetcher::{
    consumer_context, offsets_list, FetchCommand, FetchEvent, Fetched, Fetcher, SinkConsumer,
};
use super::sink_progress::{of_revoked, SinkProgress};
use super::{TaskSpec, WorkerServices};
use crate::error::RuntimeError;
use crate::kafka_client::ToRdkafka;
use crate::metrics::TaskMetrics;
use crate::transforms::{TransformChain, TransformFailure};
use ferry_config::client::{client_config, ClientRole};
use ferry_config::connector::Subscription;

/// Batches buffered between the fetch thread and the task.
const CHANNEL_BATCHES: usize = 4;
/// Records per batch when `consumer.max.poll.records` is not set. Kafka's
/// default is 500; ferry's is larger because per-`put` costs dominate for
/// columnar formats (S3 sink, 10-field records → Parquet, same run: 500 →
/// 154,000 records/s, 2,000 → 217,000; JSON unchanged). A batch is only
/// what is already fetched, so small topics still get small puts.
const DEFAULT_MAX_POLL_RECORDS: usize = 2000;

/// The consumer group of a sink connector, as Kafka Connect names it.
pub fn sink_group_id(connector: &str) -> String {
    format!("connect-{connector}")
}

fn consumer_settings(services: &WorkerServices, spec: &TaskSpec) -> (rdkafka::ClientConfig, usize) {
    let settings = client_config(
        &services.worker.props,
        ClientRole::Consumer,
        &spec.connector_props,
    );
    for w in &settings.warnings {
        tracing::warn!(task = %spec.id, "{w}");
    }
    let max_batch = settings
        .max_poll_records()
        .unwrap_or(DEFAULT_MAX_POLL_RECORDS);
    let mut config = settings.to_rdkafka();
    // Kafka Connect forces these for sink tasks (Worker.java).
    config.set("group.id", sink_group_id(&spec.id.connector));
    config.set("enable.auto.commit", "false");
    config.set("enable.auto.offset.store", "false");
    config.set("enable.partition.eof", "false");
    // Kafka Connect's consumer defaults (librdkafka reads committed by default).
    for (key, value) in [
        ("auto.offset.reset", "earliest"),
        ("isolation.level", "read_uncommitted"),
    ] {
        if config.get(key).is_none() {
            config.set(key, value);
        }
    }
    if config.get("client.id").is_none() {
        config.set("client.id", format!("connector-consumer-{}", spec.id));
    }
    if config.get("statistics.interval.ms").is_none() {
        config.set("statistics.interval.ms", "5000");
    }
    (config, max_batch)
}

/// A `topics.regex` as librdkafka subscribes to it: librdkafka takes a
/// subscription for a pattern only when it starts with `^`.
fn anchored(re: &str) -> String {
    if re.starts_with('^') {
        re.to_string()
    } else {
        format!("^{re}")
    }
}

/// Runs one sink task until `shutdown` turns true or the task fails.
pub async fn run_sink_task(
    spec: TaskSpec,
    mut task: Box<dyn SinkTask>,
    services: Arc<WorkerServices>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), RuntimeError> {
    let id = spec.id.clone();
    let metrics = services.metrics.task(&id.connector, id.task);
    let codec = RecordCodec::for_task(&services, &spec, &shutdown)?;
    let transforms = spec.transforms.instantiate_for(&id)?;
    let errant = Arc::new(
        errant_reporter(&services, &spec, &metrics)
            .await?
            .with_transforms(!transforms.is_empty()),
    );
    let (config, max_batch) = consumer_settings(&services, &spec);
    let (events_tx, mut events) = mpsc::channel(CHANNEL_BATCHES);
    let context = consumer_context(
        id.clone(),
        events_tx.clone(),
        metrics.sink_record_lag_max.clone(),
    );
    let consumer: Arc<SinkConsumer> = Arc::new(
        config
            .create_with_context(context)
            .map_err(|e| RuntimeError::kafka(format!("creating the consumer of task {id}"), e))?,
    );
    match spec.subscription.as_ref() {
        Some(Subscription::Topics(topics)) => {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&topics)
        }
        Some(Subscription::Regex(re)) => consumer.subscribe(&[anchored(re).as_str()]),
        None => {
            return Err(RuntimeError::Worker(format!(
                "sink task {id} has no topics"
            )))
        }
    }
    .map_err(|e| RuntimeError::kafka(format!("subscribing task {id}"), e))?;

    let task_errant = TaskErrantReporter::for_task(
        &errant,
        codec.clone(),
        spec.connector_props
            .get("connector.class")
            .map(String::as_str)
            .unwrap_or_default(),
    );
    let mut ctx = SinkTaskContext::new(&id.connector, id.task)
        .with_metrics(services.metrics.connector_registry(&id.connector, id.task));
    if let Some(reporter) = &task_errant {
        ctx = ctx.with_errant_record_reporter(Arc::clone(reporter) as _);
    }
    task.start(ctx.clone(), &spec.task_props)
        .await
        .map_err(|e| RuntimeError::connect(format!("starting task {id}"), e))?;

    let (commands_tx, commands_rx) = std_mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let fetcher = Fetcher::new(
        id.clone(),
        Arc::clone(&consumer),
        codec,
        events_tx,
        commands_rx,
        max_batch,
        Arc::clone(&stop),
        Arc::clone(&errant),
    );
    let fetch_thread = std::thread::Builder::new()
        .name(format!("fetch-{id}"))
        .spawn(move || fetcher.run())
        .map_err(|e| RuntimeError::Worker(format!("cannot start fetch thread: {e}")))?;

    let mut state = SinkLoop {
        spec: &spec,
        task: &mut task,
        ctx,
        consumer: Arc::clone(&consumer),
        commands: commands_tx,
        metrics,
        progress: SinkProgress::default(),
        transforms,
        errant,
        task_errant,
        status: services.status.clone(),
    };
    let mut schedule = FlushSchedule::new(services.worker.offset_flush_interval, Instant::now());
    let result: Result<(), RuntimeError> = loop {
        if *shutdown.borrow() {
            break Ok(());
        }
        let deadline = tokio::time::Instant::from_std(schedule.deadline());
        tokio::select! {
            biased;
            _ = shutdown.changed() => break Ok(()),
            _ = tokio::time::sleep_until(deadline) => {
                schedule.flushed(Instant::now());
                if let Err(e) = state.commit().await { break Err(e); }
            }
            event = events.recv() => {
                let Some(event) = event else { break Err(RuntimeError::Worker(format!("fetch thread of task {id} ended unexpectedly"))) };
                if let Err(e) = state.handle(event, &mut shutdown).await { break Err(e); }
                if state.apply_requests() {
                    schedule.flushed(Instant::now());
                    if let Err(e) = state.commit().await { break Err(e); }
                }
            }
        }
    };

    // Orderly end: commit what is durable (not after a failure: the task's
    // state is unknown), close partitions, stop the task, leave the group.
    if result.is_ok() {
        if let Err(e) = state.commit().await {
            tracing::warn!(task = %id, error = %e, "final offset commit failed");
        }
    }
    let assigned: Vec<TopicPartition> = state.progress.assignment().iter().cloned().collect();
    drop(state);
    if !assigned.is_empty() {
        if let Err(e) = task.close(&assigned).await {
            tracing::warn!(task = %id, error = %e.full_message(), "closing partitions failed");
        }
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %id, error = %e.full_message(), "stopping task failed");
    }
    stop.store(true, Ordering::Release);
    drop(events); // unblocks the fetch thread if it waits on the channel
                  // Closing a consumer runs rebalance callbacks and blocks: let the last
                  // reference go on a blocking thread, never on a runtime worker.
    let _ = tokio::task::spawn_blocking(move || {
        drop(consumer);
        fetch_thread.join()
    })
    .await;
    result
}

struct SinkLoop<'a> {
    spec: &'a TaskSpec,
    task: &'a mut Box<dyn SinkTask>,
    ctx: SinkTaskContext,
    consumer: Arc<SinkConsumer>,
    commands: std_mpsc::Sender<FetchCommand>,
    metrics: TaskMetrics,
    progress: SinkProgress,
    transforms: TransformChain,
    errant: Arc<ErrantReporter>,
    task_errant: Option<Arc<TaskErrantReporter>>,
    status: crate::status::StatusRegistry,
}

impl SinkLoop<'_> {
    fn failed(&self, doing: &str, e: ConnectError) -> RuntimeError {
        RuntimeError::connect(format!("task {} failed in {doing}", self.spec.id), e)
    }

    async fn handle(
        &mut self,
        event: FetchEvent,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        match event {
            FetchEvent::Batch(Fetched {
                mut records,
                mut skipped,
                raw,
            }) => {
                self.progress.drop_rewinding(&mut records);
                self.progress.drop_rewinding_positions(&mut skipped);
                self.metrics
                    .sink_record_read
                    .inc_by((records.len() + skipped.len()) as u64);
                if records.is_empty() && skipped.is_empty() {
                    return Ok(());
                }
                if self.transforms.is_empty() && skipped.is_empty() {
                    self.put(&records, raw, shutdown).await?;
                    self.progress.processed(&records);
                    return Ok(());
                }
                // Records a transform drops or that were skipped as bad are
                // done: their offsets are committed with the rest, as in
                // Kafka Connect.
                let read: Vec<(TopicPartition, i64)> = records
                    .iter()
                    .map(|r| (r.original.clone(), r.original_offset))
                    .chain(skipped)
                    .collect();
                let kept = self.transform(records, &raw)?;
                if !kept.is_empty() {
                    self.put(&kept, raw, shutdown).await?;
                }
                self.progress.processed_at(read);
                Ok(())
            }
            FetchEvent::Assigned(partitions) => {
                for tp in &partitions {
                    self.status.add_topic(&self.spec.id.connector, &tp.topic);
                }
                self.progress.assign(&partitions);
                self.ctx
                    .set_assignment(self.progress.assignment().iter().cloned());
                let committed = committed_offsets(
                    Arc::clone(&self.consumer),
                    &partitions,
                    self.spec.id.to_string(),
                )
                .await?;
                self.progress.group_committed(&committed);
                self.ctx.set_committed_offsets(committed);
                self.metrics
                    .partition_count
                    .set(self.progress.assignment().len() as i64);
                self.task
                    .open(&partitions)
                    .await
                    .map_err(|e| self.failed("open", e))
            }
            FetchEvent::Revoked { partitions, reply } => {
                let offsets = match self.durable_offsets().await {
                    Ok(o) => o,
                    Err(e) => return Err(self.failed("pre_commit", e)),
                };
                let _ = reply.send(of_revoked(offsets, &partitions));
                let closed = self.task.close(&partitions).await;
                self.progress.revoke(&partitions);
                self.ctx
                    .set_assignment(self.progress.assignment().iter().cloned());
                self.metrics
                    .partition_count
                    .set(self.progress.assignment().len() as i64);
                closed.map_err(|e| self.failed("close", e))
            }
            FetchEvent::Rewound(tp) => {
                self.progress.rewound(&tp);
                Ok(())
            }
            FetchEvent::Failed(e) => Err(self.failed("reading records", e)),
        }
    }

    /// Runs the connector's transforms; a failure names the record.
    fn transform(
        &mut self,
        records: Vec<SinkRecord>,
        raw: &HashMap<(TopicPartition, i64), RawRecord>,
    ) -> Result<Vec<SinkRecord>, RuntimeError> {
        let mut kept = Vec::with_capacity(records.len());
        for mut record in records {
            match self.transforms.apply(&mut record) {
                Ok(Outcome::Keep) => kept.push(record),
                Ok(Outcome::Drop) => {}
                Err(TransformFailure { class, error }) => {
                    let at = record.position();
                    let failure = RecordFailure {
                        stage: Stage::Transformation,
                        class: class.to_string(),
                        error: ConnectError::data(format!(
                            "{} (record at {at})",
                            error.full_message()
                        )),
                    };
                    let original = raw.get(&(record.original.clone(), record.original_offset));
                    if let Err(e) = self.errant.report(failure, original) {
                        return Err(self.failed("transforming", e));
                    }
                }
            }
        }
        Ok(kept)
    }

    /// `put` with retries while the task reports retriable errors; `raw`
    /// holds the original bytes of records kept for error handling, which
    /// the task's errant record reporter uses while `put` runs.
    async fn put(
        &mut self,
        records: &[SinkRecord],
        raw: HashMap<(TopicPartition, i64), RawRecord>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        let Some(reporter) = self.task_errant.clone() else {
            return self.put_retrying(records, shutdown).await;
        };
        reporter.hold(raw);
        let result = self.put_retrying(records, shutdown).await;
        reporter.release();
        result
    }

    async fn put_retrying(
        &mut self,
        records: &[SinkRecord],
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), RuntimeError> {
        let mut retry = PutRetry::default();
        loop {
            let started = Instant::now();
            match self.task.put(records).await {
                Ok(()) => {
                    self.metrics
                        .put_batch_time
                        .observe(started.elapsed().as_secs_f64());
                    self.metrics.batch_size.observe(records.len() as f64);
                    self.metrics.sink_record_send.inc_by(records.len() as u64);
                    return Ok(());
                }
                Err(e) => {
                    let Some(backoff) = retry.after_failure(&e) else {
                        return Err(self.failed("put", e));
                    };
                    tracing::warn!(task = %self.spec.id, error = %e.full_message(), retry_in_ms = backoff.as_millis() as u64, "put failed with a retriable error; retrying the batch");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => return Err(self.failed("put (interrupted by shutdown while retrying)", e)),
                    }
                }
            }
        }
    }

    /// Applies pause/resume/rewind requests; true if a commit was asked for.
    fn apply_requests(&mut self) -> bool {
        let requests = self.ctx.take_requests();
        let list = |tps: &[TopicPartition]| {
            let mut tpl = rdkafka::TopicPartitionList::new();
            for tp in tps {
                tpl.add_partition(&tp.topic, tp.partition);
            }
            tpl
        };
        if !requests.pause.is_empty() {
            if let Err(e) = self.consumer.pause(&list(&requests.pause)) {
                tracing::warn!(task = %self.spec.id, error = %e, "pause failed");
            }
        }
        if !requests.resume.is_empty() {
            if let Err(e) = self.consumer.resume(&list(&requests.resume)) {
                tracing::warn!(task = %self.spec.id, error = %e, "resume failed");
            }
        }
        for (tp, offset) in requests.rewinds {
            self.progress.rewind(tp.clone());
            let _ = self.commands.send(FetchCommand::Seek(tp, offset));
        }
        requests.commit
    }

    /// Asks the task what is durable, restricted to assigned partitions.
    async fn durable_offsets(&mut self) -> Result<Vec<(TopicPartition, i64)>, ConnectError> {
        // A skipped record's offset is committed only after its DLQ copy is.
        if self.errant.has_dlq() {
            let errant = Arc::clone(&self.errant);
            tokio::task::block_in_place(|| errant.flush(DLQ_FLUSH_TIMEOUT))?;
        }
        let Some(current) = self.progress.pre_commit_input() else {
            return Ok(Vec::new());
        };
        let offsets = self.task.pre_commit(current).await?;
        Ok(self.progress.to_commit(offsets))
    }

    /// Commits what `pre_commit` returns. A failed commit is logged and
    /// retried at the next interval, as Kafka Connect does.
    async fn commit(&mut self) -> Result<(), RuntimeError> {
        let offsets = self
            .durable_offsets()
            .await
            .map_err(|e| self.failed("pre_commit", e))?;
        if offsets.is_empty() {
            return Ok(());
        }
        let consumer = Arc::clone(&self.consumer);
        let tpl = offsets_list(&offsets);
        let result = tokio::task::spawn_blocking(move || consumer.commit(&tpl, CommitMode::Sync))
            .await
            .map_err(|e| RuntimeError::Worker(format!("commit thread failed: {e}")))?;
        match result {
            Ok(()) => {
                self.metrics.offset_commit_success.inc();
                tracing::debug!(task = %self.spec.id, partitions = offsets.len(), "offsets committed");
                self.progress.committed(offsets);
            }
            Err(e) => {
                self.metrics.offset_commit_failure.inc();
                tracing::warn!(task = %self.spec.id, error = %e, "offset commit failed; retrying at the next interval");
            }
        }
        Ok(())
    }
}

/// How long an offset commit waits for the dead-letter queue.
const DLQ_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// The task's errant record reporter: with a dead-letter queue, its
/// producer, after creating the topic if it is missing (as Kafka Connect
/// does, one partition, `errors.deadletterqueue.topic.replication.factor`).
async fn errant_reporter(
    services: &WorkerServices,
    spec: &TaskSpec,
    metrics: &TaskMetrics,
) -> Result<ErrantReporter, RuntimeError> {
    let id = &spec.id;
    let producer = match &spec.errors.dead_letter_queue {
        None => None,
        Some(dlq) => {
            let admin = super::admin_client(services, spec)?;
            let topic = NewTopic::new(
                &dlq.topic,
                1,
                TopicReplication::Fixed(i32::from(dlq.replication_factor)),
            );
            let created = admin
                .create_topics([&topic], &AdminOptions::new())
                .await
                .map_err(|e| {
                    RuntimeError::kafka(format!("creating the dead letter queue {}", dlq.topic), e)
                })?;
            for result in created {
                match result {
                    Ok(_) => {
                        tracing::info!(task = %id, topic = %dlq.topic, "created the dead letter queue topic")
                    }
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((topic, code)) => {
                        return Err(RuntimeError::Worker(format!(
                            "task {id}: cannot create the dead letter queue topic {topic}: {code}"
                        )))
                    }
                }
            }
            let mut config = client_config(
                &services.worker.props,
                ClientRole::Producer,
                &spec.connector_props,
            )
            .to_rdkafka();
            if config.get("client.id").is_none() {
                config.set("client.id", format!("connector-dlq-producer-{id}"));
            }
            let producer = config
                .create_with_context(DlqContext::default())
                .map_err(|e| {
                    RuntimeError::kafka(format!("creating the DLQ producer of task {id}"), e)
                })?;
            Some(producer)
        }
    };
    Ok(ErrantReporter::new(
        id.clone(),
        spec.errors.clone(),
        producer,
        ErrantMetrics::of(metrics),
    ))
}

/// The group's committed offsets of newly assigned partitions.
async fn committed_offsets(
    consumer: Arc<SinkConsumer>,
    partitions: &[TopicPartition],
    task: String,
) -> Result<Vec<(TopicPartition, i64)>, RuntimeError> {
    let mut tpl = rdkafka::TopicPartitionList::new();
    for tp in partitions {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    let committed = tokio::task::spawn_blocking(move || {
        consumer.committed_offsets(tpl, Duration::from_secs(30))
    })
    .await
    .map_err(|e| {
        RuntimeError::Worker(format!(
            "committed-offsets lookup of task {task} failed: {e}"
        ))
    })?
    .map_err(|e| RuntimeError::kafka(format!("reading the committed offsets of task {task}"), e))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            rdkafka::Offset::Offset(o) => Some((TopicPartition::new(e.topic(), e.partition()), o)),
            _ => None,
        })
        .collect())
}

/// The task config with the sink's subscription added when the connector
/// did not pass it on (Kafka Connect always gives sink tasks `topics`).
pub fn sink_task_props(task_props: &PropertyMap, connector_props: &PropertyMap) -> PropertyMap {
    let mut props = task_props.clone();
    for key in ["topics", "topics.regex"] {
        if let Some(v) = connector_props.get(key) {
            props.entry(key.to_string()).or_insert_with(|| v.clone());
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::test_support::{services, task_id};
    use ferry_api::property_map;

    fn spec(connector: &[(&str, &str)]) -> TaskSpec {
        TaskSpec {
            transforms: Default::default(),
            errors: Default::default(),
            id: task_id("s3", 1),
            connector_props: property_map(connector.iter().copied()),
            task_props: PropertyMap::new(),
            subscription: Some(Subscription::Topics(vec!["orders".into()])),
        }
    }

    #[test]
    fn a_sink_connector_consumes_in_group_connect_name() {
        assert_eq!(sink_group_id("s3-orders"), "connect-s3-orders");
    }

    #[test]
    fn sink_tasks_get_the_connector_subscription_unless_they_set_their_own() {
        let connector = property_map([("topics", "a,b"), ("topics.regex", ""), ("x", "1")]);
        let given = sink_task_props(&property_map([("task.n", "0")]), &connector);
        assert_eq!(given["topics"], "a,b");
        assert_eq!(given["topics.regex"], "");
        assert_eq!(given["task.n"], "0");
        assert!(
            !given.contains_key("x"),
            "only the subscription is passed on"
        );
        let own = sink_task_props(&property_map([("topics", "a")]), &connector);
        assert_eq!(own["topics"], "a");
    }

    #[test]
    fn a_topics_regex_is_anchored_for_librdkafka() {
        assert_eq!(anchored("orders\\..*"), "^orders\\..*");
        assert_eq!(anchored("^orders"), "^orders");
    }

    #[test]
    fn the_consumer_gets_kafka_connect_sink_settings() {
        let services = services(&[("bootstrap.servers", "k:9092")]);
        let (config, max_batch) = consumer_settings(&services, &spec(&[]));
        let get = |k| config.get(k).unwrap_or("<unset>");
        assert_eq!(get("group.id"), "connect-s3");
        assert_eq!(get("enable.auto.commit"), "false");
        assert_eq!(get("enable.auto.offset.store"), "false");
        assert_eq!(get("enable.partition.eof"), "false");
        assert_eq!(get("auto.offset.reset"), "earliest");
        assert_eq!(get("isolation.level"), "read_uncommitted");
        assert_eq!(get("client.id"), "connector-consumer-s3-1");
        assert_eq!(get("statistics.interval.ms"), "5000");
        assert_eq!(get("bootstrap.servers"), "k:9092");
        assert_eq!(max_batch, DEFAULT_MAX_POLL_RECORDS);
    }

    #[test]
    fn consumer_overrides_win_over_defaults_but_not_over_forced_settings() {
        let services = services(&[]);
        let (config, max_batch) = consumer_settings(
            &services,
            &spec(&[
                ("consumer.override.auto.offset.reset", "latest"),
                ("consumer.override.isolation.level", "read_committed"),
                ("consumer.override.client.id", "mine"),
                ("consumer.override.group.id", "other"),
                ("consumer.override.enable.auto.commit", "true"),
                ("consumer.override.max.poll.records", "500"),
            ]),
        );
        let get = |k| config.get(k).unwrap_or("<unset>");
        assert_eq!(get("auto.offset.reset"), "latest");
        assert_eq!(get("isolation.level"), "read_committed");
        assert_eq!(get("client.id"), "mine");
        assert_eq!(get("group.id"), "connect-s3");
        assert_eq!(get("enable.auto.commit"), "false");
        assert_eq!(max_batch, 500);
    }
}
