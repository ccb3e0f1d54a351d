//! The plugin interfaces, from `connect-plugin-api` (the traits and config definitions a
//! connector implements), and the framework's own connector keys.

pub use connect_plugin_api::config_def;
pub use connect_plugin_api::connector::*;
pub use connect_plugin_api::{ConfigMap, ConnectorType};

pub mod connector_config;
