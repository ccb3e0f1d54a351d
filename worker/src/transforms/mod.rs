//! Single message transforms and predicates (`transforms=a,b`, `predicates=p`), under Apache's
//! class names, with Apache's config keys, validators, messages and exceptions. A transform
//! applies when it has no predicate, or when `negate` XOR the predicate's test holds
//! (`TransformationStage`).
//!
//! Each transform (or small family) has its own file; this module holds the chain and what they
//! share: config parsing (`SimpleConfig`), the key/value side of `$Key`/`$Value` variants,
//! `Requirements` checks and schema building (`SchemaUtil`, `SchemaBuilder.field`).

pub mod cast;
pub mod date_format;
pub mod extract_field;
pub mod filter;
pub mod flatten;
pub mod headers;
pub mod hoist_field;
pub mod insert_field;
pub mod mask_field;
pub mod numbers;
pub mod replace_field;
pub mod routing;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod value_to_key;

use connect_api::ConfigMap;

use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Value};
use crate::error::{ConnectError, class};
use crate::plugin::OffsetMap;
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Validator, Width, split_list,
};
use crate::registry::{self, Factory};

/// Which kind of record a transform sees. Apache hands transforms a `SinkRecord` (with its
/// Kafka offset) in sink connectors and a `SourceRecord` in source connectors; InsertField's
/// `offset.field` and some messages depend on it.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    Source {
        partition: &'a OffsetMap,
        offset: &'a OffsetMap,
    },
    Sink {
        kafka_offset: i64,
    },
}

/// `org.apache.kafka.connect.transforms.Transformation`. `None` drops the record.
pub trait Transform: Send + Sync {
    fn apply(
        &self,
        record: ConnectRecord,
        origin: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError>;
}

/// `org.apache.kafka.connect.transforms.predicates.Predicate`.
pub trait Predicate: Send + Sync {
    fn test(&self, record: &ConnectRecord) -> bool;
}

struct Step {
    class: &'static str,
    transform: Box<dyn Transform>,
    predicate: Option<Box<dyn Predicate>>,
    negate: bool,
}

/// The transforms of one connector, in order.
#[derive(Default)]
pub struct Chain(Vec<Step>);

/// The settings under `prefix` with the prefix removed.
fn sub_config(config: &ConfigMap, prefix: &str) -> ConfigMap {
    config
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())))
        .collect()
}

pub(crate) fn config_error(msg: impl Into<String>) -> ConnectError {
    ConnectError::new(class::CONFIG, msg)
}

/// `ConnectorConfig.transformationStages` wraps every failure to build a transform in a
/// `ConnectException` whose message is the cause's `toString()`.
fn stage_error(e: ConnectError) -> ConnectError {
    ConnectError::connect(e.header_line()).with_cause(e)
}

