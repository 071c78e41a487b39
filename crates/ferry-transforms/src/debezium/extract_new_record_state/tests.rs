//! Debezium's `ExtractNewRecordStateTest` (3.6) and, for the older
//! `delete.handling.mode` / `drop.tombstones`, its
//! `LegacyExtractNewRecordStateTest` (3.1), as golden cases; then Ferry's
//! own cases (PostgreSQL envelopes, sinks, schema identity).

use std::sync::Arc;

use ferry_api::data::text::to_java_string;
use ferry_api::{SchemaBuilder, SourceRecord, Struct, Transformation, Value};

use super::*;
use crate::debezium::test_events::*;
use crate::test_support::{configured, sink_record};

fn transform(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
    configured(pairs)
}

fn apply(t: &mut ExtractNewRecordState, mut r: SourceRecord) -> Option<SourceRecord> {
    match t.apply(&mut r).unwrap() {
        Outcome::Keep => Some(r),
        Outcome::Drop => None,
    }
}

fn value(r: &SourceRecord) -> &Struct {
    r.value.as_struct().expect("a struct value")
}

fn get<'a>(r: &'a SourceRecord, field: &str) -> &'a Value {
    value(r)
        .get(field)
        .unwrap_or_else(|| panic!("no field {field}"))
}

/// Debezium's `getSourceRecordHeaderByKey`: the first header's value as
/// text, `None` for no header or a null value.
fn header(r: &SourceRecord, key: &str) -> Option<String> {
    let h = r.headers.iter().find(|h| h.key == key)?;
    (!h.value.is_null()).then(|| to_java_string(&h.value).unwrap())
}

const MODE: &str = DELETE_TOMBSTONE_HANDLING_MODE;

// ---- ExtractNewRecordStateTest ----

#[test]
fn test_tombstone_dropped_by_default_and_configured() {
    for pairs in [&[][..], &[(MODE, "drop")][..]] {
        let mut t = transform(pairs);
        assert!(apply(&mut t, tombstone_record()).is_none(), "{pairs:?}");
    }
}

#[test]
fn test_tombstone_forward_configured() {
    // `tombstone`: the delete becomes the tombstone, the real one is dropped.
    let mut t = transform(&[(MODE, "tombstone")]);
    assert!(apply(&mut t, tombstone_record()).is_none());
}

#[test]
fn test_tombstone_rewrite_with_tombstone() {
    let mut t = transform(&[(MODE, "rewrite-with-tombstone")]);
    assert_eq!(apply(&mut t, tombstone_record()), Some(tombstone_record()));
}

#[test]
fn test_truncate_dropped_by_default() {
    let mut t = transform(&[(MODE, "tombstone")]);
    assert!(apply(&mut t, truncate_record()).is_none());
}

#[test]
fn test_delete_dropped_by_default_and_handle_delete_drop() {
    let mut t = transform(&[(MODE, "drop")]);
    assert!(apply(&mut t, delete_record()).is_none());
}

#[test]
fn test_handle_delete_none() {
    let mut t = transform(&[(MODE, "tombstone")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(out.value, Value::Null);
    assert!(
        out.value_schema.is_some(),
        "the after schema stays, as in Debezium"
    );
}

#[test]
fn test_handle_delete_rewrite() {
    let mut t = transform(&[(MODE, "rewrite")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
}

#[test]
fn test_handle_create_rewrite() {
    let mut t = transform(&[(MODE, "rewrite"), (ADD_HEADERS, "op")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("false"));
    assert_eq!(out.headers.len(), 1);
    assert_eq!(header(&out, "__op").as_deref(), Some("c"));
}

#[test]
fn test_unwrap_create_record() {
    let mut t = transform(&[(MODE, "tombstone")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "id"), &Value::Int8(1));
    assert_eq!(get(&out, "name"), &Value::from("myRecord"));
}

#[test]
fn test_unwrap_create_record_with_optional_default_value() {
    let mut t = transform(&[(MODE, "tombstone")]);
    let out = apply(&mut t, create_record_with_optional_null()).unwrap();
    assert_eq!(get(&out, "id"), &Value::Int8(1));
    assert_eq!(get(&out, "name"), &Value::Null);
}

#[test]
fn test_ignore_unknown_record() {
    for pairs in [
        &[(MODE, "tombstone")][..],
        &[(MODE, "tombstone"), (ADD_HEADERS, "op")][..],
    ] {
        // testIgnoreUnknownRecord, testSchemaChangeEventWithOperationHeader
        let mut t = transform(pairs);
        assert_eq!(apply(&mut t, unknown_record()), Some(unknown_record()));
        assert_eq!(
            apply(&mut t, unknown_unnamed_schema_record()),
            Some(unknown_unnamed_schema_record())
        );
    }
}

#[test]
fn test_unwrap_propagates_record_headers() {
    let mut t = transform(&[(MODE, "tombstone")]);
    let mut r = create_record();
    r.headers.add(
        "application/debezium-test-header",
        None,
        "shouldPropagatePreviousRecordHeaders".into(),
    );
    let out = apply(&mut t, r).unwrap();
    assert_eq!(get(&out, "id"), &Value::Int8(1));
    assert_eq!(out.headers.len(), 1);
    assert_eq!(
        header(&out, "application/debezium-test-header").as_deref(),
        Some("shouldPropagatePreviousRecordHeaders")
    );
}

#[test]
fn test_add_field() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_FIELDS, "op")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "__op"), &Value::from("c"));
    // A new column: a new schema, not the cached one (DBZ-6901).
    let out = apply(
        &mut t,
        create_record_adding_column("started_at", 1_694_587_158_123),
    )
    .unwrap();
    assert_eq!(get(&out, "started_at"), &Value::Int64(1_694_587_158_123));
    let out = apply(
        &mut t,
        create_record_adding_column("started_at", 1_694_587_158_789),
    )
    .unwrap();
    assert_eq!(get(&out, "started_at"), &Value::Int64(1_694_587_158_789));
}

#[test]
fn test_add_timestamp() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_FIELDS, "ts_ms")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert!(!get(&out, "__ts_ms").is_null());
    t.configure(&ferry_api::property_map([(ADD_FIELDS, "source.ts_ms")]))
        .unwrap();
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "__source_ts_ms"), &Value::Int64(SOURCE_TS_MS));
}

