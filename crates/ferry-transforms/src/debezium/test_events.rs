//! Change events as Debezium's `AbstractExtractStateTest` builds them, for
//! the golden cases ported from Debezium's unit tests.

use ferry_api::{Schema, SchemaBuilder, SchemaRef, SchemaType, SourceRecord, Struct, Value};

/// The time `source` blocks carry: 2020-04-30T13:16:58.953Z.
pub(crate) const SOURCE_TS_MS: i64 = 1_588_252_618_953;

/// An instant as (seconds, nanoseconds) since the epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instant(pub i64, pub i64);

/// "Now" for events that do not care: 2024-01-01T00:00:00Z.
pub(crate) const NOW: Instant = Instant(1_704_067_200, 0);

fn id_schema() -> SchemaRef {
    SchemaBuilder::new(SchemaType::Int8)
        .parameter("__debezium.source.column.name", "id")
        .parameter("__debezium.source.column.type", "int")
        .build()
}

fn name_schema() -> SchemaRef {
    SchemaBuilder::new(SchemaType::String)
        .parameter("__debezium.source.column.name", "name")
        .parameter("__debezium.source.column.type", "varchar")
        .parameter("__debezium.source.column.length", "255")
        .build()
}

/// `{id int8, name string}`, unnamed.
pub(crate) fn record_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("id", id_schema())
        .field("name", name_schema())
        .build()
}

/// `{id int8, name optional string default "default_str"}`.
pub(crate) fn record_schema_with_default() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("id", Schema::int8())
        .field(
            "name",
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value("default_str".into())
                .build(),
        )
        .build()
}

/// `{lsn int32, ts_ms, ts_us, ts_ns optional int64, db, table optional string}`.
pub(crate) fn source_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("lsn", Schema::int32())
        .field("ts_ms", Schema::optional_int64())
        .field("ts_us", Schema::optional_int64())
        .field("ts_ns", Schema::optional_int64())
        .field("db", Schema::optional_string())
        .field("table", Schema::optional_string())
        .build()
}

/// Debezium's `event.block`.
pub(crate) fn transaction_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("event.block")
        .version(1)
        .optional()
        .field("id", Schema::string())
        .field("total_order", Schema::int64())
        .field("data_collection_order", Schema::int64())
        .build()
}

/// A transaction block: id `571`, orders 42.
pub(crate) fn transaction() -> Struct {
    Struct::new(transaction_schema())
        .with("id", "571")
        .with("total_order", 42i64)
        .with("data_collection_order", 42i64)
}

/// An envelope schema as Debezium's `Envelope.defineSchema()` builds it,
/// with `extra` fields at the end.
pub(crate) fn envelope_schema(
    name: &str,
    record: &SchemaRef,
    source: &SchemaRef,
    extra: &[(&str, SchemaRef)],
) -> SchemaRef {
    let optional_record = {
        let mut r = (**record).clone();
        r.optional = true;
        SchemaRef::new(r)
    };
    let mut b = SchemaBuilder::struct_()
        .name(name)
        .field("before", optional_record.clone())
        .field("after", optional_record)
        .field("source", source.clone())
        .field("transaction", transaction_schema())
        .field("op", Schema::string())
        .field("ts_ms", Schema::optional_int64())
        .field("ts_us", Schema::optional_int64())
        .field("ts_ns", Schema::optional_int64());
    for (n, s) in extra {
        b = b.field(*n, s.clone());
    }
    b.build()
}

/// The `dummy.Envelope` of the record schema and source schema.
pub(crate) fn envelope() -> SchemaRef {
    envelope_schema("dummy.Envelope", &record_schema(), &source_schema(), &[])
}

/// A `source` block with the fixed timestamps and this lsn.
pub(crate) fn source(schema: &SchemaRef, lsn: i32) -> Struct {
    let mut s = Struct::new(schema.clone()).with("lsn", lsn);
    for (f, v) in [
        ("ts_ms", SOURCE_TS_MS),
        ("ts_us", SOURCE_TS_MS * 1000),
        ("ts_ns", SOURCE_TS_MS * 1_000_000),
    ] {
        if schema.field(f).is_some() {
            s.put(f, v).unwrap();
        }
    }
    s
}

