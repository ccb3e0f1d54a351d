//! Zombie fencing for exactly-once source connectors (KIP-618, Apache's
//! `DistributedHerder.fenceZombieSourceTasks`). Before a source task starts under
//! `exactly.once.source.support=enabled`, the leader makes sure no task of an older generation
//! of the connector can still commit a transaction: when new task configs were committed after
//! the connector's last `tasks-fencing-<c>` record, it fences out the transactional ids of the
//! task count that record names (by initialising a producer for each, as `Admin.fenceProducers`
//! does) and writes the new task count. A task on another worker asks the leader through the
//! signed internal endpoint `PUT /connectors/{c}/fence`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use connect_api::{ConnectorTaskId, ConnectorType};
use rdkafka::producer::{BaseProducer, Producer};

use super::config::task_transactional_id;
use super::config_store::KafkaConfigStore;
use super::connector_offsets::OffsetTopics;
use super::herder::Membership;
use super::offset_store::KafkaOffsetStore;
use crate::error::ConnectError;
use crate::plugin::OffsetMap;
use crate::runtime::herder::HerderState;
use crate::runtime::kafka::KafkaSettings;
use crate::runtime::store::OffsetStore;
use crate::runtime::worker::ExactlyOnce;

/// How long fencing one producer may take.
const FENCE_TIMEOUT: Duration = Duration::from_secs(60);

/// A refused fencing request: the status and message the REST answer carries.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Refused {
    fn new(status: StatusCode, message: impl Into<String>) -> Refused {
        Refused {
            status,
            message: message.into(),
        }
    }
}

pub struct Fencing {
    pub group: String,
    pub settings: KafkaSettings,
    pub configs: Arc<KafkaConfigStore>,
    pub membership: Arc<Membership>,
    pub client: reqwest::Client,
    pub runtime: tokio::runtime::Handle,
    /// `inter.worker.signature.algorithm`, for requests to the leader.
    pub algorithm: String,
    /// One round at a time: a request that waited finds the work done.
    round: Mutex<()>,
}

impl Fencing {
    pub fn new(
        group: String,
        settings: KafkaSettings,
        configs: Arc<KafkaConfigStore>,
        membership: Arc<Membership>,
        client: reqwest::Client,
        runtime: tokio::runtime::Handle,
        algorithm: String,
    ) -> Fencing {
        Fencing {
            group,
            settings,
            configs,
            membership,
            client,
            runtime,
            algorithm,
            round: Mutex::new(()),
        }
    }

