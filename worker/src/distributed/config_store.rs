//! `KafkaConfigBackingStore`: connector configs, task configs, target states, restart requests
//! and the session key, in the config topic with Apache's keys and JSON values (written as
//! Apache's JsonConverter writes them with `schemas.enable=false`):
//!
//! | key | value |
//! |---|---|
//! | `connector-<c>` | `{"properties":{...}}` |
//! | `task-<c>-<n>` | `{"properties":{...}}` |
//! | `commit-<c>` | `{"tasks":N}`: task configs take effect only with this record |
//! | `target-state-<c>` | `{"state":"STARTED\|PAUSED","state.v2":"STARTED\|PAUSED\|STOPPED"}` |
//! | `restart-connector-<c>` | `{"include-tasks":b,"only-failed":b}` |
//! | `session-key` | `{"key":base64,"algorithm":"HmacSHA256","creation-timestamp":ms}` |
//! | `tasks-fencing-<c>` | `{"task-count":N}`: the task producers a later generation must fence |
//!
//! A deleted connector is a tombstone on `connector-<c>` and `target-state-<c>`.
//!
//! With `exactly.once.source.support` at `preparing` or `enabled`, the leader writes every record
//! but target states and logger levels in a transaction of the producer
//! `connect-cluster-<group>`, which it claims on becoming leader: a newer leader's claim fences
//! out an old one that has not noticed it lost the group.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use connect_api::ConfigMap;
use serde_json::{Value as Json, json};
use tokio::sync::mpsc::UnboundedSender;

use super::klog::{KafkaLog, LogError, Record};
use crate::runtime::kafka::KafkaSettings;
use crate::runtime::store::{ConfigStore, StoredConnector, TargetState};

/// What changed in the config topic, for the herder.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigEvent {
    /// A connector's config written; `created` when the connector is new.
    ConnectorConfig {
        name: String,
        created: bool,
    },
    ConnectorRemoved(String),
    TargetState(String),
    TasksCommitted(String),
    Restart {
        connector: String,
        include_tasks: bool,
        only_failed: bool,
    },
    SessionKey,
    /// `PUT /admin/loggers/{namespace}?scope=cluster` on some worker of the group.
    LoggerLevel {
        namespace: String,
        level: String,
    },
}

/// The session key for signing internal requests.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    pub algorithm: String,
    pub created_ms: i64,
}

/// What has been read from the config topic (`ClusterConfigState`).
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Next offset to read; -1 before the first record (as Apache reports it).
    pub offset: i64,
    pub connectors: BTreeMap<String, ConfigMap>,
    pub targets: BTreeMap<String, TargetState>,
    /// Committed task configs.
    pub tasks: BTreeMap<String, Vec<ConfigMap>>,
    /// Task configs written but not yet committed.
    pending: BTreeMap<String, BTreeMap<u32, ConfigMap>>,
    pub session_key: Option<SessionKey>,
    /// `tasks-fencing-<c>`: how many task producers the last fencing round left to fence.
    pub task_count_records: BTreeMap<String, u32>,
    /// Connectors whose latest task configs came after their latest task count record: a
    /// round of zombie fencing must come before their tasks start under exactly-once.
    pub pending_fencing: BTreeSet<String>,
    /// How many times each connector's task configs have been committed, from 0.
    pub task_generations: BTreeMap<String, u64>,
}

impl Snapshot {
    /// Connectors and their committed task counts, sorted by name (what assignors work on).
    pub fn work(&self) -> Vec<(String, u32)> {
        self.connectors
            .keys()
            .map(|c| (c.clone(), self.tasks.get(c).map_or(0, |t| t.len() as u32)))
            .collect()
    }
}

/// How task configs generated on this worker reach the config topic: written here on the
/// leader, sent to the leader's `POST /connectors/{c}/tasks` elsewhere.
pub type TaskWriter =
    Box<dyn Fn(&KafkaConfigStore, &str, &[ConfigMap]) -> Result<(), String> + Send + Sync>;

pub struct KafkaConfigStore {
    log: KafkaLog,
    state: Arc<Mutex<Snapshot>>,
    timeout: Duration,
    task_writer: std::sync::OnceLock<TaskWriter>,
    /// The leader's transactional producer, under `exactly.once.source.support`.
    fencable: Option<Fencable>,
}

