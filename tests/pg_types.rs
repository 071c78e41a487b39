//! Every mapped PostgreSQL type, through snapshot, insert, update (REPLICA
//! IDENTITY DEFAULT and FULL), delete + tombstone and truncate, compared
//! with the JSON Debezium 3.x produces through JsonConverter, under each
//! `decimal.handling.mode`, `time.precision.mode` and `binary.handling.mode`
//! and both `schemas.enable` settings. One worker run per mode. Then
//! unchanged TOASTed values by replica identity and column type.

use std::time::{Duration, Instant};

use ferry_tests::pg::{connector_properties_owned, exec, Fixture, Keyed, TopicTail};
use ferry_tests::test_dir;
use ferry_tests::worker::{worker_properties, Worker};
use serde_json::{json, Value};

/// One worker run's settings.
#[derive(Debug, Clone, Copy)]
struct Mode {
    decimal: &'static str,
    time: &'static str,
    binary: &'static str,
    schemas: bool,
}

const MODES: [Mode; 4] = [
    Mode {
        decimal: "precise",
        time: "adaptive",
        binary: "bytes",
        schemas: true,
    },
    Mode {
        decimal: "double",
        time: "adaptive_time_microseconds",
        binary: "base64",
        schemas: false,
    },
    Mode {
        decimal: "string",
        time: "connect",
        binary: "hex",
        schemas: true,
    },
    Mode {
        decimal: "precise",
        time: "adaptive",
        binary: "base64-url-safe",
        schemas: false,
    },
];

const COLUMNS: &str = "id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
    n numeric(10,2), nv numeric, t text NOT NULL DEFAULT 'none', vc varchar(10), c char(3), b boolean,
    d date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, tstz3 timestamptz(3),
    ttz timetz, iv interval, j json, jb jsonb, u uuid, by bytea, e MOOD, ai int[], at text[], am MOOD[]";

