//! `connect-plugin-api`: what a connect-worker plugin builds on, and nothing more. The Connect
//! data model (`org.apache.kafka.connect.data`), config definitions (`ConfigDef`), the connector
//! and task traits (`org.apache.kafka.connect.{connector,source,sink}`) and `ConnectException`.
//!
//! It is a crate of its own so that a connector bringing a heavy dependency (a database driver)
//! adds it to the connector alone: the runtime, REST layer and converters depend on this crate,
//! never on a connector's.

pub mod config_def;
pub mod connector;
pub mod data;
pub mod error;

pub use connect_api::{ConfigMap, ConnectorType};
pub use connector::*;
pub use error::ConnectError;
