//! REST in a group: every worker serves the API; requests that change the cluster run on the
//! leader. A follower forwards them to the leader's URL with `?forward=true` (the leader then
//! does not forward again), as Apache's `HerderRequestHandler` does; while a rebalance is under
//! way such a request waits for it to end, and is answered 409 if it does not within the
//! rebalance timeout. Restarts are restart requests in the config topic, carried out by
//! the workers that run the connector and its tasks; a task restart goes to the task's worker.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connect_api::{ConnectorTaskId, State};

use super::config_store::KafkaConfigStore;
use super::herder::Membership;
use super::signature;
use crate::rest::ApiError;
use crate::runtime::herder::Herder;

#[derive(Clone)]
pub struct Cluster {
    pub membership: Arc<Membership>,
    pub configs: Arc<KafkaConfigStore>,
    pub herder: Arc<Herder>,
    pub client: reqwest::Client,
    /// How long a request that needs the leader waits for a rebalance under way to end before
    /// it is answered 409 (`rebalance.timeout.ms`).
    pub rebalance_wait: std::time::Duration,
    /// The signature algorithms accepted on internal requests
    /// (`inter.worker.verification.algorithms`).
    pub verification_algorithms: Vec<String>,
    /// Zombie fencing for exactly-once source connectors (`PUT /connectors/{c}/fence`).
    pub fencing: Arc<super::fencing::Fencing>,
}

pub const STALE_CONFIG: &str = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)";
pub const NO_LEADER: &str = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";
pub const TWO_HOPS: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

/// Puts the group rules in front of the standalone API.
pub fn wrap(api: Router, cluster: Cluster) -> Router {
    let cluster = Arc::new(cluster);
    api.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let cluster = cluster.clone();
            async move { route(&cluster, req, next).await }
        },
    ))
}

/// Which requests only the leader may serve.
fn leader_only(method: &Method, path: &str) -> bool {
    let write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    write && path.starts_with("/connectors") && !path.ends_with("/topics/reset")
}

fn forward_flag(query: Option<&str>) -> Option<bool> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("forward="))
        .map(|v| v.eq_ignore_ascii_case("true"))
}

