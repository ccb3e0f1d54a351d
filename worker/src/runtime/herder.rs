//! The standalone herder (`StandaloneHerder`): the single owner of connector lifecycles. REST
//! handlers call it; it validates configs, keeps configs, target states and statuses in the
//! stores, asks connectors for task configs and hands tasks to the [`Runtime`].
//!
//! Every mutation runs under one lock, so concurrent REST calls see the same serial order a
//! standalone Apache worker gives them. Methods block (stopping a task waits for its loop to
//! finish its batch), so async callers run them on the blocking pool.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use connect_api::{
    ActiveTopics, ConfigMap, ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorState,
    ConnectorStateInfo, ConnectorTaskId, ConnectorTopics, ConnectorType, ExpandedConnector, State,
    TaskInfo, TaskState,
};
use serde_json::Value as Json;

use super::store::{ConfigStore, OffsetStore, Status, StatusStore, StoredConnector, TargetState};
use crate::error::ConnectError;
use crate::plugin::{Connector, OffsetMap, Task};
use crate::registry::{self, Factory, PluginType};
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

/// The herder's dependencies.
pub struct Herder {
    configs: Arc<dyn ConfigStore>,
    statuses: Arc<dyn StatusStore>,
    offsets: Arc<dyn OffsetStore>,
    runtime: Arc<dyn Runtime>,
    worker_id: String,
    defaults: WorkerDefaults,
    /// Connector instances of started connectors.
    live: Mutex<BTreeMap<String, Arc<dyn Connector>>>,
    /// Serialises every mutation.
    op: Mutex<()>,
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
        Herder {
            configs,
            statuses,
            offsets,
            runtime,
            worker_id,
            defaults,
            live: Mutex::default(),
            op: Mutex::default(),
        }
    }

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

    fn connector_type(config: &ConfigMap) -> ConnectorType {
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

    /// Creates or replaces a connector. Returns whether it was created.
    pub fn put_connector(
        &self,
        name: &str,
        mut config: ConfigMap,
        allow_replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo)> {
        let _op = lock(&self.op);
        if let Some(n) = config.get("name") {
            if n != name {
                return Err(HerderError::BadRequest(format!(
                    "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                )));
            }
        } else {
            config.insert("name".into(), name.to_owned());
        }
        let infos = validation::validate(&config, &self.defaults)
            .map_err(|e| HerderError::BadRequest(e.0))?;
        if let Some(msg) = validation::invalid_config_message(&infos) {
            return Err(HerderError::BadRequest(msg));
        }
        let existing = self.configs.get(name);
        if existing.is_some() && !allow_replace {
            return Err(HerderError::Conflict(format!(
                "Connector {name} already exists"
            )));
        }
        let created = existing.is_none();
        let target = match &existing {
            Some(e) => e.target,
            None => initial.unwrap_or(TargetState::Started),
        };
        if !created {
            self.stop_connector(name);
        }
        // A paused connector keeps its tasks (paused) across a config change.
        let task_configs = match &existing {
            Some(e) if target == TargetState::Paused => e.task_configs.clone(),
            _ => Vec::new(),
        };
        let stored = StoredConnector {
            config,
            target,
            task_configs,
        };
        self.configs.put(name, stored);
        self.start_connector(name);
        let mut info = self.connector_info(name)?;
        // Apache answers before the connector has (re)generated its tasks: a create lists none,
        // an update the tasks of the previous config.
        let previous_tasks = existing.map_or(0, |e| e.task_configs.len());
        info.tasks.truncate(previous_tasks);
        while info.tasks.len() < previous_tasks {
            info.tasks.push(ConnectorTaskId {
                connector: name.to_owned(),
                task: info.tasks.len() as u32,
            });
        }
        Ok((created, info))
    }

    /// `PATCH /connectors/{c}/config`: merges, with `None` removing a key.
    pub fn patch_connector(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo> {
        let mut config = self.stored(name)?.config;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Ok(self.put_connector(name, config, true, None)?.1)
    }

    pub fn delete_connector(&self, name: &str) -> Result<()> {
        let _op = lock(&self.op);
        self.stored(name)?;
        self.stop_connector(name);
        self.configs.remove(name);
        self.statuses.remove(name);
        Ok(())
    }

    /// Stops tasks and drops the connector instance; statuses are left for the caller.
    fn stop_connector(&self, name: &str) {
        let task_count = self.configs.get(name).map_or(0, |s| s.task_configs.len());
        let mut ids: Vec<u32> = (0..task_count as u32).collect();
        ids.extend(
            self.statuses
                .tasks(name)
                .keys()
                .copied()
                .filter(|t| *t >= task_count as u32),
        );
        for task in ids {
            self.runtime.stop_task(&ConnectorTaskId {
                connector: name.to_owned(),
                task,
            });
        }
        lock(&self.live).remove(name);
    }

    /// Brings a stored connector to its target state: builds the instance, generates task
    /// configs, starts tasks. A connector that fails to start is FAILED with its trace.
    fn start_connector(&self, name: &str) {
        let _ctx = crate::logging::connector_span(name).entered();
        let Some(mut stored) = self.configs.get(name) else {
            return;
        };
        for t in self.statuses.tasks(name).keys() {
            self.statuses.remove_task(&ConnectorTaskId {
                connector: name.to_owned(),
                task: *t,
            });
        }
        if stored.target == TargetState::Stopped {
            stored.task_configs.clear();
            self.configs.put(name, stored);
            self.statuses
                .put_connector(name, self.mk(State::Stopped, None));
            return;
        }
        let connector = match self.instantiate(&stored.config) {
            Ok(c) => c,
            Err(e) => {
                self.statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
                return;
            }
        };
        if stored.target == TargetState::Paused && stored.task_configs.is_empty() {
            // Task configs come from a started connector; one that has never run (created
            // PAUSED, or paused while STOPPED) has none, as in Apache.
            lock(&self.live).insert(name.to_owned(), connector);
            self.statuses
                .put_connector(name, self.mk(State::Paused, None));
            return;
        }
        let max_tasks = stored
            .config
            .get("tasks.max")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let task_class = match connector.connector_type() {
            ConnectorType::Source => crate::connectors::file_source::TASK_CLASS,
            _ => crate::connectors::file_sink::TASK_CLASS,
        };
        let task_configs = match connector.task_configs(max_tasks) {
            Ok(mut configs) => {
                for c in &mut configs {
                    c.insert(
                        "task.class".into(),
                        task_class_of(&stored.config)
                            .unwrap_or(task_class)
                            .to_owned(),
                    );
                }
                configs
            }
            Err(e) => {
                self.statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
                return;
            }
        };
        if task_configs.len() > max_tasks {
            let e = ConnectError::connect(format!(
                "The connector {name} has generated {} tasks, which is greater than {max_tasks}, the maximum number of tasks it is configured to create. ",
                task_configs.len()
            ));
            self.statuses
                .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
            return;
        }
        stored.task_configs = task_configs.clone();
        self.configs.put(name, stored.clone());
        lock(&self.live).insert(name.to_owned(), connector.clone());
        let paused = stored.target == TargetState::Paused;
        self.statuses.put_connector(
            name,
            self.mk(
                if paused {
                    State::Paused
                } else {
                    State::Running
                },
                None,
            ),
        );
        for (i, tc) in task_configs.iter().enumerate() {
            let id = ConnectorTaskId {
                connector: name.to_owned(),
                task: i as u32,
            };
            if paused {
                self.statuses.put_task(&id, self.mk(State::Paused, None));
            } else {
                self.start_task(&connector, &stored.config, id, tc);
            }
        }
    }

    fn start_task(
        &self,
        connector: &Arc<dyn Connector>,
        connector_config: &ConfigMap,
        id: ConnectorTaskId,
        task_config: &ConfigMap,
    ) {
        self.statuses
            .put_task(&id, self.mk(State::Unassigned, None));
        match connector.create_task(task_config) {
            Ok(task) => self.runtime.start_task(TaskSpec {
                id,
                connector_config: connector_config.clone(),
                task_config: task_config.clone(),
                connector_type: connector.connector_type(),
                task,
            }),
            Err(e) => self
                .statuses
                .put_task(&id, self.mk(State::Failed, Some(e.stack_trace()))),
        }
    }

    fn instantiate(
        &self,
        config: &ConfigMap,
    ) -> std::result::Result<Arc<dyn Connector>, ConnectError> {
        let entry = validation::connector_plugin(config).map_err(|e| ConnectError::connect(e.0))?;
        match entry.factory {
            Factory::Connector(f) => f(config).map(Arc::from),
            _ => Err(ConnectError::connect(format!(
                "{} is not a connector",
                entry.class
            ))),
        }
    }

    fn set_target(&self, name: &str, target: TargetState) -> Result<()> {
        let _op = lock(&self.op);
        let Some(mut stored) = self.configs.get(name) else {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        };
        if stored.target == target {
            return Ok(());
        }
        self.stop_connector(name);
        stored.target = target;
        self.configs.put(name, stored);
        self.start_connector(name);
        Ok(())
    }

    pub fn pause(&self, name: &str) -> Result<()> {
        self.set_target(name, TargetState::Paused)
    }

    pub fn resume(&self, name: &str) -> Result<()> {
        self.set_target(name, TargetState::Started)
    }

    pub fn stop(&self, name: &str) -> Result<()> {
        self.set_target(name, TargetState::Stopped)
    }

    /// Restarts the connector and, per the flags, its tasks. `None` means only the connector was
    /// restarted (204); otherwise the status that shows what is being restarted (202).
    pub fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        if self.configs.get(name).is_none() {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        }
        let mut status = self
            .status(name)
            .map_err(|_| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        let _op = lock(&self.op);
        let restart_connector = !only_failed || status.connector.state == State::Failed;
        let restart_tasks: Vec<u32> = if include_tasks {
            status
                .tasks
                .iter()
                .filter(|t| !only_failed || t.state == State::Failed)
                .map(|t| t.id)
                .collect()
        } else {
            Vec::new()
        };
        let plain = !include_tasks && !only_failed;
        if restart_connector {
            status.connector.state = State::Restarting;
        }
        for t in &mut status.tasks {
            if restart_tasks.contains(&t.id) {
                t.state = State::Restarting;
            }
        }
        if restart_connector && (plain || restart_tasks.len() == status.tasks.len()) {
            // Restarting the instance regenerates task configs and restarts every task.
            self.stop_connector(name);
            self.start_connector(name);
        } else {
            if restart_connector {
                self.restart_connector_instance(name);
            }
            for t in restart_tasks {
                self.restart_task_locked(name, t)?;
            }
        }
        Ok(if plain { None } else { Some(status) })
    }

    /// Re-creates the connector instance; tasks are restarted only if their configs changed.
    fn restart_connector_instance(&self, name: &str) {
        let Some(stored) = self.configs.get(name) else {
            return;
        };
        match self.instantiate(&stored.config) {
            Ok(c) => {
                lock(&self.live).insert(name.to_owned(), c);
                let state = match stored.target {
                    TargetState::Started => State::Running,
                    TargetState::Paused => State::Paused,
                    TargetState::Stopped => State::Stopped,
                };
                self.statuses.put_connector(name, self.mk(state, None));
            }
            Err(e) => self
                .statuses
                .put_connector(name, self.mk(State::Failed, Some(e.stack_trace()))),
        }
    }

    pub fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let _op = lock(&self.op);
        self.restart_task_locked(name, task)
    }

    fn restart_task_locked(&self, name: &str, task: u32) -> Result<()> {
        let Some(stored) = self.configs.get(name) else {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        };
        let Some(tc) = stored.task_configs.get(task as usize) else {
            return Err(HerderError::NotFound(format!(
                "Unknown task: {name}-{task}"
            )));
        };
        let id = ConnectorTaskId {
            connector: name.to_owned(),
            task,
        };
        self.runtime.stop_task(&id);
        if stored.target == TargetState::Paused {
            self.statuses.put_task(&id, self.mk(State::Paused, None));
            return Ok(());
        }
        let connector = match lock(&self.live).get(name).cloned() {
            Some(c) => c,
            None => match self.instantiate(&stored.config) {
                Ok(c) => c,
                Err(e) => {
                    self.statuses
                        .put_task(&id, self.mk(State::Failed, Some(e.stack_trace())));
                    return Ok(());
                }
            },
        };
        self.start_task(&connector, &stored.config, id, tc);
        Ok(())
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

    pub fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let stored = self.stored(name)?;
        let offsets = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => self
                .runtime
                .sink_offsets(name, &stored.config)
                .map_err(|e| HerderError::Internal(e.to_string()))?,
            _ => self
                .offsets
                .all(name)
                .into_iter()
                .map(|(partition, offset)| ConnectorOffset {
                    partition,
                    offset: Some(offset),
                })
                .collect(),
        };
        Ok(ConnectorOffsets { offsets })
    }

    fn require_stopped(&self, name: &str) -> Result<StoredConnector> {
        let stored = self.stored(name)?;
        if stored.target != TargetState::Stopped {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(stored)
    }

    /// `PATCH .../offsets`; returns the success message.
    pub fn alter_offsets(&self, name: &str, offsets: Vec<ConnectorOffset>) -> Result<String> {
        if offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".into(),
            ));
        }
        let _op = lock(&self.op);
        let stored = self.require_stopped(name)?;
        let managed_here = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => {
                let offsets = parse_sink_offsets(&offsets)?;
                self.runtime
                    .alter_sink_offsets(name, &stored.config, &offsets)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                true
            }
            _ => {
                let connector = self
                    .instantiate(&stored.config)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
                    .into_iter()
                    .map(|o| (o.partition, o.offset))
                    .collect();
                // A connector refusing the offsets throws a ConnectException: a 500 in Apache.
                let ok = connector.alter_offsets(&pairs).map_err(|e| {
                    HerderError::Internal(
                        e.message
                            .unwrap_or_else(|| "Failed to alter connector offsets".into()),
                    )
                })?;
                self.offsets
                    .put(name, &pairs)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                ok
            }
        };
        Ok(if managed_here {
            "The offsets for this connector have been altered successfully".into()
        } else {
            "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.".into()
        })
    }

    /// `DELETE .../offsets`; returns the success message.
    pub fn reset_offsets(&self, name: &str) -> Result<String> {
        let _op = lock(&self.op);
        let stored = self.require_stopped(name)?;
        let managed_here = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => {
                self.runtime
                    .reset_sink_offsets(name)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                true
            }
            _ => {
                let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = self
                    .offsets
                    .all(name)
                    .into_iter()
                    .map(|(p, _)| (p, None))
                    .collect();
                let connector = self
                    .instantiate(&stored.config)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                let ok = connector
                    .alter_offsets(&pairs)
                    .map_err(|e| HerderError::Internal(e.message.unwrap_or_default()))?;
                self.offsets
                    .put(name, &pairs)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                ok
            }
        };
        Ok(if managed_here {
            "The offsets for this connector have been reset successfully".into()
        } else {
            "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.".into()
        })
    }

    /// Stops every task, for shutdown.
    pub fn stop_all(&self) {
        let _op = lock(&self.op);
        for name in self.connectors() {
            self.stop_connector(&name);
            if let Some(s) = self.statuses.connector(&name) {
                if s.state == State::Running {
                    self.statuses
                        .put_connector(&name, self.mk(State::Unassigned, None));
                }
            }
        }
    }
}

