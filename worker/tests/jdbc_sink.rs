//! The JDBC sink on a real connect-worker against the environment's PostgreSQL and MariaDB:
//! auto.create/auto.evolve, insert/upsert/update, each pk.mode, deletes and logical types on both
//! databases; each failure Confluent's sink reports, seen through `connectctl status` with its
//! root cause and hint; a bad record to the DLQ while the rest is written; the exactly-once
//! insert option.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connect_api::State;
use connect_testkit::sql::{MariaDatabase, PgDatabase};
use connect_testkit::worker::Worker;
use connect_testkit::{TestRecord, consume, create_topic, env, produce, unique, workspace_bin};
use serde_json::{Value, json};

fn start() -> Worker {
    let bin = std::env::var_os("CONNECT_WORKER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_connect-worker")),
        PathBuf::from,
    );
    Worker::start(&bin)
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One of the two databases, with a fresh database of the test.
enum Db {
    Pg(PgDatabase),
    Maria(MariaDatabase),
}

impl Db {
    fn pg(prefix: &str) -> Db {
        Db::Pg(PgDatabase::create(prefix))
    }

    fn maria(prefix: &str) -> Db {
        Db::Maria(MariaDatabase::create(prefix))
    }

    /// Connection keys of a sink writing to this database.
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

    /// Rows as text, fields separated by `|`.
    fn rows(&self, sql: &str) -> Vec<String> {
        let out = match self {
            Db::Pg(d) => d.sql(sql),
            Db::Maria(d) => d.sql(sql).replace('\t', "|"),
        };
        out.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
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

    fn q(&self, ident: &str) -> String {
        match self {
            Db::Pg(_) => format!("\"{ident}\""),
            Db::Maria(_) => format!("`{ident}`"),
        }
    }

    fn try_count(&self, table: &str) -> Option<usize> {
        let table = self.q(table);
        let r = match self {
            Db::Pg(d) => {
                connect_testkit::sql::try_psql(d.name(), &format!("SELECT COUNT(*) FROM {table}"))
            }
            Db::Maria(d) => connect_testkit::sql::try_mariadb(
                Some(d.name()),
                &format!("SELECT COUNT(*) FROM {table}"),
            ),
        };
        r.ok().and_then(|s| s.trim().parse().ok())
    }
}

/// A sink config: JSON with schemas for keys and values, the database's connection keys, then
/// `extra`.
fn sink(db: &Db, topic: &str, extra: Value) -> Value {
    let mut c = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
        "max.retries": "1",
        "retry.backoff.ms": "100",
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

fn key_schema() -> Value {
    json!({"type": "struct", "optional": false, "fields": [
        {"field": "id", "type": "int64", "optional": false}
    ]})
}

/// The value schema of the logical-types records; `extra` adds optional string fields.
fn value_schema(extra: &[&str]) -> Value {
    let mut fields = vec![
        json!({"field": "id", "type": "int64", "optional": false}),
        json!({"field": "name", "type": "string", "optional": false}),
        json!({"field": "price", "type": "bytes", "optional": false,
               "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
               "parameters": {"scale": "2"}}),
        json!({"field": "day", "type": "int32", "optional": true,
               "name": "org.apache.kafka.connect.data.Date", "version": 1}),
        json!({"field": "at", "type": "int64", "optional": true,
               "name": "org.apache.kafka.connect.data.Timestamp", "version": 1}),
        json!({"field": "tod", "type": "int32", "optional": true,
               "name": "org.apache.kafka.connect.data.Time", "version": 1}),
        json!({"field": "flag", "type": "boolean", "optional": true}),
        json!({"field": "qty", "type": "int32", "optional": false, "default": 7}),
    ];
    for f in extra {
        fields.push(json!({"field": f, "type": "string", "optional": true}));
    }
    json!({"type": "struct", "optional": false, "fields": fields})
}

/// Base64 of a small decimal's unscaled big-endian two's complement bytes.
fn decimal_b64(unscaled: i16) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(unscaled.to_be_bytes())
}

fn record(id: i64, name: &str, extra: &[(&str, &str)]) -> TestRecord {
    let key = json!({"schema": key_schema(), "payload": {"id": id}});
    let mut payload = json!({
        "id": id, "name": name, "price": decimal_b64(12345),
        // 2024-02-29, 2024-02-29T12:34:56.789Z, 01:02:03.004
        "day": 19782, "at": 1_709_210_096_789_i64, "tod": 3_723_004, "flag": true, "qty": 3,
    });
    let names: Vec<&str> = extra.iter().map(|(k, _)| *k).collect();
    for (k, v) in extra {
        payload[*k] = json!(v);
    }
    let value = json!({"schema": value_schema(&names), "payload": payload});
    TestRecord::value(value.to_string()).key(key.to_string())
}

fn tombstone(id: i64) -> TestRecord {
    let key = json!({"schema": key_schema(), "payload": {"id": id}});
    TestRecord {
        key: Some(key.to_string().into_bytes()),
        value: None,
        ..TestRecord::default()
    }
}

fn running(w: &Worker, name: &str) {
    w.api()
        .wait_for(name, Duration::from_secs(30), "RUNNING", |s| {
            s.connector.state == State::Running
                && !s.tasks.is_empty()
                && s.tasks.iter().all(|t| t.state == State::Running)
        });
}

/// Every write path on one database.
fn modes(db: Db) {
    let w = start();
    let api = w.api();

    // upsert + record_key + deletes + auto.create/auto.evolve, with logical types.
    let t_up = unique("jdbc-up");
    create_topic(&t_up, 1);
    produce(
        &t_up,
        &[
            record(1, "one", &[]),
            record(2, "two", &[]),
            record(3, "three", &[]),
            record(1, "uno", &[]),
            tombstone(2),
        ],
    );
    api.create(
        &unique("jdbc-up"),
        sink(
            &db,
            &t_up,
            json!({"table.name.format": "upserted", "insert.mode": "upsert",
                   "pk.mode": "record_key", "delete.enabled": "true",
                   "auto.create": "true", "auto.evolve": "true"}),
        ),
    );

    // insert + kafka coordinates as the key, whitelist of value fields.
    let t_kafka = unique("jdbc-kafka");
    create_topic(&t_kafka, 1);
    produce(&t_kafka, &[record(10, "a", &[]), record(10, "a", &[])]);
    if let Db::Maria(_) = db {
        // As with Confluent's MySQL dialect, a STRING key column is TEXT, which MariaDB cannot
        // index without a length: such a table is created by hand.
        db.sql(&format!(
            "CREATE TABLE {} (__connect_topic VARCHAR(255) NOT NULL, __connect_partition INT NOT \
             NULL, __connect_offset BIGINT NOT NULL, id BIGINT NOT NULL, name TEXT NOT NULL, \
             PRIMARY KEY(__connect_topic, __connect_partition, __connect_offset))",
            db.q(&format!("by_kafka_{t_kafka}"))
        ));
    }
    api.create(
        &unique("jdbc-kafka"),
        sink(
            &db,
            &t_kafka,
            json!({"table.name.format": "by_kafka_${topic}", "pk.mode": "kafka",
                   "fields.whitelist": "id,name", "auto.create": "true"}),
        ),
    );

    // upsert + record_value with pk.fields.
    let t_val = unique("jdbc-val");
    create_topic(&t_val, 1);
    produce(&t_val, &[record(5, "five", &[]), record(5, "cinq", &[])]);
    api.create(
        &unique("jdbc-val"),
        sink(
            &db,
            &t_val,
            json!({"table.name.format": "by_value", "insert.mode": "upsert",
                   "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true"}),
        ),
    );

    // update into an existing table, pk.mode=record_key; pk.mode=none insert elsewhere.
    db.sql(&format!(
        "CREATE TABLE {} (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(10,2), \
         day DATE, at {}, tod TIME, flag BOOLEAN, qty INT)",
        db.q("updated"),
        if matches!(db, Db::Pg(_)) {
            "TIMESTAMP"
        } else {
            "DATETIME(3)"
        }
    ));
    db.sql(&format!(
        "INSERT INTO {} (id, name) VALUES (20, 'old'), (21, 'keep')",
        db.q("updated")
    ));
    let t_upd = unique("jdbc-upd");
    create_topic(&t_upd, 1);
    produce(&t_upd, &[record(20, "new", &[]), record(99, "absent", &[])]);
    api.create(
        &unique("jdbc-upd"),
        sink(
            &db,
            &t_upd,
            json!({"table.name.format": "updated", "insert.mode": "update",
                   "pk.mode": "record_key"}),
        ),
    );
    let t_none = unique("jdbc-none");
    create_topic(&t_none, 1);
    produce(&t_none, &[record(30, "x", &[]), record(30, "x", &[])]);
    api.create(
        &unique("jdbc-none"),
        sink(
            &db,
            &t_none,
            json!({"table.name.format": "plain", "auto.create": "true"}),
        ),
    );

    wait_until(
        "the upserts and the delete",
        Duration::from_secs(60),
        || {
            db.try_count("upserted") == Some(2)
                && db.rows(&format!(
                    "SELECT name FROM {} WHERE id = 1",
                    db.q("upserted")
                )) == ["uno"]
        },
    );
    wait_until("the kafka-keyed inserts", Duration::from_secs(60), || {
        db.try_count(&format!("by_kafka_{t_kafka}")) == Some(2)
    });
    wait_until("the record_value upserts", Duration::from_secs(60), || {
        db.rows(&format!("SELECT id, name FROM {}", db.q("by_value"))) == ["5|cinq"]
    });
    wait_until("the update", Duration::from_secs(60), || {
        db.rows(&format!(
            "SELECT name FROM {} WHERE id = 20",
            db.q("updated")
        )) == ["new"]
    });
    wait_until("the plain inserts", Duration::from_secs(60), || {
        db.try_count("plain") == Some(2)
    });

    // Logical types as Confluent writes them (db.timezone=UTC).
    let expected_time = "3|2024-02-29|2024-02-29 12:34:56.789|01:02:03.004|123.45|3";
    let q = |c: &str| db.q(c);
    assert_eq!(
        db.rows(&format!(
            "SELECT {}, {}, {}, {}, {}, {} FROM {} WHERE id = 3",
            q("id"),
            q("day"),
            q("at"),
            q("tod"),
            q("price"),
            q("qty"),
            q("upserted")
        )),
        [expected_time]
    );
    // The update touched only its row; the absent key inserted nothing.
    assert_eq!(
        db.rows(&format!(
            "SELECT id, name FROM {} ORDER BY id",
            db.q("updated")
        )),
        ["20|new", "21|keep"]
    );
    // Kafka coordinates are the primary key; only whitelisted value fields became columns.
    let cols = db.rows(&format!(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'by_kafka_{t_kafka}' \
         ORDER BY ordinal_position"
    ));
    assert_eq!(
        cols,
        [
            "__connect_topic",
            "__connect_partition",
            "__connect_offset",
            "id",
            "name"
        ]
    );

    // auto.evolve: a new optional field becomes a nullable column.
    produce(&t_up, &[record(4, "four", &[("note", "hello")])]);
    wait_until("the evolved row", Duration::from_secs(60), || {
        db.rows(&format!(
            "SELECT {} FROM {} WHERE id = 4",
            q("note"),
            q("upserted")
        )) == ["hello"]
    });
    let nullable = db.rows(
        "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'upserted' AND \
         column_name = 'note'",
    );
    assert_eq!(nullable, ["YES"]);
    // Optional -> NULL, required -> NOT NULL, defaults kept, as Confluent's DDL.
    let name_nullable = db.rows(
        "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'upserted' AND \
         column_name = 'name'",
    );
    assert_eq!(name_nullable, ["NO"]);
}

#[test]
fn postgres_write_modes_pk_modes_deletes_and_logical_types() {
    modes(Db::pg("jdbc_sink_modes"));
}

#[test]
fn mariadb_write_modes_pk_modes_deletes_and_logical_types() {
    modes(Db::maria("jdbc_sink_modes"));
}

fn connectctl(url: &str, args: &[&str]) -> Output {
    Command::new(workspace_bin("connectctl", "connectctl"))
        .args(args)
        .args(["--url", url, "--no-color"])
        .env_remove("CONNECTCTL_CONTEXT")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running connectctl")
}

/// Waits for the task to fail, then returns `connectctl status NAME -o json`'s task root cause.
fn failed_root_cause(w: &Worker, name: &str) -> Value {
    w.api()
        .wait_for(name, Duration::from_secs(90), "a FAILED task", |s| {
            s.tasks.iter().any(|t| t.state == State::Failed)
        });
    let out = connectctl(&w.url, &["status", name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "an unhealthy connector exits 1");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status -o json: {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["health"], "FAILED", "{v}");
    v["tasks"][0]["root_cause"].clone()
}

fn schemaless(id: i64) -> TestRecord {
    TestRecord::value(json!({"id": id, "name": "n"}).to_string())
}

fn nested(id: i64) -> TestRecord {
    let schema = json!({"type": "struct", "fields": [
        {"field": "id", "type": "int64"},
        {"field": "address", "type": "struct", "fields": [{"field": "city", "type": "string"}]}
    ]});
    TestRecord::value(
        json!({"schema": schema, "payload": {"id": id, "address": {"city": "Oslo"}}}).to_string(),
    )
}

/// Each failure of Confluent's sink, explained by `connectctl status` with its root cause and
/// hint, on both databases.
fn failures(db: Db) {
    let w = start();
    let api = w.api();
    let topic = unique("jdbc-fail");
    create_topic(&topic, 1);
    produce(&topic, &[record(1, "one", &[])]);

    // Table missing, auto.create=false.
    let missing = unique("jdbc-missing");
    api.create(
        &missing,
        sink(&db, &topic, json!({"table.name.format": "nope"})),
    );
    // A column missing, auto.evolve=false.
    db.sql(&format!(
        "CREATE TABLE {} (id BIGINT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), day DATE, \
         at {}, tod TIME, flag BOOLEAN, qty INT)",
        db.q("narrow"),
        if matches!(db, Db::Pg(_)) {
            "TIMESTAMP"
        } else {
            "DATETIME(3)"
        }
    ));
    let t_narrow = unique("jdbc-narrow");
    create_topic(&t_narrow, 1);
    produce(&t_narrow, &[record(1, "one", &[("note", "new field")])]);
    let narrow = unique("jdbc-narrow");
    api.create(
        &narrow,
        sink(&db, &t_narrow, json!({"table.name.format": "narrow"})),
    );
    // Schemaless records.
    let t_schemaless = unique("jdbc-schemaless");
    create_topic(&t_schemaless, 1);
    produce(&t_schemaless, &[schemaless(1)]);
    let schemaless_name = unique("jdbc-schemaless");
    api.create(
        &schemaless_name,
        sink(
            &db,
            &t_schemaless,
            json!({"value.converter.schemas.enable": "false", "auto.create": "true"}),
        ),
    );
    // A nested struct.
    let t_nested = unique("jdbc-nested");
    create_topic(&t_nested, 1);
    produce(&t_nested, &[nested(1)]);
    let nested_name = unique("jdbc-nested");
    api.create(
        &nested_name,
        sink(
            &db,
            &t_nested,
            json!({"table.name.format": "nested", "auto.create": "true"}),
        ),
    );
    // A URL of another database.
    let driver = unique("jdbc-driver");
    api.create(
        &driver,
        sink(
            &db,
            &topic,
            json!({"connection.url": "jdbc:sqlserver://localhost:1433;databaseName=x"}),
        ),
    );
    // A SQL error that persists: retried max.retries times, then the SQL exception chain.
    db.sql(&format!(
        "CREATE TABLE {} (id BIGINT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), day DATE, \
         at {}, tod TIME, flag BOOLEAN, qty INT, extra INT NOT NULL)",
        db.q("strict"),
        if matches!(db, Db::Pg(_)) {
            "TIMESTAMP"
        } else {
            "DATETIME(3)"
        }
    ));
    let strict = unique("jdbc-strict");
    api.create(
        &strict,
        sink(
            &db,
            &topic,
            json!({"table.name.format": "strict", "max.retries": "2"}),
        ),
    );

    let rc = failed_root_cause(&w, &missing);
    assert_eq!(
        rc["exception"], "io.confluent.connect.jdbc.sink.TableAlterOrCreateException",
        "{rc}"
    );
    assert_eq!(
        rc["message"],
        "Table \"nope\" is missing and auto-creation is disabled"
    );
    assert!(
        rc["hint"]["fix"].as_str().unwrap().contains("auto.create"),
        "{rc}"
    );

    let rc = failed_root_cause(&w, &narrow);
    assert_eq!(
        rc["exception"],
        "io.confluent.connect.jdbc.sink.TableAlterOrCreateException"
    );
    let msg = rc["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Table \"narrow\" is missing fields (")
            && msg.ends_with("and auto-evolution is disabled"),
        "{msg}"
    );
    assert!(msg.contains("name='note'"), "{msg}");
    assert!(
        rc["hint"]["fix"].as_str().unwrap().contains("auto.evolve"),
        "{rc}"
    );

    let rc = failed_root_cause(&w, &schemaless_name);
    assert_eq!(
        rc["exception"],
        "org.apache.kafka.connect.errors.ConnectException"
    );
    let msg = rc["message"].as_str().unwrap();
    assert!(
        msg.contains("requires records with a non-null Struct value and non-null Struct schema")
            && msg.contains(&format!("(topic='{t_schemaless}',partition=0,offset=0,"))
            && msg.ends_with("with a HashMap value and null value schema."),
        "{msg}"
    );
    assert!(!rc["hint"].is_null(), "{rc}");

    let rc = failed_root_cause(&w, &nested_name);
    assert_eq!(
        rc["message"],
        "null (STRUCT) type doesn't have a mapping to the SQL database column type"
    );
    assert!(
        rc["hint"]["fix"].as_str().unwrap().contains("Flatten"),
        "{rc}"
    );

    let rc = failed_root_cause(&w, &driver);
    assert_eq!(rc["exception"], "java.sql.SQLException");
    assert_eq!(
        rc["message"],
        "No suitable driver found for jdbc:sqlserver://localhost:1433;databaseName=x"
    );
    assert!(!rc["hint"].is_null(), "{rc}");

    let rc = failed_root_cause(&w, &strict);
    assert_eq!(rc["exception"], "java.sql.SQLException", "{rc}");
    let msg = rc["message"].as_str().unwrap();
    assert!(msg.starts_with("Exception chain:\n"), "{msg}");
    match db {
        Db::Pg(_) => assert!(
            msg.contains(
                "org.postgresql.util.PSQLException: ERROR: null value in column \"extra\""
            ),
            "{msg}"
        ),
        Db::Maria(_) => assert!(msg.contains("extra"), "{msg}"),
    }
    // The trace is the one Confluent's task leaves: the ConnectException carrying the chain.
    let status = api.status(&strict).unwrap();
    let trace = status.tasks[0].trace.clone().unwrap_or_default();
    assert!(
        trace.contains(
            "Caused by: org.apache.kafka.connect.errors.ConnectException: java.sql.SQLException: \
             Exception chain:"
        ),
        "{trace}"
    );
}

#[test]
fn postgres_failures_explained_by_connectctl_status() {
    failures(Db::pg("jdbc_sink_fail"));
}

#[test]
fn mariadb_failures_explained_by_connectctl_status() {
    failures(Db::maria("jdbc_sink_fail"));
}

/// `errors.tolerance=all` with a DLQ: the record that cannot be converted goes to the DLQ with
/// the context headers; the others are written.
#[test]
fn errant_records_reach_the_dlq_and_the_rest_is_written() {
    let db = Db::pg("jdbc_sink_dlq");
    let w = start();
    let topic = unique("jdbc-dlq-src");
    let dlq = unique("jdbc-dlq");
    create_topic(&topic, 1);
    create_topic(&dlq, 1);
    produce(
        &topic,
        &[
            record(1, "one", &[]),
            TestRecord::value("{not json")
                .key(json!({"schema": key_schema(), "payload": {"id": 2}}).to_string()),
            record(3, "three", &[]),
        ],
    );
    let name = unique("jdbc-dlq");
    w.api().create(
        &name,
        sink(
            &db,
            &topic,
            json!({"table.name.format": "rows", "auto.create": "true", "pk.mode": "record_key",
                   "insert.mode": "upsert", "errors.tolerance": "all",
                   "errors.deadletterqueue.topic.name": dlq,
                   "errors.deadletterqueue.context.headers.enable": "true",
                   "errors.deadletterqueue.topic.replication.factor": "1"}),
        ),
    );
    running(&w, &name);
    wait_until("the good rows", Duration::from_secs(60), || {
        db.try_count("rows") == Some(2)
    });
    let got = consume(&dlq, 1, Duration::from_secs(30), false);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value_str(), Some("{not json"));
    assert_eq!(
        got[0].header_str("__connect.errors.topic"),
        Some(topic.as_str())
    );
    assert_eq!(got[0].header_str("__connect.errors.offset"), Some("1"));
    assert_eq!(
        got[0].header_str("__connect.errors.stage"),
        Some("VALUE_CONVERTER")
    );
    assert_eq!(db.rows("SELECT id FROM \"rows\" ORDER BY id"), ["1", "3"]);
}

