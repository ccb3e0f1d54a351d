//! Test support for the real test environment: one Apache Kafka broker, one Apache Kafka Connect
//! worker with Apache's plugins, a second one (its own Connect cluster) with Debezium's PostgreSQL
//! connector, one PostgreSQL and one MariaDB server, started by `scripts/env/up` and shared by
//! every test of a run.
//!
//! Tests call [`env()`] to get the addresses; if the environment is not up (a plain `cargo test`
//! without the README's test command), the first call starts it. Tests never share names: use
//! [`unique`] for topics, connectors and groups so parallel tests and reruns never collide.

pub mod tmux;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;
use serde_json::Value;

pub mod sql;
pub mod worker;

/// Where the environment's Kafka, Kafka Connect and databases listen.
#[derive(Debug, Clone, Deserialize)]
pub struct Env {
    pub bootstrap_servers: String,
    /// The Apache worker with Apache's own plugins only (the reference for connect-worker).
    pub connect_url: String,
    /// An Apache worker of a second Connect cluster with Debezium's PostgreSQL connector on its
    /// plugin.path.
    pub debezium_connect_url: String,
    pub kafka_cluster_id: String,
    pub connect_version: String,
    /// PostgreSQL (`wal_level=logical`) on 127.0.0.1; the user is a superuser.
    pub postgres_host: String,
    pub postgres_port: u16,
    pub postgres_user: String,
    pub postgres_password: String,
    /// `jdbc:postgresql://127.0.0.1:PORT/postgres`
    pub postgres_jdbc_url: String,
    /// MariaDB on 127.0.0.1; the user has all privileges with grant option.
    pub mariadb_host: String,
    pub mariadb_port: u16,
    pub mariadb_user: String,
    pub mariadb_password: String,
    /// `jdbc:mariadb://127.0.0.1:PORT/`
    pub mariadb_jdbc_url: String,
    /// A directory with the PostgreSQL and MariaDB JDBC driver jars.
    pub jdbc_drivers_dir: String,
    /// Apicurio Registry's Confluent-compatible API (`.../apis/ccompat/v7`); absent in an
    /// environment started before the registry was part of it.
    #[serde(default)]
    pub schema_registry_url: Option<String>,
    /// Apicurio's own v2 API, which Apicurio's Java Avro converter talks to.
    #[serde(default)]
    pub apicurio_registry_url: Option<String>,
    /// The environment's directory (its logs are under `logs/`).
    pub dir: String,
}

impl Env {
    /// The JDBC URL of one PostgreSQL database.
    pub fn postgres_jdbc_url_for(&self, database: &str) -> String {
        format!(
            "jdbc:postgresql://{}:{}/{database}",
            self.postgres_host, self.postgres_port
        )
    }

    /// The JDBC URL of one MariaDB database.
    pub fn mariadb_jdbc_url_for(&self, database: &str) -> String {
        format!(
            "jdbc:mariadb://{}:{}/{database}",
            self.mariadb_host, self.mariadb_port
        )
    }
}

/// The root of the workspace.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file under `fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    workspace_root().join("fixtures").join(rel)
}

/// The shared environment, started on first use if needed.
pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        // `scripts/env/up` reuses a healthy environment and prints its env.json; it is locked,
        // so concurrent test binaries wait for one start rather than racing.
        let out = Command::new(workspace_root().join("scripts/env/up"))
            .output()
            .expect("cannot run scripts/env/up");
        assert!(
            out.status.success(),
            "scripts/env/up failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "scripts/env/up printed no env.json ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    })
}

/// A name no other test (in this run or an earlier one) uses: `prefix-<time>-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 100_000_000;
    format!(
        "{prefix}-{t}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn client_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &env().bootstrap_servers);
    c
}

/// Creates a topic (replication factor 1) and waits until it is usable.
pub fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    // rdkafka's admin futures are driven by its own thread, so a plain executor can wait on them.
    let res = futures::executor::block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .expect("create_topics");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
    wait_for_partitions(name, partitions as usize);
}

