//! Every plugin this worker ships, as a plain list: class name, aliases, kind, version, config
//! definition, factory and, for a connector, its task class. `/connector-plugins` iterates it
//! and validation reads the config definitions without building a plugin.
//!
//! This is the only place that names a plugin: the herder, the runtime and the REST layer find
//! everything they need here. Adding a connector is a folder under `connectors/` and one
//! [`connector`] entry in [`BUILTIN`].

use connect_api::{ConfigMap, PluginInfo};

use crate::connectors::file::{sink as file_sink, source as file_source};
use crate::connectors::jdbc::sink as jdbc_sink;
use crate::connectors::jdbc::source as jdbc_source;
use crate::connectors::postgres_cdc;
use crate::converters::{self, Converter, ConverterConfig};
use crate::error::ConnectError;
use crate::plugin::Connector;
use crate::plugin::config_def::ConfigKey;
use crate::transforms::{
    self, cast, extract_field, filter, flatten, headers, hoist_field, insert_field, mask_field,
    replace_field, routing, set_schema_metadata, timestamp_converter, value_to_key,
};

/// The plugin kinds of `GET /connector-plugins` (`PluginType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginType {
    Source,
    Sink,
    Converter,
    HeaderConverter,
    Transformation,
    Predicate,
}

impl PluginType {
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Source => "source",
            PluginType::Sink => "sink",
            PluginType::Converter => "converter",
            PluginType::HeaderConverter => "header_converter",
            PluginType::Transformation => "transformation",
            PluginType::Predicate => "predicate",
        }
    }
}

/// How to build a plugin; the variant fixes what it can be used as.
#[derive(Clone, Copy)]
pub enum Factory {
    /// Builds an unstarted connector (Java's no-argument constructor).
    Connector(fn() -> Box<dyn Connector>),
    Converter(fn(&ConverterConfig) -> Result<Box<dyn Converter>, ConnectError>),
    Transform(fn(&ConfigMap) -> Result<Box<dyn transforms::Transform>, ConnectError>),
    Predicate(fn(&ConfigMap) -> Result<Box<dyn transforms::Predicate>, ConnectError>),
}

/// One plugin.
#[derive(Clone, Copy)]
pub struct PluginEntry {
    pub class: &'static str,
    pub aliases: &'static [&'static str],
    /// Converters are also header converters, as in Apache.
    pub types: &'static [PluginType],
    pub version: &'static str,
    pub config_def: &'static [ConfigKey],
    pub factory: Factory,
    /// A connector's task class, as `task.class` in its task configs shows it.
    pub task_class: Option<&'static str>,
}

impl PluginEntry {
    pub fn matches(&self, name: &str) -> bool {
        self.class == name || self.aliases.contains(&name)
    }

    pub fn is_connector(&self) -> bool {
        matches!(self.factory, Factory::Connector(_))
    }

    pub fn connector_type(&self) -> Option<PluginType> {
        self.types
            .iter()
            .copied()
            .find(|t| matches!(t, PluginType::Source | PluginType::Sink))
    }
}

const VERSION: &str = crate::CONNECT_API_VERSION;

/// The converter a worker uses for keys and values when its config names none.
pub const DEFAULT_CONVERTER: &str = converters::json::CLASS;
/// The header converter a worker uses when its config names none (Apache's default).
pub const DEFAULT_HEADER_CONVERTER: &str = converters::header::CLASS;

/// A connector's entry.
pub const fn connector(
    class: &'static str,
    aliases: &'static [&'static str],
    kind: ConnectorKind,
    config_def: &'static [ConfigKey],
    factory: fn() -> Box<dyn Connector>,
    task_class: &'static str,
) -> PluginEntry {
    PluginEntry {
        class,
        aliases,
        types: match kind {
            ConnectorKind::Source => &[PluginType::Source],
            ConnectorKind::Sink => &[PluginType::Sink],
        },
        version: VERSION,
        config_def,
        factory: Factory::Connector(factory),
        task_class: Some(task_class),
    }
}

