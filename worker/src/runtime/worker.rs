//! The task runner (`Worker`): each task runs on its own thread with its own Kafka clients, as in
//! Apache's worker. A task reports RUNNING once started and FAILED with a Java-shaped trace when
//! its loop ends with an error; a stop request is seen between batches, and the loop commits
//! what it has before it returns.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use connect_api::{ConfigMap, ConnectorOffset, ConnectorTaskId, ConnectorType, State};

use super::herder::{Runtime, TaskSpec};
use super::kafka::{self, KafkaSettings};
use super::metrics::{Metrics, TaskMetrics};
use super::store::{OffsetStore, Status, StatusStore};
use super::{sink_task, source_task};
use crate::converters::Converter;
use crate::error::ConnectError;
use crate::plugin::Task;
use crate::registry::{self, Factory, PluginType};

/// Worker-level settings the task loops need.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    pub kafka: KafkaSettings,
    /// The worker config, for the default converters and their settings.
    pub worker: BTreeMap<String, String>,
    /// `offset.flush.interval.ms`.
    pub offset_flush_interval: Duration,
}

impl RuntimeSettings {
    pub fn from_worker(raw: &BTreeMap<String, String>) -> RuntimeSettings {
        let interval = raw
            .get("offset.flush.interval.ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(60_000u64);
        RuntimeSettings {
            kafka: KafkaSettings::from_worker(raw),
            worker: raw.clone(),
            offset_flush_interval: Duration::from_millis(interval),
        }
    }
}

/// What a distributed worker with `exactly.once.source.support=enabled` lends its source tasks
/// (the hooks of Apache's `ExactlyOnceWorkerSourceTask`).
pub trait ExactlyOnce: Send + Sync {
    /// The task producer's `transactional.id`: `<group>-<connector>-<task>`.
    fn transactional_id(&self, id: &ConnectorTaskId) -> String;
    /// How many times the connector's task configs have been committed.
    fn generation(&self, connector: &str) -> u64;
    /// `preProducerCheck`: a round of zombie fencing for the connector, done by the leader.
    fn fence(&self, connector: &str) -> Result<(), ConnectError>;
    /// `postProducerCheck`: the task's configs are still the latest and it still runs here.
    fn verify(&self, id: &ConnectorTaskId, generation: u64) -> Result<(), ConnectError>;
    /// Where the connector's offsets go in its tasks' transactions: the offsets topic and its
    /// partition count.
    fn offsets_topic(&self, connector: &str) -> Result<(String, i32), ConnectError>;
    /// Reads the connector's offsets to their end, so the task starts from the last committed.
    fn read_offsets(&self, connector: &str) -> Result<(), ConnectError>;
    /// After a transaction committed these offsets: any copy kept elsewhere (the worker's
    /// topic, for a connector with its own).
    fn committed(
        &self,
        connector: &str,
        offsets: &[(Arc<crate::plugin::OffsetMap>, crate::plugin::OffsetMap)],
    );
}

/// What a task loop gets.
pub struct TaskContext {
    pub id: ConnectorTaskId,
    pub connector_config: ConfigMap,
    pub settings: RuntimeSettings,
    pub statuses: Arc<dyn StatusStore>,
    pub offsets: Arc<dyn OffsetStore>,
    pub worker_id: String,
    pub stop: Arc<AtomicBool>,
    pub metrics: Arc<TaskMetrics>,
    /// For a source task under exactly-once: the hooks and the generation it started with.
    pub exactly_once: Option<(Arc<dyn ExactlyOnce>, u64)>,
}

impl TaskContext {
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn set_state(&self, state: State, trace: Option<String>) {
        self.statuses.put_task(
            &self.id,
            Status {
                state,
                trace,
                worker_id: self.worker_id.clone(),
            },
        );
    }

    /// `c-0`, as Connect names tasks in logs.
    pub fn name(&self) -> String {
        format!("{}-{}", self.id.connector, self.id.task)
    }

