//! Debezium's transforms (`io.debezium.transforms.*`), as Debezium 3.x
//! ships them in `debezium-connect-plugins`, for the change events Ferry's
//! PostgreSQL source emits (and any other Debezium-shaped events a sink
//! reads).
//!
//! Both work on schema'd records: a value is a change event when its schema
//! is named `….Envelope`. Anything else — heartbeats, schema change events,
//! logical decoding messages, and schemaless values (a sink reading JSON
//! with `schemas.enable=false`) — passes through as Debezium passes it.

mod delete_handling;
mod envelope;
mod field_reference;
mod schema_cache;
mod schema_name_adjuster;
mod struct_ops;

pub mod by_logical_table_router;
pub mod extract_new_record_state;

pub use by_logical_table_router::ByLogicalTableRouter;
pub use extract_new_record_state::ExtractNewRecordState;

#[cfg(test)]
mod test_events;
