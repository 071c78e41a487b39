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

/// `io.debezium.connector.postgresql.Source` version 1.
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
            Cell::Unchanged => Ok(unavailable(&col.schema)),
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

/// The placeholder Debezium puts in an unchanged TOAST column.
fn unavailable(schema: &Schema) -> Value {
    match schema.schema_type {
        SchemaType::String => Value::String(UNAVAILABLE_VALUE.into()),
        SchemaType::Bytes if schema.name.is_none() => {
            Value::Bytes(Bytes::from_static(UNAVAILABLE_VALUE.as_bytes()))
        }
        SchemaType::Array => match schema.value_schema.as_deref() {
            Some(e) if e.schema_type == SchemaType::String => {
                Value::Array(vec![Value::String(UNAVAILABLE_VALUE.into())])
            }
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// The current time, ns since epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Heartbeat key schema `io.debezium.connector.common.ServerNameKey`.
pub fn heartbeat_key_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.common.ServerNameKey")
            .field("serverName", Schema::string())
            .build()
    })
    .clone()
}

/// Heartbeat value schema `io.debezium.connector.common.Heartbeat`.
pub fn heartbeat_value_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        SchemaBuilder::struct_()
            .name("io.debezium.connector.common.Heartbeat")
            .field("ts_ms", Schema::int64())
            .build()
    })
    .clone()
}

/// A shared table schema.
pub type TableRef = Arc<TableSchema>;
