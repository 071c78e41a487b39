//! The two connectors: each validates its configuration and says how many
//! tasks run with which settings.

use async_trait::async_trait;
use ferry_api::{
    ConfigDef, ConnectResult, Connector, ConnectorContext, PropertyMap, SinkConnector, SinkTask,
    SourceConnector, SourceTask,
};

use crate::config::{sink_config_def, source_config_def};
use crate::sink_task::FileSinkTask;
use crate::source_task::FileSourceTask;

/// The source connector: validates config and hands it to a single task.
#[derive(Debug, Default)]
pub struct FileSourceConnector {
    props: PropertyMap,
}

#[async_trait]
impl Connector for FileSourceConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        source_config_def()
    }

    async fn start(&mut self, _ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
        // One file cannot be split: always exactly one task, as Kafka's.
        Ok(vec![self.props.clone()])
    }
}

impl SourceConnector for FileSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileSourceTask::default())
    }
}

/// The sink connector: any number of tasks may append to the same file, as
/// Kafka's (lines of different tasks interleave).
#[derive(Debug, Default)]
pub struct FileSinkConnector {
    props: PropertyMap,
}

#[async_trait]
impl Connector for FileSinkConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        sink_config_def()
    }

    async fn start(&mut self, _ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }
}

impl SinkConnector for FileSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileSinkTask::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_lists_and_missing_keys_are_refused_together() {
        let mut p = PropertyMap::new();
        p.insert("topic".into(), "a,b".into());
        p.insert("batch.size".into(), "0".into());
        let errs = FileSourceConnector::default().validate(&p);
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["file", "topic", "batch.size"]);
    }

    #[test]
    fn file_is_required() {
        let errs = FileSinkConnector::default().validate(&PropertyMap::new());
        assert_eq!(errs.iter().next().unwrap().key, "file");
    }
}
