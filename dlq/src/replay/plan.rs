//! Planning: what happens to one DLQ record. It may be filtered out, be a duplicate of a record
//! already replayed in this run, be quarantined after too many replays, fail a fix, stop the
//! replay (no origin to send it to), or become a [`Candidate`] for its target topic.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use rdkafka::message::{BorrowedMessage, Message};

use super::targets::Targets;
use super::{
    Preview, PreviewRecord, REPLAY_COUNT, REPLAY_SOURCE, ReplayError, ReplayOptions, ReplaySummary,
    Skipped,
};
use crate::dialect::Dialect;
use crate::fix::{self, Editable, Fix};
use crate::raw_headers;
use crate::record::{HeaderList, RecordView};

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

/// Origins already replayed in this run. A DLQ holds each origin partition's failures in offset
/// order unless several tasks or DLQ partitions interleave them, so each origin partition keeps
/// its offsets as a sorted list that grows at the end (8 bytes a record, no hashing), and only
/// an offset that arrives below the last one is looked up there and, if new, kept in a set.
/// Topics are numbered on first sight, so a record costs no allocation.
#[derive(Default)]
pub(super) struct Origins {
    topics: HashMap<Vec<u8>, u32>,
    partitions: HashMap<(u32, i32), Seen, BuildHasherDefault<OriginHasher>>,
}

#[derive(Default)]
struct Seen {
    in_order: Vec<i64>,
    out_of_order: HashSet<i64, BuildHasherDefault<OriginHasher>>,
}

/// A multiply-rotate hash for the integers of an origin (and the replay's per-partition maps): SipHash's protection against collision
/// attacks is not needed for offsets read from our own DLQ, and it cost a tenth of a replay's
/// time.
#[derive(Default)]
pub(super) struct OriginHasher(u64);

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
    /// Adds an origin; false when it was there already.
    fn insert(&mut self, topic: &[u8], partition: i32, offset: i64) -> bool {
        let n = self.topics.len() as u32;
        let id = match self.topics.get(topic) {
            Some(id) => *id,
            None => *self.topics.entry(topic.to_vec()).or_insert(n),
        };
        let seen = self.partitions.entry((id, partition)).or_default();
        match seen.in_order.last() {
            Some(&last) if offset <= last => {
                seen.in_order.binary_search(&offset).is_err() && seen.out_of_order.insert(offset)
            }
            _ => {
                seen.in_order.push(offset);
                true
            }
        }
    }
}

/// The decision for one DLQ record.
pub(super) enum Decision {
    Replay(Candidate),
    Skip,
    Stop(Skipped),
}

pub(super) fn count_target(targets: &mut BTreeMap<String, u64>, target: &str) {
    match targets.get_mut(target) {
        Some(n) => *n += 1,
        None => {
            targets.insert(target.to_owned(), 1);
        }
    }
}

