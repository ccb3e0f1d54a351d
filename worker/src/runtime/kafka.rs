//! Kafka client plumbing shared by the task loops: client configs built from the worker config
//! (`producer.`/`consumer.` overrides), a delivery tracker so offsets are committed only after
//! acks, and the sink connectors' consumer-group offsets for the offsets API.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use connect_api::{ConfigMap, ConnectorOffset};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, ProducerContext};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::json;

use crate::error::ConnectError;

/// Java client settings that librdkafka does not understand; they are dropped from overrides.
const JAVA_ONLY: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "interceptor.classes",
    "partitioner.class",
    "sasl.jaas.config",
    "sasl.login.callback.handler.class",
    "max.poll.records",
    "max.block.ms",
    "buffer.memory",
];

/// The Kafka-facing part of the worker config.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap_servers: String,
    /// Settings applied to every client (`security.protocol`, `sasl.mechanism`, ...).
    pub common: BTreeMap<String, String>,
    pub producer: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
}

impl KafkaSettings {
    pub fn from_worker(raw: &BTreeMap<String, String>) -> KafkaSettings {
        let prefixed = |p: &str| -> BTreeMap<String, String> {
            raw.iter()
                .filter_map(|(k, v)| k.strip_prefix(p).map(|k| (k.to_owned(), v.clone())))
                .filter(|(k, _)| !JAVA_ONLY.contains(&k.as_str()))
                .collect()
        };
        let common = raw
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "security.protocol" | "sasl.mechanism" | "client.dns.lookup"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        KafkaSettings {
            bootstrap_servers: raw.get("bootstrap.servers").cloned().unwrap_or_default(),
            common,
            producer: prefixed("producer."),
            consumer: prefixed("consumer."),
        }
    }

    pub fn base(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in &self.common {
            c.set(k, v);
        }
        c
    }

    /// A producer config: worker overrides, then the connector's `producer.override.*`.
    pub fn producer(&self, connector: &ConfigMap) -> ClientConfig {
        let mut c = self.base();
        // Connect's source producers never lose or reorder records.
        c.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            // librdkafka queues up to 100,000 messages and 1 GiB by default; the Java producer
            // Apache uses stops at 32 MiB (`buffer.memory`). A task that reads faster than the
            // broker acknowledges waits for room instead of growing the worker's memory. 8 MiB
            // is eight of librdkafka's 1 MB batches: a CDC task sending 2.4 KB JSON envelopes
            // ran as fast with it as with 32 MiB (41,900 and 40,600 events/s) in half the
            // memory (44 and 87 MiB peak RSS). `producer.queue.buffering.max.kbytes` in the
            // worker config, or `producer.override.` per connector, raises it.
            .set("queue.buffering.max.messages", "10000")
            .set("queue.buffering.max.kbytes", "8192");
        for (k, v) in &self.producer {
            c.set(k, v);
        }
        overrides(&mut c, connector, "producer.override.");
        c
    }

    pub fn consumer(&self, connector: &ConfigMap, group: &str) -> ClientConfig {
        let mut c = self.base();
        c.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            // librdkafka prefetches up to 100,000 messages or 64 MiB by default, far more than
            // the Java consumer's one fetch per partition. Prefetch less, and fetch again soon
            // after the queue drains below that (the default pause is a whole second).
            .set("queued.min.messages", "10000")
            .set("queued.max.messages.kbytes", "4096")
            .set("fetch.queue.backoff.ms", "10")
            // A worker killed without leaving the group holds its partitions until its session
            // times out: 10 s (the Java consumer's default before Kafka 3.0) rather than 45 s,
            // so a restarted sink resumes within seconds. `consumer.session.timeout.ms` in the
            // worker config or `consumer.override.session.timeout.ms` changes it.
            .set("session.timeout.ms", "10000");
        for (k, v) in &self.consumer {
            c.set(k, v);
        }
        overrides(&mut c, connector, "consumer.override.");
        c
    }
}

