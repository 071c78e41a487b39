//! The connector: validates the configuration and plans one task.

use async_trait::async_trait;
use ferry_api::{
    ConfigDef, ConnectResult, Connector, ConnectorContext, PropertyMap, SourceConnector, SourceTask,
};

use crate::config::config_def;
use crate::task::SequenceSourceTask;

/// The sequence source connector.
#[derive(Debug, Default)]
pub struct SequenceSourceConnector {
    props: PropertyMap,
}

#[async_trait]
impl Connector for SequenceSourceConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(&mut self, _ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
        // One sequence is one ordered stream: one task, whatever tasks.max says.
        Ok(vec![self.props.clone()])
    }
}

impl SourceConnector for SequenceSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(SequenceSourceTask::default())
    }
}
