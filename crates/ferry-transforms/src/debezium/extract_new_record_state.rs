//! `io.debezium.transforms.ExtractNewRecordState`: replaces a change
//! event's envelope with its row state, so a sink sees the row (`after`)
//! instead of `{before, after, source, op, …}`.
//!
//! As in Debezium 3.x:
//! - creates, updates and snapshot reads become their `after` row (a
//!   required copy of the row schema, same name);
//! - deletes and the tombstones after them follow
//!   `delete.tombstone.handling.mode` (default `tombstone`: the delete
//!   becomes a null value, the tombstone is dropped); `rewrite…` modes
//!   keep the `before` row and add `__deleted` (`"true"` on deletes,
//!   `"false"` on the other rows);
//! - truncates (no `before`, no `after`) are dropped;
//! - `add.fields` copies envelope fields into the row (`op`,
//!   `source.ts_ms`, `transaction.id:TXN`, … prefixed by
//!   `add.fields.prefix`), `add.headers` into headers, `route.by.field`
//!   renames the topic to a row column's value, and
//!   `drop.fields.header.name` drops the columns a header lists;
//! - anything that is not an envelope (no value schema named `….Envelope`:
//!   heartbeats, schema change events, messages, schemaless values from a
//!   sink with `schemas.enable=false`) passes unchanged, except that a null
//!   value is a tombstone whatever its schema.
//!
//! Debezium 3.0/3.1's `delete.handling.mode` (`drop`/`rewrite`/`none`) and
//! `drop.tombstones` still work when `delete.tombstone.handling.mode` is not
//! set (3.2 removed them; an old config keeps its meaning here). With none
//! of the three set, the 3.2+ default `tombstone` applies.

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord,
    ConnectResult, Headers, Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder,
    SchemaRef, Struct, Transformation, Validator, Value,
};

use super::delete_handling::{DeleteHandling, OnDelete, LEGACY_MODES, MODES};
use super::envelope::{get_string, is_envelope, AFTER, BEFORE, DELETE_CODE, OPERATION};
use super::field_reference::FieldReference;
use super::schema_cache::SchemaCache;
use super::struct_ops::{keep_fields, rebuild, schema_with_string_field, schema_without};
use crate::requirements::{java_class_name, require_struct};
use crate::schema_util::{add_field, copy_schema_basics};
use crate::TransformError;

/// Key: what happens to deletes and tombstones: `drop`, `tombstone`
/// (default), `rewrite`, `rewrite-with-tombstone`, `delete-to-tombstone`.
pub const DELETE_TOMBSTONE_HANDLING_MODE: &str = "delete.tombstone.handling.mode";
/// Key (Debezium ≤ 3.1): `drop` (default), `rewrite` or `none` for deletes.
pub const DELETE_HANDLING_MODE: &str = "delete.handling.mode";
/// Key (Debezium ≤ 3.1): drop tombstones (default `true`).
pub const DROP_TOMBSTONES: &str = "drop.tombstones";
/// Key: a row column whose value becomes the topic name.
pub const ROUTE_BY_FIELD: &str = "route.by.field";
/// Key: envelope fields to add to the row.
pub const ADD_FIELDS: &str = "add.fields";
/// Key: the prefix of added field names (default `__`).
pub const ADD_FIELDS_PREFIX: &str = "add.fields.prefix";
/// Key: envelope fields to add as headers.
pub const ADD_HEADERS: &str = "add.headers";
/// Key: the prefix of added header names (default `__`).
pub const ADD_HEADERS_PREFIX: &str = "add.headers.prefix";
/// Key: when adding `__deleted`, null columns take their default (default
/// `true`).
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
/// Key: a header listing columns to drop from the row.
pub const DROP_FIELDS_HEADER_NAME: &str = "drop.fields.header.name";
/// Key: drop those columns from the key too (default `false`).
pub const DROP_FIELDS_FROM_KEY: &str = "drop.fields.from.key";
/// Key: drop only optional columns, so schemas stay compatible (default
/// `true`).
pub const DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE: &str = "drop.fields.keep.schema.compatible";
/// The field `rewrite` modes add to rows.
pub const DELETED_FIELD: &str = "__deleted";