fn overrides(c: &mut ClientConfig, connector: &ConfigMap, prefix: &str) {
    for (k, v) in connector {
        if let Some(k) = k.strip_prefix(prefix) {
            if !JAVA_ONLY.contains(&k) {
                c.set(k, v);
            }
        }
    }
}

/// Remembers the first failed delivery so the loop can act on it before committing.
#[derive(Default)]
pub struct DeliveryTracker {
    error: Mutex<Option<KafkaError>>,
}

impl DeliveryTracker {
    pub fn take_error(&self) -> Option<KafkaError> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = Some(e.clone());
            }
        }
    }
}

/// A delivery report of a source task's producer: the record's sequence number and where it
/// was written.
pub type Ack = (usize, Result<(String, i32, i64), KafkaError>);

/// Collects the delivery reports of a source task's producer, so the task loop can call
/// `SourceTask::commit_record` for each acknowledged record, and remembers the first failure as
/// [`DeliveryTracker`] does.
#[derive(Default)]
pub struct AckTracker {
    acks: Mutex<Vec<Ack>>,
    error: Mutex<Option<KafkaError>>,
}

impl AckTracker {
    pub fn take_error(&self) -> Option<KafkaError> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// The reports received since the last call, in the order they came.
    pub fn take_acks(&self, into: &mut Vec<Ack>) {
        into.append(&mut self.acks.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl ClientContext for AckTracker {}

impl ProducerContext for AckTracker {
    type DeliveryOpaque = usize;
    fn delivery(&self, result: &DeliveryResult<'_>, seq: usize) {
        use rdkafka::message::Message;
        let ack = match result {
            Ok(m) => Ok((m.topic().to_owned(), m.partition(), m.offset())),
            Err((e, _)) => {
                let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
                if slot.is_none() {
                    *slot = Some(e.clone());
                }
                Err(e.clone())
            }
        };
        self.acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((seq, ack));
    }
}

/// Sends, waiting for room when the local queue is full. Delivery reports are served by the
/// caller's own `poll` (once per batch: polling per record costs more than the send itself) or,
/// when the queue is full, here.
pub fn send_with_retry<'a, C: ProducerContext>(
    producer: &BaseProducer<C>,
    mut record: BaseRecord<'a, [u8], [u8], C::DeliveryOpaque>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                // rdkafka's poll waits out its whole timeout even after serving delivery
                // reports, so wait briefly: room appears as soon as a batch is acknowledged.
                producer.poll(Duration::from_millis(1));
                record = back;
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// The consumer group of a sink connector.
pub fn sink_group(connector: &str) -> String {
    format!("connect-{connector}")
}

fn group_consumer(settings: &KafkaSettings, connector: &str) -> Result<BaseConsumer, ConnectError> {
    settings
        .base()
        .set("group.id", sink_group(connector))
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| super::errors::kafka_error("Failed to create a consumer", &e))
}

/// The partitions a sink connector reads: its `topics`, or every topic matching `topics.regex`.
fn sink_partitions(
    consumer: &BaseConsumer,
    config: &ConfigMap,
) -> Result<TopicPartitionList, ConnectError> {
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(30))
        .map_err(|e| super::errors::kafka_error("Failed to fetch topic metadata", &e))?;
    let topics = crate::plugin::config_def::split_list(
        config.get("topics").map(String::as_str).unwrap_or(""),
    );
    let regex = config
        .get("topics.regex")
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| regex::Regex::new(&format!("^(?:{})$", r.trim())).ok());
    let mut tpl = TopicPartitionList::new();
    for t in md.topics() {
        let wanted = topics.iter().any(|n| n == t.name())
            || regex.as_ref().is_some_and(|r| r.is_match(t.name()));
        if wanted {
            for p in t.partitions() {
                tpl.add_partition(t.name(), p.id());
            }
        }
    }
    Ok(tpl)
}