impl Chain {
    pub fn from_config(config: &ConfigMap) -> Result<Chain, ConnectError> {
        let mut steps = Vec::new();
        for alias in split_list(config.get("transforms").map(String::as_str).unwrap_or("")) {
            let prefix = format!("transforms.{alias}.");
            let (class, transform) = build_plugin(config, &prefix, |f| match f {
                Factory::Transform(f) => Some(f),
                _ => None,
            })
            .map_err(stage_error)?;
            let predicate_alias = config
                .get(&format!("{prefix}predicate"))
                .map(|p| p.trim())
                .filter(|p| !p.is_empty());
            // Each transform gets its own instance of its predicate, as in Apache, so one
            // predicate may guard several transforms.
            let predicate = match predicate_alias {
                Some(p) => {
                    let pprefix = format!("predicates.{p}.");
                    let defined =
                        split_list(config.get("predicates").map(String::as_str).unwrap_or(""))
                            .iter()
                            .any(|a| a == p);
                    if !defined {
                        return Err(stage_error(config_error(format!(
                            "Invalid value {p} for configuration {prefix}predicate: Predicate alias {p} is not defined"
                        ))));
                    }
                    let (_, pred) = build_plugin(config, &pprefix, |f| match f {
                        Factory::Predicate(f) => Some(f),
                        _ => None,
                    })
                    .map_err(stage_error)?;
                    Some(pred)
                }
                None => None,
            };
            let negate = config
                .get(&format!("{prefix}negate"))
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            steps.push(Step {
                class,
                transform,
                predicate,
                negate,
            });
        }
        Ok(Chain(steps))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs the chain; on failure returns the failing transform's class with the error.
    pub fn apply(
        &self,
        mut record: ConnectRecord,
        origin: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, (&'static str, ConnectError)> {
        for step in &self.0 {
            let applies = step
                .predicate
                .as_ref()
                .is_none_or(|p| step.negate ^ p.test(&record));
            if !applies {
                continue;
            }
            match step.transform.apply(record, origin) {
                Ok(Some(r)) => record = r,
                Ok(None) => return Ok(None),
                Err(e) => {
                    let frame = format!(
                        "{}.apply({})",
                        step.class.split('$').next().unwrap_or(step.class),
                        source_file(step.class)
                    );
                    return Err((step.class, e.at(frame)));
                }
            }
        }
        Ok(Some(record))
    }
}

/// Builds the transform or predicate configured under `prefix` (`<prefix>type` names it).
fn build_plugin<T>(
    config: &ConfigMap,
    prefix: &str,
    factory: impl Fn(Factory) -> Option<fn(&ConfigMap) -> Result<T, ConnectError>>,
) -> Result<(&'static str, T), ConnectError> {
    let ty = config.get(&format!("{prefix}type")).ok_or_else(|| {
        config_error(format!(
            "Missing required configuration \"{prefix}type\" which has no default value."
        ))
    })?;
    let entry = registry::find(ty).and_then(|e| factory(e.factory).map(|f| (e.class, f)));
    let Some((class, f)) = entry else {
        return Err(config_error(format!(
            "Invalid value {ty} for configuration {prefix}type: Class {ty} could not be found."
        )));
    };
    let mut sub = sub_config(config, prefix);
    for k in ["type", "plugin.version", "predicate", "negate"] {
        sub.remove(k);
    }
    Ok((class, f(&sub)?))
}

/// The Rust file a transform lives in, for the stack frame of its failures.
fn source_file(class: &str) -> &'static str {
    let simple = class.rsplit('.').next().unwrap_or(class);
    match simple.split('$').next().unwrap_or(simple) {
        "Cast" => "cast.rs",
        "ExtractField" => "extract_field.rs",
        "Flatten" => "flatten.rs",
        "HoistField" => "hoist_field.rs",
        "InsertField" => "insert_field.rs",
        "MaskField" => "mask_field.rs",
        "ReplaceField" => "replace_field.rs",
        "SetSchemaMetadata" => "set_schema_metadata.rs",
        "TimestampConverter" => "timestamp_converter.rs",
        "ValueToKey" => "value_to_key.rs",
        "RegexRouter" | "TimestampRouter" => "routing.rs",
        "InsertHeader" | "DropHeaders" | "HeaderFrom" => "headers.rs",
        _ => "filter.rs",
    }
}

/// A config key as Apache's transforms define them (no group, no order, no width).
pub(crate) const fn key(
    name: &'static str,
    ty: ConfigType,
    importance: Importance,
    doc: &'static str,
    validator: Validator,
) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default: DefaultValue::None,
        importance,
        documentation: doc,
        group: None,
        order: -1,
        width: Width::None,
        display_name: name,
        validator,
    }
}

/// [`key`] with a default.
pub(crate) const fn key_with_default(
    name: &'static str,
    ty: ConfigType,
    default: DefaultValue,
    importance: Importance,
    doc: &'static str,
    validator: Validator,
) -> ConfigKey {
    ConfigKey {
        default,
        ..key(name, ty, importance, doc, validator)
    }
}

