//! The transaction of one batch: produce its records, wait for every acknowledgement, and commit
//! them together with the DLQ position (or, at least once, commit the position after them).

use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;

use super::plan::{Candidate, marks};
use super::{ReplayError, ReplayOptions, client_config};
use crate::inspect::KafkaConfig;

/// Remembers delivery failures: a transaction whose records failed must not commit, and the
/// user must hear the broker's reason (e.g. an unknown target topic, a record too large).
#[derive(Default)]
pub(super) struct Deliveries {
    failed: std::sync::atomic::AtomicU64,
    last_error: std::sync::Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, m)) = result {
            self.failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                "{e} (topic {}, partition {})",
                m.topic(),
                m.partition()
            ));
        }
    }
}

impl Deliveries {
    /// Takes the failures since the last call.
    fn take_failure(&self) -> Option<String> {
        if self.failed.swap(0, std::sync::atomic::Ordering::Relaxed) == 0 {
            return None;
        }
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .or(Some("unknown error".into()))
    }
}

/// Starts a transaction (exactly once) for the next batch.
pub(super) fn begin(
    producer: &BaseProducer<Deliveries>,
    opts: &ReplayOptions,
) -> Result<(), KafkaError> {
    if opts.exactly_once {
        producer.begin_transaction()?;
    }
    Ok(())
}

/// Commits one batch together with the DLQ position. `sent` is the outcome of producing the batch
/// while it was read (`None`: nothing produced yet). On a retriable failure the transaction is
/// aborted and the whole batch is produced again.
pub(super) fn commit_batch(
    producer: &BaseProducer<Deliveries>,
    consumer: &BaseConsumer,
    opts: &ReplayOptions,
    batch: &[Candidate],
    mut sent: Option<Result<(), KafkaError>>,
    next: &HashMap<i32, i64>,
    timeout: Duration,
) -> Result<(), ReplayError> {
    let mut offsets = TopicPartitionList::new();
    for (p, o) in next {
        offsets
            .add_partition_offset(&opts.dlq_topic, *p, Offset::Offset(*o))
            .map_err(|source| ReplayError::Kafka {
                what: "recording the DLQ position",
                source,
            })?;
    }
    let fenced = |e: &KafkaError| {
        matches!(
            e.rdkafka_error_code(),
            Some(
                rdkafka::types::RDKafkaErrorCode::Fenced
                    | rdkafka::types::RDKafkaErrorCode::ProducerFenced
            )
        )
    };
    let meta = if opts.exactly_once {
        Some(
            consumer
                .group_metadata()
                .ok_or_else(|| ReplayError::Delivery {
                    reason: "the consumer has no group metadata to commit the DLQ position with"
                        .into(),
                })?,
        )
    } else {
        None
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = (|| -> Result<(), KafkaError> {
            match sent.take() {
                Some(streamed) => streamed?,
                None => {
                    begin(producer, opts)?;
                    for c in batch {
                        send(producer, c)?;
                    }
                }
            }
            drain(producer, timeout)?;
            if let Some(meta) = &meta {
                producer.send_offsets_to_transaction(&offsets, meta, timeout)?;
                producer.commit_transaction(timeout)?;
            }
            Ok(())
        })();
        let failure = producer.context().take_failure();
        match (result, failure) {
            (Ok(()), None) => {
                if meta.is_none() {
                    consumer
                        .commit(&offsets, rdkafka::consumer::CommitMode::Sync)
                        .map_err(|source| ReplayError::Kafka {
                            what: "committing the DLQ position",
                            source,
                        })?;
                }
                return Ok(());
            }
            (Ok(()), Some(reason)) => {
                // Without transactions the good records of this batch are already written;
                // the position is not advanced, so a rerun sends them again (at-least-once).
                return Err(ReplayError::Delivery { reason });
            }
            (Err(e), _) if fenced(&e) => {
                return Err(ReplayError::Fenced {
                    group: opts.group.clone(),
                });
            }
            (Err(e), failure) => {
                if opts.exactly_once {
                    let _ = producer.abort_transaction(timeout);
                }
                if attempt >= 5 {
                    return Err(match failure {
                        Some(reason) => ReplayError::Delivery { reason },
                        None => ReplayError::Kafka {
                            what: "committing a replay batch",
                            source: e,
                        },
                    });
                }
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
        }
    }
}

/// Waits until every record sent so far is acknowledged, serving the delivery reports as they
/// come. (`flush` would do it in steps of 100 ms, which made each transaction 100 ms longer.)
pub(super) fn drain(
    producer: &BaseProducer<Deliveries>,
    timeout: Duration,
) -> Result<(), KafkaError> {
    let deadline = Instant::now() + timeout;
    while producer.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            return Err(KafkaError::Flush(
                rdkafka::types::RDKafkaErrorCode::OperationTimedOut,
            ));
        }
        // rdkafka's poll serves reports until its timeout is over, so the step is short.
        producer.poll(Duration::from_millis(2));
    }
    Ok(())
}

