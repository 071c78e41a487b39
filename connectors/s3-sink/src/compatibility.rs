//! `schema.compatibility`: whether a record whose schema differs from its
//! file's schema starts a new file (rotation) or is projected onto the
//! file's schema. The rules are those of Confluent's
//! `StorageSchemaCompatibility` (kafka-connect-storage-common) and
//! `SchemaProjector`:
//!
//! | mode | schemas differ → |
//! |---|---|
//! | `NONE` | rotate |
//! | `BACKWARD`, `FULL` | rotate when the record's version is newer than the file's, else project onto the file's schema |
//! | `FORWARD` | rotate when the record's version is older than the file's, else project |
//!
//! Under `BACKWARD`/`FORWARD`/`FULL` both schemas need a version (an error
//! otherwise), and a structural difference the projector cannot bridge
//! (types that are neither equal nor promotable, different names or
//! parameters, at any depth, for fields present in both) also rotates.
//! What the projector then still refuses (a required field of the file's
//! schema missing from the record's, an optional field onto a required one
//! without default) is an error, as in Confluent.
//!
//! `FULL` behaves as `BACKWARD`: Confluent's `StorageSchemaCompatibility`
//! gives it no rule of its own.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_api::{ConnectResult, Schema, SchemaRef, SchemaType, SinkRecord, Struct, Value};

use crate::error::S3SinkError;

/// The `schema.compatibility` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatibility {
    None,
    Backward,
    Forward,
    Full,
}

impl Compatibility {
    /// From a `schema.compatibility` value (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "" | "NONE" => Compatibility::None,
            "BACKWARD" => Compatibility::Backward,
            "FORWARD" => Compatibility::Forward,
            "FULL" => Compatibility::Full,
            _ => return None,
        })
    }

    /// The name as configured.
    pub fn name(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::Forward => "FORWARD",
            Compatibility::Full => "FULL",
        }
    }
}

/// What to do with a record, given its schema and its file's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Same schema: write the record as it is.
    Keep,
    /// Write the record projected onto the file's schema.
    Project,
    /// Start a new file with the record's schema.
    Rotate,
}

/// Why two schemas cannot share a file (Confluent's
/// `SchemaIncompatibilityType`), for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incompatibility {
    Schema,
    Type,
    Name,
    Params,
    Version,
}

/// Whether two optional schemas are the same (cheap when shared).
pub fn same(a: Option<&SchemaRef>, b: Option<&SchemaRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    }
}

/// Decides between keeping, projecting and rotating for a record of
/// schema `record` arriving at a file of schema `current`
/// (Confluent's `shouldChangeSchema`).
pub fn decide(
    mode: Compatibility,
    record: Option<&SchemaRef>,
    current: Option<&SchemaRef>,
) -> Result<(Decision, Option<Incompatibility>), S3SinkError> {
    if same(record, current) {
        return Ok((Decision::Keep, None));
    }
    let (Some(record), Some(current)) = (record, current) else {
        if mode == Compatibility::None {
            // Confluent fails here even under NONE; a new file is enough.
            return Ok((Decision::Rotate, Some(Incompatibility::Schema)));
        }
        return Err(S3SinkError::IncompatibleSchema(format!(
            "a switch between data with and without a schema cannot be projected under schema.compatibility={}",
            mode.name()
        )));
    };
    if mode == Compatibility::None {
        return Ok((Decision::Rotate, Some(Incompatibility::Schema)));
    }
    let (Some(rv), Some(cv)) = (record.version, current.version) else {
        return Err(S3SinkError::IncompatibleSchema(format!(
            "Schema version required for {} compatibility: the record's schema {} and the file's schema {} must both carry a version (or set schema.compatibility=NONE)",
            mode.name(),
            describe(record),
            describe(current)
        )));
    };
    if let Some(why) = structural(record, current) {
        return Ok((Decision::Rotate, Some(why)));
    }
    let newer_rotates = mode != Compatibility::Forward;
    let rotate = if newer_rotates { rv > cv } else { rv < cv };
    Ok(if rotate {
        (Decision::Rotate, Some(Incompatibility::Version))
    } else {
        (Decision::Project, None)
    })
}

fn describe(s: &Schema) -> String {
    let name = s.name.as_deref().unwrap_or(s.schema_type.connect_name());
    match s.version {
        Some(v) => format!("{name} (version {v})"),
        None => format!("{name} (no version)"),
    }
}

/// Connect metadata parameters that do not affect compatibility.
fn significant(params: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    params
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "connect.record.doc" | "connect.record.aliases" | "connect.record.namespace"
            ) && !k.starts_with("io.confluent.connect.avro.field.doc.")
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

const ENUM_PARAMETERS: &[&str] = &[
    "org.apache.kafka.connect.data.Enum",
    "io.confluent.connect.avro.Enum",
    "io.confluent.connect.protobuf.Enum",
];

fn is_enum(s: &Schema) -> bool {
    ENUM_PARAMETERS
        .iter()
        .any(|p| s.parameters.contains_key(*p))
}

/// Whether `source` parameters are acceptable for `target`: equal, or for
/// enums, a subset (every source symbol exists in the target).
fn params_compatible(source: &Schema, target: &Schema) -> bool {
    let s = significant(&source.parameters);
    let t = significant(&target.parameters);
    if is_enum(source) && is_enum(target) {
        s.iter().all(|(k, v)| t.get(k) == Some(v))
    } else {
        s == t
    }
}

