//! Single message transforms and predicates (`transforms=a,b`, `predicates=p`), under Apache's
//! class names. A transform applies when it has no predicate, or when `negate` XOR the
//! predicate's test holds (`TransformationStage`). This worker ships the header, routing and
//! filtering transforms so far; the struct-editing ones are still to come.

use std::collections::BTreeMap;

use connect_api::ConfigMap;

use crate::data::{ConnectRecord, Header, Schema, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width, split_list,
};
use crate::registry::{self, Factory};

/// `org.apache.kafka.connect.transforms.Transformation`. `None` drops the record.
pub trait Transform: Send + Sync {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>;
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

fn config_error(msg: String) -> ConnectError {
    ConnectError::new(class::CONFIG, msg)
}

impl Chain {
    pub fn from_config(config: &ConfigMap) -> Result<Chain, ConnectError> {
        let mut predicates: BTreeMap<String, Box<dyn Predicate>> = BTreeMap::new();
        for alias in split_list(config.get("predicates").map(String::as_str).unwrap_or("")) {
            let prefix = format!("predicates.{alias}.");
            let ty = config.get(&format!("{prefix}type")).ok_or_else(|| {
                config_error(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let Some(Factory::Predicate(f)) = registry::find(ty).map(|e| e.factory) else {
                return Err(config_error(format!(
                    "Invalid value {ty} for configuration {prefix}type: Class {ty} could not be found."
                )));
            };
            predicates.insert(alias, f(&sub_config(config, &prefix))?);
        }
        let mut steps = Vec::new();
        for alias in split_list(config.get("transforms").map(String::as_str).unwrap_or("")) {
            let prefix = format!("transforms.{alias}.");
            let ty = config.get(&format!("{prefix}type")).ok_or_else(|| {
                config_error(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let entry = registry::find(ty);
            let Some((class, Factory::Transform(f))) = entry.map(|e| (e.class, e.factory)) else {
                return Err(config_error(format!(
                    "Invalid value {ty} for configuration {prefix}type: Class {ty} could not be found."
                )));
            };
            let predicate = match config.get(&format!("{prefix}predicate")).map(|p| p.trim()).filter(|p| !p.is_empty()) {
                Some(p) => Some(predicates.remove(p).ok_or_else(|| {
                    config_error(format!("Invalid value {p} for configuration {prefix}predicate: Predicate alias {p} is not defined"))
                })?),
                None => None,
            };
            let negate = config
                .get(&format!("{prefix}negate"))
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            steps.push(Step {
                class,
                transform: f(&sub_config(config, &prefix))?,
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
    ) -> Result<Option<ConnectRecord>, (&'static str, ConnectError)> {
        for step in &self.0 {
            let applies = step
                .predicate
                .as_ref()
                .is_none_or(|p| step.negate ^ p.test(&record));
            if !applies {
                continue;
            }
            match step.transform.apply(record) {
                Ok(Some(r)) => record = r,
                Ok(None) => return Ok(None),
                Err(e) => return Err((step.class, e)),
            }
        }
        Ok(Some(record))
    }
}

const fn key(
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

fn required<'a>(config: &'a ConfigMap, k: &str) -> Result<&'a str, ConnectError> {
    config.get(k).map(|s| s.trim()).ok_or_else(|| {
        config_error(format!(
            "Missing required configuration \"{k}\" which has no default value."
        ))
    })
}

/// Java regexes in these configs must match the whole input (`Matcher.matches`).
fn full_regex(k: &str, pattern: &str) -> Result<regex::Regex, ConnectError> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        config_error(format!(
            "Invalid value {pattern} for configuration {k}: Invalid regex: {e}"
        ))
    })
}

pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";
pub static REGEX_ROUTER_DEF: &[ConfigKey] = &[
    key(
        "regex",
        ConfigType::String,
        Importance::High,
        "Regular expression to use for matching.",
        Validator::Regex,
    ),
    key(
        "replacement",
        ConfigType::String,
        Importance::High,
        "Replacement string.",
        Validator::None,
    ),
];

struct RegexRouter {
    regex: regex::Regex,
    replacement: String,
}

/// Java's `$1` group references become `${1}` so that a following letter is not taken as part
/// of the group name; `\$` is a literal dollar.
fn java_replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(o) => out.push(o),
                None => {}
            },
            '$' => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                if n.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{n}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

pub fn regex_router(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(RegexRouter {
        regex: full_regex("regex", required(config, "regex")?)?,
        replacement: java_replacement(required(config, "replacement")?),
    }))
}

impl Transform for RegexRouter {
    fn apply(&self, mut r: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.regex.is_match(&r.topic) {
            r.topic = self
                .regex
                .replace(&r.topic, self.replacement.as_str())
                .into_owned();
        }
        Ok(Some(r))
    }
}

pub const INSERT_HEADER: &str = "org.apache.kafka.connect.transforms.InsertHeader";
pub static INSERT_HEADER_DEF: &[ConfigKey] = &[
    key(
        "header",
        ConfigType::String,
        Importance::High,
        "The name of the header.",
        Validator::NonNull,
    ),
    key(
        "value.literal",
        ConfigType::String,
        Importance::High,
        "The literal value that is to be set as the header value on all records.",
        Validator::NonNull,
    ),
];

struct InsertHeader {
    header: String,
    value: String,
}

pub fn insert_header(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(InsertHeader {
        header: required(config, "header")?.to_owned(),
        value: config.get("value.literal").cloned().ok_or_else(|| {
            config_error(
                "Missing required configuration \"value.literal\" which has no default value."
                    .into(),
            )
        })?,
    }))
}

impl Transform for InsertHeader {
    fn apply(&self, mut r: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        // Apache infers a schema from the literal; a string header carries the same text.
        r.headers.push(Header {
            key: self.header.clone(),
            schema: Some(Schema::optional_string()),
            value: Value::String(self.value.clone()),
        });
        Ok(Some(r))
    }
}

pub const DROP_HEADERS: &str = "org.apache.kafka.connect.transforms.DropHeaders";
pub static DROP_HEADERS_DEF: &[ConfigKey] = &[key(
    "headers",
    ConfigType::List,
    Importance::High,
    "The name of the headers to be removed.",
    Validator::NonEmptyList,
)];

struct DropHeaders(Vec<String>);

pub fn drop_headers(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    let headers = split_list(required(config, "headers")?);
    if headers.is_empty() {
        return Err(config_error(
            "Invalid value [] for configuration headers: Empty list".into(),
        ));
    }
    Ok(Box::new(DropHeaders(headers)))
}

impl Transform for DropHeaders {
    fn apply(&self, mut r: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        r.headers.retain(|h| !self.0.contains(&h.key));
        Ok(Some(r))
    }
}

pub const FILTER: &str = "org.apache.kafka.connect.transforms.Filter";
pub static FILTER_DEF: &[ConfigKey] = &[];

struct Filter;

pub fn filter(_: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(Filter))
}

impl Transform for Filter {
    fn apply(&self, _: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(None)
    }
}

pub const TOPIC_NAME_MATCHES: &str =
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";
pub static TOPIC_NAME_MATCHES_DEF: &[ConfigKey] = &[ConfigKey {
    importance: Importance::Medium,
    ..key(
        "pattern",
        ConfigType::String,
        Importance::Medium,
        "A Java regular expression for matching against the name of a record's topic.",
        Validator::Regex,
    )
}];

struct TopicNameMatches(regex::Regex);

pub fn topic_name_matches(config: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(TopicNameMatches(full_regex(
        "pattern",
        required(config, "pattern")?,
    )?)))
}

impl Predicate for TopicNameMatches {
    fn test(&self, r: &ConnectRecord) -> bool {
        self.0.is_match(&r.topic)
    }
}

pub const HAS_HEADER_KEY: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";
pub static HAS_HEADER_KEY_DEF: &[ConfigKey] = &[key(
    "name",
    ConfigType::String,
    Importance::Medium,
    "The header name.",
    Validator::NonEmptyString,
)];

struct HasHeaderKey(String);

pub fn has_header_key(config: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(HasHeaderKey(required(config, "name")?.to_owned())))
}

