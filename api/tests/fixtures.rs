//! Contract tests: every real Apache Kafka Connect response under `fixtures/rest/` decodes into
//! its type and re-encodes to the same JSON (nothing lost, nothing invented).

use std::path::PathBuf;

use connect_api::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/rest")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes `name` as `T` and checks that encoding it again gives the same JSON value.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let text = fixture(name);
    let original: Value = serde_json::from_str(&text).unwrap();
    let typed: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = serde_json::to_value(&typed).unwrap();
    assert_eq!(original, again, "{name} does not round-trip");
    typed
}

#[test]
fn server_info_and_health() {
    let root: ServerInfo = round_trip("root.json");
    assert!(root.version.starts_with("4."), "{}", root.version);
    assert!(!root.kafka_cluster_id.is_empty());
    let health: WorkerStatus = round_trip("health.json");
    assert_eq!(health.status, "healthy");
}

#[test]
fn failed_task_status_keeps_trace_and_version() {
    let status: ConnectorStateInfo = round_trip("status-task-failed.json");
    assert_eq!(status.connector.state, State::Running);
    assert_eq!(status.connector_type, Some(ConnectorType::Sink));
    let task = &status.tasks[0];
    assert_eq!(task.state, State::Failed);
    let trace = task.error_text().unwrap();
    assert!(trace.starts_with("org.apache.kafka.connect.errors.ConnectException"));
    assert!(trace.contains("Caused by: org.apache.kafka.connect.errors.DataException"));
    // Kafka 4.1+ reports the running plugin version; it survives as an extra field.
    assert_eq!(
        task.extra.get("version").and_then(Value::as_str),
        Some("4.3.1")
    );
}

#[test]
fn running_stopped_and_restarting_status() {
    let running: ConnectorStateInfo = round_trip("status-running.json");
    assert!(running.tasks.iter().all(|t| t.state == State::Running));
    assert!(running.connector.trace.is_none());
    let stopped: ConnectorStateInfo = round_trip("status-stopped.json");
    assert_eq!(stopped.connector.state, State::Stopped);
    assert!(stopped.tasks.is_empty());
    let restarting: ConnectorStateInfo = round_trip("restart-only-failed.json");
    assert_eq!(restarting.tasks[0].state, State::Restarting);
    let task: TaskState = round_trip("task-status-failed.json");
    assert_eq!(task.state, State::Failed);
}

#[test]
fn expanded_connector_list() {
    let all: ExpandedConnectors = round_trip("connectors-expand.json");
    assert!(all.len() >= 2);
    for (name, c) in &all {
        assert_eq!(&c.status.as_ref().unwrap().name, name);
        assert_eq!(&c.info.as_ref().unwrap().name, name);
    }
}

#[test]
fn connector_info_config_and_tasks() {
    let created: ConnectorInfo = round_trip("connector-info-created.json");
    assert_eq!(created.connector_type, Some(ConnectorType::Source));
    let info: ConnectorInfo = round_trip("connector-info.json");
    assert_eq!(info.tasks.len(), 1);
    assert_eq!(info.tasks[0].task, 0);
    let config: ConfigMap = round_trip("connector-config.json");
    assert!(config.contains_key("connector.class"));
    let tasks: Vec<TaskInfo> = round_trip("tasks.json");
    assert_eq!(tasks[0].id.task, 0);
    let topics: ConnectorTopics = round_trip("topics.json");
    assert_eq!(topics.values().next().unwrap().topics.len(), 1);
}

#[test]
fn plugins_and_config_definitions() {
    let plugins: Vec<PluginInfo> = round_trip("connector-plugins-all.json");
    let types: std::collections::BTreeSet<&str> =
        plugins.iter().map(|p| p.plugin_type.as_str()).collect();
    for t in ["sink", "source", "converter", "transformation", "predicate"] {
        assert!(types.contains(t), "no {t} plugin in {types:?}");
    }
    let _: Vec<PluginInfo> = round_trip("connector-plugins.json");
    let defs: Vec<ConfigKeyInfo> = round_trip("plugin-config-filestreamsink.json");
    assert!(defs.iter().any(|d| d.name == "file"));
}

#[test]
fn validation_with_errors() {
    let v: ConfigInfos = round_trip("validate-errors.json");
    assert_eq!(
        v.error_count as usize,
        v.errors().map(|(_, e)| e.len()).sum::<usize>()
    );
    let keys: Vec<&str> = v.errors().map(|(k, _)| k).collect();
    assert!(keys.contains(&"tasks.max"), "{keys:?}");
    assert!(keys.contains(&"errors.tolerance"), "{keys:?}");
}

/// Debezium's PostgreSQL connector answers validate with `"value": null` for an internal key;
/// the answer must still be read, and its error found.
#[test]
fn validation_with_a_null_value() {
    let v: ConfigInfos = round_trip("validate-debezium-password.json");
    assert!(v.configs.iter().any(|c| c.value.is_none()));
    let errors: Vec<(&str, &[String])> = v.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "database.hostname");
    assert!(errors[0].1[0].contains("password authentication failed"));
}

#[test]
fn offsets() {
    let source: ConnectorOffsets = round_trip("offsets-source.json");
    assert!(source.offsets[0].partition.contains_key("filename"));
    let sink: ConnectorOffsets = round_trip("offsets-sink.json");
    assert!(sink.offsets.is_empty());
    let altered: Message = round_trip("offsets-altered.json");
    assert!(altered.message.contains("altered successfully"));
}

#[test]
fn loggers() {
    let all: Loggers = round_trip("loggers.json");
    assert!(all.contains_key("root"));
    let _: LoggerLevel = round_trip("logger.json");
    let changed: Vec<String> = round_trip("logger-set-worker.json");
    assert!(
        changed
            .iter()
            .all(|l| l.starts_with("org.apache.kafka.connect.file"))
    );
}

#[test]
fn error_bodies() {
    for (file, code) in [
        ("error-400-invalid-config.json", 400),
        ("error-400-unknown-class.json", 400),
        ("error-400-offsets-not-stopped.json", 400),
        ("error-404-connector.json", 404),
        ("error-404-status.json", 404),
        ("error-404-plugin.json", 404),
        ("error-404-logger-level.json", 404),
        ("error-409-exists.json", 409),
        ("error-500-malformed-json.json", 500),
    ] {
        let e: ErrorMessage = round_trip(file);
        assert_eq!(e.error_code, code, "{file}");
    }
    let e: ErrorMessage = round_trip("error-404-connector.json");
    assert_eq!(e.message, "Connector fx-does-not-exist not found");
}

#[test]
fn unknown_states_and_types_are_kept() {
    let s: ConnectorStateInfo = serde_json::from_str(
        r#"{"name":"c","connector":{"state":"PROVISIONING","worker_id":"c"},
            "tasks":[{"id":0,"state":"USER_ACTIONABLE_ERROR","msg":"bad creds"}],"type":"weird"}"#,
    )
    .unwrap();
    assert_eq!(s.connector.state, State::Other("PROVISIONING".into()));
    assert_eq!(s.tasks[0].error_text(), Some("bad creds"));
    assert_eq!(s.connector_type, Some(ConnectorType::Unknown));
}
