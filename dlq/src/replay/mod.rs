//! Replay: DLQ records back into their source topics, optionally fixed, exactly once.
//!
//! Exactly-once rests on Kafka transactions (KIP-98/447): each batch of replayed records and the
//! DLQ read position of the replay group are committed in one transaction, so a replay killed at
//! any point and run again neither loses nor duplicates a record for `read_committed` readers.
//! The transactional id is derived from the group, so a new run fences a zombie of the old one.
//!
//! The replay group does not join the group protocol: partitions are assigned by hand from the
//! group's committed offsets, which avoids rebalance delays and works for one replay at a time per
//! group (the transactional id's fencing enforces that).
//!
//! Records are never guessed at: one with no origin (and no `--to`), one bound for a topic that
//! does not exist or cannot exist, or one too large to write stops the replay before it, with the
//! position committed up to there, so the user can fix the cause, rerun, and lose nothing.
//!
//! The work is split by what it does: `plan` decides what happens to each DLQ record (filters,
//! duplicates, quarantine, fixes, size), `targets` checks each target topic once, `editor` hands
//! batches to `--edit`, and `transaction` produces a batch and commits it with the DLQ position.
//! This module holds the options, the report, and the loop that reads the DLQ batch by batch.

mod editor;
mod plan;
mod targets;
mod transaction;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::Serialize;

use crate::filter::Filter;
use crate::fix::{self, Fix};
use crate::inspect::KafkaConfig;

use editor::edit_batch;
pub use editor::{EditAborted, Editor};
pub use plan::Candidate;
use plan::{Decision, Origins, decide};
use targets::Targets;
pub use targets::invalid_topic_name;
use transaction::{abort, begin, commit_batch, create_producer, refused, send};

/// Header counting how often a record has been replayed (UTF-8 decimal).
pub const REPLAY_COUNT: &str = "connectctl.replay.count";
/// Header naming the DLQ record a replayed record came from: `dlqtopic/partition/offset`.
pub const REPLAY_SOURCE: &str = "connectctl.replay.source";

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub dlq_topic: String,
    /// The consumer group that remembers how far the DLQ has been replayed.
    pub group: String,
    /// Send every record here instead of its original topic.
    pub to: Option<String>,
    /// Produce to the record's original partition instead of partitioning by key.
    pub keep_partition: bool,
    /// Records already replayed this many times are quarantined (reported, not replayed).
    pub max_replays: u32,
    pub fixes: Vec<Fix>,
    /// Abort on the first record a fix cannot apply to, instead of skipping it.
    pub strict: bool,
    pub filter: Filter,
    /// Stop after this many records have been replayed.
    pub limit: Option<u64>,
    /// Records per second, at most.
    pub rate: Option<f64>,
    /// Transactions (default) or plain idempotent produce followed by an offset commit.
    pub exactly_once: bool,
    /// Records per transaction, at most.
    pub batch_size: usize,
    /// Only plan: read and decide, produce and commit nothing.
    pub dry_run: bool,
    /// How many replayed records to show before and after the fixes (dry run and confirmation).
    pub preview: usize,
    /// Skip records older than this (epoch ms) or below this offset; they stay behind the
    /// replay position like any filtered record.
    pub since: Option<i64>,
    pub from_offset: Option<i64>,
    /// Create target topics that do not exist (with the broker's default partitions and
    /// replication) instead of stopping at the first record bound for one.
    pub create_topics: bool,
    /// Leave records too large for the producer or the target topic in the DLQ (reported in
    /// `oversize`) instead of stopping at the first one.
    pub skip_oversize: bool,
    /// Decodes and re-encodes Avro keys and values (Confluent wire format) for fixes.
    pub avro: Option<std::sync::Arc<std::sync::Mutex<crate::avro::AvroDecoder>>>,
    /// An evolved Avro schema (its JSON text) to register under `TARGET-value` and encode fixed
    /// Avro values with, instead of the schema they were written with.
    pub avro_register: Option<String>,
}

