//! A connector's lifecycle: create, update (PUT and PATCH), delete, the target states (pause,
//! resume, stop), shutdown, and the context a running connector calls back through.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};

use connect_api::{ConfigMap, ConnectorInfo, ConnectorTaskId, State};

use super::{HerderError, HerderState, Live, Result, lock};
use crate::error::ConnectError;
use crate::plugin::{Connector, ConnectorContext};
use crate::registry::Factory;
use crate::runtime::store::{StoredConnector, TargetState};
use crate::validation;

impl HerderState {
    /// Creates or replaces a connector. Returns whether it was created.
    pub fn put_connector(
        &self,
        name: &str,
        config: ConfigMap,
        allow_replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo)> {
        let _op = lock(&self.op);
        self.put_connector_locked(name, config, allow_replace, initial)
    }

    fn put_connector_locked(
        &self,
        name: &str,
        mut config: ConfigMap,
        allow_replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo)> {
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

    /// `PATCH /connectors/{c}/config`: merges, with `None` removing a key. The config is read
    /// and written under the herder's lock, so concurrent patches all land.
    pub fn patch_connector(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo> {
        let _op = lock(&self.op);
        let mut config = self.stored(name)?.config;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Ok(self.put_connector_locked(name, config, true, None)?.1)
    }

    pub fn delete_connector(&self, name: &str) -> Result<()> {
        let _op = lock(&self.op);
        self.stored(name)?;
        self.stop_connector(name);
        self.configs.remove(name);
        self.statuses.remove(name);
        Ok(())
    }

    /// Stops tasks, then the connector instance (`Connector.stop`); statuses are left for the
    /// caller.
    pub(super) fn stop_connector(&self, name: &str) {
        self.stop_tasks(name);
        self.stop_instance(name);
    }

    /// Drops the connector instance, calling `Connector.stop` if it was started.
    pub(super) fn stop_instance(&self, name: &str) {
        let live = lock(&self.live).remove(name);
        if let Some(live) = live {
            if live.started {
                lock(&live.connector).stop();
            }
        }
    }

    /// Brings a stored connector to its target state: builds the instance, starts it,
    /// generates task configs, starts tasks. A connector that fails to start is FAILED with its
    /// trace. A paused connector is instantiated but not started, as in Apache.
    pub(super) fn start_connector(&self, name: &str) {
        let _ctx = crate::logging::connector_span(name).entered();
        let Some(mut stored) = self.configs.get(name) else {
            return;
        };
        if !self.placement.runs_connector(name) {
            return;
        }
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
        if stored.target == TargetState::Paused {
            match self.instantiate(&stored.config) {
                Ok(c) => {
                    self.insert_live(name, c, false);
                    self.statuses
                        .put_connector(name, self.mk(State::Paused, None));
                    // Task configs come from a started connector; one that has never run
                    // (created PAUSED, or paused while STOPPED) has none, as in Apache.
                    for i in 0..stored.task_configs.len() {
                        let id = ConnectorTaskId {
                            connector: name.to_owned(),
                            task: i as u32,
                        };
                        self.statuses.put_task(&id, self.mk(State::Paused, None));
                    }
                }
                Err(e) => self
                    .statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace()))),
            }
            return;
        }
        if let Err(e) = self.start_instance(name, &stored.config) {
            self.statuses
                .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
            return;
        }
        self.statuses
            .put_connector(name, self.mk(State::Running, None));
        self.start_tasks(name, &mut stored);
    }

    /// Builds and starts a connector instance and records it as live.
    pub(super) fn start_instance(
        &self,
        name: &str,
        config: &ConfigMap,
    ) -> std::result::Result<Arc<Mutex<Box<dyn Connector>>>, ConnectError> {
        let started = self.instantiate(config).and_then(|mut c| {
            let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
            let context = Arc::new(Context {
                herder: self.me.clone(),
                connector: name.to_owned(),
                generation,
            });
            c.start(config, context)?;
            Ok((c, generation))
        });
        let (c, generation) = started?;
        let connector = Arc::new(Mutex::new(c));
        lock(&self.live).insert(
            name.to_owned(),
            Live {
                connector: connector.clone(),
                started: true,
                generation,
            },
        );
        Ok(connector)
    }

    fn insert_live(&self, name: &str, connector: Box<dyn Connector>, started: bool) {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&self.live).insert(
            name.to_owned(),
            Live {
                connector: Arc::new(Mutex::new(connector)),
                started,
                generation,
            },
        );
    }

    /// An unstarted instance of the connector `config` names.
    pub(super) fn instantiate(
        &self,
        config: &ConfigMap,
    ) -> std::result::Result<Box<dyn Connector>, ConnectError> {
        let entry = validation::connector_plugin(config).map_err(|e| ConnectError::connect(e.0))?;
        match entry.factory {
            Factory::Connector(f) => Ok(f()),
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
        if self.placement.in_group() {
            stored.target = target;
            self.configs.put(name, stored);
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

    /// Stops every task and connector, for shutdown.
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

    /// Whether `generation` is the live instance of `name`.
    fn is_live(&self, name: &str, generation: u64) -> bool {
        lock(&self.live)
            .get(name)
            .is_some_and(|l| l.generation == generation && l.started)
    }

    /// `ConnectorContext.raiseError`: the connector is FAILED with the error's trace.
    fn connector_failed(&self, name: &str, generation: u64, error: &ConnectError) {
        let _op = lock(&self.op);
        if self.is_live(name, generation) {
            tracing::error!("{name} connector raised an error: {error}");
            self.statuses
                .put_connector(name, self.mk(State::Failed, Some(error.stack_trace())));
        }
    }

    /// `ConnectorContext.requestTaskReconfiguration`.
    fn reconfiguration_requested(&self, name: &str, generation: u64) {
        let _op = lock(&self.op);
        if self.is_live(name, generation) {
            self.reconfigure_tasks(name);
        }
    }
}

/// The [`ConnectorContext`] of one connector instance. Requests run on a thread of their own:
/// they take the herder's lock, which the caller may hold (a connector calling from `start`).
struct Context {
    herder: Weak<HerderState>,
    connector: String,
    generation: u64,
}

impl Context {
    fn spawn(&self, what: &str, f: impl FnOnce(&HerderState, &str, u64) + Send + 'static) {
        let herder = self.herder.clone();
        let connector = self.connector.clone();
        let generation = self.generation;
        let spawned = std::thread::Builder::new()
            .name(format!("{what}-{connector}"))
            .spawn(move || {
                if let Some(h) = herder.upgrade() {
                    f(&h, &connector, generation);
                }
            });
        if let Err(e) = spawned {
            tracing::error!("{} cannot start a thread for {what}: {e}", self.connector);
        }
    }
}

impl ConnectorContext for Context {
    fn request_task_reconfiguration(&self) {
        self.spawn("reconfigure", |h, name, generation| {
            h.reconfiguration_requested(name, generation)
        });
    }

    fn raise_error(&self, error: ConnectError) {
        self.spawn("connector-error", move |h, name, generation| {
            h.connector_failed(name, generation, &error)
        });
    }
}
