//! Errors shaped like Java exceptions, because Connect reports failures as Java stack traces:
//! the task `trace` in the status API and the `__connect.errors.exception.*` DLQ headers carry
//! an exception class name, a message and a `Caused by:` chain. Tools (connectctl's root-cause
//! analysis, DLQ inspectors) parse exactly that shape, so the worker produces it too.
//!
//! Stack frames name the component that failed (`org.apache.kafka.connect.json.JsonConverter`)
//! with the Rust source file as the location, since there is no JVM frame to show.

use std::fmt;

/// Exception class names that the worker reports, as Apache Kafka Connect spells them.
pub mod class {
    pub const CONNECT: &str = "org.apache.kafka.connect.errors.ConnectException";
    pub const DATA: &str = "org.apache.kafka.connect.errors.DataException";
    pub const RETRIABLE: &str = "org.apache.kafka.connect.errors.RetriableException";
    pub const SERIALIZATION: &str = "org.apache.kafka.common.errors.SerializationException";
    pub const CONFIG: &str = "org.apache.kafka.common.config.ConfigException";
    pub const JSON_PARSE: &str = "com.fasterxml.jackson.core.JsonParseException";
    pub const IO: &str = "java.io.IOException";
    pub const KAFKA: &str = "org.apache.kafka.common.KafkaException";
    pub const SCHEMA_BUILDER: &str = "org.apache.kafka.connect.errors.SchemaBuilderException";
    pub const ILLEGAL_ARGUMENT: &str = "java.lang.IllegalArgumentException";
    pub const NULL_POINTER: &str = "java.lang.NullPointerException";
    pub const NUMBER_FORMAT: &str = "java.lang.NumberFormatException";
    pub const CLASS_CAST: &str = "java.lang.ClassCastException";
}

/// A failure with a Java exception class, an optional message, the frames where it happened and
/// an optional cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub class: String,
    pub message: Option<String>,
    /// `pkg.Class.method(File)` entries, innermost first, printed as `\tat ...`.
    pub frames: Vec<String>,
    pub cause: Option<Box<ConnectError>>,
}

impl ConnectError {
    pub fn new(class: &str, message: impl Into<String>) -> ConnectError {
        ConnectError {
            class: class.to_owned(),
            message: Some(message.into()),
            frames: Vec::new(),
            cause: None,
        }
    }

    /// `DataException(message)`: bad data that a converter or transform could not handle.
    pub fn data(message: impl Into<String>) -> ConnectError {
        ConnectError::new(class::DATA, message)
    }

    /// `ConnectException(message)`: a generic Connect failure.
    pub fn connect(message: impl Into<String>) -> ConnectError {
        ConnectError::new(class::CONNECT, message)
    }

    pub fn with_cause(mut self, cause: ConnectError) -> ConnectError {
        self.cause = Some(Box::new(cause));
        self
    }

    /// Adds a frame (`"org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)"`).
    pub fn at(mut self, frame: impl Into<String>) -> ConnectError {
        self.frames.push(frame.into());
        self
    }

    /// Wraps any Rust error, keeping its `source()` chain as `Caused by:` entries.
    pub fn from_std(class: &str, err: &(dyn std::error::Error + 'static)) -> ConnectError {
        let mut out = ConnectError::new(class, err.to_string());
        if let Some(src) = err.source() {
            out.cause = Some(Box::new(ConnectError::from_std(class, src)));
        }
        out
    }

    /// The deepest cause.
    pub fn root(&self) -> &ConnectError {
        let mut e = self;
        while let Some(c) = &e.cause {
            e = c;
        }
        e
    }

    /// Java's `Throwable.toString()`: `FQCN: message` or just `FQCN`.
    pub fn header_line(&self) -> String {
        match &self.message {
            Some(m) => format!("{}: {m}", self.class),
            None => self.class.clone(),
        }
    }

    /// The output of Java's `printStackTrace()`: every line ends with `\n`.
    pub fn stack_trace(&self) -> String {
        let mut out = String::new();
        let mut e = Some(self);
        let mut first = true;
        while let Some(err) = e {
            if !first {
                out.push_str("Caused by: ");
            }
            out.push_str(&err.header_line());
            out.push('\n');
            for f in &err.frames {
                out.push_str("\tat ");
                out.push_str(f);
                out.push('\n');
            }
            first = false;
            e = err.cause.as_deref();
        }
        out
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header_line())
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_stack_trace_shape() {
        let e = ConnectError::connect("Tolerance exceeded in error handler")
            .at("org.apache.kafka.connect.runtime.WorkerSinkTask.convertAndTransformRecord(sink_task.rs)")
            .with_cause(
                ConnectError::data("bad")
                    .at("org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)"),
            );
        assert_eq!(
            e.stack_trace(),
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n\
             \tat org.apache.kafka.connect.runtime.WorkerSinkTask.convertAndTransformRecord(sink_task.rs)\n\
             Caused by: org.apache.kafka.connect.errors.DataException: bad\n\
             \tat org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)\n"
        );
        assert_eq!(e.root().class, class::DATA);
    }

    #[test]
    fn null_message_prints_class_only() {
        let e = ConnectError {
            message: None,
            ..ConnectError::data("")
        };
        assert_eq!(
            e.stack_trace(),
            "org.apache.kafka.connect.errors.DataException\n"
        );
    }

    #[test]
    fn std_sources_become_causes() {
        let io = std::io::Error::other("disk full");
        let e = ConnectError::from_std(class::IO, &io);
        assert_eq!(e.header_line(), "java.io.IOException: disk full");
    }
}