/// `/connectors/{c}/tasks/{t}/restart` → (c, t); `/connectors/{c}/restart` → (c, None).
fn restart_target(path: &str) -> Option<(String, Option<u32>)> {
    let rest = path.strip_prefix("/connectors/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let decode = |s: &str| percent_decode(s);
    match parts.as_slice() {
        [c, "restart"] => Some((decode(c), None)),
        [c, "tasks", t, "restart"] => Some((decode(c), Some(t.parse().ok()?))),
        _ => None,
    }
}

/// `POST /connectors/{c}/tasks` (the internal endpoint) → c.
fn task_configs_target(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/connectors/")?;
    let c = rest.strip_suffix("/tasks")?;
    (!c.contains('/')).then(|| percent_decode(c))
}

/// `PUT /connectors/{c}/fence` (the internal endpoint) → c.
fn fence_target(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/connectors/")?;
    let c = rest.strip_suffix("/fence")?;
    (!c.contains('/')).then(|| percent_decode(c))
}

/// Whether a request is one of the internal endpoints signed under `sessioned`.
fn internal(method: &Method, path: &str) -> bool {
    (method == Method::POST && task_configs_target(path).is_some())
        || (method == Method::PUT && fence_target(path).is_some())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(cluster: &Cluster, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let method = req.method().clone();
    let forward = forward_flag(query.as_deref());
    // A task restart runs on the worker that runs the task.
    if method == Method::POST {
        if let Some((c, Some(t))) = restart_target(&path) {
            let id = ConnectorTaskId {
                connector: c,
                task: t,
            };
            if cluster.membership.runs_task_here(&id) {
                return restart_task_here(cluster, id).await;
            }
        }
    }
    if !leader_only(&method, &path) {
        return next.run(req).await;
    }
    // Internal requests are checked on whichever worker receives them, as Apache does, before
    // they are forwarded to the leader.
    let req = if internal(&method, &path) && cluster.membership.validates_requests() {
        match checked_signature(cluster, req).await {
            Ok(req) => req,
            Err(refused) => return refused,
        }
    } else {
        req
    };
    // Apache's herder queues REST requests and runs them on its tick thread once the rebalance
    // in progress has completed, so a write sent just after a config change (which makes the
    // group rebalance under the eager protocol) waits rather than failing; 409 only when the
    // group does not settle in time.
    if cluster.membership.is_rebalancing() {
        let deadline = tokio::time::Instant::now() + cluster.rebalance_wait;
        while cluster.membership.is_rebalancing() {
            if tokio::time::Instant::now() >= deadline {
                return ApiError::new(StatusCode::CONFLICT, STALE_CONFIG).into_response();
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    if cluster.membership.is_leader() {
        if method == Method::PUT {
            if let Some(c) = fence_target(&path) {
                return fence(cluster, c).await;
            }
        }
        if method == Method::POST {
            if let Some(c) = task_configs_target(&path) {
                return put_task_configs(cluster, c, req).await;
            }
            match restart_target(&path) {
                Some((c, None)) => return restart_connector(cluster, c, query.as_deref()).await,
                Some((c, Some(t))) => {
                    // Not running here: send it to the worker whose status says it runs it.
                    let owner = cluster
                        .herder
                        .statuses()
                        .tasks(&c)
                        .get(&t)
                        .map(|s| s.worker_id.clone());
                    return match owner {
                        Some(w) if w != cluster.herder.worker_id() => {
                            forward_to(
                                cluster,
                                &format!("http://{w}/"),
                                req,
                                &path,
                                query.as_deref(),
                                false,
                            )
                            .await
                        }
                        _ if cluster
                            .configs
                            .snapshot()
                            .tasks
                            .get(&c)
                            .is_some_and(|ts| (t as usize) < ts.len()) =>
                        {
                            ApiError::new(StatusCode::CONFLICT, TWO_HOPS).into_response()
                        }
                        // Apache's DistributedHerder.restartTask checks the connector first.
                        _ if !cluster.configs.snapshot().connectors.contains_key(&c) => {
                            ApiError::not_found(format!("Unknown connector: {c}")).into_response()
                        }
                        _ => ApiError::not_found(format!("Unknown task: {c}-{t}")).into_response(),
                    };
                }
                None => {}
            }
        }
        return next.run(req).await;
    }
    if forward == Some(false) {
        return ApiError::new(StatusCode::CONFLICT, TWO_HOPS).into_response();
    }
    let Some(leader) = cluster.membership.leader_url() else {
        return ApiError::new(StatusCode::CONFLICT, NO_LEADER).into_response();
    };
    forward_to(
        cluster,
        &leader,
        req,
        &path,
        query.as_deref(),
        forward.is_none(),
    )
    .await
}

/// Sends the request to another worker and relays its answer.
async fn forward_to(
    cluster: &Cluster,
    base: &str,
    req: Request,
    path: &str,
    query: Option<&str>,
    recursive: bool,
) -> Response {
    let mut url = format!("{}{}?forward={recursive}", base.trim_end_matches('/'), path);
    for kv in query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("forward="))
    {
        url.push('&');
        url.push_str(kv);
    }
    let method = req.method().clone();
    let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
    let signed: Vec<_> = [signature::SIGNATURE_HEADER, signature::ALGORITHM_HEADER]
        .into_iter()
        .filter_map(|h| Some((h, req.headers().get(h)?.clone())))
        .collect();
    let body = match axum::body::to_bytes(req.into_body(), 64 << 20).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::bad_request(format!("cannot read the request body: {e}"))
                .into_response();
        }
    };
    tracing::debug!("Forwarding request {url} {method}");
    let mut r = cluster.client.request(method, &url).body(body);
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    for (h, v) in signed {
        r = r.header(h, v);
    }
    match r.send().await {
        Ok(resp) => {
            let status = resp.status();
            let ct = resp.headers().get(header::CONTENT_TYPE).cloned();
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut out = Response::builder().status(status.as_u16());
            if let Some(ct) = ct {
                out = out.header(header::CONTENT_TYPE, ct);
            }
            out.body(Body::from(bytes))
                .unwrap_or_else(|_| ApiError::internal("bad forwarded response").into_response())
        }
        Err(e) => ApiError::internal(format!(
            "IO Error trying to forward REST request: {}",
            e.without_url()
        ))
        .into_response(),
    }
}

/// `POST /connectors/{c}/restart` on the leader: a restart request in the config topic; the
/// answer shows what will restart, as Apache's `restartConnectorAndTasks` plans it.
async fn restart_connector(cluster: &Cluster, c: String, query: Option<&str>) -> Response {
    let flag = |k: &str| {
        query
            .unwrap_or("")
            .split('&')
            .any(|kv| kv.eq_ignore_ascii_case(&format!("{k}=true")))
    };
    let (include_tasks, only_failed) = (flag("includeTasks"), flag("onlyFailed"));
    let herder = cluster.herder.clone();
    let configs = cluster.configs.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut status = herder
            .status(&c)
            .map_err(|_| ApiError::not_found(format!("Unknown connector: {c}")))?;
        configs
            .put_restart_request(&c, include_tasks, only_failed)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        if !only_failed || status.connector.state == State::Failed {
            status.connector.state = State::Restarting;
        }
        if include_tasks {
            for t in &mut status.tasks {
                if !only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                }
            }
        }
        Ok(Some(status))
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(format!("request failed: {e}"))));
    match result {
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Ok(Some(s)) => (StatusCode::ACCEPTED, axum::Json(s)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn restart_task_here(cluster: &Cluster, id: ConnectorTaskId) -> Response {
    let herder = cluster.herder.clone();
    let _ = tokio::task::spawn_blocking(move || herder.start_assigned_task(&id)).await;
    StatusCode::NO_CONTENT.into_response()
}

/// Checks the signature of an internal request under `sessioned` (Apache's
/// `requestNotSignedProperly`, with its status codes and messages), and gives the request back
/// whole when it holds.
async fn checked_signature(cluster: &Cluster, req: Request) -> Result<Request, Response> {
    let refuse =
        |status: StatusCode, message: String| ApiError::new(status, message).into_response();
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20).await.map_err(|e| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {e}"),
        )
    })?;
    let header = |h: &str| parts.headers.get(h).and_then(|v| v.to_str().ok());
    let (Some(algorithm), Some(encoded)) = (
        header(signature::ALGORITHM_HEADER),
        header(signature::SIGNATURE_HEADER),
    ) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Internal request missing required signature".into(),
        ));
    };
    if signature::key_size(algorithm) == 0 {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("Algorithm {algorithm} not available"),
        ));
    }
    use base64::Engine as _;
    let mac = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, e.to_string()))?;
    if !cluster
        .verification_algorithms
        .iter()
        .any(|a| a == algorithm)
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "This worker does not support the '{algorithm}' key signing algorithm used by other workers. This worker is currently configured to use: [{}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
                cluster.verification_algorithms.join(", ")
            ),
        ));
    }
    let Some(key) = cluster.configs.session_key() else {
        return Err(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "This worker is still starting up and has not been able to read a session key from the config topic yet".into(),
        ));
    };
    if !signature::verify(algorithm, &key.key, &body, &mac) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Internal request contained invalid signature.".into(),
        ));
    }
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// `POST /connectors/{c}/tasks` on the leader: task configs generated by the connector on
/// another worker (Apache's `InternalClusterResource.putTaskConfigs`), written with their commit.
async fn put_task_configs(cluster: &Cluster, c: String, req: Request) -> Response {
    let body = match axum::body::to_bytes(req.into_body(), 64 << 20).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::bad_request(format!("cannot read the request body: {e}"))
                .into_response();
        }
    };
    let configs: Vec<connect_api::ConfigMap> = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return ApiError::internal(format!("Cannot deserialize task configurations: {e}"))
                .into_response();
        }
    };
    let store = cluster.configs.clone();
    let result = tokio::task::spawn_blocking(move || {
        if !store.snapshot().connectors.contains_key(&c) {
            return Err(ApiError::not_found(format!("Connector {c} not found")));
        }
        tracing::info!(
            "Writing {} task configurations for connector '{c}' sent by another worker",
            configs.len()
        );
        store
            .put_task_configs(&c, &configs)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(format!("request failed: {e}"))));
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `PUT /connectors/{c}/fence` on the leader: a round of zombie fencing for an exactly-once
/// source connector whose task is starting on some worker (Apache's
/// `InternalClusterResource.fenceZombies`); 204 once done.
async fn fence(cluster: &Cluster, c: String) -> Response {
    let fencing = cluster.fencing.clone();
    match tokio::task::spawn_blocking(move || fencing.fence_as_leader(&c)).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(refused)) => ApiError::new(refused.status, refused.message).into_response(),
        Err(e) => ApiError::internal(format!("request failed: {e}")).into_response(),
    }
}

