//! `connectctl --version` and `connectctl version`: what a bug report needs (version, commit,
//! build date) and the Connect versions this build is tested against. No cluster is involved.

use std::process::Command;

use connect_testkit::workspace_root;

const BIN: &str = env!("CARGO_BIN_EXE_connectctl");

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(workspace_root())
        .args(args)
        .env("TZ", "UTC")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// The commit and date the build should report: HEAD and its commit date (UTC), as the build
/// script reads them; None outside a git checkout.
fn expected_build() -> Option<(String, String)> {
    let commit = git(&["rev-parse", "--short=10", "HEAD"])?;
    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(_) => return None,
        Err(_) => git(&["log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"])?,
    };
    Some((commit, date))
}

#[test]
fn version_flag_prints_version_commit_and_build_date() {
    for flag in ["--version", "-V"] {
        let out = Command::new(BIN).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let line = String::from_utf8(out.stdout).unwrap();
        let line = line.trim_end();
        let rest = line
            .strip_prefix(&format!("connectctl {} (", env!("CARGO_PKG_VERSION")))
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{flag}: {line}"));
        let (commit, date) = rest.split_once(' ').expect("commit and date");
        assert!(
            date.len() == 10 && date.chars().filter(|c| *c == '-').count() == 2,
            "{flag}: build date {date:?} is not YYYY-MM-DD"
        );
        if let Some((want_commit, want_date)) = expected_build() {
            assert_eq!(commit, want_commit, "{flag}: commit");
            assert_eq!(
                date, want_date,
                "{flag}: the last commit's date, not the clock's"
            );
        }
    }
}

#[test]
fn version_json_names_the_build_and_the_tested_connect_versions() {
    // A broken config file must not matter: `version` needs no cluster and no context.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "this is [not toml").unwrap();
    let out = Command::new(BIN)
        .args(["version", "-o", "json"])
        .env("CONNECTCTL_CONFIG", &config)
        .env_remove("CONNECTCTL_URL")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "connectctl");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    // The triple the release archives are named after, e.g. x86_64-unknown-linux-gnu.
    let target = v["target"].as_str().unwrap();
    assert!(target.split('-').count() >= 3, "target {target:?}");
    if let Some((commit, date)) = expected_build() {
        assert_eq!(v["commit"], commit.as_str());
        assert_eq!(v["build_date"], date.as_str());
    }

    // The Apache version named is the one the test environment runs (scripts/env/pom.xml).
    let pom = std::fs::read_to_string(workspace_root().join("scripts/env/pom.xml")).unwrap();
    let pinned = pom
        .split_once("<kafka.version>")
        .and_then(|(_, r)| r.split_once("</kafka.version>"))
        .map(|(v, _)| v.trim())
        .expect("scripts/env/pom.xml pins kafka.version");
    let tested = v["tested_against"].as_array().expect("tested_against list");
    let version_of = |product: &str| {
        tested
            .iter()
            .find(|t| t["product"] == product)
            .unwrap_or_else(|| panic!("{product} missing from {tested:?}"))["version"]
            .clone()
    };
    assert_eq!(version_of("Apache Kafka Connect"), pinned);
    assert_eq!(version_of("connect-worker"), env!("CARGO_PKG_VERSION"));

    // The table says the same.
    let out = Command::new(BIN)
        .arg("version")
        .env("CONNECTCTL_CONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(&format!("Apache Kafka Connect {pinned}")),
        "{table}"
    );
}

#[test]
fn generate_man_writes_one_page_per_visible_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("generate-man")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    for want in [
        "connectctl.1",
        "connectctl-status.1",
        "connectctl-dlq-replay.1",
        "connectctl-context-add.1",
        "connectctl-version.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "{want} missing: {pages:?}");
    }
    // Hidden commands and clap's `help` get no page.
    for unwanted in ["connectctl-generate-man.1", "connectctl-help.1"] {
        assert!(!pages.iter().any(|p| p == unwanted), "{unwanted} written");
    }
    // The status page is dated with the build (not the clock) and documents its flags and the
    // environment variables behind them.
    let out = Command::new(BIN)
        .args(["version", "-o", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = std::fs::read_to_string(dir.path().join("connectctl-status.1")).unwrap();
    let title = format!(
        ".TH connectctl-status 1 {} \"connectctl {}\"",
        v["build_date"].as_str().unwrap(),
        env!("CARGO_PKG_VERSION")
    );
    assert!(status.contains(&title), "{title} missing:\n{status}");
    assert!(status.contains("CONNECTCTL_URL"), "{status}");
    assert!(status.contains("trace"), "{status}");
}
