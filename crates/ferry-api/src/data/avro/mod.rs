//! Connect ⇄ Avro, exactly as Confluent's `AvroData` maps them (feature
//! `avro`). The AvroConverter uses it for the bytes on Kafka; the S3 sink
//! for its Avro and Parquet files, so a schema registered by a source and
//! the schema of the files a sink writes agree.
//!
//! Connect → Avro ([`AvroData::from_connect_schema`],
//! [`AvroData::from_connect_data`]):
//!
//! | Connect | Avro |
//! |---|---|
//! | INT8, INT16 | `int` with `"connect.type": "int8"` / `"int16"` |
//! | INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES | `int`, `long`, `float`, `double`, `boolean`, `string`, `bytes` |
//! | optional | union `["null", T]`, or `[T, "null"]` when it has a default (an Avro union default must match its first branch) |
//! | ARRAY | `array` |
//! | MAP with required STRING keys | `map` |
//! | any other MAP | `array` of records `io.confluent.connect.avro.MapEntry {key, value}` |
//! | STRUCT | `record` named by the schema name (namespace = everything before the last dot), `io.confluent.connect.avro.ConnectDefault` when unnamed |
//! | Decimal | `bytes` with `logicalType: decimal`, `precision` (parameter `connect.decimal.precision`, default 64) and `scale` |
//! | Date, Time, Timestamp | `int` `date`, `int` `time-millis`, `long` `timestamp-millis` |
//!
//! With `connect.meta.data` (the default) the Connect name, version, doc,
//! parameters and default travel as `connect.name`, `connect.version`,
//! `connect.doc`, `connect.parameters` and `connect.default`, so Avro →
//! Connect gives the original schema back. `enhanced.avro.schema.support`
//! maps Avro enums and unions both ways (a STRING schema with
//! `io.confluent.connect.avro.Enum*` parameters; a STRUCT named
//! `io.confluent.connect.avro.Union` with one optional field per branch).
//! A named type used twice is written once and referred to by name after
//! that, as Avro's Java library prints it (Debezium's `before` and `after`).
//!
//! Differences from the Java library, each deliberate:
//! - Connect parameters are kept sorted by key here (Java keeps insertion
//!   order), so `connect.parameters` and enhanced enum symbols come out in
//!   key order.
//! - Schemaless data (Java's `io.confluent.connect.avro.Anything` record)
//!   is refused with an error naming the cause.
//! - Recursive Avro schemas (a record containing itself) are refused:
//!   Connect schemas here are trees.
//! - A decimal whose scale differs from its schema's is rescaled when that
//!   loses nothing (Java refuses every mismatch).

mod schema_in;
mod schema_out;
mod value_in;
mod value_out;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use apache_avro;
use apache_avro::schema::Name;
use apache_avro::types::Value as AvroValue;
use apache_avro::Schema as AvroSchema;

use crate::{ConnectError, ConnectResult, Schema, SchemaRef, Value};

/// Namespace of the records and parameters `AvroData` invents.
pub const NAMESPACE: &str = "io.confluent.connect.avro";
/// Full name of the record an unnamed STRUCT becomes.
pub const DEFAULT_SCHEMA_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
/// Name of the key/value records of a map without string keys.
pub const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
/// Schema name of a STRUCT standing for an Avro union.
pub const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
/// Parameter holding an Avro enum's full name (its symbols follow as
/// `io.confluent.connect.avro.Enum.<symbol>`).
pub const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
/// Parameter marking a default that came from an Avro field default.
pub const AVRO_FIELD_DEFAULT_FLAG_PROP: &str = "io.confluent.connect.avro.field.default";
/// Parameter holding an Avro record's doc.
pub const AVRO_RECORD_DOC_PROP: &str = "io.confluent.connect.avro.record.doc";
/// Prefix of the parameters holding Avro field docs.
pub const AVRO_FIELD_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.field.doc.";
/// Prefix of the parameters holding Avro enum docs.
pub const AVRO_ENUM_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.doc.";
/// Prefix of the parameters holding Avro enum defaults.
pub const AVRO_ENUM_DEFAULT_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.default.";
/// Decimal parameter holding the precision.
pub const CONNECT_AVRO_DECIMAL_PRECISION_PROP: &str = "connect.decimal.precision";
/// Precision of a Decimal without `connect.decimal.precision`.
pub const CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT: i64 = 64;

const CONNECT_NAME_PROP: &str = "connect.name";
const CONNECT_DOC_PROP: &str = "connect.doc";
const CONNECT_VERSION_PROP: &str = "connect.version";
const CONNECT_DEFAULT_VALUE_PROP: &str = "connect.default";
const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
const CONNECT_INTERNAL_TYPE_NAME: &str = "connect.internal.type";
const CONNECT_TYPE_PROP: &str = "connect.type";
const AVRO_PROP_PREFIX: &str = "avro";
const LOGICAL_TYPE_PROP: &str = "logicalType";

