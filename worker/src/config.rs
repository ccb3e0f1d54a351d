//! Worker configuration, read from a Java `.properties` file with Apache's key names.

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read worker config {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("worker config is missing required key '{0}'")]
    Missing(&'static str),
    #[error("worker config key '{key}' has an invalid value '{value}': {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

/// Parses Java properties text: `key=value`, `key: value` or `key value`; `#`/`!` comments;
/// a trailing backslash continues a line; `\t`, `\n`, `\uXXXX` and `\<char>` escapes.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for raw in text.lines() {
        // Java trims leading whitespace of continuation lines too.
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        // An odd number of trailing backslashes continues the logical line.
        let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let (k, v) = split_key_value(&logical);
        out.insert(unescape(&k), unescape(&v));
        logical.clear();
    }
    if !logical.is_empty() {
        let (k, v) = split_key_value(&logical);
        out.insert(unescape(&k), unescape(&v));
    }
    out
}

fn split_key_value(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                key.push(c);
                if let Some((_, n)) = chars.next() {
                    key.push(n);
                }
            }
            '=' | ':' => return (key, line[i + 1..].trim_start().to_owned()),
            c if c.is_whitespace() => {
                let rest = line[i..].trim_start();
                let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim_start();
                return (key, rest.to_owned());
            }
            _ => key.push(c),
        }
    }
    (key, String::new())
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The worker settings this worker understands; everything else stays in `raw`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub bootstrap_servers: String,
    /// host:port for the REST listener, from the first `listeners` entry (default `0.0.0.0:8083`).
    pub rest_listen: String,
    pub raw: BTreeMap<String, String>,
}

impl WorkerConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_map(parse_properties(&text))
    }

    pub fn from_map(raw: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let bootstrap_servers = raw
            .get("bootstrap.servers")
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .ok_or(ConfigError::Missing("bootstrap.servers"))?;
        let listeners = raw
            .get("listeners")
            .map(String::as_str)
            .unwrap_or("http://:8083");
        let first = listeners.split(',').next().unwrap_or_default().trim();
        let hostport = first
            .strip_prefix("http://")
            .ok_or_else(|| ConfigError::Invalid {
                key: "listeners",
                value: listeners.to_owned(),
                reason: "only http:// listeners are supported".to_owned(),
            })?;
        let rest_listen = match hostport.rsplit_once(':') {
            Some(("", port)) => format!("0.0.0.0:{port}"),
            Some(_) => hostport.to_owned(),
            None => {
                return Err(ConfigError::Invalid {
                    key: "listeners",
                    value: listeners.to_owned(),
                    reason: "expected http://host:port".to_owned(),
                });
            }
        };
        Ok(WorkerConfig {
            bootstrap_servers,
            rest_listen,
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_syntax() {
        let p = parse_properties(
            "# comment\n! also\nbootstrap.servers=localhost:9092\nlisteners : http://:8083\n\
             key.converter org.apache.kafka.connect.json.JsonConverter\n\
             multi=a,\\\n    b\nescaped\\ key=tab\\there\nunicode=\\u00e9\nempty=\n",
        );
        assert_eq!(p["bootstrap.servers"], "localhost:9092");
        assert_eq!(p["listeners"], "http://:8083");
        assert_eq!(
            p["key.converter"],
            "org.apache.kafka.connect.json.JsonConverter"
        );
        assert_eq!(p["multi"], "a,b");
        assert_eq!(p["escaped key"], "tab\there");
        assert_eq!(p["unicode"], "é");
        assert_eq!(p["empty"], "");
    }

    #[test]
    fn listeners_resolve() {
        let mut m = BTreeMap::new();
        m.insert("bootstrap.servers".to_owned(), "b:9092".to_owned());
        assert_eq!(
            WorkerConfig::from_map(m.clone()).unwrap().rest_listen,
            "0.0.0.0:8083"
        );
        m.insert("listeners".to_owned(), "http://127.0.0.1:1234".to_owned());
        assert_eq!(
            WorkerConfig::from_map(m.clone()).unwrap().rest_listen,
            "127.0.0.1:1234"
        );
        m.insert("listeners".to_owned(), "https://x:1".to_owned());
        assert!(WorkerConfig::from_map(m).is_err());
        assert!(matches!(
            WorkerConfig::from_map(BTreeMap::new()),
            Err(ConfigError::Missing("bootstrap.servers"))
        ));
    }
}