/// `int8 → int16 → int32 → int64 → float32 → float64`, each to any later one.
fn numeric_rank(t: SchemaType) -> Option<u8> {
    Some(match t {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        _ => return None,
    })
}

/// Whether a `source` value may be promoted to `target` (same type included).
pub fn promotable(source: SchemaType, target: SchemaType) -> bool {
    match (numeric_rank(source), numeric_rank(target)) {
        (Some(s), Some(t)) => s <= t,
        _ => false,
    }
}

/// The first difference the projector cannot bridge, at any depth, for
/// fields present in both schemas (Confluent's `checkSchemaCompatibility`).
pub fn structural(source: &Schema, target: &Schema) -> Option<Incompatibility> {
    if source.schema_type != target.schema_type
        && !promotable(source.schema_type, target.schema_type)
    {
        return Some(Incompatibility::Type);
    }
    if source.name != target.name {
        return Some(Incompatibility::Name);
    }
    if !params_compatible(source, target) {
        return Some(Incompatibility::Params);
    }
    match source.schema_type {
        SchemaType::Struct => source.fields.iter().find_map(|f| {
            target
                .field(&f.name)
                .and_then(|t| structural(&f.schema, &t.schema))
        }),
        SchemaType::Array => match (&source.value_schema, &target.value_schema) {
            (Some(s), Some(t)) => structural(s, t),
            _ => None,
        },
        SchemaType::Map => {
            let keys = match (&source.key_schema, &target.key_schema) {
                (Some(s), Some(t)) => structural(s, t),
                _ => None,
            };
            keys.or_else(|| match (&source.value_schema, &target.value_schema) {
                (Some(s), Some(t)) => structural(s, t),
                _ => None,
            })
        }
        _ => None,
    }
}

/// Projects `value` of schema `source` onto schema `target`, as Connect's
/// `SchemaProjector.project`: struct fields are taken by name, fields the
/// source lacks become their default (or null if optional), numbers are
/// promoted, arrays and maps element by element.
pub fn project(source: &Schema, value: &Value, target: &SchemaRef) -> Result<Value, S3SinkError> {
    check_maybe_compatible(source, target)?;
    if source.optional && !target.optional {
        match &target.default {
            Some(d) if !d.is_null() => {
                if value.is_null() {
                    Ok(d.clone())
                } else {
                    project_required(source, value, target)
                }
            }
            _ => Err(S3SinkError::SchemaMismatch(
                "the record's schema is optional but the file's schema is required and has no default"
                    .into(),
            )),
        }
    } else if value.is_null() {
        Ok(Value::Null)
    } else {
        project_required(source, value, target)
    }
}

fn check_maybe_compatible(source: &Schema, target: &Schema) -> Result<(), S3SinkError> {
    if source.schema_type != target.schema_type
        && !promotable(source.schema_type, target.schema_type)
    {
        return Err(S3SinkError::SchemaMismatch(format!(
            "schema type mismatch: {} cannot be projected onto {}",
            source.schema_type, target.schema_type
        )));
    }
    if source.name != target.name {
        return Err(S3SinkError::SchemaMismatch(format!(
            "schema name mismatch: {} vs {}",
            source.name.as_deref().unwrap_or("<none>"),
            target.name.as_deref().unwrap_or("<none>")
        )));
    }
    if !params_compatible(source, target) {
        return Err(S3SinkError::SchemaMismatch(format!(
            "schema parameters differ: {:?} vs {:?}",
            source.parameters, target.parameters
        )));
    }
    Ok(())
}

fn project_required(
    source: &Schema,
    value: &Value,
    target: &SchemaRef,
) -> Result<Value, S3SinkError> {
    match target.schema_type {
        SchemaType::Struct => project_struct(source, value, target),
        SchemaType::Array => {
            let Value::Array(items) = value else {
                return Err(mismatch(value, target));
            };
            let (Some(s), Some(t)) = (&source.value_schema, &target.value_schema) else {
                return Err(S3SinkError::SchemaMismatch(
                    "array schema without an element schema".into(),
                ));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    project(s, v, t)
                        .map_err(|e| S3SinkError::SchemaMismatch(format!("element {i}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        SchemaType::Map => {
            let Value::Map(entries) = value else {
                return Err(mismatch(value, target));
            };
            let (Some(sk), Some(sv), Some(tk), Some(tv)) = (
                &source.key_schema,
                &source.value_schema,
                &target.key_schema,
                &target.value_schema,
            ) else {
                return Err(S3SinkError::SchemaMismatch(
                    "map schema without key or value schema".into(),
                ));
            };
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        project(sk, k, tk)
                            .map_err(|e| S3SinkError::SchemaMismatch(format!("map key: {e}")))?,
                        project(sv, v, tv)
                            .map_err(|e| S3SinkError::SchemaMismatch(format!("map value: {e}")))?,
                    ))
                })
                .collect::<Result<Vec<_>, S3SinkError>>()
                .map(Value::Map)
        }
        t => project_primitive(source, value, t),
    }
}

fn mismatch(value: &Value, target: &Schema) -> S3SinkError {
    S3SinkError::SchemaMismatch(format!(
        "a {} value does not match schema type {}",
        value
            .natural_type()
            .map(|t| t.connect_name())
            .unwrap_or("null"),
        target.schema_type
    ))
}

