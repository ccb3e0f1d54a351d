//! The offsets endpoints (`GET`, `PATCH` and `DELETE /connectors/{c}/offsets`): source offsets
//! in the worker's offset store, sink offsets in the connector's consumer group.

use connect_api::{ConnectorOffset, ConnectorOffsets, ConnectorType};
use serde_json::Value as Json;

use super::{HerderError, HerderState, Result, lock};
use crate::plugin::OffsetMap;
use crate::runtime::store::{StoredConnector, TargetState};

impl HerderState {
    pub fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let stored = self.stored(name)?;
        let offsets = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => self
                .runtime
                .sink_offsets(name, &stored.config)
                .map_err(|e| HerderError::Internal(e.to_string()))?,
            _ => self
                .offsets
                .all(name)
                .into_iter()
                .map(|(partition, offset)| ConnectorOffset {
                    partition,
                    offset: Some(offset),
                })
                .collect(),
        };
        Ok(ConnectorOffsets { offsets })
    }

    fn require_stopped(&self, name: &str) -> Result<StoredConnector> {
        let stored = self.stored(name)?;
        if stored.target != TargetState::Stopped {
            return Err(HerderError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(stored)
    }

    /// `PATCH .../offsets`; returns the success message.
    pub fn alter_offsets(&self, name: &str, offsets: Vec<ConnectorOffset>) -> Result<String> {
        if offsets.is_empty() {
            return Err(HerderError::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".into(),
            ));
        }
        let _op = lock(&self.op);
        let stored = self.require_stopped(name)?;
        let managed_here = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => {
                let offsets = parse_sink_offsets(&offsets)?;
                self.runtime
                    .alter_sink_offsets(name, &stored.config, &offsets)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                true
            }
            _ => {
                let connector = self
                    .instantiate(&stored.config)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
                    .into_iter()
                    .map(|o| (o.partition, o.offset))
                    .collect();
                // A connector refusing the offsets throws a ConnectException: a 500 in Apache.
                let ok = connector
                    .alter_offsets(&stored.config, &pairs)
                    .map_err(|e| {
                        HerderError::Internal(
                            e.message
                                .unwrap_or_else(|| "Failed to alter connector offsets".into()),
                        )
                    })?;
                self.offsets
                    .put(name, &pairs)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                ok
            }
        };
        Ok(if managed_here {
            "The offsets for this connector have been altered successfully".into()
        } else {
            "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.".into()
        })
    }

    /// `DELETE .../offsets`; returns the success message.
    pub fn reset_offsets(&self, name: &str) -> Result<String> {
        let _op = lock(&self.op);
        let stored = self.require_stopped(name)?;
        let managed_here = match Self::connector_type(&stored.config) {
            ConnectorType::Sink => {
                self.runtime
                    .reset_sink_offsets(name)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                true
            }
            _ => {
                let pairs: Vec<(OffsetMap, Option<OffsetMap>)> = self
                    .offsets
                    .all(name)
                    .into_iter()
                    .map(|(p, _)| (p, None))
                    .collect();
                let connector = self
                    .instantiate(&stored.config)
                    .map_err(|e| HerderError::BadRequest(e.to_string()))?;
                let ok = connector
                    .alter_offsets(&stored.config, &pairs)
                    .map_err(|e| HerderError::Internal(e.message.unwrap_or_default()))?;
                self.offsets
                    .put(name, &pairs)
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                ok
            }
        };
        Ok(if managed_here {
            "The offsets for this connector have been reset successfully".into()
        } else {
            "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.".into()
        })
    }
}

/// Java's `String.valueOf` of a JSON value as Jackson reads it: strings bare, null as `null`.
fn java_text(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "null".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `SinkUtils.parseSinkConnectorOffsets`: checks each partition and offset with its messages and
/// returns them normalized (`"10"` and `10` are both accepted, as `Integer.parseInt` does).
fn parse_sink_offsets(offsets: &[ConnectorOffset]) -> Result<Vec<ConnectorOffset>> {
    let bad = |m: String| Err(HerderError::BadRequest(m));
    let mut out = Vec::new();
    for o in offsets {
        let p = &o.partition;
        if !p.contains_key("kafka_topic") || !p.contains_key("kafka_partition") {
            return bad("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'".into());
        }
        let topic = java_text(p.get("kafka_topic"));
        let partition_text = java_text(p.get("kafka_partition"));
        let Ok(partition) = partition_text.parse::<i32>() else {
            return bad(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: '{partition_text}'. Partition values for sink connectors need to be integers."
            ));
        };
        let offset = match &o.offset {
            None => None,
            Some(m) => {
                if !m.contains_key("kafka_offset") {
                    return bad("The offset for a sink connector should either be null or contain the key 'kafka_offset'".into());
                }
                let text = java_text(m.get("kafka_offset"));
                let Ok(offset) = text.parse::<i64>() else {
                    return bad(format!(
                        "Failed to parse the following Kafka offset value in the provided offsets: '{text}'. Offset values for sink connectors need to be integers."
                    ));
                };
                Some(offset)
            }
        };
        let as_map = |v: Json| v.as_object().cloned().unwrap_or_default();
        out.push(ConnectorOffset {
            partition: as_map(
                serde_json::json!({"kafka_topic": topic, "kafka_partition": partition}),
            ),
            offset: offset.map(|o| as_map(serde_json::json!({"kafka_offset": o}))),
        });
    }
    Ok(out)
}
