//! connectctl against the real Apache Kafka Connect worker of the test environment.

use std::process::Command;

use connect_testkit::env;

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL").env("NO_COLOR", "1");
    c
}

#[test]
fn version_runs() {
    let out = connectctl().arg("--version").output().unwrap();
    assert!(out.status.success());
    // `connectctl 0.1.0 (commit date)`; cli/tests/version.rs checks the commit and date.
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with(&format!("connectctl {} (", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
}

#[test]
fn info_reports_the_real_worker() {
    let env = env();
    let out = connectctl()
        .args(["info", "-o", "json", "--url", &env.connect_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["kafka_cluster_id"], env.kafka_cluster_id.as_str());
    assert_eq!(info["version"], env.connect_version.as_str());
}

#[test]
fn unreachable_url_is_one_clear_line_and_exit_1() {
    // A port nothing listens on: bind one, learn its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = connectctl().args(["info", "--url", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&url) && err.to_lowercase().contains("refused"),
        "{err}"
    );
}

#[test]
fn usage_error_exits_2() {
    let out = connectctl().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// The connector commands against the real worker. Tests share one worker and run in parallel,
// so each uses its own unique names and never assumes the connector list is only its own.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use connect_testkit::{Connect, TestRecord, create_topic, produce, unique};
use serde_json::{Value, json};

/// A private config file and state directory per test, and the real worker's URL.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        env();
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// connectctl with the real worker's URL (unless `no_url`) and no terminal on stdin.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = connectctl();
        c.env("CONNECTCTL_CONFIG", self.config_path())
            .env("XDG_STATE_HOME", self.state_dir())
            .env_remove("CONNECTCTL_CONTEXT")
            .stdin(std::process::Stdio::null())
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd(args);
        c.args(["--url", &env().connect_url]);
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "connectctl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const WAIT: Duration = Duration::from_secs(60);

fn running(s: &connect_api::ConnectorStateInfo) -> bool {
    s.connector.state == connect_api::State::Running
        && !s.tasks.is_empty()
        && s.tasks
            .iter()
            .all(|t| t.state == connect_api::State::Running)
}

/// Deletes the connector when the test ends, even when it fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let c = Connect::new();
        for n in &self.0 {
            c.delete(n);
        }
    }
}

#[test]
fn create_describe_patch_diff_apply_delete() {
    let sb = Sandbox::new();
    let name = unique("cc-life");
    let topic = unique("cc-life-topic");
    let _cleanup = Cleanup(vec![name.clone()]);
    create_topic(&topic, 1);
    let out_file = sb.dir.path().join("out.txt").display().to_string();
    sb.ok(&[
        "create",
        &name,
        "--set",
        "connector.class=FileStreamSink",
        "--set",
        &format!("topics={topic}"),
        "--set",
        &format!("file={out_file}"),
        "--set",
        "connection.password=hunter2",
    ]);
    Connect::new().wait_for(&name, WAIT, "running", running);

    let d = sb.json(&["describe", &name]);
    assert_eq!(d["config"]["connector"]["topics"], topic.as_str());
    assert_eq!(
        d["config"]["other"]["connection.password"], "********",
        "{d}"
    );
    assert_eq!(d["health"], "HEALTHY");
    assert_eq!(d["type"], "sink");
    assert_eq!(d["tasks"][0]["state"], "RUNNING");
    let revealed = sb.json(&["describe", &name, "--reveal"]);
    assert_eq!(
        revealed["config"]["other"]["connection.password"],
        "hunter2"
    );
    let text = sb.ok(&["describe", &name]);
    assert!(
        text.contains("Health:     HEALTHY") && !text.contains("hunter2"),
        "{text}"
    );
    let config = sb.ok(&["config", &name]);
    assert!(
        config.contains(&out_file) && !config.contains("hunter2"),
        "{config}"
    );

    let rows = sb.json(&["ls", &format!("^{name}$")]);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["health"], "HEALTHY");
    assert_eq!(rows[0]["tasks"][0]["state"], "RUNNING");
    assert!(!rows[0]["worker_ids"].as_array().unwrap().is_empty());
    let table = sb.ok(&["ls", &format!("^{name}$")]);
    assert!(
        table.contains("1/1 RUNNING") && table.contains("HEALTH"),
        "{table}"
    );
    assert!(
        sb.json(&["ls", &format!("^{name}$"), "--type", "source"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let patched = sb.ok(&[
        "patch",
        &name,
        "--set",
        "tasks.max=2",
        "--unset",
        "connection.password",
    ]);
    assert!(patched.contains("+ tasks.max = 2"), "{patched}");
    assert!(
        patched.contains("- connection.password = ********"),
        "{patched}"
    );
    let cfg = sb.json(&["config", &name]);
    assert_eq!(cfg["tasks.max"], "2");
    assert!(cfg.get("connection.password").is_none());

    let other_file = format!("{out_file}.2");
    let f = sb.file(
        "c.json",
        &json!({"name": name, "config": {"connector.class": "FileStreamSink", "topics": topic, "file": other_file, "tasks.max": 2}}).to_string(),
    );
    let out = sb.run(&["diff", &name, "-f", &f, "--exit-code"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("~ file: {out_file} -> {other_file}"))
    );
    let applied = sb.ok(&["apply", "-f", &f]);
    assert!(
        applied.contains("1 key(s) change") && applied.contains("updated"),
        "{applied}"
    );
    assert!(
        sb.ok(&["diff", &name, "-f", &f, "--exit-code"])
            .contains("no differences")
    );
    assert!(sb.ok(&["apply", "-f", &f]).contains("unchanged"));

    // No terminal and no --yes: nothing is deleted; a usage error (exit 2).
    let out = sb.run(&["delete", &name]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(Connect::new().status(&name).is_some());
    let deleted = sb.ok(&["delete", &name, "--yes"]);
    assert!(deleted.contains("deleted; config saved to"), "{deleted}");
    let backups: Vec<_> = std::fs::read_dir(sb.state_dir().join("connectctl/backups"))
        .unwrap()
        .collect();
    assert_eq!(backups.len(), 1);
    let backup: Value =
        serde_json::from_slice(&std::fs::read(backups[0].as_ref().unwrap().path()).unwrap())
            .unwrap();
    assert_eq!(backup["config"]["file"], other_file.as_str());
    // The status store forgets a deleted connector a moment after the delete returns.
    let deadline = std::time::Instant::now() + WAIT;
    while Connect::new()
        .call("GET", &format!("/connectors/{name}"), None)
        .0
        != 404
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{name} still exists after delete"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The backup re-creates it.
    let backup_path = backups[0].as_ref().unwrap().path().display().to_string();
    sb.ok(&["create", "-f", &backup_path]);
    assert!(
        Connect::new()
            .call("GET", &format!("/connectors/{name}"), None)
            .0
            == 200
    );
}

#[test]
fn bad_config_prints_errors_per_key() {
    let sb = Sandbox::new();
    let name = unique("cc-bad");
    let _cleanup = Cleanup(vec![name.clone()]);
    let out = sb.run(&["create", &name, "--set", "connector.class=FileStreamSink"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("topics: Must configure one of topics or topics.regex"),
        "{err}"
    );
    assert!(err.contains("was not saved"), "{err}");
    assert!(Connect::new().status(&name).is_none());

    let f = sb.file(
        "bad.properties",
        &format!("name={name}\nconnector.class=FileStreamSink\n"),
    );
    let out = sb.run(&["validate", "-f", &f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("topics: Must configure one of topics or topics.regex"));
    let out = sb.run(&["apply", "--dry-run", "-f", &f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("topics: Must configure"),
        "{}",
        stderr(&out)
    );
    assert!(
        Connect::new().status(&name).is_none(),
        "dry-run must not create"
    );

    let out = sb.run(&[
        "create",
        &name,
        "--set",
        "connector.class=com.example.Nope",
        "--set",
        "topics=x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("com.example.Nope") && err.contains("connectctl plugins"),
        "{err}"
    );
    assert!(
        !err.contains("PluginDesc"),
        "the plugin dump should be cut: {err}"
    );

    let good = sb.file(
        "good.json",
        &json!({"connector.class": "FileStreamSink", "topics": "t", "name": name}).to_string(),
    );
    assert!(sb.ok(&["validate", "-f", &good]).contains("valid"));
}

#[test]
fn unknown_connector_lists_what_exists_closest_first() {
    let sb = Sandbox::new();
    let name = unique("cc-known");
    let _cleanup = Cleanup(vec![name.clone()]);
    sb.ok(&[
        "create",
        &name,
        "--set",
        "connector.class=FileStreamSink",
        "--set",
        "topics=cc-nowhere",
        "--initial-state",
        "stopped",
    ]);
    let typo = name.replacen("known", "knwn", 1);
    for cmd in [
        vec!["describe", typo.as_str()],
        vec!["config", typo.as_str()],
        vec!["pause", typo.as_str()],
    ] {
        let out = sb.run(&cmd);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("no connector named '{typo}'")),
            "{err}"
        );
        let first = err
            .split("(closest first): ")
            .nth(1)
            .unwrap()
            .split(", ")
            .next()
            .unwrap();
        assert_eq!(first.trim(), name, "{err}");
    }
}

#[test]
fn restart_only_failed_restarts_a_really_failed_task() {
    let sb = Sandbox::new();
    let name = unique("cc-fail");
    let topic = unique("cc-fail-topic");
    let _cleanup = Cleanup(vec![name.clone()]);
    create_topic(&topic, 1);
    // The task cannot open a file under /proc, so it fails at start: a real FAILED task.
    Connect::new().create(
        &name,
        json!({"connector.class": "FileStreamSink", "topics": topic, "file": "/proc/x/out.txt"}),
    );
    Connect::new().wait_for(&name, WAIT, "failed", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state == connect_api::State::Failed)
    });
    let rows = sb.json(&["ls", &format!("^{name}$"), "--state", "FAILED"]);
    assert_eq!(rows[0]["health"], "FAILED", "{rows}");
    assert_eq!(rows[0]["state"], "RUNNING");
    assert_eq!(sb.json(&["describe", &name])["health"], "FAILED");
    let tasks = sb.ok(&["tasks", &name]);
    assert!(tasks.contains("FAILED"), "{tasks}");

    let r = sb.json(&["restart", &name, "--only-failed"]);
    assert_eq!(r[0]["ok"], true, "{r}");
    assert_eq!(r[0]["message"], "restarting task 0", "{r}");
    Connect::new().wait_for(&name, WAIT, "failed again", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state == connect_api::State::Failed)
    });
    let one = sb.ok(&["restart", &format!("{name}/0")]);
    assert!(one.contains("task 0 restarted"), "{one}");
    // Selecting by state finds it among everyone else's connectors.
    let all = sb.json(&[
        "restart",
        "--state",
        "FAILED",
        "-e",
        &format!("^{name}$"),
        "--only-failed",
    ]);
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}

#[test]
fn stopped_connector_offsets_flow() {
    let sb = Sandbox::new();
    let name = unique("cc-offs");
    let topic = unique("cc-offs-topic");
    let _cleanup = Cleanup(vec![name.clone()]);
    create_topic(&topic, 1);
    let input = sb.file("in.txt", "one\ntwo\nthree\n");
    Connect::new().create(
        &name,
        json!({"connector.class": "FileStreamSource", "topic": topic, "file": input}),
    );
    // offset.flush.interval.ms is 1 s in the test worker.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let o = sb.json(&["offsets", &name]);
        if !o["offsets"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no offsets committed");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(sb.ok(&["offsets", &name]).contains("position="));

    // Running, no terminal, no --yes: refuses to stop it (a usage error, exit 2).
    let out = sb.run(&["offsets", &name, "--reset"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));

    assert!(sb.ok(&["stop", &name]).contains("stopped"));
    Connect::new().wait_for(&name, WAIT, "stopped", |s| {
        s.connector.state == connect_api::State::Stopped
    });
    let set = format!(r#"{{"filename":"{input}"}}={{"position":4}}"#);
    let altered = sb.ok(&["offsets", &name, "--set", &set]);
    assert!(altered.contains("altered successfully"), "{altered}");
    let o = sb.json(&["offsets", &name]);
    assert_eq!(o["offsets"][0]["offset"]["position"], 4, "{o}");
    // We did not stop it, so it stays stopped.
    assert_eq!(
        Connect::new().status(&name).unwrap().connector.state,
        connect_api::State::Stopped
    );

    sb.ok(&["resume", &name]);
    Connect::new().wait_for(&name, WAIT, "running", running);
    // The guided reset: stop, snapshot, reset, resume.
    let out = sb.run(&["offsets", &name, "--reset", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reset successfully"));
    let err = stderr(&out);
    assert!(
        err.contains("stopped") && err.contains("resume requested"),
        "{err}"
    );
    let snaps: Vec<_> = std::fs::read_dir(sb.state_dir().join("connectctl/offsets"))
        .unwrap()
        .collect();
    assert_eq!(snaps.len(), 2, "one snapshot per change");
    Connect::new().wait_for(&name, WAIT, "running again", running);
}

#[test]
fn bulk_pause_resume_stop_by_regex_and_state() {
    let sb = Sandbox::new();
    let prefix = unique("cc-bulk");
    let names = [format!("{prefix}-a"), format!("{prefix}-b")];
    let _cleanup = Cleanup(names.to_vec());
    for n in &names {
        Connect::new().create(
            n,
            json!({"connector.class": "FileStreamSink", "topics": "cc-bulk-unused"}),
        );
    }
    for n in &names {
        Connect::new().wait_for(n, WAIT, "running", running);
    }
    let re = format!("^{prefix}-");
    let out = sb.json(&["pause", "-e", &re]);
    assert_eq!(out.as_array().unwrap().len(), 2, "{out}");
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("pause requested (was RUNNING)"),
        "{out}"
    );
    for n in &names {
        Connect::new().wait_for(n, WAIT, "paused", |s| {
            s.connector.state == connect_api::State::Paused
        });
    }
    let paused = sb.json(&["ls", &re, "--state", "paused"]);
    assert_eq!(paused.as_array().unwrap().len(), 2, "{paused}");
    sb.ok(&["resume", "-e", &re]);
    for n in &names {
        Connect::new().wait_for(n, WAIT, "running", running);
    }
    sb.ok(&["stop", &names[0]]);
    Connect::new().wait_for(&names[0], WAIT, "stopped", |s| {
        s.connector.state == connect_api::State::Stopped
    });
    let stopped = sb.json(&["ls", &re, "--state", "STOPPED"]);
    assert_eq!(stopped[0]["name"], names[0].as_str());
    assert_eq!(stopped[0]["health"], "STOPPED");
    // Nothing selected is a usage problem (exit 2), not "do everything".
    let out = sb.run(&["pause"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--all"), "{}", stderr(&out));
    let gone = sb.json(&["delete", "--yes", "-e", &re]);
    assert_eq!(gone.as_array().unwrap().len(), 2, "{gone}");
}

#[test]
fn plugins_loggers_topics_tasks_health() {
    let sb = Sandbox::new();
    let plugins = sb.json(&["plugins", "--type", "sink"]);
    assert!(
        plugins
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["type"] == "sink")
    );
    assert!(plugins.to_string().contains("FileStreamSinkConnector"));
    assert!(sb.ok(&["plugins"]).contains("transformation"));
    let def = sb.ok(&["plugins", "describe", "FileStreamSink"]);
    assert!(def.contains("file") && def.contains("IMPORTANCE"), "{def}");
    let out = sb.run(&["plugins", "describe", "com.example.NoSuchPlugin"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no plugin"), "{}", stderr(&out));

    let logger = "org.apache.kafka.connect.file.FileStreamSourceTask";
    let set = sb.json(&["loggers", "set", logger, "debug"]);
    assert_eq!(set["level"], "DEBUG");
    assert_eq!(set["scope"], "worker");
    assert_eq!(sb.json(&["loggers", logger])[logger]["level"], "DEBUG");
    let cluster = sb.ok(&["loggers", "set", logger, "INFO", "--scope", "cluster"]);
    assert!(cluster.contains("every worker"), "{cluster}");

    let health = sb.json(&["health"]);
    assert_eq!(health["status"], "healthy");

    let name = unique("cc-topics");
    let topic = unique("cc-topics-topic");
    let _cleanup = Cleanup(vec![name.clone()]);
    create_topic(&topic, 1);
    let out_file = sb.dir.path().join("sink.txt").display().to_string();
    Connect::new().create(&name, json!({"connector.class": "FileStreamSink", "topics": topic, "file": out_file, "value.converter": "org.apache.kafka.connect.storage.StringConverter"}));
    Connect::new().wait_for(&name, WAIT, "running", running);
    produce(&topic, &[TestRecord::value("hello")]);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let t = sb.json(&["topics", &name]);
        if t["topics"].as_array().is_some_and(|a| !a.is_empty()) {
            assert_eq!(t["topics"][0], topic.as_str());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "topic never recorded");
        std::thread::sleep(Duration::from_millis(300));
    }
    sb.ok(&["topics", &name, "--reset"]);
    let tasks = sb.json(&["tasks", &name, "--config"]);
    assert_eq!(tasks[0]["state"], "RUNNING");
    assert_eq!(
        tasks[0]["config"]["task.class"],
        "org.apache.kafka.connect.file.FileStreamSinkTask"
    );
    let info = sb.json(&["info"]);
    assert!(!info["workers"].as_array().unwrap().is_empty(), "{info}");
}

#[test]
fn contexts_add_use_list_and_drive_commands() {
    let sb = Sandbox::new();
    let e = env();
    let out = sb
        .cmd(&[
            "context",
            "add",
            "real",
            "--url",
            &e.connect_url,
            "--bootstrap-servers",
            &e.bootstrap_servers,
            "-X",
            "client.id=cc-test",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.config_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the config file must be private");
    }
    let out = sb
        .cmd(&["context", "add", "other", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // No --url: the current context ("real", the first added) is used.
    let info = sb.cmd(&["info", "-o", "json"]).output().unwrap();
    assert!(info.status.success(), "{}", stderr(&info));
    let list: Value = serde_json::from_slice(
        &sb.cmd(&["context", "ls", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "other");
    assert_eq!(list[1]["current"], true);
    assert_eq!(list[1]["bootstrap_servers"], e.bootstrap_servers.as_str());

    sb.cmd(&["context", "use", "other"]).output().unwrap();
    let cur = String::from_utf8(sb.cmd(&["context", "current"]).output().unwrap().stdout).unwrap();
    assert!(cur.starts_with("other"), "{cur}");
    let out = sb.cmd(&["info"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("127.0.0.1:9"), "{}", stderr(&out));
    // --context overrides the current one for one command.
    assert!(
        sb.cmd(&["info", "--context", "real"])
            .output()
            .unwrap()
            .status
            .success()
    );
    // An unknown --context is a bad flag value: usage error, exit 2.
    let out = sb.cmd(&["info", "--context", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("known: other, real"),
        "{}",
        stderr(&out)
    );

    assert!(
        sb.cmd(&["context", "rm", "other"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let text = std::fs::read_to_string(sb.config_path()).unwrap();
    assert!(
        !text.contains("[contexts.other]") && text.contains("client.id"),
        "{text}"
    );
}
