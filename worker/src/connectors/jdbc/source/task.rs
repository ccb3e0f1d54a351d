//! `io.confluent.connect.jdbc.source.JdbcSourceTask`: reads its tables (or the query) in turn,
//! each at most every `poll.interval.ms`, `batch.max.rows` rows at a time, resuming from the
//! committed offsets.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use connect_plugin_api::data::SourceRecord;
use connect_plugin_api::error::{ConnectError, class};
use connect_plugin_api::{ConfigMap, OffsetLookup, SourceTask};
use jiff::tz::TimeZone;

use super::config::{Mode, SourceConfig, TABLES_CONFIG, TABLES_FETCHED};
use super::querier::{Querier, QuerierSpec, QueryError, partition_v0, partition_v1};
use super::values;
use crate::connectors::jdbc::dialect::error::class as sql_class;
use crate::connectors::jdbc::dialect::{Connection, Dialect, SqlError, connect};

const FRAME: &str = "io.confluent.connect.jdbc.source.JdbcSourceTask.poll(task.rs)";
const START_FRAME: &str = "io.confluent.connect.jdbc.source.JdbcSourceTask.start(task.rs)";

pub struct JdbcSourceTask {
    cfg: SourceConfig,
    dialect: Dialect,
    tz: TimeZone,
    tables: Vec<String>,
    tables_fetched: bool,
    queriers: VecDeque<Querier>,
    conn: Option<Connection>,
    running: AtomicBool,
    retries: i64,
}

/// `new ConnectException(sqlException)`: the message is the cause's `toString()`.
fn wrap(e: &SqlError, frame: &str) -> ConnectError {
    ConnectError::connect(e.java_string())
        .at(frame)
        .with_cause(e.to_connect_error(frame))
}

impl JdbcSourceTask {
    pub fn new(props: &ConfigMap) -> Result<JdbcSourceTask, ConnectError> {
        let cfg = SourceConfig::parse(props).map_err(|e| {
            ConnectError::new(
                class::CONFIG,
                "Couldn't start JdbcSourceTask due to configuration error",
            )
            .with_cause(e)
        })?;
        let dialect = Dialect::new(cfg.dialect, cfg.quote);
        let tz = values::zone(&cfg.db_timezone).unwrap_or(TimeZone::UTC);
        let tables = props
            .get(TABLES_CONFIG)
            .map(|t| connect_plugin_api::config_def::split_list(t))
            .unwrap_or_default();
        let tables_fetched = props.get(TABLES_FETCHED).is_none_or(|v| v == "true");
        Ok(JdbcSourceTask {
            cfg,
            dialect,
            tz,
            tables,
            tables_fetched,
            queriers: VecDeque::new(),
            conn: None,
            running: AtomicBool::new(true),
            retries: 0,
        })
    }

