//! A connector's transform chain, as Kafka Connect reads it:
//! `transforms=a,b`, `transforms.a.type`, the transform's own keys under
//! `transforms.a.`, `transforms.a.predicate` / `transforms.a.negate`, and
//! `predicates=p` with `predicates.p.type` and its keys under `predicates.p.`.
//!
//! [`ChainSpec::from_props`] validates all of it when the connector is
//! submitted (every problem at once, each naming its full key);
//! [`ChainSpec::instantiate`] gives each task (and each restart) fresh
//! instances. Sources run the chain between `poll` and the converters,
//! sinks between the converters and `put`.

use ferry_api::{
    ConfigError, ConfigErrors, ConnectError, ConnectRecord, Outcome, Predicate, PredicatePlugin,
    PropertyMap, TransformPlugin, Transformation,
};

use crate::error::RuntimeError;
use crate::plugins::PluginRegistry;

/// Key: the transform aliases, in order.
pub const TRANSFORMS: &str = "transforms";
/// Key: the predicate aliases.
pub const PREDICATES: &str = "predicates";

/// The validated chain of one connector.
#[derive(Debug, Clone, Default)]
pub struct ChainSpec {
    steps: Vec<StepSpec>,
    predicates: Vec<PredicateSpec>,
}

#[derive(Debug, Clone)]
struct StepSpec {
    alias: String,
    plugin: TransformPlugin,
    props: PropertyMap,
    /// Index into `predicates`, and whether its result is negated.
    predicate: Option<(usize, bool)>,
}

#[derive(Debug, Clone)]
struct PredicateSpec {
    plugin: PredicatePlugin,
    props: PropertyMap,
}

/// `a, b,,c` → `[a, b, c]`, as Kafka's LIST type reads it.
fn aliases(props: &PropertyMap, key: &str) -> Vec<String> {
    props
        .get(key)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The keys under `prefix`, with the prefix removed.
fn with_prefix(props: &PropertyMap, prefix: &str) -> PropertyMap {
    props
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
        .collect()
}

/// Puts the full key (`transforms.a.regex`) into a plugin's errors.
fn prefixed(errors: ConfigErrors, prefix: &str) -> impl Iterator<Item = ConfigError> + '_ {
    errors.0.into_iter().map(move |mut e| {
        e.key = format!("{prefix}{}", e.key);
        e
    })
}

fn duplicates(list: &[String], key: &str, errors: &mut ConfigErrors) {
    let mut seen = std::collections::HashSet::new();
    for alias in list {
        if !seen.insert(alias) {
            errors.push(ConfigError::new(
                key,
                Some(&list.join(",")),
                format!("Duplicate alias provided: {alias}"),
            ));
        }
    }
}

impl ChainSpec {
    /// Reads and validates the chain (configuring each transform and
    /// predicate once to check its keys).
    pub fn from_props(props: &PropertyMap, plugins: &PluginRegistry) -> Result<Self, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let predicate_aliases = aliases(props, PREDICATES);
        duplicates(&predicate_aliases, PREDICATES, &mut errors);
        let mut predicates = Vec::new();
        for alias in &predicate_aliases {
            let prefix = format!("{PREDICATES}.{alias}.");
            let type_key = format!("{prefix}type");
            let Some(class) = props.get(&type_key) else {
                errors.push(ConfigError::missing(
                    &type_key,
                    &format!("Class for the '{alias}' predicate."),
                ));
                continue;
            };
            let Some(plugin) = plugins.find_predicate(class) else {
                errors.push(ConfigError::new(
                    &type_key,
                    Some(class),
                    format!(
                        "Class {class} could not be found. Available predicates: {}",
                        plugins.predicate_names()
                    ),
                ));
                continue;
            };
            let own = with_prefix(props, &prefix);
            if let Err(e) = (plugin.factory)().configure(&own) {
                errors.0.extend(prefixed(e, &prefix));
            }
            predicates.push((
                alias.clone(),
                PredicateSpec {
                    plugin: *plugin,
                    props: own,
                },
            ));
        }

