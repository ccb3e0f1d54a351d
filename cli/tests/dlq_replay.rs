//! `connectctl dlq replay` against the real broker and the real Apache Kafka Connect worker.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args([
            "--url",
            &env().connect_url,
            "--bootstrap-servers",
            &env().bootstrap_servers,
        ]);
    c
}

fn dead_letter(origin_topic: &str, partition: i32, offset: i64, value: &str) -> TestRecord {
    let (p, o) = (partition.to_string(), offset.to_string());
    let mut r = TestRecord::value(value);
    for (name, v) in [
        ("__connect.errors.topic", origin_topic),
        ("__connect.errors.partition", p.as_str()),
        ("__connect.errors.offset", o.as_str()),
        ("__connect.errors.connector.name", "bench-sink"),
        ("__connect.errors.task.id", "0"),
        ("__connect.errors.stage", "VALUE_CONVERTER"),
        (
            "__connect.errors.class.name",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "__connect.errors.exception.class.name",
            "org.apache.kafka.connect.errors.DataException",
        ),
        ("__connect.errors.exception.message", "bad"),
    ] {
        r = r.header(name, Some(v.as_bytes()));
    }
    r
}

#[test]
fn killed_replays_finish_exactly_once() {
    const N: usize = 100_000;
    let dlq = unique("kill-dlq");
    let target = unique("kill-target");
    create_topic(&dlq, 3);
    create_topic(&target, 3);
    let records: Vec<TestRecord> = (0..N)
        .map(|i| {
            let mut r = dead_letter(
                &target,
                (i % 3) as i32,
                (i / 3) as i64,
                &format!(r#"{{"n":{i}}}"#),
            );
            r.partition = Some((i % 3) as i32);
            r
        })
        .collect();
    produce(&dlq, &records);

    // Kill the replay at a few points in its run (time-based: a SIGKILL lands wherever the
    // process happens to be, including mid-transaction), then let a last run finish.
    let mut kills = 0;
    for delay_ms in [700u64, 1300, 2100, 900] {
        let mut child = connectctl()
            .args(["dlq", "replay", &dlq, "--yes", "-o", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let out = connectctl()
            .args(["dlq", "replay", &dlq, "--yes", "-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if summary["replayed"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "replay never finished");
    }
    assert!(kills >= 1, "no run was killed: the test proved nothing");

    let got = consume(&target, N + 1, Duration::from_secs(20), true);
    let sources: HashSet<String> = got
        .iter()
        .map(|r| r.header_str("connectctl.replay.source").unwrap().to_owned())
        .collect();
    assert_eq!(
        got.len(),
        N,
        "exactly {N} records for a read_committed reader ({kills} kills)"
    );
    assert_eq!(sources.len(), N, "each DLQ record replayed once");
}

#[test]
fn wrap_schema_replay_through_the_cli_drains_the_connect_dlq() {
    let connect = Connect::new();
    let topic = unique("cli-replay-src");
    let dlq = unique("cli-replay-dlq");
    let name = unique("cli-replay-sink");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[
            TestRecord::value(r#"{"id":1}"#),
            TestRecord::value(r#"{"id":2}"#),
        ],
    );
    let out = std::env::temp_dir().join(format!("{name}.txt"));
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": out.to_str().unwrap(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "consumer.override.isolation.level": "read_committed",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    assert_eq!(consume(&dlq, 2, Duration::from_secs(60), true).len(), 2);

    // The dry run shows the plan and writes nothing.
    let plan = connectctl()
        .args([
            "dlq",
            "replay",
            "--connector",
            &name,
            "--fix",
            "wrap-schema",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let text = String::from_utf8(plan.stdout).unwrap();
    assert!(text.contains(&format!("2  -> {topic}")), "{text}");
    assert!(text.contains(r#"+ {"schema":{"type":"struct""#), "{text}");

    // Without --yes and without a terminal it refuses, naming the flag.
    let refused = connectctl()
        .args(["dlq", "replay", "--connector", &name])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));

    let run = connectctl()
        .args([
            "dlq",
            "replay",
            "--connector",
            &name,
            "--fix",
            "wrap-schema",
            "--yes",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["replayed"], 2);

    let deadline = Instant::now() + Duration::from_secs(60);
    let lines = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() >= 2 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    connect.delete(&name);
    assert_eq!(lines, "Struct{id=1}\nStruct{id=2}\n");
    assert_eq!(
        consume(&dlq, 3, Duration::from_secs(3), true).len(),
        2,
        "no new failures"
    );
}

/// `--edit` in a real terminal: the records open in $EDITOR (here a script that edits the first
/// value and deletes the third entry), then the user replays the first and skips the second.
/// Only the edited first record reaches the target, with the replay marks.
#[test]
fn edit_opens_the_records_and_replays_what_the_user_chose() {
    use connect_testkit::tmux::Tmux;

    let dlq = unique("edit-dlq");
    let target = unique("edit-target");
    create_topic(&dlq, 1);
    create_topic(&target, 1);
    produce(
        &dlq,
        &[
            dead_letter(&target, 0, 10, r#"{"id":1,"qty":"one"}"#).key("k1"),
            dead_letter(&target, 0, 11, r#"{"id":2}"#).key("k2"),
            dead_letter(&target, 0, 12, "not json").key("k3"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    // The "editor": fixes the first value as a person would, removes the third record.
    let editor = dir.path().join("editor.py");
    std::fs::write(
        &editor,
        r#"import json, sys
path = sys.argv[1]
docs = json.load(open(path))
assert [d["source"].rsplit("/", 2)[1:] for d in docs] == [["0", "0"], ["0", "1"], ["0", "2"]], docs
assert docs[0]["value"] == {"json": {"id": 1, "qty": "one"}}, docs[0]
assert docs[2]["value"] == "not json", docs[2]
docs[0]["value"]["json"]["qty"] = 1
del docs[2]
json.dump(docs, open(path, "w"))
"#,
    )
    .unwrap();
    let out = dir.path().join("out.json");
    let bin = env!("CARGO_BIN_EXE_connectctl");
    let command = format!(
        "NO_COLOR=1 EDITOR='python3 {editor}' CONNECTCTL_CONFIG=/nonexistent {bin} \
         --bootstrap-servers {bs} dlq replay {dlq} --edit -o json > {out}; echo EXIT=$? >> {out}.rc; sleep 30",
        editor = editor.display(),
        bs = env().bootstrap_servers,
        out = out.display(),
    );
    let t = Tmux::start(&command);
    let prompt = |n: usize| {
        t.wait(Duration::from_secs(60), |s| {
            s.matches("Replay this record?").count() >= n
        })
        .unwrap_or_else(|| panic!("prompt {n} never came:\n{}", t.screen()))
    };
    let screen = prompt(1);
    assert!(screen.contains("/0/0 -> "), "{screen}");
    assert!(screen.contains("(edited)"), "{screen}");
    assert!(screen.contains(r#"value {"id":1,"qty":1}"#), "{screen}");
    t.key("Enter"); // replay
    prompt(2);
    t.key("Down");
    t.key("Enter"); // skip
    let rc = dir.path().join("out.json.rc");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !rc.exists() {
        assert!(
            Instant::now() < deadline,
            "replay never ended:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_to_string(&rc).unwrap().trim(), "EXIT=0");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(summary["replayed"], 1, "{summary}");
    assert_eq!(summary["skipped_by_user"], 2, "{summary}");
    assert_eq!(summary["aborted"], false);

    let got = consume(&target, 1, Duration::from_secs(30), true);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(got[0].value_str(), Some(r#"{"id":1,"qty":1}"#));
    assert_eq!(got[0].header_str("connectctl.replay.count"), Some("1"));
    assert_eq!(
        got[0].header_str("connectctl.replay.source"),
        Some(format!("{dlq}/0/0").as_str())
    );
    // Nothing else arrives, and a second run finds nothing left (skips advance the position).
    assert_eq!(consume(&target, 2, Duration::from_secs(3), true).len(), 1);
    let again = connectctl()
        .args(["dlq", "replay", &dlq, "--yes", "-o", "json"])
        .output()
        .unwrap();
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["replayed"], 0, "{again}");
}

#[test]
fn edit_refuses_without_a_terminal_and_with_dry_run() {
    let dlq = unique("edit-dlq");
    for (args, want) in [
        (vec!["--edit"], "--edit needs a terminal"),
        (vec!["--edit", "--dry-run"], "do not go together"),
    ] {
        let out = connectctl()
            .args(["dlq", "replay", &dlq])
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
