//! The `__connect.errors.*` context headers that Kafka Connect's `DeadLetterQueueReporter`
//! appends to a DLQ record when `errors.deadletterqueue.context.headers.enable=true`.
//!
//! Every value is UTF-8 text; numbers are decimal strings. `exception.message` may be present
//! with a null value (a Java exception without a message). Headers written by anything else
//! may be garbage: decoding never fails, it keeps what it can and leaves the rest `None`.

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

/// The error context Kafka Connect attached to a DLQ record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorContext {
    pub original: Option<Origin>,
    pub connector: Option<String>,
    pub task: Option<i32>,
    pub stage: Option<String>,
    pub class: Option<String>,
    pub exception_class: Option<String>,
    pub exception_message: Option<String>,
    pub stacktrace: Option<String>,
}

impl ErrorContext {
    /// Decodes the context from a record's headers (name, value; `None` is a null header).
    /// Returns `None` when the record has none of Kafka Connect's context headers.
    pub fn from_headers<'a, I>(headers: I) -> Option<ErrorContext>
    where
        I: IntoIterator<Item = (&'a str, Option<&'a [u8]>)>,
    {
        let mut ctx = ErrorContext::default();
        let (mut topic, mut partition, mut offset) = (None, None, None);
        let mut seen = false;
        for (name, value) in headers {
            let Some(field) = name.strip_prefix(PREFIX) else {
                continue;
            };
            seen = true;
            // Connect writes each header once; if a record was replayed through a DLQ-enabled
            // connector again it carries two sets, and the last one describes the latest failure.
            let text = value.map(|v| String::from_utf8_lossy(v).into_owned());
            match field {
                "topic" => topic = text,
                "partition" => partition = text.and_then(|t| t.trim().parse().ok()),
                "offset" => offset = text.and_then(|t| t.trim().parse().ok()),
                "connector.name" => ctx.connector = text,
                "task.id" => ctx.task = text.and_then(|t| t.trim().parse().ok()),
                "stage" => ctx.stage = text,
                "class.name" => ctx.class = text,
                "exception.class.name" => ctx.exception_class = text,
                "exception.message" => ctx.exception_message = text,
                "exception.stacktrace" => ctx.stacktrace = text,
                _ => {}
            }
        }
        if let (Some(topic), Some(partition), Some(offset)) = (topic, partition, offset) {
            ctx.original = Some(Origin {
                topic,
                partition,
                offset,
            });
        }
        seen.then_some(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<'a>(pairs: &'a [(&'a str, Option<&'a str>)]) -> Vec<(&'a str, Option<&'a [u8]>)> {
        pairs
            .iter()
            .map(|(k, v)| (*k, v.map(str::as_bytes)))
            .collect()
    }

    #[test]
    fn decodes_all_ten_headers() {
        let headers = h(&[
            ("app", Some("kept")),
            (TOPIC, Some("orders")),
            (PARTITION, Some("2")),
            (OFFSET, Some("42")),
            (CONNECTOR, Some("jdbc-sink")),
            (TASK, Some("0")),
            (STAGE, Some("VALUE_CONVERTER")),
            (CLASS, Some("org.apache.kafka.connect.json.JsonConverter")),
            (
                EXCEPTION_CLASS,
                Some("org.apache.kafka.connect.errors.DataException"),
            ),
            (EXCEPTION_MESSAGE, None),
            (
                EXCEPTION_STACKTRACE,
                Some("org.apache.kafka.connect.errors.DataException\n"),
            ),
        ]);
        let ctx = ErrorContext::from_headers(headers).unwrap();
        assert_eq!(
            ctx.original,
            Some(Origin {
                topic: "orders".into(),
                partition: 2,
                offset: 42
            })
        );
        assert_eq!(ctx.task, Some(0));
        assert_eq!(ctx.stage.as_deref(), Some("VALUE_CONVERTER"));
        assert_eq!(ctx.exception_message, None);
    }

    #[test]
    fn no_context_headers_is_none() {
        assert_eq!(ErrorContext::from_headers(h(&[("a", Some("b"))])), None);
    }

    #[test]
    fn garbage_values_never_fail() {
        let bad: &[u8] = &[0xff, 0xfe, 0x00];
        let ctx = ErrorContext::from_headers(vec![
            (TOPIC, Some(bad)),
            (PARTITION, Some(bad)),
            (OFFSET, Some(&b"-x"[..])),
            (TASK, None),
        ])
        .unwrap();
        assert_eq!(
            ctx.original, None,
            "no origin without a numeric partition and offset"
        );
        assert_eq!(ctx.task, None);
    }
}
