//! Reading a DLQ topic without changing anything: partitions are assigned and seeked directly,
//! so the reader never joins a consumer group and never commits an offset. What `inspect`
//! shows is therefore exactly what is in the topic, and running it twice shows the same thing.
//!
//! The reader uses a `BaseConsumer` polled on the caller's thread with `enable.partition.eof`,
//! and stops at each partition's high watermark as it was when reading started (unless
//! following), so a busy DLQ still gives a finite, consistent answer.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::cause::Analyzer;
use crate::error::DlqError;
use crate::filter::Filter;
use crate::record::{DeadLetter, HeaderList, RecordView};
use crate::summary::{Summarizer, Summary};

/// How to reach Kafka: bootstrap servers plus any librdkafka properties (`-X key=value`), so
/// SASL and SSL are configured exactly as for kcat.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// May be `None` when `bootstrap.servers` is among the properties.
    pub bootstrap_servers: Option<String>,
    pub properties: Vec<(String, String)>,
    /// Bound on connecting and on any single metadata or offset request.
    pub timeout: Duration,
}

impl KafkaConfig {
    pub fn new(bootstrap_servers: &str) -> KafkaConfig {
        KafkaConfig {
            bootstrap_servers: Some(bootstrap_servers.to_owned()),
            properties: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }

    /// The bootstrap servers in effect (a `bootstrap.servers` property wins, as it is applied last).
    pub fn bootstrap(&self) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
            .map(|(_, v)| v.as_str())
            .or(self.bootstrap_servers.as_deref())
    }

    fn consumer(&self) -> Result<BaseConsumer<Capture>, DlqError> {
        let mut c = ClientConfig::new();
        if let Some(b) = &self.bootstrap_servers {
            c.set("bootstrap.servers", b);
        }
        c.set("client.id", "connectctl-dlq-inspect");
        // librdkafka refuses assign() without a group id; nothing joins or commits with it.
        c.set(
            "group.id",
            format!("connectctl-inspect-{}", std::process::id()),
        );
        c.set("auto.offset.reset", "earliest");
        // Fetches of 16 MiB queued up to 32 MiB keep the reader busy: over 1,000,000 records
        // of 1 KB, 100 MiB fetches and a 256 MiB queue were slower (2.7 s against 2.0 s) and
        // peaked at twice the memory (580 against 270 MiB).
        c.set("queued.max.messages.kbytes", "32768");
        c.set("fetch.max.bytes", fetch_max_bytes(&self.properties));
        c.set("max.partition.fetch.bytes", "4194304");
        // Once its queue is full librdkafka waits this long before fetching again (1 s by
        // default): a reader faster than one fetch per second would sit idle most of the time.
        c.set("fetch.queue.backoff.ms", "10");
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        // Read-only no matter what -X said: nothing is ever committed or stored.
        c.set("enable.auto.commit", "false");
        c.set("enable.auto.offset.store", "false");
        c.set("enable.partition.eof", "true");
        c.create_with_context(Capture::default())
            .map_err(DlqError::Config)
    }
}

/// 16 MiB, or `message.max.bytes` when `-X` raised it above that: librdkafka refuses a
/// client whose fetches are smaller than its largest message.
pub(crate) fn fetch_max_bytes(properties: &[(String, String)]) -> String {
    const DEFAULT: u64 = 16 << 20;
    properties
        .iter()
        .find(|(k, _)| k == "message.max.bytes")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .map_or(DEFAULT, |m| m.max(DEFAULT))
        .to_string()
}

/// Keeps librdkafka's most telling error (e.g. "Connect to ipv4#127.0.0.1:1 failed: Connection
/// refused") so an unreachable cluster is reported in one line instead of a log flood.
#[derive(Default)]
struct Capture {
    reason: Mutex<Option<String>>,
}

impl ClientContext for Capture {
    fn error(&self, error: KafkaError, reason: &str) {
        let mut r = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        // "1/1 brokers are down" follows the real cause; keep the cause.
        let generic = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::AllBrokersDown)
        );
        if r.is_none() || !generic {
            *r = Some(reason.to_owned());
        }
    }

    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {}
}

impl ConsumerContext for Capture {}

/// Where reading starts in each partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Beginning,
    /// The same offset in every partition, clamped to what the partition holds.
    Offset(i64),
    /// The first record at or after this time (milliseconds since the epoch).
    Timestamp(i64),
}

/// The offsets read in one partition: `start..end`, where `end` is the high watermark at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRange {
    pub partition: i32,
    pub low: i64,
    pub start: i64,
    pub end: i64,
}

/// A read-only reader over one topic.
pub struct Reader {
    consumer: BaseConsumer<Capture>,
    topic: String,
    ranges: Vec<PartitionRange>,
    follow: bool,
    timeout: Duration,
}