    /// `doFenceZombieSourceTasks`, on the leader.
    pub fn fence_as_leader(&self, connector: &str) -> Result<(), Refused> {
        let internal = |e: &dyn std::fmt::Display| {
            Refused::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        };
        if !self.membership.is_leader() {
            return Err(Refused::new(
                StatusCode::CONFLICT,
                "Only the leader may perform zombie fencing.",
            ));
        }
        let _round = self.round.lock().unwrap_or_else(|e| e.into_inner());
        let Some(config) = self.configs.connector_config(connector) else {
            return Err(Refused::new(
                StatusCode::NOT_FOUND,
                format!("Connector {connector} not found"),
            ));
        };
        if HerderState::connector_type(&config) != ConnectorType::Source {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                format!("Connector {connector} is not a source connector"),
            ));
        }
        self.configs.read_to_end().map_err(|_| {
            internal(&"Failed to read to end of config topic before performing zombie fencing")
        })?;
        let snapshot = self.configs.snapshot();
        if !snapshot.pending_fencing.contains(connector) {
            tracing::debug!(
                "Skipping zombie fencing round for connector {connector} as all old task generations have already been fenced out"
            );
            return Ok(());
        }
        let task_count = snapshot.tasks.get(connector).map_or(0, Vec::len) as u32;
        let generation = self.configs.task_generation(connector);
        match snapshot.task_count_records.get(connector).copied() {
            // One task before and after: the new task's producer fences the old one itself.
            Some(old) if old != 1 || task_count != 1 => {
                let ids: Vec<String> = (0..old)
                    .map(|t| task_transactional_id(&self.group, connector, t))
                    .collect();
                tracing::info!(
                    "Fencing out {old} task producers of connector {connector} before bringing up {task_count} new ones"
                );
                fence_producers(&self.settings, &ids).map_err(|e| internal(&e))?;
                self.configs
                    .read_to_end()
                    .map_err(|_| internal(&"Failed to read to end of config topic"))?;
                if self.configs.task_generation(connector) != generation {
                    return Err(Refused::new(
                        StatusCode::CONFLICT,
                        "Fencing failed because new task configurations were generated for the connector",
                    ));
                }
            }
            _ => tracing::debug!(
                "Skipping zombie fencing round but writing task count record for connector {connector}"
            ),
        }
        self.configs
            .put_task_count_record(connector, task_count)
            .map_err(|e| internal(&e))
    }

    /// A task of this worker needs a round of fencing: done here on the leader, asked of the
    /// leader otherwise.
    pub fn for_task(&self, connector: &str) -> Result<(), ConnectError> {
        let failed = |message: String| {
            ConnectError::connect("Failed to perform round of zombie fencing")
                .with_cause(ConnectError::connect(message))
        };
        let deadline = Instant::now() + FENCE_TIMEOUT;
        loop {
            if self.membership.is_leader() && !self.membership.is_rebalancing() {
                return self
                    .fence_as_leader(connector)
                    .map_err(|r| failed(r.message));
            }
            match (
                self.membership.leader_url(),
                self.membership.is_rebalancing(),
            ) {
                (Some(leader), false) => {
                    match self.ask_leader(&leader, connector) {
                        Ok(()) => return Ok(()),
                        // The leader moved or is rebalancing: ask again shortly.
                        Err((Some(StatusCode::CONFLICT), _)) if Instant::now() < deadline => {}
                        Err((_, message)) => return Err(failed(message)),
                    }
                }
                _ if Instant::now() >= deadline => {
                    return Err(failed(
                        "no leader to send the fencing request to (the group is rebalancing)"
                            .into(),
                    ));
                }
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `PUT {leader}/connectors/{c}/fence`, signed under `sessioned` (over the empty body).
    fn ask_leader(
        &self,
        leader: &str,
        connector: &str,
    ) -> Result<(), (Option<StatusCode>, String)> {
        let url = format!(
            "{}/connectors/{}/fence?forward=true",
            leader.trim_end_matches('/'),
            super::rest::urlencode(connector)
        );
        tracing::debug!(
            "Forwarding zombie fencing request for connector {connector} to leader at {url}"
        );
        let request = super::rest::signed(
            self.client.put(&url),
            &self.membership,
            &self.configs,
            &self.algorithm,
            b"",
        );
        let sent = self.runtime.block_on(async {
            let r = request.send().await?;
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            Ok::<_, reqwest::Error>((status, body))
        });
        match sent {
            Ok((status, _)) if status.is_success() => Ok(()),
            Ok((status, body)) => {
                let message = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                    .unwrap_or(body);
                Err((
                    Some(status),
                    format!("the leader at {leader} answered {status}: {message}"),
                ))
            }
            Err(e) => Err((
                None,
                format!(
                    "Forwarding zombie fencing request to the leader at {leader} failed: {}",
                    e.without_url()
                ),
            )),
        }
    }
}

/// Fences out the producers of `ids`: initialising a producer with a transactional id bumps
/// its epoch, so the broker refuses the older producer's writes and aborts its open
/// transaction.
pub fn fence_producers(settings: &KafkaSettings, ids: &[String]) -> Result<(), ConnectError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| {
                scope.spawn(move || -> Result<(), ConnectError> {
                    let fail = |e: &rdkafka::error::KafkaError| {
                        crate::runtime::errors::kafka_error(
                            &format!("Failed to fence out the producer with transactional id {id}"),
                            e,
                        )
                    };
                    let producer: BaseProducer = settings
                        .base()
                        .set("transactional.id", id)
                        .set("client.id", format!("{id}-fencing"))
                        .create()
                        .map_err(|e| fail(&e))?;
                    producer
                        .init_transactions(FENCE_TIMEOUT)
                        .map_err(|e| fail(&e))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(ConnectError::connect("a fencing thread panicked")))
            })
            .collect::<Result<Vec<()>, _>>()
            .map(drop)
    })
}

/// The offsets store of a worker with exactly-once enabled. Tasks write their offsets in their
/// own transactions; what comes here is an offsets alteration or reset (the connector is
/// stopped), which the leader makes as Apache does: a round of zombie fencing first, then the
/// offsets in a transaction of task 0's transactional id, fencing out any task 0 still alive.
pub struct FencedOffsets {
    pub fencing: Arc<Fencing>,
    pub inner: Arc<OffsetTopics>,
}

impl OffsetStore for FencedOffsets {
    fn get(&self, connector: &str, partition: &OffsetMap) -> Option<OffsetMap> {
        self.inner.get(connector, partition)
    }

    fn all(&self, connector: &str) -> Vec<(OffsetMap, OffsetMap)> {
        self.inner.all(connector)
    }

