//! `org.apache.kafka.connect.transforms.ReplaceField$Key` / `$Value`:
//! keeps only some fields of a struct or schemaless map (`include`),
//! drops others (`exclude`, which wins), and renames fields
//! (`renames=old:new,...`). `blacklist` / `whitelist` are the deprecated
//! names of `exclude` / `include`, used when the new key is not set.
//! Null keys / values (tombstones) pass unchanged.

use std::collections::{HashMap, HashSet};

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord, ConnectResult,
    Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef, Struct,
    Transformation, Validator, Value,
};

use crate::config::replace_null_with_default_key;
use crate::requirements::{require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, map_put, struct_with_fields};
use crate::TransformError;

/// Key: fields to drop (wins over `include`).
pub const EXCLUDE: &str = "exclude";
/// Key: the only fields to keep, if set.
pub const INCLUDE: &str = "include";
/// Key: `old:new` rename pairs.
pub const RENAMES: &str = "renames";
/// Key: whether null fields with a default are copied as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;
/// Deprecated key for `exclude`.
pub const BLACKLIST: &str = "blacklist";
/// Deprecated key for `include`.
pub const WHITELIST: &str = "whitelist";

const PURPOSE: &str = "field replacement";

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct ReplaceField {
    side: KeyOrValue,
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl ReplaceField {
    /// `ReplaceField$Key` or `ReplaceField$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        ReplaceField {
            side,
            exclude: HashSet::new(),
            include: HashSet::new(),
            renames: HashMap::new(),
            replace_null_with_default: true,
            cache: SchemaCache::default(),
        }
    }

    /// Whether a field is kept.
    fn filter(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    /// A field's new name.
    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// Kafka's `makeUpdatedSchema`: the kept fields, renamed.
    fn updated_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let kept = schema
            .fields
            .iter()
            .filter(|f| self.filter(&f.name))
            .map(|f| (self.renamed(&f.name), f.schema.clone()));
        struct_with_fields(copy_schema_basics(schema, SchemaBuilder::struct_()), kept)
    }
}

/// Kafka's `parseRenameMappings`: `old:new` pairs, each split at `:` into
/// exactly two parts (Java's `split`, which drops trailing empty parts).
fn parse_renames(mappings: &[String]) -> Result<HashMap<String, String>, String> {
    let mut renames = HashMap::new();
    for mapping in mappings {
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        match parts[..] {
            [from, to] => {
                renames.insert(from.to_string(), to.to_string());
            }
            _ => return Err(format!("Invalid rename mapping: {mapping}")),
        }
    }
    Ok(renames)
}

