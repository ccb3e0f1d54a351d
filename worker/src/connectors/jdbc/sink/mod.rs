//! `io.confluent.connect.jdbc.JdbcSinkConnector`: writes records to a PostgreSQL or
//! MariaDB/MySQL table per topic, taking Confluent's sink configuration unchanged.
//!
//! Failures are reported as Confluent's sink reports them: a database error is retried
//! `max.retries` times (`RetriableException` after a `retry.backoff.ms` pause, with a fresh
//! connection), then fails the task with a `ConnectException` carrying the SQL exception chain;
//! a missing table or column is a `TableAlterOrCreateException`; a record the configuration
//! cannot write is a `ConnectException` naming its topic, partition and offset.

pub mod config;
pub mod fields;
pub mod sql;
pub mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use connect_api::ConfigValueInfo;
use connect_plugin_api::data::SinkRecord;
use connect_plugin_api::error::{ConnectError, class};
use connect_plugin_api::{
    ConfigMap, Connector, ConnectorContext, ConnectorType, SinkTask, Task, TopicPartition,
};

use self::config::{InsertMode, JdbcSinkConfig, PkMode};
use self::writer::{JdbcDbWriter, WriteError};
use crate::connectors::jdbc::dialect::{SqlError, sleep_while_running};

pub const CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";
pub const TASK_CLASS: &str = "io.confluent.connect.jdbc.sink.JdbcSinkTask";
pub use self::config::CONFIG_DEF;

pub fn create() -> Box<dyn Connector> {
    Box::new(JdbcSinkConnector::default())
}

#[derive(Default)]
struct JdbcSinkConnector {
    props: ConfigMap,
}

impl Connector for JdbcSinkConnector {
    fn connector_type(&self) -> ConnectorType {
        ConnectorType::Sink
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        _context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        JdbcSinkConfig::parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        let config = JdbcSinkConfig::parse(config)?;
        let running = Arc::new(AtomicBool::new(true));
        Ok(Task::Sink(Box::new(JdbcSinkTask {
            remaining_retries: config.max_retries,
            writer: JdbcDbWriter::new(config.clone(), running.clone()),
            config,
            running,
        })))
    }

    /// `JdbcSinkConnector.validate`: `delete.enabled=true` needs `pk.mode=record_key`.
    fn validate(&self, config: &ConfigMap, values: &mut Vec<ConfigValueInfo>) {
        let delete = config
            .get("delete.enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let pk_mode = config
            .get("pk.mode")
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "none".into());
        if delete && pk_mode != "record_key" {
            let msg = "Deletes are only supported for pk.mode record_key";
            for v in values.iter_mut() {
                if v.name == "delete.enabled" || v.name == "pk.mode" {
                    v.errors.push(msg.to_owned());
                }
            }
        }
    }
}

/// `JdbcSinkTask`.
struct JdbcSinkTask {
    config: JdbcSinkConfig,
    writer: JdbcDbWriter,
    remaining_retries: u32,
    running: Arc<AtomicBool>,
}

/// Confluent's `getAllMessagesException`: an `SQLException` whose message lists the chain.
fn all_messages(e: &SqlError) -> ConnectError {
    let mut msg = String::from("Exception chain:\n");
    let mut cur = Some(e);
    while let Some(c) = cur {
        msg.push_str(&c.java_string());
        msg.push('\n');
        cur = c.cause.as_deref();
    }
    ConnectError::new(crate::connectors::jdbc::dialect::error::class::SQL, msg)
        .at("io.confluent.connect.jdbc.sink.JdbcSinkTask.getAllMessagesException(mod.rs)")
}

impl SinkTask for JdbcSinkTask {
    fn start(&mut self) -> Result<(), ConnectError> {
        tracing::info!(
            "Starting JDBC Sink task; writer using SQL dialect: {}",
            self.config.dialect.name()
        );
        if self.config.delete_enabled && self.config.pk_mode != PkMode::RecordKey {
            return Err(ConnectError::new(
                class::CONFIG,
                "Primary key mode must be 'record_key' when delete support is enabled",
            ));
        }
        if self.config.exactly_once && self.config.insert_mode != InsertMode::Insert {
            return Err(ConnectError::new(
                class::CONFIG,
                "exactly.once.insert=true needs insert.mode=insert",
            ));
        }
        Ok(())
    }

    fn open(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        Ok(())
    }

    fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        if records.is_empty() {
            return Ok(());
        }
        match self.writer.write(records) {
            Ok(()) => {
                tracing::debug!("Successfully wrote {} records.", records.len());
                self.remaining_retries = self.config.max_retries;
                Ok(())
            }
            Err(WriteError::TableAlterOrCreate(e)) => {
                tracing::error!("{e}");
                Err(e)
            }
            Err(WriteError::Connect(e)) => Err(e),
            Err(WriteError::Sql(e)) => {
                tracing::warn!(
                    "Write of {} records failed, remainingRetries={}: {e}",
                    records.len(),
                    self.remaining_retries
                );
                let chain = all_messages(&e);
                if self.remaining_retries > 0 {
                    self.writer.close();
                    self.remaining_retries -= 1;
                    // `context.timeout(retry.backoff.ms)`: the same records come back after it.
                    sleep_while_running(self.config.retry_backoff, &self.running);
                    Err(ConnectError::new(class::RETRIABLE, chain.header_line())
                        .at("io.confluent.connect.jdbc.sink.JdbcSinkTask.put(mod.rs)")
                        .with_cause(chain))
                } else {
                    tracing::error!(
                        "Failing task after exhausting retries; encountered 1 exceptions on last \
                         write attempt."
                    );
                    Err(ConnectError::connect(chain.header_line())
                        .at("io.confluent.connect.jdbc.sink.JdbcSinkTask.put(mod.rs)")
                        .with_cause(chain))
                }
            }
        }
    }

    fn stop(&mut self) {
        tracing::info!("Stopping task");
        self.running.store(false, Ordering::Relaxed);
        self.writer.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_chain_prints_as_confluents() {
        let e = SqlError::new("ERROR: relation \"x\" does not exist")
            .with_class("org.postgresql.util.PSQLException");
        let c = all_messages(&e);
        assert_eq!(
            c.header_line(),
            "java.sql.SQLException: Exception chain:\norg.postgresql.util.PSQLException: ERROR: \
             relation \"x\" does not exist\n"
        );
    }
}