/// Adds the session-key signature of `body` to an internal request under `sessioned`. Without
/// a key yet the request goes unsigned; the leader answers 503 and it is tried again.
pub fn signed(
    request: reqwest::RequestBuilder,
    membership: &Membership,
    store: &KafkaConfigStore,
    algorithm: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    if !membership.validates_requests() {
        return request;
    }
    match store
        .session_key()
        .and_then(|k| signature::sign(algorithm, &k.key, body))
    {
        Some(mac) => {
            use base64::Engine as _;
            request
                .header(
                    signature::SIGNATURE_HEADER,
                    base64::engine::general_purpose::STANDARD.encode(mac),
                )
                .header(signature::ALGORITHM_HEADER, algorithm)
        }
        None => request,
    }
}

/// The task writer of a worker in a group: the leader writes the config topic itself; any
/// other worker sends the configs to the leader. Sending happens on a thread of its own, in
/// order, as Apache's workers forward task configs from an executor: a connector starting on a
/// follower must not wait for the leader, which may itself be waiting for that follower to
/// rejoin the group. A failed send is retried, 250 ms after the first failure doubling up to
/// 60 s (Apache's reconfiguration backoff), until it goes through, newer configs of the same
/// connector replace it, or the connector is deleted.
pub fn task_writer(
    membership: Arc<Membership>,
    algorithm: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    store: std::sync::Weak<KafkaConfigStore>,
) -> super::config_store::TaskWriter {
    let (tx, rx) = std::sync::mpsc::channel::<(String, Vec<connect_api::ConfigMap>)>();
    {
        let membership = membership.clone();
        let sender = Sender {
            membership,
            algorithm,
            client,
            runtime,
        };
        let spawned = std::thread::Builder::new()
            .name("task-config-sender".into())
            .spawn(move || sender.run(&rx, &store));
        if let Err(e) = spawned {
            tracing::error!("Cannot start the thread that sends task configs to the leader: {e}");
        }
    }
    let tx = Mutex::new(tx);
    Box::new(move |store, connector, configs| {
        if membership.is_leader() && !membership.is_rebalancing() {
            return store
                .put_task_configs(connector, configs)
                .map_err(|e| e.to_string());
        }
        tx.lock()
            .unwrap_or_else(|e| e.into_inner())
            .send((connector.to_owned(), configs.to_vec()))
            .map_err(|_| "the worker is stopping".to_owned())
    })
}

