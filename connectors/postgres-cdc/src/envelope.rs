//! Debezium's change event: key and value schemas per table, the `source`
//! block and the envelope, field for field as Debezium 3.x builds them.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use ferry_api::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

use crate::error::PgCdcError;
use crate::types::{Kind, Mapping};

/// The connector name in `source.connector`.
pub const CONNECTOR: &str = "postgresql";
/// What `source.version` says: Ferry's version.
pub const VERSION: &str = concat!("ferry-", env!("CARGO_PKG_VERSION"));
/// Debezium's placeholder for an unchanged TOASTed value.
pub const UNAVAILABLE_VALUE: &str = "__debezium_unavailable_value";
/// The allowed values of `source.snapshot` (Debezium ≥ 3.0.5).
pub const SNAPSHOT_ALLOWED: &str =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

/// `io.debezium.connector.postgresql.Source` version 1, as Debezium 3.5+
/// builds it (`PostgresSourceInfoStructMaker` on `SchemaFactory`'s common
/// source fields): the common fields, then `schema, table, txId, lsn, xmin,
/// origin, origin_lsn`.
pub fn source_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.postgresql.Source")
            .version(1)
            .field("version", Schema::string())
            .field("connector", Schema::string())
            .field("name", Schema::string())
            .field("ts_ms", Schema::int64())
            .field(
                "snapshot",
                SchemaBuilder::new(SchemaType::String)
                    .name("io.debezium.data.Enum")
                    .version(1)
                    .parameter("allowed", SNAPSHOT_ALLOWED)
                    .default_value(Value::String("false".into()))
                    .optional()
                    .build(),
            )
            .field("db", Schema::string())
            .field("sequence", Schema::optional_string())
            .field("ts_us", Schema::optional_int64())
            .field("ts_ns", Schema::optional_int64())
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::optional_int64())
            .field("lsn", Schema::optional_int64())
            .field("xmin", Schema::optional_int64())
            .field("origin", Schema::optional_string())
            .field("origin_lsn", Schema::optional_int64())
            .build()
    })
    .clone()
}

/// `event.block` version 1 (the `transaction` field).
pub fn transaction_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("event.block")
            .version(1)
            .optional()
            .field("id", Schema::string())
            .field("total_order", Schema::int64())
            .field("data_collection_order", Schema::int64())
            .build()
    })
    .clone()
}

/// What the `source` block says about one event.
#[derive(Debug, Clone)]
pub struct SourceInfo<'a> {
    pub server: &'a str,
    pub db: &'a str,
    /// Commit (or snapshot) time, µs since epoch.
    pub ts_us: i64,
    /// `true`, `first`, `last`, ... or `false` when streaming.
    pub snapshot: &'static str,
    pub sequence: Option<String>,
    pub schema: &'a str,
    pub table: &'a str,
    pub tx_id: Option<i64>,
    pub lsn: Option<i64>,
    /// The transaction's replication origin (pgoutput's Origin message):
    /// its name and the commit LSN on the origin; `None` for changes made
    /// without one, and for snapshot reads.
    pub origin: Option<(&'a str, i64)>,
}

impl SourceInfo<'_> {
    /// The `source` struct.
    pub fn to_struct(&self) -> Struct {
        Struct::from_values(
            source_schema(),
            vec![
                Value::String(VERSION.into()),
                Value::String(CONNECTOR.into()),
                Value::String(self.server.into()),
                Value::Int64(self.ts_us.div_euclid(1000)),
                Value::String(self.snapshot.into()),
                Value::String(self.db.into()),
                self.sequence.clone().map_or(Value::Null, Value::String),
                Value::Int64(self.ts_us),
                Value::Int64(self.ts_us.saturating_mul(1000)),
                Value::String(self.schema.into()),
                Value::String(self.table.into()),
                self.tx_id.map_or(Value::Null, Value::Int64),
                self.lsn.map_or(Value::Null, Value::Int64),
                Value::Null,
                self.origin
                    .map_or(Value::Null, |(name, _)| Value::String(name.into())),
                self.origin
                    .map_or(Value::Null, |(_, lsn)| Value::Int64(lsn)),
            ],
        )
        .expect("source struct arity")
    }
}

