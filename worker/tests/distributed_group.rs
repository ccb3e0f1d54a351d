//! connect-worker processes in one distributed group on the real broker. Three workers: a
//! connector created on any worker runs, its tasks spread over the workers, `kill -9` of a
//! worker moves its work to the others within the session timeout plus the scheduled delay, no
//! line is lost through the kill, and a restarted worker gets work back; a 1,000,000-line
//! pipeline goes through a kill of the source task's worker with every line delivered. Two workers: adding,
//! pausing, resuming and deleting a connector leaves the other connector's tasks running (the
//! incremental cooperative protocol), counted from the workers' "Creating task" log lines.

mod distributed_support;

use std::collections::BTreeSet;
use std::time::Duration;

use connect_testkit::{create_topic, unique};
use distributed_support::{Group, connect_worker, create, eventually, running_on};
use serde_json::json;

fn unique_lines(p: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn three_workers_share_work_and_survive_a_kill() {
    let group = Group::new("dgroup");
    let mut workers = vec![
        connect_worker(&group),
        connect_worker(&group),
        connect_worker(&group),
    ];
    let ids: Vec<String> = workers.iter().map(|w| w.id.clone()).collect();
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();

    let topic = unique("dgroup-data");
    create_topic(&topic, 3);
    let input = group.path("in.txt");
    let output = group.path("out.txt");
    let first: Vec<String> = (0..2000).map(|i| format!("line-{i}")).collect();
    std::fs::write(&input, first.join("\n") + "\n").unwrap();

    // Created on different workers; whichever worker gets the request, the leader stores it.
    create(
        &workers[2].api(),
        "src",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
               "file": input, "topic": topic, "tasks.max": "1"}),
    );
    create(
        &workers[1].api(),
        "sink",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": output, "topics": topic, "tasks.max": "3"}),
    );
    let timeout = Duration::from_secs(60);
    running_on(&workers[0].api(), "src", 1, &all, timeout);
    let (_, sink_tasks) = running_on(&workers[0].api(), "sink", 3, &all, timeout);
    // Every worker answers the same status, and the work is spread over the workers.
    let (_, src_tasks) = running_on(&workers[2].api(), "src", 1, &all, timeout);
    let used: BTreeSet<&String> = sink_tasks.iter().chain(&src_tasks).collect();
    assert!(used.len() >= 2, "tasks on one worker only: {used:?}");
    let mut listed = workers[1].api().call("GET", "/connectors", None).1;
    listed
        .as_array_mut()
        .unwrap()
        .sort_by_key(|v| v.to_string());
    assert_eq!(listed, json!(["sink", "src"]));
    // Writes go to the leader: every worker forwards a follower's request (the answer is the
    // leader's 404); with `forward=false` (a request already forwarded once) a follower answers
    // Apache's 409 instead of forwarding again.
    let mut codes = Vec::new();
    for w in &workers {
        let (code, body) = w
            .api()
            .call("DELETE", "/connectors/no-such-connector", None);
        assert_eq!(
            (code, body["message"].as_str()),
            (404, Some("Connector no-such-connector not found"))
        );
        let (code, body) = w.api().call(
            "DELETE",
            "/connectors/no-such-connector?forward=false",
            None,
        );
        if code == 409 {
            assert_eq!(
                body["message"],
                "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
            );
        }
        codes.push(code);
    }
    codes.sort();
    assert_eq!(codes, vec![404, 409, 409], "one leader, two followers");
    // Restarts: a connector restart is a restart request in the config topic (answered as
    // Apache plans it); a task restart reaches the worker that runs the task.
    let (code, body) =
        workers[0]
            .api()
            .call("POST", "/connectors/sink/restart?includeTasks=true", None);
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["connector"]["state"], "RESTARTING");
    assert!(
        body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "RESTARTING"),
        "{body}"
    );
    for w in &workers {
        let (code, body) = w
            .api()
            .call("POST", "/connectors/sink/tasks/1/restart", None);
        assert_eq!(code, 204, "{body}");
    }
    running_on(&workers[1].api(), "sink", 3, &all, timeout);
    eventually("the first lines in the sink file", timeout, || {
        (unique_lines(&output).len() == 2000).then_some(())
    });

    // kill -9 the worker running sink task 0; its work moves to the other two.
    let victim = workers.iter().position(|w| w.id == sink_tasks[0]).unwrap();
    workers[victim].kill();
    let survivors: Vec<&str> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, id)| id.as_str())
        .collect();
    let alive = (victim + 1) % 3;
    let more: Vec<String> = (2000..3000).map(|i| format!("line-{i}")).collect();
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&input)
            .unwrap();
        f.write_all((more.join("\n") + "\n").as_bytes()).unwrap();
    }
    // Session timeout (6 s) plus a rebalance.
    let moved = Duration::from_secs(40);
    running_on(&workers[alive].api(), "sink", 3, &survivors, moved);
    running_on(&workers[alive].api(), "src", 1, &survivors, moved);
    eventually(
        "every line in the sink file after the kill",
        timeout,
        || (unique_lines(&output).len() == 3000).then_some(()),
    );

    // The killed worker comes back and is given work again.
    let back = connect_worker(&group);
    let back_id = back.id.clone();
    workers[victim] = back;
    eventually("the restarted worker to get work", timeout, || {
        let api = workers[alive].api();
        let s = api.status("sink")?;
        let src = api.status("src")?;
        let on_it = s
            .tasks
            .iter()
            .map(|t| &t.worker_id)
            .chain(std::iter::once(&s.connector.worker_id))
            .chain(std::iter::once(&src.connector.worker_id))
            .chain(src.tasks.iter().map(|t| &t.worker_id))
            .any(|w| *w == back_id);
        let all_running = s
            .tasks
            .iter()
            .all(|t| t.state == connect_api::State::Running);
        (on_it && all_running).then_some(())
    });
}

