//! Distributed workers for the tests: connect-worker processes, and Apache Kafka Connect
//! workers started as `scripts/env/up` starts its own (same Java classpath), in one group.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_testkit::{Connect, env, unique};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

/// A group's worker properties: unique group id and internal topics, short timeouts.
pub struct Group {
    pub id: String,
    pub dir: tempfile::TempDir,
    /// More worker properties, one `key=value` per line.
    pub extra: String,
}

impl Group {
    pub fn new(prefix: &str) -> Group {
        Group {
            id: unique(prefix),
            dir: tempfile::tempdir().unwrap(),
            extra: String::new(),
        }
    }

    /// A group whose workers all get `extra` properties as well.
    pub fn with(prefix: &str, extra: &str) -> Group {
        Group {
            extra: extra.to_owned(),
            ..Group::new(prefix)
        }
    }

    pub fn properties(&self, port: u16) -> String {
        let g = &self.id;
        format!(
            "bootstrap.servers={bs}\ngroup.id={g}\nlisteners=http://127.0.0.1:{port}\n\
             rest.advertised.host.name=127.0.0.1\n\
             config.storage.topic={g}-configs\nconfig.storage.replication.factor=1\n\
             offset.storage.topic={g}-offsets\noffset.storage.replication.factor=1\noffset.storage.partitions=5\n\
             status.storage.topic={g}-status\nstatus.storage.replication.factor=1\nstatus.storage.partitions=5\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             offset.flush.interval.ms=500\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n\
             scheduled.rebalance.max.delay.ms=1000\nplugin.discovery=service_load\n{extra}",
            bs = env().bootstrap_servers,
            extra = self.extra
        )
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A worker process; killed with SIGKILL when dropped.
pub struct Member {
    pub child: Child,
    pub url: String,
    /// `127.0.0.1:port`, the worker id statuses carry.
    pub id: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Member {
    pub fn api(&self) -> Connect {
        Connect::at(&self.url)
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
        // A failed test: the worker's last lines are all that is left of its run (its directory
        // is deleted with the test), so they go to the test's output.
        if std::thread::panicking() {
            let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            eprintln!(
                "--- the last lines of worker {} ({}) ---",
                self.id, self.url
            );
            // Without the REST access lines: the tests poll, and those would be all there is.
            let lines: Vec<&String> = log.iter().filter(|l| !l.contains("RestServer)")).collect();
            for line in &lines[lines.len().saturating_sub(150)..] {
                eprintln!("{line}");
            }
        }
    }
}

fn spawn(mut cmd: Command, port: u16) -> Member {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start a worker: {e}"));
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        });
    }
    let id = format!("127.0.0.1:{port}");
    let member = Member {
        child,
        url: format!("http://{id}"),
        id,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let open = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if open && member.api().call("GET", "/", None).0 == 200 {
            return member;
        }
        assert!(
            Instant::now() < deadline,
            "worker on {port} never answered; log:\n{}",
            member.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A connect-worker of `group`.
pub fn connect_worker(group: &Group) -> Member {
    let port = free_port();
    let props = group.path(&format!("rust-{port}.properties"));
    std::fs::write(&props, group.properties(port)).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["distributed", props.to_str().unwrap()]);
    spawn(cmd, port)
}

/// The Java classpath of the environment's Apache worker (read from its command line).
fn apache_classpath() -> String {
    let file = std::env::var("CONNECT_ENV_FILE").unwrap_or_else(|_| {
        connect_testkit::workspace_root()
            .join("target/connect-env/env.json")
            .display()
            .to_string()
    });
    env();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let dir = Path::new(json["dir"].as_str().unwrap()).to_owned();
    let pid = std::fs::read_to_string(dir.join("connect.pid")).unwrap();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let i = args
        .iter()
        .position(|a| a == "-cp")
        .expect("-cp in the Apache worker's command line");
    args[i + 1].clone()
}

/// An Apache Kafka Connect distributed worker of `group` with `connect.protocol=protocol`
/// (Apache's names: eager, compatible, sessioned).
pub fn apache_worker(group: &Group, protocol: &str) -> Member {
    let port = free_port();
    let props = group.path(&format!("apache-{port}.properties"));
    std::fs::write(
        &props,
        format!(
            "{}rest.advertised.port={port}\nconnect.protocol={protocol}\n",
            group.properties(port)
        ),
    )
    .unwrap();
    let log4j = group.path("log4j2.properties");
    std::fs::write(
        &log4j,
        "status = warn\nappender.out.type = Console\nappender.out.name = out\n\
         appender.out.layout.type = PatternLayout\nappender.out.layout.pattern = [%d] %p %m (%c)%n\n\
         rootLogger.level = INFO\nrootLogger.appenderRef.out.ref = out\n",
    )
    .unwrap();
    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms128m",
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        &format!("-Dlog4j2.configurationFile={}", log4j.display()),
        "-cp",
        &apache_classpath(),
        "org.apache.kafka.connect.cli.ConnectDistributed",
        props.to_str().unwrap(),
    ]);
    spawn(cmd, port)
}

pub fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Creates a connector through `api`, retrying while the group rebalances (409).
pub fn create(api: &Connect, name: &str, config: Value) {
    eventually(&format!("creating {name}"), Duration::from_secs(60), || {
        let (code, body) = api.call(
            "POST",
            "/connectors",
            Some(&serde_json::json!({"name": name, "config": config})),
        );
        match code {
            201 => Some(()),
            409 => None,
            _ => panic!("creating {name}: {code} {body}"),
        }
    })
}

/// (connector state, connector worker, [(task state, task worker)]).
pub type Placement = (String, String, Vec<(String, String)>);

/// Where a connector and its tasks run, and in which states, as `api` reports it.
pub fn placement(api: &Connect, name: &str) -> Option<Placement> {
    let s = api.status(name)?;
    Some((
        s.connector.state.as_str().to_owned(),
        s.connector.worker_id.clone(),
        s.tasks
            .iter()
            .map(|t| (t.state.as_str().to_owned(), t.worker_id.clone()))
            .collect(),
    ))
}

/// Waits until the connector and `tasks` tasks are RUNNING, all on workers in `on`.
pub fn running_on(
    api: &Connect,
    name: &str,
    tasks: usize,
    on: &[&str],
    timeout: Duration,
) -> (String, Vec<String>) {
    eventually(
        &format!("{name} RUNNING with {tasks} tasks on {on:?}"),
        timeout,
        || {
            let (state, worker, ts) = placement(api, name)?;
            let ok = state == "RUNNING"
                && on.contains(&worker.as_str())
                && ts.len() == tasks
                && ts
                    .iter()
                    .all(|(s, w)| s == "RUNNING" && on.contains(&w.as_str()));
            ok.then(|| (worker, ts.into_iter().map(|(_, w)| w).collect()))
        },
    )
}
