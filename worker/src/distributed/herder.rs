//! The distributed herder (`DistributedHerder`'s membership half): joins the group, lets the
//! leader assign with the config topic read to the highest offset any member reports, catches
//! up on the config topic before starting work, and starts and stops the assigned connectors
//! and tasks through the standalone [`Herder`], whose [`Placement`] is this worker's assignment.
//!
//! The worker offers its `connect.protocol` and every older one (`sessioned`, `compatible`,
//! `default`), and the broker picks the newest every member offers.
//!
//! - Eager (`default`): before every join the worker stops all its work; after the sync it
//!   starts what it was given. Any change in the config topic that alters what runs makes the
//!   worker rejoin.
//! - Incremental cooperative (`compatible`, `sessioned`): the worker keeps running its work
//!   through a rebalance; the assignment adds to it and names what to stop, and a worker that
//!   had to stop something rejoins at once so the leader can hand it out. A delayed rebalance
//!   (a departed member's work held back) makes the worker rejoin when the delay is over. New
//!   or deleted connectors and new task configs make the worker rejoin (it first stops its tasks
//!   of a connector with new task configs, and starts them again afterwards if they are still
//!   its own); a changed connector config restarts the connector where it runs, and a target
//!   state change is applied where the connector and its tasks run, without a rebalance.
//! - Under `sessioned` the leader writes the session key to the config topic (again when it is
//!   older than `inter.worker.key.ttl.ms`), and internal requests are signed with it.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI16, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use connect_api::{ConfigMap, ConnectorOffset, ConnectorTaskId};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedReceiver;

