//! `status`, `doctor` and `wait` on a connector that really failed in the real Apache Kafka
//! Connect worker.

use std::process::Command;
use std::time::Duration;

use connect_testkit::{Connect, TestRecord, create_topic, env, produce, unique};

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args(["--url", &env().connect_url]);
    c
}

/// A sink whose JsonConverter (schemas.enable=true) is fed plain JSON with errors.tolerance=none.
fn failing_sink() -> (Connect, String, String) {
    let connect = Connect::new();
    let topic = unique("ts-topic");
    let name = unique("ts-sink");
    create_topic(&topic, 1);
    produce(&topic, &[TestRecord::value(r#"{"id":1}"#)]);
    let dlq = format!("{name}-dlq");
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": std::env::temp_dir().join(format!("{name}.txt")).to_str().unwrap(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
        }),
    );
    connect.wait_for(&name, Duration::from_secs(60), "failed", |s| {
        s.tasks
            .iter()
            .any(|t| t.state == connect_api::State::Failed)
    });
    (connect, name, dlq)
}

#[test]
fn status_explains_a_real_failure_in_json_and_text() {
    let (connect, name, dlq) = failing_sink();

    let out = connectctl()
        .args(["status", &name, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed connector exits 1");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["health"], "FAILED");
    assert_eq!(s["name"], name.as_str());
    let rc = &s["tasks"][0]["root_cause"];
    assert_eq!(
        rc["exception"],
        "org.apache.kafka.connect.errors.DataException"
    );
    assert!(
        rc["message"]
            .as_str()
            .unwrap()
            .starts_with("JsonConverter with schemas.enable requires")
    );
    assert_eq!(
        rc["chain"][0]["message"],
        "Tolerance exceeded in error handler"
    );
    assert_eq!(
        rc["frame"],
        "org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)"
    );
    assert_eq!(rc["hint"]["id"], "json-schemas-enable-plain-json");
    assert!(
        rc["hint"]["fix"]
            .as_str()
            .unwrap()
            .contains("schemas.enable=false")
    );
    assert!(
        s["connector"].get("root_cause").is_none(),
        "the connector itself is RUNNING"
    );

    let out = connectctl().args(["status", &name]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("task 0: DataException: JsonConverter with schemas.enable requires"),
        "{text}"
    );
    assert!(
        text.contains("at   org.apache.kafka.connect.json.JsonConverter.toConnectData"),
        "{text}"
    );
    assert!(text.contains("hint"), "{text}");
    assert!(
        text.contains(&format!("next connectctl restart {name} --only-failed")),
        "{text}"
    );
    assert!(
        text.contains(&format!("connectctl dlq inspect --connector {name}")),
        "{text}"
    );
    assert!(
        text.lines().count() < 20,
        "a few lines, not a stack trace:\n{text}"
    );

    let out = connectctl()
        .args(["status", &name, "--trace"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Caused by: org.apache.kafka.connect.errors.DataException"),
        "{text}"
    );
    assert!(
        text.contains("runtime frames"),
        "runtime frames are folded:\n{text}"
    );

    // ls -o json carries the same root cause for the failed connector.
    let out = connectctl()
        .args(["ls", "-o", "json", &format!("^{name}$")])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["health"], "FAILED");
    assert_eq!(
        rows[0]["root_cause"]["hint"]["id"],
        "json-schemas-enable-plain-json"
    );

    // wait: the connector failed, so waiting for RUNNING gives up at once with exit 1.
    let out = connectctl()
        .args(["wait", &name, "--for", "running", "--timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("failed while waiting"));
    let out = connectctl()
        .args(["wait", &name, "--for", "failed", "--timeout", "5s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let _ = dlq;
    connect.delete(&name);
}

#[test]
fn doctor_groups_the_failure_and_exits_3() {
    let (connect, name, dlq) = failing_sink();
    let out = connectctl()
        .args([
            "doctor",
            "-o",
            "json",
            "--bootstrap-servers",
            &env().bootstrap_servers,
        ])
        .output()
        .unwrap();
    // Other tests share the worker: the cluster as a whole is FAILED because of our connector.
    // Exit 3, not 2: 2 is every command's usage error.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["health"], "FAILED");
    let ours = r["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name.as_str())
        .unwrap();
    assert_eq!(ours["health"], "FAILED");
    assert_eq!(ours["dlq"]["topic"], dlq.as_str());
    // Connect reports the failing record to the DLQ even under errors.tolerance=none, before
    // failing the task; the topic exists, so its size is known.
    assert!(ours["dlq"]["records"].is_u64(), "{ours}");
    assert!(ours["lag"]["total"].is_u64(), "{ours}");
    let cause = r["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["instances"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i.as_str() == Some(&format!("{name}/0")))
        })
        .expect("our failure is grouped");
    assert_eq!(
        cause["exception"],
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(cause["hint"]["id"], "json-schemas-enable-plain-json");
    assert!(r["workers"][0]["worker_id"].as_str().unwrap().contains(':'));
    connect.delete(&name);
}

/// `watch` in a pipe: the first refresh lists every instance, later ones print only the
/// transitions a user would otherwise miss (pause, a new connector, a deleted one).
#[test]
fn watch_logs_real_transitions_line_by_line() {
    use std::io::BufRead;
    use std::process::Stdio;
    use std::sync::mpsc;

    let connect = Connect::new();
    let name = unique("ts-watch");
    let later = format!("{name}-later");
    let source = |topic: &str| serde_json::json!({"connector.class": "FileStreamSource", "file": "/dev/null", "topic": topic});
    connect.create(&name, source(&unique("ts-watch-topic")));
    let running = |s: &connect_api::ConnectorStateInfo| {
        s.connector.state == connect_api::State::Running
            && s.tasks.len() == 1
            && s.tasks[0].state == connect_api::State::Running
    };
    connect.wait_for(&name, Duration::from_secs(60), "running", running);

    let mut child = connectctl()
        .args(["watch", &name, &later, "--interval", "200ms"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Waits for a line whose text after the HH:MM:SS stamp satisfies `want`, and returns it.
    let expect_with = |what: &str, want: &dyn Fn(&str) -> bool| -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let (stamp, rest) = line.split_once(' ').unwrap();
                    assert_eq!(stamp.len(), 8, "time stamp in {line:?}");
                    if want(rest) {
                        return rest.to_owned();
                    }
                }
                Err(e) => panic!("watch never printed {what}: {e}"),
            }
        }
    };
    let expect = |text: &str| expect_with(text, &|rest: &str| rest == text);

    expect(&format!("{name} RUNNING"));
    expect(&format!("{name} task 0 RUNNING"));

    connect.call("PUT", &format!("/connectors/{name}/pause"), None);
    expect(&format!("{name} RUNNING -> PAUSED"));
    expect(&format!("{name} task 0 RUNNING -> PAUSED"));

    connect.create(&later, source(&unique("ts-watch-topic")));
    // A connector that appears is announced with its first state, whatever that is.
    let line = expect_with("the new connector", &|rest: &str| {
        rest.starts_with(&format!("{later} ")) && !rest.contains(" task ")
    });
    assert!(line.ends_with(" (new)"), "{line}");

    connect.delete(&name);
    expect(&format!("{name} gone"));
    expect(&format!("{name} task 0 gone"));

    child.kill().unwrap();
    child.wait().unwrap();
    connect.delete(&later);

    // `--count N` ends on its own after N refreshes, with exit code 0.
    let out = connectctl()
        .args(["watch", &later, "--interval", "10ms", "--count", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
