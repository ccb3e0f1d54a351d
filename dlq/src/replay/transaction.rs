//! The transaction of one batch: produce its records, wait for every acknowledgement, and commit
//! them together with the DLQ position (or, at least once, commit the position after them).

use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::plan::{Candidate, marks, oversize_fix, wire_size};
use super::{REPLAY_SOURCE, ReplayError, ReplayOptions, Skipped, client_config};
use crate::inspect::KafkaConfig;
use crate::raw_headers;

/// Remembers delivery failures: a transaction whose records failed must not commit, and the
/// user must hear the broker's reason (e.g. an unknown target topic, a record too large) and
/// which record it was.
#[derive(Default)]
pub(super) struct Deliveries {
    failed: std::sync::atomic::AtomicU64,
    /// A record was refused for good: waiting for the rest of the batch is pointless.
    refused: std::sync::atomic::AtomicBool,
    first: std::sync::Mutex<Option<Failure>>,
}

/// The first delivery failure since the last look.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub code: Option<RDKafkaErrorCode>,
    pub text: String,
    pub topic: String,
    /// `dlqtopic/partition/offset`, from the record's `connectctl.replay.source` header.
    pub record: Option<String>,
    /// Key plus value bytes.
    pub size: usize,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, m)) = result {
            self.failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
            // Keep the failure that explains the others: once a record is refused, the rest of
            // the transaction fails too, with errors about the transaction's state. Of several
            // records too large, the largest is the one to name.
            let code = e.rdkafka_error_code();
            let size = m.payload_len() + m.key_len();
            if permanent(code) {
                self.refused
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let better = match first.as_ref() {
                None => true,
                Some(f) if !permanent(f.code) => permanent(code),
                Some(f) => too_large(f.code) && too_large(code) && size > f.size,
            };
            if better {
                // Only on failure: the replay mark names the DLQ record this one came from.
                let record = m.headers().and_then(|h| {
                    raw_headers::iter(h)
                        .filter(|(n, _)| *n == REPLAY_SOURCE.as_bytes())
                        .last()
                        .and_then(|(_, v)| v)
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                });
                *first = Some(Failure {
                    code,
                    text: format!("{e} (topic {}, partition {})", m.topic(), m.partition()),
                    topic: m.topic().to_owned(),
                    record,
                    size,
                });
            }
        }
    }
}

impl Deliveries {
    /// Takes the failures since the last call.
    fn take_failure(&self) -> Option<Failure> {
        self.refused
            .store(false, std::sync::atomic::Ordering::Relaxed);
        if self.failed.swap(0, std::sync::atomic::Ordering::Relaxed) == 0 {
            return None;
        }
        let first = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        Some(first.unwrap_or(Failure {
            code: None,
            text: "unknown error".into(),
            topic: String::new(),
            record: None,
            size: 0,
        }))
    }
}

/// Whether a broker's (or librdkafka's) refusal is about the record or its topic, so that
/// sending the same batch again cannot succeed.
fn permanent(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::MessageBatchTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidTopic
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::PolicyViolation
                | RDKafkaErrorCode::InvalidRecord
        )
    )
}

fn too_large(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::MessageBatchTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
        )
    )
}

/// The error for a record the broker refused for good, with what to do about it.
fn rejected(failure: &Failure, batch: &[Candidate]) -> ReplayError {
    let record = failure
        .record
        .clone()
        .unwrap_or_else(|| "(unknown)".to_owned());
    let size = batch
        .iter()
        .find(|c| Some(&c.source) == failure.record.as_ref())
        .map(|c| wire_size(&c.record, c.replays + 1, c.source.len()))
        .unwrap_or(failure.size);
    let topic = failure.topic.clone();
    let (reason, fix) = if too_large(failure.code) {
        (
            format!(
                "the broker refused it as too large ({}): the record is about {size} bytes, more \
                 than the topic's max.message.bytes (or the broker's message.max.bytes) allows",
                failure.text
            ),
            format!(
                "raise max.message.bytes of {topic} (kafka-configs.sh --alter --entity-type topics \
                 --entity-name {topic} --add-config max.message.bytes={}), or rerun with \
                 --skip-oversize to leave it in the DLQ",
                size + 1024
            ),
        )
    } else {
        (
            format!("the broker refused it: {}", failure.text),
            "fix the topic (or rerun with --to TOPIC to send the records elsewhere); nothing of \
             this batch was committed"
                .to_owned(),
        )
    };
    ReplayError::Rejected {
        record,
        topic,
        reason,
        fix,
    }
}

/// The error for a record librdkafka refused when it was handed over (`send`), if it is about the
/// record itself rather than a passing condition.
pub(super) fn refused(c: &Candidate, e: &KafkaError) -> Option<ReplayError> {
    let code = e.rdkafka_error_code();
    if !permanent(code) {
        return None;
    }
    let size = wire_size(&c.record, c.replays + 1, c.source.len());
    let (reason, fix) = if too_large(code) {
        (
            format!("the record is {size} bytes, more than the producer's message.max.bytes"),
            oversize_fix(size),
        )
    } else {
        (
            e.to_string(),
            "rerun with --to TOPIC to choose another target".to_owned(),
        )
    };
    Some(ReplayError::Rejected {
        record: c.source.clone(),
        topic: c.target.clone(),
        reason,
        fix,
    })
}

