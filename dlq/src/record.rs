//! One DLQ record, twice: [`RecordView`] borrows from the consumed message (the inspect summary
//! reads millions of these and keeps none), and [`DeadLetter`] owns everything and serialises to
//! the DLQ record JSON of the design (`--records -o jsonl`).

use base64::Engine as _;
use rdkafka::message::BorrowedHeaders;
use serde::ser::SerializeMap;
use std::borrow::Cow;

use serde::{Serialize, Serializer};

use crate::cause::{Analyzer, RootCause};
use crate::dialect::{Dialect, RawContext, text};
use crate::headers::Origin;

/// A record's headers in order, without copying them out of the message. Names are bytes:
/// Kafka does not require them to be UTF-8 (see [`crate::raw_headers`]).
#[derive(Clone, Copy)]
pub enum HeaderList<'a> {
    None,
    Kafka(&'a BorrowedHeaders),
    /// Headers with text names (tests, records built in code).
    Slice(&'a [(&'a str, Option<&'a [u8]>)]),
    /// Headers with names as bytes, e.g. read out of a message once.
    Raw(&'a [(&'a [u8], Option<&'a [u8]>)]),
}

impl<'a> HeaderList<'a> {
    pub fn iter(self) -> HeaderIter<'a> {
        HeaderIter {
            list: self,
            next: 0,
        }
    }
}

/// Iterates a [`HeaderList`] without boxing, since it runs once per record of a scan.
#[derive(Clone)]
pub struct HeaderIter<'a> {
    list: HeaderList<'a>,
    next: usize,
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next;
        self.next += 1;
        match self.list {
            HeaderList::None => None,
            HeaderList::Kafka(h) => crate::raw_headers::get(h, i),
            HeaderList::Slice(s) => s.get(i).map(|(k, v)| (k.as_bytes(), *v)),
            HeaderList::Raw(s) => s.get(i).copied(),
        }
    }
}

impl std::fmt::Debug for HeaderList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(k, v)| (text(k), v)))
            .finish()
    }
}

/// A consumed DLQ record, borrowed from the Kafka message.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch; Connect keeps the original record's timestamp.
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: HeaderList<'a>,
    pub context: RawContext<'a>,
}

impl<'a> RecordView<'a> {
    /// Builds a view, decoding the failure context from the headers.
    pub fn new(
        topic: &'a str,
        partition: i32,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
        headers: HeaderList<'a>,
    ) -> RecordView<'a> {
        let context = RawContext::decode(headers.iter());
        RecordView {
            topic,
            partition,
            offset,
            timestamp,
            key,
            value,
            headers,
            context,
        }
    }
}

/// The DLQ record JSON of the design: where it sits in the DLQ, where it came from, what failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    pub dlq: Position,
    pub dialect: Dialect,
    pub original: Option<Origin>,
    /// The connector (Connect), or the listener's consumer group (Spring).
    pub connector: Option<String>,
    pub task: Option<i32>,
    pub stage: Option<String>,
    /// The class that was executing (a converter, an SMT, or the sink task).
    pub class: Option<String>,
    pub exception: Exception,
    pub key: Payload,
    pub value: Payload,
    pub headers: Vec<Header>,
    /// The full stack trace; in the JSON it is one of `headers`, so it is not repeated.
    #[serde(skip)]
    pub stacktrace: Option<String>,
    /// Spring's original timestamp (Connect keeps it as the record's own timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_timestamp: Option<i64>,
    /// The value's registered schema, when it is Avro and a registry was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<crate::avro::SchemaRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<crate::avro::SchemaRef>,
}

/// Where a record sits in the DLQ topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub class: Option<String>,
    pub message: Option<String>,
    /// The deepest cause in the stack trace, when the record carries one.
    pub root_cause: Option<RootCause>,
    /// Spring's `exception-cause-fqcn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause_class: Option<String>,
}

/// A key, value or header value: text when it is valid UTF-8, else bytes (as `{"base64": ..}`);
/// `Null` for a null key, a tombstone value or a null header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Null,
    Text(String),
    Binary(Vec<u8>),
    /// Avro in the Confluent wire format, decoded through the registry.
    Avro(serde_json::Value),
}

impl Payload {
    pub fn from_bytes(b: Option<&[u8]>) -> Payload {
        match b {
            None => Payload::Null,
            Some(b) => match std::str::from_utf8(b) {
                Ok(s) => Payload::Text(s.to_owned()),
                Err(_) => Payload::Binary(b.to_vec()),
            },
        }
    }

