//! `io.debezium.connector.postgresql.PostgresConnector`: PostgreSQL change data capture that
//! takes a Debezium PostgreSQL connector config and writes Debezium's change events: the same
//! topics, keys, values, schemas and offsets.
//!
//! One task. It creates the publication and the logical replication slot as Debezium does,
//! snapshots the captured tables inside the slot's exported snapshot (so the stream that
//! follows has no gap and no duplicate), then streams `pgoutput` changes over the streaming
//! replication protocol. The slot's confirmed position advances only in [`SourceTask::commit`],
//! once the offsets of every record of a transaction are durable, so a crash never skips a change.
//!
//! Files: `config.rs` (keys, defaults, messages), `wire.rs` (protocol client), `pgoutput.rs`
//! (decoder), `types.rs` (column types), `event.rs` (schemas and envelope), `catalog.rs`
//! (publication, slot, table metadata), `task.rs` (snapshot, streaming, offsets).

pub mod catalog;
pub mod config;
pub mod event;
pub mod pgoutput;
pub mod task;
pub mod types;
pub mod wire;

use std::sync::Arc;

use connect_api::ConfigValueInfo;
use connect_plugin_api::error::ConnectError;
use connect_plugin_api::{ConfigMap, Connector, ConnectorContext, ConnectorType, Task};

pub use config::CONFIG_DEF;

pub const CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";
pub const TASK_CLASS: &str = "io.debezium.connector.postgresql.PostgresConnectorTask";

/// Exception classes of the failures, as Debezium and the JDBC driver name them.
pub mod class {
    pub const DEBEZIUM: &str = "io.debezium.DebeziumException";
    pub const PSQL: &str = "org.postgresql.util.PSQLException";
}

pub fn create() -> Box<dyn Connector> {
    Box::new(PostgresConnector::default())
}

#[derive(Default)]
struct PostgresConnector {
    props: ConfigMap,
}

impl Connector for PostgresConnector {
    fn connector_type(&self) -> ConnectorType {
        ConnectorType::Source
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        _context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        // One replication slot, one reader: Debezium's PostgreSQL connector has one task.
        Ok(vec![self.props.clone()])
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        let config = config::parse(config)?;
        Ok(Task::Source(Box::new(task::CdcTask::new(config))))
    }

    fn validate(&self, config: &ConfigMap, values: &mut Vec<ConfigValueInfo>) {
        for (key, error) in config::cross_key_errors(config) {
            if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                v.errors.push(error);
            }
        }
    }
}
