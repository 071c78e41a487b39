//! # ferry-converters — Kafka Connect's converters
//!
//! Kafka bytes ↔ Connect data, chosen by the class names in
//! `key.converter`, `value.converter` and `header.converter`. The
//! [`Converter`](ferry_api::Converter) trait and the data model live in
//! `ferry-api`; the implementations live here, so a record's key, value and
//! headers go through this one crate.
//!
//! | class (or alias)                                                         | what it does |
//! |--------------------------------------------------------------------------|--------------|
//! | `org.apache.kafka.connect.json.JsonConverter` (`JsonConverter`, `Json`)   | JSON, with a schema envelope unless `schemas.enable=false`; see [`json`] |
//! | `org.apache.kafka.connect.storage.StringConverter` (`String`)             | UTF-8 text |
//! | `org.apache.kafka.connect.converters.ByteArrayConverter` (`ByteArray`)    | bytes as they are |
//! | `io.confluent.connect.avro.AvroConverter` (`AvroConverter`, `Avro`)    | Avro in Confluent's wire format, schemas in a Schema Registry; see [`AvroConverter`] |
//! | `org.apache.kafka.connect.storage.SimpleHeaderConverter` (`SimpleHeader`) | headers as strings, types inferred on read (headers only; Kafka's default `header.converter`) |
//!
//! [`converter_for`] and [`header_converter_for`] build them from a class
//! name and the converter's own settings (`value.converter.schemas.enable`
//! → `schemas.enable`).

mod avro_converter;
mod byte_array;
mod header;
pub mod json;
mod registry;
pub mod schema_registry;
mod simple_header;
mod string;

pub use avro_converter::{AvroConverter, AVRO_CONVERTER};
pub use byte_array::ByteArrayConverter;
pub use header::HeaderConverter;
pub use json::JsonConverter;
pub use registry::{
    converter_for, header_converter_for, BYTE_ARRAY_CONVERTER, JSON_CONVERTER,
    SIMPLE_HEADER_CONVERTER, STRING_CONVERTER,
};
pub use simple_header::SimpleHeaderConverter;
pub use string::{StringConverter, ENCODING_CONFIG};