/// How many derived schemas each cache keeps (Debezium's
/// `SCHEMA_CACHE_SIZE`).
const SCHEMA_CACHE_SIZE: usize = 64;

/// The transform (configure before use).
#[derive(Debug)]
pub struct ExtractNewRecordState {
    settings: Option<Settings>,
    /// Row schema → row schema with `__deleted`.
    deleted_schemas: SchemaCache<()>,
    /// (row schema, op) → row schema with the added fields.
    added_schemas: SchemaCache<String>,
    /// (schema, dropped names) → schema without them.
    dropped_schemas: SchemaCache<String>,
}

impl Default for ExtractNewRecordState {
    fn default() -> Self {
        ExtractNewRecordState {
            settings: None,
            deleted_schemas: SchemaCache::new(SCHEMA_CACHE_SIZE),
            added_schemas: SchemaCache::new(SCHEMA_CACHE_SIZE),
            dropped_schemas: SchemaCache::new(SCHEMA_CACHE_SIZE),
        }
    }
}

#[derive(Debug)]
struct Settings {
    deletes: DeleteHandling,
    route_by_field: Option<String>,
    fields: Vec<FieldReference>,
    headers: Vec<FieldReference>,
    replace_null_with_default: bool,
    drop_fields_header: Option<String>,
    drop_fields_from_key: bool,
    drop_fields_keep_schema_compatible: bool,
}

/// Which row of the envelope the output holds.
#[derive(Debug, Clone, Copy)]
enum Row {
    After,
    Before,
}

/// What to do with the key when dropping fields.
enum KeyChange {
    Struct(SchemaRef),
    MapWithout(Vec<String>),
}

/// Everything decided about one change event before it is touched.
struct Plan {
    /// The row moved out of the envelope, or `None` for a null value.
    row: Option<Row>,
    /// The value schema when there is no row.
    null_value_schema: Option<SchemaRef>,
    /// `__deleted`'s value and the schema with it.
    deleted: Option<(&'static str, SchemaRef)>,
    /// Schemas to rebuild the row to, in order: added fields (with the
    /// values to add) and dropped fields.
    steps: Vec<Step>,
    topic: Option<String>,
    key: Option<KeyChange>,
}

enum Step {
    Add(SchemaRef, Vec<Value>),
    Drop(SchemaRef),
}

impl ExtractNewRecordState {
    fn settings(&self) -> &Settings {
        self.settings
            .as_ref()
            .expect("ExtractNewRecordState is configured")
    }

    /// The headers `add.headers` makes for a change event or (only `op`,
    /// as `d`) a tombstone.
    fn make_headers(&self, envelope: Option<&Struct>) -> Headers {
        let mut headers = Headers::new();
        for r in &self.settings().headers {
            match envelope {
                None => {
                    if r.field() == OPERATION {
                        headers.add(r.new_name(), Some(Schema::string()), DELETE_CODE.into());
                    }
                }
                Some(env) => {
                    if let Some(schema) = r.schema(env.schema()) {
                        headers.add(r.new_name(), Some(schema), r.value(env));
                    }
                }
            }
        }
        headers
    }

    /// The column names the drop header lists, if any.
    fn fields_to_drop(&self, headers: &Headers) -> Result<Option<Vec<String>>, TransformError> {
        let Some(name) = self
            .settings()
            .drop_fields_header
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        else {
            return Ok(None);
        };
        let Some(header) = headers.iter().find(|h| h.key == name) else {
            return Ok(None);
        };
        let names: Vec<String> = match &header.value {
            Value::Null => return Ok(None),
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            other => {
                return Err(TransformError::Data(format!(
                    "Header {name} must hold a list of field names, found: {}",
                    java_class_name(None, other)
                )))
            }
        };
        Ok((!names.is_empty()).then_some(names))
    }