/// `GET /connectors/{c}/offsets` for a sink: the group's committed offsets.
pub fn sink_offsets(
    settings: &KafkaSettings,
    connector: &str,
    config: &ConfigMap,
) -> Result<Vec<ConnectorOffset>, ConnectError> {
    let consumer = group_consumer(settings, connector)?;
    let tpl = sink_partitions(&consumer, config)?;
    if tpl.count() == 0 {
        return Ok(Vec::new());
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(30))
        .map_err(|e| super::errors::kafka_error("Failed to read the consumer group offsets", &e))?;
    let mut out = Vec::new();
    for e in committed.elements() {
        if let Offset::Offset(o) = e.offset() {
            let partition = json!({"kafka_topic": e.topic(), "kafka_partition": e.partition()});
            let offset = json!({"kafka_offset": o});
            out.push(ConnectorOffset {
                partition: partition.as_object().cloned().unwrap_or_default(),
                offset: offset.as_object().cloned(),
            });
        }
    }
    Ok(out)
}

/// `PATCH` for a sink: commits the given offsets for the (stopped, so empty) group. A `None`
/// offset removes the partition's committed offset: librdkafka has no offset deletion, so the
/// group's other offsets (of the connector's topics and of the request's) are read, the group is
/// deleted, and every offset that should remain is committed again. The connector is stopped,
/// so nothing else uses the group meanwhile.
pub fn alter_sink_offsets(
    settings: &KafkaSettings,
    connector: &str,
    config: &ConfigMap,
    offsets: &[ConnectorOffset],
) -> Result<(), ConnectError> {
    let topic_partition = |o: &ConnectorOffset| {
        (
            o.partition
                .get("kafka_topic")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
            o.partition
                .get("kafka_partition")
                .and_then(|v| v.as_i64())
                .unwrap_or_default() as i32,
        )
    };
    let consumer = group_consumer(settings, connector)?;
    // What to commit, by partition; `None` means no committed offset.
    let mut target: std::collections::BTreeMap<(String, i32), Option<i64>> = Default::default();
    let resets = offsets.iter().any(|o| o.offset.is_none());
    if resets {
        let mut tpl = sink_partitions(&consumer, config)?;
        for o in offsets {
            let (t, p) = topic_partition(o);
            if tpl.find_partition(&t, p).is_none() {
                tpl.add_partition(&t, p);
            }
        }
        let committed = consumer
            .committed_offsets(tpl, Duration::from_secs(30))
            .map_err(|e| {
                super::errors::kafka_error("Failed to read the consumer group offsets", &e)
            })?;
        for e in committed.elements() {
            if let Offset::Offset(o) = e.offset() {
                target.insert((e.topic().to_owned(), e.partition()), Some(o));
            }
        }
    }
    for o in offsets {
        let offset = o
            .offset
            .as_ref()
            .and_then(|m| m.get("kafka_offset"))
            .and_then(|v| v.as_i64());
        target.insert(topic_partition(o), offset);
    }
    if resets {
        reset_sink_offsets(settings, connector)?;
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in &target {
        if let Some(offset) = offset {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))
                .map_err(|e| super::errors::kafka_error("Invalid partition", &e))?;
        }
    }
    if tpl.count() == 0 {
        return Ok(());
    }
    consumer
        .commit(&tpl, rdkafka::consumer::CommitMode::Sync)
        .map_err(|e| super::errors::kafka_error("Failed to alter consumer group offsets", &e))
}

/// `DELETE` for a sink: deletes the consumer group, as Apache does.
pub fn reset_sink_offsets(settings: &KafkaSettings, connector: &str) -> Result<(), ConnectError> {
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> = settings
        .base()
        .create()
        .map_err(|e| super::errors::kafka_error("Failed to create an admin client", &e))?;
    let group = sink_group(connector);
    let res = futures::executor::block_on(
        admin.delete_groups(&[group.as_str()], &rdkafka::admin::AdminOptions::new()),
    )
    .map_err(|e| super::errors::kafka_error("Failed to delete the consumer group", &e))?;
    for r in res {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => {
                return Err(ConnectError::connect(format!(
                    "Failed to delete consumer group {group}: {code}"
                )));
            }
        }
    }
    Ok(())
}
