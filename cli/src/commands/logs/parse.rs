//! One log line of a Kafka Connect worker, in the layouts that ship with it:
//!
//! - Apache Kafka (`config/connect-log4j.properties`, 4.x `connect-log4j2.yaml`) and Confluent
//!   Platform: `[%d] %p %X{connector.context}%m (%c:%L)%n`, also without `:%L`;
//! - Strimzi and other images: `%d{ISO8601} %p %X{connector.context}%m (%c) [%t]%n`, the date
//!   without brackets and a thread name at the end;
//! - connect-worker (worker/src/logging.rs): `[%d] %p %X{connector.context}%m (%c)`.
//!
//! `%X{connector.context}` is `[name|task-N] ` on task threads and `[name|worker] ` for work on
//! the connector itself, empty elsewhere. Lines that do not start with a timestamp and a level
//! continue the previous event (stack traces, multi-line messages).
//!
//! Everything here works on bytes at fixed offsets with no regular expression, because the
//! analyser calls it for every line of logs that run to gigabytes.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    fn from_bytes(b: &[u8]) -> Option<Level> {
        Some(match b {
            b"ERROR" => Level::Error,
            b"WARN" | b"WARNING" => Level::Warn,
            b"INFO" => Level::Info,
            b"DEBUG" => Level::Debug,
            b"TRACE" => Level::Trace,
            b"FATAL" => Level::Fatal,
            _ => return None,
        })
    }
}

/// The first line of one log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The timestamp as written (`2026-11-30 10:00:00,123`).
    pub time: &'a [u8],
    pub level: Level,
    /// The connector context without brackets (`jdbc-sink|task-0`), when the line has one.
    pub context: Option<&'a [u8]>,
    /// The message, without the context and the trailing `(logger)`.
    pub message: &'a [u8],
    /// The logger (`org.apache.kafka.connect.runtime.WorkerTask`), without `:line`.
    pub logger: &'a [u8],
}

/// Whether `b` starts like `2026-11-30 10:00:00` or `2026-11-30T10:00:00`.
fn is_timestamp(b: &[u8]) -> bool {
    b.len() >= 19
        && b[0].is_ascii_digit()
        && b[3].is_ascii_digit()
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':'
}

/// Parses a line's header; `None` for a continuation line (or anything else).
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (time, rest) = match line.first()? {
        b'[' => {
            let end = memchr::memchr(b']', &line[..line.len().min(48)])?;
            let time = &line[1..end];
            if !is_timestamp(time) {
                return None;
            }
            (time, &line[end + 1..])
        }
        b'0'..=b'9' => {
            if !is_timestamp(line) {
                return None;
            }
            // Optional fraction (`,123` or `.123`) and zone (`Z`, `+02:00`) after the seconds.
            let mut end = 19;
            if line.len() > end && (line[end] == b',' || line[end] == b'.') {
                end += 1;
                while end < line.len() && line[end].is_ascii_digit() {
                    end += 1;
                }
            }
            while end < line.len() && matches!(line[end], b'Z' | b'+' | b'-' | b':' | b'0'..=b'9') {
                end += 1;
            }
            (&line[..end], &line[end..])
        }
        _ => return None,
    };
    let rest = trim_start(rest);
    let word_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let level = Level::from_bytes(&rest[..word_end])?;
    let mut message = trim_start(&rest[word_end..]);
    let mut context = None;
    if message.first() == Some(&b'[') {
        // `[name|task-0] `: a `|` before the closing bracket tells it from `[Worker clientId=..]`
        // and `[Producer clientId=..]` prefixes, which are part of the message.
        if let Some(close) = memchr::memchr(b']', message) {
            let inner = &message[1..close];
            if memchr::memchr(b'|', inner).is_some() && message.get(close + 1) == Some(&b' ') {
                context = Some(inner);
                message = &message[close + 2..];
            }
        }
    }
    let (message, logger) = split_logger(message);
    Some(Header {
        time,
        level,
        context,
        message,
        logger,
    })
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| **c == b' ').count();
    &b[n..]
}

