//! Connector config files and key/value flags: JSON (`{name, config}` or a bare map) or Java
//! `.properties`, plus config grouping and diffs for display.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context as _, anyhow};
use connect_api::ConfigMap;
use serde::Serialize;

/// A connector definition read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorFile {
    pub name: Option<String>,
    pub config: ConfigMap,
}

/// Reads `path` (`-` is stdin) as JSON or `.properties`, at most
/// [`connect_config_files::MAX_FILE_BYTES`] (so `-f /dev/zero` fails fast). Things that parse but
/// look like mistakes (duplicate keys, `null` values) are warned about on stderr.
pub fn read_connector_file(path: &Path) -> anyhow::Result<ConnectorFile> {
    let text = if path.as_os_str() == "-" {
        connect_config_files::read_capped(
            std::io::stdin().lock(),
            "stdin",
            connect_config_files::MAX_FILE_BYTES,
        )?
    } else {
        connect_config_files::read_file(path)?
    };
    // Editors on Windows start files with a byte order mark; it is not part of the config.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let is_props =
        path.extension().is_some_and(|e| e == "properties") || !text.trim_start().starts_with('{');
    let parsed = if is_props {
        parse_properties(text)
    } else {
        parse_json_with_warnings(text).map(|(file, warnings)| {
            for w in warnings {
                eprintln!("warning: {}: {w}", path.display());
            }
            file
        })
    };
    parsed.with_context(|| format!("{} is not a connector config", path.display()))
}

/// `{name, config}` or a bare config map, with the shared loader's rules: numbers and booleans
/// become strings, as Connect would store them (`"tasks.max": 1` works), `null` leaves a key out.
fn parse_json_with_warnings(text: &str) -> anyhow::Result<(ConnectorFile, Vec<String>)> {
    let f = connect_config_files::connector_json::load(text)?;
    Ok((
        ConnectorFile {
            name: f.name,
            config: f.config,
        },
        f.warnings,
    ))
}

/// Java properties with `Properties.load` rules (the worker reads them with the same code).
pub fn parse_properties(text: &str) -> anyhow::Result<ConnectorFile> {
    let config = connect_config_files::properties::load(text)?;
    let name = config.get("name").cloned();
    Ok(ConnectorFile { name, config })
}

/// `key=value` from `--set`.
pub fn parse_set(kv: &str) -> anyhow::Result<(String, String)> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| anyhow!("--set {kv}: expected KEY=VALUE"))?;
    let k = k.trim();
    anyhow::ensure!(!k.is_empty(), "--set {kv}: the key is empty");
    Ok((k.to_owned(), v.to_owned()))
}

/// The display group of a config key (`describe`).
pub fn group_of(key: &str) -> &'static str {
    const CONNECTOR: [&str; 7] = [
        "name",
        "connector.class",
        "tasks.max",
        "topics",
        "topics.regex",
        "connector.plugin.version",
        "config.action.reload",
    ];
    if CONNECTOR.contains(&key) {
        "connector"
    } else if ["key.converter", "value.converter", "header.converter"]
        .iter()
        .any(|p| key == *p || key.starts_with(&format!("{p}.")))
    {
        "converters"
    } else if key == "transforms" || key.starts_with("transforms.") {
        "transforms"
    } else if key == "predicates" || key.starts_with("predicates.") {
        "predicates"
    } else if key.starts_with("errors.") {
        "errors"
    } else {
        "other"
    }
}

pub const GROUPS: [&str; 6] = [
    "connector",
    "converters",
    "transforms",
    "predicates",
    "errors",
    "other",
];

