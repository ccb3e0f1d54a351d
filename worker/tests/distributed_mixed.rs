//! A mixed group: one Apache Kafka Connect 4.3.1 distributed worker and one connect-worker with
//! the same group.id and internal topics, once for each value of the Apache worker's
//! `connect.protocol` (eager, compatible, sessioned). Each worker lists and reports what the
//! other created, tasks are assigned across both, and killing either moves its work to the other;
//! each side leads the group in turn.
//!
//! The broker picks the newest protocol every member offers; the connect-worker offers
//! `sessioned`, `compatible` and `default` (its default `connect.protocol`), so the mixed group
//! runs the Apache worker's protocol: eager, or incremental cooperative with the leader's
//! incremental assignor, or that with signed internal requests. The test follows it from the
//! protocol version Apache logs on every join. Under `sessioned` the task configs the Apache
//! worker sends to a connect-worker leader are signed with the session key the connect-worker
//! wrote, and both workers refuse an unsigned or badly signed internal request with the same
//! status and message.

mod distributed_support;

use std::sync::Mutex;
use std::time::Duration;

use connect_testkit::{Connect, create_topic, unique};
use distributed_support::{Group, apache_worker, connect_worker, create, eventually, running_on};
use serde_json::json;

/// One mixed group at a time: each runs a JVM worker, and three starting together on a 2-core
/// machine shared with other tests take longer than the start-up wait.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time(protocol: &str) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    apache_and_connect_worker_share_one_group(protocol);
}

#[test]
fn mixed_group_apache_eager() {
    one_at_a_time("eager");
}

#[test]
fn mixed_group_apache_compatible() {
    one_at_a_time("compatible");
}

#[test]
fn mixed_group_apache_sessioned() {
    one_at_a_time("sessioned");
}

/// The protocol versions of the Apache worker's joins, in order, from its log line
/// "Joined group at generation G with protocol version V and got assignment: ...".
fn joined_versions(log: &str) -> Vec<u8> {
    log.lines()
        .filter_map(|l| {
            let rest = l.split("Joined group at generation ").nth(1)?;
            let v = rest.split(" with protocol version ").nth(1)?;
            v.split(' ').next()?.parse().ok()
        })
        .collect()
}

fn apache_and_connect_worker_share_one_group(protocol: &str) {
    let group = Group::new(&format!("dmixed-{protocol}"));
    // The connect-worker joins first and leads: the Apache worker sends it the task configs of
    // the connector it runs (POST /connectors/{c}/tasks) and forwards its REST writes to it.
    let mut ours = connect_worker(&group);
    eventually(
        "the connect-worker to lead its group",
        Duration::from_secs(30),
        || {
            ours.log_text()
                .contains("Starting connectors and tasks")
                .then_some(())
        },
    );
    let mut apache = apache_worker(&group, protocol);
    let both = [apache.id.as_str(), ours.id.as_str()];

    let topic = unique("dmixed-data");
    create_topic(&topic, 2);
    let input = group.path("in.txt");
    let output = group.path("out.txt");
    std::fs::write(
        &input,
        (0..500).map(|i| format!("m-{i}\n")).collect::<String>(),
    )
    .unwrap();
    let transforms = json!({"transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)", "transforms.route.replacement": "$1"});
    let mut src = json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": input, "topic": topic, "tasks.max": "1"});
    let mut sink = json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "file": output, "topics": topic, "tasks.max": "3"});
    for c in [&mut src, &mut sink] {
        c.as_object_mut()
            .unwrap()
            .extend(transforms.as_object().unwrap().clone());
    }
    // Each side creates one connector.
    create(&ours.api(), "src", src);
    create(&apache.api(), "sink", sink);

    let timeout = Duration::from_secs(90);
    let (_, sink_on) = running_on(&apache.api(), "sink", 3, &both, timeout);
    running_on(&ours.api(), "src", 1, &both, timeout);
    for api in [apache.api(), ours.api()] {
        let mut listed = api.call("GET", "/connectors", None).1;
        listed
            .as_array_mut()
            .unwrap()
            .sort_by_key(|v| v.to_string());
        assert_eq!(listed, json!(["sink", "src"]));
        let (_, config) = api.call("GET", "/connectors/sink/config", None);
        assert_eq!(
            config["transforms.route.type"],
            "org.apache.kafka.connect.transforms.RegexRouter"
        );
    }
    // Tasks are assigned across both workers (round robin over two members).
    let mut workers: Vec<&String> = sink_on.iter().collect();
    workers.sort();
    workers.dedup();
    assert_eq!(workers.len(), 2, "sink tasks on {sink_on:?}");
    // Status written by one worker is read by the other: both answer the same placement.
    eventually("the same status on both workers", timeout, || {
        let a = distributed_support::placement(&apache.api(), "sink")?;
        let b = distributed_support::placement(&ours.api(), "sink")?;
        (a == b).then_some(())
    });
    eventually("the lines in the sink file", timeout, || {
        let n = std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .count();
        (n >= 500).then_some(())
    });

    // The connectors are dealt one to each worker; the one on the Apache worker sent its task
    // configs to the connect-worker leader (signed under sessioned).
    let mut on_apache = 0;
    for (name, tasks) in [("src", 1), ("sink", 3)] {
        let (_, worker, _) = distributed_support::placement(&ours.api(), name).unwrap();
        if worker == apache.id {
            on_apache += 1;
            let line = format!(
                "Writing {tasks} task configurations for connector '{name}' sent by another worker"
            );
            assert!(
                ours.log_text().contains(&line),
                "the Apache worker did not send the task configs of {name} to the connect-worker leader"
            );
        }
    }
    assert_eq!(on_apache, 1, "connectors on the Apache worker");

    // The mixed group runs the protocol Apache is configured with.
    let expected = match protocol {
        "eager" => 0,
        "compatible" => 1,
        _ => 2,
    };
    let versions = joined_versions(&apache.log_text());
    assert!(
        !versions.is_empty() && versions.iter().all(|v| *v == expected),
        "Apache's joins in the mixed group under {protocol}: protocol versions {versions:?}"
    );
    assert!(
        !apache.log_text().contains("has been downgraded"),
        "Apache warned of a protocol downgrade under {protocol}"
    );
    if protocol == "sessioned" {
        internal_requests_are_checked_alike(&apache.api(), &ours.api());
    }
    cluster_logger_levels_reach_both(&apache.api(), &ours.api());

    // Killing the connect-worker moves its work to the Apache worker.
    let ours_id = ours.id.clone();
    let joins_before_kill = versions.len();
    ours.kill();
    let apache_only = [apache.id.as_str()];
    running_on(&apache.api(), "sink", 3, &apache_only, timeout);
    running_on(&apache.api(), "src", 1, &apache_only, timeout);
    // Alone, the Apache worker runs the protocol it is configured with.
    let alone = expected;
    let versions = joined_versions(&apache.log_text());
    assert_eq!(
        versions.last(),
        Some(&alone),
        "Apache's joins alone under {protocol}: {:?}",
        &versions[joins_before_kill..]
    );
    let joins_alone = versions.len();

    // A connect-worker joins again, gets work, and takes everything when Apache is killed.
    let back = connect_worker(&group);
    assert_ne!(back.id, ours_id);
    let back_pair = [apache.id.as_str(), back.id.as_str()];
    eventually("the new connect-worker to get work", timeout, || {
        let (_, w, ts) = distributed_support::placement(&back.api(), "sink")?;
        let on_back = w == back.id || ts.iter().any(|(_, w)| *w == back.id);
        let running = ts
            .iter()
            .all(|(s, w)| s == "RUNNING" && back_pair.contains(&w.as_str()));
        (on_back && running).then_some(())
    });
    // With a connect-worker in the group again, the group still runs Apache's protocol.
    let versions = joined_versions(&apache.log_text());
    assert!(
        versions.len() > joins_alone && versions.last() == Some(&expected),
        "Apache's joins after the connect-worker came back under {protocol}: {:?}",
        &versions[joins_alone..]
    );
    apache.kill();
    let back_only = [back.id.as_str()];
    running_on(&back.api(), "sink", 3, &back_only, timeout);
    running_on(&back.api(), "src", 1, &back_only, timeout);
}

