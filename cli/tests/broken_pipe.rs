//! Output to a closed pipe (`connectctl status x | head -1`) ends quietly: exit code 0, no panic,
//! nothing on stderr. The pipe's read end is closed before the command starts, so its very first
//! write fails, whatever the size of the output; commands talk to the real Apache Kafka Connect
//! worker of the environment.

use std::process::{Command, Stdio};
use std::time::Duration;

use connect_testkit::{Connect, env, fixture_path, unique};
use serde_json::json;

/// Runs connectctl with stdout a pipe nobody reads; returns (exit code, stderr).
fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_connectctl"))
        .env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args(["--url", &env().connect_url])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        Connect::new().delete(&self.0);
    }
}

#[test]
fn every_kind_of_output_ends_quietly_on_a_closed_pipe() {
    let name = unique("pipe");
    let dir = tempfile::tempdir().unwrap();
    let connect = Connect::new();
    let _cleanup = Cleanup(name.clone());
    connect.create(
        &name,
        json!({"connector.class": "FileStreamSink", "topics": format!("{name}-t"),
               "file": dir.path().join("out").to_str().unwrap()}),
    );
    connect.wait_for(&name, Duration::from_secs(60), "running", |s| {
        s.connector.state == connect_api::State::Running && !s.tasks.is_empty()
    });
    let log = fixture_path("logs/apache-connect.log");
    let log = log.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["status", &name],
        vec!["status", &name, "-o", "json"],
        vec!["status", &name, "-o", "yaml"],
        vec!["config", &name],
        vec!["ls"],
        vec!["ls", "-o", "json"],
        vec!["ls", "-o", "jsonl"],
        vec!["plugins"],
        vec!["info"],
        vec!["version"],
        vec!["logs", "analyze", log],
        vec!["logs", "analyze", log, "-o", "json"],
        vec!["completions", "bash"],
        vec!["--help"],
    ];
    for args in cases {
        let (code, stderr) = run_into_closed_pipe(&args);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} said: {stderr}");
    }
}
