//! `connect-worker standalone WORKER.properties [CONNECTOR...]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use connect_worker::config::WorkerConfig;
use connect_worker::rest::{AppState, router};

/// A Kafka Connect worker compatible with Apache Kafka Connect.
#[derive(Debug, Parser)]
#[command(name = "connect-worker", version, about)]
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
        connectors: _,
    } = cli.mode;
    let config = WorkerConfig::load(&worker_config)?;
    if config.raw.contains_key("plugin.path") {
        eprintln!("connect-worker: plugin.path is ignored: every plugin is built in");
    }
    let kafka_cluster_id = fetch_cluster_id(&config.bootstrap_servers).await?;
    let listener = tokio::net::TcpListener::bind(&config.rest_listen)
        .await
        .with_context(|| format!("cannot listen on {} (listeners)", config.rest_listen))?;
    eprintln!(
        "connect-worker: REST API on http://{}",
        listener.local_addr()?
    );
    let app = router(Arc::new(AppState { kafka_cluster_id }));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
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
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}
