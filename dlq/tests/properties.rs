//! Property tests of the parsers that read outside input: the DLQ header dialects (Kafka Connect,
//! Spring Kafka, none) over arbitrary bytes, and `--fix` expressions over arbitrary strings and
//! arbitrary JSON. No input may panic; what the dialects encode decodes to the same context.

use connect_dlq::fix::{Editable, Fix, apply_all};
use connect_dlq::record::{DeadLetter, HeaderList, RecordJson, RecordView};
use connect_dlq::{Dialect, RawContext};
use proptest::prelude::*;
use serde_json::Value;

/// Header names: mostly the dialects' own (so the decoders' branches are reached), some arbitrary.
fn name() -> impl Strategy<Value = Vec<u8>> {
    let known: Vec<&'static str> = connect_dlq::headers::ALL
        .iter()
        .copied()
        .chain([
            connect_dlq::dialect::SPRING_ORIGINAL_TOPIC,
            connect_dlq::dialect::SPRING_ORIGINAL_PARTITION,
            connect_dlq::dialect::SPRING_ORIGINAL_OFFSET,
            connect_dlq::dialect::SPRING_ORIGINAL_TIMESTAMP,
            connect_dlq::dialect::SPRING_ORIGINAL_CONSUMER_GROUP,
            connect_dlq::dialect::SPRING_EXCEPTION_FQCN,
            connect_dlq::dialect::SPRING_EXCEPTION_CAUSE_FQCN,
            connect_dlq::dialect::SPRING_EXCEPTION_MESSAGE,
            connect_dlq::dialect::SPRING_EXCEPTION_STACKTRACE,
            "__connect.errors.",
            "kafka_dlt-",
            "connectctl.replay.count",
        ])
        .collect();
    prop_oneof![
        3 => proptest::sample::select(known).prop_map(|n| n.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
    ]
}

fn value() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::weighted(0.9, proptest::collection::vec(any::<u8>(), 0..24))
}

fn bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32))
}

/// A context of `dialect` with only the fields that dialect carries.
fn context(dialect: Dialect) -> impl Strategy<Value = Owned> {
    (
        (bytes(), any::<Option<i32>>(), any::<Option<i64>>()),
        (any::<Option<i64>>(), bytes(), any::<Option<i32>>(), bytes()),
        (bytes(), bytes(), bytes(), bytes(), bytes(), bytes()),
    )
        .prop_map(move |(o, a, b)| {
            let mut c = Owned {
                dialect,
                original_topic: o.0,
                original_partition: o.1,
                original_offset: o.2,
                exception_class: b.0,
                exception_message: b.1,
                stacktrace: b.2,
                ..Owned::default()
            };
            match dialect {
                Dialect::Connect => {
                    c.connector = a.1;
                    c.task = a.2;
                    c.stage = a.3;
                    c.class = b.3;
                }
                Dialect::Spring => {
                    c.original_timestamp = a.0;
                    c.cause_class = b.4;
                    c.consumer_group = b.5;
                }
                Dialect::None => c = Owned::default(),
            }
            c
        })
}

/// An owned [`RawContext`], so a strategy can produce one.
#[derive(Debug, Clone, Default, PartialEq)]
struct Owned {
    dialect: Dialect,
    original_topic: Option<Vec<u8>>,
    original_partition: Option<i32>,
    original_offset: Option<i64>,
    original_timestamp: Option<i64>,
    connector: Option<Vec<u8>>,
    task: Option<i32>,
    stage: Option<Vec<u8>>,
    class: Option<Vec<u8>>,
    exception_class: Option<Vec<u8>>,
    cause_class: Option<Vec<u8>>,
    exception_message: Option<Vec<u8>>,
    stacktrace: Option<Vec<u8>>,
    consumer_group: Option<Vec<u8>>,
}

impl Owned {
    fn raw(&self) -> RawContext<'_> {
        RawContext {
            dialect: self.dialect,
            original_topic: self.original_topic.as_deref(),
            original_partition: self.original_partition,
            original_offset: self.original_offset,
            original_timestamp: self.original_timestamp,
            connector: self.connector.as_deref(),
            task: self.task,
            stage: self.stage.as_deref(),
            class: self.class.as_deref(),
            exception_class: self.exception_class.as_deref(),
            cause_class: self.cause_class.as_deref(),
            exception_message: self.exception_message.as_deref(),
            stacktrace: self.stacktrace.as_deref(),
            consumer_group: self.consumer_group.as_deref(),
            non_utf8_names: false,
        }
    }
}

/// Arbitrary JSON, a few levels deep, with the names fixes tend to address.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
        "-?[0-9]{1,20}(\\.[0-9]{1,3})?".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("a".to_owned()),
                        Just("b".to_owned()),
                        Just("schema".to_owned()),
                        Just("payload".to_owned()),
                        ".{0,4}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Fix expressions from the grammar, with paths and arguments that may or may not fit a record.
