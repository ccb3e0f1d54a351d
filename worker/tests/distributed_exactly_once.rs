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

/// Appends lines to a file from a thread of its own, ~2,000 a second, until stopped: a source
/// tailing it is always in the middle of its input when a worker is killed.
struct Appender {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Appender {
    fn start(path: std::path::PathBuf, name: &'static str) -> Appender {
        std::fs::write(&path, "").unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let chunk: String =
                        (n..n + 100).map(|i| format!("{name}-line-{i}\n")).collect();
                    f.write_all(chunk.as_bytes()).unwrap();
                    n += 100;
                    std::thread::sleep(Duration::from_millis(50));
                }
                n
            })
        };
        Appender {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops appending; returns how many lines the file has.
    fn finish(mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// A FileStream source with small batches, so that each poll is a transaction and the file
/// takes a while to go through.
fn source(
    api: &connect_testkit::Connect,
    name: &str,
    file: &std::path::Path,
    topic: &str,
    batch: usize,
    extra: Value,
) {
    let mut config = json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
           "file": file, "topic": topic, "tasks.max": "1", "batch.size": batch.to_string(),
           "exactly.once.support": "required"});
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    create(api, name, config);
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

/// How many records a `read_committed` reader finds in `topic` now.
fn committed(topic: &str) -> usize {
    consume(topic, usize::MAX, Duration::from_secs(2), true).len()
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

/// Waits until `connector`'s task runs on the worker `id` (the one left after a kill).
fn runs_alone(api: &connect_testkit::Connect, id: &str, connector: &str) {
    running_on(api, connector, 1, &[id], Duration::from_secs(60));
}

/// Lets the task carry on with the growing file, stops the file growing, and checks that
/// every line was committed exactly once; returns the file's line count.
fn finish_exactly(topic: &str, appender: Appender) -> usize {
    under_way(topic, committed(topic) + 2_000);
    let lines = appender.finish();
    committed_exactly(topic, lines);
    lines
}

fn task_count_record(group: &Group, connector: &str) -> Option<Value> {
    let topic = format!("{}-configs", group.id);
    consume(&topic, usize::MAX, Duration::from_secs(3), true)
        .iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(format!("tasks-fencing-{connector}").as_bytes()))
        .and_then(|r| serde_json::from_slice(r.value.as_deref()?).ok())
}

/// The signature headers of an internal request with an empty body, signed with the group's
/// current session key (read from the config topic, as a worker reads it).
fn signed_empty_body(group: &Group) -> [(&'static str, String); 2] {
    use base64::Engine as _;
    let topic = format!("{}-configs", group.id);
    let record = consume(&topic, usize::MAX, Duration::from_secs(3), true)
        .into_iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(b"session-key"))
        .expect("a session key in the config topic");
    let v: Value = serde_json::from_slice(record.value.as_deref().unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(v["key"].as_str().unwrap()).unwrap();
    let algorithm = v["algorithm"].as_str().unwrap().to_owned();
    let mac = connect_worker::distributed::signature::sign(&algorithm, &key, b"").unwrap();
    [
        ("X-Connect-Authorization", b64.encode(mac)),
        ("X-Connect-Request-Signature-Algorithm", algorithm),
    ]
}

#[test]
fn a_killed_source_task_resumes_without_duplicates() {
    let group = Group::with("deos", EXACTLY_ONCE);
    let mut workers = vec![connect_worker(&group), connect_worker(&group)];
    let topic = unique("deos-data");
    create_topic(&topic, 3);
    let file = group.path("src");
    let appender = Appender::start(file.clone(), "src");
    source(&workers[0].api(), "src", &file, &topic, 500, json!({}));
    let api = workers[1].api();
    runner(&mut workers, &api, "src");
    under_way(&topic, 2_000);
    let victim = runner(&mut workers, &api, "src");
    let victim_id = victim.id.clone();
    victim.kill();
    let survivor = workers.iter().find(|w| w.id != victim_id).unwrap();
    runs_alone(&survivor.api(), &survivor.id, "src");
    let lines = finish_exactly(&topic, appender);
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

    // Offsets altered through a worker that joined since, with the connector stopped: the
    // leader fences and writes them in a transaction; every worker reads them; resumed, the
    // source reads the file again from the start, each line once more.
    let survivor_api = survivor.api();
    let back = connect_worker(&group);
    let (code, body) = back.api().call("PUT", "/connectors/src/stop", None);
    assert_eq!(code, 204, "{body}");
    let stopped = |api: &connect_testkit::Connect| {
        api.status("src")
            .is_some_and(|s| s.connector.state == connect_api::State::Stopped && s.tasks.is_empty())
    };
    distributed_support::eventually("src stopped", Duration::from_secs(60), || {
        stopped(&survivor_api).then_some(())
    });
    let partition = json!({"filename": file});
    let offsets =
        |api: &connect_testkit::Connect| api.call("GET", "/connectors/src/offsets", None).1;
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(
        offsets(&back.api()),
        json!({"offsets": [{"partition": partition, "offset": {"position": size}}]})
    );
    let (code, body) = back.api().call(
        "PATCH",
        "/connectors/src/offsets",
        Some(&json!({"offsets": [{"partition": partition, "offset": {"position": 0}}]})),
    );
    assert_eq!(
        (code, body["message"].as_str()),
        (
            200,
            Some("The offsets for this connector have been altered successfully")
        ),
        "{body}"
    );
    for api in [back.api(), survivor.api()] {
        distributed_support::eventually(
            "the altered offset on every worker",
            Duration::from_secs(30),
            || {
                (offsets(&api)
                    == json!({"offsets": [{"partition": partition, "offset": {"position": 0}}]}))
                .then_some(())
            },
        );
    }
    let (code, body) = back.api().call("PUT", "/connectors/src/resume", None);
    assert_eq!(code, 202, "{body}");
    let twice = consume(&topic, 2 * lines, Duration::from_secs(120), true);
    assert_eq!(twice.len(), 2 * lines, "every line again");
    let twice = consume(&topic, 2 * lines + 1, Duration::from_secs(5), true);
    assert_eq!(twice.len(), 2 * lines, "every line again, once");
}

/// Apache's worker and ours in one exactly-once group: the first to run the task is killed in
/// the middle of the file and the other implementation takes it over (fencing the dead task's
/// producer, reading the offsets it committed); a worker of the killed kind joins (the
/// cooperative rebalance may hand the task over to it, stopping it cleanly on the survivor);
/// then whichever worker runs the task is killed too, and the other finishes the file.
#[test]
fn apache_and_connect_worker_take_over_each_others_exactly_once_tasks() {
    let group = Group::with("deosmix", EXACTLY_ONCE);
    let mut workers = vec![apache_worker(&group, "sessioned"), connect_worker(&group)];
    let mut apache_ids = vec![workers[0].id.clone()];
    let topic = unique("deosmix-data");
    create_topic(&topic, 3);
    let api = workers[0].api();
    // The internal fencing endpoint answers the same on both sides, whichever is the leader.
    create(
        &api,
        "sink",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": group.path("sink.txt"), "topics": topic, "tasks.max": "1"}),
    );
    let fence = |path: &str, signed: bool, expected: (u16, Option<&str>)| {
        let headers = signed_empty_body(&group);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(h, v)| (*h, v.as_str())).collect();
        let h: &[(&str, &str)] = if signed { &headers } else { &[] };
        let answers: Vec<(u16, Value)> = workers
            .iter()
            .map(|w| w.api().call_with_headers("PUT", path, None, h))
            .collect();
        for (code, body) in &answers {
            assert_eq!(
                (*code, body["message"].as_str()),
                expected,
                "PUT {path}: {body}"
            );
        }
        assert_eq!(
            answers[0], answers[1],
            "PUT {path}: Apache's and ours differ"
        );
    };
    fence(
        "/connectors/nope/fence",
        true,
        (404, Some("Connector nope not found")),
    );
    fence(
        "/connectors/sink/fence",
        true,
        (400, Some("Connector sink is not a source connector")),
    );
    // Validation of the exactly-once keys, as a distributed worker with it enabled does it.
    for (extra, errors) in [
        (json!({"file": "", "exactly.once.support": "required"}), 1),
        (
            json!({"file": "/tmp/in.txt", "exactly.once.support": "REQUIRED",
                   "transaction.boundary": "connector"}),
            1,
        ),
        (
            json!({"file": "/tmp/in.txt", "exactly.once.support": "sometimes",
                   "transaction.boundary": "never"}),
            2,
        ),
    ] {
        let mut config = json!({"connector.class": "FileStreamSource", "name": "v", "topic": "t"});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let picked: Vec<Value> = workers
            .iter()
            .map(|w| {
                let (code, body) = w.api().call(
                    "PUT",
                    "/connector-plugins/FileStreamSource/config/validate",
                    Some(&config),
                );
                assert_eq!(code, 200, "{body}");
                let keys: Vec<Value> = body["configs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| {
                        matches!(
                            c["value"]["name"].as_str(),
                            Some("exactly.once.support" | "transaction.boundary")
                        )
                    })
                    .map(|c| c["value"].clone())
                    .collect();
                json!({"error_count": body["error_count"], "keys": keys})
            })
            .collect();
        assert_eq!(
            picked[0], picked[1],
            "validate {config}: Apache's and ours differ"
        );
        assert_eq!(picked[0]["error_count"], errors, "{}", picked[0]);
    }
    let file = group.path("a");
    let appender = Appender::start(file.clone(), "a");
    // The connector keeps its offsets in a topic of its own, which both sides must use.
    let own_offsets = format!("{}-a-offsets", group.id);
    source(
        &workers[1].api(),
        "a",
        &file,
        &topic,
        500,
        json!({"offsets.storage.topic": own_offsets}),
    );
    fence("/connectors/a/fence", true, (204, None));
    fence(
        "/connectors/a/fence",
        false,
        (400, Some("Internal request missing required signature")),
    );
    let first = runner(&mut workers, &api, "a").id.clone();
    under_way(&topic, 1_000);
    let dead = workers.iter().position(|w| w.id == first).unwrap();
    workers[dead].kill();
    let survivor = workers.iter().find(|w| w.id != first).unwrap();
    let survivor_api = survivor.api();
    let survivor_id = survivor.id.clone();
    runs_alone(&survivor_api, &survivor_id, "a");
    under_way(&topic, 6_000);
    workers[dead] = if apache_ids.contains(&first) {
        let w = apache_worker(&group, "sessioned");
        apache_ids.push(w.id.clone());
        w
    } else {
        connect_worker(&group)
    };
    // Let the rebalance that the new worker brings settle before the second kill.
    std::thread::sleep(Duration::from_secs(5));
    let second = runner(&mut workers, &survivor_api, "a").id.clone();
    let victim = workers.iter().position(|w| w.id == second).unwrap();
    workers[victim].kill();
    let last = &workers[1 - victim];
    let kind = |id: &str| {
        if apache_ids.iter().any(|a| a == id) {
            "Apache"
        } else {
            "connect-worker"
        }
    };
    eprintln!(
        "task a-0 ran on {} (killed), then {}, then {} (killed), then {}",
        kind(&first),
        kind(&survivor_id),
        kind(&second),
        kind(&last.id)
    );
    runs_alone(&last.api(), &last.id, "a");
    finish_exactly(&topic, appender);
    // The offsets are in the connector's topic (and copied to the worker's), read back alike.
    let key = serde_json::to_vec(&json!(["a", {"filename": file}])).unwrap();
    let in_own = consume(&own_offsets, usize::MAX, Duration::from_secs(3), true);
    assert!(
        in_own
            .iter()
            .any(|r| r.key.as_deref() == Some(key.as_slice())),
        "no offset of a in {own_offsets}: {} records",
        in_own.len()
    );
    let size = std::fs::metadata(&file).unwrap().len();
    distributed_support::eventually("a's last offset", Duration::from_secs(30), || {
        let (_, body) = last.api().call("GET", "/connectors/a/offsets", None);
        (body["offsets"][0]["offset"]["position"] == json!(size)).then_some(())
    });
    assert_eq!(
        task_count_record(&group, "a"),
        Some(json!({"task-count": 1}))
    );
}
