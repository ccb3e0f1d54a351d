//! The distributed herder (`DistributedHerder`'s membership half): joins the group, lets the
//! leader assign with the config topic read to the highest offset any member reports, catches
//! up on the config topic before starting work, and starts and stops the assigned connectors
//! and tasks through the standalone [`Herder`], whose [`Placement`] is this worker's assignment.
//!
//! Eager protocol (`default`): before every join the worker stops all its work; after the sync
//! it starts what it was given. A change in the config topic (connector created, updated,
//! deleted, new task configs committed, target state changed) makes the worker rejoin, so the
//! group rebalances on it, as Apache's eager workers do for new connectors and task configs.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use connect_api::{ConfigMap, ConnectorOffset, ConnectorTaskId};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;

use super::assignor::{self, LeaderView};
use super::config::DistributedConfig;
use super::config_store::{ConfigEvent, KafkaConfigStore};
use super::group::{GroupError, GroupMember, GroupSettings};
use super::protocol::{self, Assignment, CONFIG_MISMATCH, Protocol};
use crate::error::ConnectError;
use crate::runtime::herder::{Herder, Placement, Runtime, TaskSpec};

/// This worker's place in the group, shared by the member loop, the herder and REST.
#[derive(Default)]
pub struct Membership {
    assignment: Mutex<Assignment>,
    /// Whether a rebalance is under way (REST answers 409 for requests that need the leader).
    rebalancing: AtomicBool,
    is_leader: AtomicBool,
    /// The group generation, which status writes carry.
    pub generation: Arc<AtomicI32>,
    /// This worker's advertised REST URL (`http://host:port/`).
    pub url: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Membership {
    pub fn new(url: String) -> Membership {
        Membership {
            rebalancing: AtomicBool::new(true),
            url,
            ..Default::default()
        }
    }

    pub fn assignment(&self) -> Assignment {
        lock(&self.assignment).clone()
    }

    pub fn is_rebalancing(&self) -> bool {
        self.rebalancing.load(Ordering::Relaxed)
    }

    pub fn is_leader(&self) -> bool {
        self.is_leader.load(Ordering::Relaxed)
    }

    /// Whether the current assignment gives this worker the task.
    pub fn runs_task_here(&self, id: &ConnectorTaskId) -> bool {
        self.runs_task(id)
    }

    /// The leader's URL, once an assignment named it.
    pub fn leader_url(&self) -> Option<String> {
        let a = lock(&self.assignment);
        (!a.leader_url.is_empty()).then(|| a.leader_url.clone())
    }
}

impl Placement for Membership {
    fn runs_connector(&self, name: &str) -> bool {
        lock(&self.assignment)
            .assigned
            .get(name)
            .is_some_and(|t| t.contains(&protocol::CONNECTOR_TASK))
    }

    fn runs_task(&self, id: &ConnectorTaskId) -> bool {
        lock(&self.assignment)
            .assigned
            .get(&id.connector)
            .is_some_and(|t| t.contains(&(id.task as i32)))
    }
}

/// The task runtime, with the set of tasks running here (the herder's runtime answers no
/// such question).
pub struct TrackingRuntime {
    inner: Arc<dyn Runtime>,
    running: Mutex<HashSet<ConnectorTaskId>>,
}

impl TrackingRuntime {
    pub fn new(inner: Arc<dyn Runtime>) -> TrackingRuntime {
        TrackingRuntime {
            inner,
            running: Mutex::default(),
        }
    }

    pub fn is_running(&self, id: &ConnectorTaskId) -> bool {
        lock(&self.running).contains(id)
    }

