//! Where work runs. A standalone worker runs every connector and task it has; a worker in a
//! distributed group runs only what the group's leader assigned to it. The herder asks its
//! [`Placement`] before it starts a connector instance or a task, and the distributed herder
//! starts and stops assigned work through the `*_assigned_*` methods here when an assignment
//! changes.

use connect_api::{ConnectorTaskId, State};

use super::{HerderState, lock};
use crate::runtime::store::TargetState;

/// Which connectors and tasks this worker runs.
pub trait Placement: Send + Sync {
    fn runs_connector(&self, name: &str) -> bool;
    fn runs_task(&self, id: &ConnectorTaskId) -> bool;
    /// In a group the workers act on what the config topic says (a target state, for one),
    /// each for its own work; a REST request only writes it there.
    fn in_group(&self) -> bool {
        false
    }
}

/// Standalone: everything runs here.
pub struct Everywhere;

impl Placement for Everywhere {
    fn runs_connector(&self, _: &str) -> bool {
        true
    }
    fn runs_task(&self, _: &ConnectorTaskId) -> bool {
        true
    }
}

impl HerderState {
    /// Starts (or restarts) an assigned connector in its target state. A started connector
    /// generates its task configs, which the config store writes when they changed.
    pub fn start_assigned_connector(&self, name: &str) {
        let _op = lock(&self.op);
        self.stop_instance(name);
        self.start_connector(name);
    }

    /// Stops a connector instance whose assignment was revoked; its tasks are left alone (they
    /// may be assigned here still).
    pub fn stop_assigned_connector(&self, name: &str) {
        let _op = lock(&self.op);
        self.stop_instance(name);
    }

    /// Whether this worker has a connector instance for `name`.
    pub fn runs_connector_instance(&self, name: &str) -> bool {
        lock(&self.live).contains_key(name)
    }

    /// Starts an assigned task from its committed config. The task is created by an unstarted
    /// instance of its connector, as Apache creates tasks without the connector running on the
    /// same worker.
    pub fn start_assigned_task(&self, id: &ConnectorTaskId) {
        let _op = lock(&self.op);
        let Some(stored) = self.configs.get(&id.connector) else {
            return;
        };
        let Some(task_config) = stored.task_configs.get(id.task as usize).cloned() else {
            return;
        };
        self.runtime.stop_task(id);
        if stored.target == TargetState::Paused {
            self.statuses.put_task(id, self.mk(State::Paused, None));
            return;
        }
        if stored.target == TargetState::Stopped {
            return;
        }
        let live = lock(&self.live)
            .get(&id.connector)
            .filter(|l| l.started)
            .map(|l| l.connector.clone());
        let connector = match live {
            Some(c) => c,
            None => match self.instantiate(&stored.config) {
                Ok(c) => std::sync::Arc::new(std::sync::Mutex::new(c)),
                Err(e) => {
                    self.statuses
                        .put_task(id, self.mk(State::Failed, Some(e.stack_trace())));
                    return;
                }
            },
        };
        self.start_task(&connector, &stored.config, id.clone(), &task_config);
    }

    /// Stops a task whose assignment was revoked.
    pub fn stop_assigned_task(&self, id: &ConnectorTaskId) {
        self.runtime.stop_task(id);
    }
}