impl Reader {
    /// Connects, checks the topic exists, resolves the start offsets and assigns the partitions.
    /// `partitions` limits reading to some partitions; `follow` keeps reading past the end.
    pub fn open(
        cfg: &KafkaConfig,
        topic: &str,
        start: Start,
        partitions: Option<&[i32]>,
        follow: bool,
    ) -> Result<Reader, DlqError> {
        let consumer = cfg.consumer()?;
        let ids = partitions_of(&consumer, cfg, topic)?;
        let wanted: Vec<i32> = match partitions {
            Some(ps) => {
                for &p in ps {
                    if !ids.contains(&p) {
                        return Err(DlqError::NoSuchPartition {
                            topic: topic.to_owned(),
                            partition: p,
                            count: ids.len(),
                        });
                    }
                }
                ps.to_vec()
            }
            None => ids,
        };
        let read_err = |source| DlqError::Read {
            topic: topic.to_owned(),
            source,
        };
        let mut ranges = Vec::with_capacity(wanted.len());
        for &p in &wanted {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, cfg.timeout)
                .map_err(read_err)?;
            ranges.push(PartitionRange {
                partition: p,
                low,
                start: low,
                end: high,
            });
        }
        match start {
            Start::Beginning => {}
            Start::Offset(o) => {
                for r in &mut ranges {
                    r.start = o.clamp(r.low, r.end);
                }
            }
            Start::Timestamp(ts) => {
                let mut tpl = TopicPartitionList::new();
                for r in &ranges {
                    tpl.add_partition_offset(topic, r.partition, Offset::Offset(ts))
                        .map_err(read_err)?;
                }
                let found = consumer
                    .offsets_for_times(tpl, cfg.timeout)
                    .map_err(read_err)?;
                for r in &mut ranges {
                    let at = found.find_partition(topic, r.partition).map(|e| e.offset());
                    r.start = match at {
                        Some(Offset::Offset(o)) => o.clamp(r.low, r.end),
                        // No record at or after the time: nothing to read here.
                        _ => r.end,
                    };
                }
            }
        }
        let mut tpl = TopicPartitionList::new();
        for r in ranges.iter().filter(|r| follow || r.start < r.end) {
            tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.start))
                .map_err(read_err)?;
        }
        consumer.assign(&tpl).map_err(read_err)?;
        Ok(Reader {
            consumer,
            topic: topic.to_owned(),
            ranges,
            follow,
            timeout: cfg.timeout,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn ranges(&self) -> &[PartitionRange] {
        &self.ranges
    }

    /// How many records lie between the start offsets and the high watermarks (an upper bound:
    /// transaction markers and compaction leave gaps).
    pub fn expected(&self) -> u64 {
        self.ranges
            .iter()
            .map(|r| (r.end - r.start).max(0) as u64)
            .sum()
    }

    /// Calls `f` for each record in offset order per partition until every partition reaches
    /// its end (or forever when following), or `f` breaks. Returns the number of records read.
    pub fn run<F>(&mut self, mut f: F) -> Result<u64, DlqError>
    where
        F: FnMut(&RecordView<'_>) -> ControlFlow<()>,
    {
        let max_p = self
            .ranges
            .iter()
            .map(|r| r.partition)
            .max()
            .unwrap_or(0)
            .max(0) as usize;
        // Per partition id: the end offset, or None once it is done.
        let mut ends: Vec<Option<i64>> = vec![None; max_p + 1];
        let mut active = 0usize;
        for r in &self.ranges {
            if self.follow || r.start < r.end {
                ends[r.partition as usize] = Some(r.end);
                active += 1;
            }
        }
        let mut read = 0u64;
        let mut last_progress = Instant::now();
        while self.follow || active > 0 {
            let Some(res) = self.consumer.poll(Duration::from_millis(200)) else {
                if !self.follow
                    && last_progress.elapsed() > self.timeout.max(Duration::from_secs(30))
                {
                    return Err(DlqError::Unreachable {
                        bootstrap: String::from("the partition leaders"),
                        timeout_secs: self.timeout.max(Duration::from_secs(30)).as_secs(),
                        reason: self
                            .reason()
                            .unwrap_or_else(|| "no data arrived".to_owned()),
                    });
                }
                continue;
            };
            last_progress = Instant::now();
            let m = match res {
                Ok(m) => m,
                Err(KafkaError::PartitionEOF(p)) => {
                    if !self.follow {
                        if let Some(e) = ends.get_mut(p as usize) {
                            if e.take().is_some() {
                                active -= 1;
                            }
                        }
                    }
                    continue;
                }
                Err(KafkaError::MessageConsumption(code)) if is_transient(code) => continue,
                Err(source) => {
                    return Err(DlqError::Read {
                        topic: self.topic.clone(),
                        source,
                    });
                }
            };
            let p = m.partition();
            let Some(slot) = ends.get_mut(p as usize) else {
                continue;
            };
            if !self.follow {
                let Some(end) = *slot else { continue };
                if m.offset() >= end {
                    *slot = None;
                    active -= 1;
                    continue;
                }
                if m.offset() + 1 >= end {
                    *slot = None;
                    active -= 1;
                }
            }
            read += 1;
            let headers = m.headers().map_or(HeaderList::None, HeaderList::Kafka);
            let view = RecordView::new(
                m.topic(),
                p,
                m.offset(),
                m.timestamp().to_millis(),
                m.key(),
                m.payload(),
                headers,
            );
            if f(&view).is_break() {
                break;
            }
        }
        Ok(read)
    }

    fn reason(&self) -> Option<String> {
        self.consumer
            .context()
            .reason
            .lock()
            .ok()
            .and_then(|r| r.clone())
    }
}

fn is_transient(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::NotLeaderForPartition
            | RDKafkaErrorCode::LeaderNotAvailable
    )
}

/// The partition ids of `topic`, or a clear error when Kafka is unreachable or the topic
/// does not exist.
fn partitions_of(
    consumer: &BaseConsumer<Capture>,
    cfg: &KafkaConfig,
    topic: &str,
) -> Result<Vec<i32>, DlqError> {
    let unreachable = |fallback: String| DlqError::Unreachable {
        bootstrap: cfg
            .bootstrap()
            .unwrap_or("(no bootstrap servers)")
            .to_owned(),
        timeout_secs: cfg.timeout.as_secs(),
        reason: consumer
            .context()
            .reason
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .unwrap_or(fallback),
    };
    let md = consumer
        .fetch_metadata(Some(topic), cfg.timeout)
        .map_err(|e| unreachable(e.to_string()))?;
    let t = md.topics().iter().find(|t| t.name() == topic);
    match t {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
            let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
            ids.sort_unstable();
            Ok(ids)
        }
        _ => {
            let similar = consumer
                .fetch_metadata(None, cfg.timeout)
                .map(|md| {
                    let mut v: Vec<String> = md
                        .topics()
                        .iter()
                        .map(|t| t.name().to_owned())
                        .filter(|n| looks_like_dlq(n))
                        .collect();
                    v.sort();
                    v.truncate(10);
                    v
                })
                .unwrap_or_default();
            Err(DlqError::UnknownTopic {
                topic: topic.to_owned(),
                similar,
            })
        }
    }
}