/// The settings of Confluent's `AvroDataConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroDataConfig {
    /// `connect.meta.data` (default true): carry Connect's name, version,
    /// doc, parameters and defaults in `connect.*` Avro properties.
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false): map Avro enums and
    /// unions, and name union branches by full name.
    pub enhanced_avro_schema_support: bool,
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        AvroDataConfig {
            connect_meta_data: true,
            enhanced_avro_schema_support: false,
        }
    }
}

/// An Avro schema as text (what a registry stores) and parsed (what
/// encodes and decodes), with its named types for resolving references.
#[derive(Debug, Clone)]
pub struct AvroSchemaText {
    /// The schema's JSON, printed as Avro's Java library prints it.
    pub text: String,
    /// The parsed schema.
    pub schema: AvroSchema,
    names: HashMap<Name, AvroSchema>,
}

impl AvroSchemaText {
    /// Parses an Avro schema (for instance one fetched from a registry).
    pub fn parse(text: &str) -> ConnectResult<Self> {
        let schema = AvroSchema::parse_str(text)
            .map_err(|e| ConnectError::data(format!("invalid Avro schema: {e}")))?;
        let names = apache_avro::schema::ResolvedSchema::try_from(&schema)
            .map_err(|e| ConnectError::data(format!("invalid Avro schema: {e}")))?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(AvroSchemaText {
            text: text.to_string(),
            schema,
            names,
        })
    }

    /// `schema` itself, or the named type it refers to.
    fn resolve<'a>(&'a self, schema: &'a AvroSchema) -> ConnectResult<&'a AvroSchema> {
        match schema {
            AvroSchema::Ref { name } => self.names.get(name).ok_or_else(|| {
                ConnectError::data(format!("the Avro schema refers to an unknown type {name}"))
            }),
            s => Ok(s),
        }
    }
}

/// Confluent's Connect ⇄ Avro mapping with one configuration.
#[derive(Debug, Clone, Default)]
pub struct AvroData {
    config: AvroDataConfig,
}

impl AvroData {
    /// A mapping with these settings.
    pub fn new(config: AvroDataConfig) -> Self {
        AvroData { config }
    }

    /// The settings.
    pub fn config(&self) -> &AvroDataConfig {
        &self.config
    }

    /// The Avro schema of a Connect schema (`AvroData.fromConnectSchema`).
    pub fn from_connect_schema(&self, schema: &Schema) -> ConnectResult<AvroSchemaText> {
        let text = schema_out::avro_schema_text(&self.config, schema)?;
        AvroSchemaText::parse(&text).map_err(|e| {
            ConnectError::data(format!(
                "the Avro schema mapped from Connect schema {} is not valid: {e}",
                schema
                    .name
                    .as_deref()
                    .unwrap_or(schema.schema_type.connect_name())
            ))
        })
    }

    /// A Connect value as an Avro value of the schema
    /// [`from_connect_schema`](Self::from_connect_schema) maps `schema` to
    /// (`AvroData.fromConnectData`). Null fields of a struct take their
    /// schema's default, as Connect's `Struct.get` gives it.
    pub fn from_connect_data(&self, schema: &Schema, value: &Value) -> ConnectResult<AvroValue> {
        value_out::avro_value(&self.config, schema, value, false)
    }

    /// The Connect schema of an Avro schema's JSON
    /// (`AvroData.toConnectSchema`). `version` (a registry version) is used
    /// when the schema carries no `connect.version`.
    pub fn to_connect_schema(
        &self,
        avro_json: &str,
        version: Option<i32>,
    ) -> ConnectResult<SchemaRef> {
        schema_in::connect_schema(&self.config, avro_json, version)
    }

    /// An Avro value decoded with `avro` as the Connect value of `schema`
    /// (the schema [`to_connect_schema`](Self::to_connect_schema) gave for
    /// `avro`).
    pub fn to_connect_data(
        &self,
        schema: &SchemaRef,
        avro: &AvroSchemaText,
        value: AvroValue,
    ) -> ConnectResult<Value> {
        value_in::connect_value(schema, avro, &avro.schema, value)
    }
}

/// Splits `a.b.C` into (`Some("a.b")`, `"C"`), as `AvroData.splitName`.
fn split_name(full: &str) -> (Option<&str>, &str) {
    match full.rfind('.') {
        Some(i) => (Some(&full[..i]), &full[i + 1..]),
        None => (None, full),
    }
}

/// An error about Avro data.
fn data_error(message: impl Into<String>) -> ConnectError {
    ConnectError::data(message)
}