    /// The names to drop from a schema: only its optional fields in the
    /// list when schemas are kept compatible, else the whole list.
    fn names_to_drop(&self, schema: &Schema, names: &[String]) -> Vec<String> {
        if !self.settings().drop_fields_keep_schema_compatible {
            return names.to_vec();
        }
        schema
            .fields
            .iter()
            .filter(|f| f.schema.optional && names.contains(&f.name))
            .map(|f| f.name.clone())
            .collect()
    }

    /// The schema without the fields to drop, or `None` when none apply.
    fn dropped_schema(&mut self, schema: &SchemaRef, names: &[String]) -> Option<SchemaRef> {
        let drop = self.names_to_drop(schema, names);
        if drop.is_empty() {
            return None;
        }
        let key = drop.join(",");
        let out = self
            .dropped_schemas
            .get_or_try_insert(schema, key.as_str(), || {
                Ok::<_, std::convert::Infallible>(schema_without(schema, &drop))
            });
        out.ok()
    }

    /// The row schema with the `add.fields` that the event has, and their
    /// values.
    fn added_step(
        &mut self,
        row_schema: &SchemaRef,
        envelope: &Struct,
    ) -> Result<Step, TransformError> {
        let op = get_string(envelope, OPERATION)?.unwrap_or_default();
        let settings = self.settings.as_ref().expect("configured");
        let env_schema = envelope.schema();
        let schema = self.added_schemas.get_or_try_insert(row_schema, op, || {
            let mut b = copy_schema_basics(row_schema, SchemaBuilder::struct_());
            let mut names: Vec<&str> = Vec::new();
            for f in &row_schema.fields {
                b = b.field(f.name.clone(), f.schema.clone());
                names.push(&f.name);
            }
            for r in &settings.fields {
                if let Some(s) = r.schema(env_schema) {
                    b = add_field(b, &names, r.new_name(), s)?;
                    names.push(r.new_name());
                }
            }
            Ok::<_, TransformError>(b.build())
        })?;
        let values = settings
            .fields
            .iter()
            .filter(|r| r.exists(env_schema))
            .map(|r| r.value(envelope))
            .collect();
        Ok(Step::Add(schema, values))
    }

