//! `io.confluent.connect.jdbc.JdbcSourceConnector`: copies tables (or one query) of PostgreSQL
//! and MariaDB/MySQL to Kafka, configured exactly like Confluent's JDBC source. The connector
//! finds the tables ([`discovery`]) and spreads them over tasks; each task ([`task`]) reads its
//! tables in `mode` ([`querier`]) into records whose schemas follow Confluent's mapping
//! ([`schema`]), with Confluent's source partitions and offsets.

pub mod config;
pub mod discovery;
pub mod querier;
pub mod schema;
pub mod task;
pub mod values;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use connect_api::ConfigValueInfo;
use connect_plugin_api::config_def::ConfigKey;
use connect_plugin_api::error::ConnectError;
use connect_plugin_api::{ConfigMap, Connector, ConnectorContext, ConnectorType, OffsetMap, Task};

use config::{SourceConfig, TABLES_CONFIG, TABLES_FETCHED};
use discovery::Monitor;

use super::dialect::{Dialect, QuoteMethod, connect};

pub const CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";
pub const TASK_CLASS: &str = "io.confluent.connect.jdbc.source.JdbcSourceTask";
pub static CONFIG_DEF: &[ConfigKey] = config::CONFIG_DEF;

const FRAME: &str = "io.confluent.connect.jdbc.JdbcSourceConnector.start(mod.rs)";

pub fn create() -> Box<dyn Connector> {
    Box::new(JdbcSourceConnector::default())
}

#[derive(Default)]
struct JdbcSourceConnector {
    props: ConfigMap,
    cfg: Option<SourceConfig>,
    monitor: Option<Monitor>,
}

impl Connector for JdbcSourceConnector {
    fn connector_type(&self) -> ConnectorType {
        ConnectorType::Source
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        tracing::info!("Starting JDBC Source Connector");
        let cfg = SourceConfig::parse(config).map_err(|e| {
            ConnectError::connect("Couldn't start JdbcSourceConnector due to configuration error")
                .with_cause(e)
        })?;
        let filtering = !cfg.whitelist.is_empty()
            || !cfg.blacklist.is_empty()
            || !cfg.include.is_empty()
            || !cfg.exclude.is_empty();
        if cfg.query.is_some() && filtering {
            return Err(ConnectError::connect(
                "query may not be combined with whole-table copying settings.",
            ));
        }
        let running = AtomicBool::new(true);
        let mut conn = connect(&cfg.connection, &running).map_err(|e| {
            ConnectError::connect(e.java_string())
                .at(FRAME)
                .with_cause(e.to_connect_error(FRAME))
        })?;
        if cfg.query.is_none() {
            let dialect = Dialect::new(cfg.dialect, QuoteMethod::Always);
            let tables = discovery::matching_tables(&mut conn, &cfg, &dialect).map_err(|e| {
                ConnectError::connect(e.java_string())
                    .at(FRAME)
                    .with_cause(e.to_connect_error(FRAME))
            })?;
            discovery::check_duplicates(&tables, &cfg)?;
            if tables.is_empty() {
                tracing::info!(
                    "Based on the supplied filtering rules, there are no matching tables to read data."
                );
            }
            self.monitor = Some(Monitor::start(cfg.clone(), dialect, conn, tables, context));
        }
        self.props = config.clone();
        self.cfg = Some(cfg);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let Some(cfg) = &self.cfg else {
            return Ok(Vec::new());
        };
        let mut base = self.props.clone();
        if cfg.query.is_some() {
            base.insert(TABLES_CONFIG.into(), String::new());
            base.insert(TABLES_FETCHED.into(), "true".into());
            return Ok(vec![base]);
        }
        let tables = self.monitor.as_ref().and_then(Monitor::tables);
        let tables = match tables {
            Some(t) if !t.is_empty() => t,
            other => {
                base.insert(TABLES_CONFIG.into(), String::new());
                base.insert(TABLES_FETCHED.into(), other.is_some().to_string());
                if other.is_some() {
                    tracing::warn!("No tables were found so there's no work to be done.");
                }
                return Ok(vec![base]);
            }
        };
        let dialect = Dialect::new(cfg.dialect, QuoteMethod::Always);
        // `ConnectorUtils.groupPartitions`: contiguous groups, the first ones one larger.
        let groups = tables.len().min(max_tasks.max(1));
        let per = tables.len() / groups;
        let extra = tables.len() % groups;
        let mut out = Vec::new();
        let mut it = tables.iter();
        for g in 0..groups {
            let n = per + usize::from(g < extra);
            let names: Vec<String> = it.by_ref().take(n).map(|t| dialect.table_name(t)).collect();
            let mut props = base.clone();
            props.insert(TABLES_CONFIG.into(), names.join(","));
            props.insert(TABLES_FETCHED.into(), "true".into());
            out.push(props);
        }
        Ok(out)
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        Ok(Task::Source(Box::new(task::JdbcSourceTask::new(config)?)))
    }

    fn validate(&self, config: &ConfigMap, values: &mut Vec<ConfigValueInfo>) {
        for (key, msg) in SourceConfig::cross_key_errors(config) {
            if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                v.errors.push(msg);
            }
        }
    }

    fn stop(&mut self) {
        if let Some(mut m) = self.monitor.take() {
            m.shutdown();
        }
    }

    fn alter_offsets(
        &self,
        _config: &ConfigMap,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool, ConnectError> {
        for (partition, offset) in offsets {
            if !partition.contains_key("table") && !partition.contains_key("query") {
                return Err(ConnectError::connect(
                    "Partition objects should contain the key 'table' or 'query'",
                ));
            }
            if let Some(o) = offset {
                for k in [
                    querier::INCREMENTING_FIELD,
                    querier::TIMESTAMP_FIELD,
                    querier::TIMESTAMP_NANOS_FIELD,
                ] {
                    if o.get(k).is_some_and(|v| !v.is_i64() && !v.is_null()) {
                        return Err(ConnectError::connect(format!(
                            "The value for the '{k}' key in the offset is expected to be a Long value"
                        )));
                    }
                }
            }
        }
        Ok(true)
    }
}