    /// A one-line preview of at most `max` characters: text with control characters escaped,
    /// binary as hex, and `null` for a null.
    pub fn preview(&self, max: usize) -> String {
        let full = match self {
            Payload::Null => return "null".to_owned(),
            Payload::Text(s) => s.escape_debug().to_string(),
            Payload::Avro(j) => j.to_string().escape_debug().to_string(),
            Payload::Binary(b) => {
                let mut s = String::from("0x");
                for byte in b.iter().take(max) {
                    s.push_str(&format!("{byte:02x}"));
                }
                s
            }
        };
        truncate(&full, max)
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Null => s.serialize_none(),
            Payload::Text(t) => s.serialize_str(t),
            Payload::Avro(j) => j.serialize(s),
            Payload::Binary(b) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    "base64",
                    &base64::engine::general_purpose::STANDARD.encode(b),
                )?;
                m.end()
            }
        }
    }
}

/// One header; duplicates and order are kept, as Kafka does. The name is text when it is valid
/// UTF-8 (always, from Kafka Connect), else bytes (`{"base64": ...}` in JSON), like a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub key: Payload,
    pub value: Payload,
}

impl Header {
    /// The name as text, with replacement characters where it is not UTF-8.
    pub fn name(&self) -> Cow<'_, str> {
        match &self.key {
            Payload::Text(t) => Cow::Borrowed(t),
            Payload::Binary(b) => String::from_utf8_lossy(b),
            // Header names are never decoded.
            Payload::Null | Payload::Avro(_) => Cow::Borrowed(""),
        }
    }

    /// The name's bytes.
    pub fn name_bytes(&self) -> &[u8] {
        match &self.key {
            Payload::Text(t) => t.as_bytes(),
            Payload::Binary(b) => b,
            Payload::Null | Payload::Avro(_) => &[],
        }
    }
}

impl DeadLetter {
    /// Copies a view into an owned record, analysing its stack trace.
    pub fn from_view(v: &RecordView<'_>) -> DeadLetter {
        Self::from_view_with(v, &mut Analyzer::default())
    }

    /// [`DeadLetter::from_view`] reusing an analyzer's memory of traces seen before.
    pub fn from_view_with(v: &RecordView<'_>, analyzer: &mut Analyzer) -> DeadLetter {
        let c = &v.context;
        let s = |b: Option<&[u8]>| b.map(|b| text(b).into_owned());
        let stacktrace = s(c.stacktrace);
        let root_cause = stacktrace
            .as_deref()
            .and_then(|t| analyzer.root_cause(t))
            .cloned();
        DeadLetter {
            dlq: Position {
                topic: v.topic.to_owned(),
                partition: v.partition,
                offset: v.offset,
                timestamp: v.timestamp,
            },
            dialect: c.dialect,
            original: c.origin().map(|(t, partition, offset)| Origin {
                topic: text(t).into_owned(),
                partition,
                offset,
            }),
            connector: s(c.owner()),
            task: c.task,
            stage: s(c.stage),
            class: s(c.class),
            exception: Exception {
                class: s(c.exception_class),
                message: s(c.exception_message),
                root_cause,
                cause_class: s(c.cause_class),
            },
            key: Payload::from_bytes(v.key),
            value: Payload::from_bytes(v.value),
            headers: v
                .headers
                .iter()
                .map(|(k, val)| Header {
                    key: Payload::from_bytes(Some(k)),
                    value: Payload::from_bytes(val),
                })
                .collect(),
            stacktrace,
            original_timestamp: c.original_timestamp,
            schema: None,
            key_schema: None,
        }
    }

    /// Decodes an Avro key and value (Confluent wire format) through the registry; other
    /// payloads stay as they are. A value whose schema the registry lacks keeps its bytes and
    /// says why in `schema.error`.
    pub fn decode_avro(&mut self, decoder: &mut crate::avro::AvroDecoder) {
        fn raw(p: &Payload) -> Option<&[u8]> {
            match p {
                Payload::Text(t) => Some(t.as_bytes()),
                Payload::Binary(b) => Some(b),
                _ => None,
            }
        }
        let topic = self.original.as_ref().map(|o| o.topic.clone());
        let topic = topic.as_deref();
        if let Some(d) = decoder.decode_from(raw(&self.key), topic.map(|t| (t, "key"))) {
            if let Some(j) = d.json {
                self.key = Payload::Avro(j);
            }
            self.key_schema = Some(d.schema);
        }
        if let Some(d) = decoder.decode_from(raw(&self.value), topic.map(|t| (t, "value"))) {
            if let Some(j) = d.json {
                self.value = Payload::Avro(j);
            }
            self.schema = Some(d.schema);
        }
    }