    /// Opens the connection (with `connection.attempts`) and sets the session time zone to
    /// `db.timezone`, so that timestamps are compared and read as wall-clock values there.
    fn connection(&mut self) -> Result<&mut Connection, SqlError> {
        if self.conn.is_none() {
            let mut c = connect(&self.cfg.connection, &self.running)?;
            let tz = self.cfg.db_timezone.replace('\'', "");
            match self.dialect.kind {
                crate::connectors::jdbc::dialect::DialectKind::PostgreSql => {
                    c.batch_execute(&format!("SET TIME ZONE '{tz}'"))?;
                }
                crate::connectors::jdbc::dialect::DialectKind::MySql => {
                    let off = match tz.as_str() {
                        "UTC" | "GMT" | "Z" => "+00:00".to_owned(),
                        other => other.to_owned(),
                    };
                    if off.starts_with('+') || off.starts_with('-') {
                        c.batch_execute(&format!("SET time_zone = '{off}'"))?;
                    }
                }
            }
            self.conn = Some(c);
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }

    fn columns_check(&mut self, table: &str) -> Result<(), ConnectError> {
        let mode = self.cfg.mode;
        let id = self.dialect.parse_table_id(table);
        let inc = self.incrementing_for(table);
        let ts = self.timestamps_for(table);
        let validate = self.cfg.validate_non_null;
        let conn = self.connection().map_err(|e| wrap(&e, START_FRAME))?;
        let cols = conn.describe_columns(&id).map_err(|e| {
            ConnectError::connect("Failed trying to validate that columns used for offsets exist")
                .with_cause(e.to_connect_error(START_FRAME))
        })?;
        let has = |n: &str| cols.iter().find(|c| c.name.eq_ignore_ascii_case(n));
        if mode.uses_incrementing() && !inc.is_empty() && has(&inc).is_none() {
            return Err(ConnectError::new(
                class::CONFIG,
                format!("Incrementing column: {inc} does not exist in table '{table}'"),
            ));
        }
        if mode.uses_timestamp() {
            let missing: Vec<&str> = ts
                .iter()
                .filter(|c| has(c).is_none())
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Timestamp columns: {} do not exist in table '{table}'",
                        missing.join(", ")
                    ),
                ));
            }
        }
        if validate {
            if mode.uses_incrementing() && has(&inc).is_some_and(|c| c.nullable) {
                return Err(ConnectError::connect(format!(
                    "Cannot make incremental queries using incrementing column {inc} on {table} \
                     because this column is nullable."
                )));
            }
            if mode.uses_timestamp() && !ts.iter().any(|c| has(c).is_some_and(|d| !d.nullable)) {
                return Err(ConnectError::connect(format!(
                    "Cannot make incremental queries using timestamp columns {} on {table} \
                     because all of these columns are nullable.",
                    ts.join(",")
                )));
            }
        }
        Ok(())
    }

    fn incrementing_for(&self, table: &str) -> String {
        if self.cfg.include.is_empty() {
            return self.cfg.incrementing_column.clone();
        }
        let name = super::querier::unquoted(&self.dialect.parse_table_id(table));
        self.cfg
            .incrementing_mapping
            .iter()
            .find(|(re, _)| {
                regex::Regex::new(&format!("^(?:{re})$")).is_ok_and(|r| r.is_match(&name))
            })
            .map(|(_, c)| c[0].clone())
            .unwrap_or_default()
    }

    fn timestamps_for(&self, table: &str) -> Vec<String> {
        if self.cfg.include.is_empty() {
            return self.cfg.timestamp_columns.clone();
        }
        let name = super::querier::unquoted(&self.dialect.parse_table_id(table));
        self.cfg
            .timestamp_mapping
            .iter()
            .find(|(re, _)| {
                regex::Regex::new(&format!("^(?:{re})$")).is_ok_and(|r| r.is_match(&name))
            })
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }

    fn initial_offset(&mut self) -> Result<Option<connect_plugin_api::OffsetMap>, ConnectError> {
        let Some(initial) = self.cfg.timestamp_initial else {
            return Ok(None);
        };
        let ms = if initial == -1 {
            let sql = "SELECT CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)";
            let my = "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
            let kind = self.dialect.kind;
            let conn = self.connection().map_err(|e| wrap(&e, START_FRAME))?;
            let q = match kind {
                crate::connectors::jdbc::dialect::DialectKind::PostgreSql => sql,
                crate::connectors::jdbc::dialect::DialectKind::MySql => my,
            };
            conn.query_text(q)
                .map_err(|e| {
                    ConnectError::connect("Error while getting initial timestamp from database")
                        .with_cause(e.to_connect_error(START_FRAME))
                })?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten())
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0)
        } else {
            initial
        };
        let mut m = connect_plugin_api::OffsetMap::new();
        m.insert("timestamp".into(), serde_json::json!(ms));
        Ok(Some(m))
    }

    /// Fails the task as Confluent's `TableQuerierProcessor` does, or asks for a retry.
    fn on_error(&mut self, e: QueryError) -> Result<Vec<SourceRecord>, ConnectError> {
        let now = Instant::now();
        let conn = self.conn.as_mut();
        if let Some(q) = self.queriers.front_mut() {
            q.reset(conn, now, true);
        }
        match e {
            QueryError::Connect(c) => Err(ConnectError::connect(
                "Error while processing table querier",
            )
            .at(FRAME)
            .with_cause(c)),
            QueryError::Sql(s) => {
                let non_transient = [
                    sql_class::SYNTAX,
                    sql_class::NON_TRANSIENT_CONNECTION,
                    sql_class::DATA,
                    sql_class::INTEGRITY,
                ]
                .contains(&s.class.as_str());
                tracing::error!(
                    "SQL exception while running query, sqlState: {}, vendorCode: {}. Attempting \
                     retry {} of {} attempts. {}",
                    s.sql_state.as_deref().unwrap_or("null"),
                    s.vendor_code,
                    self.retries + 1,
                    self.cfg.query_retries,
                    s.java_string()
                );
                if s.is_connection_error() || non_transient {
                    self.conn = None;
                }
                if non_transient {
                    return Err(wrap(&s, FRAME));
                }
                if self.cfg.query_retries > 0 && self.retries + 1 >= self.cfg.query_retries {
                    return Err(ConnectError::connect("Failed to query table after retries")
                        .at(FRAME)
                        .with_cause(s.to_connect_error(FRAME)));
                }
                self.retries += 1;
                if let Some(q) = self.queriers.pop_front() {
                    self.queriers.push_back(q);
                }
                Ok(Vec::new())
            }
        }
    }
}

