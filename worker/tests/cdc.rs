//! The PostgreSQL CDC source against the real PostgreSQL of the environment, side by side with
//! the real Debezium 3.6.1 connector on the Apache worker: the same DDL and DML captured by both,
//! the topics compared record by record (keys, values, schemas). Every test has its own database,
//! slots, publications and topic prefixes, so they run in parallel.
//!
//! Documented differences (everything else must be equal):
//! - `ts_ms`/`ts_us`/`ts_ns` of the envelope and of `source` (times of capture);
//! - `source.name` (each connector's `topic.prefix`) and the prefix in schema names;
//! - for snapshot records (`op` = `r`) `source.lsn`, `source.txId` and `source.sequence`: each
//!   connector takes its own snapshot at its own WAL position.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connect_testkit::sql::PgDatabase;
use connect_testkit::worker::Worker;
use connect_testkit::{Connect, TestRecord, consume, env, unique};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

fn base_config(db: &PgDatabase, prefix: &str, include: Option<&str>) -> Value {
    let env = env();
    let ident = prefix.replace('-', "_");
    let mut c = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": env.postgres_host,
        "database.port": env.postgres_port.to_string(),
        "database.user": env.postgres_user,
        "database.password": env.postgres_password,
        "database.dbname": db.name(),
        "topic.prefix": prefix,
        "plugin.name": "pgoutput",
        "slot.name": ident,
        "publication.name": ident,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    });
    if let Some(tables) = include {
        c["publication.autocreate.mode"] = json!("filtered");
        c["table.include.list"] = json!(tables);
    }
    c
}

/// A connector properties file for connect-worker from a JSON config.
fn connector_file(dir: &Path, name: &str, config: &Value) -> PathBuf {
    let mut text = format!("name={name}\n");
    for (k, v) in config.as_object().unwrap() {
        text.push_str(&format!("{k}={}\n", v.as_str().unwrap()));
    }
    let path = dir.join(format!("{name}.properties"));
    std::fs::write(&path, text).unwrap();
    path
}

