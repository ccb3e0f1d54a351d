//! Header dialects: how different frameworks describe a failed record in its DLQ copy.
//!
//! - Kafka Connect writes `__connect.errors.*` (see [`crate::headers`]): UTF-8 text, numbers as
//!   decimal strings, and a null `exception.message` when the Java exception had none.
//! - Spring Kafka's `DeadLetterPublishingRecoverer` writes `kafka_dlt-*`: the topic and the
//!   exception texts are UTF-8, but the original partition is a 4-byte big-endian int and the
//!   offset and timestamp are 8-byte big-endian longs.
//! - Anything else (or Connect with `context.headers.enable=false`) carries no context at all;
//!   such records are reported as of unknown origin rather than guessed at.
//!
//! Decoding borrows from the message and never fails: a value of the wrong size or encoding is
//! dropped (or read as decimal text if it is that) and the rest of the record is still decoded.
//! The inspect summary decodes millions of records this way, so nothing here allocates.

use serde::Serialize;

use crate::headers::PREFIX as CONNECT_PREFIX;

/// The prefix of Spring Kafka's dead letter headers.
pub const SPRING_PREFIX: &str = "kafka_dlt-";
pub const SPRING_ORIGINAL_TOPIC: &str = "kafka_dlt-original-topic";
pub const SPRING_ORIGINAL_PARTITION: &str = "kafka_dlt-original-partition";
pub const SPRING_ORIGINAL_OFFSET: &str = "kafka_dlt-original-offset";
pub const SPRING_ORIGINAL_TIMESTAMP: &str = "kafka_dlt-original-timestamp";
pub const SPRING_ORIGINAL_CONSUMER_GROUP: &str = "kafka_dlt-original-consumer-group";
pub const SPRING_EXCEPTION_FQCN: &str = "kafka_dlt-exception-fqcn";
pub const SPRING_EXCEPTION_CAUSE_FQCN: &str = "kafka_dlt-exception-cause-fqcn";
pub const SPRING_EXCEPTION_MESSAGE: &str = "kafka_dlt-exception-message";
pub const SPRING_EXCEPTION_STACKTRACE: &str = "kafka_dlt-exception-stacktrace";

/// Which framework's headers described the failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Kafka Connect's `__connect.errors.*`.
    Connect,
    /// Spring Kafka's `kafka_dlt-*`.
    Spring,
    /// No context headers: origin and cause are unknown.
    #[default]
    None,
}

/// The failure context of one record, borrowed from its headers. Texts stay raw bytes so that
/// filtering and grouping need no UTF-8 validation or copies; see [`text`] to display them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawContext<'a> {
    pub dialect: Dialect,
    pub original_topic: Option<&'a [u8]>,
    pub original_partition: Option<i32>,
    pub original_offset: Option<i64>,
    pub original_timestamp: Option<i64>,
    pub connector: Option<&'a [u8]>,
    pub task: Option<i32>,
    pub stage: Option<&'a [u8]>,
    pub class: Option<&'a [u8]>,
    pub exception_class: Option<&'a [u8]>,
    /// Spring's `exception-cause-fqcn`: the class of the exception's direct cause.
    pub cause_class: Option<&'a [u8]>,
    pub exception_message: Option<&'a [u8]>,
    pub stacktrace: Option<&'a [u8]>,
    /// Spring's `original-consumer-group`: the listener's group, the closest thing to a connector.
    pub consumer_group: Option<&'a [u8]>,
    /// Some header name of the record is not UTF-8 (kept byte for byte; worth a warning).
    pub non_utf8_names: bool,
}

impl<'a> RawContext<'a> {
    /// Decodes the context from a record's headers, in order (a `None` value is a null header).
    /// When a record carries both dialects, which happens only if someone chained the two
    /// frameworks, Connect's headers win because they are the ones this tool replays by.
    pub fn decode<I>(headers: I) -> RawContext<'a>
    where
        I: IntoIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    {
        let mut ctx = RawContext::default();
        let mut connect = false;
        let mut spring = RawContext::default();
        let mut has_spring = false;
        for (name, value) in headers {
            // Names are bytes: a DLQ may hold records whose producer wrote names that are not
            // UTF-8. Most are ASCII, for which the check is a quick scan.
            if !name.is_ascii() && std::str::from_utf8(name).is_err() {
                ctx.non_utf8_names = true;
            }
            if let Some(field) = name.strip_prefix(CONNECT_PREFIX.as_bytes()) {
                connect = true;
                // A record replayed through a DLQ-enabled connector again carries two sets;
                // the last one describes the latest failure.
                match field {
                    b"topic" => ctx.original_topic = value,
                    b"partition" => ctx.original_partition = value.and_then(decimal),
                    b"offset" => ctx.original_offset = value.and_then(decimal),
                    b"connector.name" => ctx.connector = value,
                    b"task.id" => ctx.task = value.and_then(decimal),
                    b"stage" => ctx.stage = value,
                    b"class.name" => ctx.class = value,
                    b"exception.class.name" => ctx.exception_class = value,
                    b"exception.message" => ctx.exception_message = value,
                    b"exception.stacktrace" => ctx.stacktrace = value,
                    _ => {}
                }
            } else if let Some(field) = name.strip_prefix(SPRING_PREFIX.as_bytes()) {
                has_spring = true;
                let s = &mut spring;
                match field {
                    b"original-topic" => s.original_topic = value,
                    b"original-partition" => {
                        s.original_partition = value.and_then(|v| be_i32(v).or_else(|| decimal(v)))
                    }
                    b"original-offset" => {
                        s.original_offset = value.and_then(|v| be_i64(v).or_else(|| decimal(v)))
                    }
                    b"original-timestamp" => {
                        s.original_timestamp = value.and_then(|v| be_i64(v).or_else(|| decimal(v)))
                    }
                    b"original-consumer-group" => s.consumer_group = value,
                    b"exception-fqcn" => s.exception_class = value,
                    b"exception-cause-fqcn" => s.cause_class = value,
                    b"exception-message" => s.exception_message = value,
                    b"exception-stacktrace" => s.stacktrace = value,
                    _ => {}
                }
            }
        }
        if connect {
            ctx.dialect = Dialect::Connect;
            ctx
        } else if has_spring {
            spring.dialect = Dialect::Spring;
            spring.non_utf8_names = ctx.non_utf8_names;
            spring
        } else {
            ctx
        }
    }

