//! Tasks: their configs (with the task class from the registry), starting and stopping them,
//! restarts, and the reconfiguration a connector requests through its context.

use std::sync::{Arc, Mutex};

use connect_api::{ConfigMap, ConnectorStateInfo, ConnectorTaskId, State};

use super::{HerderError, HerderState, Result, TaskSpec, lock};
use crate::error::ConnectError;
use crate::plugin::Connector;
use crate::registry;
use crate::runtime::store::{StoredConnector, TargetState};

type Shared = Arc<Mutex<Box<dyn Connector>>>;

impl HerderState {
    /// Stops the connector's tasks: those of its stored configs and any other with a status.
    pub(super) fn stop_tasks(&self, name: &str) {
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
    }

    /// The connector's task configs, each with `task.class` as the registry names it. A
    /// failure, or more configs than `tasks.max`, leaves the connector FAILED.
    fn generate_task_configs(
        &self,
        name: &str,
        connector: &Shared,
        config: &ConfigMap,
    ) -> Option<Vec<ConfigMap>> {
        let max_tasks = config
            .get("tasks.max")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let task_class = config
            .get("connector.class")
            .and_then(|c| registry::find_connector(c))
            .and_then(|e| e.task_class);
        let generated = lock(connector).task_configs(max_tasks);
        let task_configs = match generated {
            Ok(mut configs) => {
                if let Some(class) = task_class {
                    for c in &mut configs {
                        c.insert("task.class".into(), class.to_owned());
                    }
                }
                configs
            }
            Err(e) => {
                self.statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
                return None;
            }
        };
        if task_configs.len() > max_tasks {
            let e = ConnectError::connect(format!(
                "The connector {name} has generated {} tasks, which is greater than {max_tasks}, the maximum number of tasks it is configured to create. ",
                task_configs.len()
            ));
            self.statuses
                .put_connector(name, self.mk(State::Failed, Some(e.stack_trace())));
            return None;
        }
        Some(task_configs)
    }

    /// Generates task configs from the live instance, stores them and starts the tasks.
    pub(super) fn start_tasks(&self, name: &str, stored: &mut StoredConnector) {
        let Some(connector) = lock(&self.live).get(name).map(|l| l.connector.clone()) else {
            return;
        };
        let Some(task_configs) = self.generate_task_configs(name, &connector, &stored.config)
        else {
            return;
        };
        stored.task_configs = task_configs.clone();
        self.configs.put(name, stored.clone());
        for (i, tc) in task_configs.iter().enumerate() {
            let id = ConnectorTaskId {
                connector: name.to_owned(),
                task: i as u32,
            };
            self.start_task(&connector, &stored.config, id, tc);
        }
    }

    /// `updateConnectorTasks`: asks the live instance for task configs again; when they
    /// differ from the stored ones, the tasks are stopped and started with the new configs.
    pub(super) fn reconfigure_tasks(&self, name: &str) {
        let Some(mut stored) = self.configs.get(name) else {
            return;
        };
        if stored.target != TargetState::Started {
            return;
        }
        let Some(connector) = lock(&self.live).get(name).map(|l| l.connector.clone()) else {
            return;
        };
        let Some(task_configs) = self.generate_task_configs(name, &connector, &stored.config)
        else {
            return;
        };
        if task_configs == stored.task_configs {
            return;
        }
        self.stop_tasks(name);
        for t in self.statuses.tasks(name).keys() {
            self.statuses.remove_task(&ConnectorTaskId {
                connector: name.to_owned(),
                task: *t,
            });
        }
        stored.task_configs = task_configs.clone();
        self.configs.put(name, stored.clone());
        for (i, tc) in task_configs.iter().enumerate() {
            let id = ConnectorTaskId {
                connector: name.to_owned(),
                task: i as u32,
            };
            self.start_task(&connector, &stored.config, id, tc);
        }
    }

    pub(super) fn start_task(
        &self,
        connector: &Shared,
        connector_config: &ConfigMap,
        id: ConnectorTaskId,
        task_config: &ConfigMap,
    ) {
        if !self.placement.runs_task(&id) {
            return;
        }
        self.statuses
            .put_task(&id, self.mk(State::Unassigned, None));
        let (created, connector_type) = {
            let c = lock(connector);
            (c.create_task(task_config), c.connector_type())
        };
        match created {
            Ok(task) => self.runtime.start_task(TaskSpec {
                id,
                connector_config: connector_config.clone(),
                task_config: task_config.clone(),
                connector_type,
                task,
            }),
            Err(e) => self
                .statuses
                .put_task(&id, self.mk(State::Failed, Some(e.stack_trace()))),
        }
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

    /// Stops and starts the connector instance; its tasks keep running unless their configs
    /// changed, as in Apache.
    fn restart_connector_instance(&self, name: &str) {
        let Some(stored) = self.configs.get(name) else {
            return;
        };
        self.stop_instance(name);
        match stored.target {
            TargetState::Started => match self.start_instance(name, &stored.config) {
                Ok(_) => {
                    self.statuses
                        .put_connector(name, self.mk(State::Running, None));
                    self.reconfigure_tasks(name);
                }
                Err(e) => self
                    .statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace()))),
            },
            TargetState::Paused => match self.instantiate(&stored.config) {
                Ok(_) => self
                    .statuses
                    .put_connector(name, self.mk(State::Paused, None)),
                Err(e) => self
                    .statuses
                    .put_connector(name, self.mk(State::Failed, Some(e.stack_trace()))),
            },
            TargetState::Stopped => self
                .statuses
                .put_connector(name, self.mk(State::Stopped, None)),
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
        let live = lock(&self.live)
            .get(name)
            .filter(|l| l.started)
            .map(|l| l.connector.clone());
        let connector = match live {
            Some(c) => c,
            None => match self.start_instance(name, &stored.config) {
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
}
