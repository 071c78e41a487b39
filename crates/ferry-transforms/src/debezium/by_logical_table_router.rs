//! `io.debezium.transforms.ByLogicalTableRouter`: sends the change events
//! of several physical tables (shards) to one logical topic.
//!
//! When the whole topic name matches `topic.regex`, the topic becomes
//! `topic.replacement` (`$1` refers to a group). The key and envelope
//! schemas are renamed after the new topic (`<topic>.Key`, `<topic>.Value`,
//! `<topic>.Envelope`, adjusted by `schema.name.adjustment.mode`), and the
//! key gets a `key.field.name` STRING field naming the physical table (the
//! old topic, or what `key.field.regex`/`key.field.replacement` make of
//! it) so that keys stay unique across tables; `key.enforce.uniqueness=false`
//! leaves it out. Tombstones and non-envelope values (heartbeats, schema
//! changes) keep their value; a null key stays null (and loses its schema,
//! as in Debezium). A non-null key must be a struct. Topics that do not
//! match pass unchanged.

use std::collections::HashMap;

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord,
    ConnectResult, Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, Validator, Value,
};
use regex::Regex;

use super::envelope::{is_envelope, AFTER, BEFORE};
use super::schema_cache::SchemaCache;
use super::schema_name_adjuster::{Mode, SchemaNameAdjuster, MODES};
use super::struct_ops::read_field;
use crate::regex_router::java_replacement;
use crate::requirements::require_struct;
use crate::schema_util::{add_field, copy_schema_extras};
use crate::TransformError;

/// Key: the regex the whole topic name must match.
pub const TOPIC_REGEX: &str = "topic.regex";
/// Key: the new topic name, with `$n` group references.
pub const TOPIC_REPLACEMENT: &str = "topic.replacement";
/// Key: add the physical table identifier to the key (default `true`).
pub const KEY_ENFORCE_UNIQUENESS: &str = "key.enforce.uniqueness";
/// Key: a regex over the old topic name for the identifier.
pub const KEY_FIELD_REGEX: &str = "key.field.regex";
/// Key: the identifier's key field (default `__dbz__physicalTableIdentifier`).
pub const KEY_FIELD_NAME: &str = "key.field.name";
/// Key: the identifier, with `$n` references into `key.field.regex`.
pub const KEY_FIELD_REPLACEMENT: &str = "key.field.replacement";
/// Key: `none` (default), `avro` or `avro_unicode`.
pub const SCHEMA_NAME_ADJUSTMENT_MODE: &str = "schema.name.adjustment.mode";
/// Key: how many schemas and names each cache keeps (default 16).
pub const LOGICAL_TABLE_CACHE_SIZE: &str = "logical.table.cache.size";

/// The identifier field's default name.
const DEFAULT_KEY_FIELD_NAME: &str = "__dbz__physicalTableIdentifier";
/// What schemas are updated for, in error messages.
const PURPOSE: &str = "Updating schema";

/// The transform (configure before use).
#[derive(Debug, Default)]
pub struct ByLogicalTableRouter {
    state: Option<State>,
}

#[derive(Debug)]
struct State {
    topic_regex: Regex,
    topic_replacement: String,
    key_field: Option<(Regex, String)>,
    key_field_name: String,
    enforce_uniqueness: bool,
    adjuster: SchemaNameAdjuster,
    cache_size: usize,
    /// (old key schema, new topic) → new key schema.
    key_schemas: SchemaCache<String>,
    /// (old envelope schema, new topic) → new envelope schema.
    envelope_schemas: SchemaCache<String>,
    /// Old topic → new topic, or `None` when it does not match.
    topics: HashMap<String, Option<String>>,
    /// Old topic → physical table identifier.
    identifiers: HashMap<String, String>,
}

