//! Where the herder keeps connector configs, statuses and source offsets. Each store is a trait
//! so that distributed mode can back it with Kafka's internal topics; standalone mode uses the
//! in-memory stores here, with source offsets persisted to `offset.storage.file.filename`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use connect_api::{ConfigMap, ConnectorTaskId, State};
use serde_json::Value as Json;

use crate::plugin::OffsetMap;

/// What the user asked a connector to be (`TargetState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

/// A connector's stored configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConnector {
    pub config: ConfigMap,
    pub target: TargetState,
    pub task_configs: Vec<ConfigMap>,
}

/// `ConfigBackingStore`: connector configs, task configs and target states.
pub trait ConfigStore: Send + Sync {
    fn connectors(&self) -> Vec<String>;
    fn get(&self, name: &str) -> Option<StoredConnector>;
    fn put(&self, name: &str, connector: StoredConnector);
    fn remove(&self, name: &str);
}

/// The state of a connector or task as reported by `/status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    pub worker_id: String,
}

/// `StatusBackingStore`.
pub trait StatusStore: Send + Sync {
    fn put_connector(&self, name: &str, status: Status);
    fn put_task(&self, id: &ConnectorTaskId, status: Status);
    fn connector(&self, name: &str) -> Option<Status>;
    /// Task statuses of a connector, by task number.
    fn tasks(&self, name: &str) -> BTreeMap<u32, Status>;
    fn remove_task(&self, id: &ConnectorTaskId);
    fn remove(&self, name: &str);
    /// Topics a connector has used (KIP-558).
    fn add_topic(&self, name: &str, topic: &str);
    fn topics(&self, name: &str) -> Vec<String>;
    fn reset_topics(&self, name: &str);
}

/// `OffsetBackingStore` for source connectors.
pub trait OffsetStore: Send + Sync {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap>;
    fn all(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)>;
    /// Writes offsets (a `None` removes the partition) and makes them durable before returning.
    fn put(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), std::io::Error>;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
pub struct MemoryConfigStore(Mutex<BTreeMap<String, StoredConnector>>);

impl ConfigStore for MemoryConfigStore {
    fn connectors(&self) -> Vec<String> {
        lock(&self.0).keys().cloned().collect()
    }
    fn get(&self, name: &str) -> Option<StoredConnector> {
        lock(&self.0).get(name).cloned()
    }
    fn put(&self, name: &str, connector: StoredConnector) {
        lock(&self.0).insert(name.to_owned(), connector);
    }
    fn remove(&self, name: &str) {
        lock(&self.0).remove(name);
    }
}

#[derive(Default)]
struct Statuses {
    connectors: BTreeMap<String, Status>,
    tasks: BTreeMap<String, BTreeMap<u32, Status>>,
    topics: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Default)]
pub struct MemoryStatusStore(Mutex<Statuses>);

impl StatusStore for MemoryStatusStore {
    fn put_connector(&self, name: &str, status: Status) {
        lock(&self.0).connectors.insert(name.to_owned(), status);
    }
    fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        lock(&self.0)
            .tasks
            .entry(id.connector.clone())
            .or_default()
            .insert(id.task, status);
    }
    fn connector(&self, name: &str) -> Option<Status> {
        lock(&self.0).connectors.get(name).cloned()
    }
    fn tasks(&self, name: &str) -> BTreeMap<u32, Status> {
        lock(&self.0).tasks.get(name).cloned().unwrap_or_default()
    }
    fn remove_task(&self, id: &ConnectorTaskId) {
        if let Some(t) = lock(&self.0).tasks.get_mut(&id.connector) {
            t.remove(&id.task);
        }
    }
    fn remove(&self, name: &str) {
        let mut s = lock(&self.0);
        s.connectors.remove(name);
        s.tasks.remove(name);
        s.topics.remove(name);
    }
    fn add_topic(&self, name: &str, topic: &str) {
        let mut s = lock(&self.0);
        let set = s.topics.entry(name.to_owned()).or_default();
        if !set.contains(topic) {
            set.insert(topic.to_owned());
        }
    }
    fn topics(&self, name: &str) -> Vec<String> {
        lock(&self.0)
            .topics
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
    fn reset_topics(&self, name: &str) {
        lock(&self.0).topics.remove(name);
    }
}

