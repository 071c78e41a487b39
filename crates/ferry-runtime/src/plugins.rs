//! The registry of plugins a worker can run: connectors, transforms and
//! predicates.

use ferry_api::{ConnectorPlugin, PredicatePlugin, TransformPlugin};

/// The plugins known to this binary: the given connectors, every built-in
/// transform and predicate (`ferry-transforms`), and any a custom binary
/// registers.
#[derive(Debug, Clone)]
pub struct PluginRegistry {
    connectors: Vec<ConnectorPlugin>,
    transforms: Vec<TransformPlugin>,
    predicates: Vec<PredicatePlugin>,
}

impl Default for PluginRegistry {
    fn default() -> Self {
        PluginRegistry::new(Vec::new())
    }
}

impl PluginRegistry {
    /// A registry of the given connectors and the built-in transforms and
    /// predicates.
    pub fn new(connectors: Vec<ConnectorPlugin>) -> Self {
        PluginRegistry {
            connectors,
            transforms: ferry_transforms::transforms(),
            predicates: ferry_transforms::predicates(),
        }
    }

    /// Adds a transform; one with the same class replaces the earlier one.
    pub fn register_transform(&mut self, plugin: TransformPlugin) {
        self.transforms.retain(|p| p.class != plugin.class);
        self.transforms.push(plugin);
    }

    /// Adds a predicate; one with the same class replaces the earlier one.
    pub fn register_predicate(&mut self, plugin: PredicatePlugin) {
        self.predicates.retain(|p| p.class != plugin.class);
        self.predicates.push(plugin);
    }

    /// The transform selected by a `transforms.<alias>.type` value.
    pub fn find_transform(&self, class: &str) -> Option<&TransformPlugin> {
        self.transforms.iter().find(|p| p.matches(class))
    }

    /// The predicate selected by a `predicates.<alias>.type` value.
    pub fn find_predicate(&self, class: &str) -> Option<&PredicatePlugin> {
        self.predicates.iter().find(|p| p.matches(class))
    }

    /// Every registered transform.
    pub fn transforms(&self) -> &[TransformPlugin] {
        &self.transforms
    }

    /// Every registered predicate.
    pub fn predicates(&self) -> &[PredicatePlugin] {
        &self.predicates
    }

    /// The transforms' class names, comma-separated, for error messages.
    pub fn transform_names(&self) -> String {
        let names: Vec<&str> = self.transforms.iter().map(|p| p.class).collect();
        names.join(", ")
    }

    /// The predicates' class names, comma-separated, for error messages.
    pub fn predicate_names(&self) -> String {
        let names: Vec<&str> = self.predicates.iter().map(|p| p.class).collect();
        names.join(", ")
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
