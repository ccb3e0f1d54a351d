//! Starting a distributed worker: the internal topics and their stores, the herder whose
//! placement is the group assignment, the group membership and the REST server.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;

use super::config::{DistributedConfig, ExactlyOnceSource, leader_transactional_id};
use super::config_store::KafkaConfigStore;
use super::connector_offsets::OffsetTopics;
use super::fencing::{FencedOffsets, Fencing, Hooks};
use super::herder::{Membership, TrackingRuntime, Worker};
use super::incremental::IncrementalAssignor;
use super::offset_store::KafkaOffsetStore;
use super::status_store::KafkaStatusStore;
use crate::config::WorkerConfig;
use crate::logging::LogLevels;
use crate::rest::{AppState, router};
use crate::runtime::herder::Herder;
use crate::runtime::metrics::Metrics;
use crate::runtime::store::OffsetStore;
use crate::runtime::worker::{KafkaRuntime, RuntimeSettings};
use crate::validation::WorkerDefaults;

pub struct Start {
    pub config: WorkerConfig,
    pub keys: DistributedConfig,
    pub listener: tokio::net::TcpListener,
    /// `host:port`, as Apache names workers.
    pub worker_id: String,
    pub kafka_cluster_id: String,
    pub levels: Arc<LogLevels>,
    pub defaults: WorkerDefaults,
}

/// Runs the worker until `shutdown` completes, then stops its work and leaves the group.
pub async fn serve(
    s: Start,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if s.config.raw.contains_key("plugin.path") {
        tracing::warn!("plugin.path is ignored: every plugin is built in");
    }
    let settings = RuntimeSettings::from_worker(&s.config.raw);
    let url = format!("http://{}/", s.worker_id);
    let membership = Arc::new(Membership::new(url));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (configs, statuses, offsets) = {
        let kafka = settings.kafka.clone();
        let keys = s.keys.clone();
        let generation = membership.generation.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let configs = KafkaConfigStore::open(
                &kafka,
                &keys.config_topic,
                Some(tx),
                keys.worker_sync_timeout
                    .max(std::time::Duration::from_secs(30)),
            )
            .context("cannot open the config topic (config.storage.topic)")?;
            let configs = if keys.exactly_once_source.transactional_leader() {
                configs.with_transactional_leader(
                    &kafka,
                    &leader_transactional_id(&keys.group_id),
                    &format!("connect-{}-configs", keys.group_id),
                )
            } else {
                configs
            };
            let statuses = KafkaStatusStore::open(&kafka, &keys.status_topic, generation)
                .context("cannot open the status topic (status.storage.topic)")?;
            let offsets = KafkaOffsetStore::open(&kafka, &keys.offset_topic)
                .context("cannot open the offsets topic (offset.storage.topic)")?;
            Ok((Arc::new(configs), Arc::new(statuses), Arc::new(offsets)))
        })
        .await??
    };
    let client = reqwest::Client::new();
    configs.set_task_writer(super::rest::task_writer(
        membership.clone(),
        s.keys.inter_worker_signature_algorithm.clone(),
        client.clone(),
        tokio::runtime::Handle::current(),
        Arc::downgrade(&configs),
    ));
    let fencing = Arc::new(Fencing::new(
        s.keys.group_id.clone(),
        settings.kafka.clone(),
        configs.clone(),
        membership.clone(),
        client.clone(),
        tokio::runtime::Handle::current(),
        s.keys.inter_worker_signature_algorithm.clone(),
    ));
    // Source offsets in the worker's topic, or a connector's own (`offsets.storage.topic`).
    let topics = Arc::new(OffsetTopics::new(
        settings.kafka.clone(),
        offsets.clone(),
        s.keys.offset_topic.clone(),
        configs.clone(),
    ));
    let metrics = Arc::new(Metrics::default());
    let mut kafka_runtime = KafkaRuntime::new(
        settings,
        statuses.clone(),
        topics.clone(),
        s.worker_id.clone(),
        metrics.clone(),
    );
    if s.keys.exactly_once_source == ExactlyOnceSource::Enabled {
        kafka_runtime = kafka_runtime.with_exactly_once(Arc::new(Hooks {
            fencing: fencing.clone(),
            offsets: topics.clone(),
        }));
    }
    let runtime = Arc::new(TrackingRuntime::new(Arc::new(kafka_runtime)));
    // Offsets alterations and resets: fenced and transactional under exactly-once.
    let herder_offsets: Arc<dyn OffsetStore> =
        if s.keys.exactly_once_source == ExactlyOnceSource::Enabled {
            Arc::new(FencedOffsets {
                fencing: fencing.clone(),
                inner: topics.clone(),
            })
        } else {
            topics.clone()
        };
    let herder = Arc::new(Herder::with_placement(
        configs.clone(),
        statuses.clone(),
        herder_offsets,
        runtime.clone(),
        s.worker_id.clone(),
        s.defaults,
        membership.clone(),
    ));
    let worker = Arc::new(Worker {
        config: s.keys.clone(),
        bootstrap: s
            .config
            .bootstrap_servers
            .split(',')
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .collect(),
        herder: herder.clone(),
        configs: configs.clone(),
        statuses: statuses.clone(),
        runtime,
        membership: membership.clone(),
        rejoin: Arc::new(Notify::new()),
        shutdown: Arc::new(Notify::new()),
        assignor: std::sync::Mutex::new(IncrementalAssignor::new(
            s.keys.scheduled_rebalance_max_delay,
        )),
        rounds: Default::default(),
        levels: s.levels.clone(),
    });
    // Records read while opening the config topic are the starting state, not changes.
    let mut rx = rx;
    while rx.try_recv().is_ok() {}
    let member = tokio::spawn(worker.clone().run(rx));

    let addr = s.listener.local_addr()?;
    tracing::info!(
        "REST API on http://{addr} (joining group {} as {})",
        s.keys.group_id,
        s.worker_id
    );
    let state = Arc::new(
        AppState::new(s.kafka_cluster_id, herder.clone())
            .with_metrics(metrics)
            .with_log_levels(s.levels)
            .with_topic_tracking(&s.config.raw)
            .with_cluster_levels({
                let configs = configs.clone();
                Arc::new(move |namespace: &str, level: &str| {
                    configs
                        .put_logger_level(namespace, level)
                        .map_err(|e| e.to_string())
                })
            }),
    );
    let app = super::rest::wrap(
        router(state),
        super::rest::Cluster {
            membership: membership.clone(),
            configs: configs.clone(),
            herder: herder.clone(),
            client,
            rebalance_wait: s.keys.rebalance_timeout,
            verification_algorithms: s.keys.inter_worker_verification_algorithms.clone(),
            fencing,
        },
    );
    axum::serve(
        s.listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("Kafka Connect stopping");
    worker.shutdown.notify_one();
    let _ = member.await;
    configs.close();
    statuses.close();
    topics.close();
    offsets.close();
    tracing::info!("Kafka Connect stopped");
    Ok(())
}
