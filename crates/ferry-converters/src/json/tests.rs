//! The JSON converter's specification, as tests. Expected envelope strings
//! are Kafka's `JsonConverterTest` cases, printed compactly in the key order
//! Kafka's `JsonConverter` (through Jackson) writes them.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use super::*;
use ferry_api::data::{
    logical, Decimal, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value,
};
use ferry_api::{ConnectError, Converter};

fn converter() -> JsonConverter {
    JsonConverter::default()
}

fn converter_with(f: impl FnOnce(&mut JsonConverterConfig)) -> JsonConverter {
    let mut cfg = JsonConverterConfig::default();
    f(&mut cfg);
    JsonConverter::new(cfg)
}

fn plain() -> JsonConverter {
    converter_with(|c| c.schemas_enable = false)
}

fn numeric() -> JsonConverter {
    converter_with(|c| c.decimal_format = DecimalFormat::Numeric)
}

fn write(c: &JsonConverter, schema: Option<&SchemaRef>, value: &Value) -> String {
    let bytes = c
        .from_connect("topic", schema, value)
        .unwrap()
        .expect("not a tombstone");
    String::from_utf8(bytes).unwrap()
}

fn read(c: &JsonConverter, json: &str) -> (Option<SchemaRef>, Value) {
    c.to_connect("topic", Some(json.as_bytes())).unwrap()
}

fn read_err(c: &JsonConverter, json: &str) -> String {
    match c.to_connect("topic", Some(json.as_bytes())) {
        Err(e @ ConnectError::Data { .. }) => e.to_string(),
        other => panic!("expected a data error, got {other:?}"),
    }
}

/// value → bytes → value, through the envelope and without it.
fn round_trip(schema: &SchemaRef, value: Value) {
    round_trip_with(&converter(), schema, value);
}

fn round_trip_with(c: &JsonConverter, schema: &SchemaRef, value: Value) {
    let bytes = c
        .from_connect("topic", Some(schema), &value)
        .unwrap()
        .unwrap();
    let (read_schema, read_value_) = c.to_connect("topic", Some(&bytes)).unwrap();
    assert_eq!(
        read_schema.as_deref(),
        Some(&**schema),
        "schema via {bytes:?}"
    );
    assert_eq!(
        read_value_,
        value,
        "value via {}",
        String::from_utf8_lossy(&bytes)
    );

    let mut out = Vec::new();
    write_value(Some(schema), &value, c.config(), &mut out).unwrap();
    let back = read_value(Some(schema), &out, c.config()).unwrap();
    assert_eq!(back, value, "value via {}", String::from_utf8_lossy(&out));
}

fn order_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("com.example.Order")
        .field("id", Schema::int64())
        .field("note", Schema::optional_string())
        .build()
}

// ---------------------------------------------------------------- round trips

#[test]
fn every_primitive_type_round_trips() {
    round_trip(&Schema::int8(), Value::Int8(-12));
    round_trip(&Schema::int16(), Value::Int16(12_000));
    round_trip(&Schema::int32(), Value::Int32(i32::MIN));
    round_trip(&Schema::int64(), Value::Int64(4_398_046_511_104));
    round_trip(&Schema::int64(), Value::Int64(i64::MAX));
    round_trip(&Schema::float32(), Value::Float32(12.34));
    round_trip(&Schema::float64(), Value::Float64(12.34));
    round_trip(&Schema::float64(), Value::Float64(1.0e-300));
    round_trip(&Schema::float64(), Value::Float64(0.1 + 0.2));
    round_trip(&Schema::boolean(), Value::Boolean(true));
    round_trip(
        &Schema::string(),
        Value::String("foo \"bar\"\n\u{e9}\u{1F600}".into()),
    );
    round_trip(
        &Schema::bytes(),
        Value::Bytes(Bytes::from_static(b"\x00\xfftest")),
    );
}

#[test]
fn optional_primitives_round_trip_null() {
    round_trip(&Schema::optional_int32(), Value::Null);
    round_trip(&Schema::optional_string(), Value::Null);
    round_trip(&Schema::optional_bytes(), Value::Null);
}

