//! The Schema Registry stand-in in the local stack, checked with an
//! independent client: Confluent's Python `confluent_kafka.schema_registry`
//! (`SchemaRegistryClient`, the Avro, Protobuf and JSON Schema serializers
//! and deserializers).
//!
//! Tests against the shared stack registry use subjects of their own and
//! change only subject-level configuration; those that restart a registry or
//! need basic auth start a private one on another port.

use ferry_tests::registry::{self, py, Registry};
use ferry_tests::{test_dir, unique};
use serde_json::{json, Value};

/// `code` with `@S@` replaced by a fresh subject prefix, run against the
/// stack's registry.
fn run(code: &str) -> Value {
    run_at(&registry::url(), code)
}

fn run_at(url: &str, code: &str) -> Value {
    py(url, &code.replace("@S@", &unique("sr")))
}

#[test]
fn client_registers_looks_up_and_reports_errors() {
    let r = run(r#"
s1, s2 = "@S@-a-value", "@S@-b-value"
# The doc makes the schema (so its global id) this run's own.
v1 = json.dumps({"type": "record", "name": "User", "namespace": "ferry.t", "doc": "@S@",
                 "fields": [{"name": "name", "type": "string"}]})
# Same schema with other whitespace and key order: the same canonical form.
v1_again = json.dumps({"namespace": "ferry.t", "doc": "@S@", "name": "User", "type": "record",
                       "fields": [{"type": "string", "name": "name"}]}, indent=2)
v2 = json.dumps({"type": "record", "name": "User", "namespace": "ferry.t", "doc": "@S@",
                 "fields": [{"name": "name", "type": "string"},
                            {"name": "age", "type": "int", "default": 0}]})
id1 = c.register_schema(s1, Schema(v1, "AVRO"))
fresh = SchemaRegistryClient({"url": URL})  # no cache: every answer comes from the server
id1_again = fresh.register_schema(s1, Schema(v1_again, "AVRO"))
id1_other_subject = fresh.register_schema(s2, Schema(v1, "AVRO"))
id2 = fresh.register_schema(s1, Schema(v2, "AVRO"))
got = fresh.get_schema(id1)
looked = fresh.lookup_schema(s1, Schema(v1_again, "AVRO"))
latest = fresh.get_latest_version(s1)
first = fresh.get_version(s1, 1)
out({
    "id1": id1, "id1_again": id1_again, "id1_other_subject": id1_other_subject, "id2": id2,
    "got_schema": json.loads(got.schema_str), "got_type": got.schema_type,
    "lookup": [looked.subject, looked.version, looked.schema_id],
    "latest": [latest.subject, latest.version, latest.schema_id, json.loads(latest.schema.schema_str)],
    "first": [first.version, first.schema_id],
    "versions": fresh.get_versions(s1),
    "subjects": [s for s in fresh.get_subjects() if s in (s1, s2)],
    "by_id_subjects": sorted(fresh.get_subjects_by_schema_id(id1)),
    "by_id_versions": sorted([v.subject, v.version] for v in fresh.get_schema_versions(id1)),
    "s1": s1, "s2": s2, "v1": json.loads(v1), "v2": json.loads(v2),
    "errors": {
        "schema_id": code(lambda: fresh.get_schema(2**31 - 7)),
        "subject": code(lambda: fresh.get_latest_version("@S@-missing")),
        "version": code(lambda: fresh.get_version(s1, 99)),
        "lookup_subject": code(lambda: fresh.lookup_schema("@S@-missing", Schema(v1, "AVRO"))),
        "lookup_schema": code(lambda: fresh.lookup_schema(
            s1, Schema('{"type": "record", "name": "Other", "fields": []}', "AVRO"))),
        "invalid": code(lambda: fresh.register_schema(s1, Schema('{"type": "recrod"}', "AVRO"))),
        "bad_default": code(lambda: fresh.register_schema(s1, Schema(json.dumps(
            {"type": "record", "name": "D", "fields": [{"name": "f", "type": "int", "default": "x"}]}), "AVRO"))),
        "not_json": code(lambda: fresh.register_schema(s1, Schema("{nope", "AVRO"))),
    },
})
"#);
    let id1 = r["id1"].as_i64().unwrap();
    let id2 = r["id2"].as_i64().unwrap();
    assert_eq!(r["id1_again"], json!(id1), "same canonical schema, same id");
    assert_eq!(r["id1_other_subject"], json!(id1), "ids are global");
    assert_ne!(id1, id2);
    assert_eq!(r["got_schema"], r["v1"]);
    assert_eq!(r["got_type"], "AVRO");
    assert_eq!(r["lookup"], json!([r["s1"], 1, id1]));
    assert_eq!(r["latest"], json!([r["s1"], 2, id2, r["v2"]]));
    assert_eq!(r["first"], json!([1, id1]));
    assert_eq!(
        r["versions"],
        json!([1, 2]),
        "re-registering v1 made no new version"
    );
    assert_eq!(r["subjects"], json!([r["s1"], r["s2"]]));
    assert_eq!(r["by_id_subjects"], json!([r["s1"], r["s2"]]));
    assert_eq!(r["by_id_versions"], json!([[r["s1"], 1], [r["s2"], 1]]));
    let e = &r["errors"];
    assert_eq!(e["schema_id"], json!([404, 40403]));
    assert_eq!(e["subject"], json!([404, 40401]));
    assert_eq!(e["version"], json!([404, 40402]));
    assert_eq!(e["lookup_subject"], json!([404, 40401]));
    assert_eq!(e["lookup_schema"], json!([404, 40403]));
    assert_eq!(e["invalid"], json!([422, 42201]));
    assert_eq!(e["bad_default"], json!([422, 42201]));
    assert_eq!(e["not_json"], json!([422, 42201]));
}

#[test]
fn compatibility_config_per_subject() {
    let r = run(r#"
s = "@S@-value"
base = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
c.register_schema(s, Schema(json.dumps(base), "AVRO"))
no_config = code(lambda: c.get_compatibility(s))
put = c.set_compatibility(s, "full_transitive")
got = c.get_compatibility(s)
bad_level = code(lambda: c.set_compatibility(s, "SIDEWAYS"))
out({
    "global": c.get_compatibility(), "no_config": no_config, "put": put, "got": got,
    "bad_level": bad_level,
})
"#);
    assert_eq!(r["global"], "BACKWARD", "Confluent's default global level");
    assert_eq!(r["no_config"], json!([404, 40408]));
    assert_eq!(r["put"], json!({"compatibility": "FULL_TRANSITIVE"}));
    assert_eq!(r["got"], "FULL_TRANSITIVE");
    assert_eq!(r["bad_level"], json!([422, 42203]));
}

#[test]
fn backward_needs_defaults_for_added_fields_and_none_allows_anything() {
    let r = run(r#"
s = "@S@-value"
def rec(*fields):
    return Schema(json.dumps({"type": "record", "name": "Ev", "namespace": "ferry.t", "fields": list(fields)}), "AVRO")
a = {"name": "a", "type": "int"}
with_default = {"name": "b", "type": "string", "default": "x"}
without_default = {"name": "c", "type": "string"}
c.register_schema(s, rec(a))
ok_test = c.test_compatibility(s, rec(a, with_default))
id_ok = c.register_schema(s, rec(a, with_default))
bad_test = c.test_compatibility(s, rec(a, with_default, without_default))
try:
    c.register_schema(s, rec(a, with_default, without_default))
    rejected = None
except SchemaRegistryError as e:
    rejected = [e.http_status_code, e.error_code, e.error_message]
versions_after_reject = c.get_versions(s)
c.set_compatibility(s, "NONE")
none_test = c.test_compatibility(s, rec(a, with_default, without_default))
id_none = c.register_schema(s, rec(a, with_default, without_default))
out({"ok_test": ok_test, "id_ok": id_ok, "bad_test": bad_test, "rejected": rejected,
     "versions_after_reject": versions_after_reject, "none_test": none_test,
     "id_none": id_none, "versions": c.get_versions(s), "s": s})
"#);
    assert_eq!(r["ok_test"], true);
    assert_eq!(r["bad_test"], false);
    let rejected = &r["rejected"];
    assert_eq!(rejected[0], 409);
    assert_eq!(rejected[1], 409);
    let msg = rejected[2].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "Schema being registered is incompatible with an earlier schema for subject \"{}\"",
            r["s"].as_str().unwrap()
        )),
        "{msg}"
    );
    assert!(msg.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{msg}");
    assert_eq!(r["versions_after_reject"], json!([1, 2]));
    assert_eq!(r["none_test"], true);
    assert_ne!(r["id_none"], r["id_ok"]);
    assert_eq!(r["versions"], json!([1, 2, 3]));
}

#[test]
fn avro_resolution_rules_per_level() {
    // Each case: level, the registered history (oldest first), the candidate,
    // and whether Avro's resolution rules let it in.
    let r = run(r#"
def rec(fields, name="R", **extra):
    d = {"type": "record", "name": name, "namespace": "ferry.t", "fields": fields}
    d.update(extra)
    return d
f = lambda n, t, **kw: dict(name=n, type=t, **kw)
enum = lambda syms, **kw: dict(type="enum", name="E", symbols=syms, **kw)
cases = {
    "int_to_long_backward": ("BACKWARD", [rec([f("a", "int")])], rec([f("a", "long")]), True),
    "long_to_int_backward": ("BACKWARD", [rec([f("a", "long")])], rec([f("a", "int")]), False),
    "int_to_double_backward": ("BACKWARD", [rec([f("a", "int")])], rec([f("a", "double")]), True),
    "float_to_long_backward": ("BACKWARD", [rec([f("a", "float")])], rec([f("a", "long")]), False),
    "string_to_bytes_backward": ("BACKWARD", [rec([f("a", "string")])], rec([f("a", "bytes")]), True),
    "int_to_long_forward": ("FORWARD", [rec([f("a", "int")])], rec([f("a", "long")]), False),
    "removed_field_no_default_forward": ("FORWARD", [rec([f("a", "int"), f("b", "int")])], rec([f("a", "int")]), False),
    "removed_field_default_forward": ("FORWARD", [rec([f("a", "int"), f("b", "int", default=1)])], rec([f("a", "int")]), True),
    "removed_field_backward": ("BACKWARD", [rec([f("a", "int"), f("b", "int")])], rec([f("a", "int")]), True),
    "added_field_no_default_forward": ("FORWARD", [rec([f("a", "int")])], rec([f("a", "int"), f("b", "int")]), True),
    "added_field_no_default_full": ("FULL", [rec([f("a", "int")])], rec([f("a", "int"), f("b", "int")]), False),
    "added_field_default_full": ("FULL", [rec([f("a", "int")])], rec([f("a", "int"), f("b", "int", default=0)]), True),
    "union_widened_backward": ("BACKWARD", [rec([f("a", "string")])], rec([f("a", ["null", "string"], default=None)]), True),
    "union_narrowed_backward": ("BACKWARD", [rec([f("a", ["null", "string"], default=None)])], rec([f("a", "string")]), False),
    "union_branch_promoted_backward": ("BACKWARD", [rec([f("a", ["null", "int"])])], rec([f("a", ["null", "long"])]), True),
    "enum_symbol_added_backward": ("BACKWARD", [rec([f("e", enum(["A", "B"]))])], rec([f("e", enum(["A", "B", "C"]))]), True),
    "enum_symbol_removed_backward": ("BACKWARD", [rec([f("e", enum(["A", "B"]))])], rec([f("e", enum(["A"]))]), False),
    "enum_symbol_removed_reader_default": ("BACKWARD", [rec([f("e", enum(["A", "B"]))])], rec([f("e", enum(["A"], default="A"))]), True),
    "record_renamed": ("BACKWARD", [rec([f("a", "int")])], rec([f("a", "int")], name="S"), False),
    "record_renamed_with_alias": ("BACKWARD", [rec([f("a", "int")])], rec([f("a", "int")], name="S", aliases=["R"]), True),
    "nested_field_no_default": ("BACKWARD",
        [rec([f("n", rec([f("x", "int")], name="N"))])],
        rec([f("n", rec([f("x", "int"), f("y", "int")], name="N"))]), False),
    "nested_field_default": ("BACKWARD",
        [rec([f("n", rec([f("x", "int")], name="N"))])],
        rec([f("n", rec([f("x", "int"), f("y", "int", default=1)], name="N"))]), True),
    "named_type_by_full_name": ("BACKWARD",
        [rec([f("p", rec([f("x", "int")], name="P")), f("q", "ferry.t.P")])],
        rec([f("p", rec([f("x", "long")], name="P")), f("q", "ferry.t.P")]), True),
    "recursive_list": ("BACKWARD",
        [rec([f("v", "int"), f("next", ["null", "ferry.t.R"], default=None)])],
        rec([f("v", "long"), f("next", ["null", "ferry.t.R"], default=None)]), True),
    "fixed_size_changed": ("BACKWARD",
        [rec([f("h", {"type": "fixed", "name": "H", "size": 16})])],
        rec([f("h", {"type": "fixed", "name": "H", "size": 32})]), False),
    "array_items_promoted": ("BACKWARD", [rec([f("xs", {"type": "array", "items": "int"})])],
        rec([f("xs", {"type": "array", "items": "long"})]), True),
    "map_values_narrowed": ("BACKWARD", [rec([f("m", {"type": "map", "values": "long"})])],
        rec([f("m", {"type": "map", "values": "int"})]), False),
    # Transitive levels look at every version; the others only at the latest.
    "backward_vs_latest_only": ("BACKWARD",
        [rec([f("a", "int"), f("c", "string")]), rec([f("a", "int")])],
        rec([f("a", "int"), f("c", "int", default=0)]), True),
    "backward_transitive_vs_all": ("BACKWARD_TRANSITIVE",
        [rec([f("a", "int"), f("c", "string")]), rec([f("a", "int")])],
        rec([f("a", "int"), f("c", "int", default=0)]), False),
    "forward_transitive_vs_all": ("FORWARD_TRANSITIVE",
        [rec([f("a", "int"), f("b", "int")]), rec([f("a", "int"), f("b", "int", default=0)])],
        rec([f("a", "int")]), False),
    "forward_vs_latest_only": ("FORWARD",
        [rec([f("a", "int"), f("b", "int")]), rec([f("a", "int"), f("b", "int", default=0)])],
        rec([f("a", "int")]), True),
    "full_transitive_ok": ("FULL_TRANSITIVE",
        [rec([f("a", "int")]), rec([f("a", "int"), f("b", "int", default=0)])],
        rec([f("a", "int"), f("b", "int", default=0), f("c", "string", default="")]), True),
}
results = {}
for name, (level, history, candidate, _) in cases.items():
    s = f"@S@-{name}"
    c.set_compatibility(s, "NONE")
    for h in history:
        c.register_schema(s, Schema(json.dumps(h), "AVRO"))
    c.set_compatibility(s, level)
    tested = c.test_compatibility_all_versions(s, Schema(json.dumps(candidate), "AVRO"))
    registered = code(lambda: c.register_schema(s, Schema(json.dumps(candidate), "AVRO")))
    results[name] = [tested, registered is None, registered]
out({"results": results, "expected": {n: v[3] for n, v in cases.items()}})
"#);
    let results = r["results"].as_object().unwrap();
    let expected = r["expected"].as_object().unwrap();
    let mut wrong = Vec::new();
    for (name, want) in expected {
        let got = &results[name];
        if got[0] != *want || got[1] != *want {
            wrong.push(format!("{name}: expected {want}, got {got}"));
        }
        if *want == json!(false) {
            assert_eq!(got[2], json!([409, 409]), "{name}");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn avro_serializer_round_trip() {
    let r = run(r#"
from confluent_kafka.schema_registry.avro import AvroSerializer, AvroDeserializer
topic = "@S@"
schema = json.dumps({"type": "record", "name": "Order", "namespace": "ferry.t", "fields": [
    {"name": "id", "type": "long"},
    {"name": "item", "type": "string"},
    {"name": "qty", "type": ["null", "int"], "default": None},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
]})
value = {"id": 2**40, "item": "hat", "qty": 3, "tags": ["x", "y"], "kind": "B"}
ctx = SerializationContext(topic, MessageField.VALUE)
data = AvroSerializer(c, schema)(value, ctx)
magic, schema_id = struct.unpack(">bI", data[:5])
reader = SchemaRegistryClient({"url": URL})
back = AvroDeserializer(reader)(data, ctx)
out({"magic": magic, "id": schema_id, "registered": reader.get_latest_version(topic + "-value").schema_id,
     "back": back, "value": value})
"#);
    assert_eq!(r["magic"], 0);
    assert_eq!(r["id"], r["registered"]);
    assert_eq!(r["back"], r["value"]);
}

/// Builds `Order` (importing a `dep_*.proto` of its own and Timestamp) with
/// Python protobuf's descriptor API, since there is no protoc here.
const PROTO_MESSAGES: &str = r#"
import uuid
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
tag = uuid.uuid4().hex[:10]
pool = descriptor_pool.DescriptorPool()
pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
dep = descriptor_pb2.FileDescriptorProto(name=f"ferry/dep_{tag}.proto", package="ferry.dep", syntax="proto3")
addr = dep.message_type.add(name="Address")
addr.field.add(name="city", number=1, type=9, label=1)
pool.Add(dep)
fd = descriptor_pb2.FileDescriptorProto(name=f"ferry/order_{tag}.proto", package="ferry.t", syntax="proto3",
                                        dependency=[dep.name, "google/protobuf/timestamp.proto"])
m = fd.message_type.add(name="Order")
m.field.add(name="id", number=1, type=3, label=1)
m.field.add(name="item", number=2, type=9, label=1)
m.field.add(name="tags", number=3, type=9, label=3)
m.field.add(name="ship_to", number=4, type=11, label=1, type_name=".ferry.dep.Address")
m.field.add(name="at", number=5, type=11, label=1, type_name=".google.protobuf.Timestamp")
e = fd.enum_type.add(name="Kind")
e.value.add(name="A", number=0)
e.value.add(name="B", number=1)
m.field.add(name="kind", number=6, type=14, label=1, type_name=".ferry.t.Kind")
entry = m.nested_type.add(name="AttrsEntry")
entry.options.map_entry = True
entry.field.add(name="key", number=1, type=9, label=1)
entry.field.add(name="value", number=2, type=5, label=1)
m.field.add(name="attrs", number=7, type=11, label=3, type_name=".ferry.t.Order.AttrsEntry")
m.oneof_decl.add(name="choice")
m.field.add(name="x", number=8, type=9, label=1, oneof_index=0)
m.field.add(name="y", number=9, type=5, label=1, oneof_index=0)
m.oneof_decl.add(name="_note")
m.field.add(name="note", number=10, type=9, label=1, oneof_index=1, proto3_optional=True)
pool.Add(fd)
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("ferry.t.Order"))
"#;

#[test]
fn protobuf_serializer_round_trip_with_references() {
    let r = run(&format!(
        "{PROTO_MESSAGES}{}",
        r#"
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer, ProtobufDeserializer
topic = "@S@"
ctx = SerializationContext(topic, MessageField.VALUE)
msg = Order(id=7, item="hat", tags=["a", "b"], kind=1, x="xx", note="n")
msg.ship_to.city = "Oslo"
msg.attrs["k"] = 3
msg.at.seconds = 100
data = ProtobufSerializer(Order, c, {"use.deprecated.format": False})(msg, ctx)
magic, schema_id = struct.unpack(">bI", data[:5])
reader = SchemaRegistryClient({"url": URL})
back = ProtobufDeserializer(Order, {"use.deprecated.format": False}, reader)(data, ctx)
latest = reader.get_latest_version(topic + "-value")
refs = [[x.name, x.subject, x.version] for x in latest.schema.references]
dep_schema = reader.get_latest_version(dep.name).schema
out({"magic": magic, "id": schema_id, "registered": latest.schema_id, "type": latest.schema.schema_type,
     "index": list(data[5:6]), "equal": back == msg, "back_city": back.ship_to.city,
     "back_attrs": dict(back.attrs), "refs": refs, "dep": dep.name,
     "dep_type": dep_schema.schema_type, "text": latest.schema.schema_str})
"#
    ));
    assert_eq!(r["magic"], 0);
    assert_eq!(r["id"], r["registered"]);
    assert_eq!(r["type"], "PROTOBUF");
    assert_eq!(
        r["index"],
        json!([0]),
        "first message: index array [0] as one zero byte"
    );
    assert_eq!(r["equal"], true);
    assert_eq!(r["back_city"], "Oslo");
    assert_eq!(r["back_attrs"], json!({"k": 3}));
    // The dependency is registered under its file name and referenced; the
    // well-known Timestamp is not.
    assert_eq!(r["refs"], json!([[r["dep"], r["dep"], 1]]));
    assert_eq!(r["dep_type"], "PROTOBUF");
    // Without ?format=serialized the schema comes back as .proto text.
    let text = r["text"].as_str().unwrap();
    for line in [
        "syntax = \"proto3\";",
        "package ferry.t;",
        "import \"google/protobuf/timestamp.proto\";",
        "message Order {",
        "map<string, int32> attrs = 7;",
        "oneof choice {",
        "optional string note = 10;",
        "repeated string tags = 3;",
        ".ferry.dep.Address ship_to = 4;",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
}

#[test]
fn protobuf_text_schema_serves_a_descriptor_protobuf_accepts() {
    // A schema registered as .proto text (as Java clients and curl do) is
    // served with ?format=serialized as a descriptor that Python protobuf
    // loads, and the same file sent as a descriptor gets the same id.
    let r = run(&format!(
        "{PROTO_MESSAGES}{}",
        r#"
import base64
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer, ProtobufDeserializer
s = "@S@-value"
text = '''
// comment
syntax = "proto3";
package ferry.text;
import "google/protobuf/timestamp.proto";
message Outer {
  message Inner { string v = 1; }
  enum Color { RED = 0; GREEN = 1; }
  int32 n = 1;
  repeated Inner inners = 2;
  Color color = 3;
  map<string, Inner> by_name = 4;
  google.protobuf.Timestamp at = 5;
  oneof pick { string a = 6; int64 b = 7; }
  optional bool flag = 8;
  reserved 20 to 30;
}
'''
sid = c.register_schema(s, Schema(text, "PROTOBUF"))
import httpx2 as hx
raw = hx.get(f"{URL}/schemas/ids/{sid}", params={"format": "serialized"}).json()["schema"]
fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(raw))
fdp.name = f"outer_{tag}.proto"
p2 = descriptor_pool.DescriptorPool()
p2.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
p2.Add(fdp)
Outer = message_factory.GetMessageClass(p2.FindMessageTypeByName("ferry.text.Outer"))
o = Outer(n=5, color=1, b=9, flag=True)
o.inners.add(v="i")
o.by_name["k"].v = "m"
o.at.seconds = 3
again = Outer.FromString(o.SerializeToString())
desc = Outer.DESCRIPTOR
fields = {f.name: [f.number, f.type, 3 if f.is_repeated else 1, f.message_type.full_name if f.message_type else None,
                   f.enum_type.full_name if f.enum_type else None] for f in desc.fields}
# The same file as a descriptor (what the Python serializer sends): same id.
same_id = c.register_schema(s + "-2", Schema(base64.b64encode(fdp.SerializeToString()).decode(), "PROTOBUF"))
out({"sid": sid, "same_id": same_id, "fields": fields, "equal": again == o,
     "map": desc.fields_by_name["by_name"].message_type.GetOptions().map_entry,
     "oneof": [f.name for f in desc.oneofs_by_name["pick"].fields],
     "flag_has_presence": desc.fields_by_name["flag"].has_presence,
     "reserved": [[r.start, r.end] for r in fdp.message_type[0].reserved_range]})
"#
    ));
    assert_eq!(r["same_id"], r["sid"]);
    assert_eq!(r["equal"], true);
    let f = &r["fields"];
    // [number, type, label, message type, enum type]; types/labels as in descriptor.proto.
    assert_eq!(f["n"], json!([1, 5, 1, null, null]));
    assert_eq!(
        f["inners"],
        json!([2, 11, 3, "ferry.text.Outer.Inner", null])
    );
    assert_eq!(
        f["color"],
        json!([3, 14, 1, null, "ferry.text.Outer.Color"])
    );
    assert_eq!(
        f["by_name"],
        json!([4, 11, 3, "ferry.text.Outer.ByNameEntry", null])
    );
    assert_eq!(
        f["at"],
        json!([5, 11, 1, "google.protobuf.Timestamp", null])
    );
    assert_eq!(f["b"], json!([7, 3, 1, null, null]));
    assert_eq!(r["map"], true);
    assert_eq!(r["oneof"], json!(["a", "b"]));
    assert_eq!(r["flag_has_presence"], true);
    assert_eq!(r["reserved"], json!([[20, 31]]));
}

#[test]
fn protobuf_compatibility_rule() {
    let r = run(r#"
def proto(body, package="ferry.pc"):
    return Schema(f'syntax = "proto3";\npackage {package};\n{body}\n', "PROTOBUF")
base = "message M { string a = 1; int32 n = 2; }"
cases = {
    "field_added": ("message M { string a = 1; int32 n = 2; bool extra = 3; }", True),
    "field_removed": ("message M { string a = 1; }", True),
    "int32_to_int64": ("message M { string a = 1; int64 n = 2; }", True),
    "string_to_bytes": ("message M { bytes a = 1; int32 n = 2; }", True),
    "int32_to_string": ("message M { string a = 1; string n = 2; }", False),
    "scalar_to_message": ("message M { string a = 1; N n = 2; } message N { int32 v = 1; }", False),
    "made_repeated": ("message M { string a = 1; repeated int32 n = 2; }", False),
    "message_removed": ("message Other { string a = 1; }", False),
}
res = {}
for name, (body, _) in cases.items():
    s = f"@S@-{name}"
    c.register_schema(s, proto(base))
    res[name] = code(lambda: c.register_schema(s, proto(body))) is None
s = "@S@-package"
c.register_schema(s, proto(base))
res["package_changed"] = code(lambda: c.register_schema(s, proto(base, "ferry.other"))) is None
expected = {n: v[1] for n, v in cases.items()}
expected["package_changed"] = False
out({"res": res, "expected": expected})
"#);
    assert_eq!(r["res"], r["expected"]);
}

#[test]
fn json_schema_serializer_round_trip_and_compatibility() {
    let r = run(r#"
from confluent_kafka.schema_registry.json_schema import JSONSerializer, JSONDeserializer
topic = "@S@"
schema = {"$schema": "http://json-schema.org/draft-07/schema#", "title": "Person", "type": "object",
          "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name"]}
ctx = SerializationContext(topic, MessageField.VALUE)
value = {"name": "ann", "age": 41}
data = JSONSerializer(json.dumps(schema), c)(value, ctx)
magic, schema_id = struct.unpack(">bI", data[:5])
reader = SchemaRegistryClient({"url": URL})
back = JSONDeserializer(None, schema_registry_client=reader)(data, ctx)
subject = topic + "-value"
latest = reader.get_latest_version(subject)
def variant(**changes):
    d = json.loads(json.dumps(schema))
    for k, v in changes.items():
        d[k] = v
    return Schema(json.dumps(d), "JSON")
props = schema["properties"]
out({"magic": magic, "id": schema_id, "registered": latest.schema_id, "type": latest.schema.schema_type,
     "back": back, "value": value,
     "optional_added": reader.test_compatibility(subject, variant(properties={**props, "x": {"type": "string"}})),
     "required_added": reader.test_compatibility(subject, variant(required=["name", "age"])),
     "type_changed": reader.test_compatibility(subject, variant(properties={**props, "age": {"type": "string"}})),
     "integer_to_number": reader.test_compatibility(subject, variant(properties={**props, "age": {"type": "number"}})),
     "invalid": code(lambda: reader.register_schema(subject, Schema('{"type": "strange"}', "JSON")))})
"#);
    assert_eq!(r["magic"], 0);
    assert_eq!(r["id"], r["registered"]);
    assert_eq!(r["type"], "JSON");
    assert_eq!(r["back"], r["value"]);
    assert_eq!(r["optional_added"], true);
    assert_eq!(r["required_added"], false);
    assert_eq!(r["type_changed"], false);
    assert_eq!(r["integer_to_number"], true);
    assert_eq!(r["invalid"], json!([422, 42201]));
}

#[test]
fn rest_shapes_match_confluent() {
    // Exact JSON bodies, as converters (not only the Python client) read them.
    let r = run(r#"
import httpx2 as hx
H = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
s = "@S@-value"
avro = '{"type":"string"}'
def call(method, path, body=None, **params):
    resp = hx.request(method, URL + path, headers=H, json=body, params=params or None)
    return [resp.status_code, resp.headers.get("content-type"), resp.json()]
reg = call("POST", f"/subjects/{s}/versions", {"schema": avro})
sid = reg[2]["id"]
jreg = call("POST", f"/subjects/{s}-j/versions", {"schema": '{"type":"object"}', "schemaType": "JSON"})
out({
    "register": reg,
    "by_id": call("GET", f"/schemas/ids/{sid}"),
    "by_id_json": call("GET", f"/schemas/ids/{jreg[2]['id']}"),
    "version": call("GET", f"/subjects/{s}/versions/1"),
    "latest_json": call("GET", f"/subjects/{s}-j/versions/latest"),
    "lookup": call("POST", f"/subjects/{s}", {"schema": avro}),
    "bad_version": call("GET", f"/subjects/{s}/versions/zero"),
    "compat": call("POST", f"/compatibility/subjects/{s}/versions/latest", {"schema": '{"type":"int"}'}),
    "compat_verbose": call("POST", f"/compatibility/subjects/{s}/versions/1", {"schema": '{"type":"int"}'}, verbose="true"),
    "config_default": call("GET", f"/config/{s}", defaultToGlobal="true"),
    "types": call("GET", "/schemas/types"),
    "unknown_path": call("GET", "/nowhere"),
    "sid": sid, "s": s,
})
"#);
    let sid = r["sid"].clone();
    let s = r["s"].as_str().unwrap();
    let ct = "application/vnd.schemaregistry.v1+json";
    assert_eq!(r["register"], json!([200, ct, {"id": sid}]));
    assert_eq!(
        r["by_id"],
        json!([200, ct, {"schema": "{\"type\":\"string\"}"}])
    );
    assert_eq!(r["by_id_json"][2]["schemaType"], "JSON");
    assert_eq!(
        r["version"],
        json!([200, ct, {"subject": s, "version": 1, "id": sid, "schema": "{\"type\":\"string\"}"}])
    );
    assert_eq!(r["latest_json"][2]["schemaType"], "JSON");
    assert_eq!(r["latest_json"][2]["version"], 1);
    assert_eq!(
        r["lookup"],
        json!([200, ct, {"subject": s, "version": 1, "id": sid, "schema": "{\"type\":\"string\"}"}])
    );
    assert_eq!(r["bad_version"][0], 422);
    assert_eq!(r["bad_version"][2]["error_code"], 42202);
    assert_eq!(r["compat"], json!([200, ct, {"is_compatible": false}]));
    assert_eq!(r["compat_verbose"][2]["is_compatible"], false);
    assert!(
        r["compat_verbose"][2]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r["compat_verbose"]
    );
    assert_eq!(
        r["config_default"],
        json!([200, ct, {"compatibilityLevel": "BACKWARD"}])
    );
    assert_eq!(r["types"][2], json!(["AVRO", "PROTOBUF", "JSON"]));
    assert_eq!(r["unknown_path"][0], 404);
    assert_eq!(r["unknown_path"][2]["error_code"], 404);
}

#[test]
fn soft_and_permanent_deletes() {
    let r = run(r#"
s = "@S@-value"
def rec(n):
    return Schema(json.dumps({"type": "record", "name": "R", "fields": [
        {"name": f"f{i}", "type": "int", "default": 0} for i in range(n)]}), "AVRO")
for n in (1, 2, 3):
    c.register_schema(s, rec(n))
fresh = lambda: SchemaRegistryClient({"url": URL})
soft_v2 = fresh().delete_version(s, 2)
after_v2 = fresh().get_versions(s)
with_deleted = fresh().get_versions(s, deleted=True)
v2_deleted_read = fresh().get_version(s, 2, deleted=True).version
hard_v3_first = code(lambda: fresh().delete_version(s, 3, permanent=True))
hard_v2 = fresh().delete_version(s, 2, permanent=True)
again_v2 = code(lambda: fresh().get_version(s, 2, deleted=True))
next_id = fresh().register_schema(s, rec(4))
soft_subject = fresh().delete_subject(s)
gone = code(lambda: fresh().get_versions(s))
listed = s in fresh().get_subjects()
listed_deleted = s in fresh().get_subjects(deleted=True)
soft_again = code(lambda: fresh().delete_subject(s))
hard_subject = fresh().delete_subject(s, permanent=True)
after_hard = code(lambda: fresh().get_versions(s, deleted=True))
new_life = fresh().register_schema(s, rec(1))
out({"soft_v2": soft_v2, "after_v2": after_v2, "with_deleted": with_deleted,
     "v2_deleted_read": v2_deleted_read, "hard_v3_first": hard_v3_first, "hard_v2": hard_v2,
     "again_v2": again_v2, "versions_before_subject_delete": soft_subject,
     "gone": gone, "listed": listed, "listed_deleted": listed_deleted, "soft_again": soft_again,
     "hard_subject": hard_subject, "after_hard": after_hard,
     "new_life_version": fresh().get_latest_version(s).version})
"#);
    assert_eq!(r["soft_v2"], 2);
    assert_eq!(r["after_v2"], json!([1, 3]));
    assert_eq!(r["with_deleted"], json!([1, 2, 3]));
    assert_eq!(r["v2_deleted_read"], 2);
    assert_eq!(r["hard_v3_first"], json!([404, 40407]));
    assert_eq!(r["hard_v2"], 2);
    assert_eq!(r["again_v2"], json!([404, 40402]));
    assert_eq!(r["versions_before_subject_delete"], json!([1, 3, 4]));
    assert_eq!(r["gone"], json!([404, 40401]));
    assert_eq!(r["listed"], false);
    assert_eq!(r["listed_deleted"], true);
    assert_eq!(r["soft_again"], json!([404, 40404]));
    assert_eq!(r["hard_subject"], json!([1, 3, 4]));
    assert_eq!(r["after_hard"], json!([404, 40401]));
    assert_eq!(r["new_life_version"], 1);
}

#[test]
fn state_survives_a_restart() {
    let dir = test_dir();
    let data = dir.path().join("registry.json");
    let registry = Registry::start(&data, None);
    let before = run_at(
        &registry.url(),
        r#"
a, b = "@S@-a-value", "@S@-b-value"
def rec(name, n):
    return Schema(json.dumps({"type": "record", "name": name, "fields": [
        {"name": f"f{i}", "type": "int", "default": 0} for i in range(n)]}), "AVRO")
ids = [c.register_schema(a, rec("A", 1)), c.register_schema(a, rec("A", 2)), c.register_schema(b, rec("B", 1))]
c.set_compatibility(b, "NONE")
c.delete_version(a, 1)
out({"a": a, "b": b, "ids": ids})
"#,
    );
    // SIGKILL: nothing but what was already on disk survives.
    let registry = registry.restart();
    let after = py(
        &registry.url(),
        &format!(
            "a, b = {a}, {b}\nids = {ids}\n{}",
            r#"
def rec(name, n):
    return Schema(json.dumps({"type": "record", "name": name, "fields": [
        {"name": f"f{i}", "type": "int", "default": 0} for i in range(n)]}), "AVRO")
out({
    "a_versions": c.get_versions(a),
    "a_all": c.get_versions(a, deleted=True),
    "a_latest": [c.get_latest_version(a).version, c.get_latest_version(a).schema_id],
    "schemas": [json.loads(c.get_schema(i).schema_str)["name"] for i in ids],
    "b_level": c.get_compatibility(b),
    "lookup": c.lookup_schema(b, rec("B", 1)).schema_id,
    "new_id": c.register_schema(b, rec("C", 1)),
    "b_versions": c.get_versions(b),
})
"#,
            a = before["a"],
            b = before["b"],
            ids = before["ids"],
        ),
    );
    let ids = before["ids"].as_array().unwrap();
    assert_eq!(after["a_versions"], json!([2]));
    assert_eq!(after["a_all"], json!([1, 2]));
    assert_eq!(after["a_latest"], json!([2, ids[1]]));
    assert_eq!(after["schemas"], json!(["A", "A", "B"]));
    assert_eq!(after["b_level"], "NONE");
    assert_eq!(after["lookup"], ids[2]);
    let max_before = ids.iter().filter_map(Value::as_i64).max().unwrap();
    assert!(
        after["new_id"].as_i64().unwrap() > max_before,
        "ids continue after a restart: {} after {max_before}",
        after["new_id"]
    );
    assert_eq!(after["b_versions"], json!([1, 2]));
}

#[test]
fn basic_auth_when_asked_for() {
    let dir = test_dir();
    let registry = Registry::start(&dir.path().join("registry.json"), Some("ferry:s3cret"));
    let r = py(
        &registry.url(),
        r#"
def with_auth(info):
    return SchemaRegistryClient({"url": URL, "basic.auth.user.info": info})
schema = Schema('{"type": "string"}', "AVRO")
out({
    "none": code(lambda: c.get_subjects()),
    "wrong": code(lambda: with_auth("ferry:nope").get_subjects()),
    "id": with_auth("ferry:s3cret").register_schema("auth-value", schema),
    "subjects": with_auth("ferry:s3cret").get_subjects(),
})
"#,
    );
    assert_eq!(r["none"], json!([401, 401]));
    assert_eq!(r["wrong"], json!([401, 401]));
    assert_eq!(r["id"], 1, "a fresh data file starts at id 1");
    assert_eq!(r["subjects"], json!(["auth-value"]));
}

#[test]
fn protobuf_proto2_text_keeps_defaults_labels_and_services() {
    let r = run(r#"
import base64
import httpx2 as hx
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
s = "@S@-value"
text = '''
syntax = "proto2";
package ferry.p2;
message Req {
  required string id = 1 [default = "x\\"y"];
  optional int32 n = 2 [default = -5];
  optional Color c = 3 [default = GREEN];
  repeated Sub subs = 4;
  enum Color { RED = 0; GREEN = 1; }
  message Sub { optional .ferry.p2.Req.Color k = 1; optional double d = 2 [default = 1.5]; }
  extensions 100 to 200;
}
message Resp { optional Req.Sub s = 1; map<int64, Req> reqs = 2; }
service Svc { rpc Call(Req) returns (stream Resp); }
'''
sid = c.register_schema(s, Schema(text, "PROTOBUF"))
raw = hx.get(f"{URL}/subjects/{s}/versions/latest", params={"format": "serialized"}).json()["schema"]
fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(raw))
fdp.name = "@S@.proto"
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
Req = message_factory.GetMessageClass(pool.FindMessageTypeByName("ferry.p2.Req"))
Sub = message_factory.GetMessageClass(pool.FindMessageTypeByName("ferry.p2.Req.Sub"))
req = Req()
call = pool.FindServiceByName("ferry.p2.Svc").methods_by_name["Call"]
out({"defaults": [req.id, req.n, req.c, Sub().d],
     "id_required": Req.DESCRIPTOR.fields_by_name["id"].is_required,
     "initialized": req.IsInitialized(),
     "call": [call.input_type.full_name, call.output_type.full_name, call.server_streaming],
     "reqs_map": pool.FindMessageTypeByName("ferry.p2.Resp").fields_by_name["reqs"].message_type.GetOptions().map_entry,
     "syntax": fdp.syntax or "proto2"})
"#);
    assert_eq!(r["defaults"], json!(["x\"y", -5, 1, 1.5]));
    assert_eq!(r["id_required"], true);
    assert_eq!(r["initialized"], false, "required id unset");
    assert_eq!(r["call"], json!(["ferry.p2.Req", "ferry.p2.Resp", true]));
    assert_eq!(r["reqs_map"], true);
    assert_eq!(r["syntax"], "proto2");
}