/// Which kind of connector an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    Source,
    Sink,
}

fn json_converter(c: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
    Ok(Box::new(converters::JsonConverter::new(c)?))
}

fn avro_converter(c: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
    Ok(Box::new(converters::AvroConverter::new(c)?))
}

fn string_converter(c: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
    Ok(Box::new(converters::StringConverter::new(c)?))
}

fn bytes_converter(_: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
    Ok(Box::new(converters::ByteArrayConverter))
}

macro_rules! number_converter {
    ($name:ident, $kind:ident) => {
        fn $name(_: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
            Ok(Box::new(converters::NumberConverter(
                converters::number::Kind::$kind,
            )))
        }
    };
}
number_converter!(boolean_converter, Boolean);
number_converter!(short_converter, Short);
number_converter!(integer_converter, Integer);
number_converter!(long_converter, Long);
number_converter!(float_converter, Float);
number_converter!(double_converter, Double);

fn simple_header_converter(_: &ConverterConfig) -> Result<Box<dyn Converter>, ConnectError> {
    Ok(Box::new(converters::SimpleHeaderConverter))
}

type TransformFactory = fn(&ConfigMap) -> Result<Box<dyn transforms::Transform>, ConnectError>;
type PredicateFactory = fn(&ConfigMap) -> Result<Box<dyn transforms::Predicate>, ConnectError>;

const fn transform(
    class: &'static str,
    aliases: &'static [&'static str],
    config_def: &'static [ConfigKey],
    factory: TransformFactory,
) -> PluginEntry {
    PluginEntry {
        class,
        aliases,
        types: &[PluginType::Transformation],
        version: VERSION,
        config_def,
        factory: Factory::Transform(factory),
        task_class: None,
    }
}

const fn predicate(
    class: &'static str,
    aliases: &'static [&'static str],
    config_def: &'static [ConfigKey],
    factory: PredicateFactory,
) -> PluginEntry {
    PluginEntry {
        class,
        aliases,
        types: &[PluginType::Predicate],
        version: VERSION,
        config_def,
        factory: Factory::Predicate(factory),
        task_class: None,
    }
}