#[test]
fn test_add_fields() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (ADD_FIELDS, "op , lsn,id"),
        (ADD_FIELDS_PREFIX, "prefix."),
    ]);
    let out = apply(&mut t, update_record()).unwrap();
    assert_eq!(get(&out, "prefix.op"), &Value::from("u"));
    assert_eq!(get(&out, "prefix.lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "prefix.id"), &Value::from("571"));
}

#[test]
fn test_new_field_and_header_mapping() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (
            ADD_FIELDS,
            "op:OP, lsn:LSN, id:ID, source.lsn:source_lsn, transaction.total_order:TOTAL_ORDER",
        ),
        (ADD_FIELDS_PREFIX, ""),
        (
            ADD_HEADERS,
            "op, source.lsn:source_lsn, transaction.id:TXN_ID, transaction.total_order:TOTAL_ORDER",
        ),
        (ADD_HEADERS_PREFIX, "prefix."),
    ]);
    let out = apply(&mut t, update_record()).unwrap();
    assert_eq!(get(&out, "OP"), &Value::from("u"));
    assert_eq!(get(&out, "LSN"), &Value::Int32(1234));
    assert_eq!(get(&out, "ID"), &Value::from("571"));
    assert_eq!(get(&out, "source_lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "TOTAL_ORDER"), &Value::Int64(42));
    assert_eq!(out.headers.len(), 4);
    assert_eq!(header(&out, "prefix.op").as_deref(), Some("u"));
    assert_eq!(header(&out, "prefix.source_lsn").as_deref(), Some("1234"));
    assert_eq!(header(&out, "prefix.TXN_ID").as_deref(), Some("571"));
    assert_eq!(header(&out, "prefix.TOTAL_ORDER").as_deref(), Some("42"));
}

#[test]
fn test_add_fields_for_missing_optional_field() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_FIELDS, "op,lsn,id")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "__op"), &Value::from("c"));
    assert_eq!(get(&out, "__lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "__id"), &Value::Null);
}

#[test]
fn test_add_fields_specify_struct() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (
            ADD_FIELDS,
            "op,source.lsn,transaction.id,transaction.total_order",
        ),
    ]);
    let out = apply(&mut t, update_record()).unwrap();
    assert_eq!(get(&out, "__op"), &Value::from("u"));
    assert_eq!(get(&out, "__source_lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "__transaction_id"), &Value::from("571"));
    assert_eq!(get(&out, "__transaction_total_order"), &Value::Int64(42));
}

#[test]
fn test_add_header() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_HEADERS, "op")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(out.headers.len(), 1);
    assert_eq!(header(&out, "__op").as_deref(), Some("c"));
}

#[test]
fn test_add_headers() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_HEADERS, "op , lsn,id")]);
    let out = apply(&mut t, update_record()).unwrap();
    assert_eq!(out.headers.len(), 3);
    assert_eq!(header(&out, "__op").as_deref(), Some("u"));
    assert_eq!(header(&out, "__lsn").as_deref(), Some("1234"));
    assert_eq!(header(&out, "__id").as_deref(), Some("571"));
}

