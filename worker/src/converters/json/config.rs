//! JsonConverter's settings: Apache's config definition and their parsing.

use super::JsonConverter;
use crate::converters::{ConverterConfig, bool_setting};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

/// The converter's config keys, as Apache defines them.
pub static CONFIG_DEF: &[ConfigKey] = &[
    ConfigKey {
        name: "converter.type",
        ty: ConfigType::String,
        default: DefaultValue::None,
        importance: Importance::Low,
        documentation: "How this converter will be used.",
        group: None,
        order: -1,
        width: Width::None,
        display_name: "converter.type",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schemas.enable",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("true"),
        importance: Importance::High,
        documentation: "Include schemas within each of the serialized values and keys.",
        group: Some("Schemas"),
        order: 0,
        width: Width::Medium,
        display_name: "Enable Schemas",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schemas.cache.size",
        ty: ConfigType::Int,
        default: DefaultValue::Value("1000"),
        importance: Importance::High,
        documentation: "The maximum number of schemas that can be cached in this converter instance.",
        group: Some("Schemas"),
        order: 1,
        width: Width::Medium,
        display_name: "Schema Cache Size",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schema.content",
        ty: ConfigType::String,
        default: DefaultValue::Null,
        importance: Importance::High,
        documentation: "When set, this is used as the schema for all messages, and the schemas within each of the message will be ignored.Otherwise, the schema will be included in the content of each message. This configuration applies only 'schemas.enable' is true, and it exclusively affects the sink connector.",
        group: Some("Schemas"),
        order: 2,
        width: Width::Medium,
        display_name: "Schema Content",
        validator: Validator::None,
    },
    ConfigKey {
        name: "decimal.format",
        ty: ConfigType::String,
        default: DefaultValue::Value("BASE64"),
        importance: Importance::Low,
        documentation: "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
        group: Some("Serialization"),
        order: 0,
        width: Width::Medium,
        display_name: "Decimal Format",
        validator: Validator::OneOfCaseInsensitive(&["BASE64", "NUMERIC"]),
    },
    ConfigKey {
        name: "replace.null.with.default",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("true"),
        importance: Importance::Low,
        documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
        group: Some("Serialization"),
        order: 1,
        width: Width::Medium,
        display_name: "Replace null with default",
        validator: Validator::None,
    },
];

/// How Decimal values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalFormat {
    Base64,
    Numeric,
}

impl JsonConverter {
    pub fn new(config: &ConverterConfig) -> Result<JsonConverter, ConnectError> {
        let decimal_format = match config
            .get("decimal.format")
            .map(|s| s.trim().to_ascii_uppercase())
        {
            None => DecimalFormat::Base64,
            Some(f) if f == "BASE64" => DecimalFormat::Base64,
            Some(f) if f == "NUMERIC" => DecimalFormat::Numeric,
            Some(f) => {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {f} for configuration decimal.format: String must be one of: BASE64, NUMERIC"
                    ),
                ));
            }
        };
        Ok(JsonConverter {
            schemas_enabled: bool_setting(config, "schemas.enable", true)?,
            decimal_format,
            replace_null_with_default: bool_setting(config, "replace.null.with.default", true)?,
            cache: Default::default(),
        })
    }
}
