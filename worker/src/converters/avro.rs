//! `io.confluent.connect.avro.AvroConverter`: Connect data as Avro in the Confluent wire format
//! (magic byte 0, 4-byte schema id, Avro body), with schemas in a Confluent-compatible Schema
//! Registry. Takes Confluent's config keys; the mapping between Connect and Avro schemas is
//! Confluent's AvroData (connect-avro's `connect` module), so records written by Confluent's or
//! Apicurio's converter read back as the same Connect data, and the reverse.
//!
//! Errors carry Confluent's wording ("Unknown magic byte!", "Error retrieving Avro value schema
//! for id 5", "Subject 'x' not found.; error code: 40401") so that the hints written for the Java
//! converter apply.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use connect_avro::connect::AvroData;
use connect_avro::registry::{RegistryClient, RegistryConfig, RegistryError};
use connect_avro::schema::{AvroSchema, Kind};
use connect_avro::{binary, wire};

use crate::converters::{Converter, ConverterConfig, bool_setting};
use crate::data::{Schema, SchemaAndValue, SchemaRef, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

pub const CLASS: &str = "io.confluent.connect.avro.AvroConverter";
const REST_CLIENT_EXCEPTION: &str =
    "io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException";

const TOPIC_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.TopicNameStrategy";
const RECORD_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.RecordNameStrategy";
const TOPIC_RECORD_NAME_STRATEGY: &str =
    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy";
const STRATEGIES: &[&str] = &[
    TOPIC_NAME_STRATEGY,
    RECORD_NAME_STRATEGY,
    TOPIC_RECORD_NAME_STRATEGY,
];

const fn key(
    name: &'static str,
    ty: ConfigType,
    default: DefaultValue,
    importance: Importance,
    documentation: &'static str,
    validator: Validator,
) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default,
        importance,
        documentation,
        group: None,
        order: -1,
        width: Width::None,
        display_name: name,
        validator,
    }
}

