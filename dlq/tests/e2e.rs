//! DLQ records written by the real Apache Kafka Connect worker decode into the model.

use std::time::Duration;

use connect_dlq::headers;
use connect_dlq::{Dialect, RawContext};
use connect_testkit::{Connect, TestRecord, consume, create_topic, produce, unique};

#[test]
fn real_connect_dlq_headers_decode_with_origin() {
    let connect = Connect::new();
    let topic = unique("dlq-src");
    let dlq = unique("dlq-dlq");
    let name = unique("dlq-sink");
    create_topic(&topic, 1);
    // Envelope JSON passes, plain JSON fails the JsonConverter and goes to the DLQ.
    let good = r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#;
    produce(
        &topic,
        &[
            TestRecord::value(good),
            TestRecord::value(r#"{"id":1}"#)
                .key("k1")
                .header("trace-id", Some(b"abc")),
            TestRecord::value(good),
            TestRecord::value(r#"{"id":2}"#),
        ],
    );
    let out = std::env::temp_dir().join(format!("{name}.txt"));
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": out.to_str().unwrap(),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    let records = consume(&dlq, 2, Duration::from_secs(60), true);
    connect.delete(&name);
    assert_eq!(records.len(), 2, "the two plain-JSON records reach the DLQ");

    for (record, (offset, value)) in records.iter().zip([(1, r#"{"id":1}"#), (3, r#"{"id":2}"#)]) {
        assert_eq!(
            record.value_str(),
            Some(value),
            "DLQ keeps the original bytes"
        );
        let ctx = RawContext::decode(
            record
                .headers
                .iter()
                .map(|(k, v)| (k.as_bytes(), v.as_deref())),
        );
        assert_eq!(ctx.dialect, Dialect::Connect, "context headers");
        assert_eq!(ctx.origin(), Some((topic.as_bytes(), 0, offset)));
        let text = |v: Option<&[u8]>| v.map(|v| String::from_utf8(v.to_vec()).unwrap());
        assert_eq!(text(ctx.connector).as_deref(), Some(name.as_str()));
        assert_eq!(ctx.task, Some(0));
        assert_eq!(text(ctx.stage).as_deref(), Some("VALUE_CONVERTER"));
        assert_eq!(
            text(ctx.class).as_deref(),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert_eq!(
            text(ctx.exception_class).as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(
            text(ctx.exception_message)
                .unwrap()
                .starts_with("JsonConverter with schemas.enable")
        );
        assert!(
            text(ctx.stacktrace)
                .unwrap()
                .contains("\tat org.apache.kafka.connect.json.JsonConverter")
        );
    }
    // The record's own headers come first, Connect's ten context headers after them, in order.
    let names: Vec<&str> = records[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected = vec!["trace-id"];
    expected.extend(headers::ALL);
    assert_eq!(names, expected);
}

mod inspect {
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    use connect_dlq::dialect::{self, Dialect};
    use connect_dlq::inspect::{self, KafkaConfig, Reader, Start};
    use connect_dlq::{DlqError, Filter, Payload};
    use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};

    const GOOD: &str = r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#;
    const NO_ENVELOPE: &str =
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields";
    const NOT_JSON: &str =
        "Converting byte[] to Kafka Connect data failed due to serialization error";

    fn cfg() -> KafkaConfig {
        KafkaConfig::new(&env().bootstrap_servers)
    }

    /// Feeds a FileStreamSink (JsonConverter, schemas on) a mix of envelopes, plain JSON and
    /// non-JSON; returns (source topic, DLQ topic, offsets of plain JSON, offsets of non-JSON).
    fn real_dlq() -> (String, String, Vec<i64>, Vec<i64>) {
        let connect = Connect::new();
        let topic = unique("insp-src");
        let dlq = unique("insp-dlq");
        let name = unique("insp-sink");
        create_topic(&topic, 1);
        let mut records = Vec::new();
        let (mut plain, mut garbage) = (Vec::new(), Vec::new());
        for i in 0..12i64 {
            let r = match i % 4 {
                0 | 2 => TestRecord::value(GOOD),
                1 => {
                    plain.push(i);
                    TestRecord::value(format!(r#"{{"id":{i}}}"#)).key(format!("k{i}"))
                }
                _ => {
                    garbage.push(i);
                    // A binary key: DLQ records keep the original bytes.
                    TestRecord::value(format!("not json {i}")).key([0xff, 0x00, i as u8])
                }
            };
            records.push(r);
        }
        produce(&topic, &records);
        let out = std::env::temp_dir().join(format!("{name}.txt"));
        connect.create(
            &name,
            serde_json::json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "topics": topic,
                "file": out.to_str().unwrap(),
                "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "true",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            }),
        );
        let n = plain.len() + garbage.len();
        let got = consume(&dlq, n, Duration::from_secs(90), true);
        connect.delete(&name);
        assert_eq!(got.len(), n, "every failing record reaches the DLQ");
        (topic, dlq, plain, garbage)
    }

    #[test]
    fn summary_groups_real_connect_failures_and_records_keep_their_origin() {
        let (topic, dlq, plain, garbage) = real_dlq();
        let mut reader = Reader::open(&cfg(), &dlq, Start::Beginning, None, false).unwrap();
        assert_eq!(reader.expected(), (plain.len() + garbage.len()) as u64);
        let summary = inspect::summarize(&mut reader, &Filter::default(), None, |_| {}).unwrap();
        assert_eq!(summary.total, 6);
        assert_eq!(summary.scanned, 6);
        assert_eq!(summary.unknown_origin, 0);
        // Plain JSON shares one message; each non-JSON record has its own Jackson detail in the
        // message, so the grouping key splits them only if the messages differ.
        let no_env: Vec<_> = summary
            .groups
            .iter()
            .filter(|g| {
                g.message
                    .as_deref()
                    .is_some_and(|m| m.starts_with(NO_ENVELOPE))
            })
            .collect();
        assert_eq!(no_env.len(), 1, "{:#?}", summary.groups);
        assert_eq!(no_env[0].count, 3);
        assert_eq!(no_env[0].original_topics, vec![topic.clone()]);
        assert_eq!(no_env[0].stage.as_deref(), Some("VALUE_CONVERTER"));
        assert_eq!(
            no_env[0].exception.as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        let not_json: u64 = summary
            .groups
            .iter()
            .filter(|g| {
                g.message
                    .as_deref()
                    .is_some_and(|m| m.starts_with(NOT_JSON))
            })
            .map(|g| g.count)
            .sum();
        assert_eq!(not_json, 3);
        assert!(summary.groups.iter().all(|g| {
            g.connector
                .as_deref()
                .is_some_and(|c| c.starts_with("insp-sink"))
        }));

        let mut reader = Reader::open(&cfg(), &dlq, Start::Beginning, None, false).unwrap();
        let records = inspect::collect(&mut reader, &Filter::default(), None).unwrap();
        let mut origins_plain = BTreeSet::new();
        let mut origins_garbage = BTreeSet::new();
        for r in &records {
            assert_eq!(r.dialect, Dialect::Connect);
            let o = r.original.as_ref().expect("origin");
            assert_eq!((o.topic.as_str(), o.partition), (topic.as_str(), 0));
            let msg = r.exception.message.as_deref().unwrap();
            if msg.starts_with(NO_ENVELOPE) {
                origins_plain.insert(o.offset);
                assert_eq!(r.value, Payload::Text(format!(r#"{{"id":{}}}"#, o.offset)));
                assert_eq!(r.key, Payload::Text(format!("k{}", o.offset)));
            } else {
                assert!(msg.starts_with(NOT_JSON), "{msg}");
                origins_garbage.insert(o.offset);
                assert_eq!(r.key, Payload::Binary(vec![0xff, 0x00, o.offset as u8]));
                let rc = r.exception.root_cause.as_ref().expect("trace analysed");
                assert!(rc.exception.contains("jackson"), "{rc:?}");
            }
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json["dlq"]["topic"], dlq.as_str());
            assert!(json["headers"].as_array().unwrap().len() >= 10);
        }
        assert_eq!(origins_plain, plain.iter().copied().collect());
        assert_eq!(origins_garbage, garbage.iter().copied().collect());

        // Filters, limits and start positions on the same real records.
        let only = |f: Filter| {
            let mut r = Reader::open(&cfg(), &dlq, Start::Beginning, None, false).unwrap();
            inspect::collect(&mut r, &f, None).unwrap()
        };
        let grep = Filter {
            grep: Some(Filter::pattern("grep", "schemas\\.enable").unwrap()),
            ..Filter::default()
        };
        assert_eq!(only(grep).len(), 3);
        let root = Filter {
            exception: Some(Filter::pattern("exception", "JsonParseException").unwrap()),
            ..Filter::default()
        };
        assert_eq!(
            only(root).len(),
            3,
            "--exception also matches the root cause"
        );
        let key = Filter {
            key: Some(Filter::pattern("key", "^k\\d+$").unwrap()),
            ..Filter::default()
        };
        assert_eq!(only(key).len(), 3);
        let t = Filter {
            original_topic: Some(topic.clone()),
            stage: Some("value_converter".into()),
            ..Filter::default()
        };
        assert_eq!(only(t).len(), 6);
        let mut r = Reader::open(&cfg(), &dlq, Start::Offset(4), None, false).unwrap();
        let tail = inspect::collect(&mut r, &Filter::default(), None).unwrap();
        assert_eq!(
            tail.iter().map(|d| d.dlq.offset).collect::<Vec<_>>(),
            [4, 5]
        );
        let mut r = Reader::open(&cfg(), &dlq, Start::Beginning, None, false).unwrap();
        assert_eq!(
            inspect::collect(&mut r, &Filter::default(), Some(2))
                .unwrap()
                .len(),
            2
        );
        let future = records
            .iter()
            .filter_map(|d| d.dlq.timestamp)
            .max()
            .unwrap()
            + 1;
        let mut r = Reader::open(&cfg(), &dlq, Start::Timestamp(future), None, false).unwrap();
        assert_eq!(r.expected(), 0);
        assert!(
            inspect::collect(&mut r, &Filter::default(), None)
                .unwrap()
                .is_empty()
        );
        let r = Reader::open(&cfg(), &dlq, Start::Timestamp(0), None, false).unwrap();
        assert_eq!(r.expected(), 6);

        let one = inspect::fetch_one(&cfg(), &dlq, 0, 1).unwrap();
        assert_eq!(one.dlq.offset, 1);
        assert!(matches!(
            inspect::fetch_one(&cfg(), &dlq, 0, 99),
            Err(DlqError::OffsetOutOfRange {
                low: 0,
                high: 6,
                ..
            })
        ));
        assert!(matches!(
            inspect::fetch_one(&cfg(), &dlq, 3, 0),
            Err(DlqError::NoSuchPartition { count: 1, .. })
        ));
    }

    #[test]
    fn spring_headerless_binary_tombstone_and_garbage_records() {
        let topic = unique("insp-mixed");
        create_topic(&topic, 1);
        let p = 3i32.to_be_bytes();
        let o = 4_000_000_000i64.to_be_bytes();
        let ts = 1_700_000_000_123i64.to_be_bytes();
        let spring = TestRecord::value("{\"amount\":1}")
            .key("order-1")
            .header(dialect::SPRING_ORIGINAL_TOPIC, Some(b"payments"))
            .header(dialect::SPRING_ORIGINAL_PARTITION, Some(&p))
            .header(dialect::SPRING_ORIGINAL_OFFSET, Some(&o))
            .header(dialect::SPRING_ORIGINAL_TIMESTAMP, Some(&ts))
            .header(dialect::SPRING_ORIGINAL_CONSUMER_GROUP, Some(b"billing"))
            .header(
                dialect::SPRING_EXCEPTION_FQCN,
                Some(b"org.springframework.kafka.listener.ListenerExecutionFailedException"),
            )
            .header(dialect::SPRING_EXCEPTION_CAUSE_FQCN, Some(b"java.lang.IllegalStateException"))
            .header(dialect::SPRING_EXCEPTION_MESSAGE, Some(b"Listener failed; amount too low"))
            .header(
                dialect::SPRING_EXCEPTION_STACKTRACE,
                Some(b"org.springframework.kafka.listener.ListenerExecutionFailedException: Listener failed\n\tat org.springframework.kafka.listener.KafkaMessageListenerContainer.doInvoke(K.java:1)\nCaused by: java.lang.IllegalStateException: amount too low\n\tat com.shop.Billing.on(Billing.java:42)\n"),
            );
        let headerless = TestRecord {
            key: Some(vec![0, 159, 146, 150]),
            value: Some(vec![0xc3, 0x28, 0x00]),
            ..Default::default()
        };
        let tombstone = TestRecord {
            key: Some(b"gone".to_vec()),
            value: None,
            ..Default::default()
        }
        .header(connect_dlq::headers::TOPIC, Some(b"users"))
        .header(connect_dlq::headers::PARTITION, Some(b"0"))
        .header(connect_dlq::headers::OFFSET, Some(b"7"))
        .header(connect_dlq::headers::STAGE, Some(b"TASK_PUT"))
        .header(connect_dlq::headers::EXCEPTION_MESSAGE, None);
        let garbage = TestRecord::value("x")
            .header(connect_dlq::headers::PARTITION, Some(&[0xff, 0xfe]))
            .header(connect_dlq::headers::OFFSET, Some(b"-"))
            .header(connect_dlq::headers::TASK, Some(&[0; 9]))
            .header(
                connect_dlq::headers::EXCEPTION_STACKTRACE,
                Some(&[0xc0, 0xaf, b'\n', b'\t']),
            )
            .header(dialect::SPRING_ORIGINAL_PARTITION, Some(&[1]))
            .header("", None);
        produce(&topic, &[spring, headerless, tombstone, garbage]);

        let mut r = Reader::open(&cfg(), &topic, Start::Beginning, None, false).unwrap();
        let recs = inspect::collect(&mut r, &Filter::default(), None).unwrap();
        assert_eq!(recs.len(), 4);

        let s = &recs[0];
        assert_eq!(s.dialect, Dialect::Spring);
        let o = s.original.as_ref().unwrap();
        assert_eq!(
            (o.topic.as_str(), o.partition, o.offset),
            ("payments", 3, 4_000_000_000)
        );
        assert_eq!(s.original_timestamp, Some(1_700_000_000_123));
        assert_eq!(s.connector.as_deref(), Some("billing"));
        assert_eq!(
            s.exception.cause_class.as_deref(),
            Some("java.lang.IllegalStateException")
        );
        let rc = s.exception.root_cause.as_ref().unwrap();
        assert_eq!(
            (rc.exception.as_str(), rc.message.as_str()),
            ("java.lang.IllegalStateException", "amount too low")
        );
        let j = serde_json::to_value(s).unwrap();
        // Text when valid UTF-8 (the 4-byte partition 3 happens to be), base64 otherwise.
        assert_eq!(j["headers"][1]["value"], "\0\0\0\u{3}");
        assert_eq!(
            j["headers"][2]["value"],
            serde_json::json!({"base64": "AAAAAO5rKAA="})
        );

        let h = &recs[1];
        assert_eq!(h.dialect, Dialect::None);
        assert_eq!(h.original, None);
        assert_eq!(h.key, Payload::Binary(vec![0, 159, 146, 150]));
        let j = serde_json::to_value(h).unwrap();
        assert_eq!(j["value"], serde_json::json!({"base64": "wygA"}));
        assert_eq!(j["original"], serde_json::Value::Null);

        let t = &recs[2];
        assert_eq!(t.value, Payload::Null);
        assert_eq!(
            serde_json::to_value(t).unwrap()["value"],
            serde_json::Value::Null
        );
        assert_eq!(t.origin_label(), "users-0@7");
        assert_eq!(t.exception.message, None);

        let g = &recs[3];
        assert_eq!(g.dialect, Dialect::Connect);
        assert_eq!((g.original.as_ref(), g.task), (None, None));

        let mut r = Reader::open(&cfg(), &topic, Start::Beginning, None, false).unwrap();
        let sum = inspect::summarize(&mut r, &Filter::default(), None, |_| {}).unwrap();
        // The header-less and the garbage record share the all-unknown group.
        assert_eq!((sum.total, sum.unknown_origin, sum.groups.len()), (4, 2, 3));
        let by_group = Filter {
            connector: Some("billing".into()),
            ..Filter::default()
        };
        let mut r = Reader::open(&cfg(), &topic, Start::Beginning, None, false).unwrap();
        assert_eq!(inspect::collect(&mut r, &by_group, None).unwrap().len(), 1);
    }

    #[test]
    fn unknown_topic_and_unreachable_brokers_are_clear_errors() {
        let missing = unique("insp-missing-dlq");
        match Reader::open(&cfg(), &missing, Start::Beginning, None, false) {
            Err(e @ DlqError::UnknownTopic { .. }) => {
                assert!(
                    e.to_string()
                        .starts_with(&format!("topic {missing} does not exist")),
                    "{e}"
                )
            }
            other => panic!("expected UnknownTopic, got {:?}", other.err()),
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut c = KafkaConfig::new(&format!("127.0.0.1:{port}"));
        c.timeout = Duration::from_secs(3);
        let t0 = Instant::now();
        let err = Reader::open(&c, "x", Start::Beginning, None, false)
            .err()
            .unwrap();
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "bounded: {:?}",
            t0.elapsed()
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("within 3s"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn empty_topic_reads_nothing_and_returns() {
        let topic = unique("insp-empty");
        create_topic(&topic, 3);
        let mut r = Reader::open(&cfg(), &topic, Start::Beginning, None, false).unwrap();
        let sum = inspect::summarize(&mut r, &Filter::default(), None, |_| {}).unwrap();
        assert_eq!((sum.total, sum.scanned, sum.groups.len()), (0, 0, 0));
    }
}
