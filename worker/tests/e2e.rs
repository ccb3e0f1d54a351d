//! connect-worker against the real Kafka broker, side by side with the real Apache worker.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use connect_dlq::headers;
use connect_testkit::worker::Worker;
use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

fn start() -> Worker {
    Worker::start(Path::new(BIN))
}

fn start_in(dir: tempfile::TempDir) -> Worker {
    Worker::start_with(Path::new(BIN), dir, &[], &[])
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn line_count(p: &Path) -> usize {
    std::fs::read_to_string(p)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn version_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_connect-worker"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("connect-worker ")
    );
}

#[test]
fn root_matches_apache_connect_on_the_same_cluster() {
    let w = start();
    let (code, ours) = w.api().call("GET", "/", None);
    let (_, apache) = Connect::new().call("GET", "/", None);
    assert_eq!(code, 200);
    assert_eq!(ours["kafka_cluster_id"], apache["kafka_cluster_id"]);
    assert_eq!(ours["version"], apache["version"]);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&apache));
}

/// FileStreamSource -> Kafka -> FileStreamSink moves a file intact; a graceful restart resumes
/// from the committed source offset without re-reading the file.
#[test]
fn file_source_to_file_sink_moves_a_file_intact() {
    let w = start();
    let topic = unique("fs-topic");
    create_topic(&topic, 3);
    let input = w.path("in.txt");
    let output = w.path("out.txt");
    let lines: Vec<String> = (0..20_000)
        .map(|i| format!("line {i} é ✓ {}", "x".repeat(i % 50)))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let api = w.api();
    api.create(
        "src",
        json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
               "key.converter": "org.apache.kafka.connect.storage.StringConverter",
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    api.create(
        "sink",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "file": output, "topics": topic,
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    wait_until(
        "the sink to write every line",
        Duration::from_secs(120),
        || line_count(&output) >= lines.len(),
    );
    let status = api.status("src").unwrap();
    assert_eq!(status.tasks[0].state.as_str(), "RUNNING");
    // Lines of different partitions interleave; as a multiset the output equals the input.
    let mut got: Vec<String> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut want = lines.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let (code, topics) = api.call("GET", "/connectors/src/topics", None);
    assert_eq!((code, topics), (200, json!({"src": {"topics": [topic]}})));

    // The source offset is the file size; the sink's are the consumer group's positions.
    wait_until("the source offset commit", Duration::from_secs(30), || {
        let (_, o) = api.call("GET", "/connectors/src/offsets", None);
        o["offsets"][0]["offset"]["position"].as_u64()
            == Some(std::fs::metadata(&input).unwrap().len())
    });
    wait_until("the sink offsets commit", Duration::from_secs(30), || {
        let (_, o) = api.call("GET", "/connectors/sink/offsets", None);
        let total: i64 = o["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["offset"]["kafka_offset"].as_i64().unwrap())
            .sum();
        total == lines.len() as i64
    });

    // Restart the worker: the connectors are not persisted in standalone mode, the offsets are.
    let dir = w.terminate();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    std::io::Write::write_all(&mut f, b"after restart\n").unwrap();
    let w = start_in(dir);
    let api = w.api();
    api.create(
        "src",
        json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    api.create(
        "sink",
        json!({"connector.class": "FileStreamSink", "file": output, "topics": topic,
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    wait_until("the new line", Duration::from_secs(60), || {
        line_count(&output) > lines.len()
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        line_count(&output),
        lines.len() + 1,
        "nothing re-read, nothing lost"
    );
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .ends_with("after restart\n")
    );
}

/// The same bad input through the real Apache worker and through ours: exactly the bad records
/// reach the DLQ, with the same headers in the same order and the same values (except the
/// stack frames and the connector name).
#[test]
fn json_mismatch_goes_to_the_dlq_like_apache() {
    let topic = unique("dlq-src");
    create_topic(&topic, 1);
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
            TestRecord::value("not json at all"),
        ],
    );
    let config = |dlq: &str, out: &Path| {
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": out,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        })
    };
    let w = start();
    let (ours_dlq, apache_dlq) = (unique("dlq-ours"), unique("dlq-apache"));
    let (ours_name, apache_name) = (unique("dlq-sink-ours"), unique("dlq-sink-apache"));
    let ours_out = w.path("out.txt");
    let apache_out = std::env::temp_dir().join(format!("{apache_name}.txt"));
    w.api().create(&ours_name, config(&ours_dlq, &ours_out));
    let apache = Connect::new();
    apache.create(&apache_name, config(&apache_dlq, &apache_out));
    let ours = consume(&ours_dlq, 3, Duration::from_secs(60), true);
    let theirs = consume(&apache_dlq, 3, Duration::from_secs(60), true);
    apache.delete(&apache_name);
    assert_eq!(ours.len(), 3, "exactly the three bad records reach our DLQ");
    assert_eq!(theirs.len(), 3);
    wait_until(
        "the good records in the file",
        Duration::from_secs(30),
        || line_count(&ours_out) == 2,
    );
    assert_eq!(std::fs::read_to_string(&ours_out).unwrap(), "ok\nok\n");
    assert_eq!(
        w.api().status(&ours_name).unwrap().tasks[0].state.as_str(),
        "RUNNING"
    );
    assert_eq!(
        partitions(&ours_dlq),
        1,
        "the DLQ topic is created with one partition"
    );
    let metrics = reqwest_text(&format!("{}/metrics", w.url));
    for (series, n) in [
        ("kafka_connect_sink_task_metrics_sink_record_read_total", 5),
        ("kafka_connect_sink_task_metrics_sink_record_send_total", 2),
        ("kafka_connect_task_error_metrics_total_record_errors", 3),
        ("kafka_connect_task_error_metrics_total_records_skipped", 3),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
            3,
        ),
    ] {
        let line = format!("{series}{{connector=\"{ours_name}\",task=\"0\"}} {n}\n");
        assert!(metrics.contains(&line), "{line} missing from:\n{metrics}");
    }

    for (o, a) in ours.iter().zip(&theirs) {
        assert_eq!((&o.key, &o.value), (&a.key, &a.value), "the original bytes");
        let names = |r: &TestRecord| r.headers.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(names(o), names(a), "header names and order");
        for ((k, ov), (_, av)) in o.headers.iter().zip(&a.headers) {
            let text =
                |v: &Option<Vec<u8>>| v.as_deref().map(|b| String::from_utf8(b.to_vec()).unwrap());
            let (ov, av) = (text(ov), text(av));
            match k.as_str() {
                headers::TOPIC
                | headers::PARTITION
                | headers::OFFSET
                | headers::TASK
                | headers::STAGE
                | headers::CLASS
                | headers::EXCEPTION_CLASS => assert_eq!(ov, av, "{k}"),
                headers::CONNECTOR => assert_eq!(ov.as_deref(), Some(ours_name.as_str())),
                headers::EXCEPTION_MESSAGE => {
                    // The envelope message is Apache's exactly; for unparseable bytes only the
                    // parser's part differs (Jackson vs serde_json).
                    assert_eq!(ov, av, "{k}")
                }
                headers::EXCEPTION_STACKTRACE => {
                    let first = |s: &Option<String>| {
                        s.as_deref().unwrap().lines().next().unwrap().to_owned()
                    };
                    assert_eq!(first(&ov), first(&av), "first line of the trace");
                    let causes = |s: &Option<String>| {
                        s.as_deref()
                            .unwrap()
                            .lines()
                            .filter_map(|l| l.strip_prefix("Caused by: "))
                            .map(|l| l.split(':').next().unwrap().to_owned())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(
                        causes(&ov),
                        causes(&av),
                        "exception classes of the cause chain"
                    );
                    assert!(
                        ov.unwrap()
                            .contains("\tat org.apache.kafka.connect.json.JsonConverter")
                    );
                }
                _ => assert_eq!(ov, av, "{k}"),
            }
        }
    }
}

/// With `errors.tolerance=none` a bad record still reaches the DLQ, then the task fails with a
/// trace shaped like Apache's: same first line, same chain of exception classes.
#[test]
fn task_failure_trace_matches_apache() {
    let topic = unique("fail-src");
    create_topic(&topic, 1);
    produce(&topic, &[TestRecord::value(r#"{"plain":"json"}"#)]);
    let config = |dlq: &str| {
        json!({
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": std::env::temp_dir().join(format!("{dlq}.txt")),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        })
    };
    let w = start();
    let (ours_name, apache_name) = (unique("fail-ours"), unique("fail-apache"));
    let (ours_dlq, apache_dlq) = (unique("fail-dlq-ours"), unique("fail-dlq-apache"));
    let ours = w.api();
    let apache = Connect::new();
    ours.create(&ours_name, config(&ours_dlq));
    apache.create(&apache_name, config(&apache_dlq));
    let failed = |s: &connect_api::ConnectorStateInfo| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    };
    let o = ours.wait_for(&ours_name, Duration::from_secs(60), "FAILED", failed);
    let a = apache.wait_for(&apache_name, Duration::from_secs(60), "FAILED", failed);
    let a_dlq = consume(&apache_dlq, 1, Duration::from_secs(30), true);
    apache.delete(&apache_name);
    assert_eq!(
        o.connector.state.as_str(),
        a.connector.state.as_str(),
        "the connector itself keeps running"
    );
    let (ot, at) = (
        o.tasks[0].trace.clone().unwrap(),
        a.tasks[0].trace.clone().unwrap(),
    );
    assert_eq!(ot.lines().next(), at.lines().next());
    let causes = |t: &str| {
        t.lines()
            .filter_map(|l| l.strip_prefix("Caused by: "))
            .map(|l| l.split(':').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(causes(&ot), causes(&at));
    assert!(ot.ends_with('\n') && ot.contains("\n\tat "), "{ot}");
    let o_dlq = consume(&ours_dlq, 1, Duration::from_secs(30), true);
    assert_eq!(
        (o_dlq.len(), a_dlq.len()),
        (1, 1),
        "the failing record is reported before the task fails"
    );
    let (_, ts) = ours.call(
        "GET",
        &format!("/connectors/{ours_name}/tasks/0/status"),
        None,
    );
    assert_eq!(ts["state"], "FAILED");
    // Restarting only failed tasks answers 202 with the task RESTARTING, as Apache does.
    let (code, body) = ours.call(
        "POST",
        &format!("/connectors/{ours_name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(
        (code, body["tasks"][0]["state"].as_str()),
        (202, Some("RESTARTING"))
    );
    ours.wait_for(&ours_name, Duration::from_secs(60), "FAILED again", failed);
}

/// kill -9 in the middle of a FileStreamSource -> Kafka -> FileStreamSink transfer, then a
/// restart: no line is lost; duplicates are possible only within the uncommitted window and are
/// counted.
#[test]
fn kill_9_mid_transfer_loses_nothing() {
    const LINES: usize = 1_000_000;
    let mut w = start();
    let topic = unique("kill-topic");
    create_topic(&topic, 1);
    let input = w.path("in.txt");
    let output = w.path("out.txt");
    let mut text = String::with_capacity(LINES * 16);
    for i in 0..LINES {
        text.push_str(&format!("line-{i}\n"));
    }
    std::fs::write(&input, &text).unwrap();
    let connectors = |api: &Connect| {
        api.create(
            "src",
            json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
                   "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
        );
        api.create(
            "sink",
            json!({"connector.class": "FileStreamSink", "file": output, "topics": topic,
                   "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
        );
    };
    let started = Instant::now();
    connectors(&w.api());
    wait_until("a third of the lines", Duration::from_secs(120), || {
        line_count(&output) >= LINES / 3
    });
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let before = line_count(&output);
    let dir = std::mem::replace(&mut w.dir, tempfile::tempdir().unwrap());
    drop(w);
    let w = start_in(dir);
    connectors(&w.api());
    let input_len = text.len() as u64;
    let distinct = || {
        // Parsing a million lines is slow in a debug build; only do it once the bytes are there.
        if std::fs::metadata(&output).map_or(0, |m| m.len()) < input_len {
            return 0;
        }
        let text = std::fs::read_to_string(&output).unwrap_or_default();
        text.lines().collect::<std::collections::HashSet<_>>().len()
    };
    wait_until(
        "every line after the restart",
        Duration::from_secs(300),
        || distinct() >= LINES,
    );
    let elapsed = started.elapsed();
    let text = std::fs::read_to_string(&output).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0usize;
    for l in text.lines() {
        assert!(
            l.starts_with("line-") && l[5..].parse::<usize>().is_ok_and(|n| n < LINES),
            "corrupt line {l:?}"
        );
        if !seen.insert(l) {
            duplicates += 1;
        }
    }
    assert_eq!(seen.len(), LINES, "no line lost");
    eprintln!(
        "kill -9 after {before} lines: {LINES} lines delivered, {duplicates} duplicates, {:.1}s in total",
        elapsed.as_secs_f64()
    );
    // Duplicates come only from the window since the last commit (500 ms here).
    assert!(duplicates < LINES / 2, "{duplicates} duplicates");
}

fn partitions(topic: &str) -> usize {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &env().bootstrap_servers)
        .create()
        .unwrap();
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    md.topics()[0].partitions().len()
}

/// `connect-worker standalone worker.properties a.properties b.json` starts both connectors.
#[test]
fn connector_files_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("cli-topic");
    let props = dir.path().join("src.properties");
    std::fs::write(
        &props,
        format!(
            "name=file-src\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n",
            dir.path().join("in.txt").display()
        ),
    )
    .unwrap();
    let json_file = dir.path().join("sink.json");
    std::fs::write(
        &json_file,
        json!({"name": "file-sink", "config": {"connector.class": "FileStreamSink", "topics": topic}}).to_string(),
    )
    .unwrap();
    let w = Worker::start_with(Path::new(BIN), dir, &[], &[&props, &json_file]);
    let (_, names) = w.api().call("GET", "/connectors", None);
    assert_eq!(names, json!(["file-sink", "file-src"]));
    let (_, info) = w.api().call("GET", "/connectors/file-sink", None);
    assert_eq!(info["type"], "sink");
}

/// Transforms run in the source pipeline: the topic is rewritten by RegexRouter, a header is
/// added, and Filter (negated predicate) drops nothing that matches.
#[test]
fn source_transforms_route_and_add_headers() {
    let w = start();
    let base = unique("smt");
    let (raw, routed) = (format!("{base}-raw"), format!("{base}-clean"));
    create_topic(&routed, 1);
    let input = w.path("in.txt");
    std::fs::write(&input, "a\nb\n").unwrap();
    w.api().create(
        "src",
        json!({"connector.class": "FileStreamSource", "file": input, "topic": raw,
               "value.converter": "org.apache.kafka.connect.storage.StringConverter",
               "transforms": "route,mark,keep",
               "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
               "transforms.route.regex": "(.*)-raw", "transforms.route.replacement": "$1-clean",
               "transforms.mark.type": "InsertHeader", "transforms.mark.header": "origin",
               "transforms.mark.value.literal": "file",
               "transforms.keep.type": "Filter", "transforms.keep.predicate": "isClean",
               "transforms.keep.negate": "true",
               "predicates": "isClean", "predicates.isClean.type": "TopicNameMatches",
               "predicates.isClean.pattern": ".*-clean"}),
    );
    let records = consume(&routed, 2, Duration::from_secs(60), false);
    let values: Vec<&str> = records.iter().map(|r| r.value_str().unwrap()).collect();
    assert_eq!(values, ["a", "b"]);
    assert_eq!(records[0].header_str("origin"), Some("file"));
    let (_, topics) = w.api().call("GET", "/connectors/src/topics", None);
    assert_eq!(topics, json!({"src": {"topics": [routed]}}));
}

/// A plain-text GET (the metrics endpoint is not JSON).
fn reqwest_text(url: &str) -> String {
    let out = Command::new("curl").args(["-sf", url]).output().unwrap();
    assert!(out.status.success(), "GET {url} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// Many concurrent `PATCH /connectors/{c}/config` requests, each with its own key: every key is
/// in the config afterwards (a patch reads and writes the config under the herder's lock).
#[test]
fn concurrent_patches_over_rest_all_land() {
    let w = start();
    let name = unique("patch");
    let topic = unique("patch");
    w.api().create(
        &name,
        json!({"connector.class": "FileStreamSink", "topics": topic,
               "file": w.path("patched.txt")}),
    );
    let url = w.url.clone();
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let (url, name) = (url.clone(), name.clone());
            std::thread::spawn(move || {
                let (code, body) = Connect::at(&url).call(
                    "PATCH",
                    &format!("/connectors/{name}/config"),
                    Some(&json!({ format!("patch.key.{i}"): format!("v{i}") })),
                );
                assert_eq!(code, 200, "{body}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (code, config) = w
        .api()
        .call("GET", &format!("/connectors/{name}/config"), None);
    assert_eq!(code, 200);
    for i in 0..24 {
        assert_eq!(
            config[format!("patch.key.{i}")],
            format!("v{i}"),
            "patch.key.{i} was lost: {config}"
        );
    }
    w.api().delete(&name);
}
