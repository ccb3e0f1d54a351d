//! Error handling for task pipelines (`RetryWithToleranceOperator`, `LogReporter`,
//! `DeadLetterQueueReporter`): which failures are tolerated, how they are logged, and the DLQ
//! record a failed sink record becomes, with the `__connect.errors.*` headers in Apache's order
//! and encoding so DLQ tools read it exactly like a JVM worker's.

use std::time::Duration;

use connect_api::ConfigMap;
use connect_dlq::headers;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value as Json;

use super::kafka::{DeliveryTracker, send_with_retry};
use super::metrics::TaskMetrics;
use crate::data::Value;
use crate::error::{ConnectError, class};

/// A pipeline stage (`Stage`), named as Apache names it in logs and DLQ headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    TaskPoll,
    TaskPut,
    Transformation,
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    KafkaProduce,
    KafkaConsume,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::TaskPoll => "TASK_POLL",
            Stage::TaskPut => "TASK_PUT",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

/// The `errors.*` settings of a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorHandling {
    pub tolerate_all: bool,
    pub log_enable: bool,
    pub log_include_messages: bool,
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i32,
    pub dlq_context_headers: bool,
    /// `errors.retry.timeout`: how long a retriable failure is retried; -1 is forever.
    pub retry_timeout_ms: i64,
    /// `errors.retry.delay.max.ms`.
    pub retry_max_delay_ms: u64,
}

fn flag(config: &ConfigMap, key: &str) -> bool {
    config
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl ErrorHandling {
    pub fn from_config(config: &ConfigMap) -> ErrorHandling {
        ErrorHandling {
            tolerate_all: config
                .get("errors.tolerance")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
            log_enable: flag(config, "errors.log.enable"),
            log_include_messages: flag(config, "errors.log.include.messages"),
            dlq_topic: config
                .get("errors.deadletterqueue.topic.name")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            dlq_replication_factor: config
                .get("errors.deadletterqueue.topic.replication.factor")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(3),
            dlq_context_headers: flag(config, "errors.deadletterqueue.context.headers.enable"),
            retry_timeout_ms: config
                .get("errors.retry.timeout")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            retry_max_delay_ms: config
                .get("errors.retry.delay.max.ms")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(60_000),
        }
    }

    /// The failure that ends the task when an error is not tolerated.
    pub fn tolerance_exceeded(cause: ConnectError) -> ConnectError {
        ConnectError::connect("Tolerance exceeded in error handler")
            .at("org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError(errors.rs)")
            .with_cause(cause)
    }
}

/// The wait before retry number `attempt` (1-based), as `RetryWithToleranceOperator` computes it:
/// 300 ms doubled per attempt; past the maximum, a random delay below the maximum (jitter);
/// never beyond the remaining time.
pub fn retry_delay(
    attempt: u32,
    max_delay_ms: u64,
    remaining_ms: u64,
    jitter: impl FnOnce(u64) -> u64,
) -> u64 {
    let base = 300u64
        .checked_shl(attempt.saturating_sub(1))
        .filter(|d| *d >= 300)
        .unwrap_or(u64::MAX);
    let delay = if base > max_delay_ms {
        jitter(max_delay_ms.max(1))
    } else {
        base
    };
    delay.min(remaining_ms)
}

/// Runs `op`, retrying while it fails with a `RetriableException` and the retry budget of
/// `errors.retry.timeout` lasts. Other failures return at once.
pub fn with_retries<T>(
    h: &ErrorHandling,
    stop: &dyn Fn() -> bool,
    mut op: impl FnMut() -> Result<T, ConnectError>,
) -> Result<T, ConnectError> {
    let start = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        match op() {
            Err(e) if e.class == class::RETRIABLE && h.retry_timeout_ms != 0 && !stop() => {
                attempt += 1;
                let elapsed = start.elapsed().as_millis() as u64;
                let remaining = if h.retry_timeout_ms < 0 {
                    u64::MAX
                } else {
                    (h.retry_timeout_ms as u64).saturating_sub(elapsed)
                };
                if remaining == 0 {
                    return Err(e);
                }
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let delay = retry_delay(attempt, h.retry_max_delay_ms, remaining, |max| {
                    u64::from(nanos) % max
                });
                std::thread::sleep(Duration::from_millis(delay));
            }
            other => return other,
        }
    }
}

