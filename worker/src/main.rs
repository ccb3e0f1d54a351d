//! `connect-worker standalone WORKER.properties [CONNECTOR.properties|.json ...]`

mod about;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use connect_worker::config::{WorkerConfig, parse_properties};
use connect_worker::rest::{AppState, router};
use connect_worker::runtime::herder::Herder;
use connect_worker::runtime::store::{
    FileOffsetStore, MemoryConfigStore, MemoryStatusStore, OffsetStore, StatusStore,
};
use connect_worker::runtime::worker::{KafkaRuntime, RuntimeSettings};
use connect_worker::validation::WorkerDefaults;

/// A Kafka Connect worker compatible with Apache Kafka Connect.
#[derive(Debug, Parser)]
#[command(name = "connect-worker", version = about::VERSION, about)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Run a single standalone worker (offsets in a local file)
    Standalone {
        /// Worker config (.properties, Apache key names)
        worker_config: PathBuf,
        /// Connector configs to start (.properties or .json)
        connectors: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    if let Some(code) = about::generate_man_if_asked(<Cli as clap::CommandFactory>::command) {
        return code;
    }
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Mode::Standalone {
        worker_config,
        connectors,
    } = cli.mode;
    let config = WorkerConfig::load(&worker_config)?;
    if config.raw.contains_key("plugin.path") {
        eprintln!("connect-worker: plugin.path is ignored: every plugin is built in");
    }
    // Read connector files first so a typo fails fast, before anything starts.
    let connector_configs = connectors
        .iter()
        .map(|p| load_connector(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let kafka_cluster_id = fetch_cluster_id(&config.bootstrap_servers).await?;
    let listener = tokio::net::TcpListener::bind(&config.rest_listen)
        .await
        .with_context(|| format!("cannot listen on {} (listeners)", config.rest_listen))?;
    let addr = listener.local_addr()?;
    let worker_id = worker_id(&config, addr);

    let offsets: Arc<dyn OffsetStore> = match config
        .raw
        .get("offset.storage.file.filename")
        .filter(|f| !f.trim().is_empty())
    {
        Some(f) => Arc::new(
            FileOffsetStore::open(PathBuf::from(f.trim())).with_context(|| {
                format!("cannot read offsets from {f} (offset.storage.file.filename)")
            })?,
        ),
        None => {
            eprintln!(
                "connect-worker: offset.storage.file.filename is not set; source offsets are kept in memory only"
            );
            Arc::new(FileOffsetStore::in_memory())
        }
    };
    let statuses: Arc<dyn StatusStore> = Arc::new(MemoryStatusStore::default());
    let metrics = Arc::new(connect_worker::runtime::metrics::Metrics::default());
    let runtime = Arc::new(KafkaRuntime::new(
        RuntimeSettings::from_worker(&config.raw),
        statuses.clone(),
        offsets.clone(),
        worker_id.clone(),
        metrics.clone(),
    ));
    let defaults = WorkerDefaults {
        key_converter: config
            .raw
            .get("key.converter")
            .cloned()
            .unwrap_or_else(|| WorkerDefaults::default().key_converter),
        value_converter: config
            .raw
            .get("value.converter")
            .cloned()
            .unwrap_or_else(|| WorkerDefaults::default().value_converter),
        header_converter: config
            .raw
            .get("header.converter")
            .cloned()
            .unwrap_or_else(|| WorkerDefaults::default().header_converter),
    };
    let herder = Arc::new(Herder::new(
        Arc::new(MemoryConfigStore::default()),
        statuses,
        offsets,
        runtime,
        worker_id,
        defaults,
    ));

    for (name, cfg) in connector_configs {
        let h = herder.clone();
        let n = name.clone();
        tokio::task::spawn_blocking(move || h.put_connector(&n, cfg, false, None))
            .await?
            .map_err(|e| anyhow::anyhow!("cannot create connector {name}: {e}"))?;
    }

    eprintln!("connect-worker: REST API on http://{addr}");
    let app = router(Arc::new(
        AppState::new(kafka_cluster_id, herder.clone())
            .with_metrics(metrics)
            .with_topic_tracking(&config.raw),
    ));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("connect-worker: stopping tasks");
    // A second signal while tasks finish their batches exits at once.
    tokio::spawn(async {
        shutdown_signal().await;
        eprintln!("connect-worker: second signal, exiting now");
        std::process::exit(130);
    });
    tokio::task::spawn_blocking(move || herder.stop_all()).await?;
    eprintln!("connect-worker: stopped");
    Ok(())
}

/// `<advertised host>:<port>`, as Apache builds worker ids.
fn worker_id(config: &WorkerConfig, addr: std::net::SocketAddr) -> String {
    let host = config
        .raw
        .get("rest.advertised.host.name")
        .cloned()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| {
            if addr.ip().is_unspecified() {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .map(|h| h.trim().to_owned())
                    .unwrap_or_else(|_| "localhost".into())
            } else {
                addr.ip().to_string()
            }
        });
    let port = config
        .raw
        .get("rest.advertised.port")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(addr.port());
    format!("{host}:{port}")
}

/// A connector file: Java properties, or JSON either as the create request
/// (`{"name":..,"config":{..}}`) or as a flat config map.
fn load_connector(path: &Path) -> anyhow::Result<(String, connect_api::ConfigMap)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read connector config {}", path.display()))?;
    let config: connect_api::ConfigMap = if path.extension().is_some_and(|e| e == "json") {
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let obj = v.get("config").cloned().unwrap_or(v.clone());
        let mut map: connect_api::ConfigMap =
            serde_json::from_value::<std::collections::BTreeMap<String, serde_json::Value>>(obj)
                .with_context(|| {
                    format!(
                        "{}: expected a JSON object of config values",
                        path.display()
                    )
                })?
                .into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect();
        if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
            map.entry("name".into()).or_insert_with(|| n.to_owned());
        }
        map
    } else {
        parse_properties(&text)
    };
    let name = config
        .get("name")
        .cloned()
        .with_context(|| format!("{}: the connector config has no 'name'", path.display()))?;
    Ok((name, config))
}

async fn fetch_cluster_id(bootstrap: &str) -> anyhow::Result<String> {
    let bootstrap = bootstrap.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .context("cannot create a Kafka client")?;
        consumer
            .client()
            .fetch_cluster_id(Duration::from_secs(30))
            .with_context(|| format!("cannot reach Kafka at {bootstrap} (bootstrap.servers)"))
    })
    .await?
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