fn wait_for_partitions(topic: &str, partitions: usize) {
    let consumer: BaseConsumer = client_config().create().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) {
            if let Some(t) = md.topics().first() {
                if t.error().is_none()
                    && t.partitions().len() == partitions
                    && t.partitions().iter().all(|p| p.leader() >= 0)
                {
                    return;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic} never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A record to produce or one that was consumed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestRecord {
    pub partition: Option<i32>,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// Headers in order; a `None` value is a null header.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

impl TestRecord {
    pub fn value(v: impl AsRef<[u8]>) -> Self {
        TestRecord {
            value: Some(v.as_ref().to_vec()),
            ..Default::default()
        }
    }

    pub fn key(mut self, k: impl AsRef<[u8]>) -> Self {
        self.key = Some(k.as_ref().to_vec());
        self
    }

    pub fn header(mut self, name: &str, v: Option<&[u8]>) -> Self {
        self.headers.push((name.to_owned(), v.map(<[u8]>::to_vec)));
        self
    }

    pub fn value_str(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(|v| std::str::from_utf8(v).unwrap())
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| std::str::from_utf8(v).unwrap())
    }
}

/// Produces records in order and waits until every one is acknowledged.
pub fn produce(topic: &str, records: &[TestRecord]) {
    let producer: BaseProducer = client_config()
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for r in records {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).headers(headers);
        if let Some(k) = &r.key {
            rec = rec.key(k.as_slice());
        }
        if let Some(v) = &r.value {
            rec = rec.payload(v.as_slice());
        }
        if let Some(p) = r.partition {
            rec = rec.partition(p);
        }
        if let Some(ts) = r.timestamp {
            rec = rec.timestamp(ts);
        }
        let mut rec = Some(rec);
        while let Some(r) = rec.take() {
            if let Err((e, back)) = producer.send(r) {
                assert!(
                    matches!(
                        e.rdkafka_error_code(),
                        Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                    ),
                    "produce to {topic}: {e}"
                );
                producer.poll(Duration::from_millis(50));
                rec = Some(back);
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Reads a topic from the beginning (assign + seek, no group) until `expected` records arrived or
/// `timeout` passed; returns what it read. `read_committed` skips aborted transactions.
pub fn consume(
    topic: &str,
    expected: usize,
    timeout: Duration,
    read_committed: bool,
) -> Vec<TestRecord> {
    let consumer: BaseConsumer = client_config()
        .set("group.id", unique("testkit"))
        .set("enable.auto.commit", "false")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .unwrap();
    let deadline = Instant::now() + timeout;
    // The topic may not exist yet (e.g. a DLQ that Connect creates on the first failure).
    let partitions = loop {
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        let t = &md.topics()[0];
        if t.error().is_none() && !t.partitions().is_empty() {
            break t.partitions().iter().map(|p| p.id()).collect::<Vec<_>>();
        }
        if Instant::now() >= deadline {
            return Vec::new();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    while out.len() < expected && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => out.push(TestRecord {
                partition: Some(m.partition()),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
                timestamp: m.timestamp().to_millis(),
            }),
            Some(Err(e)) => panic!("consume {topic}: {e}"),
            None => {}
        }
    }
    out
}

/// A thin blocking client for the real Connect worker, for setting up test scenarios.
pub struct Connect {
    http: reqwest::blocking::Client,
    base: String,
}

impl Connect {
    pub fn new() -> Self {
        Self::at(&env().connect_url)
    }

    /// The worker with Debezium's PostgreSQL connector.
    pub fn debezium() -> Self {
        Self::at(&env().debezium_connect_url)
    }

    pub fn at(base: &str) -> Self {
        Connect {
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// Sends a request; returns the status code and the body as JSON (`Null` when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call_with_headers(method, path, body, &[])
    }

    /// [`Connect::call`] with extra request headers.
    pub fn call_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        for (h, v) in headers {
            req = req.header(*h, *v);
        }
        let resp = req.send().unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Sends a raw body with the given content type (none when `None`), for malformed requests.
    pub fn call_raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body.to_vec());
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let resp = req.send().unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Creates a connector and asserts the worker accepted it.
    pub fn create(&self, name: &str, config: Value) -> Value {
        let (status, body) = self.call(
            "POST",
            "/connectors",
            Some(&serde_json::json!({"name": name, "config": config})),
        );
        assert_eq!(status, 201, "creating {name}: {body}");
        body
    }

    pub fn delete(&self, name: &str) {
        let _ = self.call("DELETE", &format!("/connectors/{name}"), None);
    }

    pub fn status(&self, name: &str) -> Option<connect_api::ConnectorStateInfo> {
        let (code, body) = self.call("GET", &format!("/connectors/{name}/status"), None);
        (code == 200).then(|| serde_json::from_value(body).unwrap())
    }

    /// Waits until `pred` holds for the connector's status, or panics after `timeout`.
    pub fn wait_for(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&connect_api::ConnectorStateInfo) -> bool,
    ) -> connect_api::ConnectorStateInfo {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.status(name);
            if let Some(s) = &s {
                if pred(s) {
                    return s.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{name}: never {what}; last status {s:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Default for Connect {
    fn default() -> Self {
        Self::new()
    }
}

/// A binary of this workspace, built by cargo first (a no-op when it is up to date). Tests of one
/// crate use this for another crate's binary, which `CARGO_BIN_EXE_*` does not provide. Cargo
/// is asked rather than trusting a file in the target dir, which may be older than the sources.
pub fn workspace_bin(package: &str, bin: &str) -> PathBuf {
    // The test executable lives in <target>/<profile>/deps; the binaries one level up.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test executable under <target>/<profile>/deps")
        .to_path_buf();
    let target_dir = profile_dir.parent().expect("a target dir").to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace_root())
        // The whole workspace with every target, as scripts/test builds it: building one package
        // alone unifies dependency features differently, which rebuilds librdkafka, jemalloc and
        // zstd under other hashes (minutes on a 2-core machine) for a binary that is up to date.
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--target-dir",
        ])
        .arg(&target_dir);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cannot run cargo build");
    assert!(
        status.success(),
        "cargo build --workspace --all-targets failed (needed for {package}'s {bin})"
    );
    profile_dir.join(bin)
}
