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
//! Records are never guessed at: one with no origin (and no `--to`) stops the replay before it,
//! with the position committed up to there, so the user can rerun with `--to` and lose nothing.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde::Serialize;

use crate::filter::Filter;
use crate::fix::{self, Editable, Fix};
use crate::headers::PREFIX;
use crate::inspect::KafkaConfig;
use crate::record::{HeaderList, RecordView};

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
    fn new(
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Option<Vec<u8>>)],
    ) -> Self {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        PreviewRecord {
            key: key.map(text),
            value: value.map(text),
            headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_deref().map(text)))
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
}

/// Remembers delivery failures: a transaction whose records failed must not commit, and the
/// user must hear the broker's reason (e.g. an unknown target topic, a record too large).
#[derive(Default)]
struct Deliveries {
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

/// A record about to be replayed: key, value and the record's own headers after the fixes. The
/// error context is gone; the replay marks are added when it is sent, so an editor sees (and can
/// change) exactly what the connector will get.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The DLQ record it comes from: `dlqtopic/partition/offset`.
    pub source: String,
    pub target: String,
    pub partition: Option<i32>,
    pub record: Editable,
    pub timestamp: Option<i64>,
    /// How often it was replayed before; the `connectctl.replay.count` sent is one more.
    pub replays: u32,
}

/// Lets the user look at each batch before it is replayed (`--edit`): the editor may change the
/// candidates, and removes those to skip, returning how many it removed; `Err(EditAborted)`
/// stops the replay before this batch, committing nothing of it.
pub type Editor<'e> = dyn FnMut(&mut Vec<Candidate>) -> Result<u64, EditAborted> + 'e;

/// The user aborted the replay in the editor.
#[derive(Debug, Clone, Copy)]
pub struct EditAborted;

/// Origins already replayed in this run, as (topic number, partition, offset): topics are
/// numbered on first sight, so a record costs no allocation.
#[derive(Default)]
struct Origins {
    topics: HashMap<Vec<u8>, u32>,
    seen: HashSet<(u32, i32, i64), BuildHasherDefault<OriginHasher>>,
}

/// A multiply-rotate hash for the three integers of an origin: SipHash's protection against
/// collision attacks is not needed for offsets read from our own DLQ, and it cost a tenth of a
/// replay's time.
#[derive(Default)]
struct OriginHasher(u64);

impl Hasher for OriginHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u32 as u64);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Origins {
    fn with_capacity(records: u64) -> Origins {
        let mut o = Origins::default();
        o.seen.reserve(records.min(1 << 24) as usize);
        o
    }

    /// Adds an origin; false when it was there already.
    fn insert(&mut self, topic: &[u8], partition: i32, offset: i64) -> bool {
        let n = self.topics.len() as u32;
        let id = match self.topics.get(topic) {
            Some(id) => *id,
            None => *self.topics.entry(topic.to_vec()).or_insert(n),
        };
        self.seen.insert((id, partition, offset))
    }
}

/// The decision for one DLQ record.
enum Decision {
    Replay(Candidate),
    Skip,
    Stop(Skipped),
}

