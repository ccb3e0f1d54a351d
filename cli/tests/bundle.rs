//! `bundle` against the real Apache Kafka Connect worker and Kafka of the environment: known
//! secrets are planted in connector configs (under credential-named keys, and inside values of
//! ordinary keys: a URL's user info, a JDBC URL's password parameter, a `key=value` note, a file
//! path that ends up in a stack trace), in the contexts file and in a worker log passed with
//! `--logs`. The archive is unpacked and every byte of it searched: none of the secrets may
//! appear. Each part the bundle promises is present and valid JSON.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use connect_testkit::{Connect, env, fixture_path, unique};
use serde_json::{Value, json};

struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let c = Connect::new();
        for n in &self.0 {
            c.delete(n);
        }
    }
}

/// Every file of a .tar.gz, by path.
fn unpack(archive: &Path) -> BTreeMap<String, Vec<u8>> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    let mut tar = tar::Archive::new(gz);
    let mut files = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_str().unwrap().to_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        files.insert(path, data);
    }
    files
}

#[test]
fn bundle_holds_every_part_and_none_of_the_planted_secrets() {
    let p = unique("bundle");
    let dir = tempfile::tempdir().unwrap();
    // Distinct, unguessable secrets, so a hit can only be a leak.
    let secret = |n: &str| format!("S3cr3t{n}x{}", p.replace('-', ""));
    let s = |n: &str| secret(n);
    let connect = Connect::new();
    let sink = format!("{p}-sink");
    let failing = format!("{p}-failing");
    let _cleanup = Cleanup(vec![sink.clone(), failing.clone()]);

    // A healthy sink with a DLQ, secrets under credential-named keys and inside ordinary values.
    connect.create(
        &sink,
        json!({
            "connector.class": "FileStreamSink",
            "topics": format!("{p}-in"),
            "file": dir.path().join("out").to_str().unwrap(),
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{p}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "connection.password": s("pw"),
            "ssl.truststore.password": s("truststore"),
            "api.key": s("apikey"),
            "aws.secret.access.key": s("aws"),
            "sasl.jaas.config": format!(
                "org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"ops\" password=\"{}\";", s("jaas")),
            "my.endpoint": format!("https://ops:{}@api.example.com/v1", s("userinfo")),
            "my.jdbc.url": format!("jdbc:postgresql://db:5432/app?user=ops&password={}", s("jdbcparam")),
            "my.note": format!("rotate token={} monthly", s("note")),
        }),
    );
    // A sink that fails: its file path carries a secret into the exception message and trace.
    connect.create(
        &failing,
        json!({
            "connector.class": "FileStreamSink",
            "topics": format!("{p}-in"),
            "file": format!("/nonexistent-{p}/password={}/out", s("path")),
        }),
    );
    connect.wait_for(&sink, Duration::from_secs(60), "running", |st| {
        st.connector.state == connect_api::State::Running
            && st
                .tasks
                .iter()
                .any(|t| t.state == connect_api::State::Running)
    });
    connect.wait_for(&failing, Duration::from_secs(60), "failed", |st| {
        st.tasks
            .iter()
            .any(|t| t.state == connect_api::State::Failed)
    });

    // The contexts file: secrets in the URL, a header, the auth section and the Kafka section.
    let url = env().connect_url.clone();
    let (scheme, rest) = url.split_once("://").unwrap();
    let config = dir.path().join("connectctl.toml");
    std::fs::write(
        &config,
        format!(
            r#"current_context = "ticket"

[contexts.ticket]
urls = ["{scheme}://ops:{url_pw}@{rest}"]

[contexts.ticket.headers]
X-Api-Token = "{header}"

[contexts.ticket.kafka]
"bootstrap.servers" = "{bootstrap}"
"sasl.username" = "ops"
"sasl.password" = "{kafka_pw}"
"#,
            url_pw = s("ctxurl"),
            header = s("ctxheader"),
            bootstrap = env().bootstrap_servers,
            kafka_pw = s("ctxkafka"),
        ),
    )
    .unwrap();

    // A worker log: the real captured Apache log, plus lines that leak credentials the way
    // connectors and drivers do.
    let log = dir.path().join("connect.log");
    let mut text = std::fs::read_to_string(fixture_path("logs/apache-connect.log")).unwrap();
    text.push_str(&format!(
        "[2026-12-01 00:20:00,000] ERROR [{sink}|task-0] Cannot reach jdbc:postgresql://ops:{}@db:5432/app (io.example.Sink:10)\n\
         [2026-12-01 00:20:01,000] ERROR [{sink}|task-0] WorkerSinkTask{{id={sink}-0}} Task threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted (org.apache.kafka.connect.runtime.WorkerTask:251)\n\
         java.sql.SQLException: login refused with connection.password={}\n\
         \tat io.example.Sink.put(Sink.java:10) ~[example.jar:?]\n\
         \tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:606) ~[connect-runtime-4.3.1.jar:?]\n\
         [2026-12-01 00:20:02,000] WARN [{sink}|task-0] Retrying with sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ops\" password=\"{}\"; (io.example.Sink:20)\n",
        s("logurl"),
        s("logpw"),
        s("logjaas"),
    ));
    std::fs::write(&log, text).unwrap();

    let archive = dir.path().join("support.tar.gz");
    let out = Command::new(env!("CARGO_BIN_EXE_connectctl"))
        .env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
        .env("NO_COLOR", "1")
        .env("CONNECTCTL_CONFIG", &config)
        .args(["bundle", "-e", &format!("^{p}-"), "--logs"])
        .arg(&log)
        .arg("-o")
        .arg(&archive)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bundle failed: {stdout}\n{stderr}");
    assert!(stdout.contains("2 connectors"), "{stdout}");

    let files = unpack(&archive);
    let planted = [
        "pw",
        "truststore",
        "apikey",
        "aws",
        "jaas",
        "userinfo",
        "jdbcparam",
        "note",
        "path",
        "ctxurl",
        "ctxheader",
        "ctxkafka",
        "logurl",
        "logpw",
        "logjaas",
    ];
    let mut leaks = Vec::new();
    for (path, data) in &files {
        let text = String::from_utf8_lossy(data);
        for n in planted {
            if text.contains(&s(n)) {
                leaks.push(format!("{n} in {path}"));
            }
        }
    }
    // Also the summary and warnings the command printed.
    for n in planted {
        assert!(
            !stdout.contains(&s(n)) && !stderr.contains(&s(n)),
            "{n} printed"
        );
    }
    assert!(leaks.is_empty(), "secrets in the archive: {leaks:?}");

    // Every part is there and is JSON (the text rendering of the log analysis aside).
    let json = |name: &str| -> Value {
        let path = format!("connectctl-bundle/{name}");
        let data = files
            .get(&path)
            .unwrap_or_else(|| panic!("{path} missing; archive has {:?}", files.keys()));
        serde_json::from_slice(data).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
    };
    let manifest = json("manifest.json");
    let failed: Vec<&Value> = manifest["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["error"].is_null())
        .collect();
    assert!(failed.is_empty(), "failed parts: {failed:?}");
    for part in [
        "context.json",
        "version.json",
        "worker/info.json",
        "worker/plugins.json",
        "worker/loggers.json",
        "connectors.json",
        "doctor.json",
        "logs/analysis.json",
    ] {
        json(part);
    }
    for name in [&sink, &failing] {
        for part in ["status", "config", "offsets", "topics"] {
            json(&format!("connectors/{name}/{part}.json"));
        }
    }
    // The DLQ summary, where a connector has a DLQ (Kafka is reachable through the context).
    json(&format!("connectors/{sink}/dlq.json"));
    assert!(!files.contains_key(&format!("connectctl-bundle/connectors/{failing}/dlq.json")));
    assert!(files.contains_key("connectctl-bundle/logs/analysis.txt"));

    // The parts say what they should, masked rather than dropped.
    let cfg = json(&format!("connectors/{sink}/config.json"));
    assert_eq!(cfg["connection.password"], "********");
    assert_eq!(cfg["topics"], format!("{p}-in"));
    assert_eq!(
        cfg["my.endpoint"],
        "https://ops:********@api.example.com/v1"
    );
    let listed = json("connectors.json");
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let status = json(&format!("connectors/{failing}/status.json"));
    assert_eq!(status["health"], "FAILED", "{status}");
    assert_eq!(
        status["tasks"][0]["root_cause"]["exception"],
        "java.nio.file.NoSuchFileException"
    );
    let analysis = json("logs/analysis.json");
    let mine: Vec<&Value> = analysis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["connector"] == sink.as_str())
        .collect();
    assert!(
        mine.iter()
            .any(|g| g["root_cause"]["exception"] == "java.sql.SQLException"),
        "{mine:?}"
    );
    assert_eq!(json("context.json")["context"], "ticket");
}
