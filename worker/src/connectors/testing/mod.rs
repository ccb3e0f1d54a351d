//! Connectors registered only in this crate's tests ([`crate::registry::TEST_ONLY`]): they
//! record every call the worker makes into them, per connector name, so tests can assert the
//! order in which a connector observes its lifecycle.
//!
//! Config keys: `topic` (source), `records` (how many records the source task produces; the
//! record with `n` = `null.at` has a null value), `tables` (one task per table, up to
//! `tasks.max`; [`set_tables`] changes what the connector "discovers"), `mode` (`bad` makes
//! `validate` report an error), `commit.upto` (the sink's `pre_commit` answers no offset beyond
//! it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use connect_api::ConfigValueInfo;
use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};
use connect_plugin_api::data::{ConnectRecord, Schema, SinkRecord, SourceRecord, Value};
use connect_plugin_api::{
    ConfigMap, ConnectError, Connector, ConnectorContext, ConnectorType, OffsetLookup, OffsetMap,
    RecordMetadata, SinkOffsets, SinkTask, SourceTask, Task, TopicPartition,
};
use serde_json::json;

use crate::registry::{ConnectorKind, PluginEntry, connector};

pub const SOURCE_CLASS: &str = "test.RecordingSourceConnector";
pub const SOURCE_TASK_CLASS: &str = "test.RecordingSourceTask";
pub const SINK_CLASS: &str = "test.RecordingSinkConnector";
pub const SINK_TASK_CLASS: &str = "test.RecordingSinkTask";

pub static ENTRIES: &[PluginEntry] = &[
    connector(
        SOURCE_CLASS,
        &["RecordingSource"],
        ConnectorKind::Source,
        CONFIG_DEF,
        || Box::new(Recording::new(ConnectorType::Source)),
        SOURCE_TASK_CLASS,
    ),
    connector(
        SINK_CLASS,
        &["RecordingSink"],
        ConnectorKind::Sink,
        CONFIG_DEF,
        || Box::new(Recording::new(ConnectorType::Sink)),
        SINK_TASK_CLASS,
    ),
];

const fn key(name: &'static str, default: DefaultValue) -> ConfigKey {
    ConfigKey {
        name,
        ty: ConfigType::String,
        default,
        importance: Importance::Low,
        documentation: "test",
        group: None,
        order: -1,
        width: Width::None,
        display_name: name,
        validator: Validator::None,
    }
}

static CONFIG_DEF: &[ConfigKey] = &[
    key("mode", DefaultValue::Value("ok")),
    key("tables", DefaultValue::Value("t0")),
];

#[derive(Default)]
struct Registry {
    events: HashMap<String, Vec<String>>,
    contexts: HashMap<String, Arc<dyn ConnectorContext>>,
    tables: HashMap<String, Vec<String>>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn log(connector: &str, event: String) {
    registry()
        .events
        .entry(connector.to_owned())
        .or_default()
        .push(event);
}

/// What connector `name` and its tasks observed, in order.
pub fn events(name: &str) -> Vec<String> {
    registry().events.get(name).cloned().unwrap_or_default()
}

/// The context the worker gave connector `name` in its latest `start`.
pub fn context(name: &str) -> Option<Arc<dyn ConnectorContext>> {
    registry().contexts.get(name).cloned()
}

/// The tables connector `name` finds from now on.
pub fn set_tables(name: &str, tables: &[&str]) {
    registry().tables.insert(
        name.to_owned(),
        tables.iter().map(|t| (*t).to_owned()).collect(),
    );
}

struct Recording {
    kind: ConnectorType,
    name: String,
    config: ConfigMap,
}

impl Recording {
    fn new(kind: ConnectorType) -> Recording {
        Recording {
            kind,
            name: String::new(),
            config: ConfigMap::new(),
        }
    }
}

impl Connector for Recording {
    fn connector_type(&self) -> ConnectorType {
        self.kind
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        self.name = config.get("name").cloned().unwrap_or_default();
        self.config = config.clone();
        log(&self.name, "connector.start".into());
        registry().contexts.insert(self.name.clone(), context);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let tables = registry()
            .tables
            .get(&self.name)
            .cloned()
            .unwrap_or_else(|| {
                crate::plugin::config_def::split_list(
                    self.config.get("tables").map_or("t0", String::as_str),
                )
            });
        log(&self.name, format!("connector.task_configs {tables:?}"));
        Ok(tables
            .iter()
            .take(max_tasks)
            .map(|t| {
                let mut c = self.config.clone();
                c.insert("table".into(), t.clone());
                c
            })
            .collect())
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        let name = self.name.clone();
        let table = config.get("table").cloned().unwrap_or_default();
        let get = |k: &str| config.get(k).and_then(|v| v.parse::<i64>().ok());
        Ok(match self.kind {
            ConnectorType::Sink => Task::Sink(Box::new(RecordingSink {
                name,
                commit_upto: get("commit.upto"),
            })),
            _ => Task::Source(Box::new(RecordingSourceTask {
                name,
                table,
                topic: config.get("topic").cloned().unwrap_or_default(),
                records: get("records").unwrap_or(0),
                null_at: get("null.at"),
                next: 0,
            })),
        })
    }

