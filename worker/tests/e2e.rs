//! connect-worker against the real Kafka broker, side by side with the real Apache worker.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use connect_testkit::{Connect, env};

#[test]
fn version_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_connect-worker"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("connect-worker ")
    );
}

#[test]
fn root_matches_apache_connect_on_the_same_cluster() {
    let env = env();
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\n",
            env.bootstrap_servers
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_connect-worker"))
        .args(["standalone", props.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The worker prints its REST address once it listens.
    let mut url = None;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("connect-worker: REST API on ") {
            url = Some(u.to_owned());
            break;
        }
    }
    let url = url.expect("worker never listened");
    let (code, ours) = Connect::at(&url).call("GET", "/", None);
    let (_, apache) = Connect::new().call("GET", "/", None);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(code, 200);
    assert_eq!(ours["kafka_cluster_id"], apache["kafka_cluster_id"]);
    assert_eq!(ours["version"], apache["version"]);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&apache));
}
