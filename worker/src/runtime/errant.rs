//! The sink task's context and its errant record reporter (`WorkerSinkTaskContext`,
//! `WorkerErrantRecordReporter`): a record the task cannot write goes through the same error
//! reporters as a record that failed conversion (the error log, the DLQ with the
//! `__connect.errors.*` headers), as stage `TASK_PUT` with class `SinkTask`.
//!
//! The DLQ gets the record as it was consumed, before conversion and transforms, as Apache
//! sends the original `ConsumerRecord` of an `InternalSinkRecord`: so `dlq replay` writes back
//! what the source wrote. The task loop hands the reporter the bytes of the batch being put;
//! a record the task built itself is written with the connector's converters instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::errors::{Consumed, ConsumedBytes, DeadLetterQueue, ErrorHandling, Stage, log_error};
use super::metrics::TaskMetrics;
use crate::converters::Converter;
use crate::data::SinkRecord;
use crate::error::ConnectError;
use crate::plugin::{ErrantRecordReporter, SinkTaskContext};

/// The class Apache names as the executing class of a `TASK_PUT` failure.
const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";

/// Where a record handed to `put` is found: its topic, partition and offset after transforms.
type Coordinates = (String, i32, i64);

pub struct WorkerErrantRecordReporter {
    errors: ErrorHandling,
    dlq: Option<Arc<DeadLetterQueue>>,
    task_name: String,
    metrics: Arc<TaskMetrics>,
    key: Box<dyn Converter>,
    value: Box<dyn Converter>,
    header: Box<dyn Converter>,
    /// The consumed bytes of the batch being put.
    batch: Mutex<HashMap<Coordinates, ConsumedBytes>>,
}

/// The converters that write a record the task built itself.
pub struct Fallback {
    pub key: Box<dyn Converter>,
    pub value: Box<dyn Converter>,
    pub header: Box<dyn Converter>,
}

impl WorkerErrantRecordReporter {
    /// `None` unless the connector has a DLQ or `errors.log.enable=true`
    /// (`SinkConnectorConfig.enableErrantRecordReporter`).
    pub fn create(
        errors: &ErrorHandling,
        dlq: Option<Arc<DeadLetterQueue>>,
        task_name: String,
        metrics: Arc<TaskMetrics>,
        converters: Fallback,
    ) -> Option<Arc<WorkerErrantRecordReporter>> {
        if dlq.is_none() && !errors.log_enable {
            return None;
        }
        Some(Arc::new(WorkerErrantRecordReporter {
            errors: errors.clone(),
            dlq,
            task_name,
            metrics,
            key: converters.key,
            value: converters.value,
            header: converters.header,
            batch: Mutex::new(HashMap::new()),
        }))
    }

    /// Remembers a record of the next batch: `record` as `put` will get it, `consumed` as read.
    pub fn remember(&self, record: &SinkRecord, consumed: ConsumedBytes) {
        let at = coordinates(record);
        self.batch().insert(at, consumed);
    }

    /// Forgets the batch once `put` returned.
    pub fn forget(&self) {
        self.batch().clear();
    }

    fn batch(&self) -> std::sync::MutexGuard<'_, HashMap<Coordinates, ConsumedBytes>> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bytes of a record the task built or changed beyond recognition: its parts written
    /// with the connector's converters, as Apache does.
    fn serialize(&self, record: &SinkRecord) -> Result<ConsumedBytes, ConnectError> {
        let r = &record.record;
        let key = self
            .key
            .to_bytes(&r.topic, r.key_schema.as_deref(), &r.key)?;
        let value = self
            .value
            .to_bytes(&r.topic, r.value_schema.as_deref(), &r.value)?;
        let mut headers = Vec::with_capacity(r.headers.len());
        for h in &r.headers {
            let v = self
                .header
                .to_bytes(&r.topic, h.schema.as_deref(), &h.value)?;
            headers.push((h.key.clone(), v));
        }
        Ok(ConsumedBytes {
            topic: r.topic.clone(),
            partition: r.kafka_partition.unwrap_or(-1),
            offset: record.kafka_offset,
            key,
            value,
            headers,
            timestamp: r.timestamp,
        })
    }
}

fn coordinates(record: &SinkRecord) -> Coordinates {
    (
        record.record.topic.clone(),
        record.record.kafka_partition.unwrap_or(-1),
        record.kafka_offset,
    )
}

impl ErrantRecordReporter for WorkerErrantRecordReporter {
    fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<(), ConnectError> {
        let remembered = self.batch().get(&coordinates(record)).cloned();
        let consumed = match remembered {
            Some(c) => c,
            None => self.serialize(record)?,
        };
        log_error(
            &self.errors,
            &self.task_name,
            Stage::TaskPut,
            SINK_TASK_CLASS,
            error,
            Some(&Consumed {
                topic: &consumed.topic,
                partition: consumed.partition,
                offset: consumed.offset,
                timestamp: consumed.timestamp,
            }),
        );
        TaskMetrics::add(&self.metrics.record_errors, 1);
        if let Some(d) = &self.dlq {
            d.report_errant(&consumed, SINK_TASK_CLASS, error);
        }
        if !self.errors.tolerate_all {
            return Err(ErrorHandling::tolerance_exceeded(error.clone()));
        }
        TaskMetrics::add(&self.metrics.records_skipped, 1);
        Ok(())
    }
}

/// `WorkerSinkTaskContext`: what the worker gives a sink task at `initialize`.
pub struct WorkerSinkTaskContext {
    pub reporter: Option<Arc<WorkerErrantRecordReporter>>,
}

impl SinkTaskContext for WorkerSinkTaskContext {
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter
            .clone()
            .map(|r| r as Arc<dyn ErrantRecordReporter>)
    }
}
