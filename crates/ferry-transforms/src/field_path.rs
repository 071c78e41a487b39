//! Field paths into structs and maps (Kafka's `transforms.field`,
//! KIP-821): `field.syntax.version=V1` names a top-level field as written;
//! `V2` reads `a.b.c` as nested steps, with backticks around names that
//! hold dots (`` `a.b`.c ``) and `` \` `` for a backtick before a dot.

use ferry_api::{
    ConfigKey, ConfigType, ConfigValue, Field, Importance, ParsedConfig, Schema, Struct, Validator,
    Value,
};

use crate::requirements::{require_map_or_null, require_struct_or_null};
use crate::TransformError;

/// Key: the field path syntax, `V1` (default) or `V2`.
pub const FIELD_SYNTAX_VERSION: &str = "field.syntax.version";

/// Where nested steps are checked, as Kafka names it in messages.
const NESTED: &str = "nested field access";

/// The field path syntax (Kafka's `FieldSyntaxVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldSyntaxVersion {
    /// Only top-level fields; the path is one field name.
    V1,
    /// Dotted paths with backtick quoting.
    V2,
}

impl FieldSyntaxVersion {
    /// The `field.syntax.version` key, for a transform's `ConfigDef`.
    pub(crate) fn config_key() -> ConfigKey {
        ConfigKey::new(FIELD_SYNTAX_VERSION, ConfigType::String)
            .default_value("V1")
            .validator(Validator::custom(|v| match v {
                ConfigValue::String(s)
                    if s.eq_ignore_ascii_case("V1") || s.eq_ignore_ascii_case("V2") =>
                {
                    Ok(())
                }
                ConfigValue::String(_) => {
                    Err("String must be one of (case insensitive): V1, V2".to_string())
                }
                _ => Ok(()),
            }))
            .importance(Importance::High)
            .doc(
                "Defines the version of the syntax to access fields. If set to `V1`, then the \
                 field paths are limited to access the elements at the root level of the struct \
                 or map. If set to `V2`, the syntax will support accessing nested elements. To \
                 access nested elements, dotted notation is used. If dots are already included \
                 in the field name, then backtick pairs can be used to wrap field names \
                 containing dots. E.g. to access the subfield `baz` from a field named \
                 \"foo.bar\" in a struct/map the following format can be used to access its \
                 elements: \"`foo.bar`.baz\".",
            )
    }

    /// The version a parsed config holds (validated by [`Self::config_key`]).
    pub(crate) fn from_config(config: &ParsedConfig) -> Self {
        match config.string(FIELD_SYNTAX_VERSION) {
            Some(s) if s.eq_ignore_ascii_case("V2") => FieldSyntaxVersion::V2,
            _ => FieldSyntaxVersion::V1,
        }
    }
}

/// A value found by a path: where it is, so it can be moved out of an
/// owned copy, or a schema default that must be cloned.
#[derive(Debug, PartialEq)]
pub(crate) struct Found<'a> {
    /// The value.
    pub(crate) value: &'a Value,
    /// Struct value / map entry indices leading to it from the root, or
    /// `None` when it lies in a schema default rather than in the data.
    pub(crate) path: Option<Vec<usize>>,
}

/// One or more field names leading into nested structs or maps (Kafka's
/// `SingleFieldPath`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingleFieldPath {
    steps: Vec<String>,
}

