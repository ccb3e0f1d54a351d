//! `connect-worker`: a Kafka Connect worker in Rust, compatible with Apache Kafka Connect's REST
//! API, configuration keys, plugin class names and DLQ format.

pub mod config;
pub mod connectors;
pub mod converters;
pub mod data;
pub mod error;
pub mod plugin;
pub mod registry;
pub mod rest;
pub mod runtime;
pub mod transforms;
pub mod validation;

/// The Apache Kafka Connect release whose REST API and behaviour this worker implements. Reported
/// as `version` by `GET /` so that clients that gate features on the Connect version (stop,
/// offsets, PATCH config) see what they can use; `commit` names this worker's own build.
pub const CONNECT_API_VERSION: &str = "4.3.1";