/// A row's values as SQL (id, then the text column).
fn row_sql(id: i32, t: &str) -> String {
    format!(
        "({id}, -2, 40000, 9000000000, 1.5, 2.25, 12.30, 1.23456, '{t}', 'vc', 'ab', true,
          '2024-02-29', '13:14:15.123456', '13:14:15.123', '2024-01-02 03:04:05.123456',
          '2024-01-02 03:04:05.123', '2024-01-02 05:04:05.5+02', '2024-01-02 03:04:05+00',
          '10:15:30+05:30', '1 day 02:00:00', '{{\"a\": 1}}', '{{\"b\":[1,2]}}',
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102ff', 'happy', '{{1,2,NULL}}', '{{\"x y\",z}}',
          '{{sad,ok}}')"
    )
}

fn opt(t: &str, field: &str) -> Value {
    json!({"type": t, "optional": true, "field": field})
}

fn named(t: &str, name: &str, field: &str) -> Value {
    json!({"type": t, "optional": true, "name": name, "version": 1, "field": field})
}

/// The `...Value` field schemas Debezium builds for the columns.
fn field_schemas(m: Mode) -> Vec<Value> {
    let connect = m.time == "connect";
    let micro_time = m.time == "adaptive_time_microseconds";
    let decimal = |field: &str, scale: &str, precision: &str| match m.decimal {
        "double" => opt("double", field),
        "string" => opt("string", field),
        _ => {
            json!({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,
                    "parameters":{"scale":scale,"connect.decimal.precision":precision},"field":field})
        }
    };
    let variable = match m.decimal {
        "double" => opt("double", "nv"),
        "string" => opt("string", "nv"),
        _ => json!({"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},
                    {"type":"bytes","optional":false,"field":"value"}],"optional":true,
                    "name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"nv"}),
    };
    let date = if connect {
        named("int32", "org.apache.kafka.connect.data.Date", "d")
    } else {
        named("int32", "io.debezium.time.Date", "d")
    };
    let time = |field: &str, p: u32| {
        if connect {
            named("int32", "org.apache.kafka.connect.data.Time", field)
        } else if p <= 3 && !micro_time {
            named("int32", "io.debezium.time.Time", field)
        } else {
            named("int64", "io.debezium.time.MicroTime", field)
        }
    };
    let timestamp = |field: &str, p: u32| {
        if connect {
            named("int64", "org.apache.kafka.connect.data.Timestamp", field)
        } else if p <= 3 {
            named("int64", "io.debezium.time.Timestamp", field)
        } else {
            named("int64", "io.debezium.time.MicroTimestamp", field)
        }
    };
    let enum_schema = json!({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,
                             "parameters":{"allowed":"sad,ok,happy"}});
    let mut e = enum_schema.clone();
    e["field"] = json!("e");
    vec![
        json!({"type":"int32","optional":false,"field":"id"}),
        opt("int16", "i2"),
        opt("int32", "i4"),
        opt("int64", "i8"),
        opt("float", "f4"),
        opt("double", "f8"),
        decimal("n", "2", "10"),
        variable,
        json!({"type":"string","optional":false,"default":"none","field":"t"}),
        opt("string", "vc"),
        opt("string", "c"),
        opt("boolean", "b"),
        date,
        time("tm", 6),
        time("tm3", 3),
        timestamp("ts", 6),
        timestamp("ts3", 3),
        named("string", "io.debezium.time.ZonedTimestamp", "tstz"),
        named("string", "io.debezium.time.ZonedTimestamp", "tstz3"),
        named("string", "io.debezium.time.ZonedTime", "ttz"),
        named("int64", "io.debezium.time.MicroDuration", "iv"),
        named("string", "io.debezium.data.Json", "j"),
        named("string", "io.debezium.data.Json", "jb"),
        named("string", "io.debezium.data.Uuid", "u"),
        opt(
            if m.binary == "bytes" {
                "bytes"
            } else {
                "string"
            },
            "by",
        ),
        e,
        json!({"type":"array","items":{"type":"int32","optional":true},"optional":true,"field":"ai"}),
        json!({"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"at"}),
        json!({"type":"array","items":enum_schema,"optional":true,"field":"am"}),
    ]
}

/// The row as Debezium's JSON payload.
fn row_json(m: Mode, id: i32, t: &str) -> Value {
    let connect = m.time == "connect";
    let micro_time = m.time == "adaptive_time_microseconds";
    let (n, nv) = match m.decimal {
        "double" => (json!(12.3), json!(1.23456)),
        "string" => (json!("12.30"), json!("1.23456")),
        // 1230 = 0x04CE; 123456 = 0x01E240.
        _ => (json!("BM4="), json!({"scale":5,"value":"AeJA"})),
    };
    let by = match m.binary {
        "base64-url-safe" => "AQL_",
        "hex" => "0102ff",
        _ => "AQL/",
    };
    json!({
        "id": id, "i2": -2, "i4": 40000, "i8": 9_000_000_000i64, "f4": 1.5, "f8": 2.25,
        "n": n, "nv": nv, "t": t, "vc": "vc", "c": "ab ", "b": true,
        "d": 19782,
        "tm": if connect { json!(47_655_123) } else { json!(47_655_123_456i64) },
        "tm3": if micro_time { json!(47_655_123_000i64) } else { json!(47_655_123) },
        "ts": if connect { json!(1_704_164_645_123i64) } else { json!(1_704_164_645_123_456i64) },
        "ts3": 1_704_164_645_123i64,
        "tstz": "2024-01-02T03:04:05.500000Z",
        "tstz3": "2024-01-02T03:04:05.000Z",
        "ttz": "04:45:30Z",
        "iv": 93_600_000_000i64,
        "j": "{\"a\": 1}",
        "jb": "{\"b\": [1, 2]}",
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "by": by,
        "e": "happy",
        "ai": [1, 2, null],
        "at": ["x y", "z"],
        "am": ["sad", "ok"],
    })
}

/// A key-only before image (REPLICA IDENTITY DEFAULT): the key, nulls,
/// and the column default for the required `t`.
fn key_only(id: i32) -> Value {
    let mut v = json!({"id": id});
    for f in field_schemas(MODES[0]).iter().skip(1) {
        v[f["field"].as_str().unwrap()] = Value::Null;
    }
    v["t"] = json!("none");
    v
}

fn parse(s: &Option<String>) -> Value {
    s.as_deref()
        .map(|s| serde_json::from_str(s).unwrap())
        .unwrap_or(Value::Null)
}

/// Splits `{"schema", "payload"}` (or checks there is no wrapper).
fn unwrap(v: Value, schemas: bool) -> (Value, Value) {
    if v.is_null() {
        return (Value::Null, Value::Null);
    }
    if schemas {
        let obj = v.as_object().expect("an object");
        assert_eq!(obj.len(), 2, "schema and payload only: {v}");
        (v["schema"].clone(), v["payload"].clone())
    } else {
        assert!(v.get("schema").is_none(), "no schema wrapper: {v}");
        (Value::Null, v)
    }
}

fn read(tail: &TopicTail, n: usize) -> Vec<Keyed> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} events arrived",
            out.len()
        );
        out.extend(tail.poll(Duration::from_millis(500)));
    }
    out
}