/// Under the incremental cooperative protocol (`sessioned`, the default) a rebalance moves only
/// what it must: adding or deleting a connector does not restart another connector's tasks, and
/// pausing and resuming one leaves the others alone.
#[test]
fn cooperative_rebalances_leave_other_work_running() {
    let group = Group::new("dcoop");
    let workers = [connect_worker(&group), connect_worker(&group)];
    let ids: Vec<String> = workers.iter().map(|w| w.id.clone()).collect();
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    let topic = unique("dcoop-data");
    create_topic(&topic, 2);
    let sink = |file: &str| {
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
               "file": group.path(file), "topics": topic, "tasks.max": "2"})
    };
    // How many times the workers started a task of `connector`, from their logs.
    let starts = |connector: &str| -> usize {
        let needle = format!("Creating task {connector}-");
        workers
            .iter()
            .map(|w| w.log_text().matches(&needle).count())
            .sum()
    };
    let timeout = Duration::from_secs(60);
    create(&workers[0].api(), "a", sink("a.txt"));
    running_on(&workers[1].api(), "a", 2, &all, timeout);
    let a_started = starts("a");
    assert_eq!(a_started, 2);

    create(&workers[1].api(), "b", sink("b.txt"));
    running_on(&workers[0].api(), "b", 2, &all, timeout);
    assert_eq!(
        starts("a"),
        a_started,
        "a's tasks restarted when b was added"
    );
    let b_started = starts("b");

    let (code, _) = workers[0].api().call("PUT", "/connectors/a/pause", None);
    assert_eq!(code, 202);
    eventually("a paused", timeout, || {
        let s = workers[1].api().status("a")?;
        let paused = s.connector.state == connect_api::State::Paused
            && s.tasks.len() == 2
            && s.tasks
                .iter()
                .all(|t| t.state == connect_api::State::Paused);
        paused.then_some(())
    });
    let (code, _) = workers[1].api().call("PUT", "/connectors/a/resume", None);
    assert_eq!(code, 202);
    running_on(&workers[0].api(), "a", 2, &all, timeout);
    assert_eq!(
        starts("b"),
        b_started,
        "b's tasks restarted when a was paused"
    );

    let a_started = starts("a");
    let (code, _) = workers[0].api().call("DELETE", "/connectors/b", None);
    assert_eq!(code, 204);
    eventually("b gone", timeout, || {
        let (code, _) = workers[1].api().call("GET", "/connectors/b/status", None);
        (code == 404).then_some(())
    });
    running_on(&workers[1].api(), "a", 2, &all, timeout);
    assert_eq!(
        starts("a"),
        a_started,
        "a's tasks restarted when b was deleted"
    );
}

