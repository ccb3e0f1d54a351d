//! Debezium's PostgreSQL connector on the real Apache worker that has it on its plugin.path,
//! capturing the environment's PostgreSQL, and connectctl's status, doctor and offsets against it. Every test has its own database, slot,
//! publication and topic prefix, so they run in parallel with everything else.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use connect_testkit::sql::PgDatabase;
use connect_testkit::{Connect, TestRecord, consume, env, unique, workspace_bin};
use serde_json::{Value, json};

/// A Debezium PostgreSQL source on `db`'s `public.orders`, with its own slot and publication named
/// after `name`, and schemaless JSON so the tests read the change events directly.
fn debezium_config(db: &PgDatabase, name: &str) -> Value {
    let env = env();
    let ident = name.replace('-', "_");
    json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": env.postgres_host,
        "database.port": env.postgres_port.to_string(),
        "database.user": env.postgres_user,
        "database.password": env.postgres_password,
        "database.dbname": db.name(),
        "topic.prefix": name,
        "plugin.name": "pgoutput",
        "slot.name": ident,
        "publication.name": ident,
        "publication.autocreate.mode": "filtered",
        "table.include.list": "public.orders",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    })
}

/// Deletes the connector when the test ends (pass or fail), before the database guard drops the
/// database and the slot: a live connector would take the slot again.
struct ConnectorGuard<'a> {
    connect: &'a Connect,
    name: String,
}

impl Drop for ConnectorGuard<'_> {
    fn drop(&mut self) {
        self.connect.delete(&self.name);
        // The task lets go of the slot as it stops; the database guard waits for that.
    }
}

/// Starts the connector and waits until its task streams: RUNNING and its slot active.
fn start_capture<'a>(connect: &'a Connect, db: &PgDatabase, name: &str) -> ConnectorGuard<'a> {
    connect.create(name, debezium_config(db, name));
    let guard = ConnectorGuard {
        connect,
        name: name.to_owned(),
    };
    connect.wait_for(name, Duration::from_secs(90), "RUNNING", |s| {
        s.connector.state == connect_api::State::Running
            && !s.tasks.is_empty()
            && s.tasks
                .iter()
                .all(|t| t.state == connect_api::State::Running)
    });
    let slot = name.replace('-', "_");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !db.slots().iter().any(|(n, active)| n == &slot && *active) {
        assert!(
            Instant::now() < deadline,
            "{name}: slot {slot} never became active; slots {:?}; status {:?}",
            db.slots(),
            connect.status(name)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    guard
}

fn json_of(r: &TestRecord) -> Option<Value> {
    r.value
        .as_ref()
        .map(|v| serde_json::from_slice(v).expect("a JSON change event"))
}

#[test]
fn debezium_captures_inserts_updates_deletes_and_tombstones() {
    let connect = Connect::debezium();
    let db = PgDatabase::create("dbz_capture");
    // REPLICA IDENTITY FULL: updates and deletes carry the whole old row in `before`.
    db.sql(
        "CREATE TABLE orders (id int PRIMARY KEY, sku text NOT NULL, qty int NOT NULL);
         ALTER TABLE orders REPLICA IDENTITY FULL;
         INSERT INTO orders VALUES (1, 'snap', 7);",
    );
    let name = unique("dbz-capture");
    let _connector = start_capture(&connect, &db, &name);

    db.sql("INSERT INTO orders VALUES (2, 'abc', 3)");
    db.sql("UPDATE orders SET qty = 5 WHERE id = 2");
    db.sql("DELETE FROM orders WHERE id = 2");

    let topic = format!("{name}.public.orders");
    let got = consume(&topic, 5, Duration::from_secs(90), false);
    assert_eq!(got.len(), 5, "records on {topic}: {got:?}");
    let keys: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_slice(r.key.as_deref().expect("a key")).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            json!({"id": 1}),
            json!({"id": 2}),
            json!({"id": 2}),
            json!({"id": 2}),
            json!({"id": 2})
        ]
    );
    let events: Vec<Option<Value>> = got.iter().map(json_of).collect();
    let ops: Vec<&str> = events
        .iter()
        .map(|e| {
            e.as_ref()
                .map_or("tombstone", |e| e["op"].as_str().unwrap())
        })
        .collect();
    assert_eq!(ops, ["r", "c", "u", "d", "tombstone"]);

    let [snap, c, u, d, _] = [0, 1, 2, 3, 4].map(|i| events[i].clone().unwrap_or(Value::Null));
    assert_eq!(snap["after"], json!({"id": 1, "sku": "snap", "qty": 7}));
    assert_eq!(c["before"], Value::Null);
    assert_eq!(c["after"], json!({"id": 2, "sku": "abc", "qty": 3}));
    assert_eq!(u["before"], json!({"id": 2, "sku": "abc", "qty": 3}));
    assert_eq!(u["after"], json!({"id": 2, "sku": "abc", "qty": 5}));
    assert_eq!(d["before"], json!({"id": 2, "sku": "abc", "qty": 5}));
    assert_eq!(d["after"], Value::Null);
    for e in [&c, &u, &d] {
        assert_eq!(e["source"]["connector"], "postgresql");
        assert_eq!(e["source"]["db"], db.name());
        assert_eq!(e["source"]["schema"], "public");
        assert_eq!(e["source"]["table"], "orders");
        assert!(e["source"]["lsn"].as_u64().is_some(), "{e}");
    }
    // The tombstone follows its delete, for log compaction.
    assert!(got[4].value.is_none());
    assert!(got[4].offset > got[3].offset);
}

