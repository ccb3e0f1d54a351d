//! `KafkaOffsetBackingStore` for source connectors: the offsets topic, keyed by the JSON
//! `["<connector>",{partition}]` and valued by the JSON offset map (a tombstone removes it),
//! partitioned by murmur2 as Java's producer does, so a key written by a connect-worker and by
//! an Apache worker lands on the same partition and compaction keeps the latest.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value as Json;

use super::klog::{KafkaLog, LogError, Record};
use crate::plugin::OffsetMap;
use crate::runtime::kafka::KafkaSettings;
use crate::runtime::store::OffsetStore;

type Offsets = BTreeMap<(String, String), OffsetMap>;

pub struct KafkaOffsetStore {
    log: KafkaLog,
    data: Arc<Mutex<Offsets>>,
}

fn lock(m: &Mutex<Offsets>) -> MutexGuard<'_, Offsets> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The offsets-topic key: `["connector",{partition}]`.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> String {
    Json::Array(vec![
        Json::String(connector.to_owned()),
        Json::Object(partition.clone()),
    ])
    .to_string()
}

fn parse_key(key: &[u8]) -> Option<(String, String)> {
    let j: Json = serde_json::from_slice(key).ok()?;
    let arr = j.as_array()?;
    if arr.len() != 2 {
        return None;
    }
    Some((
        arr[0].as_str()?.to_owned(),
        Json::Object(arr[1].as_object()?.clone()).to_string(),
    ))
}

fn apply(data: &mut Offsets, key: &[u8], value: Option<&[u8]>) {
    let Some(k) = parse_key(key) else {
        tracing::warn!(
            "Ignoring offset record with a key that is not [\"connector\",{{partition}}]: {}",
            String::from_utf8_lossy(key)
        );
        return;
    };
    match value.map(serde_json::from_slice::<Json>) {
        Some(Ok(Json::Object(o))) => {
            data.insert(k, o);
        }
        None | Some(Ok(Json::Null)) => {
            data.remove(&k);
        }
        Some(_) => tracing::warn!(
            "Ignoring offset record for {} whose value is not a JSON object",
            k.0
        ),
    }
}

impl KafkaOffsetStore {
    pub fn open(
        settings: &KafkaSettings,
        spec: &super::config::TopicSpec,
    ) -> Result<KafkaOffsetStore, LogError> {
        let data: Arc<Mutex<Offsets>> = Arc::default();
        let handler = {
            let data = data.clone();
            Box::new(move |r: Record| {
                if let Some(k) = r.key.as_deref() {
                    apply(&mut lock(&data), k, r.value.as_deref());
                }
            })
        };
        let log = KafkaLog::open(
            settings,
            spec,
            &[("partitioner", "murmur2_random")],
            handler,
        )?;
        log.read_to_end(std::time::Duration::from_secs(30))?;
        Ok(KafkaOffsetStore { log, data })
    }

    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    pub fn partitions(&self) -> i32 {
        self.log.partition_count()
    }

    /// Waits until every offset committed before this call is read (`read_committed`: offsets
    /// written in an open or aborted transaction are not).
    pub fn read_to_end(&self) -> Result<(), LogError> {
        self.log.read_to_end(std::time::Duration::from_secs(30))
    }

    pub fn close(&self) {
        self.log.close();
    }
}

impl OffsetStore for KafkaOffsetStore {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        let k = (
            connector.to_owned(),
            Json::Object(partition.clone()).to_string(),
        );
        lock(&self.data).get(&k).cloned()
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
        let encoded: Vec<(String, Option<Vec<u8>>)> = offsets
            .iter()
            .map(|(p, o)| {
                (
                    offset_key(connector, p),
                    o.as_ref()
                        .map(|o| Json::Object(o.clone()).to_string().into_bytes()),
                )
            })
            .collect();
        let records: Vec<(&str, Option<&[u8]>)> = encoded
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        self.log.send(&records).map_err(std::io::Error::other)?;
        let mut data = lock(&self.data);
        for (k, v) in &encoded {
            apply(&mut data, k.as_bytes(), v.as_deref());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_apaches() {
        let p = json!({"filename": "/tmp/in.txt"})
            .as_object()
            .cloned()
            .unwrap();
        let k = offset_key("file-src", &p);
        assert_eq!(k, r#"["file-src",{"filename":"/tmp/in.txt"}]"#);
        let mut d = Offsets::new();
        apply(&mut d, k.as_bytes(), Some(br#"{"position":42}"#));
        assert_eq!(d.values().next().unwrap()["position"], 42);
        apply(&mut d, k.as_bytes(), None);
        assert!(d.is_empty());
    }
}
