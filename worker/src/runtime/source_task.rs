//! The source task loop (`WorkerSourceTask`): poll -> transform -> convert -> produce, and
//! commit source offsets only after the producer has acknowledged every record they cover, so a
//! crash can duplicate records since the last commit but never lose one. A record that fails in
//! a transform or converter goes to `errors.deadletterqueue.topic.name` when one is set, which
//! Apache offers to sink connectors only (see the crate documentation for the record's form).
//!
//! The task hears back as in Apache: `commit_record` for each record once the producer has
//! acknowledged it (at once, without metadata, for a record filtered or skipped), and `commit`
//! after each offset commit, when the offsets of the acknowledged records are durable.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use connect_api::State;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use super::errors::{
    DeadLetterQueue, ErrorHandling, SourceRecordBytes, Stage, json_rendering, kafka_error,
    log_error,
};
use super::kafka::{Ack, AckTracker, send_with_retry};
use super::metrics::TaskMetrics;
use super::transactions::Transactions;
use super::worker::TaskContext;
use crate::converters::Converter;
use crate::data::{ConnectRecord, Schema, SourceRecord, Value};
use crate::error::ConnectError;
use crate::plugin::{OffsetLookup, OffsetMap, RecordMetadata, SourceTask};

struct Lookup<'a>(&'a TaskContext);

impl OffsetLookup for Lookup<'_> {
    fn offset(&self, partition: &OffsetMap) -> Option<OffsetMap> {
        self.0.offsets.get(&self.0.id.connector, partition)
    }
}