/// A schema builder of `schema`'s type with its version, doc, parameters,
/// optionality and (if asked) fields, but no name (Debezium's
/// `copySchemaExcludingName`).
fn copy_excluding_name(schema: &Schema, with_fields: bool) -> SchemaBuilder {
    let mut b = copy_schema_extras(schema, SchemaBuilder::struct_()).set_optional(schema.optional);
    if with_fields {
        for f in &schema.fields {
            b = b.field(f.name.clone(), f.schema.clone());
        }
    }
    b
}

/// Caches a computed string per topic, forgetting everything when full.
fn cached<T: Clone>(
    map: &mut HashMap<String, T>,
    cap: usize,
    key: &str,
    f: impl FnOnce() -> T,
) -> T {
    if let Some(v) = map.get(key) {
        return v.clone();
    }
    let v = f();
    if map.len() >= cap {
        map.clear();
    }
    map.insert(key.to_string(), v.clone());
    v
}

impl State {
    fn new_topic(&mut self, old: &str) -> Option<String> {
        let (re, rep) = (&self.topic_regex, &self.topic_replacement);
        cached(&mut self.topics, self.cache_size, old, || {
            re.is_match(old)
                .then(|| re.replace(old, rep.as_str()).into_owned())
        })
    }

    fn identifier(&mut self, old: &str) -> String {
        let Some((re, rep)) = &self.key_field else {
            return old.to_string();
        };
        cached(&mut self.identifiers, self.cache_size, old, || {
            if re.is_match(old) {
                re.replace(old, rep.as_str()).into_owned()
            } else {
                old.to_string()
            }
        })
    }

    fn key_schema(&mut self, old: &SchemaRef, topic: &str) -> Result<SchemaRef, TransformError> {
        let State {
            key_schemas,
            adjuster,
            enforce_uniqueness,
            key_field_name,
            ..
        } = self;
        key_schemas.get_or_try_insert(old, topic, || {
            let mut b =
                copy_excluding_name(old, true).name(adjuster.adjust(&format!("{topic}.Key"))?);
            if *enforce_uniqueness {
                let names: Vec<&str> = old.fields.iter().map(|f| f.name.as_str()).collect();
                b = add_field(b, &names, key_field_name, Schema::string())?;
            }
            Ok(b.build())
        })
    }

    fn envelope_schema(
        &mut self,
        old: &SchemaRef,
        topic: &str,
    ) -> Result<SchemaRef, TransformError> {
        let State {
            envelope_schemas,
            adjuster,
            ..
        } = self;
        envelope_schemas.get_or_try_insert(old, topic, || {
            let value = match old.field(BEFORE).or_else(|| old.field(AFTER)) {
                Some(f) if f.schema.schema_type == SchemaType::Struct => Some(
                    copy_excluding_name(&f.schema, true)
                        .name(adjuster.adjust(&format!("{topic}.Value"))?)
                        .build(),
                ),
                _ => None,
            };
            let mut b = copy_excluding_name(old, false);
            for f in &old.fields {
                let schema = match &value {
                    Some(v) if f.name == BEFORE || f.name == AFTER => v.clone(),
                    _ => f.schema.clone(),
                };
                b = b.field(f.name.clone(), schema);
            }
            let name = adjuster.adjust(&super::envelope::envelope_schema_name(topic))?;
            Ok(b.name(name).build())
        })
    }
}

/// A struct's raw values under a schema with the same fields first (and
/// possibly more after them, left null).
fn rebind_struct(old: Struct, to: &SchemaRef) -> Struct {
    let same_order = old
        .schema()
        .fields
        .iter()
        .zip(&to.fields)
        .all(|(a, b)| a.name == b.name);
    let mut values = if same_order {
        old.into_values()
    } else {
        let from = old.schema().clone();
        let mut old_values: Vec<Option<Value>> = old.into_values().into_iter().map(Some).collect();
        to.fields
            .iter()
            .map(|f| {
                from.field(&f.name)
                    .and_then(|of| old_values[of.index].take())
                    .unwrap_or(Value::Null)
            })
            .collect()
    };
    values.resize(to.fields.len(), Value::Null);
    Struct::from_values(to.clone(), values).expect("one value per field")
}

