//! The worker's log as a user reads it: Apache's log4j line layout with the connector context,
//! and levels changed over `/admin/loggers` taking effect in the running process.

use std::path::Path;
use std::time::{Duration, Instant};

use connect_testkit::unique;
use connect_testkit::worker::Worker;
use regex::Regex;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

/// Collects the worker's stderr until `want` matches a line or `timeout` passes.
fn lines_until(w: &Worker, timeout: Duration, want: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let new = w.stderr_lines();
        let done = new.iter().any(|l| want(l));
        seen.extend(new);
        if done || Instant::now() > deadline {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn set_level(w: &Worker, logger: &str, level: &str) -> serde_json::Value {
    let (code, body) = w.api().call(
        "PUT",
        &format!("/admin/loggers/{logger}"),
        Some(&json!({ "level": level })),
    );
    assert_eq!(code, 200, "{body}");
    body
}

#[test]
fn debug_set_over_rest_appears_in_the_log_and_info_stops_it() {
    let w = Worker::start(Path::new(BIN));
    let loggers = "org.apache.kafka.connect.runtime.Loggers";
    let line = Regex::new(
        r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] (ERROR|WARN|INFO|DEBUG|TRACE) .* \([A-Za-z0-9_.$]+\)$",
    )
    .unwrap();

    // At INFO (the default), changing a level logs the namespace line but no DEBUG line.
    let ns1 = unique("probe.before");
    set_level(&w, &ns1, "WARN");
    let before = lines_until(&w, Duration::from_secs(5), |l| l.contains(&ns1));
    assert!(
        before.iter().any(|l| l.contains(&format!(
            "INFO Setting level of namespace {ns1} and children to WARN ({loggers})"
        ))),
        "{before:#?}"
    );
    assert!(!before.iter().any(|l| l.contains(" DEBUG ")), "{before:#?}");

    // DEBUG over REST: the next change logs Apache's per-logger DEBUG line.
    let changed = set_level(&w, loggers, "DEBUG");
    assert_eq!(changed, json!([loggers]));
    let (_, shown) = w
        .api()
        .call("GET", &format!("/admin/loggers/{loggers}"), None);
    assert_eq!(shown["level"], "DEBUG");
    assert!(shown["last_modified"].is_i64(), "{shown}");
    let ns2 = unique("probe.debug");
    set_level(&w, &ns2, "WARN");
    let debug_line =
        format!("DEBUG Setting level of logger {ns2} (excluding children) to WARN ({loggers})");
    let during = lines_until(&w, Duration::from_secs(5), |l| l.contains(&debug_line));
    assert!(
        during.iter().any(|l| l.contains(&debug_line)),
        "{during:#?}"
    );

    // Back to INFO: DEBUG lines stop.
    set_level(&w, loggers, "INFO");
    let ns3 = unique("probe.after");
    set_level(&w, &ns3, "WARN");
    // The request log line of that PUT shows its effects have been logged.
    let after = lines_until(&w, Duration::from_secs(5), |l| {
        l.contains(&format!("\"PUT /admin/loggers/{ns3} HTTP/1.1\" 200"))
    });
    assert!(
        after
            .iter()
            .any(|l| l.contains(&format!("Setting level of namespace {ns3}"))),
        "{after:#?}"
    );
    assert!(!after.iter().any(|l| l.contains(" DEBUG ")), "{after:#?}");

    // Every line is one log4j line, the request log included.
    let all: Vec<String> = before.into_iter().chain(during).chain(after).collect();
    for l in &all {
        assert!(line.is_match(l), "not a log4j line: {l:?}");
    }
    let request_log = Regex::new(
        r#"\] INFO 127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "PUT /admin/loggers/\S+ HTTP/1\.1" 200 \d+ "" "[^"]*" \d+ \(org\.apache\.kafka\.connect\.runtime\.rest\.RestServer\)$"#,
    )
    .unwrap();
    assert!(all.iter().any(|l| request_log.is_match(l)), "{all:#?}");
}

#[test]
fn task_lines_carry_the_connector_context() {
    let w = Worker::start(Path::new(BIN));
    let name = unique("log-ctx");
    // A sink task whose file cannot be opened fails at start, logging its error in context.
    let missing = w.path("no-such-dir/out.txt");
    w.api().create(
        &name,
        json!({
            "connector.class": "FileStreamSink",
            "topics": unique("log-ctx-topic"),
            "file": missing.to_str().unwrap(),
        }),
    );
    let prefix = format!("ERROR [{name}|task-0] ");
    // Until the trace's first line, which comes right after the log line.
    let lines = lines_until(&w, Duration::from_secs(30), |l| {
        l.starts_with("org.apache.kafka.connect.errors.ConnectException: ")
    });
    let failed = lines
        .iter()
        .find(|l| l.contains(&prefix))
        .unwrap_or_else(|| panic!("no task error line in {lines:#?}"));
    assert!(
        failed.contains("Task threw an uncaught and unrecoverable exception"),
        "{failed}"
    );
    let stamp = Regex::new(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR ").unwrap();
    assert!(stamp.is_match(failed), "{failed}");
    // As log4j prints a throwable: the logger name closes the log line, the trace follows.
    assert!(
        failed.ends_with(" (org.apache.kafka.connect.runtime.WorkerTask)"),
        "{failed}"
    );
    let at = lines.iter().position(|l| l == failed).unwrap();
    assert!(
        lines[at + 1].starts_with("org.apache.kafka.connect.errors.ConnectException: "),
        "{lines:#?}"
    );
}