#[test]
fn test_add_headers_for_missing_optional_field() {
    let mut t = transform(&[(MODE, "tombstone"), (ADD_HEADERS, "op,lsn,id")]);
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(
        out.headers.len(),
        3,
        "a null transaction id is still a header"
    );
    assert_eq!(header(&out, "__op").as_deref(), Some("c"));
    assert_eq!(header(&out, "__lsn").as_deref(), Some("1234"));
    assert_eq!(header(&out, "__id"), None);
}

#[test]
fn test_add_headers_specify_struct() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (
            ADD_HEADERS,
            "op,source.lsn,transaction.id,transaction.total_order",
        ),
        (ADD_HEADERS_PREFIX, "prefix."),
    ]);
    let out = apply(&mut t, update_record()).unwrap();
    assert_eq!(out.headers.len(), 4);
    assert_eq!(header(&out, "prefix.op").as_deref(), Some("u"));
    assert_eq!(header(&out, "prefix.source_lsn").as_deref(), Some("1234"));
    assert_eq!(
        header(&out, "prefix.transaction_id").as_deref(),
        Some("571")
    );
    assert_eq!(
        header(&out, "prefix.transaction_total_order").as_deref(),
        Some("42")
    );
}

#[test]
fn test_topic_routing_field_for_create_update_and_delete() {
    let mut t = transform(&[(MODE, "tombstone"), (ROUTE_BY_FIELD, "name")]);
    assert_eq!(apply(&mut t, create_record()).unwrap().topic, "myRecord");
    assert_eq!(
        apply(&mut t, update_record()).unwrap().topic,
        "updatedRecord"
    );
    assert_eq!(apply(&mut t, delete_record()).unwrap().topic, "myRecord");
}