/// One column of a captured table, as the events describe it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// Index of the field in the value struct, if the column is included.
    pub value_field: Option<usize>,
    /// Index of the field in the key struct, if the column is a key column.
    pub key_field: Option<usize>,
    pub schema: SchemaRef,
}

/// A column's description, as gathered from the relation and the catalog.
#[derive(Debug, Clone)]
pub struct ColumnDesc {
    pub name: String,
    pub kind: Kind,
    pub optional: bool,
    pub default: Option<Value>,
    pub included: bool,
}

/// How a text value of a row arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(&'a str),
    /// An unchanged TOASTed value (not sent by pgoutput).
    Unchanged,
}

/// Fills the unchanged TOASTed cells of an UPDATE's new row from its old
/// row, where the old row has the value (REPLICA IDENTITY FULL sends the
/// whole old row, TOASTed values included), as Debezium's
/// `PostgresChangeRecordEmitter` does with its old-value cache; cells the
/// old row lacks (DEFAULT identity: key columns only) stay unchanged and
/// become the placeholder.
pub fn fill_unchanged<'a>(new: &mut [Cell<'a>], old: &[Cell<'a>]) {
    for (n, o) in new.iter_mut().zip(old) {
        if *n == Cell::Unchanged && matches!(o, Cell::Text(_)) {
            *n = *o;
        }
    }
}

/// The schemas of one captured table.
#[derive(Debug)]
pub struct TableSchema {
    pub schema: String,
    pub table: String,
    pub topic: String,
    pub columns: Vec<Column>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
    pub mapping: Mapping,
    /// What stands in for an unchanged TOASTed value.
    pub placeholder: Arc<Placeholder>,
}

impl TableSchema {
    /// Builds the schemas; `key` lists the key column names in key order.
    pub fn build(
        prefix: &str,
        schema: &str,
        table: &str,
        columns: Vec<ColumnDesc>,
        key: &[String],
        mapping: Mapping,
        placeholder: Arc<Placeholder>,
    ) -> TableSchema {
        let base = format!("{prefix}.{schema}.{table}");
        let mut value = SchemaBuilder::struct_()
            .name(format!("{base}.Value"))
            .optional();
        let mut out = Vec::with_capacity(columns.len());
        let mut nvalue = 0;
        for c in columns {
            let mut b = c.kind.schema_builder(&mapping);
            if c.optional {
                b = b.optional();
            }
            if let Some(d) = c.default.clone() {
                b = b.default_value(d);
            }
            let s = b.build();
            let value_field = if c.included {
                value = value.field(c.name.clone(), s.clone());
                nvalue += 1;
                Some(nvalue - 1)
            } else {
                None
            };
            out.push(Column {
                name: c.name,
                kind: c.kind,
                value_field,
                key_field: None,
                schema: s,
            });
        }
        let mut key_schema = None;
        if !key.is_empty() {
            let mut kb = SchemaBuilder::struct_().name(format!("{base}.Key"));
            for (i, k) in key.iter().enumerate() {
                if let Some(col) = out.iter_mut().find(|c| c.name == *k) {
                    kb = kb.field(k.clone(), col.schema.clone());
                    col.key_field = Some(i);
                }
            }
            key_schema = Some(kb.build());
        }
        let value_schema = value.build();
        let envelope_schema = SchemaBuilder::struct_()
            .name(format!("{base}.Envelope"))
            .version(2)
            .field("before", value_schema.clone())
            .field("after", value_schema.clone())
            .field("source", source_schema())
            .field("transaction", transaction_schema())
            .field("op", Schema::string())
            .field("ts_ms", Schema::optional_int64())
            .field("ts_us", Schema::optional_int64())
            .field("ts_ns", Schema::optional_int64())
            .build();
        TableSchema {
            schema: schema.to_string(),
            table: table.to_string(),
            topic: base,
            columns: out,
            key_schema,
            value_schema,
            envelope_schema,
            mapping,
            placeholder,
        }
    }

