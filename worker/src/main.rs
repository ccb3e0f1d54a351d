//! `connect-worker standalone WORKER.properties [CONNECTOR.properties|.json ...]`
//! `connect-worker distributed WORKER.properties`

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
use connect_worker::distributed::config::DistributedConfig;
use connect_worker::logging::{self, LogLevels};
use connect_worker::rest::{AppState, router};
use connect_worker::runtime::herder::Herder;
use connect_worker::runtime::store::{
    FileOffsetStore, MemoryConfigStore, MemoryStatusStore, OffsetStore, StatusStore,
};
use connect_worker::runtime::worker::{KafkaRuntime, RuntimeSettings};
use connect_worker::validation::WorkerDefaults;

// jemalloc with its background purging thread gives freed memory back to the system after a
// burst of large REST bodies; glibc's per-thread arenas kept ~200 MB.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    /// Run a worker of a distributed group (group.id, config/offset/status topics in Kafka),
    /// which Apache Kafka Connect workers can be members of too
    Distributed {
        /// Worker config (.properties, Apache key names)
        worker_config: PathBuf,
    },
}

fn main() -> ExitCode {
    if let Some(code) = about::generate_man_if_asked(<Cli as clap::CommandFactory>::command) {
        return code;
    }
    let cli = Cli::parse();
    let levels = match logging::init(logging::Level::Info) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot set up logging: {e}");
            return ExitCode::from(1);
        }
    };
    // Dirty pages are purged by jemalloc's own thread after its decay time (10 s), also when no
    // request comes to trigger a purge.
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!("cannot start the allocator's purging thread: {e}");
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("Stopping due to error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli, levels)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("Stopping due to error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli, levels: Arc<LogLevels>) -> anyhow::Result<()> {
    let (worker_config, connectors) = match cli.mode {
        Mode::Standalone {
            worker_config,
            connectors,
        } => (worker_config, connectors),
        Mode::Distributed { worker_config } => {
            let config = WorkerConfig::load(&worker_config)?;
            let keys = DistributedConfig::from_worker(&config.raw)?;
            let kafka_cluster_id = fetch_cluster_id(&config.bootstrap_servers).await?;
            let listener = tokio::net::TcpListener::bind(&config.rest_listen)
                .await
                .with_context(|| format!("cannot listen on {} (listeners)", config.rest_listen))?;
            let worker_id = worker_id(&config, listener.local_addr()?);
            let defaults = WorkerDefaults {
                exactly_once_source: Some(
                    keys.exactly_once_source
                        == connect_worker::distributed::config::ExactlyOnceSource::Enabled,
                ),
                ..worker_defaults(&config)
            };
            return connect_worker::distributed::start::serve(
                connect_worker::distributed::start::Start {
                    config,
                    keys,
                    listener,
                    worker_id,
                    kafka_cluster_id,
                    levels,
                    defaults,
                },
                shutdown_signal(),
            )
            .await;
        }
    };
    let config = WorkerConfig::load(&worker_config)?;
    if config.raw.contains_key("plugin.path") {
        tracing::warn!("plugin.path is ignored: every plugin is built in");
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
            tracing::warn!(
                "offset.storage.file.filename is not set; source offsets are kept in memory only"
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
    let defaults = worker_defaults(&config);
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

    tracing::info!("REST API on http://{addr}");
    let app = router(Arc::new(
        AppState::new(kafka_cluster_id, herder.clone())
            .with_metrics(metrics)
            .with_log_levels(levels)
            .with_topic_tracking(&config.raw),
    ));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("Kafka Connect stopping");
    // A second signal while tasks finish their batches exits at once.
    tokio::spawn(async {
        shutdown_signal().await;
        tracing::warn!("Second signal, exiting now");
        std::process::exit(130);
    });
    tokio::task::spawn_blocking(move || herder.stop_all()).await?;
    tracing::info!("Kafka Connect stopped");
    Ok(())
}

/// The worker's converters, as connectors without their own get them.
fn worker_defaults(config: &WorkerConfig) -> WorkerDefaults {
    let get = |k: &str, d: String| config.raw.get(k).cloned().unwrap_or(d);
    WorkerDefaults {
        key_converter: get("key.converter", WorkerDefaults::default().key_converter),
        value_converter: get("value.converter", WorkerDefaults::default().value_converter),
        header_converter: get(
            "header.converter",
            WorkerDefaults::default().header_converter,
        ),
        exactly_once_source: None,
    }
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
    let text = connect_config_files::read_file(path)
        .with_context(|| format!("cannot read connector config {}", path.display()))?;
    let config: connect_api::ConfigMap = if path.extension().is_some_and(|e| e == "json") {
        let file = connect_config_files::connector_json::load(&text)
            .with_context(|| format!("{} is not a connector config", path.display()))?;
        for w in &file.warnings {
            eprintln!("connect-worker: warning: {}: {w}", path.display());
        }
        let mut map = file.config;
        if let Some(n) = file.name {
            map.entry("name".into()).or_insert(n);
        }
        map
    } else {
        parse_properties(&text)
            .with_context(|| format!("{} is not a connector config", path.display()))?
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