    /// Decides what becomes of a change event; `None`: drop it.
    fn plan(&mut self, record: &dyn ConnectRecord) -> Result<Option<Plan>, TransformError> {
        let (schema, value) = record.value();
        let schema = schema.expect("an envelope has a schema");
        let envelope = require_struct(None, value, "field extraction")?;
        let after_field = schema
            .field(AFTER)
            .ok_or_else(|| TransformError::Data(format!("Unknown field: {AFTER}")))?;
        let after = envelope.get(AFTER).unwrap_or(&Value::Null);
        let deletes = self.settings().deletes;
        let route = self.settings().route_by_field.clone();

        let mut plan = Plan {
            row: None,
            null_value_schema: None,
            deleted: None,
            steps: Vec::new(),
            topic: None,
            key: None,
        };
        let is_delete = after.is_null();
        let row_struct: Option<&Struct>;
        if is_delete {
            if schema.field(BEFORE).is_none() {
                return Err(TransformError::Data(format!("Unknown field: {BEFORE}")));
            }
            let before = envelope.get(BEFORE).unwrap_or(&Value::Null);
            if before.is_null() {
                // A truncate: Debezium drops it.
                return Ok(None);
            }
            if deletes.on_delete == OnDelete::Drop {
                return Ok(None);
            }
            const ROUTE_DELETE: &str = "Read record to set topic routing for DELETE";
            if let Some(f) = &route {
                plan.topic = topic_from(require_struct(None, before, ROUTE_DELETE)?, f)?;
            }
            row_struct = match deletes.on_delete {
                OnDelete::Drop => unreachable!("dropped above"),
                OnDelete::NullValue => {
                    plan.null_value_schema = Some(after_field.schema.clone());
                    None
                }
                OnDelete::Tombstone => None,
                OnDelete::Rewrite => {
                    plan.row = Some(Row::Before);
                    Some(require_struct(None, before, "source field insertion")?)
                }
            };
        } else {
            let purpose = if route.is_some() {
                "Read record to set topic routing for CREATE / UPDATE"
            } else {
                "source field insertion"
            };
            let row = require_struct(None, after, purpose)?;
            if let Some(f) = &route {
                plan.topic = topic_from(row, f)?;
            }
            plan.row = Some(Row::After);
            row_struct = Some(row);
        }

        let drop_names = self.fields_to_drop(record.headers())?;
        if let Some(row) = row_struct {
            let mut current = row.schema().clone();
            if deletes.rewrites() {
                let with = self.deleted_schemas.get_or_try_insert(&current, &(), || {
                    schema_with_string_field(&current, DELETED_FIELD)
                })?;
                plan.deleted = Some((if is_delete { "true" } else { "false" }, with.clone()));
                current = with;
            }
            // Creates and updates: fields are added, then dropped; deletes
            // the other way round, as Debezium orders them.
            let drop_step = |this: &mut Self, current: &mut SchemaRef| -> Option<Step> {
                let names = drop_names.as_deref()?;
                let s = this.dropped_schema(current, names)?;
                *current = s.clone();
                Some(Step::Drop(s))
            };
            if is_delete {
                if let Some(step) = drop_step(self, &mut current) {
                    plan.steps.push(step);
                }
                let step = self.added_step(&current, envelope)?;
                plan.steps.push(step);
            } else {
                let step = self.added_step(&current, envelope)?;
                if let Step::Add(s, _) = &step {
                    current = s.clone();
                }
                plan.steps.push(step);
                if let Some(step) = drop_step(self, &mut current) {
                    plan.steps.push(step);
                }
            }
        }

        if let Some(names) = &drop_names {
            if self.settings().drop_fields_from_key {
                plan.key = self.key_change(record, names);
            }
        }
        Ok(Some(plan))
    }

    /// How the key loses the dropped fields, if it does.
    fn key_change(&mut self, record: &dyn ConnectRecord, names: &[String]) -> Option<KeyChange> {
        match record.key() {
            (_, Value::Null) => None,
            (Some(schema), Value::Struct(_)) => {
                let schema = schema.clone();
                self.dropped_schema(&schema, names).map(KeyChange::Struct)
            }
            (None, Value::Map(_)) if !self.settings().drop_fields_keep_schema_compatible => {
                Some(KeyChange::MapWithout(names.to_vec()))
            }
            _ => None,
        }
    }