fn project_struct(
    source: &Schema,
    value: &Value,
    target: &SchemaRef,
) -> Result<Value, S3SinkError> {
    let Value::Struct(s) = value else {
        return Err(mismatch(value, target));
    };
    let mut values = Vec::with_capacity(target.fields.len());
    for tf in &target.fields {
        let v = match source.field(&tf.name) {
            Some(sf) => {
                // Struct.get gives a field's default for a null value.
                let raw = s.get(&tf.name).unwrap_or(&Value::Null);
                let v = match (&sf.schema.default, raw) {
                    (Some(d), Value::Null) => d,
                    _ => raw,
                };
                project(&sf.schema, v, &tf.schema)
                    .map_err(|e| S3SinkError::SchemaMismatch(format!("field `{}`: {e}", tf.name)))?
            }
            None => match &tf.schema.default {
                Some(d) => d.clone(),
                None if tf.schema.optional => Value::Null,
                None => {
                    return Err(S3SinkError::SchemaMismatch(format!(
                    "required field `{}` of the file's schema is missing from the record's schema",
                    tf.name
                )))
                }
            },
        };
        values.push(v);
    }
    Struct::from_values(target.clone(), values)
        .map(Value::Struct)
        .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))
}

fn project_primitive(
    source: &Schema,
    value: &Value,
    target: SchemaType,
) -> Result<Value, S3SinkError> {
    if !promotable(source.schema_type, target) {
        return Ok(value.clone());
    }
    let as_f64 = |v: &Value| -> Option<f64> {
        match v {
            Value::Float32(f) => Some(*f as f64),
            Value::Float64(f) => Some(*f),
            v => v.as_i64().map(|i| i as f64),
        }
    };
    let out = match target {
        SchemaType::Int8 => value.as_i64().map(|i| Value::Int8(i as i8)),
        SchemaType::Int16 => value.as_i64().map(|i| Value::Int16(i as i16)),
        SchemaType::Int32 => value.as_i64().map(|i| Value::Int32(i as i32)),
        SchemaType::Int64 => value.as_i64().map(Value::Int64),
        SchemaType::Float32 => match value {
            Value::Float32(f) => Some(Value::Float32(*f)),
            Value::Float64(f) => Some(Value::Float32(*f as f32)),
            v => v.as_i64().map(|i| Value::Float32(i as f32)),
        },
        SchemaType::Float64 => as_f64(value).map(Value::Float64),
        _ => None,
    };
    // Not a number: left as it is (Connect's projector does the same).
    Ok(out.unwrap_or_else(|| value.clone()))
}

/// The schemas of one encoded partition's file.
#[derive(Debug, Clone, Default)]
struct Current {
    value: Option<SchemaRef>,
    key: Option<SchemaRef>,
}

/// Per encoded partition of a Kafka partition, the schemas its file is
/// written with. As Confluent's `currentSchemas`, they outlive commits: a
/// file that starts after a commit keeps the last schema, so under
/// `BACKWARD` older records that follow a newer one are still projected
/// onto the newer schema.
///
/// Key schemas count too when keys are stored in a format with a schema
/// (Avro, Parquet): the same rules apply, except that a key schema
/// without a version rotates instead of failing (Confluent does not look
/// at key schemas at all; its key writer fails on a changed key schema).
#[derive(Debug)]
pub struct SchemaTracker {
    mode: Compatibility,
    keys: bool,
    current: std::collections::HashMap<String, Current>,
}

/// What [`SchemaTracker::admit`] decided for a record.
#[derive(Debug)]
pub struct Admitted<'a> {
    /// The open files must be committed before the record is written.
    pub rotate: bool,
    /// The record to write: as it came, or projected onto the file's schemas.
    pub record: std::borrow::Cow<'a, SinkRecord>,
}

impl SchemaTracker {
    /// A tracker for `mode`; `keys` when key schemas shape files.
    pub fn new(mode: Compatibility, keys: bool) -> Self {
        SchemaTracker {
            mode,
            keys,
            current: std::collections::HashMap::new(),
        }
    }

