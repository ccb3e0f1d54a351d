//! Connector config validation (`AbstractHerder.validateConnectorConfig`): the common connector
//! keys, the source- or sink-specific keys and the connector's own keys, each with Apache's error
//! texts, so `PUT .../config/validate` and the 400 on create read the same as on a JVM worker.

use std::collections::BTreeMap;

use connect_api::{ConfigInfo, ConfigInfos, ConfigMap};

use crate::plugin::config_def::{ConfigKey, split_list};
use crate::plugin::connector_config::{COMMON, SINK, SOURCE, SOURCE_DLQ};
use crate::registry::{self, PluginEntry, PluginType};

/// A request that cannot even be validated (Connect's `BadRequestException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// Worker-level defaults that show up in validation results.
#[derive(Debug, Clone)]
pub struct WorkerDefaults {
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    /// In a distributed worker, whether `exactly.once.source.support=enabled`; standalone
    /// workers (`None`) check nothing of exactly-once, as Apache's standalone herder.
    pub exactly_once_source: Option<bool>,
}

impl Default for WorkerDefaults {
    fn default() -> Self {
        WorkerDefaults {
            key_converter: registry::DEFAULT_CONVERTER.to_owned(),
            value_converter: registry::DEFAULT_CONVERTER.to_owned(),
            header_converter: registry::DEFAULT_HEADER_CONVERTER.to_owned(),
            exactly_once_source: None,
        }
    }
}

/// Java's `AbstractMap.toString()` of a config, as used in Connect's messages.
pub fn java_map_string(config: &ConfigMap) -> String {
    let parts: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Finds the connector plugin named by `connector.class`, with Apache's messages when there is
/// none.
pub fn connector_plugin(config: &ConfigMap) -> Result<&'static PluginEntry, BadRequest> {
    let Some(class) = config.get("connector.class") else {
        return Err(BadRequest(format!(
            "Connector config {} contains no connector type",
            java_map_string(config)
        )));
    };
    registry::find_connector(class).ok_or_else(|| {
        let available: Vec<String> = registry::connectors().map(registry::plugin_desc).collect();
        // Apache caches a failed class lookup and, from the second request for the same name
        // on, rethrows it wrapped in a ConnectException. The answer here depends on the request
        // alone: always the message of the first lookup.
        BadRequest(format!(
            "Failed to find any class that implements Connector and which name matches {}, available connectors are: {}",
            class.trim(),
            available.join(", ")
        ))
    })
}

/// The framework keys a connector accepts, in the order validation reports them; the
/// connector's own keys come after the transform and predicate keys.
pub fn framework_keys(plugin: &PluginEntry) -> Vec<&'static ConfigKey> {
    let specific = match plugin.connector_type() {
        Some(PluginType::Sink) => SINK,
        _ => SOURCE,
    };
    COMMON.iter().chain(specific).collect()
}

/// Keys this worker accepts beyond Apache's: the dead letter queue keys of source connectors
/// (Apache has them for sinks only). They are listed after everything Apache lists, so every
/// key Apache reports keeps its place.
pub fn added_keys(plugin: &PluginEntry) -> &'static [ConfigKey] {
    match plugin.connector_type() {
        Some(PluginType::Sink) => &[],
        _ => SOURCE_DLQ,
    }
}