impl Predicate for HasHeaderKey {
    fn test(&self, r: &ConnectRecord) -> bool {
        r.headers.iter().any(|h| h.key == self.0)
    }
}

pub const RECORD_IS_TOMBSTONE: &str =
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";
pub static RECORD_IS_TOMBSTONE_DEF: &[ConfigKey] = &[];

struct RecordIsTombstone;

pub fn record_is_tombstone(_: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(RecordIsTombstone))
}

impl Predicate for RecordIsTombstone {
    fn test(&self, r: &ConnectRecord) -> bool {
        r.value.is_null()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

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
        let out = chain.apply(rec("orders-raw")).unwrap().unwrap();
        assert_eq!(out.topic, "ordersx-clean");
        assert_eq!(out.headers[0].key, "h");
        // Not renamed, so not "-clean": the negated predicate lets Filter drop it.
        assert!(chain.apply(rec("other")).unwrap().is_none());
    }

    #[test]
    fn config_errors() {
        let e = Chain::from_config(&cfg(&[("transforms", "a")]))
            .err()
            .unwrap();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Missing required configuration \"transforms.a.type\" which has no default value."
            )
        );
        let e = Chain::from_config(&cfg(&[
            ("transforms", "a"),
            ("transforms.a.type", "com.x.Nope"),
        ]))
        .err()
        .unwrap();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Invalid value com.x.Nope for configuration transforms.a.type: Class com.x.Nope could not be found."
            )
        );
        assert_eq!(java_replacement("a$1b\\$"), "a${1}b$$");
    }
}