    /// Decides for a record (with a non-null value) going to the file of
    /// `encoded`; `open` tells whether that file is open now.
    pub fn admit<'a>(
        &mut self,
        r: &'a SinkRecord,
        encoded: &str,
        open: bool,
    ) -> ConnectResult<Admitted<'a>> {
        use std::borrow::Cow;
        let Some(cur) = self.current.get_mut(encoded) else {
            self.current.insert(
                encoded.to_string(),
                Current {
                    value: r.value_schema.clone(),
                    key: if self.keys {
                        r.key_schema.clone()
                    } else {
                        None
                    },
                },
            );
            return Ok(Admitted {
                rotate: false,
                record: Cow::Borrowed(r),
            });
        };
        let mode = self.mode;
        let (value, why) = decide(mode, r.value_schema.as_ref(), cur.value.as_ref())
            .map_err(|e| S3SinkError::BadRecord(format!("record {}: {e}", r.position())))?;
        let key = if self.keys {
            decide(mode, r.key_schema.as_ref(), cur.key.as_ref())
                .map(|(d, _)| d)
                .unwrap_or(Decision::Rotate)
        } else {
            Decision::Keep
        };
        let rotate = value == Decision::Rotate || key == Decision::Rotate;
        if rotate {
            tracing::debug!(record = %r.position(), encoded, ?why, key_changed = key == Decision::Rotate, open, "schema change: new file");
            if value == Decision::Rotate {
                cur.value = r.value_schema.clone();
            }
            if key == Decision::Rotate {
                cur.key = r.key_schema.clone();
            }
        }
        if value != Decision::Project && key != Decision::Project {
            return Ok(Admitted {
                rotate: rotate && open,
                record: Cow::Borrowed(r),
            });
        }
        let mut out = r.clone();
        let fail = |what: &str, target: &SchemaRef, e: S3SinkError| {
            S3SinkError::BadRecord(format!(
                "record {}: its {what} cannot be projected onto the file's schema {} (schema.compatibility={}): {e}",
                r.position(),
                describe(target),
                mode.name()
            ))
        };
        if value == Decision::Project {
            if let (Some(source), Some(target)) = (&r.value_schema, &cur.value) {
                out.value =
                    project(source, &r.value, target).map_err(|e| fail("value", target, e))?;
                out.value_schema = Some(target.clone());
            }
        }
        if key == Decision::Project {
            if let (Some(source), Some(target)) = (&r.key_schema, &cur.key) {
                out.key = project(source, &r.key, target).map_err(|e| fail("key", target, e))?;
                out.key_schema = Some(target.clone());
            }
        }
        Ok(Admitted {
            rotate: rotate && open,
            record: Cow::Owned(out),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::data::logical;
    use ferry_api::{Decimal, SchemaBuilder};

    fn v1() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("com.example.User")
            .version(1)
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .build()
    }

    /// v1 plus an optional field.
    fn v2() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("com.example.User")
            .version(2)
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .field("email", Schema::optional_string())
            .build()
    }

    fn user(schema: &SchemaRef, id: i32) -> Value {
        let mut s = Struct::new(schema.clone())
            .with("id", id)
            .with("name", format!("u{id}"));
        if schema.field("email").is_some() {
            s.put("email", format!("u{id}@x")).unwrap();
        }
        Value::Struct(s)
    }

    fn decision(mode: Compatibility, record: &SchemaRef, current: &SchemaRef) -> Decision {
        decide(mode, Some(record), Some(current)).unwrap().0
    }

    #[test]
    fn modes_parse_case_insensitively_and_reject_others() {
        assert_eq!(
            Compatibility::parse("backward"),
            Some(Compatibility::Backward)
        );
        assert_eq!(Compatibility::parse("FULL"), Some(Compatibility::Full));
        assert_eq!(
            Compatibility::parse("Forward"),
            Some(Compatibility::Forward)
        );
        assert_eq!(Compatibility::parse("NONE"), Some(Compatibility::None));
        assert_eq!(Compatibility::parse("TRANSITIVE"), None);
    }

    #[test]
    fn same_schema_is_kept_in_every_mode_even_without_versions() {
        let s = SchemaBuilder::struct_().field("a", Schema::int32()).build();
        let equal_copy = SchemaBuilder::struct_().field("a", Schema::int32()).build();
        for mode in [
            Compatibility::None,
            Compatibility::Backward,
            Compatibility::Forward,
            Compatibility::Full,
        ] {
            assert_eq!(decision(mode, &s, &s), Decision::Keep);
            assert_eq!(decision(mode, &equal_copy, &s), Decision::Keep);
            assert_eq!(decide(mode, None, None).unwrap().0, Decision::Keep);
        }
    }

    #[test]
    fn none_rotates_on_any_change() {
        assert_eq!(
            decision(Compatibility::None, &v2(), &v1()),
            Decision::Rotate
        );
        assert_eq!(
            decision(Compatibility::None, &v1(), &v2()),
            Decision::Rotate
        );
        // Even a doc change.
        let doc = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(1)
            .doc("users")
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .build();
        assert_eq!(decision(Compatibility::None, &doc, &v1()), Decision::Rotate);
        assert_eq!(
            decide(Compatibility::None, None, Some(&v1())).unwrap().0,
            Decision::Rotate
        );
    }

    #[test]
    fn backward_and_full_rotate_on_newer_and_project_older() {
        for mode in [Compatibility::Backward, Compatibility::Full] {
            assert_eq!(
                decide(mode, Some(&v2()), Some(&v1())).unwrap(),
                (Decision::Rotate, Some(Incompatibility::Version))
            );
            assert_eq!(decision(mode, &v1(), &v2()), Decision::Project);
        }
    }

    #[test]
    fn forward_rotates_on_older_and_projects_newer() {
        assert_eq!(
            decision(Compatibility::Forward, &v1(), &v2()),
            Decision::Rotate
        );
        assert_eq!(
            decision(Compatibility::Forward, &v2(), &v1()),
            Decision::Project
        );
    }

    #[test]
    fn equal_versions_with_different_schemas_are_projected() {
        let other = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(1)
            .field("id", Schema::int64())
            .field("name", Schema::string())
            .build();
        // int32 → int64 is a promotion: projectable, same version.
        assert_eq!(
            decision(Compatibility::Backward, &v1(), &other),
            Decision::Project
        );
    }

    #[test]
    fn a_missing_version_is_an_error_outside_none() {
        let unversioned = SchemaBuilder::struct_()
            .name("com.example.User")
            .field("id", Schema::int32())
            .build();
        for mode in [
            Compatibility::Backward,
            Compatibility::Forward,
            Compatibility::Full,
        ] {
            let e = decide(mode, Some(&unversioned), Some(&v1()))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!(
                    "Schema version required for {} compatibility",
                    mode.name()
                )),
                "{e}"
            );
            assert!(e.contains("com.example.User (no version)"), "{e}");
            assert!(decide(mode, Some(&v1()), Some(&unversioned)).is_err());
        }
    }

    #[test]
    fn switching_between_schema_and_schemaless_is_an_error_outside_none() {
        let e = decide(Compatibility::Backward, None, Some(&v1()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("with and without a schema"), "{e}");
        assert!(decide(Compatibility::Forward, Some(&v1()), None).is_err());
    }

    #[test]
    fn structural_differences_rotate_regardless_of_version() {
        // A field turned from string into int: not projectable.
        let retyped = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(1)
            .field("id", Schema::int32())
            .field("name", Schema::int32())
            .build();
        assert_eq!(
            decide(Compatibility::Backward, Some(&retyped), Some(&v2())).unwrap(),
            (Decision::Rotate, Some(Incompatibility::Type))
        );
        // Narrowing (int64 → int32) is not a promotion.
        let wide = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(1)
            .field("id", Schema::int64())
            .build();
        assert_eq!(
            decide(Compatibility::Backward, Some(&wide), Some(&v1())).unwrap(),
            (Decision::Rotate, Some(Incompatibility::Type))
        );
        let renamed = SchemaBuilder::struct_()
            .name("com.example.Person")
            .version(1)
            .field("id", Schema::int32())
            .build();
        assert_eq!(
            decide(Compatibility::Backward, Some(&renamed), Some(&v2())).unwrap(),
            (Decision::Rotate, Some(Incompatibility::Name))
        );
        // Decimal scale is a parameter: 2 vs 3 cannot share a file.
        let dec = |scale: i32, version: i32| {
            SchemaBuilder::struct_()
                .version(version)
                .field("amount", logical::decimal(scale).build())
                .build()
        };
        assert_eq!(
            decide(Compatibility::Backward, Some(&dec(2, 1)), Some(&dec(3, 2))).unwrap(),
            (Decision::Rotate, Some(Incompatibility::Params))
        );
        assert_eq!(
            decision(Compatibility::Backward, &dec(2, 1), &dec(2, 2)),
            Decision::Project
        );
    }

    #[test]
    fn nested_differences_are_found_in_structs_arrays_and_maps() {
        let nested = |inner: SchemaRef, version: i32| {
            SchemaBuilder::struct_()
                .version(version)
                .field(
                    "items",
                    SchemaBuilder::array(
                        SchemaBuilder::struct_().field("n", inner.clone()).build(),
                    )
                    .build(),
                )
                .field("tags", SchemaBuilder::map(Schema::string(), inner).build())
                .build()
        };
        assert_eq!(
            decide(
                Compatibility::Backward,
                Some(&nested(Schema::string(), 1)),
                Some(&nested(Schema::int32(), 2))
            )
            .unwrap(),
            (Decision::Rotate, Some(Incompatibility::Type))
        );
        assert_eq!(
            decision(
                Compatibility::Backward,
                &nested(Schema::int16(), 1),
                &nested(Schema::int32(), 2)
            ),
            Decision::Project
        );
    }

    #[test]
    fn metadata_parameters_are_ignored_and_enums_may_grow() {
        let with = |params: &[(&str, &str)], version: i32| {
            let mut b = SchemaBuilder::new(SchemaType::String).version(version);
            for (k, v) in params {
                b = b.parameter(*k, *v);
            }
            b.build()
        };
        assert_eq!(
            decision(
                Compatibility::Backward,
                &with(&[("connect.record.doc", "a")], 1),
                &with(&[("connect.record.doc", "b")], 2)
            ),
            Decision::Project
        );
        let e = "io.confluent.connect.avro.Enum";
        let small = with(
            &[(e, "Color"), ("io.confluent.connect.avro.Enum.RED", "RED")],
            1,
        );
        let big = with(
            &[
                (e, "Color"),
                ("io.confluent.connect.avro.Enum.RED", "RED"),
                ("io.confluent.connect.avro.Enum.BLUE", "BLUE"),
            ],
            2,
        );
        assert_eq!(
            decision(Compatibility::Backward, &small, &big),
            Decision::Project
        );
        assert_eq!(
            decide(Compatibility::Forward, Some(&big), Some(&small)).unwrap(),
            (Decision::Rotate, Some(Incompatibility::Params))
        );
    }

    #[test]
    fn projecting_an_older_record_fills_the_new_optional_field_with_null() {
        let target = v2();
        let out = project(&v1(), &user(&v1(), 7), &target).unwrap();
        let s = out.as_struct().unwrap();
        assert!(Arc::ptr_eq(s.schema(), &target));
        assert_eq!(s.get("id"), Some(&Value::Int32(7)));
        assert_eq!(s.get("name").and_then(Value::as_str), Some("u7"));
        assert_eq!(s.get("email"), Some(&Value::Null));
    }

    #[test]
    fn projecting_a_newer_record_drops_fields_the_target_lacks() {
        let out = project(&v2(), &user(&v2(), 3), &v1()).unwrap();
        let s = out.as_struct().unwrap();
        assert_eq!(s.values().len(), 2);
        assert_eq!(s.get("email"), None);
    }

    #[test]
    fn missing_fields_take_defaults_and_required_ones_without_fail() {
        let target = SchemaBuilder::struct_()
            .version(2)
            .field("id", Schema::int32())
            .field(
                "country",
                SchemaBuilder::new(SchemaType::String)
                    .default_value(Value::from("NL"))
                    .build(),
            )
            .field(
                "score",
                SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(5))
                    .build(),
            )
            .build();
        let source = SchemaBuilder::struct_()
            .version(1)
            .field("id", Schema::int32())
            .build();
        let value = Value::Struct(Struct::new(source.clone()).with("id", 1));
        let out = project(&source, &value, &target).unwrap();
        let s = out.as_struct().unwrap();
        assert_eq!(s.get("country").and_then(Value::as_str), Some("NL"));
        assert_eq!(s.get("score"), Some(&Value::Int32(5)));

        let strict = SchemaBuilder::struct_()
            .version(2)
            .field("id", Schema::int32())
            .field("country", Schema::string())
            .build();
        let e = project(&source, &value, &strict).unwrap_err().to_string();
        assert!(e.contains("required field `country`"), "{e}");
    }

    #[test]
    fn optional_onto_required_needs_a_default() {
        let src = Schema::optional_int32();
        let e = project(&src, &Value::Int32(1), &Schema::int32())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no default"), "{e}");
        let with_default = SchemaBuilder::new(SchemaType::Int32)
            .default_value(Value::Int32(9))
            .build();
        assert_eq!(
            project(&src, &Value::Null, &with_default).unwrap(),
            Value::Int32(9)
        );
        assert_eq!(
            project(&src, &Value::Int32(2), &with_default).unwrap(),
            Value::Int32(2)
        );
        // Required onto optional is fine; null stays null.
        assert_eq!(
            project(
                &Schema::optional_int32(),
                &Value::Null,
                &Schema::optional_int64()
            )
            .unwrap(),
            Value::Null
        );
    }

    #[test]
    fn numbers_are_promoted_along_connects_chain() {
        let cases: Vec<(SchemaRef, Value, SchemaRef, Value)> = vec![
            (
                Schema::int8(),
                Value::Int8(-3),
                Schema::int16(),
                Value::Int16(-3),
            ),
            (
                Schema::int16(),
                Value::Int16(300),
                Schema::int32(),
                Value::Int32(300),
            ),
            (
                Schema::int32(),
                Value::Int32(1 << 20),
                Schema::int64(),
                Value::Int64(1 << 20),
            ),
            (
                Schema::int64(),
                Value::Int64(3),
                Schema::float32(),
                Value::Float32(3.0),
            ),
            (
                Schema::int32(),
                Value::Int32(7),
                Schema::float64(),
                Value::Float64(7.0),
            ),
            (
                Schema::float32(),
                Value::Float32(1.5),
                Schema::float64(),
                Value::Float64(1.5),
            ),
            (
                Schema::int8(),
                Value::Int8(1),
                Schema::int8(),
                Value::Int8(1),
            ),
        ];
        for (s, v, t, want) in cases {
            assert_eq!(
                project(&s, &v, &t).unwrap(),
                want,
                "{} → {}",
                s.schema_type,
                t.schema_type
            );
        }
        for (s, t) in [
            (Schema::int64(), Schema::int32()),
            (Schema::float64(), Schema::float32()),
            (Schema::string(), Schema::int32()),
            (Schema::int32(), Schema::string()),
            (Schema::boolean(), Schema::int8()),
        ] {
            let e = project(&s, &Value::Null, &t).unwrap_err().to_string();
            assert!(e.contains("type mismatch"), "{e}");
        }
    }

    #[test]
    fn logical_types_need_matching_names_and_parameters() {
        let d2 = logical::decimal(2).build();
        let d3 = logical::decimal(3).build();
        let v = Value::Decimal(Decimal::new(12345, 2));
        assert_eq!(project(&d2, &v, &d2).unwrap(), v);
        assert!(project(&d2, &v, &d3)
            .unwrap_err()
            .to_string()
            .contains("parameters"));
        let e = project(
            &logical::timestamp().build(),
            &Value::Int64(1),
            &Schema::int64(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("name mismatch"), "{e}");
        let e = project(
            &logical::date().build(),
            &Value::Int32(1),
            &logical::time().build(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("name mismatch"), "{e}");
    }

    #[test]
    fn structs_arrays_and_maps_are_projected_recursively() {
        let inner = |extra: bool, ty: SchemaRef| {
            let mut b = SchemaBuilder::struct_().name("Inner").field("n", ty);
            if extra {
                b = b.field("note", Schema::optional_string());
            }
            b.build()
        };
        let outer = |inner: SchemaRef, version: i32| {
            SchemaBuilder::struct_()
                .version(version)
                .field("one", inner.clone())
                .field("many", SchemaBuilder::array(inner.clone()).build())
                .field(
                    "byname",
                    SchemaBuilder::map(Schema::string(), inner).build(),
                )
                .build()
        };
        let src_inner = inner(false, Schema::int16());
        let src = outer(src_inner.clone(), 1);
        let tgt = outer(inner(true, Schema::int64()), 2);
        let i = |n: i16| Value::Struct(Struct::new(src_inner.clone()).with("n", Value::Int16(n)));
        let value = Value::Struct(
            Struct::new(src.clone())
                .with("one", i(1))
                .with("many", Value::Array(vec![i(2), i(3)]))
                .with("byname", Value::Map(vec![(Value::from("k"), i(4))])),
        );
        let out = project(&src, &value, &tgt).unwrap();
        let s = out.as_struct().unwrap();
        let n_of = |v: &Value| v.as_struct().unwrap().get("n").cloned().unwrap();
        let note_of = |v: &Value| v.as_struct().unwrap().get("note").cloned().unwrap();
        assert_eq!(n_of(s.get("one").unwrap()), Value::Int64(1));
        assert_eq!(note_of(s.get("one").unwrap()), Value::Null);
        let Some(Value::Array(many)) = s.get("many") else {
            panic!("array")
        };
        assert_eq!(
            many.iter().map(n_of).collect::<Vec<_>>(),
            vec![Value::Int64(2), Value::Int64(3)]
        );
        let Some(Value::Map(m)) = s.get("byname") else {
            panic!("map")
        };
        assert_eq!(m[0].0, Value::from("k"));
        assert_eq!(n_of(&m[0].1), Value::Int64(4));
        // An error deep inside names the path.
        let bad = outer(inner(false, Schema::string()), 2);
        let e = project(&src, &value, &bad).unwrap_err().to_string();
        assert!(e.starts_with("field `one`: "), "{e}");
    }

    #[test]
    fn a_null_source_field_takes_the_source_default() {
        let src = SchemaBuilder::struct_()
            .field(
                "n",
                SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(4))
                    .build(),
            )
            .build();
        let tgt = SchemaBuilder::struct_()
            .field("n", Schema::optional_int64())
            .build();
        let out = project(&src, &Value::Struct(Struct::new(src.clone())), &tgt).unwrap();
        assert_eq!(out.as_struct().unwrap().get("n"), Some(&Value::Int64(4)));
    }

    fn rec(offset: i64, schema: &SchemaRef, value: Value) -> SinkRecord {
        crate::test_support::record(0, offset, Some(schema.clone()), value)
    }

    /// Feeds records to a tracker as the writer does: a file is open once
    /// a record was written to it, and closed by a rotation.
    fn run(tracker: &mut SchemaTracker, records: &[SinkRecord]) -> Vec<(bool, SinkRecord)> {
        let mut open = false;
        records
            .iter()
            .map(|r| {
                let a = tracker.admit(r, "partition=0", open).unwrap();
                open = true;
                (a.rotate, a.record.into_owned())
            })
            .collect()
    }

    #[test]
    fn backward_v1_v2_v1_gives_two_files_with_the_late_v1_projected() {
        let (s1, s2) = (v1(), v2());
        let records = vec![
            rec(0, &s1, user(&s1, 0)),
            rec(1, &s1, user(&s1, 1)),
            rec(2, &s2, user(&s2, 2)),
            rec(3, &s1, user(&s1, 3)),
        ];
        let out = run(
            &mut SchemaTracker::new(Compatibility::Backward, false),
            &records,
        );
        let rotations: Vec<bool> = out.iter().map(|(r, _)| *r).collect();
        assert_eq!(rotations, vec![false, false, true, false]);
        let late = &out[3].1;
        assert!(Arc::ptr_eq(late.value_schema.as_ref().unwrap(), &s2));
        let st = late.value.as_struct().unwrap();
        assert_eq!(st.get("id"), Some(&Value::Int32(3)));
        assert_eq!(st.get("email"), Some(&Value::Null));
        // The first records went through untouched.
        assert!(Arc::ptr_eq(out[0].1.value_schema.as_ref().unwrap(), &s1));
    }

    #[test]
    fn none_rotates_at_every_flip() {
        let (s1, s2) = (v1(), v2());
        let records = vec![
            rec(0, &s1, user(&s1, 0)),
            rec(1, &s2, user(&s2, 1)),
            rec(2, &s1, user(&s1, 2)),
        ];
        let out = run(
            &mut SchemaTracker::new(Compatibility::None, false),
            &records,
        );
        assert_eq!(
            out.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![false, true, true]
        );
    }

    #[test]
    fn forward_projects_newer_records_onto_the_older_file() {
        let (s1, s2) = (v1(), v2());
        let records = vec![
            rec(0, &s2, user(&s2, 0)),
            rec(1, &s1, user(&s1, 1)),
            rec(2, &s2, user(&s2, 2)),
        ];
        let out = run(
            &mut SchemaTracker::new(Compatibility::Forward, false),
            &records,
        );
        assert_eq!(
            out.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![false, true, false]
        );
        let st = out[2].1.value.as_struct().unwrap();
        assert_eq!(st.get("email"), None, "projected onto v1");
    }

    #[test]
    fn the_current_schema_outlives_a_commit() {
        let (s1, s2) = (v1(), v2());
        let mut t = SchemaTracker::new(Compatibility::Backward, false);
        let r0 = rec(0, &s2, user(&s2, 0));
        assert!(!t.admit(&r0, "p", false).unwrap().rotate);
        // The file was committed (flush.size); a v1 record starts the next
        // file and is projected onto v2.
        let r1 = rec(1, &s1, user(&s1, 1));
        let a = t.admit(&r1, "p", false).unwrap();
        assert!(!a.rotate);
        assert!(Arc::ptr_eq(a.record.value_schema.as_ref().unwrap(), &s2));
        // A newer schema arriving when no file is open needs no commit,
        // but becomes the file's schema.
        let s3 = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(3)
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .field("email", Schema::optional_string())
            .field("age", Schema::optional_int32())
            .build();
        let r2 = rec(
            2,
            &s3,
            Value::Struct(Struct::new(s3.clone()).with("id", 2).with("name", "x")),
        );
        let a = t.admit(&r2, "p", false).unwrap();
        assert!(!a.rotate);
        assert!(matches!(a.record, std::borrow::Cow::Borrowed(_)));
        let r3 = rec(3, &s2, user(&s2, 3));
        let a = t.admit(&r3, "p", true).unwrap();
        assert!(Arc::ptr_eq(a.record.value_schema.as_ref().unwrap(), &s3));
    }

    #[test]
    fn encoded_partitions_keep_their_own_schemas() {
        let (s1, s2) = (v1(), v2());
        let mut t = SchemaTracker::new(Compatibility::None, false);
        assert!(
            !t.admit(&rec(0, &s1, user(&s1, 0)), "a", false)
                .unwrap()
                .rotate
        );
        assert!(
            !t.admit(&rec(1, &s2, user(&s2, 1)), "b", false)
                .unwrap()
                .rotate
        );
        assert!(
            !t.admit(&rec(2, &s1, user(&s1, 2)), "a", true)
                .unwrap()
                .rotate
        );
        assert!(
            !t.admit(&rec(3, &s2, user(&s2, 3)), "b", true)
                .unwrap()
                .rotate
        );
        assert!(
            t.admit(&rec(4, &s2, user(&s2, 4)), "a", true)
                .unwrap()
                .rotate
        );
    }

    #[test]
    fn errors_name_the_record() {
        let unversioned = SchemaBuilder::struct_()
            .name("com.example.User")
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .build();
        let mut t = SchemaTracker::new(Compatibility::Backward, false);
        t.admit(&rec(0, &v1(), user(&v1(), 0)), "p", false).unwrap();
        let e = t
            .admit(&rec(7, &unversioned, user(&unversioned, 7)), "p", true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("orders-0@7"), "{e}");
        assert!(
            e.contains("Schema version required for BACKWARD compatibility"),
            "{e}"
        );

        // An older record lacking a required field of the file's schema.
        let v3 = SchemaBuilder::struct_()
            .name("com.example.User")
            .version(3)
            .field("id", Schema::int32())
            .field("name", Schema::string())
            .field("tier", Schema::string())
            .build();
        let mut t = SchemaTracker::new(Compatibility::Backward, false);
        let v3_value = Value::Struct(
            Struct::new(v3.clone())
                .with("id", 1)
                .with("name", "a")
                .with("tier", "gold"),
        );
        t.admit(&rec(0, &v3, v3_value), "p", false).unwrap();
        let e = t
            .admit(&rec(5, &v1(), user(&v1(), 5)), "p", true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("orders-0@5"), "{e}");
        assert!(e.contains("required field `tier`"), "{e}");
        assert!(e.contains("com.example.User (version 3)"), "{e}");
    }

    #[test]
    fn key_schemas_follow_the_same_rules_when_keys_are_stored() {
        let k1 = SchemaBuilder::struct_()
            .name("Key")
            .version(1)
            .field("id", Schema::int32())
            .build();
        let k2 = SchemaBuilder::struct_()
            .name("Key")
            .version(2)
            .field("id", Schema::int32())
            .field("region", Schema::optional_string())
            .build();
        let s1 = v1();
        let keyed = |offset: i64, ks: &SchemaRef| {
            let mut r = rec(offset, &s1, user(&s1, offset as i32));
            r.key_schema = Some(ks.clone());
            r.key = if ks.schema_type == SchemaType::Struct {
                Value::Struct(Struct::new(ks.clone()).with("id", offset as i32))
            } else {
                Value::from(format!("k{offset}"))
            };
            r
        };
        let records = vec![keyed(0, &k1), keyed(1, &k2), keyed(2, &k1)];
        let out = run(
            &mut SchemaTracker::new(Compatibility::Backward, true),
            &records,
        );
        assert_eq!(
            out.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![false, true, false]
        );
        assert!(Arc::ptr_eq(out[2].1.key_schema.as_ref().unwrap(), &k2));
        // Unversioned key schemas rotate rather than fail.
        let plain = SchemaBuilder::new(SchemaType::String).build();
        let other = SchemaBuilder::new(SchemaType::String).optional().build();
        let (a, b) = (keyed(0, &plain), keyed(1, &other));
        let out = run(
            &mut SchemaTracker::new(Compatibility::Backward, true),
            &[a.clone(), b.clone()],
        );
        assert!(out[1].0);
        // Without stored keys, key schemas do not matter.
        let out = run(
            &mut SchemaTracker::new(Compatibility::Backward, false),
            &[a, b],
        );
        assert!(!out[1].0);
    }
}