fn wait_slot_active(db: &PgDatabase, slot: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !db.slots().iter().any(|(n, a)| n == slot && *a) {
        assert!(
            Instant::now() < deadline,
            "{what}: slot {slot} never became active: {:?}",
            db.slots()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn start_worker(db: &PgDatabase, name: &str, config: &Value) -> Worker {
    let dir = tempfile::tempdir().unwrap();
    let file = connector_file(dir.path(), name, config);
    let w = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    wait_slot_active(db, &name.replace('-', "_"), name);
    w
}

fn parse(b: &Option<Vec<u8>>) -> Value {
    b.as_ref()
        .map_or(Value::Null, |b| serde_json::from_slice(b).expect("JSON"))
}

/// A record with the documented differences taken out.
fn normalized(r: &TestRecord, prefix: &str) -> (Value, Value) {
    let fix = |v: Value| -> Value {
        serde_json::from_str(&v.to_string().replace(&format!("\"{prefix}."), "\"P.")).unwrap()
    };
    let key = fix(parse(&r.key));
    let mut value = fix(parse(&r.value));
    if let Some(p) = value.get_mut("payload").and_then(Value::as_object_mut) {
        let snapshot = p.get("op") == Some(&json!("r"));
        for k in ["ts_ms", "ts_us", "ts_ns"] {
            p.remove(k);
        }
        if let Some(s) = p.get_mut("source").and_then(Value::as_object_mut) {
            for k in ["ts_ms", "ts_us", "ts_ns", "name"] {
                s.remove(k);
            }
            if snapshot {
                for k in ["lsn", "txId", "sequence"] {
                    s.remove(k);
                }
            }
        }
    }
    (key, value)
}

const DDL: &str = "
CREATE TABLE types (id int PRIMARY KEY, s2 int2, i8 int8, n numeric(10,2), nv numeric, r real,
  d double precision, b bool, t text NOT NULL DEFAULT 'x', vc varchar(20), c char(3), dt date,
  tm time, ts timestamp, tstz timestamptz, ba bytea, u uuid, j json, jb jsonb, ts3 timestamp(3),
  tm0 time(0), iv interval, ip inet, tz timetz);
CREATE TABLE nopk (a int, b text);
CREATE TABLE full_t (id int PRIMARY KEY, v text);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE arrays (id int PRIMARY KEY, ai int[], at text[], an numeric(5,1)[], ad date[],
  ats timestamptz[], ab bool[], aj jsonb[], au uuid[], af float8[], aby bytea[], avc varchar(5)[],
  atm time(3)[], anv numeric[], ats3 timestamptz(3)[], ats0 timestamptz(0)[], tz1 timestamptz,
  atz timetz[]);
INSERT INTO arrays VALUES (1, '{1,NULL,3}', '{\"a b\",\"NULL\",NULL,\"q\\\"x\\\\y\"}', '{1.5,-2}',
  '{2024-01-02,NULL}', '{\"2024-01-02 03:04:05+02\"}', '{t,f}', ARRAY['{\"k\": 1}'::jsonb],
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{1.5,NaN,-Infinity}', '{\"\\\\x00ff\"}', '{ab}',
  '{12:00:00.5}', '{1.25,-3}', '{\"2024-01-02 03:04:05.5+02\"}', '{\"2024-01-02 03:04:05+02\"}',
  '2024-01-02 03:04:05+02', '{\"12:00:00+02\"}');
INSERT INTO types (id) VALUES (1);
INSERT INTO types VALUES (2, -2, 9007199254740993, -12.34, -0.001, 1.5, 2.25, false, 'snap', 'v',
  'ab', '1969-12-31', '00:00:00.5', '1960-01-02 03:04:05', '2024-06-30 23:59:59.999999+00',
  '\\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[1, 2]', '{\"k\": null}',
  '2000-01-01 00:00:00.001', '23:59:59', '1 year 2 mons -3 days 04:05:06.5', '10.0.0.1/8',
  '12:00:00+02');
INSERT INTO nopk VALUES (1, 'a');
INSERT INTO full_t VALUES (1, 'a'), (2, 'b');
";

const DML: &[&str] = &[
    "INSERT INTO types VALUES (3, 2, 3, 12.34, 5.678, 1.5, 2.25, true, 'hi', 'vc', 'ab', '2024-01-02',
      '12:34:56.789', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02', '\\x0102ff',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}', '{\"b\": [1,2]}', '2024-01-02 03:04:05.123',
      '01:02:03', '-00:00:01', '::1', '23:30:00.25-01:30')",
    "UPDATE types SET s2 = 9, nv = 123456789012345678901234567890.5 WHERE id = 1",
    "BEGIN; INSERT INTO full_t VALUES (3, 'c'); UPDATE full_t SET v = 'x' WHERE id = 1;
      DELETE FROM full_t WHERE id = 2; COMMIT",
    "UPDATE types SET id = 10 WHERE id = 2",
    "DELETE FROM types WHERE id = 3",
    "INSERT INTO nopk VALUES (2, 'b')",
    "INSERT INTO arrays (id, ai, at) VALUES (2, '{}', '{}')",
    "UPDATE arrays SET ai = '[0:1]={7,8}', at = ARRAY['x,y', '{z}'] WHERE id = 1",
];

/// (table, records: snapshot + streaming, and how many of them are tombstones)
const EXPECTED: &[(&str, usize, usize)] = &[
    ("types", 2 + 1 + 1 + 3 + 2, 2),
    ("full_t", 2 + 4, 1),
    ("nopk", 2, 0),
    ("arrays", 1 + 2, 0),
];

/// Runs the DDL and DML with both connectors on one database, `overrides` added to both
/// configs, and compares every topic record by record.
fn conformance(tag: &str, overrides: Value) {
    let db = PgDatabase::create(tag);
    db.sql(DDL);
    let include = "public.types,public.nopk,public.full_t,public.arrays";
    let dbz = unique(&format!("{tag}-dbz"));
    let ours = unique(&format!("{tag}-ours"));
    let with = |prefix: &str| {
        let mut c = base_config(&db, prefix, Some(include));
        for (k, v) in overrides.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let tombstones = overrides.get("tombstones.on.delete") != Some(&json!("false"));
    let debezium = Connect::debezium();
    debezium.create(&dbz, with(&dbz));
    struct Guard<'a>(&'a Connect, String);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            self.0.delete(&self.1);
        }
    }
    let _guard = Guard(&debezium, dbz.clone());
    let worker = start_worker(&db, &ours, &with(&ours));
    wait_slot_active(&db, &dbz.replace('-', "_"), &dbz);
    for sql in DML {
        db.sql(sql);
    }
    let mut differences = Vec::new();
    let mut compare = |what: &str, a: &[TestRecord], b: &[TestRecord]| {
        for (i, (ra, rb)) in a.iter().zip(b).enumerate() {
            let (ka, va) = normalized(ra, &dbz);
            let (kb, vb) = normalized(rb, &ours);
            if ka != kb {
                differences.push(format!(
                    "{what}[{i}] key:\n  debezium {ka}\n  ours     {kb}"
                ));
            }
            if va.get("schema") != vb.get("schema") {
                differences.push(format!(
                    "{what}[{i}] schema:\n  debezium {}\n  ours     {}",
                    va["schema"], vb["schema"]
                ));
            }
            if va.get("payload") != vb.get("payload") {
                differences.push(format!(
                    "{what}[{i}] payload:\n  debezium {}\n  ours     {}",
                    va["payload"], vb["payload"]
                ));
            }
        }
    };
    for (table, n, t) in EXPECTED {
        let n = if tombstones { *n } else { n - t };
        let a = consume(
            &format!("{dbz}.public.{table}"),
            n,
            Duration::from_secs(90),
            false,
        );
        let b = consume(
            &format!("{ours}.public.{table}"),
            n,
            Duration::from_secs(90),
            false,
        );
        assert_eq!(a.len(), n, "Debezium's records of {table}");
        assert_eq!(b.len(), n, "connect-worker's records of {table}");
        compare(table, &a, &b);
    }
    if overrides.get("heartbeat.interval.ms").is_some() {
        let a = consume(
            &format!("__debezium-heartbeat.{dbz}"),
            1,
            Duration::from_secs(60),
            false,
        );
        let b = consume(
            &format!("__debezium-heartbeat.{ours}"),
            1,
            Duration::from_secs(60),
            false,
        );
        assert!(
            !a.is_empty() && !b.is_empty(),
            "heartbeats: {} {}",
            a.len(),
            b.len()
        );
        let (ka, va) = (parse(&a[0].key), parse(&a[0].value));
        let (kb, vb) = (parse(&b[0].key), parse(&b[0].value));
        assert_eq!(ka["schema"], kb["schema"], "heartbeat key schema");
        assert_eq!(ka["payload"], json!({"serverName": dbz}));
        assert_eq!(kb["payload"], json!({"serverName": ours}));
        assert_eq!(va["schema"], vb["schema"], "heartbeat value schema");
        assert!(vb["payload"]["ts_ms"].is_i64(), "{vb}");
    }
    drop(worker);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn conformance_with_debezium_record_by_record() {
    conformance("cdc_conf", json!({}));
}

/// The other decimal and time modes, no tombstones, and heartbeats.
#[test]
fn conformance_with_debezium_in_other_modes() {
    conformance(
        "cdc_modes",
        json!({
            "decimal.handling.mode": "string",
            "time.precision.mode": "connect",
            "tombstones.on.delete": "false",
            "heartbeat.interval.ms": "1000",
        }),
    );
}

/// Offsets in Debezium's shape, and a SIGKILL in the middle of a stream of changes loses none:
/// every change arrives at least once, in order per key.
#[test]
fn sigkill_mid_stream_resumes_without_losing_a_change() {
    let db = PgDatabase::create("cdc_kill");
    db.sql("CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)");
    let name = unique("cdc-kill");
    let config = base_config(&db, &name, None);
    let dir = tempfile::tempdir().unwrap();
    let file = connector_file(dir.path(), &name, &config);
    let mut worker = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    wait_slot_active(&db, &name.replace('-', "_"), &name);
    let rows = 300;
    let writer = {
        let db_name = db.name().to_owned();
        std::thread::spawn(move || {
            for i in 0..rows {
                connect_testkit::sql::psql(
                    &db_name,
                    &format!(
                        "INSERT INTO items VALUES ({i}, 0); UPDATE items SET n = 1 WHERE id = {i}"
                    ),
                );
            }
        })
    };
    let topic = format!("{name}.public.items");
    // Kill once some changes are in Kafka and more are coming.
    let deadline = Instant::now() + Duration::from_secs(60);
    while consume(&topic, 50, Duration::from_secs(2), false).len() < 50 {
        assert!(Instant::now() < deadline, "no changes captured");
    }
    worker.child.kill().unwrap();
    worker.child.wait().unwrap();
    let dir = std::mem::replace(&mut worker.dir, tempfile::tempdir().unwrap());
    drop(worker);
    let offsets = std::fs::read_to_string(dir.path().join("offsets.json")).unwrap();
    let offsets: Value = serde_json::from_str(&offsets).unwrap();
    let (_, offset) = offsets
        .as_object()
        .unwrap()
        .iter()
        .next()
        .expect("an offset");
    for k in ["lsn", "lsn_proc", "txId", "ts_usec", "messageType"] {
        assert!(offset.get(k).is_some(), "offset {offset} has {k}");
    }
    let worker = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    writer.join().unwrap();
    let got = consume(&topic, 2 * rows, Duration::from_secs(60), false);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = got;
    // Keep reading until every key has both of its changes.
    loop {
        let mut per_key: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
        for r in &got {
            let k = parse(&r.key)["payload"]["id"].as_i64().unwrap();
            let op = parse(&r.value)["payload"]["op"]
                .as_str()
                .unwrap()
                .to_owned();
            per_key.entry(k).or_default().push(op);
        }
        let complete = per_key.len() == rows
            && per_key
                .values()
                .all(|ops| ops.contains(&"c".to_owned()) && ops.contains(&"u".to_owned()));
        if complete {
            for (k, ops) in &per_key {
                let first_u = ops.iter().position(|o| o == "u").unwrap();
                let first_c = ops.iter().position(|o| o == "c").unwrap();
                assert!(first_c < first_u, "key {k}: {ops:?}");
            }
            let duplicates = got.len() - 2 * rows;
            eprintln!(
                "{} records for {} changes: {duplicates} duplicates",
                got.len(),
                2 * rows
            );
            assert!(duplicates <= 2 * rows, "duplicates are bounded");
            break;
        }
        assert!(Instant::now() < deadline, "missing changes: {per_key:?}");
        got = consume(&topic, got.len() + 1, Duration::from_secs(3), false);
    }
    drop(worker);
}

/// With the default `publication.autocreate.mode=all_tables`, a table created while the
/// connector streams is captured on its own topic.
#[test]
fn a_new_table_is_captured() {
    let db = PgDatabase::create("cdc_new");
    db.sql("CREATE TABLE first (id int PRIMARY KEY)");
    let name = unique("cdc-new");
    let worker = start_worker(&db, &name, &base_config(&db, &name, None));
    db.sql("CREATE TABLE second (id int PRIMARY KEY, v text); INSERT INTO second VALUES (1, 'x')");
    let got = consume(
        &format!("{name}.public.second"),
        1,
        Duration::from_secs(60),
        false,
    );
    assert_eq!(got.len(), 1);
    let v = parse(&got[0].value);
    assert_eq!(v["payload"]["op"], "c");
    assert_eq!(v["payload"]["after"], json!({"id": 1, "v": "x"}));
    assert_eq!(
        v["schema"]["name"],
        format!("{name}.public.second.Envelope")
    );
    drop(worker);
}

/// A second connector on the same slot fails with Debezium's message, which connectctl's hint
/// recognises.
#[test]
fn slot_in_use_fails_with_debeziums_message() {
    let db = PgDatabase::create("cdc_slot");
    db.sql("CREATE TABLE t (id int PRIMARY KEY)");
    let name = unique("cdc-slot");
    let config = base_config(&db, &name, None);
    let worker = start_worker(&db, &name, &config);
    let api = worker.api();
    let second = format!("{name}-2");
    let mut c2 = config.clone();
    c2["topic.prefix"] = json!(second);
    api.create(&second, c2);
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        if let Some(s) = api.status(&second) {
            if let Some(t) = s
                .tasks
                .iter()
                .find(|t| t.state == connect_api::State::Failed)
            {
                break t.trace.clone().unwrap_or_default();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the second connector never failed"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(trace.starts_with("org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer. This connector will be stopped."), "{trace}");
    assert!(
        trace.contains(
            "Caused by: io.debezium.DebeziumException: Failed to start replication stream at LSN{"
        ),
        "{trace}"
    );
    assert!(
        trace.contains("Caused by: org.postgresql.util.PSQLException: ERROR: replication slot \""),
        "{trace}"
    );
    assert!(trace.contains("is active for PID"), "{trace}");
    let out =
        std::process::Command::new(connect_testkit::workspace_bin("connectctl", "connectctl"))
            .args([
                "status",
                &second,
                "-o",
                "json",
                "--url",
                &worker.url,
                "--no-color",
            ])
            .env_remove("CONNECTCTL_CONTEXT")
            .output()
            .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let text = status.to_string();
    assert!(text.contains("same PostgreSQL replication slot"), "{text}");
    api.delete(&second);
    drop(worker);
}

/// `publication.autocreate.mode=disabled` without the publication fails with Debezium's message.
#[test]
fn missing_publication_fails_with_debeziums_message() {
    let db = PgDatabase::create("cdc_pub");
    db.sql("CREATE TABLE t (id int PRIMARY KEY)");
    let name = unique("cdc-pub");
    let mut config = base_config(&db, &name, None);
    config["publication.autocreate.mode"] = json!("disabled");
    let dir = tempfile::tempdir().unwrap();
    let file = connector_file(dir.path(), &name, &config);
    let worker = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    let api = worker.api();
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        if let Some(s) = api.status(&name) {
            if let Some(t) = s
                .tasks
                .iter()
                .find(|t| t.state == connect_api::State::Failed)
            {
                break t.trace.clone().unwrap_or_default();
            }
        }
        assert!(Instant::now() < deadline, "never failed");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(trace.starts_with("org.apache.kafka.connect.errors.ConnectException: Publication autocreation is disabled, please create one and restart the connector."), "{trace}");
    drop(worker);
}

/// The replication connection is terminated mid-stream (`pg_terminate_backend`, as a server
/// restart or failover does): the task reconnects by itself, stays RUNNING and loses no change.
#[test]
fn a_terminated_connection_is_resumed_without_losing_a_change() {
    let db = PgDatabase::create("cdc_term");
    db.sql("CREATE TABLE t (id int PRIMARY KEY)");
    let name = unique("cdc-term");
    let worker = start_worker(&db, &name, &base_config(&db, &name, None));
    db.sql("INSERT INTO t SELECT generate_series(1, 50)");
    let topic = format!("{name}.public.t");
    assert_eq!(
        consume(&topic, 50, Duration::from_secs(60), false).len(),
        50
    );
    let slot = name.replace('-', "_");
    db.sql(&format!(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{slot}'"
    ));
    db.sql("INSERT INTO t SELECT generate_series(51, 100)");
    let got = consume(&topic, 100, Duration::from_secs(60), false);
    let ids: std::collections::BTreeSet<i64> = got
        .iter()
        .map(|r| parse(&r.key)["payload"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 100, "every change arrives: {ids:?}");
    let status = worker.api().status(&name).unwrap();
    assert!(
        status
            .tasks
            .iter()
            .all(|t| t.state == connect_api::State::Running),
        "{status:?}"
    );
    drop(worker);
}

/// A user without the REPLICATION attribute fails as with Debezium, and `connectctl status`
/// shows the hint written from Debezium's trace.
#[test]
fn a_user_without_replication_fails_with_debeziums_message_and_hint() {
    let db = PgDatabase::create("cdc_role");
    let role = connect_testkit::sql::unique_ident("cdc_norepl");
    let name = unique("cdc-role");
    let ident = name.replace('-', "_");
    db.sql(&format!(
        "CREATE TABLE t (id int PRIMARY KEY);
         CREATE PUBLICATION {ident} FOR TABLE t;
         CREATE ROLE {role} LOGIN PASSWORD 'pw';
         GRANT SELECT ON t TO {role};"
    ));
    let mut config = base_config(&db, &name, None);
    config["database.user"] = json!(role);
    config["database.password"] = json!("pw");
    config["publication.autocreate.mode"] = json!("disabled");
    let dir = tempfile::tempdir().unwrap();
    let file = connector_file(dir.path(), &name, &config);
    let worker = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    let api = worker.api();
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        if let Some(s) = api.status(&name) {
            if let Some(t) = s
                .tasks
                .iter()
                .find(|t| t.state == connect_api::State::Failed)
            {
                break t.trace.clone().unwrap_or_default();
            }
        }
        assert!(Instant::now() < deadline, "never failed");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        trace.starts_with("io.debezium.DebeziumException: Creation of replication slot failed"),
        "{trace}"
    );
    assert!(
        trace.contains("Caused by: org.postgresql.util.PSQLException: FATAL: "),
        "{trace}"
    );
    let out =
        std::process::Command::new(connect_testkit::workspace_bin("connectctl", "connectctl"))
            .args([
                "status",
                &name,
                "-o",
                "json",
                "--url",
                &worker.url,
                "--no-color",
            ])
            .env_remove("CONNECTCTL_CONTEXT")
            .output()
            .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("may not open a replication connection"),
        "{text}"
    );
    drop(worker);
    db.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"));
}

/// A user with REPLICATION who does not own the captured table cannot create the filtered
/// publication: Debezium's message, with the server's reason as the cause.
#[test]
fn a_filtered_publication_on_a_table_of_another_owner_fails_with_debeziums_message() {
    let db = PgDatabase::create("cdc_owner");
    let role = connect_testkit::sql::unique_ident("cdc_notowner");
    let name = unique("cdc-owner");
    db.sql(&format!(
        "CREATE TABLE orders (id int PRIMARY KEY);
         CREATE ROLE {role} LOGIN REPLICATION PASSWORD 'pw';
         GRANT SELECT ON orders TO {role};
         GRANT CREATE ON DATABASE {} TO {role};",
        db.name()
    ));
    let mut config = base_config(&db, &name, Some("public.orders"));
    config["database.user"] = json!(role);
    config["database.password"] = json!("pw");
    let dir = tempfile::tempdir().unwrap();
    let file = connector_file(dir.path(), &name, &config);
    let worker = Worker::start_with(Path::new(BIN), dir, &[], &[&file]);
    let api = worker.api();
    let deadline = Instant::now() + Duration::from_secs(60);
    let trace = loop {
        if let Some(s) = api.status(&name) {
            if let Some(t) = s
                .tasks
                .iter()
                .find(|t| t.state == connect_api::State::Failed)
            {
                break t.trace.clone().unwrap_or_default();
            }
        }
        assert!(Instant::now() < deadline, "never failed");
        std::thread::sleep(Duration::from_millis(200));
    };
    let ident = name.replace('-', "_");
    assert!(
        trace.starts_with(&format!(
            "org.apache.kafka.connect.errors.ConnectException: Unable to create filtered publication {ident} for \"public\".\"orders\"\n"
        )),
        "{trace}"
    );
    assert!(
        trace.contains(
            "Caused by: org.postgresql.util.PSQLException: ERROR: must be owner of table orders"
        ),
        "{trace}"
    );
    drop(worker);
    db.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"));
}
