//! Dead letter queues for source connectors (a connect-worker addition: Apache has them for sink
//! connectors only), against the real broker: which records reach the DLQ, in what form, with
//! which context headers, and that `connect_dlq`'s replay puts them back on their topic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::{ConnectorTaskId, ConnectorType};
use connect_dlq::headers;
use connect_testkit::worker::Worker;
use connect_testkit::{TestRecord, consume, create_topic, env, unique};
use connect_worker::data::{ConnectRecord, Schema, SourceRecord, Type, Value};
use connect_worker::error::ConnectError;
use connect_worker::plugin::{OffsetLookup, OffsetMap, SourceTask, Task};
use connect_worker::runtime::herder::{Runtime, TaskSpec};
use connect_worker::runtime::metrics::Metrics;
use connect_worker::runtime::store::{
    FileOffsetStore, MemoryStatusStore, OffsetStore, StatusStore,
};
use connect_worker::runtime::worker::{KafkaRuntime, RuntimeSettings};
use serde_json::{Value as Json, json};

/// This crate's worker; `CONNECT_WORKER_BIN` picks another build (checkouts that share one
/// target dir overwrite each other's `target/debug/connect-worker`).
fn start() -> Worker {
    let bin = std::env::var_os("CONNECT_WORKER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_connect-worker")),
        PathBuf::from,
    );
    Worker::start(&bin)
}

