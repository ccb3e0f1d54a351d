//! `logs analyze` on real worker logs: the environment's Apache Kafka Connect worker while its
//! connectors fail for real, and logs captured from it and from connect-worker during the same
//! failures (fixtures/logs, scripts/capture-log-fixtures); rotation, gzip, stdin, --follow,
//! filters, masking and errors.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use connect_testkit::{Connect, TestRecord, create_topic, fixture_path, produce, unique};
use serde_json::{Value, json};

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env("NO_COLOR", "1")
        // `logs` needs no cluster, and a broken config file must not stop it.
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml");
    c
}

fn analyze_json(args: &[&str]) -> Value {
    let out = connectctl()
        .args(["logs", "analyze", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fixture(name: &str) -> String {
    fixture_path(&format!("logs/{name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// `(connector suffix, task, level, count, root exception, hint id)` of each group.
fn summary(report: &Value) -> Vec<(String, Value, String, u64, String, Value)> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let c = g["connector"].as_str().unwrap_or("");
            // Fixture names are `<worker>-<run>-<case>`: keep the case.
            let case = c.rsplit_once('-').map_or(c, |(_, last)| last);
            let case = if c.ends_with("-missing-dir") {
                "missing-dir"
            } else if c.ends_with("-plain-json") {
                "plain-json"
            } else {
                case
            };
            (
                case.to_owned(),
                g["task"].clone(),
                g["level"].as_str().unwrap().to_owned(),
                g["count"].as_u64().unwrap(),
                g["root_cause"]["exception"].as_str().unwrap().to_owned(),
                g["root_cause"]["hint"]["id"].clone(),
            )
        })
        .collect()
}

#[test]
fn connect_worker_log_groups_each_real_failure_with_its_hint() {
    let r = analyze_json(&[&fixture("connect-worker.log")]);
    assert_eq!(r["events"], 21);
    assert_eq!(
        summary(&r),
        [
            (
                "missing-dir".into(),
                json!(0),
                "ERROR".into(),
                2,
                "java.io.IOException".into(),
                json!("filestream-file")
            ),
            (
                "plain-json".into(),
                json!(0),
                "ERROR".into(),
                2,
                "org.apache.kafka.connect.errors.DataException".into(),
                json!("json-schemas-enable-plain-json")
            ),
        ]
    );
    let g = &r["groups"][1];
    assert_eq!(g["first"], "2026-12-01T00:19:42.570");
    assert_eq!(g["last"], "2026-12-01T00:19:43.178");
    assert!(
        g["sample"]
            .as_str()
            .unwrap()
            .contains("Task threw an uncaught and unrecoverable exception")
    );
    assert_eq!(
        g["root_cause"]["frame"],
        "org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)"
    );
    // The hint names the connector, as `status` does.
    let fix = g["root_cause"]["hint"]["fix"].as_str().unwrap();
    assert!(fix.contains(g["connector"].as_str().unwrap()), "{fix}");
}

#[test]
fn apache_log_groups_failures_and_shows_what_happened_around_them() {
    let r = analyze_json(&[&fixture("apache-connect.log")]);
    assert_eq!(r["events"], 362);
    let s = summary(&r);
    assert!(s.contains(&(
        "missing-dir".into(),
        json!(0),
        "ERROR".into(),
        2,
        "java.nio.file.NoSuchFileException".into(),
        json!("filestream-file")
    )));
    assert!(s.contains(&(
        "plain-json".into(),
        json!(0),
        "ERROR".into(),
        2,
        "org.apache.kafka.connect.errors.DataException".into(),
        json!("json-schemas-enable-plain-json")
    )));
    let missing = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["connector"].as_str().unwrap().ends_with("-missing-dir"))
        .unwrap();
    assert_eq!(
        missing["root_cause"]["frame"],
        "org.apache.kafka.connect.file.FileStreamSinkTask.start(FileStreamSinkTask.java:70)"
    );
    // The text report shows the task start before the first occurrence.
    let out = connectctl()
        .args(["logs", "analyze", &fixture("apache-connect.log")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let block = text
        .split("\n\n")
        .find(|b| b.contains("-missing-dir/task-0"))
        .unwrap();
    assert!(block.contains("cause   NoSuchFileException: "), "{block}");
    assert!(
        block.contains("hint    FileStreamSink cannot create or open"),
        "{block}"
    );
    let around = block.split("around the first:").nth(1).unwrap();
    let start = around.find("Starting task ").unwrap();
    let first = around.find("(first occurrence)").unwrap();
    assert!(start < first, "{around}");
}

/// Splits the fixture at event boundaries into three files, oldest gzipped, as log4j rotates.
fn rotated(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(fixture("apache-connect.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = |at: usize| {
        (at..lines.len())
            .find(|&i| lines[i].starts_with("[20"))
            .unwrap()
    };
    let (a, b) = (cut(lines.len() / 3), cut(2 * lines.len() / 3));
    let part = |r: std::ops::Range<usize>| lines[r].join("\n") + "\n";
    let oldest = dir.join("connect.log.2.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&oldest).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(part(0..a).as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::write(dir.join("connect.log.1"), part(a..b)).unwrap();
    std::fs::write(dir.join("connect.log"), part(b..lines.len())).unwrap();
    vec![dir.join("connect.log"), dir.join("connect.log.1"), oldest]
}

#[test]
fn rotated_and_gzipped_files_read_like_the_whole_log_in_any_order() {
    let whole = analyze_json(&[&fixture("apache-connect.log")]);
    let dir = tempfile::tempdir().unwrap();
    let files = rotated(dir.path());
    let names: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    // Newest first, as a shell glob of connect.log* lists them.
    assert_eq!(analyze_json(&names), whole);
    let reversed: Vec<&str> = names.iter().rev().copied().collect();
    assert_eq!(analyze_json(&reversed), whole);
}

#[test]
fn stdin_reads_like_a_file() {
    let whole = analyze_json(&[&fixture("connect-worker.log")]);
    for args in [&["-"][..], &[][..]] {
        let mut child = connectctl()
            .args(["logs", "analyze", "-o", "json"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let data = std::fs::read(fixture("connect-worker.log")).unwrap();
        child.stdin.take().unwrap().write_all(&data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v, whole, "{args:?}");
    }
    // A gzipped stream on stdin too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(fixture("connect-worker.log")).unwrap())
        .unwrap();
    let mut child = connectctl()
        .args(["logs", "analyze", "-o", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&gz.finish().unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), whole);
}

#[test]
fn since_connector_and_level_filter() {
    let log = fixture("apache-connect.log");
    let all = analyze_json(&[&log]);
    let errors = analyze_json(&[&log, "--level", "error"]);
    assert!(
        errors["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["level"] == "ERROR")
    );
    assert_eq!(errors["groups"].as_array().unwrap().len(), 2);
    assert!(all["groups"].as_array().unwrap().len() > 2);
    let name = all["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|g| {
            g["connector"]
                .as_str()
                .filter(|c| c.ends_with("-plain-json"))
        })
        .unwrap()
        .to_owned();
    let one = analyze_json(&[&log, "--connector", &name]);
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
    assert_eq!(one["groups"][0]["connector"], name.as_str());
    // Only the second occurrence of each failure is at or after 00:19:12.5.
    let late = analyze_json(&[
        &log,
        "--since",
        "2026-12-01T00:19:12.5Z",
        "--level",
        "error",
    ]);
    let counts: Vec<u64> = late["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 1]);
    assert!(late["events"].as_u64().unwrap() < all["events"].as_u64().unwrap());
    let none = analyze_json(&[&log, "--since", "2030-01-01"]);
    assert_eq!(none, json!({"groups": [], "events": 0}));
}

#[test]
fn secrets_in_log_lines_are_masked_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("connect.log");
    std::fs::write(
        &log,
        "[2026-12-01 00:00:00,000] ERROR [jdbc|task-0] Cannot connect to jdbc:postgresql://app:pg-Secret-1@db:5432/x with connection.password=pg-Secret-2 (io.confluent.connect.jdbc.sink.JdbcSinkTask:1)\n\
         org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\" (password=pg-Secret-3)\n",
    )
    .unwrap();
    let out = connectctl()
        .args(["logs", "analyze", "-o", "json", log.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("PSQLException"), "{text}");
    for s in ["pg-Secret-1", "pg-Secret-2", "pg-Secret-3"] {
        assert!(!text.contains(s), "{s} leaked: {text}");
    }
    let out = connectctl()
        .args(["--reveal", "logs", "analyze", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pg-Secret-2"));
}

#[test]
fn bad_input_is_reported_with_the_right_exit_code() {
    let out = connectctl()
        .args(["logs", "analyze", "/nonexistent/connect.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open log file /nonexistent/connect.log"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = connectctl()
        .args(["logs", "analyze", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
    // A truncated .gz is an error, not a silently short analysis.
    let gz = dir.path().join("cut.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(fixture("apache-connect.log")).unwrap())
        .unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let out = connectctl()
        .args(["logs", "analyze", gz.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated or corrupt"));
    for bad in [
        &["--level", "info"][..],
        &["--since", "yesterday"][..],
        &["-", "-"][..],
    ] {
        let out = connectctl()
            .args(["logs", "analyze"])
            .args(bad)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

const LATE: &str = "[2026-12-01 01:00:00,000] ERROR [late-sink|task-3] WorkerSinkTask{id=late-sink-3} Task threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted (org.apache.kafka.connect.runtime.WorkerTask:234)
org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.
Caused by: java.nio.file.AccessDeniedException: /data/out.txt
";

#[test]
fn follow_reports_events_as_they_are_written_across_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("connect.log");
    std::fs::copy(fixture("connect-worker.log"), &log).unwrap();
    let mut child = connectctl()
        .args(["logs", "analyze", "--follow", "-o", "jsonl"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let next = |what: &str| -> Value {
        let l = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line for {what}"));
        serde_json::from_str(&l).unwrap()
    };
    let first = next("the initial report");
    assert_eq!(first["groups"].as_array().unwrap().len(), 2);

    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(LATE.as_bytes()).unwrap();
    drop(f);
    let g = next("the appended event");
    assert_eq!(g["connector"], "late-sink");
    assert_eq!(g["task"], 3);
    assert_eq!(g["count"], 1);
    assert_eq!(
        g["root_cause"]["exception"],
        "java.nio.file.AccessDeniedException"
    );

    // log4j rotates: the file is renamed and a new one starts at the same path.
    std::fs::rename(&log, dir.path().join("connect.log.1")).unwrap();
    std::fs::write(&log, LATE.replace("01:00:00", "01:00:05")).unwrap();
    let g = next("the event in the new file");
    assert_eq!(g["connector"], "late-sink");
    assert_eq!(g["count"], 2);
    assert_eq!(g["last"], "2026-12-01T01:00:05.000");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Deletes the connectors when the test ends, even when it fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let c = Connect::new();
        for n in &self.0 {
            c.delete(n);
        }
    }
}

/// The environment's Apache worker's log (wherever `CONNECT_ENV_DIR` put the environment).
fn apache_log() -> PathBuf {
    PathBuf::from(&connect_testkit::env().dir).join("logs/connect.log")
}

#[test]
fn live_failures_of_the_apache_worker_are_found_in_its_log() {
    let connect = Connect::new();
    let dir = tempfile::tempdir().unwrap();
    let missing = unique("logs-missing-dir");
    let plain = unique("logs-plain-json");
    let _cleanup = Cleanup(vec![missing.clone(), plain.clone()]);
    let topic = unique("logs-topic");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[TestRecord::value(r#"{"id":1,"name":"plain json"}"#)],
    );
    connect.create(
        &missing,
        json!({"connector.class": "FileStreamSink", "topics": topic,
               "file": dir.path().join("no-such-dir/out.txt").to_str().unwrap()}),
    );
    connect.create(
        &plain,
        json!({"connector.class": "FileStreamSink", "topics": topic,
               "file": dir.path().join("out.txt").to_str().unwrap(),
               "value.converter": "org.apache.kafka.connect.json.JsonConverter",
               "value.converter.schemas.enable": "true"}),
    );
    for n in [&missing, &plain] {
        connect.wait_for(n, Duration::from_secs(60), "a failed task", |s| {
            s.tasks
                .iter()
                .any(|t| t.state == connect_api::State::Failed)
        });
    }
    let log = apache_log();
    let log = log.to_str().unwrap();
    for (name, exception, hint) in [
        (
            &missing,
            "java.nio.file.NoSuchFileException",
            "filestream-file",
        ),
        (
            &plain,
            "org.apache.kafka.connect.errors.DataException",
            "json-schemas-enable-plain-json",
        ),
    ] {
        // The worker logs the trace before it records the failure, so it is there already.
        let r = analyze_json(&[log, "--connector", name]);
        let groups = r["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{name}: {r:#}");
        let g = &groups[0];
        assert_eq!(g["connector"], name.as_str());
        assert_eq!(g["task"], 0);
        assert_eq!(g["level"], "ERROR");
        assert_eq!(g["count"], 1);
        assert_eq!(g["root_cause"]["exception"], exception);
        assert_eq!(g["root_cause"]["hint"]["id"], hint);
        assert!(
            g["sample"]
                .as_str()
                .unwrap()
                .contains(&format!("[{name}|task-0]"))
        );
    }
}
