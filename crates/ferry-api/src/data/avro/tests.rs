//! Golden cases from Confluent's `AvroDataTest` (schemas as Avro's Java
//! library prints them) and round trips through real Avro encoding.

use std::sync::Arc;

use apache_avro::types::Value as AvroValue;
use serde_json::json;

use super::*;
use crate::data::{logical, Decimal, Struct};
use crate::{Schema, SchemaBuilder, SchemaType};

fn avro_data() -> AvroData {
    AvroData::default()
}

fn enhanced() -> AvroData {
    AvroData::new(AvroDataConfig {
        enhanced_avro_schema_support: true,
        ..AvroDataConfig::default()
    })
}

fn text_of(data: &AvroData, schema: &Schema) -> String {
    data.from_connect_schema(schema).expect("maps").text
}

fn assert_json(data: &AvroData, schema: &Schema, expected: serde_json::Value) {
    assert_eq!(text_of(data, schema), expected.to_string());
}

/// Connect value → Avro bytes → Connect value, through the mapped schemas.
fn round_trip(data: &AvroData, schema: &SchemaRef, value: &Value) -> (SchemaRef, Value) {
    let avro = data.from_connect_schema(schema).unwrap();
    let datum = data.from_connect_data(schema, value).unwrap();
    let bytes = apache_avro::to_avro_datum(&avro.schema, datum).unwrap();
    let decoded = apache_avro::from_avro_datum(&avro.schema, &mut bytes.as_slice(), None).unwrap();
    let back_schema = data.to_connect_schema(&avro.text, None).unwrap();
    let back = data.to_connect_data(&back_schema, &avro, decoded).unwrap();
    (back_schema, back)
}

#[test]
fn primitives_map_to_avro_types() {
    let d = avro_data();
    assert_json(&d, &Schema::boolean(), json!("boolean"));
    assert_json(&d, &Schema::int32(), json!("int"));
    assert_json(&d, &Schema::int64(), json!("long"));
    assert_json(&d, &Schema::float32(), json!("float"));
    assert_json(&d, &Schema::float64(), json!("double"));
    assert_json(&d, &Schema::string(), json!("string"));
    assert_json(&d, &Schema::bytes(), json!("bytes"));
    assert_json(
        &d,
        &Schema::int8(),
        json!({"type": "int", "connect.type": "int8"}),
    );
    assert_json(
        &d,
        &Schema::int16(),
        json!({"type": "int", "connect.type": "int16"}),
    );
}

#[test]
fn optional_schemas_are_unions_with_null_first_unless_defaulted() {
    let d = avro_data();
    assert_json(&d, &Schema::optional_string(), json!(["null", "string"]));
    assert_json(
        &d,
        &Schema::optional_int8(),
        json!(["null", {"type": "int", "connect.type": "int8"}]),
    );
    let defaulted = SchemaBuilder::new(SchemaType::Int32)
        .optional()
        .default_value(Value::Int32(5))
        .build();
    assert_json(
        &d,
        &defaulted,
        json!([{"type": "int", "connect.default": 5}, "null"]),
    );
}