/// A file of lines in the worker's directory.
fn file(w: &Worker, name: &str, lines: &[&str]) -> String {
    let path = w.path(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_owned()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(v: &Option<Vec<u8>>) -> Option<&str> {
    v.as_deref().map(|b| std::str::from_utf8(b).unwrap())
}

/// Header names and UTF-8 values, in order.
fn header_texts(r: &TestRecord) -> Vec<(&str, Option<&str>)> {
    r.headers
        .iter()
        .map(|(k, v)| (k.as_str(), text(v)))
        .collect()
}

/// A FileStreamSource whose records all fail in the header converter: InsertHeader adds a
/// string header, which ByteArrayConverter refuses.
fn failing_source(file: &str, topic: &str, dlq: &str) -> Json {
    json!({
        "connector.class": "FileStreamSource",
        "file": file,
        "topic": topic,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "transforms": "mark",
        "transforms.mark.type": "org.apache.kafka.connect.transforms.InsertHeader",
        "transforms.mark.header": "source",
        "transforms.mark.value.literal": "file",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })
}

const BYTE_ARRAY: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";

/// Every line of the file fails in the header converter and reaches the DLQ, in order, with the
/// value written by the value converter, the failing header as JSON and the ten context
/// headers; the offsets of the skipped lines are committed; `connect_dlq`'s replay puts every
/// line back on its topic.
#[test]
fn failed_file_source_records_reach_the_dlq_and_replay_to_their_topic() {
    let w = start();
    let topic = unique("sdlq-lines");
    let dlq = unique("sdlq-dlq");
    create_topic(&topic, 1);
    let lines = ["alpha", "beta é", "gamma"];
    let file = file(&w, "in.txt", &lines);
    let name = unique("sdlq-src");
    w.api().create(&name, failing_source(&file, &topic, &dlq));

    let got = consume(&dlq, lines.len(), Duration::from_secs(60), false);
    assert_eq!(got.len(), lines.len(), "every line reaches the DLQ");
    for (r, line) in got.iter().zip(lines) {
        assert_eq!(r.key, None, "a null key stays null");
        assert_eq!(text(&r.value), Some(line), "the value converter's bytes");
        let hs = header_texts(r);
        assert_eq!(hs.len(), 11, "{hs:?}");
        assert_eq!(
            hs[..10],
            [
                ("source", Some(r#""file""#)),
                (headers::TOPIC, Some(topic.as_str())),
                (headers::PARTITION, Some("-1")),
                (headers::OFFSET, Some("-1")),
                (headers::CONNECTOR, Some(name.as_str())),
                (headers::TASK, Some("0")),
                (headers::STAGE, Some("HEADER_CONVERTER")),
                (headers::CLASS, Some(BYTE_ARRAY)),
                (headers::EXCEPTION_CLASS, Some(DATA_EXCEPTION)),
                (
                    headers::EXCEPTION_MESSAGE,
                    Some("Invalid schema type for ByteArrayConverter: STRING")
                ),
            ]
        );
        assert_eq!(hs[10].0, headers::EXCEPTION_STACKTRACE);
        assert_eq!(
            hs[10].1,
            Some(
                "org.apache.kafka.connect.errors.DataException: Invalid schema type for ByteArrayConverter: STRING\n\
                 \tat org.apache.kafka.connect.runtime.AbstractWorkerSourceTask.convertTransformedRecord(source_task.rs)\n"
            )
        );
    }
    let api = w.api();
    assert_eq!(
        api.status(&name).unwrap().tasks[0].state.as_str(),
        "RUNNING"
    );
    // The skipped lines' offsets are committed, so a restart does not report them again.
    let end = std::fs::metadata(&file).unwrap().len();
    wait_until(
        "the offsets of the skipped lines",
        Duration::from_secs(30),
        || {
            let (_, offsets) = api.call("GET", &format!("/connectors/{name}/offsets"), None);
            offsets["offsets"][0]["offset"]["position"] == json!(end)
        },
    );
    let metrics = curl(&format!("{}/metrics", w.url));
    for (series, n) in [
        (
            "kafka_connect_source_task_metrics_source_record_poll_total",
            3,
        ),
        (
            "kafka_connect_source_task_metrics_source_record_write_total",
            0,
        ),
        ("kafka_connect_task_error_metrics_total_record_errors", 3),
        ("kafka_connect_task_error_metrics_total_records_skipped", 3),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
            3,
        ),
        (
            "kafka_connect_task_error_metrics_deadletterqueue_produce_failures",
            0,
        ),
    ] {
        let line = format!("{series}{{connector=\"{name}\",task=\"0\"}} {n}\n");
        assert!(metrics.contains(&line), "{line} missing from:\n{metrics}");
    }
    assert!(
        consume(&topic, 1, Duration::from_secs(2), false).is_empty(),
        "no failed line reaches the topic"
    );

    // The origin is the record's topic; offset -1 marks records that never reached Kafka, which
    // replay does not take for duplicates of each other.
    let kafka = connect_dlq::inspect::KafkaConfig::new(&env().bootstrap_servers);
    let mut opts = connect_dlq::replay::ReplayOptions::new(&dlq);
    opts.group = unique("sdlq-replay");
    opts.keep_partition = true;
    let summary = connect_dlq::replay::replay(&kafka, &opts, &mut |_| {}).unwrap();
    assert_eq!(
        (summary.replayed, summary.duplicates, summary.stopped),
        (3, 0, None)
    );
    assert_eq!(summary.targets, BTreeMap::from([(topic.clone(), 3)]));
    let replayed = consume(&topic, 3, Duration::from_secs(30), true);
    let values: Vec<Option<&str>> = replayed.iter().map(|r| text(&r.value)).collect();
    assert_eq!(values, lines.map(Some));
    assert!(
        replayed[0]
            .headers
            .iter()
            .all(|(k, _)| !k.starts_with("__connect.errors.")),
        "replay strips the error context"
    );
    assert_eq!(header_texts(&replayed[0])[0], ("source", Some(r#""file""#)));
}

/// A transform that fails on some lines (Cast to INT32 of a line that is not a number): the
/// numbers reach the topic, cast and in order; exactly the other lines reach the DLQ as the
/// task read them, at stage TRANSFORMATION.
#[test]
fn lines_a_transform_rejects_go_to_the_dlq_and_the_rest_to_the_topic() {
    let w = start();
    let topic = unique("sdlq-cast");
    let dlq = unique("sdlq-cast-dlq");
    create_topic(&topic, 1);
    let file = file(&w, "in.txt", &["1", "two", "3", "four", "5"]);
    let name = unique("sdlq-cast-src");
    w.api().create(
        &name,
        json!({
            "connector.class": "FileStreamSource",
            "file": file,
            "topic": topic,
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "transforms": "num",
            "transforms.num.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.num.spec": "int32",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    let good = consume(&topic, 3, Duration::from_secs(60), false);
    let values: Vec<Option<&str>> = good.iter().map(|r| text(&r.value)).collect();
    let int = |n: i32| format!(r#"{{"schema":{{"type":"int32","optional":false}},"payload":{n}}}"#);
    assert_eq!(
        values,
        [Some(int(1).as_str()), Some(&int(3)), Some(&int(5))],
        "the numbers, cast"
    );
    let bad = consume(&dlq, 2, Duration::from_secs(60), false);
    assert_eq!(bad.len(), 2);
    let string =
        |s: &str| format!(r#"{{"schema":{{"type":"string","optional":false}},"payload":"{s}"}}"#);
    for (r, line) in bad.iter().zip(["two", "four"]) {
        assert_eq!(
            text(&r.value),
            Some(string(line).as_str()),
            "the line as read"
        );
        let hs = header_texts(r);
        assert_eq!(
            hs[..9],
            [
                (headers::TOPIC, Some(topic.as_str())),
                (headers::PARTITION, Some("-1")),
                (headers::OFFSET, Some("-1")),
                (headers::CONNECTOR, Some(name.as_str())),
                (headers::TASK, Some("0")),
                (headers::STAGE, Some("TRANSFORMATION")),
                (
                    headers::CLASS,
                    Some("org.apache.kafka.connect.transforms.Cast$Value")
                ),
                (headers::EXCEPTION_CLASS, Some(DATA_EXCEPTION)),
                (
                    headers::EXCEPTION_MESSAGE,
                    Some(
                        format!("Value ({line}) was out of range for requested data type").as_str()
                    )
                ),
            ]
        );
        let trace = hs[9].1.unwrap();
        assert!(
            trace.contains("Caused by: java.lang.NumberFormatException"),
            "{trace}"
        );
    }
    assert!(
        consume(&dlq, 3, Duration::from_secs(2), false).len() == 2,
        "nothing else reaches the DLQ"
    );
}

/// `errors.deadletterqueue.context.headers.enable=false`: the DLQ record has only its own
/// headers. `errors.tolerance=none`: the first failed record reaches the DLQ, then the task
/// fails, as for sink connectors. A replication factor the cluster cannot give fails the task
/// before it reads anything.
#[test]
fn dlq_settings_of_source_connectors_are_honoured() {
    let w = start();
    let api = w.api();
    let topic = unique("sdlq-set");
    create_topic(&topic, 1);
    let file = file(&w, "in.txt", &["one", "two", "three"]);

    let (plain_dlq, plain) = (unique("sdlq-plain-dlq"), unique("sdlq-plain"));
    let mut config = failing_source(&file, &topic, &plain_dlq);
    config["errors.deadletterqueue.context.headers.enable"] = json!("false");
    api.create(&plain, config);

    let (strict_dlq, strict) = (unique("sdlq-strict-dlq"), unique("sdlq-strict"));
    let mut config = failing_source(&file, &topic, &strict_dlq);
    config["errors.tolerance"] = json!("none");
    api.create(&strict, config);

    let (rf_dlq, rf) = (unique("sdlq-rf-dlq"), unique("sdlq-rf"));
    let mut config = failing_source(&file, &topic, &rf_dlq);
    config["errors.deadletterqueue.topic.replication.factor"] = json!("3");
    api.create(&rf, config);

    let got = consume(&plain_dlq, 3, Duration::from_secs(60), false);
    let values: Vec<Option<&str>> = got.iter().map(|r| text(&r.value)).collect();
    assert_eq!(values, [Some("one"), Some("two"), Some("three")]);
    for r in &got {
        assert_eq!(header_texts(r), [("source", Some(r#""file""#))]);
    }

    let failed = api.wait_for(&strict, Duration::from_secs(60), "FAILED", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    });
    let trace = failed.tasks[0].trace.as_deref().unwrap();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n"
        ),
        "{trace}"
    );
    assert!(
        trace.contains("Caused by: org.apache.kafka.connect.errors.DataException: Invalid schema type for ByteArrayConverter: STRING"),
        "{trace}"
    );
    let got = consume(&strict_dlq, 2, Duration::from_secs(5), false);
    assert_eq!(got.len(), 1, "only the record that failed the task");
    assert_eq!(text(&got[0].value), Some("one"));
    assert_eq!(got[0].header_str(headers::STAGE), Some("HEADER_CONVERTER"));

    let failed = api.wait_for(&rf, Duration::from_secs(60), "FAILED", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    });
    let trace = failed.tasks[0].trace.as_deref().unwrap();
    assert!(
        trace.starts_with(&format!(
            "org.apache.kafka.connect.errors.ConnectException: Could not initialize dead letter queue with topic={rf_dlq}\n"
        )),
        "{trace}"
    );
}

/// A source task of the test's own: records `0..10`, every third one with a value that does not
/// match its schema (an INT32 under a STRING schema), so the JsonConverter refuses it.
struct Mixed {
    partition: Arc<OffsetMap>,
    topic: String,
    done: bool,
}

impl SourceTask for Mixed {
    fn start(&mut self, _: &dyn OffsetLookup) -> Result<(), ConnectError> {
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.done {
            std::thread::sleep(Duration::from_millis(50));
            return Ok(Vec::new());
        }
        self.done = true;
        Ok((0..10)
            .map(|i| {
                let ty = if i % 3 == 0 {
                    Type::String
                } else {
                    Type::Int32
                };
                let mut record = ConnectRecord::value(
                    &self.topic,
                    Some(Schema::new(ty).into_ref()),
                    Value::Int32(i),
                );
                record.key_schema = Some(Schema::new(Type::String).into_ref());
                record.key = Value::String(format!("k{i}"));
                if i == 9 {
                    record.kafka_partition = Some(0);
                }
                SourceRecord {
                    source_partition: self.partition.clone(),
                    source_offset: json!({"n": i}).as_object().cloned().unwrap(),
                    record,
                }
            })
            .collect())
    }
}

/// Good and bad records from one task: the good ones reach the topic in order, exactly the bad
/// ones reach the DLQ (key by the key converter, value as JSON since its converter failed), and
/// the committed offset covers both.
#[test]
fn mixed_records_split_between_topic_and_dlq() {
    let topic = unique("sdlq-mixed");
    let dlq = unique("sdlq-mixed-dlq");
    create_topic(&topic, 1);
    let connector = unique("sdlq-task");
    let worker: BTreeMap<String, String> = [
        ("bootstrap.servers", env().bootstrap_servers.as_str()),
        ("offset.flush.interval.ms", "500"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config: connect_api::ConfigMap = [
        ("name", connector.as_str()),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("key.converter.schemas.enable", "false"),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        ("errors.tolerance", "all"),
        ("errors.deadletterqueue.topic.name", dlq.as_str()),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let statuses: Arc<dyn StatusStore> = Arc::new(MemoryStatusStore::default());
    let offsets: Arc<dyn OffsetStore> = Arc::new(FileOffsetStore::in_memory());
    let runtime = KafkaRuntime::new(
        RuntimeSettings::from_worker(&worker),
        statuses.clone(),
        offsets.clone(),
        "test:0".into(),
        Arc::new(Metrics::default()),
    );
    let partition = Arc::new(json!({"source": "mixed"}).as_object().cloned().unwrap());
    let id = ConnectorTaskId {
        connector: connector.clone(),
        task: 0,
    };
    runtime.start_task(TaskSpec {
        id: id.clone(),
        connector_config: config.clone(),
        task_config: config,
        connector_type: ConnectorType::Source,
        task: Task::Source(Box::new(Mixed {
            partition: partition.clone(),
            topic: topic.clone(),
            done: false,
        })),
    });

    let good = consume(&topic, 6, Duration::from_secs(60), false);
    let bad = consume(&dlq, 4, Duration::from_secs(60), false);
    assert_eq!(
        statuses.tasks(&connector)[&0].state.as_str(),
        "RUNNING",
        "failed records do not fail the task"
    );
    // Stopping commits the offsets of everything handled so far.
    runtime.stop_task(&id);

    let pairs = |rs: &[TestRecord]| -> Vec<(String, String)> {
        rs.iter()
            .map(|r| {
                (
                    text(&r.key).unwrap().to_owned(),
                    text(&r.value).unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expect = |ns: &[i32], key: fn(i32) -> String| -> Vec<(String, String)> {
        ns.iter().map(|n| (key(*n), n.to_string())).collect()
    };
    assert_eq!(
        pairs(&good),
        expect(&[1, 2, 4, 5, 7, 8], |n| format!("\"k{n}\""))
    );
    assert_eq!(pairs(&bad), expect(&[0, 3, 6, 9], |n| format!("\"k{n}\"")));
    for (r, partition) in bad.iter().zip(["-1", "-1", "-1", "0"]) {
        let hs = header_texts(r);
        assert_eq!(
            hs[..9],
            [
                (headers::TOPIC, Some(topic.as_str())),
                (headers::PARTITION, Some(partition)),
                (headers::OFFSET, Some("-1")),
                (headers::CONNECTOR, Some(connector.as_str())),
                (headers::TASK, Some("0")),
                (headers::STAGE, Some("VALUE_CONVERTER")),
                (
                    headers::CLASS,
                    Some("org.apache.kafka.connect.json.JsonConverter")
                ),
                (headers::EXCEPTION_CLASS, Some(DATA_EXCEPTION)),
                (
                    headers::EXCEPTION_MESSAGE,
                    Some("Invalid type for STRING: class java.lang.Integer")
                ),
            ]
        );
    }
    assert_eq!(
        offsets.get(&connector, &partition),
        json!({"n": 9}).as_object().cloned(),
        "the last record's offset, a failed one, is committed"
    );
}

fn curl(url: &str) -> String {
    let out = Command::new("curl").args(["-sf", url]).output().unwrap();
    assert!(out.status.success(), "GET {url} failed");
    String::from_utf8(out.stdout).unwrap()
}
