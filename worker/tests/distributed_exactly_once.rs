//! Exactly-once source support (`exactly.once.source.support=enabled`, KIP-618) in a group on
//! the real broker. A FileStream source is killed with SIGKILL in the middle of its file; the
//! worker that takes its task over fences the dead task's producer, resumes from the offsets
//! committed in its last transaction, and a `read_committed` reader of the topic finds every
//! line exactly once. Twice: two connect-workers, and one Apache Kafka Connect 4.3.1 worker
//! with one connect-worker, where each side takes over the other's task.

mod distributed_support;

use std::collections::BTreeSet;
use std::time::Duration;

use connect_testkit::{consume, create_topic, unique};
use distributed_support::{Group, Member, apache_worker, connect_worker, create, running_on};
use serde_json::{Value, json};

const EXACTLY_ONCE: &str = "exactly.once.source.support=enabled\n";

/// Writes `lines` lines to a new file and returns its path.
fn input(group: &Group, name: &str, lines: usize) -> std::path::PathBuf {
    let path = group.path(name);
    let text: String = (0..lines).map(|i| format!("{name}-line-{i}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// A FileStream source with small batches, so that each poll is a transaction and the file
/// takes a while to go through.
fn source(api: &connect_testkit::Connect, name: &str, file: &std::path::Path, topic: &str) {
    create(
        api,
        name,
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
               "file": file, "topic": topic, "tasks.max": "1", "batch.size": "500",
               "exactly.once.support": "required"}),
    );
}

/// The payloads a `read_committed` reader finds in `topic`, once there are at least `lines`;
/// then a further read that must find no more than that (no duplicate).
fn committed_exactly(topic: &str, lines: usize) -> BTreeSet<String> {
    let read = consume(topic, lines, Duration::from_secs(180), true);
    assert_eq!(read.len(), lines, "{topic}: committed records within 180 s");
    let again = consume(topic, lines + 1, Duration::from_secs(5), true);
    assert_eq!(
        again.len(),
        lines,
        "{topic}: records beyond the file's lines"
    );
    let values: BTreeSet<String> = again
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
            v["payload"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(values.len(), lines, "{topic}: duplicated lines");
    values
}

/// Waits until a `read_committed` reader finds `n` records of `topic`: the task is in the
/// middle of its file.
fn under_way(topic: &str, n: usize) {
    let read = consume(topic, n, Duration::from_secs(90), true);
    assert_eq!(read.len(), n, "{topic}: the source never got going");
}

/// The worker running `connector`'s task 0.
fn runner<'a>(
    workers: &'a mut [Member],
    api: &connect_testkit::Connect,
    connector: &str,
) -> &'a mut Member {
    let ids: Vec<String> = workers.iter().map(|w| w.id.clone()).collect();
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (_, tasks) = running_on(api, connector, 1, &all, Duration::from_secs(90));
    workers.iter_mut().find(|w| w.id == tasks[0]).unwrap()
}

fn task_count_record(group: &Group, connector: &str) -> Option<Value> {
    let topic = format!("{}-configs", group.id);
    consume(&topic, usize::MAX, Duration::from_secs(3), true)
        .iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(format!("tasks-fencing-{connector}").as_bytes()))
        .and_then(|r| serde_json::from_slice(r.value.as_deref()?).ok())
}

#[test]
fn a_killed_source_task_resumes_without_duplicates() {
    let group = Group::with("deos", EXACTLY_ONCE);
    let mut workers = vec![connect_worker(&group), connect_worker(&group)];
    let topic = unique("deos-data");
    create_topic(&topic, 3);
    const LINES: usize = 40_000;
    let file = input(&group, "src", LINES);
    source(&workers[0].api(), "src", &file, &topic);
    let api = workers[1].api();
    runner(&mut workers, &api, "src");
    under_way(&topic, 2_000);
    let victim = runner(&mut workers, &api, "src");
    let victim_id = victim.id.clone();
    victim.kill();
    let survivor = workers.iter().find(|w| w.id != victim_id).unwrap();
    running_on(
        &survivor.api(),
        "src",
        1,
        &[survivor.id.as_str()],
        Duration::from_secs(60),
    );
    committed_exactly(&topic, LINES);
    // The leader recorded the task count to fence when the connector's tasks change.
    assert_eq!(
        task_count_record(&group, "src"),
        Some(json!({"task-count": 1}))
    );
    // The internal fencing endpoint takes signed requests only, as Apache's does.
    let (code, body) = survivor.api().call("PUT", "/connectors/src/fence", None);
    assert_eq!(
        (code, body["message"].as_str()),
        (400, Some("Internal request missing required signature")),
        "{body}"
    );
}

#[test]
fn apache_and_connect_worker_take_over_each_others_exactly_once_tasks() {
    let group = Group::with("deosmix", EXACTLY_ONCE);
    let apache = apache_worker(&group, "sessioned");
    let ours = connect_worker(&group);
    let (apache_id, ours_id) = (apache.id.clone(), ours.id.clone());
    let mut workers = vec![apache, ours];
    const LINES: usize = 20_000;
    let topics = [unique("deosmix-a"), unique("deosmix-b")];
    for t in &topics {
        create_topic(t, 3);
    }
    let files = [input(&group, "a", LINES), input(&group, "b", LINES)];
    source(&workers[1].api(), "a", &files[0], &topics[0]);
    source(&workers[0].api(), "b", &files[1], &topics[1]);
    let api = workers[0].api();
    let first = runner(&mut workers, &api, "a").id.clone();
    under_way(&topics[0], 1_000);
    // The first runner of `a` dies; the other side fences it and finishes the file.
    let victim = workers.iter_mut().find(|w| w.id == first).unwrap();
    victim.kill();
    let (survivor_id, survivor_api) = {
        let s = workers.iter().find(|w| w.id != first).unwrap();
        (s.id.clone(), s.api())
    };
    running_on(
        &survivor_api,
        "a",
        1,
        &[survivor_id.as_str()],
        Duration::from_secs(60),
    );
    // A new worker of the dead one's kind joins; then the survivor dies in the middle of `b`,
    // so the other implementation takes `b` over.
    let back = if first == apache_id {
        apache_worker(&group, "sessioned")
    } else {
        connect_worker(&group)
    };
    let back_id = back.id.clone();
    let dead = workers.iter().position(|w| w.id == first).unwrap();
    workers[dead] = back;
    running_on(
        &survivor_api,
        "b",
        1,
        &[survivor_id.as_str(), back_id.as_str()],
        Duration::from_secs(60),
    );
    under_way(&topics[1], 1_000);
    let b_runner = runner(&mut workers, &survivor_api, "b").id.clone();
    let other = workers.iter_mut().find(|w| w.id != b_runner).unwrap();
    let other_api = other.api();
    let other_id = other.id.clone();
    workers
        .iter_mut()
        .find(|w| w.id == b_runner)
        .unwrap()
        .kill();
    running_on(
        &other_api,
        "b",
        1,
        &[other_id.as_str()],
        Duration::from_secs(60),
    );
    running_on(
        &other_api,
        "a",
        1,
        &[other_id.as_str()],
        Duration::from_secs(60),
    );
    committed_exactly(&topics[0], LINES);
    committed_exactly(&topics[1], LINES);
    let _ = ours_id;
    assert_eq!(
        task_count_record(&group, "a"),
        Some(json!({"task-count": 1}))
    );
    assert_eq!(
        task_count_record(&group, "b"),
        Some(json!({"task-count": 1}))
    );
}
