//! Connector-specific offsets topics (Apache's `ConnectorOffsetBackingStore`): a source
//! connector whose config names an `offsets.storage.topic` other than the worker's keeps its
//! offsets there (the topic is created when missing, compacted, with the worker's offsets-topic
//! partitions and replication factor). Its offsets are read from both topics, the connector's
//! winning; written to the connector's topic first and then to the worker's, except tombstones,
//! which go to the worker's topic first, so that a failure between the two never brings back an
//! offset that was removed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::config::TopicSpec;
use super::config_store::KafkaConfigStore;
use super::offset_store::KafkaOffsetStore;
use crate::plugin::OffsetMap;
use crate::runtime::kafka::KafkaSettings;
use crate::runtime::store::OffsetStore;

pub struct OffsetTopics {
    settings: KafkaSettings,
    worker: Arc<KafkaOffsetStore>,
    /// The worker's offsets topic: partitions and replication factor of connectors' topics.
    worker_spec: TopicSpec,
    configs: Arc<KafkaConfigStore>,
    opened: Mutex<HashMap<String, Arc<KafkaOffsetStore>>>,
}

impl OffsetTopics {
    pub fn new(
        settings: KafkaSettings,
        worker: Arc<KafkaOffsetStore>,
        worker_spec: TopicSpec,
        configs: Arc<KafkaConfigStore>,
    ) -> OffsetTopics {
        OffsetTopics {
            settings,
            worker,
            worker_spec,
            configs,
            opened: Mutex::default(),
        }
    }

    pub fn worker_store(&self) -> &Arc<KafkaOffsetStore> {
        &self.worker
    }

    /// The connector's own offsets store, when its config names a topic other than the
    /// worker's (opened on first use).
    pub fn connector_store(
        &self,
        connector: &str,
    ) -> Result<Option<Arc<KafkaOffsetStore>>, std::io::Error> {
        let topic = self
            .configs
            .connector_config(connector)
            .and_then(|c| c.get("offsets.storage.topic").map(|t| t.trim().to_owned()))
            .filter(|t| !t.is_empty() && t != self.worker.topic());
        let Some(topic) = topic else {
            return Ok(None);
        };
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = opened.get(&topic) {
            return Ok(Some(s.clone()));
        }
        let spec = TopicSpec {
            name: topic.clone(),
            ..self.worker_spec.clone()
        };
        let store = Arc::new(KafkaOffsetStore::open(&self.settings, &spec).map_err(|e| {
            std::io::Error::other(format!(
                "cannot open the offsets topic {topic} of connector {connector} (offsets.storage.topic): {e}"
            ))
        })?);
        opened.insert(topic, store.clone());
        Ok(Some(store))
    }

    /// The store a connector's exactly-once tasks commit offsets to: its own, or the worker's.
    pub fn primary(&self, connector: &str) -> Result<Arc<KafkaOffsetStore>, std::io::Error> {
        Ok(self
            .connector_store(connector)?
            .unwrap_or_else(|| self.worker.clone()))
    }

    pub fn close(&self) {
        for s in self
            .opened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            s.close();
        }
    }
}

impl OffsetStore for OffsetTopics {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        match self.connector_store(connector) {
            Ok(Some(own)) => own
                .get(connector, partition)
                .or_else(|| self.worker.get(connector, partition)),
            Ok(None) => self.worker.get(connector, partition),
            Err(e) => {
                tracing::error!("{e}; reading the worker's offsets topic only");
                self.worker.get(connector, partition)
            }
        }
    }

    fn all(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        let mut merged: BTreeMap<String, (OffsetMap, OffsetMap)> = BTreeMap::new();
        let mut add = |offsets: Vec<(OffsetMap, OffsetMap)>| {
            for (p, o) in offsets {
                merged.insert(serde_json::Value::Object(p.clone()).to_string(), (p, o));
            }
        };
        add(self.worker.all(connector));
        match self.connector_store(connector) {
            Ok(Some(own)) => add(own.all(connector)),
            Ok(None) => {}
            Err(e) => tracing::error!("{e}; reading the worker's offsets topic only"),
        }
        merged.into_values().collect()
    }

    fn put(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), std::io::Error> {
        let Some(own) = self.connector_store(connector)? else {
            return self.worker.put(connector, offsets);
        };
        let (tombstones, values): (Vec<_>, Vec<_>) =
            offsets.iter().cloned().partition(|(_, o)| o.is_none());
        if !tombstones.is_empty() {
            self.worker.put(connector, &tombstones)?;
        }
        own.put(connector, offsets)?;
        secondary(&self.worker, connector, &values);
        Ok(())
    }
}

/// The worker's topic after the connector's: a failure is logged, as Apache logs it, since
/// the connector's topic has the offsets.
pub fn secondary(
    worker: &KafkaOffsetStore,
    connector: &str,
    offsets: &[(OffsetMap, Option<OffsetMap>)],
) {
    if offsets.is_empty() {
        return;
    }
    if let Err(e) = worker.put(connector, offsets) {
        tracing::warn!(
            "Failed to write offsets of connector {connector} to the worker's global offsets topic (they are in the connector's own topic): {e}"
        );
    }
}