    fn validate(&self, config: &ConfigMap, values: &mut Vec<ConfigValueInfo>) {
        if config.get("mode").map(String::as_str) == Some("bad") {
            if let Some(v) = values.iter_mut().find(|v| v.name == "mode") {
                v.errors
                    .push("mode 'bad' cannot be used with these tables".into());
            }
        }
    }

    fn stop(&mut self) {
        log(&self.name, "connector.stop".into());
    }
}

struct RecordingSourceTask {
    name: String,
    table: String,
    topic: String,
    records: i64,
    null_at: Option<i64>,
    next: i64,
}

impl SourceTask for RecordingSourceTask {
    fn start(&mut self, offsets: &dyn OffsetLookup) -> Result<(), ConnectError> {
        let partition = json!({"table": self.table}).as_object().cloned().unwrap();
        if let Some(o) = offsets.offset(&partition) {
            self.next = o.get("n").and_then(|n| n.as_i64()).map_or(0, |n| n + 1);
        }
        log(&self.name, format!("task.start {}", self.table));
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.next >= self.records {
            std::thread::sleep(std::time::Duration::from_millis(20));
            return Ok(Vec::new());
        }
        let n = self.next;
        self.next += 1;
        let value = if Some(n) == self.null_at {
            Value::Null
        } else {
            Value::String(format!("{}-{n}", self.table))
        };
        let partition: OffsetMap = json!({"table": self.table}).as_object().cloned().unwrap();
        Ok(vec![SourceRecord {
            record: ConnectRecord::value(&self.topic, Some(Schema::optional_string()), value),
            source_partition: Arc::new(partition),
            source_offset: json!({"n": n}).as_object().cloned().unwrap(),
        }])
    }

    fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> Result<(), ConnectError> {
        let n = &record.source_offset["n"];
        log(
            &self.name,
            match metadata {
                Some(m) => format!("task.commit_record n={n} at={}", m.offset),
                None => format!("task.commit_record n={n} at=none"),
            },
        );
        Ok(())
    }

    fn commit(&mut self) -> Result<(), ConnectError> {
        log(&self.name, "task.commit".into());
        Ok(())
    }

    fn stop(&mut self) {
        log(&self.name, format!("task.stop {}", self.table));
    }
}

fn names(partitions: &[TopicPartition]) -> String {
    let v: Vec<String> = partitions
        .iter()
        .map(|p| format!("{}-{}", p.topic, p.partition))
        .collect();
    v.join(",")
}

struct RecordingSink {
    name: String,
    commit_upto: Option<i64>,
}

impl SinkTask for RecordingSink {
    fn start(&mut self) -> Result<(), ConnectError> {
        log(&self.name, "task.start".into());
        Ok(())
    }

    fn open(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        log(&self.name, format!("task.open {}", names(partitions)));
        Ok(())
    }

    fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        for r in records {
            log(&self.name, format!("task.put {}", r.kafka_offset));
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ConnectError> {
        log(&self.name, "task.flush".into());
        Ok(())
    }

    fn pre_commit(&mut self, current: &SinkOffsets) -> Result<SinkOffsets, ConnectError> {
        let answer: SinkOffsets = current
            .iter()
            .map(|(tp, o)| (tp.clone(), self.commit_upto.map_or(*o, |u| (*o).min(u))))
            .collect();
        let shown: Vec<String> = current
            .iter()
            .map(|(tp, o)| format!("{}-{}={o}", tp.topic, tp.partition))
            .collect();
        log(&self.name, format!("task.pre_commit {}", shown.join(",")));
        Ok(answer)
    }

    fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        log(&self.name, format!("task.close {}", names(partitions)));
        Ok(())
    }

    fn stop(&mut self) {
        log(&self.name, "task.stop".into());
    }
}