#[test]
fn logical_types_carry_connect_metadata_and_avro_logical_types() {
    let d = avro_data();
    assert_json(
        &d,
        &logical::decimal(2).build(),
        json!({"type": "bytes", "scale": 2, "precision": 64, "connect.version": 1,
               "connect.parameters": {"scale": "2"},
               "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}),
    );
    assert_json(
        &d,
        &logical::decimal(2)
            .parameter("connect.decimal.precision", "10")
            .build(),
        json!({"type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
               "connect.parameters": {"connect.decimal.precision": "10", "scale": "2"},
               "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}),
    );
    assert_json(
        &d,
        &logical::date().build(),
        json!({"type": "int", "connect.version": 1,
               "connect.name": "org.apache.kafka.connect.data.Date", "logicalType": "date"}),
    );
    assert_json(
        &d,
        &logical::time().build(),
        json!({"type": "int", "connect.version": 1,
               "connect.name": "org.apache.kafka.connect.data.Time", "logicalType": "time-millis"}),
    );
    assert_json(
        &d,
        &logical::timestamp().build(),
        json!({"type": "long", "connect.version": 1,
               "connect.name": "org.apache.kafka.connect.data.Timestamp",
               "logicalType": "timestamp-millis"}),
    );
}

#[test]
fn a_scale_beyond_the_precision_keeps_plain_bytes_with_the_legacy_annotation() {
    let d = avro_data();
    let s = logical::decimal(5)
        .parameter("connect.decimal.precision", "3")
        .build();
    let avro = d.from_connect_schema(&s).unwrap();
    assert!(
        avro.text.contains(r#""logicalType":"decimal""#),
        "{}",
        avro.text
    );
    let v = Value::Decimal(Decimal::new(12345, 5));
    let (back_schema, back) = round_trip(&d, &s, &v);
    assert_eq!(back, v);
    assert_eq!(back_schema.decimal_scale(), Some(5));
}

#[test]
fn arrays_and_string_maps_map_directly_other_maps_to_map_entries() {
    let d = avro_data();
    assert_json(
        &d,
        &SchemaBuilder::array(Schema::int32()).build(),
        json!({"type": "array", "items": "int"}),
    );
    assert_json(
        &d,
        &SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
        json!({"type": "map", "values": "int"}),
    );
    assert_json(
        &d,
        &SchemaBuilder::map(Schema::int32(), Schema::int32()).build(),
        json!({"type": "array", "items": {"type": "record", "name": "MapEntry",
               "namespace": "io.confluent.connect.avro",
               "fields": [{"name": "key", "type": "int"}, {"name": "value", "type": "int"}]}}),
    );
    // An optional string key cannot be an Avro map key either.
    assert_json(
        &d,
        &SchemaBuilder::map(Schema::optional_string(), Schema::int32()).build(),
        json!({"type": "array", "items": {"type": "record", "name": "MapEntry",
               "namespace": "io.confluent.connect.avro",
               "fields": [{"name": "key", "type": ["null", "string"], "default": null},
                          {"name": "value", "type": "int"}]}}),
    );
}

#[test]
fn unnamed_structs_are_connect_default_records() {
    let s = SchemaBuilder::struct_()
        .field(
            "int8",
            SchemaBuilder::new(SchemaType::Int8)
                .default_value(Value::Int8(2))
                .build(),
        )
        .field("opt", Schema::optional_string())
        .build();
    assert_json(
        &avro_data(),
        &s,
        json!({"type": "record", "name": "ConnectDefault", "namespace": "io.confluent.connect.avro",
               "fields": [
                 {"name": "int8", "type": {"type": "int", "connect.default": 2, "connect.type": "int8"}, "default": 2},
                 {"name": "opt", "type": ["null", "string"], "default": null}]}),
    );
}

/// The shape of a Debezium change event: `after` reuses `before`'s record
/// by name, nested records in another namespace say so.
fn envelope() -> SchemaRef {
    let value = SchemaBuilder::struct_()
        .name("server.public.t.Value")
        .field("id", Schema::int32())
        .field("amount", logical::decimal(2).optional().build())
        .optional()
        .build();
    let source = SchemaBuilder::struct_()
        .name("io.debezium.connector.postgresql.Source")
        .field("version", Schema::string())
        .build();
    SchemaBuilder::struct_()
        .name("server.public.t.Envelope")
        .version(1)
        .field("before", Arc::clone(&value))
        .field("after", value)
        .field("source", source)
        .field("op", Schema::string())
        .field("ts_ms", Schema::optional_int64())
        .build()
}

#[test]
fn a_named_type_used_twice_is_defined_once_and_then_referred_to() {
    let decimal = json!({"type": "bytes", "scale": 2, "precision": 64, "connect.version": 1,
        "connect.parameters": {"scale": "2"},
        "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"});
    assert_json(
        &avro_data(),
        &envelope(),
        json!({"type": "record", "name": "Envelope", "namespace": "server.public.t", "fields": [
            {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": [
                {"name": "id", "type": "int"},
                {"name": "amount", "type": ["null", decimal], "default": null}],
                "connect.name": "server.public.t.Value"}], "default": null},
            {"name": "after", "type": ["null", "Value"], "default": null},
            {"name": "source", "type": {"type": "record", "name": "Source",
                "namespace": "io.debezium.connector.postgresql",
                "fields": [{"name": "version", "type": "string"}],
                "connect.name": "io.debezium.connector.postgresql.Source"}},
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": null}],
            "connect.version": 1, "connect.name": "server.public.t.Envelope"}),
    );
}

#[test]
fn two_different_schemas_with_one_name_are_refused() {
    let a = SchemaBuilder::struct_()
        .name("x.A")
        .field("i", Schema::int32())
        .build();
    let b = SchemaBuilder::struct_()
        .name("x.A")
        .field("s", Schema::string())
        .build();
    let s = SchemaBuilder::struct_().field("a", a).field("b", b).build();
    let err = avro_data().from_connect_schema(&s).unwrap_err().to_string();
    assert!(err.contains("x.A"), "{err}");
}

#[test]
fn metadata_is_dropped_without_connect_meta_data() {
    let d = AvroData::new(AvroDataConfig {
        connect_meta_data: false,
        ..AvroDataConfig::default()
    });
    assert_json(&d, &Schema::int8(), json!("int"));
    let s = SchemaBuilder::struct_()
        .name("a.B")
        .version(3)
        .doc("documented")
        .field("d", logical::date().build())
        .build();
    assert_json(
        &d,
        &s,
        json!({"type": "record", "name": "B", "namespace": "a",
               "fields": [{"name": "d", "type": {"type": "int", "logicalType": "date"}}]}),
    );
}

#[test]
fn doc_version_parameters_and_name_survive_a_round_trip() {
    let d = avro_data();
    let s = SchemaBuilder::struct_()
        .name("com.example.Order")
        .version(2)
        .doc("an order")
        .parameter("owner", "sales")
        .field("id", Schema::int64())
        .field("small", Schema::int16())
        .field(
            "note",
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(Value::String("none".into()))
                .build(),
        )
        .field("price", logical::decimal(3).build())
        .field("day", logical::date().optional().build())
        .field("at", logical::timestamp().build())
        .field("tags", SchemaBuilder::array(Schema::string()).build())
        .field(
            "counts",
            SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
        )
        .field(
            "by_id",
            SchemaBuilder::map(Schema::int32(), Schema::optional_string()).build(),
        )
        .field("raw", Schema::optional_bytes())
        .build();
    let value = Value::Struct(
        Struct::new(Arc::clone(&s))
            .with("id", Value::Int64(7))
            .with("small", Value::Int16(-3))
            .with("note", Value::Null)
            .with("price", Value::Decimal(Decimal::new(-12345, 3)))
            .with("day", Value::Int32(19_000))
            .with("at", Value::Int64(1_700_000_000_123))
            .with("tags", Value::Array(vec![Value::String("a".into())]))
            .with(
                "counts",
                Value::Map(vec![
                    (Value::String("x".into()), Value::Int32(1)),
                    (Value::String("y".into()), Value::Int32(2)),
                ]),
            )
            .with(
                "by_id",
                Value::Map(vec![
                    (Value::Int32(1), Value::String("one".into())),
                    (Value::Int32(2), Value::Null),
                ]),
            )
            .with("raw", Value::Bytes(vec![0, 255].into())),
    );
    let (back_schema, back) = round_trip(&d, &s, &value);
    assert_eq!(back_schema, s);
    // The null `note` reads as its default, as Connect's Struct.get gives it.
    let Value::Struct(expected) = value else {
        unreachable!()
    };
    let expected = Value::Struct(expected.with("note", Value::String("none".into())));
    assert_eq!(
        back.as_struct().unwrap().values(),
        expected.as_struct().unwrap().values()
    );
}

#[test]
fn the_envelope_round_trips_with_its_shared_record() {
    let d = avro_data();
    let s = envelope();
    let value_schema = Arc::clone(&s.field("after").unwrap().schema);
    let after = Struct::new(value_schema)
        .with("id", Value::Int32(1))
        .with("amount", Value::Decimal(Decimal::new(995, 2)));
    let source = Struct::new(Arc::clone(&s.field("source").unwrap().schema))
        .with("version", Value::String("2.7".into()));
    let v = Value::Struct(
        Struct::new(Arc::clone(&s))
            .with("before", Value::Null)
            .with("after", Value::Struct(after))
            .with("source", Value::Struct(source))
            .with("op", Value::String("c".into()))
            .with("ts_ms", Value::Int64(5)),
    );
    let (back_schema, back) = round_trip(&d, &s, &v);
    assert_eq!(back_schema, s);
    assert_eq!(back, v);
}

#[test]
fn avro_field_defaults_become_connect_defaults_marked_as_such() {
    let d = avro_data();
    let s = d
        .to_connect_schema(
            r#"{"type":"record","name":"R","namespace":"n","fields":[
                {"name":"a","type":"int","default":5},
                {"name":"b","type":["null","string"],"default":null},
                {"name":"c","type":{"type":"long","connect.default":7}},
                {"name":"d","type":"string","doc":"about d"}]}"#,
            Some(4),
        )
        .unwrap();
    assert_eq!(s.name.as_deref(), Some("n.R"));
    assert_eq!(
        s.version,
        Some(4),
        "the registry version when connect.version is absent"
    );
    let a = &s.field("a").unwrap().schema;
    assert_eq!(a.default, Some(Value::Int32(5)));
    assert_eq!(a.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP), Some("true"));
    let b = &s.field("b").unwrap().schema;
    assert!(b.optional && b.default.is_none() && b.parameters.is_empty());
    let c = &s.field("c").unwrap().schema;
    assert_eq!(c.default, Some(Value::Int64(7)));
    assert_eq!(c.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP), None);
    assert_eq!(
        s.parameter("io.confluent.connect.avro.field.doc.d"),
        Some("about d")
    );
    // Written back, the flag keeps the default in the Avro field only.
    let text = text_of(&d, &s);
    assert!(
        text.contains(r#"{"name":"a","type":"int","default":5}"#),
        "{text}"
    );
    assert!(
        !text.contains("io.confluent.connect.avro.field.default"),
        "{text}"
    );
}

