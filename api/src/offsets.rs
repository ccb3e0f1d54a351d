//! Offsets of a connector [3.5/3.6, KIP-875].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /connectors/{c}/offsets`, and the body of `PATCH` on the same path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// One source partition and its offset. Sink connectors use
/// `{"kafka_topic","kafka_partition"}` / `{"kafka_offset"}`; sources define their own maps.
/// A `null` offset in a PATCH resets that partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffset {
    pub partition: Map<String, Value>,
    pub offset: Option<Map<String, Value>>,
}
