//! # A custom connector: the sequence source
//!
//! A source connector written against `ferry-api` only, to copy when you
//! write your own. It sends the numbers `0..count` to one topic as STRING
//! values `<prefix><n>` (keyed by the connector's name), and stores the next
//! number as its source offset, so a restarted worker carries on where the
//! last stored offset points instead of starting again.
//!
//! The shape every Ferry connector has:
//!
//! * `lib.rs` (this file): the [`plugin`] function and re-exports;
//! * [`connector`]: the `Connector` (validates config, plans tasks);
//! * [`task`]: the `SourceTask` (does the work);
//! * [`config`]: the keys, their `ConfigDef` and the typed settings;
//! * [`error`]: the connector's errors, which become `ConnectError`s.
//!
//! `src/main.rs` is the ten-line binary that runs it next to the built-in
//! connectors.

pub mod config;
pub mod connector;
pub mod error;
pub mod task;

pub use connector::SequenceSourceConnector;
pub use task::SequenceSourceTask;

use ferry_api::{ConnectorFactory, ConnectorPlugin};

/// The plugin: `connector.class=com.example.SequenceSourceConnector` (or the
/// alias `SequenceSource`).
pub fn plugin() -> ConnectorPlugin {
    ConnectorPlugin {
        class: "com.example.SequenceSourceConnector",
        aliases: &["SequenceSource"],
        version: env!("CARGO_PKG_VERSION"),
        factory: ConnectorFactory::Source(|| Box::new(SequenceSourceConnector::default())),
    }
}