#[test]
fn every_type_every_operation_every_mode() {
    for mode in MODES {
        eprintln!("mode {mode:?}");
        run_mode(mode);
    }
}

fn run_mode(m: Mode) {
    let f = Fixture::new("types");
    let s = &f.schema;
    let cols = COLUMNS.replace("MOOD", &format!("{s}.mood"));
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TYPE {s}.mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE {s}.dflt ({cols});
         CREATE TABLE {s}.full ({cols});
         ALTER TABLE {s}.full REPLICA IDENTITY FULL;
         INSERT INTO {s}.dflt VALUES {r1};
         INSERT INTO {s}.full VALUES {r1};",
        r1 = row_sql(1, "one")
    ));
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let mut settings = f.settings();
    let schemas = m.schemas.to_string();
    for (k, v) in [
        ("decimal.handling.mode", m.decimal),
        ("time.precision.mode", m.time),
        ("binary.handling.mode", m.binary),
        ("skipped.operations", "none"),
        ("key.converter.schemas.enable", &schemas),
        ("value.converter.schemas.enable", &schemas),
    ] {
        settings.push((k.into(), v.into()));
    }
    let conn = connector_properties_owned(dir.path(), "pg-types", &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let tails: Vec<(&str, TopicTail)> = ["dflt", "full"]
        .into_iter()
        .map(|t| (t, TopicTail::new(&f.topic(t))))
        .collect();
    // The snapshot is read before the changes are made (r, then c).
    for (_, tail) in &tails {
        let first = read(tail, 1);
        let (_, p) = unwrap(parse(&first[0].value), m.schemas);
        assert_eq!(p["op"], "r");
        assert_eq!(p["after"], row_json(m, 1, "one"), "{m:?}");
        assert_eq!(p["before"], Value::Null);
    }
    for table in ["dflt", "full"] {
        exec(&format!(
            "INSERT INTO {s}.{table} VALUES {r2};
             UPDATE {s}.{table} SET t = 'two-updated' WHERE id = 2;
             DELETE FROM {s}.{table} WHERE id = 2;
             TRUNCATE {s}.{table};",
            r2 = row_sql(2, "two")
        ));
    }
    for (table, tail) in &tails {
        let topic = f.topic(table);
        let events = read(tail, 5);
        let full = *table == "full";
        let ops: Vec<Value> = events
            .iter()
            .map(|e| unwrap(parse(&e.value), m.schemas).1["op"].clone())
            .collect();
        assert_eq!(
            ops,
            [json!("c"), json!("u"), json!("d"), Value::Null, json!("t")],
            "{table} {m:?}"
        );
        let (schema, create) = unwrap(parse(&events[0].value), m.schemas);
        let (_, update) = unwrap(parse(&events[1].value), m.schemas);
        let (_, delete) = unwrap(parse(&events[2].value), m.schemas);
        let (_, truncate) = unwrap(parse(&events[4].value), m.schemas);
        let row2 = row_json(m, 2, "two");
        let row2u = row_json(m, 2, "two-updated");
        assert_eq!(create["before"], Value::Null);
        assert_eq!(create["after"], row2, "{table} {m:?}");
        let before_update = if full { row2.clone() } else { Value::Null };
        assert_eq!(update["before"], before_update, "{table} {m:?}");
        assert_eq!(update["after"], row2u, "{table} {m:?}");
        let before_delete = if full { row2u.clone() } else { key_only(2) };
        assert_eq!(delete["before"], before_delete, "{table} {m:?}");
        assert_eq!(delete["after"], Value::Null);
        for e in [&create, &update, &delete, &truncate] {
            assert_eq!(e["source"]["table"], *table);
            assert_eq!(e["source"]["schema"], *s);
            assert_eq!(e["source"]["snapshot"], "false");
        }
        assert_eq!(truncate["before"], Value::Null);
        assert_eq!(truncate["after"], Value::Null);

        // Keys: the primary key; the tombstone repeats the delete's key;
        // a truncate has none.
        let key2 = if m.schemas {
            json!({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],
                   "optional":false,"name":format!("{topic}.Key")},"payload":{"id":2}})
        } else {
            json!({"id": 2})
        };
        for e in &events[..4] {
            assert_eq!(parse(&e.key), key2, "{table} {m:?}");
        }
        assert!(events[3].value.is_none(), "tombstone");
        assert_eq!(parse(&events[4].key), Value::Null, "truncate has no key");

        if m.schemas {
            assert_eq!(schema["name"], format!("{topic}.Envelope"));
            assert_eq!(schema["version"], 2);
            for i in [0, 1] {
                let value = &schema["fields"][i];
                assert_eq!(value["name"], format!("{topic}.Value"));
                assert_eq!(value["optional"], true);
                let fields = value["fields"].as_array().unwrap();
                let expected = field_schemas(m);
                assert_eq!(fields.len(), expected.len());
                for (got, want) in fields.iter().zip(&expected) {
                    assert_eq!(got, want, "{table} {m:?}");
                }
            }
            // The tombstone has no schema either: a bare null.
            assert_eq!(events[3].value, None);
        }
    }
    w.terminate(Duration::from_secs(20));
}

