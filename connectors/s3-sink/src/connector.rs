//! The connector: validates the configuration and gives every task the
//! same one.

use async_trait::async_trait;
use ferry_api::{
    ConfigDef, ConfigErrors, ConnectResult, Connector, ConnectorContext, PropertyMap,
    SinkConnector, SinkTask,
};

use crate::config;
use crate::task::S3SinkTask;

/// The connector: every task gets the same configuration; Kafka's group
/// assignment spreads partitions over the tasks.
#[derive(Debug, Default)]
pub struct S3SinkConnector {
    props: PropertyMap,
}

#[async_trait]
impl Connector for S3SinkConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &PropertyMap) -> ConfigErrors {
        match config::S3SinkConfig::parse(props) {
            Ok(_) => ConfigErrors::default(),
            Err(e) => e,
        }
    }

    async fn start(&mut self, _ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
        config::S3SinkConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }
}

impl SinkConnector for S3SinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(S3SinkTask::default())
    }
}
