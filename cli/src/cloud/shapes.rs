//! Confluent Cloud's answers and how they become the shapes the commands already use.
//!
//! Most Cloud answers already are Connect's shapes (`GET /connectors/{c}`, `/config`, `/tasks`,
//! validate, plugins). The rest differ: the expanded list carries `{id, info, status}` without
//! task ids or type in `info`; statuses may leave `connector.trace` empty and put the failure in
//! fields the specification does not list (`errors_from_trace`, `validation_errors`,
//! `error_summary`, `override_message`); offsets come wrapped with `id` and `metadata`.

use std::collections::BTreeMap;

use connect_api::{
    ConfigMap, ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorStateInfo,
    ConnectorTaskId, ExpandedConnector, ExpandedConnectors,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One value of `GET /connectors?expand=info,status,id`.
#[derive(Debug, Deserialize)]
pub struct CloudExpansion {
    #[serde(default)]
    pub id: Option<CloudId>,
    #[serde(default)]
    pub info: Option<CloudInfo>,
    #[serde(default)]
    pub status: Option<ConnectorStateInfo>,
}

/// `{"id": "lcc-xxxxx", "id_type": "ID"}`
#[derive(Debug, Deserialize)]
pub struct CloudId {
    pub id: String,
}

/// `info` of the expanded list: the name and config only.
#[derive(Debug, Deserialize)]
pub struct CloudInfo {
    pub name: String,
    #[serde(default)]
    pub config: ConfigMap,
}

pub type CloudExpansionMap = BTreeMap<String, CloudExpansion>;

/// The expanded list as Connect's: `info.tasks` from the tasks the status reports, `info.type`
/// from the status, the connector id (`lcc-...`) kept as `info.id`.
pub fn expanded(map: CloudExpansionMap) -> ExpandedConnectors {
    map.into_iter()
        .map(|(name, e)| {
            let status = e.status.map(|mut s| {
                normalise_status(&mut s);
                s
            });
            let info = e.info.map(|i| {
                let mut extra = Map::new();
                if let Some(id) = &e.id {
                    extra.insert("id".to_owned(), Value::String(id.id.clone()));
                }
                ConnectorInfo {
                    tasks: status
                        .iter()
                        .flat_map(|s| &s.tasks)
                        .map(|t| ConnectorTaskId {
                            connector: i.name.clone(),
                            task: t.id,
                        })
                        .collect(),
                    connector_type: status.as_ref().and_then(|s| s.connector_type),
                    name: i.name,
                    config: i.config,
                    extra,
                }
            });
            (name, ExpandedConnector { status, info })
        })
        .collect()
}

/// The text of one entry of `errors_from_trace` / `validation_errors`: a string, or an object
/// whose `error` (or `message`) holds it.
pub fn entry_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => ["error", "message", "msg"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    }
    .filter(|s| !s.trim().is_empty())
}

/// Cloud's status as Connect's: empty `trace`/`msg` strings (Cloud sends `""` where Connect
/// leaves the field out) become absent; `worker_id`, which Cloud fills with the connector's own
/// name and which names no worker, becomes empty; and when `connector.trace` is empty, the first
/// of Cloud's own error fields that says something becomes the trace, so root causes and hints
/// see it. The extra fields themselves stay in the status.
pub fn normalise_status(status: &mut ConnectorStateInfo) {
    let name = status.name.clone();
    if status.connector.worker_id == name {
        status.connector.worker_id.clear();
    }
    if status
        .connector
        .trace
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        status.connector.trace = None;
    }
    for t in &mut status.tasks {
        if t.worker_id == name {
            t.worker_id.clear();
        }
        if t.msg.as_deref().is_some_and(|m| m.trim().is_empty()) {
            t.msg = None;
        }
    }
    if status
        .connector
        .trace
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
    {
        return;
    }
    let list = |key: &str| -> Option<String> {
        let items: Vec<String> = status
            .extra
            .get(key)
            .or_else(|| status.connector.extra.get(key))?
            .as_array()?
            .iter()
            .filter_map(entry_text)
            .collect();
        (!items.is_empty()).then(|| items.join("\n"))
    };
    let text = |key: &str| -> Option<String> {
        status
            .extra
            .get(key)
            .or_else(|| status.connector.extra.get(key))
            .and_then(|v| v.as_str().map(str::to_owned).or_else(|| entry_text(v)))
            .filter(|s| !s.trim().is_empty())
    };
    let found = list("errors_from_trace")
        .or_else(|| list("validation_errors"))
        .or_else(|| text("error_summary"))
        .or_else(|| text("override_message"));
    if let Some(t) = found {
        status.connector.trace = Some(t);
    }
}