/// Why one attempt to send task configs did not go through.
enum NotSent {
    /// No leader to send to while the group rebalances: try again shortly.
    Rebalancing,
    Failed(String),
}

struct Sender {
    membership: Arc<Membership>,
    algorithm: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl Sender {
    fn run(
        &self,
        rx: &std::sync::mpsc::Receiver<(String, Vec<connect_api::ConfigMap>)>,
        store: &std::sync::Weak<KafkaConfigStore>,
    ) {
        const INITIAL: std::time::Duration = std::time::Duration::from_millis(250);
        const MAX: std::time::Duration = std::time::Duration::from_secs(60);
        let mut pending: std::collections::VecDeque<(String, Vec<connect_api::ConfigMap>)> =
            Default::default();
        let mut backoff = INITIAL;
        loop {
            if pending.is_empty() {
                match rx.recv() {
                    Ok(item) => pending.push_back(item),
                    Err(_) => return,
                }
            }
            // Newer configs of a connector replace older ones still waiting.
            while let Ok((c, configs)) = rx.try_recv() {
                match pending.iter_mut().find(|(p, _)| *p == c) {
                    Some(waiting) => waiting.1 = configs,
                    None => pending.push_back((c, configs)),
                }
            }
            let Some(store) = store.upgrade() else {
                return;
            };
            let Some((connector, configs)) = pending.front().cloned() else {
                continue;
            };
            if !store.has_connector(&connector) {
                pending.pop_front();
                continue;
            }
            match self.send_once(&store, &connector, &configs) {
                Ok(()) => {
                    pending.pop_front();
                    backoff = INITIAL;
                }
                Err(NotSent::Rebalancing) => {
                    drop(store);
                    std::thread::sleep(INITIAL);
                }
                Err(NotSent::Failed(e)) => {
                    tracing::error!(
                        "Request to leader to reconfigure connector tasks failed ({connector}): {e}; retrying in {} ms",
                        backoff.as_millis()
                    );
                    drop(store);
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX);
                }
            }
        }
    }

