//! How a connector crate makes its connectors known to the runtime.
//!
//! A crate exposes one [`ConnectorPlugin`] per connector; the `ferry`
//! binary (or your own ten-line binary) registers them:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     ferry_runtime::cli::main_with_plugins(vec![my_connector::plugin()])
//! }
//! ```

use crate::connector::{SinkConnector, SourceConnector};

/// Creates connector instances.
#[derive(Clone, Copy)]
pub enum ConnectorFactory {
    /// A source connector.
    Source(fn() -> Box<dyn SourceConnector>),
    /// A sink connector.
    Sink(fn() -> Box<dyn SinkConnector>),
}

/// A connector the runtime can instantiate by `connector.class`.
#[derive(Clone, Copy)]
pub struct ConnectorPlugin {
    /// The canonical class name, shown by the REST API. For connectors that
    /// replace a Java connector this is the Java class name (e.g.
    /// `org.apache.kafka.connect.file.FileStreamSinkConnector`).
    pub class: &'static str,
    /// Other names accepted in `connector.class`. The simple class name and
    /// the simple name without the `Connector` suffix are accepted without
    /// being listed, as Kafka Connect's plugin aliases.
    pub aliases: &'static [&'static str],
    /// The plugin's version.
    pub version: &'static str,
    /// Creates instances.
    pub factory: ConnectorFactory,
}

impl ConnectorPlugin {
    /// `"source"` or `"sink"`, as the REST API names plugin types.
    pub fn kind(&self) -> &'static str {
        match self.factory {
            ConnectorFactory::Source(_) => "source",
            ConnectorFactory::Sink(_) => "sink",
        }
    }

    /// Whether `connector.class = name` selects this plugin.
    pub fn matches(&self, name: &str) -> bool {
        names_match(self.class, self.aliases, "Connector", name)
    }
}

/// Kafka Connect's plugin naming: the class name, a listed alias, the simple
/// class name (after the last `.`), or the simple name without the plugin
/// type's suffix (`Connector`, `Transformation`, `Predicate`).
pub(crate) fn names_match(class: &str, aliases: &[&str], suffix: &str, name: &str) -> bool {
    let name = name.trim();
    if name == class || aliases.contains(&name) {
        return true;
    }
    let simple = class.rsplit('.').next().unwrap_or(class);
    name == simple || simple.strip_suffix(suffix) == Some(name)
}

impl std::fmt::Debug for ConnectorPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorPlugin")
            .field("class", &self.class)
            .field("kind", &self.kind())
            .field("version", &self.version)
            .finish()
    }
}
