//! # PostgreSQL CDC source — Debezium-compatible change events
//!
//! A drop-in replacement for Debezium's `PostgresConnector`: it streams
//! row changes from PostgreSQL's logical replication (`pgoutput`) into
//! Kafka with Debezium 3.x's topics, keys, envelopes, schemas and offsets.
//!
//! * [`connector`] and [`task`]: the Kafka Connect connector and its one task.
//! * [`config`]: Debezium's configuration keys and defaults; [`filters`]:
//!   table/column include and exclude lists, `message.key.columns`.
//! * [`error`]: the connector's errors and the kind each becomes.
//! * [`setup`]: the SQL connection ([`tls`]), pre-flight checks, the
//!   publication and the slot's state; [`catalog`]: what the stream does not
//!   say, read from the catalog.
//! * [`types`]: PostgreSQL types → Connect schemas and values.
//! * [`envelope`]: key/value/envelope schemas and the `source` block;
//!   [`headers`]: the Kafka headers Debezium adds to change records.
//! * [`snapshot`] and [`wal_stream`]: the initial snapshot and the replication stream.
//! * [`offsets`]: Debezium's offset shape; resume and confirmation rules.
//!
//! See `connectors/postgres-cdc/README.md` for the user's guide.

pub mod catalog;
pub mod config;
pub mod connector;
pub mod envelope;
pub mod error;
pub mod filters;
pub mod headers;
pub mod offsets;
pub mod setup;
pub mod snapshot;
pub mod task;
pub mod tls;
pub mod types;
pub mod wal_stream;

pub use connector::PostgresConnector;
pub use error::PgCdcError;
pub use task::PostgresTask;

use ferry_api::{ConnectorFactory, ConnectorPlugin};

/// The plugin: `io.debezium.connector.postgresql.PostgresConnector`
/// (also `PostgresConnector` and `Postgres`, as Kafka derives them, and the
/// aliases `ferry.postgres.PostgresCdcSource`, `PostgresCdcSource`, `postgres-cdc`).
pub fn plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "io.debezium.connector.postgresql.PostgresConnector",
        aliases: &[
            "ferry.postgres.PostgresCdcSource",
            "PostgresCdcSource",
            "postgres-cdc",
        ],
        version: env!("CARGO_PKG_VERSION"),
        factory: ConnectorFactory::Source(|| Box::new(PostgresConnector::default())),
    }
}