        let transform_aliases = aliases(props, TRANSFORMS);
        duplicates(&transform_aliases, TRANSFORMS, &mut errors);
        let mut steps = Vec::new();
        for alias in &transform_aliases {
            let prefix = format!("{TRANSFORMS}.{alias}.");
            let own = with_prefix(props, &prefix);
            let predicate = match own.get("predicate").map(|p| p.trim()) {
                None | Some("") => None,
                Some(p) => match predicates.iter().position(|(a, _)| a == p) {
                    Some(i) => Some(i),
                    None => {
                        errors.push(ConfigError::new(
                            format!("{prefix}predicate"),
                            Some(p),
                            format!("no predicate with alias {p} is declared in '{PREDICATES}'"),
                        ));
                        None
                    }
                },
            };
            let negate = match own.get("negate").map(|n| n.trim().to_ascii_lowercase()) {
                None => false,
                Some(n) if n == "true" => true,
                Some(n) if n == "false" => false,
                Some(n) => {
                    errors.push(ConfigError::new(
                        format!("{prefix}negate"),
                        Some(&n),
                        "Expected value to be either true or false",
                    ));
                    false
                }
            };
            let type_key = format!("{prefix}type");
            let Some(class) = own.get("type") else {
                errors.push(ConfigError::missing(
                    &type_key,
                    &format!("Class for the '{alias}' transformation."),
                ));
                continue;
            };
            let Some(plugin) = plugins.find_transform(class) else {
                errors.push(ConfigError::new(
                    &type_key,
                    Some(class),
                    format!(
                        "Class {class} could not be found. Available transforms: {}",
                        plugins.transform_names()
                    ),
                ));
                continue;
            };
            if let Err(e) = (plugin.factory)().configure(&own) {
                errors.0.extend(prefixed(e, &prefix));
            }
            steps.push(StepSpec {
                alias: alias.clone(),
                plugin: *plugin,
                props: own,
                predicate: predicate.map(|i| (i, negate)),
            });
        }
        errors.into_result()?;
        Ok(ChainSpec {
            steps,
            predicates: predicates.into_iter().map(|(_, p)| p).collect(),
        })
    }

    /// Whether the connector has no transforms.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// [`ChainSpec::instantiate`] for a task's run; a failure names the task.
    pub fn instantiate_for(
        &self,
        task: &impl std::fmt::Display,
    ) -> Result<TransformChain, RuntimeError> {
        self.instantiate()
            .map_err(|errors| RuntimeError::InvalidConfig {
                subject: format!("transforms of task {task}"),
                errors,
            })
    }

    /// Fresh, configured instances for one task.
    pub fn instantiate(&self) -> Result<TransformChain, ConfigErrors> {
        let mut predicates = Vec::with_capacity(self.predicates.len());
        for p in &self.predicates {
            let mut instance = (p.plugin.factory)();
            instance.configure(&p.props)?;
            predicates.push(instance);
        }
        let mut steps = Vec::with_capacity(self.steps.len());
        for s in &self.steps {
            let mut transform = (s.plugin.factory)();
            transform.configure(&s.props)?;
            steps.push(Step {
                alias: s.alias.clone(),
                class: s.plugin.class,
                transform,
                predicate: s.predicate,
            });
        }
        Ok(TransformChain { steps, predicates })
    }
}

struct Step {
    alias: String,
    class: &'static str,
    transform: Box<dyn Transformation>,
    predicate: Option<(usize, bool)>,
}

/// A transform failed on a record.
#[derive(Debug)]
pub struct TransformFailure {
    /// The transform's class.
    pub class: &'static str,
    /// A data error naming the transform's alias and class.
    pub error: ConnectError,
}

/// One task's transforms, applied in order.
#[derive(Default)]
pub struct TransformChain {
    steps: Vec<Step>,
    predicates: Vec<Box<dyn Predicate>>,
}