/// One changed key between a live config and a desired one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub key: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// What applying `desired` over `live` changes, key by key, with secrets masked unless `reveal`.
pub fn diff(
    live: &ConfigMap,
    desired: &ConfigMap,
    password_keys: &BTreeSet<String>,
    reveal: bool,
) -> Vec<Change> {
    let show = |k: &str, v: &str| {
        if reveal {
            v.to_owned()
        } else {
            crate::mask::mask_value(k, v, password_keys).into_owned()
        }
    };
    let keys: BTreeSet<&String> = live.keys().chain(desired.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (old, new) = (live.get(k), desired.get(k));
        let change = match (old, new) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => "changed",
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (None, None) => continue,
        };
        out.push(Change {
            key: k.clone(),
            change,
            old: old.map(|v| show(k, v)),
            new: new.map(|v| show(k, v)),
        });
    }
    out
}

/// Prints changes as `+ key = v`, `- key = v`, `~ key: old -> new` on stdout.
pub fn print_changes(changes: &[Change]) {
    use crate::output::esc;
    use colored::Colorize;
    for c in changes {
        match c.change {
            "added" => println!(
                "{}",
                format!(
                    "+ {} = {}",
                    esc(&c.key),
                    esc(c.new.as_deref().unwrap_or(""))
                )
                .green()
            ),
            "removed" => println!(
                "{}",
                format!(
                    "- {} = {}",
                    esc(&c.key),
                    esc(c.old.as_deref().unwrap_or(""))
                )
                .red()
            ),
            _ => println!(
                "{}",
                format!(
                    "~ {}: {} -> {}",
                    esc(&c.key),
                    esc(c.old.as_deref().unwrap_or("")),
                    esc(c.new.as_deref().unwrap_or(""))
                )
                .yellow()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(text: &str) -> anyhow::Result<ConnectorFile> {
        parse_json_with_warnings(text).map(|(f, _)| f)
    }

    #[test]
    fn json_forms() {
        let f = parse_json(r#"{"name":"a","config":{"tasks.max":2,"x":"y"}}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("a"));
        assert_eq!(f.config["tasks.max"], "2");
        let f = parse_json(r#"{"connector.class":"FileStreamSink","name":"b"}"#).unwrap();
        assert_eq!(f.name.as_deref(), Some("b"));
        // `null` leaves the key out, as the worker does with the same file.
        assert!(
            !parse_json(r#"{"a":null}"#)
                .unwrap()
                .config
                .contains_key("a")
        );
        assert!(parse_json(r#"{"a":[1]}"#).is_err());
        assert!(parse_json("[1]").is_err());
    }

    #[test]
    fn properties() {
        let f = parse_properties(
            "# comment\nname=p\nconnector.class: FileStreamSink\ntopics = a,\\\n  b\n! other\nfile /tmp/x\n",
        )
        .unwrap();
        assert_eq!(f.name.as_deref(), Some("p"));
        assert_eq!(f.config["connector.class"], "FileStreamSink");
        assert_eq!(f.config["topics"], "a,b");
        assert_eq!(f.config["file"], "/tmp/x");
    }

    #[test]
    fn groups() {
        assert_eq!(group_of("connector.class"), "connector");
        assert_eq!(group_of("value.converter.schemas.enable"), "converters");
        assert_eq!(group_of("transforms.a.type"), "transforms");
        assert_eq!(group_of("errors.tolerance"), "errors");
        assert_eq!(group_of("file"), "other");
    }

    #[test]
    fn diff_masks_secrets() {
        let live: ConfigMap = [
            ("a".to_owned(), "1".to_owned()),
            ("db.password".into(), "old".into()),
        ]
        .into();
        let want: ConfigMap = [
            ("a".to_owned(), "2".to_owned()),
            ("db.password".into(), "new".into()),
            ("b".into(), "x".into()),
        ]
        .into();
        let d = diff(&live, &want, &BTreeSet::new(), false);
        assert_eq!(d.len(), 3);
        let pw = d.iter().find(|c| c.key == "db.password").unwrap();
        assert_eq!(pw.old.as_deref(), Some(crate::mask::MASK));
        assert_eq!(pw.new.as_deref(), Some(crate::mask::MASK));
    }
}