pub fn run(ctx: &TaskContext, mut task: Box<dyn SourceTask>) -> Result<(), ConnectError> {
    let key_conv = ctx.converter("key.converter")?;
    let value_conv = ctx.converter("value.converter")?;
    let header_conv = ctx.converter("header.converter")?;
    let errors = ErrorHandling::from_config(&ctx.connector_config);
    let chain = crate::transforms::Chain::from_config(&ctx.connector_config)?;
    // Exactly-once: zombies fenced before the producer exists, its transactions initialised
    // (and the task checked to be current) before the task starts.
    let mut transactions = Transactions::prepare(ctx)?;
    let mut producer_config = ctx.settings.kafka.producer(&ctx.connector_config);
    producer_config.set("client.id", format!("connector-producer-{}", ctx.name()));
    if let Some((_, id)) = &transactions {
        producer_config.set("transactional.id", id);
    }
    let producer: BaseProducer<AckTracker> = producer_config
        .create_with_context(AckTracker::default())
        .map_err(|e| kafka_error("Failed to create the producer", &e))?;
    let mut transactions = match transactions.take() {
        Some((mut t, _)) => {
            t.init(ctx, &producer)?;
            Some(t)
        }
        None => None,
    };
    let dlq = DeadLetterQueue::open(
        &ctx.settings.kafka.base(),
        &errors,
        &ctx.id.connector,
        ctx.id.task,
        ctx.metrics.clone(),
    )?;
    let converters = Converters {
        key: &*key_conv,
        value: &*value_conv,
        header: &*header_conv,
    };
    // A record that failed in a transform or converter: logged, counted, written to the DLQ if
    // there is one, then skipped (`errors.tolerance=all`) or the end of the task, after the DLQ
    // has the record, as for sink records.
    let failed = |stage: Stage,
                  class: &str,
                  e: ConnectError,
                  rec: &ConnectRecord|
     -> Result<(), ConnectError> {
        log_error(&errors, &ctx.name(), stage, class, &e, None);
        TaskMetrics::add(&ctx.metrics.record_errors, 1);
        if let Some(d) = &dlq {
            d.report_source(&dlq_bytes(rec, &converters), stage, class, &e);
        }
        if !errors.tolerate_all {
            if let Some(d) = &dlq {
                // Failures are logged; the task fails with the record's error either way.
                let _ = d.flush();
            }
            return Err(ErrorHandling::tolerance_exceeded(e));
        }
        TaskMetrics::add(&ctx.metrics.records_skipped, 1);
        Ok(())
    };
    task.start(&Lookup(ctx))?;
    ctx.set_state(State::Running, None);
    // Latest offset per source partition, sent but not yet committed.
    let mut pending = PendingOffsets::default();
    let mut last_commit = Instant::now();
    let mut seen_topics = std::collections::BTreeSet::new();
    let mut inflight = InFlight {
        keep_data: task.commit_record_reads_data(),
        ..InFlight::default()
    };
    let result = (|| -> Result<(), ConnectError> {
        while !ctx.stopping() {
            let records = match task.poll() {
                Ok(r) => r,
                // Apache logs a retriable poll failure and simply polls again.
                Err(e) if e.class == crate::error::class::RETRIABLE => {
                    tracing::warn!(
                        "{} failed to poll records from SourceTask; will retry: {e}",
                        ctx.name()
                    );
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    continue;
                }
                Err(e) => return Err(e),
            };
            TaskMetrics::add(&ctx.metrics.records_read, records.len() as u64);
            let polled = records.len();
            if let (Some(t), true) = (transactions.as_mut(), polled > 0) {
                t.begin(&producer)?;
            }
            for r in records {
                // The record to send: the task's own, or a transformed copy (the task's is kept
                // for `commit_record`).
                let transformed = if chain.is_empty() {
                    None
                } else {
                    let origin = crate::transforms::Origin::Source {
                        partition: &r.source_partition,
                        offset: &r.source_offset,
                    };
                    match chain.apply(r.record.clone(), origin) {
                        Ok(Some(t)) => Some(t),
                        Ok(None) => {
                            // A filtered record's offset still counts as handled.
                            pending.record(r.source_partition.clone(), r.source_offset.clone());
                            commit_record(ctx, &mut *task, &r, None);
                            continue;
                        }
                        Err((class, e)) => {
                            // The record as the task returned it: the chain consumed its copy.
                            failed(Stage::Transformation, class, e, &r.record)?;
                            pending.record(r.source_partition.clone(), r.source_offset.clone());
                            commit_record(ctx, &mut *task, &r, None);
                            continue;
                        }
                    }
                };
                let record = transformed.as_ref().unwrap_or(&r.record);
                if !seen_topics.contains(&record.topic) {
                    ctx.statuses.add_topic(&ctx.id.connector, &record.topic);
                    seen_topics.insert(record.topic.clone());
                }
                // A skipped record's offset still counts as handled.
                pending.record(r.source_partition.clone(), r.source_offset.clone());
                match convert(record, &converters) {
                    Ok((k, v, h)) => {
                        let seq = inflight.next_seq();
                        let mut rec: BaseRecord<'_, [u8], [u8], usize> =
                            BaseRecord::with_opaque_to(&record.topic, seq);
                        if let Some(h) = h {
                            rec = rec.headers(h);
                        }
                        if let Some(k) = &k {
                            rec = rec.key(k.as_slice());
                        }
                        if let Some(v) = &v {
                            rec = rec.payload(v.as_slice());
                        }
                        if let Some(p) = record.kafka_partition {
                            rec = rec.partition(p);
                        }
                        if let Some(ts) = record.timestamp {
                            rec = rec.timestamp(ts);
                        }
                        send_with_retry(&producer, rec)
                            .map_err(|e| kafka_error("Failed to send record to Kafka", &e))?;
                        TaskMetrics::add(&ctx.metrics.records_written, 1);
                        inflight.sent(seq, r);
                    }
                    // The record as it was being converted, after the transforms.
                    Err((stage, class, e)) => {
                        failed(stage, class, e, record)?;
                        commit_record(ctx, &mut *task, &r, None);
                    }
                }
            }
            producer.poll(std::time::Duration::ZERO);
            inflight.acknowledge(ctx, &producer, &mut *task);
            let due = match &transactions {
                Some(t) => t.due(polled),
                None => last_commit.elapsed() >= ctx.settings.offset_flush_interval,
            };
            if due {
                commit_offsets(
                    ctx,
                    &producer,
                    transactions.as_mut(),
                    &errors,
                    dlq.as_ref(),
                    &mut pending,
                )?;
                inflight.acknowledge(ctx, &producer, &mut *task);
                commit_task(ctx, &mut *task);
                last_commit = Instant::now();
            }
        }
        Ok(())
    })();
    let committed = match &result {
        Ok(()) => commit_offsets(
            ctx,
            &producer,
            transactions.as_mut(),
            &errors,
            dlq.as_ref(),
            &mut pending,
        )
        .map(|()| {
            inflight.acknowledge(ctx, &producer, &mut *task);
            commit_task(ctx, &mut *task);
        }),
        Err(_) => Ok(()),
    };
    // A failed task leaves nothing of its open transaction for readers to see.
    if let (true, Some(t)) = (result.is_err() || committed.is_err(), transactions.as_mut()) {
        t.abort(ctx, &producer);
    }
    task.stop();
    result.and(committed)
}