    /// Carries out a plan on the record.
    fn execute(&self, record: &mut dyn ConnectRecord, plan: Plan) {
        let (_, value) = record.take(KeyOrValue::Value);
        let Value::Struct(envelope) = value else {
            unreachable!("planned on a struct")
        };
        // The struct's own schema indexes its values.
        let schema = envelope.schema().clone();
        let mut envelope = envelope.into_values();
        match plan.row {
            None => record.set(KeyOrValue::Value, plan.null_value_schema, Value::Null),
            Some(side) => {
                let name = match side {
                    Row::After => AFTER,
                    Row::Before => BEFORE,
                };
                let index = schema.field(name).expect("planned").index;
                let Value::Struct(mut row) = std::mem::take(&mut envelope[index]) else {
                    unreachable!("planned on a struct row")
                };
                if let Some((flag, with)) = plan.deleted {
                    let replace = self.settings().replace_null_with_default;
                    row = rebuild(row, &with, replace, vec![flag.into()]);
                }
                for step in plan.steps {
                    row = match step {
                        Step::Add(to, values) => rebuild(row, &to, false, values),
                        Step::Drop(to) => keep_fields(row, &to),
                    };
                }
                let out_schema = row.schema().clone();
                record.set(KeyOrValue::Value, Some(out_schema), Value::Struct(row));
            }
        }
        if let Some(topic) = plan.topic {
            record.set_topic(topic);
        }
        match plan.key {
            None => {}
            Some(KeyChange::Struct(to)) => {
                let (_, key) = record.take(KeyOrValue::Key);
                if let Value::Struct(k) = key {
                    let k = keep_fields(k, &to);
                    record.set(KeyOrValue::Key, Some(to), Value::Struct(k));
                }
            }
            Some(KeyChange::MapWithout(names)) => {
                let (schema, key) = record.take(KeyOrValue::Key);
                if let Value::Map(entries) = key {
                    let kept = entries
                        .into_iter()
                        .filter(|(k, _)| !k.as_str().is_some_and(|k| names.iter().any(|n| n == k)))
                        .collect();
                    record.set(KeyOrValue::Key, schema, Value::Map(kept));
                }
            }
        }
    }
}

/// The topic a row routes to: its STRING column `field`, unless null or
/// blank.
fn topic_from(row: &Struct, field: &str) -> Result<Option<String>, TransformError> {
    Ok(get_string(row, field)?
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string))
}

fn one_of_or_blank(allowed: &'static [&'static str]) -> Validator {
    Validator::custom(move |v| match v {
        ConfigValue::String(s)
            if !s.trim().is_empty()
                && !allowed.iter().any(|a| a.eq_ignore_ascii_case(s.trim())) =>
        {
            Err(format!("must be one of [{}]", allowed.join(", ")))
        }
        _ => Ok(()),
    })
}

