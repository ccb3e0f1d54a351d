//! Avro DLQs end to end with the real registry (Apicurio Registry 3.3.3) and the real Java
//! converter (Apicurio's AvroConverter in the Confluent wire format): a sink with the wrong
//! converter sends Avro records to its DLQ; `dlq inspect --schema-registry` shows them decoded
//! with their schema; `dlq replay --fix` changes a field, re-encodes with the registered schema,
//! and a Java sink with the Avro converter reads the fixed records back.

use std::process::Command;
use std::time::{Duration, Instant};

use connect_avro::schema::AvroSchema;
use connect_avro::{RegistryClient, RegistryConfig, binary, json as avro_json, wire};
use connect_testkit::{Connect, TestRecord, consume, create_topic, env, produce, unique};
use serde_json::{Value, json};

fn registry_url() -> String {
    env().schema_registry_url.clone().expect(
        "the environment has no schema registry: restart it with scripts/env/down && scripts/env/up",
    )
}

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env_remove("CONNECTCTL_SCHEMA_REGISTRY_URL")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl.toml")
        .args([
            "--url",
            &env().debezium_connect_url,
            "--bootstrap-servers",
            &env().bootstrap_servers,
        ]);
    c
}

fn apicurio_value_converter(config: &mut Value) {
    let url = env()
        .apicurio_registry_url
        .clone()
        .expect("apicurio_registry_url in env.json");
    config["value.converter"] = json!("io.apicurio.registry.utils.converter.AvroConverter");
    config["value.converter.apicurio.registry.url"] = json!(url);
    config["value.converter.apicurio.registry.auto-register"] = json!("true");
    config["value.converter.apicurio.registry.as-confluent"] = json!("true");
    config["value.converter.apicurio.registry.use-id"] = json!("contentId");
    // Apicurio 2.x puts the id in Kafka headers by default; the Confluent framing needs this.
    config["value.converter.apicurio.registry.headers.enabled"] = json!("false");
}

