//! The JDBC sink across crashes and outages, against real databases: a worker killed with SIGKILL
//! twice mid-run (exactly-once inserts leave exactly N rows, upserts exactly the distinct keys),
//! and a private PostgreSQL stopped for 10 s mid-run and started again (nothing lost).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use connect_api::State;
use connect_testkit::sql::{PgDatabase, try_psql};
use connect_testkit::worker::Worker;
use connect_testkit::{TestRecord, create_topic, env, produce, unique};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Records with a struct key `id` (`i % keys`) and a value `{id, seq, name}`.
fn records(from: usize, to: usize, keys: usize) -> Vec<TestRecord> {
    let ks = json!({"type": "struct", "fields": [{"field": "id", "type": "int64"}]});
    let vs = json!({"type": "struct", "fields": [
        {"field": "id", "type": "int64"},
        {"field": "seq", "type": "int64"},
        {"field": "name", "type": "string"}
    ]});
    (from..to)
        .map(|i| {
            let id = (i % keys) as i64;
            TestRecord::value(
                json!({"schema": vs, "payload": {"id": id, "seq": i, "name": format!("n{i}")}})
                    .to_string(),
            )
            .key(json!({"schema": ks, "payload": {"id": id}}).to_string())
        })
        .collect()
}

fn properties(dir: &Path, name: &str, pairs: &[(&str, String)]) -> PathBuf {
    let path = dir.join(format!("{name}.properties"));
    let mut text = format!("name={name}\n");
    for (k, v) in pairs {
        text.push_str(&format!("{k}={v}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn common(topic: &str, url: String, user: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "connector.class",
            "io.confluent.connect.jdbc.JdbcSinkConnector".into(),
        ),
        ("topics", topic.into()),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter".into(),
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".into(),
        ),
        ("connection.url", url),
        ("connection.user", user.into()),
        ("connection.password", password.into()),
        ("auto.create", "true".into()),
    ]
}

