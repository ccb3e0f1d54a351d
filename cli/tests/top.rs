//! `connectctl top` in a real terminal (tmux) against the real Apache Kafka Connect worker: the
//! screen lists the connectors with their states, a filter narrows the list, Enter shows a failed
//! connector's root cause and hint, and pause asks for a confirmation and really pauses.

use std::process::Command;
use std::time::Duration;

use connect_testkit::tmux::Tmux;
use connect_testkit::{Connect, create_topic, env, unique};
use serde_json::json;

struct Cleanup<'a>(&'a Connect, Vec<String>);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            self.0.delete(name);
        }
    }
}

const WAIT: Duration = Duration::from_secs(30);

fn wait_screen(t: &Tmux, what: &str, pred: impl Fn(&str) -> bool) -> String {
    t.wait(WAIT, pred)
        .unwrap_or_else(|| panic!("the screen never showed {what}:\n{}", t.screen()))
}

#[test]
fn top_lists_filters_drills_down_and_pauses_with_confirmation() {
    let env = env();
    let connect = Connect::new();
    let id = unique("tp");
    let ok = format!("{id}-ok");
    let bad = format!("{id}-bad");
    let topic = format!("{id}-topic");
    create_topic(&topic, 1);
    let _cleanup = Cleanup(&connect, vec![ok.clone(), bad.clone()]);
    connect.create(
        &ok,
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": format!("/tmp/{ok}.out"),
        }),
    );
    connect.create(
        &bad,
        json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": format!("/nonexistent-{bad}/out.txt"),
            "errors.deadletterqueue.topic.name": format!("{bad}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
        }),
    );
    connect.wait_for(&ok, WAIT, "a RUNNING task", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "RUNNING")
    });
    connect.wait_for(&bad, WAIT, "a FAILED task", |s| {
        s.tasks
            .first()
            .is_some_and(|t| t.state.as_str() == "FAILED")
    });

    let bin = env!("CARGO_BIN_EXE_connectctl");
    let t = Tmux::start(&format!(
        "NO_COLOR=1 CONNECTCTL_CONFIG=/nonexistent/connectctl-top-test.toml {bin} top \
         --url {} --bootstrap-servers {} --interval 1s --filter {id}",
        env.connect_url, env.bootstrap_servers
    ));
    // Both connectors, with their states and the failed one's root cause in the list.
    let screen = wait_screen(&t, "both connectors", |s| {
        s.contains(&ok) && s.contains(&bad) && s.contains("FAILED") && s.contains("RUNNING")
    });
    let bad_line = screen.lines().find(|l| l.contains(&bad)).unwrap();
    assert!(
        bad_line.contains("FAILED") && bad_line.contains("0/1"),
        "{screen}"
    );
    assert!(screen.contains("connectctl top"), "{screen}");

    // A filter narrows the list to one connector.
    // '/' edits the filter, Esc clears it; then the full name of the running connector.
    // A terminal reads ESC directly followed by another key as Alt+key, so Escape gets a pause
    // after it, as a person's typing would.
    let escape = |t: &Tmux| {
        t.key("Escape");
        std::thread::sleep(Duration::from_millis(300));
    };
    let filter = |t: &Tmux, text: &str| {
        t.keys("/");
        escape(t);
        t.keys("/");
        t.keys(text);
        t.key("Enter");
    };
    filter(&t, &ok);
    wait_screen(&t, "only the running connector", |s| {
        s.contains(&ok) && !s.contains(&bad) && s.contains("1 shown")
    });

    // Enter on the failed connector: its task, the root cause and the hint.
    filter(&t, &bad);
    wait_screen(&t, "only the failed connector", |s| {
        s.contains(&bad) && !s.contains(&ok)
    });
    t.key("Enter");
    let detail = wait_screen(&t, "the drill-down with the root cause", |s| {
        s.contains("Root cause (task 0)") && s.contains("filestream-file")
    });
    assert!(detail.contains("configuration or data error"), "{detail}");
    assert!(detail.contains("fix: Point `file`"), "{detail}");
    assert!(detail.contains("Dead letter queue"), "{detail}");
    assert!(detail.contains(&format!("{bad}-dlq")), "{detail}");
    escape(&t);

    // Pause the running one: a question first; 'n' changes nothing, 'y' pauses.
    filter(&t, &ok);
    wait_screen(&t, "the running connector alone", |s| {
        s.contains(&ok) && !s.contains(&bad)
    });
    t.keys("p");
    wait_screen(&t, "the confirmation", |s| {
        s.contains(&format!("Pause connector {ok}? (y/n)"))
    });
    t.keys("n");
    wait_screen(&t, "the cancellation", |s| s.contains("cancelled"));
    assert_eq!(
        connect.status(&ok).unwrap().connector.state.as_str(),
        "RUNNING"
    );
    t.keys("p");
    wait_screen(&t, "the confirmation", |s| s.contains("(y/n)"));
    t.keys("y");
    connect.wait_for(&ok, WAIT, "PAUSED", |s| {
        s.connector.state.as_str() == "PAUSED"
    });
    wait_screen(&t, "PAUSED on screen", |s| {
        s.lines().any(|l| l.contains(&ok) && l.contains("PAUSED"))
    });

    // q leaves the full screen and ends the command.
    t.keys("q");
    t.wait(WAIT, |s| !s.contains("connectctl top"))
        .unwrap_or_else(|| panic!("top did not quit:\n{}", t.screen()));
}

#[test]
fn top_needs_a_terminal() {
    let out = Command::new(env!("CARGO_BIN_EXE_connectctl"))
        .args(["top", "--url", "http://127.0.0.1:9"])
        .env("CONNECTCTL_CONFIG", "/nonexistent/connectctl-top-test.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("needs a terminal"), "{err}");
}
