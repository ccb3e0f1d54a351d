//! The JDBC source on a real connect-worker against the environment's PostgreSQL and MariaDB:
//! incrementing, timestamp, timestamp+incrementing and bulk modes with Confluent's schemas, partitions and
//! offsets; rows inserted and updated while it runs; a SIGKILL and restart resuming from the
//! committed offsets; tables created while it runs; `connectctl offsets` and `connectctl status`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connect_testkit::sql::{MariaDatabase, PgDatabase};
use connect_testkit::worker::Worker;
use connect_testkit::{TestRecord, consume, env, unique, workspace_bin};
use serde_json::{Value, json};

fn bin() -> PathBuf {
    std::env::var_os("CONNECT_WORKER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_connect-worker")),
        PathBuf::from,
    )
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

enum Db {
    Pg(PgDatabase),
    Maria(MariaDatabase),
}

impl Db {
    fn connection(&self) -> Value {
        let e = env();
        match self {
            Db::Pg(d) => json!({
                "connection.url": e.postgres_jdbc_url_for(d.name()),
                "connection.user": e.postgres_user,
                "connection.password": e.postgres_password,
            }),
            Db::Maria(d) => json!({
                "connection.url": e.mariadb_jdbc_url_for(d.name()),
                "connection.user": e.mariadb_user,
                "connection.password": e.mariadb_password,
            }),
        }
    }

    fn sql(&self, sql: &str) {
        match self {
            Db::Pg(d) => {
                d.sql(sql);
            }
            Db::Maria(d) => {
                d.sql(sql);
            }
        }
    }

    /// A table with an auto-incremented key, a text, a decimal and a last-modified timestamp.
    fn create_table(&self, table: &str) {
        match self {
            Db::Pg(_) => self.sql(&format!(
                "CREATE TABLE {table} (id SERIAL PRIMARY KEY, name VARCHAR(20), \
                 amount NUMERIC(10,2), updated TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )),
            Db::Maria(_) => self.sql(&format!(
                "CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), \
                 amount DECIMAL(10,2), updated TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))"
            )),
        }
    }

    fn now(&self) -> &'static str {
        match self {
            Db::Pg(_) => "CURRENT_TIMESTAMP",
            Db::Maria(_) => "CURRENT_TIMESTAMP(3)",
        }
    }

    /// The `table` of Confluent's source partition: `TableId.toUnquotedString`.
    fn partition_table(&self, table: &str) -> String {
        match self {
            Db::Pg(_) => format!("public.{table}"),
            Db::Maria(d) => format!("{}.{table}", d.name()),
        }
    }
}

/// A source config with the JsonConverter (schemas on), the database's keys, then `extra`.
fn source(db: &Db, extra: Value) -> Value {
    let mut c = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "tasks.max": "1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "true",
        "poll.interval.ms": "200",
        "connection.attempts": "1",
    });
    for (k, v) in db.connection().as_object().unwrap() {
        c[k] = v.clone();
    }
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn values(records: &[TestRecord]) -> Vec<Value> {
    records
        .iter()
        .map(|r| serde_json::from_slice(r.value.as_deref().unwrap()).unwrap())
        .collect()
}

fn ids(records: &[TestRecord]) -> Vec<i64> {
    values(records)
        .iter()
        .map(|v| v["payload"]["id"].as_i64().unwrap())
        .collect()
}

/// Reads `topic` until at least `n` records arrived.
fn read_at_least(topic: &str, n: usize) -> Vec<TestRecord> {
    let mut got = Vec::new();
    wait_until(
        &format!("{n} records on {topic}"),
        Duration::from_secs(60),
        || {
            got = consume(topic, n, Duration::from_secs(2), false);
            got.len() >= n
        },
    );
    got
}

fn offsets(w: &Worker, name: &str) -> Value {
    let (code, body) = w
        .api()
        .call("GET", &format!("/connectors/{name}/offsets"), None);
    assert_eq!(code, 200, "{body}");
    body
}