    /// `topic-partition@offset` of the original record, `topic (source record)` for a source
    /// record that failed before it was written (offset -1), or `unknown`.
    pub fn origin_label(&self) -> String {
        match &self.original {
            Some(o) if o.offset < 0 => format!("{} (source record)", o.topic),
            Some(o) => format!("{}-{}@{}", o.topic, o.partition, o.offset),
            None => "unknown".to_owned(),
        }
    }
}

/// The same JSON as [`DeadLetter`], written straight from a borrowed view: `--records -o
/// jsonl` over a large DLQ then copies nothing but the output itself.
pub struct RecordJson<'a> {
    view: &'a RecordView<'a>,
    root_cause: Option<&'a RootCause>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    /// The value's registered schema, when it is Avro and a registry was given.
    schema: Option<crate::avro::SchemaRef>,
    key_schema: Option<crate::avro::SchemaRef>,
}

impl<'a> RecordJson<'a> {
    /// Borrows `v`; `analyzer` supplies the root cause (and remembers it for the next record).
    pub fn new(v: &'a RecordView<'a>, analyzer: &'a mut Analyzer) -> RecordJson<'a> {
        let root_cause = match v.context.stacktrace {
            Some(t) => analyzer.root_cause_of_bytes(t),
            None => None,
        };
        RecordJson {
            view: v,
            root_cause,
            key: None,
            value: None,
            schema: None,
            key_schema: None,
        }
    }

    /// Shows Avro keys and values (Confluent wire format) as JSON decoded through the registry,
    /// with their schemas; other payloads stay as they are.
    pub fn decode_avro(mut self, decoder: &mut crate::avro::AvroDecoder) -> RecordJson<'a> {
        let topic = self.view.context.origin().map(|(t, ..)| text(t));
        let topic = topic.as_deref();
        let mut buf = Vec::new();
        if let Some(schema) =
            decoder.decode_text(self.view.key, topic.map(|t| (t, "key")), &mut buf)
        {
            self.key = (!buf.is_empty()).then(|| std::mem::take(&mut buf));
            self.key_schema = Some(schema);
        }
        if let Some(schema) =
            decoder.decode_text(self.view.value, topic.map(|t| (t, "value")), &mut buf)
        {
            self.value = (!buf.is_empty()).then_some(buf);
            self.schema = Some(schema);
        }
        self
    }