    /// Writes task configs (on the leader) or sends them to the leader's
    /// `POST /connectors/{c}/tasks`, signed under `sessioned`.
    fn send_once(
        &self,
        store: &KafkaConfigStore,
        connector: &str,
        configs: &[connect_api::ConfigMap],
    ) -> Result<(), NotSent> {
        let membership = &self.membership;
        if membership.is_leader() && !membership.is_rebalancing() {
            return store
                .put_task_configs(connector, configs)
                .map_err(|e| NotSent::Failed(e.to_string()));
        }
        let (Some(leader), false) = (membership.leader_url(), membership.is_rebalancing()) else {
            return Err(NotSent::Rebalancing);
        };
        let url = format!(
            "{}/connectors/{}/tasks?forward=true",
            leader.trim_end_matches('/'),
            urlencode(connector)
        );
        let body = serde_json::to_vec(configs).unwrap_or_default();
        let request = signed(
            self.client
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json"),
            membership,
            store,
            &self.algorithm,
            &body,
        );
        let sent = self
            .runtime
            .block_on(async { request.body(body).send().await });
        match sent {
            Ok(r) if r.status().is_success() => Ok(()),
            // The leader moved on or is rebalancing (Apache's 409s): ask again shortly.
            Ok(r) if r.status() == StatusCode::CONFLICT => Err(NotSent::Rebalancing),
            Ok(r) => Err(NotSent::Failed(format!(
                "the leader answered {}",
                r.status()
            ))),
            Err(e) => Err(NotSent::Failed(e.without_url().to_string())),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests_go_to_the_leader() {
        assert!(leader_only(&Method::POST, "/connectors"));
        assert!(leader_only(&Method::PUT, "/connectors/a/config"));
        assert!(leader_only(&Method::DELETE, "/connectors/a"));
        assert!(leader_only(&Method::PATCH, "/connectors/a/offsets"));
        assert!(!leader_only(&Method::GET, "/connectors/a/status"));
        assert!(!leader_only(&Method::PUT, "/connectors/a/topics/reset"));
        assert!(!leader_only(
            &Method::PUT,
            "/connector-plugins/x/config/validate"
        ));
        assert!(!leader_only(&Method::PUT, "/admin/loggers/root"));
    }

    #[test]
    fn paths_and_flags() {
        assert_eq!(forward_flag(Some("forward=false")), Some(false));
        assert_eq!(forward_flag(Some("a=b&forward=true")), Some(true));
        assert_eq!(forward_flag(Some("a=b")), None);
        assert_eq!(
            restart_target("/connectors/a%20b/restart"),
            Some(("a b".into(), None))
        );
        assert_eq!(
            restart_target("/connectors/c/tasks/2/restart"),
            Some(("c".into(), Some(2)))
        );
        assert_eq!(restart_target("/connectors/c/tasks/x/restart"), None);
        assert_eq!(
            task_configs_target("/connectors/c%2Fd/tasks"),
            Some("c/d".into())
        );
        assert_eq!(task_configs_target("/connectors/c/tasks/0/restart"), None);
        assert_eq!(fence_target("/connectors/c%20d/fence"), Some("c d".into()));
        assert!(internal(&Method::PUT, "/connectors/c/fence"));
        assert!(!internal(&Method::POST, "/connectors/c/fence"));
        assert!(!internal(&Method::PUT, "/connectors/c/config"));
        assert_eq!(urlencode("a b/c"), "a%20b%2Fc");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