impl Transformation for ExtractNewRecordState {
    fn config_def(&self) -> ConfigDef {
        let s = |k| ConfigKey::new(k, ConfigType::String).importance(Importance::Low);
        let b = |k| ConfigKey::new(k, ConfigType::Boolean).importance(Importance::Low);
        let l = |k| ConfigKey::new(k, ConfigType::List).importance(Importance::Low);
        ConfigDef::new()
            .define(
                s(DELETE_TOMBSTONE_HANDLING_MODE)
                    .importance(Importance::Medium)
                    .default_value("tombstone")
                    .validator(one_of_or_blank(&MODES))
                    .doc("How to handle delete records. Options are: drop - Remove the delete event and tombstone from the stream. tombstone (default) - For each delete event, leave only a tombstone in the stream. rewrite - Remove tombstone from the record, and add a `__deleted` field with the value `true`. rewrite-with-tombstone - Retain tombstone in record and add a `__deleted` field with the value `true`. delete-to-tombstone - Convert delete events to tombstone events and drop tombstone events."),
            )
            .define(
                s(DELETE_HANDLING_MODE)
                    .importance(Importance::Medium)
                    .default_value("drop")
                    .validator(Validator::one_of(LEGACY_MODES))
                    .doc("Deprecated (Debezium 3.1 and earlier), read only when delete.tombstone.handling.mode is not set: none - records are passed, drop - records are removed (the default), rewrite - __deleted field is added to records."),
            )
            .define(
                b(DROP_TOMBSTONES)
                    .default_value("true")
                    .doc("Deprecated (Debezium 3.1 and earlier), read only when delete.tombstone.handling.mode is not set: drop the tombstone that follows a delete event."),
            )
            .define(
                s(ROUTE_BY_FIELD)
                    .default_value("")
                    .doc("The column which determines how the events will be routed, the value will replace the topic name."),
            )
            .define(
                s(ADD_FIELDS_PREFIX)
                    .default_value("__")
                    .doc("Adds this prefix to each field listed."),
            )
            .define(
                l(ADD_FIELDS)
                    .default_value("")
                    .doc("Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. Please note that the new field name is case-sensitive."),
            )
            .define(
                s(ADD_HEADERS_PREFIX)
                    .default_value("__")
                    .doc("Adds this prefix listed to each header."),
            )
            .define(
                l(ADD_HEADERS)
                    .default_value("")
                    .doc("Adds each field listed to the header, __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. Please note that the new field name is case-sensitive."),
            )
            .define(
                b(REPLACE_NULL_WITH_DEFAULT)
                    .default_value("true")
                    .doc("When this option is enabled, null field values are replaced by source-defined defaults when rewriting the record."),
            )
            .define(
                s(DROP_FIELDS_HEADER_NAME)
                    .doc("Specifies the name of a header that contains a list of fields to be removed from the event value."),
            )
            .define(
                b(DROP_FIELDS_FROM_KEY)
                    .default_value("false")
                    .doc("Specifies whether to apply the drop fields behavior to the event key as well as the value. Default behavior is to only remove fields from the event value, not the key."),
            )
            .define(
                b(DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE)
                    .default_value("true")
                    .doc("Controls the output event's schema compatibility when using the drop fields feature. `true`: dropped fields are removed if the schema indicates its optional leaving the schemas unchanged, `false`: dropped fields are removed from the key/value schemas, regardless of optionality."),
            )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let explicit = props
            .get(DELETE_TOMBSTONE_HANDLING_MODE)
            .is_some_and(|v| !v.trim().is_empty());
        let legacy =
            props.contains_key(DELETE_HANDLING_MODE) || props.contains_key(DROP_TOMBSTONES);
        let deletes = if !explicit && legacy {
            DeleteHandling::legacy(
                c.string(DELETE_HANDLING_MODE).unwrap_or("drop"),
                c.boolean(DROP_TOMBSTONES).unwrap_or(true),
            )
        } else {
            DeleteHandling::from_mode(
                c.string(DELETE_TOMBSTONE_HANDLING_MODE)
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or("tombstone"),
            )
        }
        .expect("validated modes");

        let mut errors = ConfigErrors::default();
        let mut refs = |list_key: &str, prefix_key: &str| {
            let prefix = c.string(prefix_key).unwrap_or_default();
            FieldReference::parse_list(prefix, c.list(list_key)).unwrap_or_else(|reason| {
                errors.push(ConfigError::new(
                    list_key,
                    props.get(list_key).map(String::as_str),
                    reason,
                ));
                Vec::new()
            })
        };
        let fields = refs(ADD_FIELDS, ADD_FIELDS_PREFIX);
        let headers = refs(ADD_HEADERS, ADD_HEADERS_PREFIX);
        errors.into_result()?;

        *self = ExtractNewRecordState {
            settings: Some(Settings {
                deletes,
                route_by_field: c
                    .string(ROUTE_BY_FIELD)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
                fields,
                headers,
                replace_null_with_default: c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true),
                drop_fields_header: c.string(DROP_FIELDS_HEADER_NAME).map(str::to_string),
                drop_fields_from_key: c.boolean(DROP_FIELDS_FROM_KEY).unwrap_or(false),
                drop_fields_keep_schema_compatible: c
                    .boolean(DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE)
                    .unwrap_or(true),
            }),
            ..Default::default()
        };
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.value();
        let tombstone = value.is_null();
        let envelope = is_envelope(schema);
        if !tombstone && !envelope {
            return Ok(Outcome::Keep);
        }
        if !self.settings().headers.is_empty() {
            let env = if tombstone {
                None
            } else {
                Some(require_struct(None, value, "field extraction")?)
            };
            let headers = self.make_headers(env);
            record.headers_mut().0.extend(headers.0);
        }
        if tombstone {
            return Ok(if self.settings().deletes.keep_tombstones {
                Outcome::Keep
            } else {
                Outcome::Drop
            });
        }
        match self.plan(record)? {
            None => Ok(Outcome::Drop),
            Some(plan) => {
                self.execute(record, plan);
                Ok(Outcome::Keep)
            }
        }
    }
}

#[cfg(test)]
mod tests;