fn wait_lines(path: &std::path::Path, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= n || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn avro_dlq_is_inspected_decoded_and_replayed_with_a_fix_that_java_reads_back() {
    let topic = unique("avro-orders");
    let fixed_topic = unique("avro-orders-fixed");
    let dlq = unique("avro-dlq");
    create_topic(&topic, 1);
    create_topic(&fixed_topic, 1);

    // Three Avro records in the Confluent wire format, under the topic's value subject.
    let schema = AvroSchema::parse_str(
        r#"{"type":"record","name":"Order","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"item","type":"string"},
            {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
            {"name":"note","type":["null","string"],"default":null}]}"#,
    )
    .unwrap();
    let registry = RegistryClient::new(RegistryConfig::from_urls(&registry_url())).unwrap();
    let id = registry
        .register(&format!("{topic}-value"), &schema)
        .unwrap();
    let records: Vec<TestRecord> = (1..=3)
        .map(|i| {
            let datum = avro_json::from_json(
                &schema,
                &json!({"id": i, "item": format!("item{i}"), "price": "12.50", "note": null}),
            )
            .unwrap();
            let mut bytes = wire::header(id);
            binary::encode(&schema, &datum, &mut bytes).unwrap();
            TestRecord::value(bytes).key(format!("k{i}"))
        })
        .collect();
    produce(&topic, &records);

    // A sink configured with JsonConverter: every record fails in the converter, to the DLQ.
    let api = Connect::debezium();
    let broken = unique("avro-broken-sink");
    let dir = tempfile::tempdir().unwrap();
    api.create(
        &broken,
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": dir.path().join("broken.txt").to_str().unwrap(),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    assert_eq!(consume(&dlq, 3, Duration::from_secs(90), true).len(), 3);
    api.delete(&broken);

    // Without a registry the values are bytes; with one they are JSON with their schema.
    let raw = connectctl()
        .args(["dlq", "inspect", &dlq, "--records", "-o", "jsonl"])
        .output()
        .unwrap();
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let first: Value =
        serde_json::from_str(String::from_utf8_lossy(&raw.stdout).lines().next().unwrap()).unwrap();
    assert!(first["value"]["base64"].is_string(), "{first}");
    assert!(first.get("schema").is_none());

    let decoded = connectctl()
        .args([
            "dlq",
            "inspect",
            &dlq,
            "--records",
            "-o",
            "jsonl",
            "--schema-registry",
            &registry_url(),
        ])
        .output()
        .unwrap();
    assert!(
        decoded.status.success(),
        "{}",
        String::from_utf8_lossy(&decoded.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(decoded.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0]["value"],
        json!({"id": 1, "item": "item1", "price": "12.50", "note": null})
    );
    assert_eq!(lines[0]["key"], json!("k1"));
    assert_eq!(lines[0]["schema"]["id"], json!(id));
    assert_eq!(
        lines[0]["schema"]["subject"],
        json!(format!("{topic}-value"))
    );
    assert_eq!(lines[0]["schema"]["version"], json!(1));
    assert_eq!(lines[0]["stage"], json!("VALUE_CONVERTER"));

    // The one-record view says where the schema is registered.
    let show = connectctl()
        .args([
            "dlq",
            "inspect",
            &dlq,
            "--show",
            "0:1",
            "--schema-registry",
            &registry_url(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains(&format!(
            "Value schema: Avro, id {id}, subject {topic}-value, version 1"
        )),
        "{text}"
    );
    assert!(text.contains("\"item\": \"item2\""), "{text}");

    // Replay with a fix: the value is decoded, fixed as JSON, re-encoded with schema `id`.
    let dry = connectctl()
        .args([
            "dlq",
            "replay",
            &dlq,
            "--to",
            &fixed_topic,
            "--fix",
            "set value.note=\"checked\"",
            "--schema-registry",
            &registry_url(),
            "--dry-run",
            "--preview",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    // The preview shows the Avro value as JSON, before and after the fix.
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(
        plan.contains(&format!(
            r#"{{"id":1,"item":"item1","price":"12.50","note":null}} (Avro, schema id {id})"#
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            r#"{{"id":1,"item":"item1","price":"12.50","note":"checked"}} (Avro, schema id {id})"#
        )),
        "{plan}"
    );
    let run = connectctl()
        .args([
            "dlq",
            "replay",
            &dlq,
            "--to",
            &fixed_topic,
            "--fix",
            "set value.note=\"checked\"",
            "--schema-registry",
            &registry_url(),
            "--yes",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["replayed"], 3, "{summary}");

    // The Java converter reads the fixed records.
    let reader = unique("avro-java-reader");
    let out = dir.path().join("fixed.txt");
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": fixed_topic,
        "file": out.to_str().unwrap(),
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "consumer.override.isolation.level": "read_committed",
    });
    apicurio_value_converter(&mut config);
    api.create(&reader, config);
    let text = wait_lines(&out, 3);
    api.delete(&reader);
    assert_eq!(
        text,
        "Struct{id=1,item=item1,price=12.50,note=checked}\n\
         Struct{id=2,item=item2,price=12.50,note=checked}\n\
         Struct{id=3,item=item3,price=12.50,note=checked}\n"
    );

    // --register: the fixed values are encoded with an evolved schema (one more field, with a
    // default), registered under the target topic's value subject first.
    let evolved_topic = unique("avro-orders-evolved");
    create_topic(&evolved_topic, 1);
    let evolved = dir.path().join("evolved.avsc");
    std::fs::write(
        &evolved,
        r#"{"type":"record","name":"Order","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"item","type":"string"},
            {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
            {"name":"note","type":["null","string"],"default":null},
            {"name":"checked_by","type":"string","default":"nobody"}]}"#,
    )
    .unwrap();
    let run = connectctl()
        .args([
            "dlq",
            "replay",
            &dlq,
            "--to",
            &evolved_topic,
            "--fix",
            "set value.checked_by=\"ops\"",
            "--register",
            evolved.to_str().unwrap(),
            "--schema-registry",
            &registry_url(),
            "--group",
            &unique("avro-evolve"),
            "--yes",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["replayed"], 3, "{summary}");
    let (_, version) = registry.latest(&format!("{evolved_topic}-value")).unwrap();
    assert_eq!(version, 1);
    let reader = unique("avro-java-reader");
    let out = dir.path().join("evolved.txt");
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": evolved_topic,
        "file": out.to_str().unwrap(),
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "consumer.override.isolation.level": "read_committed",
    });
    apicurio_value_converter(&mut config);
    api.create(&reader, config);
    let text = wait_lines(&out, 3);
    api.delete(&reader);
    assert_eq!(
        text.lines().next().unwrap_or(""),
        "Struct{id=1,item=item1,price=12.50,checked_by=ops}",
        "{text}"
    );

    // Without a registry --register is a usage error that says what to add.
    let out = connectctl()
        .args([
            "dlq",
            "replay",
            &dlq,
            "--to",
            &evolved_topic,
            "--fix",
            "set value.note=\"x\"",
            "--register",
            evolved.to_str().unwrap(),
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--schema-registry URL"));
}

#[test]
fn an_id_the_registry_lacks_is_shown_as_such() {
    let dlq = unique("avro-unknown-id");
    create_topic(&dlq, 1);
    produce(
        &dlq,
        &[TestRecord::value([0u8, 0x7f, 0xff, 0xff, 0x01, 0x02, 0x03])],
    );
    let out = connectctl()
        .args([
            "dlq",
            "inspect",
            &dlq,
            "--records",
            "-o",
            "jsonl",
            "--schema-registry",
            &registry_url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["schema"]["id"], json!(0x7fffff01u32));
    assert!(
        line["schema"]["error"]
            .as_str()
            .unwrap()
            .contains("error code: 404"),
        "{line}"
    );
    assert!(
        line["value"]["base64"].is_string(),
        "the bytes are kept: {line}"
    );

    // An unreachable registry is named, never a crash.
    let out = connectctl()
        .args([
            "dlq",
            "inspect",
            &dlq,
            "--records",
            "-o",
            "jsonl",
            "--schema-registry",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = line["schema"]["error"].as_str().unwrap();
    assert!(
        error.contains("cannot reach the Schema Registry at http://127.0.0.1:9"),
        "{error}"
    );
}