    /// Appends the record's JSON: the bytes serde_json writes for the [`DeadLetter`] of the
    /// same view.
    pub fn write(&self, out: &mut Vec<u8>) {
        use connect_json_text::{write_int, write_key, write_opt_int, write_opt_str};
        let v = self.view;
        let c = &v.context;
        let opt_text =
            |out: &mut Vec<u8>, b: Option<&[u8]>| write_opt_str(out, b.map(text).as_deref());
        out.extend_from_slice(b"{\"dlq\":{\"topic\":");
        connect_json_text::write_str(out, v.topic);
        out.extend_from_slice(b",\"partition\":");
        write_int(out, v.partition);
        out.extend_from_slice(b",\"offset\":");
        write_int(out, v.offset);
        out.extend_from_slice(b",\"timestamp\":");
        write_opt_int(out, v.timestamp);
        out.extend_from_slice(b"},\"dialect\":");
        out.extend_from_slice(match c.dialect {
            Dialect::Connect => b"\"connect\"",
            Dialect::Spring => b"\"spring\"",
            Dialect::None => b"\"none\"",
        });
        out.extend_from_slice(b",\"original\":");
        match c.origin() {
            Some((topic, partition, offset)) => {
                out.extend_from_slice(b"{\"topic\":");
                connect_json_text::write_str(out, &text(topic));
                out.extend_from_slice(b",\"partition\":");
                write_int(out, partition);
                out.extend_from_slice(b",\"offset\":");
                write_int(out, offset);
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"connector\":");
        opt_text(out, c.owner());
        out.extend_from_slice(b",\"task\":");
        write_opt_int(out, c.task);
        out.extend_from_slice(b",\"stage\":");
        opt_text(out, c.stage);
        out.extend_from_slice(b",\"class\":");
        opt_text(out, c.class);
        out.extend_from_slice(b",\"exception\":{\"class\":");
        opt_text(out, c.exception_class);
        out.extend_from_slice(b",\"message\":");
        opt_text(out, c.exception_message);
        out.extend_from_slice(b",\"root_cause\":");
        match self.root_cause {
            Some(r) => {
                out.extend_from_slice(b"{\"exception\":");
                connect_json_text::write_str(out, &r.exception);
                out.extend_from_slice(b",\"message\":");
                connect_json_text::write_str(out, &r.message);
                out.extend_from_slice(b",\"frame\":");
                write_opt_str(out, r.frame.as_deref());
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        if let Some(cause) = c.cause_class {
            out.extend_from_slice(b",\"cause_class\":");
            connect_json_text::write_str(out, &text(cause));
        }
        out.extend_from_slice(b"},\"key\":");
        write_payload(out, v.key, self.key.as_deref());
        out.extend_from_slice(b",\"value\":");
        write_payload(out, v.value, self.value.as_deref());
        out.extend_from_slice(b",\"headers\":[");
        for (n, (key, value)) in v.headers.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"key\":");
            write_payload(out, Some(key), None);
            out.extend_from_slice(b",\"value\":");
            write_payload(out, value, None);
            out.push(b'}');
        }
        out.push(b']');
        if let Some(t) = c.original_timestamp {
            out.extend_from_slice(b",\"original_timestamp\":");
            write_int(out, t);
        }
        for (name, schema) in [("schema", &self.schema), ("key_schema", &self.key_schema)] {
            if let Some(s) = schema {
                out.push(b',');
                write_key(out, name);
                out.extend_from_slice(b"{\"id\":");
                write_int(out, s.id);
                out.extend_from_slice(b",\"subject\":");
                write_opt_str(out, s.subject.as_deref());
                out.extend_from_slice(b",\"version\":");
                write_opt_int(out, s.version);
                if let Some(e) = &s.error {
                    out.extend_from_slice(b",\"error\":");
                    connect_json_text::write_str(out, e);
                }
                out.push(b'}');
            }
        }
        out.push(b'}');
    }
}

/// A key, value or header as [`Payload`] serialises it: `decoded` JSON text when the registry
/// decoded it, else text, `{"base64": ...}` or null.
fn write_payload(out: &mut Vec<u8>, raw: Option<&[u8]>, decoded: Option<&[u8]>) {
    if let Some(json) = decoded {
        out.extend_from_slice(json);
        return;
    }
    match raw {
        None => out.extend_from_slice(b"null"),
        Some(b) => match std::str::from_utf8(b) {
            Ok(t) => connect_json_text::write_str(out, t),
            Err(_) => connect_json_text::write_base64(out, b),
        },
    }
}

/// The last segment of a Java class name (`org.x.DataException` -> `DataException`).
pub fn short_class(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers;

    fn view<'a>(
        hs: &'a [(&'a str, Option<&'a [u8]>)],
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
    ) -> RecordView<'a> {
        RecordView::new("dlq", 0, 5, Some(1000), key, value, HeaderList::Slice(hs))
    }

    #[test]
    fn json_shape_of_a_connect_record() {
        let hs: &[(&str, Option<&[u8]>)] = &[
            ("trace", Some(b"abc")),
            (headers::TOPIC, Some(b"orders")),
            (headers::PARTITION, Some(b"1")),
            (headers::OFFSET, Some(b"9")),
            (headers::CONNECTOR, Some(b"sink")),
            (headers::TASK, Some(b"0")),
            (headers::STAGE, Some(b"VALUE_CONVERTER")),
            (
                headers::CLASS,
                Some(b"org.apache.kafka.connect.json.JsonConverter"),
            ),
            (
                headers::EXCEPTION_CLASS,
                Some(b"org.apache.kafka.connect.errors.DataException"),
            ),
            (headers::EXCEPTION_MESSAGE, None),
            (
                headers::EXCEPTION_STACKTRACE,
                Some(b"org.apache.kafka.connect.errors.DataException: x\n\tat a.B.c(B.java:1)\n"),
            ),
        ];
        let d = DeadLetter::from_view(&view(hs, Some(&[0xff, 0x00]), None));
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(
            j["dlq"],
            serde_json::json!({"topic": "dlq", "partition": 0, "offset": 5, "timestamp": 1000})
        );
        assert_eq!(
            j["original"],
            serde_json::json!({"topic": "orders", "partition": 1, "offset": 9})
        );
        assert_eq!(j["connector"], "sink");
        assert_eq!(j["task"], 0);
        assert_eq!(j["stage"], "VALUE_CONVERTER");
        assert_eq!(
            j["exception"]["class"],
            "org.apache.kafka.connect.errors.DataException"
        );
        assert_eq!(j["exception"]["message"], serde_json::Value::Null);
        assert_eq!(j["exception"]["root_cause"]["message"], "x");
        assert_eq!(j["key"], serde_json::json!({"base64": "/wA="}));
        assert_eq!(j["value"], serde_json::Value::Null);
        assert_eq!(
            j["headers"][0],
            serde_json::json!({"key": "trace", "value": "abc"})
        );
        assert_eq!(j["headers"][9]["value"], serde_json::Value::Null);
        assert_eq!(d.origin_label(), "orders-1@9");
    }

    #[test]
    fn borrowed_json_equals_owned_json() {
        let hs: &[(&str, Option<&[u8]>)] = &[
            ("bin", Some(&[0xff, 1])),
            ("null", None),
            (headers::TOPIC, Some(b"orders")),
            (headers::PARTITION, Some(b"1")),
            (headers::OFFSET, Some(b"9")),
            (headers::STAGE, Some(&[0xc3, 0x28])),
            (
                headers::EXCEPTION_STACKTRACE,
                Some(b"a.B: x\nCaused by: c.D: y\n\tat e.F.g(F.java:1)\n"),
            ),
            (
                crate::dialect::SPRING_EXCEPTION_CAUSE_FQCN,
                Some(b"ignored.When.Connect"),
            ),
        ];
        for (key, value) in [(Some(&b"k"[..]), None), (None, Some(&[0x80][..]))] {
            let v = view(hs, key, value);
            let borrowed = written(&v);
            let owned = serde_json::to_string(&DeadLetter::from_view(&v)).unwrap();
            assert_eq!(borrowed, owned);
            let j: serde_json::Value = serde_json::from_str(&borrowed).unwrap();
            assert_eq!(j["exception"]["root_cause"]["exception"], "c.D");
        }
        let v = view(&[], None, None);
        assert_eq!(
            written(&v),
            serde_json::to_string(&DeadLetter::from_view(&v)).unwrap()
        );
    }

    fn written(v: &RecordView<'_>) -> String {
        let mut out = Vec::new();
        RecordJson::new(v, &mut Analyzer::default()).write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn source_record_origin() {
        // connect-worker's source DLQ: the record's topic, no partition chosen, never written.
        let hs: &[(&str, Option<&[u8]>)] = &[
            (headers::TOPIC, Some(b"lines")),
            (headers::PARTITION, Some(b"-1")),
            (headers::OFFSET, Some(b"-1")),
        ];
        let d = DeadLetter::from_view(&view(hs, None, Some(b"x")));
        assert_eq!(
            serde_json::to_value(&d).unwrap()["original"],
            serde_json::json!({"topic": "lines", "partition": -1, "offset": -1})
        );
        assert_eq!(d.origin_label(), "lines (source record)");
    }

    #[test]
    fn headerless_record_has_unknown_origin() {
        let d = DeadLetter::from_view(&view(&[], Some(b"k"), Some(b"{}")));
        assert_eq!(d.dialect, Dialect::None);
        assert_eq!(d.original, None);
        assert_eq!(d.origin_label(), "unknown");
        assert_eq!(d.key, Payload::Text("k".into()));
        assert_eq!(d.exception.root_cause, None);
    }

    #[test]
    fn previews() {
        assert_eq!(Payload::Text("a\nb".into()).preview(10), "a\\nb");
        assert_eq!(Payload::Text("abcdef".into()).preview(4), "abc…");
        assert_eq!(Payload::Binary(vec![1, 0xab]).preview(10), "0x01ab");
        assert_eq!(Payload::Null.preview(3), "null");
        assert_eq!(short_class("a.b.Cast$Value"), "Cast$Value");
    }
}