impl SingleFieldPath {
    /// Parses `text` in the given syntax; the error is Kafka's reason.
    pub(crate) fn parse(text: &str, version: FieldSyntaxVersion) -> Result<Self, String> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![text.to_string()],
            FieldSyntaxVersion::V2 => parse_v2(text)?,
        };
        Ok(SingleFieldPath { steps })
    }

    /// The steps, first to last.
    #[cfg(test)]
    pub(crate) fn steps(&self) -> &[String] {
        &self.steps
    }

    fn split(&self) -> Option<(&[String], &str)> {
        self.steps
            .split_last()
            .map(|(last, init)| (init, last.as_str()))
    }

    /// The field the path names in a STRUCT schema, if every step exists.
    pub(crate) fn field_from<'s>(&self, schema: &'s Schema) -> Option<&'s Field> {
        let (init, last) = self.split()?;
        let mut current = schema;
        for step in init {
            current = &current.field(step)?.schema;
        }
        current.field(last)
    }

    /// The value at the path in a struct; `None` when a step is missing or
    /// null. Null intermediate structs read as their default; the last
    /// field does when `with_default` (Kafka's `valueFrom(struct,
    /// withDefault)`).
    pub(crate) fn value_from_struct<'a>(
        &self,
        root: &'a Struct,
        with_default: bool,
    ) -> Result<Option<Found<'a>>, TransformError> {
        let Some((init, last)) = self.split() else {
            return Ok(None);
        };
        let mut current = root;
        let mut path = Some(Vec::new());
        for step in init {
            let Some(field) = current.schema().field(step) else {
                return Ok(None);
            };
            let (sub, in_data) = with_default_of(current, field, true);
            path = path.filter(|_| in_data).map(|mut p| {
                p.push(field.index);
                p
            });
            match require_struct_or_null(Some(&field.schema), sub, NESTED)? {
                Some(s) => current = s,
                None => return Ok(None),
            }
        }
        let Some(field) = current.schema().field(last) else {
            return Ok(None);
        };
        let (value, in_data) = with_default_of(current, field, with_default);
        let path = path.filter(|_| in_data).map(|mut p| {
            p.push(field.index);
            p
        });
        Ok(Some(Found { value, path }))
    }

    /// The value at the path in a schemaless map; `None` when absent
    /// (Kafka's `valueFrom(map)`).
    pub(crate) fn value_from_map<'a>(
        &self,
        root: &'a [(Value, Value)],
    ) -> Result<Option<Found<'a>>, TransformError> {
        let Some((init, last)) = self.split() else {
            return Ok(None);
        };
        let mut current = root;
        let mut path = Vec::new();
        for step in init {
            let Some(i) = position(current, step) else {
                return Ok(None);
            };
            path.push(i);
            match require_map_or_null(&current[i].1, NESTED)? {
                Some(m) => current = m,
                None => return Ok(None),
            }
        }
        Ok(position(current, last).map(|i| {
            path.push(i);
            Found {
                value: &current[i].1,
                path: Some(path),
            }
        }))
    }
}

/// A field's value, or its schema default when null and `with_default`;
/// the flag says whether the value is the data's own.
fn with_default_of<'a>(s: &'a Struct, field: &'a Field, with_default: bool) -> (&'a Value, bool) {
    let v = &s.values()[field.index];
    match &field.schema.default {
        Some(default) if with_default && v.is_null() => (default, false),
        _ => (v, true),
    }
}

fn position(entries: &[(Value, Value)], key: &str) -> Option<usize> {
    entries.iter().position(|(k, _)| k.as_str() == Some(key))
}

/// Moves the value at `path` (from [`Found::path`]) out of `root`.
pub(crate) fn take_at(root: Value, path: &[usize]) -> Value {
    let mut current = root;
    for &i in path {
        current = match current {
            Value::Struct(s) => s.into_values().swap_remove(i),
            Value::Map(entries) => entries
                .into_iter()
                .nth(i)
                .map(|(_, v)| v)
                .unwrap_or_default(),
            _ => Value::Null,
        };
    }
    current
}

