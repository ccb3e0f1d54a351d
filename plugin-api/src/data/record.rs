//! Records as connectors see them: a source task produces [`SourceRecord`]s, a sink task
//! receives [`SinkRecord`]s. Both wrap [`ConnectRecord`], the converted key, value and headers.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{SchemaRef, Value};

/// A converted header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

/// The parts every Connect record has (`ConnectRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    pub topic: String,
    pub kafka_partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    /// Milliseconds since the epoch; `None` lets the producer assign one.
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
}

impl ConnectRecord {
    /// A record with only a value.
    pub fn value(topic: &str, schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
        ConnectRecord {
            topic: topic.to_owned(),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: schema,
            value,
            timestamp: None,
            headers: Vec::new(),
        }
    }
}

/// A record read by a source task, with where it came from in the source system. The source
/// partition and offset are JSON maps because that is how they are stored
/// (`offset.storage.file.filename`, the offsets topic) and reported (`GET .../offsets`). The
/// partition is shared: a task hands out the same one with every record it reads from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub source_partition: Arc<Map<String, Json>>,
    pub source_offset: Map<String, Json>,
    pub record: ConnectRecord,
}

/// A record consumed from Kafka for a sink task.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    pub record: ConnectRecord,
    pub kafka_offset: i64,
}