impl TransformChain {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the record through every transform whose predicate (if any)
    /// holds, stopping when one drops it. An error names the transform.
    pub fn apply(&mut self, record: &mut dyn ConnectRecord) -> Result<Outcome, TransformFailure> {
        for step in &mut self.steps {
            if let Some((p, negate)) = step.predicate {
                if self.predicates[p].test(record) == negate {
                    continue;
                }
            }
            match step.transform.apply(record) {
                Ok(Outcome::Keep) => {}
                Ok(Outcome::Drop) => return Ok(Outcome::Drop),
                Err(e) => {
                    return Err(TransformFailure {
                        class: step.class,
                        error: ConnectError::data(format!(
                            "transform {} ({}) failed: {}",
                            step.alias,
                            step.class,
                            e.full_message()
                        )),
                    })
                }
            }
        }
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{property_map, SourceRecord, Value};

    fn registry() -> PluginRegistry {
        PluginRegistry::new(Vec::new())
    }

    fn chain(pairs: &[(&str, &str)]) -> Result<ChainSpec, ConfigErrors> {
        ChainSpec::from_props(&property_map(pairs.iter().copied()), &registry())
    }

    fn error_keys(pairs: &[(&str, &str)]) -> Vec<String> {
        chain(pairs)
            .unwrap_err()
            .iter()
            .map(|e| e.key.clone())
            .collect()
    }

    fn record(topic: &str) -> SourceRecord {
        SourceRecord::new(
            Default::default(),
            Default::default(),
            topic,
            None,
            Value::Null,
        )
    }

    #[test]
    fn no_transforms_is_an_empty_chain() {
        assert!(chain(&[]).unwrap().is_empty());
        assert!(chain(&[("transforms", " , ")]).unwrap().is_empty());
    }

    #[test]
    fn transforms_apply_in_order_only_where_their_predicate_says() {
        let spec = chain(&[
            ("transforms", "first,second,onlyOrders"),
            (
                "transforms.first.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.first.regex", "pg\\.public\\.(.*)"),
            ("transforms.first.replacement", "$1"),
            ("transforms.second.type", "RegexRouter"),
            ("transforms.second.regex", "(.*)"),
            ("transforms.second.replacement", "lake-$1"),
            ("transforms.onlyOrders.type", "RegexRouter"),
            ("transforms.onlyOrders.regex", "(.*)"),
            ("transforms.onlyOrders.replacement", "$1-v2"),
            ("transforms.onlyOrders.predicate", "isOrders"),
            ("predicates", "isOrders"),
            ("predicates.isOrders.type", "TopicNameMatches"),
            ("predicates.isOrders.pattern", "lake-orders"),
        ])
        .unwrap();
        let mut chain = spec.instantiate().unwrap();
        let mut orders = record("pg.public.orders");
        assert_eq!(chain.apply(&mut orders).unwrap(), Outcome::Keep);
        assert_eq!(orders.topic, "lake-orders-v2");
        let mut users = record("pg.public.users");
        chain.apply(&mut users).unwrap();
        assert_eq!(users.topic, "lake-users");
    }

    #[test]
    fn negate_applies_the_transform_to_the_records_the_predicate_rejects() {
        let spec = chain(&[
            ("transforms", "r"),
            ("transforms.r.type", "RegexRouter"),
            ("transforms.r.regex", "(.*)"),
            ("transforms.r.replacement", "x-$1"),
            ("transforms.r.predicate", "tomb"),
            ("transforms.r.negate", "true"),
            ("predicates", "tomb"),
            ("predicates.tomb.type", "RecordIsTombstone"),
        ])
        .unwrap();
        let mut chain = spec.instantiate().unwrap();
        let mut tombstone = record("t");
        chain.apply(&mut tombstone).unwrap();
        assert_eq!(tombstone.topic, "t");
        let mut row = record("t");
        row.value = Value::Int32(1);
        chain.apply(&mut row).unwrap();
        assert_eq!(row.topic, "x-t");
    }

    #[test]
    fn every_problem_is_reported_naming_its_full_key() {
        let keys = error_keys(&[
            ("transforms", "noType,unknown,badRegex,missingPredicate"),
            ("transforms.unknown.type", "com.example.Nope"),
            ("transforms.badRegex.type", "RegexRouter"),
            ("transforms.badRegex.regex", "("),
            ("transforms.badRegex.replacement", "x"),
            ("transforms.missingPredicate.type", "RegexRouter"),
            ("transforms.missingPredicate.regex", "a"),
            ("transforms.missingPredicate.replacement", "b"),
            ("transforms.missingPredicate.predicate", "undeclared"),
            ("transforms.missingPredicate.negate", "maybe"),
            ("predicates", "p"),
            ("predicates.p.type", "TopicNameMatches"),
        ]);
        assert_eq!(
            keys,
            [
                "predicates.p.pattern",
                "transforms.noType.type",
                "transforms.unknown.type",
                "transforms.badRegex.regex",
                "transforms.missingPredicate.predicate",
                "transforms.missingPredicate.negate",
            ]
        );
        let unknown = chain(&[("transforms", "u"), ("transforms.u.type", "Nope")]).unwrap_err();
        assert!(
            unknown.0[0]
                .reason
                .contains("Class Nope could not be found")
                && unknown.0[0].reason.contains("RegexRouter"),
            "{unknown}"
        );
        assert_eq!(
            error_keys(&[
                ("transforms", "a,a"),
                ("transforms.a.type", "RegexRouter"),
                ("transforms.a.regex", "x"),
                ("transforms.a.replacement", "y"),
            ]),
            ["transforms"]
        );
    }
}
