//! Exactly-once source tasks (KIP-618, Apache's `ExactlyOnceWorkerSourceTask`): the task's
//! producer is transactional (`transactional.id` `<group>-<connector>-<task>`), and the records
//! of a transaction are committed together with the source offsets they reach, written to the
//! offsets topic by the same producer. A reader with `isolation.level=read_committed` sees each
//! record once: a task killed mid-transaction leaves it to be aborted, and its successor resumes
//! from the offsets of the last committed one. Before the producer is created the leader fences
//! out producers of older task generations; after, the task checks it is still current.
//!
//! `transaction.boundary`: `poll` (default) commits after each batch the task returns,
//! `interval` every `transaction.boundary.interval.ms` (default `offset.flush.interval.ms`).
//! `connector` needs a connector that defines its own boundaries, which none here does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::ConfigMap;
use rdkafka::producer::{BaseProducer, Producer};

use super::errors::kafka_error;
use super::kafka::AckTracker;
use super::worker::{ExactlyOnce, TaskContext};
use crate::distributed::offset_store;
use crate::error::ConnectError;
use crate::plugin::OffsetMap;

/// How long a transaction's init, commit or abort may take (the Java producer's
/// `max.block.ms` default).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Opaque of offset records: not a task record, so no `commit_record` follows its delivery.
const OFFSET_RECORD: usize = usize::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Boundary {
    Poll,
    Interval(Duration),
}

pub struct Transactions {
    hooks: Arc<dyn ExactlyOnce>,
    generation: u64,
    offsets_topic: String,
    offsets_partitions: i32,
    boundary: Boundary,
    open: bool,
    last_commit: Instant,
}

fn boundary(config: &ConfigMap, default_interval: Duration) -> Result<Boundary, ConnectError> {
    let name = config
        .get("transaction.boundary")
        .map(|b| b.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "poll".into());
    match name.as_str() {
        "poll" => Ok(Boundary::Poll),
        "interval" => {
            let ms = match config.get("transaction.boundary.interval.ms").map(|v| v.trim()) {
                None | Some("") => return Ok(Boundary::Interval(default_interval)),
                Some(v) => v.parse::<u64>().map_err(|_| {
                    ConnectError::new(crate::error::class::CONFIG, format!(
                        "Invalid value {v} for configuration transaction.boundary.interval.ms: Not a number of type LONG"
                    ))
                })?,
            };
            Ok(Boundary::Interval(Duration::from_millis(ms)))
        }
        "connector" => Err(ConnectError::connect(
            "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.",
        )),
        other => Err(ConnectError::new(
            crate::error::class::CONFIG,
            format!(
                "Invalid value {other} for configuration transaction.boundary: String must be one of (case insensitive): INTERVAL, POLL, CONNECTOR"
            ),
        )),
    }
}

impl Transactions {
    /// For a task of a worker with exactly-once enabled: the round of zombie fencing, then the
    /// `transactional.id` its producer gets.
    pub fn prepare(ctx: &TaskContext) -> Result<Option<(Transactions, String)>, ConnectError> {
        let Some((hooks, generation)) = ctx.exactly_once.clone() else {
            return Ok(None);
        };
        let boundary = boundary(&ctx.connector_config, ctx.settings.offset_flush_interval)?;
        hooks.fence(&ctx.id.connector)?;
        let (offsets_topic, offsets_partitions) = hooks.offsets_topic(&ctx.id.connector)?;
        let id = hooks.transactional_id(&ctx.id);
        Ok(Some((
            Transactions {
                hooks,
                generation,
                offsets_topic,
                offsets_partitions,
                boundary,
                open: false,
                last_commit: Instant::now(),
            },
            id,
        )))
    }

    /// Initialises the producer's transactions (fencing out an older producer of this task),
    /// checks the task is still current, and reads the offsets committed so far.
    pub fn init(
        &mut self,
        ctx: &TaskContext,
        producer: &BaseProducer<AckTracker>,
    ) -> Result<(), ConnectError> {
        producer.init_transactions(TIMEOUT).map_err(|e| {
            kafka_error(
                "Failed to initialize transactions for the task producer",
                &e,
            )
        })?;
        self.hooks.verify(&ctx.id, self.generation)?;
        self.hooks.read_offsets(&ctx.id.connector)?;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Opens a transaction before the first record that goes into it.
    pub fn begin(&mut self, producer: &BaseProducer<AckTracker>) -> Result<(), ConnectError> {
        if !self.open {
            producer
                .begin_transaction()
                .map_err(|e| kafka_error("Failed to begin producer transaction", &e))?;
            self.open = true;
        }
        Ok(())
    }

    /// Whether the transaction ends after a poll that returned `polled` records.
    pub fn due(&self, polled: usize) -> bool {
        match self.boundary {
            Boundary::Poll => polled > 0,
            Boundary::Interval(i) => self.last_commit.elapsed() >= i,
        }
    }

    /// Writes the offsets reached into the transaction and commits it.
    pub fn commit(
        &mut self,
        ctx: &TaskContext,
        producer: &BaseProducer<AckTracker>,
        offsets: &[(Arc<OffsetMap>, OffsetMap)],
    ) -> Result<(), ConnectError> {
        self.last_commit = Instant::now();
        if offsets.is_empty() && !self.open {
            return Ok(());
        }
        self.begin(producer)?;
        let failed = |e: &rdkafka::error::KafkaError| {
            ConnectError::connect(format!(
                "Failed to flush offsets and/or records for task {}",
                ctx.name()
            ))
            .with_cause(kafka_error("Failed to commit producer transaction", e))
        };
        offset_store::send_offsets(
            producer,
            &self.offsets_topic,
            self.offsets_partitions,
            &ctx.id.connector,
            offsets.iter().map(|(p, o)| (&**p, Some(o))),
            || OFFSET_RECORD,
        )
        .map_err(|e| failed(&e))?;
        self.open = false;
        producer
            .commit_transaction(TIMEOUT)
            .map_err(|e| failed(&e))?;
        if let Some(e) = producer.context().take_error() {
            return Err(failed(&e));
        }
        self.hooks.committed(&ctx.id.connector, offsets);
        Ok(())
    }

    /// Gives up the open transaction of a failed task, so readers never see its records.
    pub fn abort(&mut self, ctx: &TaskContext, producer: &BaseProducer<AckTracker>) {
        if std::mem::take(&mut self.open) {
            if let Err(e) = producer.abort_transaction(TIMEOUT) {
                tracing::warn!("{} Failed to abort producer transaction: {e}", ctx.name());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let config = |pairs: &[(&str, &str)]| -> ConfigMap {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let flush = Duration::from_secs(60);
        assert_eq!(boundary(&config(&[]), flush).unwrap(), Boundary::Poll);
        assert_eq!(
            boundary(&config(&[("transaction.boundary", "interval")]), flush).unwrap(),
            Boundary::Interval(flush)
        );
        assert_eq!(
            boundary(
                &config(&[
                    ("transaction.boundary", "INTERVAL"),
                    ("transaction.boundary.interval.ms", "500")
                ]),
                flush
            )
            .unwrap(),
            Boundary::Interval(Duration::from_millis(500))
        );
        let e = boundary(&config(&[("transaction.boundary", "connector")]), flush).unwrap_err();
        assert!(
            e.to_string()
                .contains("connector-defined transaction boundaries"),
            "{e}"
        );
        assert!(boundary(&config(&[("transaction.boundary", "never")]), flush).is_err());
    }
}
