//! The standalone herder (`StandaloneHerder`): the single owner of connector lifecycles. REST
//! handlers call it; it validates configs, keeps configs, target states and statuses in the
//! stores, asks connectors for task configs and hands tasks to the [`Runtime`].
//!
//! Every mutation runs under one lock, so concurrent REST calls see the same serial order a
//! standalone Apache worker gives them. Methods block (stopping a task waits for its loop to
//! finish its batch), so async callers run them on the blocking pool.
//!
//! The herder knows no plugin by name: connector classes, their task classes and factories come
//! from the [`registry`]. Its parts, by what they do:
//! - this module: the state, the read-only queries (info, config, tasks, status);
//! - [`lifecycle`]: create, update, delete, pause, resume, stop a connector, and the
//!   [`crate::plugin::ConnectorContext`] through which a running connector calls back;
//! - [`tasks`]: task configs, starting and restarting tasks, task reconfiguration;
//! - [`offsets`]: the offsets endpoints;
//! - [`placement`]: which connectors and tasks run on this worker (all of them, or in a
//!   distributed group those assigned to it).

mod lifecycle;
mod offsets;
mod placement;
mod tasks;

pub use placement::{Everywhere, Placement};

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use connect_api::{
    ActiveTopics, ConfigMap, ConnectorInfo, ConnectorOffset, ConnectorState, ConnectorStateInfo,
    ConnectorTaskId, ConnectorTopics, ConnectorType, ExpandedConnector, State, TaskInfo, TaskState,
};
use serde_json::Value as Json;

use super::store::{ConfigStore, OffsetStore, Status, StatusStore, StoredConnector};
use crate::error::ConnectError;
use crate::plugin::{Connector, Task};
use crate::registry::{self, PluginType};
use crate::validation::{self, WorkerDefaults};

/// Why a herder request failed; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HerderError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Internal(String),
}

type Result<T> = std::result::Result<T, HerderError>;

/// A task ready to run.
pub struct TaskSpec {
    pub id: ConnectorTaskId,
    pub connector_config: ConfigMap,
    pub task_config: ConfigMap,
    pub connector_type: ConnectorType,
    pub task: Task,
}

/// What actually runs tasks. The Kafka-backed runtime lives in `runtime::worker`.
pub trait Runtime: Send + Sync {
    /// Starts a task; from then on the task reports its own state to the status store.
    fn start_task(&self, spec: TaskSpec);
    /// Stops a task and waits until its loop has finished (committing what it can).
    fn stop_task(&self, id: &ConnectorTaskId);
    /// Offsets of a sink connector's consumer group (`connect-<name>`).
    fn sink_offsets(
        &self,
        connector: &str,
        config: &ConfigMap,
    ) -> std::result::Result<Vec<ConnectorOffset>, ConnectError>;
    /// Sets (or, for a `None` offset, removes) sink offsets; `config` names the topics whose
    /// other committed offsets are kept.
    fn alter_sink_offsets(
        &self,
        connector: &str,
        config: &ConfigMap,
        offsets: &[ConnectorOffset],
    ) -> std::result::Result<(), ConnectError>;
    /// Deletes the sink connector's consumer group.
    fn reset_sink_offsets(&self, connector: &str) -> std::result::Result<(), ConnectError>;
}

/// The herder. It derefs to its [`HerderState`], which connector contexts share, so a connector
/// can call back into it (task reconfiguration, errors) from its own threads.
pub struct Herder {
    state: Arc<HerderState>,
}

impl Deref for Herder {
    type Target = HerderState;
    fn deref(&self) -> &HerderState {
        &self.state
    }
}

/// A started (or, while paused, instantiated) connector.
struct Live {
    connector: Arc<Mutex<Box<dyn Connector>>>,
    /// Whether `start` was called (and `stop` is owed).
    started: bool,
    /// Tells this instance from a later one of the same connector, so that a request from a
    /// replaced instance's context is ignored.
    generation: u64,
}

/// The herder's state and dependencies.
pub struct HerderState {
    configs: Arc<dyn ConfigStore>,
    statuses: Arc<dyn StatusStore>,
    offsets: Arc<dyn OffsetStore>,
    runtime: Arc<dyn Runtime>,
    worker_id: String,
    defaults: WorkerDefaults,
    /// Which connectors and tasks start on this worker.
    placement: Arc<dyn Placement>,
    /// Connector instances of started connectors.
    live: Mutex<BTreeMap<String, Live>>,
    generations: AtomicU64,
    /// Serialises every mutation.
    op: Mutex<()>,
    /// This state, for the contexts handed to connectors.
    me: Weak<HerderState>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const VERSION: &str = crate::CONNECT_API_VERSION;

impl Herder {
    pub fn new(
        configs: Arc<dyn ConfigStore>,
        statuses: Arc<dyn StatusStore>,
        offsets: Arc<dyn OffsetStore>,
        runtime: Arc<dyn Runtime>,
        worker_id: String,
        defaults: WorkerDefaults,
    ) -> Herder {
        Self::with_placement(
            configs,
            statuses,
            offsets,
            runtime,
            worker_id,
            defaults,
            Arc::new(Everywhere),
        )
    }

