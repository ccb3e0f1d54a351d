//! The Kafka Connect REST API model, as Apache Kafka Connect serialises it.
//!
//! Serde types only, no client and no IO, so that both the CLI and the worker can depend on it
//! without pulling each other's weight. Names follow Kafka's entity classes
//! (`connect/runtime/.../rest/entities/`); serde attributes reproduce the exact JSON, including
//! the quirks (absent `trace` rather than `null`, lowercase connector `type`). Every type keeps
//! fields it does not know in `extra`, so a newer Connect's additions survive a round trip.

mod connectors;
mod offsets;
mod plugins;
mod server;

pub use connectors::*;
pub use offsets::*;
pub use plugins::*;
pub use server::*;

/// A JSON object with unknown members, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// A connector configuration: string keys to string values, as Connect stores it.
pub type ConfigMap = std::collections::BTreeMap<String, String>;