/// Decides what happens to one DLQ record, counting skips into `batch`.
pub(super) fn decide(
    opts: &ReplayOptions,
    msg: &BorrowedMessage<'_>,
    seen_origins: &mut Origins,
    targets: &mut Targets,
    batch: &mut ReplaySummary,
    preview_left: &mut usize,
    max_message_bytes: usize,
) -> Result<Decision, ReplayError> {
    // Read out of the message once: every later pass (context, filter, own headers) then walks a
    // slice instead of calling into librdkafka per header. Names are bytes, so a name that is
    // not UTF-8 is replayed as it is.
    let collected: Vec<(&[u8], Option<&[u8]>)> = msg
        .headers()
        .map(|h| raw_headers::iter(h).collect())
        .unwrap_or_default();
    let headers = HeaderList::Raw(&collected);
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
    // `dlqtopic/partition/offset`, built for every replayed record (hence no format!).
    let source = || {
        let mut s = String::with_capacity(source_len(opts, msg));
        s.push_str(&opts.dlq_topic);
        s.push('/');
        s.push_str(itoa::Buffer::new().format(msg.partition()));
        s.push('/');
        s.push_str(itoa::Buffer::new().format(msg.offset()));
        s
    };
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
        (None, None) if view.context.dialect == Dialect::None => {
            return Ok(Decision::Stop(Skipped {
                source: source(),
                reason: "the record has no origin headers (was errors.deadletterqueue.context.headers.enable \
                         false?); rerun with --to TOPIC to choose its target"
                    .to_owned(),
            }));
        }
        (None, None) => {
            return Ok(Decision::Stop(Skipped {
                source: source(),
                reason: format!(
                    "the record's {} origin headers are incomplete or unreadable ({}); \
                     rerun with --to TOPIC to choose its target",
                    dialect_name(view.context.dialect),
                    unreadable_origin(&view)
                ),
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

    // The record's own headers, without the error context of the dialect it was read with
    // (Connect's `__connect.errors.*`, Spring's `kafka_dlt-*`) or an earlier replay's marks.
    let dialect = view.context.dialect;
    let mut count = 0u32;
    let mut own: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(collected.len());
    for (name, value) in view.headers.iter() {
        if name == REPLAY_COUNT.as_bytes() {
            count = value
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        } else if name == REPLAY_SOURCE.as_bytes() || dialect.owns(name) {
            continue;
        } else {
            own.push((name.to_vec(), value.map(<[u8]>::to_vec)));
        }
    }
    if view.context.non_utf8_names {
        batch.non_utf8_header_names += 1;
        if batch.first_non_utf8_header_names.is_none() {
            batch.first_non_utf8_header_names = Some(source());
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
        let subject = opts
            .avro_register
            .as_deref()
            .map(|schema| (format!("{target}-value"), schema));
        let register = subject.as_ref().map(|(s, schema)| (s.as_str(), *schema));
        match fix::apply_all_avro(&opts.fixes, record, opts.avro.as_deref(), register) {
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
    // Checked once per target, for records that are to be sent there (not quarantined ones).
    if let Err(reason) = targets.check(&target, opts) {
        return Ok(Decision::Stop(Skipped {
            source: source(),
            reason,
        }));
    }
    let size = wire_size(&record, count + 1, source_len(opts, msg));
    if size > max_message_bytes {
        let reason = format!(
            "the record is {size} bytes, more than the producer's message.max.bytes \
             ({max_message_bytes})"
        );
        if opts.skip_oversize {
            batch.oversize.push(Skipped {
                source: source(),
                reason,
            });
            return Ok(Decision::Skip);
        }
        return Ok(Decision::Stop(Skipped {
            source: source(),
            reason: format!("{reason}; {}", oversize_fix(size)),
        }));
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
        let original: Vec<(Vec<u8>, Option<Vec<u8>>)> = view
            .headers
            .iter()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect();
        let mut after = candidate.record.headers.clone();
        after.extend(
            marks(&candidate)
                .into_iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), Some(v.into_owned()))),
        );
        batch.preview.push(Preview {
            source: candidate.source.clone(),
            target: candidate.target.clone(),
            partition,
            before: PreviewRecord::new(msg.key(), msg.payload(), &original, opts.avro.as_deref()),
            after: PreviewRecord::new(
                candidate.record.key.as_deref(),
                candidate.record.value.as_deref(),
                &after,
                opts.avro.as_deref(),
            ),
        });
    }
    Ok(Decision::Replay(candidate))
}

/// The headers a replayed record gets on top of its own: the new replay count and its source.
pub(super) fn marks(c: &Candidate) -> [(&'static str, Cow<'_, [u8]>); 2] {
    [
        (
            REPLAY_COUNT,
            Cow::Owned(
                itoa::Buffer::new()
                    .format(c.replays + 1)
                    .as_bytes()
                    .to_vec(),
            ),
        ),
        (REPLAY_SOURCE, Cow::Borrowed(c.source.as_bytes())),
    ]
}

pub(super) fn fix_label(fix: &Fix) -> String {
    let s = format!("{fix:?}");
    s.split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Connect => "Kafka Connect",
        Dialect::Spring => "Spring Kafka",
        Dialect::None => "",
    }
}

/// Which of the three origin fields is missing or unreadable, with the raw value when present.
fn unreadable_origin(view: &RecordView<'_>) -> String {
    let c = &view.context;
    let (t, p, o) = match c.dialect {
        Dialect::Spring => (
            crate::dialect::SPRING_ORIGINAL_TOPIC,
            crate::dialect::SPRING_ORIGINAL_PARTITION,
            crate::dialect::SPRING_ORIGINAL_OFFSET,
        ),
        _ => (
            crate::headers::TOPIC,
            crate::headers::PARTITION,
            crate::headers::OFFSET,
        ),
    };
    let raw = |name: &str| {
        view.headers
            .iter()
            .filter(|(n, _)| *n == name.as_bytes())
            .last()
            .map(|(_, v)| v)
    };
    let mut problems = Vec::new();
    for (name, known) in [
        (t, c.original_topic.is_some()),
        (p, c.original_partition.is_some()),
        (o, c.original_offset.is_some()),
    ] {
        if known {
            continue;
        }
        problems.push(match raw(name) {
            None => format!("{name} is missing"),
            Some(None) => format!("{name} is null"),
            Some(Some(v)) => format!("{name} is {}", shown(v)),
        });
    }
    problems.join(", ")
}

/// A header value for an error message: text if it is printable UTF-8, else hex; cut at 40 bytes.
fn shown(v: &[u8]) -> String {
    let cut = &v[..v.len().min(40)];
    let more = if v.len() > 40 { "..." } else { "" };
    match std::str::from_utf8(cut) {
        Ok(t) if !t.chars().any(char::is_control) => format!("'{t}'{more}"),
        _ => {
            let hex: String = cut.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}{more} ({} bytes)", v.len())
        }
    }
}

/// What to do about a record too large to replay.
pub(super) fn oversize_fix(size: usize) -> String {
    format!(
        "rerun with -X message.max.bytes={size} or more (the target topic's max.message.bytes \
         must allow it too), or with --skip-oversize to leave it in the DLQ"
    )
}

/// The length of `dlqtopic/partition/offset` without formatting it.
fn source_len(opts: &ReplayOptions, msg: &BorrowedMessage<'_>) -> usize {
    fn digits(n: i64) -> usize {
        let mut len = if n < 0 { 2 } else { 1 };
        let mut n = n.unsigned_abs();
        while n >= 10 {
            n /= 10;
            len += 1;
        }
        len
    }
    opts.dlq_topic.len() + 2 + digits(msg.partition().into()) + digits(msg.offset())
}

/// The size librdkafka compares with the producer's `message.max.bytes` before it accepts a
/// record (`rd_kafka_msg_max_wire_size`: key, value, each header's name and value with their
/// varint lengths, and 36 bytes of record overhead), with the replay marks the record will get.
/// Computed, not guessed, so a record is refused here exactly when librdkafka would refuse it.
pub(super) fn wire_size(record: &Editable, replay_count: u32, source_len: usize) -> usize {
    fn varint(n: usize) -> usize {
        // librdkafka encodes the lengths zig-zag (n << 1), 7 bits per byte.
        let mut z = (n as u64) << 1;
        let mut len = 1;
        while z >= 0x80 {
            z >>= 7;
            len += 1;
        }
        len
    }
    let header = |name: usize, value: usize| name + value + varint(name) + varint(value);
    let count_len = replay_count.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut size = 36
        + record.key.as_ref().map_or(0, Vec::len)
        + record.value.as_ref().map_or(0, Vec::len)
        + header(REPLAY_COUNT.len(), count_len)
        + header(REPLAY_SOURCE.len(), source_len);
    for (name, value) in &record.headers {
        size += header(name.len(), value.as_ref().map_or(0, Vec::len));
    }
    size
}

#[cfg(test)]
mod tests {
    use super::Origins;

    #[test]
    fn origins_seen_in_any_order_are_duplicates() {
        let mut o = Origins::default();
        for (topic, p, offset, new) in [
            ("a", 0, 5, true),
            ("a", 0, 9, true),
            ("a", 0, 9, false),
            ("a", 0, 5, false),
            // Below the last one but never seen, then seen.
            ("a", 0, 7, true),
            ("a", 0, 7, false),
            ("a", 0, 2, true),
            ("a", 0, 2, false),
            ("a", 0, 10, true),
            // Other partitions and topics keep their own.
            ("a", 1, 5, true),
            ("b", 0, 5, true),
            ("b", 0, 5, false),
        ] {
            assert_eq!(
                o.insert(topic.as_bytes(), p, offset),
                new,
                "{topic}-{p}@{offset}"
            );
        }
    }
}
