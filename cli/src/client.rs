//! HTTP client for the Kafka Connect REST API: one method per endpoint, typed with `connect_api`.

use std::time::Duration;

use connect_api::{ErrorMessage, ServerInfo};
use serde::de::DeserializeOwned;

/// What went wrong talking to Connect, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach Kafka Connect at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Kafka Connect at {url} answered {status}: {message}")]
    Api { url: String, status: u16, message: String },
    #[error("Kafka Connect at {url} sent a response connectctl cannot read")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
}

pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(100))
            .build()
            .map_err(|e| ClientError::Unreachable { url: base.to_owned(), reason: e.to_string() })?;
        Ok(Client { http, base: base.trim_end_matches('/').to_owned() })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let resp = self.http.get(&url).send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            reason: root_reason(&e),
        })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            reason: root_reason(&e),
        })?;
        if status >= 400 {
            let message = serde_json::from_slice::<ErrorMessage>(&body)
                .map(|e| e.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).trim().to_owned());
            return Err(ClientError::Api { url, status, message });
        }
        serde_json::from_slice(&body).map_err(|source| ClientError::Decode { url, source })
    }

    /// `GET /`
    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        self.get("/").await
    }
}

/// The innermost cause of a transport error ("Connection refused (os error 111)"), which is what
/// the user needs, rather than reqwest's outer "error sending request".
fn root_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
