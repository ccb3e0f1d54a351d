//! connectctl against both workers: the same commands, run against the real Apache Kafka Connect
//! worker and against a connect-worker on the same broker, give the same exit codes and the same
//! output once each worker's own names are turned back into placeholders.
//!
//! Each side gets its own connector names, topics, files and connectctl state directory (both
//! workers share the broker, so equal names would share consumer groups). Outputs are compared
//! after replacing each side's concrete values with `{src}`, `{dir}`, `{worker}`, ...; stack
//! frame locations (`JsonConverter.java:355` in Apache, a Rust file in connect-worker) and runs
//! of spaces (table column widths follow the values) are normalized too. Every difference is
//! collected and the test fails at the end with all of them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use connect_testkit::worker::Worker;
use connect_testkit::{Connect, TestRecord, create_topic, env, produce, unique, workspace_bin};
use serde_json::{Value, json};

/// One side: a worker's URL and this side's concrete values for the placeholders.
struct Side {
    url: String,
    dir: tempfile::TempDir,
    /// (placeholder, value), longest value first when generalizing.
    names: Vec<(String, String)>,
    connectctl: PathBuf,
}

/// What one connectctl run printed, normalized.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: Option<i32>,
    stdout: Value,
    stderr: String,
}

impl Side {
    fn new(run: &str, side: &str, url: &str, connectctl: &Path) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let name = |t: &str| format!("{run}-{side}-{t}");
        let worker = url.trim_start_matches("http://").to_owned();
        let names = vec![
            ("{dir}".into(), dir.path().display().to_string()),
            ("{url}".into(), url.to_owned()),
            ("{worker}".into(), worker),
            ("{src_topic}".into(), name("src-topic")),
            ("{sink_topic}".into(), name("sink-topic")),
            ("{fail_topic}".into(), name("fail-topic")),
            ("{dlq}".into(), name("dlq")),
            ("{src}".into(), name("src")),
            ("{sink}".into(), name("sink")),
            ("{fail}".into(), name("fail")),
            (
                "{logger}".into(),
                format!("org.example.{}", name("log").replace('-', "_")),
            ),
            ("{prefix}".into(), format!("{run}-{side}-")),
        ];
        Side {
            url: url.to_owned(),
            dir,
            names,
            connectctl: connectctl.to_owned(),
        }
    }

    fn get(&self, token: &str) -> &str {
        &self.names.iter().find(|(k, _)| k == token).unwrap().1
    }

    fn fill(&self, s: &str) -> String {
        self.names
            .iter()
            .fold(s.to_owned(), |s, (k, v)| s.replace(k.as_str(), v))
    }

    /// Concrete values back to placeholders, longest first (a name inside a path).
    fn generalize(&self, s: &str) -> String {
        let mut by_len: Vec<&(String, String)> = self.names.iter().collect();
        by_len.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        let s = by_len
            .iter()
            .fold(s.to_owned(), |s, (k, v)| s.replace(v.as_str(), k));
        normalize_millis(&normalize_frames(&s))
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.dir.path().join(file), self.fill(text)).unwrap();
    }

    fn connectctl(&self, args: &[&str]) -> std::process::Output {
        let args: Vec<String> = args.iter().map(|a| self.fill(a)).collect();
        Command::new(&self.connectctl)
            .args(&args)
            .args(["--url", &self.url])
            .env_remove("CONNECTCTL_URL")
            .env_remove("CONNECTCTL_CONTEXT")
            .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
            .env("NO_COLOR", "1")
            .env("CONNECTCTL_CONFIG", self.dir.path().join("config.toml"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Outcome {
        let out = self.connectctl(args);
        let text = self.generalize(&String::from_utf8_lossy(&out.stdout));
        let stdout = match serde_json::from_str::<Value>(&text) {
            Ok(mut v) => {
                trace_summary(&mut v);
                v
            }
            Err(_) => Value::String(squeeze(&text)),
        };
        Outcome {
            code: out.status.code(),
            stdout,
            stderr: squeeze(&self.generalize(&String::from_utf8_lossy(&out.stderr))),
        }
    }

    /// Runs a command until `until` holds for its JSON output; the output is not compared.
    /// Generous: with the whole suite running on 2 cores, an eager rebalance of the distributed
    /// connect-worker and the restarted task's group join have taken over a minute.
    fn poll(&self, args: &[&str], what: &str, until: impl Fn(&Value) -> bool) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let o = self.run(args);
            if until(&o.stdout) {
                return None;
            }
            if Instant::now() >= deadline {
                return Some(format!("{} never {what}: last {}", self.url, o.stdout));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Stack frame locations differ by nature (Java line numbers, Rust file names): `(Name.java:123)`
/// and `(file.rs)` / `(file.rs:12)` become `(…)`.
fn normalize_frames(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(')');
        let inner = close.map(|c| &after[..c]);
        let is_frame = inner.is_some_and(|i| {
            let file = i.split(':').next().unwrap_or("");
            let line_ok = i
                .split(':')
                .nth(1)
                .is_none_or(|l| l.chars().all(|c| c.is_ascii_digit()));
            (file.ends_with(".java") || file.ends_with(".rs")) && !file.contains(' ') && line_ok
        });
        if is_frame {
            out.push_str("(…)");
            rest = &after[close.unwrap() + 1..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Epoch milliseconds (in backup and snapshot file names) become `{ms}`.
fn normalize_millis(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut digits = String::new();
    for ch in s.chars().chain(std::iter::once('\0')) {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        out.push_str(if digits.len() == 13 { "{ms}" } else { &digits });
        digits.clear();
        if ch != '\0' {
            out.push(ch);
        }
    }
    out
}

/// A task or connector trace: the exception lines (first line and every `Caused by:`), without
/// the frames, which name Java code in Apache and fewer, Rust-located frames in connect-worker.
fn trace_summary(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, v) in o.iter_mut() {
                match v {
                    Value::String(t) if k == "trace" => {
                        *t = t
                            .lines()
                            .filter(|l| !l.starts_with('\t'))
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    _ => trace_summary(v),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(trace_summary),
        _ => {}
    }
}

/// Runs of spaces to one (table columns are as wide as their longest value).
fn squeeze(s: &str) -> String {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path where two JSON values differ.
fn json_diff(path: &str, a: &Value, o: &Value, out: &mut Vec<String>) {
    match (a, o) {
        (Value::Object(am), Value::Object(om)) => {
            let mut keys: Vec<&String> = am.keys().collect();
            keys.extend(om.keys().filter(|k| !am.contains_key(*k)));
            for k in keys {
                let (x, y) = (
                    am.get(k).unwrap_or(&Value::Null),
                    om.get(k).unwrap_or(&Value::Null),
                );
                if !(am.contains_key(k) && om.contains_key(k)) {
                    out.push(format!(
                        "{path}/{k}: apache {:?} ours {:?}",
                        am.get(k),
                        om.get(k)
                    ));
                } else {
                    json_diff(&format!("{path}/{k}"), x, y, out);
                }
            }
        }
        (Value::Array(aa), Value::Array(oa)) if aa.len() == oa.len() => {
            for (i, (x, y)) in aa.iter().zip(oa).enumerate() {
                json_diff(&format!("{path}/{i}"), x, y, out);
            }
        }
        (a, o) if a != o => out.push(format!("{path}:\n      apache {a}\n      ours   {o}")),
        _ => {}
    }
}

/// Drops keys whose values legitimately differ between the two runs.
fn drop_keys(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(o) => {
            for k in keys {
                o.remove(*k);
            }
            for v in o.values_mut() {
                drop_keys(v, keys);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| drop_keys(v, keys)),
        _ => {}
    }
}

struct Compare {
    apache: Side,
    ours: Side,
    diffs: Vec<String>,
    commands: usize,
}

impl Compare {
    /// Runs `args` on both sides and records every difference.
    fn same(&mut self, args: &[&str]) -> (Outcome, Outcome) {
        self.same_except(args, &[])
    }

    /// As `same`, ignoring the given JSON keys (e.g. timestamps).
    fn same_except(&mut self, args: &[&str], ignore: &[&str]) -> (Outcome, Outcome) {
        self.commands += 1;
        let mut a = self.apache.run(args);
        let mut o = self.ours.run(args);
        drop_keys(&mut a.stdout, ignore);
        drop_keys(&mut o.stdout, ignore);
        let label = format!("connectctl {}", args.join(" "));
        if a.code != o.code {
            self.diffs.push(format!("{label}: exit code apache {:?} ours {:?}\n      apache stderr {}\n      ours stderr   {}", a.code, o.code, a.stderr, o.stderr));
        }
        let mut d = Vec::new();
        json_diff("stdout", &a.stdout, &o.stdout, &mut d);
        if a.stderr != o.stderr {
            d.push(format!(
                "stderr:\n      apache {}\n      ours   {}",
                a.stderr, o.stderr
            ));
        }
        for d in d {
            self.diffs.push(format!("{label}: {d}"));
        }
        (a, o)
    }

    /// As `same` for a plugin listing: this worker may offer plugins Apache's worker does not ship
    /// (the JDBC connectors), which are left out of the comparison.
    fn same_plugins(&mut self, args: &[&str]) {
        self.commands += 1;
        let a = self.apache.run(args);
        let mut o = self.ours.run(args);
        if let Value::Array(items) = &mut o.stdout {
            items.retain(|p| {
                !p["class"].as_str().is_some_and(|c| {
                    c.starts_with("io.confluent.") || c.starts_with("io.debezium.")
                })
            });
        }
        let label = format!("connectctl {}", args.join(" "));
        if a.code != o.code {
            self.diffs.push(format!(
                "{label}: exit code apache {:?} ours {:?}",
                a.code, o.code
            ));
        }
        let mut d = Vec::new();
        json_diff("stdout", &a.stdout, &o.stdout, &mut d);
        for d in d {
            self.diffs.push(format!("{label}: {d}"));
        }
    }

    fn expect_code(&mut self, what: &str, o: &Outcome, code: i32) {
        if o.code != Some(code) {
            self.diffs.push(format!(
                "{what}: exit code {:?}, expected {code}: {}",
                o.code, o.stderr
            ));
        }
    }

    /// Polls on both sides; a side that never gets there is a difference.
    fn poll(&mut self, args: &[&str], what: &str, until: impl Fn(&Value) -> bool + Copy) {
        for side in [&self.apache, &self.ours] {
            if let Some(e) = side.poll(args, what, until) {
                self.diffs.push(e);
            }
        }
    }

    fn each(&self, f: impl Fn(&Side)) {
        f(&self.apache);
        f(&self.ours);
    }
}

/// Deletes this run's connectors from the shared Apache worker, also when the test fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let c = Connect::new();
        for n in &self.0 {
            c.delete(n);
        }
    }
}

const WORKER_PROPS: &[&str] = &[
    "key.converter=org.apache.kafka.connect.json.JsonConverter",
    "value.converter=org.apache.kafka.connect.json.JsonConverter",
    "offset.flush.interval.ms=1000",
];

#[test]
fn connectctl_behaves_the_same_against_both_workers() {
    let worker = Worker::start_with(
        &workspace_bin("connect-worker", "connect-worker"),
        tempfile::tempdir().unwrap(),
        WORKER_PROPS,
        &[],
    );
    compare_with_apache(&worker, "cc2", false);
}

/// The same commands against a connect-worker in distributed mode (a group of one with its own
/// internal topics), as the Apache worker it is compared with is distributed too.
#[test]
fn connectctl_behaves_the_same_against_a_distributed_connect_worker() {
    let worker = Worker::start_distributed(
        &workspace_bin("connect-worker", "connect-worker"),
        tempfile::tempdir().unwrap(),
        WORKER_PROPS,
    );
    compare_with_apache(&worker, "cc2d", true);
}

fn compare_with_apache(worker: &Worker, prefix: &str, distributed: bool) {
    let connectctl = workspace_bin("connectctl", "connectctl");
    let run = unique(prefix);
    let mut c = Compare {
        apache: Side::new(&run, "a", &env().connect_url, &connectctl),
        ours: Side::new(&run, "o", &worker.url, &connectctl),
        diffs: Vec::new(),
        commands: 0,
    };
    let _cleanup = Cleanup(
        ["{src}", "{sink}", "{fail}"]
            .iter()
            .map(|t| c.apache.get(t).to_owned())
            .collect(),
    );
    let bootstrap = env().bootstrap_servers.clone();
    c.each(|s| {
        create_topic(s.get("{sink_topic}"), 1);
        create_topic(s.get("{fail_topic}"), 1);
        produce(s.get("{sink_topic}"), &[TestRecord::value("one"), TestRecord::value("two")]);
        produce(s.get("{fail_topic}"), &[TestRecord::value(r#"{"id":1}"#)]);
        s.write("in.txt", "a\nb\n");
        s.write(
            "src.json",
            &json!({"name": "{src}", "config": {"connector.class": "FileStreamSource",
                    "file": "{dir}/in.txt", "topic": "{src_topic}", "tasks.max": "1"}})
            .to_string(),
        );
        s.write(
            "src2.json",
            &json!({"name": "{src}", "config": {"connector.class": "FileStreamSource",
                    "file": "{dir}/in.txt", "topic": "{src_topic}", "tasks.max": "1",
                    "batch.size": "10"}})
            .to_string(),
        );
        s.write(
            "sink.properties",
            "name={sink}\nconnector.class=FileStreamSink\ntopics={sink_topic}\nfile={dir}/out.txt\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n",
        );
        s.write("bad.properties", "name={sink}\nconnector.class=FileStreamSink\n");
        // JsonConverter (schemas.enable=true) fed plain JSON with errors.tolerance=none: FAILED.
        s.write(
            "fail.json",
            &json!({"name": "{fail}", "config": {"connector.class": "FileStreamSink",
                    "topics": "{fail_topic}", "file": "{dir}/fail.txt",
                    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                    "errors.deadletterqueue.topic.name": "{dlq}",
                    "errors.deadletterqueue.topic.replication.factor": "1"}})
            .to_string(),
        );
    });

    // Plugins and validation.
    c.same_plugins(&["plugins", "--type", "source", "-o", "json"]);
    c.same_plugins(&["plugins", "--type", "sink", "-o", "json"]);
    c.same(&["plugins", "describe", "FileStreamSink"]);
    let (a, _) = c.same(&["validate", "-f", "{dir}/bad.properties"]);
    c.expect_code("validate bad", &a, 1);
    c.same(&["validate", "-f", "{dir}/src.json"]);

    // Create and read.
    c.same(&["create", "-f", "{dir}/src.json"]);
    c.same(&["apply", "-f", "{dir}/sink.properties"]);
    c.same(&["create", "-f", "{dir}/fail.json"]);
    c.same(&["wait", "{src}", "--for", "running", "--timeout", "60s"]);
    c.same(&["wait", "{sink}", "--for", "running", "--timeout", "60s"]);
    c.poll(&["status", "{fail}", "-o", "json"], "failed", |v| {
        v["tasks"][0]["state"] == "FAILED"
    });
    c.same(&["ls", "^{prefix}", "-o", "json"]);
    c.same(&["ls", "^{prefix}"]);
    c.same(&["status", "{src}", "-o", "json"]);
    c.same(&["status", "{src}"]);
    c.same(&["describe", "{sink}", "-o", "json"]);
    c.same(&["describe", "{sink}"]);
    c.same(&["config", "{src}", "-o", "json"]);
    c.same(&["config", "{src}"]);
    c.same(&["tasks", "{sink}", "--config", "-o", "json"]);
    c.poll(
        &["topics", "{sink}", "-o", "json"],
        "recorded its topic",
        |v| v["topics"].as_array().is_some_and(|t| !t.is_empty()),
    );
    c.same(&["topics", "{sink}", "-o", "json"]);

    // Change the config.
    c.same(&["patch", "{src}", "--set", "batch.size=100"]);
    let (a, _) = c.same(&["diff", "{src}", "-f", "{dir}/src2.json", "--exit-code"]);
    c.expect_code("diff with changes", &a, 1);
    c.same(&["apply", "-f", "{dir}/src2.json"]);
    c.same(&["wait", "{src}", "--for", "running", "--timeout", "60s"]);

    // Pause, resume, stop, offsets.
    c.same(&["pause", "{src}"]);
    c.same(&["wait", "{src}", "--for", "paused", "--timeout", "60s"]);
    c.same(&["ls", "^{prefix}", "--state", "paused", "-o", "json"]);
    c.same(&["resume", "{src}"]);
    c.same(&["wait", "{src}", "--for", "running", "--timeout", "60s"]);
    c.poll(
        &["offsets", "{src}", "-o", "json"],
        "committed the file",
        |v| v["offsets"][0]["offset"]["position"] == 4,
    );
    c.same(&["offsets", "{src}", "-o", "json"]);
    c.same(&["stop", "{src}"]);
    // Apache drops the stopped tasks' statuses a moment after the connector shows STOPPED.
    c.poll(&["status", "{src}", "-o", "json"], "stopped", |v| {
        v["connector"]["state"] == "STOPPED" && v["tasks"].as_array().is_some_and(Vec::is_empty)
    });
    c.same(&["wait", "{src}", "--for", "stopped", "--timeout", "60s"]);
    c.same(&[
        "offsets",
        "{src}",
        "--set",
        r#"{"filename":"{dir}/in.txt"}={"position":2}"#,
    ]);
    c.same(&["offsets", "{src}"]);
    c.same(&["offsets", "{src}", "--reset", "--yes"]);
    c.same(&["offsets", "{src}", "-o", "json"]);
    c.same(&["resume", "{src}"]);
    // The stopped connector's task comes back only from the rebalance the resume causes, which
    // also restarts the failed task on an eager connect-worker: once it runs, the status of
    // the failed task below is the restarted one's, not the one from before the rebalance.
    c.poll(&["status", "{src}", "-o", "json"], "resumed", |v| {
        v["tasks"][0]["state"] == "RUNNING"
    });

    // The failed connector: status, restart, doctor. A distributed connect-worker runs the
    // eager protocol, whose rebalance (after every config change, such as the resume above)
    // restarts all work, the failed task included, which then fails again on its record.
    c.poll(&["status", "{fail}", "-o", "json"], "failed", |v| {
        v["tasks"][0]["state"] == "FAILED"
    });
    let (a, _) = c.same(&["status", "{fail}", "-o", "json"]);
    c.expect_code("status of a failed connector", &a, 1);
    c.same(&["status", "{fail}"]);
    c.same(&["restart", "{fail}", "--only-failed", "-o", "json"]);
    c.poll(&["status", "{fail}", "-o", "json"], "failed again", |v| {
        v["tasks"][0]["state"] == "FAILED"
    });
    // The Apache worker is shared with other tests: compare our connector's part of the report.
    let doctor = |s: &Side| {
        let o = s.run(&["doctor", "-o", "json", "--bootstrap-servers", &bootstrap]);
        let mine = o.stdout["connectors"]
            .as_array()
            .and_then(|cs| cs.iter().find(|x| x["name"] == "{fail}"))
            .cloned()
            .unwrap_or(Value::Null);
        let cause = o.stdout["causes"]
            .as_array()
            .and_then(|cs| {
                cs.iter().find(|x| {
                    x["instances"]
                        .as_array()
                        .is_some_and(|i| i.contains(&json!("{fail}/0")))
                })
            })
            .map(|x| {
                let mut x = x.clone();
                // Instances of other tests' connectors with the same cause; the fix names the
                // group's first instance, which may be one of theirs.
                let others: Vec<String> = x["instances"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_str()?.rsplit_once('/').map(|(n, _)| n.to_owned()))
                    .filter(|n| n != "{fail}")
                    .collect();
                if let Some(fix) = x["hint"]["fix"].as_str() {
                    let fix = others
                        .iter()
                        .fold(fix.to_owned(), |f, n| f.replace(n.as_str(), "{fail}"));
                    x["hint"]["fix"] = json!(fix);
                }
                x["instances"] = json!(["{fail}/0"]);
                x["count"] = Value::Null;
                x
            })
            .unwrap_or(Value::Null);
        (o.code, mine, cause)
    };
    let (a, mut o) = (doctor(&c.apache), doctor(&c.ours));
    if distributed {
        // Each of those restarts sends the failing record to the DLQ once more; the shared
        // Apache worker runs sessioned (cooperative) and leaves the failed task alone.
        let (apache_records, ours_records) = (&a.1["dlq"]["records"], &o.1["dlq"]["records"]);
        if ours_records.as_u64() >= apache_records.as_u64() && apache_records.as_u64() > Some(0) {
            o.1["dlq"]["records"] = apache_records.clone();
        }
    }
    c.commands += 1;
    // 3: a connector failed (2 is every command's usage error).
    if a.0 != Some(3) || o.0 != Some(3) {
        c.diffs.push(format!(
            "doctor: exit codes apache {:?} ours {:?}, expected 3",
            a.0, o.0
        ));
    }
    let mut d = Vec::new();
    json_diff("doctor connector", &a.1, &o.1, &mut d);
    json_diff("doctor cause", &a.2, &o.2, &mut d);
    c.diffs
        .extend(d.into_iter().map(|d| format!("connectctl doctor: {d}")));
    if o.2["hint"]["id"] != "json-schemas-enable-plain-json"
        || o.2["exception"] != "org.apache.kafka.connect.errors.DataException"
    {
        c.diffs
            .push(format!("connectctl doctor: our cause {}", o.2));
    }

    // Loggers.
    c.same_except(
        &["loggers", "set", "{logger}", "debug", "-o", "json"],
        &["last_modified"],
    );
    c.same_except(&["loggers", "{logger}", "-o", "json"], &["last_modified"]);

    // Delete.
    c.same(&["delete", "{src}", "--yes"]);
    c.same(&["delete", "--yes", "-e", "^{prefix}", "-o", "json"]);
    c.poll(
        &["ls", "^{prefix}", "-o", "json"],
        "deleted everything",
        |v| v.as_array().is_some_and(Vec::is_empty),
    );

    eprintln!("{} commands compared", c.commands);
    assert!(
        c.diffs.is_empty(),
        "{} differences between Apache Connect and connect-worker:\n  {}",
        c.diffs.len(),
        c.diffs.join("\n  ")
    );
}
