//! Running tasks: the sink and source executors, their shared services, and
//! the supervisor that restarts failed tasks.

mod ack_tracker;
mod codec;
mod errant;
mod fetch_positions;
mod offset_flush;
mod put_retry;
mod retrying;
mod sink;
mod sink_fetcher;
mod sink_progress;
mod source;
mod supervisor;
#[cfg(test)]
pub(crate) mod test_support;
mod topic_creation;

pub use codec::RecordCodec;
pub use sink::{run_sink_task, sink_group_id, sink_task_props};
pub use source::run_source_task;
pub use supervisor::{supervise, TaskFactory};
pub use topic_creation::TopicCreation;

use std::fmt;
use std::sync::Arc;

use ferry_api::PropertyMap;

use crate::metrics::Metrics;
use crate::offsets::OffsetStore;
use crate::status::StatusRegistry;
use ferry_config::worker::WorkerConfig;

/// Identifies a task: connector name and task number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    /// The connector's name.
    pub connector: String,
    /// The task's number, from 0.
    pub task: u32,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// What every task of a worker shares.
pub struct WorkerServices {
    /// The worker configuration.
    pub worker: WorkerConfig,
    /// Metrics registry.
    pub metrics: Metrics,
    /// Source offsets.
    pub offsets: Arc<dyn OffsetStore>,
    /// Connector and task states.
    pub status: StatusRegistry,
}

/// Everything one task run needs besides the task itself.
#[derive(Clone)]
pub struct TaskSpec {
    /// Which task.
    pub id: TaskId,
    /// The connector's (provider-resolved) configuration.
    pub connector_props: PropertyMap,
    /// The task's configuration, from the connector's `task_configs`.
    pub task_props: PropertyMap,
    /// Sink subscription (sinks only).
    pub subscription: Option<ferry_config::connector::Subscription>,
    /// The connector's transforms, instantiated afresh for each run.
    pub transforms: std::sync::Arc<crate::transforms::ChainSpec>,
    /// The connector's `errors.*` settings.
    pub errors: ferry_config::error_handling::ErrorHandling,
}

/// The admin client of a task (topic creation, the dead-letter queue),
/// with the connector's `admin.override.*` settings.
pub(crate) fn admin_client(
    services: &WorkerServices,
    spec: &TaskSpec,
) -> Result<
    rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext>,
    crate::error::RuntimeError,
> {
    use crate::kafka_client::ToRdkafka;
    ferry_config::client::client_config(
        &services.worker.props,
        ferry_config::client::ClientRole::Admin,
        &spec.connector_props,
    )
    .to_rdkafka()
    .create()
    .map_err(|e| {
        crate::error::RuntimeError::kafka(
            format!("creating the admin client of task {}", spec.id),
            e,
        )
    })
}