    /// The value struct of a row (cells in relation column order).
    pub fn row(&self, cells: &[Cell<'_>]) -> Result<Value, PgCdcError> {
        let mut values = vec![Value::Null; self.value_schema.fields.len()];
        for (col, cell) in self.columns.iter().zip(cells) {
            let Some(i) = col.value_field else { continue };
            values[i] = self.cell_value(col, *cell)?;
        }
        Struct::from_values(self.value_schema.clone(), values)
            .map(Value::Struct)
            .map_err(PgCdcError::BadStruct)
    }

    /// The key struct of a row, or null for a table without key.
    pub fn key(&self, cells: &[Cell<'_>]) -> Result<Value, PgCdcError> {
        let Some(ks) = &self.key_schema else {
            return Ok(Value::Null);
        };
        let mut values = vec![Value::Null; ks.fields.len()];
        for (col, cell) in self.columns.iter().zip(cells) {
            if let Some(i) = col.key_field {
                values[i] = self.cell_value(col, *cell)?;
            }
        }
        Struct::from_values(ks.clone(), values)
            .map(Value::Struct)
            .map_err(PgCdcError::BadStruct)
    }

    fn cell_value(&self, col: &Column, cell: Cell<'_>) -> Result<Value, PgCdcError> {
        match cell {
            Cell::Null => Ok(Value::Null),
            Cell::Text(t) => col
                .kind
                .value(t, &self.mapping)
                .map(|v| rebind(v, &col.schema))
                .map_err(|e| PgCdcError::Column {
                    schema: self.schema.clone(),
                    table: self.table.clone(),
                    column: col.name.clone(),
                    error: Box::new(e),
                }),
            Cell::Unchanged => Ok(self.placeholder.value(&col.kind, &col.schema)),
        }
    }

    /// The envelope value.
    pub fn envelope(
        &self,
        op: &str,
        before: Value,
        after: Value,
        source: &SourceInfo<'_>,
        now_ns: i64,
    ) -> Value {
        Value::Struct(
            Struct::from_values(
                self.envelope_schema.clone(),
                vec![
                    before,
                    after,
                    Value::Struct(source.to_struct()),
                    Value::Null,
                    Value::String(op.into()),
                    Value::Int64(now_ns / 1_000_000),
                    Value::Int64(now_ns / 1000),
                    Value::Int64(now_ns),
                ],
            )
            .expect("envelope arity"),
        )
    }
}

/// Gives struct values (e.g. `VariableScaleDecimal`, also inside arrays)
/// the column's own schema instance: the converters check that a struct is
/// written with the schema it was built with, and the column's schema
/// differs (optional, default) from the one the value was converted with.
fn rebind(v: Value, schema: &SchemaRef) -> Value {
    match v {
        Value::Struct(s) if !Arc::ptr_eq(s.schema(), schema) => {
            Struct::from_values(schema.clone(), s.into_values()).map_or(Value::Null, Value::Struct)
        }
        Value::Array(items) => match schema.value_schema.as_ref() {
            Some(elem) => Value::Array(items.into_iter().map(|i| rebind(i, elem)).collect()),
            None => Value::Array(items),
        },
        other => other,
    }
}

/// What stands in for an unchanged TOASTed value that the stream does not
/// carry (`unavailable.value.placeholder`), in each of the forms Debezium
/// gives it (`UnchangedToastedPlaceholder`): text, bytes, and the name-based
/// UUID of the bytes (`UUID.nameUUIDFromBytes`, for `uuid[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    bytes: Bytes,
    text: String,
    uuid: String,
}

impl Placeholder {
    /// The forms of the placeholder `bytes`.
    pub fn new(bytes: &[u8]) -> Placeholder {
        let mut d = md5::compute(bytes).0;
        // Version 3 (name-based, MD5), IETF variant.
        d[6] = (d[6] & 0x0f) | 0x30;
        d[8] = (d[8] & 0x3f) | 0x80;
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        Placeholder {
            bytes: Bytes::copy_from_slice(bytes),
            text: String::from_utf8_lossy(bytes).into_owned(),
            uuid,
        }
    }