/// The config topic's transactional producer (Apache's `fencableProducer`): claimed by the
/// leader, dropped when a write through it fails (it was fenced out, or the broker refused)
/// and claimed again by the next write.
struct Fencable {
    config: rdkafka::ClientConfig,
    producer: Mutex<Option<rdkafka::producer::BaseProducer>>,
}

const FENCABLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Fencable {
    fn claimed(
        &self,
        topic: &str,
    ) -> Result<MutexGuard<'_, Option<rdkafka::producer::BaseProducer>>, LogError> {
        use rdkafka::producer::Producer as _;
        let mut p = self.producer.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none() {
            let kafka = |what| {
                move |source| LogError::Kafka {
                    topic: topic.to_owned(),
                    what,
                    source,
                }
            };
            let producer: rdkafka::producer::BaseProducer = self.config.create().map_err(kafka(
                "Failed to create and initialize fencable producer for config topic",
            ))?;
            producer.init_transactions(FENCABLE_TIMEOUT).map_err(kafka(
                "Failed to create and initialize fencable producer for config topic",
            ))?;
            *p = Some(producer);
        }
        Ok(p)
    }

    /// Writes the records in one transaction.
    fn send(&self, topic: &str, records: &[(&str, Option<&[u8]>)]) -> Result<(), LogError> {
        use rdkafka::producer::Producer as _;
        let mut guard = self.claimed(topic)?;
        let Some(producer) = guard.as_ref() else {
            return Ok(());
        };
        let sent = (|| {
            producer.begin_transaction()?;
            for (k, v) in records {
                let mut r =
                    rdkafka::producer::BaseRecord::<[u8], [u8]>::to(topic).key(k.as_bytes());
                if let Some(v) = v {
                    r = r.payload(*v);
                }
                crate::runtime::kafka::send_with_retry(producer, r)?;
            }
            producer.commit_transaction(FENCABLE_TIMEOUT)
        })();
        if let Err(e) = sent {
            tracing::warn!("Failed to perform fencable send to config topic: {e}");
            *guard = None;
            return Err(LogError::Kafka {
                topic: topic.to_owned(),
                what: "Failed to perform fencable send to config topic",
                source: e,
            });
        }
        Ok(())
    }
}

fn lock(m: &Mutex<Snapshot>) -> MutexGuard<'_, Snapshot> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `{"properties":{...}}`, null values left out.
fn properties(v: &Json) -> Option<ConfigMap> {
    let props = v.get("properties")?.as_object()?;
    Some(
        props
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
    )
}

pub fn encode_properties(config: &ConfigMap) -> Vec<u8> {
    json!({ "properties": config }).to_string().into_bytes()
}

pub fn encode_target_state(t: TargetState) -> Vec<u8> {
    let v2 = target_name(t);
    // Workers older than KIP-875 read only "state", which has no STOPPED.
    let v1 = if t == TargetState::Stopped {
        "PAUSED"
    } else {
        v2
    };
    json!({ "state": v1, "state.v2": v2 })
        .to_string()
        .into_bytes()
}