/// An event: `op`, the rows, `source`, and the envelope timestamps.
pub(crate) fn event(
    schema: &SchemaRef,
    op: &str,
    before: Option<Struct>,
    after: Option<Struct>,
    source: Struct,
    at: Instant,
) -> Struct {
    let Instant(secs, nanos) = at;
    let mut e = Struct::new(schema.clone())
        .with("op", op)
        .with("source", source)
        .with("ts_ms", secs * 1000 + nanos / 1_000_000)
        .with("ts_us", secs * 1_000_000 + nanos / 1000)
        .with("ts_ns", secs * 1_000_000_000 + nanos);
    if let Some(b) = before {
        e.put("before", b).unwrap();
    }
    if let Some(a) = after {
        e.put("after", a).unwrap();
    }
    e
}

/// A source record on topic `dummy`.
pub(crate) fn record(schema: Option<SchemaRef>, value: Value) -> SourceRecord {
    SourceRecord::new(
        Default::default(),
        Default::default(),
        "dummy",
        schema,
        value,
    )
}

fn row(schema: &SchemaRef, id: i8, name: Option<&str>) -> Struct {
    let r = Struct::new(schema.clone()).with("id", Value::Int8(id));
    match name {
        Some(n) => r.with("name", n),
        None => r,
    }
}

/// `createDeleteRecord`: a delete whose source has a `version` and no
/// timestamps.
pub(crate) fn delete_record() -> SourceRecord {
    let source_schema = SchemaBuilder::struct_()
        .field("lsn", Schema::int32())
        .field("version", Schema::string())
        .field("db", Schema::optional_string())
        .field("table", Schema::optional_string())
        .build();
    let schema = envelope_schema("dummy.Envelope", &record_schema(), &source_schema, &[]);
    let source = Struct::new(source_schema)
        .with("lsn", 1234)
        .with("version", "version!")
        .with("db", "test_db")
        .with("table", "test_table");
    let before = row(&record_schema(), 1, Some("myRecord"));
    let e = event(&schema, "d", Some(before), None, source, NOW);
    record(Some(schema), Value::Struct(e))
}

/// `createTombstoneRecord`.
pub(crate) fn tombstone_record() -> SourceRecord {
    record(None, Value::Null)
}

/// `createTruncateRecord`.
pub(crate) fn truncate_record() -> SourceRecord {
    let schema = envelope();
    let e = event(
        &schema,
        "t",
        None,
        None,
        source(&source_schema(), 1234),
        NOW,
    );
    record(Some(schema), Value::Struct(e))
}

/// `createCreateRecord`.
pub(crate) fn create_record() -> SourceRecord {
    let schema = envelope();
    let src = source(&source_schema(), 1234)
        .with("db", "test_db")
        .with("table", "test_table");
    let after = row(&record_schema(), 1, Some("myRecord"));
    let e = event(&schema, "c", None, Some(after), src, NOW);
    record(Some(schema), Value::Struct(e))
}

/// `createCreateRecordAddingColumn`.
pub(crate) fn create_record_adding_column(column: &str, value: i64) -> SourceRecord {
    let rs = SchemaBuilder::struct_()
        .field("id", Schema::int8())
        .field("name", Schema::string())
        .field(column, Schema::optional_int64())
        .build();
    let schema = envelope_schema("dummy.Envelope", &rs, &source_schema(), &[]);
    let after = row(&rs, 1, Some("myRecord")).with(column, value);
    let e = event(
        &schema,
        "c",
        None,
        Some(after),
        source(&source_schema(), 1234),
        NOW,
    );
    record(Some(schema), Value::Struct(e))
}

/// `createHeartbeatRecord`.
pub(crate) fn heartbeat_record() -> SourceRecord {
    let value_schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.Heartbeat")
        .field("ts_ms", Schema::int64())
        .build();
    let key_schema = SchemaBuilder::struct_()
        .name("op.with.heartbeat.Key")
        .field("id", Schema::string())
        .build();
    let key = Struct::new(key_schema.clone()).with("id", "123");
    SourceRecord::new(
        Default::default(),
        Default::default(),
        "op.with.heartbeat",
        Some(value_schema.clone()),
        Value::Struct(Struct::new(value_schema)),
    )
    .with_key(Some(key_schema), Value::Struct(key))
}

fn id_key() -> (SchemaRef, Struct) {
    let ks = SchemaBuilder::struct_().field("id", Schema::int8()).build();
    let k = Struct::new(ks.clone()).with("id", Value::Int8(1));
    (ks, k)
}

fn with_default_envelope() -> SchemaRef {
    envelope_schema(
        "dummy.Envelope",
        &record_schema_with_default(),
        &source_schema(),
        &[],
    )
}