#[test]
fn non_finite_floats_round_trip_as_jackson_strings() {
    let c = converter();
    assert_eq!(
        write(&c, Some(&Schema::float64()), &Value::Float64(f64::NAN)),
        r#"{"schema":{"type":"double","optional":false},"payload":"NaN"}"#
    );
    let (_, v) = read(&c, r#"{"schema":{"type":"double"},"payload":"NaN"}"#);
    assert!(matches!(v, Value::Float64(f) if f.is_nan()));
    round_trip(&Schema::float64(), Value::Float64(f64::INFINITY));
    round_trip(&Schema::float32(), Value::Float32(f32::NEG_INFINITY));
}

#[test]
fn arrays_round_trip() {
    let schema = SchemaBuilder::array(Schema::int32()).build();
    round_trip(&schema, Value::Array(vec![1.into(), 2.into(), 3.into()]));
    round_trip(&schema, Value::Array(vec![]));
    let optional_items = SchemaBuilder::array(Schema::optional_string()).build();
    round_trip(&optional_items, Value::Array(vec!["a".into(), Value::Null]));
}

#[test]
fn maps_with_string_keys_round_trip_as_objects() {
    let schema = SchemaBuilder::map(Schema::string(), Schema::int32()).build();
    let value = Value::Map(vec![("key1".into(), 12.into()), ("key2".into(), 15.into())]);
    round_trip(&schema, value.clone());
    let mut out = Vec::new();
    write_value(
        Some(&schema),
        &value,
        &JsonConverterConfig::default(),
        &mut out,
    )
    .unwrap();
    assert_eq!(out, br#"{"key1":12,"key2":15}"#);
}

#[test]
fn maps_with_other_keys_round_trip_as_pairs() {
    let schema = SchemaBuilder::map(Schema::int32(), Schema::int32()).build();
    let value = Value::Map(vec![(1.into(), 12.into()), (2.into(), 15.into())]);
    round_trip(&schema, value.clone());
    assert_eq!(
        write(&converter(), Some(&schema), &value),
        r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}"#
    );
    let struct_keys = SchemaBuilder::map(order_schema(), Schema::boolean()).build();
    let key = Value::Struct(Struct::new(order_schema()).with("id", 1i64));
    round_trip(&struct_keys, Value::Map(vec![(key, true.into())]));
}

#[test]
fn structs_round_trip_with_optional_and_nested_fields() {
    let inner = order_schema();
    let schema = SchemaBuilder::struct_()
        .name("com.example.Envelope")
        .version(2)
        .doc("outer")
        .field("order", inner.clone())
        .field(
            "maybe",
            SchemaBuilder::struct_()
                .field("x", Schema::int8())
                .optional()
                .build(),
        )
        .field("lines", SchemaBuilder::array(inner.clone()).build())
        .field(
            "by_id",
            SchemaBuilder::map(Schema::string(), inner.clone())
                .optional()
                .build(),
        )
        .build();
    let order = |id: i64, note: Option<&str>| {
        let mut s = Struct::new(inner.clone()).with("id", id);
        if let Some(n) = note {
            s = s.with("note", n);
        }
        Value::Struct(s)
    };
    let value = Struct::new(schema.clone())
        .with("order", order(1, Some("first")))
        .with("maybe", Value::Null)
        .with(
            "lines",
            Value::Array(vec![order(2, None), order(3, Some("x"))]),
        )
        .with("by_id", Value::Map(vec![("4".into(), order(4, None))]));
    round_trip(&schema, Value::Struct(value));
}

#[test]
fn logical_types_round_trip() {
    round_trip(&logical::date().build(), Value::Int32(10_000));
    round_trip(&logical::time().build(), Value::Int32(14_400_000));
    round_trip(&logical::timestamp().build(), Value::Int64(4_000_000_000));
    let decimal = logical::decimal(2).build();
    round_trip(&decimal, Value::Decimal(Decimal::new(156, 2)));
    round_trip(&decimal, Value::Decimal(Decimal::new(-390, 2)));
    round_trip_with(&numeric(), &decimal, Value::Decimal(Decimal::new(1230, 2)));
    let huge = "123456789012345678901234567890.123456789"
        .parse::<Decimal>()
        .unwrap();
    round_trip_with(
        &numeric(),
        &logical::decimal(9).build(),
        Value::Decimal(huge.clone()),
    );
    round_trip(&logical::decimal(9).build(), Value::Decimal(huge));
    round_trip(&logical::decimal(2).optional().build(), Value::Null);
}

#[test]
fn envelopes_without_schemas_round_trip_by_inference() {
    let c = plain();
    let value = Value::Map(vec![
        ("a".into(), Value::Int64(1)),
        (
            "b".into(),
            Value::Array(vec![Value::Float64(2.5), Value::Null, "x".into()]),
        ),
        (
            "c".into(),
            Value::Map(vec![("d".into(), Value::Boolean(false))]),
        ),
    ]);
    let bytes = c.from_connect("t", None, &value).unwrap().unwrap();
    assert_eq!(bytes, br#"{"a":1,"b":[2.5,null,"x"],"c":{"d":false}}"#);
    assert_eq!(c.to_connect("t", Some(&bytes)).unwrap(), (None, value));
}

// ------------------------------------------------- exact output, as Kafka's

#[test]
fn schema_metadata_is_written_in_kafkas_order() {
    let c = converter();
    assert_eq!(
        write(&c, Some(&Schema::boolean()), &true.into()),
        r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#
    );
    assert_eq!(
        write(&c, Some(&Schema::optional_boolean()), &Value::Null),
        r#"{"schema":{"type":"boolean","optional":true},"payload":null}"#
    );
    let with_default = SchemaBuilder::new(SchemaType::Boolean)
        .default_value(true.into())
        .build();
    assert_eq!(
        write(&c, Some(&with_default), &true.into()),
        r#"{"schema":{"type":"boolean","optional":false,"default":true},"payload":true}"#
    );
    let full = SchemaBuilder::new(SchemaType::Boolean)
        .name("bool")
        .version(3)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build();
    assert_eq!(
        write(&c, Some(&full), &true.into()),
        r#"{"schema":{"type":"boolean","optional":false,"name":"bool","version":3,"doc":"the documentation","parameters":{"foo":"bar"}},"payload":true}"#
    );
}

#[test]
fn primitives_are_written_as_kafka_writes_them() {
    let c = converter();
    let cases: Vec<(SchemaRef, Value, &str)> = vec![
        (
            Schema::int8(),
            Value::Int8(12),
            r#"{"type":"int8","optional":false},"payload":12"#,
        ),
        (
            Schema::int16(),
            Value::Int16(12),
            r#"{"type":"int16","optional":false},"payload":12"#,
        ),
        (
            Schema::int32(),
            Value::Int32(12),
            r#"{"type":"int32","optional":false},"payload":12"#,
        ),
        (
            Schema::int64(),
            Value::Int64(4398046511104),
            r#"{"type":"int64","optional":false},"payload":4398046511104"#,
        ),
        (
            Schema::float32(),
            Value::Float32(12.34),
            r#"{"type":"float","optional":false},"payload":12.34"#,
        ),
        (
            Schema::float64(),
            Value::Float64(12.34),
            r#"{"type":"double","optional":false},"payload":12.34"#,
        ),
        (
            Schema::float64(),
            Value::Float64(1.0),
            r#"{"type":"double","optional":false},"payload":1.0"#,
        ),
        (
            Schema::float64(),
            Value::Float64(1.0e20),
            r#"{"type":"double","optional":false},"payload":1.0E20"#,
        ),
        (
            Schema::string(),
            "test-string".into(),
            r#"{"type":"string","optional":false},"payload":"test-string""#,
        ),
        (
            Schema::bytes(),
            Value::Bytes(Bytes::from_static(b"test-string")),
            r#"{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc=""#,
        ),
    ];
    for (schema, value, rest) in cases {
        assert_eq!(
            write(&c, Some(&schema), &value),
            format!(r#"{{"schema":{rest}}}"#)
        );
    }
}

#[test]
fn structs_are_written_as_kafka_writes_them() {
    let schema = SchemaBuilder::struct_()
        .field("field1", Schema::boolean())
        .field("field2", Schema::string())
        .field("field3", Schema::string())
        .field("field4", Schema::boolean())
        .build();
    let value = Struct::new(schema.clone())
        .with("field1", true)
        .with("field2", "string2")
        .with("field3", "string3")
        .with("field4", false);
    assert_eq!(
        write(&converter(), Some(&schema), &Value::Struct(value)),
        r#"{"schema":{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"field1"},{"type":"string","optional":false,"field":"field2"},{"type":"string","optional":false,"field":"field3"},{"type":"boolean","optional":false,"field":"field4"}],"optional":false},"payload":{"field1":true,"field2":"string2","field3":"string3","field4":false}}"#
    );
}

#[test]
fn logical_types_are_written_as_kafka_writes_them() {
    let decimal = logical::decimal(2).build();
    let value = Value::Decimal(Decimal::new(156, 2));
    let schema_json = r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#;
    assert_eq!(
        write(&converter(), Some(&decimal), &value),
        format!(r#"{{"schema":{schema_json},"payload":"AJw="}}"#)
    );
    assert_eq!(
        write(&numeric(), Some(&decimal), &value),
        format!(r#"{{"schema":{schema_json},"payload":1.56}}"#)
    );
    assert_eq!(
        write(
            &numeric(),
            Some(&decimal),
            &Value::Decimal(Decimal::new(1230, 2))
        ),
        format!(r#"{{"schema":{schema_json},"payload":12.30}}"#)
    );
    assert_eq!(
        write(
            &numeric(),
            Some(&logical::decimal(-2).build()),
            &Value::Decimal(Decimal::new(15, -2))
        ),
        r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"-2"}},"payload":1.5E+3}"#
    );
    assert_eq!(
        write(
            &converter(),
            Some(&logical::date().build()),
            &Value::Int32(10000)
        ),
        r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}"#
    );
    assert_eq!(
        write(
            &converter(),
            Some(&logical::time().build()),
            &Value::Int32(14400000)
        ),
        r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#
    );
    assert_eq!(
        write(
            &converter(),
            Some(&logical::timestamp().build()),
            &Value::Int64(4000000000)
        ),
        r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#
    );
}

#[test]
fn schemaless_values_are_written_with_a_null_schema() {
    let c = converter();
    let array = Value::Array(vec![Value::Int32(1), "2".into(), Value::Int64(3)]);
    assert_eq!(
        write(&c, None, &array),
        r#"{"schema":null,"payload":[1,"2",3]}"#
    );
    let map = Value::Map(vec![(Value::Int32(1), "x".into())]);
    assert_eq!(
        write(&c, None, &map),
        r#"{"schema":null,"payload":[[1,"x"]]}"#
    );
    assert_eq!(write(&plain(), None, &Value::Int64(12)), "12");
    assert_eq!(
        write(&plain(), None, &Value::Decimal(Decimal::new(1230, 2))),
        "12.30"
    );
}

// --------------------------------------------------------- reading, as Kafka

#[test]
fn reads_kafkas_envelopes() {
    let c = converter();
    assert_eq!(
        read(
            &c,
            r#"{ "schema": { "type": "boolean" }, "payload": true }"#
        ),
        (Some(Schema::boolean()), Value::Boolean(true))
    );
    assert_eq!(
        read(
            &c,
            r#"{ "schema": { "type": "boolean", "optional": true }, "payload": null }"#
        ),
        (Some(Schema::optional_boolean()), Value::Null)
    );
    let (schema, value) = read(
        &c,
        r#"{ "schema": { "type": "boolean", "default": true }, "payload": null }"#,
    );
    assert_eq!(schema.unwrap().default, Some(Value::Boolean(true)));
    assert_eq!(value, Value::Boolean(true));
    let (schema, _) = read(
        &c,
        r#"{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }"#,
    );
    let expected = SchemaBuilder::new(SchemaType::Boolean)
        .name("bool")
        .version(2)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build();
    assert_eq!(schema.unwrap(), expected);
    assert_eq!(
        read(&c, r#"{ "schema": { "type": "float" }, "payload": 12.34 }"#).1,
        Value::Float32(12.34)
    );
    assert_eq!(
        read(
            &c,
            r#"{ "schema": { "type": "bytes" }, "payload": "dGVzdC1zdHJpbmc=" }"#
        )
        .1,
        Value::Bytes(Bytes::from_static(b"test-string"))
    );
}

#[test]
fn reads_schemaless_payloads_by_inference() {
    let c = converter();
    assert_eq!(
        read(&c, r#"{ "schema": null, "payload": null }"#),
        (None, Value::Null)
    );
    assert_eq!(
        read(&c, r#"{ "schema": null, "payload": 12 }"#).1,
        Value::Int64(12)
    );
    assert_eq!(
        read(&c, r#"{ "schema": null, "payload": 12.24 }"#).1,
        Value::Float64(12.24)
    );
    assert_eq!(
        read(&c, r#"{ "schema": null, "payload": [1, "2", 3] }"#).1,
        Value::Array(vec![Value::Int64(1), "2".into(), Value::Int64(3)])
    );
    assert_eq!(
        read(
            &c,
            r#"{ "schema": null, "payload": { "field1": 1, "field2": 2} }"#
        )
        .1,
        Value::Map(vec![
            ("field1".into(), Value::Int64(1)),
            ("field2".into(), Value::Int64(2)),
        ])
    );
    assert_eq!(
        read(&plain(), "18446744073709551615").1,
        Value::Float64(18446744073709551615.0)
    );
}

#[test]
fn reads_decimals_exactly_in_both_formats() {
    let c = converter();
    let schema = r#"{ "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "SCALE" } }"#;
    let msg = |scale: &str, payload: &str| {
        format!(
            r#"{{ "schema": {}, "payload": {payload} }}"#,
            schema.replace("SCALE", scale)
        )
    };
    assert_eq!(
        read(&c, &msg("2", r#""AJw=""#)).1,
        Value::Decimal(Decimal::new(156, 2))
    );
    assert_eq!(
        read(&c, &msg("2", "1.56")).1,
        Value::Decimal(Decimal::new(156, 2))
    );
    assert_eq!(
        read(&c, &msg("4", "1.5600")).1,
        Value::Decimal(Decimal::new(15600, 4))
    );
    assert_eq!(
        read(&c, &msg("17", "1.23456789123456789")).1,
        Value::Decimal("1.23456789123456789".parse().unwrap())
    );
    // Fewer fraction digits than the scale: rescaled without loss.
    assert_eq!(
        read(&c, &msg("2", "1.5")).1,
        Value::Decimal(Decimal::new(150, 2))
    );
    // More digits than the scale: kept as written rather than rounded.
    assert_eq!(
        read(&c, &msg("1", "1.25")).1,
        Value::Decimal(Decimal::new(125, 2))
    );
    let (schema, value) = read(
        &c,
        &msg("2", "null").replace(
            "\"version\": 1",
            "\"version\": 1, \"optional\": true, \"default\": \"/no=\"",
        ),
    );
    assert_eq!(value, Value::Decimal(Decimal::new(-390, 2)));
    assert_eq!(
        schema.unwrap().default,
        Some(Value::Decimal(Decimal::new(-390, 2)))
    );
}

#[test]
fn reads_the_payload_even_before_the_schema() {
    let (schema, value) = read(
        &converter(),
        r#"{"payload":{"id":5},"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"note"}],"optional":false,"name":"com.example.Order"}}"#,
    );
    assert_eq!(schema.as_ref(), Some(&order_schema()));
    assert_eq!(
        value,
        Value::Struct(Struct::new(order_schema()).with("id", 5i64))
    );
}

#[test]
fn tombstones_pass_through() {
    let c = converter();
    assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
    assert_eq!(plain().from_connect("t", None, &Value::Null).unwrap(), None);
    assert_eq!(c.to_connect("t", None).unwrap(), (None, Value::Null));
    assert_eq!(
        plain().to_connect("t", Some(b"")).unwrap(),
        (None, Value::Null)
    );
    assert_eq!(
        plain().to_connect("t", Some(b"null")).unwrap(),
        (None, Value::Null)
    );
}

// ------------------------------------------------------------------ defaults

#[test]
fn nulls_are_replaced_by_defaults_unless_configured_otherwise() {
    let schema = SchemaBuilder::new(SchemaType::Int32)
        .optional()
        .default_value(Value::Int32(5))
        .build();
    let c = converter();
    assert_eq!(
        write(&c, Some(&schema), &Value::Null),
        r#"{"schema":{"type":"int32","optional":true,"default":5},"payload":5}"#
    );
    let keep = converter_with(|c| c.replace_null_with_default = false);
    assert_eq!(
        write(&keep, Some(&schema), &Value::Null),
        r#"{"schema":{"type":"int32","optional":true,"default":5},"payload":null}"#
    );
    let msg = r#"{"schema":{"type":"int32","optional":true,"default":5},"payload":null}"#;
    assert_eq!(read(&c, msg).1, Value::Int32(5));
    assert_eq!(read(&keep, msg).1, Value::Null);

    // A missing struct field counts as null.
    let with_default = SchemaBuilder::struct_()
        .field(
            "n",
            SchemaBuilder::new(SchemaType::Int32)
                .default_value(7.into())
                .build(),
        )
        .build();
    let mut out = Vec::new();
    write_schema(&with_default, c.config(), &mut out).unwrap();
    let msg = format!(
        r#"{{"schema":{},"payload":{{}}}}"#,
        String::from_utf8(out).unwrap()
    );
    assert_eq!(
        read(&c, &msg).1,
        Value::Struct(Struct::new(with_default).with("n", 7))
    );
}

#[test]
fn struct_defaults_and_decimal_defaults_survive_the_schema_round_trip() {
    let schema = SchemaBuilder::struct_()
        .field(
            "price",
            logical::decimal(2)
                .default_value(Value::Decimal(Decimal::new(1230, 2)))
                .build(),
        )
        .field(
            "tags",
            SchemaBuilder::array(Schema::string())
                .default_value(Value::Array(vec!["a".into()]))
                .build(),
        )
        .build();
    for c in [converter(), numeric()] {
        let mut out = Vec::new();
        write_schema(&schema, c.config(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let msg = format!(r#"{{"schema":{text},"payload":{{}}}}"#);
        let (read_schema, _) = read(&c, &msg);
        assert_eq!(read_schema.unwrap(), schema, "{text}");
    }
}

// -------------------------------------------------------------------- errors

#[test]
fn bytes_that_are_not_json_are_a_serialization_error() {
    let err = read_err(&converter(), "{ not json");
    assert!(
        err.contains("Converting byte[] to Kafka Connect data failed due to serialization error"),
        "{err}"
    );
    let err = read_err(&plain(), "[1, 2");
    assert!(err.contains("serialization error"), "{err}");
    let err = read_err(&plain(), "1 2");
    assert!(err.contains("serialization error"), "{err}");
}

#[test]
fn plain_json_with_schemas_enabled_says_what_to_do() {
    let c = converter();
    for msg in [
        r#"{"id": 1}"#,
        r#"{"schema": null}"#,
        r#"{"schema": null, "payload": 1, "extra": 2}"#,
        "[1, 2]",
        "42",
        "null",
        "",
    ] {
        let err = read_err(&c, msg);
        assert!(err.contains("schemas.enable=false"), "{msg}: {err}");
        assert!(err.contains("\"schema\" and \"payload\""), "{msg}: {err}");
    }
}

#[test]
fn payloads_that_do_not_match_their_schema_are_refused() {
    let c = converter();
    let cases = [
        (r#"{"schema":{"type":"int32"},"payload":"x"}"#, "INT32"),
        (r#"{"schema":{"type":"int32"},"payload":1.5}"#, "INT32"),
        (
            r#"{"schema":{"type":"int8"},"payload":300}"#,
            "out of range",
        ),
        (r#"{"schema":{"type":"boolean"},"payload":1}"#, "BOOLEAN"),
        (r#"{"schema":{"type":"string"},"payload":true}"#, "STRING"),
        (
            r#"{"schema":{"type":"bytes"},"payload":"!!"}"#,
            "Invalid bytes",
        ),
        (
            r#"{"schema":{"type":"int32"},"payload":null}"#,
            "Invalid null value for required INT32",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[]},"payload":[]}"#,
            "STRUCT",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"type":"int64","field":"id"}]},"payload":{}}"#,
            "\"id\"",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":[]}"#,
            "JSON objects",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1,2,3]]}"#,
            "expected length 2",
        ),
        (
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":true}"#,
            "Decimal",
        ),
        (
            r#"{"schema":{"type":"uuid"},"payload":1}"#,
            "Unknown schema type: uuid",
        ),
        (
            r#"{"schema":{"optional":true},"payload":1}"#,
            "Schema must contain 'type' field",
        ),
        (
            r#"{"schema":{"type":"array"},"payload":[]}"#,
            "element type",
        ),
    ];
    for (msg, want) in cases {
        let err = read_err(&c, msg);
        assert!(err.contains(want), "{msg}: {err}");
    }
    // Integral numbers are fine for integer schemas.
    assert_eq!(
        read(&c, r#"{"schema":{"type":"int32"},"payload":2.0}"#).1,
        Value::Int32(2)
    );
}

#[test]
fn values_that_do_not_match_their_schema_are_refused() {
    let c = converter();
    let err = |schema: &SchemaRef, value: Value| {
        c.from_connect("t", Some(schema), &value)
            .unwrap_err()
            .to_string()
    };
    assert!(err(&Schema::int32(), "x".into()).contains("Invalid type for INT32"));
    assert!(err(&Schema::int64(), Value::Int32(1)).contains("Invalid type for INT64"));
    assert!(err(&Schema::int32(), Value::Null).contains("null value for field that is required"));
    let decimal = logical::decimal(2).build();
    assert!(err(&decimal, Value::Decimal(Decimal::new(1, 3))).contains("mismatching scale"));
    assert!(err(&decimal, Value::Bytes(Bytes::new())).contains("Decimal"));
    let other = SchemaBuilder::struct_().field("x", Schema::int32()).build();
    let value = Value::Struct(Struct::new(order_schema()).with("id", 1i64));
    assert!(err(&other, value).contains("Mismatching schema"));
}

// ------------------------------------------------------------- tree helpers

#[test]
fn schema_json_round_trips_through_trees() {
    let cfg = JsonConverterConfig::default();
    let schema = SchemaBuilder::struct_()
        .name("n")
        .version(1)
        .doc("d")
        .field(
            "a",
            SchemaBuilder::array(Schema::optional_float32()).build(),
        )
        .field(
            "m",
            SchemaBuilder::map(Schema::int16(), Schema::bytes())
                .optional()
                .build(),
        )
        .field("ts", logical::timestamp().optional().build())
        .build();
    let json = schema_to_json(&schema, &cfg).unwrap();
    assert_eq!(
        json["fields"][0]["items"],
        json!({"type": "float", "optional": true})
    );
    assert_eq!(json["fields"][1]["field"], "m");
    assert_eq!(schema_from_json(&json).unwrap(), schema);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["type", "fields", "optional", "name", "version", "doc"]
    );
}

#[test]
fn values_round_trip_through_trees() {
    let cfg = JsonConverterConfig::default();
    let schema = order_schema();
    let value = Value::Struct(
        Struct::new(schema.clone())
            .with("id", 9i64)
            .with("note", "n"),
    );
    let json = value_to_json(Some(&schema), &value, &cfg).unwrap();
    assert_eq!(json, json!({"id": 9, "note": "n"}));
    assert_eq!(value_from_json(Some(&schema), &json, &cfg).unwrap(), value);
    assert_eq!(
        value_from_json(None, &json!({"x": [true]}), &cfg).unwrap(),
        Value::Map(vec![("x".into(), Value::Array(vec![Value::Boolean(true)]))])
    );
}

#[test]
fn schemas_are_cached_both_ways() {
    let c = converter();
    let schema = order_schema();
    let value = Value::Struct(Struct::new(schema.clone()).with("id", 1i64));
    let first = c.from_connect("t", Some(&schema), &value).unwrap().unwrap();
    let second = c.from_connect("t", Some(&schema), &value).unwrap().unwrap();
    assert_eq!(first, second);
    let (a, _) = c.to_connect("t", Some(&first)).unwrap();
    let (b, _) = c.to_connect("t", Some(&second)).unwrap();
    assert!(
        Arc::ptr_eq(&a.unwrap(), &b.unwrap()),
        "the second read reuses the cached schema"
    );
    let uncached = converter_with(|c| c.schemas_cache_size = 0);
    let (a, _) = uncached.to_connect("t", Some(&first)).unwrap();
    let (b, _) = uncached.to_connect("t", Some(&first)).unwrap();
    assert_eq!(a, b);
}

/// Messages whose schema text is the last one read skip tokenising the
/// schema; they must read exactly as the general reader reads them, and
/// everything the general reader refuses stays refused with its message.
#[test]
fn messages_repeating_the_last_schema_read_as_the_general_reader_reads_them() {
    let schema = order_schema();
    let value = Value::Struct(
        Struct::new(schema.clone())
            .with("id", 7i64)
            .with("note", "say \"hi\"\n"),
    );
    let bytes = converter()
        .from_connect("t", Some(&schema), &value)
        .unwrap()
        .unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let warm = converter();
    assert!(
        warm.read_with_last_schema(&bytes).is_none(),
        "no schema read yet"
    );
    let (first_schema, first) = warm.to_connect("t", Some(&bytes)).unwrap();
    // The second message takes the fast path, and reads the same.
    let (fast_schema, fast) = warm.read_with_last_schema(&bytes).expect("fast path");
    assert_eq!(fast, value);
    assert!(Arc::ptr_eq(first_schema.as_ref().unwrap(), &fast_schema));
    let (second_schema, second) = warm.to_connect("t", Some(&bytes)).unwrap();
    assert_eq!(first, value);
    assert_eq!(second, value);
    assert!(Arc::ptr_eq(
        first_schema.as_ref().unwrap(),
        second_schema.as_ref().unwrap()
    ));
    // A trailing newline is whitespace to both readers.
    assert_eq!(read(&warm, &format!("{text}\n")).1, value);

    // Same schema text, broken envelopes and payloads: the same errors as
    // from a converter that has never seen the schema.
    let payload_start = text.find(",\"payload\":").unwrap();
    let head = &text[..payload_start];
    let broken = [
        format!("{head},\"payload\":{{\"id\":1}},\"extra\":2}}"),
        format!("{head},\"payload\":{{\"id\":\"x\"}}}}"),
        format!("{head},\"payload\":{{\"id\":1}}}}}}"),
        format!("{head},\"payload\":{{\"id\":1}}"),
        format!("{head},\"payload\":null}}"),
        format!("{head}}}"),
    ];
    for msg in &broken {
        assert!(
            warm.read_with_last_schema(msg.as_bytes()).is_none(),
            "{msg}"
        );
        let cold = read_err(&converter(), msg);
        assert_eq!(read_err(&warm, msg), cold, "{msg}");
    }
    // The payload may still come first, or the envelope have spaces: the
    // general reader takes those.
    let swapped = format!(
        "{{\"payload\":{{\"id\":7,\"note\":\"say \\\"hi\\\"\\n\"}},\"schema\":{}}}",
        &head["{\"schema\":".len()..]
    );
    let spaced = format!(
        "{{ \"schema\": {}, \"payload\": {} }}",
        &head["{\"schema\":".len()..],
        &text[payload_start + ",\"payload\":".len()..text.len() - 1]
    );
    for msg in [&swapped, &spaced] {
        assert!(
            warm.read_with_last_schema(msg.as_bytes()).is_none(),
            "{msg}"
        );
        assert_eq!(read(&warm, msg).1, value, "{msg}");
    }
}

#[test]
fn from_props_builds_a_configured_converter() {
    let props = [("schemas.enable", "false"), ("decimal.format", "NUMERIC")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let c = JsonConverter::from_props(&props).unwrap();
    let bytes = c
        .from_connect(
            "t",
            Some(&logical::decimal(1).build()),
            &Value::Decimal(Decimal::new(15, 1)),
        )
        .unwrap()
        .unwrap();
    assert_eq!(bytes, b"1.5");
}