/// Unchanged TOASTed columns (text, text[], bytea, jsonb, int4[]) of an
/// UPDATE that does not touch them: under REPLICA IDENTITY FULL `after`
/// carries the real values (taken from the old row, as Debezium does);
/// under DEFAULT, where the stream has no old value, the placeholder in
/// Debezium's form for each type. Once with schemas and the default
/// placeholder, once schemaless with `unavailable.value.placeholder` set
/// (`hex:`).
#[test]
fn unchanged_toast_by_replica_identity_and_type() {
    toast_run(true, None, "__debezium_unavailable_value");
    toast_run(false, Some("hex:3c746f6173743e"), "<toast>");
}

/// The columns of the TOAST tables: every big one stored out of line
/// uncompressed (`STORAGE EXTERNAL`), so each is TOASTed.
const TOAST_COLUMNS: &str =
    "id int PRIMARY KEY, n int, t text, a text[], b bytea, j jsonb, i int[]";

fn toast_row(n: i32) -> Value {
    // 5,000 bytes of 0xab in base64: "q6ur" for every 3, "q6s=" for the last 2.
    let b = format!("{}q6s=", "q6ur".repeat(1666));
    json!({
        "id": 1, "n": n,
        "t": "x".repeat(10_000),
        "a": vec!["abcdefghij"; 1000],
        "b": b,
        "j": format!("{{\"k\": \"{}\"}}", "y".repeat(10_000)),
        "i": vec![7; 3000],
    })
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn toast_run(schemas: bool, placeholder: Option<&str>, text: &str) {
    let f = Fixture::new("toast");
    let s = &f.schema;
    let external = "ALTER COLUMN t SET STORAGE EXTERNAL, ALTER COLUMN a SET STORAGE EXTERNAL,
        ALTER COLUMN b SET STORAGE EXTERNAL, ALTER COLUMN j SET STORAGE EXTERNAL,
        ALTER COLUMN i SET STORAGE EXTERNAL";
    let row = "(1, 1, repeat('x', 10000), array_fill('abcdefghij'::text, ARRAY[1000]),
        decode(repeat('ab', 5000), 'hex'), jsonb_build_object('k', repeat('y', 10000)),
        array_fill(7, ARRAY[3000]))";
    exec(&format!(
        "CREATE SCHEMA {s};
         CREATE TABLE {s}.dflt ({TOAST_COLUMNS});
         CREATE TABLE {s}.full ({TOAST_COLUMNS});
         ALTER TABLE {s}.full REPLICA IDENTITY FULL;
         ALTER TABLE {s}.dflt {external};
         ALTER TABLE {s}.full {external};
         INSERT INTO {s}.dflt VALUES {row};
         INSERT INTO {s}.full VALUES {row};"
    ));
    // The values really are out of line (in the TOAST table).
    let toasted: i64 = ferry_tests::pg::client()
        .query_one(
            &format!(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                 JOIN pg_class t ON t.oid = c.reltoastrelid
                 WHERE ns.nspname = '{s}' AND c.relname IN ('dflt', 'full')
                   AND pg_relation_size(t.oid) > 0"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(toasted, 2, "both tables have TOASTed values");
    let dir = test_dir();
    let port = Worker::port();
    let worker = worker_properties(dir.path(), port, &[]);
    let mut settings = if schemas {
        f.settings()
    } else {
        f.schemaless_settings()
    };
    if let Some(p) = placeholder {
        settings.push(("unavailable.value.placeholder".into(), p.into()));
    }
    let conn = connector_properties_owned(dir.path(), "pg-toast", &settings);
    let mut w = Worker::start(dir.path(), &worker, &[conn], port);
    let tails: Vec<(&str, TopicTail)> = ["dflt", "full"]
        .into_iter()
        .map(|t| (t, TopicTail::new(&f.topic(t))))
        .collect();
    for (table, tail) in &tails {
        let (_, snap) = unwrap(parse(&read(tail, 1)[0].value), schemas);
        assert_eq!(snap["op"], "r");
        assert_eq!(snap["after"], toast_row(1), "{table} snapshot");
    }
    for table in ["dflt", "full"] {
        exec(&format!(
            "UPDATE {s}.{table} SET n = 2 WHERE id = 1;
             DELETE FROM {s}.{table} WHERE id = 1;"
        ));
    }
    // The placeholder in each type's form (Debezium's UnchangedToastedPlaceholder).
    let bytes = text.as_bytes();
    let placeholder_row = json!({
        "id": 1, "n": 2, "t": text, "a": [text], "b": base64(bytes), "j": text,
        "i": bytes.iter().map(|b| i32::from(*b as i8)).collect::<Vec<_>>(),
    });
    let key_only =
        json!({"id": 1, "n": null, "t": null, "a": null, "b": null, "j": null, "i": null});
    for (table, tail) in &tails {
        let events = read(tail, 3);
        let (_, update) = unwrap(parse(&events[0].value), schemas);
        let (_, delete) = unwrap(parse(&events[1].value), schemas);
        assert_eq!(update["op"], "u", "{table}");
        assert_eq!(delete["op"], "d", "{table}");
        assert!(events[2].value.is_none(), "{table}: tombstone");
        if *table == "full" {
            assert_eq!(update["before"], toast_row(1), "full: before");
            assert_eq!(
                update["after"],
                toast_row(2),
                "full: unchanged TOASTed values come from the old row"
            );
            assert_eq!(delete["before"], toast_row(2), "full: delete before");
        } else {
            assert_eq!(update["before"], Value::Null, "dflt: no before image");
            assert_eq!(
                update["after"], placeholder_row,
                "dflt: the placeholder ({text}) in each type's form"
            );
            assert_eq!(delete["before"], key_only, "dflt: key-only before");
        }
    }
    w.terminate(Duration::from_secs(20));
}