pub(crate) const REPLACE_NULL_WITH_DEFAULT_DOC: &str = "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.";

/// `replace.null.with.default`, shared by most transforms.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: ConfigKey = key_with_default(
    "replace.null.with.default",
    ConfigType::Boolean,
    DefaultValue::Value("true"),
    Importance::Medium,
    REPLACE_NULL_WITH_DEFAULT_DOC,
    Validator::None,
);

pub(crate) fn required<'a>(config: &'a ConfigMap, k: &str) -> Result<&'a str, ConnectError> {
    config.get(k).map(|s| s.trim()).ok_or_else(|| {
        config_error(format!(
            "Missing required configuration \"{k}\" which has no default value."
        ))
    })
}

/// Java regexes in these configs must match the whole input (`Matcher.matches`).
pub(crate) fn full_regex(k: &str, pattern: &str) -> Result<regex::Regex, ConnectError> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        config_error(format!(
            "Invalid value {pattern} for configuration {k}: Invalid regex: {e}"
        ))
    })
}

/// A transform's parsed settings (`SimpleConfig`): every key of its definition, parsed and
/// validated in definition order; the first invalid one fails with Apache's message.
pub(crate) struct Settings {
    def: &'static [ConfigKey],
    values: Vec<Option<Parsed>>,
}

impl Settings {
    pub(crate) fn parse(
        def: &'static [ConfigKey],
        config: &ConfigMap,
    ) -> Result<Settings, ConnectError> {
        let values = def
            .iter()
            .map(|k| {
                k.parse_value(config.get(k.name).map(String::as_str))
                    .map_err(config_error)
            })
            .collect::<Result<_, _>>()?;
        Ok(Settings { def, values })
    }

    fn get(&self, name: &str) -> Option<&Parsed> {
        let i = self.def.iter().position(|k| k.name == name)?;
        self.values[i].as_ref()
    }

    pub(crate) fn string(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(Parsed::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Parsed::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn boolean(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Parsed::Bool(true)))
    }

    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Parsed::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

/// The part of the record a `$Key` or `$Value` variant works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Key,
    Value,
}

impl Side {
    pub(crate) fn schema(self, r: &ConnectRecord) -> Option<&SchemaRef> {
        match self {
            Side::Key => r.key_schema.as_ref(),
            Side::Value => r.value_schema.as_ref(),
        }
    }

    pub(crate) fn value(self, r: &ConnectRecord) -> &Value {
        match self {
            Side::Key => &r.key,
            Side::Value => &r.value,
        }
    }

    /// `record.newRecord(...)` with this side replaced.
    pub(crate) fn set(self, r: &mut ConnectRecord, schema: Option<SchemaRef>, value: Value) {
        match self {
            Side::Key => {
                r.key_schema = schema;
                r.key = value;
            }
            Side::Value => {
                r.value_schema = schema;
                r.value = value;
            }
        }
    }
}

/// `getClass().getName()` of the Java object a value is (`Requirements` messages).
pub(crate) fn class_name(v: &Value) -> &'static str {
    let c = crate::converters::java_class(v);
    c.strip_prefix("class ").unwrap_or(c)
}

/// `getClass()` printed with `+`: `class java.lang.String`.
pub(crate) fn class_of(v: &Value) -> &'static str {
    crate::converters::java_class(v)
}

