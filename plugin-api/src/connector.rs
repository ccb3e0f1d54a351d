//! The plugin interfaces: connectors and their tasks. Tasks are plain blocking traits: each task
//! runs on its own thread (as in Apache's worker), so a connector doing file or JDBC IO needs no
//! async machinery.

use serde_json::{Map, Value as Json};

use crate::data::{SinkRecord, SourceRecord};
use crate::error::ConnectError;

pub use connect_api::{ConfigMap, ConnectorType};

/// A source partition or offset map (`Map<String, ?>` in Java).
pub type OffsetMap = Map<String, Json>;

/// A connector: turns its config into task configs and builds tasks.
pub trait Connector: Send + Sync {
    fn connector_type(&self) -> ConnectorType;
    /// At most `max_tasks` task configs.
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError>;
    /// Builds a task from one of the configs returned by [`Connector::task_configs`].
    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError>;
    /// Checks offsets submitted through `PATCH /connectors/{c}/offsets` (`alterOffsets`).
    /// Returns true when the connector needs nothing beyond the framework's offset store.
    fn alter_offsets(
        &self,
        _offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool, ConnectError> {
        Ok(false)
    }
}

/// A task of either kind.
pub enum Task {
    Source(Box<dyn SourceTask>),
    Sink(Box<dyn SinkTask>),
}

/// Where a source task finds the offsets committed by an earlier run.
pub trait OffsetLookup {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap>;
}

/// `org.apache.kafka.connect.source.SourceTask`.
pub trait SourceTask: Send {
    fn start(&mut self, offsets: &dyn OffsetLookup) -> Result<(), ConnectError>;
    /// Returns the next batch; an empty batch means "nothing now" and the loop polls again.
    /// A `RetriableException` is logged and the loop polls again.
    /// Implementations should not block for long so that stop requests are noticed.
    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError>;
    fn stop(&mut self) {}
}

/// `org.apache.kafka.connect.sink.SinkTask`.
pub trait SinkTask: Send {
    fn start(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    /// Writes records. A `RetriableException` asks for the same records again later.
    fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;
    /// Makes everything put so far durable; offsets are committed only after it succeeds.
    fn flush(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    fn stop(&mut self) {}
}