/// The Kafka coordinates of a consumed record, for logs and DLQ headers.
pub struct Consumed<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

/// `LogReporter`: one ERROR line per failure when `errors.log.enable=true`.
pub fn log_error(
    h: &ErrorHandling,
    task: &str,
    stage: Stage,
    class: &str,
    err: &ConnectError,
    rec: Option<&Consumed<'_>>,
) {
    if !h.log_enable {
        return;
    }
    let mut line = format!(
        "Error encountered in task {task}. Executing stage '{}' with class '{class}'",
        stage.name()
    );
    if let (true, Some(r)) = (h.log_include_messages, rec) {
        line.push_str(&format!(
            ", where consumed record is {{topic='{}', partition={}, offset={}, timestamp={}, timestampType=CreateTime}}",
            r.topic,
            r.partition,
            r.offset,
            r.timestamp.unwrap_or(-1)
        ));
    }
    line.push('.');
    tracing::error!("{line}\n{}", err.stack_trace().trim_end());
}

const DLQ_LOGGER: &str = "org.apache.kafka.connect.runtime.errors.DeadLetterQueueReporter";

/// Writes failed records to the dead letter queue: sink records as they were consumed, source
/// records as described in [`SourceRecordBytes`].
pub struct DeadLetterQueue {
    producer: BaseProducer<DeliveryTracker>,
    topic: String,
    context_headers: bool,
    connector: String,
    task: u32,
    metrics: Arc<TaskMetrics>,
    /// Records reported by the task itself (`ErrantRecordReporter`) since the last flush: their
    /// offsets may be committed only once Kafka acknowledged them.
    awaited: AtomicUsize,
}

/// A consumed record's bytes, kept for the errant record reporter: the task reports the record
/// after conversion and transforms, but the DLQ receives it as it was consumed.
#[derive(Debug, Clone)]
pub struct ConsumedBytes {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

impl ConsumedBytes {
    pub fn of(msg: &BorrowedMessage<'_>) -> ConsumedBytes {
        ConsumedBytes {
            topic: msg.topic().to_owned(),
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(<[u8]>::to_vec),
            value: msg.payload().map(<[u8]>::to_vec),
            headers: msg
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
            timestamp: msg.timestamp().to_millis(),
        }
    }
}

/// Where a failed record came from, for the `topic`, `partition` and `offset` context headers.
struct Origin<'a> {
    topic: &'a str,
    partition: i32,
    offset: i64,
}

