//! Debezium's `ByLogicalTableRouterTest` (3.6) as golden cases, then
//! Ferry's own (envelopes, schema identity, errors).

use std::sync::Arc;

use ferry_api::{Schema, SchemaBuilder, SourceRecord, Struct, Transformation, Value};

use super::*;
use crate::debezium::test_events::{envelope_schema, event, source, source_schema, NOW};
use crate::test_support::{configured, sink_record};

fn router(pairs: &[(&str, &str)]) -> ByLogicalTableRouter {
    configured(pairs)
}

fn refused(pairs: &[(&str, &str)]) -> ConfigErrors {
    ByLogicalTableRouter::default()
        .configure(&ferry_api::property_map(pairs.iter().copied()))
        .unwrap_err()
}

fn route(t: &mut ByLogicalTableRouter, mut r: SourceRecord) -> SourceRecord {
    assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
    r
}

fn keyed(topic: &str, key_schema: &SchemaRef, key: Struct) -> SourceRecord {
    SourceRecord::new(
        Default::default(),
        Default::default(),
        topic,
        None,
        Value::Null,
    )
    .with_key(Some(key_schema.clone()), Value::Struct(key))
}

fn field_names(s: &Option<SchemaRef>) -> Vec<String> {
    s.as_ref()
        .unwrap()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect()
}

fn key_get<'a>(r: &'a SourceRecord, f: &str) -> &'a Value {
    r.key.as_struct().unwrap().get(f).unwrap()
}

#[test]
fn test_broken_key_replacement_configuration_null_and_empty_value() {
    let base = [
        (TOPIC_REGEX, "someValidRegex(.*)"),
        (TOPIC_REPLACEMENT, "$1"),
        (
            KEY_FIELD_REGEX,
            "If this is set, key.field.replacement must be non-empty",
        ),
    ];
    for extra in [None, Some((KEY_FIELD_REPLACEMENT, ""))] {
        let mut pairs = base.to_vec();
        pairs.extend(extra);
        let err = refused(&pairs);
        let e = err.iter().next().unwrap();
        assert_eq!(e.key, KEY_FIELD_REPLACEMENT);
        assert!(
            err.to_string()
                .contains("key.field.replacement must be non-empty if key.field.regex is set."),
            "{err}"
        );
    }
}

