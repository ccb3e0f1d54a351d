//! `ls --where`: filtering connectors of the real Apache Kafka Connect worker by config values.

use std::process::Command;
use std::time::Duration;

use connect_testkit::{Connect, env, unique};
use serde_json::{Value, json};

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args(["--url", &env().connect_url]);
    c
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

fn names(args: &[&str]) -> Vec<String> {
    let out = connectctl()
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn where_filters_by_config_values_anded() {
    let prefix = unique("where");
    let dir = tempfile::tempdir().unwrap();
    let file = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let connect = Connect::new();
    let json_sink = format!("{prefix}-json-sink");
    let string_sink = format!("{prefix}-string-sink");
    let json_source = format!("{prefix}-json-source");
    let _cleanup = Cleanup(vec![
        json_sink.clone(),
        string_sink.clone(),
        json_source.clone(),
    ]);
    let topic = format!("{prefix}-topic");
    connect.create(
        &json_sink,
        json!({"connector.class": "FileStreamSink", "topics": topic, "file": file("a"),
               "value.converter": "org.apache.kafka.connect.json.JsonConverter",
               "connection.password": "hunter2"}),
    );
    connect.create(
        &string_sink,
        json!({"connector.class": "FileStreamSink", "topics": topic, "file": file("b"),
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    connect.create(
        &json_source,
        json!({"connector.class": "FileStreamSource", "topic": topic, "file": file("c"),
               "value.converter": "org.apache.kafka.connect.json.JsonConverter"}),
    );
    // Apache lists a connector only once its herder has read the new config: wait for that.
    for n in [&json_sink, &string_sink, &json_source] {
        connect.wait_for(n, Duration::from_secs(60), "listed with tasks", |s| {
            !s.tasks.is_empty()
        });
    }
    let mine = format!("^{prefix}-");

    // Exact value: both JsonConverter connectors, not the StringConverter one.
    let json = "value.converter=org.apache.kafka.connect.json.JsonConverter";
    assert_eq!(
        names(&["ls", &mine, "--where", json]),
        [json_sink.clone(), json_source.clone()]
    );
    // Exact means exact: a class's short name is not its value.
    assert!(names(&["ls", &mine, "--where", "value.converter=JsonConverter"]).is_empty());
    // Repeated filters are ANDed, and combine with --type.
    assert_eq!(
        names(&[
            "ls",
            &mine,
            "--where",
            json,
            "--where",
            "connector.class~Sink$"
        ]),
        [json_sink.clone()]
    );
    assert_eq!(
        names(&[
            "ls",
            &mine,
            "--type",
            "source",
            "--where",
            "value.converter~json"
        ]),
        [json_source.clone()]
    );
    // A key the connector does not set matches nothing, even with a match-all regex.
    assert!(names(&["ls", &mine, "--where", "transforms~.*"]).is_empty());
    // Secrets compare masked: a filter cannot be used to guess a password.
    assert!(names(&["ls", &mine, "--where", "connection.password=hunter2"]).is_empty());

    // The table says when filters leave nothing.
    let out = connectctl()
        .args(["ls", &mine, "--where", "topics=nope"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no connectors match"));
}

#[test]
fn malformed_where_is_a_usage_error() {
    for (arg, says) in [
        (
            "value.converter",
            "is not a filter: write KEY=VALUE (exact) or KEY~REGEX",
        ),
        ("=JsonConverter", "names no config key"),
        ("topics~(", "invalid regular expression after 'topics~'"),
    ] {
        let out = connectctl().args(["ls", "--where", arg]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{arg}: {err}");
        assert!(out.stdout.is_empty());
    }
}