    /// A herder that starts only the connectors and tasks `placement` gives this worker.
    pub fn with_placement(
        configs: Arc<dyn ConfigStore>,
        statuses: Arc<dyn StatusStore>,
        offsets: Arc<dyn OffsetStore>,
        runtime: Arc<dyn Runtime>,
        worker_id: String,
        defaults: WorkerDefaults,
        placement: Arc<dyn Placement>,
    ) -> Herder {
        let state = Arc::new_cyclic(|me| HerderState {
            configs,
            statuses,
            offsets,
            runtime,
            worker_id,
            defaults,
            placement,
            live: Mutex::default(),
            generations: AtomicU64::new(0),
            op: Mutex::default(),
            me: me.clone(),
        });
        Herder { state }
    }
}

impl HerderState {
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    pub fn defaults(&self) -> &WorkerDefaults {
        &self.defaults
    }

    pub fn statuses(&self) -> &Arc<dyn StatusStore> {
        &self.statuses
    }

    pub fn offsets(&self) -> &Arc<dyn OffsetStore> {
        &self.offsets
    }

    fn mk(&self, state: State, trace: Option<String>) -> Status {
        Status {
            state,
            trace,
            worker_id: self.worker_id.clone(),
        }
    }

    fn stored(&self, name: &str) -> Result<StoredConnector> {
        self.configs
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))
    }

    /// Source or sink, from the connector class a config names.
    pub fn connector_type(config: &ConfigMap) -> ConnectorType {
        match config
            .get("connector.class")
            .and_then(|c| registry::find_connector(c))
            .and_then(|e| e.connector_type())
        {
            Some(PluginType::Source) => ConnectorType::Source,
            Some(PluginType::Sink) => ConnectorType::Sink,
            _ => ConnectorType::Unknown,
        }
    }

    pub fn connectors(&self) -> Vec<String> {
        self.configs.connectors()
    }

    pub fn validate(
        &self,
        config: &ConfigMap,
    ) -> std::result::Result<connect_api::ConfigInfos, validation::BadRequest> {
        validation::validate(config, &self.defaults)
    }

    fn info_of(name: &str, stored: &StoredConnector) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_owned(),
            config: stored.config.clone(),
            tasks: (0..stored.task_configs.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_owned(),
                    task,
                })
                .collect(),
            connector_type: Some(Self::connector_type(&stored.config)),
            extra: Default::default(),
        }
    }

    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo> {
        Ok(Self::info_of(name, &self.stored(name)?))
    }

    pub fn connector_config(&self, name: &str) -> Result<ConfigMap> {
        Ok(self.stored(name)?.config)
    }

    pub fn tasks(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let stored = self.stored(name)?;
        Ok(stored
            .task_configs
            .into_iter()
            .enumerate()
            .map(|(i, config)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_owned(),
                    task: i as u32,
                },
                config,
            })
            .collect())
    }

    fn version_extra() -> connect_api::Extra {
        let mut m = connect_api::Extra::new();
        m.insert("version".into(), Json::String(VERSION.into()));
        m
    }

    fn task_state(id: u32, s: Status) -> TaskState {
        TaskState {
            id,
            state: s.state,
            worker_id: s.worker_id,
            trace: s.trace.filter(|t| !t.is_empty()),
            msg: None,
            extra: Self::version_extra(),
        }
    }

    pub fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let (Some(c), Some(stored)) = (self.statuses.connector(name), self.configs.get(name))
        else {
            return Err(HerderError::NotFound(format!(
                "No status found for connector {name}"
            )));
        };
        let tasks = self
            .statuses
            .tasks(name)
            .into_iter()
            .map(|(id, s)| Self::task_state(id, s))
            .collect();
        Ok(ConnectorStateInfo {
            name: name.to_owned(),
            connector: ConnectorState {
                state: c.state,
                worker_id: c.worker_id,
                trace: c.trace.filter(|t| !t.is_empty()),
                extra: Self::version_extra(),
            },
            tasks,
            connector_type: Some(Self::connector_type(&stored.config)),
            extra: Default::default(),
        })
    }

    pub fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        self.statuses
            .tasks(name)
            .remove(&task)
            .map(|s| Self::task_state(task, s))
            .ok_or_else(|| HerderError::NotFound(format!("No status found for task {name}-{task}")))
    }

    pub fn expanded(&self, status: bool, info: bool) -> BTreeMap<String, ExpandedConnector> {
        let mut out = BTreeMap::new();
        for name in self.connectors() {
            // A connector deleted meanwhile is left out, as in Apache.
            let Some(stored) = self.configs.get(&name) else {
                continue;
            };
            let e = ExpandedConnector {
                status: if status {
                    self.status(&name).ok()
                } else {
                    None
                },
                info: info.then(|| Self::info_of(&name, &stored)),
            };
            out.insert(name, e);
        }
        out
    }

    pub fn topics(&self, name: &str) -> ConnectorTopics {
        let mut out = ConnectorTopics::new();
        out.insert(
            name.to_owned(),
            ActiveTopics {
                topics: self.statuses.topics(name),
            },
        );
        out
    }

    pub fn reset_topics(&self, name: &str) {
        self.statuses.reset_topics(name);
    }
}