fn key_replacement_working_configuration(mode: &str, expected_key_schema_name: &str) {
    let mut t = router(&[
        (TOPIC_REGEX, "(.*)customers_shard(.*)"),
        (TOPIC_REPLACEMENT, "$1customers_all_shards"),
        (KEY_FIELD_NAME, "shard_id"),
        (KEY_FIELD_REGEX, "(.*)customers_shard_(.*)"),
        (KEY_FIELD_REPLACEMENT, "$2"),
        (SCHEMA_NAME_ADJUSTMENT_MODE, mode),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .name("mysql-server-1.inventory.customers_shard_1.Key")
        .field("id", Schema::int64())
        .build();
    let cases = [
        ("mysql-server-1.inventory.customers_shard_1", 123i64, "1"),
        ("mysql-server-1.inventory.customers_shard_2", 123, "2"),
        ("mysql-server-1.inventory.customers_shard_2", 456, "2"),
    ];
    for (topic, id, shard) in cases {
        let key = Struct::new(key_schema.clone()).with("id", id);
        let out = route(&mut t, keyed(topic, &key_schema, key));
        assert_eq!(out.topic, "mysql-server-1.inventory.customers_all_shards");
        assert_eq!(
            out.key_schema.as_ref().unwrap().name.as_deref(),
            Some(expected_key_schema_name)
        );
        assert_eq!(field_names(&out.key_schema), ["id", "shard_id"]);
        assert_eq!(key_get(&out, "id"), &Value::Int64(id));
        assert_eq!(key_get(&out, "shard_id"), &Value::from(shard));
    }
}

#[test]
fn test_key_replacement_working_configuration_with_avro_schema_name_adjustment() {
    key_replacement_working_configuration(
        "avro",
        "mysql_server_1.inventory.customers_all_shards.Key",
    );
}

#[test]
fn test_key_replacement_working_configuration_with_no_schema_name_adjustment() {
    key_replacement_working_configuration(
        "none",
        "mysql-server-1.inventory.customers_all_shards.Key",
    );
}

#[test]
fn test_heartbeat_message_topic_replacement_topic() {
    let replaced = "debezium_heartbeat_central";
    let mut t = router(&[
        (TOPIC_REGEX, "__debezium-heartbeat(.*)"),
        (TOPIC_REPLACEMENT, replaced),
        (KEY_FIELD_NAME, "originalTopic"),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.ServerNameKey")
        .field("serverName", Schema::string())
        .build();
    for server in ["test_server_name_db", "test_server_name_db_2"] {
        let key = Struct::new(key_schema.clone()).with("serverName", server);
        let topic = format!("__debezium-heartbeat.{server}");
        let out = route(&mut t, keyed(&topic, &key_schema, key));
        assert_eq!(out.topic, replaced);
        assert_eq!(
            out.key_schema.as_ref().unwrap().name.as_deref(),
            Some("debezium_heartbeat_central.Key")
        );
        assert_eq!(
            field_names(&out.key_schema),
            ["serverName", "originalTopic"]
        );
        assert_eq!(key_get(&out, "serverName"), &Value::from(server));
        assert_eq!(key_get(&out, "originalTopic"), &Value::from(topic.as_str()));
        assert_eq!(out.value, Value::Null);
    }
}

#[test]
fn test_broken_topic_replacement_configuration_null_and_empty_value() {
    let err = refused(&[(TOPIC_REGEX, "someValidRegex(.*)")]);
    assert_eq!(err.iter().next().unwrap().key, TOPIC_REPLACEMENT, "{err}");
    let err = refused(&[(TOPIC_REGEX, "someValidRegex(.*)"), (TOPIC_REPLACEMENT, "")]);
    assert_eq!(err.iter().next().unwrap().key, TOPIC_REPLACEMENT, "{err}");
    assert!(err.to_string().contains("A value is required"), "{err}");
}

#[test]
fn test_key_null_value() {
    let mut t = router(&[
        (TOPIC_REGEX, "(.*)customers_shard(.*)"),
        (TOPIC_REPLACEMENT, "$1customers_all_shards"),
        (KEY_FIELD_NAME, "shard_id"),
        (KEY_FIELD_REGEX, "(.*)customers_shard_(.*)"),
        (KEY_FIELD_REPLACEMENT, "$2"),
    ]);
    let r = SourceRecord::new(
        Default::default(),
        Default::default(),
        "mysql-server-1.inventory.customers_shard_1",
        None,
        Value::Null,
    );
    let out = route(&mut t, r);
    assert_eq!(out.topic, "mysql-server-1.inventory.customers_all_shards");
    assert!(out.key_schema.is_none());
    assert_eq!(out.key, Value::Null);
}

#[test]
fn test_namespace_replacement_without_key_change() {
    let mut t = router(&[
        (TOPIC_REGEX, r"(.*).dbz_shard_\d+.(.*)"),
        (TOPIC_REPLACEMENT, "dbz_core.$2"),
        (KEY_ENFORCE_UNIQUENESS, "false"),
    ]);
    for (shard, topic) in [
        ("s21.dbz_shard_21.address.Key", "s21.dbz_shard_21.address"),
        ("s22.dbz_shard_22.address.Key", "s22.dbz_shard_22.address"),
    ] {
        let key_schema = SchemaBuilder::struct_()
            .name(shard)
            .field("id", Schema::int64())
            .build();
        let key = Struct::new(key_schema.clone()).with("id", 123i64);
        let out = route(&mut t, keyed(topic, &key_schema, key));
        assert_eq!(out.topic, "dbz_core.address");
        assert_eq!(
            out.key_schema.as_ref().unwrap().name.as_deref(),
            Some("dbz_core.address.Key")
        );
        assert_eq!(field_names(&out.key_schema), ["id"]);
        assert_eq!(key_get(&out, "id"), &Value::Int64(123));
    }
}

#[test]
fn should_handle_schema_change_event() {
    let mut t = router(&[(TOPIC_REGEX, "(.*)"), (TOPIC_REPLACEMENT, "$1_rerouted")]);
    let key_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeKey")
        .field("databaseName", Schema::string())
        .build();
    let value_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.mysql.SchemaChangeValue")
        .field("databaseName", Schema::optional_string())
        .build();
    let value = Value::Struct(Struct::new(value_schema.clone()).with("databaseName", "my-db"));
    let r = SourceRecord::new(
        Default::default(),
        Default::default(),
        "schema_changes",
        Some(value_schema.clone()),
        value.clone(),
    )
    .with_key(
        Some(key_schema.clone()),
        Value::Struct(Struct::new(key_schema).with("databaseName", "my-db")),
    );
    let out = route(&mut t, r);
    assert_eq!(out.topic, "schema_changes_rerouted");
    assert_eq!(out.value, value);
    assert!(Arc::ptr_eq(
        out.value_schema.as_ref().unwrap(),
        &value_schema
    ));
}

#[test]
fn should_preserve_null_for_nullable_field_with_non_null_default() {
    let mut t = router(&[
        (TOPIC_REGEX, r"(.+)\.(.+)\.(.+)"),
        (TOPIC_REPLACEMENT, "$1.$3"),
        (KEY_ENFORCE_UNIQUENESS, "false"),
    ]);
    let flag = SchemaBuilder::new(ferry_api::SchemaType::Int16)
        .optional()
        .default_value(Value::Int16(0))
        .build();
    let key_schema = SchemaBuilder::struct_()
        .name("shard_1.inventory.customers.Key")
        .field("id", Schema::int64())
        .field("flag", flag.clone())
        .build();
    let value_schema = SchemaBuilder::struct_()
        .name("shard_1.inventory.customers.Value")
        .field("id", Schema::int64())
        .field("flag", flag)
        .build();
    let src_schema = SchemaBuilder::struct_()
        .name("source")
        .field("table", Schema::string())
        .build();
    let env = envelope_schema(
        "shard_1.inventory.customers.Envelope",
        &value_schema,
        &src_schema,
        &[],
    );
    let row = || Struct::new(value_schema.clone()).with("id", 1i64);
    let e = event(
        &env,
        "u",
        Some(row()),
        Some(row()),
        Struct::new(src_schema.clone()).with("table", "customers"),
        NOW,
    );
    let r = SourceRecord::new(
        Default::default(),
        Default::default(),
        "shard_1.inventory.customers",
        Some(env),
        Value::Struct(e),
    )
    .with_key(
        Some(key_schema.clone()),
        Value::Struct(Struct::new(key_schema).with("id", 1i64)),
    );
    let out = route(&mut t, r);
    assert_eq!(out.topic, "shard_1.customers");
    assert_eq!(key_get(&out, "flag"), &Value::Null);
    let v = out.value.as_struct().unwrap();
    for side in ["before", "after"] {
        let row = v.get(side).unwrap().as_struct().unwrap();
        assert_eq!(row.get("flag"), Some(&Value::Null), "{side}");
    }
}

// ---- Ferry's own cases ----

fn shard_event(topic: &str, id: i64) -> SourceRecord {
    let base = topic.to_string();
    let row_schema = SchemaBuilder::struct_()
        .name(format!("{base}.Value"))
        .optional()
        .field("id", Schema::int64())
        .build();
    let key_schema = SchemaBuilder::struct_()
        .name(format!("{base}.Key"))
        .field("id", Schema::int64())
        .build();
    let env = envelope_schema(
        &format!("{base}.Envelope"),
        &row_schema,
        &source_schema(),
        &[],
    );
    let row = Struct::new(row_schema).with("id", id);
    let e = event(&env, "c", None, Some(row), source(&source_schema(), 1), NOW);
    SourceRecord::new(
        Default::default(),
        Default::default(),
        topic,
        Some(env),
        Value::Struct(e),
    )
    .with_key(
        Some(key_schema.clone()),
        Value::Struct(Struct::new(key_schema).with("id", id)),
    )
}

#[test]
fn an_envelope_is_renamed_after_the_logical_topic() {
    let mut t = router(&[
        (TOPIC_REGEX, r"pg\.(shard\d+)\.orders"),
        (TOPIC_REPLACEMENT, "pg.all.orders"),
    ]);
    let out = route(&mut t, shard_event("pg.shard1.orders", 5));
    assert_eq!(out.topic, "pg.all.orders");
    let env = out.value_schema.clone().unwrap();
    assert_eq!(env.name.as_deref(), Some("pg.all.orders.Envelope"));
    let after = &env.field("after").unwrap().schema;
    assert_eq!(after.name.as_deref(), Some("pg.all.orders.Value"));
    assert!(after.optional, "the row schema keeps its optionality");
    assert!(Arc::ptr_eq(after, &env.field("before").unwrap().schema));
    let v = out.value.as_struct().unwrap();
    let row = v.get("after").unwrap().as_struct().unwrap();
    assert!(
        Arc::ptr_eq(row.schema(), after),
        "the row is rebound to the new schema"
    );
    assert_eq!(row.get("id"), Some(&Value::Int64(5)));
    assert_eq!(v.get("op"), Some(&Value::from("c")));
    assert_eq!(v.get("before"), Some(&Value::Null));
    assert_eq!(
        key_get(&out, DEFAULT_KEY_FIELD_NAME),
        &Value::from("pg.shard1.orders")
    );
    // Another shard: the same new schemas, by identity.
    let other = route(&mut t, shard_event("pg.shard2.orders", 6));
    assert_eq!(other.value_schema.as_ref().unwrap(), &env);
    assert_eq!(
        key_get(&other, DEFAULT_KEY_FIELD_NAME),
        &Value::from("pg.shard2.orders")
    );
    let again = route(&mut t, shard_event("pg.shard1.orders", 7));
    assert!(Arc::ptr_eq(again.value_schema.as_ref().unwrap(), &env));
    assert!(Arc::ptr_eq(
        again.key_schema.as_ref().unwrap(),
        out.key_schema.as_ref().unwrap()
    ));
}

#[test]
fn a_topic_that_does_not_match_is_untouched() {
    let mut t = router(&[(TOPIC_REGEX, "shard"), (TOPIC_REPLACEMENT, "all")]);
    let r = shard_event("pg.shard1.orders", 5);
    assert_eq!(route(&mut t, r.clone()), r, "the whole name must match");
}

#[test]
fn avro_unicode_names_and_a_tombstone_keeps_its_null_value() {
    let mut t = router(&[
        (TOPIC_REGEX, "(.*)-shard-\\d"),
        (TOPIC_REPLACEMENT, "$1-all"),
        (SCHEMA_NAME_ADJUSTMENT_MODE, "avro_unicode"),
    ]);
    let key_schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .build();
    let key = Struct::new(key_schema.clone()).with("id", 1i64);
    let out = route(&mut t, keyed("db-shard-1", &key_schema, key));
    assert_eq!(out.topic, "db-all");
    assert_eq!(
        out.key_schema.as_ref().unwrap().name.as_deref(),
        Some("db_u002dall.Key")
    );
    assert_eq!(out.value, Value::Null);
}

#[test]
fn a_schemaless_key_is_refused_as_debezium_refuses_it() {
    let mut t = router(&[(TOPIC_REGEX, "(.*)"), (TOPIC_REPLACEMENT, "x")]);
    let mut r = sink_record("t", None, Value::Null);
    r.key = Value::Map(vec![("id".into(), Value::Int64(1))]);
    let before = r.clone();
    let err = t.apply(&mut r).unwrap_err();
    assert!(
        err.to_string().contains(
            "Only Struct objects supported for [Updating schema], found: java.util.HashMap"
        ),
        "{err}"
    );
    assert_eq!(r, before, "a failed record is untouched");
}

#[test]
fn a_key_field_name_that_exists_is_an_error() {
    let mut t = router(&[
        (TOPIC_REGEX, "(.*)"),
        (TOPIC_REPLACEMENT, "x"),
        (KEY_FIELD_NAME, "id"),
    ]);
    let err = t.apply(&mut shard_event("t", 1)).unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot create field because of field name duplication id"),
        "{err}"
    );
}

#[test]
fn bad_regexes_and_modes_are_refused_naming_their_keys() {
    let err = refused(&[
        (TOPIC_REGEX, "("),
        (TOPIC_REPLACEMENT, "x"),
        (KEY_FIELD_REGEX, "["),
        (KEY_FIELD_REPLACEMENT, "y"),
        (SCHEMA_NAME_ADJUSTMENT_MODE, "xml"),
    ]);
    let keys: Vec<&str> = err.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [TOPIC_REGEX, KEY_FIELD_REGEX, SCHEMA_NAME_ADJUSTMENT_MODE],
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("A valid regular expressions is expected"),
        "{err}"
    );
    let err = refused(&[(TOPIC_REPLACEMENT, "x")]);
    assert_eq!(err.iter().next().unwrap().key, TOPIC_REGEX);
}
