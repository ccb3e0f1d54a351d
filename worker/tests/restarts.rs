//! A sink worker stopped or killed and started again: it resumes within seconds, and a clean
//! stop leaves the consumer group at once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use connect_testkit::worker::Worker;
use connect_testkit::{TestRecord, create_topic, env, produce, unique};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn distinct(p: &Path) -> usize {
    lines(p).into_iter().collect::<BTreeSet<_>>().len()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

fn produce_lines(topic: &str, from: usize, to: usize) {
    let records: Vec<TestRecord> = (from..to)
        .map(|i| TestRecord::value(format!("line-{i}")))
        .collect();
    produce(topic, &records);
}

/// A connector file for a FileStreamSink on `topic` into `sink`, named `name`.
fn sink_file(dir: &Path, name: &str, topic: &str, sink: &Path) -> PathBuf {
    let path = dir.join(format!("{name}.properties"));
    std::fs::write(
        &path,
        format!(
            "name={name}\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n",
            sink.display()
        ),
    )
    .unwrap();
    path
}

fn start(dir: tempfile::TempDir, connector: &Path) -> Worker {
    Worker::start_with(Path::new(BIN), dir, &[], &[connector])
}

/// A worker with Apache's default offset commit interval (60 s).
fn start_default_interval(dir: tempfile::TempDir, connector: &Path) -> Worker {
    Worker::start_with(
        Path::new(BIN),
        dir,
        &["offset.flush.interval.ms=60000"],
        &[connector],
    )
}

/// The members of a consumer group, as the broker describes it.
fn group_members(group: &str) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &env().bootstrap_servers)
        .create()
        .unwrap();
    let list = consumer
        .fetch_group_list(Some(group), Duration::from_secs(10))
        .unwrap();
    list.groups()
        .iter()
        .find(|g| g.name() == group)
        .map_or(0, |g| g.members().len())
}

/// After a SIGKILL, a restarted worker delivers again within 15 s: it does not wait out the
/// old member's 45 s session. With a 60 s commit interval, the lines written in the first
/// seconds after the start are committed within seconds, so a kill 4 s after them repeats none.
#[test]
fn a_killed_sink_worker_resumes_within_seconds_of_its_restart() {
    let name = unique("restart-kill");
    let topic = unique("restart-kill");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink.txt");
    let connector = sink_file(dir.path(), &name, &topic, &sink);
    produce_lines(&topic, 0, 1000);
    let mut w = start_default_interval(dir, &connector);
    wait_until("the first 1000 lines", Duration::from_secs(60), || {
        distinct(&sink) == 1000
    });
    std::thread::sleep(Duration::from_secs(4));
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    let dir = std::mem::replace(&mut w.dir, tempfile::tempdir().unwrap());
    drop(w);
    produce_lines(&topic, 1000, 2000);
    let restarted = Instant::now();
    let w = start_default_interval(dir, &connector);
    wait_until(
        "every line after the restart",
        Duration::from_secs(15),
        || distinct(&sink) == 2000,
    );
    eprintln!("resumed {:?} after the restart began", restarted.elapsed());
    assert_eq!(
        lines(&sink).len(),
        2000,
        "the first lines were committed seconds after the start: none comes again"
    );
    drop(w);
}

/// SIGTERM: the worker commits, closes its consumers and leaves the group, so the group is
/// empty the moment the process has exited, and a restarted worker gets its partitions at
/// once without duplicates.
#[test]
fn sigterm_leaves_the_consumer_group_at_once() {
    let name = unique("restart-term");
    let topic = unique("restart-term");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink.txt");
    let connector = sink_file(dir.path(), &name, &topic, &sink);
    produce_lines(&topic, 0, 500);
    let w = start(dir, &connector);
    let group = format!("connect-{name}");
    wait_until("500 lines", Duration::from_secs(60), || {
        distinct(&sink) == 500
    });
    assert_eq!(group_members(&group), 1, "the task is a member");
    let dir = w.terminate();
    assert_eq!(group_members(&group), 0, "SIGTERM left the group");
    produce_lines(&topic, 500, 1000);
    let w = start(dir, &connector);
    let took = wait_until("the next 500 lines", Duration::from_secs(15), || {
        distinct(&sink) == 1000
    });
    eprintln!("resumed in {took:?}");
    assert_eq!(lines(&sink).len(), 1000, "a clean stop redelivers nothing");
    drop(w);
}
