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
    #[error("worker config {path}: {source}")]
    Syntax {
        path: String,
        #[source]
        source: connect_config_files::properties::PropertiesError,
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

/// Parses Java properties text with `Properties.load` rules (shared with connectctl).
pub fn parse_properties(
    text: &str,
) -> Result<BTreeMap<String, String>, connect_config_files::properties::PropertiesError> {
    connect_config_files::properties::load(text)
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
        let map = parse_properties(&text).map_err(|source| ConfigError::Syntax {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_map(map)
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
        )
        .unwrap();
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