    /// The placeholder of an unchanged TOASTed column, as Debezium's
    /// `PostgresValueConverter` renders its markers: the text for string
    /// columns (text, varchar, json/jsonb, xml, bytea in the base64/hex
    /// modes, ...), the bytes for bytea in `bytes` mode; for arrays
    /// (`UnchangedToastedReplicationMessageColumn`) a one-element array of
    /// the text (string arrays: text[], varchar[], json[], ...) or of the
    /// bytes (bytea[]), the bytes one number each for int4[]/date[] and
    /// int8[], and the UUID for uuid[]. Null where Debezium has no
    /// placeholder of the column's type.
    pub fn value(&self, kind: &Kind, schema: &Schema) -> Value {
        match (kind, schema.schema_type) {
            (Kind::Array(elem), SchemaType::Array) => {
                let Some(e) = schema.value_schema.as_deref() else {
                    return Value::Null;
                };
                let numbers = |f: fn(i8) -> Value| {
                    Value::Array(self.bytes.iter().map(|b| f(*b as i8)).collect())
                };
                match (elem.as_ref(), e.schema_type) {
                    (Kind::Uuid, SchemaType::String) => {
                        Value::Array(vec![Value::String(self.uuid.clone())])
                    }
                    (Kind::Int32 | Kind::Date, SchemaType::Int32) => {
                        numbers(|b| Value::Int32(i32::from(b)))
                    }
                    (Kind::Int64, SchemaType::Int64) => numbers(|b| Value::Int64(i64::from(b))),
                    (_, SchemaType::String) => Value::Array(vec![Value::String(self.text.clone())]),
                    (Kind::Bytea, SchemaType::Bytes) => {
                        Value::Array(vec![Value::Bytes(self.bytes.clone())])
                    }
                    _ => Value::Null,
                }
            }
            (_, SchemaType::String) => Value::String(self.text.clone()),
            (_, SchemaType::Bytes) if schema.name.is_none() => Value::Bytes(self.bytes.clone()),
            _ => Value::Null,
        }
    }
}

impl Default for Placeholder {
    /// Debezium's default, `__debezium_unavailable_value`.
    fn default() -> Placeholder {
        Placeholder::new(UNAVAILABLE_VALUE.as_bytes())
    }
}

/// The current time, ns since epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Heartbeat key schema `io.debezium.connector.common.ServerNameKey` v1.
pub fn heartbeat_key_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.common.ServerNameKey")
            .version(1)
            .field("serverName", Schema::string())
            .build()
    })
    .clone()
}

/// Heartbeat value schema `io.debezium.connector.common.Heartbeat` v1.
pub fn heartbeat_value_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.common.Heartbeat")
            .version(1)
            .field("ts_ms", Schema::int64())
            .build()
    })
    .clone()
}

/// A shared table schema.
pub type TableRef = Arc<TableSchema>;

#[cfg(test)]
mod tests {
    use super::*;

    /// One field of a Debezium struct schema: name, type, optional, schema
    /// name, schema version.
    type Want = (
        &'static str,
        SchemaType,
        bool,
        Option<&'static str>,
        Option<i32>,
    );