/// Kafka's `translateDeprecatedConfigs`: a deprecated key stands for the
/// new one when the new one is not set.
fn translate_deprecated(props: &PropertyMap) -> PropertyMap {
    let mut out: PropertyMap = props
        .iter()
        .filter(|(k, _)| ![BLACKLIST, WHITELIST].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (target, deprecated) in [(EXCLUDE, BLACKLIST), (INCLUDE, WHITELIST)] {
        if let (false, Some(v)) = (props.contains_key(target), props.get(deprecated)) {
            out.insert(target.to_string(), v.clone());
        }
    }
    out
}

impl Transformation for ReplaceField {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(EXCLUDE, ConfigType::List)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("Fields to exclude. This takes precedence over the fields to include."),
            )
            .define(
                ConfigKey::new(BLACKLIST, ConfigType::List)
                    .importance(Importance::Low)
                    .doc(format!("Deprecated. Use {EXCLUDE} instead.")),
            )
            .define(
                ConfigKey::new(INCLUDE, ConfigType::List)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("Fields to include. If specified, only these fields will be used."),
            )
            .define(
                ConfigKey::new(WHITELIST, ConfigType::List)
                    .importance(Importance::Low)
                    .doc(format!("Deprecated. Use {INCLUDE} instead.")),
            )
            .define(
                ConfigKey::new(RENAMES, ConfigType::List)
                    .default_value("")
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::List(items) => parse_renames(items).map(|_| ()),
                        _ => Ok(()),
                    }))
                    .importance(Importance::Medium)
                    .doc("Field rename mappings."),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(&translate_deprecated(props))?;
        self.exclude = c.list(EXCLUDE).iter().cloned().collect();
        self.include = c.list(INCLUDE).iter().cloned().collect();
        self.renames = parse_renames(c.list(RENAMES)).expect("validated by the config def");
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        self.cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = record.part(self.side);
        if value.is_null() {
            return Ok(Outcome::Keep);
        }
        let updated_schema = match schema {
            None => {
                require_map(value, PURPOSE)?;
                None
            }
            Some(schema) => {
                let s = require_struct(Some(schema), value, PURPOSE)?;
                let mut cache = std::mem::take(&mut self.cache);
                let updated = cache.get_or_derive(s.schema(), |s| self.updated_schema(s));
                self.cache = cache;
                Some(updated?)
            }
        };
        let (schema, value) = record.take(self.side);
        let updated = match value {
            Value::Map(entries) => {
                let mut kept = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    match k.as_str() {
                        Some(name) if self.filter(name) => {
                            map_put(&mut kept, self.renamed(name), v)
                        }
                        Some(_) => {}
                        // Only string keys can name a field; others are kept.
                        None => kept.push((k, v)),
                    }
                }
                Value::Map(kept)
            }
            Value::Struct(s) => {
                let updated = updated_schema.clone().expect("a struct has a schema");
                let fields = s.schema().fields.clone();
                let values: Vec<Value> = s
                    .into_values()
                    .into_iter()
                    .zip(&fields)
                    .filter(|(_, f)| self.filter(&f.name))
                    .map(|(v, f)| match &f.schema.default {
                        Some(d) if self.replace_null_with_default && v.is_null() => d.clone(),
                        _ => v,
                    })
                    .collect();
                Value::Struct(Struct::from_values(updated, values)?)
            }
            other => other,
        };
        record.set(self.side, updated_schema.or(schema), updated);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, record_with, SIDES};
    use ferry_api::{SchemaBuilder, SchemaType};

    fn four_fields() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("dont", Schema::string())
            .field("abc", Schema::int32())
            .field("foo", Schema::boolean())
            .field("etc", Schema::string())
            .build()
    }

    fn four_values() -> Value {
        map(vec![
            ("dont", "whatever".into()),
            ("abc", 42.into()),
            ("foo", true.into()),
            ("etc", "etc".into()),
        ])
    }

    // Kafka's ReplaceFieldTest, on keys and values.
    #[test]
    fn tombstones_pass_unchanged() {
        for side in SIDES {
            let mut t = configure(
                ReplaceField::new(side),
                &[(INCLUDE, "abc,foo"), (RENAMES, "abc:xyz,foo:bar")],
            );
            let mut r = record_with(side, None, Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (None, &Value::Null));
            let mut r = record_with(side, Some(four_fields()), Value::Null);
            t.apply(&mut r).unwrap();
            assert_eq!(r.part(side), (Some(&four_fields()), &Value::Null));
        }
    }

    #[test]
    fn schemaless() {
        for side in SIDES {
            let mut t = configure(
                ReplaceField::new(side),
                &[(EXCLUDE, "dont"), (RENAMES, "abc:xyz,foo:bar")],
            );
            let mut r = record_with(side, None, four_values());
            t.apply(&mut r).unwrap();
            let expected = map(vec![
                ("xyz", 42.into()),
                ("bar", true.into()),
                ("etc", "etc".into()),
            ]);
            assert_eq!(r.part(side), (None, &expected));
        }
    }

    #[test]
    fn with_schema() {
        for side in SIDES {
            let mut t = configure(
                ReplaceField::new(side),
                &[(INCLUDE, "abc,foo"), (RENAMES, "abc:xyz,foo:bar")],
            );
            let schema = four_fields();
            let value = Struct::new(schema.clone())
                .with("dont", "whatever")
                .with("abc", 42)
                .with("foo", true)
                .with("etc", "etc");
            let mut r = record_with(side, Some(schema), value.into());
            t.apply(&mut r).unwrap();
            let (schema, value) = r.part(side);
            let s = value.as_struct().unwrap();
            assert_eq!(s.schema().fields.len(), 2);
            assert_eq!(schema.unwrap(), s.schema());
            assert_eq!(s.get("xyz"), Some(&Value::Int32(42)));
            assert_eq!(s.get("bar"), Some(&Value::Boolean(true)));
        }
    }

    #[test]
    fn replace_null_with_default() {
        for side in SIDES {
            for (replace, expected) in [("false", Value::Null), ("true", Value::Int32(42))] {
                let mut t = configure(
                    ReplaceField::new(side),
                    &[
                        (INCLUDE, "abc"),
                        (RENAMES, "abc:optional_with_default"),
                        (REPLACE_NULL_WITH_DEFAULT, replace),
                    ],
                );
                let abc = SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(42.into())
                    .build();
                let schema = SchemaBuilder::struct_().field("abc", abc).build();
                let mut r = record_with(side, Some(schema.clone()), Struct::new(schema).into());
                t.apply(&mut r).unwrap();
                let s = r.part(side).1.as_struct().unwrap();
                assert_eq!(s.schema().fields.len(), 1);
                assert_eq!(s.get("optional_with_default"), Some(&expected));
            }
        }
    }

    // Kafka 3.x's ReplaceFieldTest (blacklist / whitelist, removed in 4.0).
    #[test]
    fn deprecated_keys_still_work() {
        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(WHITELIST, "abc,foo"), (RENAMES, "abc:xyz,foo:bar")],
        );
        let mut r = record_with(KeyOrValue::Value, None, Value::Null);
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, Value::Null);
        assert_eq!(r.value_schema, None);

        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(BLACKLIST, "dont"), (RENAMES, "abc:xyz,foo:bar")],
        );
        let mut r = record_with(KeyOrValue::Value, None, four_values());
        t.apply(&mut r).unwrap();
        let expected = map(vec![
            ("xyz", 42.into()),
            ("bar", true.into()),
            ("etc", "etc".into()),
        ]);
        assert_eq!(r.value, expected);
    }

    // Beyond Kafka's cases.
    #[test]
    fn the_new_key_wins_over_the_deprecated_one() {
        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(WHITELIST, "abc"), (INCLUDE, "foo")],
        );
        let mut r = record_with(KeyOrValue::Value, None, four_values());
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![("foo", true.into())]));
    }

    #[test]
    fn exclude_wins_over_include() {
        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(INCLUDE, "abc,foo"), (EXCLUDE, "foo")],
        );
        let mut r = record_with(KeyOrValue::Value, None, four_values());
        t.apply(&mut r).unwrap();
        assert_eq!(r.value, map(vec![("abc", 42.into())]));
    }

    #[test]
    fn fields_can_swap_names() {
        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(RENAMES, "abc:etc,etc:abc")],
        );
        let schema = four_fields();
        let value = Struct::new(schema.clone())
            .with("dont", "d")
            .with("abc", 1)
            .with("foo", false)
            .with("etc", "e");
        let mut r = record_with(KeyOrValue::Value, Some(schema), value.into());
        t.apply(&mut r).unwrap();
        let s = r.value.as_struct().unwrap();
        assert_eq!(s.get("etc"), Some(&Value::Int32(1)));
        assert_eq!(s.get("abc"), Some(&Value::from("e")));
        let names: Vec<&str> = s.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["dont", "etc", "foo", "abc"]);
    }

    #[test]
    fn a_rename_onto_a_kept_field_is_refused() {
        let mut t = configure(
            ReplaceField::new(KeyOrValue::Value),
            &[(RENAMES, "abc:etc")],
        );
        let schema = four_fields();
        let mut r = record_with(
            KeyOrValue::Value,
            Some(schema.clone()),
            Struct::new(schema).into(),
        );
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Cannot create field because of field name duplication etc"
        );
    }

    #[test]
    fn a_bad_rename_is_refused_naming_the_key() {
        for bad in ["abc", "a:b:c", "a:", "::"] {
            let errors = ReplaceField::new(KeyOrValue::Value)
                .configure(&ferry_api::property_map([(RENAMES, bad)]))
                .unwrap_err();
            assert_eq!(errors.0[0].key, RENAMES);
            assert!(
                errors.0[0].reason.starts_with("Invalid rename mapping: "),
                "{bad}"
            );
        }
        assert_eq!(
            parse_renames(&[":b".to_string()]).unwrap(),
            HashMap::from([(String::new(), "b".to_string())])
        );
    }

    #[test]
    fn a_wrong_shape_is_a_data_error() {
        let mut t = configure(ReplaceField::new(KeyOrValue::Value), &[(EXCLUDE, "a")]);
        let mut r = record_with(KeyOrValue::Value, None, 1.into());
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [field replacement], found: \
             java.lang.Integer"
        );
    }
}