/// `GET /connectors/{c}/offsets`: `{id, name, offsets, metadata: {observed_at}}`.
#[derive(Debug, Deserialize)]
pub struct CloudOffsets {
    #[serde(default)]
    pub offsets: Vec<CloudOffset>,
}

#[derive(Debug, Deserialize)]
pub struct CloudOffset {
    #[serde(default)]
    pub partition: Map<String, Value>,
    #[serde(default)]
    pub offset: Option<Map<String, Value>>,
}

impl From<CloudOffsets> for ConnectorOffsets {
    fn from(o: CloudOffsets) -> Self {
        ConnectorOffsets {
            offsets: o
                .offsets
                .into_iter()
                .map(|o| ConnectorOffset {
                    partition: o.partition,
                    offset: o.offset,
                })
                .collect(),
        }
    }
}

/// `GET /connectors/{c}/offsets/request/status`.
#[derive(Debug, Deserialize)]
pub struct OffsetRequestStatus {
    pub status: OffsetPhase,
    #[serde(default)]
    pub applied_at: Option<String>,
}

/// `{phase: PENDING | PENDING_VALIDATION | APPLIED | FAILED, message}`
#[derive(Debug, Deserialize)]
pub struct OffsetPhase {
    pub phase: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_from_trace_become_the_connector_trace() {
        let mut s: ConnectorStateInfo = serde_json::from_value(serde_json::json!({
            "name": "pg", "type": "source",
            "connector": {"state": "FAILED", "worker_id": "pg", "trace": ""},
            "tasks": [],
            "errors_from_trace": [{"error": "Creation of replication slot failed: ERROR: all replication slots are in use"}],
            "validation_errors": []
        }))
        .unwrap();
        normalise_status(&mut s);
        assert_eq!(
            s.connector.trace.as_deref(),
            Some("Creation of replication slot failed: ERROR: all replication slots are in use")
        );
        assert_eq!(
            s.connector.worker_id, "",
            "Cloud's worker_id is the connector's name"
        );
        // A trace that says something is kept as it is.
        let mut s2 = s.clone();
        s2.connector.trace = Some("own".into());
        normalise_status(&mut s2);
        assert_eq!(s2.connector.trace.as_deref(), Some("own"));
    }

    #[test]
    fn expanded_list_gets_task_ids_type_and_id() {
        let map: CloudExpansionMap = serde_json::from_value(serde_json::json!({
            "a": {"id": {"id": "lcc-1", "id_type": "ID"},
                  "info": {"name": "a", "config": {"connector.class": "S3_SINK"}},
                  "status": {"name": "a", "type": "sink",
                             "connector": {"state": "RUNNING", "worker_id": "a"},
                             "tasks": [{"id": 0, "state": "USER_ACTIONABLE_ERROR", "worker_id": "a", "msg": "boom"}]}}
        }))
        .unwrap();
        let e = expanded(map);
        let info = e["a"].info.as_ref().unwrap();
        assert_eq!(info.tasks.len(), 1);
        assert_eq!(info.extra["id"], "lcc-1");
        assert_eq!(info.connector_type, Some(connect_api::ConnectorType::Sink));
        assert_eq!(
            e["a"].status.as_ref().unwrap().tasks[0].error_text(),
            Some("boom")
        );
        assert_eq!(e["a"].status.as_ref().unwrap().tasks[0].worker_id, "");
    }
}