/// A failed source record serialized for the DLQ. A source record is Connect data, not bytes:
/// each part is written with the connector's converter, so that a replay to the record's topic
/// writes what the worker would have written; a part whose converter fails (usually the reason
/// the record is here) is written as its JSON rendering instead ([`json_rendering`]).
pub struct SourceRecordBytes<'a> {
    pub topic: &'a str,
    /// The partition the connector chose, or -1 (`RecordMetadata.UNKNOWN_PARTITION`).
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(&'a str, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

impl DeadLetterQueue {
    /// Creates the DLQ topic if it is missing (1 partition, the configured replication factor),
    /// then the producer.
    pub fn open(
        client: &ClientConfig,
        h: &ErrorHandling,
        connector: &str,
        task: u32,
        metrics: Arc<TaskMetrics>,
    ) -> Result<Option<DeadLetterQueue>, ConnectError> {
        let Some(topic) = &h.dlq_topic else {
            return Ok(None);
        };
        ensure_topic(client, topic, h.dlq_replication_factor)?;
        let producer: BaseProducer<DeliveryTracker> = client
            .clone()
            .set(
                "client.id",
                format!("connector-dlq-producer-{connector}-{task}"),
            )
            .set("acks", "all")
            .create_with_context(DeliveryTracker::default())
            .map_err(|e| kafka_error("Failed to create the dead letter queue producer", &e))?;
        Ok(Some(DeadLetterQueue {
            producer,
            topic: topic.clone(),
            context_headers: h.dlq_context_headers,
            connector: connector.to_owned(),
            task,
            metrics,
            awaited: AtomicUsize::new(0),
        }))
    }

    /// Queues the original sink record with the error context appended to its headers. A
    /// failed send is counted and logged but never fails the task, as in Apache.
    pub fn report(
        &self,
        msg: &BorrowedMessage<'_>,
        stage: Stage,
        executing_class: &str,
        err: &ConnectError,
    ) {
        let mut out = OwnedHeaders::new();
        if let Some(hs) = msg.headers() {
            for h in hs.iter() {
                out = out.insert(Header {
                    key: h.key,
                    value: h.value,
                });
            }
        }
        let origin = Origin {
            topic: msg.topic(),
            partition: msg.partition(),
            offset: msg.offset(),
        };
        let out = self.context(out, &origin, stage, executing_class, err);
        self.send(out, msg.key(), msg.payload(), msg.timestamp().to_millis());
    }

    /// Queues a record the sink task reported through its `ErrantRecordReporter`. The next
    /// [`DeadLetterQueue::flush`] fails when it was not delivered.
    pub fn report_errant(&self, record: &ConsumedBytes, executing_class: &str, err: &ConnectError) {
        let mut out = OwnedHeaders::new_with_capacity(record.headers.len() + 10);
        for (key, value) in &record.headers {
            out = out.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        let origin = Origin {
            topic: &record.topic,
            partition: record.partition,
            offset: record.offset,
        };
        let out = self.context(out, &origin, Stage::TaskPut, executing_class, err);
        self.awaited.fetch_add(1, Ordering::SeqCst);
        self.send(
            out,
            record.key.as_deref(),
            record.value.as_deref(),
            record.timestamp,
        );
    }

    /// Queues a failed source record. Its offset header is -1: the record never reached Kafka.
    pub fn report_source(
        &self,
        record: &SourceRecordBytes<'_>,
        stage: Stage,
        executing_class: &str,
        err: &ConnectError,
    ) {
        let mut out = OwnedHeaders::new_with_capacity(record.headers.len() + 10);
        for (key, value) in &record.headers {
            out = out.insert(Header {
                key,
                value: value.as_deref(),
            });
        }
        let origin = Origin {
            topic: record.topic,
            partition: record.partition,
            offset: -1,
        };
        let out = self.context(out, &origin, stage, executing_class, err);
        self.send(
            out,
            record.key.as_deref(),
            record.value.as_deref(),
            record.timestamp,
        );
    }

    /// Appends the ten `__connect.errors.*` headers when they are enabled.
    fn context(
        &self,
        mut out: OwnedHeaders,
        origin: &Origin<'_>,
        stage: Stage,
        executing_class: &str,
        err: &ConnectError,
    ) -> OwnedHeaders {
        if !self.context_headers {
            return out;
        }
        let partition = origin.partition.to_string();
        let offset = origin.offset.to_string();
        let task = self.task.to_string();
        let trace = err.stack_trace();
        let values: [(&str, Option<&str>); 10] = [
            (headers::TOPIC, Some(origin.topic)),
            (headers::PARTITION, Some(&partition)),
            (headers::OFFSET, Some(&offset)),
            (headers::CONNECTOR, Some(&self.connector)),
            (headers::TASK, Some(&task)),
            (headers::STAGE, Some(stage.name())),
            (headers::CLASS, Some(executing_class)),
            (headers::EXCEPTION_CLASS, Some(&err.class)),
            (headers::EXCEPTION_MESSAGE, err.message.as_deref()),
            (headers::EXCEPTION_STACKTRACE, Some(&trace)),
        ];
        for (k, v) in values {
            out = out.insert(Header {
                key: k,
                value: v.map(str::as_bytes),
            });
        }
        out
    }

    fn send(
        &self,
        headers: OwnedHeaders,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Option<i64>,
    ) {
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&self.topic).headers(headers);
        if let Some(k) = key {
            rec = rec.key(k);
        }
        if let Some(v) = value {
            rec = rec.payload(v);
        }
        if let Some(ts) = timestamp {
            rec = rec.timestamp(ts);
        }
        TaskMetrics::add(&self.metrics.dlq_produce_requests, 1);
        if let Err(e) = send_with_retry(&self.producer, rec) {
            TaskMetrics::add(&self.metrics.dlq_produce_failures, 1);
            tracing::error!(
                target: DLQ_LOGGER,
                "Could not produce message to dead letter queue. topic={}: {e}",
                self.topic
            );
        }
        // Failed records are few: serve their delivery reports as they come.
        self.producer.poll(Duration::ZERO);
    }

    /// Waits for every queued DLQ record; offsets are committed only after this. A record
    /// that failed conversion and could not be written is logged and counted, as in Apache;
    /// when records reported by the task were queued since the last flush, a failure is an
    /// error instead (Apache's `awaitFutures`), so their offsets are not committed and they
    /// are consumed again.
    pub fn flush(&self) -> Result<(), ConnectError> {
        let awaited = self.awaited.swap(0, Ordering::SeqCst);
        let mut failure = None;
        if let Err(e) = self.producer.flush(Duration::from_secs(30)) {
            tracing::error!(target: DLQ_LOGGER, "Could not flush the dead letter queue producer: {e}");
            failure = Some(e);
        }
        if let Some(e) = self.producer.context().take_error() {
            TaskMetrics::add(&self.metrics.dlq_produce_failures, 1);
            tracing::error!(
                target: DLQ_LOGGER,
                "Could not produce message to dead letter queue. topic={}: {e}",
                self.topic
            );
            failure.get_or_insert(e);
        }
        match failure {
            Some(e) if awaited > 0 => Err(kafka_error(
                &format!(
                    "Could not write {awaited} errant record(s) to the dead letter queue topic {}; \
                     their offsets are not committed, so they are consumed again after a restart. \
                     Check that the topic exists and the worker may write to it",
                    self.topic
                ),
                &e,
            )),
            _ => Ok(()),
        }
    }
}

/// A Connect value as schemaless JSON, for a source record part its converter could not write.
/// Unlike a converter this never fails: the schema is not consulted, so a value that does not
/// match its schema still renders. The shapes are the JsonConverter's (`schemas.enable=false`):
/// bytes as base64, maps with non-string keys as `[key, value]` pairs, dates and times as
/// numbers; decimals are exact decimal strings and non-finite floats are Java's names for them.
/// A null value is a Kafka null.
pub fn json_rendering(value: &Value) -> Option<Vec<u8>> {
    if value.is_null() {
        return None;
    }
    // Serializing a serde_json value cannot fail.
    serde_json::to_vec(&to_json(value)).ok()
}

fn to_json(value: &Value) -> Json {
    let float = |v: f64| match serde_json::Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None => Json::String(value.java_string()),
    };
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int8(v) => Json::from(*v),
        Value::Int16(v) => Json::from(*v),
        Value::Int32(v) | Value::Date(v) | Value::Time(v) => Json::from(*v),
        Value::Int64(v) | Value::Timestamp(v) => Json::from(*v),
        Value::Float32(v) => float(f64::from(*v)),
        Value::Float64(v) => float(*v),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::String(B64.encode(b)),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) => {
            Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.java_string(), to_json(v)))
                    .collect(),
            )
        }
        Value::Map(entries) => Json::Array(
            entries
                .iter()
                .map(|(k, v)| Json::Array(vec![to_json(k), to_json(v)]))
                .collect(),
        ),
        Value::Struct(s) => Json::Object(
            s.schema
                .fields
                .iter()
                .zip(&s.values)
                .map(|(f, v)| (f.name.clone(), to_json(v)))
                .collect(),
        ),
        Value::Decimal(d) => Json::String(d.to_string()),
    }
}

