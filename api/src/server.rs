//! Worker-level entities: `GET /`, `/health`, errors and loggers.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// `GET /`: the worker's version and the Kafka cluster it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /health` [3.9, KIP-1017]: `status` is `healthy`, `starting` or `unhealthy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerStatus {
    pub status: String,
    pub message: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The error body of every failed request: `error_code` repeats the HTTP status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorMessage {
    pub error_code: u16,
    pub message: String,
}

/// A plain `{"message": ...}` answer, e.g. from altering or resetting offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message: String,
}

/// One logger's level in `GET /admin/loggers` [2.4, KIP-495]; `last_modified` is epoch ms or null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggerLevel {
    pub level: String,
    #[serde(default)]
    pub last_modified: Option<i64>,
}

/// `GET /admin/loggers`: logger name to level.
pub type Loggers = std::collections::BTreeMap<String, LoggerLevel>;

/// Body of `PUT /admin/loggers/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetLoggerLevel {
    pub level: String,
}