impl ReplayOptions {
    /// Defaults for replaying `dlq_topic`: group `connectctl-replay-<dlq>`, exactly once.
    pub fn new(dlq_topic: &str) -> ReplayOptions {
        ReplayOptions {
            dlq_topic: dlq_topic.to_owned(),
            group: default_group(dlq_topic, &Filter::default()),
            to: None,
            keep_partition: false,
            max_replays: 3,
            fixes: Vec::new(),
            strict: false,
            filter: Filter::default(),
            limit: None,
            rate: None,
            exactly_once: true,
            batch_size: 50_000,
            dry_run: false,
            preview: 0,
            since: None,
            from_offset: None,
            create_topics: false,
            skip_oversize: false,
            avro: None,
            avro_register: None,
        }
    }
}

/// The replay group for a DLQ: `connectctl-replay-<dlq>`. A filtered replay gets a group of its
/// own (suffixed by a hash of the filter), so replaying one cause now and another later never
/// skips the second cause's records.
pub fn default_group(dlq_topic: &str, filter: &Filter) -> String {
    if filter.is_empty() {
        format!("connectctl-replay-{dlq_topic}")
    } else {
        format!(
            "connectctl-replay-{dlq_topic}-{:08x}",
            fnv1a(format!("{filter:?}").as_bytes()) as u32
        )
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// A record that was not replayed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `dlqtopic/partition/offset`
    pub source: String,
    pub reason: String,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplaySummary {
    pub group: String,
    pub replayed: u64,
    pub skipped_by_filter: u64,
    /// Same origin as a record replayed earlier in this run (Connect's DLQ is at-least-once).
    pub duplicates: u64,
    pub quarantined: Vec<Skipped>,
    pub fix_failed: Vec<Skipped>,
    /// Records replayed per target topic.
    pub targets: BTreeMap<String, u64>,
    pub transactions: u64,
    /// Set when the replay stopped early, e.g. at a record with no origin.
    pub stopped: Option<Skipped>,
    /// The first records to replay, before and after the fixes.
    pub preview: Vec<Preview>,
    /// Records the user chose to skip in the editor (`--edit`).
    pub skipped_by_user: u64,
    /// The user aborted in the editor; batches before that one are replayed and committed.
    pub aborted: bool,
    pub dry_run: bool,
    pub elapsed_ms: u64,
    /// Records too large to replay, left in the DLQ (`--skip-oversize`).
    pub oversize: Vec<Skipped>,
    /// Target topics created (in a dry run: to be created) because of `--create-topics`.
    pub created_topics: Vec<String>,
    /// Records with a header name that is not UTF-8 (replayed byte for byte), and the first one.
    pub non_utf8_header_names: u64,
    pub first_non_utf8_header_names: Option<String>,
}

impl ReplaySummary {
    /// Whether anything needs the user's attention (non-zero exit).
    pub fn has_failures(&self) -> bool {
        !self.fix_failed.is_empty() || self.stopped.is_some()
    }
}

/// One record as it is in the DLQ and as it would be replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub source: String,
    pub target: String,
    pub partition: Option<i32>,
    pub before: PreviewRecord,
    pub after: PreviewRecord,
}

/// Key, value and headers as text (lossy UTF-8) for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewRecord {
    pub key: Option<String>,
    pub value: Option<String>,
    pub headers: Vec<(String, Option<String>)>,
}

impl PreviewRecord {
    /// With a registry, an Avro key or value (Confluent wire format) is shown as its JSON
    /// followed by ` (Avro, schema id N)`, so a fix's change can be read before it is made.
    fn new(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(Vec<u8>, Option<Vec<u8>>)],
        avro: Option<&std::sync::Mutex<crate::avro::AvroDecoder>>,
    ) -> Self {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let payload = |b: &[u8]| {
            let decoded = avro
                .filter(|_| connect_avro::wire::is_framed(b))
                .and_then(|dec| {
                    dec.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .decode(Some(b))
                });
            match decoded {
                Some(crate::avro::Decoded {
                    json: Some(json),
                    schema,
                }) => format!("{json} (Avro, schema id {})", schema.id),
                _ => text(b),
            }
        };
        PreviewRecord {
            key: key.map(payload),
            value: value.map(payload),
            headers: headers
                .iter()
                .map(|(k, v)| (text(k), v.as_deref().map(text)))
                .collect(),
        }
    }
}