fn target_name(t: TargetState) -> &'static str {
    match t {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

fn parse_target(v: &Json) -> Option<TargetState> {
    let s = v
        .get("state.v2")
        .and_then(Json::as_str)
        .or_else(|| v.get("state").and_then(Json::as_str))?;
    match s {
        "STARTED" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// `task-<connector>-<n>`: the connector name may itself contain dashes.
fn parse_task_key(rest: &str) -> Option<(String, u32)> {
    let (c, n) = rest.rsplit_once('-')?;
    Some((c.to_owned(), n.parse().ok()?))
}

/// Applies one config-topic record to the snapshot; returns what changed.
pub fn apply(
    s: &mut Snapshot,
    key: &str,
    value: Option<&[u8]>,
    offset: i64,
) -> Option<ConfigEvent> {
    s.offset = offset + 1;
    let json: Option<Json> = match value {
        Some(v) => match serde_json::from_slice(v) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::error!(
                    "Failed to convert config data to Kafka Connect format: {e} (key {key})"
                );
                return None;
            }
        },
        None => None,
    };
    if let Some(c) = key.strip_prefix("target-state-") {
        match json {
            None => {
                s.targets.remove(c);
                None
            }
            Some(v) => {
                let t = parse_target(&v)?;
                let prev = s.targets.insert(c.to_owned(), t);
                (prev != Some(t) && s.connectors.contains_key(c))
                    .then(|| ConfigEvent::TargetState(c.to_owned()))
            }
        }
    } else if let Some(c) = key.strip_prefix("connector-") {
        match json.as_ref().and_then(properties) {
            None if json.is_none() => {
                s.connectors.remove(c);
                s.targets.remove(c);
                s.tasks.remove(c);
                s.pending.remove(c);
                Some(ConfigEvent::ConnectorRemoved(c.to_owned()))
            }
            None => None,
            Some(props) => {
                let created = s.connectors.insert(c.to_owned(), props).is_none();
                s.targets
                    .entry(c.to_owned())
                    .or_insert(TargetState::Started);
                Some(ConfigEvent::ConnectorConfig {
                    name: c.to_owned(),
                    created,
                })
            }
        }
    } else if let Some(rest) = key.strip_prefix("task-") {
        let (c, n) = parse_task_key(rest)?;
        let props = json.as_ref().and_then(properties)?;
        s.pending.entry(c).or_default().insert(n, props);
        None
    } else if let Some(c) = key.strip_prefix("commit-") {
        let n = json.as_ref()?.get("tasks")?.as_u64()? as u32;
        let pending = s.pending.remove(c).unwrap_or_default();
        let complete = (0..n).all(|i| pending.contains_key(&i));
        // Any commit, applied or not, asks for a fencing round before exactly-once tasks start.
        s.pending_fencing.insert(c.to_owned());
        if complete {
            s.task_generations
                .entry(c.to_owned())
                .and_modify(|g| *g += 1)
                .or_insert(0);
            s.tasks.insert(
                c.to_owned(),
                (0..n).filter_map(|i| pending.get(&i).cloned()).collect(),
            );
            Some(ConfigEvent::TasksCommitted(c.to_owned()))
        } else {
            // Compaction can leave a commit whose task records are gone; Apache keeps the
            // connector without tasks until its configs are written again.
            tracing::warn!(
                "Incomplete set of task configs for connector '{c}' (commit of {n}); waiting for new ones"
            );
            s.pending.insert(c.to_owned(), pending);
            None
        }
    } else if let Some(c) = key.strip_prefix("restart-connector-") {
        let v = json?;
        Some(ConfigEvent::Restart {
            connector: c.to_owned(),
            include_tasks: v
                .get("include-tasks")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            only_failed: v
                .get("only-failed")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        })
    } else if key == "session-key" {
        let v = json?;
        use base64::Engine as _;
        let k = base64::engine::general_purpose::STANDARD
            .decode(v.get("key")?.as_str()?)
            .ok()?;
        s.session_key = Some(SessionKey {
            key: k,
            algorithm: v.get("algorithm")?.as_str()?.to_owned(),
            created_ms: v.get("creation-timestamp")?.as_i64()?,
        });
        Some(ConfigEvent::SessionKey)
    } else if let Some(namespace) = key.strip_prefix("logger-cluster-") {
        let level = json?.get("level")?.as_str()?.to_owned();
        Some(ConfigEvent::LoggerLevel {
            namespace: namespace.to_owned(),
            level,
        })
    } else if let Some(c) = key.strip_prefix("tasks-fencing-") {
        let n = json?.get("task-count")?.as_u64()? as u32;
        s.task_count_records.insert(c.to_owned(), n);
        s.pending_fencing.remove(c);
        None
    } else {
        None
    }
}

impl KafkaConfigStore {
    pub fn open(
        settings: &KafkaSettings,
        spec: &super::config::TopicSpec,
        events: Option<UnboundedSender<ConfigEvent>>,
        timeout: Duration,
    ) -> Result<KafkaConfigStore, LogError> {
        let state = Arc::new(Mutex::new(Snapshot {
            offset: -1,
            ..Default::default()
        }));
        let handler = {
            let state = state.clone();
            Box::new(move |r: Record| {
                let Some(key) = r.key.as_deref().map(String::from_utf8_lossy) else {
                    return;
                };
                let event = apply(&mut lock(&state), &key, r.value.as_deref(), r.offset);
                if let (Some(e), Some(tx)) = (event, &events) {
                    let _ = tx.send(e);
                }
            })
        };
        let log = KafkaLog::open(settings, spec, &[], handler)?;
        let store = KafkaConfigStore {
            log,
            state,
            timeout,
            task_writer: std::sync::OnceLock::new(),
            fencable: None,
        };
        store.read_to_end()?;
        Ok(store)
    }

    /// Makes the leader's writes transactional, with `transactional.id` `id`
    /// (`exactly.once.source.support` at `preparing` or `enabled`).
    pub fn with_transactional_leader(
        mut self,
        settings: &KafkaSettings,
        id: &str,
        client_id: &str,
    ) -> KafkaConfigStore {
        let mut config = settings.base();
        config
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("client.id", format!("{client_id}-leader"));
        for (k, v) in &settings.producer {
            config.set(k, v);
        }
        // Whatever the worker's producer settings say: the id is the group's.
        config.set("transactional.id", id);
        self.fencable = Some(Fencable {
            config,
            producer: Mutex::new(None),
        });
        self
    }

    /// `claimWritePrivileges`: as the new leader, initialise the transactional producer, which
    /// fences out any older holder of the id.
    pub fn claim_write_privileges(&self) -> Result<(), LogError> {
        match &self.fencable {
            Some(f) => f.claimed(self.log.topic()).map(drop),
            None => Ok(()),
        }
    }

    /// `relinquishWritePrivileges`: no longer the leader.
    pub fn relinquish_write_privileges(&self) {
        if let Some(f) = &self.fencable {
            *f.producer.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// A leader's write (`sendPrivileged`): transactional when the leader is.
    fn send_privileged(&self, records: &[(&str, Option<&[u8]>)]) -> Result<(), LogError> {
        match &self.fencable {
            Some(f) => f.send(self.log.topic(), records),
            None => self.log.send(records),
        }
    }

    pub fn read_to_end(&self) -> Result<(), LogError> {
        self.log.read_to_end(self.timeout)
    }

    pub fn snapshot(&self) -> Snapshot {
        lock(&self.state).clone()
    }

    pub fn offset(&self) -> i64 {
        lock(&self.state).offset
    }

    /// How many times the connector's task configs have been committed (0: never).
    pub fn task_generation(&self, name: &str) -> u64 {
        lock(&self.state)
            .task_generations
            .get(name)
            .map_or(0, |g| g + 1)
    }

    pub fn connector_config(&self, name: &str) -> Option<ConfigMap> {
        lock(&self.state).connectors.get(name).cloned()
    }

    pub fn has_connector(&self, name: &str) -> bool {
        lock(&self.state).connectors.contains_key(name)
    }

    pub fn session_key(&self) -> Option<SessionKey> {
        lock(&self.state).session_key.clone()
    }

    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    /// `putConnectorConfig`: the target state (if given) first, then the config.
    pub fn put_connector_config(
        &self,
        name: &str,
        config: &ConfigMap,
        target: Option<TargetState>,
    ) -> Result<(), LogError> {
        let t = target.map(encode_target_state);
        let c = encode_properties(config);
        let tk = format!("target-state-{name}");
        let ck = format!("connector-{name}");
        let mut records: Vec<(&str, Option<&[u8]>)> = Vec::new();
        if let Some(t) = &t {
            records.push((&tk, Some(t)));
        }
        records.push((&ck, Some(&c)));
        self.send_privileged(&records)?;
        self.read_to_end()
    }

    pub fn put_target_state(&self, name: &str, target: TargetState) -> Result<(), LogError> {
        let t = encode_target_state(target);
        self.log
            .send(&[(&format!("target-state-{name}"), Some(&t))])?;
        self.read_to_end()
    }

    /// `putTaskConfigs`: each task's config, then the commit record.
    pub fn put_task_configs(&self, name: &str, configs: &[ConfigMap]) -> Result<(), LogError> {
        self.read_to_end()?;
        let keys: Vec<String> = (0..configs.len())
            .map(|i| format!("task-{name}-{i}"))
            .collect();
        let values: Vec<Vec<u8>> = configs.iter().map(encode_properties).collect();
        let records: Vec<(&str, Option<&[u8]>)> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| (k.as_str(), Some(v.as_slice())))
            .collect();
        self.send_privileged(&records)?;
        let commit = json!({ "tasks": configs.len() }).to_string().into_bytes();
        self.send_privileged(&[(&format!("commit-{name}"), Some(&commit))])?;
        self.read_to_end()
    }

    pub fn remove_connector_config(&self, name: &str) -> Result<(), LogError> {
        self.send_privileged(&[
            (&format!("connector-{name}"), None),
            (&format!("target-state-{name}"), None),
        ])?;
        self.read_to_end()
    }

    /// `putRestartRequest`.
    pub fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), LogError> {
        let v = json!({ "include-tasks": include_tasks, "only-failed": only_failed })
            .to_string()
            .into_bytes();
        self.send_privileged(&[(&format!("restart-connector-{name}"), Some(&v))])?;
        self.read_to_end()
    }

    pub fn put_session_key(&self, key: &SessionKey) -> Result<(), LogError> {
        use base64::Engine as _;
        let v = json!({
            "key": base64::engine::general_purpose::STANDARD.encode(&key.key),
            "algorithm": key.algorithm,
            "creation-timestamp": key.created_ms,
        })
        .to_string()
        .into_bytes();
        self.send_privileged(&[("session-key", Some(&v))])?;
        self.read_to_end()
    }

    /// A cluster-wide logger level (`logger-cluster-{namespace}`), applied by every worker of
    /// the group (this one included) when it reads the record.
    /// `putTaskCountRecord`: the task producers a later generation of the connector's tasks
    /// must fence out.
    pub fn put_task_count_record(&self, name: &str, count: u32) -> Result<(), LogError> {
        let v = json!({ "task-count": count }).to_string().into_bytes();
        self.send_privileged(&[(&format!("tasks-fencing-{name}"), Some(&v))])?;
        self.read_to_end()
    }

    pub fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), LogError> {
        let v = json!({ "level": level }).to_string().into_bytes();
        self.log
            .send(&[(&format!("logger-cluster-{namespace}"), Some(&v))])
    }

    pub fn close(&self) {
        self.log.close();
    }

    /// Routes task configs written through [`ConfigStore::put`] (the first writer set wins).
    pub fn set_task_writer(&self, writer: TaskWriter) {
        let _ = self.task_writer.set(writer);
    }
}