/// Confluent's keys that this converter reads (AvroConverterConfig and its parents).
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "schema.registry.url",
        ConfigType::List,
        DefaultValue::None,
        Importance::High,
        "Comma-separated list of URLs for Schema Registry instances that can be used to register or look up schemas. If you wish to get a connection to a mocked schema registry for testing, you can specify a scope using the 'mock://' pseudo-protocol.",
        Validator::None,
    ),
    key(
        "basic.auth.credentials.source",
        ConfigType::String,
        DefaultValue::Value("URL"),
        Importance::Medium,
        "Specify how to pick the credentials for the Basic authentication header. The supported values are URL, USER_INFO and SASL_INHERIT",
        Validator::OneOf(&["URL", "USER_INFO"]),
    ),
    key(
        "basic.auth.user.info",
        ConfigType::Password,
        DefaultValue::Value(""),
        Importance::Medium,
        "Specify the user info for the Basic authentication in the form of {username}:{password}",
        Validator::None,
    ),
    key(
        "auto.register.schemas",
        ConfigType::Boolean,
        DefaultValue::Value("true"),
        Importance::Medium,
        "Specify if the Serializer should attempt to register the Schema with Schema Registry",
        Validator::None,
    ),
    key(
        "use.latest.version",
        ConfigType::Boolean,
        DefaultValue::Value("false"),
        Importance::Low,
        "Specify if the Serializer should use the latest subject version for serialization",
        Validator::None,
    ),
    key(
        "key.subject.name.strategy",
        ConfigType::Class,
        DefaultValue::Value(TOPIC_NAME_STRATEGY),
        Importance::Medium,
        "Determines how to construct the subject name under which the key schema is registered with the schema registry. By default, <topic>-key is used as subject.",
        Validator::None,
    ),
    key(
        "value.subject.name.strategy",
        ConfigType::Class,
        DefaultValue::Value(TOPIC_NAME_STRATEGY),
        Importance::Medium,
        "Determines how to construct the subject name under which the value schema is registered with the schema registry. By default, <topic>-value is used as subject.",
        Validator::None,
    ),
    key(
        "enhanced.avro.schema.support",
        ConfigType::Boolean,
        DefaultValue::Value("false"),
        Importance::Medium,
        "Enable enhanced schema support to preserve package information and Enums.",
        Validator::None,
    ),
    key(
        "connect.meta.data",
        ConfigType::Boolean,
        DefaultValue::Value("true"),
        Importance::Low,
        "Allow the Connect converter to add its metadata to the output schema.",
        Validator::None,
    ),
    key(
        "schemas.cache.config",
        ConfigType::Int,
        DefaultValue::Value("1000"),
        Importance::Low,
        "Size of the converted schemas cache",
        Validator::AtLeast(0),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strategy {
    Topic,
    Record,
    TopicRecord,
}

pub struct AvroConverter {
    is_key: bool,
    registry: RegistryClient,
    data: AvroData,
    auto_register: bool,
    use_latest: bool,
    strategy: Strategy,
    cache_size: usize,
    /// Connect schema -> Avro schema, and registry id -> (Avro schema, Connect schema).
    to_avro: Mutex<Vec<(Schema, Arc<AvroSchema>)>>,
    to_connect: Mutex<HashMap<u32, (Arc<AvroSchema>, SchemaRef)>>,
}

fn config_error(key: &str, msg: impl std::fmt::Display) -> ConnectError {
    ConnectError::new(
        class::CONFIG,
        format!("Invalid value for configuration {key}: {msg}"),
    )
}

impl AvroConverter {
    pub fn new(config: &ConverterConfig) -> Result<AvroConverter, ConnectError> {
        let is_key = config.get("converter.type").map(String::as_str) == Some("key");
        let urls = config
            .get("schema.registry.url")
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                ConnectError::new(
                    class::CONFIG,
                    "Missing required configuration \"schema.registry.url\" which has no default value.",
                )
            })?;
        let mut registry = RegistryConfig::from_urls(urls);
        match config
            .get("basic.auth.credentials.source")
            .map(|s| s.trim())
        {
            None | Some("URL") => {
                // user:password@ in the URL, as Confluent's UrlBasicAuthCredentialProvider reads it.
                let mut info = None;
                for u in &mut registry.urls {
                    if let Some((scheme, rest)) = u.split_once("://")
                        && let Some((creds, host)) = rest.split_once('@')
                    {
                        info = Some(creds.to_owned());
                        *u = format!("{scheme}://{host}");
                    }
                }
                registry.basic_auth = info;
            }
            Some("USER_INFO") => {
                let info = config
                    .get("basic.auth.user.info")
                    .cloned()
                    .unwrap_or_default();
                if !info.contains(':') {
                    return Err(config_error(
                        "basic.auth.user.info",
                        "expected {username}:{password} for basic.auth.credentials.source=USER_INFO",
                    ));
                }
                registry.basic_auth = Some(info);
            }
            Some(other) => {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {other} for configuration basic.auth.credentials.source: String must be one of: URL, USER_INFO"
                    ),
                ));
            }
        }
        let strategy_key = if is_key {
            "key.subject.name.strategy"
        } else {
            "value.subject.name.strategy"
        };
        let strategy = match config.get(strategy_key).map(|s| s.trim()) {
            None | Some(TOPIC_NAME_STRATEGY) | Some("TopicNameStrategy") => Strategy::Topic,
            Some(RECORD_NAME_STRATEGY) | Some("RecordNameStrategy") => Strategy::Record,
            Some(TOPIC_RECORD_NAME_STRATEGY) | Some("TopicRecordNameStrategy") => {
                Strategy::TopicRecord
            }
            Some(other) => {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {other} for configuration {strategy_key}: Class {other} could not be found (supported: {})",
                        STRATEGIES.join(", ")
                    ),
                ));
            }
        };
        let cache_size = match config.get("schemas.cache.config") {
            None => 1000,
            Some(v) => v.trim().parse::<usize>().map_err(|_| {
                ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {v} for configuration schemas.cache.config: Not a number of type INT"
                    ),
                )
            })?,
        };
        let registry = RegistryClient::new(registry)
            .map_err(|e| ConnectError::new(class::CONFIG, e.to_string()))?;
        Ok(AvroConverter {
            is_key,
            registry,
            data: AvroData {
                connect_meta_data: bool_setting(config, "connect.meta.data", true)?,
                enhanced: bool_setting(config, "enhanced.avro.schema.support", false)?,
            },
            auto_register: bool_setting(config, "auto.register.schemas", true)?,
            use_latest: bool_setting(config, "use.latest.version", false)?,
            strategy,
            cache_size: cache_size.max(1),
            to_avro: Mutex::new(Vec::new()),
            to_connect: Mutex::new(HashMap::new()),
        })
    }

    fn what(&self) -> &'static str {
        if self.is_key { "key" } else { "value" }
    }

    /// The subject under which a schema is registered, per the subject name strategy.
    fn subject(&self, topic: &str, avro: &AvroSchema) -> Result<String, ConnectError> {
        let record_name = || {
            avro.root_node().full_name().map(str::to_owned).ok_or_else(|| {
                ConnectError::new(
                    class::SERIALIZATION,
                    format!(
                        "In configuration {}.subject.name.strategy = {}, the message must only be an Avro record schema",
                        self.what(),
                        if self.strategy == Strategy::Record { RECORD_NAME_STRATEGY } else { TOPIC_RECORD_NAME_STRATEGY }
                    ),
                )
            })
        };
        Ok(match self.strategy {
            Strategy::Topic => format!("{topic}-{}", self.what()),
            Strategy::Record => record_name()?,
            Strategy::TopicRecord => format!("{topic}-{}", record_name()?),
        })
    }

    fn avro_schema(&self, schema: &Schema) -> Result<Arc<AvroSchema>, ConnectError> {
        let mut cache = lock(&self.to_avro);
        if let Some((_, a)) = cache.iter().find(|(s, _)| s == schema) {
            return Ok(a.clone());
        }
        let avro = Arc::new(self.data.from_connect_schema(schema)?);
        if cache.len() >= self.cache_size {
            cache.remove(0);
        }
        cache.push((schema.clone(), avro.clone()));
        Ok(avro)
    }

    fn registry_error(&self, e: RegistryError) -> ConnectError {
        match &e {
            RegistryError::Rest { .. } => ConnectError::new(REST_CLIENT_EXCEPTION, e.to_string()),
            _ => ConnectError::new(class::SERIALIZATION, e.to_string()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Converter for AvroConverter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn to_bytes(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        if matches!(value, Value::Null) {
            // A tombstone stays a Kafka null, as Confluent's serializer writes it.
            return Ok(None);
        }
        let wrap = |cause: ConnectError| {
            ConnectError::data(format!(
                "Failed to serialize Avro data from topic {topic} :"
            ))
            .with_cause(cause)
        };
        let schema = schema.ok_or_else(|| {
            wrap(ConnectError::data(
                "AvroConverter needs a Connect schema: schemaless data cannot be written as Avro (use a converter with schemas, or a transform that sets one)",
            ))
        })?;
        let avro = self.avro_schema(schema).map_err(wrap)?;
        let subject = self.subject(topic, &avro).map_err(wrap)?;
        let registering = |e: RegistryError| {
            wrap(
                ConnectError::new(
                    class::SERIALIZATION,
                    format!("Error registering Avro schema{}", schema_hint(&avro)),
                )
                .with_cause(self.registry_error(e)),
            )
        };
        let (id, writer) = if self.use_latest {
            let (latest, _) = self.registry.latest(&subject).map_err(|e| {
                wrap(
                    ConnectError::new(
                        class::SERIALIZATION,
                        format!(
                            "Error retrieving latest version of Avro schema for subject {subject}"
                        ),
                    )
                    .with_cause(self.registry_error(e)),
                )
            })?;
            (latest.id, Arc::new(latest.schema.clone()))
        } else if self.auto_register {
            (
                self.registry
                    .register(&subject, &avro)
                    .map_err(registering)?,
                avro,
            )
        } else {
            let id = self.registry.lookup(&subject, &avro).map_err(|e| {
                wrap(
                    ConnectError::new(
                        class::SERIALIZATION,
                        format!("Error retrieving Avro schema{}", schema_hint(&avro)),
                    )
                    .with_cause(self.registry_error(e)),
                )
            })?;
            (id, avro)
        };
        let datum = self
            .data
            .from_connect_data(schema, &writer, value)
            .map_err(wrap)?;
        let mut out = wire::header(id);
        binary::encode(&writer, &datum, &mut out)
            .map_err(|e| wrap(ConnectError::new(class::SERIALIZATION, e.to_string())))?;
        Ok(Some(out))
    }

    fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConnectError> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        let wrap = |cause: ConnectError| {
            ConnectError::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: "
            ))
            .with_cause(cause)
        };
        let (id, body) = wire::unframe(bytes)
            .map_err(|e| wrap(ConnectError::new(class::SERIALIZATION, e.to_string())))?;
        let cached = lock(&self.to_connect).get(&id).cloned();
        let (avro, connect) = match cached {
            Some(c) => c,
            None => {
                let registered = self.registry.schema_by_id(id).map_err(|e| {
                    wrap(
                        ConnectError::new(
                            class::SERIALIZATION,
                            format!("Error retrieving Avro {} schema for id {id}", self.what()),
                        )
                        .with_cause(self.registry_error(e)),
                    )
                })?;
                let avro = Arc::new(registered.schema.clone());
                let connect = self.data.to_connect_schema(&avro).map_err(wrap)?;
                let mut cache = lock(&self.to_connect);
                if cache.len() >= self.cache_size {
                    cache.clear();
                }
                cache.insert(id, (avro.clone(), connect.clone()));
                (avro, connect)
            }
        };
        let datum = binary::decode(&avro, body).map_err(|e| {
            wrap(ConnectError::new(
                class::SERIALIZATION,
                format!("Error deserializing Avro message for id {id}: {e}"),
            ))
        })?;
        let value = self
            .data
            .to_connect_data(&avro, &datum, &connect)
            .map_err(wrap)?;
        Ok(SchemaAndValue::new(Some(connect), value))
    }
}