    pub fn running(&self) -> Vec<ConnectorTaskId> {
        lock(&self.running).iter().cloned().collect()
    }
}

impl Runtime for TrackingRuntime {
    fn start_task(&self, spec: TaskSpec) {
        lock(&self.running).insert(spec.id.clone());
        self.inner.start_task(spec);
    }
    fn stop_task(&self, id: &ConnectorTaskId) {
        lock(&self.running).remove(id);
        self.inner.stop_task(id);
    }
    fn sink_offsets(
        &self,
        c: &str,
        config: &ConfigMap,
    ) -> Result<Vec<ConnectorOffset>, ConnectError> {
        self.inner.sink_offsets(c, config)
    }
    fn alter_sink_offsets(
        &self,
        c: &str,
        config: &ConfigMap,
        offsets: &[ConnectorOffset],
    ) -> Result<(), ConnectError> {
        self.inner.alter_sink_offsets(c, config, offsets)
    }
    fn reset_sink_offsets(&self, c: &str) -> Result<(), ConnectError> {
        self.inner.reset_sink_offsets(c)
    }
}

/// Everything the member loop drives.
pub struct Worker {
    pub config: DistributedConfig,
    pub bootstrap: Vec<String>,
    pub herder: Arc<Herder>,
    pub configs: Arc<KafkaConfigStore>,
    pub runtime: Arc<TrackingRuntime>,
    pub membership: Arc<Membership>,
    /// Set to make the member rejoin (a config change).
    pub rejoin: Arc<Notify>,
    pub shutdown: Arc<Notify>,
}

impl Worker {
    /// Stops every connector and task this worker runs (eager revocation).
    fn revoke_all(&self) {
        let assignment = std::mem::take(&mut *lock(&self.membership.assignment));
        for c in assignment.connectors() {
            self.herder.stop_assigned_connector(&c);
        }
        // All at once, as Apache stops then awaits its tasks: a sink task's stop waits for its
        // consumer to commit and leave its group.
        let running = self.runtime.running();
        std::thread::scope(|s| {
            for id in &running {
                s.spawn(move || self.herder.stop_assigned_task(id));
            }
        });
        // Connector instances of a connector deleted meanwhile are gone from the assignment.
        for c in self.herder.connectors() {
            if self.herder.runs_connector_instance(&c) {
                self.herder.stop_assigned_connector(&c);
            }
        }
    }

    /// Starts the assigned connectors, then the assigned tasks not already started by their
    /// connector.
    fn start_assigned(&self, a: &Assignment) {
        for c in a.connectors() {
            tracing::info!("Starting connector {c}");
            self.herder.start_assigned_connector(&c);
        }
        for (c, t) in a.tasks() {
            let id = ConnectorTaskId {
                connector: c,
                task: t,
            };
            if !self.runtime.is_running(&id) {
                tracing::info!("Starting task {}-{}", id.connector, id.task);
                self.herder.start_assigned_task(&id);
            }
        }
    }

    fn metadata(&self) -> Vec<(&'static str, Bytes)> {
        let offset = self.configs.offset();
        // Only the eager protocol is offered: a group with Apache workers then runs `default`.
        vec![(
            Protocol::Eager.name(),
            protocol::encode_metadata(Protocol::Eager, &self.membership.url, offset, None),
        )]
    }

    /// The leader's assignment for every member.
    async fn assign(
        self: &Arc<Self>,
        leader_id: &str,
        members: &[(String, Bytes)],
    ) -> Vec<(String, Bytes)> {
        let mut decoded = Vec::new();
        for (id, meta) in members {
            match protocol::decode_metadata(meta) {
                Ok(m) => decoded.push((id.clone(), m)),
                Err(e) => tracing::error!("Ignoring member {id}: {e}"),
            }
        }
        let max = decoded
            .iter()
            .map(|(_, m)| m.config_offset)
            .max()
            .unwrap_or(-1);
        if self.configs.offset() < max {
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.configs.read_to_end()).await;
        }
        let snapshot = self.configs.snapshot();
        let work = snapshot.work();
        let view = LeaderView {
            leader_id,
            config_offset: snapshot.offset,
            work: &work,
        };
        let out = assignor::eager(&view, &decoded);
        if out.values().any(|a| a.error == CONFIG_MISMATCH) {
            tracing::info!(
                "Was selected to perform assignments, but do not have latest config found in sync request. Returning an empty configuration to trigger re-sync."
            );
        }
        out.into_iter()
            .map(|(id, a)| {
                (
                    id,
                    Bytes::from(protocol::encode_assignment(Protocol::Eager, &a)),
                )
            })
            .collect()
    }

