//! Confluent Schema Registry support shared by the registry-backed
//! converters (Avro now; Protobuf and JSON Schema share it): the
//! serializer settings Confluent's `AbstractKafkaSchemaSerDeConfig`
//! defines, the subject name strategies, the wire format (magic byte and
//! schema id) and a caching REST client.
//!
//! Registry calls happen on cache misses only: a schema is registered or
//! looked up once per subject and schema, and fetched once per id, so the
//! hot path makes no request. A registry that cannot be reached (or answers
//! 5xx) gives a retriable error, which the runtime retries with backoff (the
//! task waits; nothing is skipped).

mod client;
pub mod config;
mod error;
mod subject;
pub mod wire;

pub use client::{blocking, RegisteredSchema, RegistrySchema, SchemaRegistryClient};
pub use config::{Credentials, SchemaRegistryConfig};
pub use error::RegistryError;
pub use subject::SubjectNameStrategy;
