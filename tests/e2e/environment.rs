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
