//! The sink task loop (`WorkerSinkTask`): consume with group `connect-<name>` -> convert -> put
//! -> flush -> commit. A record that fails conversion is reported (log, DLQ) and, with
//! `errors.tolerance=all`, skipped; offsets are committed only after the task has flushed and
//! the DLQ producer has delivered, so nothing is lost on a crash.
//!
//! The task sees Apache's lifecycle: `open` with the partitions assigned, `put` per batch,
//! `pre_commit` (by default a flush) at each offset commit with only its answer committed, and
//! `close` with the partitions revoked, after their offsets were committed. The rebalance
//! callbacks run inside the consumer's poll on the task's thread.
//!
//! Offsets are committed every `offset.flush.interval.ms`, except right after the task starts
//! or gets partitions: then the first commit comes after a second and the interval doubles up
//! to the configured one, so a worker killed soon after a (re)start redelivers seconds of
//! records rather than a whole interval.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use connect_api::State;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::errant::{Fallback, WorkerErrantRecordReporter, WorkerSinkTaskContext};
use super::errors::{
    Consumed, ConsumedBytes, DeadLetterQueue, ErrorHandling, Stage, kafka_error, log_error,
};
use super::kafka::sink_group;
use super::metrics::TaskMetrics;
use super::worker::TaskContext;
use crate::converters::Converter;
use crate::data::{ConnectRecord, Header, SinkRecord};
use crate::error::ConnectError;
use crate::plugin::config_def::split_list;
use crate::plugin::{SinkOffsets, SinkTask, TopicPartition};

/// `consumer.max.poll.records`' default.
const MAX_BATCH: usize = 500;