/// Kafka's `buildFieldPathV2`: steps split at dots, a step wrapped in
/// backticks may hold dots, `` \` `` before a dot is a literal backtick.
fn parse_v2(path: &str) -> Result<Vec<String>, String> {
    const BACKTICK: char = '`';
    const DOT: char = '.';
    const BACKSLASH: char = '\\';
    let chars: Vec<char> = path.chars().collect();
    let len = chars.len();
    let find = |c: char, from: usize| (from..len).find(|&i| chars[i] == c);
    let slice = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let incomplete = |at: usize| {
        format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before \
             backtick at position {at} to escape it"
        )
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < len {
        if chars[idx] != BACKTICK {
            let start = idx;
            match find(DOT, idx) {
                Some(dot) => {
                    steps.push(slice(start, dot));
                    idx = dot + 1;
                }
                None => {
                    steps.push(slice(start, len));
                    idx = len;
                }
            }
        } else {
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                let Some(close) = find(BACKTICK, idx) else {
                    return Err(incomplete(backtick_at));
                };
                idx = close;
                let escaped = chars[idx - 1] == BACKSLASH;
                if idx >= len - 1 {
                    if escaped {
                        return Err(incomplete(backtick_at));
                    }
                    field.push_str(&slice(start, idx));
                    steps.push(field);
                    idx += 1;
                    break;
                }
                if chars[idx + 1] != DOT {
                    idx += 1;
                    continue;
                }
                if escaped {
                    field.push_str(&slice(start, idx - 1));
                    field.push(BACKTICK);
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.push_str(&slice(start, idx));
                steps.push(field);
                idx += 2;
                break;
            }
        }
    }
    if path.ends_with(DOT) {
        steps.push(String::new());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::SchemaBuilder;

    fn v2(path: &str) -> SingleFieldPath {
        SingleFieldPath::parse(path, FieldSyntaxVersion::V2).unwrap()
    }

    fn steps(path: &str) -> Vec<String> {
        v2(path).steps().to_vec()
    }

    // Kafka's FieldPathNotationTest.
    #[test]
    fn v1_paths_are_one_step_whatever_they_hold() {
        for path in ["foo.bar.baz", "foo`bar`", "foo.`bar.baz`"] {
            let p = SingleFieldPath::parse(path, FieldSyntaxVersion::V1).unwrap();
            assert_eq!(p.steps(), [path]);
        }
    }

    #[test]
    fn v2_paths_split_at_dots_and_keep_empty_names() {
        assert_eq!(steps(".."), ["", "", ""]);
        assert_eq!(steps("foo.."), ["foo", "", ""]);
        assert_eq!(steps(".bar."), ["", "bar", ""]);
        assert_eq!(steps("..baz"), ["", "", "baz"]);
        assert!(steps("").is_empty());
        assert_eq!(steps("foobarbaz"), ["foobarbaz"]);
        assert_eq!(steps("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(steps("foo`bar`baz"), ["foo`bar`baz"]);
    }

    #[test]
    fn v2_backticks_wrap_names_with_dots() {
        assert_eq!(steps("`foo.bar.baz`"), ["foo.bar.baz"]);
        assert_eq!(steps("foo.`bar.baz`"), ["foo", "bar.baz"]);
        assert_eq!(steps("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(steps("foo.`bar`.baz"), ["foo", "bar", "baz"]);
        assert_eq!(steps("foo.``bar.baz`"), ["foo", "`bar.baz"]);
        assert_eq!(steps("foo.`bar.baz``"), ["foo", "bar.baz`"]);
        assert_eq!(steps("foo.`ba`r.baz`"), ["foo", "ba`r.baz"]);
        assert_eq!(steps("foo.ba`r.baz"), ["foo", "ba`r", "baz"]);
        assert_eq!(steps("foo.``bar``.baz"), ["foo", "`bar`", "baz"]);
        assert_eq!(steps("``foo.bar.baz``"), ["`foo.bar.baz`"]);
    }

    #[test]
    fn v2_escaped_backticks() {
        assert_eq!(steps("foo.`bar\\`.baz`"), ["foo", "bar`.baz"]);
        assert_eq!(steps("foo.`bar.`baz`"), ["foo", "bar.`baz"]);
        assert_eq!(steps("foo.`bar\\`.`baz`"), ["foo", "bar`.`baz"]);
        assert_eq!(steps("foo.`bar\\\\`.\\`baz`"), ["foo", "bar\\`.\\`baz"]);
    }

    #[test]
    fn v2_incomplete_backticks_are_refused() {
        for (path, at) in [
            ("`foo.bar.baz", 0),
            ("foo.`bar.baz", 4),
            ("foo.bar.`baz", 8),
            ("foo.bar.`baz\\`", 8),
        ] {
            assert_eq!(
                SingleFieldPath::parse(path, FieldSyntaxVersion::V2).unwrap_err(),
                format!(
                    "Incomplete backtick pair in path: [{path}], consider adding a backslash \
                     before backtick at position {at} to escape it"
                )
            );
        }
    }

    // Kafka's FieldSyntaxVersionTest.
    #[test]
    fn the_version_key_is_case_insensitive_and_defaults_to_v1() {
        let def = ferry_api::ConfigDef::new().define(FieldSyntaxVersion::config_key());
        let parse = |v: &str| {
            def.parse(&ferry_api::property_map([(FIELD_SYNTAX_VERSION, v)]))
                .map(|c| FieldSyntaxVersion::from_config(&c))
        };
        for (input, version) in [
            ("v1", FieldSyntaxVersion::V1),
            ("v2", FieldSyntaxVersion::V2),
            ("V1", FieldSyntaxVersion::V1),
            ("V2", FieldSyntaxVersion::V2),
        ] {
            assert_eq!(parse(input).unwrap(), version);
        }
        for input in ["v3", "V 1", "v", "V 2", "2", "1"] {
            let errors = parse(input).unwrap_err();
            assert_eq!(
                errors.0[0].reason,
                "String must be one of (case insensitive): V1, V2"
            );
        }
        let c = def.parse(&Default::default()).unwrap();
        assert_eq!(FieldSyntaxVersion::from_config(&c), FieldSyntaxVersion::V1);
    }

    // Kafka's SingleFieldPathTest.
    #[test]
    fn fields_are_found_in_nested_schemas() {
        let bar = SchemaBuilder::struct_()
            .field("bar", ferry_api::Schema::int32())
            .build();
        let schema = SchemaBuilder::struct_().field("foo", bar.clone()).build();
        assert_eq!(v2("foo.bar").field_from(&schema), bar.field("bar"));
        assert_eq!(v2("foo").field_from(&schema), schema.field("foo"));
        assert_eq!(v2("un.known").field_from(&schema), None);
        assert_eq!(v2("foo.unknown").field_from(&schema), None);
        assert_eq!(v2("unknown").field_from(&schema), None);
    }

    fn value<'a>(found: Result<Option<Found<'a>>, TransformError>) -> Option<&'a Value> {
        found.unwrap().map(|f| f.value).filter(|v| !v.is_null())
    }

    #[test]
    fn values_are_found_in_nested_maps() {
        let map = Value::Map(vec![(
            "foo".into(),
            Value::Map(vec![
                ("bar".into(), Value::Int32(42)),
                ("baz".into(), Value::Null),
            ]),
        )]);
        let Value::Map(m) = &map else { unreachable!() };
        assert_eq!(
            value(v2("foo.bar").value_from_map(m)),
            Some(&Value::Int32(42))
        );
        for path in [
            "foo.baz",
            "un.known",
            "foo.unknown",
            "unknown",
            "foo.baz.inner",
        ] {
            assert_eq!(value(v2(path).value_from_map(m)), None, "{path}");
        }
        let found = v2("foo.bar").value_from_map(m).unwrap().unwrap();
        assert_eq!(take_at(map.clone(), &found.path.unwrap()), Value::Int32(42));
    }

    #[test]
    fn values_are_found_in_nested_structs() {
        let baz = SchemaBuilder::struct_()
            .field("inner", ferry_api::Schema::string())
            .optional()
            .build();
        let bar = SchemaBuilder::struct_()
            .field("bar", ferry_api::Schema::int32())
            .field("baz", baz)
            .build();
        let schema = SchemaBuilder::struct_().field("foo", bar.clone()).build();
        let foo = Struct::new(bar).with("bar", 42);
        let root = Struct::new(schema).with("foo", foo);
        assert_eq!(
            value(v2("foo.bar").value_from_struct(&root, true)),
            Some(&Value::Int32(42))
        );
        for path in [
            "foo.baz",
            "un.known",
            "foo.unknown",
            "unknown",
            "foo.baz.inner",
        ] {
            assert_eq!(
                value(v2(path).value_from_struct(&root, true)),
                None,
                "{path}"
            );
        }
        let found = v2("foo.bar")
            .value_from_struct(&root, true)
            .unwrap()
            .unwrap();
        assert_eq!(found.path.as_deref(), Some(&[0, 0][..]));
        assert_eq!(
            take_at(Value::Struct(root.clone()), &[0, 0]),
            Value::Int32(42)
        );
    }

    #[test]
    fn a_non_struct_step_is_a_data_error() {
        let map = [("foo".into(), Value::Int32(1))];
        let err = v2("foo.bar").value_from_map(&map).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [nested field access], found: \
             java.lang.Integer"
        );
    }
}