struct Converters<'a> {
    key: &'a dyn Converter,
    value: &'a dyn Converter,
    header: &'a dyn Converter,
}

/// Key, value and headers as bytes; no headers is `None` (an empty header list costs an
/// allocation per record in librdkafka).
type Converted = (Option<Vec<u8>>, Option<Vec<u8>>, Option<OwnedHeaders>);

/// The frame a conversion failure is raised through, as in Apache's traces.
const CONVERT_FRAME: &str = "org.apache.kafka.connect.runtime.AbstractWorkerSourceTask.convertTransformedRecord(source_task.rs)";

/// Converts one record: key, then value, then headers; the first failure wins, so each failed
/// record is reported once.
fn convert(
    rec: &ConnectRecord,
    c: &Converters<'_>,
) -> Result<Converted, (Stage, &'static str, ConnectError)> {
    let key = c
        .key
        .to_bytes(&rec.topic, rec.key_schema.as_deref(), &rec.key)
        .map_err(|e| (Stage::KeyConverter, c.key.class(), e.at(CONVERT_FRAME)))?;
    let value = c
        .value
        .to_bytes(&rec.topic, rec.value_schema.as_deref(), &rec.value)
        .map_err(|e| (Stage::ValueConverter, c.value.class(), e.at(CONVERT_FRAME)))?;
    let mut headers =
        (!rec.headers.is_empty()).then(|| OwnedHeaders::new_with_capacity(rec.headers.len()));
    for h in &rec.headers {
        let v = c
            .header
            .to_bytes(&rec.topic, h.schema.as_deref(), &h.value)
            .map_err(|e| {
                (
                    Stage::HeaderConverter,
                    c.header.class(),
                    e.at(CONVERT_FRAME),
                )
            })?;
        headers = headers.map(|hs| {
            hs.insert(Header {
                key: &h.key,
                value: v.as_deref(),
            })
        });
    }
    Ok((key, value, headers))
}

/// A failed source record as the DLQ gets it: each part written by its converter, or as JSON
/// where that converter fails (see [`SourceRecordBytes`]).
fn dlq_bytes<'a>(rec: &'a ConnectRecord, c: &Converters<'_>) -> SourceRecordBytes<'a> {
    let write = |conv: &dyn Converter, schema: Option<&Schema>, value: &Value| {
        conv.to_bytes(&rec.topic, schema, value)
            .unwrap_or_else(|_| json_rendering(value))
    };
    SourceRecordBytes {
        topic: &rec.topic,
        partition: rec.kafka_partition.unwrap_or(-1),
        key: write(c.key, rec.key_schema.as_deref(), &rec.key),
        value: write(c.value, rec.value_schema.as_deref(), &rec.value),
        headers: rec
            .headers
            .iter()
            .map(|h| {
                (
                    h.key.as_str(),
                    write(c.header, h.schema.as_deref(), &h.value),
                )
            })
            .collect(),
        timestamp: rec.timestamp,
    }
}