impl ConfigStore for KafkaConfigStore {
    fn connectors(&self) -> Vec<String> {
        lock(&self.state).connectors.keys().cloned().collect()
    }

    fn get(&self, name: &str) -> Option<StoredConnector> {
        let s = lock(&self.state);
        Some(StoredConnector {
            config: s.connectors.get(name)?.clone(),
            target: s.targets.get(name).copied().unwrap_or(TargetState::Started),
            task_configs: s.tasks.get(name).cloned().unwrap_or_default(),
        })
    }

    /// Writes what differs from the snapshot: the config (with the target state when it is
    /// new), the target state, and task configs with their commit. An empty task list is
    /// written only for a STOPPED connector (KIP-875); otherwise it means "not generated yet"
    /// and the committed tasks stay until the connector's worker writes new ones.
    fn put(&self, name: &str, c: StoredConnector) {
        let old = self.get(name);
        let result = (|| {
            match &old {
                None => {
                    let target = (c.target != TargetState::Started).then_some(c.target);
                    self.put_connector_config(name, &c.config, target)?;
                }
                Some(o) => {
                    if o.target != c.target {
                        self.put_target_state(name, c.target)?;
                    }
                    if o.config != c.config {
                        self.put_connector_config(name, &c.config, None)?;
                    }
                }
            }
            let old_tasks = old
                .as_ref()
                .map(|o| o.task_configs.clone())
                .unwrap_or_default();
            let write_tasks = old_tasks != c.task_configs
                && (!c.task_configs.is_empty() || c.target == TargetState::Stopped);
            if write_tasks {
                match self.task_writer.get() {
                    Some(w) => {
                        w(self, name, &c.task_configs).map_err(|message| LogError::Invalid {
                            topic: self.topic().to_owned(),
                            message,
                        })?
                    }
                    None => self.put_task_configs(name, &c.task_configs)?,
                }
            }
            Ok::<(), LogError>(())
        })();
        if let Err(e) = result {
            tracing::error!("Failed to write connector configuration for {name} to Kafka: {e}");
        }
    }

