//! Hostile DLQ records on the real broker, through `connectctl dlq inspect` and `dlq replay`:
//! header names that are not UTF-8, Spring Kafka DLT headers, garbage header values, an origin
//! topic Kafka refuses, a target topic that does not exist, and a record over the size limits.
//! Each asserts what a user relies on: the exit code, the headers replayed byte for byte, and
//! that an error names the DLQ record (`topic/partition/offset`) and the fix.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connect_dlq::raw_headers;
use connect_testkit::{create_topic, env, unique, workspace_bin};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

type Headers = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// One record as produced or consumed, with header names as bytes.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rec {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Headers,
}

fn h(name: &[u8], value: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    (name.to_vec(), Some(value.to_vec()))
}

/// Kafka Connect's context headers for an origin (values as given, bytes).
fn connect_headers(topic: &[u8], partition: &[u8], offset: &[u8]) -> Headers {
    vec![
        h(b"__connect.errors.topic", topic),
        h(b"__connect.errors.partition", partition),
        h(b"__connect.errors.offset", offset),
        h(b"__connect.errors.connector.name", b"orders-sink"),
        h(b"__connect.errors.task.id", b"0"),
        h(b"__connect.errors.stage", b"VALUE_CONVERTER"),
        h(
            b"__connect.errors.exception.class.name",
            b"org.apache.kafka.connect.errors.DataException",
        ),
        (b"__connect.errors.exception.message".to_vec(), None),
    ]
}

fn config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &env().bootstrap_servers);
    c
}

fn produce(topic: &str, records: &[Rec], max_bytes: usize) {
    let producer: BaseProducer = config()
        .set("message.max.bytes", max_bytes.to_string())
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            headers = raw_headers::add(headers, k, v.as_deref());
        }
        let mut rec: BaseRecord<'_, [u8], [u8]> =
            BaseRecord::to(topic).headers(headers).partition(0);
        if let Some(k) = &r.key {
            rec = rec.key(k.as_slice());
        }
        if let Some(v) = &r.value {
            rec = rec.payload(v.as_slice());
        }
        producer.send(rec).map_err(|(e, _)| e).unwrap();
        // One at a time, so each record gets the next offset even if one is slow.
        producer.flush(Duration::from_secs(30)).unwrap();
    }
}

