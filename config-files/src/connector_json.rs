//! Connector JSON files: the create request `{"name": .., "config": {..}}` or a bare config map.
//!
//! Rules shared by connect-worker and connectctl:
//! - a UTF-8 byte order mark is skipped (editors on Windows write one);
//! - strings are taken as they are; numbers and booleans become their JSON text, as Connect
//!   stores them (`"tasks.max": 1` works);
//! - `null` leaves the key out, as it removes a key in a PATCH, and is reported;
//! - arrays and objects are errors: Connect configs are flat strings;
//! - a key given twice keeps its last value, as JSON parsers do, and is reported, because one
//!   of the two values was almost certainly meant to be something else.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A connector definition read from JSON.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectorJson {
    /// The request's `name`, else the config's `name` key.
    pub name: Option<String>,
    pub config: BTreeMap<String, String>,
    /// Things that were accepted but are probably mistakes, one line each.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("invalid JSON: {0}")]
    Syntax(String),
    #[error("expected a JSON object (the create request or a config map), found {0}")]
    NotAnObject(&'static str),
    #[error("value of '{key}' must be a string, number or boolean, not {found}")]
    NotFlat { key: String, found: &'static str },
    #[error("\"name\" must be a string, not {0}")]
    BadName(&'static str),
}

/// A JSON value whose objects keep every entry in order, repeated keys included.
#[derive(Debug, Clone)]
enum Node {
    Object(Vec<(String, Node)>),
    Array,
    String(String),
    Number(serde_json::Number),
    Bool(bool),
    Null,
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Object(_) => "an object",
            Node::Array => "an array",
            Node::String(_) => "a string",
            Node::Number(_) => "a number",
            Node::Bool(_) => "a boolean",
            Node::Null => "null",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
                Ok(Node::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
                Ok(Node::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node, E> {
                serde_json::Number::from_f64(n)
                    .map(Node::Number)
                    .ok_or_else(|| E::custom("a number that is not finite"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Node, E> {
                Ok(Node::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Node, E> {
                Ok(Node::String(s))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                // Arrays are rejected as config values; only their syntax matters.
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Node::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    entries.push((k, v));
                }
                Ok(Node::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The entries of an object with repeated keys collapsed to their last value, and a warning
/// per repeated key (`context` says where: "the file" or "config").
fn dedup(
    entries: Vec<(String, Node)>,
    context: &str,
    warnings: &mut Vec<String>,
) -> Vec<(String, Node)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (k, _) in &entries {
        *counts.entry(k.clone()).or_default() += 1;
    }
    for (k, n) in &counts {
        if *n > 1 {
            warnings.push(format!(
                "key '{k}' appears {n} times in {context}; the last value is used"
            ));
        }
    }
    let mut out: Vec<(String, Node)> = Vec::with_capacity(counts.len());
    for (k, v) in entries {
        match out.iter_mut().find(|(seen, _)| *seen == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// Reads a connector JSON file's text.
pub fn load(text: &str) -> Result<ConnectorJson, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Node = serde_json::from_str(text).map_err(|e| JsonError::Syntax(e.to_string()))?;
    let Node::Object(entries) = root else {
        return Err(JsonError::NotAnObject(root.kind()));
    };
    let mut warnings = Vec::new();
    let top = dedup(entries, "the file", &mut warnings);
    let is_request = top
        .iter()
        .any(|(k, v)| k == "config" && matches!(v, Node::Object(_)));
    let (request_name, config_entries) = if is_request {
        let mut name = None;
        let mut config = Vec::new();
        for (k, v) in top {
            match (k.as_str(), v) {
                ("name", Node::String(s)) => name = Some(s),
                ("name", Node::Null) => {}
                ("name", other) => return Err(JsonError::BadName(other.kind())),
                ("config", Node::Object(c)) => config = dedup(c, "config", &mut warnings),
                // Other request fields (`initial_state`) are not config.
                _ => {}
            }
        }
        (name, config)
    } else {
        (None, top)
    };
    let mut config = BTreeMap::new();
    for (k, v) in config_entries {
        let s = match v {
            Node::String(s) => s,
            Node::Number(n) => n.to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Null => {
                warnings.push(format!("key '{k}' is null; it is left out"));
                continue;
            }
            other @ (Node::Array | Node::Object(_)) => {
                return Err(JsonError::NotFlat {
                    key: k,
                    found: other.kind(),
                });
            }
        };
        config.insert(k, s);
    }
    let name = request_name.or_else(|| config.get("name").cloned());
    Ok(ConnectorJson {
        name,
        config,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_bare_forms() {
        let f = load(r#"{"name":"a","config":{"tasks.max":2,"x":"y","b":true}}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("a"));
        assert_eq!(f.config["tasks.max"], "2");
        assert_eq!(f.config["b"], "true");
        assert!(f.warnings.is_empty());
        let f = load(r#"{"connector.class":"FileStreamSink","name":"b"}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("b"));
        assert_eq!(f.config["name"], "b");
        let f = load(r#"{"config":{"name":"c"}}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("c"));
    }

    #[test]
    fn null_leaves_the_key_out_with_a_warning() {
        let f = load(r#"{"name":"a","config":{"x":null,"y":"1"}}"#).unwrap();
        assert!(!f.config.contains_key("x"));
        assert_eq!(f.config["y"], "1");
        assert_eq!(f.warnings, vec!["key 'x' is null; it is left out"]);
    }

    #[test]
    fn nested_values_and_non_objects_are_errors() {
        assert_eq!(
            load(r#"{"a":[1]}"#).unwrap_err(),
            JsonError::NotFlat {
                key: "a".into(),
                found: "an array"
            }
        );
        assert!(matches!(
            load("[1]"),
            Err(JsonError::NotAnObject("an array"))
        ));
        assert!(matches!(load("{"), Err(JsonError::Syntax(_))));
        assert!(matches!(
            load(r#"{"name":1,"config":{}}"#),
            Err(JsonError::BadName("a number"))
        ));
    }

    #[test]
    fn bom_is_skipped() {
        let f = load("\u{feff}{\"name\":\"bom\",\"config\":{\"k\":\"v\"}}").unwrap();
        assert_eq!(f.name.as_deref(), Some("bom"));
    }

    #[test]
    fn duplicate_keys_warn_and_keep_the_last() {
        let f = load(r#"{"name":"a","config":{"topics":"x","topics":"y"}}"#).unwrap();
        assert_eq!(f.config["topics"], "y");
        assert_eq!(
            f.warnings,
            vec!["key 'topics' appears 2 times in config; the last value is used"]
        );
        let f = load(r#"{"name":"a","name":"b","config":{}}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("b"));
        assert_eq!(f.warnings.len(), 1);
    }
}
