//! Contexts: named Connect clusters in `$XDG_CONFIG_HOME/connectctl/config.toml` (or the file
//! `CONNECTCTL_CONFIG` names), each with URLs, auth, TLS and Kafka settings for DLQ commands.
//!
//! Secrets may sit in the file, but the file can instead name an environment variable or a
//! command that prints them, so the file itself can be shared or committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::client::Auth;

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("cannot read the config file {0}")]
    Read(PathBuf, #[source] std::io::Error),
    #[error("the config file {0} is not valid TOML for connectctl")]
    Parse(PathBuf, #[source] toml::de::Error),
    #[error("cannot write the config file {0}")]
    Write(PathBuf, #[source] std::io::Error),
    #[error("no context named '{name}' in {path} (known: {known})")]
    Unknown {
        name: String,
        path: PathBuf,
        known: String,
    },
    #[error("context '{context}': {what}")]
    Secret { context: String, what: String },
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// One cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Connect REST URLs; the next one is tried when a worker is unreachable (none for a
    /// Confluent Cloud context).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "AuthConfig::is_empty")]
    pub auth: AuthConfig,
    /// Extra request headers, e.g. an API gateway key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "TlsConfig::is_empty")]
    pub tls: TlsConfig,
    /// librdkafka properties for DLQ commands, including `bootstrap.servers`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kafka: BTreeMap<String, String>,
    /// Set for a Confluent Cloud context: the cluster's fully managed connectors through the
    /// Connect API v1 instead of a Connect REST URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confluent_cloud: Option<CloudContext>,
}

/// A Kafka cluster on Confluent Cloud. The API secret is never kept in the file: it comes from
/// an environment variable or a command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudContext {
    /// `env-xxxxx`
    pub environment: String,
    /// `lkc-xxxxx`
    pub cluster: String,
    /// The Cloud API key (its id, not a secret).
    pub api_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret_command: Option<String>,
    /// The API's base URL; `https://api.confluent.cloud` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl CloudContext {
    pub fn cloud_url(&self) -> &str {
        self.url
            .as_deref()
            .unwrap_or(crate::cloud::DEFAULT_CLOUD_URL)
    }

    /// The cluster's Connect API base, every request's prefix.
    pub fn base(&self) -> String {
        crate::cloud::cluster_base(self.cloud_url(), &self.environment, &self.cluster)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_command: Option<String>,
}

impl AuthConfig {
    fn is_empty(&self) -> bool {
        *self == AuthConfig::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

impl TlsConfig {
    fn is_empty(&self) -> bool {
        *self == TlsConfig::default()
    }
}

/// Where the config file lives: `CONNECTCTL_CONFIG`, else `$XDG_CONFIG_HOME/connectctl/config.toml`,
/// else `~/.config/connectctl/config.toml`.
pub fn config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CONNECTCTL_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("connectctl").join("config.toml")
}

/// Where backups and offset snapshots go: `$XDG_STATE_HOME/connectctl/<kind>`, else
/// `~/.local/state/connectctl/<kind>`.
pub fn state_dir(kind: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("connectctl").join(kind)
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty config. Warns when others can read it, since
    /// it may hold passwords.
    pub fn load(path: &Path) -> Result<ConfigFile, ContextError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => return Err(ContextError::Read(path.to_owned(), e)),
        };
        warn_if_world_readable(path);
        toml::from_str(&text).map_err(|e| ContextError::Parse(path.to_owned(), e))
    }

    pub fn save(&self, path: &Path) -> Result<(), ContextError> {
        let text = toml::to_string_pretty(self).expect("the config always serialises to TOML");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ContextError::Write(path.to_owned(), e))?;
        }
        write_private(path, text.as_bytes()).map_err(|e| ContextError::Write(path.to_owned(), e))
    }

    pub fn get(&self, name: &str, path: &Path) -> Result<&Context, ContextError> {
        self.contexts
            .get(name)
            .ok_or_else(|| ContextError::Unknown {
                name: name.to_owned(),
                path: path.to_owned(),
                known: if self.contexts.is_empty() {
                    "none; add one with `connectctl context add`".to_owned()
                } else {
                    self.contexts.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }
}

/// Writes a file readable by its owner only (it may hold credentials).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

fn warn_if_world_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(md) = std::fs::metadata(path) {
            if md.permissions().mode() & 0o004 != 0 {
                eprintln!(
                    "warning: {} is readable by every user; it may hold credentials (chmod 600 it)",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Context {
    /// Where requests go: the Connect URLs, or a Cloud context's cluster API base.
    pub fn endpoints(&self) -> Vec<String> {
        match &self.confluent_cloud {
            Some(cc) => vec![cc.base()],
            None => self.urls.clone(),
        }
    }

    /// Resolves the credentials, running `*_command` or reading `*_env` as configured.
    pub fn auth(&self, name: &str) -> Result<Auth, ContextError> {
        let a = &self.auth;
        let err = |what: String| ContextError::Secret {
            context: name.to_owned(),
            what,
        };
        if let Some(cc) = &self.confluent_cloud {
            if cc.api_secret_env.is_none() && cc.api_secret_command.is_none() {
                return Err(err(
                    "a Confluent Cloud context needs api_secret_env or api_secret_command (add it \
                     again with --api-secret-env VAR or --api-secret-command CMD)"
                        .to_owned(),
                ));
            }
            let (secret, source) = secret(
                None,
                cc.api_secret_env.as_deref(),
                cc.api_secret_command.as_deref(),
                "api_secret",
            )
            .map_err(err)?;
            return Ok(Auth::CloudApiKey {
                key: cc.api_key.clone(),
                secret: secret.unwrap_or_default(),
                source: format!("context '{name}', {source}"),
            });
        }
        if let Some(username) = &a.username {
            let (password, source) = secret(
                a.password.as_deref(),
                a.password_env.as_deref(),
                a.password_command.as_deref(),
                "password",
            )
            .map_err(err)?;
            return Ok(Auth::Basic {
                username: username.clone(),
                password: password.unwrap_or_default(),
                source: format!("context '{name}', {source}"),
            });
        }
        let (token, source) = secret(
            a.token.as_deref(),
            a.token_env.as_deref(),
            a.token_command.as_deref(),
            "token",
        )
        .map_err(err)?;
        Ok(match token {
            Some(token) => Auth::Bearer {
                token,
                source: format!("context '{name}', {source}"),
            },
            None => Auth::None,
        })
    }
}

impl Context {
    /// The librdkafka properties of the `kafka` section (without `bootstrap.servers`), with
    /// `KEY_env = VAR` and `KEY_command = CMD` entries resolved to `KEY` from the environment
    /// variable or the command's output, so passwords need not sit in the file.
    pub fn kafka_properties(&self, name: &str) -> Result<Vec<(String, String)>, ContextError> {
        let mut out = Vec::new();
        for (k, v) in &self.kafka {
            if k == "bootstrap.servers" {
                continue;
            }
            let resolved = if let Some(key) = k.strip_suffix("_env") {
                Some((key, secret(None, Some(v), None, key)))
            } else {
                k.strip_suffix("_command")
                    .map(|key| (key, secret(None, None, Some(v), key)))
            };
            match resolved {
                Some((key, result)) => {
                    let (value, _) = result.map_err(|what| ContextError::Secret {
                        context: name.to_owned(),
                        what: format!("kafka {what}"),
                    })?;
                    out.push((key.to_owned(), value.unwrap_or_default()));
                }
                None => out.push((k.clone(), v.clone())),
            }
        }
        Ok(out)
    }
}

/// A secret from the file, an environment variable or a command; also says where it came from.
fn secret(
    inline: Option<&str>,
    env: Option<&str>,
    command: Option<&str>,
    what: &str,
) -> Result<(Option<String>, String), String> {
    if let Some(var) = env {
        return match std::env::var(var) {
            Ok(v) => Ok((Some(v), format!("{what} from ${var}"))),
            Err(_) => Err(format!("{what}_env names ${var}, which is not set")),
        };
    }
    if let Some(cmd) = command {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .output()
            .map_err(|e| format!("cannot run {what}_command: {e}"))?;
        if !out.status.success() {
            return Err(format!("{what}_command exited with {}", out.status));
        }
        let v = String::from_utf8_lossy(&out.stdout)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        return Ok((Some(v), format!("{what} from {what}_command")));
    }
    Ok((
        inline.map(str::to_owned),
        format!("{what} from the config file"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_full_context() {
        let text = r#"
current_context = "prod"
[contexts.prod]
urls = ["https://a:8083", "https://b:8083"]
headers = { "X-Api-Key" = "k" }
[contexts.prod.auth]
username = "ops"
password_env = "PROD_CONNECT_PASSWORD"
[contexts.prod.tls]
ca_file = "/etc/ca.pem"
insecure = true
[contexts.prod.kafka]
"bootstrap.servers" = "k1:9092"
"security.protocol" = "SASL_SSL"
"#;
        let cfg: ConfigFile = toml::from_str(text).unwrap();
        let prod = &cfg.contexts["prod"];
        assert_eq!(prod.urls.len(), 2);
        assert_eq!(prod.kafka["bootstrap.servers"], "k1:9092");
        let again: ConfigFile = toml::from_str(&toml::to_string_pretty(&cfg).unwrap()).unwrap();
        assert_eq!(&again.contexts["prod"], prod);
    }

    #[test]
    fn password_command_is_run_and_described_without_the_value() {
        let ctx = Context {
            auth: AuthConfig {
                username: Some("ops".into()),
                password_command: Some("echo s3cret".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        match ctx.auth("prod").unwrap() {
            a @ Auth::Basic { .. } => {
                let Auth::Basic { password, .. } = &a else {
                    unreachable!()
                };
                assert_eq!(password, "s3cret");
                assert!(!a.describe().contains("s3cret"), "{}", a.describe());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kafka_secrets_come_from_env_or_command() {
        let ctx = Context {
            kafka: [
                ("bootstrap.servers".to_owned(), "k:9092".to_owned()),
                ("sasl.username".to_owned(), "svc".to_owned()),
                ("sasl.password_command".to_owned(), "echo s3cret".to_owned()),
                (
                    "ssl.key.password_env".to_owned(),
                    "CONNECTCTL_TEST_KEY_PW".to_owned(),
                ),
            ]
            .into(),
            ..Default::default()
        };
        // The variable is unset: the error names it and the context.
        let e = ctx.kafka_properties("prod").unwrap_err().to_string();
        assert!(
            e.contains("CONNECTCTL_TEST_KEY_PW") && e.contains("prod"),
            "{e}"
        );
        let mut ctx = ctx;
        ctx.kafka.remove("ssl.key.password_env");
        let props = ctx.kafka_properties("prod").unwrap();
        assert_eq!(
            props,
            vec![
                ("sasl.password".to_owned(), "s3cret".to_owned()),
                ("sasl.username".to_owned(), "svc".to_owned()),
            ]
        );
    }

    #[test]
    fn missing_env_is_an_error_naming_the_variable() {
        let ctx = Context {
            auth: AuthConfig {
                token_env: Some("CONNECTCTL_TEST_SURELY_UNSET".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = ctx.auth("x").unwrap_err().to_string();
        assert!(e.contains("CONNECTCTL_TEST_SURELY_UNSET"), "{e}");
    }
}