    fn check(got: &Schema, name: &str, version: Option<i32>, want: &[Want]) {
        assert_eq!(got.schema_type, SchemaType::Struct);
        assert_eq!(got.name.as_deref(), Some(name));
        assert_eq!(got.version, version, "{name} version");
        let got_names: Vec<&str> = got.fields.iter().map(|f| f.name.as_str()).collect();
        let want_names: Vec<&str> = want.iter().map(|w| w.0).collect();
        assert_eq!(got_names, want_names, "{name}: field names and order");
        for (f, (n, t, optional, sname, sversion)) in got.fields.iter().zip(want) {
            assert_eq!(f.schema.schema_type, *t, "{name}.{n} type");
            assert_eq!(f.schema.optional, *optional, "{name}.{n} optional");
            assert_eq!(f.schema.name.as_deref(), *sname, "{name}.{n} schema name");
            assert_eq!(f.schema.version, *sversion, "{name}.{n} schema version");
        }
    }

    /// Debezium 3.6's `io.debezium.connector.postgresql.Source`, written
    /// down from debezium/debezium v3.6.1.Final:
    /// `debezium-connector-common/.../schema/SchemaFactory.java`
    /// (`sourceInfoSchemaBuilder`: version 1; `version, connector, name,
    /// ts_ms, snapshot, db, sequence, ts_us, ts_ns`; `snapshotRecordSchema`:
    /// an optional `io.debezium.data.Enum` v1 defaulting to `false`) and
    /// `debezium-connector-postgres/.../PostgresSourceInfoStructMaker.java`
    /// (`schema, table` strings, `txId, lsn, xmin` optional int64, `origin`
    /// optional string, `origin_lsn` optional int64; the origin fields came
    /// with dbz#1528, Debezium 3.5).
    #[test]
    fn source_schema_is_debeziums_field_for_field() {
        use SchemaType::{Int64, String as Str};
        let want: &[Want] = &[
            ("version", Str, false, None, None),
            ("connector", Str, false, None, None),
            ("name", Str, false, None, None),
            ("ts_ms", Int64, false, None, None),
            (
                "snapshot",
                Str,
                true,
                Some("io.debezium.data.Enum"),
                Some(1),
            ),
            ("db", Str, false, None, None),
            ("sequence", Str, true, None, None),
            ("ts_us", Int64, true, None, None),
            ("ts_ns", Int64, true, None, None),
            ("schema", Str, false, None, None),
            ("table", Str, false, None, None),
            ("txId", Int64, true, None, None),
            ("lsn", Int64, true, None, None),
            ("xmin", Int64, true, None, None),
            ("origin", Str, true, None, None),
            ("origin_lsn", Int64, true, None, None),
        ];
        let s = source_schema();
        check(&s, "io.debezium.connector.postgresql.Source", Some(1), want);
        assert!(!s.optional, "the source struct is required");
        // SnapshotRecord's values, lower-cased, in declaration order.
        let snapshot = &s.fields[4].schema;
        assert_eq!(
            snapshot.parameters.get("allowed").map(String::as_str),
            Some("true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
        );
        assert_eq!(snapshot.default, Some(Value::String("false".into())));
    }

    /// `SchemaFactory.transactionBlockSchema` (optional `event.block` v1),
    /// the envelope as `TableSchemaBuilder` + `datatypeEnvelopeSchema`
    /// build it (`<topic>.Envelope` v2: before, after, source, transaction,
    /// then op (required), ts_ms, ts_us, ts_ns), and the heartbeat schemas
    /// (`heartbeatKeySchema` / `heartbeatValueSchema`, both version 1).
    #[test]
    fn envelope_transaction_and_heartbeat_schemas_are_debeziums() {
        use SchemaType::{Int64, String as Str, Struct as St};
        let t = transaction_schema();
        check(
            &t,
            "event.block",
            Some(1),
            &[
                ("id", Str, false, None, None),
                ("total_order", Int64, false, None, None),
                ("data_collection_order", Int64, false, None, None),
            ],
        );
        assert!(t.optional);
        let cols = vec![ColumnDesc {
            name: "id".into(),
            kind: Kind::Int32,
            optional: false,
            default: None,
            included: true,
        }];
        let mapping = Mapping {
            decimal: crate::config::DecimalMode::Precise,
            time: crate::config::TimePrecision::Adaptive,
            binary: crate::config::BinaryMode::Bytes,
        };
        let ts = TableSchema::build(
            "p",
            "s",
            "t",
            cols,
            &["id".to_string()],
            mapping,
            Arc::default(),
        );
        let value = Some("p.s.t.Value");
        let source = Some("io.debezium.connector.postgresql.Source");
        check(
            &ts.envelope_schema,
            "p.s.t.Envelope",
            Some(2),
            &[
                ("before", St, true, value, None),
                ("after", St, true, value, None),
                ("source", St, false, source, Some(1)),
                ("transaction", St, true, Some("event.block"), Some(1)),
                ("op", Str, false, None, None),
                ("ts_ms", Int64, true, None, None),
                ("ts_us", Int64, true, None, None),
                ("ts_ns", Int64, true, None, None),
            ],
        );
        let key = ts.key_schema.as_ref().expect("a key schema");
        check(
            key,
            "p.s.t.Key",
            None,
            &[("id", SchemaType::Int32, false, None, None)],
        );
        assert!(!key.optional);
        check(
            &heartbeat_key_schema(),
            "io.debezium.connector.common.ServerNameKey",
            Some(1),
            &[("serverName", Str, false, None, None)],
        );
        check(
            &heartbeat_value_schema(),
            "io.debezium.connector.common.Heartbeat",
            Some(1),
            &[("ts_ms", Int64, false, None, None)],
        );
    }

    fn source(origin: Option<(&str, i64)>) -> SourceInfo<'_> {
        SourceInfo {
            server: "srv",
            db: "db",
            ts_us: 1_700_000_000_123_456,
            snapshot: "false",
            sequence: Some("[\"1\",\"2\"]".into()),
            schema: "public",
            table: "t",
            tx_id: Some(7),
            lsn: Some(2),
            origin,
        }
    }