fn client_config(kafka: &KafkaConfig) -> ClientConfig {
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

    let consumer: BaseConsumer = client_config(kafka)
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
    let producer: Option<BaseProducer<Deliveries>> = if opts.dry_run {
        None
    } else {
        Some(
            pc.create_with_context(Deliveries::default())
                .map_err(ReplayError::Config)?,
        )
    };
    // Initialise (and so fence) the transactional producer before reading the group's offsets:
    // a killed replay may have left a transaction open that holds uncommitted offsets for the
    // group, and a read_committed offset fetch waits until that transaction is resolved, which
    // init_transactions does by aborting it.
    if let (true, Some(producer)) = (opts.exactly_once, &producer) {
        producer
            .init_transactions(timeout)
            .map_err(|source| ReplayError::Transactions {
                transactional_id: transactional_id.clone(),
                source,
            })?;
    }

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
    let mut start: HashMap<i32, i64> = HashMap::new();
    let mut end: HashMap<i32, i64> = HashMap::new();
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
    let mut seen_origins = Origins::with_capacity(total);
    let mut preview_left = opts.preview;
    let mut read = 0u64;
    let rate_started = Instant::now();
    // Without an editor, records are produced as soon as they are decided, inside the batch's
    // transaction, so producing overlaps reading; they are also kept in case the transaction
    // has to be retried.
    let stream = producer.is_some() && editor.is_none();

    'batches: while !remaining.is_empty() {
        // Offsets to commit with this batch: the next offset after the last record handled.
        let mut next: HashMap<i32, i64> = HashMap::new();
        let mut batch: Vec<Candidate> = Vec::new();
        let mut sent: Option<Result<(), KafkaError>> = None;
        let mut batch_summary = ReplaySummary::default();
        let batch_started = Instant::now();
        let mut stop: Option<Skipped> = None;

        while batch.len() < opts.batch_size
            && !remaining.is_empty()
            && batch_started.elapsed() < Duration::from_millis(1000)
        {
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
                &mut batch_summary,
                &mut preview_left,
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
                            sent = Some(send(producer, &c));
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
            if !batch.is_empty() {
                match editor(&mut batch) {
                    Ok(skipped) => batch_summary.skipped_by_user += skipped,
                    Err(EditAborted) => {
                        summary.aborted = true;
                        break 'batches;
                    }
                }
                batch_summary.targets.clear();
                for c in &batch {
                    count_target(&mut batch_summary.targets, &c.target);
                }
            }
        }
        let produced = batch.len() as u64;
        if let Some(producer) = &producer {
            commit_batch(producer, &consumer, opts, &batch, sent, &next, timeout)?;
            summary.transactions += 1;
        }
        summary.preview.append(&mut batch_summary.preview);
        summary.replayed += produced;
        summary.skipped_by_filter += batch_summary.skipped_by_filter;
        summary.skipped_by_user += batch_summary.skipped_by_user;
        summary.duplicates += batch_summary.duplicates;
        summary.quarantined.append(&mut batch_summary.quarantined);
        summary.fix_failed.append(&mut batch_summary.fix_failed);
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

fn count_target(targets: &mut BTreeMap<String, u64>, target: &str) {
    match targets.get_mut(target) {
        Some(n) => *n += 1,
        None => {
            targets.insert(target.to_owned(), 1);
        }
    }
}

/// Decides what happens to one DLQ record, counting skips into `batch`.
fn decide(
    opts: &ReplayOptions,
    msg: &BorrowedMessage<'_>,
    seen_origins: &mut Origins,
    batch: &mut ReplaySummary,
    preview_left: &mut usize,
) -> Result<Decision, ReplayError> {
    // Read out of the message once: every later pass (context, filter, own headers) then walks a
    // slice instead of calling into librdkafka per header. rdkafka panics on a header name that
    // is not UTF-8; such a record goes on without headers, as in inspect.
    let collected: Vec<(&str, Option<&[u8]>)> = msg
        .headers()
        .and_then(|h| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                h.iter().map(|h| (h.key, h.value)).collect()
            }))
            .ok()
        })
        .unwrap_or_default();
    let headers = HeaderList::Slice(&collected);
    let view = RecordView::new(
        msg.topic(),
        msg.partition(),
        msg.offset(),
        msg.timestamp().to_millis(),
        msg.key(),
        msg.payload(),
        headers,
    );
    let too_old = opts
        .since
        .is_some_and(|t| view.timestamp.is_some_and(|ts| ts < t));
    let too_low = opts.from_offset.is_some_and(|o| msg.offset() < o);
    if too_old || too_low || !opts.filter.matches(&view) {
        batch.skipped_by_filter += 1;
        return Ok(Decision::Skip);
    }
    let source = || format!("{}/{}/{}", opts.dlq_topic, msg.partition(), msg.offset());
    let origin = view.context.origin();
    // A failed source record (connect-worker's source DLQ) never reached Kafka: its offset is
    // -1, so the origin identifies no single record and cannot tell duplicates apart.
    if let Some((topic, p, o)) = origin.filter(|(_, _, o)| *o >= 0) {
        if !seen_origins.insert(topic, p, o) {
            batch.duplicates += 1;
            return Ok(Decision::Skip);
        }
    }
    let target = match (&opts.to, origin) {
        (Some(to), _) => to.clone(),
        (None, Some((topic, _, _))) => String::from_utf8_lossy(topic).into_owned(),
        (None, None) => {
            return Ok(Decision::Stop(Skipped {
                source: source(),
                reason: "the record has no origin headers (was errors.deadletterqueue.context.headers.enable \
                         false?); rerun with --to TOPIC to choose its target"
                    .to_owned(),
            }));
        }
    };
    let partition = if opts.keep_partition {
        match origin {
            // -1: a source record whose connector chose no partition; the partitioner picks.
            Some((_, p, _)) if p < 0 => None,
            Some((_, p, _)) => Some(p),
            None => {
                return Ok(Decision::Stop(Skipped {
                    source: source(),
                    reason: "--keep-partition needs the original partition, and this record has no origin \
                             headers; rerun without --keep-partition"
                        .to_owned(),
                }));
            }
        }
    } else {
        None
    };

    // The record's own headers, without Connect's error context or an earlier replay's marks.
    let mut count = 0u32;
    let mut own: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for (name, value) in view.headers.iter() {
        if name == REPLAY_COUNT {
            count = value
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        } else if name == REPLAY_SOURCE || name.starts_with(PREFIX) {
            continue;
        } else {
            own.push((name.to_owned(), value.map(<[u8]>::to_vec)));
        }
    }
    if count >= opts.max_replays {
        batch.quarantined.push(Skipped {
            source: source(),
            reason: format!(
                "already replayed {count} times (--max-replays {})",
                opts.max_replays
            ),
        });
        return Ok(Decision::Skip);
    }

    let mut record = Editable {
        key: msg.key().map(<[u8]>::to_vec),
        value: msg.payload().map(<[u8]>::to_vec),
        headers: own,
    };
    if !opts.fixes.is_empty() {
        match fix::apply_all(&opts.fixes, &record) {
            Ok(fixed) => record = fixed,
            Err((index, error)) if opts.strict => {
                return Err(ReplayError::Strict {
                    record: source(),
                    index,
                    error,
                });
            }
            Err((index, error)) => {
                batch.fix_failed.push(Skipped {
                    source: source(),
                    reason: format!(
                        "fix #{} ({}): {error}",
                        index + 1,
                        fix_label(&opts.fixes[index])
                    ),
                });
                return Ok(Decision::Skip);
            }
        }
    }
    count_target(&mut batch.targets, &target);
    let candidate = Candidate {
        source: source(),
        target,
        partition,
        record,
        timestamp: msg.timestamp().to_millis(),
        replays: count,
    };
    if *preview_left > 0 {
        *preview_left -= 1;
        let original: Vec<(String, Option<Vec<u8>>)> = view
            .headers
            .iter()
            .map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec)))
            .collect();
        let mut after = candidate.record.headers.clone();
        after.extend(
            marks(&candidate)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Some(v.into_owned()))),
        );
        batch.preview.push(Preview {
            source: candidate.source.clone(),
            target: candidate.target.clone(),
            partition,
            before: PreviewRecord::new(msg.key(), msg.payload(), &original),
            after: PreviewRecord::new(
                candidate.record.key.as_deref(),
                candidate.record.value.as_deref(),
                &after,
            ),
        });
    }
    Ok(Decision::Replay(candidate))
}

/// The headers a replayed record gets on top of its own: the new replay count and its source.
fn marks(c: &Candidate) -> [(&'static str, Cow<'_, [u8]>); 2] {
    [
        (
            REPLAY_COUNT,
            Cow::Owned((c.replays + 1).to_string().into_bytes()),
        ),
        (REPLAY_SOURCE, Cow::Borrowed(c.source.as_bytes())),
    ]
}

fn fix_label(fix: &Fix) -> String {
    let s = format!("{fix:?}");
    s.split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

/// Starts a transaction (exactly once) for the next batch.
fn begin(producer: &BaseProducer<Deliveries>, opts: &ReplayOptions) -> Result<(), KafkaError> {
    if opts.exactly_once {
        producer.begin_transaction()?;
    }
    Ok(())
}

/// Commits one batch together with the DLQ position. `sent` is the outcome of producing the batch
/// while it was read (`None`: nothing produced yet). On a retriable failure the transaction is
/// aborted and the whole batch is produced again.
fn commit_batch(
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
fn drain(producer: &BaseProducer<Deliveries>, timeout: Duration) -> Result<(), KafkaError> {
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

fn send(producer: &BaseProducer<Deliveries>, c: &Candidate) -> Result<(), KafkaError> {
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
