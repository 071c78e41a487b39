//! The connector: `io.debezium.connector.postgresql.PostgresConnector`,
//! always one task (a replication slot has one reader).

use async_trait::async_trait;
use ferry_api::{
    ConfigDef, ConfigErrors, ConnectResult, Connector, ConnectorContext, PropertyMap,
    SourceConnector, SourceTask,
};

use crate::config::{config_def, PgConfig};
use crate::task::PostgresTask;

/// The connector.
#[derive(Debug, Default)]
pub struct PostgresConnector {
    props: PropertyMap,
}

#[async_trait]
impl Connector for PostgresConnector {
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn validate(&self, props: &PropertyMap) -> ConfigErrors {
        match PgConfig::parse(props) {
            Ok(_) => ConfigErrors::default(),
            Err(e) => e,
        }
    }

    async fn start(&mut self, _ctx: ConnectorContext, props: &PropertyMap) -> ConnectResult<()> {
        PgConfig::parse(props)?;
        self.props = props.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<PropertyMap>> {
        // One slot, one reader: always exactly one task, as Debezium.
        Ok(vec![self.props.clone()])
    }
}

impl SourceConnector for PostgresConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(PostgresTask::default())
    }
}