/// `createCreateRecordWithOptionalNull`: `name` null, default `default_str`.
pub(crate) fn create_record_with_optional_null() -> SourceRecord {
    let schema = with_default_envelope();
    let after = row(&record_schema_with_default(), 1, None);
    let e = event(
        &schema,
        "c",
        None,
        Some(after),
        source(&source_schema(), 1234),
        NOW,
    );
    record(Some(schema), Value::Struct(e))
}

/// `createCreateRecordWithKey`.
pub(crate) fn create_record_with_key() -> SourceRecord {
    let (ks, k) = id_key();
    create_record_with_optional_null().with_key(Some(ks), Value::Struct(k))
}

/// `createUpdateRecord`: `myRecord` → `updatedRecord`, in transaction 571.
pub(crate) fn update_record() -> SourceRecord {
    let schema = envelope();
    let src = source(&source_schema(), 1234)
        .with("db", "test_db")
        .with("table", "test_table");
    let before = row(&record_schema(), 1, Some("myRecord"));
    let after = row(&record_schema(), 1, Some("updatedRecord"));
    let e =
        event(&schema, "u", Some(before), Some(after), src, NOW).with("transaction", transaction());
    record(Some(schema), Value::Struct(e))
}

/// `createUpdateRecordWithOptionalNull`.
pub(crate) fn update_record_with_optional_null() -> SourceRecord {
    let schema = with_default_envelope();
    let before = row(&record_schema_with_default(), 1, None);
    let after = row(&record_schema_with_default(), 1, Some("updatedRecord"));
    let e = event(
        &schema,
        "u",
        Some(before),
        Some(after),
        source(&source_schema(), 1234),
        NOW,
    )
    .with("transaction", transaction());
    record(Some(schema), Value::Struct(e))
}

/// `createUpdateRecordWithKey`.
pub(crate) fn update_record_with_key() -> SourceRecord {
    let (ks, k) = id_key();
    update_record_with_optional_null().with_key(Some(ks), Value::Struct(k))
}

/// `createUnknownRecord`: a struct named `unknown`.
pub(crate) fn unknown_record() -> SourceRecord {
    let s = SchemaBuilder::struct_()
        .name("unknown")
        .field("id", Schema::int8())
        .build();
    record(
        Some(s.clone()),
        Value::Struct(Struct::new(s).with("id", Value::Int8(1))),
    )
}

/// `createUnknownUnnamedSchemaRecord`.
pub(crate) fn unknown_unnamed_schema_record() -> SourceRecord {
    let s = SchemaBuilder::struct_().field("id", Schema::int8()).build();
    record(
        Some(s.clone()),
        Value::Struct(Struct::new(s).with("id", Value::Int8(1))),
    )
}

/// `createUpdateRecordWithChangedFields`: the value is built on an
/// envelope with a `changes` array, the record names the plain one, as in
/// Debezium's test.
pub(crate) fn update_record_with_changed_fields() -> SourceRecord {
    let changes = SchemaBuilder::array(Schema::string()).build();
    let schema = envelope_schema(
        "changedFields.Envelope",
        &record_schema(),
        &source_schema(),
        &[("changes", changes)],
    );
    let before = row(&record_schema(), 1, Some("myRecord"));
    let after = row(&record_schema(), 1, Some("updatedRecord"));
    let e = event(
        &schema,
        "u",
        Some(before),
        Some(after),
        source(&source_schema(), 1234),
        NOW,
    )
    .with("changes", Value::Array(vec!["name".into()]))
    .with("transaction", transaction());
    record(Some(envelope()), Value::Struct(e))
}

/// `addDropFieldsHeader`.
pub(crate) fn add_drop_fields_header(
    mut r: SourceRecord,
    name: &str,
    fields: &[&str],
) -> SourceRecord {
    let schema = SchemaBuilder::array(Schema::optional_string())
        .optional()
        .name(name)
        .build();
    let values = fields.iter().map(|f| Value::from(*f)).collect();
    r.headers.add(name, Some(schema), Value::Array(values));
    r
}

/// `createCreateRecordWithCreateTime`.
pub(crate) fn create_record_with_create_time(at: Instant) -> SourceRecord {
    let (ks, k) = id_key();
    let schema = with_default_envelope();
    let after = row(&record_schema_with_default(), 1, None);
    let e = event(
        &schema,
        "c",
        None,
        Some(after),
        source(&source_schema(), 1234),
        at,
    );
    record(Some(schema), Value::Struct(e)).with_key(Some(ks), Value::Struct(k))
}
