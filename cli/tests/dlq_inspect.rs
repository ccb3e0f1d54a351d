//! `connectctl dlq inspect` against the real environment: DLQ records written by Apache Kafka
//! Connect, records in other dialects produced by hand, and every error path.

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connect_dlq::dialect;
use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};
use serde_json::Value;

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env_remove("CONNECTCTL_CONTEXT")
        .env(
            "CONNECTCTL_CONFIG",
            std::env::temp_dir().join(unique("no-config")),
        )
        .env("NO_COLOR", "1");
    c
}

/// Runs `connectctl dlq inspect ARGS` against the environment's Kafka and Connect.
fn inspect(args: &[&str]) -> Output {
    let e = env();
    connectctl()
        .args([
            "dlq",
            "inspect",
            "--url",
            &e.connect_url,
            "--bootstrap-servers",
            &e.bootstrap_servers,
        ])
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn failed(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

/// A usage error: exit 2, and clap's (or our) message on the first line.
fn usage(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    err.lines().next().unwrap_or("").to_owned()
}

fn jsonl(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const GOOD: &str = r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#;

#[test]
fn real_connect_dlq_summary_records_show_and_filters() {
    let connect = Connect::new();
    let topic = unique("cli-insp-src");
    let dlq = unique("cli-insp-dlq");
    let name = unique("cli-insp-sink");
    create_topic(&topic, 1);
    // Offsets 0..15: envelopes pass; plain JSON (1, 5, 9, 13) and non-JSON (3, 7, 11) fail.
    let mut records = Vec::new();
    let (mut plain, mut not_json) = (BTreeSet::new(), BTreeSet::new());
    for i in 0..15i64 {
        records.push(match i % 4 {
            1 => {
                plain.insert(i);
                TestRecord::value(format!(r#"{{"id":{i}}}"#)).key(format!("user-{i}"))
            }
            3 => {
                not_json.insert(i);
                TestRecord::value(format!("<xml>{i}</xml>")).key([0xfe, i as u8])
            }
            _ => TestRecord::value(GOOD),
        });
    }
    produce(&topic, &records);
    let out_file = std::env::temp_dir().join(format!("{name}.txt"));
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": out_file.to_str().unwrap(),
            "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    let n = plain.len() + not_json.len();
    assert_eq!(consume(&dlq, n, Duration::from_secs(90), true).len(), n);

    // The summary, found through the connector's config.
    let out = inspect(&["--connector", &name, "-o", "json"]);
    let summary: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "headers on: no warning"
    );
    assert_eq!(summary["topic"], dlq.as_str());
    assert_eq!(summary["total"], 7);
    assert_eq!(summary["unknown_origin"], 0);
    let groups = summary["groups"].as_array().unwrap();
    let envelope = groups
        .iter()
        .find(|g| {
            g["message"]
                .as_str()
                .unwrap()
                .starts_with("JsonConverter with schemas.enable")
        })
        .expect("a group for plain JSON");
    assert_eq!(envelope["count"], 4);
    assert_eq!(envelope["connector"], name.as_str());
    assert_eq!(envelope["stage"], "VALUE_CONVERTER");
    assert_eq!(
        envelope["exception"],
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(envelope["original_topics"], serde_json::json!([topic]));
    assert!(
        envelope["first_timestamp"].as_i64().unwrap()
            <= envelope["last_timestamp"].as_i64().unwrap()
    );
    let rest: u64 = groups
        .iter()
        .filter(|g| *g != envelope)
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(rest, 3);

    // Every record, with its exact origin.
    let recs = jsonl(&ok(&inspect(&[&dlq, "--records", "-o", "jsonl"])));
    assert_eq!(recs.len(), 7);
    let (mut got_plain, mut got_not_json) = (BTreeSet::new(), BTreeSet::new());
    for r in &recs {
        assert_eq!(r["original"]["topic"], topic.as_str());
        assert_eq!(r["original"]["partition"], 0);
        let off = r["original"]["offset"].as_i64().unwrap();
        assert_eq!(r["dlq"]["topic"], dlq.as_str());
        assert_eq!(r["connector"], name.as_str());
        assert_eq!(r["task"], 0);
        assert_eq!(r["class"], "org.apache.kafka.connect.json.JsonConverter");
        if plain.contains(&off) {
            got_plain.insert(off);
            assert_eq!(r["key"], format!("user-{off}"));
            assert_eq!(r["value"], format!(r#"{{"id":{off}}}"#));
        } else {
            got_not_json.insert(off);
            assert!(r["key"]["base64"].is_string(), "binary key: {}", r["key"]);
            assert_eq!(r["value"], format!("<xml>{off}</xml>"));
            assert!(
                r["exception"]["root_cause"]["exception"]
                    .as_str()
                    .unwrap()
                    .contains("jackson")
            );
        }
    }
    assert_eq!((got_plain, got_not_json), (plain.clone(), not_json.clone()));

    // `-o json` is the same records as one array.
    let array: Value =
        serde_json::from_str(&ok(&inspect(&[&dlq, "--records", "-o", "json"]))).unwrap();
    assert_eq!(array.as_array().unwrap(), &recs);
    let empty = ok(&inspect(&[
        &dlq,
        "--records",
        "-o",
        "json",
        "--stage",
        "TASK_PUT",
    ]));
    assert_eq!(
        serde_json::from_str::<Value>(&empty).unwrap(),
        serde_json::json!([])
    );

    // The records table: a header and one line per record, origin shown as topic-partition@offset.
    let table = ok(&inspect(&[&dlq, "--records"]));
    assert_eq!(table.lines().count(), 8, "{table}");
    assert!(table.lines().next().unwrap().starts_with("DLQ"));
    assert!(table.contains(&format!("{topic}-0@1")), "{table}");

    // The summary table with totals.
    let table = ok(&inspect(&[&dlq]));
    assert!(
        table.contains("DataException") && table.contains("7 records in"),
        "{table}"
    );

    // One record in full, its trace analysed.
    let shown = ok(&inspect(&[&dlq, "--show", "0:0"]));
    assert!(
        shown.contains(&format!("Origin:       {topic}-0@1")),
        "{shown}"
    );
    assert!(
        shown.contains("Root cause:") && shown.contains("Stack trace:"),
        "{shown}"
    );
    let shown: Value =
        serde_json::from_str(&ok(&inspect(&[&dlq, "--show", "0:0", "-o", "json"]))).unwrap();
    assert_eq!(shown["original"]["offset"], 1);
    assert!(
        shown["stacktrace"]
            .as_str()
            .unwrap()
            .contains("\tat org.apache.kafka.connect.json")
    );

    // Filters and ranges.
    let count = |args: &[&str]| -> u64 {
        let mut a = vec![dlq.as_str(), "-o", "json"];
        a.extend_from_slice(args);
        serde_json::from_str::<Value>(&ok(&inspect(&a))).unwrap()["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&["--exception", "JsonParseException"]), 3);
    assert_eq!(count(&["--grep", "schemas\\.enable"]), 4);
    assert_eq!(count(&["--key", "^user-"]), 4);
    assert_eq!(
        count(&["--stage", "value_converter", "--original-topic", &topic]),
        7
    );
    assert_eq!(count(&["--stage", "TRANSFORMATION"]), 0);
    assert_eq!(count(&["--connector", "someone-else"]), 0);
    assert_eq!(count(&["--from-offset", "5"]), 2);
    assert_eq!(count(&["--limit", "3"]), 3);
    assert_eq!(count(&["--since", "1h"]), 7);
    assert_eq!(count(&["--since", "2999-01-01T00:00:00Z"]), 0);
    assert_eq!(
        jsonl(&ok(&inspect(&[
            &dlq,
            "--records",
            "-o",
            "jsonl",
            "--limit",
            "2"
        ])))
        .len(),
        2
    );
    // Past the end of the partition.
    let err = failed(&inspect(&[&dlq, "--show", "0:99"]), 1);
    assert!(err.contains("offsets 0..7"), "{err}");

    connect.delete(&name);
}

#[test]
fn other_dialects_binary_payloads_and_tombstones_as_jsonl() {
    let topic = unique("cli-insp-mixed");
    create_topic(&topic, 2);
    let spring = TestRecord {
        partition: Some(0),
        ..TestRecord::value("{}")
    }
    .header(dialect::SPRING_ORIGINAL_TOPIC, Some(b"payments"))
    .header(
        dialect::SPRING_ORIGINAL_PARTITION,
        Some(&5i32.to_be_bytes()),
    )
    .header(dialect::SPRING_ORIGINAL_OFFSET, Some(&77i64.to_be_bytes()))
    .header(
        dialect::SPRING_EXCEPTION_FQCN,
        Some(b"java.lang.IllegalStateException"),
    )
    .header(dialect::SPRING_EXCEPTION_MESSAGE, Some(b"bad amount"));
    let binary = TestRecord {
        partition: Some(1),
        key: Some(vec![0xff]),
        value: Some(vec![0x80, 0x81]),
        ..Default::default()
    };
    let tombstone = TestRecord {
        partition: Some(1),
        key: Some(b"k".to_vec()),
        ..Default::default()
    };
    let garbage = TestRecord {
        partition: Some(1),
        ..TestRecord::value("v")
    }
    .header(connect_dlq::headers::PARTITION, Some(&[0xff]))
    .header(connect_dlq::headers::STAGE, Some(&[0xc3, 0x28]));
    produce(&topic, &[spring, binary, tombstone, garbage]);

    let recs = jsonl(&ok(&inspect(&[&topic, "--records", "-o", "jsonl"])));
    assert_eq!(recs.len(), 4);
    let spring = recs.iter().find(|r| r["dialect"] == "spring").unwrap();
    assert_eq!(
        spring["original"],
        serde_json::json!({"topic": "payments", "partition": 5, "offset": 77})
    );
    assert_eq!(spring["exception"]["message"], "bad amount");
    let p1: Vec<&Value> = recs.iter().filter(|r| r["dlq"]["partition"] == 1).collect();
    assert_eq!(p1.len(), 3);
    assert_eq!(p1[0]["key"], serde_json::json!({"base64": "/w=="}));
    assert_eq!(p1[0]["value"], serde_json::json!({"base64": "gIE="}));
    assert_eq!(p1[0]["original"], Value::Null);
    assert_eq!(p1[0]["dialect"], "none");
    assert_eq!(p1[1]["value"], Value::Null, "tombstone");
    assert_eq!(
        p1[2]["original"],
        Value::Null,
        "garbage headers give no origin"
    );

    let summary: Value = serde_json::from_str(&ok(&inspect(&[&topic, "-o", "json"]))).unwrap();
    assert_eq!(summary["total"], 4);
    assert_eq!(summary["unknown_origin"], 3);
    let table = ok(&inspect(&[&topic]));
    assert!(
        table.contains("(no context headers)") && table.contains("payments"),
        "{table}"
    );
    let table = ok(&inspect(&[&topic, "--records", "--partition", "1"]));
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(
        table.contains("unknown") && table.contains("0xff"),
        "{table}"
    );
}

#[test]
fn connector_without_dlq_or_context_headers_is_explained() {
    let connect = Connect::new();
    let topic = unique("cli-insp-nodlq-src");
    create_topic(&topic, 1);
    let base = serde_json::json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": topic,
        "file": std::env::temp_dir().join(unique("nodlq")).to_str().unwrap(),
    });
    let no_dlq = unique("cli-insp-nodlq");
    connect.create(&no_dlq, base.clone());
    let err = failed(&inspect(&["--connector", &no_dlq]), 1);
    assert!(
        err.contains(&format!("connector {no_dlq} has no dead letter queue")),
        "{err}"
    );
    assert!(err.contains("errors.deadletterqueue.topic.name="), "{err}");
    connect.delete(&no_dlq);

    let dlq = unique("cli-insp-noheaders-dlq");
    create_topic(&dlq, 1);
    let mut cfg = base;
    cfg["errors.tolerance"] = "all".into();
    cfg["errors.deadletterqueue.topic.name"] = dlq.clone().into();
    cfg["errors.deadletterqueue.topic.replication.factor"] = "1".into();
    let no_headers = unique("cli-insp-noheaders");
    connect.create(&no_headers, cfg);
    let out = inspect(&["--connector", &no_headers]);
    let stdout = ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("errors.deadletterqueue.context.headers.enable=true"),
        "{stderr}"
    );
    assert!(stdout.contains("No records in"), "{stdout}");
    connect.delete(&no_headers);

    let err = failed(&inspect(&["--connector", &unique("no-such-connector")]), 1);
    assert!(err.contains("no connector named"), "{err}");
}

#[test]
fn usage_and_kafka_errors_are_one_line_with_the_fix() {
    let err = failed(&inspect(&[&unique("no-such-dlq")]), 1);
    assert!(err.contains("does not exist"), "{err}");

    let err = usage(&inspect(&["some-topic", "--show", "zero"]));
    assert!(err.contains("PARTITION:OFFSET"), "{err}");
    let err = usage(&inspect(&["some-topic", "--since", "yesterday"]));
    assert!(err.contains("2h"), "{err}");
    let err = usage(&inspect(&["some-topic", "--grep", "("]));
    assert!(err.contains("--grep"), "{err}");
    let err = failed(&inspect(&[]), 2);
    assert!(err.contains("--connector NAME"), "{err}");
    let err = failed(&inspect(&["some-topic", "-X", "nonsense"]), 2);
    assert!(err.contains("KEY=VALUE"), "{err}");

    let out = connectctl()
        .args(["dlq", "inspect", "some-topic"])
        .output()
        .unwrap();
    let err = failed(&out, 2);
    assert!(
        err.contains("pass --bootstrap-servers or set CONNECTCTL_BOOTSTRAP_SERVERS"),
        "{err}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t0 = Instant::now();
    let out = connectctl()
        .args(["dlq", "inspect", "t", "--kafka-timeout", "2s"])
        .args(["--bootstrap-servers", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let err = failed(&out, 1);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "bounded: {:?}",
        t0.elapsed()
    );
    assert!(
        err.contains(&format!("cannot reach Kafka at 127.0.0.1:{port}")),
        "{err}"
    );

    // Settings given with -X work like kcat's.
    let topic = unique("cli-insp-x");
    create_topic(&topic, 1);
    let out = connectctl()
        .args(["dlq", "inspect", &topic, "-o", "json"])
        .args([
            "-X",
            &format!("bootstrap.servers={}", env().bootstrap_servers),
            "-X",
            "client.id=x",
        ])
        .output()
        .unwrap();
    let s: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(s["total"], 0);
}

#[test]
fn follow_streams_records_that_arrive_later() {
    use std::io::BufRead;
    let topic = unique("cli-insp-follow");
    create_topic(&topic, 1);
    produce(&topic, &[TestRecord::value("before")]);
    let e = env();
    let mut child = connectctl()
        .args(["dlq", "inspect", &topic, "--follow", "-o", "jsonl"])
        .args(["--bootstrap-servers", &e.bootstrap_servers])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    produce(&topic, &[TestRecord::value("after")]);
    let second = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let value = |l: Result<String, _>| {
        serde_json::from_str::<Value>(&l.expect("a line")).unwrap()["value"].clone()
    };
    assert_eq!(value(first), "before");
    assert_eq!(value(second), "after");
}
