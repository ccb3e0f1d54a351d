//! Plugins, their config definitions, and validation results.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// One entry of `GET /connector-plugins`. `version` is left out when the plugin has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    #[serde(rename = "class")]
    pub class_name: String,
    #[serde(rename = "type")]
    pub plugin_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The definition of one config key (`ConfigKeyInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    /// `STRING`, `LIST`, `INT`, `LONG`, `DOUBLE`, `BOOLEAN`, `SHORT`, `CLASS`, `PASSWORD`.
    #[serde(rename = "type")]
    pub key_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default_value: Option<String>,
    #[serde(default)]
    pub importance: Option<String>,
    #[serde(default)]
    pub documentation: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// Apache Kafka 4.x serialises this as `order_in_group`; older docs call it `order`.
    #[serde(rename = "order_in_group", alias = "order", default)]
    pub order_in_group: i32,
    #[serde(default)]
    pub width: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub dependents: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ConfigKeyInfo {
    /// Whether the plugin declares this key as a secret (`Type.PASSWORD`).
    pub fn is_password(&self) -> bool {
        self.key_type.eq_ignore_ascii_case("PASSWORD")
    }
}

/// The validation result for one config key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigValueInfo {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub recommended_values: Vec<String>,
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default = "visible_default")]
    pub visible: bool,
}

fn visible_default() -> bool {
    true
}

/// One key of a validation answer: its definition and the value's errors. `value` is null for a
/// key the plugin defines but returned no value for (Debezium's PostgreSQL connector does this
/// for internal keys), which Apache passes through as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    pub definition: ConfigKeyInfo,
    #[serde(default)]
    pub value: Option<ConfigValueInfo>,
}

/// `PUT /connector-plugins/{p}/config/validate` (200 even when the config is invalid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: u32,
    #[serde(default)]
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Keys that have at least one error, with their messages.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.configs
            .iter()
            .filter_map(|c| c.value.as_ref())
            .filter(|v| !v.errors.is_empty())
            .map(|v| (v.name.as_str(), v.errors.as_slice()))
    }
}
