//! What a connector observes of its lifecycle, through the real herder and the Kafka runtime
//! against the test environment's broker, with the recording connectors of
//! [`crate::connectors::testing`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::{ConfigMap, State};
use connect_testkit::{TestRecord, create_topic, env, produce, unique};

use super::herder::Herder;
use super::metrics::Metrics;
use super::store::{FileOffsetStore, MemoryConfigStore, MemoryStatusStore, StatusStore};
use super::worker::{KafkaRuntime, RuntimeSettings};
use crate::connectors::testing::{self, SINK_CLASS, SOURCE_CLASS};
use crate::error::ConnectError;
use crate::validation::WorkerDefaults;

fn herder() -> Herder {
    let raw: BTreeMap<String, String> = [
        ("bootstrap.servers", env().bootstrap_servers.as_str()),
        ("offset.flush.interval.ms", "300"),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let statuses: Arc<dyn StatusStore> = Arc::new(MemoryStatusStore::default());
    let offsets = Arc::new(FileOffsetStore::in_memory());
    let runtime = Arc::new(KafkaRuntime::new(
        RuntimeSettings::from_worker(&raw),
        statuses.clone(),
        offsets.clone(),
        "w:1".into(),
        Arc::new(Metrics::default()),
    ));
    Herder::new(
        Arc::new(MemoryConfigStore::default()),
        statuses,
        offsets,
        runtime,
        "w:1".into(),
        WorkerDefaults::default(),
    )
}

fn config(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn position(events: &[String], e: &str) -> usize {
    events
        .iter()
        .position(|x| x == e)
        .unwrap_or_else(|| panic!("{e} not in {events:#?}"))
}

/// A source task hears `commit_record` for each record once Kafka has it (in order, with its
/// Kafka offset; a filtered record without one), `commit` only after those records' offsets
/// are in the offset store, and `stop` before the connector's `stop`.
#[test]
fn source_task_hears_commit_record_then_commit_after_offsets_are_durable() {
    let h = herder();
    let name = unique("hooks-src");
    let topic = unique("hooks-src");
    create_topic(&topic, 1);
    h.put_connector(
        &name,
        config(&[
            ("connector.class", SOURCE_CLASS),
            ("topic", &topic),
            ("records", "5"),
            ("null.at", "2"),
            ("tables", "a"),
            ("transforms", "f"),
            ("transforms.f.type", "Filter"),
            ("transforms.f.predicate", "nulls"),
            ("predicates", "nulls"),
            ("predicates.nulls.type", "RecordIsTombstone"),
        ]),
        false,
        None,
    )
    .unwrap();
    wait_until(
        "the offsets of all five records to be durable and committed",
        || {
            let durable = h.offsets().all(&name).iter().any(|(_, o)| o["n"] == 4);
            durable
                && testing::events(&name)
                    .iter()
                    .rev()
                    .any(|e| e == "task.commit")
        },
    );
    let events = testing::events(&name);
    // Acknowledged records in the order Kafka took them; the filtered one at once, without
    // metadata (as Apache does, possibly before earlier records are acknowledged).
    let acked: Vec<&String> = events
        .iter()
        .filter(|e| e.starts_with("task.commit_record") && !e.ends_with("at=none"))
        .collect();
    assert_eq!(
        acked,
        [
            "task.commit_record n=0 at=0",
            "task.commit_record n=1 at=1",
            "task.commit_record n=3 at=2",
            "task.commit_record n=4 at=3",
        ],
        "{events:#?}"
    );
    let filtered: Vec<&String> = events.iter().filter(|e| e.ends_with("at=none")).collect();
    assert_eq!(filtered, ["task.commit_record n=2 at=none"]);
    let last_record = position(&events, "task.commit_record n=4 at=3");
    assert!(
        events[last_record..].iter().any(|e| e == "task.commit"),
        "commit follows the last acknowledged record: {events:#?}"
    );
    assert!(position(&events, "connector.start") < position(&events, "task.start a"));
    h.delete_connector(&name).unwrap();
    let events = testing::events(&name);
    assert!(
        position(&events, "task.stop a") < position(&events, "connector.stop"),
        "{events:#?}"
    );
}

/// A sink task is opened with its partitions before the first `put`, its `pre_commit` answer
/// is what gets committed (not the consumed position), and on delete it is closed with its
/// partitions, after their offsets were committed, then stopped.
#[test]
fn sink_task_is_opened_committed_through_pre_commit_and_closed() {
    let h = herder();
    let name = unique("hooks-sink");
    let topic = unique("hooks-sink");
    create_topic(&topic, 1);
    let records: Vec<TestRecord> = (0..5).map(|i| TestRecord::value(format!("v{i}"))).collect();
    produce(&topic, &records);
    h.put_connector(
        &name,
        config(&[
            ("connector.class", SINK_CLASS),
            ("topics", &topic),
            ("commit.upto", "3"),
        ]),
        false,
        None,
    )
    .unwrap();
    wait_until("five records put and a pre_commit", || {
        let e = testing::events(&name);
        e.iter().any(|e| e == "task.put 4") && e.iter().any(|e| e.starts_with("task.pre_commit"))
    });
    let events = testing::events(&name);
    let open = position(&events, &format!("task.open {topic}-0"));
    assert!(position(&events, "task.start") < open);
    assert!(open < position(&events, "task.put 0"), "{events:#?}");
    assert!(
        events.contains(&format!("task.pre_commit {topic}-0=5")),
        "pre_commit gets the next offset to read: {events:#?}"
    );
    wait_until("the pre_commit answer committed", || {
        let offsets = h.connector_offsets(&name).unwrap().offsets;
        offsets
            .first()
            .and_then(|o| o.offset.as_ref())
            .is_some_and(|o| o["kafka_offset"] == 3)
    });
    // Never beyond what pre_commit answered, however often it is asked.
    std::thread::sleep(Duration::from_millis(800));
    let offsets = h.connector_offsets(&name).unwrap().offsets;
    assert_eq!(offsets[0].offset.as_ref().unwrap()["kafka_offset"], 3);
    h.delete_connector(&name).unwrap();
    let events = testing::events(&name);
    let close = position(&events, &format!("task.close {topic}-0"));
    assert!(close < position(&events, "task.stop"), "{events:#?}");
    assert!(
        events[..close]
            .iter()
            .rev()
            .any(|e| e.starts_with("task.pre_commit")),
        "offsets are committed before close: {events:#?}"
    );
    assert!(position(&events, "task.stop") < position(&events, "connector.stop"));
}

/// `request_task_reconfiguration` from the connector: new task configs restart the tasks with
/// them; unchanged ones leave the tasks running. `raise_error` makes the connector FAILED with
/// the error.
#[test]
fn connector_context_reconfigures_tasks_and_raises_errors() {
    let h = herder();
    let name = unique("hooks-reconf");
    let topic = unique("hooks-reconf");
    create_topic(&topic, 1);
    testing::set_tables(&name, &["a"]);
    h.put_connector(
        &name,
        config(&[
            ("connector.class", SOURCE_CLASS),
            ("topic", &topic),
            ("tasks.max", "3"),
        ]),
        false,
        None,
    )
    .unwrap();
    wait_until("task a started", || {
        testing::events(&name).contains(&"task.start a".to_owned())
    });
    let ctx = testing::context(&name).unwrap();
    // Unchanged configs: nothing restarts.
    ctx.request_task_reconfiguration();
    wait_until("task configs asked again", || {
        testing::events(&name)
            .iter()
            .filter(|e| e.starts_with("connector.task_configs"))
            .count()
            == 2
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!testing::events(&name).contains(&"task.stop a".to_owned()));

    testing::set_tables(&name, &["a", "b"]);
    ctx.request_task_reconfiguration();
    wait_until("two tasks", || h.tasks(&name).unwrap().len() == 2);
    wait_until("task b started", || {
        testing::events(&name).contains(&"task.start b".to_owned())
    });
    let events = testing::events(&name);
    let tables: Vec<String> = h
        .tasks(&name)
        .unwrap()
        .iter()
        .map(|t| t.config["table"].clone())
        .collect();
    assert_eq!(tables, ["a", "b"]);
    assert_eq!(
        h.tasks(&name).unwrap()[1].config["task.class"],
        testing::SOURCE_TASK_CLASS
    );
    assert!(
        position(&events, "task.stop a") < position(&events, "task.start b"),
        "{events:#?}"
    );
    assert_eq!(
        events.iter().filter(|e| *e == "task.start a").count(),
        2,
        "task a restarted with the new generation: {events:#?}"
    );

    ctx.raise_error(ConnectError::connect("the source database went away"));
    wait_until("the connector FAILED", || {
        h.status(&name).unwrap().connector.state == State::Failed
    });
    let trace = h.status(&name).unwrap().connector.trace.unwrap();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: the source database went away"
        ),
        "{trace}"
    );
    h.delete_connector(&name).unwrap();
    // A context of a deleted connector changes nothing.
    ctx.raise_error(ConnectError::connect("late"));
    ctx.request_task_reconfiguration();
    std::thread::sleep(Duration::from_millis(200));
    assert!(h.status(&name).is_err());
}

/// `Connector::validate` adds its errors to those of the config definition, on an unstarted
/// instance, and a create with such an error is refused.
#[test]
fn connector_validate_adds_errors() {
    let h = herder();
    let name = unique("hooks-validate");
    let bad = config(&[
        ("connector.class", SOURCE_CLASS),
        ("name", &name),
        ("mode", "bad"),
    ]);
    let infos = h.validate(&bad).unwrap();
    let mode = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .find(|v| v.name == "mode")
        .unwrap();
    assert_eq!(mode.errors, ["mode 'bad' cannot be used with these tables"]);
    assert_eq!(infos.error_count, 1);
    let err = h.put_connector(&name, bad, false, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("mode 'bad' cannot be used with these tables"),
        "{err}"
    );
    assert!(
        testing::events(&name).is_empty(),
        "validate never starts it"
    );
}

/// Concurrent `PATCH /connectors/{c}/config` requests with distinct keys: every key lands.
#[test]
fn concurrent_patches_all_land() {
    let h = Arc::new(herder());
    let name = unique("hooks-patch");
    h.put_connector(
        &name,
        config(&[
            ("connector.class", SINK_CLASS),
            ("topics", &unique("patch")),
        ]),
        false,
        None,
    )
    .unwrap();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let h = h.clone();
            let name = name.clone();
            std::thread::spawn(move || {
                let patch = [(format!("k{i}"), Some(format!("v{i}")))].into();
                h.patch_connector(&name, patch).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let config = h.connector_config(&name).unwrap();
    for i in 0..16 {
        assert_eq!(
            config.get(&format!("k{i}")).map(String::as_str),
            Some(format!("v{i}").as_str()),
            "k{i} was lost"
        );
    }
    h.delete_connector(&name).unwrap();
}
