//! Confluent Cloud's fully managed connectors, through the Connect API v1
//! (`/connect/v1/environments/{env}/clusters/{lkc}/...`, Confluent's published OpenAPI document
//! in `confluentinc/ccloud-sdk-go-v2`, `connect/v1/api/openapi.yaml`).
//!
//! [`CloudClient`] offers the same methods as the Connect REST client and answers with the same
//! `connect_api` shapes ([`shapes`] maps Cloud's), so every command works unchanged through
//! [`crate::client::Client`]. What the API has no equivalent for fails with
//! [`ClientError::Unsupported`], which the commands report as a usage error (exit 2).

pub mod shapes;

use std::time::{Duration, Instant};

use connect_api::{
    ConfigInfos, ConfigKeyInfo, ConfigMap, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo,
    ConnectorTopics, CreateConnectorRequest, ExpandedConnectors, Loggers, Message, PluginInfo,
    ServerInfo, TaskInfo, WorkerStatus,
};
use reqwest::Method;

use crate::client::{ClientError, ClientSettings, RestClient, enc};
use shapes::{CloudExpansionMap, CloudOffsets, OffsetRequestStatus};

/// Where Confluent Cloud's API lives unless the context says otherwise.
pub const DEFAULT_CLOUD_URL: &str = "https://api.confluent.cloud";

/// A Connect API v1 client for one Kafka cluster of one environment.
pub struct CloudClient {
    rest: RestClient,
    /// How long an offsets request may take to reach APPLIED or FAILED.
    offsets_timeout: Duration,
}

/// The API base of one cluster: every path below is relative to it.
pub fn cluster_base(cloud_url: &str, environment: &str, cluster: &str) -> String {
    format!(
        "{}/connect/v1/environments/{}/clusters/{}",
        cloud_url.trim_end_matches('/'),
        enc(environment),
        enc(cluster)
    )
}

/// The error for a call the Connect API v1 has no equivalent for.
fn unsupported(what: &str, instead: &str) -> ClientError {
    ClientError::Unsupported(format!(
        "Confluent Cloud's Connect API has no {what}; {instead}"
    ))
}

