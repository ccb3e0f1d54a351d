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

/// One offsets-topic record: the key and the JSON value (`None`: a tombstone).
fn encode(
    connector: &str,
    partition: &OffsetMap,
    offset: Option<&OffsetMap>,
) -> (String, Option<Vec<u8>>) {
    (
        offset_key(connector, partition),
        offset.map(|o| Json::Object(o.clone()).to_string().into_bytes()),
    )
}

/// Queues offset records on a transactional producer, in its open transaction, each on the
/// partition Java's producer would pick for its key; `opaque` tags their delivery reports.
pub fn send_offsets<'a, C: rdkafka::producer::ProducerContext>(
    producer: &rdkafka::producer::BaseProducer<C>,
    topic: &str,
    partitions: i32,
    connector: &str,
    offsets: impl Iterator<Item = (&'a OffsetMap, Option<&'a OffsetMap>)>,
    opaque: impl Fn() -> C::DeliveryOpaque,
) -> Result<(), rdkafka::error::KafkaError> {
    for (partition, offset) in offsets {
        let (key, value) = encode(connector, partition, offset);
        let mut record = rdkafka::producer::BaseRecord::with_opaque_to(topic, opaque())
            .key(key.as_bytes())
            .partition(partition_of(key.as_bytes(), partitions));
        if let Some(v) = &value {
            record = record.payload(v.as_slice());
        }
        crate::runtime::kafka::send_with_retry(producer, record)?;
    }
    Ok(())
}

/// The offsets-topic partition of a key, as Java's default partitioner picks it (murmur2),
/// so an Apache worker finds it where it would have written it.
fn partition_of(key: &[u8], partitions: i32) -> i32 {
    ((murmur2(key) & 0x7fff_ffff) % partitions.max(1) as u32) as i32
}

/// Kafka's `Utils.murmur2`.
fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h = SEED ^ data.len() as u32;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
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
            .map(|(p, o)| encode(connector, p, o.as_ref()))
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
    fn murmur2_is_kafkas() {
        // Kafka's UtilsTest.testMurmur2 cases.
        for (data, expected) in [
            (&b"21"[..], -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            (b"abc", 479470107),
        ] {
            assert_eq!(
                murmur2(data) as i32,
                expected,
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

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