/// Every committed record of partition 0, read until `expected` arrived or 20 s passed.
fn consume(topic: &str, expected: usize) -> Vec<Rec> {
    let consumer: BaseConsumer = config()
        .set("group.id", unique("hostile-read"))
        .set("isolation.level", "read_committed")
        .set("fetch.message.max.bytes", "30000000")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    while out.len() < expected && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            out.push(Rec {
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|h| {
                        raw_headers::iter(h)
                            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    out
}

fn topic_exists(topic: &str) -> bool {
    let consumer: BaseConsumer = config().create().unwrap();
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    md.topics().iter().any(|t| t.name() == topic)
}

/// A one-partition topic that takes records up to 20 MB.
fn create_big_topic(name: &str) {
    let admin: AdminClient<DefaultClientContext> = config().create().unwrap();
    let topic =
        NewTopic::new(name, 1, TopicReplication::Fixed(1)).set("max.message.bytes", "20971520");
    let res =
        futures::executor::block_on(admin.create_topics([&topic], &AdminOptions::new())).unwrap();
    for r in res {
        r.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !topic_exists(name) {
        assert!(Instant::now() < deadline, "topic {name} never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn connectctl(args: &[&str]) -> Output {
    let out = Command::new(workspace_bin("connectctl", "connectctl"))
        .env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args(["--bootstrap-servers", &env().bootstrap_servers])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "connectctl {args:?} panicked:\n{stderr}"
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn marks(dlq: &str, offset: i64) -> Headers {
    vec![
        h(b"connectctl.replay.count", b"1"),
        h(
            b"connectctl.replay.source",
            format!("{dlq}/0/{offset}").as_bytes(),
        ),
    ]
}

#[test]
fn non_utf8_header_names_are_inspected_and_replayed_byte_for_byte() {
    let dlq = unique("hostile-names-dlq");
    let target = unique("hostile-names-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    let mut headers = vec![
        h(b"\xff\xfename", b"v"),
        h(b"app", b"kept"),
        (b"\xc3\x28null".to_vec(), None),
    ];
    headers.extend(connect_headers(target.as_bytes(), b"0", b"7"));
    let rec = Rec {
        key: Some(b"k1".to_vec()),
        value: Some(br#"{"id":1}"#.to_vec()),
        headers,
    };
    produce(&dlq, &[rec], 1_000_000);

    // The summary: the record is attributed (not "unknown origin"), and one warning line.
    let out = connectctl(&["dlq", "inspect", &dlq, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["total"], 1);
    assert_eq!(summary["unknown_origin"], 0, "{summary}");
    assert_eq!(summary["non_utf8_header_names"], 1);
    assert_eq!(summary["groups"][0]["original_topics"][0], target.as_str());
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("not UTF-8")).collect();
    assert_eq!(warnings.len(), 1, "{}", stderr(&out));
    assert!(warnings[0].contains("0:0"), "{}", warnings[0]);

    // Each record: the name that is not UTF-8 as base64, the others as text.
    let out = connectctl(&["dlq", "inspect", &dlq, "--records", "-o", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(r["original"]["topic"], target.as_str());
    assert_eq!(r["original"]["offset"], 7);
    assert_eq!(
        r["headers"][0]["key"],
        serde_json::json!({"base64": "//5uYW1l"})
    );
    assert_eq!(r["headers"][0]["value"], "v");
    assert_eq!(r["headers"][1]["key"], "app");
    assert_eq!(
        r["headers"][2]["key"],
        serde_json::json!({"base64": "wyhudWxs"})
    );
    assert_eq!(r["headers"][2]["value"], Value::Null);

    let out = connectctl(&["dlq", "inspect", &dlq, "--show", "0:0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains(&format!("{target}-0@7")), "{shown}");
    assert!(!shown.contains("no context headers"), "{shown}");
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));

    // Replay: every header of the record's own, byte for byte, then the replay marks.
    let out = connectctl(&["dlq", "replay", &dlq, "--yes", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["replayed"], 1);
    assert_eq!(s["non_utf8_header_names"], 1);
    let got = consume(&target, 1);
    assert_eq!(got.len(), 1);
    let mut expected = vec![
        h(b"\xff\xfename", b"v"),
        h(b"app", b"kept"),
        (b"\xc3\x28null".to_vec(), None),
    ];
    expected.extend(marks(&dlq, 0));
    assert_eq!(got[0].headers, expected);
    assert_eq!(got[0].key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(got[0].value.as_deref(), Some(&br#"{"id":1}"#[..]));
}

#[test]
fn spring_dlt_headers_are_stripped_and_other_dialects_kept() {
    let dlq = unique("hostile-spring-dlq");
    let target = unique("hostile-spring-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    let spring = Rec {
        key: None,
        value: Some(b"spring".to_vec()),
        headers: vec![
            h(b"trace-id", b"t-1"),
            h(b"kafka_dlt-original-topic", target.as_bytes()),
            h(b"kafka_dlt-original-partition", &0i32.to_be_bytes()),
            h(b"kafka_dlt-original-offset", &41i64.to_be_bytes()),
            h(
                b"kafka_dlt-original-timestamp",
                &1_700_000_000_000i64.to_be_bytes(),
            ),
            h(b"kafka_dlt-original-consumer-group", b"billing"),
            h(
                b"kafka_dlt-exception-fqcn",
                b"org.springframework.kafka.listener.ListenerExecutionFailedException",
            ),
            h(b"kafka_dlt-exception-message", b"boom"),
        ],
    };
    // A record a Spring app dead-lettered, which then failed in a Connect sink reading the DLT:
    // the kafka_dlt-* headers are the record's own there and are kept.
    let mut chained_headers = vec![h(b"kafka_dlt-original-topic", b"payments")];
    chained_headers.extend(connect_headers(target.as_bytes(), b"0", b"42"));
    let chained = Rec {
        key: None,
        value: Some(b"chained".to_vec()),
        headers: chained_headers,
    };
    produce(&dlq, &[spring, chained], 1_000_000);

    let out = connectctl(&["dlq", "replay", &dlq, "--yes", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = consume(&target, 2);
    assert_eq!(got.len(), 2);
    let mut expected = vec![h(b"trace-id", b"t-1")];
    expected.extend(marks(&dlq, 0));
    assert_eq!(got[0].headers, expected, "Spring's headers are gone");
    let mut expected = vec![h(b"kafka_dlt-original-topic", b"payments")];
    expected.extend(marks(&dlq, 1));
    assert_eq!(
        got[1].headers, expected,
        "Connect's are gone, the record's own stay"
    );
}

#[test]
fn garbage_header_values_stop_with_the_record_named() {
    let dlq = unique("hostile-garbage-dlq");
    let target = unique("hostile-garbage-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    let mut headers = connect_headers(target.as_bytes(), b"\xff\xfe", b"-");
    headers.push(h(b"__connect.errors.task.id", &[0; 9]));
    headers.push(h(b"__connect.errors.exception.stacktrace", b"\xff\x00\xfe"));
    let rec = Rec {
        key: Some(vec![0xff]),
        value: Some(b"x".to_vec()),
        headers,
    };
    produce(&dlq, &[rec], 1_000_000);

    let out = connectctl(&["dlq", "inspect", &dlq, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["unknown_origin"], 1);
    let out = connectctl(&["dlq", "inspect", &dlq, "--show", "0:0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = connectctl(&["dlq", "replay", &dlq, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("stopped at {dlq}/0/0")), "{text}");
    assert!(
        text.contains("__connect.errors.partition is 0xfffe")
            && text.contains("__connect.errors.offset is '-'")
            && text.contains("--to TOPIC"),
        "{text}"
    );
    assert!(consume(&target, 1).is_empty());

    let out = connectctl(&["dlq", "replay", &dlq, "--yes", "--to", &target]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = consume(&target, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].headers,
        marks(&dlq, 0),
        "garbage context headers removed"
    );
}

#[test]
fn invalid_and_missing_target_topics_are_refused_before_anything_is_sent() {
    let dlq = unique("hostile-topics-dlq");
    let target = unique("hostile-topics-target");
    let missing = unique("hostile-topics-missing");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    let rec = |topic: &[u8]| Rec {
        key: None,
        value: Some(b"v".to_vec()),
        headers: connect_headers(topic, b"0", b"1"),
    };
    produce(
        &dlq,
        &[
            rec(target.as_bytes()),
            rec(b"bad topic!"),
            rec(missing.as_bytes()),
        ],
        1_000_000,
    );

    // The plan shows where the replay would stop, and why.
    let out = connectctl(&["dlq", "replay", &dlq, "--dry-run"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("stopped at {dlq}/0/1")), "{text}");
    assert!(
        text.contains("\"bad topic!\"")
            && text.contains("not a valid Kafka topic name")
            && text.contains("--to TOPIC"),
        "{text}"
    );

    // The real run: record 0 is replayed and committed, and it stops at record 1 at once
    // (before: 53 s, then "Conflicting abort_transaction API call is already in progress").
    let started = Instant::now();
    let out = connectctl(&["dlq", "replay", &dlq, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(stdout(&out).contains(&format!("stopped at {dlq}/0/1")));
    assert_eq!(consume(&target, 2).len(), 1);

    // Past the invalid one: the missing target stops the replay and is not created.
    let from = [
        "dlq",
        "replay",
        dlq.as_str(),
        "--from-offset",
        "2",
        "--group",
    ];
    let group = unique("hostile-topics-group");
    let out = connectctl(&[&from[..], &[group.as_str(), "--dry-run"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("stopped at {dlq}/0/2"))
            && text.contains(&format!(
                "{missing} (from the record's origin header) does not exist"
            ))
            && text.contains("--create-topics"),
        "{text}"
    );
    let out = connectctl(&[&from[..], &[group.as_str(), "--yes"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        !topic_exists(&missing),
        "the broker must not auto-create it"
    );

    let out = connectctl(&[&from[..], &[group.as_str(), "--yes", "--create-topics"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("were created") && stderr(&out).contains(&missing),
        "{}",
        stderr(&out)
    );
    let got = consume(&missing, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers, marks(&dlq, 2));
}

#[test]
fn oversize_records_are_named_with_the_limit_and_the_fix() {
    const BIG: usize = 10 * 1024 * 1024;
    let dlq = unique("hostile-big-dlq");
    let target = unique("hostile-big-target");
    create_big_topic(&dlq);
    create_topic(&target, 1);
    // Bytes that do not compress: the replay's producer compresses (lz4), and the broker
    // checks the compressed size.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise = |n: usize, x: &mut u64| -> Vec<u8> {
        (0..n)
            .map(|_| {
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                *x as u8
            })
            .collect()
    };
    let mut rec = |n: usize, offset: &[u8]| Rec {
        key: None,
        value: Some(noise(n, &mut x)),
        headers: connect_headers(target.as_bytes(), b"0", offset),
    };
    let records = [rec(10, b"1"), rec(BIG, b"2"), rec(10, b"3")];
    produce(&dlq, &records, 20_971_520);

    // Over the producer's message.max.bytes (librdkafka's default, 1000000).
    let started = Instant::now();
    let out = connectctl(&["dlq", "replay", &dlq, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("stopped at {dlq}/0/1"))
            && text.contains("more than the producer's message.max.bytes (1000000)")
            && text.contains("-X message.max.bytes=")
            && text.contains("--skip-oversize"),
        "{text}"
    );
    assert_eq!(
        consume(&target, 1).len(),
        1,
        "the record before it is replayed"
    );

    // Raising the producer's limit: now the topic (max.message.bytes 1048588) refuses it.
    let group = unique("hostile-big-group");
    let started = Instant::now();
    let out = connectctl(&[
        "-X",
        "message.max.bytes=20971520",
        "dlq",
        "replay",
        &dlq,
        "--yes",
        "--group",
        &group,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused after {:?}",
        started.elapsed()
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("record {dlq}/0/1 cannot be replayed to {target}"))
            && err.contains("max.message.bytes")
            && err.contains("--skip-oversize")
            && !err.contains("Conflicting"),
        "{err}"
    );
    assert_eq!(
        consume(&target, 2).len(),
        1,
        "nothing of the failed batch is visible"
    );

    // --skip-oversize, for both limits: the big record stays in the DLQ, the others go.
    let out = connectctl(&[
        "-X",
        "message.max.bytes=20971520",
        "dlq",
        "replay",
        &dlq,
        "--yes",
        "--group",
        &group,
        "--skip-oversize",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["replayed"], 2);
    assert_eq!(s["oversize"][0]["source"], format!("{dlq}/0/1"));
    let out = connectctl(&[
        "dlq",
        "replay",
        &dlq,
        "--yes",
        "--skip-oversize",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["replayed"], 1);
    assert_eq!(s["oversize"][0]["source"], format!("{dlq}/0/1"));
    let got = consume(&target, 4);
    let values: Vec<usize> = got
        .iter()
        .map(|r| r.value.as_ref().unwrap().len())
        .collect();
    assert_eq!(values, vec![10, 10, 10, 10], "no 10 MB record anywhere");
}

/// Terminal escapes in a DLQ record (its message, key, value, a header) reach neither the summary
/// table, `--show` nor the replay preview raw: they are printed as visible `\x1b` text. JSON keeps them exactly.
#[test]
fn control_characters_in_records_are_escaped_in_text_views() {
    let dlq = unique("hostile-escapes-dlq");
    let target = unique("hostile-escapes-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    let mut headers = connect_headers(target.as_bytes(), b"0", b"3");
    headers.pop();
    headers.push(h(
        b"__connect.errors.exception.message",
        b"bad \x1b]0;owned\x07 value \x1b[2J",
    ));
    headers.push(h(b"app", b"\x1b[31mred"));
    let rec = Rec {
        key: Some(b"k\x1b[1m".to_vec()),
        value: Some(b"v\x9b\x1b[8m".to_vec()),
        headers,
    };
    produce(&dlq, &[rec], 1_000_000);

    for args in [
        vec!["dlq", "inspect", &dlq],
        vec!["dlq", "inspect", &dlq, "--show", "0:0"],
        vec!["dlq", "replay", &dlq, "--dry-run", "--preview", "1"],
    ] {
        let out = connectctl(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{args:?}: {text:?}"
        );
        assert!(text.contains("\\x1b"), "{args:?}: {text}");
    }
    let out = connectctl(&["dlq", "inspect", &dlq, "--records", "-o", "jsonl"]);
    let r: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(r["key"], "k\u{1b}[1m");
}
