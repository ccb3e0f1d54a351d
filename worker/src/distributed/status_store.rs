//! `KafkaStatusBackingStore`: connector and task states in the status topic, keyed
//! `status-connector-<c>` and `status-task-<c>-<n>`, valued
//! `{"state":..,"trace":..|null,"worker_id":..,"generation":N,"version":..}`; a connector's topics (KIP-558)
//! as `status-topic-<topic>:connector-<c>` with `{"topic":{"name","connector","task",
//! "discoverTimestamp"}}`. Every worker reads the whole topic, so `/status` answers the same on
//! every worker.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use connect_api::{ConnectorTaskId, State};
use serde_json::{Value as Json, json};

use super::klog::{KafkaLog, LogError, Record};
use crate::runtime::kafka::KafkaSettings;
use crate::runtime::store::{Status, StatusStore};

#[derive(Default)]
struct Cache {
    connectors: BTreeMap<String, (Status, i32)>,
    tasks: BTreeMap<String, BTreeMap<u32, (Status, i32)>>,
    topics: BTreeMap<String, BTreeSet<String>>,
}

pub struct KafkaStatusStore {
    log: KafkaLog,
    cache: Arc<Mutex<Cache>>,
    /// The group generation this worker's writes carry.
    generation: Arc<AtomicI32>,
}