/// Source offsets in memory, optionally persisted to a file. The file holds one JSON object
/// whose keys are the offsets-topic key (`["connector",{partition}]`) and whose values are the
/// offset maps, so it reads the same as Connect's offsets topic.
pub struct FileOffsetStore {
    path: Option<PathBuf>,
    data: Mutex<BTreeMap<(String, String), OffsetMap>>,
}

impl FileOffsetStore {
    /// An offset store that forgets everything on exit.
    pub fn in_memory() -> FileOffsetStore {
        FileOffsetStore {
            path: None,
            data: Mutex::default(),
        }
    }

    /// Loads the file if it exists.
    pub fn open(path: PathBuf) -> Result<FileOffsetStore, std::io::Error> {
        let mut data = BTreeMap::new();
        match std::fs::read(&path) {
            Ok(bytes) if !bytes.is_empty() => {
                let all: serde_json::Map<String, Json> = serde_json::from_slice(&bytes)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                for (key, value) in all {
                    let parsed: Option<(String, Json)> = serde_json::from_str(&key).ok();
                    if let (Some((conn, partition)), Json::Object(offset)) = (parsed, value) {
                        data.insert((conn, partition.to_string()), offset);
                    }
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(FileOffsetStore {
            path: Some(path),
            data: Mutex::new(data),
        })
    }

    fn persist(&self, data: &BTreeMap<(String, String), OffsetMap>) -> Result<(), std::io::Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut out = serde_json::Map::new();
        for ((conn, partition), offset) in data {
            let partition: Json = serde_json::from_str(partition).unwrap_or(Json::Null);
            out.insert(
                Json::Array(vec![Json::String(conn.clone()), partition]).to_string(),
                Json::Object(offset.clone()),
            );
        }
        // Write then rename, so a crash never leaves a half-written file.
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(&Json::Object(out)).map_err(std::io::Error::other)?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
        }
        std::fs::rename(&tmp, path)
    }
}

impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let key = (
            connector.to_owned(),
            Json::Object(partition.clone()).to_string(),
        );
        lock(&self.data).get(&key).cloned()
    }

    fn all(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        lock(&self.data)
            .iter()
            .filter(|((c, _), _)| c == connector)
            .filter_map(|((_, p), o)| match serde_json::from_str(p) {
                Ok(Json::Object(p)) => Some((p, o.clone())),
                _ => None,
            })
            .collect()
    }

    fn put(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), std::io::Error> {
        let mut data = lock(&self.data);
        for (partition, offset) in offsets {
            let key = (
                connector.to_owned(),
                Json::Object(partition.clone()).to_string(),
            );
            match offset {
                Some(o) => data.insert(key, o.clone()),
                None => data.remove(&key),
            };
        }
        self.persist(&data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Json) -> OffsetMap {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn offsets_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets");
        let s = FileOffsetStore::open(path.clone()).unwrap();
        let p = map(json!({"filename": "/tmp/a"}));
        s.put("c", &[(p.clone(), Some(map(json!({"position": 30}))))])
            .unwrap();
        s.put("d", &[(p.clone(), Some(map(json!({"position": 1}))))])
            .unwrap();
        let s = FileOffsetStore::open(path.clone()).unwrap();
        assert_eq!(s.get("c", &p), Some(map(json!({"position": 30}))));
        assert_eq!(s.all("c").len(), 1);
        s.put("c", &[(p.clone(), None)]).unwrap();
        assert_eq!(FileOffsetStore::open(path).unwrap().get("c", &p), None);
    }
}