/// Progress, reported after every transaction.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub read: u64,
    pub replayed: u64,
    /// Records between the start position and the end of the DLQ when the replay began.
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("invalid Kafka client setting")]
    Config(#[source] KafkaError),
    #[error(
        "cannot read the DLQ topic {topic} (does it exist, and are the bootstrap servers right?)"
    )]
    Metadata {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("topic {0} does not exist")]
    UnknownTopic(String),
    #[error(
        "the brokers refused transactions for {transactional_id} (Kafka < 2.5, or no \
         TransactionalId ACL): rerun with --at-least-once"
    )]
    Transactions {
        transactional_id: String,
        #[source]
        source: KafkaError,
    },
    #[error(
        "another replay with group {group} took over (its producer fenced this one); \
         let it finish, or use --group for an independent replay"
    )]
    Fenced { group: String },
    #[error("{what} failed")]
    Kafka {
        what: &'static str,
        #[source]
        source: KafkaError,
    },
    #[error("record {record} cannot be fixed (fix #{}: {error}); aborting because of --strict", index + 1)]
    Strict {
        record: String,
        index: usize,
        error: fix::FixError,
    },
    #[error("the brokers did not accept replayed records: {reason}")]
    Delivery { reason: String },
    /// A record that can never be written as it is (too large, or a topic Kafka refuses): the
    /// batch is aborted without retrying and nothing after the previous batch is committed.
    #[error("record {record} cannot be replayed to {topic}: {reason}; {fix}")]
    Rejected {
        /// `dlqtopic/partition/offset`
        record: String,
        topic: String,
        reason: String,
        fix: String,
    },
}

/// Per-partition offsets of the DLQ, looked up for every record read: hashed with the origins'
/// cheap hasher rather than SipHash.
type PartitionMap<V> = HashMap<i32, V, BuildHasherDefault<plan::OriginHasher>>;

pub(super) fn client_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    if let Some(b) = &kafka.bootstrap_servers {
        c.set("bootstrap.servers", b);
    }
    for (k, v) in &kafka.properties {
        c.set(k, v);
    }
    c
}