impl SourceTask for JdbcSourceTask {
    /// `commit_record` is not overridden: the worker need not keep the records' data.
    fn commit_record_reads_data(&self) -> bool {
        false
    }

    fn start(&mut self, offsets: &dyn OffsetLookup) -> Result<(), ConnectError> {
        tracing::info!("Starting JDBC source task");
        if self.tables.is_empty() && self.cfg.query.is_none() {
            if !self.tables_fetched {
                tracing::info!("Started JDBC source task. Waiting for DB tables to be fetched.");
                return Ok(());
            }
            return Err(ConnectError::new(
                class::CONFIG,
                "Task is being killed because it was not assigned a table nor a query to execute. \
                 If run in table mode please make sure that the tables exist on the database. If \
                 the table does exist on the database, we recommend using the fully qualified \
                 table name.",
            ));
        }
        if !self.tables.is_empty() && self.cfg.query.is_some() {
            return Err(ConnectError::new(
                class::CONFIG,
                "Invalid configuration: a JdbcSourceTask cannot have both a table and a query assigned to it",
            ));
        }
        self.connection().map_err(|e| wrap(&e, START_FRAME))?;
        let initial = self.initial_offset()?;
        let mode = self.cfg.mode;
        if let Some(q) = self.cfg.query.clone() {
            let mut stored = None;
            if mode != Mode::Bulk {
                stored = offsets.offset(&super::querier::partition_query());
            }
            self.queriers.push_back(Querier::new(QuerierSpec {
                table: None,
                query: Some(q),
                topic_prefix: self.cfg.topic_prefix.clone(),
                mode,
                incrementing_column: self.cfg.incrementing_column.clone(),
                timestamp_columns: self.cfg.timestamp_columns.clone(),
                offset: stored.or(initial),
                suffix: self.cfg.query_suffix.clone(),
                delay_ms: self.cfg.timestamp_delay_ms,
            }));
            return Ok(());
        }
        for table in self.tables.clone() {
            if mode != Mode::Bulk {
                self.columns_check(&table)?;
            }
            let id = self.dialect.parse_table_id(&table);
            let stored = if mode == Mode::Bulk {
                None
            } else {
                offsets
                    .offset(&partition_v1(&id))
                    .or_else(|| offsets.offset(&partition_v0(&id)))
            };
            if let Some(s) = &stored {
                tracing::info!("Found offset {s:?} for table {table}");
            }
            self.queriers.push_back(Querier::new(QuerierSpec {
                table: Some(id),
                query: None,
                topic_prefix: self.cfg.topic_prefix.clone(),
                mode,
                incrementing_column: self.incrementing_for(&table),
                timestamp_columns: self.timestamps_for(&table),
                offset: stored.or_else(|| initial.clone()),
                suffix: self.cfg.query_suffix.clone(),
                delay_ms: self.cfg.timestamp_delay_ms,
            }));
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Some(head) = self.queriers.front() else {
            std::thread::sleep(Duration::from_millis(200));
            return Ok(Vec::new());
        };
        if !head.querying() {
            if let Some(last) = head.last_update {
                let due = last + self.cfg.poll_interval;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep((due - now).min(Duration::from_millis(200)));
                    return Ok(Vec::new());
                }
            }
        }
        let isolation = match self.cfg.isolation.as_str() {
            "DEFAULT" => None,
            "READ_UNCOMMITED" => Some("READ_UNCOMMITTED".to_owned()),
            other => Some(other.to_owned()),
        };
        let (numeric, max) = (self.cfg.numeric_mapping, self.cfg.batch_max_rows);
        let dialect = self.dialect;
        let tz = self.tz.clone();
        if let Err(e) = self.connection() {
            return Err(
                ConnectError::connect("Error while processing table querier")
                    .at(FRAME)
                    .with_cause(wrap(&e, FRAME)),
            );
        }
        let conn = self.conn.as_mut().expect("connected above");
        let q = self.queriers.front_mut().expect("checked above");
        if let Err(e) = q.start_query(conn, &dialect, &tz, numeric, isolation.as_deref()) {
            return self.on_error(e);
        }
        let mut out = Vec::new();
        match q.read(conn, max, &tz, &mut out) {
            Ok(true) => {
                q.reset(Some(conn), Instant::now(), false);
                self.retries = 0;
                let q = self.queriers.pop_front().expect("checked above");
                self.queriers.push_back(q);
            }
            Ok(false) => {}
            Err(e) => return self.on_error(e),
        }
        Ok(out)
    }

    fn stop(&mut self) {
        tracing::info!("Stopping JDBC source task");
        self.running
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let now = Instant::now();
        for q in self.queriers.iter_mut() {
            q.reset(self.conn.as_mut(), now, true);
        }
        self.conn = None;
    }
}
