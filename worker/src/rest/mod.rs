//! The REST API, shaped exactly like Apache Kafka Connect's. `router` builds the whole app so
//! tests can drive it without a socket.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use connect_api::{ServerInfo, WorkerStatus};

/// What the handlers share.
pub struct AppState {
    pub kafka_cluster_id: String,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .with_state(state)
}

async fn root(State(state): State<Arc<AppState>>) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: crate::CONNECT_API_VERSION.to_owned(),
        commit: concat!("connect-worker-", env!("CARGO_PKG_VERSION")).to_owned(),
        kafka_cluster_id: state.kafka_cluster_id.clone(),
        extra: Default::default(),
    })
}

async fn health() -> Json<WorkerStatus> {
    Json(WorkerStatus {
        status: "healthy".to_owned(),
        message: "Worker has completed startup and is ready to handle requests.".to_owned(),
        extra: Default::default(),
    })
}
