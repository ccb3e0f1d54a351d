//! Table discovery (Confluent's `TableMonitorThread`): the tables matching the filters, read
//! again every `table.poll.interval.ms`; a change asks the runtime for new task configs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use connect_plugin_api::ConnectorContext;
use connect_plugin_api::error::ConnectError;

use super::config::SourceConfig;
use super::querier::unquoted;
use crate::connectors::jdbc::dialect::source_meta::list_tables;
use crate::connectors::jdbc::dialect::{
    Connection, Dialect, QuoteMethod, SqlError, TableId, connect, sleep_while_running,
};

/// The tables of the database that the filters select, in name order.
pub fn matching_tables(
    conn: &mut Connection,
    cfg: &SourceConfig,
    dialect: &Dialect,
) -> Result<Vec<TableId>, SqlError> {
    let all = list_tables(
        conn,
        cfg.catalog_pattern.as_deref(),
        cfg.schema_pattern.as_deref(),
        &cfg.table_types,
    )?;
    let quoted = Dialect::new(dialect.kind, QuoteMethod::Always);
    let names = |t: &TableId| [unquoted(t), quoted.table_name(t), t.table.clone()];
    let mut out = Vec::new();
    if !cfg.include.is_empty() {
        let full = |r: &str| regex::Regex::new(&format!("^(?:{})$", r.trim())).ok();
        let inc: Vec<_> = cfg.include.iter().filter_map(|r| full(r)).collect();
        let exc: Vec<_> = cfg.exclude.iter().filter_map(|r| full(r)).collect();
        for t in all {
            let n = unquoted(&t.id);
            if inc.iter().any(|r| r.is_match(&n)) && !exc.iter().any(|r| r.is_match(&n)) {
                out.push(t.id);
            }
        }
    } else if !cfg.whitelist.is_empty() {
        for t in all {
            if names(&t.id).iter().any(|n| cfg.whitelist.contains(n)) {
                out.push(t.id);
            }
        }
    } else {
        for t in all {
            if !names(&t.id).iter().any(|n| cfg.blacklist.contains(n)) {
                out.push(t.id);
            }
        }
    }
    Ok(out)
}

/// Confluent refuses tables whose unqualified names collide: they would share a topic.
pub fn check_duplicates(tables: &[TableId], cfg: &SourceConfig) -> Result<(), ConnectError> {
    let mut by_name: std::collections::BTreeMap<&str, Vec<&TableId>> = Default::default();
    for t in tables {
        by_name.entry(t.table.as_str()).or_default().push(t);
    }
    let dups: Vec<String> = by_name
        .values()
        .filter(|v| v.len() > 1)
        .map(|v| {
            format!(
                "[{}]",
                v.iter().map(|t| unquoted(t)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    let config_text = if !cfg.whitelist.is_empty() {
        "'table.whitelist'"
    } else if !cfg.blacklist.is_empty() {
        "'table.blacklist'"
    } else {
        "'table.whitelist' or 'table.blacklist'"
    };
    Err(ConnectError::connect(format!(
        "The connector uses the unqualified table name as the topic name and has detected \
         duplicate unqualified table names. This could lead to mixed data types in the topic and \
         downstream processing errors. To prevent such processing errors, the JDBC Source \
         connector fails to start when it detects duplicate table name configurations. Update \
         the connector's {config_text} config to include exactly one table in each of the tables \
         listed below.\n\t[{}]",
        dups.join(", ")
    )))
}

/// The monitor: a thread that keeps [`Monitor::tables`] current.
pub struct Monitor {
    pub tables: Arc<Mutex<Option<Vec<TableId>>>>,
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Starts monitoring with `conn` (already open) and the first list `initial`.
    pub fn start(
        cfg: SourceConfig,
        dialect: Dialect,
        conn: Connection,
        initial: Vec<TableId>,
        context: Arc<dyn ConnectorContext>,
    ) -> Monitor {
        let tables = Arc::new(Mutex::new(Some(initial)));
        let running = Arc::new(AtomicBool::new(true));
        let (t, r) = (tables.clone(), running.clone());
        let thread = std::thread::Builder::new()
            .name("jdbc-source-table-monitor".into())
            .spawn(move || {
                let mut conn = Some(conn);
                while r.load(Ordering::Relaxed) {
                    sleep_while_running(cfg.table_poll_interval, &r);
                    if !r.load(Ordering::Relaxed) {
                        break;
                    }
                    if conn.is_none() {
                        conn = connect(&cfg.connection, &r).ok();
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    match matching_tables(c, &cfg, &dialect) {
                        Ok(found) => {
                            if let Err(e) = check_duplicates(&found, &cfg) {
                                context.raise_error(e);
                                break;
                            }
                            let mut cur = t.lock().unwrap_or_else(|p| p.into_inner());
                            if cur.as_ref() != Some(&found) {
                                tracing::info!(
                                    "Tables have changed from {:?} to {:?}; requesting task reconfiguration",
                                    cur.as_ref().map(|v| v.iter().map(unquoted).collect::<Vec<_>>()),
                                    found.iter().map(unquoted).collect::<Vec<_>>()
                                );
                                *cur = Some(found);
                                drop(cur);
                                context.request_task_reconfiguration();
                            }
                        }
                        Err(e) => {
                            tracing::error!(
                                "Error while trying to get updated table list, ignoring and \
                                 waiting for next table poll interval: {}",
                                e.java_string()
                            );
                            conn = None;
                        }
                    }
                }
            })
            .ok();
        Monitor {
            tables,
            running,
            thread,
        }
    }

    pub fn tables(&self) -> Option<Vec<TableId>> {
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn shutdown(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.shutdown();
    }
}
