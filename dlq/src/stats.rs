//! Cheap numbers about topics and groups for a cluster health sweep (`connectctl doctor`): how
//! many records a DLQ holds and how far a sink connector's consumer group lags. Both come from
//! offsets only (watermarks and committed offsets); no record is read.

use std::collections::BTreeMap;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::Serialize;

use crate::error::DlqError;
use crate::inspect::KafkaConfig;

/// Offset-only statistics from one Kafka connection.
pub struct Stats {
    consumer: BaseConsumer,
    kafka: KafkaConfig,
}

/// How far a consumer group is behind the end of its topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lag {
    /// Records not yet consumed, over every partition with a committed offset.
    pub total: u64,
    /// Partitions that have records but no committed offset for the group (not yet consumed at all).
    pub uncommitted_partitions: u32,
    pub per_topic: BTreeMap<String, u64>,
}

impl Stats {
    pub fn connect(kafka: &KafkaConfig) -> Result<Stats, DlqError> {
        let mut c = ClientConfig::new();
        if let Some(b) = &kafka.bootstrap_servers {
            c.set("bootstrap.servers", b);
        }
        // committed_offsets needs a group id on the handle; the group is never joined.
        c.set("group.id", "connectctl-stats");
        for (k, v) in &kafka.properties {
            c.set(k, v);
        }
        c.set("enable.auto.commit", "false");
        let consumer: BaseConsumer = c.create().map_err(DlqError::Config)?;
        let stats = Stats {
            consumer,
            kafka: kafka.clone(),
        };
        // Fail fast, with the reason, when the cluster cannot be reached at all.
        stats
            .consumer
            .fetch_metadata(None, kafka.timeout)
            .map_err(|e| DlqError::Unreachable {
                bootstrap: kafka.bootstrap().unwrap_or("?").to_owned(),
                timeout_secs: kafka.timeout.as_secs(),
                reason: e.to_string(),
            })?;
        Ok(stats)
    }

    fn partitions(&self, topic: &str) -> Result<Vec<i32>, DlqError> {
        let md = self
            .consumer
            .fetch_metadata(Some(topic), self.kafka.timeout)
            .map_err(|source| DlqError::Read {
                topic: topic.to_owned(),
                source,
            })?;
        match md.topics().first() {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                Ok(t.partitions().iter().map(|p| p.id()).collect())
            }
            _ => Err(DlqError::UnknownTopic {
                topic: topic.to_owned(),
                similar: Vec::new(),
            }),
        }
    }

    /// Records in a topic now (high minus low watermark over its partitions). Compaction or
    /// transactions markers can make this a slight overcount; for a DLQ it is exact.
    pub fn record_count(&self, topic: &str) -> Result<u64, DlqError> {
        let mut total = 0u64;
        for p in self.partitions(topic)? {
            let (low, high) = self
                .consumer
                .fetch_watermarks(topic, p, self.kafka.timeout)
                .map_err(|source| DlqError::Read {
                    topic: topic.to_owned(),
                    source,
                })?;
            total += (high - low).max(0) as u64;
        }
        Ok(total)
    }

    /// The lag of `group` over `topics`.
    pub fn lag(&self, group: &str, topics: &[String]) -> Result<Lag, DlqError> {
        let mut tpl = TopicPartitionList::new();
        let mut ends = BTreeMap::new();
        for topic in topics {
            for p in self.partitions(topic)? {
                let (low, high) = self
                    .consumer
                    .fetch_watermarks(topic, p, self.kafka.timeout)
                    .map_err(|source| DlqError::Read {
                        topic: topic.clone(),
                        source,
                    })?;
                tpl.add_partition(topic, p);
                ends.insert((topic.clone(), p), (low, high));
            }
        }
        // The handle's own group id is a placeholder: ask for the connector's group instead.
        let committed = committed_for(&self.kafka, group, &tpl)?;
        let mut lag = Lag {
            total: 0,
            uncommitted_partitions: 0,
            per_topic: BTreeMap::new(),
        };
        for ((topic, p), (low, high)) in ends {
            let offset = committed
                .find_partition(&topic, p)
                .and_then(|e| match e.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            let behind = match offset {
                Some(o) => (high - o.max(low)).max(0) as u64,
                None if high > low => {
                    lag.uncommitted_partitions += 1;
                    (high - low) as u64
                }
                None => 0,
            };
            lag.total += behind;
            *lag.per_topic.entry(topic).or_default() += behind;
        }
        Ok(lag)
    }
}

fn committed_for(
    kafka: &KafkaConfig,
    group: &str,
    tpl: &TopicPartitionList,
) -> Result<TopicPartitionList, DlqError> {
    let mut c = ClientConfig::new();
    if let Some(b) = &kafka.bootstrap_servers {
        c.set("bootstrap.servers", b);
    }
    c.set("group.id", group);
    for (k, v) in &kafka.properties {
        c.set(k, v);
    }
    c.set("enable.auto.commit", "false");
    let consumer: BaseConsumer = c.create().map_err(DlqError::Config)?;
    consumer
        .committed_offsets(tpl.clone(), kafka.timeout)
        .map_err(|source| DlqError::Read {
            topic: group.to_owned(),
            source,
        })
}
