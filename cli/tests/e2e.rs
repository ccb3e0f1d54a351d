//! connectctl against the real Apache Kafka Connect worker of the test environment.

use std::process::Command;

use connect_testkit::env;

fn connectctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL").env("NO_COLOR", "1");
    c
}

#[test]
fn version_runs() {
    let out = connectctl().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("connectctl {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn info_reports_the_real_worker() {
    let env = env();
    let out = connectctl()
        .args(["info", "-o", "json", "--url", &env.connect_url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["kafka_cluster_id"], env.kafka_cluster_id.as_str());
    assert_eq!(info["version"], env.connect_version.as_str());
}

#[test]
fn unreachable_url_is_one_clear_line_and_exit_1() {
    // A port nothing listens on: bind one, learn its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = connectctl().args(["info", "--url", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&url) && err.to_lowercase().contains("refused"),
        "{err}"
    );
}

#[test]
fn usage_error_exits_2() {
    let out = connectctl().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
