//! A mixed group: one Apache Kafka Connect 4.3.1 distributed worker and one connect-worker with
//! the same group.id and internal topics. The group runs Apache's eager protocol (`default`,
//! the only one connect-worker offers). Each worker lists and reports what the other created,
//! tasks are assigned across both, and killing either moves its work to the other; each side
//! leads the group in turn.

mod distributed_support;

use std::time::Duration;

use connect_testkit::{create_topic, unique};
use distributed_support::{Group, apache_worker, connect_worker, create, eventually, running_on};
use serde_json::json;

#[test]
fn apache_and_connect_worker_share_one_group() {
    let group = Group::new("dmixed");
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
    let mut apache = apache_worker(&group);
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

    assert!(
        ours.log_text()
            .contains("Writing 3 task configurations for connector 'sink' sent by another worker"),
        "the Apache worker did not send its task configs to the connect-worker leader"
    );

    // Killing the connect-worker moves its work to the Apache worker.
    let ours_id = ours.id.clone();
    ours.kill();
    let apache_only = [apache.id.as_str()];
    running_on(&apache.api(), "sink", 3, &apache_only, timeout);
    running_on(&apache.api(), "src", 1, &apache_only, timeout);

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
    apache.kill();
    let back_only = [back.id.as_str()];
    running_on(&back.api(), "sink", 3, &back_only, timeout);
    running_on(&back.api(), "src", 1, &back_only, timeout);
}