impl CloudClient {
    /// `settings.urls` holds the cluster base ([`cluster_base`]); `settings.auth` the API key.
    pub fn new(settings: ClientSettings) -> Result<Self, ClientError> {
        Ok(CloudClient {
            rest: RestClient::new(settings)?,
            offsets_timeout: Duration::from_secs(600),
        })
    }

    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        Err(unsupported(
            "worker information (GET /)",
            "the Cloud console shows the cluster's details",
        ))
    }

    pub async fn health(&self) -> Result<(u16, WorkerStatus), ClientError> {
        Err(unsupported(
            "worker health endpoint",
            "use `connectctl doctor` for the connectors' health",
        ))
    }

    pub async fn connector_names(&self) -> Result<Vec<String>, ClientError> {
        let mut names: Vec<String> = self
            .rest
            .call(Method::GET, "/connectors", &[], None)
            .await?;
        names.sort();
        Ok(names)
    }

    /// `GET /connectors?expand=info,status,id`: every connector in one answer (the API does not
    /// page this list).
    pub async fn connectors_expanded(&self) -> Result<Option<ExpandedConnectors>, ClientError> {
        let query = [("expand", "info,status,id")];
        let map: CloudExpansionMap = self
            .rest
            .call(Method::GET, "/connectors", &query, None)
            .await?;
        Ok(Some(shapes::expanded(map)))
    }

    pub async fn connector(&self, name: &str) -> Result<ConnectorInfo, ClientError> {
        self.rest
            .call(
                Method::GET,
                &format!("/connectors/{}", enc(name)),
                &[],
                None,
            )
            .await
    }

    pub async fn config(&self, name: &str) -> Result<ConfigMap, ClientError> {
        self.rest
            .call(
                Method::GET,
                &format!("/connectors/{}/config", enc(name)),
                &[],
                None,
            )
            .await
    }

    pub async fn status(&self, name: &str) -> Result<ConnectorStateInfo, ClientError> {
        let mut status: ConnectorStateInfo = self
            .rest
            .call(
                Method::GET,
                &format!("/connectors/{}/status", enc(name)),
                &[],
                None,
            )
            .await?;
        shapes::normalise_status(&mut status);
        Ok(status)
    }

    pub async fn tasks(&self, name: &str) -> Result<Vec<TaskInfo>, ClientError> {
        self.rest
            .call(
                Method::GET,
                &format!("/connectors/{}/tasks", enc(name)),
                &[],
                None,
            )
            .await
    }

    pub async fn topics(&self, _name: &str) -> Result<ConnectorTopics, ClientError> {
        Err(unsupported(
            "active-topics endpoint",
            "the connector's `topics` config names what it reads (`connectctl config NAME`)",
        ))
    }

    pub async fn reset_topics(&self, name: &str) -> Result<(), ClientError> {
        self.topics(name).await.map(drop)
    }

    /// `POST /connectors`. Cloud creates connectors running; there is no initial state.
    pub async fn create(&self, req: &CreateConnectorRequest) -> Result<ConnectorInfo, ClientError> {
        if req.initial_state.is_some() {
            return Err(unsupported(
                "initial state for new connectors",
                "create it, then `connectctl pause NAME`",
            ));
        }
        let body = serde_json::json!({"name": req.name, "config": req.config});
        self.rest
            .call(Method::POST, "/connectors", &[], Some(&body))
            .await
    }

    /// `PUT /connectors/{c}/config`. Cloud answers 200 for both creating and updating, so
    /// whether the connector existed is asked first.
    pub async fn put_config(
        &self,
        name: &str,
        config: &ConfigMap,
    ) -> Result<(bool, ConnectorInfo), ClientError> {
        let existed = match self.connector(name).await {
            Ok(_) => true,
            Err(e) if e.status() == Some(404) => false,
            Err(e) => return Err(e),
        };
        let path = format!("/connectors/{}/config", enc(name));
        let body = serde_json::to_value(config).expect("a config map always serialises");
        let info = self.rest.call(Method::PUT, &path, &[], Some(&body)).await?;
        Ok((!existed, info))
    }

    pub async fn patch_config(
        &self,
        _name: &str,
        _patch: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ConnectorInfo, ClientError> {
        Err(unsupported(
            "PATCH of single config keys (and it masks secrets in the config it returns, so \
             reading, changing and writing back would overwrite them)",
            "change the full config file and run `connectctl apply -f FILE`",
        ))
    }

    pub async fn validate(
        &self,
        plugin: &str,
        config: &ConfigMap,
    ) -> Result<ConfigInfos, ClientError> {
        let path = format!("/connector-plugins/{}/config/validate", enc(plugin));
        let body = serde_json::to_value(config).expect("a config map always serialises");
        self.rest.call(Method::PUT, &path, &[], Some(&body)).await
    }

    /// `PUT /connectors/{c}/pause`, answered 202.
    pub async fn pause(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/pause", enc(name));
        self.rest
            .call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    /// `PUT /connectors/{c}/resume`, answered 202.
    pub async fn resume(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/resume", enc(name));
        self.rest
            .call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    pub async fn stop(&self, _name: &str) -> Result<(), ClientError> {
        Err(unsupported(
            "STOPPED state",
            "`connectctl pause NAME` stops processing and keeps the connector",
        ))
    }

    /// The published API has no restart: a connector is restarted by pausing and resuming it,
    /// which restarts all its tasks. `None` as for Connect's 204; with `only_failed` and nothing
    /// failed, the status (with nothing RESTARTING) and no restart, as Connect answers.
    pub async fn restart(
        &self,
        name: &str,
        _include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, ClientError> {
        if only_failed {
            let status = self.status(name).await?;
            let failed = crate::health::is_failed(&status.connector.state)
                || status
                    .tasks
                    .iter()
                    .any(|t| crate::health::is_failed(&t.state));
            if !failed {
                return Ok(Some(status));
            }
        }
        eprintln!(
            "{}: Confluent Cloud's Connect API has no restart; pausing and resuming it (all tasks restart)",
            crate::output::esc(name)
        );
        self.pause(name).await?;
        self.resume(name).await?;
        Ok(None)
    }

    pub async fn restart_task(&self, _name: &str, _task: u32) -> Result<(), ClientError> {
        Err(unsupported(
            "restart of a single task",
            "`connectctl restart NAME` restarts the connector and all its tasks",
        ))
    }

    /// `DELETE /connectors/{c}`, answered `{"error": null}`.
    pub async fn delete(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}", enc(name));
        self.rest
            .call_empty(Method::DELETE, &path, &[], None)
            .await
            .map(drop)
    }

    /// `GET /connectors/{c}/offsets`.
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, ClientError> {
        let path = format!("/connectors/{}/offsets", enc(name));
        let o: CloudOffsets = self.rest.call(Method::GET, &path, &[], None).await?;
        Ok(o.into())
    }

    /// `POST /connectors/{c}/offsets/request` with type PATCH, then its status polled until
    /// APPLIED or FAILED.
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: &ConnectorOffsets,
    ) -> Result<Message, ClientError> {
        let body = serde_json::json!({"type": "PATCH", "offsets": offsets.offsets});
        self.offsets_request(name, &body).await
    }

    /// The same with type DELETE: every offset back to where a new connector starts.
    pub async fn reset_offsets(&self, name: &str) -> Result<Message, ClientError> {
        self.offsets_request(name, &serde_json::json!({"type": "DELETE"}))
            .await
    }

    async fn offsets_request(
        &self,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<Message, ClientError> {
        let path = format!("/connectors/{}/offsets/request", enc(name));
        self.rest
            .call_empty(Method::POST, &path, &[], Some(body))
            .await?;
        let status_path = format!("{path}/status");
        let deadline = Instant::now() + self.offsets_timeout;
        let mut delay = Duration::from_millis(200);
        let mut told = None;
        loop {
            let s: OffsetRequestStatus =
                self.rest.call(Method::GET, &status_path, &[], None).await?;
            let phase = s.status.phase.to_ascii_uppercase();
            let detail = s
                .status
                .message
                .as_deref()
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            match phase.as_str() {
                "APPLIED" => {
                    let at = s.applied_at.map(|a| format!(" at {a}")).unwrap_or_default();
                    return Ok(Message {
                        message: format!("offsets request APPLIED{at}{detail}"),
                    });
                }
                "FAILED" => {
                    return Err(ClientError::Rejected(format!(
                        "the offsets request for {name} FAILED{detail}; the offsets are unchanged \
                         (`connectctl offsets {name}` shows them)"
                    )));
                }
                _ => {}
            }
            if told.as_deref() != Some(phase.as_str()) {
                eprintln!("{name}: offsets request {phase}; waiting until it is APPLIED or FAILED");
                told = Some(phase.clone());
            }
            if Instant::now() + delay > deadline {
                return Err(ClientError::Rejected(format!(
                    "the offsets request for {name} is still {phase} after {}s; check it later \
                     with `connectctl offsets {name}`",
                    self.offsets_timeout.as_secs()
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// `GET /connector-plugins`: the managed connectors this cluster offers.
    pub async fn plugins(&self, _connectors_only: bool) -> Result<Vec<PluginInfo>, ClientError> {
        self.rest
            .call(Method::GET, "/connector-plugins", &[], None)
            .await
    }

    /// The API has no plugin config endpoint, but validating a config that names only the
    /// class answers with every key's definition (what Confluent's own CLI does).
    pub async fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, ClientError> {
        let mut config = ConfigMap::new();
        config.insert("connector.class".to_owned(), plugin.to_owned());
        let infos = self.validate(plugin, &config).await?;
        Ok(infos.configs.into_iter().map(|c| c.definition).collect())
    }

    pub async fn loggers(&self) -> Result<Loggers, ClientError> {
        Err(unsupported(
            "logger endpoints",
            "managed connectors' logs are in the Cloud console",
        ))
    }

    pub async fn set_logger(
        &self,
        _name: &str,
        _level: &str,
        _scope: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        self.loggers().await.map(|_| Vec::new())
    }
}

/// Keys Confluent Cloud adds to every connector's config; a config file need not carry them.
pub const ADDED_KEYS: &[&str] = &[
    "cloud.environment",
    "cloud.provider",
    "kafka.endpoint",
    "kafka.region",
];

/// Makes Cloud's config of a connector comparable with a config file: the keys Cloud adds are
/// dropped unless the file sets them, and values Cloud masks (`****************`) are taken as
/// equal to the file's, since what they hide cannot be read. Returns the masked keys, which were
/// not compared.
pub fn comparable(live: &mut ConfigMap, desired: &ConfigMap) -> Vec<String> {
    live.retain(|k, _| !ADDED_KEYS.contains(&k.as_str()) || desired.contains_key(k));
    let mut hidden = Vec::new();
    for (k, v) in live.iter_mut() {
        let masked = v.len() >= 3 && v.chars().all(|c| c == '*');
        if masked {
            if let Some(d) = desired.get(k) {
                v.clone_from(d);
                hidden.push(k.clone());
            }
        }
    }
    hidden
}

/// The message of a Confluent Cloud error body: `{"error": {"code", "message"}}` or
/// `{"code", "message"}`; `None` for anything else.
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let err = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    let message = err.get("message")?.as_str()?.to_owned();
    // Validation failures list the offending keys next to the message.
    let details: Vec<String> = ["validation_errors", "errors"]
        .iter()
        .filter_map(|k| err.get(*k).or_else(|| v.get(*k)))
        .filter_map(|d| d.as_array())
        .flatten()
        .filter_map(|d| {
            d.as_str()
                .map(str::to_owned)
                .or_else(|| shapes::entry_text(d))
        })
        .collect();
    Some(if details.is_empty() {
        message
    } else {
        format!("{message} ({})", details.join("; "))
    })
}

/// The one-line reason a command cannot work on a Confluent Cloud context, if it cannot at all.
pub fn unsupported_command(command: &crate::cli::Command) -> Option<String> {
    use crate::cli::Command;
    let (what, instead) = match command {
        Command::Stop(_) => (
            "`stop`: the Connect API has no STOPPED state",
            "`connectctl pause NAME` stops processing",
        ),
        Command::Patch(_) => (
            "`patch`: the Connect API has no PATCH of config keys and masks secrets in the configs it returns",
            "change the config file and run `connectctl apply -f FILE`",
        ),
        Command::Topics(_) => (
            "`topics`: the Connect API does not track a connector's active topics",
            "`connectctl config NAME` shows its `topics`",
        ),
        Command::Loggers(_) => (
            "`loggers`: managed connectors' loggers are not exposed",
            "their logs are in the Cloud console",
        ),
        Command::Info(_) => (
            "`info`: the Connect API has no worker information",
            "`connectctl doctor` sweeps the connectors",
        ),
        Command::Health(_) => (
            "`health`: the Connect API has no worker health endpoint",
            "`connectctl doctor` sweeps the connectors",
        ),
        _ => return None,
    };
    Some(format!(
        "{what} on Confluent Cloud; {instead} (or use a Connect REST context)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_error_forms() {
        assert_eq!(
            error_message(br#"{"error":{"code":404,"message":"Connector x not found"}}"#)
                .as_deref(),
            Some("Connector x not found")
        );
        assert_eq!(
            error_message(br#"{"code":400,"message":"bad"}"#).as_deref(),
            Some("bad")
        );
        assert_eq!(
            error_message(
                br#"{"error":{"code":400,"message":"Invalid config","validation_errors":["topics: required"]}}"#
            )
            .as_deref(),
            Some("Invalid config (topics: required)")
        );
        assert_eq!(error_message(b"<html></html>"), None);
        assert_eq!(
            crate::client::error_message(br#"{"error":{"code":401,"message":"Unauthorized"}}"#),
            "Unauthorized"
        );
    }

    #[test]
    fn masked_and_added_keys_are_not_differences() {
        let live: ConfigMap = [
            ("cloud.provider", "aws"),
            ("kafka.api.secret", "****************"),
            ("topics", "a"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let desired: ConfigMap = [("kafka.api.secret", "s"), ("topics", "b")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut l = live.clone();
        assert_eq!(comparable(&mut l, &desired), vec!["kafka.api.secret"]);
        assert_eq!(l.len(), 2);
        assert_eq!(l["kafka.api.secret"], "s");
        assert_eq!(l["topics"], "a");
    }

    #[test]
    fn base_encodes_ids() {
        assert_eq!(
            cluster_base("https://api.confluent.cloud/", "env-1", "lkc-2"),
            "https://api.confluent.cloud/connect/v1/environments/env-1/clusters/lkc-2"
        );
    }
}
