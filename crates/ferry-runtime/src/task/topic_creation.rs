//! Source topic creation (KIP-158): when a source connector sets
//! `topic.creation.default.replication.factor` and
//! `topic.creation.default.partitions`, the runtime creates each topic the
//! first time a record goes to it, with the settings of the first matching
//! `topic.creation.groups` group (`include`/`exclude` regex lists) or the
//! default group. Any other `topic.creation.<group>.<key>` becomes a topic
//! config (e.g. `cleanup.policy`). Without those keys topics are left to
//! the broker's auto-creation, as in Kafka Connect.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use ferry_api::PropertyMap;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use regex::Regex;

use crate::error::RuntimeError;

const PREFIX: &str = "topic.creation.";

/// How topics of one group are created.
#[derive(Debug, Clone)]
struct GroupSettings {
    name: String,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    partitions: i32,
    replication_factor: i32,
    configs: BTreeMap<String, String>,
}

/// The topic-creation rules of one connector.
#[derive(Debug)]
pub struct TopicCreation {
    groups: Vec<GroupSettings>,
    default: GroupSettings,
}

fn regex_list(props: &PropertyMap, key: &str) -> Result<Vec<Regex>, String> {
    props
        .get(key)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|p| {
                    Regex::new(&format!("^(?:{p})$"))
                        .map_err(|e| format!("{key}: invalid regex {p:?}: {e}"))
                })
                .collect()
        })
        .unwrap_or(Ok(Vec::new()))
}

fn group(
    props: &PropertyMap,
    name: &str,
    default: Option<&GroupSettings>,
) -> Result<GroupSettings, String> {
    let prefix = format!("{PREFIX}{name}.");
    let int = |key: &str, fallback: Option<i32>| -> Result<i32, String> {
        match props.get(&format!("{prefix}{key}")) {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("{prefix}{key} = {v:?}: expected an integer")),
            None => fallback.ok_or_else(|| format!("{prefix}{key} is required to create topics")),
        }
    };
    let partitions = int("partitions", default.map(|d| d.partitions))?;
    let replication_factor = int("replication.factor", default.map(|d| d.replication_factor))?;
    if partitions == 0 || partitions < -1 {
        return Err(format!(
            "{prefix}partitions must be -1 (broker default) or at least 1"
        ));
    }
    if replication_factor == 0 || replication_factor < -1 {
        return Err(format!(
            "{prefix}replication.factor must be -1 (broker default) or at least 1"
        ));
    }
    let mut configs: BTreeMap<String, String> =
        default.map(|d| d.configs.clone()).unwrap_or_default();
    for (k, v) in props {
        if let Some(key) = k.strip_prefix(&prefix) {
            if !["partitions", "replication.factor", "include", "exclude"].contains(&key) {
                configs.insert(key.to_string(), v.clone());
            }
        }
    }
    Ok(GroupSettings {
        name: name.to_string(),
        include: regex_list(props, &format!("{prefix}include"))?,
        exclude: regex_list(props, &format!("{prefix}exclude"))?,
        partitions,
        replication_factor,
        configs,
    })
}

impl TopicCreation {
    /// The connector's rules, or `None` when topic creation is not
    /// configured (or `topic.creation.enable=false` on the worker).
    pub fn from_props(
        connector: &PropertyMap,
        worker: &PropertyMap,
    ) -> Result<Option<Self>, String> {
        let enabled = worker
            .get("topic.creation.enable")
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
        let configured = connector.contains_key("topic.creation.default.replication.factor")
            || connector.contains_key("topic.creation.default.partitions");
        if !enabled || !configured {
            return Ok(None);
        }
        let default = group(connector, "default", None)?;
        let names: Vec<String> = connector
            .get("topic.creation.groups")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let groups = names
            .iter()
            .map(|n| group(connector, n, Some(&default)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(TopicCreation { groups, default }))
    }

    fn settings_for(&self, topic: &str) -> &GroupSettings {
        self.groups
            .iter()
            .find(|g| {
                g.include.iter().any(|r| r.is_match(topic))
                    && !g.exclude.iter().any(|r| r.is_match(topic))
            })
            .unwrap_or(&self.default)
    }
}

/// Creates topics on first use, once per topic per task run.
pub struct TopicCreator {
    rules: TopicCreation,
    admin: AdminClient<DefaultClientContext>,
    known: HashSet<String>,
}

impl TopicCreator {
    /// A creator using `admin`.
    pub fn new(rules: TopicCreation, admin: AdminClient<DefaultClientContext>) -> Self {
        TopicCreator {
            rules,
            admin,
            known: HashSet::new(),
        }
    }

    /// Makes sure `topic` exists, creating it by the rules if it does not.
    pub async fn ensure(&mut self, topic: &str) -> Result<(), RuntimeError> {
        if self.known.contains(topic) {
            return Ok(());
        }
        let g = self.rules.settings_for(topic);
        let replication = TopicReplication::Fixed(g.replication_factor);
        let mut new_topic = NewTopic::new(topic, g.partitions, replication);
        for (k, v) in &g.configs {
            new_topic = new_topic.set(k, v);
        }
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = self
            .admin
            .create_topics(&[new_topic], &options)
            .await
            .map_err(|e| RuntimeError::kafka(format!("creating topic {topic}"), e))?;
        for r in results {
            match r {
                Ok(_) => {
                    tracing::info!(topic, group = %g.name, partitions = g.partitions, replication_factor = g.replication_factor, "created topic")
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((t, code)) => {
                    return Err(RuntimeError::Worker(format!(
                        "cannot create topic {t} (topic.creation.{}.*): {code}",
                        g.name
                    )))
                }
            }
        }
        self.known.insert(topic.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn not_configured_leaves_topics_to_the_broker() {
        assert!(
            TopicCreation::from_props(&PropertyMap::new(), &PropertyMap::new())
                .unwrap()
                .is_none()
        );
        let c = property_map([
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "1"),
        ]);
        let off = property_map([("topic.creation.enable", "false")]);
        assert!(TopicCreation::from_props(&c, &off).unwrap().is_none());
    }

    #[test]
    fn groups_match_by_include_and_exclude_and_inherit_defaults() {
        let c = property_map([
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.cleanup.policy", "delete"),
            ("topic.creation.groups", "compacted"),
            ("topic.creation.compacted.include", "db\\..*"),
            ("topic.creation.compacted.exclude", "db\\.skip"),
            ("topic.creation.compacted.partitions", "1"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
        ]);
        let rules = TopicCreation::from_props(&c, &PropertyMap::new())
            .unwrap()
            .unwrap();
        let g = rules.settings_for("db.orders");
        assert_eq!(
            (g.name.as_str(), g.partitions, g.replication_factor),
            ("compacted", 1, 1)
        );
        assert_eq!(g.configs["cleanup.policy"], "compact");
        assert_eq!(rules.settings_for("db.skip").name, "default");
        assert_eq!(
            rules.settings_for("other").configs["cleanup.policy"],
            "delete"
        );
    }

    #[test]
    fn missing_or_bad_default_settings_are_refused() {
        let c = property_map([("topic.creation.default.partitions", "3")]);
        let err = TopicCreation::from_props(&c, &PropertyMap::new()).unwrap_err();
        assert!(
            err.contains("topic.creation.default.replication.factor is required"),
            "{err}"
        );
        let c = property_map([
            ("topic.creation.default.partitions", "0"),
            ("topic.creation.default.replication.factor", "1"),
        ]);
        assert!(TopicCreation::from_props(&c, &PropertyMap::new())
            .unwrap_err()
            .contains("partitions"));
    }
}