/// Validates a connector config. Invalid values are reported inside the result (the REST answer
/// is 200 either way); only a missing or unknown connector class is an error.
pub fn validate(config: &ConfigMap, defaults: &WorkerDefaults) -> Result<ConfigInfos, BadRequest> {
    let plugin = connector_plugin(config)?;
    let mut configs = Vec::new();
    // Converter settings whose class could not be loaded: their `.plugin.version` key has
    // nothing to describe, so Apache shows it hidden, without a default.
    let mut unloadable: Vec<String> = Vec::new();
    for key in framework_keys(plugin) {
        let mut key = *key;
        if let Some(setting) = key.name.strip_suffix(".plugin.version") {
            if unloadable.iter().any(|u| u == setting) {
                key.default = crate::plugin::config_def::DefaultValue::Null;
                let mut value = key.validate(config.get(key.name).map(String::as_str));
                value.visible = false;
                configs.push(ConfigInfo {
                    definition: key.info(),
                    value: Some(value),
                });
                continue;
            }
        }
        // Validation shows the worker's converters as the defaults, as Apache enriches them.
        let default = match key.name {
            "key.converter" => Some(defaults.key_converter.as_str()),
            "value.converter" => Some(defaults.value_converter.as_str()),
            "header.converter" => Some(defaults.header_converter.as_str()),
            "key.converter.plugin.version"
            | "value.converter.plugin.version"
            | "header.converter.plugin.version" => Some(crate::CONNECT_API_VERSION),
            _ => None,
        };
        let leaked;
        if let Some(d) = default {
            // ConfigKey holds 'static strings; the handful of worker defaults live as long as
            // the process anyway.
            leaked = intern(d);
            key.default = crate::plugin::config_def::DefaultValue::Value(leaked);
        }
        let raw = config.get(key.name).map(String::as_str);
        let mut value = key.validate(raw);
        if key.name == "name"
            && value.errors.is_empty()
            && value.value.as_deref().is_none_or(str::is_empty)
        {
            value.errors.push(format!(
                "Invalid value {} for configuration name: String may not be empty",
                raw.unwrap_or("")
            ));
        }
        if key.name == "name" && value.errors.is_empty() {
            // `NonEmptyStringWithoutControlChars`: Java's `Character.isISOControl` code points.
            let control: Vec<String> = raw
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_control())
                .map(|c| u32::from(c).to_string())
                .collect();
            if !control.is_empty() {
                value.errors.push(format!(
                    "Invalid value {} for configuration name: String may not contain control sequences but had the following ASCII chars: {}",
                    raw.unwrap_or(""),
                    control.join(", ")
                ));
            }
        }
        if matches!(
            key.name,
            "key.converter" | "value.converter" | "header.converter"
        ) {
            if let Some(class) = value.value.as_deref() {
                let kind = if key.name == "header.converter" {
                    PluginType::HeaderConverter
                } else {
                    PluginType::Converter
                };
                if !registry::find(class).is_some_and(|e| e.types.contains(&kind)) {
                    value.errors.push(format!("Invalid value {class} for configuration {}: Class {class} could not be found.", key.name));
                    // A CLASS value that does not parse is reported without a value.
                    value.value = None;
                    unloadable.push(key.name.to_owned());
                }
            }
        }
        value.recommended_values = recommended(key.name);
        configs.push(ConfigInfo {
            definition: key.info(),
            value: Some(value),
        });
    }
    let mut extra_errors: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    if plugin.connector_type() == Some(PluginType::Sink) {
        sink_checks(config, &mut extra_errors);
    }
    for c in &mut configs {
        if let Some(v) = c.value.as_mut()
            && let Some(errs) = extra_errors.remove(v.name.as_str())
        {
            v.errors.extend(errs);
        }
    }
    if let (Some(enabled), Some(PluginType::Source), registry::Factory::Connector(create)) = (
        defaults.exactly_once_source,
        plugin.connector_type(),
        &plugin.factory,
    ) {
        exactly_once_checks(config, enabled, &*create(), &mut configs);
    }
    configs.extend(alias_configs(config));
    // The connector's own keys: its config definition, then `Connector.validate` on an
    // unstarted instance for what depends on several keys.
    let mut own: Vec<connect_api::ConfigValueInfo> = plugin
        .config_def
        .iter()
        .map(|key| {
            let mut value = key.validate(config.get(key.name).map(String::as_str));
            value.recommended_values = recommended(key.name);
            value
        })
        .collect();
    if let registry::Factory::Connector(create) = plugin.factory {
        create().validate(config, &mut own);
    }
    for key in plugin.config_def {
        if let Some(i) = own.iter().position(|v| v.name == key.name) {
            configs.push(ConfigInfo {
                definition: key.info(),
                value: Some(own.remove(i)),
            });
        }
    }
    configs.extend(converter_configs(config));
    for key in added_keys(plugin) {
        configs.push(ConfigInfo {
            definition: key.info(),
            value: Some(key.validate(config.get(key.name).map(String::as_str))),
        });
    }
    let mut groups: Vec<String> = Vec::new();
    for c in &configs {
        if let Some(g) = &c.definition.group {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    let error_count = configs
        .iter()
        .map(|c| c.value.as_ref().map_or(0, |v| v.errors.len() as u32))
        .sum();
    Ok(ConfigInfos {
        name: config.get("connector.class").cloned().unwrap_or_default(),
        error_count,
        groups,
        configs,
    })
}

/// The keys of converters set in the connector config, prefixed (`key.converter.schemas.enable`);
/// `converter.type` reads as the role the worker gives the converter.
fn converter_configs(config: &ConfigMap) -> Vec<ConfigInfo> {
    let mut out = Vec::new();
    for (role, kind) in [
        ("key", PluginType::Converter),
        ("value", PluginType::Converter),
        ("header", PluginType::HeaderConverter),
    ] {
        let setting = format!("{role}.converter");
        let Some(plugin) = config
            .get(&setting)
            .and_then(|c| registry::find(c))
            .filter(|e| e.types.contains(&kind))
        else {
            continue;
        };
        for key in plugin.config_def {
            let name = format!("{setting}.{}", key.name);
            let raw = if key.name == "converter.type" {
                Some(role)
            } else {
                config.get(&name).map(String::as_str)
            };
            let mut value = key.validate(raw);
            value.name = name.clone();
            let mut definition = key.info();
            definition.name = name;
            out.push(ConfigInfo {
                definition,
                value: Some(value),
            });
        }
    }
    out
}

/// A CLASS value given as an alias reads back as the class name, as Java's `Class.getName()`.
fn resolve_class(key: &ConfigKey, value: &mut connect_api::ConfigValueInfo) {
    if key.ty == crate::plugin::config_def::ConfigType::Class {
        if let Some(e) = value.value.as_deref().and_then(registry::find) {
            value.value = Some(e.class.to_owned());
        }
    }
}

/// `recommendedValues` of the keys that have them: installed converter classes and versions.
fn recommended(key: &str) -> Vec<String> {
    let kind = match key {
        "key.converter" | "value.converter" => PluginType::Converter,
        "header.converter" => PluginType::HeaderConverter,
        k if k.ends_with("plugin.version") => return vec![crate::CONNECT_API_VERSION.to_owned()],
        _ => return Vec::new(),
    };
    let mut classes: Vec<String> = registry::BUILTIN
        .iter()
        .filter(|e| e.types.contains(&kind))
        .map(|e| e.class.to_owned())
        .collect();
    classes.sort();
    classes
}

fn intern(s: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static POOL: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let pool = POOL.get_or_init(Mutex::default);
    let mut pool = pool.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = pool.iter().find(|p| **p == s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    pool.push(leaked);
    leaked
}

/// `SinkConnectorConfig.validate`: exactly one of `topics`/`topics.regex`, and a DLQ topic that
/// the connector does not itself consume.
fn sink_checks(config: &ConfigMap, errors: &mut BTreeMap<&'static str, Vec<String>>) {
    let topics = split_list(config.get("topics").map(String::as_str).unwrap_or(""));
    let regex = config.get("topics.regex").map(|s| s.trim()).unwrap_or("");
    if topics.is_empty() && regex.is_empty() {
        let msg = "Must configure one of topics or topics.regex".to_owned();
        errors.entry("topics").or_default().push(msg.clone());
        errors.entry("topics.regex").or_default().push(msg);
    } else if !topics.is_empty() && !regex.is_empty() {
        let msg =
            "topics and topics.regex are mutually exclusive options, but both are set.".to_owned();
        errors.entry("topics").or_default().push(msg.clone());
        errors.entry("topics.regex").or_default().push(msg);
    }
    let dlq = config
        .get("errors.deadletterqueue.topic.name")
        .map(|s| s.trim())
        .unwrap_or("");
    if !dlq.is_empty() {
        if topics.iter().any(|t| t == dlq) {
            errors.entry("topics").or_default().push(format!(
                "The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{}]') consumed by the connector",
                topics.join(", ")
            ));
        }
        if !regex.is_empty()
            && regex::Regex::new(&format!("^(?:{regex})$")).is_ok_and(|r| r.is_match(dlq))
        {
            errors.entry("topics.regex").or_default().push(format!(
                "The DLQ topic '{dlq}' may not be included in the regex matching the topics ('topics.regex={regex}') consumed by the connector"
            ));
        }
    }
}

/// A distributed worker's checks of a source connector's exactly-once keys (Apache's
/// `DistributedHerder.validateSourceConnectorConfig`), on keys that passed their own validators.
fn exactly_once_checks(
    config: &ConfigMap,
    enabled: bool,
    connector: &dyn crate::plugin::Connector,
    configs: &mut [ConfigInfo],
) {
    let valid = |configs: &mut [ConfigInfo], name: &str| -> Option<(String, usize)> {
        let i = configs.iter().position(|c| c.definition.name == name)?;
        let v = configs[i].value.as_ref()?;
        v.errors
            .is_empty()
            .then(|| (v.value.clone().unwrap_or_default().to_ascii_lowercase(), i))
    };
    if let Some(("required", i)) = valid(configs, "exactly.once.support")
        .as_ref()
        .map(|(v, i)| (v.as_str(), *i))
    {
        let mut errors = Vec::new();
        if !enabled {
            errors
                .push("This worker does not have exactly-once source support enabled.".to_owned());
        }
        match connector.exactly_once_support(config) {
            Some(true) => {}
            Some(false) => errors.push(
                "The connector does not support exactly-once semantics with the provided configuration.".to_owned(),
            ),
            None => errors.push(
                "The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value \"requested\" for this property (which will disable this preflight check and allow the connector to be created).".to_owned(),
            ),
        }
        if let Some(v) = configs[i].value.as_mut() {
            v.errors.extend(errors);
        }
    }
    // No connector here defines its own transaction boundaries (Apache's default answer).
    if let Some(("connector", i)) = valid(configs, "transaction.boundary")
        .as_ref()
        .map(|(v, i)| (v.as_str(), *i))
    {
        if let Some(v) = configs[i].value.as_mut() {
            v.errors.push("The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.".to_owned());
        }
    }
}

/// The per-alias keys of `transforms` and `predicates`, as Apache's `EnrichedConnectorConfig`
/// adds them: `<kind>.<alias>.type`, `.plugin.version`, the plugin's own keys, and for
/// transforms `.negate` and `.predicate`, each in the group `Transforms: <alias>`.
fn alias_configs(config: &ConfigMap) -> Vec<ConfigInfo> {
    let mut out = Vec::new();
    for (list, kind, label) in [
        ("transforms", PluginType::Transformation, "Transformation"),
        ("predicates", PluginType::Predicate, "Predicate"),
    ] {
        let group_label = if list == "transforms" {
            "Transforms"
        } else {
            "Predicates"
        };
        let word = if list == "transforms" {
            "transformation"
        } else {
            "predicate"
        };
        for alias in split_list(config.get(list).map(String::as_str).unwrap_or("")) {
            let prefix = format!("{list}.{alias}.");
            let group = format!("{group_label}: {alias}");
            let mut order = 0;
            let mut push = |key: &ConfigKey,
                            display: Option<String>,
                            doc: Option<String>,
                            extra_errors: Vec<String>| {
                let name = format!("{prefix}{}", key.name);
                // Parse errors name the full key, the validators the plugin's own.
                let mut value = key.validate_as(&name, config.get(&name).map(String::as_str));
                value.errors.extend(extra_errors);
                resolve_class(key, &mut value);
                value.recommended_values = match key.name {
                    "type" => {
                        let mut classes: Vec<String> = registry::BUILTIN
                            .iter()
                            .filter(|e| e.types.contains(&kind))
                            .map(|e| e.class.to_owned())
                            .collect();
                        classes.sort();
                        classes
                    }
                    "plugin.version" => vec![crate::CONNECT_API_VERSION.to_owned()],
                    _ => Vec::new(),
                };
                value.name = name.clone();
                let mut definition = key.info();
                definition.name = name;
                definition.group = Some(group.clone());
                definition.order_in_group = order;
                if let Some(d) = display {
                    definition.display_name = Some(d);
                }
                if let Some(d) = doc {
                    definition.documentation = Some(d);
                }
                order += 1;
                out.push(ConfigInfo {
                    definition,
                    value: Some(value),
                });
            };
            let ty = config
                .get(&format!("{prefix}type"))
                .map(|t| t.trim().to_owned());
            let plugin = ty
                .as_deref()
                .and_then(registry::find)
                .filter(|e| e.types.contains(&kind));
            let type_errors = match (&ty, plugin) {
                (Some(t), None) => vec![format!(
                    "Invalid value {t} for configuration {prefix}type: Class {t} could not be found."
                )],
                _ => Vec::new(),
            };
            let mut type_errors = type_errors;
            let has_predicate = config
                .get(&format!("{prefix}predicate"))
                .is_some_and(|p| !p.trim().is_empty());
            if list == "transforms"
                && config.contains_key(&format!("{prefix}negate"))
                && !has_predicate
            {
                type_errors.push(format!(
                    "Config '{prefix}negate' was provided but there is no config '{prefix}predicate' defining a predicate to be negated."
                ));
            }
            push(
                &ALIAS_TYPE,
                Some(format!("{label} type for {alias}")),
                Some(format!("Class for the '{alias}' {word}.")),
                type_errors,
            );
            push(
                &ALIAS_VERSION,
                Some(format!("{label} version for {alias}")),
                Some(format!("Version of the '{alias}' {word}.")),
                Vec::new(),
            );
            // `ConfigDef.embed` adds the plugin's keys (and a transform's `negate` and
            // `predicate`) in `sortedConfigs()` order: required keys first, then by importance,
            // then by name.
            let mut keys: Vec<&ConfigKey> =
                plugin.map_or(Vec::new(), |p| p.config_def.iter().collect());
            if list == "transforms" {
                keys.extend([&NEGATE, &PREDICATE]);
            }
            keys.sort_by_key(|k| (!k.required(), importance_rank(k.importance), k.name));
            for k in keys {
                push(k, None, None, Vec::new());
            }
        }
    }
    out
}

fn importance_rank(i: crate::plugin::config_def::Importance) -> u8 {
    use crate::plugin::config_def::Importance;
    match i {
        Importance::High => 0,
        Importance::Medium => 1,
        Importance::Low => 2,
    }
}

static ALIAS_TYPE: ConfigKey = ConfigKey {
    name: "type",
    ty: crate::plugin::config_def::ConfigType::Class,
    default: crate::plugin::config_def::DefaultValue::None,
    importance: crate::plugin::config_def::Importance::High,
    documentation: "",
    group: None,
    order: 0,
    width: crate::plugin::config_def::Width::Long,
    display_name: "",
    validator: crate::plugin::config_def::Validator::None,
};

static ALIAS_VERSION: ConfigKey = ConfigKey {
    name: "plugin.version",
    ty: crate::plugin::config_def::ConfigType::String,
    default: crate::plugin::config_def::DefaultValue::Value(crate::CONNECT_API_VERSION),
    ..ALIAS_TYPE
};

static NEGATE: ConfigKey = ConfigKey {
    name: "negate",
    ty: crate::plugin::config_def::ConfigType::Boolean,
    default: crate::plugin::config_def::DefaultValue::Value("false"),
    importance: crate::plugin::config_def::Importance::Medium,
    documentation: "Whether the configured predicate should be negated.",
    width: crate::plugin::config_def::Width::None,
    display_name: "negate",
    ..ALIAS_TYPE
};

static PREDICATE: ConfigKey = ConfigKey {
    name: "predicate",
    ty: crate::plugin::config_def::ConfigType::String,
    default: crate::plugin::config_def::DefaultValue::Null,
    documentation: "The alias of a predicate used to determine whether to apply this transformation.",
    display_name: "predicate",
    ..NEGATE
};

/// The 400 message for an invalid config on create or update (`maybeAddConfigErrors`).
pub fn invalid_config_message(infos: &ConfigInfos) -> Option<String> {
    if infos.error_count == 0 {
        return None;
    }
    let mut msg = format!(
        "Connector configuration is invalid and contains the following {} error(s):\n",
        infos.error_count
    );
    for (_, errs) in infos.errors() {
        for e in errs {
            msg.push_str(e);
            msg.push('\n');
        }
    }
    msg.push_str("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_class_gets_the_same_message_every_time() {
        let config = cfg(&[("connector.class", "com.example.SeenBefore"), ("name", "x")]);
        let first = validate(&config, &WorkerDefaults::default()).unwrap_err();
        let again = validate(&config, &WorkerDefaults::default()).unwrap_err();
        assert_eq!(first, again);
        assert!(
            first.0.starts_with(
                "Failed to find any class that implements Connector and which name matches com.example.SeenBefore, available connectors are: PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSinkConnector"
            ),
            "{first}"
        );
    }

    fn cfg(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matches_the_real_validate_answer() {
        let fixture: ConfigInfos = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/validate-errors.json"
        )))
        .unwrap();
        let ours = validate(
            &cfg(&[
                (
                    "connector.class",
                    "org.apache.kafka.connect.file.FileStreamSinkConnector",
                ),
                ("name", "x"),
                ("tasks.max", "zero"),
                ("errors.tolerance", "sometimes"),
            ]),
            &WorkerDefaults::default(),
        )
        .unwrap();
        // Apache also ships the number converters (IntegerConverter, ...); this worker does not.
        let mut fixture = fixture;
        for v in fixture.configs.iter_mut().filter_map(|c| c.value.as_mut()) {
            v.recommended_values
                .retain(|v| !v.starts_with("org.") || registry::find(v).is_some());
        }
        // And this worker adds Confluent's AvroConverter.
        let mut ours = ours;
        for v in ours.configs.iter_mut().filter_map(|c| c.value.as_mut()) {
            v.recommended_values
                .retain(|v| !crate::rest::tests::is_addition(v));
        }
        assert_eq!(ours, fixture);
    }

    #[test]
    fn create_error_message() {
        let infos = validate(
            &cfg(&[("connector.class", "FileStreamSink"), ("name", "x")]),
            &WorkerDefaults::default(),
        )
        .unwrap();
        let fixture: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/error-400-invalid-config.json"
        )))
        .unwrap();
        assert_eq!(
            invalid_config_message(&infos).as_deref(),
            fixture["message"].as_str()
        );
    }

    #[test]
    fn bad_requests() {
        let e = validate(
            &cfg(&[("name", "x"), ("topics", "t")]),
            &WorkerDefaults::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.0,
            "Connector config {name=x, topics=t} contains no connector type"
        );
        let e = validate(
            &cfg(&[("connector.class", "com.example.DoesNotExistConnector")]),
            &WorkerDefaults::default(),
        )
        .unwrap_err();
        let fixture: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/error-400-unknown-class.json"
        )))
        .unwrap();
        // The fixture may come from a repeated lookup, which Apache wraps in a ConnectException.
        let message = fixture["message"].as_str().unwrap();
        let apache = message
            .strip_prefix("org.apache.kafka.connect.errors.ConnectException: ")
            .unwrap_or(message);
        // This worker also lists the connectors the fixture's Apache worker has not installed.
        assert_eq!(
            crate::rest::tests::without_extra_connectors(&e.0, apache),
            apache
        );
    }

    #[test]
    fn source_connectors_take_the_dlq_keys() {
        let infos = validate(
            &cfg(&[
                ("connector.class", "FileStreamSource"),
                ("name", "x"),
                ("topic", "t"),
                ("errors.deadletterqueue.topic.name", "dlq"),
                ("errors.deadletterqueue.topic.replication.factor", "many"),
                ("errors.deadletterqueue.context.headers.enable", "maybe"),
            ]),
            &WorkerDefaults::default(),
        )
        .unwrap();
        let errs: Vec<(&str, &[String])> = infos.errors().collect();
        assert_eq!(
            errs,
            [
                (
                    "errors.deadletterqueue.topic.replication.factor",
                    &["Invalid value many for configuration errors.deadletterqueue.topic.replication.factor: Not a number of type SHORT".to_owned()][..]
                ),
                (
                    "errors.deadletterqueue.context.headers.enable",
                    &["Invalid value maybe for configuration errors.deadletterqueue.context.headers.enable: Expected value to be either true or false".to_owned()][..]
                ),
            ]
        );
        let names: Vec<&str> = infos
            .configs
            .iter()
            .map(|c| c.definition.name.as_str())
            .collect();
        // After everything Apache lists.
        assert_eq!(
            names[names.len() - 3..],
            [
                "errors.deadletterqueue.topic.name",
                "errors.deadletterqueue.topic.replication.factor",
                "errors.deadletterqueue.context.headers.enable"
            ]
        );
        let dlq = &infos.configs[names.len() - 3];
        assert_eq!(dlq.value.as_ref().unwrap().value.as_deref(), Some("dlq"));
        assert_eq!(dlq.definition.group.as_deref(), Some("Error Handling"));
    }

    #[test]
    fn sink_and_source_specific_checks() {
        let d = WorkerDefaults::default();
        let infos = validate(
            &cfg(&[
                ("connector.class", "FileStreamSink"),
                ("name", "x"),
                ("topics", "a"),
                ("errors.deadletterqueue.topic.name", "a"),
            ]),
            &d,
        )
        .unwrap();
        let errs: Vec<(&str, &[String])> = infos.errors().collect();
        assert_eq!(
            errs,
            [("topics", &["The DLQ topic 'a' may not be included in the list of topics ('topics=[a]') consumed by the connector".to_owned()][..])]
        );
        let infos = validate(
            &cfg(&[
                ("connector.class", "FileStreamSource"),
                ("name", "x"),
                ("topic", ""),
                ("batch.size", "abc"),
            ]),
            &d,
        )
        .unwrap();
        assert_eq!(infos.error_count, 2);
        assert_eq!(
            infos.groups,
            [
                "Common",
                "Transforms",
                "Predicates",
                "Error Handling",
                "Topic Creation",
                "Exactly Once Support",
                "offsets.topic"
            ]
        );
    }
}