/// ` {"type":"record",...}` for messages, shortened: registry errors are read by people.
fn schema_hint(avro: &AvroSchema) -> String {
    let text = avro.to_json_string();
    let name = match &avro.root_node().kind {
        Kind::Record { name, .. } => name.as_str(),
        _ => "",
    };
    if text.len() <= 200 {
        format!(" {text}")
    } else if !name.is_empty() {
        format!(" (record {name})")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> ConverterConfig {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn config_errors_name_the_key() {
        let e = AvroConverter::new(&conf(&[])).err().unwrap();
        assert!(
            e.message
                .as_deref()
                .unwrap_or("")
                .contains("schema.registry.url"),
            "{:?}",
            e.message
        );
        let e = AvroConverter::new(&conf(&[
            ("schema.registry.url", "http://127.0.0.1:1"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "nocolon"),
        ]))
        .err()
        .unwrap();
        assert!(
            e.message
                .as_deref()
                .unwrap_or("")
                .contains("basic.auth.user.info"),
            "{:?}",
            e.message
        );
        assert!(
            !e.message.as_deref().unwrap_or("").contains("nocolon"),
            "the secret leaked: {:?}",
            e.message
        );
        let e = AvroConverter::new(&conf(&[
            ("schema.registry.url", "http://127.0.0.1:1"),
            ("value.subject.name.strategy", "com.example.Nope"),
        ]))
        .err()
        .unwrap();
        assert!(
            e.message
                .as_deref()
                .unwrap_or("")
                .contains("value.subject.name.strategy"),
            "{:?}",
            e.message
        );
    }

    #[test]
    fn unknown_magic_byte_is_confluents_error() {
        let c =
            AvroConverter::new(&conf(&[("schema.registry.url", "http://127.0.0.1:1")])).unwrap();
        let e = c.to_connect("t", Some(b"{\"a\":1}")).unwrap_err();
        assert_eq!(
            e.message.as_deref().unwrap(),
            "Failed to deserialize data for topic t to Avro: "
        );
        let cause = e.cause.as_deref().unwrap();
        assert_eq!(cause.class, class::SERIALIZATION);
        assert_eq!(cause.message.as_deref().unwrap(), "Unknown magic byte!");
        assert_eq!(c.to_connect("t", None).unwrap(), SchemaAndValue::NULL);
    }

    #[test]
    fn subjects_follow_the_strategy() {
        let avro = AvroSchema::parse_str(
            r#"{"type":"record","name":"Order","namespace":"shop","fields":[]}"#,
        )
        .unwrap();
        for (strategy, is_key, want) in [
            (TOPIC_NAME_STRATEGY, false, "orders-value"),
            (TOPIC_NAME_STRATEGY, true, "orders-key"),
            (RECORD_NAME_STRATEGY, false, "shop.Order"),
            (TOPIC_RECORD_NAME_STRATEGY, true, "orders-shop.Order"),
        ] {
            let (k, t) = if is_key {
                ("key.subject.name.strategy", "key")
            } else {
                ("value.subject.name.strategy", "value")
            };
            let c = AvroConverter::new(&conf(&[
                ("schema.registry.url", "http://127.0.0.1:1"),
                (k, strategy),
                ("converter.type", t),
            ]))
            .unwrap();
            assert_eq!(c.subject("orders", &avro).unwrap(), want);
        }
    }
}
