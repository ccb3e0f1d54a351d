//! The environment itself: the broker and Connect answer, and records round-trip with headers.

use std::time::Duration;

use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};

#[test]
fn connect_reports_the_brokers_cluster() {
    let env = env();
    let (code, root) = Connect::new().call("GET", "/", None);
    assert_eq!(code, 200);
    let root: connect_api::ServerInfo = serde_json::from_value(root).unwrap();
    assert_eq!(root.kafka_cluster_id, env.kafka_cluster_id);
    assert!(root.version.starts_with("4.3."), "Connect {}", root.version);
}

#[test]
fn records_round_trip_with_headers_keys_and_nulls() {
    let topic = unique("env-roundtrip");
    create_topic(&topic, 3);
    let sent = vec![
        TestRecord::value("a")
            .key("k1")
            .header("h", Some(b"1"))
            .header("null", None),
        TestRecord::value([0u8, 159, 146, 150]).key([0xffu8, 0]),
        TestRecord {
            key: Some(b"tomb".to_vec()),
            ..Default::default()
        },
    ];
    produce(&topic, &sent);
    let got = consume(&topic, 3, Duration::from_secs(30), true);
    assert_eq!(got.len(), 3);
    for s in &sent {
        let r = got.iter().find(|r| r.key == s.key).expect("record missing");
        assert_eq!(r.value, s.value);
        assert_eq!(r.headers, s.headers);
    }
}

#[test]
fn a_file_sink_connector_runs_on_the_real_worker() {
    let connect = Connect::new();
    let name = unique("env-sink");
    let topic = unique("env-sink-topic");
    create_topic(&topic, 1);
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.txt");
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": out.to_str().unwrap(),
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        }),
    );
    produce(
        &topic,
        &[TestRecord::value("line one"), TestRecord::value("line two")],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text == "line one\nline two\n" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "sink wrote {text:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    connect.delete(&name);
}

#[test]
fn postgres_answers_with_the_advertised_credentials_and_logical_wal() {
    use connect_testkit::sql::{PgDatabase, psql};
    let env = env();
    assert_eq!(psql("postgres", "SHOW wal_level"), "logical");
    assert_eq!(
        psql(
            "postgres",
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ),
        "t"
    );
    assert!(
        psql("postgres", "SHOW server_version").starts_with("15."),
        "{}",
        psql("postgres", "SHOW server_version")
    );
    assert_eq!(
        env.postgres_jdbc_url,
        format!("jdbc:postgresql://127.0.0.1:{}/postgres", env.postgres_port)
    );
    let db = PgDatabase::create("env_pg");
    db.sql(
        "CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    );
    assert_eq!(db.sql("SELECT id, name FROM t ORDER BY id"), "1|a\n2|b");
}

#[test]
fn mariadb_answers_with_the_advertised_credentials() {
    use connect_testkit::sql::{MariaDatabase, mariadb};
    let env = env();
    assert!(mariadb(None, "SELECT VERSION()").contains("MariaDB"));
    assert_eq!(
        env.mariadb_jdbc_url,
        format!("jdbc:mariadb://127.0.0.1:{}/", env.mariadb_port)
    );
    let db = MariaDatabase::create("env_maria");
    db.sql(
        "CREATE TABLE t (id INT PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    );
    assert_eq!(db.sql("SELECT id, name FROM t ORDER BY id"), "1\ta\n2\tb");
}

#[test]
fn debezium_postgres_connector_is_on_the_debezium_workers_plugin_path_only() {
    let (code, plugins) = Connect::debezium().call("GET", "/connector-plugins", None);
    assert_eq!(code, 200);
    // The plain worker, which connect-worker is compared with, has Apache's plugins only.
    let (code, plain) = Connect::new().call("GET", "/connector-plugins?connectorsOnly=false", None);
    assert_eq!(code, 200);
    assert!(!plain.to_string().contains("io.debezium"), "{plain}");
    let debezium = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["class"] == "io.debezium.connector.postgresql.PostgresConnector")
        .unwrap_or_else(|| panic!("no Debezium PostgresConnector in {plugins}"));
    assert_eq!(debezium["type"], "source");
    assert_eq!(debezium["version"], "3.6.1.Final");
    // The JDBC drivers are there for Java connectors that do not bring their own.
    let drivers: Vec<String> = std::fs::read_dir(&env().jdbc_drivers_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        drivers.iter().any(|d| d.starts_with("postgresql-")),
        "{drivers:?}"
    );
    assert!(
        drivers
            .iter()
            .any(|d| d.starts_with("mariadb-java-client-")),
        "{drivers:?}"
    );
}
