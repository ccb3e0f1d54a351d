//! Connectors, tasks and their states.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ConfigMap, Extra};

/// Connector type as Connect reports it (lowercase). Anything else, e.g. from a proxy or a newer
/// Connect, is kept as [`ConnectorType::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    Source,
    Sink,
    #[serde(other)]
    Unknown,
}

impl fmt::Display for ConnectorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectorType::Source => "source",
            ConnectorType::Sink => "sink",
            ConnectorType::Unknown => "unknown",
        })
    }
}

/// The state of a connector or task (`AbstractStatus.State`). Confluent Cloud adds states of its
/// own (DEGRADED, PROVISIONING, SYSTEM_ERROR, ...); those are kept in [`State::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
    Other(String),
}

impl State {
    pub fn as_str(&self) -> &str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
            State::Other(s) => s,
        }
    }
}

impl From<String> for State {
    fn from(s: String) -> Self {
        match s.as_str() {
            "UNASSIGNED" => State::Unassigned,
            "RUNNING" => State::Running,
            "PAUSED" => State::Paused,
            "FAILED" => State::Failed,
            "RESTARTING" => State::Restarting,
            "STOPPED" => State::Stopped,
            _ => State::Other(s),
        }
    }
}

impl From<State> for String {
    fn from(s: State) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"connector": "c", "task": 0}`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `GET /connectors/{c}` and the answer to creating or updating a connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: ConfigMap,
    #[serde(default)]
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub connector_type: Option<ConnectorType>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The state a connector is created in [3.7, KIP-980].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Running,
    Paused,
    Stopped,
}

/// Body of `POST /connectors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateConnectorRequest {
    pub name: String,
    pub config: ConfigMap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<InitialState>,
}

/// The state of the connector instance itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorState {
    pub state: State,
    #[serde(default)]
    pub worker_id: String,
    /// Java `printStackTrace` text; absent (never `null`) when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The state of one task. Confluent Cloud reports the error in `msg` rather than `trace`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskState {
    pub id: u32,
    pub state: State,
    #[serde(default)]
    pub worker_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl TaskState {
    /// The error text of the task, wherever the server put it.
    pub fn error_text(&self) -> Option<&str> {
        self.trace.as_deref().or(self.msg.as_deref())
    }
}

/// `GET /connectors/{c}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    #[serde(default)]
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub connector_type: Option<ConnectorType>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `GET /connectors/{c}/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: ConfigMap,
}

/// One value of `GET /connectors?expand=status&expand=info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpandedConnector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectorStateInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<ConnectorInfo>,
}

/// `GET /connectors?expand=...`: connector name to its expansions.
pub type ExpandedConnectors = BTreeMap<String, ExpandedConnector>;

/// `GET /connectors/{c}/topics` [2.5, KIP-558]: `{"c": {"topics": [...]}}`.
pub type ConnectorTopics = BTreeMap<String, ActiveTopics>;

/// The topics a connector has used since its topics were last reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveTopics {
    pub topics: Vec<String>,
}