    /// `origin` / `origin_lsn` are null without a replication origin and
    /// carry the Origin message's name and commit LSN with one.
    #[test]
    fn source_struct_carries_the_origin() {
        let plain = source(None).to_struct();
        assert_eq!(plain.get("origin"), Some(&Value::Null));
        assert_eq!(plain.get("origin_lsn"), Some(&Value::Null));
        assert_eq!(plain.get("xmin"), Some(&Value::Null));
        assert_eq!(plain.get("ts_ms"), Some(&Value::Int64(1_700_000_000_123)));
        assert_eq!(
            plain.get("ts_ns"),
            Some(&Value::Int64(1_700_000_000_123_456_000))
        );
        let o = source(Some(("dc1", 74565))).to_struct();
        assert_eq!(o.get("origin"), Some(&Value::String("dc1".into())));
        assert_eq!(o.get("origin_lsn"), Some(&Value::Int64(74565)));
    }

    fn mapping(binary: crate::config::BinaryMode) -> Mapping {
        Mapping {
            decimal: crate::config::DecimalMode::Precise,
            time: crate::config::TimePrecision::Adaptive,
            binary,
        }
    }

    fn placeholder_of(p: &Placeholder, kind: Kind, m: &Mapping) -> Value {
        let schema = kind.schema_builder(m).optional().build();
        p.value(&kind, &schema)
    }