fn looks_like_dlq(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.starts_with("__")
        && (n.contains("dlq") || n.contains("dead") || n.ends_with(".dlt") || n.contains("error"))
}

/// Reads the topic (filtered, at most `limit` matching records) into a summary. `progress` is
/// called now and then with the number of records read so far.
pub fn summarize(
    reader: &mut Reader,
    filter: &Filter,
    limit: Option<u64>,
    mut progress: impl FnMut(u64),
) -> Result<Summary, DlqError> {
    let mut s = Summarizer::new(reader.topic());
    let mut matched = 0u64;
    let mut read = 0u64;
    reader.run(|v| {
        read += 1;
        if read.is_multiple_of(4096) {
            progress(read);
        }
        if filter.matches(v) {
            s.add(v);
            matched += 1;
            if limit.is_some_and(|l| matched >= l) {
                return ControlFlow::Break(());
            }
        } else {
            s.skip();
        }
        ControlFlow::Continue(())
    })?;
    progress(read);
    Ok(s.finish())
}

/// Calls `f` with each record that passes `filter`, at most `limit` of them; returns how many.
pub fn for_each_match(
    reader: &mut Reader,
    filter: &Filter,
    limit: Option<u64>,
    mut f: impl FnMut(&RecordView<'_>) -> ControlFlow<()>,
) -> Result<u64, DlqError> {
    let mut matched = 0u64;
    reader.run(|v| {
        if !filter.matches(v) {
            return ControlFlow::Continue(());
        }
        matched += 1;
        f(v)?;
        if limit.is_some_and(|l| matched >= l) {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    Ok(matched)
}

/// Calls `f` with each matching record as an owned [`DeadLetter`], at most `limit` of them.
pub fn for_each_record(
    reader: &mut Reader,
    filter: &Filter,
    limit: Option<u64>,
    mut f: impl FnMut(DeadLetter) -> ControlFlow<()>,
) -> Result<u64, DlqError> {
    let mut analyzer = Analyzer::default();
    for_each_match(reader, filter, limit, |v| {
        f(DeadLetter::from_view_with(v, &mut analyzer))
    })
}

/// Reads matching records into a vector (tests and small topics).
pub fn collect(
    reader: &mut Reader,
    filter: &Filter,
    limit: Option<u64>,
) -> Result<Vec<DeadLetter>, DlqError> {
    let mut out = Vec::new();
    for_each_record(reader, filter, limit, |d| {
        out.push(d);
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// Reads the one record at `partition:offset`.
pub fn fetch_one(
    cfg: &KafkaConfig,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<DeadLetter, DlqError> {
    let mut reader = Reader::open(cfg, topic, Start::Offset(offset), Some(&[partition]), false)?;
    let r = reader.ranges()[0];
    if offset < r.low || offset >= r.end {
        return Err(DlqError::OffsetOutOfRange {
            topic: topic.to_owned(),
            partition,
            offset,
            low: r.low,
            high: r.end,
        });
    }
    let mut found = None;
    reader.run(|v| {
        if v.offset == offset {
            found = Some(DeadLetter::from_view(v));
            return ControlFlow::Break(());
        }
        // Compaction or a transaction marker can leave the exact offset empty.
        if v.offset > offset {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    found.ok_or(DlqError::OffsetOutOfRange {
        topic: topic.to_owned(),
        partition,
        offset,
        low: r.low,
        high: r.end,
    })
}