pub(super) fn send(producer: &BaseProducer<Deliveries>, c: &Candidate) -> Result<(), KafkaError> {
    let own = &c.record.headers;
    let mut headers = OwnedHeaders::new_with_capacity(own.len() + 2);
    for (k, v) in own {
        headers = headers.insert(Header {
            key: k,
            value: v.as_deref(),
        });
    }
    for (k, v) in &marks(c) {
        headers = headers.insert(Header {
            key: k,
            value: Some(v.as_ref()),
        });
    }
    let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&c.target).headers(headers);
    if let Some(k) = &c.record.key {
        rec = rec.key(k.as_slice());
    }
    if let Some(v) = &c.record.value {
        rec = rec.payload(v.as_slice());
    }
    if let Some(p) = c.partition {
        rec = rec.partition(p);
    }
    if let Some(ts) = c.timestamp {
        rec = rec.timestamp(ts);
    }
    let mut rec = Some(rec);
    while let Some(r) = rec.take() {
        match producer.send(r) {
            Ok(()) => {}
            Err((
                KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull),
                back,
            )) => {
                producer.poll(Duration::from_millis(2));
                rec = Some(back);
            }
            Err((e, _)) => return Err(e),
        }
    }
    // Delivery reports are served when the batch is drained before its commit.
    Ok(())
}

/// The producer of a replay.
pub(super) type Replayer = BaseProducer<Deliveries>;

/// Creates the producer, for transactions (exactly once) or idempotent produce (at least once).
/// Initialising transactions fences a zombie of an earlier replay of the same group.
pub(super) fn create_producer(
    kafka: &KafkaConfig,
    opts: &ReplayOptions,
    timeout: Duration,
) -> Result<Replayer, ReplayError> {
    let transactional_id = format!("{}-producer", opts.group);
    let mut pc = client_config(kafka);
    pc.set("enable.idempotence", "true")
        .set("acks", "all")
        // Keyed records land where the Java client puts them (murmur2), next to their siblings.
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("compression.type", "lz4")
        // A target that cannot take the records must fail the batch well inside the transaction.
        .set("message.timeout.ms", "30000")
        .set("retry.backoff.ms", "10");
    if opts.exactly_once {
        pc.set("transactional.id", &transactional_id);
        pc.set("transaction.timeout.ms", "60000");
    }
    let producer: Replayer = pc
        .create_with_context(Deliveries::default())
        .map_err(ReplayError::Config)?;
    // Initialise (and so fence) the transactional producer before the group's offsets are read:
    // a killed replay may have left a transaction open that holds uncommitted offsets for the
    // group, and a read_committed offset fetch waits until that transaction is resolved, which
    // init_transactions does by aborting it.
    if opts.exactly_once {
        producer
            .init_transactions(timeout)
            .map_err(|source| ReplayError::Transactions {
                transactional_id,
                source,
            })?;
    }
    Ok(producer)
}