    /// Each column type gets the placeholder in Debezium's form for it.
    #[test]
    fn placeholder_takes_the_columns_form() {
        use crate::config::BinaryMode;
        let p = Placeholder::default();
        let m = mapping(BinaryMode::Bytes);
        let text = Value::String(UNAVAILABLE_VALUE.into());
        let bytes = Value::Bytes(Bytes::from_static(UNAVAILABLE_VALUE.as_bytes()));
        let arr = |k: Kind| Kind::Array(Box::new(k));
        assert_eq!(placeholder_of(&p, Kind::Text, &m), text);
        assert_eq!(placeholder_of(&p, Kind::Json, &m), text);
        assert_eq!(placeholder_of(&p, Kind::Xml, &m), text);
        assert_eq!(placeholder_of(&p, Kind::Bytea, &m), bytes);
        for binary in [
            BinaryMode::Base64,
            BinaryMode::Base64UrlSafe,
            BinaryMode::Hex,
        ] {
            assert_eq!(placeholder_of(&p, Kind::Bytea, &mapping(binary)), text);
        }
        assert_eq!(
            placeholder_of(&p, arr(Kind::Text), &m),
            Value::Array(vec![text.clone()])
        );
        assert_eq!(
            placeholder_of(&p, arr(Kind::Json), &m),
            Value::Array(vec![text.clone()])
        );
        assert_eq!(
            placeholder_of(&p, arr(Kind::Bytea), &m),
            Value::Array(vec![bytes])
        );
        let as_i32: Vec<Value> = UNAVAILABLE_VALUE
            .bytes()
            .map(|b| Value::Int32(i32::from(b)))
            .collect();
        assert_eq!(
            placeholder_of(&p, arr(Kind::Int32), &m),
            Value::Array(as_i32.clone())
        );
        assert_eq!(
            placeholder_of(&p, arr(Kind::Date), &m),
            Value::Array(as_i32)
        );
        let as_i64: Vec<Value> = UNAVAILABLE_VALUE
            .bytes()
            .map(|b| Value::Int64(i64::from(b)))
            .collect();
        assert_eq!(
            placeholder_of(&p, arr(Kind::Int64), &m),
            Value::Array(as_i64)
        );
        // java.util.UUID.nameUUIDFromBytes of the default, as Debezium's own
        // tests have it (DecoderDifferences.TOASTED_VALUE_UUID_STRING).
        assert_eq!(
            placeholder_of(&p, arr(Kind::Uuid), &m),
            Value::Array(vec![Value::String(
                "b68a35a7-17ad-35b3-af2a-ae46edb4545a".into()
            )])
        );
        // No placeholder of these types in Debezium.
        assert_eq!(placeholder_of(&p, Kind::Int32, &m), Value::Null);
        assert_eq!(placeholder_of(&p, arr(Kind::Float64), &m), Value::Null);
    }

    /// A user's placeholder, `hex:` included, is used in every form.
    #[test]
    fn user_placeholder_is_used() {
        let m = mapping(crate::config::BinaryMode::Bytes);
        let p = Placeholder::new(b"<toast>");
        assert_eq!(
            placeholder_of(&p, Kind::Text, &m),
            Value::String("<toast>".into())
        );
        assert_eq!(
            placeholder_of(&p, Kind::Bytea, &m),
            Value::Bytes(Bytes::from_static(b"<toast>"))
        );
        let bytes = crate::config::placeholder_bytes("hex:01ff").unwrap();
        let p = Placeholder::new(&bytes);
        assert_eq!(
            placeholder_of(&p, Kind::Bytea, &m),
            Value::Bytes(Bytes::from_static(&[1, 0xff]))
        );
        // Java's (int) of a byte is signed.
        assert_eq!(
            placeholder_of(&p, Kind::Array(Box::new(Kind::Int32)), &m),
            Value::Array(vec![Value::Int32(1), Value::Int32(-1)])
        );
    }

    /// Under REPLICA IDENTITY FULL the old row has the unchanged TOASTed
    /// value and it goes into `after`; without it, the placeholder stays.
    #[test]
    fn unchanged_toast_comes_from_the_old_row() {
        let mut new = vec![Cell::Text("1"), Cell::Unchanged, Cell::Unchanged];
        let full = [Cell::Text("1"), Cell::Text("big"), Cell::Null];
        fill_unchanged(&mut new, &full);
        assert_eq!(new, [Cell::Text("1"), Cell::Text("big"), Cell::Unchanged]);
        // DEFAULT identity with a key change: the old row has the key only.
        let mut new = vec![Cell::Text("2"), Cell::Unchanged];
        fill_unchanged(&mut new, &[Cell::Text("1"), Cell::Null]);
        assert_eq!(new, [Cell::Text("2"), Cell::Unchanged]);
    }
}