    fn put(
        &self,
        connector: &str,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<(), std::io::Error> {
        self.fencing.fence_as_leader(connector).map_err(|r| {
            std::io::Error::other(format!(
                "Failed to perform zombie fencing for source connector prior to modifying offsets: {}",
                r.message
            ))
        })?;
        let primary = self.inner.primary(connector)?;
        let worker = self.inner.worker_store();
        let own_topic = !Arc::ptr_eq(&primary, worker);
        let (tombstones, values): (Vec<_>, Vec<_>) =
            offsets.iter().cloned().partition(|(_, o)| o.is_none());
        if own_topic && !tombstones.is_empty() {
            worker.put(connector, &tombstones)?;
        }
        let id = task_transactional_id(&self.fencing.group, connector, 0);
        let failed = |e: rdkafka::error::KafkaError| {
            std::io::Error::other(format!(
                "Failed to modify offsets for source connector {connector}: {e}"
            ))
        };
        let producer: BaseProducer = self
            .fencing
            .settings
            .base()
            .set("transactional.id", &id)
            .set(
                "client.id",
                format!("connector-offset-producer-{connector}"),
            )
            .create()
            .map_err(failed)?;
        producer.init_transactions(FENCE_TIMEOUT).map_err(failed)?;
        producer.begin_transaction().map_err(failed)?;
        super::offset_store::send_offsets(
            &producer,
            primary.topic(),
            primary.partitions(),
            connector,
            offsets.iter().map(|(p, o)| (p, o.as_ref())),
            || (),
        )
        .map_err(failed)?;
        producer.commit_transaction(FENCE_TIMEOUT).map_err(failed)?;
        primary.read_to_end().map_err(std::io::Error::other)?;
        if own_topic {
            super::connector_offsets::secondary(worker, connector, &values);
        }
        Ok(())
    }
}

/// The exactly-once hooks of a distributed worker's source tasks.
pub struct Hooks {
    pub fencing: Arc<Fencing>,
    pub offsets: Arc<OffsetTopics>,
}

fn io(what: &str, e: impl std::fmt::Display) -> ConnectError {
    ConnectError::connect(what.to_owned()).with_cause(ConnectError::connect(e.to_string()))
}

impl ExactlyOnce for Hooks {
    fn transactional_id(&self, id: &ConnectorTaskId) -> String {
        task_transactional_id(&self.fencing.group, &id.connector, id.task)
    }

    fn generation(&self, connector: &str) -> u64 {
        self.fencing.configs.task_generation(connector)
    }

    fn fence(&self, connector: &str) -> Result<(), ConnectError> {
        self.fencing.for_task(connector)
    }

    fn verify(&self, id: &ConnectorTaskId, generation: u64) -> Result<(), ConnectError> {
        let name = format!("{}-{}", id.connector, id.task);
        self.fencing
            .configs
            .read_to_end()
            .map_err(|e| io("Failed to read to end of config topic", e))?;
        if self.fencing.configs.task_generation(&id.connector) != generation {
            return Err(ConnectError::connect(format!(
                "Cannot start source task {name} with exactly-once support as the connector has already generated a new set of task configs"
            )));
        }
        if !self.fencing.membership.runs_task_here(id) {
            return Err(ConnectError::connect(format!(
                "Cannot start source task {name} as it has already been revoked from this worker"
            )));
        }
        Ok(())
    }

    fn offsets_topic(&self, connector: &str) -> Result<(String, i32), ConnectError> {
        let store = self
            .offsets
            .primary(connector)
            .map_err(|e| io("Failed to open the connector's offsets topic", e))?;
        Ok((store.topic().to_owned(), store.partitions()))
    }

    fn read_offsets(&self, connector: &str) -> Result<(), ConnectError> {
        let read = |s: &KafkaOffsetStore| {
            s.read_to_end()
                .map_err(|e| io("Failed to read to end of offsets topic", e))
        };
        read(self.offsets.worker_store())?;
        if let Some(own) = self
            .offsets
            .connector_store(connector)
            .map_err(|e| io("Failed to open the connector's offsets topic", e))?
        {
            read(&own)?;
        }
        Ok(())
    }

    fn committed(&self, connector: &str, offsets: &[(Arc<OffsetMap>, OffsetMap)]) {
        if let Ok(Some(_)) = self.offsets.connector_store(connector) {
            let copies: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
                .iter()
                .map(|(p, o)| ((**p).clone(), Some(o.clone())))
                .collect();
            super::connector_offsets::secondary(self.offsets.worker_store(), connector, &copies);
        }
    }
}
