//! Replay against the real broker (and, for the full loop, the real Apache Kafka Connect worker).

use std::time::Duration;

use connect_dlq::KafkaConfig;
use connect_dlq::fix::Fix;
use connect_dlq::headers;
use connect_dlq::replay::{REPLAY_COUNT, REPLAY_SOURCE, ReplayOptions, replay};
use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};

fn kafka() -> KafkaConfig {
    KafkaConfig::new(&env().bootstrap_servers)
}

/// A DLQ record as Kafka Connect writes it: the original record plus the ten context headers.
fn dead_letter(origin: (&str, i32, i64), key: Option<&str>, value: Option<&str>) -> TestRecord {
    let mut r = TestRecord {
        key: key.map(|k| k.as_bytes().to_vec()),
        value: value.map(|v| v.as_bytes().to_vec()),
        ..Default::default()
    }
    .header("app-header", Some(b"kept"));
    let (p, o) = (origin.1.to_string(), origin.2.to_string());
    for (name, v) in [
        (headers::TOPIC, Some(origin.0)),
        (headers::PARTITION, Some(p.as_str())),
        (headers::OFFSET, Some(o.as_str())),
        (headers::CONNECTOR, Some("orders-sink")),
        (headers::TASK, Some("0")),
        (headers::STAGE, Some("VALUE_CONVERTER")),
        (
            headers::CLASS,
            Some("org.apache.kafka.connect.json.JsonConverter"),
        ),
        (
            headers::EXCEPTION_CLASS,
            Some("org.apache.kafka.connect.errors.DataException"),
        ),
        (headers::EXCEPTION_MESSAGE, None),
        (
            headers::EXCEPTION_STACKTRACE,
            Some("org.apache.kafka.connect.errors.DataException\n"),
        ),
    ] {
        r = r.header(name, v.map(str::as_bytes));
    }
    r
}