/// Stores the offsets of what was sent: in the transaction, which then commits, under
/// exactly-once; otherwise once every sent record is acknowledged.
fn commit_offsets(
    ctx: &TaskContext,
    producer: &BaseProducer<AckTracker>,
    transactions: Option<&mut Transactions>,
    errors: &ErrorHandling,
    dlq: Option<&DeadLetterQueue>,
    pending: &mut PendingOffsets,
) -> Result<(), ConnectError> {
    match transactions {
        Some(t) => {
            t.commit(ctx, producer, &pending.entries)?;
            *pending = PendingOffsets::default();
            Ok(())
        }
        None => commit(ctx, producer, errors, dlq, pending),
    }
}

/// Waits for every sent record to be acknowledged, then stores the offsets.
fn commit(
    ctx: &TaskContext,
    producer: &BaseProducer<AckTracker>,
    errors: &ErrorHandling,
    dlq: Option<&DeadLetterQueue>,
    pending: &mut PendingOffsets,
) -> Result<(), ConnectError> {
    producer
        .flush(std::time::Duration::from_secs(60))
        .map_err(|e| kafka_error("Failed to flush, timed out while waiting for producer to flush outstanding messages", &e))?;
    // The offsets of skipped records are committed too: only once the DLQ has them.
    if let Some(d) = dlq {
        // Only records reported by a sink task make the flush fail: for a source, failures
        // are logged and counted, as in Apache.
        let _ = d.flush();
    }
    if let Some(e) = producer.context().take_error() {
        let err = kafka_error("Unrecoverable exception from producer send callback", &e);
        if !errors.tolerate_all {
            return Err(err);
        }
        log_error(
            errors,
            &ctx.name(),
            Stage::KafkaProduce,
            "org.apache.kafka.clients.producer.KafkaProducer",
            &err,
            None,
        );
    }
    if pending.entries.is_empty() {
        return Ok(());
    }
    let batch: Vec<(OffsetMap, Option<OffsetMap>)> = pending
        .entries
        .iter()
        .map(|(p, o)| ((**p).clone(), Some(o.clone())))
        .collect();
    ctx.offsets.put(&ctx.id.connector, &batch).map_err(|e| {
        ConnectError::connect("Failed to commit offsets")
            .with_cause(ConnectError::from_std(crate::error::class::IO, &e))
    })?;
    *pending = PendingOffsets::default();
    Ok(())
}

/// `SourceTask.commitRecord`; as in Apache, a failure is logged and the task goes on.
fn commit_record(
    ctx: &TaskContext,
    task: &mut dyn SourceTask,
    record: &SourceRecord,
    metadata: Option<&RecordMetadata>,
) {
    if let Err(e) = task.commit_record(record, metadata) {
        tracing::error!(
            "{} Exception thrown while calling task.commitRecord(): {e}",
            ctx.name()
        );
    }
}

/// `SourceTask.commit`, after an offset commit; a failure is logged and the task goes on.
fn commit_task(ctx: &TaskContext, task: &mut dyn SourceTask) {
    if let Err(e) = task.commit() {
        tracing::error!(
            "{} Exception thrown while calling task.commit(): {e}",
            ctx.name()
        );
    }
}

/// Records sent and not yet acknowledged, by the sequence number their delivery report
/// carries. Sequence numbers grow by one per record and reports come nearly in order, so the
/// records sit in a queue indexed from the oldest one's number, emptied from the front.
#[derive(Default)]
struct InFlight {
    next: usize,
    /// The sequence number of `records[0]`.
    first: usize,
    records: VecDeque<Option<SourceRecord>>,
    acks: Vec<Ack>,
    /// False when the task's `commit_record` reads no key, value or headers: those are
    /// dropped once converted rather than held until the record is acknowledged.
    keep_data: bool,
}