#[test]
fn enums_are_strings_and_come_back_as_enums_with_enhanced_support() {
    let avro = r#"{"type":"enum","name":"Suit","namespace":"cards","symbols":["SPADES","HEARTS"]}"#;
    let plain = avro_data().to_connect_schema(avro, None).unwrap();
    assert_eq!(plain.schema_type, SchemaType::String);
    assert_eq!(plain.name.as_deref(), Some("cards.Suit"));
    assert_eq!(plain.parameter(AVRO_TYPE_ENUM), Some("cards.Suit"));
    assert_eq!(
        plain.parameter("io.confluent.connect.avro.Enum.HEARTS"),
        Some("HEARTS")
    );
    // Without enhanced support the enum is written as a string.
    assert_eq!(
        avro_data().from_connect_schema(&plain).unwrap().schema,
        apache_avro::Schema::String
    );
    let d = enhanced();
    let schema = d.to_connect_schema(avro, None).unwrap();
    let mapped = d.from_connect_schema(&schema).unwrap();
    assert!(
        mapped
            .text
            .starts_with(r#"{"type":"enum","name":"Suit","namespace":"cards","symbols":["#),
        "{}",
        mapped.text
    );
    let (_, back) = round_trip(&d, &schema, &Value::String("SPADES".into()));
    assert_eq!(back, Value::String("SPADES".into()));
    let err = d
        .from_connect_data(&schema, &Value::String("JOKER".into()))
        .unwrap_err();
    assert!(err.to_string().contains("JOKER"), "{err}");
}

#[test]
fn unions_become_union_structs_with_a_field_per_branch() {
    let avro = r#"["null","int","string",{"type":"record","name":"P","namespace":"x","fields":[{"name":"i","type":"int"}]}]"#;
    let plain = avro_data().to_connect_schema(avro, None).unwrap();
    assert_eq!(plain.name.as_deref(), Some(AVRO_TYPE_UNION));
    assert!(plain.optional);
    let names: Vec<_> = plain.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["int", "string", "P"]);
    assert!(plain.fields.iter().all(|f| f.schema.optional));
    let full = enhanced().to_connect_schema(avro, None).unwrap();
    assert_eq!(full.fields[2].name, "x.P");

    let d = avro_data();
    let parsed = AvroSchemaText::parse(avro).unwrap();
    for (index, inner, field) in [
        (1, AvroValue::Int(3), "int"),
        (2, AvroValue::String("s".into()), "string"),
    ] {
        let v = d
            .to_connect_data(&plain, &parsed, AvroValue::Union(index, Box::new(inner)))
            .unwrap();
        let s = v.as_struct().unwrap();
        assert!(!s.get(field).unwrap().is_null(), "{field}");
        // And back to the same branch.
        match d.from_connect_data(&plain, &v).unwrap() {
            AvroValue::Union(i, _) => assert_eq!(i, index),
            other => panic!("{other:?}"),
        }
    }
    let null = d
        .to_connect_data(
            &plain,
            &parsed,
            AvroValue::Union(0, Box::new(AvroValue::Null)),
        )
        .unwrap();
    assert!(null.is_null());
}

