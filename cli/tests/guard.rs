//! `connectctl guard` against the real environment: a Debezium connector whose PostgreSQL (a
//! private server this test starts and stops) goes away and comes back is restarted and
//! recovers; a FileStream sink failing on a configuration error is left alone with its hint; the
//! restart budget stops a restart loop (a sink whose DLQ admin client finds no broker) with exit 1.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_testkit::{Connect, consume, create_topic, env, unique};
use serde_json::{Value, json};

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_CONTEXT")
        .env("NO_COLOR", "1")
        // No config file of the machine's user: a private, absent one.
        .env(
            "CONNECTCTL_CONFIG",
            "/nonexistent/connectctl-guard-test.toml",
        );
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL server of this test alone (initdb in a temporary directory, trust auth, logical
/// WAL), so the test can take it away and bring it back without touching the shared one.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<Child>,
}

impl PrivatePostgres {
    fn bin(tool: &str) -> PathBuf {
        let out = Command::new("sh")
            .args([
                "-c",
                "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1",
            ])
            .output()
            .unwrap();
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join(tool)
    }

    /// As root the server must run as the unprivileged `postgres` account.
    fn as_pg(tool: &str) -> Command {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(Self::bin(tool));
            c
        } else {
            Command::new(Self::bin(tool))
        }
    }

    fn start_new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let _ = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir.path())
            .status();
        let out = Self::as_pg("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n\
             wal_level = logical\nmax_wal_senders = 4\nmax_replication_slots = 4\n\
             shared_buffers = 16MB\nfsync = off\n"
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
        let mut pg = PrivatePostgres {
            dir,
            port,
            server: None,
        };
        pg.start();
        pg
    }

    fn start(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("postgres.log")).unwrap();
        let child = Self::as_pg("postgres")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.try_sql("SELECT 1").is_err() {
            assert!(
                Instant::now() < deadline,
                "private PostgreSQL did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Fast shutdown (SIGINT): the server ends every session, as an operator's restart does.
    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-XAtqc", sql])
            .env("PGCONNECT_TIMEOUT", "2")
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Debezium PostgreSQL connector on the private server that fails (rather than retrying
/// inside a RUNNING task) when the database goes away: `errors.max.retries=0`.
fn debezium_on(pg: &PrivatePostgres, name: &str) -> Value {
    let ident = name.replace('-', "_");
    json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1",
        "database.port": pg.port.to_string(),
        "database.user": "postgres",
        "database.password": "unused-with-trust-auth",
        "database.dbname": "postgres",
        "topic.prefix": name,
        "plugin.name": "pgoutput",
        "slot.name": ident,
        "publication.name": ident,
        "publication.autocreate.mode": "filtered",
        "table.include.list": "public.orders",
        "snapshot.mode": "no_data",
        "errors.max.retries": "0",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    })
}

/// Deletes the connector when the test ends, pass or fail.
struct Cleanup<'a>(&'a Connect, String);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.0.delete(&self.1);
    }
}