pub fn run(ctx: &TaskContext, task: Box<dyn SinkTask>) -> Result<(), ConnectError> {
    let key_conv = ctx.converter("key.converter")?;
    let value_conv = ctx.converter("value.converter")?;
    let header_conv = ctx.converter("header.converter")?;
    let errors = ErrorHandling::from_config(&ctx.connector_config);
    let chain = crate::transforms::Chain::from_config(&ctx.connector_config)?;
    let dlq = DeadLetterQueue::open(
        &ctx.settings.kafka.base(),
        &errors,
        &ctx.id.connector,
        ctx.id.task,
        ctx.metrics.clone(),
    )?;
    let dlq = dlq.map(Arc::new);
    let reporter = WorkerErrantRecordReporter::create(
        &errors,
        dlq.clone(),
        ctx.name(),
        ctx.metrics.clone(),
        Fallback {
            key: ctx.converter("key.converter")?,
            value: ctx.converter("value.converter")?,
            header: ctx.converter("header.converter")?,
        },
    );
    let mut task = task;
    task.initialize(Arc::new(WorkerSinkTaskContext {
        reporter: reporter.clone(),
    }));
    let consumer: BaseConsumer<SinkContext> = ctx
        .settings
        .kafka
        .consumer(&ctx.connector_config, &sink_group(&ctx.id.connector))
        .set("client.id", format!("connector-consumer-{}", ctx.name()))
        .create_with_context(SinkContext {
            name: ctx.name(),
            dlq: dlq.clone(),
            shared: Mutex::new(Shared {
                task,
                next: SinkOffsets::new(),
                committed: SinkOffsets::new(),
                error: None,
                assigned: false,
            }),
        })
        .map_err(|e| kafka_error("Failed to create the consumer", &e))?;
    let topics = split_list(
        ctx.connector_config
            .get("topics")
            .map(String::as_str)
            .unwrap_or(""),
    );
    let subscription: Vec<String> = match ctx.connector_config.get("topics.regex").map(|s| s.trim())
    {
        // librdkafka treats a topic starting with '^' as a regex; Java patterns match the whole name.
        Some(r) if !r.is_empty() => vec![format!("^(?:{r})$")],
        _ => topics,
    };
    let refs: Vec<&str> = subscription.iter().map(String::as_str).collect();
    consumer
        .subscribe(&refs)
        .map_err(|e| kafka_error("Failed to subscribe", &e))?;
    consumer.context().shared().task.start()?;
    ctx.set_state(State::Running, None);

    let mut seen_topics = std::collections::BTreeSet::new();
    let mut last_commit = Instant::now();
    let mut interval = FIRST_COMMIT.min(ctx.settings.offset_flush_interval);
    let converters = Converters {
        key: &*key_conv,
        value: &*value_conv,
        header: &*header_conv,
    };
    let result = (|| -> Result<(), ConnectError> {
        while !ctx.stopping() {
            let mut batch: Vec<SinkRecord> = Vec::new();
            let mut batch_next = SinkOffsets::new();
            let mut timeout = Duration::from_millis(100);
            while batch.len() < MAX_BATCH {
                let Some(polled) = consumer.poll(timeout) else {
                    break;
                };
                timeout = Duration::ZERO;
                let msg = match polled {
                    Ok(m) => m,
                    Err(e) => {
                        // Transient consumer errors (broker down, rebalance) are retried by
                        // librdkafka; report them and keep polling.
                        tracing::warn!("{} consumer error: {e}", ctx.name());
                        continue;
                    }
                };
                if !seen_topics.contains(msg.topic()) {
                    ctx.statuses.add_topic(&ctx.id.connector, msg.topic());
                    seen_topics.insert(msg.topic().to_owned());
                }
                // Counted as consumed only once the batch is put (or the record skipped), so a
                // record that fails the task is never committed, as in Apache.
                batch_next.insert(
                    TopicPartition::new(msg.topic(), msg.partition()),
                    msg.offset() + 1,
                );
                TaskMetrics::add(&ctx.metrics.records_read, 1);
                let stopping = || ctx.stopping();
                let converted =
                    with_retries_staged(&errors, &stopping, || convert(&msg, &converters))
                        .and_then(|mut r| {
                            if chain.is_empty() {
                                return Ok(Some(r));
                            }
                            let origin = crate::transforms::Origin::Sink {
                                kafka_offset: r.kafka_offset,
                            };
                            match chain.apply(r.record, origin) {
                                Ok(Some(t)) => {
                                    r.record = t;
                                    Ok(Some(r))
                                }
                                Ok(None) => Ok(None),
                                Err((class, e)) => Err((Stage::Transformation, class, e)),
                            }
                        });
                match converted {
                    Ok(Some(r)) => {
                        if let Some(rep) = &reporter {
                            rep.remember(&r, ConsumedBytes::of(&msg));
                        }
                        batch.push(r);
                    }
                    Ok(None) => {}
                    Err((stage, class, e)) => {
                        let consumed = Consumed {
                            topic: msg.topic(),
                            partition: msg.partition(),
                            offset: msg.offset(),
                            timestamp: msg.timestamp().to_millis(),
                        };
                        log_error(&errors, &ctx.name(), stage, class, &e, Some(&consumed));
                        TaskMetrics::add(&ctx.metrics.record_errors, 1);
                        if let Some(d) = &dlq {
                            d.report(&msg, stage, class, &e);
                        }
                        if !errors.tolerate_all {
                            // Apache reports the record, then fails the task.
                            if let Some(d) = &dlq {
                                // Failures are logged; the task fails with the record's error.
                                let _ = d.flush();
                            }
                            return Err(sink_failure(ErrorHandling::tolerance_exceeded(e)));
                        }
                        TaskMetrics::add(&ctx.metrics.records_skipped, 1);
                    }
                }
            }
            if !batch.is_empty() {
                TaskMetrics::add(&ctx.metrics.records_written, batch.len() as u64);
                // A RetriableException from put redelivers the same records after a pause,
                // until the task is stopped; anything else ends the task.
                let mut attempt = 0;
                loop {
                    let put = consumer.context().shared().task.put(&batch);
                    match put {
                        Ok(()) => break,
                        Err(e) if e.class == crate::error::class::RETRIABLE && !ctx.stopping() => {
                            attempt += 1;
                            tracing::warn!(
                                "{} RetriableException from SinkTask: {e}; redelivering",
                                ctx.name()
                            );
                            let delay =
                                super::errors::retry_delay(attempt, 10_000, u64::MAX, |m| m / 2);
                            std::thread::sleep(Duration::from_millis(delay));
                        }
                        Err(e) => {
                            // Records the task reported before failing (errors.tolerance=none)
                            // reach the DLQ first, as in Apache.
                            if let Some(d) = &dlq {
                                let _ = d.flush();
                            }
                            return Err(ConnectError::connect("Exiting WorkerSinkTask due to unrecoverable exception.")
                                .at("org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(sink_task.rs)")
                                .with_cause(e));
                        }
                    }
                }
                if let Some(rep) = &reporter {
                    rep.forget();
                }
            }
            let context = consumer.context();
            context.shared().next.extend(batch_next);
            if let Some(e) = context.shared().error.take() {
                return Err(e);
            }
            if std::mem::take(&mut context.shared().assigned) {
                // New partitions: commit soon, then less and less often.
                interval = FIRST_COMMIT.min(ctx.settings.offset_flush_interval);
                last_commit = Instant::now();
            }
            if last_commit.elapsed() >= interval {
                let mut shared = context.shared();
                commit(&consumer, &mut shared, dlq.as_deref(), None)?;
                last_commit = Instant::now();
                interval = (interval * 2).min(ctx.settings.offset_flush_interval);
            }
        }
        Ok(())
    })();
    let done = match &result {
        Ok(()) => {
            let mut shared = consumer.context().shared();
            commit(&consumer, &mut shared, dlq.as_deref(), None)
        }
        Err(_) => Ok(()),
    };
    // Leaving the group revokes every partition: `close` is called with them from the
    // rebalance callback, after their offsets were committed. Then the task stops.
    leave_group(ctx, &consumer);
    consumer.context().shared().task.stop();
    result.and(done)
}