use super::assignor::{self, LeaderView};
use super::config::DistributedConfig;
use super::config_store::{ConfigEvent, KafkaConfigStore, SessionKey};
use super::group::{GroupError, GroupMember, GroupSettings};
use super::incremental::IncrementalAssignor;
use super::protocol::{self, Assignment, CONFIG_MISMATCH, Protocol};
use super::signature;
use super::status_store::KafkaStatusStore;
use crate::error::ConnectError;
use crate::runtime::herder::{Herder, Placement, Runtime, TaskSpec};
use crate::runtime::store::TargetState;

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
    /// The version of the protocol the group runs (-1 before the first join).
    protocol: AtomicI16,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Membership {
    pub fn new(url: String) -> Membership {
        Membership {
            rebalancing: AtomicBool::new(true),
            url,
            protocol: AtomicI16::new(-1),
            ..Default::default()
        }
    }

    /// The protocol the group runs, once this worker has joined.
    pub fn protocol(&self) -> Option<Protocol> {
        Protocol::from_version(self.protocol.load(Ordering::Relaxed))
    }

    /// Whether internal requests are signed and checked (`sessioned`).
    pub fn validates_requests(&self) -> bool {
        self.protocol() == Some(Protocol::Sessioned)
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

    fn in_group(&self) -> bool {
        true
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
    pub statuses: Arc<KafkaStatusStore>,
    pub runtime: Arc<TrackingRuntime>,
    pub membership: Arc<Membership>,
    /// Set to make the member rejoin (a config change).
    pub rejoin: Arc<Notify>,
    pub shutdown: Arc<Notify>,
    /// The leader's incremental assignor, with its view of the previous round.
    pub assignor: Mutex<IncrementalAssignor>,
    pub rounds: Mutex<Rounds>,
    /// The process's log levels, which cluster-scope logger records change.
    pub levels: Arc<crate::logging::LogLevels>,
}

/// What the member remembers between rounds.
#[derive(Default)]
pub struct Rounds {
    /// The generation of the last round this worker completed (-1: none).
    last_completed_generation: Option<i32>,
    /// Tasks stopped for new task configs, to start again if they are still assigned here.
    restart: HashSet<ConnectorTaskId>,
    /// Rounds in a row in which the config topic could not be read to the assignment's offset.
    unsynced: u32,
    /// Set after too many of those: leave the group and wait `worker.unsync.backoff.ms`.
    back_off: bool,
}

/// How many rounds in a row may fail to read the config topic before the worker leaves the
/// group and backs off (Apache's `BACKOFF_RETRIES`).
const UNSYNCED_ROUNDS: u32 = 5;

/// What a completed round asks of the worker.
struct Outcome {
    /// What to start now: everything under eager, what is new here under cooperative.
    start: Assignment,
    /// Work was revoked: rejoin once the new work is started so the leader can hand it out.
    rejoin_now: bool,
    /// The leader scheduled a rebalance (held-back work): rejoin then.
    rejoin_at: Option<Instant>,
    /// As the leader under `sessioned`: when the session key is due for rotation.
    key_due: Option<Instant>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        self.stop_tasks(&running);
        // Connector instances of a connector deleted meanwhile are gone from the assignment.
        for c in self.herder.connectors() {
            if self.herder.runs_connector_instance(&c) {
                self.herder.stop_assigned_connector(&c);
            }
        }
    }

    fn stop_tasks(&self, ids: &[ConnectorTaskId]) {
        std::thread::scope(|s| {
            for id in ids {
                s.spawn(move || self.herder.stop_assigned_task(id));
            }
        });
    }

    /// Stops what a cooperative assignment revokes.
    fn revoke(&self, a: &Assignment) {
        let connectors = a.revoked_connectors();
        let tasks: Vec<ConnectorTaskId> = a
            .revoked_tasks()
            .into_iter()
            .map(|(connector, task)| ConnectorTaskId { connector, task })
            .collect();
        if connectors.is_empty() && tasks.is_empty() {
            return;
        }
        for c in &connectors {
            self.herder.stop_assigned_connector(c);
        }
        self.stop_tasks(&tasks);
        tracing::info!(
            "Finished stopping tasks in preparation for rebalance: connectors {connectors:?}, tasks {:?}",
            a.revoked_tasks()
        );
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

    /// This worker's protocols, newest first, each with its metadata (under the incremental
    /// protocols the metadata carries what the worker runs).
    fn metadata(&self) -> Vec<(&'static str, Bytes)> {
        let offset = self.configs.offset();
        let current = self.membership.assignment();
        let owned = (!current.leader.is_empty()).then_some(&current);
        [Protocol::Sessioned, Protocol::Compatible, Protocol::Eager]
            .into_iter()
            .filter(|p| *p <= self.config.protocol)
            .map(|p| {
                (
                    p.name(),
                    protocol::encode_metadata(p, &self.membership.url, offset, owned),
                )
            })
            .collect()
    }

    /// The leader's assignment for every member.
    async fn assign(
        self: &Arc<Self>,
        joined: &super::group::Joined,
        protocol: Protocol,
    ) -> Vec<(String, Bytes)> {
        let mut decoded = Vec::new();
        for (id, meta) in &joined.members {
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
            leader_id: &joined.leader_id,
            config_offset: snapshot.offset,
            work: &work,
        };
        let out = if protocol == Protocol::Eager {
            assignor::eager(&view, &decoded)
        } else {
            let last = lock(&self.rounds).last_completed_generation.unwrap_or(-1);
            lock(&self.assignor).assign(
                &view,
                &decoded,
                last,
                joined.generation,
                now_ms(),
                protocol,
            )
        };
        if out.values().any(|a| a.error == CONFIG_MISMATCH) {
            tracing::info!(
                "Was selected to perform assignments, but do not have latest config found in sync request. Returning an empty configuration to trigger re-sync."
            );
        }
        out.into_iter()
            .map(|(id, a)| (id, Bytes::from(protocol::encode_assignment(protocol, &a))))
            .collect()
    }

    /// One round: revoke (eager), join, assign (as leader), sync, stop what is revoked
    /// (cooperative), catch up. Returns what to start, or `None` to join again.
    async fn round(
        self: &Arc<Self>,
        member: &mut GroupMember,
    ) -> Result<Option<Outcome>, GroupError> {
        self.membership.rebalancing.store(true, Ordering::Relaxed);
        let before = self.membership.protocol();
        if before.is_none_or(|p| p == Protocol::Eager) {
            let me = self.clone();
            // Still a member of the last generation: heartbeats keep it one while work stops.
            self.beating_until(member, tokio::task::spawn_blocking(move || me.revoke_all()))
                .await;
        }
        let protocols = self.metadata();
        let joined = member.join(&protocols).await?;
        let protocol = Protocol::from_name(&joined.protocol).unwrap_or(Protocol::Eager);
        if protocol == Protocol::Eager && before.is_some_and(|p| p != Protocol::Eager) {
            // The group went eager (a member that offers only `default` joined): the eager
            // assignment ignores what runs, so stop it all first.
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.revoke_all()).await;
        }
        if before.is_some_and(|b| b != protocol) {
            if protocol == Protocol::Sessioned {
                tracing::info!("Internal request validation has been re-enabled");
            } else if before == Some(Protocol::Sessioned) {
                tracing::warn!(
                    "The protocol used by this Connect cluster has been downgraded from 'sessioned' to '{}' and internal request validation is now disabled. This is most likely caused by a new worker joining the cluster with an older protocol specified for the connect.protocol configuration",
                    if protocol == Protocol::Eager {
                        "eager"
                    } else {
                        protocol.name()
                    }
                );
            }
        }
        self.membership
            .protocol
            .store(protocol.version(), Ordering::Relaxed);
        self.membership
            .generation
            .store(joined.generation, Ordering::Relaxed);
        let leader = joined.is_leader();
        self.membership.is_leader.store(leader, Ordering::Relaxed);
        tracing::info!(
            "Joined group at generation {} with protocol version {} and got assignment: leader={}, member {}",
            joined.generation,
            protocol.version(),
            joined.leader_id,
            joined.member_id
        );
        let assignments = if leader {
            self.assign(&joined, protocol).await
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
        lock(&self.rounds).last_completed_generation = Some(joined.generation);
        let cooperative = protocol != Protocol::Eager;
        if cooperative {
            {
                let me = self.clone();
                let revoked = a.clone();
                // A sink task commits as it stops: heartbeats go on meanwhile, or a stop that
                // outlasts `session.timeout.ms` would drop this worker from the group.
                self.beating_until(
                    member,
                    tokio::task::spawn_blocking(move || me.revoke(&revoked)),
                )
                .await;
            }
            // What this worker runs from now on: what it ran, less what is revoked, plus
            // what is new.
            let mut full = self.membership.assignment();
            for (c, ts) in &a.revoked {
                if let Some(mine) = full.assigned.get_mut(c) {
                    mine.retain(|t| !ts.contains(t));
                    if mine.is_empty() {
                        full.assigned.remove(c);
                    }
                }
            }
            for (c, ts) in &a.assigned {
                let mine = full.assigned.entry(c.clone()).or_default();
                for t in ts {
                    if !mine.contains(t) {
                        mine.push(*t);
                    }
                }
            }
            full.version = a.version;
            full.error = a.error;
            full.leader = a.leader.clone();
            full.leader_url = a.leader_url.clone();
            full.config_offset = a.config_offset;
            full.revoked.clear();
            full.delay = a.delay;
            *lock(&self.membership.assignment) = full;
        } else {
            *lock(&self.membership.assignment) = a.clone();
        }
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
                let mut rounds = lock(&self.rounds);
                rounds.unsynced += 1;
                if rounds.unsynced >= UNSYNCED_ROUNDS {
                    rounds.unsynced = 0;
                    rounds.back_off = true;
                }
                return Ok(None);
            }
        }
        lock(&self.rounds).unsynced = 0;
        let key_due = if leader {
            let me = self.clone();
            tokio::task::spawn_blocking(move || {
                // Under exactly-once the new leader's transactional producer fences out the
                // previous leader's; a failure is retried by the next write.
                if let Err(e) = me.configs.claim_write_privileges() {
                    tracing::error!("Failed to claim write privileges for the config topic: {e}");
                }
                me.statuses.remove_deleted(&me.configs.snapshot().work());
                if protocol == Protocol::Sessioned {
                    me.distribute_session_key()
                } else {
                    None
                }
            })
            .await
            .ok()
            .flatten()
        } else {
            self.configs.relinquish_write_privileges();
            None
        };
        let start = if cooperative {
            let mut start = a.clone();
            let full = self.membership.assignment();
            for id in std::mem::take(&mut lock(&self.rounds).restart) {
                let t = id.task as i32;
                let still_mine = full
                    .assigned
                    .get(&id.connector)
                    .is_some_and(|ts| ts.contains(&t));
                let listed = start.assigned.entry(id.connector.clone()).or_default();
                if still_mine && !listed.contains(&t) {
                    listed.push(t);
                }
            }
            start.assigned.retain(|_, ts| !ts.is_empty());
            start
        } else {
            a.clone()
        };
        let revoked = cooperative && !a.revoked.is_empty();
        let delay = (cooperative && a.delay > 0)
            .then(|| Instant::now() + Duration::from_millis(a.delay as u64));
        Ok(Some(Outcome {
            start,
            rejoin_now: revoked,
            rejoin_at: delay,
            key_due,
        }))
    }

    /// The leader under `sessioned` writes a session key when there is none, when it is older
    /// than `inter.worker.key.ttl.ms`, or when it was made for another algorithm. Returns when
    /// the current key expires.
    fn distribute_session_key(&self) -> Option<Instant> {
        let ttl = self.config.inter_worker_key_ttl;
        let now = now_ms();
        let algorithm = &self.config.inter_worker_key_algorithm;
        let current = self.configs.session_key();
        let fresh = current.as_ref().is_some_and(|k| {
            k.created_ms + ttl.as_millis() as i64 > now
                && k.algorithm == *algorithm
                && k.key.len() == signature::key_size(algorithm)
        });
        if !fresh {
            let key = match signature::generate_key(algorithm) {
                Ok(k) => k,
                Err(e) => {
                    tracing::error!("Cannot make a session key: {e}; trying again in 1 s");
                    return Some(Instant::now() + Duration::from_secs(1));
                }
            };
            let key = SessionKey {
                key,
                algorithm: algorithm.clone(),
                created_ms: now,
            };
            match self.configs.put_session_key(&key) {
                Ok(()) => tracing::info!("Distributed a new session key"),
                Err(e) => {
                    tracing::error!("Failed to write the session key to the config topic: {e}");
                    return Some(Instant::now() + Duration::from_secs(1));
                }
            }
        }
        let created = self.configs.session_key().map_or(now, |k| k.created_ms);
        let left = (created + ttl.as_millis() as i64 - now_ms()).max(0);
        Some(Instant::now() + Duration::from_millis(left as u64))
    }

    /// Waits for work being started or stopped, sending heartbeats meanwhile: a member that
    /// stops heartbeating for `session.timeout.ms` is dropped from the group, and its work
    /// counts as lost.
    async fn beating_until(&self, member: &mut GroupMember, mut work: tokio::task::JoinHandle<()>) {
        loop {
            tokio::select! {
                _ = &mut work => return,
                _ = tokio::time::sleep(self.config.heartbeat_interval) => {
                    if let Err(e) = member.heartbeat().await {
                        member.forget_coordinator(&e);
                    }
                }
            }
        }
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
            let outcome = match round {
                Ok(Some(o)) => o,
                Ok(None) => {
                    if std::mem::take(&mut lock(&self.rounds).back_off) {
                        // Apache leaves the group rather than hold up its rebalances while it
                        // cannot read the config topic, and tries again later.
                        let wait = self.config.worker_unsync_backoff;
                        tracing::warn!(
                            "Leaving group {} for {} ms: the config topic could not be read to the assigned offset within worker.sync.timeout.ms {} times in a row",
                            self.config.group_id,
                            wait.as_millis(),
                            UNSYNCED_ROUNDS
                        );
                        if let Err(e) = member.leave().await {
                            tracing::warn!("Leaving group {}: {e}", self.config.group_id);
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {},
                            _ = self.shutdown.notified() => break 'outer,
                        }
                    }
                    continue;
                }
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
            self.membership.rebalancing.store(false, Ordering::Relaxed);
            let start = outcome.start;
            tracing::info!(
                "Starting connectors and tasks using config offset {}: connectors {:?}, tasks {:?}",
                start.config_offset,
                start.connectors(),
                start.tasks()
            );
            let starting = {
                let me = self.clone();
                tokio::task::spawn_blocking(move || me.start_assigned(&start))
            };
            if outcome.rejoin_now {
                self.beating_until(&mut member, starting).await;
                continue;
            }
            // Far enough away never to fire when no rebalance or key rotation is due.
            let far = Instant::now() + Duration::from_secs(86_400 * 365);
            let rejoin_at = outcome.rejoin_at.unwrap_or(far);
            let mut key_check = outcome.key_due.unwrap_or(far);
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
                    _ = tokio::time::sleep_until(rejoin_at.into()) => {
                        tracing::debug!("Requesting rebalance because scheduled rebalance timeout has been reached");
                        break false;
                    }
                    _ = tokio::time::sleep_until(key_check.into()) => {
                        let me = self.clone();
                        key_check = tokio::task::spawn_blocking(move || me.distribute_session_key())
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or(far);
                    }
                    _ = self.rejoin.notified() => break false,
                    _ = self.shutdown.notified() => break true,
                }
            };
            self.beating_until(&mut member, starting).await;
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

/// Config-topic changes. Under eager, any change that alters what runs makes the worker
/// rejoin. Under the incremental protocols only new and deleted connectors and new task
/// configs do (after stopping this worker's tasks of a connector with new task configs); a
/// changed connector config restarts the connector where it runs and a target state change is
/// applied where the connector and its tasks run. A restart request is carried out by the
/// workers that run the connector or its tasks.
async fn watch_config(worker: Arc<Worker>, mut events: UnboundedReceiver<ConfigEvent>) {
    while let Some(e) = events.recv().await {
        let eager = worker
            .membership
            .protocol()
            .is_none_or(|p| p == Protocol::Eager);
        match e {
            ConfigEvent::ConnectorConfig { ref name, created } if !eager && !created => {
                let (w, name) = (worker.clone(), name.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    if w.membership.runs_connector(&name) {
                        tracing::info!(
                            "Handling connector-only config update by restarting connector {name}"
                        );
                        w.herder.start_assigned_connector(&name);
                    }
                })
                .await;
            }
            ConfigEvent::TargetState(ref name) if !eager => {
                let (w, name) = (worker.clone(), name.clone());
                let _ = tokio::task::spawn_blocking(move || apply_target_state(&w, &name)).await;
            }
            ConfigEvent::TasksCommitted(ref name) if !eager => {
                let (w, name) = (worker.clone(), name.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    let mine: Vec<ConnectorTaskId> = w
                        .membership
                        .assignment()
                        .tasks()
                        .into_iter()
                        .filter(|(c, _)| *c == name)
                        .map(|(connector, task)| ConnectorTaskId { connector, task })
                        .collect();
                    if !mine.is_empty() {
                        tracing::info!(
                            "Handling task config update by stopping tasks {mine:?}, which will be restarted after rebalance if still assigned to this worker"
                        );
                        w.stop_tasks(&mine);
                        lock(&w.rounds).restart.extend(mine);
                    }
                })
                .await;
                worker.rejoin.notify_one();
            }
            ConfigEvent::ConnectorConfig { .. }
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
            ConfigEvent::SessionKey => tracing::info!("Session key updated"),
            ConfigEvent::LoggerLevel { namespace, level } => {
                match crate::logging::Level::parse(&level.to_ascii_uppercase()) {
                    Some(l) => {
                        worker.levels.set_level(&namespace, l);
                    }
                    None => tracing::error!(
                        "Ignoring invalid logging level {level} for namespace {namespace} from the config topic"
                    ),
                }
            }
        }
    }
}

/// A target state change under the incremental protocols: the connector and its tasks that
/// run here restart into the new state. A started connector starts its tasks here itself.
fn apply_target_state(w: &Worker, connector: &str) {
    let a = w.membership.assignment();
    let here = a.connectors().iter().any(|c| c == connector);
    if here {
        w.herder.start_assigned_connector(connector);
    }
    let started = w.configs.snapshot().targets.get(connector) == Some(&TargetState::Started);
    if here && started {
        return;
    }
    for (c, t) in a.tasks() {
        if c == connector {
            w.herder.start_assigned_task(&ConnectorTaskId {
                connector: c,
                task: t,
            });
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