/// Splits `message (logger:123)` or `message (logger) [thread]` into message and logger.
fn split_logger(m: &[u8]) -> (&[u8], &[u8]) {
    let mut end = m.len();
    while end > 0 && m[end - 1] == b' ' {
        end -= 1;
    }
    let mut body = &m[..end];
    // A thread name after the logger (`(logger) [thread]`).
    if body.last() == Some(&b']') {
        if let Some(open) = memchr::memrchr(b'[', body) {
            if open >= 2 && &body[open - 2..open] == b") " {
                body = &body[..open - 1];
            }
        }
    }
    if body.last() != Some(&b')') {
        return (body, b"");
    }
    let Some(open) = memchr::memmem::rfind(body, b" (") else {
        return (body, b"");
    };
    let inner = &body[open + 2..body.len() - 1];
    // A Java class name has no spaces; `(see KIP-...)` inside a message does.
    if inner.is_empty() || memchr::memchr(b' ', inner).is_some() {
        return (body, b"");
    }
    let logger = match memchr::memrchr(b':', inner) {
        Some(c) if inner[c + 1..].iter().all(u8::is_ascii_digit) => &inner[..c],
        _ => inner,
    };
    (&body[..open], logger)
}

/// The connector and task a context (`name|task-3`, `name|worker`, `name|task-0|offsets`) names.
pub fn split_context(ctx: &[u8]) -> (Option<String>, Option<u32>) {
    let mut parts = ctx.split(|b| *b == b'|');
    let name = parts.next().unwrap_or_default();
    let task = parts
        .next()
        .and_then(|s| s.strip_prefix(b"task-"))
        .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok());
    let name = (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned());
    (name, task)
}

/// The connector and task named in a message when the layout has no connector context, as
/// Apache's runtime writes them: `WorkerSinkTask{id=name-0}`, `WorkerConnector{id=name}`.
pub fn context_from_message(m: &[u8]) -> (Option<String>, Option<u32>) {
    let Some(at) = memchr::memmem::find(m, b"{id=") else {
        return context_from_client_id(m);
    };
    let rest = &m[at + 4..];
    let Some(end) = memchr::memchr(b'}', rest) else {
        return (None, None);
    };
    let id = &rest[..end];
    let class_start = m[..at]
        .iter()
        .rposition(|c| !c.is_ascii_alphanumeric())
        .map_or(0, |i| i + 1);
    let is_task = m[class_start..at].ends_with(b"Task");
    if is_task {
        if let Some(dash) = memchr::memrchr(b'-', id) {
            if let Ok(n) = std::str::from_utf8(&id[dash + 1..])
                .unwrap_or("")
                .parse::<u32>()
            {
                return (
                    Some(String::from_utf8_lossy(&id[..dash]).into_owned()),
                    Some(n),
                );
            }
        }
    }
    (Some(String::from_utf8_lossy(id).into_owned()), None)
}

/// The connector and task of a Kafka client a task owns, from the client id Connect gives it:
/// `[Producer clientId=connector-producer-name-0]`, `connector-consumer-name-0`,
/// `connector-dlq-producer-name-0`, `connector-adminclient-name-0`.
fn context_from_client_id(m: &[u8]) -> (Option<String>, Option<u32>) {
    let Some(at) = memchr::memmem::find(m, b"clientId=connector-") else {
        return (None, None);
    };
    let rest = &m[at + "clientId=connector-".len()..];
    let end = rest
        .iter()
        .position(|c| matches!(c, b',' | b']' | b' '))
        .unwrap_or(rest.len());
    let id = &rest[..end];
    let id = [
        &b"producer-"[..],
        b"consumer-",
        b"dlq-producer-",
        b"adminclient-",
    ]
    .iter()
    .find_map(|p| id.strip_prefix(*p));
    let Some(id) = id else {
        return (None, None);
    };
    match memchr::memrchr(b'-', id) {
        Some(dash) => match std::str::from_utf8(&id[dash + 1..])
            .ok()
            .and_then(|n| n.parse().ok())
        {
            Some(task) => (
                Some(String::from_utf8_lossy(&id[..dash]).into_owned()),
                Some(task),
            ),
            None => (Some(String::from_utf8_lossy(id).into_owned()), None),
        },
        None => (Some(String::from_utf8_lossy(id).into_owned()), None),
    }
}

/// Milliseconds since the epoch of a log timestamp, read as UTC (log4j writes local time with no
/// zone; a zone, when the layout prints one, is honoured).
pub fn time_ms(time: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(time).ok()?;
    let s = s.replacen(',', ".", 1);
    connect_dlq::time::parse_rfc3339(&s)
}