/// Task classes of the bundled connectors, by connector class.
fn task_class_of(config: &ConfigMap) -> Option<&'static str> {
    let entry = registry::find_connector(config.get("connector.class")?)?;
    Some(match entry.class {
        crate::connectors::file_source::CLASS => crate::connectors::file_source::TASK_CLASS,
        crate::connectors::file_sink::CLASS => crate::connectors::file_sink::TASK_CLASS,
        _ => return None,
    })
}

/// Java's `String.valueOf` of a JSON value as Jackson reads it: strings bare, null as `null`.
fn java_text(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "null".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `SinkUtils.parseSinkConnectorOffsets`: checks each partition and offset with its messages and
/// returns them normalized (`"10"` and `10` are both accepted, as `Integer.parseInt` does).
fn parse_sink_offsets(offsets: &[ConnectorOffset]) -> Result<Vec<ConnectorOffset>> {
    let bad = |m: String| Err(HerderError::BadRequest(m));
    let mut out = Vec::new();
    for o in offsets {
        let p = &o.partition;
        if !p.contains_key("kafka_topic") || !p.contains_key("kafka_partition") {
            return bad("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'".into());
        }
        let topic = java_text(p.get("kafka_topic"));
        let partition_text = java_text(p.get("kafka_partition"));
        let Ok(partition) = partition_text.parse::<i32>() else {
            return bad(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: '{partition_text}'. Partition values for sink connectors need to be integers."
            ));
        };
        let offset = match &o.offset {
            None => None,
            Some(m) => {
                if !m.contains_key("kafka_offset") {
                    return bad("The offset for a sink connector should either be null or contain the key 'kafka_offset'".into());
                }
                let text = java_text(m.get("kafka_offset"));
                let Ok(offset) = text.parse::<i64>() else {
                    return bad(format!(
                        "Failed to parse the following Kafka offset value in the provided offsets: '{text}'. Offset values for sink connectors need to be integers."
                    ));
                };
                Some(offset)
            }
        };
        let as_map = |v: Json| v.as_object().cloned().unwrap_or_default();
        out.push(ConnectorOffset {
            partition: as_map(
                serde_json::json!({"kafka_topic": topic, "kafka_partition": partition}),
            ),
            offset: offset.map(|o| as_map(serde_json::json!({"kafka_offset": o}))),
        });
    }
    Ok(out)
}