fn count(db: &str, table: &str) -> usize {
    try_psql(db, &format!("SELECT COUNT(*) FROM \"{table}\""))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn kill(mut w: Worker) -> tempfile::TempDir {
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    std::mem::replace(&mut w.dir, tempfile::tempdir().unwrap())
}

/// SIGKILL twice mid-run: `exactly.once.insert` writes every record exactly once, upsert leaves
/// exactly one row per key with the last value.
#[test]
fn exactly_once_inserts_and_upserts_survive_two_sigkills() {
    // Enough for two kills mid-run on a debug build; scripts/bench/jdbc runs 1,000,000.
    const N: usize = 60_000;
    const KEYS: usize = 6_000;
    let e = env();
    let db = PgDatabase::create("jdbc_sink_kill");
    let topic = unique("jdbc-kill");
    create_topic(&topic, 2);
    produce(&topic, &records(0, N, KEYS));
    let dir = tempfile::tempdir().unwrap();
    let url = e.postgres_jdbc_url_for(db.name());
    let mut eo = common(&topic, url.clone(), &e.postgres_user, &e.postgres_password);
    eo.extend([
        ("table.name.format", "eo".to_owned()),
        ("exactly.once.insert", "true".to_owned()),
        ("batch.size", "2000".to_owned()),
    ]);
    let mut up = common(&topic, url, &e.postgres_user, &e.postgres_password);
    up.extend([
        ("table.name.format", "up".to_owned()),
        ("insert.mode", "upsert".to_owned()),
        ("pk.mode", "record_key".to_owned()),
    ]);
    let files = [
        properties(dir.path(), &unique("jdbc-eo"), &eo),
        properties(dir.path(), &unique("jdbc-up"), &up),
    ];
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let start = |dir| Worker::start_with(Path::new(BIN), dir, &[], &files);

    let w = start(dir);
    wait_until("the first rows", Duration::from_secs(60), || {
        count(db.name(), "eo") > 0
    });
    let first = count(db.name(), "eo");
    let dir = kill(w);
    let w = start(dir);
    wait_until(
        "more rows after the first restart",
        Duration::from_secs(60),
        || count(db.name(), "eo") > first,
    );
    let dir = kill(w);
    assert!(
        count(db.name(), "eo") < N,
        "the second kill came after the end"
    );
    let _w = start(dir);
    let stale = format!("SELECT COUNT(*) FROM up WHERE seq <> id + {}", N - KEYS);
    wait_until("all the rows", Duration::from_secs(90), || {
        count(db.name(), "eo") >= N
            && count(db.name(), "up") >= KEYS
            && try_psql(db.name(), &stale).is_ok_and(|s| s.trim() == "0")
    });
    // Nothing more arrives later, and nothing is there twice.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count(db.name(), "eo"), N);
    assert_eq!(
        db.sql("SELECT COUNT(DISTINCT seq) FROM eo").trim(),
        N.to_string()
    );
    assert_eq!(count(db.name(), "up"), KEYS);
    // Per key the last record wins: a key's records are all in one partition (keys are
    // hashed), in order, so its row holds the largest seq.
    assert_eq!(db.sql(&stale).trim(), "0");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pg_bin(tool: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql (scripts/setup)")
        .filter_map(|d| d.ok().map(|d| d.path().join("bin")))
        .filter(|d| d.join(tool).exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("a PostgreSQL bin dir").join(tool)
}

/// A PostgreSQL tool; as root it runs as the `postgres` account (as `scripts/env/up` does),
/// since the server refuses to run as root.
fn pg_command(tool: &str, dir: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(pg_bin(tool));
        c
    } else {
        Command::new(pg_bin(tool))
    }
}

/// A throwaway PostgreSQL of one test, so stopping it disturbs no other test.
struct PrivatePg {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePg {
    fn start() -> PrivatePg {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let st = pg_command("initdb", dir.path())
            .args([
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-N",
            ])
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let pg = PrivatePg {
            dir,
            port: free_port(),
        };
        pg.ctl_start();
        pg
    }

    fn ctl_start(&self) {
        let data = self.dir.path().join("data");
        let st = pg_command("pg_ctl", self.dir.path())
            .args(["-D", data.to_str().unwrap(), "-w", "-l"])
            .arg(self.dir.path().join("log"))
            .args([
                "-o",
                &format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    self.port,
                    self.dir.path().display()
                ),
                "start",
            ])
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }

    fn stop(&self) {
        let data = self.dir.path().join("data");
        let _ = pg_command("pg_ctl", self.dir.path())
            .args(["-D", data.to_str().unwrap(), "-w", "-m", "fast", "stop"])
            .output();
    }

    fn count(&self, table: &str) -> Option<usize> {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-U", "postgres"])
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c"])
            .arg(format!("SELECT COUNT(*) FROM \"{table}\""))
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The database goes away for 10 s mid-run: the sink retries (a new connection each time) and
/// writes everything once it is back; the task never fails.
#[test]
fn a_database_stopped_for_ten_seconds_loses_nothing() {
    let pg = PrivatePg::start();
    let topic = unique("jdbc-outage");
    create_topic(&topic, 1);
    produce(&topic, &records(0, 1000, 1_000_000));
    let dir = tempfile::tempdir().unwrap();
    let name = unique("jdbc-outage");
    let mut cfg = common(
        &topic,
        format!("jdbc:postgresql://127.0.0.1:{}/postgres", pg.port),
        "postgres",
        "unused",
    );
    cfg.extend([
        ("table.name.format", "rows".to_owned()),
        ("insert.mode", "upsert".to_owned()),
        ("pk.mode", "record_key".to_owned()),
        ("max.retries", "30".to_owned()),
        ("retry.backoff.ms", "500".to_owned()),
        ("connection.attempts", "30".to_owned()),
        ("connection.backoff.ms", "500".to_owned()),
    ]);
    let file = properties(dir.path(), &name, &cfg);
    let w = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    wait_until("the first rows", Duration::from_secs(60), || {
        pg.count("rows") == Some(1000)
    });
    pg.stop();
    produce(&topic, &records(1000, 3000, 1_000_000));
    std::thread::sleep(Duration::from_secs(10));
    pg.ctl_start();
    wait_until(
        "every row after the restart",
        Duration::from_secs(60),
        || pg.count("rows") == Some(3000),
    );
    let s = w.api().status(&name).unwrap();
    assert!(s.tasks.iter().all(|t| t.state == State::Running), "{s:?}");
}