fn connectctl(args: &[&str]) -> Output {
    Command::new(workspace_bin("connectctl", "connectctl"))
        .args(args)
        .args(["--url", &env().debezium_connect_url, "--no-color"])
        .env_remove("CONNECTCTL_CONTEXT")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running connectctl")
}

fn stdout_json(out: &Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn source_offsets(connect: &Connect, name: &str) -> Vec<Value> {
    let (code, body) = connect.call("GET", &format!("/connectors/{name}/offsets"), None);
    assert_eq!(code, 200, "{body}");
    body["offsets"].as_array().cloned().unwrap_or_default()
}

#[test]
fn connectctl_status_doctor_and_offsets_on_a_real_debezium_source() {
    let connect = Connect::debezium();
    let db = PgDatabase::create("dbz_ctl");
    db.sql("CREATE TABLE orders (id int PRIMARY KEY, sku text)");
    let name = unique("dbz-ctl");
    let _connector = start_capture(&connect, &db, &name);
    db.sql("INSERT INTO orders VALUES (1, 'a'), (2, 'b')");
    // Debezium commits its LSN as an offset once the records are flushed (1 s flush interval).
    let deadline = Instant::now() + Duration::from_secs(60);
    let offsets = loop {
        let o = source_offsets(&connect, &name);
        if o.iter().any(|o| o["offset"]["lsn"].is_u64()) {
            break o;
        }
        assert!(Instant::now() < deadline, "{name}: no LSN offset: {o:?}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let lsn = offsets[0]["offset"]["lsn"].as_u64().unwrap();

    // status: healthy, one running task, no root cause.
    let out = connectctl(&["status", &name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let status = stdout_json(&out, "status");
    let status = if status.is_array() {
        status[0].clone()
    } else {
        status
    };
    assert_eq!(status["name"], name.as_str());
    assert_eq!(status["type"], "source");
    assert_eq!(status["health"], "HEALTHY");
    assert_eq!(status["connector"]["state"], "RUNNING");
    assert_eq!(status["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(status["tasks"][0]["state"], "RUNNING");
    assert!(status["tasks"][0].get("root_cause").is_none(), "{status}");

    // doctor: the cluster is shared with other tests, so its overall verdict is whatever they
    // left; the exit code must agree with that verdict, and this connector must be healthy.
    let out = connectctl(&["doctor", "-o", "json", "--no-kafka"]);
    let report = stdout_json(&out, "doctor");
    let expected_code = match report["health"].as_str() {
        Some("HEALTHY") => 0,
        Some("DEGRADED") => 1,
        Some("FAILED") => 3,
        other => panic!("doctor health {other:?}: {report}"),
    };
    assert_eq!(out.status.code(), Some(expected_code), "{report}");
    let me = report["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not in doctor's report: {report}"));
    assert_eq!(me["health"], "HEALTHY");
    assert_eq!(me["type"], "source");
    assert_eq!(me["state"], "RUNNING");
    assert_eq!(
        (me["tasks_running"].as_u64(), me["tasks_total"].as_u64()),
        (Some(1), Some(1))
    );
    // doctor shows where the source is in its input: Debezium's partition and LSN.
    assert_eq!(
        me["offsets"][0]["partition"],
        json!({"server": name}),
        "{me}"
    );
    assert!(
        me["offsets"][0]["offset"]["lsn"].as_u64().unwrap() >= lsn,
        "{me}"
    );
    let out = connectctl(&["doctor", "--no-kafka"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.contains(name.as_str()))
        .unwrap_or_else(|| panic!("{name} not in doctor's table: {text}"));
    assert!(row.contains("lsn="), "{row}");
    let mine = format!("{name}/");
    assert!(
        !report["causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["instances"].as_array().unwrap().iter().any(|i| i
                .as_str()
                .is_some_and(|i| i == name || i.starts_with(&mine)))),
        "{report}"
    );

    // offsets: reads Debezium's source partition and LSN.
    let out = connectctl(&["offsets", &name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let shown = stdout_json(&out, "offsets");
    assert_eq!(shown["offsets"][0]["partition"], json!({"server": name}));
    assert!(
        shown["offsets"][0]["offset"]["lsn"].as_u64().unwrap() >= lsn,
        "{shown}"
    );

    // Changing offsets needs the connector STOPPED: without --yes (and no terminal to ask on)
    // connectctl refuses and changes nothing.
    let out = connectctl(&["offsets", &name, "--reset"]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not stopped") || err.contains("STOPPED"),
        "{err}"
    );
    assert!(!source_offsets(&connect, &name).is_empty());

    let out = connectctl(&["stop", &name]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    connect.wait_for(&name, Duration::from_secs(60), "STOPPED", |s| {
        s.connector.state == connect_api::State::Stopped
    });

    // Alter: move the LSN back to a value of our choosing, and read it back.
    let set = format!(
        r#"{{"server":"{name}"}}={{"lsn":{},"txId":1,"ts_usec":1}}"#,
        lsn - 1
    );
    let out = connectctl(&["offsets", &name, "--set", &set]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let altered = source_offsets(&connect, &name);
    assert_eq!(altered.len(), 1, "{altered:?}");
    assert_eq!(altered[0]["offset"]["lsn"].as_u64(), Some(lsn - 1));

    // Reset: the connector starts over (a new snapshot) when resumed.
    let out = connectctl(&["offsets", &name, "--reset"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&name),
        "{out:?}"
    );
    // The reset's tombstones are read back by the worker's offset store asynchronously: right
    // after the 200 the partition may still be listed, with a null offset.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = source_offsets(&connect, &name);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "offsets left after the reset: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = connectctl(&["offsets", &name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout_json(&out, "offsets")["offsets"], json!([]));
}

#[test]
fn connectctl_status_and_doctor_explain_a_failing_debezium_source() {
    let connect = Connect::debezium();
    let db = PgDatabase::create("dbz_fail");
    db.sql("CREATE TABLE orders (id int PRIMARY KEY, sku text)");
    let name = unique("dbz-nopub");
    // The publication must exist but does not, and the connector may not create it.
    let mut config = debezium_config(&db, &name);
    config["publication.autocreate.mode"] = json!("disabled");
    connect.create(&name, config);
    let _guard = ConnectorGuard {
        connect: &connect,
        name: name.clone(),
    };
    connect.wait_for(&name, Duration::from_secs(90), "FAILED", |s| {
        s.tasks
            .iter()
            .any(|t| t.state == connect_api::State::Failed)
    });

    let out = connectctl(&["status", &name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let status = stdout_json(&out, "status");
    let status = if status.is_array() {
        status[0].clone()
    } else {
        status
    };
    assert_eq!(status["health"], "FAILED");
    let rc = &status["tasks"][0]["root_cause"];
    assert_eq!(
        rc["exception"],
        "org.apache.kafka.connect.errors.ConnectException"
    );
    assert!(
        rc["message"]
            .as_str()
            .unwrap()
            .contains("Publication autocreation is disabled"),
        "{rc}"
    );
    assert_eq!(rc["hint"]["id"], "debezium-pg-publication-missing");
    let fix = rc["hint"]["fix"].as_str().unwrap();
    assert!(fix.contains("CREATE PUBLICATION"), "{fix}");
    assert!(fix.contains("publication.autocreate.mode"), "{fix}");

    let out = connectctl(&["doctor", "-o", "json", "--no-kafka"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let report = stdout_json(&out, "doctor");
    let task = format!("{name}/0");
    let group = report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            g["instances"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i == &json!(task))
        })
        .unwrap_or_else(|| panic!("{task} in no cause group: {report}"));
    assert_eq!(group["hint"]["id"], "debezium-pg-publication-missing");
}
