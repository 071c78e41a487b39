//! The converters of one connector (key, value, header), chosen from the
//! connector config or the worker config as Kafka Connect does.

use std::sync::Arc;

use ferry_api::{ConfigErrors, Converter, PropertyMap};

use super::retrying::{RetryPolicy, Retrying, RetryingHeaders};
use super::{TaskSpec, WorkerServices};
use crate::error::RuntimeError;
use ferry_config::worker::WorkerConfig;
use ferry_converters::{converter_for, header_converter_for, HeaderConverter};

/// Key, value and header converters for one connector.
#[derive(Clone)]
pub struct RecordCodec {
    /// Converts record keys.
    pub key: Arc<dyn Converter>,
    /// Converts record values.
    pub value: Arc<dyn Converter>,
    /// Converts header values.
    pub header: Arc<dyn HeaderConverter>,
    /// The class names, for error messages: (key, value).
    pub classes: (String, String),
}

/// The converter class and settings for `side` (`key.converter`, ...): the
/// connector's if it sets the class, else the worker's (Kafka's rule).
fn pick(
    side: &str,
    connector: &PropertyMap,
    worker: &PropertyMap,
    default: &str,
) -> (String, PropertyMap) {
    let (source, class) = match connector.get(side) {
        Some(c) => (connector, c.clone()),
        None => (
            worker,
            worker
                .get(side)
                .cloned()
                .unwrap_or_else(|| default.to_string()),
        ),
    };
    let prefix = format!("{side}.");
    let settings = source
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
        .collect();
    (class, settings)
}

impl RecordCodec {
    /// Builds the converters for a connector; every problem is reported.
    pub fn for_connector(
        worker: &WorkerConfig,
        connector: &PropertyMap,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let (key_class, key_props) = pick(
            "key.converter",
            connector,
            &worker.props,
            &worker.key_converter,
        );
        let (value_class, value_props) = pick(
            "value.converter",
            connector,
            &worker.props,
            &worker.value_converter,
        );
        let (header_class, header_props) = pick(
            "header.converter",
            connector,
            &worker.props,
            &worker.header_converter,
        );
        let key = converter_for("key.converter", &key_class, &key_props, true)
            .map_err(|e| errors.push(e))
            .ok();
        let value = converter_for("value.converter", &value_class, &value_props, false)
            .map_err(|e| errors.push(e))
            .ok();
        let header = header_converter_for("header.converter", &header_class, &header_props)
            .map_err(|e| errors.push(e))
            .ok();
        match (key, value, header) {
            (Some(key), Some(value), Some(header)) => Ok(RecordCodec {
                key,
                value,
                header,
                classes: (key_class, value_class),
            }),
            _ => Err(errors),
        }
    }

    /// The converters of a task's connector, retrying retriable failures
    /// (an unreachable Schema Registry) as [`super::retrying`] describes
    /// until the task shuts down.
    pub(crate) fn for_task(
        services: &WorkerServices,
        spec: &TaskSpec,
        shutdown: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<Self, RuntimeError> {
        let codec =
            Self::for_connector(&services.worker, &spec.connector_props).map_err(|errors| {
                RuntimeError::InvalidConfig {
                    subject: format!("connector {}", spec.id.connector),
                    errors,
                }
            })?;
        let metrics = services.metrics.task(&spec.id.connector, spec.id.task);
        let policy = RetryPolicy::new(&spec.errors, shutdown.clone(), &metrics);
        Ok(RecordCodec {
            key: Retrying::wrap(codec.key, policy.clone(), &codec.classes.0),
            value: Retrying::wrap(codec.value, policy.clone(), &codec.classes.1),
            header: RetryingHeaders::wrap(codec.header, policy),
            classes: codec.classes,
        })
    }
}