/// `PUT .../config/validate` reports Confluent's errors: the delete/pk.mode conflict on both
/// keys, bad enum values, and hides the password.
#[test]
fn validation_reports_confluents_errors_and_hides_the_password() {
    let w = start();
    let (code, body) = w.api().call(
        "PUT",
        "/connector-plugins/JdbcSinkConnector/config/validate",
        Some(&json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "name": "v", "topics": "t",
            "connection.url": "jdbc:postgresql://127.0.0.1:1/x",
            "connection.password": "very-secret",
            "delete.enabled": "true", "pk.mode": "none", "insert.mode": "merge",
        })),
    );
    assert_eq!(code, 200, "{body}");
    let value = |name: &str| -> Value {
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {body}"))["value"]
            .clone()
    };
    let conflict = json!(["Deletes are only supported for pk.mode record_key"]);
    assert_eq!(value("delete.enabled")["errors"], conflict);
    assert_eq!(value("pk.mode")["errors"], conflict);
    assert!(
        value("insert.mode")["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("Invalid value merge for configuration insert.mode"),
        "{body}"
    );
    assert_eq!(value("connection.password")["value"], "[hidden]");
    assert_eq!(value("batch.size")["value"], "3000");
    assert!(!body.to_string().contains("very-secret"));
    assert_eq!(body["error_count"], 3);
}