/// The built-in plugins; listings sort them by class name within each kind as Apache does.
pub static BUILTIN: &[PluginEntry] = &[
    connector(
        file_sink::CLASS,
        &["FileStreamSink", "FileStreamSinkConnector"],
        ConnectorKind::Sink,
        file_sink::CONFIG_DEF,
        file_sink::create,
        file_sink::TASK_CLASS,
    ),
    connector(
        file_source::CLASS,
        &["FileStreamSource", "FileStreamSourceConnector"],
        ConnectorKind::Source,
        file_source::CONFIG_DEF,
        file_source::create,
        file_source::TASK_CLASS,
    ),
    connector(
        jdbc_source::CLASS,
        &["JdbcSourceConnector", "JdbcSource"],
        ConnectorKind::Source,
        jdbc_source::CONFIG_DEF,
        jdbc_source::create,
        jdbc_source::TASK_CLASS,
    ),
    connector(
        jdbc_sink::CLASS,
        &["JdbcSink", "JdbcSinkConnector"],
        ConnectorKind::Sink,
        jdbc_sink::CONFIG_DEF,
        jdbc_sink::create,
        jdbc_sink::TASK_CLASS,
    ),
    PluginEntry {
        class: postgres_cdc::CLASS,
        aliases: &["PostgresConnector", "Postgres"],
        types: &[PluginType::Source],
        // The Debezium release whose events and offsets this connector writes.
        version: postgres_cdc::event::DEBEZIUM_VERSION,
        config_def: postgres_cdc::CONFIG_DEF,
        factory: Factory::Connector(postgres_cdc::create),
        task_class: Some(postgres_cdc::TASK_CLASS),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.BooleanConverter",
        aliases: &["BooleanConverter", "Boolean"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(boolean_converter),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.DoubleConverter",
        aliases: &["DoubleConverter", "Double"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(double_converter),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.FloatConverter",
        aliases: &["FloatConverter", "Float"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(float_converter),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.IntegerConverter",
        aliases: &["IntegerConverter", "Integer"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(integer_converter),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.LongConverter",
        aliases: &["LongConverter", "Long"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(long_converter),
    },
    PluginEntry {
        class: "org.apache.kafka.connect.converters.ShortConverter",
        aliases: &["ShortConverter", "Short"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::number::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(short_converter),
    },
    PluginEntry {
        class: converters::bytes::CLASS,
        aliases: &["ByteArrayConverter", "ByteArray"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::bytes::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(bytes_converter),
    },
    PluginEntry {
        class: converters::json::CLASS,
        aliases: &["JsonConverter", "Json"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::json::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(json_converter),
    },
    PluginEntry {
        class: converters::avro::CLASS,
        aliases: &["AvroConverter"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::avro::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(avro_converter),
    },
    PluginEntry {
        class: converters::header::CLASS,
        aliases: &["SimpleHeaderConverter", "Simple"],
        types: &[PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::header::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(simple_header_converter),
    },
    PluginEntry {
        class: converters::string::CLASS,
        aliases: &["StringConverter", "String"],
        types: &[PluginType::Converter, PluginType::HeaderConverter],
        version: VERSION,
        config_def: converters::string::CONFIG_DEF,
        task_class: None,
        factory: Factory::Converter(string_converter),
    },
    transform(
        headers::DROP_HEADERS,
        &["DropHeaders"],
        headers::DROP_HEADERS_DEF,
        headers::drop_headers,
    ),
    transform(
        filter::FILTER,
        &["Filter"],
        filter::FILTER_DEF,
        filter::filter,
    ),
    transform(
        headers::INSERT_HEADER,
        &["InsertHeader"],
        headers::INSERT_HEADER_DEF,
        headers::insert_header,
    ),
    transform(
        routing::REGEX_ROUTER,
        &["RegexRouter"],
        routing::REGEX_ROUTER_DEF,
        routing::regex_router,
    ),
    transform(
        routing::TIMESTAMP_ROUTER,
        &["TimestampRouter"],
        routing::TIMESTAMP_ROUTER_DEF,
        routing::timestamp_router,
    ),
    transform(
        value_to_key::CLASS,
        &["ValueToKey"],
        value_to_key::CONFIG_DEF,
        value_to_key::create,
    ),
    // The `$Key`/`$Value` variants have no alias: their simple names (`Key`, `Value`) are
    // ambiguous, so Apache drops them.
    transform(cast::KEY, &[], cast::CONFIG_DEF, cast::key_transform),
    transform(cast::VALUE, &[], cast::CONFIG_DEF, cast::value_transform),
    transform(
        extract_field::KEY,
        &[],
        extract_field::CONFIG_DEF,
        extract_field::key_transform,
    ),
    transform(
        extract_field::VALUE,
        &[],
        extract_field::CONFIG_DEF,
        extract_field::value_transform,
    ),
    transform(
        flatten::KEY,
        &[],
        flatten::CONFIG_DEF,
        flatten::key_transform,
    ),
    transform(
        flatten::VALUE,
        &[],
        flatten::CONFIG_DEF,
        flatten::value_transform,
    ),
    transform(
        headers::HEADER_FROM_KEY,
        &[],
        headers::HEADER_FROM_DEF,
        headers::header_from_key,
    ),
    transform(
        headers::HEADER_FROM_VALUE,
        &[],
        headers::HEADER_FROM_DEF,
        headers::header_from_value,
    ),
    transform(
        hoist_field::KEY,
        &[],
        hoist_field::CONFIG_DEF,
        hoist_field::key_transform,
    ),
    transform(
        hoist_field::VALUE,
        &[],
        hoist_field::CONFIG_DEF,
        hoist_field::value_transform,
    ),
    transform(
        insert_field::KEY,
        &[],
        insert_field::CONFIG_DEF,
        insert_field::key_transform,
    ),
    transform(
        insert_field::VALUE,
        &[],
        insert_field::CONFIG_DEF,
        insert_field::value_transform,
    ),
    transform(
        mask_field::KEY,
        &[],
        mask_field::CONFIG_DEF,
        mask_field::key_transform,
    ),
    transform(
        mask_field::VALUE,
        &[],
        mask_field::CONFIG_DEF,
        mask_field::value_transform,
    ),
    transform(
        replace_field::KEY,
        &[],
        replace_field::CONFIG_DEF,
        replace_field::key_transform,
    ),
    transform(
        replace_field::VALUE,
        &[],
        replace_field::CONFIG_DEF,
        replace_field::value_transform,
    ),
    transform(
        set_schema_metadata::KEY,
        &[],
        set_schema_metadata::CONFIG_DEF,
        set_schema_metadata::key_transform,
    ),
    transform(
        set_schema_metadata::VALUE,
        &[],
        set_schema_metadata::CONFIG_DEF,
        set_schema_metadata::value_transform,
    ),
    transform(
        timestamp_converter::KEY,
        &[],
        timestamp_converter::CONFIG_DEF,
        timestamp_converter::key_transform,
    ),
    transform(
        timestamp_converter::VALUE,
        &[],
        timestamp_converter::CONFIG_DEF,
        timestamp_converter::value_transform,
    ),
    predicate(
        filter::HAS_HEADER_KEY,
        &["HasHeaderKey"],
        filter::HAS_HEADER_KEY_DEF,
        filter::has_header_key,
    ),
    predicate(
        filter::RECORD_IS_TOMBSTONE,
        &["RecordIsTombstone"],
        filter::RECORD_IS_TOMBSTONE_DEF,
        filter::record_is_tombstone,
    ),
    predicate(
        filter::TOPIC_NAME_MATCHES,
        &["TopicNameMatches"],
        filter::TOPIC_NAME_MATCHES_DEF,
        filter::topic_name_matches,
    ),
];

/// Plugins that exist only in this crate's tests: connectors that record what the worker calls.
#[cfg(test)]
pub static TEST_ONLY: &[PluginEntry] = crate::connectors::testing::ENTRIES;
#[cfg(not(test))]
pub static TEST_ONLY: &[PluginEntry] = &[];

/// Looks a plugin up by class name or alias.
pub fn find(name: &str) -> Option<&'static PluginEntry> {
    let name = name.trim();
    BUILTIN.iter().chain(TEST_ONLY).find(|e| e.matches(name))
}

/// Every connector, for the "available connectors" of an unknown class.
pub fn connectors() -> impl Iterator<Item = &'static PluginEntry> {
    BUILTIN.iter().filter(|e| e.is_connector())
}

/// Looks a connector up by class name or alias.
pub fn find_connector(name: &str) -> Option<&'static PluginEntry> {
    find(name).filter(|e| e.is_connector())
}

/// `GET /connector-plugins`: connectors only, or every plugin grouped by kind in Apache's order
/// (connectors, transformations, predicates, converters, header converters).
pub fn plugin_infos(connectors_only: bool) -> Vec<PluginInfo> {
    let kinds: &[PluginType] = if connectors_only {
        &[PluginType::Sink, PluginType::Source]
    } else {
        &[
            PluginType::Sink,
            PluginType::Source,
            PluginType::Transformation,
            PluginType::Predicate,
            PluginType::Converter,
            PluginType::HeaderConverter,
        ]
    };
    let mut out = Vec::new();
    // Sinks and sources are listed together, sorted by class name.
    let mut connectors: Vec<&PluginEntry> = BUILTIN.iter().filter(|e| e.is_connector()).collect();
    connectors.sort_by_key(|e| e.class);
    for e in connectors {
        if let Some(t) = e.connector_type() {
            out.push(info(e, t));
        }
    }
    for &kind in kinds
        .iter()
        .filter(|k| !matches!(k, PluginType::Sink | PluginType::Source))
    {
        let mut entries: Vec<&PluginEntry> =
            BUILTIN.iter().filter(|e| e.types.contains(&kind)).collect();
        entries.sort_by_key(|e| e.class);
        out.extend(entries.into_iter().map(|e| info(e, kind)));
    }
    out
}

fn info(e: &PluginEntry, t: PluginType) -> PluginInfo {
    PluginInfo {
        class_name: e.class.to_owned(),
        plugin_type: t.as_str().to_owned(),
        version: Some(e.version.to_owned()),
        extra: Default::default(),
    }
}

/// Apache's `PluginDesc.toString()`, used in the "no such connector class" message.
pub fn plugin_desc(e: &PluginEntry) -> String {
    let t = e.types.first().map_or("unknown", |t| t.as_str());
    format!(
        "PluginDesc{{klass=class {c}, name='{c}', version='{v}', encodedVersion={v}, type={t}, typeName='{t}', location='classpath'}}",
        c = e.class,
        v = e.version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_class_and_alias() {
        assert_eq!(find("FileStreamSink").unwrap().class, file_sink::CLASS);
        assert_eq!(
            find("org.apache.kafka.connect.json.JsonConverter")
                .unwrap()
                .aliases[0],
            "JsonConverter"
        );
        assert!(find_connector("JsonConverter").is_none());
        assert!(find("com.example.Nope").is_none());
    }

    #[test]
    fn connector_plugins_match_the_real_listing() {
        let fixture: Vec<PluginInfo> = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/connector-plugins.json"
        )))
        .unwrap();
        // Apache's listing, in its order, within ours: this worker may offer more.
        let ours = plugin_infos(true);
        let mut rest = ours.iter();
        for p in &fixture {
            assert!(
                rest.any(|o| o == p),
                "{p:?} missing or out of order in {ours:?}"
            );
        }
        let all = plugin_infos(false);
        let kinds: Vec<&str> = all.iter().map(|p| p.plugin_type.as_str()).collect();
        // Connectors first (sorted by class name across both kinds, as Apache sorts them), then
        // the other kinds.
        let connectors = kinds
            .iter()
            .take_while(|k| matches!(**k, "sink" | "source"))
            .count();
        assert!(connectors >= 2, "{kinds:?}");
        assert_eq!(kinds[connectors], "transformation");
        assert!(
            all.iter().any(|p| p.class_name == converters::header::CLASS
                && p.plugin_type == "header_converter")
        );
    }

    /// The rule that keeps plugins pluggable: outside this registry and the plugins' own
    /// folders, no source file (tests excepted) names a plugin class or alias.
    #[test]
    fn only_the_registry_names_plugins() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && !p.file_name().unwrap().to_string_lossy().contains("tests")
                {
                    out.push(p);
                }
            }
        }
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        for dir in ["runtime", "rest"] {
            sources(&src.join(dir), &mut files);
        }
        files.push(src.join("validation.rs"));
        files.push(src.join("main.rs"));
        let connectors: Vec<&PluginEntry> = BUILTIN.iter().filter(|e| e.is_connector()).collect();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // Unit tests at the end of a file may name plugins.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            assert!(
                !code.contains("connectors::"),
                "{} reaches into a connector's module: only the registry may",
                f.display()
            );
            for e in &connectors {
                let task = e.task_class.unwrap_or(e.class);
                for name in e.aliases.iter().chain([&e.class, &task]) {
                    assert!(
                        !code.contains(name),
                        "{} names the plugin {name}: only the registry may",
                        f.display()
                    );
                }
            }
        }
    }
}