    /// The headers that describe this context in its dialect, in the order the framework writes
    /// them (Kafka Connect's `DeadLetterQueueReporter`, Spring's `DeadLetterPublishingRecoverer`):
    /// the inverse of [`RawContext::decode`] for the fields the dialect has. Connect always writes
    /// `exception.message`, null when the exception had none. `Dialect::None` has no headers.
    pub fn encode(&self) -> Vec<(&'static str, Option<Vec<u8>>)> {
        use crate::headers as c;
        let b = |v: Option<&[u8]>| v.map(<[u8]>::to_vec);
        let dec = |n: Option<String>| n.map(String::into_bytes);
        let mut out: Vec<(&'static str, Option<Vec<u8>>)> = Vec::new();
        let mut put = |name: &'static str, v: Option<Vec<u8>>, always: bool| {
            if v.is_some() || always {
                out.push((name, v));
            }
        };
        match self.dialect {
            Dialect::None => {}
            Dialect::Connect => {
                put(c::TOPIC, b(self.original_topic), false);
                put(
                    c::PARTITION,
                    dec(self.original_partition.map(|p| p.to_string())),
                    false,
                );
                put(
                    c::OFFSET,
                    dec(self.original_offset.map(|o| o.to_string())),
                    false,
                );
                put(c::CONNECTOR, b(self.connector), false);
                put(c::TASK, dec(self.task.map(|t| t.to_string())), false);
                put(c::STAGE, b(self.stage), false);
                put(c::CLASS, b(self.class), false);
                put(c::EXCEPTION_CLASS, b(self.exception_class), false);
                put(c::EXCEPTION_MESSAGE, b(self.exception_message), true);
                put(c::EXCEPTION_STACKTRACE, b(self.stacktrace), false);
            }
            Dialect::Spring => {
                let be4 = |v: Option<i32>| v.map(|v| v.to_be_bytes().to_vec());
                let be8 = |v: Option<i64>| v.map(|v| v.to_be_bytes().to_vec());
                put(SPRING_ORIGINAL_TOPIC, b(self.original_topic), false);
                put(
                    SPRING_ORIGINAL_PARTITION,
                    be4(self.original_partition),
                    false,
                );
                put(SPRING_ORIGINAL_OFFSET, be8(self.original_offset), false);
                put(
                    SPRING_ORIGINAL_TIMESTAMP,
                    be8(self.original_timestamp),
                    false,
                );
                put(
                    SPRING_ORIGINAL_CONSUMER_GROUP,
                    b(self.consumer_group),
                    false,
                );
                put(SPRING_EXCEPTION_FQCN, b(self.exception_class), false);
                put(SPRING_EXCEPTION_CAUSE_FQCN, b(self.cause_class), false);
                put(SPRING_EXCEPTION_MESSAGE, b(self.exception_message), false);
                put(SPRING_EXCEPTION_STACKTRACE, b(self.stacktrace), false);
            }
        }
        out
    }

    /// The original topic-partition-offset, when all three are known.
    pub fn origin(&self) -> Option<(&'a [u8], i32, i64)> {
        match (
            self.original_topic,
            self.original_partition,
            self.original_offset,
        ) {
            (Some(t), Some(p), Some(o)) => Some((t, p, o)),
            _ => None,
        }
    }

    /// Who failed the record: the connector, or for Spring the listener's consumer group.
    pub fn owner(&self) -> Option<&'a [u8]> {
        self.connector.or(self.consumer_group)
    }
}