/// A `connectctl guard` running in the background, its decisions collected as they come.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Running {
    fn spawn(args: &[&str]) -> Running {
        let mut child = connectctl()
            .args(["guard", "-o", "jsonl"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("guard printed a line that is not JSON ({e}): {line}")
                });
                sink.lock().unwrap().push(v);
            }
        });
        Running { child, lines }
    }

    fn decisions(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a decision matching `pred`; panics with everything seen after `timeout`.
    fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = self.decisions().into_iter().find(|v| pred(v)) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "guard never decided {what}; decisions: {:#?}",
                self.decisions()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Ctrl-C, then the exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut err).unwrap();
        (status.code(), err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn task_state(connect: &Connect, name: &str) -> Option<String> {
    connect
        .status(name)
        .and_then(|s| s.tasks.first().map(|t| t.state.to_string()))
}

#[test]
fn a_connector_whose_database_comes_back_is_restarted_and_recovers() {
    let env = env();
    let connect = Connect::debezium();
    let mut pg = PrivatePostgres::start_new();
    pg.sql("CREATE TABLE orders (id int PRIMARY KEY, item text)");
    let name = unique("guard-pg");
    let _cleanup = Cleanup(&connect, name.clone());
    connect.create(&name, debezium_on(&pg, &name));
    connect.wait_for(
        &name,
        Duration::from_secs(90),
        "RUNNING with a RUNNING task",
        |s| {
            s.tasks
                .first()
                .is_some_and(|t| t.state.as_str() == "RUNNING")
        },
    );

    let guard = Running::spawn(&[
        &name,
        "--url",
        &env.debezium_connect_url,
        "--interval",
        "1s",
        "--backoff",
        "2s",
        "--max-backoff",
        "4s",
        "--budget",
        "30",
    ]);
    pg.stop();
    // The outage fails the task with a trace the catalog knows as transient; guard restarts it
    // (and, while the server is still down, again after the backoff).
    let restart = guard.wait_for(Duration::from_secs(90), "a restart", |d| {
        d["action"] == "restart" && d["connector"] == name.as_str()
    });
    assert_eq!(restart["task"], 0, "{restart}");
    assert_eq!(restart["cause"], "transient", "{restart}");
    let hint = restart["root_cause"]["hint"]["id"].as_str().unwrap();
    assert!(
        ["postgres-connection-lost", "connection-refused"].contains(&hint),
        "{restart}"
    );
    assert_eq!(restart["root_cause"]["hint"]["transient"], true);

    pg.start();
    let recovered = guard.wait_for(Duration::from_secs(120), "recovered", |d| {
        d["action"] == "recovered" && d["connector"] == name.as_str()
    });
    assert_eq!(recovered["state"], "RUNNING", "{recovered}");
    assert_eq!(task_state(&connect, &name).as_deref(), Some("RUNNING"));
    // Really working again: a row written after the outage arrives as a change event.
    pg.sql("INSERT INTO orders VALUES (42, 'after the outage')");
    let events = consume(
        &format!("{name}.public.orders"),
        1,
        Duration::from_secs(60),
        false,
    );
    assert!(
        events.iter().any(|e| e
            .value_str()
            .is_some_and(|v| v.contains("after the outage"))),
        "no change event after recovery: {:?}",
        events.iter().map(|e| e.value_str()).collect::<Vec<_>>()
    );
    // Nothing but transient restarts and the recovery were decided.
    for d in guard.decisions() {
        assert!(
            ["restart", "wait", "recovered"].contains(&d["action"].as_str().unwrap()),
            "{d}"
        );
    }
    let (code, err) = guard.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("guard: stopped"), "{err}");
}

#[test]
fn a_configuration_error_is_left_alone_with_its_hint() {
    let env = env();
    let connect = Connect::new();
    let name = unique("guard-file");
    let topic = unique("guard-file-topic");
    create_topic(&topic, 1);
    let _cleanup = Cleanup(&connect, name.clone());
    connect.create(
        &name,
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": format!("/nonexistent-{name}/out.txt"),
        }),
    );
    connect.wait_for(&name, Duration::from_secs(60), "a FAILED task", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    });

    // `status -o json` says the hint is not transient.
    let out = connectctl()
        .args(["status", &name, "-o", "json", "--url", &env.connect_url])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hint = &status["tasks"][0]["root_cause"]["hint"];
    assert_eq!(hint["id"], "filestream-file", "{status}");
    assert_eq!(hint["transient"], false, "{status}");

    // Three rounds: the failure is reported once, with its hint, and never restarted.
    let guard = Running::spawn(&[&name, "--url", &env.connect_url, "--interval", "1s"]);
    let left = guard.wait_for(Duration::from_secs(30), "leave", |d| d["action"] == "leave");
    std::thread::sleep(Duration::from_secs(3));
    let decisions = guard.decisions();
    let (code, err) = guard.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    assert_eq!(left["connector"], name.as_str());
    assert_eq!(left["task"], 0);
    assert_eq!(left["cause"], "not-transient");
    assert_eq!(left["root_cause"]["hint"]["id"], "filestream-file");
    assert!(
        left["root_cause"]["hint"]["fix"]
            .as_str()
            .unwrap()
            .contains("`file`"),
        "{left}"
    );
    assert_eq!(task_state(&connect, &name).as_deref(), Some("FAILED"));

    // The table form names the action, the task and the fix, on one line; --once exits 0.
    let out = connectctl()
        .args(["guard", &name, "--once", "--url", &env.connect_url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains(" leave ")
            && text.contains(&format!("{name} task 0 FAILED"))
            && text.contains("Fix: Point `file`"),
        "{text}"
    );
}