    fn remove(&self, name: &str) {
        if let Err(e) = self.remove_connector_config(name) {
            tracing::error!("Failed to remove connector configuration for {name} from Kafka: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_build_the_snapshot_as_apache_reads_them() {
        let mut s = Snapshot {
            offset: -1,
            ..Default::default()
        };
        let e = apply(
            &mut s,
            "connector-a-b",
            Some(br#"{"properties":{"x":"1","n":null}}"#),
            0,
        );
        let created = |created| {
            Some(ConfigEvent::ConnectorConfig {
                name: "a-b".into(),
                created,
            })
        };
        assert_eq!(e, created(true));
        assert_eq!(s.connectors["a-b"].len(), 1);
        let props = br#"{"properties":{"x":"2"}}"#;
        assert_eq!(
            apply(&mut s, "connector-a-b", Some(props), 0),
            created(false)
        );
        assert_eq!(s.targets["a-b"], TargetState::Started);
        apply(
            &mut s,
            "task-a-b-0",
            Some(br#"{"properties":{"t":"0"}}"#),
            1,
        );
        assert!(
            !s.tasks.contains_key("a-b"),
            "uncommitted tasks are not visible"
        );
        let e = apply(&mut s, "commit-a-b", Some(br#"{"tasks":1}"#), 2);
        assert_eq!(e, Some(ConfigEvent::TasksCommitted("a-b".into())));
        assert_eq!(s.tasks["a-b"][0]["t"], "0");
        apply(
            &mut s,
            "target-state-a-b",
            Some(br#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
            3,
        );
        assert_eq!(s.targets["a-b"], TargetState::Stopped);
        assert_eq!(s.offset, 4);
        assert_eq!(s.work(), vec![("a-b".to_owned(), 1)]);
        let e = apply(&mut s, "connector-a-b", None, 4);
        assert_eq!(e, Some(ConfigEvent::ConnectorRemoved("a-b".into())));
        assert!(s.connectors.is_empty() && s.tasks.is_empty());
    }

    #[test]
    fn an_incomplete_commit_is_not_applied() {
        let mut s = Snapshot::default();
        apply(&mut s, "connector-c", Some(br#"{"properties":{}}"#), 0);
        apply(&mut s, "task-c-1", Some(br#"{"properties":{}}"#), 1);
        assert_eq!(apply(&mut s, "commit-c", Some(br#"{"tasks":2}"#), 2), None);
        assert!(!s.tasks.contains_key("c"));
    }

    #[test]
    fn task_count_records_settle_pending_fencing() {
        let mut s = Snapshot::default();
        apply(&mut s, "connector-c", Some(br#"{"properties":{}}"#), 0);
        apply(&mut s, "task-c-0", Some(br#"{"properties":{}}"#), 1);
        apply(&mut s, "commit-c", Some(br#"{"tasks":1}"#), 2);
        assert!(s.pending_fencing.contains("c"));
        assert_eq!(s.task_generations.get("c"), Some(&0));
        apply(&mut s, "tasks-fencing-c", Some(br#"{"task-count":1}"#), 3);
        assert!(!s.pending_fencing.contains("c"));
        assert_eq!(s.task_count_records.get("c"), Some(&1));
        // New task configs need a new round; an incomplete commit too, without a new generation.
        apply(&mut s, "commit-c", Some(br#"{"tasks":2}"#), 4);
        assert!(s.pending_fencing.contains("c"));
        assert_eq!(s.task_generations.get("c"), Some(&0));
    }

    #[test]
    fn target_state_values() {
        assert_eq!(
            String::from_utf8(encode_target_state(TargetState::Stopped)).unwrap(),
            r#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        assert_eq!(
            parse_target(&json!({"state":"PAUSED"})),
            Some(TargetState::Paused)
        );
    }
}
