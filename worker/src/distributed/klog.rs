//! `KafkaBasedLog`: one internal topic read from the beginning by a thread of its own, each
//! record handed to the store that owns the topic, and written through a producer whose sends
//! wait for the broker's acknowledgement. `read_to_end` waits until every record present when
//! it was called has been handed over, which is how a store "catches up".

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::config::TopicSpec;
use crate::runtime::kafka::KafkaSettings;

/// One record of an internal topic.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("internal topic {topic}: {what}: {source}")]
    Kafka {
        topic: String,
        what: &'static str,
        #[source]
        source: KafkaError,
    },
    #[error("internal topic {topic}: {message}")]
    Invalid { topic: String, message: String },
    #[error(
        "internal topic {topic}: not read to its end within {ms} ms; check that the broker is reachable"
    )]
    Timeout { topic: String, ms: u128 },
}

impl LogError {
    fn kafka<'a>(topic: &'a str, what: &'static str) -> impl FnOnce(KafkaError) -> LogError + 'a {
        move |source| LogError::Kafka {
            topic: topic.to_owned(),
            what,
            source,
        }
    }
}

type Handler = Box<dyn Fn(Record) + Send + Sync>;

pub struct KafkaLog {
    topic: String,
    producer: FutureProducer,
    consumer: Arc<BaseConsumer>,
    /// Next offset to read, by partition, as far as the handler has been given records.
    positions: Arc<(Mutex<HashMap<i32, i64>>, Condvar)>,
    partitions: Vec<i32>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn block<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// Creates `spec` as a compacted topic when it does not exist, as Apache's `TopicAdmin` does.
pub fn ensure_topic(settings: &KafkaSettings, spec: &TopicSpec) -> Result<i32, LogError> {
    let consumer: BaseConsumer = settings
        .base()
        .create()
        .map_err(LogError::kafka(&spec.name, "cannot create a Kafka client"))?;
    let existing = consumer
        .fetch_metadata(Some(&spec.name), TIMEOUT)
        .map_err(LogError::kafka(&spec.name, "cannot read topic metadata"))?;
    let count = existing
        .topics()
        .first()
        .filter(|t| t.error().is_none())
        .map_or(0, |t| t.partitions().len() as i32);
    if count > 0 {
        return Ok(count);
    }
    let admin: AdminClient<DefaultClientContext> = settings
        .base()
        .create()
        .map_err(LogError::kafka(&spec.name, "cannot create an admin client"))?;
    let topic = NewTopic::new(
        &spec.name,
        spec.partitions,
        TopicReplication::Fixed(spec.replication_factor),
    )
    .set("cleanup.policy", "compact");
    let results = block(admin.create_topics([&topic], &AdminOptions::new()))
        .map_err(LogError::kafka(&spec.name, "cannot create the topic"))?;
    for r in results {
        match r {
            Ok(_) => tracing::info!(
                "Created topic (name={}, numPartitions={}, replicationFactor={}, cleanup.policy=compact)",
                spec.name,
                spec.partitions,
                spec.replication_factor
            ),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(LogError::Invalid {
                    topic: spec.name.clone(),
                    message: format!(
                        "cannot create it ({code}); create it as a compacted topic or fix the .replication.factor/.partitions keys"
                    ),
                });
            }
        }
    }
    // Metadata of a new topic takes a moment to reach every broker.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let md = consumer
            .fetch_metadata(Some(&spec.name), TIMEOUT)
            .map_err(LogError::kafka(&spec.name, "cannot read topic metadata"))?;
        let n = md
            .topics()
            .first()
            .filter(|t| t.error().is_none())
            .map_or(0, |t| t.partitions().len() as i32);
        if n > 0 {
            return Ok(n);
        }
        if Instant::now() > deadline {
            return Err(LogError::Timeout {
                topic: spec.name.clone(),
                ms: TIMEOUT.as_millis(),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl KafkaLog {
    /// Opens the topic (creating it when missing) and starts reading it from the beginning.
    /// `producer_extra` are producer settings of this log (the offsets log's partitioner).
    pub fn open(
        settings: &KafkaSettings,
        spec: &TopicSpec,
        producer_extra: &[(&str, &str)],
        handler: Handler,
    ) -> Result<KafkaLog, LogError> {
        let count = ensure_topic(settings, spec)?;
        let mut pc: ClientConfig = settings.base();
        pc.set("acks", "all")
            .set("enable.idempotence", "false")
            .set("max.in.flight.requests.per.connection", "1")
            .set("linger.ms", "0");
        for (k, v) in producer_extra {
            pc.set(*k, *v);
        }
        let producer: FutureProducer = pc
            .create()
            .map_err(LogError::kafka(&spec.name, "cannot create a producer"))?;
        let mut cc = settings.base();
        // Assigned partitions only: no consumer group, no committed offsets.
        cc.set("group.id", "connect-worker-internal-log")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", "100");
        let consumer: BaseConsumer = cc
            .create()
            .map_err(LogError::kafka(&spec.name, "cannot create a consumer"))?;
        let partitions: Vec<i32> = (0..count).collect();
        let mut tpl = TopicPartitionList::new();
        for p in &partitions {
            tpl.add_partition_offset(&spec.name, *p, Offset::Beginning)
                .map_err(LogError::kafka(&spec.name, "cannot assign partitions"))?;
        }
        consumer
            .assign(&tpl)
            .map_err(LogError::kafka(&spec.name, "cannot assign partitions"))?;
        let consumer = Arc::new(consumer);
        let positions: Arc<(Mutex<HashMap<i32, i64>>, Condvar)> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let consumer = consumer.clone();
            let positions = positions.clone();
            let stop = stop.clone();
            let topic = spec.name.clone();
            std::thread::Builder::new()
                .name(format!("log-{topic}"))
                .spawn(move || read_loop(&topic, &consumer, &positions, &stop, handler))
                .map_err(|e| LogError::Invalid {
                    topic: spec.name.clone(),
                    message: format!("cannot start its reader thread: {e}"),
                })?
        };
        Ok(KafkaLog {
            topic: spec.name.clone(),
            producer,
            consumer,
            positions,
            partitions,
            stop,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn partition_count(&self) -> i32 {
        self.partitions.len() as i32
    }

    /// Writes records (a `None` value is a tombstone) in order and waits for each to be
    /// acknowledged.
    pub fn send(&self, records: &[(&str, Option<&[u8]>)]) -> Result<(), LogError> {
        // All records are queued before the first acknowledgement is awaited, so they are sent
        // together and in order.
        let mut pending = Vec::with_capacity(records.len());
        for (k, v) in records {
            let mut r = FutureRecord::<str, [u8]>::to(&self.topic).key(*k);
            if let Some(v) = v {
                r = r.payload(*v);
            }
            match self.producer.send_result(r) {
                Ok(f) => pending.push(f),
                Err((e, _)) => return Err(LogError::kafka(&self.topic, "cannot write")(e)),
            }
        }
        for f in pending {
            match block(f) {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => return Err(LogError::kafka(&self.topic, "cannot write")(e)),
                Err(_) => {
                    return Err(LogError::Invalid {
                        topic: self.topic.clone(),
                        message: "a write was cancelled".into(),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn flush(&self) -> Result<(), LogError> {
        self.producer
            .flush(TIMEOUT)
            .map_err(LogError::kafka(&self.topic, "cannot flush"))
    }

    /// Waits until every record written before this call has been given to the handler.
    pub fn read_to_end(&self, timeout: Duration) -> Result<(), LogError> {
        let deadline = Instant::now() + timeout;
        let mut ends = HashMap::new();
        for p in &self.partitions {
            let high = loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.consumer.fetch_watermarks(&self.topic, *p, left) {
                    Ok((_, high)) => break high,
                    // A topic created a moment ago can have no leader yet: Apache's
                    // TopicAdmin.retryEndOffsets retries such errors until its timeout too.
                    Err(e) if retriable(&e) && Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    Err(e) => {
                        return Err(LogError::kafka(&self.topic, "cannot read the end offsets")(
                            e,
                        ));
                    }
                }
            };
            ends.insert(*p, high);
        }
        let (lock, cv) = &*self.positions;
        let mut pos = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let behind = ends
                .iter()
                .any(|(p, end)| *end > 0 && pos.get(p).copied().unwrap_or(0) < *end);
            if !behind {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(LogError::Timeout {
                    topic: self.topic.clone(),
                    ms: timeout.as_millis(),
                });
            }
            pos = cv
                .wait_timeout(pos, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn close(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn read_loop(
    topic: &str,
    consumer: &BaseConsumer,
    positions: &(Mutex<HashMap<i32, i64>>, Condvar),
    stop: &AtomicBool,
    handler: Handler,
) {
    let (lock, cv) = positions;
    while !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                let record = Record {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                };
                let (p, next) = (record.partition, record.offset + 1);
                handler(record);
                lock.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(p, next);
                cv.notify_all();
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                // Compaction and transaction markers leave gaps: at the end, the position is
                // the consumer's, not the last record's.
                if let Ok(tpl) = consumer.position() {
                    if let Some(Offset::Offset(o)) =
                        tpl.find_partition(topic, p).map(|e| e.offset())
                    {
                        let mut pos = lock.lock().unwrap_or_else(|e| e.into_inner());
                        let cur = pos.entry(p).or_insert(0);
                        *cur = (*cur).max(o);
                    }
                }
                cv.notify_all();
            }
            Some(Err(e)) => {
                tracing::warn!("reading internal topic {topic}: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// Errors of a partition without a leader for a moment (a new topic, a leader election).
fn retriable(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::RequestTimedOut
        )
    )
}