/// Kafka's Java default partitioner for keyed records: murmur2 of the key bytes.
fn murmur2(data: &[u8]) -> i32 {
    let m: u32 = 0x5bd1e995;
    let mut h: u32 = 0x9747b28c ^ data.len() as u32;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(m);
        k ^= k >> 24;
        k = k.wrapping_mul(m);
        h = h.wrapping_mul(m);
        h ^= k;
    }
    match tail.len() {
        3 => {
            h ^= u32::from(tail[2]) << 16;
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(m);
        }
        2 => {
            h ^= u32::from(tail[1]) << 8;
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(m);
        }
        1 => {
            h ^= u32::from(tail[0]);
            h = h.wrapping_mul(m);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(m);
    h ^= h >> 15;
    h as i32
}

#[test]
fn replays_to_origin_once_with_marks_and_resumes_to_nothing() {
    let dlq = unique("replay-dlq");
    let orders = unique("replay-orders");
    let payments = unique("replay-payments");
    create_topic(&dlq, 1);
    create_topic(&orders, 3);
    create_topic(&payments, 1);
    let mut quarantined = dead_letter((&orders, 0, 9), Some("q"), Some(r#"{"id":9}"#));
    quarantined
        .headers
        .insert(0, (REPLAY_COUNT.into(), Some(b"3".to_vec())));
    produce(
        &dlq,
        &[
            dead_letter((&orders, 1, 10), Some("customer-1"), Some(r#"{"id":1}"#)),
            dead_letter((&orders, 2, 11), Some("customer-2"), Some(r#"{"id":2}"#)),
            // Connect's DLQ is at-least-once: the same failed record may be there twice.
            dead_letter((&orders, 2, 11), Some("customer-2"), Some(r#"{"id":2}"#)),
            dead_letter((&payments, 0, 5), None, None),
            quarantined,
        ],
    );

    let mut opts = ReplayOptions::new(&dlq);
    opts.group = unique("replay-group");
    let summary = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!(summary.replayed, 3);
    assert_eq!(summary.duplicates, 1);
    assert_eq!(summary.quarantined.len(), 1);
    assert!(
        summary.quarantined[0].source.ends_with("/0/4"),
        "{:?}",
        summary.quarantined
    );
    assert_eq!(summary.targets.get(&orders), Some(&2));
    assert_eq!(summary.targets.get(&payments), Some(&1));
    assert!(!summary.has_failures());

    let got = consume(&orders, 2, Duration::from_secs(30), true);
    assert_eq!(got.len(), 2);
    for r in &got {
        let key = r.key.as_deref().unwrap();
        // Keyed records land where a Java producer would put them.
        assert_eq!(
            r.partition,
            Some((murmur2(key) & 0x7fffffff) % 3),
            "key {key:?}"
        );
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["app-header", REPLAY_COUNT, REPLAY_SOURCE]);
        assert_eq!(r.header_str(REPLAY_COUNT), Some("1"));
        assert!(
            r.header_str(REPLAY_SOURCE)
                .unwrap()
                .starts_with(&format!("{dlq}/0/"))
        );
    }
    let tomb = consume(&payments, 1, Duration::from_secs(30), true);
    assert_eq!(tomb.len(), 1);
    assert_eq!(tomb[0].value, None, "a tombstone stays a tombstone");

    // Nothing new in the DLQ: a second run does nothing.
    let again = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!((again.replayed, again.transactions), (0, 0));
    assert_eq!(consume(&orders, 3, Duration::from_secs(3), true).len(), 2);
}

#[test]
fn a_record_without_origin_stops_the_replay_before_it_and_to_finishes_it() {
    let dlq = unique("replay-noorigin-dlq");
    let target = unique("replay-noorigin-target");
    let fallback = unique("replay-noorigin-fallback");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    create_topic(&fallback, 1);
    produce(
        &dlq,
        &[
            dead_letter((&target, 0, 1), None, Some("a")),
            TestRecord::value("no headers at all"),
            dead_letter((&target, 0, 2), None, Some("b")),
        ],
    );
    let mut opts = ReplayOptions::new(&dlq);
    opts.group = unique("replay-group");
    let first = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!(first.replayed, 1);
    let stopped = first
        .stopped
        .as_ref()
        .expect("stopped at the record without origin");
    assert!(stopped.source.ends_with("/0/1"));
    assert!(stopped.reason.contains("--to"), "{}", stopped.reason);
    assert!(first.has_failures());

    // Rerun with --to: resumes at the refused record, nothing replayed twice.
    opts.to = Some(fallback.clone());
    let second = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!(second.replayed, 2);
    assert_eq!(consume(&target, 2, Duration::from_secs(3), true).len(), 1);
    let fb = consume(&fallback, 2, Duration::from_secs(30), true);
    let values: Vec<_> = fb
        .iter()
        .map(|r| r.value_str().unwrap().to_owned())
        .collect();
    assert_eq!(values, ["no headers at all", "b"]);
}

#[test]
fn fixes_apply_and_unfixable_records_are_reported_not_sent() {
    let dlq = unique("replay-fix-dlq");
    let target = unique("replay-fix-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    produce(
        &dlq,
        &[
            dead_letter(
                (&target, 0, 0),
                None,
                Some(r#"{"id":"1","customer":{"zip":"1 2"}}"#),
            ),
            dead_letter((&target, 0, 1), None, Some("not json")),
        ],
    );
    let mut opts = ReplayOptions::new(&dlq);
    opts.group = unique("replay-group");
    opts.fixes = [
        "cast value.id:int64",
        r"replace value.customer.zip /\s//",
        "flatten value _",
    ]
    .iter()
    .map(|f| Fix::parse(f).unwrap())
    .collect();
    // A dry run plans and previews, and neither produces nor moves the replay position.
    opts.dry_run = true;
    opts.preview = 5;
    let plan = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert!(plan.dry_run);
    assert_eq!((plan.replayed, plan.transactions), (1, 0));
    assert_eq!(plan.targets.get(&target), Some(&1));
    assert_eq!(plan.preview.len(), 1);
    assert_eq!(
        plan.preview[0].before.value.as_deref(),
        Some(r#"{"id":"1","customer":{"zip":"1 2"}}"#)
    );
    assert_eq!(
        plan.preview[0].after.value.as_deref(),
        Some(r#"{"id":1,"customer_zip":"12"}"#)
    );
    assert_eq!(consume(&target, 1, Duration::from_secs(3), true).len(), 0);

    opts.dry_run = false;
    let s = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!(s.replayed, 1);
    assert_eq!(s.fix_failed.len(), 1);
    assert!(
        s.fix_failed[0].reason.contains("not valid JSON"),
        "{:?}",
        s.fix_failed
    );
    let got = consume(&target, 2, Duration::from_secs(5), true);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value_str(), Some(r#"{"id":1,"customer_zip":"12"}"#));
}

#[test]
fn wrap_schema_replay_drains_a_real_connect_dlq_into_the_sink() {
    let connect = Connect::new();
    let topic = unique("replay-e2e-src");
    let dlq = unique("replay-e2e-dlq");
    let name = unique("replay-e2e-sink");
    create_topic(&topic, 1);
    let envelope =
        |v: &str| format!(r#"{{"schema":{{"type":"string","optional":false}},"payload":"{v}"}}"#);
    produce(
        &topic,
        &[
            TestRecord::value(envelope("first")),
            TestRecord::value(r#"{"id":1,"name":"plain"}"#),
            TestRecord::value(r#"{"id":2,"name":"also plain"}"#),
            TestRecord::value(envelope("last")),
        ],
    );
    let out = std::env::temp_dir().join(format!("{name}.txt"));
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": out.to_str().unwrap(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            // The sink must not see replay transactions that were aborted.
            "consumer.override.isolation.level": "read_committed",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    assert_eq!(consume(&dlq, 2, Duration::from_secs(60), true).len(), 2);

    let mut opts = ReplayOptions::new(&dlq);
    opts.fixes = vec![Fix::parse("wrap-schema").unwrap()];
    let s = replay(&kafka(), &opts, &mut |_| {}).unwrap();
    assert_eq!(s.replayed, 2);
    assert_eq!(s.targets.get(&topic), Some(&2));

    // The sink writes Struct.toString() for the fixed records; all four are in the file.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() >= 4 || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    connect.delete(&name);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "first");
    assert_eq!(lines[1], "last");
    assert!(
        lines[2].contains("id=1") && lines[2].contains("name=plain"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("id=2"), "{}", lines[3]);
    // No new failures: the DLQ still holds only the two original records.
    assert_eq!(consume(&dlq, 3, Duration::from_secs(3), true).len(), 2);
}
