//! The source task loop (`WorkerSourceTask`): poll -> convert -> produce, and commit source
//! offsets only after the producer has acknowledged every record they cover, so a crash can
//! duplicate records since the last commit but never lose one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use connect_api::State;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use super::errors::{ErrorHandling, Stage, kafka_error, log_error};
use super::kafka::{DeliveryTracker, send_with_retry};
use super::metrics::TaskMetrics;
use super::worker::TaskContext;
use crate::data::SourceRecord;
use crate::error::ConnectError;
use crate::plugin::{OffsetLookup, OffsetMap, SourceTask};

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
    let producer: BaseProducer<DeliveryTracker> = ctx
        .settings
        .kafka
        .producer(&ctx.connector_config)
        .set("client.id", format!("connector-producer-{}", ctx.name()))
        .create_with_context(DeliveryTracker::default())
        .map_err(|e| kafka_error("Failed to create the producer", &e))?;
    task.start(&Lookup(ctx))?;
    ctx.set_state(State::Running, None);
    // Latest offset per source partition, sent but not yet committed.
    let mut pending = PendingOffsets::default();
    let mut last_commit = Instant::now();
    let mut seen_topics = std::collections::BTreeSet::new();
    let result = (|| -> Result<(), ConnectError> {
        while !ctx.stopping() {
            let records = match task.poll() {
                Ok(r) => r,
                // Apache logs a retriable poll failure and simply polls again.
                Err(e) if e.class == crate::error::class::RETRIABLE => {
                    eprintln!(
                        "connect-worker: WARN {} failed to poll records from SourceTask; will retry: {e}",
                        ctx.name()
                    );
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    continue;
                }
                Err(e) => return Err(e),
            };
            TaskMetrics::add(&ctx.metrics.records_read, records.len() as u64);
            for mut r in records {
                if !chain.is_empty() {
                    let origin = crate::transforms::Origin::Source {
                        partition: &r.source_partition,
                        offset: &r.source_offset,
                    };
                    match chain.apply(r.record.clone(), origin) {
                        Ok(Some(t)) => r.record = t,
                        Ok(None) => {
                            // A filtered record's offset still counts as handled.
                            pending.record(r.source_partition, r.source_offset);
                            continue;
                        }
                        Err((class, e)) => {
                            log_error(&errors, &ctx.name(), Stage::Transformation, class, &e, None);
                            TaskMetrics::add(&ctx.metrics.record_errors, 1);
                            if !errors.tolerate_all {
                                return Err(ErrorHandling::tolerance_exceeded(e));
                            }
                            TaskMetrics::add(&ctx.metrics.records_skipped, 1);
                            pending.record(r.source_partition, r.source_offset);
                            continue;
                        }
                    }
                }
                if !seen_topics.contains(&r.record.topic) {
                    ctx.statuses.add_topic(&ctx.id.connector, &r.record.topic);
                    seen_topics.insert(r.record.topic.clone());
                }
                if let Some((k, v, h)) =
                    convert(ctx, &errors, &r, &*key_conv, &*value_conv, &*header_conv)?
                {
                    let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&r.record.topic);
                    if let Some(h) = h {
                        rec = rec.headers(h);
                    }
                    if let Some(k) = &k {
                        rec = rec.key(k.as_slice());
                    }
                    if let Some(v) = &v {
                        rec = rec.payload(v.as_slice());
                    }
                    if let Some(p) = r.record.kafka_partition {
                        rec = rec.partition(p);
                    }
                    if let Some(ts) = r.record.timestamp {
                        rec = rec.timestamp(ts);
                    }
                    send_with_retry(&producer, rec)
                        .map_err(|e| kafka_error("Failed to send record to Kafka", &e))?;
                    TaskMetrics::add(&ctx.metrics.records_written, 1);
                }
                // A skipped record's offset still counts as handled.
                pending.record(r.source_partition, r.source_offset);
            }
            producer.poll(std::time::Duration::ZERO);
            if last_commit.elapsed() >= ctx.settings.offset_flush_interval {
                commit(ctx, &producer, &errors, &mut pending)?;
                last_commit = Instant::now();
            }
        }
        Ok(())
    })();
    let committed = match &result {
        Ok(()) => commit(ctx, &producer, &errors, &mut pending),
        Err(_) => Ok(()),
    };
    task.stop();
    result.and(committed)
}

/// Key, value and headers as bytes; no headers is `None` (an empty header list costs an
/// allocation per record in librdkafka).
type Converted = (Option<Vec<u8>>, Option<Vec<u8>>, Option<OwnedHeaders>);

fn convert(
    ctx: &TaskContext,
    errors: &ErrorHandling,
    r: &SourceRecord,
    key_conv: &dyn crate::converters::Converter,
    value_conv: &dyn crate::converters::Converter,
    header_conv: &dyn crate::converters::Converter,
) -> Result<Option<Converted>, ConnectError> {
    let rec = &r.record;
    let fail =
        |stage: Stage, class: &str, e: ConnectError| -> Result<Option<Converted>, ConnectError> {
            log_error(errors, &ctx.name(), stage, class, &e, None);
            TaskMetrics::add(&ctx.metrics.record_errors, 1);
            if errors.tolerate_all {
                TaskMetrics::add(&ctx.metrics.records_skipped, 1);
                Ok(None)
            } else {
                Err(ErrorHandling::tolerance_exceeded(e))
            }
        };
    let key = match key_conv.to_bytes(&rec.topic, rec.key_schema.as_deref(), &rec.key) {
        Ok(k) => k,
        Err(e) => return fail(Stage::KeyConverter, key_conv.class(), e),
    };
    let value = match value_conv.to_bytes(&rec.topic, rec.value_schema.as_deref(), &rec.value) {
        Ok(v) => v,
        Err(e) => return fail(Stage::ValueConverter, value_conv.class(), e),
    };
    let mut headers =
        (!rec.headers.is_empty()).then(|| OwnedHeaders::new_with_capacity(rec.headers.len()));
    for h in &rec.headers {
        match header_conv.to_bytes(&rec.topic, h.schema.as_deref(), &h.value) {
            Ok(v) => {
                headers = headers.map(|hs| {
                    hs.insert(Header {
                        key: &h.key,
                        value: v.as_deref(),
                    })
                })
            }
            Err(e) => return fail(Stage::HeaderConverter, header_conv.class(), e),
        }
    }
    Ok(Some((key, value, headers)))
}

/// Waits for every sent record to be acknowledged, then stores the offsets.
fn commit(
    ctx: &TaskContext,
    producer: &BaseProducer<DeliveryTracker>,
    errors: &ErrorHandling,
    pending: &mut PendingOffsets,
) -> Result<(), ConnectError> {
    producer
        .flush(std::time::Duration::from_secs(60))
        .map_err(|e| kafka_error("Failed to flush, timed out while waiting for producer to flush outstanding messages", &e))?;
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
