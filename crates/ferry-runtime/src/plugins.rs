//! The registry of connector plugins a worker can run.

use ferry_api::ConnectorPlugin;

/// The connectors known to this binary (built-ins plus any a custom binary
/// registers).
#[derive(Debug, Clone, Default)]
pub struct PluginRegistry {
    connectors: Vec<ConnectorPlugin>,
}

impl PluginRegistry {
    /// A registry of the given plugins.
    pub fn new(connectors: Vec<ConnectorPlugin>) -> Self {
        PluginRegistry { connectors }
    }

    /// Adds a plugin; a later plugin with the same class replaces an earlier one.
    pub fn register(&mut self, plugin: ConnectorPlugin) {
        self.connectors.retain(|p| p.class != plugin.class);
        self.connectors.push(plugin);
    }

    /// The plugin selected by a `connector.class` value.
    pub fn find(&self, class: &str) -> Option<&ConnectorPlugin> {
        self.connectors.iter().find(|p| p.matches(class))
    }

    /// Every registered plugin.
    pub fn connectors(&self) -> &[ConnectorPlugin] {
        &self.connectors
    }

    /// The canonical class names, comma-separated, for error messages.
    pub fn class_names(&self) -> String {
        self.connectors
            .iter()
            .map(|p| p.class)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