fn lock(m: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Apache 4.x adds the plugin's `version` (null for UNASSIGNED, as its workers write it);
/// every built-in plugin reports the Connect version.
pub fn encode_status(s: &Status, generation: i32) -> Vec<u8> {
    let version = (s.state != State::Unassigned).then_some(crate::CONNECT_API_VERSION);
    json!({
        "state": s.state.as_str(),
        "trace": s.trace,
        "worker_id": s.worker_id,
        "generation": generation,
        "version": version,
    })
    .to_string()
    .into_bytes()
}

fn decode_status(v: &[u8]) -> Option<(Status, i32)> {
    let j: Json = serde_json::from_slice(v).ok()?;
    Some((
        Status {
            state: State::from(j.get("state")?.as_str()?.to_owned()),
            trace: j.get("trace").and_then(Json::as_str).map(str::to_owned),
            worker_id: j.get("worker_id")?.as_str()?.to_owned(),
        },
        j.get("generation").and_then(Json::as_i64).unwrap_or(0) as i32,
    ))
}

fn apply(c: &mut Cache, key: &str, value: Option<&[u8]>) {
    if let Some(name) = key.strip_prefix("status-connector-") {
        match value.and_then(decode_status) {
            Some(s) => {
                c.connectors.insert(name.to_owned(), s);
            }
            None => {
                c.connectors.remove(name);
            }
        }
    } else if let Some(rest) = key.strip_prefix("status-task-") {
        let Some((name, n)) = rest.rsplit_once('-') else {
            return;
        };
        let Ok(n) = n.parse::<u32>() else {
            return;
        };
        match value.and_then(decode_status) {
            Some(s) => {
                c.tasks.entry(name.to_owned()).or_default().insert(n, s);
            }
            None => {
                if let Some(t) = c.tasks.get_mut(name) {
                    t.remove(&n);
                }
            }
        }
    } else if let Some(rest) = key.strip_prefix("status-topic-") {
        let Some((topic, connector)) = rest.split_once(":connector-") else {
            return;
        };
        if value.is_some() {
            c.topics
                .entry(connector.to_owned())
                .or_default()
                .insert(topic.to_owned());
        } else if let Some(t) = c.topics.get_mut(connector) {
            t.remove(topic);
        }
    }
}

impl KafkaStatusStore {
    pub fn open(
        settings: &KafkaSettings,
        spec: &super::config::TopicSpec,
        generation: Arc<AtomicI32>,
    ) -> Result<KafkaStatusStore, LogError> {
        let cache: Arc<Mutex<Cache>> = Arc::default();
        let handler = {
            let cache = cache.clone();
            Box::new(move |r: Record| {
                if let Some(k) = r.key.as_deref().map(String::from_utf8_lossy) {
                    apply(&mut lock(&cache), &k, r.value.as_deref());
                }
            })
        };
        // Java's default partitioner (murmur2) places each key where Apache workers do.
        let log = KafkaLog::open(
            settings,
            spec,
            &[("partitioner", "murmur2_random")],
            handler,
        )?;
        let store = KafkaStatusStore {
            log,
            cache,
            generation,
        };
        store.log.read_to_end(std::time::Duration::from_secs(30))?;
        Ok(store)
    }

    fn send(&self, key: String, value: Option<Vec<u8>>) {
        {
            let mut c = lock(&self.cache);
            apply(&mut c, &key, value.as_deref());
        }
        if let Err(e) = self.log.send(&[(&key, value.as_deref())]) {
            tracing::error!("Failed to write status update: {e}");
        }
    }

    pub fn close(&self) {
        self.log.close();
    }

    /// The leader's clean-up after a rebalance (Apache's `updateDeletedConnectorStatus` and
    /// `updateDeletedTaskStatus`): tombstones for the statuses of connectors that are gone and
    /// of tasks beyond their connector's committed task count. `work` lists every connector
    /// with its task count.
    pub fn remove_deleted(&self, work: &[(String, u32)]) {
        let count: BTreeMap<&str, u32> = work.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        let (connectors, tasks): (Vec<String>, Vec<(String, u32)>) = {
            let c = lock(&self.cache);
            (
                c.connectors
                    .keys()
                    .filter(|name| !count.contains_key(name.as_str()))
                    .cloned()
                    .collect(),
                c.tasks
                    .iter()
                    .flat_map(|(name, ts)| {
                        let n = count.get(name.as_str()).copied().unwrap_or(0);
                        ts.keys()
                            .filter(move |t| **t >= n)
                            .map(move |t| (name.clone(), *t))
                    })
                    .collect(),
            )
        };
        for name in connectors {
            self.send(format!("status-connector-{name}"), None);
        }
        for (name, t) in tasks {
            self.send(format!("status-task-{name}-{t}"), None);
        }
    }
}

/// Apache's `putSafe`, used for the FAILED and UNASSIGNED states a worker writes as it gives
/// work up: such a write is skipped when the current status was written by another worker in
/// a later generation (the work has moved on, and that worker's state must stand).
fn can_write_safely(current: Option<&(Status, i32)>, status: &Status, generation: i32) -> bool {
    if !matches!(status.state, State::Failed | State::Unassigned) {
        return true;
    }
    current.is_none_or(|(s, g)| s.worker_id == status.worker_id || *g <= generation)
}

impl StatusStore for KafkaStatusStore {
    fn put_connector(&self, name: &str, status: Status) {
        let g = self.generation.load(Ordering::Relaxed);
        if !can_write_safely(lock(&self.cache).connectors.get(name), &status, g) {
            return;
        }
        self.send(
            format!("status-connector-{name}"),
            Some(encode_status(&status, g)),
        );
    }

    fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        let g = self.generation.load(Ordering::Relaxed);
        let safe = can_write_safely(
            lock(&self.cache)
                .tasks
                .get(&id.connector)
                .and_then(|t| t.get(&id.task)),
            &status,
            g,
        );
        if !safe {
            return;
        }
        self.send(
            format!("status-task-{}-{}", id.connector, id.task),
            Some(encode_status(&status, g)),
        );
    }

    fn connector(&self, name: &str) -> Option<Status> {
        lock(&self.cache).connectors.get(name).map(|s| s.0.clone())
    }

    fn tasks(&self, name: &str) -> BTreeMap<u32, Status> {
        lock(&self.cache)
            .tasks
            .get(name)
            .map(|t| t.iter().map(|(n, s)| (*n, s.0.clone())).collect())
            .unwrap_or_default()
    }

    /// Does nothing: in a group the task may run on another worker, whose state this worker
    /// must not erase, even from its own view; the leader tombstones the statuses of tasks
    /// that no longer exist ([`KafkaStatusStore::remove_deleted`]).
    fn remove_task(&self, _id: &ConnectorTaskId) {}

    /// A deleted connector: tombstones for it, its tasks and its topics.
    fn remove(&self, name: &str) {
        let (tasks, topics): (Vec<u32>, Vec<String>) = {
            let c = lock(&self.cache);
            (
                c.tasks
                    .get(name)
                    .map(|t| t.keys().copied().collect())
                    .unwrap_or_default(),
                c.topics
                    .get(name)
                    .map(|t| t.iter().cloned().collect())
                    .unwrap_or_default(),
            )
        };
        self.send(format!("status-connector-{name}"), None);
        for t in tasks {
            self.send(format!("status-task-{name}-{t}"), None);
        }
        for t in topics {
            self.send(format!("status-topic-{t}:connector-{name}"), None);
        }
    }

    fn add_topic(&self, name: &str, topic: &str) {
        if lock(&self.cache)
            .topics
            .get(name)
            .is_some_and(|t| t.contains(topic))
        {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let v = json!({"topic": {"name": topic, "connector": name, "task": 0, "discoverTimestamp": now}});
        self.send(
            format!("status-topic-{topic}:connector-{name}"),
            Some(v.to_string().into_bytes()),
        );
    }

    fn topics(&self, name: &str) -> Vec<String> {
        lock(&self.cache)
            .topics
            .get(name)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn reset_topics(&self, name: &str) {
        for t in self.topics(name) {
            self.send(format!("status-topic-{t}:connector-{name}"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn giving_work_up_does_not_overwrite_a_later_owner() {
        let st = |state, worker: &str| Status {
            state,
            trace: None,
            worker_id: worker.into(),
        };
        let theirs = (st(State::Running, "b:8083"), 7);
        // Another worker took the task over in generation 7: our UNASSIGNED/FAILED of 6 waits.
        assert!(!can_write_safely(
            Some(&theirs),
            &st(State::Unassigned, "a:8083"),
            6
        ));
        assert!(!can_write_safely(
            Some(&theirs),
            &st(State::Failed, "a:8083"),
            6
        ));
        // Our own earlier status, a later generation, nothing yet, or a RUNNING: written.
        assert!(can_write_safely(
            Some(&theirs),
            &st(State::Unassigned, "b:8083"),
            6
        ));
        assert!(can_write_safely(
            Some(&theirs),
            &st(State::Unassigned, "a:8083"),
            7
        ));
        assert!(can_write_safely(None, &st(State::Failed, "a:8083"), 1));
        assert!(can_write_safely(
            Some(&theirs),
            &st(State::Running, "a:8083"),
            6
        ));
    }

    #[test]
    fn status_values_round_trip_and_tombstones_remove() {
        let s = Status {
            state: State::Running,
            trace: None,
            worker_id: "127.0.0.1:8083".into(),
        };
        let v = encode_status(&s, 7);
        let j: Json = serde_json::from_slice(&v).unwrap();
        assert_eq!(
            j,
            json!({"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":7,
                   "version": crate::CONNECT_API_VERSION})
        );
        let u = Status {
            state: State::Unassigned,
            ..s.clone()
        };
        let j: Json = serde_json::from_slice(&encode_status(&u, 8)).unwrap();
        assert_eq!(
            j["version"],
            Json::Null,
            "Apache writes no version for UNASSIGNED"
        );
        let mut c = Cache::default();
        apply(&mut c, "status-task-my-conn-3", Some(&v));
        assert_eq!(c.tasks["my-conn"][&3].1, 7);
        apply(&mut c, "status-topic-t-1:connector-my-conn", Some(b"{}"));
        assert!(c.topics["my-conn"].contains("t-1"));
        apply(&mut c, "status-task-my-conn-3", None);
        assert!(c.tasks["my-conn"].is_empty());
    }
}