fn modes(db: &Db, label: &str) {
    let w = Worker::start(&bin());
    let api = w.api();
    let table = unique(&format!("src_{label}")).replace('-', "_");
    db.create_table(&table);
    db.sql(&format!(
        "INSERT INTO {table} (name, amount) VALUES ('a', 1.50), ('b', 2.25), ('c', NULL)"
    ));
    let prefix = unique(&format!("jdbcsrc-{label}-"));
    let inc = format!("{prefix}inc-");
    let tsi = format!("{prefix}tsi-");
    let ts = format!("{prefix}ts-");
    let bulk = format!("{prefix}bulk-");
    let name = |m: &str| format!("{prefix}{m}");
    api.create(
        &name("inc"),
        source(
            db,
            json!({"mode": "incrementing", "incrementing.column.name": "id",
            "table.whitelist": table, "topic.prefix": inc}),
        ),
    );
    api.create(
        &name("tsi"),
        source(
            db,
            json!({"mode": "timestamp+incrementing", "incrementing.column.name": "id",
            "timestamp.column.name": "updated", "table.whitelist": table, "topic.prefix": tsi}),
        ),
    );
    api.create(
        &name("ts"),
        source(
            db,
            json!({"mode": "timestamp", "timestamp.column.name": "updated",
            "table.whitelist": table, "topic.prefix": ts}),
        ),
    );
    api.create(
        &name("bulk"),
        source(
            db,
            json!({"mode": "bulk", "table.whitelist": table, "topic.prefix": bulk,
            "poll.interval.ms": "1000"}),
        ),
    );
    let first = read_at_least(&format!("{inc}{table}"), 3);
    assert_eq!(ids(&first), [1, 2, 3]);
    let v = &values(&first)[0];
    // Confluent's schema: a struct named after the table, columns in table order, DECIMAL as
    // the Decimal logical type (numeric.mapping none), TIMESTAMP as Timestamp.
    let schema = &v["schema"];
    assert_eq!(schema["type"], "struct");
    assert_eq!(schema["name"], table.as_str());
    assert_eq!(schema["optional"], false);
    let fields = schema["fields"].as_array().unwrap();
    assert_eq!(
        fields[0],
        json!({"type": "int32", "optional": false, "field": "id"})
    );
    assert_eq!(
        fields[1],
        json!({"type": "string", "optional": true, "field": "name"})
    );
    assert_eq!(fields[2]["name"], "org.apache.kafka.connect.data.Decimal");
    assert_eq!(fields[2]["type"], "bytes");
    assert_eq!(fields[2]["parameters"]["scale"], "2");
    assert_eq!(fields[3]["name"], "org.apache.kafka.connect.data.Timestamp");
    assert_eq!(fields[3]["type"], "int64");
    assert_eq!(fields[3]["optional"], false);
    // 1.50 with scale 2 is the unscaled 150: 0x0096, base64 "AJY=".
    assert_eq!(v["payload"]["amount"], "AJY=");
    assert_eq!(v["payload"]["name"], "a");
    assert_eq!(values(&first)[2]["payload"]["amount"], Value::Null);
    read_at_least(&format!("{tsi}{table}"), 3);
    read_at_least(&format!("{ts}{table}"), 3);
    read_at_least(&format!("{bulk}{table}"), 3);

    // Inserts and an update while running: incrementing sees the inserts only, in order;
    // timestamp+incrementing also the update; bulk the whole table again.
    db.sql(&format!("INSERT INTO {table} (name) VALUES ('d'), ('e')"));
    // A later timestamp than the inserts: the row is read again after them.
    std::thread::sleep(Duration::from_millis(20));
    db.sql(&format!(
        "UPDATE {table} SET name = 'changed', updated = {} WHERE id = 1",
        db.now()
    ));
    let all = read_at_least(&format!("{inc}{table}"), 5);
    std::thread::sleep(Duration::from_secs(1));
    let all_again = consume(&format!("{inc}{table}"), 100, Duration::from_secs(2), false);
    assert_eq!(
        all.len(),
        all_again.len(),
        "no re-read in incrementing mode"
    );
    assert_eq!(ids(&all_again), [1, 2, 3, 4, 5]);
    let t = read_at_least(&format!("{tsi}{table}"), 6);
    assert_eq!(ids(&t), [1, 2, 3, 4, 5, 1]);
    assert_eq!(values(&t)[5]["payload"]["name"], "changed");
    // timestamp alone orders by the timestamp only: rows of one statement (one timestamp) come
    // in any order among themselves, the update after them.
    let t = read_at_least(&format!("{ts}{table}"), 6);
    let got = ids(&t);
    let mut first: Vec<i64> = got[..3].to_vec();
    first.sort_unstable();
    let mut second: Vec<i64> = got[3..5].to_vec();
    second.sort_unstable();
    assert_eq!(
        (first, second, got[5]),
        (vec![1, 2, 3], vec![4, 5], 1),
        "{got:?}"
    );
    assert_eq!(values(&t)[5]["payload"]["name"], "changed");
    wait_until(
        "a bulk copy with the update",
        Duration::from_secs(30),
        || {
            let b = consume(
                &format!("{bulk}{table}"),
                1000,
                Duration::from_secs(2),
                false,
            );
            values(&b).iter().any(|v| v["payload"]["name"] == "changed")
        },
    );

    // Confluent's partitions and offsets.
    let o = offsets(&w, &name("inc"));
    assert_eq!(
        o,
        json!({"offsets": [{"partition": {"protocol": "1", "table": db.partition_table(&table)},
            "offset": {"incrementing": 5}}]})
    );
    let o = offsets(&w, &name("tsi"));
    let entry = &o["offsets"][0];
    assert_eq!(
        entry["partition"],
        json!({"protocol": "1", "table": db.partition_table(&table)})
    );
    assert_eq!(entry["offset"]["incrementing"], 1);
    assert!(entry["offset"]["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(entry["offset"]["timestamp_nanos"].is_i64(), "{o}");
    let o = offsets(&w, &name("ts"));
    let entry = &o["offsets"][0];
    assert_eq!(
        entry["partition"],
        json!({"protocol": "1", "table": db.partition_table(&table)})
    );
    assert!(entry["offset"].get("incrementing").is_none(), "{o}");
    assert!(entry["offset"]["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(entry["offset"]["timestamp_nanos"].is_i64(), "{o}");
    // Bulk records carry Confluent's v0 partition; their offset is empty here, where a JVM
    // worker stores Confluent's null offset and lists nothing (see worker/src/lib.rs).
    let o = offsets(&w, &name("bulk"));
    assert_eq!(
        o,
        json!({"offsets": [{"partition": {"table": table}, "offset": {}}]})
    );
}

#[test]
fn modes_on_postgresql() {
    modes(&Db::Pg(PgDatabase::create("jdbc_src_modes")), "pg");
}

#[test]
fn modes_on_mariadb() {
    modes(&Db::Maria(MariaDatabase::create("jdbc_src_modes")), "maria");
}

fn connectctl(url: &str, args: &[&str]) -> Output {
    Command::new(workspace_bin("connectctl", "connectctl"))
        .args(["--url", url, "--no-color"])
        .args(args)
        .output()
        .unwrap()
}

fn properties(dir: &Path, name: &str, pairs: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.properties"));
    let mut text = format!("name={name}\n");
    for (k, v) in pairs.as_object().unwrap() {
        text.push_str(&format!("{k}={}\n", v.as_str().unwrap()));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// SIGKILL mid-copy, rows added while the worker is down, a restart on the same offsets file:
/// every row arrives; the only repeats are rows read after the last offset commit before the
/// kill, as in any at-least-once source.
#[test]
fn sigkill_resumes_from_committed_offsets_without_gap() {
    let db = Db::Pg(PgDatabase::create("jdbc_src_kill"));
    let table = unique("src_kill").replace('-', "_");
    db.create_table(&table);
    db.sql(&format!(
        "INSERT INTO {table} (name) SELECT 'n' || g FROM generate_series(1, 20000) g"
    ));
    let prefix = unique("jdbcsrc-kill-");
    let topic = format!("{prefix}{table}");
    let dir = tempfile::tempdir().unwrap();
    let file = properties(
        dir.path(),
        "kill",
        &source(
            &db,
            json!({"mode": "incrementing", "incrementing.column.name": "id",
            "table.whitelist": table, "topic.prefix": prefix, "batch.max.rows": "100"}),
        ),
    );
    let mut w = Worker::start_with(&bin(), dir, &[], &[&file]);
    wait_until("part of the table copied", Duration::from_secs(60), || {
        consume(&topic, 2000, Duration::from_secs(1), false).len() >= 2000
    });
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let before = consume(&topic, 20000, Duration::from_secs(3), false).len();
    let dir = std::mem::replace(&mut w.dir, tempfile::tempdir().unwrap());
    drop(w);
    db.sql(&format!(
        "INSERT INTO {table} (name) SELECT 'm' || g FROM generate_series(1, 500) g"
    ));
    let _w = Worker::start_with(&bin(), dir, &[], &[&file]);
    let mut got = Vec::new();
    wait_until("all 20500 rows", Duration::from_secs(120), || {
        got = consume(&topic, 30000, Duration::from_secs(2), false);
        let mut seen: Vec<i64> = ids(&got);
        seen.sort_unstable();
        seen.dedup();
        seen.len() >= 20500
    });
    let all = ids(&got);
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for id in &all {
        *counts.entry(*id).or_default() += 1;
    }
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        (1..=20500).collect::<Vec<_>>()
    );
    let repeated: Vec<i64> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(i, _)| *i)
        .collect();
    assert!(counts.values().all(|n| *n <= 2));
    // Repeats are one contiguous run ending at the last row read before the kill.
    if let (Some(first), Some(last)) = (repeated.first(), repeated.last()) {
        assert_eq!(repeated.len() as i64, last - first + 1, "{repeated:?}");
        assert!(*last as usize <= before);
    }
    eprintln!(
        "rows before the kill: {before}, read twice: {}",
        repeated.len()
    );
}

/// A table created while the connector runs is found within `table.poll.interval.ms`, its rows
/// copied; two tables over `tasks.max` 2 run as two tasks; `connectctl offsets` shows and resets.
#[test]
fn new_tables_tasks_and_connectctl_offsets() {
    let db = Db::Maria(MariaDatabase::create("jdbc_src_new"));
    let t1 = unique("src_new_a").replace('-', "_");
    let t2 = unique("src_new_b").replace('-', "_");
    db.create_table(&t1);
    db.sql(&format!("INSERT INTO {t1} (name) VALUES ('x'), ('y')"));
    let prefix = unique("jdbcsrc-new-");
    let w = Worker::start(&bin());
    let name = format!("{prefix}c");
    w.api().create(
        &name,
        source(
            &db,
            json!({"mode": "incrementing", "incrementing.column.name": "id",
            "topic.prefix": prefix, "tasks.max": "2", "table.poll.interval.ms": "1000"}),
        ),
    );
    read_at_least(&format!("{prefix}{t1}"), 2);
    db.create_table(&t2);
    db.sql(&format!("INSERT INTO {t2} (name) VALUES ('z')"));
    let got = read_at_least(&format!("{prefix}{t2}"), 1);
    assert_eq!(values(&got)[0]["payload"]["name"], "z");
    wait_until("two tasks", Duration::from_secs(30), || {
        w.api().status(&name).is_some_and(|s| {
            s.tasks.len() == 2
                && s.tasks
                    .iter()
                    .all(|t| t.state == connect_api::State::Running)
        })
    });

    // Offsets are committed every `offset.flush.interval.ms`, between polls: the new table's
    // first one may come a poll interval after its record.
    let mut text = String::new();
    wait_until("both tables' offsets", Duration::from_secs(30), || {
        let out = connectctl(&w.url, &["offsets", &name, "-o", "json"]);
        assert!(out.status.success(), "{out:?}");
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
        text = shown.to_string();
        text.contains(&db.partition_table(&t2))
    });
    assert!(text.contains(&db.partition_table(&t1)), "{text}");
    assert!(text.contains(&db.partition_table(&t2)), "{text}");
    assert!(text.contains("\"incrementing\":2"), "{text}");

    // `--reset --yes` stops the connector, resets and resumes it: the tables are read again.
    let out = connectctl(&w.url, &["offsets", &name, "--reset", "--yes"]);
    assert!(out.status.success(), "{out:?}");
    read_at_least(&format!("{prefix}{t1}"), 4);
}

/// Each failure is Confluent's message, and `connectctl status` shows the root cause.
#[test]
fn failures_explained_by_connectctl_status() {
    let db = Db::Pg(PgDatabase::create("jdbc_src_fail"));
    let table = unique("src_fail").replace('-', "_");
    db.create_table(&table);
    let prefix = unique("jdbcsrc-fail-");
    let w = Worker::start(&bin());
    let missing = format!("{prefix}missing");
    w.api().create(
        &missing,
        source(
            &db,
            json!({"mode": "incrementing", "incrementing.column.name": "nope",
            "table.whitelist": table, "topic.prefix": prefix}),
        ),
    );
    let mut text = String::new();
    wait_until("the task failed", Duration::from_secs(30), || {
        let out = connectctl(&w.url, &["status", &missing, "-o", "json"]);
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("\"FAILED\"")
    });
    let v: Value = serde_json::from_str(&text).unwrap();
    let task = &v["tasks"][0];
    assert_eq!(task["state"], "FAILED");
    let msg = task["root_cause"]["message"].as_str().unwrap();
    assert_eq!(
        msg,
        // The table as the task config names it (quoted, schema-qualified), as in Confluent's.
        format!("Incrementing column: nope does not exist in table '\"public\".\"{table}\"'")
    );
    assert_eq!(
        task["root_cause"]["exception"],
        "org.apache.kafka.common.config.ConfigException"
    );
    let hint = task["root_cause"]["hint"]["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(hint.contains("incrementing.column.name"), "{text}");

    // A database that refuses the login: the connector fails at start with the driver's error
    // (validation opens no connection here; see worker/src/lib.rs). Confluent's validation wants
    // a table filter whenever there is no query, so the config names the table.
    let bad = format!("{prefix}badlogin");
    let mut c = source(
        &db,
        json!({"mode": "bulk", "table.whitelist": table, "topic.prefix": prefix}),
    );
    c["connection.password"] = json!("wrong-password-123");
    w.api().create(&bad, c);
    wait_until("the connector failed", Duration::from_secs(30), || {
        let out = connectctl(&w.url, &["status", &bad, "-o", "json"]);
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("\"FAILED\"")
    });
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(!text.contains("wrong-password-123"), "{text}");
    let out = connectctl(&w.url, &["status", &bad]);
    let table_out = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        table_out.contains("password authentication failed"),
        "{table_out}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["connector"]["root_cause"]["hint"]["summary"]
            .as_str()
            .is_some_and(|h| h.contains("rejected the connector's login")),
        "{text}"
    );

    // A URL of a database without a driver here, and a database that is gone: both fail the
    // connector at start with the driver's message (after `connection.attempts` tries for the
    // second), and both carry a hint.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for (what, url, expected, hint) in [
        (
            "nodriver",
            "jdbc:sqlserver://127.0.0.1:1433;databaseName=x".to_owned(),
            "No suitable driver found for jdbc:sqlserver://127.0.0.1:1433;databaseName=x",
            "JDBC driver",
        ),
        (
            "gone",
            format!("jdbc:postgresql://127.0.0.1:{closed_port}/postgres"),
            "refused",
            "",
        ),
    ] {
        let name = format!("{prefix}{what}");
        let mut c = source(
            &db,
            json!({"mode": "bulk", "table.whitelist": table, "topic.prefix": prefix,
            "connection.attempts": "2", "connection.backoff.ms": "100"}),
        );
        c["connection.url"] = json!(url);
        w.api().create(&name, c);
        wait_until(&format!("{name} failed"), Duration::from_secs(30), || {
            let out = connectctl(&w.url, &["status", &name, "-o", "json"]);
            text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.contains("\"FAILED\"")
        });
        let v: Value = serde_json::from_str(&text).unwrap();
        let cause = &v["connector"]["root_cause"];
        assert!(
            cause["message"]
                .as_str()
                .is_some_and(|m| m.contains(expected)),
            "{text}"
        );
        assert!(
            cause["hint"]["summary"]
                .as_str()
                .is_some_and(|h| h.contains(hint)),
            "{text}"
        );
    }
}