fn ensure_topic(client: &ClientConfig, topic: &str, rf: i32) -> Result<(), ConnectError> {
    let admin: AdminClient<DefaultClientContext> = client
        .create()
        .map_err(|e| kafka_error("Failed to create an admin client", &e))?;
    let new = NewTopic::new(topic, 1, TopicReplication::Fixed(rf));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    // rdkafka drives admin futures from its own thread, so blocking on them here is fine.
    let results = futures::executor::block_on(admin.create_topics([&new], &opts)).map_err(|e| {
        kafka_error(
            &format!("Could not initialize dead letter queue with topic={topic}"),
            &e,
        )
    })?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(ConnectError::connect(format!(
                    "Could not initialize dead letter queue with topic={topic}"
                ))
                .with_cause(ConnectError::new(class::KAFKA, code.to_string())));
            }
        }
    }
    Ok(())
}

pub fn kafka_error(msg: &str, e: &KafkaError) -> ConnectError {
    ConnectError::connect(msg).with_cause(ConnectError::new(class::KAFKA, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rendering_never_fails() {
        use crate::data::{Decimal, Schema, Struct, Type};
        let render = |v: &Value| json_rendering(v).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(render(&Value::Null), None, "a null is a Kafka null");
        assert_eq!(render(&Value::String("a\"b".into())).unwrap(), r#""a\"b""#);
        assert_eq!(render(&Value::Bytes(vec![1, 2, 255])).unwrap(), r#""AQL/""#);
        assert_eq!(render(&Value::Float64(f64::NAN)).unwrap(), r#""NaN""#);
        assert_eq!(
            render(&Value::Decimal(Decimal {
                unscaled: 12345,
                scale: 2
            }))
            .unwrap(),
            r#""123.45""#
        );
        assert_eq!(
            render(&Value::Map(vec![(Value::Int32(1), Value::Boolean(true))])).unwrap(),
            "[[1,true]]"
        );
        // A struct whose values do not match its schema (what fails a converter) still renders.
        let schema =
            Schema::structure(vec![("id".into(), Schema::new(Type::Int64).into_ref())]).into_ref();
        let mut s = Struct::new(schema);
        s.values[0] = Value::String("not a number".into());
        assert_eq!(
            render(&Value::Struct(s)).unwrap(),
            r#"{"id":"not a number"}"#
        );
    }

    #[test]
    fn backoff_like_apache() {
        let no_jitter = |_: u64| 7;
        assert_eq!(retry_delay(1, 60_000, u64::MAX, no_jitter), 300);
        assert_eq!(retry_delay(2, 60_000, u64::MAX, no_jitter), 600);
        assert_eq!(retry_delay(8, 60_000, u64::MAX, no_jitter), 38_400);
        assert_eq!(
            retry_delay(9, 60_000, u64::MAX, no_jitter),
            7,
            "past the maximum: jitter"
        );
        assert_eq!(retry_delay(200, 60_000, u64::MAX, no_jitter), 7);
        assert_eq!(
            retry_delay(3, 60_000, 100, no_jitter),
            100,
            "capped at the deadline"
        );
    }

    #[test]
    fn retries_only_retriable_failures_within_the_timeout() {
        let h = ErrorHandling::from_config(
            &[("errors.retry.timeout".to_owned(), "2000".to_owned())].into(),
        );
        let mut calls = 0;
        let r = with_retries(&h, &|| false, || {
            calls += 1;
            if calls < 3 {
                Err(ConnectError::new(class::RETRIABLE, "later"))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r.unwrap(), 3);
        let mut calls = 0;
        let r: Result<(), _> = with_retries(&h, &|| false, || {
            calls += 1;
            Err(ConnectError::data("bad"))
        });
        assert!(r.is_err());
        assert_eq!(calls, 1, "a DataException is not retried");
        let none = ErrorHandling::from_config(&ConfigMap::new());
        let mut calls = 0;
        let _ = with_retries(&none, &|| false, || -> Result<(), ConnectError> {
            calls += 1;
            Err(ConnectError::new(class::RETRIABLE, "later"))
        });
        assert_eq!(calls, 1, "errors.retry.timeout=0 means no retries");
    }
}