/// `PUT /admin/loggers/{namespace}?scope=cluster` on either worker is answered 204 and sets
/// the level on both (a `logger-cluster-*` record in the config topic).
fn cluster_logger_levels_reach_both(apache: &Connect, ours: &Connect) {
    let level_on = |api: &Connect, ns: &str| -> Option<String> {
        let (status, body) = api.call("GET", &format!("/admin/loggers/{ns}"), None);
        (status == 200).then(|| body["level"].as_str().unwrap_or_default().to_owned())
    };
    for (from, ns, level) in [
        (
            ours,
            "org.apache.kafka.connect.runtime.WorkerSinkTask",
            "DEBUG",
        ),
        (
            apache,
            "org.apache.kafka.connect.runtime.WorkerSourceTask",
            "TRACE",
        ),
    ] {
        let (status, body) = from.call(
            "PUT",
            &format!("/admin/loggers/{ns}?scope=cluster"),
            Some(&json!({"level": level.to_lowercase()})),
        );
        assert_eq!(status, 204, "cluster-scope PUT of {ns}: {body}");
        eventually(
            &format!("{ns} at {level} on both workers"),
            Duration::from_secs(30),
            || {
                (level_on(apache, ns).as_deref() == Some(level)
                    && level_on(ours, ns).as_deref() == Some(level))
                .then_some(())
            },
        );
    }
}

/// `POST /connectors/{c}/tasks` without a signature, with a wrong one and with an unknown
/// algorithm: the same status and message from both workers.
fn internal_requests_are_checked_alike(apache: &Connect, ours: &Connect) {
    let body = json!([{"task.class": "x"}]);
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);
    let cases: [Case<'_>; 3] = [
        ("unsigned", vec![], 400),
        (
            "wrong signature",
            vec![
                (
                    "X-Connect-Authorization",
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                ),
                ("X-Connect-Request-Signature-Algorithm", "HmacSHA256"),
            ],
            403,
        ),
        (
            "algorithm not accepted",
            vec![
                ("X-Connect-Authorization", "AAAA"),
                ("X-Connect-Request-Signature-Algorithm", "HmacSHA512"),
            ],
            400,
        ),
    ];
    for (what, headers, status) in cases {
        let a = apache.call_with_headers("POST", "/connectors/sink/tasks", Some(&body), &headers);
        let o = ours.call_with_headers("POST", "/connectors/sink/tasks", Some(&body), &headers);
        assert_eq!(a.0, status, "Apache, {what}: {}", a.1);
        assert_eq!(o, a, "{what}: connect-worker vs Apache");
    }
}