/// Closes the consumer as dropping it would (leaving the group at once, so a restarted worker
/// gets the partitions without waiting out the session timeout), but while the task still
/// exists to be closed and stopped.
fn leave_group(ctx: &TaskContext, consumer: &BaseConsumer<SinkContext>) {
    if let Err(e) = consumer.close_queue() {
        tracing::warn!("{} failed to leave the consumer group: {e}", ctx.name());
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !consumer.closed() && Instant::now() < deadline {
        // Serves the revocation callback, then the close.
        let _ = consumer.poll(Duration::from_millis(100));
    }
}

/// The first offset commit after a start or an assignment.
const FIRST_COMMIT: Duration = Duration::from_secs(1);

/// What the task loop and the rebalance callbacks share.
struct Shared {
    task: Box<dyn SinkTask>,
    /// The next offset to read of each partition consumed, as `pre_commit` gets it.
    next: SinkOffsets,
    /// The offsets last committed.
    committed: SinkOffsets,
    /// A failure in a rebalance callback, raised by the loop.
    error: Option<ConnectError>,
    /// Partitions were assigned since the loop last looked.
    assigned: bool,
}

/// The consumer's context: runs `open`, and the commit and `close` of revoked partitions.
struct SinkContext {
    name: String,
    dlq: Option<Arc<DeadLetterQueue>>,
    shared: Mutex<Shared>,
}

impl SinkContext {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

impl ClientContext for SinkContext {}

impl ConsumerContext for SinkContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        let revoked = partitions(tpl);
        if revoked.is_empty() {
            return;
        }
        let mut shared = self.shared();
        // Apache commits the revoked partitions' offsets, then closes them.
        let committed = commit(consumer, &mut shared, self.dlq.as_deref(), Some(&revoked));
        let closed = shared.task.close(&revoked);
        for tp in &revoked {
            shared.next.remove(tp);
            shared.committed.remove(tp);
        }
        if let Err(e) = committed.and(closed) {
            tracing::error!("{} failed to close partitions {revoked:?}: {e}", self.name);
            shared.error.get_or_insert(e);
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Assign(tpl) = rebalance else {
            return;
        };
        let assigned = partitions(tpl);
        if assigned.is_empty() {
            return;
        }
        let mut shared = self.shared();
        shared.assigned = true;
        if let Err(e) = shared.task.open(&assigned) {
            shared.error.get_or_insert(e);
        }
    }
}

fn sink_failure(e: ConnectError) -> ConnectError {
    let mut e = e;
    e.frames.push(
        "org.apache.kafka.connect.runtime.WorkerSinkTask.convertAndTransformRecord(sink_task.rs)"
            .into(),
    );
    e
}

struct Converters<'a> {
    key: &'a dyn Converter,
    value: &'a dyn Converter,
    header: &'a dyn Converter,
}