impl InFlight {
    fn next_seq(&mut self) -> usize {
        self.next = self.next.wrapping_add(1);
        self.next
    }

    fn sent(&mut self, seq: usize, mut record: SourceRecord) {
        if self.records.is_empty() {
            self.first = seq;
        }
        debug_assert_eq!(seq, self.first.wrapping_add(self.records.len()));
        if !self.keep_data {
            let r = &mut record.record;
            (r.key, r.value) = (Value::Null, Value::Null);
            (r.key_schema, r.value_schema) = (None, None);
            r.headers = Vec::new();
        }
        self.records.push_back(Some(record));
    }

    fn take(&mut self, seq: usize) -> Option<SourceRecord> {
        let record = self
            .records
            .get_mut(seq.wrapping_sub(self.first))
            .and_then(Option::take);
        while let Some(None) = self.records.front() {
            self.records.pop_front();
            self.first = self.first.wrapping_add(1);
        }
        record
    }

    /// Calls `commit_record` for each record the producer acknowledged since the last call.
    /// A failed delivery is left to the offset commit, which reports it.
    fn acknowledge(
        &mut self,
        ctx: &TaskContext,
        producer: &BaseProducer<AckTracker>,
        task: &mut dyn SourceTask,
    ) {
        let mut acks = std::mem::take(&mut self.acks);
        producer.context().take_acks(&mut acks);
        for (seq, ack) in acks.drain(..) {
            let Some(record) = self.take(seq) else {
                continue;
            };
            if let Ok((topic, partition, offset)) = ack {
                let metadata = RecordMetadata {
                    topic,
                    partition,
                    offset,
                };
                commit_record(ctx, task, &record, Some(&metadata));
            }
        }
        // The emptied vector keeps its room for the next reports.
        self.acks = acks;
    }
}

/// The latest source offset of each source partition since the last commit. Records of one
/// partition come in runs, so a record's partition is compared with the previous record's
/// first; the partition is serialized to find its entry only when it changes.
#[derive(Default)]
struct PendingOffsets {
    entries: Vec<(Arc<OffsetMap>, OffsetMap)>,
    index: HashMap<String, usize>,
    last: Option<usize>,
}

impl PendingOffsets {
    fn record(&mut self, partition: Arc<OffsetMap>, offset: OffsetMap) {
        if let Some(entry) = self.last.and_then(|i| self.entries.get_mut(i)) {
            if Arc::ptr_eq(&entry.0, &partition) || entry.0 == partition {
                entry.1 = offset;
                return;
            }
        }
        let key = serde_json::to_string(&*partition).unwrap_or_default();
        let i = match self.index.get(&key) {
            Some(&i) => {
                self.entries[i].1 = offset;
                i
            }
            None => {
                self.entries.push((partition, offset));
                self.index.insert(key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        self.last = Some(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: serde_json::Value) -> OffsetMap {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn pending_offsets_keep_the_latest_offset_of_each_partition() {
        let a = Arc::new(map(json!({"filename": "a"})));
        let b = Arc::new(map(json!({"filename": "b"})));
        let mut p = PendingOffsets::default();
        p.record(a.clone(), map(json!({"position": 1})));
        p.record(a.clone(), map(json!({"position": 2})));
        p.record(b.clone(), map(json!({"position": 10})));
        // An equal partition in another allocation is the same partition.
        p.record(
            Arc::new(map(json!({"filename": "a"}))),
            map(json!({"position": 3})),
        );
        p.record(b, map(json!({"position": 11})));
        let got: Vec<(OffsetMap, OffsetMap)> = p
            .entries
            .iter()
            .map(|(p, o)| ((**p).clone(), o.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (map(json!({"filename": "a"})), map(json!({"position": 3}))),
                (map(json!({"filename": "b"})), map(json!({"position": 11})))
            ]
        );
    }
}