#[test]
fn test_add_headers_handle_delete_rewrite_and_tombstone() {
    let mut t = transform(&[
        (MODE, "rewrite-with-tombstone"),
        (ADD_HEADERS, "op,source.lsn"),
    ]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    assert_eq!(header(&out, "__op").as_deref(), Some("d"));
    assert_eq!(header(&out, "__source_lsn").as_deref(), Some("1234"));
    let tombstone = apply(&mut t, tombstone_record()).unwrap();
    assert_eq!(header(&tombstone, "__op").as_deref(), Some("d"));
    assert_eq!(
        tombstone.headers.len(),
        1,
        "only op is known for a tombstone"
    );
    assert_eq!(tombstone.value, Value::Null);
}

#[test]
fn test_add_fields_handle_delete_rewrite() {
    // testAddFieldHandleDeleteRewrite, testAddFieldsHandleDeleteRewrite
    let mut t = transform(&[(MODE, "rewrite"), (ADD_FIELDS, "op,lsn")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    assert_eq!(get(&out, "__op"), &Value::from("d"));
    assert_eq!(get(&out, "__lsn"), &Value::Int32(1234));
}

#[test]
fn test_add_fields_handle_delete_rewrite_and_tombstone() {
    let mut t = transform(&[(MODE, "rewrite-with-tombstone"), (ADD_FIELDS, "op,lsn")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    assert_eq!(get(&out, "__op"), &Value::from("d"));
    assert_eq!(get(&out, "__lsn"), &Value::Int32(1234));
    assert_eq!(
        apply(&mut t, tombstone_record()).unwrap().value,
        Value::Null
    );
}

#[test]
fn test_add_fields_specify_struct_handle_delete_rewrite() {
    let mut t = transform(&[(MODE, "rewrite"), (ADD_FIELDS, "op,source.lsn")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    assert_eq!(get(&out, "__op"), &Value::from("d"));
    assert_eq!(get(&out, "__source_lsn"), &Value::Int32(1234));
}

const DROP_HEADER: &str = "drop-fields";
const DROP: [&str; 2] = ["id", "name"];

fn dropping(r: SourceRecord) -> SourceRecord {
    add_drop_fields_header(r, DROP_HEADER, &DROP)
}

fn key_struct(r: &SourceRecord) -> &Struct {
    r.key.as_struct().expect("a struct key")
}

fn has_field(schema: &Option<ferry_api::SchemaRef>, name: &str) -> bool {
    schema.as_ref().unwrap().field(name).is_some()
}

/// The four create/update cases of the DBZ-5283 tests, then delete and
/// tombstone (both dropped in `drop` mode). `id_in_value`/`id_in_key`:
/// whether the required `id` survives.
fn drop_fields_cases(pairs: &[(&str, &str)], id_in_value: bool, id_in_key: bool) {
    let mut t = transform(pairs);
    for r in [
        create_record_with_optional_null(),
        update_record_with_optional_null(),
    ] {
        let out = apply(&mut t, dropping(r)).unwrap();
        assert_eq!(out.key, Value::Null);
        assert!(out.key_schema.is_none());
        assert!(!has_field(&out.value_schema, "name"));
        assert_eq!(has_field(&out.value_schema, "id"), id_in_value);
        if id_in_value {
            assert_eq!(get(&out, "id"), &Value::Int8(1));
        } else {
            assert_eq!(value(&out), &Struct::new(out.value_schema.clone().unwrap()));
        }
    }
    for r in [create_record_with_key(), update_record_with_key()] {
        let out = apply(&mut t, dropping(r)).unwrap();
        assert_eq!(has_field(&out.key_schema, "id"), id_in_key);
        if id_in_key {
            assert_eq!(key_struct(&out).get("id"), Some(&Value::Int8(1)));
        } else {
            assert_eq!(
                key_struct(&out),
                &Struct::new(out.key_schema.clone().unwrap())
            );
        }
        assert!(!has_field(&out.value_schema, "name"));
        assert_eq!(has_field(&out.value_schema, "id"), id_in_value);
    }
    assert!(apply(&mut t, dropping(delete_record())).is_none());
    assert!(apply(&mut t, dropping(tombstone_record())).is_none());
}

#[test]
fn drop_fields_from_value_with_schema_compatibility() {
    drop_fields_cases(
        &[(MODE, "drop"), (DROP_FIELDS_HEADER_NAME, DROP_HEADER)],
        true,
        true,
    );
}

#[test]
fn drop_fields_from_value_without_schema_compatibility() {
    drop_fields_cases(
        &[
            (MODE, "drop"),
            (DROP_FIELDS_HEADER_NAME, DROP_HEADER),
            (DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE, "false"),
        ],
        false,
        true,
    );
}

#[test]
fn drop_fields_from_value_and_key_with_schema_compatibility() {
    drop_fields_cases(
        &[
            (MODE, "drop"),
            (DROP_FIELDS_HEADER_NAME, DROP_HEADER),
            (DROP_FIELDS_FROM_KEY, "true"),
        ],
        true,
        true,
    );
}

#[test]
fn drop_fields_from_value_and_key_without_schema_compatibility() {
    drop_fields_cases(
        &[
            (MODE, "drop"),
            (DROP_FIELDS_HEADER_NAME, DROP_HEADER),
            (DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE, "false"),
            (DROP_FIELDS_FROM_KEY, "true"),
        ],
        false,
        false,
    );
}

#[test]
fn test_new_not_default_field() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (
            ADD_FIELDS,
            "notExisting,op:OP, lsn:LSN, id:ID, source.lsn:source_lsn, transaction.total_order:TOTAL_ORDER, changes:META_SRC_CHANGED",
        ),
        (ADD_FIELDS_PREFIX, ""),
    ]);
    let out = apply(&mut t, update_record_with_changed_fields()).unwrap();
    assert_eq!(get(&out, "OP"), &Value::from("u"));
    assert_eq!(get(&out, "LSN"), &Value::Int32(1234));
    assert_eq!(get(&out, "ID"), &Value::from("571"));
    assert_eq!(get(&out, "source_lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "TOTAL_ORDER"), &Value::Int64(42));
    assert_eq!(
        get(&out, "META_SRC_CHANGED"),
        &Value::Array(vec!["name".into()])
    );
    assert!(!has_field(&out.value_schema, "notExisting"));
}

#[test]
fn test_field_not_exists() {
    let mut t = transform(&[
        (MODE, "tombstone"),
        (
            ADD_FIELDS,
            "op:OP, lsn:LSN, id:ID, source.lsn:source_lsn, transaction.total_order:TOTAL_ORDER, notExist:META_SRC_CHANGED",
        ),
        (ADD_FIELDS_PREFIX, ""),
    ]);
    let out = apply(&mut t, update_record_with_changed_fields()).unwrap();
    assert_eq!(get(&out, "OP"), &Value::from("u"));
    assert_eq!(get(&out, "LSN"), &Value::Int32(1234));
    assert_eq!(get(&out, "ID"), &Value::from("571"));
    assert_eq!(get(&out, "source_lsn"), &Value::Int32(1234));
    assert_eq!(get(&out, "TOTAL_ORDER"), &Value::Int64(42));
    assert!(!has_field(&out.value_schema, "META_SRC_CHANGED"));
}

#[test]
fn test_envelope_timestamp_fields_handled_correctly() {
    let mut t = transform(&[
        (
            ADD_FIELDS,
            "source.table:META_SRC_TABLENAME,source.ts_ms:META_SRC_TS_MS,source.ts_us:META_SRC_TS_US,source.ts_ns:META_SRC_TS_NS,ts_ms:META_TS_MS,ts_us:META_TS_US,ts_ns:META_TS_NS,op:META_SRC_OP,source.scn:META_SRC_SCN,source.snapshot:META_SRC_SNAPSHOT,source.user_name:META_SRC_USER,changes:META_SRC_CHANGES",
        ),
        (MODE, "rewrite"),
    ]);
    // 2024-03-10T01:02:03.000123456Z
    let out = apply(
        &mut t,
        create_record_with_create_time(Instant(1_710_032_523, 123_456)),
    )
    .unwrap();
    assert_eq!(
        get(&out, "__META_SRC_TS_MS"),
        &Value::Int64(1_588_252_618_953)
    );
    assert_eq!(
        get(&out, "__META_SRC_TS_US"),
        &Value::Int64(1_588_252_618_953_000)
    );
    assert_eq!(
        get(&out, "__META_SRC_TS_NS"),
        &Value::Int64(1_588_252_618_953_000_000)
    );
    assert_eq!(get(&out, "__META_TS_MS"), &Value::Int64(1_710_032_523_000));
    assert_eq!(
        get(&out, "__META_TS_US"),
        &Value::Int64(1_710_032_523_000_123)
    );
    assert_eq!(
        get(&out, "__META_TS_NS"),
        &Value::Int64(1_710_032_523_000_123_456)
    );
    assert!(!has_field(&out.value_schema, "__META_SRC_SCN"));
}

#[test]
fn test_add_headers_for_non_envelope_record() {
    let mut t = transform(&[(ADD_HEADERS, "op,source.lsn")]);
    assert_eq!(apply(&mut t, heartbeat_record()), Some(heartbeat_record()));
}

#[test]
fn test_unwrap_create_record_rewrite_with_optional_default_value() {
    let mut t = transform(&[(MODE, "rewrite"), (REPLACE_NULL_WITH_DEFAULT, "false")]);
    let out = apply(&mut t, create_record_with_optional_null()).unwrap();
    assert_eq!(get(&out, "name"), &Value::Null);
}

#[test]
fn test_unwrap_create_record_rewrite_with_optional_default_value_and_null_replace_with_default() {
    let mut t = transform(&[(MODE, "rewrite")]);
    let out = apply(&mut t, create_record_with_optional_null()).unwrap();
    assert_eq!(get(&out, "name"), &Value::from("default_str"));
}

#[test]
fn test_delete_rewrite_to_tombstone_and_drop_actual_tombstone() {
    let mut t = transform(&[(MODE, "delete-to-tombstone")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(out.value, Value::Null);
    assert!(
        out.value_schema.is_none(),
        "a real tombstone: no value schema"
    );
    assert!(apply(&mut t, tombstone_record()).is_none());
}

#[test]
fn should_reject_invalid_enum_value_for_delete_handling_mode() {
    let err = ExtractNewRecordState::default()
        .configure(&ferry_api::property_map([(MODE, "jbsdfkjsd")]))
        .unwrap_err();
    assert_eq!(err.iter().next().unwrap().key, MODE, "{err}");
    assert!(err.to_string().contains("rewrite-with-tombstone"), "{err}");
}

#[test]
fn should_accept_valid_enum_value_for_delete_handling_mode() {
    for m in [
        "drop",
        "TOMBSTONE",
        " rewrite ",
        "rewrite-with-tombstone",
        "delete-to-tombstone",
    ] {
        transform(&[(MODE, m)]);
    }
}

// ---- LegacyExtractNewRecordStateTest (Debezium 3.1) ----

#[test]
fn legacy_tombstones_are_dropped_unless_drop_tombstones_is_false() {
    let mut t = transform(&[(DROP_TOMBSTONES, "true")]);
    assert!(apply(&mut t, tombstone_record()).is_none());
    let mut t = transform(&[(DROP_TOMBSTONES, "false")]);
    assert_eq!(apply(&mut t, tombstone_record()), Some(tombstone_record()));
    // A legacy key alone keeps the legacy default for deletes: dropped.
    assert!(apply(&mut t, delete_record()).is_none());
}

#[test]
fn legacy_delete_handling_modes() {
    let mut t = transform(&[(DELETE_HANDLING_MODE, "drop")]);
    assert!(apply(&mut t, delete_record()).is_none());
    assert!(apply(&mut t, truncate_record()).is_none());

    let mut t = transform(&[(DELETE_HANDLING_MODE, "none")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(out.value, Value::Null);

    let mut t = transform(&[(DELETE_HANDLING_MODE, "rewrite"), (ADD_HEADERS, "op")]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    let out = apply(&mut t, create_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("false"));
    assert_eq!(header(&out, "__op").as_deref(), Some("c"));
}

#[test]
fn legacy_delete_topic_routing_field() {
    let mut t = transform(&[(ROUTE_BY_FIELD, "name"), (DELETE_HANDLING_MODE, "none")]);
    assert_eq!(apply(&mut t, delete_record()).unwrap().topic, "myRecord");
}

#[test]
fn legacy_rewrite_and_kept_tombstones() {
    // testAddHeadersHandleDeleteRewriteAndTombstone,
    // testAddFieldsHandleDeleteRewriteAndTombstone
    let mut t = transform(&[
        (DELETE_HANDLING_MODE, "rewrite"),
        (ADD_HEADERS, "op,source.lsn"),
        (ADD_FIELDS, "op,lsn"),
        (DROP_TOMBSTONES, "false"),
    ]);
    let out = apply(&mut t, delete_record()).unwrap();
    assert_eq!(get(&out, "__deleted"), &Value::from("true"));
    assert_eq!(get(&out, "__op"), &Value::from("d"));
    assert_eq!(get(&out, "__lsn"), &Value::Int32(1234));
    assert_eq!(header(&out, "__op").as_deref(), Some("d"));
    assert_eq!(header(&out, "__source_lsn").as_deref(), Some("1234"));
    let tombstone = apply(&mut t, tombstone_record()).unwrap();
    assert_eq!(header(&tombstone, "__op").as_deref(), Some("d"));
    assert_eq!(tombstone.value, Value::Null);
}

#[test]
fn the_new_mode_wins_over_the_legacy_keys() {
    let mut t = transform(&[
        (MODE, "rewrite"),
        (DELETE_HANDLING_MODE, "drop"),
        (DROP_TOMBSTONES, "false"),
    ]);
    assert_eq!(
        get(&apply(&mut t, delete_record()).unwrap(), "__deleted"),
        &Value::from("true")
    );
    assert!(apply(&mut t, tombstone_record()).is_none());
    let err = ExtractNewRecordState::default()
        .configure(&ferry_api::property_map([(
            DELETE_HANDLING_MODE,
            "rewrite-with-tombstone",
        )]))
        .unwrap_err();
    assert_eq!(err.iter().next().unwrap().key, DELETE_HANDLING_MODE);
}

#[test]
fn with_no_delete_keys_the_3_2_default_tombstone_applies() {
    let mut t = transform(&[]);
    assert_eq!(apply(&mut t, delete_record()).unwrap().value, Value::Null);
    assert!(apply(&mut t, tombstone_record()).is_none());
}

// ---- Ferry's own cases ----

/// A PostgreSQL-shaped event: `pg.public.orders`, key `{id}`, row
/// `{id int32, note optional string}` optional and named `….Value`.
fn pg_event(op: &str, before: Option<(i32, &str)>, after: Option<(i32, &str)>) -> SourceRecord {
    let row_schema = SchemaBuilder::struct_()
        .name("pg.public.orders.Value")
        .optional()
        .field("id", ferry_api::Schema::int32())
        .field("note", ferry_api::Schema::optional_string())
        .build();
    let key_schema = SchemaBuilder::struct_()
        .name("pg.public.orders.Key")
        .field("id", ferry_api::Schema::int32())
        .build();
    let source_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.postgresql.Source")
        .field("ts_ms", ferry_api::Schema::int64())
        .field("table", ferry_api::Schema::string())
        .field("lsn", ferry_api::Schema::optional_int64())
        .build();
    let schema = SchemaBuilder::struct_()
        .name("pg.public.orders.Envelope")
        .version(2)
        .field("before", row_schema.clone())
        .field("after", row_schema.clone())
        .field("source", source_schema.clone())
        .field("transaction", transaction_schema())
        .field("op", ferry_api::Schema::string())
        .field("ts_ms", ferry_api::Schema::optional_int64())
        .build();
    let row = |(id, note): (i32, &str)| {
        Struct::new(row_schema.clone())
            .with("id", id)
            .with("note", note)
    };
    let key_id = after.or(before).map_or(0, |r| r.0);
    let mut e = Struct::new(schema.clone())
        .with("op", op)
        .with("ts_ms", 5i64)
        .with(
            "source",
            Struct::new(source_schema)
                .with("ts_ms", 4i64)
                .with("table", "orders")
                .with("lsn", 99i64),
        );
    if let Some(b) = before {
        e.put("before", row(b)).unwrap();
    }
    if let Some(a) = after {
        e.put("after", row(a)).unwrap();
    }
    SourceRecord::new(
        Default::default(),
        Default::default(),
        "pg.public.orders",
        Some(schema),
        Value::Struct(e),
    )
    .with_key(
        Some(key_schema.clone()),
        Value::Struct(Struct::new(key_schema).with("id", key_id)),
    )
}

#[test]
fn a_postgres_row_keeps_its_value_schema_name_as_a_required_copy() {
    let mut t = transform(&[]);
    let out = apply(&mut t, pg_event("c", None, Some((1, "a")))).unwrap();
    let schema = out.value_schema.clone().unwrap();
    assert_eq!(schema.name.as_deref(), Some("pg.public.orders.Value"));
    assert!(
        !schema.optional,
        "Debezium's copySchemaBasics makes it required"
    );
    assert_eq!(schema.fields.len(), 2);
    assert_eq!(
        out.key,
        pg_event("c", None, Some((1, "a"))).key,
        "the key is untouched"
    );
    assert_eq!(out.topic, "pg.public.orders");
}

#[test]
fn records_of_one_table_share_one_output_schema() {
    let mut t = transform(&[(MODE, "rewrite"), (ADD_FIELDS, "op,table,lsn,source.ts_ms")]);
    let a = apply(&mut t, pg_event("c", None, Some((1, "a")))).unwrap();
    let b = apply(&mut t, pg_event("r", None, Some((2, "b")))).unwrap();
    let c = apply(&mut t, pg_event("c", None, Some((3, "c")))).unwrap();
    let (sa, sb, sc) = (
        a.value_schema.unwrap(),
        b.value_schema.unwrap(),
        c.value_schema.unwrap(),
    );
    assert!(Arc::ptr_eq(&sa, &sc), "same schema and op: one Arc");
    assert_eq!(sa, sb, "another op: an equal schema");
    let names: Vec<&str> = sa.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "note",
            "__deleted",
            "__op",
            "__table",
            "__lsn",
            "__source_ts_ms"
        ]
    );
    assert!(sa.fields[3..].iter().all(|f| f.schema.optional));
    let v = c.value.as_struct().unwrap();
    assert_eq!(v.get("__table"), Some(&Value::from("orders")));
    assert_eq!(v.get("__lsn"), Some(&Value::Int64(99)));
    assert_eq!(v.get("__source_ts_ms"), Some(&Value::Int64(4)));
    assert_eq!(v.get("__deleted"), Some(&Value::from("false")));
}

#[test]
fn a_postgres_delete_then_tombstone_in_each_mode() {
    let delete = || pg_event("d", Some((7, "gone")), None);
    let cases: [(&str, bool, bool); 5] = [
        // mode, delete kept, tombstone kept
        ("drop", false, false),
        ("tombstone", true, false),
        ("rewrite", true, false),
        ("rewrite-with-tombstone", true, true),
        ("delete-to-tombstone", true, false),
    ];
    for (mode, delete_kept, tombstone_kept) in cases {
        let mut t = transform(&[(MODE, mode)]);
        let out = apply(&mut t, delete());
        assert_eq!(out.is_some(), delete_kept, "{mode}");
        if let Some(out) = out {
            assert_eq!(
                out.key,
                delete().key,
                "{mode}: the key stays for compaction"
            );
        }
        let tomb = SourceRecord::new(
            Default::default(),
            Default::default(),
            "pg.public.orders",
            None,
            Value::Null,
        )
        .with_key(delete().key_schema, delete().key);
        assert_eq!(apply(&mut t, tomb).is_some(), tombstone_kept, "{mode}");
    }
    let mut t = transform(&[(MODE, "rewrite")]);
    let out = apply(&mut t, delete()).unwrap();
    assert_eq!(get(&out, "id"), &Value::Int32(7));
    assert_eq!(get(&out, "note"), &Value::from("gone"));
}

#[test]
fn a_sink_sees_schemaless_values_pass_and_schemaless_tombstones_handled() {
    let mut t = transform(&[(ADD_HEADERS, "op")]);
    let map = Value::Map(vec![(
        "after".into(),
        Value::Map(vec![("id".into(), Value::Int64(1))]),
    )]);
    let mut r = sink_record("pg.public.orders", None, map.clone());
    assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
    assert_eq!(r.value, map, "Debezium leaves schemaless values alone");
    assert!(r.headers.is_empty());
    let mut r = sink_record("pg.public.orders", None, Value::Null);
    assert_eq!(t.apply(&mut r).unwrap(), Outcome::Drop);
}

#[test]
fn a_sink_with_schemas_unwraps_like_a_source() {
    let mut t = transform(&[(ADD_FIELDS, "op")]);
    let src = pg_event("u", Some((1, "a")), Some((1, "b")));
    let mut r = sink_record(
        "pg.public.orders",
        src.value_schema.clone(),
        src.value.clone(),
    );
    assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
    let v = r.value.as_struct().unwrap();
    assert_eq!(v.get("note"), Some(&Value::from("b")));
    assert_eq!(v.get("__op"), Some(&Value::from("u")));
}

#[test]
fn route_by_field_errors_name_the_field() {
    let mut t = transform(&[(ROUTE_BY_FIELD, "nope")]);
    let mut r = pg_event("c", None, Some((1, "a")));
    let err = t.apply(&mut r).unwrap_err();
    assert!(
        err.to_string().contains("nope is not a valid field name"),
        "{err}"
    );
    let mut t = transform(&[(ROUTE_BY_FIELD, "id")]);
    let mut r = pg_event("c", None, Some((1, "a")));
    let err = t.apply(&mut r).unwrap_err();
    assert!(
        err.to_string().contains("Field 'id' is not of type STRING"),
        "{err}"
    );
    assert_eq!(
        r,
        pg_event("c", None, Some((1, "a"))),
        "a failed record is untouched"
    );
    let mut t = transform(&[(ROUTE_BY_FIELD, "note")]);
    let mut r = pg_event("c", None, Some((1, " ")));
    t.apply(&mut r).unwrap();
    assert_eq!(r.topic, "pg.public.orders", "a blank value keeps the topic");
}

#[test]
fn an_envelope_schema_with_a_non_struct_value_fails_as_kafka_does() {
    let mut t = transform(&[]);
    let src = pg_event("c", None, Some((1, "a")));
    let mut r = sink_record("t", src.value_schema.clone(), Value::from("x"));
    let err = t.apply(&mut r).unwrap_err();
    assert!(
        err.to_string().contains(
            "Only Struct objects supported for [field extraction], found: java.lang.String"
        ),
        "{err}"
    );
}

#[test]
fn an_added_field_that_collides_is_an_error_and_a_bad_spec_a_config_error() {
    let mut t = transform(&[(ADD_FIELDS, "op:id"), (ADD_FIELDS_PREFIX, "")]);
    let err = t
        .apply(&mut pg_event("c", None, Some((1, "a"))))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot create field because of field name duplication id"),
        "{err}"
    );
    let err = ExtractNewRecordState::default()
        .configure(&ferry_api::property_map([(ADD_HEADERS, "op:a:b")]))
        .unwrap_err();
    let e = err.iter().next().unwrap();
    assert_eq!(e.key, ADD_HEADERS);
    assert!(
        err.to_string().contains("Unexpected field name: op:a:b"),
        "{err}"
    );
}

#[test]
fn a_drop_fields_header_that_is_not_a_list_is_an_error() {
    let mut t = transform(&[(DROP_FIELDS_HEADER_NAME, "drop")]);
    let mut r = pg_event("c", None, Some((1, "a")));
    r.headers.add("drop", None, "note".into());
    let err = t.apply(&mut r).unwrap_err();
    assert!(
        err.to_string().contains("Header drop must hold a list"),
        "{err}"
    );
    // A delete that is dropped anyway never reads the header, nor routes.
    let mut t = transform(&[
        (MODE, "drop"),
        (DROP_FIELDS_HEADER_NAME, "drop"),
        (ROUTE_BY_FIELD, "nope"),
    ]);
    let mut r = pg_event("d", Some((1, "a")), None);
    r.headers.add("drop", None, "note".into());
    assert_eq!(t.apply(&mut r).unwrap(), Outcome::Drop);
}

#[test]
fn dropped_optional_columns_after_added_fields_on_creates() {
    // Creates add fields first and then drop, so an added field can be
    // dropped; deletes drop first.
    let mut t = transform(&[
        (MODE, "rewrite"),
        (ADD_FIELDS, "op"),
        (DROP_FIELDS_HEADER_NAME, "drop"),
    ]);
    let with_header = |mut r: SourceRecord| add_drop_fields_header_to(&mut r, &["note", "__op"]);
    let out = apply(&mut t, with_header(pg_event("c", None, Some((1, "a"))))).unwrap();
    let names: Vec<String> = out
        .value_schema
        .unwrap()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(names, ["id", "__deleted"]);
    let out = apply(&mut t, with_header(pg_event("d", Some((1, "a")), None))).unwrap();
    let names: Vec<String> = out
        .value_schema
        .unwrap()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(names, ["id", "__deleted", "__op"]);
}

fn add_drop_fields_header_to(r: &mut SourceRecord, fields: &[&str]) -> SourceRecord {
    add_drop_fields_header(r.clone(), "drop", fields)
}

#[test]
fn the_config_def_lists_every_key() {
    let def = ExtractNewRecordState::default().config_def();
    for k in [
        DELETE_TOMBSTONE_HANDLING_MODE,
        DELETE_HANDLING_MODE,
        DROP_TOMBSTONES,
        ROUTE_BY_FIELD,
        ADD_FIELDS,
        ADD_FIELDS_PREFIX,
        ADD_HEADERS,
        ADD_HEADERS_PREFIX,
        REPLACE_NULL_WITH_DEFAULT,
        DROP_FIELDS_HEADER_NAME,
        DROP_FIELDS_FROM_KEY,
        DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE,
    ] {
        assert!(def.key(k).is_some(), "{k}");
    }
    assert_eq!(
        def.key(DELETE_TOMBSTONE_HANDLING_MODE).unwrap().config_type,
        ferry_api::ConfigType::String
    );
}