    /// One round: revoke, join, assign (as leader), sync, catch up. Returns the assignment to
    /// run, or `None` to join again.
    async fn round(
        self: &Arc<Self>,
        member: &mut GroupMember,
    ) -> Result<Option<Assignment>, GroupError> {
        self.membership.rebalancing.store(true, Ordering::Relaxed);
        {
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.revoke_all()).await;
        }
        let protocols = self.metadata();
        let joined = member.join(&protocols).await?;
        self.membership
            .generation
            .store(joined.generation, Ordering::Relaxed);
        let leader = joined.is_leader();
        self.membership.is_leader.store(leader, Ordering::Relaxed);
        tracing::info!(
            "Joined group at generation {} with protocol version {} and got assignment: leader={}, member {}",
            joined.generation,
            joined.protocol,
            joined.leader_id,
            joined.member_id
        );
        let assignments = if leader {
            self.assign(&joined.leader_id, &joined.members).await
        } else {
            Vec::new()
        };
        let bytes = member.sync(assignments).await?;
        let a = match protocol::decode_assignment(&bytes) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("{e}; rejoining");
                return Ok(None);
            }
        };
        if a.error == CONFIG_MISMATCH {
            tracing::info!(
                "Leader {} is behind on the config topic; catching up and rejoining",
                a.leader
            );
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.configs.read_to_end()).await;
            return Ok(None);
        }
        if self.configs.offset() < a.config_offset {
            let me = self.clone();
            let caught_up = tokio::task::spawn_blocking(move || me.configs.read_to_end())
                .await
                .map(|r| r.is_ok())
                .unwrap_or(false);
            if !caught_up || self.configs.offset() < a.config_offset {
                tracing::warn!(
                    "Didn't reach end of config log quickly enough (at {}, assignment needs {}); rejoining",
                    self.configs.offset(),
                    a.config_offset
                );
                return Ok(None);
            }
        }
        Ok(Some(a))
    }

    /// Runs the membership until shutdown, then leaves the group.
    pub async fn run(self: Arc<Self>, events: UnboundedReceiver<ConfigEvent>) {
        tokio::spawn(watch_config(self.clone(), events));
        let mut member = GroupMember::new(GroupSettings {
            group_id: self.config.group_id.clone(),
            bootstrap: self.bootstrap.clone(),
            session_timeout: self.config.session_timeout,
            rebalance_timeout: self.config.rebalance_timeout,
        });
        let mut backoff = Duration::from_millis(100);
        'outer: loop {
            let round = tokio::select! {
                r = self.round(&mut member) => r,
                _ = self.shutdown.notified() => break 'outer,
            };
            let assignment = match round {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!("{e}");
                    member.forget_coordinator(&e);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {},
                        _ = self.shutdown.notified() => break 'outer,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            *lock(&self.membership.assignment) = assignment.clone();
            self.membership.rebalancing.store(false, Ordering::Relaxed);
            tracing::info!(
                "Starting connectors and tasks using config offset {}: connectors {:?}, tasks {:?}",
                assignment.config_offset,
                assignment.connectors(),
                assignment.tasks()
            );
            let starting = {
                let me = self.clone();
                let a = assignment.clone();
                tokio::task::spawn_blocking(move || me.start_assigned(&a))
            };
            let stop = loop {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.heartbeat_interval) => {
                        if let Err(e) = member.heartbeat().await {
                            if !matches!(e, GroupError::Rejoin(_)) {
                                tracing::warn!("{e}");
                            }
                            member.forget_coordinator(&e);
                            break false;
                        }
                    }
                    _ = self.rejoin.notified() => break false,
                    _ = self.shutdown.notified() => break true,
                }
            };
            let _ = starting.await;
            if stop {
                break;
            }
        }
        self.membership.rebalancing.store(true, Ordering::Relaxed);
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.revoke_all()).await;
        if let Err(e) = member.leave().await {
            tracing::warn!("Leaving group {}: {e}", self.config.group_id);
        }
    }
}

/// Config-topic changes that alter what runs make the worker rejoin; a restart request is
/// carried out by the workers that run the connector or its tasks.
async fn watch_config(worker: Arc<Worker>, mut events: UnboundedReceiver<ConfigEvent>) {
    while let Some(e) = events.recv().await {
        match e {
            ConfigEvent::ConnectorConfig(_)
            | ConfigEvent::ConnectorRemoved(_)
            | ConfigEvent::TasksCommitted(_)
            | ConfigEvent::TargetState(_) => {
                tracing::debug!("config change {e:?}: rejoining");
                worker.rejoin.notify_one();
            }
            ConfigEvent::Restart {
                connector,
                include_tasks,
                only_failed,
            } => {
                let w = worker.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    restart_here(&w, &connector, include_tasks, only_failed)
                })
                .await;
            }
            ConfigEvent::SessionKey => {}
        }
    }
}

/// The part of a restart request that runs on this worker.
fn restart_here(w: &Worker, connector: &str, include_tasks: bool, only_failed: bool) {
    let failed = |s: Option<crate::runtime::store::Status>| {
        s.is_some_and(|s| s.state == connect_api::State::Failed)
    };
    let a = w.membership.assignment();
    if a.connectors().iter().any(|c| c == connector)
        && (!only_failed || failed(w.herder.statuses().connector(connector)))
    {
        w.herder.start_assigned_connector(connector);
    }
    if include_tasks {
        let statuses = w.herder.statuses().tasks(connector);
        let mine: BTreeSet<u32> = a
            .tasks()
            .into_iter()
            .filter(|(c, _)| c == connector)
            .map(|(_, t)| t)
            .collect();
        for t in mine {
            if !only_failed || failed(statuses.get(&t).cloned()) {
                w.herder.start_assigned_task(&ConnectorTaskId {
                    connector: connector.to_owned(),
                    task: t,
                });
            }
        }
    }
}
