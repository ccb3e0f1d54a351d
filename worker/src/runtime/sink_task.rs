//! The sink task loop (`WorkerSinkTask`): consume with group `connect-<name>` -> convert -> put
//! -> flush -> commit. A record that fails conversion is reported (log, DLQ) and, with
//! `errors.tolerance=all`, skipped; offsets are committed only after the task has flushed and
//! the DLQ producer has delivered, so nothing is lost on a crash.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connect_api::State;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::errors::{Consumed, DeadLetterQueue, ErrorHandling, Stage, kafka_error, log_error};
use super::kafka::sink_group;
use super::metrics::TaskMetrics;
use super::worker::TaskContext;
use crate::converters::Converter;
use crate::data::{ConnectRecord, Header, SinkRecord};
use crate::error::ConnectError;
use crate::plugin::SinkTask;
use crate::plugin::config_def::split_list;

/// `consumer.max.poll.records`' default.
const MAX_BATCH: usize = 500;

pub fn run(ctx: &TaskContext, mut task: Box<dyn SinkTask>) -> Result<(), ConnectError> {
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
    let consumer: BaseConsumer = ctx
        .settings
        .kafka
        .consumer(&ctx.connector_config, &sink_group(&ctx.id.connector))
        .set("client.id", format!("connector-consumer-{}", ctx.name()))
        .create()
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
    task.start()?;
    ctx.set_state(State::Running, None);

    let mut next_offsets: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut committed: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut seen_topics = std::collections::BTreeSet::new();
    let mut last_commit = Instant::now();
    let converters = Converters {
        key: &*key_conv,
        value: &*value_conv,
        header: &*header_conv,
    };
    let result = (|| -> Result<(), ConnectError> {
        while !ctx.stopping() {
            let mut batch: Vec<SinkRecord> = Vec::new();
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
                next_offsets.insert((msg.topic().to_owned(), msg.partition()), msg.offset() + 1);
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
                    Ok(Some(r)) => batch.push(r),
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
                                d.flush();
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
                    match task.put(&batch) {
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
                            return Err(ConnectError::connect("Exiting WorkerSinkTask due to unrecoverable exception.")
                                .at("org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(sink_task.rs)")
                                .with_cause(e));
                        }
                    }
                }
            }
            if last_commit.elapsed() >= ctx.settings.offset_flush_interval {
                commit(
                    &consumer,
                    &mut *task,
                    dlq.as_ref(),
                    &next_offsets,
                    &mut committed,
                )?;
                last_commit = Instant::now();
            }
        }
        Ok(())
    })();
    let done = match &result {
        Ok(()) => commit(
            &consumer,
            &mut *task,
            dlq.as_ref(),
            &next_offsets,
            &mut committed,
        ),
        Err(_) => Ok(()),
    };
    task.stop();
    result.and(done)
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

/// Flushes the task and the DLQ, then commits the consumed positions.
fn commit(
    consumer: &BaseConsumer,
    task: &mut dyn SinkTask,
    dlq: Option<&DeadLetterQueue>,
    next: &BTreeMap<(String, i32), i64>,
    committed: &mut BTreeMap<(String, i32), i64>,
) -> Result<(), ConnectError> {
    let changed: Vec<(&(String, i32), &i64)> = next
        .iter()
        .filter(|(k, v)| committed.get(*k) != Some(*v))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    task.flush()?;
    if let Some(d) = dlq {
        d.flush();
    }
    let mut tpl = TopicPartitionList::new();
    for ((topic, partition), offset) in &changed {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(**offset))
            .map_err(|e| kafka_error("Invalid offset", &e))?;
    }
    match consumer.commit(&tpl, CommitMode::Sync) {
        Ok(()) => {
            for (k, v) in changed {
                committed.insert(k.clone(), *v);
            }
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