    /// Builds `key.converter`, `value.converter` or `header.converter`: the connector's own
    /// setting and its prefixed settings win over the worker's.
    pub fn converter(&self, key: &str) -> Result<Box<dyn Converter>, ConnectError> {
        let (class, source) = match self.connector_config.get(key) {
            Some(c) => (c.clone(), &self.connector_config),
            None => (
                self.settings.worker.get(key).cloned().unwrap_or_else(|| {
                    if key == "header.converter" {
                        crate::registry::DEFAULT_HEADER_CONVERTER.to_owned()
                    } else {
                        crate::registry::DEFAULT_CONVERTER.to_owned()
                    }
                }),
                &self.settings.worker,
            ),
        };
        let prefix = format!("{key}.");
        let mut props: BTreeMap<String, String> = source
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
            .collect();
        // Apache's Plugins.newConverter tells a converter what it converts the same way, and
        // converters that differ for keys (AvroConverter's subject names) read it.
        let role = match key {
            "key.converter" => "key",
            "value.converter" => "value",
            _ => "header",
        };
        props
            .entry("converter.type".to_owned())
            .or_insert_with(|| role.to_owned());
        let kind = if key == "header.converter" {
            PluginType::HeaderConverter
        } else {
            PluginType::Converter
        };
        match registry::find(&class)
            .filter(|e| e.types.contains(&kind))
            .map(|e| e.factory)
        {
            Some(Factory::Converter(f)) => f(&props),
            _ => Err(ConnectError::connect(format!(
                "Failed to find any class that implements {} and which name matches {class}",
                if kind == PluginType::Converter {
                    "Converter"
                } else {
                    "HeaderConverter"
                }
            ))),
        }
    }
}

struct Running {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

/// Runs tasks against a Kafka cluster.
pub struct KafkaRuntime {
    settings: RuntimeSettings,
    statuses: Arc<dyn StatusStore>,
    offsets: Arc<dyn OffsetStore>,
    worker_id: String,
    metrics: Arc<Metrics>,
    tasks: Mutex<HashMap<ConnectorTaskId, Running>>,
    exactly_once: Option<Arc<dyn ExactlyOnce>>,
}

impl KafkaRuntime {
    pub fn new(
        settings: RuntimeSettings,
        statuses: Arc<dyn StatusStore>,
        offsets: Arc<dyn OffsetStore>,
        worker_id: String,
        metrics: Arc<Metrics>,
    ) -> KafkaRuntime {
        KafkaRuntime {
            settings,
            statuses,
            offsets,
            worker_id,
            metrics,
            tasks: Mutex::default(),
            exactly_once: None,
        }
    }

    /// Runs source tasks with transactions (`exactly.once.source.support=enabled`).
    pub fn with_exactly_once(mut self, hooks: Arc<dyn ExactlyOnce>) -> KafkaRuntime {
        self.exactly_once = Some(hooks);
        self
    }
}

impl Runtime for KafkaRuntime {
    fn start_task(&self, spec: TaskSpec) {
        // One thread per task: an instance still running (a restart that reaches the task by
        // two paths) stops, committing what it has, before the new one starts. Replacing it
        // in the map without stopping it left it running unseen, sending records twice.
        self.stop_task(&spec.id);
        // Apache's `Worker.startTask` line: every start of a task, whatever asked for it.
        tracing::info!("Creating task {}-{}", spec.id.connector, spec.id.task);
        let stop = Arc::new(AtomicBool::new(false));
        let source = matches!(spec.task, Task::Source(_));
        // The generation is taken now, as Apache's herder takes it when it starts the task.
        let exactly_once = self
            .exactly_once
            .as_ref()
            .filter(|_| source)
            .map(|h| (h.clone(), h.generation(&spec.id.connector)));
        let ctx = TaskContext {
            id: spec.id.clone(),
            connector_config: spec.connector_config,
            settings: self.settings.clone(),
            statuses: self.statuses.clone(),
            offsets: self.offsets.clone(),
            worker_id: self.worker_id.clone(),
            stop: stop.clone(),
            metrics: self.metrics.task(&spec.id, source),
            exactly_once,
        };
        let task = spec.task;
        let connector_type = spec.connector_type;
        let name = format!("task-thread-{}-{}", spec.id.connector, spec.id.task);
        let span = crate::logging::task_span(&spec.id.connector, spec.id.task);
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let _ctx = span.entered();
            let result = match (task, connector_type) {
                (Task::Source(t), _) => source_task::run(&ctx, t),
                (Task::Sink(t), ConnectorType::Sink) => sink_task::run(&ctx, t),
                (Task::Sink(t), _) => sink_task::run(&ctx, t),
            };
            if let Err(e) = result {
                tracing::error!(
                    "{} Task threw an uncaught and unrecoverable exception\n{}",
                    ctx.name(),
                    e.stack_trace().trim_end()
                );
                ctx.set_state(State::Failed, Some(e.stack_trace()));
            }
        });
        match spawned {
            Ok(handle) => {
                let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
                tasks.insert(spec.id, Running { stop, handle });
            }
            Err(e) => {
                let err = ConnectError::connect("Failed to start task thread")
                    .with_cause(ConnectError::from_std(crate::error::class::IO, &e));
                self.statuses.put_task(
                    &spec.id,
                    Status {
                        state: State::Failed,
                        trace: Some(err.stack_trace()),
                        worker_id: self.worker_id.clone(),
                    },
                );
            }
        }
    }

    fn stop_task(&self, id: &ConnectorTaskId) {
        let running = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        if let Some(r) = running {
            r.stop.store(true, Ordering::Relaxed);
            // A task thread that panicked has nothing left to clean up.
            let _ = r.handle.join();
        }
    }

    fn sink_offsets(
        &self,
        connector: &str,
        config: &ConfigMap,
    ) -> Result<Vec<ConnectorOffset>, ConnectError> {
        kafka::sink_offsets(&self.settings.kafka, connector, config)
    }

    fn alter_sink_offsets(
        &self,
        connector: &str,
        config: &ConfigMap,
        offsets: &[ConnectorOffset],
    ) -> Result<(), ConnectError> {
        kafka::alter_sink_offsets(&self.settings.kafka, connector, config, offsets)
    }

    fn reset_sink_offsets(&self, connector: &str) -> Result<(), ConnectError> {
        kafka::reset_sink_offsets(&self.settings.kafka, connector)
    }
}