/// Converts one consumed record: key, then value, then headers; the first failure wins, so each
/// failed record is reported once.
fn convert(
    msg: &BorrowedMessage<'_>,
    c: &Converters<'_>,
) -> Result<SinkRecord, (Stage, &'static str, ConnectError)> {
    let topic = msg.topic();
    let key = c
        .key
        .to_connect(topic, msg.key())
        .map_err(|e| (Stage::KeyConverter, c.key.class(), e))?;
    let value = c
        .value
        .to_connect(topic, msg.payload())
        .map_err(|e| (Stage::ValueConverter, c.value.class(), e))?;
    let mut headers = Vec::new();
    if let Some(hs) = msg.headers() {
        for h in hs.iter() {
            let sv = c
                .header
                .to_connect(topic, h.value)
                .map_err(|e| (Stage::HeaderConverter, c.header.class(), e))?;
            headers.push(Header {
                key: h.key.to_owned(),
                schema: sv.schema,
                value: sv.value,
            });
        }
    }
    Ok(SinkRecord {
        record: ConnectRecord {
            topic: topic.to_owned(),
            kafka_partition: Some(msg.partition()),
            key_schema: key.schema,
            key: key.value,
            value_schema: value.schema,
            value: value.value,
            timestamp: msg.timestamp().to_millis(),
            headers,
        },
        kafka_offset: msg.offset(),
    })
}

/// Asks the task what may be committed (`pre_commit`, by default a flush), flushes the DLQ,
/// then commits what changed since the last commit; `only` limits it to some partitions (those
/// being revoked).
fn commit<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    shared: &mut Shared,
    dlq: Option<&DeadLetterQueue>,
    only: Option<&[TopicPartition]>,
) -> Result<(), ConnectError> {
    let current: SinkOffsets = match only {
        None => shared.next.clone(),
        Some(parts) => shared
            .next
            .iter()
            .filter(|(tp, _)| parts.contains(tp))
            .map(|(tp, o)| (tp.clone(), *o))
            .collect(),
    };
    if current
        .iter()
        .all(|(tp, o)| shared.committed.get(tp) == Some(o))
    {
        return Ok(());
    }
    let to_commit = shared.task.pre_commit(&current)?;
    if let Some(d) = dlq {
        d.flush()?;
    }
    let changed: Vec<(TopicPartition, i64)> = to_commit
        .into_iter()
        .filter(|(tp, o)| current.contains_key(tp) && shared.committed.get(tp) != Some(o))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    for (tp, offset) in &changed {
        tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))
            .map_err(|e| kafka_error("Invalid offset", &e))?;
    }
    match consumer.commit(&tpl, CommitMode::Sync) {
        Ok(()) => {
            shared.committed.extend(changed);
            Ok(())
        }
        // A failed commit is retried at the next interval; the records stay delivered.
        Err(e) => {
            tracing::warn!("offset commit failed: {e}");
            Ok(())
        }
    }
}

/// `with_retries` for a conversion that reports which stage failed.
fn with_retries_staged<T>(
    h: &ErrorHandling,
    stop: &dyn Fn() -> bool,
    mut op: impl FnMut() -> Result<T, (Stage, &'static str, ConnectError)>,
) -> Result<T, (Stage, &'static str, ConnectError)> {
    let mut failed = None;
    let r = super::errors::with_retries(h, stop, || {
        op().map_err(|(stage, class, e)| {
            failed = Some((stage, class));
            e
        })
    });
    r.map_err(|e| {
        let (stage, class) = failed.unwrap_or((Stage::ValueConverter, ""));
        (stage, class, e)
    })
}