/// A 1,000,000-line FileStream pipeline through a `kill -9`: three connect-workers, the source
/// and a three-task sink spread over them; the worker running the source task is killed a third
/// of the way through, the others take its work over, and every line reaches the sink file
/// (duplicates only from the uncommitted window, at least once as in Apache).
#[test]
fn a_million_lines_survive_a_kill_in_a_group_of_three() {
    const LINES: usize = 1_000_000;
    let group = Group::new("dmillion");
    let mut workers = [
        connect_worker(&group),
        connect_worker(&group),
        connect_worker(&group),
    ];
    let ids: Vec<String> = workers.iter().map(|w| w.id.clone()).collect();
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    let topic = unique("dmillion-data");
    create_topic(&topic, 3);
    let input = group.path("in.txt");
    let output = group.path("out.txt");
    let text: String = (0..LINES).map(|i| format!("line-{i}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let string = "org.apache.kafka.connect.storage.StringConverter";
    create(
        &workers[0].api(),
        "src",
        json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
               "value.converter": string}),
    );
    create(
        &workers[1].api(),
        "sink",
        json!({"connector.class": "FileStreamSink", "file": output, "topics": topic,
               "tasks.max": "3", "value.converter": string}),
    );
    let timeout = Duration::from_secs(60);
    let (_, src_tasks) = running_on(&workers[2].api(), "src", 1, &all, timeout);
    running_on(&workers[2].api(), "sink", 3, &all, timeout);
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    eventually(
        "a third of the lines in the sink file",
        Duration::from_secs(180),
        || (size(&output) >= text.len() as u64 / 3).then_some(()),
    );
    let victim = workers.iter().position(|w| w.id == src_tasks[0]).unwrap();
    workers[victim].kill();
    let before = size(&output);
    assert!(
        before < text.len() as u64,
        "the transfer was over before the kill"
    );
    let alive = (victim + 1) % 3;
    let survivors: Vec<&str> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, id)| *id)
        .collect();
    running_on(
        &workers[alive].api(),
        "src",
        1,
        &survivors,
        Duration::from_secs(60),
    );
    eventually(
        "every line in the sink file",
        Duration::from_secs(300),
        || {
            // Reading a million lines is slow in a debug build: only once the bytes are there.
            (size(&output) >= text.len() as u64 && unique_lines(&output).len() == LINES)
                .then_some(())
        },
    );
    let lines = std::fs::read_to_string(&output).unwrap();
    assert!(
        lines.lines().all(|l| l
            .strip_prefix("line-")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < LINES)),
        "a corrupt line in the sink file"
    );
}

/// A source connector with its own `offsets.storage.topic`: its offsets are written there and
/// copied to the worker's offsets topic, read back by `GET /connectors/{c}/offsets`, and a
/// restart of the connector resumes from them (no line twice).
#[test]
fn a_source_keeps_its_offsets_in_its_own_topic() {
    let group = Group::new("downoffsets");
    let worker = connect_worker(&group);
    let topic = unique("downoffsets-data");
    create_topic(&topic, 1);
    let input = group.path("in.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let own = format!("{}-own-offsets", group.id);
    create(
        &worker.api(),
        "src",
        json!({"connector.class": "FileStreamSource", "file": input, "topic": topic,
               "offsets.storage.topic": own,
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    let expected =
        json!({"offsets": [{"partition": {"filename": input}, "offset": {"position": 6}}]});
    eventually(
        "the offset of the whole file",
        Duration::from_secs(60),
        || (worker.api().call("GET", "/connectors/src/offsets", None).1 == expected).then_some(()),
    );
    let key = serde_json::to_vec(&json!(["src", {"filename": input}])).unwrap();
    for t in [own.clone(), format!("{}-offsets", group.id)] {
        let records = connect_testkit::consume(&t, usize::MAX, Duration::from_secs(3), true);
        assert!(
            records
                .iter()
                .any(|r| r.key.as_deref() == Some(key.as_slice())),
            "no offset of src in {t}"
        );
    }
    let (code, body) = worker
        .api()
        .call("POST", "/connectors/src/restart?includeTasks=true", None);
    assert!(code == 202 || code == 204, "{code} {body}");
    running_on(
        &worker.api(),
        "src",
        1,
        &[worker.id.as_str()],
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_secs(2));
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&input)
            .unwrap();
        f.write_all(b"d\n").unwrap();
    }
    let values = |n: usize, wait: u64| {
        connect_testkit::consume(&topic, n, Duration::from_secs(wait), true)
            .iter()
            .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(values(4, 60).len(), 4, "d after the restart");
    // No line twice: a fifth record would be one.
    assert_eq!(values(5, 3), ["a", "b", "c", "d"]);
}
