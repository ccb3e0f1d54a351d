//! The plugin interfaces: connectors and their tasks, with the lifecycle of Apache's
//! `org.apache.kafka.connect.connector.Connector`, `source.SourceTask` and `sink.SinkTask`.
//! Tasks are plain blocking traits: each task runs on its own thread (as in Apache's worker), so
//! a connector doing file or JDBC IO needs no async machinery.
//!
//! The order in which the worker calls the hooks, as in Apache:
//! - connector: built by its registry factory; `validate` on a fresh instance for
//!   `PUT .../config/validate` and before a create; `start` with the config and a
//!   [`ConnectorContext`]; `task_configs`; `create_task` per task; `stop` when the connector is
//!   deleted, paused, stopped, reconfigured or restarted, or the worker shuts down.
//! - source task: `start`, then `poll` in a loop; `commit_record` once per record after the
//!   producer acknowledged it (or with no metadata after the record was filtered or skipped);
//!   `commit` after the offsets of the acknowledged records are durable; `stop` at the end.
//! - sink task: `initialize` with its [`SinkTaskContext`]; `start`; `open` with the partitions
//!   assigned; `put` per batch; at each offset
//!   commit `pre_commit` (by default `flush`) and only its answer is committed; `close` with
//!   the partitions revoked (after their offsets were committed); `stop` at the end.

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::ConfigValueInfo;
use serde_json::{Map, Value as Json};

use crate::data::{SinkRecord, SourceRecord};
use crate::error::ConnectError;

pub use connect_api::{ConfigMap, ConnectorType};

/// A source partition or offset map (`Map<String, ?>` in Java).
pub type OffsetMap = Map<String, Json>;

/// A Kafka topic partition (`TopicPartition`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// Sink offsets by partition: the offset of the next record to read (`OffsetAndMetadata`).
pub type SinkOffsets = BTreeMap<TopicPartition, i64>;

/// Where the producer wrote a source record (`RecordMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// The worker as a running connector sees it (`ConnectorContext`). Both calls may come from
/// any thread, also from within [`Connector::start`], and return at once: the worker acts on
/// them on its own thread.
pub trait ConnectorContext: Send + Sync {
    /// Asks the worker to call [`Connector::task_configs`] again; when the configs changed, the
    /// tasks are stopped and started with the new ones (a JDBC source that found new tables).
    fn request_task_reconfiguration(&self);
    /// Reports an error the connector cannot recover from: the connector becomes FAILED with
    /// this error as its trace.
    fn raise_error(&self, error: ConnectError);
}

/// A context that ignores every request, for a connector used outside a worker (tests,
/// validation).
pub struct NoopContext;

impl ConnectorContext for NoopContext {
    fn request_task_reconfiguration(&self) {}
    fn raise_error(&self, _error: ConnectError) {}
}