/// The timestamp as ISO 8601 without a zone: `2026-11-30T10:00:00.123`.
pub fn iso_time(time: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(time).into_owned();
    if s.len() > 10 && s.as_bytes()[10] == b' ' {
        s.replace_range(10..11, "T");
    }
    if s.len() > 19 && s.as_bytes()[19] == b',' {
        s.replace_range(19..20, ".");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(line: &str) -> Header<'_> {
        parse_header(line.as_bytes()).unwrap_or_else(|| panic!("no header in {line:?}"))
    }

    #[test]
    fn apache_layout_with_context_and_line_number() {
        let l = "[2026-11-30 10:00:00,123] ERROR [jdbc-sink|task-0] WorkerSinkTask{id=jdbc-sink-0} Task threw an uncaught and unrecoverable exception (org.apache.kafka.connect.runtime.WorkerTask:234)";
        let x = h(l);
        assert_eq!(x.time, b"2026-11-30 10:00:00,123");
        assert_eq!(x.level, Level::Error);
        assert_eq!(x.context, Some(&b"jdbc-sink|task-0"[..]));
        assert_eq!(
            x.message,
            b"WorkerSinkTask{id=jdbc-sink-0} Task threw an uncaught and unrecoverable exception"
        );
        assert_eq!(x.logger, b"org.apache.kafka.connect.runtime.WorkerTask");
        assert_eq!(
            split_context(x.context.unwrap()),
            (Some("jdbc-sink".into()), Some(0))
        );
    }

    #[test]
    fn worker_prefix_is_message_not_context() {
        let x = h(
            "[2026-11-30 10:00:00,123] INFO [Worker clientId=connect-1, groupId=g] Rebalance started (org.apache.kafka.connect.runtime.distributed.WorkerCoordinator:242)",
        );
        assert_eq!(x.context, None);
        assert!(x.message.starts_with(b"[Worker clientId"));
        let x = h(
            "[2026-11-30 10:00:00,123] INFO [s|worker] Creating connector s of type X (org.apache.kafka.connect.runtime.Worker)",
        );
        assert_eq!(split_context(x.context.unwrap()), (Some("s".into()), None));
        assert_eq!(x.logger, b"org.apache.kafka.connect.runtime.Worker");
    }

    #[test]
    fn strimzi_layout_without_brackets_with_thread() {
        let x = h(
            "2026-11-30 10:00:00,123 WARN [src|task-2|offsets] Commit of offsets timed out (org.apache.kafka.connect.runtime.WorkerSourceTask) [task-thread-src-2]",
        );
        assert_eq!(x.level, Level::Warn);
        assert_eq!(
            split_context(x.context.unwrap()),
            (Some("src".into()), Some(2))
        );
        assert_eq!(x.message, b"Commit of offsets timed out");
        assert_eq!(
            x.logger,
            b"org.apache.kafka.connect.runtime.WorkerSourceTask"
        );
        let x = h(
            "2026-11-30T10:00:00.123Z  INFO  Kafka Connect started (org.apache.kafka.connect.runtime.Connect)",
        );
        assert_eq!(x.time, b"2026-11-30T10:00:00.123Z");
        assert_eq!(x.level, Level::Info);
    }

    #[test]
    fn continuation_lines_have_no_header() {
        for l in [
            "\tat org.apache.kafka.connect.runtime.WorkerTask.run(WorkerTask.java:1)",
            "Caused by: java.io.IOException: x",
            "org.apache.kafka.connect.errors.ConnectException: boom",
            "",
            "[not a date] INFO x",
            "[2026-11-30 10:00:00,123] NOTICE x",
            "2026",
        ] {
            assert_eq!(parse_header(l.as_bytes()), None, "{l:?}");
        }
    }

    #[test]
    fn message_parentheses_are_not_a_logger() {
        let x = h("[2026-11-30 10:00:00,123] WARN something (see the docs)");
        assert_eq!(x.message, b"something (see the docs)");
        assert_eq!(x.logger, b"");
    }

    #[test]
    fn connector_from_runtime_ids() {
        assert_eq!(
            context_from_message(b"WorkerSinkTask{id=my-sink-12} Task threw"),
            (Some("my-sink".into()), Some(12))
        );
        assert_eq!(
            context_from_message(b"WorkerConnector{id=my-src-1} failed"),
            (Some("my-src-1".into()), None)
        );
        assert_eq!(context_from_message(b"plain"), (None, None));
        assert_eq!(
            context_from_message(b"[Producer clientId=connector-producer-src-a-3] metadata"),
            (Some("src-a".into()), Some(3))
        );
        assert_eq!(
            context_from_message(
                b"[Consumer clientId=connector-consumer-snk-0, groupId=connect-snk] x"
            ),
            (Some("snk".into()), Some(0))
        );
    }

    #[test]
    fn times() {
        assert_eq!(
            iso_time(b"2026-11-30 10:00:00,123"),
            "2026-11-30T10:00:00.123"
        );
        assert_eq!(time_ms(b"1970-01-01 00:00:01,500"), Some(1500),);
    }
}