impl Dialect {
    /// Whether a header of this name is part of the dialect's failure context (and so is removed
    /// when the record is replayed). Headers of another dialect belong to the record itself: a
    /// Spring DLT record that then failed in a Connect sink keeps its `kafka_dlt-*` headers.
    pub fn owns(self, name: &[u8]) -> bool {
        match self {
            Dialect::Connect => name.starts_with(CONNECT_PREFIX.as_bytes()),
            Dialect::Spring => name.starts_with(SPRING_PREFIX.as_bytes()),
            Dialect::None => false,
        }
    }
}

/// Bytes as text for display: borrowed when valid UTF-8, else with replacement characters.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

fn decimal<T: std::str::FromStr>(v: &[u8]) -> Option<T> {
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

fn be_i32(v: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(v.try_into().ok()?))
}

fn be_i64(v: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(v.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers;

    fn bytes<'a>(
        hs: Vec<(&'a str, Option<&'a [u8]>)>,
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> {
        hs.into_iter().map(|(k, v)| (k.as_bytes(), v))
    }

    #[test]
    fn connect_headers() {
        let hs: Vec<(&str, Option<&[u8]>)> = vec![
            ("app", Some(b"x")),
            (headers::TOPIC, Some(b"orders")),
            (headers::PARTITION, Some(b"3")),
            (headers::OFFSET, Some(b"42")),
            (headers::CONNECTOR, Some(b"sink")),
            (headers::TASK, Some(b"1")),
            (headers::STAGE, Some(b"VALUE_CONVERTER")),
            (headers::EXCEPTION_MESSAGE, None),
        ];
        let c = RawContext::decode(bytes(hs));
        assert_eq!(c.dialect, Dialect::Connect);
        assert_eq!(c.origin(), Some((&b"orders"[..], 3, 42)));
        assert_eq!(c.task, Some(1));
        assert_eq!(c.exception_message, None);
        assert_eq!(c.owner(), Some(&b"sink"[..]));
    }

    #[test]
    fn spring_binary_headers() {
        let p = 7i32.to_be_bytes();
        let o = 123_456_789_012i64.to_be_bytes();
        let ts = 1_700_000_000_000i64.to_be_bytes();
        let hs: Vec<(&str, Option<&[u8]>)> = vec![
            (SPRING_ORIGINAL_TOPIC, Some(b"payments")),
            (SPRING_ORIGINAL_PARTITION, Some(&p)),
            (SPRING_ORIGINAL_OFFSET, Some(&o)),
            (SPRING_ORIGINAL_TIMESTAMP, Some(&ts)),
            (SPRING_ORIGINAL_CONSUMER_GROUP, Some(b"billing")),
            (
                SPRING_EXCEPTION_FQCN,
                Some(b"org.springframework.kafka.listener.ListenerExecutionFailedException"),
            ),
            (
                SPRING_EXCEPTION_CAUSE_FQCN,
                Some(b"java.lang.IllegalStateException"),
            ),
            (SPRING_EXCEPTION_MESSAGE, Some(b"boom")),
        ];
        let c = RawContext::decode(bytes(hs));
        assert_eq!(c.dialect, Dialect::Spring);
        assert_eq!(c.origin(), Some((&b"payments"[..], 7, 123_456_789_012)));
        assert_eq!(c.original_timestamp, Some(1_700_000_000_000));
        assert_eq!(c.owner(), Some(&b"billing"[..]));
        assert_eq!(c.cause_class, Some(&b"java.lang.IllegalStateException"[..]));
    }

    #[test]
    fn spring_decimal_text_is_accepted_and_wrong_sizes_dropped() {
        let hs: Vec<(&str, Option<&[u8]>)> = vec![
            (SPRING_ORIGINAL_TOPIC, Some(b"t")),
            (SPRING_ORIGINAL_PARTITION, Some(b"12")),
            (SPRING_ORIGINAL_OFFSET, Some(&[1, 2, 3])),
        ];
        let c = RawContext::decode(bytes(hs));
        assert_eq!(c.original_partition, Some(12));
        assert_eq!(c.original_offset, None);
        assert_eq!(c.origin(), None);
    }

    #[test]
    fn no_headers_is_unknown() {
        let c = RawContext::decode(bytes(vec![("trace-id", Some(&b"1"[..]))]));
        assert_eq!(c.dialect, Dialect::None);
        assert_eq!(c, RawContext::default());
    }

    #[test]
    fn garbage_never_panics() {
        let junk: [&[u8]; 5] = [
            &[],
            &[0xff; 3],
            &[0; 4],
            &[0x80; 9],
            b"-99999999999999999999",
        ];
        let names = [
            headers::PARTITION,
            headers::OFFSET,
            headers::TASK,
            SPRING_ORIGINAL_PARTITION,
            SPRING_ORIGINAL_OFFSET,
            SPRING_ORIGINAL_TIMESTAMP,
            "__connect.errors.",
            "kafka_dlt-",
        ];
        for n in names {
            for j in junk {
                let _ = RawContext::decode(bytes(vec![(n, Some(j)), (n, None)]));
            }
        }
    }
}