/// Replays the DLQ from the group's position to the end the DLQ had when the replay started.
pub fn replay(
    kafka: &KafkaConfig,
    opts: &ReplayOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ReplaySummary, ReplayError> {
    replay_with_editor(kafka, opts, progress, None)
}

/// [`replay`], showing each batch to `editor` before it is produced. With an editor, a batch is
/// produced only after the editor returns, so no transaction stays open while a person reads.
pub fn replay_with_editor(
    kafka: &KafkaConfig,
    opts: &ReplayOptions,
    progress: &mut dyn FnMut(Progress),
    mut editor: Option<&mut Editor<'_>>,
) -> Result<ReplaySummary, ReplayError> {
    let started = Instant::now();
    let timeout = kafka.timeout.max(Duration::from_secs(10));

    let mut config = client_config(kafka);
    // The reading side of `dlq inspect` (see there), without librdkafka's default pause of a
    // second whenever its queue fills: the replay drains it faster than that (1,000,000
    // records: 9.4 -> 4.4 s). `-X` settings still win.
    let fetch_max = crate::inspect::fetch_max_bytes(&kafka.properties);
    for (k, v) in [
        ("queued.max.messages.kbytes", "32768"),
        ("fetch.max.bytes", fetch_max.as_str()),
        ("max.partition.fetch.bytes", "4194304"),
        ("fetch.queue.backoff.ms", "10"),
    ] {
        if !kafka.properties.iter().any(|(key, _)| key == k) {
            config.set(k, v);
        }
    }
    let consumer: BaseConsumer = config
        .set("group.id", &opts.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // Only committed DLQ records: a replay never resurrects an aborted write.
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "false")
        .create()
        .map_err(ReplayError::Config)?;

    let md = consumer
        .fetch_metadata(Some(&opts.dlq_topic), timeout)
        .map_err(|source| ReplayError::Metadata {
            topic: opts.dlq_topic.clone(),
            source,
        })?;
    let topic_md = md
        .topics()
        .first()
        .filter(|t| t.error().is_none() && !t.partitions().is_empty());
    let Some(topic_md) = topic_md else {
        return Err(ReplayError::UnknownTopic(opts.dlq_topic.clone()));
    };
    let partitions: Vec<i32> = topic_md.partitions().iter().map(|p| p.id()).collect();

    let producer = if opts.dry_run {
        None
    } else {
        Some(create_producer(kafka, opts, timeout)?)
    };

    // Where to start (the group's committed offset) and where to stop (today's end).
    let mut wanted = TopicPartitionList::new();
    for p in &partitions {
        wanted.add_partition(&opts.dlq_topic, *p);
    }
    // A dry run does not fence anything, so an open transaction of a killed replay can hold the
    // offsets until it times out (transaction.timeout.ms, 60 s): wait that long.
    let committed = consumer
        .committed_offsets(wanted, timeout.max(Duration::from_secs(70)))
        .map_err(|source| ReplayError::Kafka {
            what: "reading the replay group's offsets",
            source,
        })?;
    let mut start: PartitionMap<i64> = PartitionMap::default();
    let mut end: PartitionMap<i64> = PartitionMap::default();
    let mut total = 0u64;
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(&opts.dlq_topic, *p, timeout)
            .map_err(|source| ReplayError::Kafka {
                what: "reading the DLQ's offsets",
                source,
            })?;
        let from = committed
            .find_partition(&opts.dlq_topic, *p)
            .and_then(|e| match e.offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            })
            .unwrap_or(low)
            .max(low);
        start.insert(*p, from);
        end.insert(*p, high);
        if from < high {
            total += (high - from) as u64;
            assignment
                .add_partition_offset(&opts.dlq_topic, *p, Offset::Offset(from))
                .map_err(|source| ReplayError::Kafka {
                    what: "assigning the DLQ",
                    source,
                })?;
        }
    }

    let mut summary = ReplaySummary {
        group: opts.group.clone(),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    if assignment.count() == 0 {
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        return Ok(summary);
    }
    consumer
        .assign(&assignment)
        .map_err(|source| ReplayError::Kafka {
            what: "assigning the DLQ",
            source,
        })?;

    let mut remaining: HashSet<i32> = start
        .iter()
        .filter(|(p, from)| **from < end[*p])
        .map(|(p, _)| *p)
        .collect();
    let mut seen_origins = Origins::default();
    let mut targets = Targets::load(kafka, &consumer, opts, timeout)?;
    let max_message_bytes = max_message_bytes(kafka);
    let mut preview_left = opts.preview;
    let mut read = 0u64;
    let rate_started = Instant::now();
    // Without an editor, records are produced as soon as they are decided, inside the batch's
    // transaction, so producing overlaps reading; they are also kept in case the transaction
    // has to be retried.
    let stream = producer.is_some() && editor.is_none();

    'batches: while !remaining.is_empty() {
        // Offsets to commit with this batch: the next offset after the last record handled.
        let mut next: PartitionMap<i64> = PartitionMap::default();
        let mut batch: Vec<Candidate> = Vec::new();
        let mut sent: Option<Result<(), KafkaError>> = None;
        let mut batch_summary = ReplaySummary::default();
        let batch_started = Instant::now();
        let mut stop: Option<Skipped> = None;

        let mut polls = 0u32;
        while batch.len() < opts.batch_size
            && !remaining.is_empty()
            // The clock is read every 64 records: a read per record was a thirtieth of the time.
            && (!polls.is_multiple_of(64) || batch_started.elapsed() < Duration::from_millis(1000))
        {
            polls = polls.wrapping_add(1);
            if let Some(limit) = opts.limit {
                if summary.replayed + batch.len() as u64 >= limit {
                    remaining.clear();
                    break;
                }
            }
            let Some(msg) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let msg = msg.map_err(|source| ReplayError::Kafka {
                what: "reading the DLQ",
                source,
            })?;
            let p = msg.partition();
            if msg.offset() >= end[&p] {
                remaining.remove(&p);
                continue;
            }
            read += 1;
            match decide(
                opts,
                &msg,
                &mut seen_origins,
                &mut targets,
                &mut batch_summary,
                &mut preview_left,
                max_message_bytes,
            )? {
                Decision::Stop(skipped) => {
                    stop = Some(skipped);
                    break;
                }
                Decision::Skip => {}
                Decision::Replay(c) => {
                    if let (true, Some(producer)) = (stream, &producer) {
                        if sent.is_none() {
                            sent = Some(begin(producer, opts));
                        }
                        if let Some(Ok(())) = sent {
                            let result = send(producer, &c);
                            if let Some(refusal) =
                                result.as_ref().err().and_then(|e| refused(&c, e))
                            {
                                let _ = abort(producer, opts, timeout);
                                return Err(refusal);
                            }
                            sent = Some(result);
                        }
                    }
                    batch.push(c);
                }
            }
            next.insert(p, msg.offset() + 1);
            if msg.offset() + 1 >= end[&p] {
                remaining.remove(&p);
            }
        }

        if next.is_empty() && stop.is_none() {
            continue;
        }
        if let Some(editor) = editor.as_deref_mut() {
            if edit_batch(editor, &mut batch, &mut batch_summary).is_err() {
                summary.aborted = true;
                break 'batches;
            }
        }
        if let Some(producer) = &producer {
            let oversize =
                commit_batch(producer, &consumer, opts, &mut batch, sent, &next, timeout)?;
            if !oversize.is_empty() {
                // Taken out of the batch by commit_batch: no longer counted for their targets.
                batch_summary.targets.clear();
                for c in &batch {
                    plan::count_target(&mut batch_summary.targets, &c.target);
                }
                batch_summary.oversize.extend(oversize);
            }
            summary.transactions += 1;
        }
        let produced = batch.len() as u64;
        summary.preview.append(&mut batch_summary.preview);
        summary.replayed += produced;
        summary.skipped_by_filter += batch_summary.skipped_by_filter;
        summary.skipped_by_user += batch_summary.skipped_by_user;
        summary.duplicates += batch_summary.duplicates;
        summary.quarantined.append(&mut batch_summary.quarantined);
        summary.fix_failed.append(&mut batch_summary.fix_failed);
        summary.oversize.append(&mut batch_summary.oversize);
        summary.non_utf8_header_names += batch_summary.non_utf8_header_names;
        if summary.first_non_utf8_header_names.is_none() {
            summary.first_non_utf8_header_names = batch_summary.first_non_utf8_header_names.take();
        }
        summary.created_topics = targets.created.clone();
        for (t, n) in batch_summary.targets {
            *summary.targets.entry(t).or_default() += n;
        }
        progress(Progress {
            read,
            replayed: summary.replayed,
            total,
        });
        if let Some(s) = stop {
            summary.stopped = Some(s);
            break 'batches;
        }
        if let Some(rate) = opts.rate {
            // Sleep until the average rate is back under the limit.
            let due = Duration::from_secs_f64(summary.replayed as f64 / rate.max(0.001));
            if let Some(wait) = due.checked_sub(rate_started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// The producer's `message.max.bytes`: the `-X` setting, else librdkafka's default.
fn max_message_bytes(kafka: &KafkaConfig) -> usize {
    kafka
        .properties
        .iter()
        .rev()
        .find(|(k, _)| k == "message.max.bytes")
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(1_000_000)
}