fn required_string(name: &str) -> ConfigKey {
    ConfigKey::new(name, ConfigType::String)
        .required()
        .importance(Importance::Low)
}

fn regex_check(required: bool) -> Validator {
    Validator::custom(move |v| match v {
        ConfigValue::String(s) if required && s.trim().is_empty() => {
            Err("A value is required".into())
        }
        ConfigValue::String(s) => Regex::new(s)
            .map(|_| ())
            .map_err(|e| format!("A valid regular expressions is expected, but {e}")),
        _ => Ok(()),
    })
}

impl Transformation for ByLogicalTableRouter {
    fn config_def(&self) -> ConfigDef {
        let low = |k, t| ConfigKey::new(k, t).importance(Importance::Low);
        ConfigDef::new()
            .define(
                required_string(TOPIC_REGEX)
                    .validator(regex_check(true))
                    .doc("The regex used for extracting the name of the logical table from the original topic name."),
            )
            .define(
                required_string(TOPIC_REPLACEMENT)
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::String(s) if s.trim().is_empty() => {
                            Err("A value is required".into())
                        }
                        _ => Ok(()),
                    }))
                    .doc("The replacement string used in conjunction with topic.regex. This will be used to create the new topic name."),
            )
            .define(
                low(KEY_ENFORCE_UNIQUENESS, ConfigType::Boolean)
                    .default_value("true")
                    .doc("Augment each record's key with a field denoting the source topic. This field distinguishes records coming from different physical tables which may otherwise have primary/unique key conflicts. If the source tables are guaranteed to have globally unique keys then this may be set to false to disable key rewriting."),
            )
            .define(
                low(KEY_FIELD_REGEX, ConfigType::String)
                    .validator(regex_check(false))
                    .doc("The regex used for extracting the physical table identifier from the original topic name. Now that multiple physical tables can share a topic, the event's key may need to be augmented to include fields other than just those for the record's primary/unique key, since these are not guaranteed to be unique across tables. We need some identifier added to the key that distinguishes the different physical tables."),
            )
            .define(
                low(KEY_FIELD_NAME, ConfigType::String)
                    .default_value(DEFAULT_KEY_FIELD_NAME)
                    .doc("Each record's key schema will be augmented with this field name. The purpose of this field is to distinguish the different physical tables that can now share a single topic. Make sure not to configure a field name that is at risk of conflict with existing key schema field names."),
            )
            .define(
                low(KEY_FIELD_REPLACEMENT, ConfigType::String)
                    .doc("The replacement string used in conjunction with key.field.regex. This will be used to create the physical table identifier in the record's key."),
            )
            .define(
                low(SCHEMA_NAME_ADJUSTMENT_MODE, ConfigType::String)
                    .default_value("none")
                    .validator(Validator::one_of(MODES))
                    .doc("Specify how the message key schema names derived from the resulting topic name should be adjusted for compatibility with the message converter used by the connector, including: 'avro' replaces the characters that cannot be used in the Avro type name with underscore (default) 'none' does not apply any adjustment"),
            )
            .define(
                low(LOGICAL_TABLE_CACHE_SIZE, ConfigType::Int)
                    .default_value("16")
                    .doc("The size used for holding the max entries in LRUCache. The cache will keep the old/new schema for logical table key and value, also cache the derived key and topic regex result for improving the source record transformation."),
            )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let key_regex = c.string(KEY_FIELD_REGEX).filter(|s| !s.is_empty());
        let key_replacement = c.string(KEY_FIELD_REPLACEMENT).filter(|s| !s.is_empty());
        if key_regex.is_some() && key_replacement.is_none() {
            return Err(ConfigError::new(
                KEY_FIELD_REPLACEMENT,
                c.string(KEY_FIELD_REPLACEMENT),
                format!("{KEY_FIELD_REPLACEMENT} must be non-empty if {KEY_FIELD_REGEX} is set."),
            )
            .into());
        }
        let anchored = |re: &str| Regex::new(&format!("^(?:{re})$")).expect("validated regex");
        let cache_size = usize::try_from(c.int(LOGICAL_TABLE_CACHE_SIZE).unwrap_or(16))
            .unwrap_or(1)
            .max(1);
        self.state = Some(State {
            topic_regex: anchored(c.string(TOPIC_REGEX).unwrap_or_default()),
            topic_replacement: java_replacement(c.string(TOPIC_REPLACEMENT).unwrap_or_default()),
            key_field: key_regex
                .zip(key_replacement)
                .map(|(re, rep)| (anchored(re), java_replacement(rep))),
            key_field_name: c
                .string(KEY_FIELD_NAME)
                .unwrap_or(DEFAULT_KEY_FIELD_NAME)
                .to_string(),
            enforce_uniqueness: c.boolean(KEY_ENFORCE_UNIQUENESS).unwrap_or(true),
            adjuster: SchemaNameAdjuster::new(
                c.string(SCHEMA_NAME_ADJUSTMENT_MODE)
                    .and_then(Mode::parse)
                    .unwrap_or(Mode::None),
            ),
            cache_size,
            key_schemas: SchemaCache::new(cache_size),
            envelope_schemas: SchemaCache::new(cache_size),
            topics: HashMap::new(),
            identifiers: HashMap::new(),
        });
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let state = self
            .state
            .as_mut()
            .expect("ByLogicalTableRouter is configured");
        let old_topic = record.topic().to_string();
        let Some(new_topic) = state.new_topic(&old_topic).filter(|t| !t.is_empty()) else {
            return Ok(Outcome::Keep);
        };

        // Everything that can fail, before the record changes.
        let key_schema = match record.key().1 {
            Value::Null => None,
            key => {
                let key = require_struct(None, key, PURPOSE)?;
                Some(state.key_schema(key.schema(), &new_topic)?)
            }
        };
        let (value_schema, value) = record.value();
        let envelope_schema = if !value.is_null() && is_envelope(value_schema) {
            let envelope = require_struct(None, value, PURPOSE)?;
            for side in [BEFORE, AFTER] {
                if let Some(v) = envelope.get(side).filter(|v| !v.is_null()) {
                    require_struct(None, v, PURPOSE)?;
                }
            }
            Some(state.envelope_schema(envelope.schema(), &new_topic)?)
        } else {
            None
        };

        match key_schema {
            None => record.set(KeyOrValue::Key, None, Value::Null),
            Some(to) => {
                let (_, key) = record.take(KeyOrValue::Key);
                let Value::Struct(old) = key else {
                    unreachable!("checked above")
                };
                let mut new = rebind_struct(old, &to);
                if state.enforce_uniqueness {
                    let id = state.identifier(&old_topic);
                    new.put(&state.key_field_name, id)
                        .expect("field added to the key schema");
                }
                record.set(KeyOrValue::Key, Some(to), Value::Struct(new));
            }
        }
        if let Some(to) = envelope_schema {
            let (_, value) = record.take(KeyOrValue::Value);
            let Value::Struct(old) = value else {
                unreachable!("checked above")
            };
            let from = old.schema().clone();
            let values = from
                .fields
                .iter()
                .zip(old.into_values())
                .map(|(f, v)| {
                    let v = read_field(f, v, true);
                    match v {
                        Value::Struct(row) if f.name == BEFORE || f.name == AFTER => {
                            let schema = &to.fields[f.index].schema;
                            Value::Struct(rebind_struct(row, schema))
                        }
                        other => other,
                    }
                })
                .collect();
            let new = Struct::from_values(to.clone(), values).expect("one value per field");
            record.set(KeyOrValue::Value, Some(to), Value::Struct(new));
        }
        record.set_topic(new_topic);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests;