/// `Requirements.requireMap`.
pub(crate) fn require_map<'a>(
    v: &'a Value,
    purpose: &str,
) -> Result<&'a Vec<(Value, Value)>, ConnectError> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(ConnectError::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// `Requirements.requireStruct`.
pub(crate) fn require_struct<'a>(v: &'a Value, purpose: &str) -> Result<&'a Struct, ConnectError> {
    match v {
        Value::Struct(s) => Ok(s),
        other => Err(ConnectError::data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// The value under a string key of a schemaless map (`Map.get`).
pub(crate) fn map_get<'a>(m: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| matches!(k, Value::String(s) if s == key))
        .map(|(_, v)| v)
}

/// `SchemaUtil.copySchemaBasics(source, builder)`: name, version, doc and parameters.
pub(crate) fn copy_schema_basics(source: &Schema, mut target: Schema) -> Schema {
    target.name = source.name.clone();
    target.version = source.version;
    target.doc = source.doc.clone();
    target.parameters = source.parameters.clone();
    target
}

/// `SchemaUtil.copySchemaBasics(source)`: a new builder of the same type (an array keeps its
/// element schema) with the basics copied.
pub(crate) fn copy_schema_basics_of(source: &Schema) -> Schema {
    let target = match (&source.ty, &source.value_schema) {
        (crate::data::Type::Array, Some(items)) => Schema::array(items.clone()),
        (ty, _) => Schema::new(*ty),
    };
    copy_schema_basics(source, target)
}

/// `SchemaBuilder.field`: appends a field to a struct schema under construction.
pub(crate) fn add_field(
    schema: &mut Schema,
    name: &str,
    field_schema: SchemaRef,
) -> Result<(), ConnectError> {
    if name.is_empty() {
        return Err(ConnectError::new(
            class::SCHEMA_BUILDER,
            "fieldName cannot be null.",
        ));
    }
    if schema.field(name).is_some() {
        return Err(ConnectError::new(
            class::SCHEMA_BUILDER,
            format!("Cannot create field because of field name duplication {name}"),
        ));
    }
    let index = schema.fields.len();
    schema.fields.push(crate::data::Field {
        name: name.to_owned(),
        index,
        schema: field_schema,
    });
    Ok(())
}

/// `Struct.put(String, value)`: the field must exist (`lookupField`), then the value must fit.
pub(crate) fn put_field(s: &mut Struct, name: &str, value: Value) -> Result<(), ConnectError> {
    let index = s
        .schema
        .field(name)
        .map(|f| f.index)
        .ok_or_else(|| ConnectError::data(format!("{name} is not a valid field name")))?;
    s.put_checked(index, value)
}

/// A struct field's value as most transforms read it: with the schema default in place of
/// null when `replace.null.with.default` is set (`Struct.get`), as stored otherwise
/// (`Struct.getWithoutDefault`).
pub(crate) fn field_value(s: &Struct, index: usize, replace_null_with_default: bool) -> Value {
    if replace_null_with_default {
        s.get_with_default(index).clone()
    } else {
        s.values[index].clone()
    }
}

/// The schemas a transform derived lately, keyed by the input schema (Apache keeps an LRU cache
/// of 16 per transform). Records of one stream share a schema, so the derived one is reused;
/// schemas parsed per record compare equal, so lookups compare by value.
#[derive(Default)]
pub(crate) struct SchemaCache(std::sync::Mutex<std::collections::VecDeque<(SchemaRef, SchemaRef)>>);

impl SchemaCache {
    const SIZE: usize = 16;

    pub(crate) fn get_or_build(
        &self,
        input: &SchemaRef,
        build: impl FnOnce() -> Result<SchemaRef, ConnectError>,
    ) -> Result<SchemaRef, ConnectError> {
        // A poisoned lock only means another record failed mid-lookup; the cache stays valid.
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let found = entries
            .iter()
            .position(|(k, _)| std::sync::Arc::ptr_eq(k, input) || **k == **input);
        if let Some(hit) = found.and_then(|i| entries.remove(i)) {
            let out = hit.1.clone();
            entries.push_front(hit);
            return Ok(out);
        }
        drop(entries);
        let built = build()?;
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        entries.push_front((input.clone(), built.clone()));
        entries.truncate(Self::SIZE);
        Ok(built)
    }
}

/// `Schema.toString()` as Java string concatenation prints it (`null` for no schema).
fn schema_string(s: Option<&SchemaRef>) -> String {
    s.map_or("null".to_owned(), |s| s.java_string())
}

/// `SourceRecord.toString()` / `SinkRecord.toString()`, used in messages about a record.
pub(crate) fn record_string(r: &ConnectRecord, origin: Origin<'_>) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "null".to_owned());
    let value_text = |v: &Value| v.java_string();
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|h| {
            format!(
                "ConnectHeader(key={}, value={}, schema={})",
                h.key,
                value_text(&h.value),
                schema_string(h.schema.as_ref())
            )
        })
        .collect();
    let base = format!(
        "ConnectRecord{{topic='{}', kafkaPartition={}, key={}, keySchema={}, value={}, valueSchema={}, timestamp={}, headers=ConnectHeaders(headers={})}}",
        r.topic,
        opt(r.kafka_partition.map(|p| p.to_string())),
        value_text(&r.key),
        schema_string(r.key_schema.as_ref()),
        value_text(&r.value),
        schema_string(r.value_schema.as_ref()),
        opt(r.timestamp.map(|t| t.to_string())),
        if headers.is_empty() {
            String::new()
        } else {
            format!("[{}]", headers.join(", "))
        }
    );
    let java_map = |m: &OffsetMap| {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    match origin {
        Origin::Source { partition, offset } => format!(
            "SourceRecord{{sourcePartition={}, sourceOffset={}}} {base}",
            java_map(partition),
            java_map(offset)
        ),
        Origin::Sink { kafka_offset } => format!(
            "SinkRecord{{kafkaOffset={kafka_offset}, timestampType={}, originalTopic={}, originalKafkaPartition={}, originalKafkaOffset={kafka_offset}}} {base}",
            if r.timestamp.is_some() {
                "CreateTime"
            } else {
                "NoTimestampType"
            },
            r.topic,
            opt(r.kafka_partition.map(|p| p.to_string())),
        ),
    }
}

/// Java's `String.split(":")`: trailing empty strings are dropped, and an empty input is one
/// empty string.
pub(crate) fn java_split_colon(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(':').collect();
    if s.is_empty() {
        return parts;
    }
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `List.toString()` of a config list: `[a, b]`.
pub(crate) fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::data::{Field, Header};

    pub fn cfg(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    /// A schemaless map with string keys, in the given order.
    pub fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(entries.iter().map(|(k, v)| (s(k), v.clone())).collect())
    }

    pub fn struct_schema(fields: &[(&str, Schema)]) -> SchemaRef {
        Schema::structure(
            fields
                .iter()
                .map(|(n, s)| (n.to_string(), s.clone().into_ref()))
                .collect(),
        )
        .into_ref()
    }

    pub fn struct_value(schema: &SchemaRef, values: Vec<Value>) -> Value {
        Value::Struct(Struct {
            schema: schema.clone(),
            values,
        })
    }

    pub fn field_names(schema: &Schema) -> Vec<&str> {
        schema
            .fields
            .iter()
            .map(|f: &Field| f.name.as_str())
            .collect()
    }

    pub fn value_record(schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
        ConnectRecord {
            kafka_partition: Some(2),
            timestamp: Some(1_700_000_000_123),
            ..ConnectRecord::value("orders", schema, value)
        }
    }

    pub fn key_record(schema: Option<SchemaRef>, key: Value) -> ConnectRecord {
        ConnectRecord {
            key_schema: schema,
            key,
            ..value_record(None, s("v"))
        }
    }

    pub const SINK: Origin<'static> = Origin::Sink { kafka_offset: 42 };

    pub fn run(t: &dyn Transform, r: ConnectRecord) -> Result<ConnectRecord, ConnectError> {
        t.apply(r, SINK).map(|r| r.expect("not dropped"))
    }

    /// The class and message of a failure.
    pub fn err(t: &dyn Transform, r: ConnectRecord) -> (String, String) {
        let e = t.apply(r, SINK).expect_err("should fail");
        (e.class, e.message.unwrap_or_default())
    }

    pub fn config_err<T>(r: Result<T, ConnectError>) -> String {
        match r {
            Ok(_) => panic!("config should be refused"),
            Err(e) => {
                assert_eq!(e.class, class::CONFIG);
                e.message.unwrap_or_default()
            }
        }
    }

    pub fn header(key: &str, value: Value) -> Header {
        Header {
            key: key.into(),
            schema: None,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn rec(topic: &str) -> ConnectRecord {
        ConnectRecord::value(topic, None, Value::String("v".into()))
    }

    #[test]
    fn chain_with_predicates_and_negate() {
        let chain = Chain::from_config(&cfg(&[
            ("transforms", "route,mark,drop"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "(.*)-raw"),
            ("transforms.route.replacement", "$1x-clean"),
            ("transforms.mark.type", "InsertHeader"),
            ("transforms.mark.header", "h"),
            ("transforms.mark.value.literal", "1"),
            ("transforms.mark.predicate", "isClean"),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.drop.predicate", "isClean"),
            ("transforms.drop.negate", "true"),
            ("predicates", "isClean"),
            (
                "predicates.isClean.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.isClean.pattern", ".*-clean"),
        ]))
        .unwrap();
        let out = chain.apply(rec("orders-raw"), SINK).unwrap().unwrap();
        assert_eq!(out.topic, "ordersx-clean");
        assert_eq!(out.headers[0].key, "h");
        // Not renamed, so not "-clean": the negated predicate lets Filter drop it.
        assert!(chain.apply(rec("other"), SINK).unwrap().is_none());
    }

    #[test]
    fn config_errors_are_wrapped_like_transformation_stages() {
        let e = Chain::from_config(&cfg(&[("transforms", "a")]))
            .err()
            .unwrap();
        assert_eq!(e.class, class::CONNECT);
        assert_eq!(
            e.message.as_deref(),
            Some(
                "org.apache.kafka.common.config.ConfigException: Missing required configuration \"transforms.a.type\" which has no default value."
            )
        );
        let e = Chain::from_config(&cfg(&[
            ("transforms", "a"),
            ("transforms.a.type", "com.x.Nope"),
        ]))
        .err()
        .unwrap();
        assert_eq!(
            e.cause.unwrap().message.as_deref(),
            Some(
                "Invalid value com.x.Nope for configuration transforms.a.type: Class com.x.Nope could not be found."
            )
        );
        let e = Chain::from_config(&cfg(&[
            ("transforms", "a"),
            (
                "transforms.a.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
        ]))
        .err()
        .unwrap();
        assert_eq!(
            e.message.as_deref(),
            Some("org.apache.kafka.common.config.ConfigException: No field insertion configured")
        );
    }

    #[test]
    fn failures_name_the_transform() {
        let chain = Chain::from_config(&cfg(&[
            ("transforms", "x"),
            (
                "transforms.x.type",
                "org.apache.kafka.connect.transforms.ExtractField$Value",
            ),
            ("transforms.x.field", "a"),
        ]))
        .unwrap();
        let (class, e) = chain.apply(rec("t"), SINK).unwrap_err();
        assert_eq!(
            class,
            "org.apache.kafka.connect.transforms.ExtractField$Value"
        );
        assert_eq!(
            e.frames,
            ["org.apache.kafka.connect.transforms.ExtractField.apply(extract_field.rs)"]
        );
    }

    #[test]
    fn java_split_drops_trailing_empties() {
        assert_eq!(java_split_colon("a:b:"), ["a", "b"]);
        assert_eq!(java_split_colon("a"), ["a"]);
        assert_eq!(java_split_colon(""), [""]);
        assert_eq!(java_split_colon(":b"), ["", "b"]);
        assert_eq!(java_split_colon("a::b"), ["a", "", "b"]);
    }
}
