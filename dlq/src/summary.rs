//! The inspect summary: failures grouped by (connector, stage, exception class, message).
//!
//! [`Summarizer::add`] runs once per record of a possibly huge topic, so it works on the
//! borrowed [`RecordView`]: it hashes the four group fields in place and allocates only when a
//! group or an original topic is seen for the first time.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use serde::Serialize;

use crate::dialect::text;
use crate::record::RecordView;

/// One group of failures that share a cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The connector (Spring: the consumer group); `None` without context headers.
    pub connector: Option<String>,
    pub stage: Option<String>,
    /// The exception class.
    pub exception: Option<String>,
    pub message: Option<String>,
    pub count: u64,
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
    /// Distinct original topics, in order of first appearance.
    pub original_topics: Vec<String>,
    /// `PARTITION:OFFSET` of the group's first record in the DLQ, ready for `--show`.
    pub sample: String,
}

/// The whole summary: groups by descending count, and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub topic: String,
    pub groups: Vec<Group>,
    /// Records that passed the filters (the sum of the group counts).
    pub total: u64,
    /// Records read from the topic, matching or not.
    pub scanned: u64,
    /// Matching records without a known original topic-partition-offset.
    pub unknown_origin: u64,
    /// Matching records with a header name that is not UTF-8, and the first one
    /// (`PARTITION:OFFSET`).
    pub non_utf8_header_names: u64,
    pub first_non_utf8_header_names: Option<String>,
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
}

type Key = [Option<Box<[u8]>>; 4];

struct Acc {
    key: Key,
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
    topics: Vec<Box<[u8]>>,
    sample: (i32, i64),
}

/// Accumulates records into groups.
pub struct Summarizer {
    topic: String,
    hasher: RandomState,
    index: HashMap<u64, Vec<usize>>,
    groups: Vec<Acc>,
    scanned: u64,
    unknown_origin: u64,
    non_utf8: u64,
    first_non_utf8: Option<(i32, i64)>,
}

impl Summarizer {
    pub fn new(topic: &str) -> Summarizer {
        Summarizer {
            topic: topic.to_owned(),
            hasher: RandomState::new(),
            index: HashMap::new(),
            groups: Vec::new(),
            scanned: 0,
            unknown_origin: 0,
            non_utf8: 0,
            first_non_utf8: None,
        }
    }

    /// Counts a record that was read but filtered out.
    pub fn skip(&mut self) {
        self.scanned += 1;
    }

    /// Adds a matching record.
    pub fn add(&mut self, v: &RecordView<'_>) {
        self.scanned += 1;
        let c = &v.context;
        if c.non_utf8_names {
            self.non_utf8 += 1;
            self.first_non_utf8.get_or_insert((v.partition, v.offset));
        }
        let fields = [c.owner(), c.stage, c.exception_class, c.exception_message];
        let hash = self.hasher.hash_one(fields);
        let slot = self.index.entry(hash).or_default();
        let found = slot.iter().copied().find(|&i| {
            self.groups[i]
                .key
                .iter()
                .zip(fields)
                .all(|(a, b)| a.as_deref() == b)
        });
        let i = match found {
            Some(i) => i,
            None => {
                slot.push(self.groups.len());
                self.groups.push(Acc {
                    key: fields.map(|f| f.map(Box::from)),
                    count: 0,
                    first: None,
                    last: None,
                    topics: Vec::new(),
                    sample: (v.partition, v.offset),
                });
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        g.count += 1;
        if let Some(ts) = v.timestamp {
            g.first = Some(g.first.map_or(ts, |f| f.min(ts)));
            g.last = Some(g.last.map_or(ts, |l| l.max(ts)));
        }
        match c.origin() {
            Some((topic, _, _)) => {
                if !g.topics.iter().any(|t| **t == *topic) {
                    g.topics.push(Box::from(topic));
                }
            }
            None => self.unknown_origin += 1,
        }
    }

    pub fn finish(self) -> Summary {
        let s = |b: &Option<Box<[u8]>>| b.as_deref().map(|b| text(b).into_owned());
        let mut groups: Vec<Group> = self
            .groups
            .into_iter()
            .map(|g| Group {
                connector: s(&g.key[0]),
                stage: s(&g.key[1]),
                exception: s(&g.key[2]),
                message: s(&g.key[3]),
                count: g.count,
                first_timestamp: g.first,
                last_timestamp: g.last,
                original_topics: g.topics.iter().map(|t| text(t).into_owned()).collect(),
                sample: format!("{}:{}", g.sample.0, g.sample.1),
            })
            .collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.first_timestamp.cmp(&b.first_timestamp))
        });
        Summary {
            topic: self.topic,
            total: groups.iter().map(|g| g.count).sum(),
            first_timestamp: groups.iter().filter_map(|g| g.first_timestamp).min(),
            last_timestamp: groups.iter().filter_map(|g| g.last_timestamp).max(),
            groups,
            scanned: self.scanned,
            unknown_origin: self.unknown_origin,
            non_utf8_header_names: self.non_utf8,
            first_non_utf8_header_names: self.first_non_utf8.map(|(p, o)| format!("{p}:{o}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers;
    use crate::record::HeaderList;

    fn hs(topic: &'static [u8], msg: &'static [u8]) -> Vec<(&'static str, Option<&'static [u8]>)> {
        vec![
            (headers::TOPIC, Some(topic)),
            (headers::PARTITION, Some(b"0")),
            (headers::OFFSET, Some(b"1")),
            (headers::CONNECTOR, Some(b"c")),
            (headers::STAGE, Some(b"VALUE_CONVERTER")),
            (headers::EXCEPTION_CLASS, Some(b"E")),
            (headers::EXCEPTION_MESSAGE, Some(msg)),
        ]
    }

    #[test]
    fn groups_counts_topics_and_times() {
        let a1 = hs(b"t1", b"bad");
        let a2 = hs(b"t2", b"bad");
        let b = hs(b"t1", b"other");
        let mut s = Summarizer::new("dlq");
        let rec = |h: &'static [(&str, Option<&[u8]>)], off, ts| {
            RecordView::new("dlq", 0, off, Some(ts), None, None, HeaderList::Slice(h))
        };
        let (a1, a2, b) = (a1.leak(), a2.leak(), b.leak());
        s.add(&rec(a1, 10, 300));
        s.add(&rec(b, 11, 50));
        s.add(&rec(a2, 12, 100));
        s.add(&rec(&[], 13, 7));
        s.skip();
        let sum = s.finish();
        assert_eq!(sum.total, 4);
        assert_eq!(sum.scanned, 5);
        assert_eq!(sum.unknown_origin, 1);
        assert_eq!(sum.groups.len(), 3);
        let g = &sum.groups[0];
        assert_eq!(g.count, 2);
        assert_eq!(g.message.as_deref(), Some("bad"));
        assert_eq!(g.original_topics, ["t1", "t2"]);
        assert_eq!(
            (g.first_timestamp, g.last_timestamp),
            (Some(100), Some(300))
        );
        assert_eq!(g.sample, "0:10");
        let unknown = sum.groups.iter().find(|g| g.connector.is_none()).unwrap();
        assert_eq!((unknown.count, unknown.original_topics.len()), (1, 0));
        assert_eq!(
            (sum.first_timestamp, sum.last_timestamp),
            (Some(7), Some(300))
        );
    }
}
