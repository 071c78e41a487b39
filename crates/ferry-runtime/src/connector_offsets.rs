//! The offsets endpoints (KIP-875): `GET`, `PATCH` and `DELETE
//! /connectors/{name}/offsets`, for source connectors (the worker's offset
//! store) and sink connectors (the committed offsets of the consumer group
//! `connect-<name>`), in Kafka Connect's JSON shapes:
//! `{"offsets":[{"partition":{…},"offset":{…}}]}`, a sink's partition as
//! `{"kafka_topic","kafka_partition"}` and its offset as `{"kafka_offset"}`.

use std::time::Duration;

use ferry_api::{OffsetMap, PropertyMap, SourcePosition};
use ferry_config::client::{client_config, ClientRole};
use ferry_config::connector::Subscription;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};

use crate::kafka_client::ToRdkafka;
use crate::offsets::OffsetStore;
use crate::task::sink_group_id;

const TIMEOUT: Duration = Duration::from_secs(15);

/// A source connector's stored offsets.
pub fn source_offsets(store: &dyn OffsetStore, connector: &str) -> Value {
    let offsets: Vec<Value> = store
        .connector_offsets(connector)
        .into_iter()
        .map(|p| json!({"partition": p.partition, "offset": p.offset}))
        .collect();
    json!({ "offsets": offsets })
}

/// The `offsets` array of a PATCH body.
fn entries(body: &Value) -> Result<&Vec<Value>, String> {
    body.get("offsets")
        .and_then(Value::as_array)
        .ok_or_else(|| "the body must be {\"offsets\":[{\"partition\":{…},\"offset\":{…}}]}".into())
}

/// Applies a PATCH to a source connector: new offsets are stored, a null
/// offset removes the partition's.
pub async fn alter_source(
    store: &dyn OffsetStore,
    connector: &str,
    body: &Value,
) -> Result<(), String> {
    let mut put = Vec::new();
    let mut remove = Vec::new();
    for e in entries(body)? {
        let partition: OffsetMap = e
            .get("partition")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| format!("each entry needs a \"partition\" object: {e}"))?;
        match e.get("offset") {
            None | Some(Value::Null) => remove.push(partition),
            Some(Value::Object(offset)) => put.push(SourcePosition {
                partition,
                offset: offset.clone(),
            }),
            Some(other) => return Err(format!("an offset must be an object or null, not {other}")),
        }
    }
    store
        .put(connector, &put)
        .await
        .map_err(|e| e.to_string())?;
    if !remove.is_empty() {
        store
            .remove(connector, Some(&remove))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A consumer of the sink's group that never joins it (for reading and
/// committing offsets while the sink's tasks are stopped).
fn group_consumer(
    worker: &PropertyMap,
    connector_props: &PropertyMap,
    connector: &str,
) -> Result<BaseConsumer, String> {
    let mut config = client_config(worker, ClientRole::Consumer, connector_props).to_rdkafka();
    config.set("group.id", sink_group_id(connector));
    config.set("enable.auto.commit", "false");
    config.set("client.id", format!("connector-offsets-{connector}"));
    config
        .create()
        .map_err(|e| format!("cannot create a consumer of group connect-{connector}: {e}"))
}

/// The partitions a sink reads: every partition of its topics (or of the
/// topics its regex matches).
fn sink_partitions(
    consumer: &BaseConsumer,
    subscription: &Subscription,
) -> Result<TopicPartitionList, String> {
    let metadata = consumer
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| format!("cannot read the topic metadata: {e}"))?;
    let matches: Box<dyn Fn(&str) -> bool> = match subscription {
        Subscription::Topics(list) => {
            let list = list.clone();
            Box::new(move |t| list.iter().any(|x| x == t))
        }
        Subscription::Regex(re) => {
            let re = regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| e.to_string())?;
            Box::new(move |t| re.is_match(t))
        }
    };
    let mut tpl = TopicPartitionList::new();
    for topic in metadata.topics().iter().filter(|t| matches(t.name())) {
        for p in topic.partitions() {
            tpl.add_partition(topic.name(), p.id());
        }
    }
    Ok(tpl)
}

/// A sink connector's committed offsets.
pub fn sink_offsets(
    worker: &PropertyMap,
    connector_props: &PropertyMap,
    subscription: &Subscription,
    connector: &str,
) -> Result<Value, String> {
    let consumer = group_consumer(worker, connector_props, connector)?;
    let partitions = sink_partitions(&consumer, subscription)?;
    let committed = consumer
        .committed_offsets(partitions, TIMEOUT)
        .map_err(|e| {
            format!("cannot read the committed offsets of group connect-{connector}: {e}")
        })?;
    let offsets: Vec<Value> = committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(n) => Some(json!({
                "partition": {"kafka_topic": e.topic(), "kafka_partition": e.partition()},
                "offset": {"kafka_offset": n}
            })),
            _ => None,
        })
        .collect();
    Ok(json!({ "offsets": offsets }))
}

/// Commits a PATCH's offsets for a sink's group (its tasks are stopped).
pub fn alter_sink(
    worker: &PropertyMap,
    connector_props: &PropertyMap,
    connector: &str,
    body: &Value,
) -> Result<(), String> {
    let mut tpl = TopicPartitionList::new();
    for e in entries(body)? {
        let p = e
            .get("partition")
            .ok_or_else(|| format!("each entry needs a \"partition\": {e}"))?;
        let topic = p
            .get("kafka_topic")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("a sink partition needs \"kafka_topic\": {p}"))?;
        let partition = p
            .get("kafka_partition")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| format!("a sink partition needs an integer \"kafka_partition\": {p}"))?;
        let offset = match e.get("offset") {
            Some(Value::Object(o)) => o
                .get("kafka_offset")
                .and_then(Value::as_i64)
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("a sink offset needs a non-negative \"kafka_offset\": {e}"))?,
            _ => {
                return Err(
                    "removing one partition's committed offset of a sink is not supported yet; reset them all with DELETE /connectors/{name}/offsets".into(),
                )
            }
        };
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(|e| e.to_string())?;
    }
    let consumer = group_consumer(worker, connector_props, connector)?;
    consumer
        .commit(&tpl, CommitMode::Sync)
        .map_err(|e| format!("cannot commit offsets for group connect-{connector}: {e}"))
}

/// Resets a sink: deletes its consumer group, so it starts over from
/// `auto.offset.reset` (earliest for Kafka Connect sinks).
pub async fn reset_sink(
    worker: &PropertyMap,
    connector_props: &PropertyMap,
    connector: &str,
) -> Result<(), String> {
    use rdkafka::admin::{AdminClient, AdminOptions};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> =
        client_config(worker, ClientRole::Admin, connector_props)
            .to_rdkafka()
            .create()
            .map_err(|e| format!("cannot create an admin client: {e}"))?;
    let group = sink_group_id(connector);
    let results = admin
        .delete_groups(
            &[group.as_str()],
            &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
        )
        .await
        .map_err(|e| format!("cannot delete group {group}: {e}"))?;
    for r in results {
        match r {
            Ok(_) => {}
            Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((g, code)) => return Err(format!("cannot delete group {g}: {code}")),
        }
    }
    Ok(())
}