/// Ends a failed transaction (exactly once; at least once there is none). librdkafka's abort
/// fails the records still queued or in flight and waits until their delivery reports are
/// served, which with a `BaseProducer` only a poll does; an abort that returns before that is
/// still in progress, and any other transactional call then fails with "Conflicting
/// abort_transaction API call is already in progress". So the abort is made in short attempts
/// with polls between them, until it completes or the broker would have aborted the transaction
/// itself (`transaction.timeout.ms`, 60 s).
pub(super) fn abort(
    producer: &Replayer,
    opts: &ReplayOptions,
    timeout: Duration,
) -> Result<(), ReplayError> {
    if !opts.exactly_once {
        return Ok(());
    }
    let deadline = Instant::now() + timeout.max(Duration::from_secs(70));
    loop {
        match producer.abort_transaction(Duration::from_millis(500)) {
            Ok(()) => {
                // The aborted records' reports (purged, or refused) say nothing about the
                // next attempt.
                let _ = producer.context().take_failure();
                return Ok(());
            }
            Err(e) if Instant::now() < deadline && resumable(&e) => {
                producer.poll(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(ReplayError::Kafka {
                    what: "aborting the failed replay transaction",
                    source,
                });
            }
        }
    }
}

/// An abort that has not finished yet (timed out, or still in progress from an earlier call).
fn resumable(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => {
            t.is_retriable()
                || matches!(
                    t.code(),
                    RDKafkaErrorCode::OperationTimedOut
                        | RDKafkaErrorCode::RequestTimedOut
                        | RDKafkaErrorCode::Conflict
                )
        }
        _ => false,
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
/// aborted and the whole batch is produced again; a record the broker refuses for good ends the
/// replay with an error naming it, except that with `--skip-oversize` a record too large for the
/// target topic is taken out of the batch (and returned) and the rest is produced again.
pub(super) fn commit_batch(
    producer: &Replayer,
    consumer: &BaseConsumer,
    opts: &ReplayOptions,
    batch: &mut Vec<Candidate>,
    mut sent: Option<Result<(), KafkaError>>,
    next: &super::PartitionMap<i64>,
    timeout: Duration,
) -> Result<Vec<Skipped>, ReplayError> {
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
            Some(RDKafkaErrorCode::Fenced | RDKafkaErrorCode::ProducerFenced)
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
    let mut oversize = Vec::new();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut refusal = None;
        let result = (|| -> Result<(), KafkaError> {
            match sent.take() {
                Some(streamed) => streamed?,
                None => {
                    begin(producer, opts)?;
                    for c in batch.iter() {
                        if let Err(e) = send(producer, c) {
                            refusal = refused(c, &e);
                            return Err(e);
                        }
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
        if let Some(refusal) = refusal {
            // The refusal is what the user needs to hear, whatever the abort says.
            let _ = abort(producer, opts, timeout);
            return Err(refusal);
        }
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
                return Ok(oversize);
            }
            (Err(e), _) if fenced(&e) => {
                return Err(ReplayError::Fenced {
                    group: opts.group.clone(),
                });
            }
            (result, Some(failure)) if permanent(failure.code) => {
                if result.is_err() {
                    let aborted = abort(producer, opts, timeout);
                    // Without a finished abort no new transaction can begin: report the
                    // refusal rather than retrying.
                    if aborted.is_err() {
                        return Err(rejected(&failure, batch));
                    }
                }
                let position = failure
                    .record
                    .as_ref()
                    .and_then(|r| batch.iter().position(|c| &c.source == r));
                match position {
                    // Exactly once: nothing of this attempt is visible, so the batch without
                    // the record can be produced again. (At least once, the other records are
                    // already written and a rerun sends them again: report instead.)
                    Some(i) if opts.skip_oversize && too_large(failure.code) && meta.is_some() => {
                        let c = batch.remove(i);
                        oversize.push(Skipped {
                            source: c.source.clone(),
                            reason: format!(
                                "the broker refused it as too large for {} ({})",
                                c.target, failure.text
                            ),
                        });
                        attempt = 0;
                    }
                    _ => return Err(rejected(&failure, batch)),
                }
            }
            (Ok(()), Some(failure)) => {
                // Without transactions the good records of this batch are already written;
                // the position is not advanced, so a rerun sends them again (at-least-once).
                return Err(ReplayError::Delivery {
                    reason: failure.text,
                });
            }
            (Err(e), failure) => {
                abort(producer, opts, timeout)?;
                if attempt >= 5 {
                    return Err(match failure {
                        Some(failure) => ReplayError::Delivery {
                            reason: failure.text,
                        },
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
    let refused = &producer.context().refused;
    while producer.in_flight_count() > 0 {
        // Once a record is refused the transaction can only be aborted, and librdkafka holds the
        // rest of the batch until then.
        if Instant::now() >= deadline || refused.load(std::sync::atomic::Ordering::Relaxed) {
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
    // Names as bytes: a header name that is not UTF-8 is replayed exactly as it came.
    for (k, v) in own {
        headers = raw_headers::add(headers, k, v.as_deref());
    }
    for (k, v) in &marks(c) {
        headers = raw_headers::add(headers, k.as_bytes(), Some(v.as_ref()));
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