/// A connector: turns its config into task configs and builds tasks. A registry factory builds
/// an unstarted instance; the worker calls [`Connector::start`] before anything but
/// [`Connector::validate`] and [`Connector::alter_offsets`].
pub trait Connector: Send + Sync {
    fn connector_type(&self) -> ConnectorType;
    /// `Connector.start`: takes the connector's config. A failure leaves the connector FAILED
    /// with the error as its trace.
    fn start(
        &mut self,
        config: &ConfigMap,
        context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError>;
    /// At most `max_tasks` task configs.
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError>;
    /// Builds a task from one of the configs returned by [`Connector::task_configs`].
    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError>;
    /// `Connector.validate`: called on an unstarted instance with the values of the
    /// connector's own keys as its config definition validated them, in definition order. A
    /// connector adds the errors that depend on several keys (Apache's override that calls
    /// `super.validate` first).
    fn validate(&self, _config: &ConfigMap, _values: &mut Vec<ConfigValueInfo>) {}
    /// `SourceConnector.exactlyOnceSupport`: whether the connector's tasks can give
    /// exactly-once delivery with this config (`Some(true)`: SUPPORTED, `Some(false)`:
    /// UNSUPPORTED), asked on an unstarted instance when `exactly.once.support=required`.
    /// `None` is Java's default `null`: the connector does not say.
    fn exactly_once_support(&self, _config: &ConfigMap) -> Option<bool> {
        None
    }
    /// `Connector.stop`: releases what `start` acquired. Tasks are stopped before it is called.
    fn stop(&mut self) {}
    /// Checks offsets submitted through `PATCH /connectors/{c}/offsets` (`alterOffsets`), on an
    /// unstarted instance. Returns true when the connector needs nothing beyond the framework's
    /// offset store.
    fn alter_offsets(
        &self,
        _config: &ConfigMap,
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
    /// `SourceTask.commitRecord`: the record (as `poll` returned it, before transforms) is in
    /// Kafka at `metadata`; `None` when it was filtered by a transform or skipped after an
    /// error under `errors.tolerance=all`. Its offset is not durable yet: see
    /// [`SourceTask::commit`].
    fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> Result<(), ConnectError> {
        Ok(())
    }
    /// Whether [`SourceTask::commit_record`] reads the record's key, value or headers. A task
    /// whose `commit_record` reads only the source partition, offset and topic returns false,
    /// and the worker drops the rest of each record once it is converted instead of holding it
    /// until Kafka acknowledges the record (up to the producer's 10,000 queued messages).
    fn commit_record_reads_data(&self) -> bool {
        true
    }
    /// `SourceTask.commit`: the offsets of every record acknowledged so far are durable in the
    /// offset store. A change-data-capture source acknowledges its log position here, so a
    /// crash never skips a change.
    fn commit(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    fn stop(&mut self) {}
}

/// `org.apache.kafka.connect.sink.ErrantRecordReporter`: sends a record the task could not
/// write to the connector's dead letter queue (and error log), as the worker sends a record
/// that failed conversion or a transform.
///
/// Apache's `report` returns a future; here the report is queued and the worker waits for
/// every queued report to be acknowledged by Kafka before it commits the offsets of the
/// reported records' partitions, so a crash never loses a reported record (at least once).
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record` (one the task was given by `put`) as failed with `error`. The worker
    /// writes the record as it was consumed, before conversion and transforms, with the
    /// `__connect.errors.*` headers of stage `TASK_PUT`. Returns an error when
    /// `errors.tolerance` does not allow going on (`none`): the task should return it from
    /// `put`, which fails the task ("Tolerance exceeded in error handler", as in Apache).
    fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<(), ConnectError>;
}

/// `org.apache.kafka.connect.sink.SinkTaskContext`: the worker as a sink task sees it.
pub trait SinkTaskContext: Send + Sync {
    /// `errantRecordReporter()`: `None` when the connector has neither a dead letter queue
    /// (`errors.deadletterqueue.topic.name`) nor `errors.log.enable=true`, as in Apache.
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>>;
}

/// A context without an errant record reporter, for a task used outside a worker.
pub struct NoopSinkTaskContext;

impl SinkTaskContext for NoopSinkTaskContext {
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        None
    }
}

/// `org.apache.kafka.connect.sink.SinkTask`.
pub trait SinkTask: Send {
    /// `SinkTask.initialize`: called once before `start` with the task's context, which the
    /// task may keep for its whole life.
    fn initialize(&mut self, _context: Arc<dyn SinkTaskContext>) {}
    fn start(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    /// `SinkTask.open`: these partitions were assigned to the task; records of them follow.
    fn open(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        Ok(())
    }
    /// Writes records. A `RetriableException` asks for the same records again later.
    fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;
    /// Makes everything put so far durable.
    fn flush(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
    /// `SinkTask.preCommit`: given the offsets consumed so far (the next offset to read, per
    /// partition), returns the offsets that may be committed: by default it flushes and
    /// returns them all. A sink that writes asynchronously returns only what it has written;
    /// partitions left out are not committed this time.
    fn pre_commit(&mut self, current: &SinkOffsets) -> Result<SinkOffsets, ConnectError> {
        self.flush()?;
        Ok(current.clone())
    }
    /// `SinkTask.close`: these partitions were revoked (their offsets were committed first);
    /// the task drops what it keeps for them.
    fn close(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        Ok(())
    }
    fn stop(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counting {
        flushes: usize,
    }

    impl SinkTask for Counting {
        fn put(&mut self, _records: &[SinkRecord]) -> Result<(), ConnectError> {
            Ok(())
        }
        fn flush(&mut self) -> Result<(), ConnectError> {
            self.flushes += 1;
            Ok(())
        }
    }

    /// Apache's default `preCommit`: flush, then commit everything consumed.
    #[test]
    fn default_pre_commit_flushes_and_returns_the_current_offsets() {
        let mut t = Counting::default();
        let current: SinkOffsets = [
            (TopicPartition::new("a", 0), 10),
            (TopicPartition::new("a", 1), 3),
        ]
        .into();
        assert_eq!(t.pre_commit(&current).unwrap(), current);
        assert_eq!(t.flushes, 1);
        assert!(t.open(&[TopicPartition::new("a", 0)]).is_ok());
        assert!(t.close(&[TopicPartition::new("a", 0)]).is_ok());
    }

    struct Failing;

    impl SinkTask for Failing {
        fn put(&mut self, _records: &[SinkRecord]) -> Result<(), ConnectError> {
            Ok(())
        }
        fn flush(&mut self) -> Result<(), ConnectError> {
            Err(ConnectError::connect("disk full"))
        }
    }

    /// A failed flush means nothing may be committed.
    #[test]
    fn default_pre_commit_commits_nothing_when_the_flush_fails() {
        let current: SinkOffsets = [(TopicPartition::new("a", 0), 10)].into();
        let e = Failing.pre_commit(&current).unwrap_err();
        assert_eq!(e.message.as_deref(), Some("disk full"));
    }
}