fn fix_text() -> impl Strategy<Value = String> {
    let path = "(value|key)(\\.(a|b|schema|payload|[a-z.]{0,3})){0,3}";
    prop_oneof![
        (path, "(1|\"x\"|null|\\{\\}|\\[1\\]|tru)").prop_map(|(p, v)| format!("set {p}={v}")),
        path.prop_map(|p| format!("drop {p}")),
        (path, "[a-z.]{0,3}").prop_map(|(p, n)| format!("rename {p}={n}")),
        (path, "(int32|int64|float64|string|boolean|bogus)")
            .prop_map(|(p, t)| format!("cast {p}:{t}")),
        "(value|key)? ?[._/]{0,2}".prop_map(|a| format!("flatten {a}")),
        (path, "[a-z.*()\\[\\\\]{0,6}", "[a-z$1]{0,3}")
            .prop_map(|(p, r, x)| format!("replace {p} /{r}/{x}/")),
        "(value|key)?".prop_map(|p| format!("wrap-schema {p}")),
        "(value|key)?".prop_map(|p| format!("unwrap-schema {p}")),
        "[a-z=]{0,4}".prop_map(|h| format!("set-header {h}=v")),
        "[a-z]{0,4}".prop_map(|h| format!("drop-header {h}")),
        ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any headers, of any dialect or none, decode without panicking, and the record renders
    /// to JSON both ways (borrowed and owned) identically.
    #[test]
    fn any_headers_decode(headers in proptest::collection::vec((name(), value()), 0..12),
                          key in bytes(), val in bytes()) {
        let list: Vec<(&[u8], Option<&[u8]>)> =
            headers.iter().map(|(k, v)| (k.as_slice(), v.as_deref())).collect();
        let view = RecordView::new("dlq", 0, 1, Some(0), key.as_deref(), val.as_deref(),
                                   HeaderList::Raw(&list));
        let owned = DeadLetter::from_view(&view);
        prop_assert_eq!(owned.headers.len(), headers.len());
        for (h, (k, v)) in owned.headers.iter().zip(&headers) {
            prop_assert_eq!(h.name_bytes(), k.as_slice());
            prop_assert_eq!(&h.value, &connect_dlq::Payload::from_bytes(v.as_deref()));
        }
        let mut analyzer = connect_dlq::cause::Analyzer::default();
        let mut written = Vec::new();
        RecordJson::new(&view, &mut analyzer).write(&mut written);
        prop_assert_eq!(String::from_utf8(written).unwrap(),
                        serde_json::to_string(&owned).unwrap());
        let non_utf8 = headers.iter().any(|(k, _)| std::str::from_utf8(k).is_err());
        prop_assert_eq!(view.context.non_utf8_names, non_utf8);
    }

    /// What a dialect encodes decodes to the same context, with other headers around it.
    #[test]
    fn connect_round_trips(c in context(Dialect::Connect),
                           other in proptest::collection::vec(("[a-z]{1,6}", value()), 0..3)) {
        round_trip(&c, &other)?;
    }

    #[test]
    fn spring_round_trips(c in context(Dialect::Spring),
                          other in proptest::collection::vec(("[a-z]{1,6}", value()), 0..3)) {
        round_trip(&c, &other)?;
    }

    #[test]
    fn none_round_trips(other in proptest::collection::vec(("[a-z]{1,6}", value()), 0..3)) {
        round_trip(&Owned::default(), &other)?;
    }

    /// Any string parses to a fix or an error, never a panic; so does any file.
    #[test]
    fn any_fix_text_parses_or_errs(s in "\\PC{0,60}", g in fix_text()) {
        let _ = Fix::parse(&s);
        let _ = Fix::parse(&g);
        let _ = Fix::parse_file(&format!("{s}\n# c\n{g}\n"));
    }

    /// Parsed fixes applied to arbitrary JSON (or arbitrary bytes, or tombstones) either apply
    /// or report why, never panic; an unfixed record is never half-changed.
    #[test]
    fn fixes_apply_to_any_json(texts in proptest::collection::vec(fix_text(), 1..4),
                               k in json(), v in json(), raw in bytes(), tomb in any::<bool>()) {
        let fixes: Vec<Fix> = texts.iter().filter_map(|t| Fix::parse(t).ok()).collect();
        let record = Editable {
            key: Some(serde_json::to_vec(&k).unwrap()),
            value: if tomb { None } else { Some(serde_json::to_vec(&v).unwrap()) },
            headers: vec![(b"h".to_vec(), Some(b"1".to_vec())), (vec![0xff], None)],
        };
        let _ = apply_all(&fixes, &record);
        let binary = Editable { key: raw.clone(), value: raw, headers: Vec::new() };
        let _ = apply_all(&fixes, &binary);
    }
}

fn round_trip(c: &Owned, other: &[(String, Option<Vec<u8>>)]) -> Result<(), TestCaseError> {
    let raw = c.raw();
    let encoded = raw.encode();
    let mut headers: Vec<(&[u8], Option<&[u8]>)> = other
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_deref()))
        .collect();
    headers.extend(encoded.iter().map(|(k, v)| (k.as_bytes(), v.as_deref())));
    let decoded = RawContext::decode(headers.iter().copied());
    // The record JSON written from the view is the owned record's JSON, whatever the dialect.
    let view = RecordView::new(
        "dlq",
        0,
        1,
        Some(0),
        None,
        Some(b"v"),
        HeaderList::Raw(&headers),
    );
    let mut written = Vec::new();
    RecordJson::new(&view, &mut connect_dlq::cause::Analyzer::default()).write(&mut written);
    prop_assert_eq!(
        String::from_utf8(written).unwrap(),
        serde_json::to_string(&DeadLetter::from_view(&view)).unwrap()
    );
    if c.dialect == Dialect::None {
        prop_assert_eq!(decoded.dialect, Dialect::None);
        return Ok(());
    }
    if encoded.is_empty() {
        // Spring with no field at all writes no header: nothing tells the dialect.
        prop_assert_eq!(decoded.dialect, Dialect::None);
        return Ok(());
    }
    prop_assert_eq!(decoded, raw);
    Ok(())
}