/// Runs connectctl to the end, killing it after `timeout` so a guard that never stops fails the
/// test instead of hanging it.
fn run_bounded(cmd: &mut Command, timeout: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "connectctl still running after {timeout:?}; stdout: {} stderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_budget_stops_a_restart_loop() {
    let env = env();
    let connect = Connect::new();
    let name = unique("guard-budget");
    let topic = unique("guard-budget-topic");
    create_topic(&topic, 1);
    let _cleanup = Cleanup(&connect, name.clone());
    // The task's DLQ reporter talks to Kafka through an admin client pointed at a port where no
    // broker listens: every start fails with "Timed out waiting for a node assignment", a broker
    // outage the catalog knows as transient, and every restart fails the same way.
    let dead_broker = format!("127.0.0.1:{}", free_port());
    connect.create(
        &name,
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": format!("/tmp/{name}.out"),
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{name}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "admin.override.bootstrap.servers": dead_broker,
            "admin.override.default.api.timeout.ms": "2000",
            "admin.override.request.timeout.ms": "1000",
        }),
    );
    connect.wait_for(&name, Duration::from_secs(60), "a FAILED task", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    });
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("guard.json");
    let out = run_bounded(
        connectctl()
            .args(["guard", &name, "-o", "jsonl", "--url", &env.connect_url])
            .args(["--interval", "1s", "--backoff", "1s", "--max-backoff", "1s"])
            .args(["--budget", "2", "--window", "10m", "--state"])
            .arg(&state_file),
        Duration::from_secs(90),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decisions: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let restarts: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["action"] == "restart")
        .collect();
    assert_eq!(restarts.len(), 2, "{decisions:#?}");
    assert_eq!(
        restarts[0]["root_cause"]["hint"]["id"], "kafka-metadata-timeout",
        "{decisions:#?}"
    );
    let last = decisions.last().unwrap();
    assert_eq!(last["action"], "budget-spent", "{decisions:#?}");
    assert_eq!(last["restarts_in_window"], 2);
    assert_eq!(last["budget"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("budget is spent"), "{err}");
    // The state file remembers the spent budget: a cron run right after restarts nothing.
    let out = run_bounded(
        connectctl()
            .args([
                "guard",
                &name,
                "--once",
                "-o",
                "jsonl",
                "--url",
                &env.connect_url,
            ])
            .args([
                "--budget",
                "2",
                "--window",
                "10m",
                "--backoff",
                "1s",
                "--state",
            ])
            .arg(&state_file),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\"budget-spent\"") && !text.contains("\"restart\""),
        "{text}"
    );
}

#[test]
fn guard_needs_a_selection_and_sane_flags() {
    for args in [
        vec!["guard"],
        vec!["guard", "a", "--all"],
        vec!["guard", "a", "--budget", "0"],
        vec!["guard", "-e", "("],
        vec!["guard", "a", "--interval", "soon"],
    ] {
        let out = connectctl()
            .args(&args)
            .args(["--url", "http://127.0.0.1:9"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}
