mod ccloud;
use std::process::Command;
#[test]
fn show() {
    let s = ccloud::start();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_connectctl"))
            .env("CONNECTCTL_CONFIG", dir.path().join("c.toml"))
            .env("XDG_STATE_HOME", dir.path())
            .env_remove("CONNECTCTL_URL")
            .env("NO_COLOR", "1")
            .env("SEC", ccloud::API_SECRET)
            .args(args)
            .output()
            .unwrap();
        println!(
            "$ connectctl {}\n{}{}[exit {:?}]\n",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            out.status.code()
        );
    };
    run(&[
        "context",
        "add",
        "cc",
        "--confluent-cloud",
        "--environment",
        ccloud::ENV,
        "--cluster",
        ccloud::CLUSTER,
        "--api-key",
        ccloud::API_KEY,
        "--api-secret-env",
        "SEC",
        "--cloud-url",
        &s.url,
    ]);
    println!(
        "{}",
        std::fs::read_to_string(dir.path().join("c.toml")).unwrap()
    );
    s.seed(
        "pg-sink",
        "PostgresSink",
        "RUNNING",
        &[
            (
                "USER_ACTIONABLE_ERROR",
                "Value (STRUCT) type doesn't have a mapping to the SQL database column type",
            ),
            ("RUNNING", ""),
        ],
    );
    s.seed("s3", "S3_SINK", "PROVISIONING", &[]);
    s.seed("dg", "DatagenSource", "RUNNING", &[("RUNNING", "")]);
    s.seed("bad-key", "S3_SINK", "FAILED", &[]);
    s.with_conn("bad-key", |c| c.trace = "There were some errors with your configuration:\ntopics: Provided Kafka ApiKey is invalid\nkafka.api.secret: Provided Kafka ApiKey is invalid\n".into());
    run(&["ls"]);
    run(&["status", "pg-sink"]);
    run(&["status", "bad-key"]);
    run(&["describe", "pg-sink"]);
    run(&["doctor", "--no-kafka"]);
    run(&["plugins"]);
    run(&["plugins", "describe", "PostgresSink"]);
    run(&["tasks", "dg"]);
    run(&["offsets", "dg"]);
    run(&["stop", "dg"]);
    run(&["restart", "dg"]);
    s.state().rate_limit = Some((2, 1));
    run(&["status", "dg"]);
    run(&["status", "nope"]);
    run(&["--retry-timeout", "0", "config", "dg"]);
    run(&["config", "dg"]);
    run(&["-v", "pause", "dg"]);
}
