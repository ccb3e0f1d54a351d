//! Converters translate between Kafka bytes and the Connect data model, under Apache's class
//! names so that `key.converter`/`value.converter` settings carry over unchanged.

pub mod avro;
pub mod bytes;
pub mod header;
pub mod json;
pub mod number;
pub mod string;

use std::collections::BTreeMap;

pub use avro::AvroConverter;
pub use bytes::ByteArrayConverter;
pub use header::SimpleHeaderConverter;
pub use json::JsonConverter;
pub use number::NumberConverter;
pub use string::StringConverter;

use crate::data::{Schema, SchemaAndValue, Value};
use crate::error::{ConnectError, class};

/// `org.apache.kafka.connect.storage.Converter`.
pub trait Converter: Send + Sync {
    /// The Java class name, reported in `__connect.errors.class.name`.
    fn class(&self) -> &'static str;
    /// Connect data to bytes; `None` is a Kafka null (tombstone).
    fn to_bytes(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError>;
    /// Bytes (or a Kafka null) to Connect data.
    fn to_connect(&self, topic: &str, bytes: Option<&[u8]>)
    -> Result<SchemaAndValue, ConnectError>;
}

/// Converter settings with the `key.converter.`/`value.converter.` prefix removed.
pub type ConverterConfig = BTreeMap<String, String>;

/// Parses a boolean setting the way Kafka's `ConfigDef` does (case-insensitive `true`/`false`).
pub(crate) fn bool_setting(
    config: &ConverterConfig,
    key: &str,
    default: bool,
) -> Result<bool, ConnectError> {
    match config.get(key).map(|v| v.trim()) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConnectError::new(
            class::CONFIG,
            format!(
                "Invalid value {v} for configuration {key}: Expected value to be either true or false"
            ),
        )),
    }
}

/// The Java class of the object a Connect value is in Java, for Connect's error messages.
pub(crate) fn java_class(value: &Value) -> &'static str {
    value.java_class()
}
