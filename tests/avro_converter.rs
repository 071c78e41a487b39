//! Ferry's `io.confluent.connect.avro.AvroConverter` against the stack's
//! Schema Registry stand-in and an independent client, Confluent's Python
//! `AvroSerializer` / `AvroDeserializer`: Ferry reads what they write,
//! they read what Ferry writes, and for the same schema and record both
//! produce the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_api::data::{logical, Decimal, Struct};
use ferry_api::{ConnectError, Converter, Schema, SchemaBuilder, SchemaRef, SchemaType, Value};
use ferry_converters::converter_for;
use ferry_tests::registry::{self, py};
use ferry_tests::unique;
use serde_json::json;

fn avro_converter(url: &str, extra: &[(&str, &str)], is_key: bool) -> Arc<dyn Converter> {
    let mut props = BTreeMap::new();
    props.insert("schema.registry.url".to_string(), url.to_string());
    for (k, v) in extra {
        props.insert(k.to_string(), v.to_string());
    }
    converter_for(
        "value.converter",
        "io.confluent.connect.avro.AvroConverter",
        &props,
        is_key,
    )
    .expect("converter")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn ferry_reads_what_confluents_python_serializer_writes() {
    let topic = unique("avro-in");
    let r = py(
        &registry::url(),
        &r#"
import datetime, decimal
from confluent_kafka.schema_registry.avro import AvroSerializer
schema = json.dumps({"type": "record", "name": "Payment", "namespace": "shop", "fields": [
  {"name": "id", "type": "long"},
  {"name": "name", "type": "string"},
  {"name": "ok", "type": "boolean"},
  {"name": "f", "type": "float"},
  {"name": "d", "type": "double"},
  {"name": "raw", "type": "bytes"},
  {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "note", "type": ["null", "string"], "default": None},
  {"name": "tags", "type": {"type": "array", "items": "string"}},
  {"name": "counts", "type": {"type": "map", "values": "int"}},
  {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS"]}},
  {"name": "addr", "type": {"type": "record", "name": "Addr", "fields": [{"name": "city", "type": "string"}]}}]})
ser = AvroSerializer(c, schema)
ctx = SerializationContext("@T@", MessageField.VALUE)
base = {"id": 7, "name": "Zoë", "ok": True, "f": 1.5, "d": -2.25, "raw": b"\x00\xff",
        "amount": decimal.Decimal("-123.45"), "day": datetime.date(2024, 2, 29),
        "at": datetime.datetime(2024, 2, 29, 12, 0, 0, 123000, tzinfo=datetime.timezone.utc),
        "tags": ["a", "b"], "counts": {"x": 1}, "suit": "HEARTS", "addr": {"city": "Oslo"}}
one = ser(dict(base, note="hi"), ctx)
two = ser(dict(base, note=None), ctx)
out({"one": one.hex(), "two": two.hex(), "id": c.get_latest_version("@T@-value").schema_id})
"#
        .replace("@T@", &topic),
    );
    let conv = avro_converter(&registry::url(), &[], false);
    let (schema, value) = conv
        .to_connect(&topic, Some(&unhex(r["one"].as_str().unwrap())))
        .expect("reads Confluent's bytes");
    let schema = schema.expect("a schema");
    assert_eq!(schema.name.as_deref(), Some("shop.Payment"));
    assert_eq!(schema.version, Some(1), "the version under <topic>-value");
    let v = value.as_struct().unwrap();
    assert_eq!(v.get("id"), Some(&Value::Int64(7)));
    assert_eq!(v.get("name"), Some(&Value::String("Zoë".into())));
    assert_eq!(v.get("ok"), Some(&Value::Boolean(true)));
    assert_eq!(v.get("f"), Some(&Value::Float32(1.5)));
    assert_eq!(v.get("d"), Some(&Value::Float64(-2.25)));
    assert_eq!(v.get("raw"), Some(&Value::Bytes(vec![0, 255].into())));
    assert_eq!(
        v.get("amount"),
        Some(&Value::Decimal(Decimal::new(-12345, 2)))
    );
    assert!(schema
        .field("amount")
        .unwrap()
        .schema
        .is_logical(logical::DECIMAL));
    // 2024-02-29 is day 19782 since the epoch.
    assert_eq!(v.get("day"), Some(&Value::Int32(19_782)));
    assert_eq!(v.get("at"), Some(&Value::Int64(1_709_208_000_123)));
    assert!(schema
        .field("at")
        .unwrap()
        .schema
        .is_logical(logical::TIMESTAMP));
    assert_eq!(v.get("note"), Some(&Value::String("hi".into())));
    assert_eq!(
        v.get("tags"),
        Some(&Value::Array(vec![
            Value::String("a".into()),
            Value::String("b".into())
        ]))
    );
    assert_eq!(
        v.get("counts"),
        Some(&Value::Map(vec![(
            Value::String("x".into()),
            Value::Int32(1)
        )]))
    );
    assert_eq!(v.get("suit"), Some(&Value::String("HEARTS".into())));
    let addr = v.get("addr").unwrap().as_struct().unwrap();
    assert_eq!(addr.get("city"), Some(&Value::String("Oslo".into())));
    assert_eq!(addr.schema().name.as_deref(), Some("shop.Addr"));

    let (_, two) = conv
        .to_connect(&topic, Some(&unhex(r["two"].as_str().unwrap())))
        .unwrap();
    assert_eq!(two.as_struct().unwrap().get("note"), Some(&Value::Null));
}

/// A Connect schema with what Avro cannot say by itself: int8/int16,
/// Decimal, Date, optional fields with and without defaults, a map with
/// integer keys.
fn order_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("ferry.test.Order")
        .field("id", Schema::int64())
        .field("qty", Schema::int16())
        .field("flag", Schema::int8())
        .field("price", logical::decimal(2).build())
        .field("day", logical::date().build())
        .field("note", Schema::optional_string())
        .field(
            "channel",
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(Value::String("web".into()))
                .build(),
        )
        .field(
            "by_id",
            SchemaBuilder::map(Schema::int32(), Schema::string()).build(),
        )
        .build()
}

fn order(schema: &SchemaRef) -> Value {
    Value::Struct(
        Struct::new(Arc::clone(schema))
            .with("id", Value::Int64(42))
            .with("qty", Value::Int16(-3))
            .with("flag", Value::Int8(1))
            .with("price", Value::Decimal(Decimal::new(1999, 2)))
            .with("day", Value::Int32(19_782))
            .with("note", Value::Null)
            .with("channel", Value::String("app".into()))
            .with(
                "by_id",
                Value::Map(vec![(Value::Int32(5), Value::String("five".into()))]),
            ),
    )
}

#[test]
fn confluents_deserializer_reads_what_ferry_writes_byte_for_byte() {
    let topic = unique("avro-out");
    let conv = avro_converter(&registry::url(), &[], false);
    let schema = order_schema();
    let bytes = conv
        .from_connect(&topic, Some(&schema), &order(&schema))
        .unwrap()
        .expect("bytes");
    let r = py(
        &registry::url(),
        &r#"
import decimal, datetime
from confluent_kafka.schema_registry.avro import AvroSerializer, AvroDeserializer
data = bytes.fromhex("@B@")
latest = c.get_latest_version("@T@-value")
ctx = SerializationContext("@T@", MessageField.VALUE)
got = AvroDeserializer(c)(data, ctx)
# The same record through Confluent's serializer, with the schema Ferry registered.
ser = AvroSerializer(c, latest.schema.schema_str, conf={"auto.register.schemas": False, "use.latest.version": True})
again = ser({"id": 42, "qty": -3, "flag": 1, "price": decimal.Decimal("19.99"),
             "day": datetime.date(2024, 2, 29), "note": None, "channel": "app",
             "by_id": [{"key": 5, "value": "five"}]}, ctx)
got["price"] = str(got["price"])
got["day"] = got["day"].isoformat()
out({"schema": json.loads(latest.schema.schema_str), "id": latest.schema_id, "got": got,
     "again": again.hex()})
"#
        .replace("@T@", &topic)
        .replace("@B@", &hex(&bytes)),
    );
    assert_eq!(bytes[0], 0, "magic byte");
    let id = i32::from_be_bytes(bytes[1..5].try_into().unwrap());
    assert_eq!(
        r["id"],
        json!(id),
        "the id in the frame is the registered one"
    );
    assert_eq!(
        r["got"],
        json!({"id": 42, "qty": -3, "flag": 1, "price": "19.99", "day": "2024-02-29",
               "note": null, "channel": "app", "by_id": [{"key": 5, "value": "five"}]})
    );
    assert_eq!(
        r["again"],
        json!(hex(&bytes)),
        "Confluent's serializer writes the same bytes"
    );
    // The registered schema carries Connect's metadata as Confluent's AvroData writes it.
    let fields = r["schema"]["fields"].as_array().unwrap();
    assert_eq!(r["schema"]["connect.name"], "ferry.test.Order");
    assert_eq!(
        fields[1]["type"],
        json!({"type": "int", "connect.type": "int16"})
    );
    assert_eq!(fields[5]["type"], json!(["null", "string"]));
    assert_eq!(
        fields[6]["type"],
        json!([{"type": "string", "connect.default": "web"}, "null"])
    );
    assert_eq!(fields[6]["default"], "web");
    assert_eq!(fields[7]["type"]["items"]["name"], "MapEntry");

    // And Ferry reads its own bytes back to the same Connect data.
    let (back_schema, back) = conv.to_connect(&topic, Some(&bytes)).unwrap();
    let back_schema = back_schema.unwrap();
    assert_eq!(
        back_schema.field("qty").unwrap().schema.schema_type,
        SchemaType::Int16
    );
    assert_eq!(back, order(&back_schema));
}

#[test]
fn a_new_schema_version_is_registered_and_read_with_its_version() {
    let topic = unique("avro-evolve");
    let conv = avro_converter(&registry::url(), &[], false);
    let v1 = SchemaBuilder::struct_()
        .name("ferry.test.Row")
        .field("id", Schema::int32())
        .build();
    let v2 = SchemaBuilder::struct_()
        .name("ferry.test.Row")
        .field("id", Schema::int32())
        .field("extra", Schema::optional_string())
        .build();
    let b1 = conv
        .from_connect(
            &topic,
            Some(&v1),
            &Value::Struct(Struct::new(Arc::clone(&v1)).with("id", Value::Int32(1))),
        )
        .unwrap()
        .unwrap();
    let b2 = conv
        .from_connect(
            &topic,
            Some(&v2),
            &Value::Struct(
                Struct::new(Arc::clone(&v2))
                    .with("id", Value::Int32(2))
                    .with("extra", Value::String("x".into())),
            ),
        )
        .unwrap()
        .unwrap();
    assert_ne!(b1[1..5], b2[1..5], "two schema ids");
    // A fresh converter (no caches) reads both, with their versions.
    let reader = avro_converter(&registry::url(), &[], false);
    let (s1, _) = reader.to_connect(&topic, Some(&b1)).unwrap();
    let (s2, r2) = reader.to_connect(&topic, Some(&b2)).unwrap();
    assert_eq!(s1.unwrap().version, Some(1));
    assert_eq!(s2.unwrap().version, Some(2));
    assert_eq!(
        r2.as_struct().unwrap().get("extra"),
        Some(&Value::String("x".into()))
    );

    // An incompatible change is refused by the registry: a data error
    // naming the subject, not a retry.
    let breaking = SchemaBuilder::struct_()
        .name("ferry.test.Row")
        .field("id", Schema::string())
        .build();
    let err = conv
        .from_connect(
            &topic,
            Some(&breaking),
            &Value::Struct(
                Struct::new(Arc::clone(&breaking)).with("id", Value::String("a".into())),
            ),
        )
        .unwrap_err();
    assert!(matches!(err, ConnectError::Data { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("{topic}-value")), "{err}");
}

#[test]
fn bad_bytes_and_unknown_ids_are_data_errors_and_an_unreachable_registry_is_retriable() {
    let topic = unique("avro-bad");
    let conv = avro_converter(&registry::url(), &[], false);
    let err = conv
        .to_connect(&topic, Some(b"{\"plain\":\"json\"}"))
        .unwrap_err();
    assert!(matches!(err, ConnectError::Data { .. }), "{err:?}");
    assert!(err.to_string().contains("magic byte"), "{err}");

    let mut unknown = vec![0u8];
    unknown.extend_from_slice(&(i32::MAX - 7).to_be_bytes());
    unknown.push(2);
    let err = conv.to_connect(&topic, Some(&unknown)).unwrap_err();
    assert!(matches!(err, ConnectError::Data { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("{}", i32::MAX - 7)),
        "{err}"
    );

    // A schema written by another converter is refused by type.
    let r = py(
        &registry::url(),
        &r#"
id = c.register_schema("@T@-value", Schema('{"type": "object"}', "JSON"))
out({"id": id})
"#
        .replace("@T@", &topic),
    );
    let mut json_framed = vec![0u8];
    json_framed.extend_from_slice(&(r["id"].as_i64().unwrap() as i32).to_be_bytes());
    json_framed.extend_from_slice(b"{}");
    let err = conv.to_connect(&topic, Some(&json_framed)).unwrap_err();
    assert!(err.to_string().contains("not Avro"), "{err}");

    // Nothing listens here: the task is to wait and retry.
    let down = avro_converter(
        &format!("http://127.0.0.1:{}", ferry_tests::free_port()),
        &[("schema.registry.request.timeout.ms", "2000")],
        false,
    );
    let s = order_schema();
    let err = down.from_connect(&topic, Some(&s), &order(&s)).unwrap_err();
    assert!(matches!(err, ConnectError::Retriable { .. }), "{err:?}");
    let err = down.to_connect(&topic, Some(&unknown)).unwrap_err();
    assert!(matches!(err, ConnectError::Retriable { .. }), "{err:?}");

    // Tombstones stay tombstones; a null for a required schema is refused.
    assert_eq!(conv.from_connect(&topic, None, &Value::Null).unwrap(), None);
    assert_eq!(conv.to_connect(&topic, None).unwrap(), (None, Value::Null));
    assert!(conv
        .from_connect(&topic, Some(&Schema::int32()), &Value::Null)
        .is_err());
}

#[test]
fn keys_use_the_key_subject_and_record_strategies_name_subjects_by_record() {
    let topic = unique("avro-subjects");
    let keys = avro_converter(&registry::url(), &[], true);
    keys.from_connect(&topic, Some(&Schema::int64()), &Value::Int64(9))
        .unwrap();
    let by_record = avro_converter(
        &registry::url(),
        &[(
            "value.subject.name.strategy",
            "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
        )],
        false,
    );
    let s = order_schema();
    by_record
        .from_connect(&topic, Some(&s), &order(&s))
        .unwrap();
    let r = py(
        &registry::url(),
        &r#"
out({"subjects": sorted(s for s in c.get_subjects() if s.startswith("@T@"))})
"#
        .replace("@T@", &topic),
    );
    assert_eq!(
        r["subjects"],
        json!([format!("{topic}-ferry.test.Order"), format!("{topic}-key")])
    );
}

#[test]
fn use_latest_version_writes_with_the_subjects_latest_schema() {
    let topic = unique("avro-latest");
    // The subject's latest schema has a field with a default the
    // records do not have.
    py(
        &registry::url(),
        &r#"
c.register_schema("@T@-value", Schema(json.dumps({"type": "record", "name": "Row", "namespace": "ferry.test",
  "fields": [{"name": "id", "type": "int"}, {"name": "src", "type": "string", "default": "ferry"}]}), "AVRO"))
out({})
"#
        .replace("@T@", &topic),
    );
    let conv = avro_converter(
        &registry::url(),
        &[
            ("auto.register.schemas", "false"),
            ("use.latest.version", "true"),
            ("latest.compatibility.strict", "false"),
        ],
        false,
    );
    let s = SchemaBuilder::struct_()
        .name("ferry.test.Row")
        .field("id", Schema::int32())
        .build();
    let bytes = conv
        .from_connect(
            &topic,
            Some(&s),
            &Value::Struct(Struct::new(Arc::clone(&s)).with("id", Value::Int32(3))),
        )
        .unwrap()
        .unwrap();
    let (read_schema, v) = avro_converter(&registry::url(), &[], false)
        .to_connect(&topic, Some(&bytes))
        .unwrap();
    assert_eq!(read_schema.unwrap().version, Some(1));
    let v = v.as_struct().unwrap();
    assert_eq!(v.get("id"), Some(&Value::Int32(3)));
    assert_eq!(v.get("src"), Some(&Value::String("ferry".into())));

    // Without auto-registration and latest, an unknown schema is refused.
    let lookup_only = avro_converter(
        &registry::url(),
        &[("auto.register.schemas", "false")],
        false,
    );
    let other = SchemaBuilder::struct_()
        .name("ferry.test.Other")
        .field("x", Schema::int32())
        .build();
    let err = lookup_only
        .from_connect(
            &topic,
            Some(&other),
            &Value::Struct(Struct::new(Arc::clone(&other)).with("x", Value::Int32(1))),
        )
        .unwrap_err();
    assert!(matches!(err, ConnectError::Data { .. }), "{err:?}");
}
