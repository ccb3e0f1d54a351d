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

use super::kafka::{DeliveryTracker, send_with_retry};
use super::metrics::TaskMetrics;
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
        "connect-worker: ERROR Error encountered in task {task}. Executing stage '{}' with class '{class}'",
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
    eprintln!("{line}\n{}", err.stack_trace().trim_end());
}

/// Writes failed sink records to the dead letter queue.
pub struct DeadLetterQueue {
    producer: BaseProducer<DeliveryTracker>,
    topic: String,
    context_headers: bool,
    connector: String,
    task: u32,
    metrics: Arc<TaskMetrics>,
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
        }))
    }

    /// Queues the original record with the error context appended to its headers. A failed
    /// send is counted and logged but never fails the task, as in Apache.
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
        if self.context_headers {
            let partition = msg.partition().to_string();
            let offset = msg.offset().to_string();
            let task = self.task.to_string();
            let trace = err.stack_trace();
            let values: [(&str, Option<&str>); 10] = [
                (headers::TOPIC, Some(msg.topic())),
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
        }
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&self.topic).headers(out);
        if let Some(k) = msg.key() {
            rec = rec.key(k);
        }
        if let Some(v) = msg.payload() {
            rec = rec.payload(v);
        }
        if let Some(ts) = msg.timestamp().to_millis() {
            rec = rec.timestamp(ts);
        }
        TaskMetrics::add(&self.metrics.dlq_produce_requests, 1);
        if let Err(e) = send_with_retry(&self.producer, rec) {
            TaskMetrics::add(&self.metrics.dlq_produce_failures, 1);
            eprintln!(
                "connect-worker: ERROR Could not produce message to dead letter queue. topic={}: {e}",
                self.topic
            );
        }
        // Failed records are few: serve their delivery reports as they come.
        self.producer.poll(Duration::ZERO);
    }

    /// Waits for every queued DLQ record; offsets are committed only after this.
    pub fn flush(&self) {
        if let Err(e) = self.producer.flush(Duration::from_secs(30)) {
            eprintln!("connect-worker: ERROR Could not flush the dead letter queue producer: {e}");
        }
        if let Some(e) = self.producer.context().take_error() {
            TaskMetrics::add(&self.metrics.dlq_produce_failures, 1);
            eprintln!(
                "connect-worker: ERROR Could not produce message to dead letter queue. topic={}: {e}",
                self.topic
            );
        }
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
