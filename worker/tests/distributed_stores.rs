//! The config, status and offsets stores of distributed mode read and write the internal topics
//! of the environment's Apache Kafka Connect worker (a distributed worker: group
//! `connectctl-test-cluster`, topics `_connect-configs`, `_connect-status`, `_connect-offsets`),
//! in both directions: what Apache writes, the stores read with equal content; what the stores
//! write, Apache serves.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicI32;
use std::time::{Duration, Instant};

use connect_testkit::{Connect, env, unique};
use connect_worker::distributed::config::TopicSpec;
use connect_worker::distributed::config_store::KafkaConfigStore;
use connect_worker::distributed::offset_store::KafkaOffsetStore;
use connect_worker::distributed::status_store::KafkaStatusStore;
use connect_worker::runtime::kafka::KafkaSettings;
use connect_worker::runtime::store::{
    ConfigStore, OffsetStore, StatusStore, StoredConnector, TargetState,
};
use serde_json::{Value, json};

fn settings() -> KafkaSettings {
    let mut raw = BTreeMap::new();
    raw.insert(
        "bootstrap.servers".to_owned(),
        env().bootstrap_servers.clone(),
    );
    KafkaSettings::from_worker(&raw)
}

fn spec(name: &str, partitions: i32) -> TopicSpec {
    TopicSpec {
        name: name.to_owned(),
        partitions,
        replication_factor: 1,
    }
}

fn config_store() -> KafkaConfigStore {
    KafkaConfigStore::open(
        &settings(),
        &spec("_connect-configs", 1),
        None,
        Duration::from_secs(30),
    )
    .unwrap()
}

fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_connector_created_on_apache_reads_back_equal_from_its_topics() {
    let apache = Connect::new();
    let name = unique("dstore-apache");
    let topic = unique("dstore-topic");
    apache.create(
        &name,
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": "/dev/null", "topics": topic, "tasks.max": "2"}),
    );
    let running = apache.wait_for(
        &name,
        Duration::from_secs(60),
        "RUNNING with 2 tasks",
        |s| {
            s.connector.state == connect_api::State::Running
                && s.tasks.len() == 2
                && s.tasks
                    .iter()
                    .all(|t| t.state == connect_api::State::Running)
        },
    );
    let (_, config) = apache.call("GET", &format!("/connectors/{name}/config"), None);
    let (_, tasks) = apache.call("GET", &format!("/connectors/{name}/tasks"), None);

    let store = config_store();
    let stored = eventually("the connector in the config topic", || {
        store.get(&name).filter(|s| s.task_configs.len() == 2)
    });
    assert_eq!(stored.config, string_map(&config));
    assert_eq!(stored.target, TargetState::Started);
    for (i, t) in tasks.as_array().unwrap().iter().enumerate() {
        assert_eq!(stored.task_configs[i], string_map(&t["config"]), "task {i}");
    }
    assert!(store.offset() > 0);

    let statuses = KafkaStatusStore::open(
        &settings(),
        &spec("_connect-status", 5),
        Arc::new(AtomicI32::new(0)),
    )
    .unwrap();
    let c = eventually("the connector's status", || statuses.connector(&name));
    assert_eq!(c.state, connect_api::State::Running);
    assert_eq!(c.worker_id, running.connector.worker_id);
    let t = statuses.tasks(&name);
    assert_eq!(t.len(), 2);
    assert!(t.values().all(|s| s.state == connect_api::State::Running));

    // A target state change by Apache (PAUSED) is read as Apache wrote it.
    let (code, _) = apache.call("PUT", &format!("/connectors/{name}/pause"), None);
    assert_eq!(code, 202);
    eventually("PAUSED in the config topic", || {
        (store.get(&name)?.target == TargetState::Paused).then_some(())
    });
    eventually("PAUSED in the status topic", || {
        (statuses.connector(&name)?.state == connect_api::State::Paused).then_some(())
    });

    apache.delete(&name);
    eventually("the deletion in the config topic", || {
        store.get(&name).is_none().then_some(())
    });
    eventually("the status tombstone", || {
        statuses.connector(&name).is_none().then_some(())
    });
}

#[test]
fn a_connector_written_to_the_config_topic_runs_on_apache() {
    let apache = Connect::new();
    let name = unique("dstore-ours");
    let topic = unique("dstore-topic");
    let config: BTreeMap<String, String> = [
        (
            "connector.class",
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
        ),
        ("file", "/dev/null"),
        ("topics", topic.as_str()),
        ("tasks.max", "1"),
        ("name", name.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let store = config_store();
    store.put(
        &name,
        StoredConnector {
            config: config.clone(),
            target: TargetState::Started,
            task_configs: Vec::new(),
        },
    );
    assert!(store.get(&name).is_some(), "read back after the write");
    let status = apache.wait_for(&name, Duration::from_secs(60), "RUNNING", |s| {
        s.connector.state == connect_api::State::Running
            && s.tasks.len() == 1
            && s.tasks[0].state == connect_api::State::Running
    });
    assert_eq!(status.name, name);
    let (_, served) = apache.call("GET", &format!("/connectors/{name}/config"), None);
    assert_eq!(string_map(&served), config);

    // STOPPED written as Apache writes it ("state" PAUSED for old workers, "state.v2" STOPPED).
    let mut stopped = store.get(&name).unwrap();
    stopped.target = TargetState::Stopped;
    store.put(&name, stopped);
    apache.wait_for(&name, Duration::from_secs(60), "STOPPED", |s| {
        s.connector.state == connect_api::State::Stopped
    });

    store.remove(&name);
    eventually("Apache to forget the connector", || {
        let (code, _) = apache.call("GET", &format!("/connectors/{name}"), None);
        (code == 404).then_some(())
    });
}

#[test]
fn source_offsets_are_shared_with_apache_in_both_directions() {
    let apache = Connect::new();
    let name = unique("dstore-offsets");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nbb\nccc\n").unwrap();
    apache.create(
        &name,
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
               "file": input, "topic": unique("dstore-src"), "tasks.max": "1"}),
    );
    let offsets = KafkaOffsetStore::open(&settings(), &spec("_connect-offsets", 5)).unwrap();
    let partition = json!({"filename": input}).as_object().cloned().unwrap();
    // Apache commits the source offset (position after the three lines, in bytes).
    let got = eventually("Apache's committed offset", || {
        offsets
            .get(&name, &partition)
            .filter(|o| o.get("position") == Some(&json!(9)))
    });
    assert_eq!(got.get("position"), Some(&json!(9)));
    let (_, served) = apache.call("GET", &format!("/connectors/{name}/offsets"), None);
    assert_eq!(served["offsets"][0]["offset"]["position"], json!(9));

    // An offset this store writes is what Apache serves for the stopped connector.
    let (code, _) = apache.call("PUT", &format!("/connectors/{name}/stop"), None);
    assert_eq!(code, 204);
    apache.wait_for(&name, Duration::from_secs(60), "STOPPED", |s| {
        s.connector.state == connect_api::State::Stopped
    });
    let offset = json!({"position": 4}).as_object().cloned().unwrap();
    offsets
        .put(&name, &[(partition.clone(), Some(offset))])
        .unwrap();
    eventually("Apache to serve the offset written here", || {
        let (_, served) = apache.call("GET", &format!("/connectors/{name}/offsets"), None);
        (served["offsets"][0]["offset"]["position"] == json!(4)).then_some(())
    });
    apache.delete(&name);
}