#[test]
fn null_for_a_required_schema_is_a_data_error() {
    let s = SchemaBuilder::struct_()
        .field("id", Schema::int32())
        .build();
    let v = Value::Struct(Struct::new(Arc::clone(&s)));
    let err = avro_data()
        .from_connect_data(&s, &v)
        .unwrap_err()
        .to_string();
    assert!(err.contains("field id") && err.contains("null"), "{err}");
}

#[test]
fn recursive_avro_schemas_are_refused_naming_the_type() {
    let avro =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;
    let err = avro_data()
        .to_connect_schema(avro, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Node") && err.contains("recursive"), "{err}");
}

#[test]
fn schemas_written_by_other_clients_read_with_their_logical_types() {
    // The shape Python's fastavro / Confluent's serializers register.
    let avro = r#"{"type":"record","name":"Payment","namespace":"shop","fields":[
        {"name":"id","type":"string"},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"at","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},
        {"name":"micros","type":{"type":"long","logicalType":"timestamp-micros"}}]}"#;
    let d = avro_data();
    let s = d.to_connect_schema(avro, None).unwrap();
    let amount = &s.field("amount").unwrap().schema;
    assert_eq!(amount.decimal_scale(), Some(2));
    assert_eq!(
        amount.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP),
        Some("9")
    );
    assert!(s.field("day").unwrap().schema.is_logical(logical::DATE));
    let at = &s.field("at").unwrap().schema;
    assert!(at.optional && at.is_logical(logical::TIMESTAMP));
    assert_eq!(
        s.field("micros").unwrap().schema.schema_type,
        SchemaType::Int64
    );

    let parsed = AvroSchemaText::parse(avro).unwrap();
    let record = AvroValue::Record(vec![
        ("id".into(), AvroValue::String("p1".into())),
        (
            "amount".into(),
            AvroValue::Decimal(apache_avro::Decimal::from(vec![0x30, 0x39])),
        ),
        ("day".into(), AvroValue::Date(10)),
        (
            "at".into(),
            AvroValue::Union(1, Box::new(AvroValue::TimestampMillis(99))),
        ),
        ("micros".into(), AvroValue::TimestampMicros(5)),
    ]);
    let bytes = apache_avro::to_avro_datum(&parsed.schema, record).unwrap();
    let decoded =
        apache_avro::from_avro_datum(&parsed.schema, &mut bytes.as_slice(), None).unwrap();
    let v = d.to_connect_data(&s, &parsed, decoded).unwrap();
    let v = v.as_struct().unwrap();
    assert_eq!(
        v.get("amount"),
        Some(&Value::Decimal(Decimal::new(12345, 2)))
    );
    assert_eq!(v.get("day"), Some(&Value::Int32(10)));
    assert_eq!(v.get("at"), Some(&Value::Int64(99)));
    assert_eq!(v.get("micros"), Some(&Value::Int64(5)));
    // Written back with the Connect schema, precision 9 is kept.
    let text = text_of(&d, &s);
    assert!(text.contains(r#""precision":9"#), "{text}");
}
