//! connectctl against Confluent Cloud's Connect API v1, through a contract server built from
//! Confluent's published OpenAPI document (`ccloud/mod.rs`). Confluent Cloud itself cannot be
//! reached from the test machines; the server refuses every request the document does not
//! allow, so a call connectctl gets wrong fails here as it would there.

mod ccloud;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ccloud::{API_KEY, API_SECRET, CLUSTER, ENV, FORBIDDEN_KEY, Server};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_connectctl");
const SECRET_VAR: &str = "CONNECTCTL_TEST_CC_SECRET";

/// A contract server, a config file with a Cloud context `cc` (current), and a state dir.
struct Cloud {
    server: Server,
    dir: tempfile::TempDir,
}

impl Cloud {
    fn new() -> Cloud {
        let server = ccloud::start();
        let dir = tempfile::tempdir().unwrap();
        let c = Cloud { server, dir };
        let out = c.run(&[
            "context",
            "add",
            "cc",
            "--confluent-cloud",
            "--environment",
            ENV,
            "--cluster",
            CLUSTER,
            "--api-key",
            API_KEY,
            "--api-secret-env",
            SECRET_VAR,
            "--cloud-url",
            &c.server.url.clone(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        c
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("CONNECTCTL_CONFIG", self.config_path())
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("CONNECTCTL_URL")
            .env_remove("CONNECTCTL_CONTEXT")
            .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
            .env_remove("COMPLETE")
            .env("NO_COLOR", "1")
            .env(SECRET_VAR, API_SECRET);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> (Option<i32>, Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}\nstderr: {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        (out.status.code(), v)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }

    /// No answer of the server broke the document, and no request carried anything but the
    /// key and secret of the context.
    fn assert_clean(&self) {
        assert_eq!(self.server.violations(), Vec::<String>::new());
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SINK_CLASS: &str = "PostgresSink";

fn sink_file(name: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "config": {{"connector.class": "{SINK_CLASS}", "name": "{name}",
        "kafka.api.key": "KAFKAKEY", "kafka.api.secret": "kafka-secret", "topics": "orders",
        "tasks.max": "2", "connection.password": "pg-pass"{extra}}}}}"#
    )
}

#[test]
fn the_contract_server_refuses_what_the_document_does_not_allow() {
    let c = Cloud::new();
    c.server
        .seed("a", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    let base = format!(
        "{}/connect/v1/environments/{ENV}/clusters/{CLUSTER}",
        c.server.url
    );
    let http = reqwest::blocking::Client::new();
    let send = |m: reqwest::Method, path: &str, body: Option<&str>, auth: bool| {
        let mut r = http.request(m, format!("{base}{path}"));
        if auth {
            r = r.basic_auth(API_KEY, Some(API_SECRET));
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let resp = r.send().unwrap();
        let code = resp.status().as_u16();
        let v: Value = resp.json().unwrap_or(Value::Null);
        (code, v)
    };
    use reqwest::Method;
    // Allowed, with the document's shapes.
    let (code, v) = send(Method::GET, "/connectors", None, true);
    assert_eq!((code, v), (200, serde_json::json!(["a"])));
    let (code, v) = send(Method::GET, "/connectors?expand=info,status,id", None, true);
    assert_eq!(code, 200);
    assert_eq!(v["a"]["id"]["id_type"], "ID");
    assert_eq!(v["a"]["status"]["tasks"][0]["msg"], "");
    let (code, _) = send(Method::PUT, "/connectors/a/pause", None, true);
    assert_eq!(code, 202, "pause is a PUT answered 202");
    // Refused: no key, unknown path, a method the path does not take, a body without a
    // required key, unknown query parameters and values, a body where none is taken.
    let (code, v) = send(Method::GET, "/connectors", None, false);
    assert_eq!(code, 401);
    assert_eq!(v["error"]["code"], 401);
    assert_eq!(send(Method::GET, "/connectors/a/topics", None, true).0, 404);
    assert_eq!(
        send(Method::POST, "/connectors/a/restart", None, true).0,
        404
    );
    assert_eq!(send(Method::POST, "/connectors/a/pause", None, true).0, 405);
    assert_eq!(
        send(Method::PATCH, "/connectors/a/config", Some("{}"), true).0,
        405
    );
    let (code, v) = send(
        Method::PUT,
        "/connectors/a/config",
        Some(r#"{"connector.class":"PostgresSink","name":"a"}"#),
        true,
    );
    assert_eq!(code, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("required field 'kafka.api.key' is missing"),
        "{v}"
    );
    assert_eq!(
        send(
            Method::PUT,
            "/connectors/a/config",
            Some(r#"{"tasks.max": 1}"#),
            true
        )
        .0,
        400,
        "config values are strings"
    );
    assert_eq!(
        send(Method::GET, "/connectors?expand=everything", None, true).0,
        400
    );
    assert_eq!(
        send(Method::GET, "/connectors?page_token=x", None, true).0,
        400
    );
    assert_eq!(
        send(Method::PUT, "/connectors/a/resume", Some("{}"), true).0,
        400
    );
    assert_eq!(
        send(
            Method::POST,
            "/connectors/a/offsets/request",
            Some(r#"{"type":"MOVE"}"#),
            true
        )
        .0,
        400
    );
    c.assert_clean();
}

#[test]
fn context_add_keeps_the_secret_out_of_the_file() {
    let c = Cloud::new();
    let file = std::fs::read_to_string(c.config_path()).unwrap();
    assert!(file.contains("[contexts.cc.confluent_cloud]"), "{file}");
    assert!(file.contains(&format!("api_secret_env = \"{SECRET_VAR}\"")));
    assert!(file.contains(&format!("environment = \"{ENV}\"")));
    assert!(!file.contains(API_SECRET));
    // Missing secret source, a wrong id form, REST flags mixed in: usage errors.
    for bad in [
        vec![
            "--environment",
            ENV,
            "--cluster",
            CLUSTER,
            "--api-key",
            API_KEY,
        ],
        vec![
            "--environment",
            "prod",
            "--cluster",
            CLUSTER,
            "--api-key",
            API_KEY,
            "--api-secret-env",
            "X",
        ],
        vec![
            "--environment",
            ENV,
            "--cluster",
            "cluster-1",
            "--api-key",
            API_KEY,
            "--api-secret-env",
            "X",
        ],
        vec![
            "--environment",
            ENV,
            "--cluster",
            CLUSTER,
            "--api-key",
            API_KEY,
            "--api-secret-env",
            "X",
            "--username",
            "u",
        ],
    ] {
        let mut args = vec!["context", "add", "bad", "--confluent-cloud"];
        args.extend(bad.iter().copied());
        let out = c.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // `context ls` shows where a Cloud context's requests go.
    let (code, v) = c.json(&["context", "ls", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(v[0]["name"], "cc");
    assert_eq!(v[0]["auth"], "cloud-api-key");
    assert_eq!(
        v[0]["urls"][0],
        format!(
            "{}/connect/v1/environments/{ENV}/clusters/{CLUSTER}",
            c.server.url
        )
    );
    // --url over a Cloud context talks Connect REST, without the Cloud key.
    let out = c.run(&["--url", &c.server.url, "ls"]);
    assert_eq!(out.status.code(), Some(1));
    let seen = c.server.state().seen.clone();
    assert!(
        seen.last()
            .unwrap()
            .0
            .starts_with("GET /connectors?expand=status")
    );
    assert_eq!(seen.last().unwrap().1, None, "no Cloud key sent to --url");
    // The secret from a command works as well.
    let out = c.run(&[
        "context",
        "add",
        "cmd",
        "--confluent-cloud",
        "--environment",
        ENV,
        "--cluster",
        CLUSTER,
        "--api-key",
        API_KEY,
        "--api-secret-command",
        &format!("printenv {SECRET_VAR}"),
        "--cloud-url",
        &c.server.url,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    c.server
        .seed("x", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    let out = c.run(&["--context", "cmd", "ls"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("HEALTHY"));
    assert!(
        !std::fs::read_to_string(c.config_path())
            .unwrap()
            .contains(API_SECRET)
    );
}

#[test]
fn ls_lists_200_connectors_from_one_expanded_request() {
    let c = Cloud::new();
    for i in 0..200 {
        let (state, tasks): (&str, &[(&str, &str)]) = match i % 4 {
            0 => ("RUNNING", &[("RUNNING", "")]),
            1 => ("PAUSED", &[("PAUSED", "")]),
            2 => ("PROVISIONING", &[]),
            _ => (
                "RUNNING",
                &[(
                    "USER_ACTIONABLE_ERROR",
                    "Table \"orders\" is missing and auto-creation is disabled",
                )],
            ),
        };
        c.server
            .seed(&format!("conn-{i:03}"), SINK_CLASS, state, tasks);
    }
    let (code, v) = c.json(&["ls", "-o", "json"]);
    assert_eq!(code, Some(0));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 200);
    assert_eq!(rows[0]["name"], "conn-000");
    assert_eq!(rows[0]["health"], "HEALTHY");
    assert_eq!(rows[1]["health"], "PAUSED");
    assert_eq!(rows[2]["state"], "PROVISIONING");
    assert_eq!(rows[2]["health"], "UNASSIGNED");
    assert_eq!(rows[3]["health"], "FAILED");
    assert_eq!(rows[3]["tasks"][0]["state"], "USER_ACTIONABLE_ERROR");
    assert_eq!(
        rows[3]["root_cause"]["hint"]["id"], "jdbc-table-missing-auto-create",
        "{}",
        rows[3]
    );
    assert_eq!(rows[199]["name"], "conn-199");
    // The document does not page the list: one request answered all 200.
    let seen = c.server.state().seen.clone();
    let lists: Vec<_> = seen
        .iter()
        .filter(|(r, _)| r.contains("/connectors?"))
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert!(
        lists[0]
            .0
            .ends_with("/connectors?expand=info%2Cstatus%2Cid")
            || lists[0].0.ends_with("/connectors?expand=info,status,id"),
        "{}",
        lists[0].0
    );
    // The table: a long state never runs into the next column.
    let out = c.run(&["ls", "--state", "FAILED"]);
    let table = text(&out.stdout);
    let line = table
        .lines()
        .find(|l| l.contains("conn-003"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("FAILED"), "{line}");
    c.assert_clean();
}

#[test]
fn status_gives_root_causes_and_hints_for_managed_connector_messages() {
    let c = Cloud::new();
    c.server.seed(
        "pg-sink",
        SINK_CLASS,
        "RUNNING",
        &[
            (
                "USER_ACTIONABLE_ERROR",
                "Value (STRUCT) type doesn't have a mapping to the SQL database column type",
            ),
            ("RUNNING", ""),
        ],
    );
    let (code, v) = c.json(&["status", "pg-sink", "-o", "json"]);
    assert_eq!(code, Some(1), "a failed task is unhealthy: {v}");
    assert_eq!(v["health"], "DEGRADED");
    let rc = &v["tasks"][0]["root_cause"];
    assert_eq!(rc["exception"], "", "a bare message has no class");
    assert_eq!(rc["hint"]["id"], "jdbc-nested-structure");
    assert!(rc["hint"]["fix"].as_str().unwrap().contains("Flatten"));
    assert!(v["tasks"][1].get("root_cause").is_none());

    // All tasks USER_ACTIONABLE_ERROR: FAILED. The table keeps the long state clear of the
    // worker column.
    c.server.seed(
        "pg-sink-2",
        SINK_CLASS,
        "RUNNING",
        &[(
            "USER_ACTIONABLE_ERROR",
            "Table \"public\".\"orders\" is missing and auto-creation is disabled",
        )],
    );
    let (code, v) = c.json(&["status", "pg-sink-2", "-o", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["health"], "FAILED");
    assert_eq!(
        v["tasks"][0]["root_cause"]["hint"]["id"],
        "jdbc-table-missing-auto-create"
    );
    let out = c.run(&["status", "pg-sink-2"]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out.stdout);
    let line = t
        .lines()
        .find(|l| l.contains("task 0"))
        .unwrap_or_else(|| panic!("{t}"));
    let conn = t
        .lines()
        .find(|l| l.contains("connector "))
        .unwrap_or_else(|| panic!("{t}"));
    // The state column is as wide as USER_ACTIONABLE_ERROR: both states start at the same place
    // and the long one is followed by the column gap (Cloud names no worker).
    assert_eq!(
        line.find("USER_ACTIONABLE_ERROR"),
        conn.find("RUNNING"),
        "{t}"
    );
    assert!(line.contains("USER_ACTIONABLE_ERROR  "), "{line:?}");
    assert!(
        !t.contains("pg-sink-2  pg-sink-2"),
        "Cloud's worker_id is the name, not a worker: {t}"
    );
    assert!(t.contains("auto.create=true"), "{t}");

    // A failed connector whose trace is empty and whose cause is only in errors_from_trace.
    c.server
        .seed("pg-cdc", "PostgresCdcSourceV2", "FAILED", &[]);
    c.server.with_conn("pg-cdc", |conn| {
        conn.status_extra.insert(
            "errors_from_trace".into(),
            serde_json::json!([{"error": "Creation of replication slot failed: ERROR: logical decoding requires wal_level >= logical"}]),
        );
        conn.status_extra.insert("validation_errors".into(), serde_json::json!([]));
        conn.status_extra.insert("error_summary".into(), serde_json::json!("Connector failed"));
    });
    let (code, v) = c.json(&["status", "pg-cdc", "-o", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["health"], "FAILED");
    assert_eq!(
        v["connector"]["root_cause"]["hint"]["id"], "debezium-pg-wal-level",
        "{v}"
    );
    c.assert_clean();
}

/// The 12 bare Cloud-form fixtures reach their hints through the Cloud path, as task `msg`s.
#[test]
fn every_bare_cloud_fixture_gets_its_hint_through_the_cloud_path() {
    let c = Cloud::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/traces");
    let expected: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("expected.toml")).unwrap()).unwrap();
    let mut want = Vec::new();
    for t in expected["trace"].as_array().unwrap() {
        let file = t["file"].as_str().unwrap();
        if !file.starts_with("confluent-cloud-bare-") {
            continue;
        }
        let msg = std::fs::read_to_string(root.join(file)).unwrap();
        let name = file.trim_end_matches(".txt").to_owned();
        c.server.seed(
            &name,
            "PostgresCdcSourceV2",
            "RUNNING",
            &[("USER_ACTIONABLE_ERROR", msg.trim_end())],
        );
        want.push((
            name,
            t.get("hint").and_then(|h| h.as_str()).map(str::to_owned),
        ));
    }
    assert!(want.len() >= 12, "the bare Cloud fixtures: {}", want.len());
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    let mut args = vec!["status", "-o", "json"];
    args.extend(&names);
    let (code, v) = c.json(&args);
    assert_eq!(code, Some(1));
    for (s, (name, hint)) in v.as_array().unwrap().iter().zip(&want) {
        assert_eq!(s["name"], name.as_str());
        assert_eq!(s["health"], "FAILED", "{name}");
        let rc = &s["tasks"][0]["root_cause"];
        assert_eq!(rc["exception"], "", "{name}");
        assert_eq!(rc["hint"]["id"].as_str(), hint.as_deref(), "{name}: {rc}");
    }
}

#[test]
fn describe_config_and_tasks_read_the_cloud_shapes() {
    let c = Cloud::new();
    c.server.seed(
        "s3",
        "S3_SINK",
        "RUNNING",
        &[("RUNNING", ""), ("RUNNING", "")],
    );
    let (code, v) = c.json(&["config", "s3", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["connector.class"], "S3_SINK");
    assert_eq!(v["cloud.provider"], "aws");
    let out = c.run(&["describe", "s3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("S3_SINK") && t.contains("HEALTHY"), "{t}");
    assert!(!t.contains("kafka-secret"));
    let (code, v) = c.json(&["tasks", "s3", "-o", "json"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    let out = c.run(&["status", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    c.assert_clean();
}

#[test]
fn create_apply_diff_delete() {
    let c = Cloud::new();
    let f = c.file("orders.json", &sink_file("orders-sink", ""));
    let out = c.run(&["create", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, v) = c.json(&["ls", "-o", "json"]);
    assert_eq!(v[0]["name"], "orders-sink");
    assert_eq!(v[0]["state"], "PROVISIONING");
    // Cloud has no initial state: one line, exit 2, nothing created.
    let other = c.file("paused.json", &sink_file("paused-sink", ""));
    let out = c.run(&["create", "-f", &other, "--initial-state", "paused"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).trim().lines().count(), 1);
    // A second create is refused with Cloud's message.
    let out = c.run(&["create", "-f", &f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists")
            && text(&out.stderr).contains("connectctl apply"),
        "{}",
        text(&out.stderr)
    );
    // apply: one update, one new connector.
    let changed = c.file(
        "orders2.json",
        &sink_file("orders-sink", r#", "batch.size": "500""#),
    );
    let new = c.file("new.json", &sink_file("new-sink", ""));
    let out = c.run(&["apply", "-f", &changed, "-f", &new]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (_, v) = c.json(&["config", "orders-sink", "-o", "json"]);
    assert_eq!(v["batch.size"], "500");
    let (_, v) = c.json(&["ls", "-o", "json"]);
    assert_eq!(v.as_array().unwrap().len(), 2);
    // Applying the same file again changes nothing: the keys Cloud adds and the secrets it
    // masks are not differences.
    let out = c.run(&["apply", "-f", &changed]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("orders-sink: unchanged"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("masks") && text(&out.stderr).contains("kafka.api.secret"),
        "{}",
        text(&out.stderr)
    );
    let out = c.run(&["diff", "orders-sink", "-f", &changed]);
    assert_eq!(text(&out.stdout).trim(), "no differences");
    // diff against a file that changes one key.
    let other = c.file(
        "orders3.json",
        &sink_file("orders-sink", r#", "batch.size": "900""#),
    );
    let out = c.run(&["diff", "orders-sink", "-f", &other]);
    let d = text(&out.stdout);
    assert!(d.contains("batch.size"), "{d}{}", text(&out.stderr));
    let (_, v) = c.json(&["diff", "orders-sink", "-f", &other, "-o", "json"]);
    assert_eq!(
        v,
        serde_json::json!([{"key": "batch.size", "change": "changed", "old": "500", "new": "900"}])
    );
    // delete keeps a backup and removes the connector.
    let out = c.run(&["delete", "new-sink", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, v) = c.json(&["ls", "-o", "json"]);
    assert_eq!(v.as_array().unwrap().len(), 1);
    c.assert_clean();
}

#[test]
fn pause_resume_and_restart() {
    let c = Cloud::new();
    c.server
        .seed("p", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    let out = c.run(&["pause", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, v) = c.json(&["status", "p", "-o", "json"]);
    assert_eq!(v["health"], "PAUSED");
    let out = c.run(&["wait", "p", "--for", "paused", "--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = c.run(&["resume", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = c.run(&["wait", "p", "--for", "running", "--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Restart is a pause and a resume: the API has none.
    c.server.with_conn("p", |conn| {
        conn.tasks[0] = ("USER_ACTIONABLE_ERROR".into(), "boom".into())
    });
    let out = c.run(&["restart", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("pausing and resuming"),
        "{}",
        text(&out.stderr)
    );
    let (code, v) = c.json(&["status", "p", "-o", "json"]);
    assert_eq!((code, v["health"].as_str()), (Some(0), Some("HEALTHY")));
    let seen: Vec<String> = c.server.state().seen.iter().map(|s| s.0.clone()).collect();
    assert!(
        seen.iter()
            .any(|s| s.starts_with("PUT ") && s.ends_with("/connectors/p/pause"))
    );
    // --only-failed with nothing failed restarts nothing.
    let before = c.server.state().seen.len();
    let out = c.run(&["restart", "p", "--only-failed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("nothing to restart"),
        "{}",
        text(&out.stdout)
    );
    let seen: Vec<String> = c.server.state().seen[before..]
        .iter()
        .map(|s| s.0.clone())
        .collect();
    assert!(!seen.iter().any(|s| s.ends_with("/pause")), "{seen:?}");
    // A single task cannot be restarted on Cloud: one line, exit 2.
    let out = c.run(&["restart", "p/0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim().lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    // wait for running on a failing connector gives up at once.
    c.server.with_conn("p", |conn| {
        conn.tasks[0] = ("USER_ACTIONABLE_ERROR".into(), "boom".into())
    });
    let out = c.run(&["wait", "p", "--for", "running", "--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    c.assert_clean();
}

#[test]
fn offsets_read_alter_and_reset_through_the_request_api() {
    let c = Cloud::new();
    c.server
        .seed("o", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    c.server.with_conn("o", |conn| {
        conn.offsets = vec![serde_json::json!({
            "partition": {"kafka_topic": "orders", "kafka_partition": 0},
            "offset": {"kafka_offset": 1000}
        })]
    });
    let (code, v) = c.json(&["offsets", "o", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["offsets"][0]["offset"]["kafka_offset"], 1000);
    let out = c.run(&["offsets", "o", "--set", "orders:0=42", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("APPLIED"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("PENDING"),
        "{}",
        text(&out.stderr)
    );
    let (_, v) = c.json(&["offsets", "o", "-o", "json"]);
    assert_eq!(v["offsets"][0]["offset"]["kafka_offset"], 42);
    // The connector was never stopped (Cloud has no STOPPED); the request API handles it.
    let seen: Vec<String> = c.server.state().seen.iter().map(|s| s.0.clone()).collect();
    assert!(
        seen.iter()
            .any(|s| s.starts_with("POST ") && s.ends_with("/offsets/request"))
    );
    assert!(!seen.iter().any(|s| s.contains("/stop")));
    // reset
    let out = c.run(&["offsets", "o", "--reset", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, v) = c.json(&["offsets", "o", "-o", "json"]);
    assert_eq!(v["offsets"], serde_json::json!([]));
    // A request that FAILED: exit 1 with Cloud's reason.
    c.server.state().fail_next_offsets = Some("Offsets for topic orders are out of range".into());
    let out = c.run(&["offsets", "o", "--set", "orders:0=7", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("FAILED") && e.contains("out of range"), "{e}");
    c.assert_clean();
}

#[test]
fn plugins_and_validate() {
    let c = Cloud::new();
    let (code, v) = c.json(&["plugins", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert!(v.to_string().contains("PostgresSink"), "{v}");
    let out = c.run(&["plugins", "describe", SINK_CLASS]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("kafka.api.secret"),
        "{}",
        text(&out.stdout)
    );
    let good = c.file("good.json", &sink_file("v", ""));
    let out = c.run(&["validate", "-f", &good]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let bad = c.file(
        "bad.json",
        &format!(r#"{{"name": "v", "config": {{"connector.class": "{SINK_CLASS}", "name": "v", "tasks.max": "1"}}}}"#),
    );
    let out = c.run(&["validate", "-f", &bad]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("topics"), "{all}");
    c.assert_clean();
}

#[test]
fn doctor_watch_and_completion() {
    let c = Cloud::new();
    c.server
        .seed("good", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    c.server.seed(
        "deg",
        SINK_CLASS,
        "DEGRADED",
        &[("RUNNING", ""), ("SYSTEM_ERROR", "Internal error")],
    );
    let out = c.run(&["doctor", "--no-kafka"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "degraded: {}",
        text(&out.stdout)
    );
    c.server.seed(
        "bad",
        SINK_CLASS,
        "RUNNING",
        &[(
            "USER_ACTIONABLE_ERROR",
            "Value (STRUCT) type doesn't have a mapping to the SQL database column type",
        )],
    );
    let (code, v) = c.json(&["doctor", "--no-kafka", "-o", "json"]);
    assert_eq!(code, Some(3), "failed: {v}");
    assert!(v.to_string().contains("jdbc-nested-structure"), "{v}");
    // watch without a TTY: one line per instance.
    let out = c.run(&["watch", "--count", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let w = text(&out.stdout);
    assert!(w.contains("bad task 0 USER_ACTIONABLE_ERROR"), "{w}");
    // Completion of connector names asks the Cloud API.
    let out = c
        .cmd()
        .env("COMPLETE", "fish")
        .env("XDG_CACHE_HOME", c.dir.path().join("cache"))
        .args(["--", "connectctl", "status", "b"])
        .output()
        .unwrap();
    let comp = text(&out.stdout);
    assert!(comp.contains("bad"), "{comp}{}", text(&out.stderr));
    assert!(!comp.contains("good"), "{comp}");
}

#[test]
fn commands_without_a_cloud_equivalent_say_so_in_one_line() {
    let c = Cloud::new();
    c.server
        .seed("x", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    for args in [
        vec!["stop", "x"],
        vec!["patch", "x", "--set", "tasks.max=2"],
        vec!["topics", "x"],
        vec!["loggers"],
        vec!["info"],
        vec!["health"],
    ] {
        let out = c.run(&args);
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: {e}");
        assert!(e.contains("Confluent Cloud"), "{args:?}: {e}");
    }
    // Nothing was sent for them.
    assert!(c.server.state().seen.is_empty());
}

#[test]
fn a_429_storm_is_ridden_out_honouring_retry_after() {
    let c = Cloud::new();
    c.server
        .seed("r", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    c.server.state().rate_limit = Some((3, 1));
    let t0 = Instant::now();
    let (code, v) = c.json(&["ls", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(v[0]["name"], "r");
    assert!(
        t0.elapsed() >= Duration::from_secs(3),
        "waited {:?}",
        t0.elapsed()
    );
    assert_eq!(c.server.state().served_429, 3);
    // A storm longer than --retry-timeout: the 429 is reported, exit 1.
    c.server.state().rate_limit = Some((100, 30));
    let t0 = Instant::now();
    let out = c.run(&["--retry-timeout", "2", "status", "r"]);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("429"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(20));
    c.assert_clean();
}

#[test]
fn wrong_credentials_name_the_key_never_the_secret() {
    let c = Cloud::new();
    c.server
        .seed("x", SINK_CLASS, "RUNNING", &[("RUNNING", "")]);
    // -v logs requests, never the secret.
    let out = c.run(&["-v", "ls"]);
    assert_eq!(out.status.code(), Some(0));
    let log = text(&out.stderr);
    assert!(log.contains(API_KEY), "{log}");
    assert!(!log.contains(API_SECRET), "{log}");
    // A wrong secret: 401.
    let out = c
        .cmd()
        .env(SECRET_VAR, "wrong")
        .args(["ls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(
        e.contains("401") && e.contains(&format!("Cloud API key '{API_KEY}'")),
        "{e}"
    );
    assert!(
        e.contains(SECRET_VAR),
        "names where the secret came from: {e}"
    );
    assert!(!e.contains("wrong") && !e.contains(API_SECRET), "{e}");
    // The variable unset: says which one.
    let out = c
        .cmd()
        .env_remove(SECRET_VAR)
        .args(["ls"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains(SECRET_VAR),
        "{}",
        text(&out.stderr)
    );
    // A key without access to the cluster: 403, naming the key.
    let out = c.run(&[
        "context",
        "add",
        "other",
        "--confluent-cloud",
        "--environment",
        ENV,
        "--cluster",
        CLUSTER,
        "--api-key",
        FORBIDDEN_KEY,
        "--api-secret-env",
        SECRET_VAR,
        "--cloud-url",
        &c.server.url,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = c.run(&["--context", "other", "status", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("403") && e.contains(FORBIDDEN_KEY), "{e}");
    assert!(!e.contains(API_SECRET));
}
