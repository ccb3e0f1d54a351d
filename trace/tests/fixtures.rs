//! Table-driven check of every trace under `fixtures/traces/` against `expected.toml`, plus the
//! rule that every catalog hint is exercised by at least one realistic trace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use connect_trace::{HintContext, analyze, analyze_with, catalog, folded};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    trace: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    exception: String,
    message: String,
    chain: usize,
    frame: Option<String>,
    hint: Option<String>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/traces")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("expected.toml")).unwrap();
    toml::from_str::<Expected>(&text).unwrap().trace
}

fn read(file: &str) -> String {
    std::fs::read_to_string(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_fixture_matches_its_expectation() {
    let mut failures = Vec::new();
    for case in cases() {
        let a = analyze(&read(&case.file));
        let mut problems = Vec::new();
        if a.root_cause.exception != case.exception {
            problems.push(format!("exception {:?}", a.root_cause.exception));
        }
        if !a.root_cause.message.contains(&case.message) {
            problems.push(format!("message {:?}", a.root_cause.message));
        }
        if a.chain.len() != case.chain {
            problems.push(format!("chain length {}", a.chain.len()));
        }
        if a.frame != case.frame {
            problems.push(format!("frame {:?}", a.frame));
        }
        let hint = a.hint.as_ref().map(|h| h.id.clone());
        if hint != case.hint {
            problems.push(format!("hint {hint:?}"));
        }
        if a.chain.last() != Some(&a.root_cause) {
            problems.push("root cause is not the last chain entry".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.file, problems.join(", ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_fixture_file_is_listed_and_there_are_enough() {
    let listed: BTreeSet<String> = cases().into_iter().map(|c| c.file).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    assert_eq!(listed, on_disk);
    assert!(on_disk.len() >= 20);
}

/// The traces `scripts/capture-fixtures` writes from the real Apache Kafka Connect worker: every
/// one is on disk with an expectation, and they alone make a corpus of 20.
#[test]
fn captured_traces_are_all_present() {
    let script = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/capture-fixtures"),
    )
    .unwrap();
    let mut captured = BTreeSet::new();
    for line in script.lines() {
        if let Some(rest) = line.strip_prefix("fail ") {
            captured.insert(format!("apache-{}.txt", rest.split(' ').next().unwrap()));
        }
        if let Some(i) = line.find("\"$traces/apache-") {
            let name = &line[i + "\"$traces/".len()..];
            let name = &name[..name.find('"').unwrap()];
            if !name.contains('$') {
                captured.insert(name.to_owned());
            }
        }
    }
    let listed: BTreeSet<String> = cases().into_iter().map(|c| c.file).collect();
    let missing: Vec<_> = captured.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "captured but not in expected.toml: {missing:?}"
    );
    assert!(
        captured.len() >= 20,
        "only {} captured traces: {captured:?}",
        captured.len()
    );
}

#[test]
fn every_hint_has_a_fixture() {
    let covered: BTreeSet<String> = cases().into_iter().filter_map(|c| c.hint).collect();
    let missing: Vec<_> = catalog()
        .hints()
        .map(|h| h.id.clone())
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "hints without a fixture trace: {missing:?}"
    );
    let unknown: Vec<_> = covered
        .iter()
        .filter(|id| !catalog().hints().any(|h| &h.id == *id))
        .collect();
    assert!(
        unknown.is_empty(),
        "expected.toml names unknown hints: {unknown:?}"
    );
}

#[test]
fn suppressed_exceptions_are_reported_but_never_the_root_cause() {
    let a = analyze(&read("confluent-jdbc-sink-postgres-duplicate-key.txt"));
    let suppressed: Vec<_> = a.suppressed.iter().map(|c| c.exception.as_str()).collect();
    assert_eq!(
        suppressed,
        ["java.sql.SQLException", "java.net.SocketException"]
    );
    assert_eq!(a.suppressed[0].message, "Connection is closed");
    assert_eq!(a.root_cause.exception, "java.sql.SQLException");
    assert!(
        a.root_cause
            .message
            .starts_with("Exception chain:\njava.sql.BatchUpdateException:")
    );
}

#[test]
fn real_json_converter_trace_gives_the_documented_root_cause_object() {
    let mut config = BTreeMap::new();
    config.insert(
        "errors.deadletterqueue.topic.name".to_string(),
        "dlq-orders".to_string(),
    );
    let trace = read("apache-jsonconverter-schemas-enable-plain-json.txt");
    let rc = connect_trace::root_cause(
        &trace,
        &HintContext::new("orders-sink").with_config(&config),
    );
    let v = serde_json::to_value(&rc).unwrap();
    assert_eq!(
        v["exception"],
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(
        v["chain"][0]["exception"],
        "org.apache.kafka.connect.errors.ConnectException"
    );
    assert_eq!(
        v["chain"][0]["message"],
        "Tolerance exceeded in error handler"
    );
    assert_eq!(
        v["frame"],
        "org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)"
    );
    assert_eq!(v["hint"]["id"], "json-schemas-enable-plain-json");
    let fix = v["hint"]["fix"].as_str().unwrap();
    assert!(
        fix.contains("value.converter.schemas.enable=false"),
        "{fix}"
    );
    assert!(
        fix.contains("connectctl dlq replay --connector orders-sink --fix wrap-schema"),
        "{fix}"
    );
}

#[test]
fn tolerance_hint_names_the_dlq_command_and_topic() {
    let trace = read("custom-smt-npe-tolerance-exceeded.txt");
    let mut config = BTreeMap::new();
    let no_dlq = analyze_with(
        &trace,
        &HintContext::new("orders-sink").with_config(&config),
    );
    let fix = no_dlq.hint.unwrap().fix;
    assert!(fix.contains("errors.deadletterqueue.topic.name"), "{fix}");

    config.insert(
        "errors.deadletterqueue.topic.name".to_string(),
        "dlq-orders".to_string(),
    );
    let with_dlq = analyze_with(
        &trace,
        &HintContext::new("orders-sink").with_config(&config),
    );
    let fix = with_dlq.hint.unwrap().fix;
    assert!(
        fix.contains("connectctl dlq inspect --connector orders-sink"),
        "{fix}"
    );
    assert!(fix.contains("dlq-orders"), "{fix}");

    let unknown = analyze(&trace).hint.unwrap().fix;
    assert!(
        unknown.contains("connectctl dlq inspect --connector <connector>"),
        "{unknown}"
    );
}

#[test]
fn folding_keeps_causes_and_user_frames() {
    let trace = read("apache-jsonconverter-schemas-enable-plain-json.txt");
    let f = folded(&trace);
    assert!(f.lines().count() < trace.lines().count() / 2, "{f}");
    assert!(f.contains("Caused by: org.apache.kafka.connect.errors.DataException"));
    assert!(f.contains(
        "\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)\n"
    ));
    assert!(f.contains("\t... 15 runtime frames\n"), "{f}");
    assert!(f.ends_with("\t... 14 more\n"));
    // Folding never changes what the analysis finds.
    let (a, b) = (analyze(&trace), analyze(&f));
    assert_eq!((a.chain, a.frame, a.hint), (b.chain, b.frame, b.hint));
}

#[test]
fn registry_hints_name_the_subject_and_the_config_key() {
    let incompatible = analyze(&read("apicurio-converter-incompatible-schema.txt"));
    let hint = incompatible.hint.unwrap();
    assert_eq!(hint.id, "schema-registry-incompatible");
    assert!(
        hint.summary.contains("subject hintinc-16158-value"),
        "{}",
        hint.summary
    );
    assert!(
        hint.fix.contains("PUT /config/hintinc-16158-value"),
        "{}",
        hint.fix
    );
    assert!(
        hint.fix
            .contains("value.converter.auto.register.schemas=false"),
        "{}",
        hint.fix
    );

    let missing = analyze(&read("confluent-schema-registry-subject-not-found.txt"));
    let hint = missing.hint.unwrap();
    assert!(hint.fix.contains("under `orders-value`"), "{}", hint.fix);
    assert!(
        hint.fix.contains("value.converter.schema.registry.url"),
        "{}",
        hint.fix
    );

    // A plain "Connection refused" is the registry's only when a wrapping cause says so.
    let unreachable = analyze(&read("confluent-schema-registry-unreachable.txt"));
    let hint = unreachable.hint.unwrap();
    assert_eq!(hint.id, "schema-registry-unreachable");
    assert!(hint.transient);
    assert!(
        hint.fix.contains("value.converter.schema.registry.url"),
        "{}",
        hint.fix
    );
    let elsewhere = analyze(
        "org.apache.kafka.connect.errors.ConnectException: java.net.ConnectException: Connection refused\n\
         Caused by: java.net.ConnectException: Connection refused\n",
    );
    assert_eq!(elsewhere.hint.unwrap().id, "connection-refused");

    // connect-worker's own message for an unreachable registry.
    let worker = analyze(
        "org.apache.kafka.connect.errors.DataException: Failed to deserialize data for topic t to Avro: \n\
         Caused by: org.apache.kafka.common.errors.SerializationException: Error retrieving Avro value schema for id 3\n\
         Caused by: org.apache.kafka.common.errors.SerializationException: cannot reach the Schema Registry at http://127.0.0.1:9: error sending request (check schema.registry.url and that the registry runs)\n",
    );
    assert_eq!(worker.hint.unwrap().id, "schema-registry-unreachable");
}
