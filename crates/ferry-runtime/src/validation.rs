//! `PUT /connector-plugins/{plugin}/config/validate` and
//! `GET /connector-plugins/{plugin}/config`: Kafka Connect's `ConfigInfos`
//! and `ConfigKeyInfo` shapes, built from the connector's own config
//! definition, the keys every connector has, and the problems
//! [`crate::herder::StandaloneHerder::prepare`] finds (converters,
//! transforms and topic creation included).

use std::collections::BTreeMap;

use ferry_api::config::{ConfigDef, ConfigKey, DefaultValue};
use ferry_api::{ConfigError, PropertyMap};
use serde_json::{json, Value};

/// One key's definition, as Kafka's `ConfigKeyInfo`.
pub fn key_info(key: &ConfigKey, order: usize) -> Value {
    let (required, default) = match &key.default {
        DefaultValue::Required => (true, Value::Null),
        DefaultValue::Null => (false, Value::Null),
        DefaultValue::Value(v) if key.config_type == ferry_api::ConfigType::Password => {
            (false, json!(if v.is_empty() { "" } else { "[hidden]" }))
        }
        DefaultValue::Value(v) => (false, json!(v)),
    };
    json!({
        "name": key.name,
        "type": key.config_type.connect_name(),
        "required": required,
        "default_value": default,
        "importance": key.importance.connect_name(),
        "documentation": key.documentation,
        "group": key.group,
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
        "order": order,
    })
}

/// Every key of a plugin's definition (`GET /connector-plugins/{p}/config`).
pub fn definitions(def: &ConfigDef) -> Value {
    Value::Array(
        def.keys()
            .iter()
            .enumerate()
            .map(|(i, k)| key_info(k, i))
            .collect(),
    )
}

/// The `ConfigInfos` of a submitted config: every defined key with its
/// value and errors, then every other key a problem was found with.
pub fn config_infos(
    class: &str,
    def: &ConfigDef,
    props: &PropertyMap,
    errors: &[ConfigError],
) -> Value {
    let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for e in errors {
        by_key
            .entry(e.key.as_str())
            .or_default()
            .push(e.to_string());
    }
    let value_of = |key: &ConfigKey| -> Value {
        match props.get(&key.name) {
            Some(_) if key.config_type == ferry_api::ConfigType::Password => json!("[hidden]"),
            Some(v) => json!(v),
            None => match &key.default {
                DefaultValue::Value(v) if key.config_type != ferry_api::ConfigType::Password => {
                    json!(v)
                }
                _ => Value::Null,
            },
        }
    };
    let mut configs = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for (i, key) in def.keys().iter().enumerate() {
        if let Some(g) = &key.group {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        configs.push(json!({
            "definition": key_info(key, i),
            "value": {
                "name": key.name,
                "value": value_of(key),
                "recommended_values": [],
                "errors": by_key.remove(key.name.as_str()).unwrap_or_default(),
                "visible": true,
            }
        }));
    }
    // Problems with keys no definition lists (transforms.*, converters'
    // own settings, topic.creation.*).
    for (key, errs) in by_key {
        configs.push(json!({
            "definition": {"name": key, "type": "STRING", "required": false, "default_value": null,
                "importance": "MEDIUM", "documentation": "", "group": null, "width": "NONE",
                "display_name": key, "dependents": [], "order": -1},
            "value": {"name": key, "value": props.get(key), "recommended_values": [], "errors": errs, "visible": true}
        }));
    }
    let error_count = errors.len();
    json!({"name": class, "error_count": error_count, "groups": groups, "configs": configs})
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::config::{ConfigType, Importance};
    use ferry_api::property_map;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("file", ConfigType::String)
                    .required()
                    .group("Common")
                    .importance(Importance::High)
                    .doc("The file."),
            )
            .define(
                ConfigKey::new("secret", ConfigType::Password)
                    .default_value("")
                    .doc("A secret."),
            )
    }

    #[test]
    fn infos_list_every_key_with_its_value_errors_and_hide_secrets() {
        let props = property_map([
            ("file", ""),
            ("secret", "hunter2"),
            ("transforms.x.type", "Nope"),
        ]);
        let errors = vec![
            ConfigError::new("file", Some(""), "must not be empty"),
            ConfigError::new("transforms.x.type", Some("Nope"), "unknown transformation"),
        ];
        let v = config_infos("FileStreamSink", &def(), &props, &errors);
        assert_eq!(v["error_count"], 2);
        assert_eq!(v["groups"], json!(["Common"]));
        let configs = v["configs"].as_array().unwrap();
        assert_eq!(configs[0]["definition"]["required"], true);
        assert_eq!(configs[0]["value"]["errors"].as_array().unwrap().len(), 1);
        assert_eq!(configs[1]["value"]["value"], "[hidden]");
        assert!(!v.to_string().contains("hunter2"));
        assert_eq!(configs[2]["value"]["name"], "transforms.x.type");
        assert_eq!(definitions(&def())[1]["type"], "PASSWORD");
    }
}
