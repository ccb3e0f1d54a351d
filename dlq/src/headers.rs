//! The `__connect.errors.*` context headers that Kafka Connect's `DeadLetterQueueReporter`
//! appends to a DLQ record when `errors.deadletterqueue.context.headers.enable=true`.
//!
//! Every value is UTF-8 text; numbers are decimal strings. `exception.message` may be present
//! with a null value (a Java exception without a message). This module names them; they are
//! decoded (with Spring Kafka's dialect, and never failing on garbage) in one place:
//! [`crate::dialect::RawContext::decode`].

use serde::Serialize;

/// The common prefix of Kafka Connect's error context headers.
pub const PREFIX: &str = "__connect.errors.";
pub const TOPIC: &str = "__connect.errors.topic";
pub const PARTITION: &str = "__connect.errors.partition";
pub const OFFSET: &str = "__connect.errors.offset";
pub const CONNECTOR: &str = "__connect.errors.connector.name";
pub const TASK: &str = "__connect.errors.task.id";
pub const STAGE: &str = "__connect.errors.stage";
pub const CLASS: &str = "__connect.errors.class.name";
pub const EXCEPTION_CLASS: &str = "__connect.errors.exception.class.name";
pub const EXCEPTION_MESSAGE: &str = "__connect.errors.exception.message";
pub const EXCEPTION_STACKTRACE: &str = "__connect.errors.exception.stacktrace";

/// The headers in the order Kafka Connect appends them.
pub const ALL: [&str; 10] = [
    TOPIC,
    PARTITION,
    OFFSET,
    CONNECTOR,
    TASK,
    STAGE,
    CLASS,
    EXCEPTION_CLASS,
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
];

/// Where a failed record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}
