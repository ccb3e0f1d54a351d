//! A contract server for Confluent Cloud's Connect API v1, built from Confluent's published
//! OpenAPI document (fixtures/ccloud/connect-v1-openapi.yaml).
//!
//! What it accepts comes from the document itself: a request whose path, method or query
//! parameter the document does not list, without the API key, or whose body does not match the
//! operation's request schema, is refused (404, 405, 401, 400). Its answers carry the document's
//! shapes plus the fields real responses add (`errors_from_trace`, `validation_errors`,
//! `error_summary`), errors as `{"error": {"code", "message"}}`, and every answer it gives is
//! checked against the operation's listed response codes and schemas; a mismatch is recorded as
//! a violation that the tests assert is absent. Faults are injected on demand: 429 storms with
//! `Retry-After`, offsets requests that fail.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};

pub const ENV: &str = "env-a1b2c3";
pub const CLUSTER: &str = "lkc-x9y8z7";
pub const API_KEY: &str = "CCAPIKEY0001";
pub const API_SECRET: &str = "cc-s3cret-value-never-printed";
/// A key that exists but has no access to this cluster: 403.
pub const FORBIDDEN_KEY: &str = "CCAPIKEYOTHER";

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ccloud/connect-v1-openapi.yaml"
);

// ---------------------------------------------------------------------------------------------
// The specification

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Op {
    pub method: String,
    /// Path segments; `{name}` segments are parameters.
    pub segments: Vec<String>,
    pub operation_id: String,
    /// Query parameters and their allowed values (empty: any).
    pub query: BTreeMap<String, Vec<String>>,
    pub body_schema: Option<Value>,
    /// Response code -> schema of its JSON body (Null when it has none).
    pub responses: BTreeMap<u16, Value>,
}

#[derive(Debug)]
pub struct Spec {
    pub doc: Value,
    pub ops: Vec<Op>,
}

impl Spec {
    pub fn load() -> Spec {
        let text = std::fs::read_to_string(SPEC_PATH).expect("the vendored specification");
        let doc: Value = serde_yaml::from_str(&text).expect("the specification is YAML");
        let mut ops: Vec<Op> = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            // The document keys the expanded list as `/connectors?expand=info,status,id`: the
            // same path as the plain list, with its query parameter.
            let bare = path.split('?').next().unwrap_or(path);
            for (method, op) in item.as_object().expect("path item") {
                let mut query = BTreeMap::new();
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["in"] == "query" {
                        let allowed = p["schema"]["enum"]
                            .as_array()
                            .map(|e| {
                                e.iter()
                                    .filter_map(|v| v.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        query.insert(p["name"].as_str().unwrap().to_owned(), allowed);
                    }
                }
                let body_schema = op
                    .get("requestBody")
                    .map(|rb| {
                        let rb = resolve(&doc, rb);
                        rb["content"]["application/json"]["schema"].clone()
                    })
                    .filter(|s| !s.is_null());
                let mut responses = BTreeMap::new();
                for (code, r) in op["responses"].as_object().into_iter().flatten() {
                    let r = resolve(&doc, r);
                    responses.insert(
                        code.parse().expect("numeric response code"),
                        r["content"]["application/json"]["schema"].clone(),
                    );
                }
                let segments: Vec<String> = bare
                    .trim_start_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                let method = method.to_ascii_uppercase();
                ops.push(Op {
                    method,
                    segments,
                    operation_id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                    query,
                    body_schema,
                    responses,
                });
            }
        }
        Spec { doc, ops }
    }

    /// The operations whose path matches, with the path parameters.
    fn matching(&self, path: &str) -> Vec<(&Op, BTreeMap<String, String>)> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.ops
            .iter()
            .filter_map(|op| {
                if op.segments.len() != segs.len() {
                    return None;
                }
                let mut params = BTreeMap::new();
                for (want, got) in op.segments.iter().zip(&segs) {
                    if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                        if got.is_empty() {
                            return None;
                        }
                        params.insert(name.to_owned(), percent_decode(got));
                    } else if want != got {
                        return None;
                    }
                }
                Some((op, params))
            })
            .collect()
    }
}

/// Follows `$ref` (one level at a time) within the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut cur = v;
    while let Some(r) = cur.get("$ref").and_then(Value::as_str) {
        let mut target = doc;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        cur = target;
    }
    cur
}

/// Checks `v` against a JSON schema of the document (the subset it uses: type, properties,
/// required, additionalProperties, items, enum, nullable, $ref). Returns what is wrong.
pub fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if schema.is_null() {
        return;
    }
    if v.is_null() {
        if schema["nullable"] != true {
            out.push(format!("{at}: null is not allowed"));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            out.push(format!(
                "{at}: {v} is not one of {}",
                Value::Array(allowed.clone())
            ));
        }
    }
    let ty = schema["type"]
        .as_str()
        .unwrap_or(if schema.get("properties").is_some() {
            "object"
        } else {
            ""
        });
    match ty {
        "object" => {
            let Some(obj) = v.as_object() else {
                out.push(format!("{at}: expected an object, got {v}"));
                return;
            };
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    out.push(format!("{at}: required field '{r}' is missing"));
                }
            }
            let props = schema["properties"].as_object();
            for (k, val) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => validate(doc, s, val, &format!("{at}.{k}"), out),
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => out.push(format!("{at}: unknown field '{k}'")),
                        s @ Value::Object(_) => validate(doc, s, val, &format!("{at}.{k}"), out),
                        _ => {}
                    },
                }
            }
        }
        "array" => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
                }
            }
            None => out.push(format!("{at}: expected an array, got {v}")),
        },
        "string" if !v.is_string() => out.push(format!("{at}: expected a string, got {v}")),
        "integer" if !(v.is_i64() || v.is_u64()) => {
            out.push(format!("{at}: expected an integer, got {v}"))
        }
        "boolean" if !v.is_boolean() => out.push(format!("{at}: expected a boolean, got {v}")),
        _ => {}
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(n) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// The server's state

/// One managed connector.
#[derive(Debug, Clone)]
pub struct Conn {
    pub id: String,
    pub config: BTreeMap<String, String>,
    pub state: String,
    pub trace: String,
    /// (state, msg) per task.
    pub tasks: Vec<(String, String)>,
    /// Fields real statuses carry beyond the document, merged into the status object.
    pub status_extra: Map<String, Value>,
    pub offsets: Vec<Value>,
}

impl Conn {
    pub fn kind(&self) -> &'static str {
        let class = self
            .config
            .get("connector.class")
            .map(String::as_str)
            .unwrap_or("");
        if class.to_ascii_lowercase().contains("sink") {
            "sink"
        } else {
            "source"
        }
    }
}

/// A pending or finished offsets request.
#[derive(Debug, Clone)]
struct OffsetsRequest {
    info: Value,
    /// Status polls left before it is decided.
    polls_left: u32,
    fail_with: Option<String>,
    previous: Vec<Value>,
    applied_at: Option<String>,
}

#[derive(Debug, Default)]
pub struct State {
    pub connectors: BTreeMap<String, Conn>,
    requests: BTreeMap<String, OffsetsRequest>,
    /// The next N requests are answered 429 with this Retry-After.
    pub rate_limit: Option<(u32, u64)>,
    pub served_429: u32,
    /// The next offsets request fails with this message.
    pub fail_next_offsets: Option<String>,
    /// Answers that broke the document (code not listed, body not matching its schema).
    pub violations: Vec<String>,
    /// Every request: "METHOD path?query" and the Authorization header.
    pub seen: Vec<(String, Option<String>)>,
    next_id: u32,
}

pub struct Server {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl Server {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Adds a connector directly (as if created earlier), in the given states.
    pub fn seed(&self, name: &str, class: &str, state: &str, tasks: &[(&str, &str)]) {
        let mut st = self.state();
        st.next_id += 1;
        let id = format!("lcc-{:05}", st.next_id);
        let mut config = cloud_config(name, class);
        if class.to_ascii_lowercase().contains("sink") {
            config.insert("topics".into(), "orders".into());
        }
        st.connectors.insert(
            name.to_owned(),
            Conn {
                id,
                config,
                state: state.to_owned(),
                trace: String::new(),
                tasks: tasks
                    .iter()
                    .map(|(s, m)| ((*s).to_owned(), (*m).to_owned()))
                    .collect(),
                status_extra: Map::new(),
                offsets: Vec::new(),
            },
        );
    }

    pub fn with_conn(&self, name: &str, f: impl FnOnce(&mut Conn)) {
        let mut st = self.state();
        f(st.connectors.get_mut(name).expect("seeded connector"));
    }

    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }
}

/// The config a created connector reads back: what was given plus what Cloud adds.
fn cloud_config(name: &str, class: &str) -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    c.insert("name".into(), name.into());
    c.insert("connector.class".into(), class.into());
    c.insert("kafka.api.key".into(), "KAFKAKEY".into());
    c.insert("kafka.api.secret".into(), "kafka-secret".into());
    c.insert("tasks.max".into(), "1".into());
    add_cloud_keys(&mut c);
    c
}

fn add_cloud_keys(c: &mut BTreeMap<String, String>) {
    c.insert("cloud.environment".into(), "prod".into());
    c.insert("cloud.provider".into(), "aws".into());
    c.insert(
        "kafka.endpoint".into(),
        "SASL_SSL://pkc-xxxxx.us-west-2.aws.confluent.cloud:9092".into(),
    );
    c.insert("kafka.region".into(), "us-west-2".into());
}

/// Cloud masks secrets in every config it returns.
fn masked(c: &BTreeMap<String, String>) -> Value {
    let m: Map<String, Value> = c
        .iter()
        .map(|(k, v)| {
            let secret = k == "kafka.api.key"
                || ["secret", "password", "credentials"]
                    .iter()
                    .any(|w| k.contains(w));
            let v = if secret {
                "****************".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), Value::String(v))
        })
        .collect();
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------
// Serving

pub fn start() -> Server {
    let spec = Arc::new(Spec::load());
    let state = Arc::new(Mutex::new(State::default()));
    let (tx, rx) = std::sync::mpsc::channel();
    let st = state.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move |req: Request<Body>| {
                let spec = spec.clone();
                let st = st.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
                        .await
                        .unwrap_or_default();
                    let auth = parts
                        .headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let query = parts.uri.query().unwrap_or("").to_owned();
                    let (code, headers, body) = handle(
                        &spec,
                        &st,
                        parts.method.as_str(),
                        parts.uri.path(),
                        &query,
                        auth.as_deref(),
                        &bytes,
                    );
                    let mut resp = Response::builder().status(code);
                    for (k, v) in headers {
                        resp = resp.header(k, v);
                    }
                    match body {
                        Some(b) => resp
                            .header("content-type", "application/json")
                            .body(Body::from(b.to_string()))
                            .unwrap(),
                        None => resp.body(Body::empty()).unwrap(),
                    }
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    Server {
        url: format!("http://{addr}"),
        state,
    }
}

fn err(code: u16, message: &str) -> (u16, Vec<(String, String)>, Option<Value>) {
    (
        code,
        Vec::new(),
        Some(json!({"error": {"code": code, "message": message}})),
    )
}

type Answer = (u16, Vec<(String, String)>, Option<Value>);

fn handle(
    spec: &Spec,
    state: &Mutex<State>,
    method: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut st = state.lock().unwrap();
    st.seen.push((
        format!(
            "{method} {path}{}",
            if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            }
        ),
        auth.map(str::to_owned),
    ));
    // Routing comes from the document: unknown paths 404, unknown methods 405.
    let matching = spec.matching(path);
    if matching.is_empty() {
        return err(404, &format!("no such path in the Connect API v1: {path}"));
    }
    // The plain list and the expanded list share a path: the query parameters given pick one.
    let given: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
        .collect();
    let mut candidates: Vec<_> = matching
        .into_iter()
        .filter(|(o, _)| o.method == method)
        .collect();
    if candidates.is_empty() {
        return err(405, &format!("{method} is not allowed on {path}"));
    }
    candidates.sort_by_key(|(o, _)| {
        let fits = given.iter().all(|k| o.query.contains_key(*k));
        (!fits, o.query.len())
    });
    let (op, params) = candidates.swap_remove(0);
    // Every operation needs the Cloud API key (HTTP Basic).
    let creds = auth
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    match creds.as_deref().and_then(|c| c.split_once(':')) {
        Some((k, s)) if k == API_KEY && s == API_SECRET => {}
        Some((k, _)) if k == FORBIDDEN_KEY => return err(403, "Forbidden"),
        _ => return err(401, "Unauthorized"),
    }
    if let Some((left, retry_after)) = st.rate_limit {
        if left > 0 {
            st.rate_limit = Some((left - 1, retry_after));
            st.served_429 += 1;
            return (
                429,
                vec![
                    ("Retry-After".into(), retry_after.to_string()),
                    ("X-RateLimit-Limit".into(), "80".into()),
                    ("X-RateLimit-Remaining".into(), "0".into()),
                    ("X-RateLimit-Reset".into(), retry_after.to_string()),
                ],
                None,
            );
        }
        st.rate_limit = None;
    }
    // Query parameters the operation does not list, or values outside their enum: 400.
    let mut expand: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        let Some(allowed) = op.query.get(k) else {
            return err(400, &format!("unknown query parameter '{k}'"));
        };
        for item in v.split(',') {
            if !allowed.is_empty() && !allowed.iter().any(|a| a == item) {
                return err(
                    400,
                    &format!("{k}={item} is not one of {}", allowed.join(", ")),
                );
            }
            expand.push(item.to_owned());
        }
    }
    // Bodies: only where the operation takes one, and matching its schema.
    let parsed: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(e) => return err(400, &format!("the body is not JSON: {e}")),
        }
    };
    match (&op.body_schema, &parsed) {
        (None, Some(_)) => return err(400, &format!("{} takes no body", op.operation_id)),
        (Some(_), None) => return err(400, &format!("{} needs a JSON body", op.operation_id)),
        (Some(schema), Some(v)) => {
            let mut problems = Vec::new();
            validate(&spec.doc, schema, v, "body", &mut problems);
            if !problems.is_empty() {
                return err(400, &problems.join("; "));
            }
        }
        (None, None) => {}
    }
    if params.get("environment_id").map(String::as_str) != Some(ENV)
        || params.get("kafka_cluster_id").map(String::as_str) != Some(CLUSTER)
    {
        return err(404, "account not found");
    }
    let name = params.get("connector_name").cloned().unwrap_or_default();
    let answer = answer(&mut st, &op.operation_id, &name, &params, &expand, parsed);
    // The server keeps to the document too.
    match op.responses.get(&answer.0) {
        None if answer.0 != 401 && answer.0 != 403 => st.violations.push(format!(
            "{} answered {}, which the document does not list",
            op.operation_id, answer.0
        )),
        Some(schema) => {
            if let Some(b) = &answer.2 {
                let mut problems = Vec::new();
                validate(&spec.doc, schema, b, "response", &mut problems);
                for p in problems {
                    st.violations
                        .push(format!("{} {}: {p}", op.operation_id, answer.0));
                }
            }
        }
        None => {}
    }
    answer
}

fn not_found(name: &str) -> Answer {
    err(404, &format!("Connector {name} not found"))
}

fn status_of(name: &str, c: &Conn) -> Value {
    let mut s = json!({
        "name": name,
        "type": c.kind(),
        "connector": {"state": c.state, "worker_id": name, "trace": c.trace},
        "tasks": c.tasks.iter().enumerate().map(|(i, (state, msg))| json!({
            "id": i, "state": state, "worker_id": name, "msg": msg,
        })).collect::<Vec<_>>(),
    });
    // Real statuses carry these beyond the document, empty when there is nothing to say.
    s["errors_from_trace"] = json!([]);
    s["validation_errors"] = json!([]);
    s["override_message"] = json!("");
    for (k, v) in &c.status_extra {
        s[k] = v.clone();
    }
    s
}

fn info_of(name: &str, c: &Conn) -> Value {
    json!({
        "name": name,
        "type": c.kind(),
        "config": masked(&c.config),
        "tasks": (0..c.tasks.len()).map(|i| json!({"connector": name, "task": i})).collect::<Vec<_>>(),
    })
}

fn now() -> String {
    "2026-11-30T12:00:00Z".to_owned()
}

fn answer(
    st: &mut State,
    op: &str,
    name: &str,
    params: &BTreeMap<String, String>,
    expand: &[String],
    body: Option<Value>,
) -> Answer {
    let ok = |code: u16, v: Value| (code, Vec::new(), Some(v));
    match op {
        "listConnectv1Connectors" | "listConnectv1ConnectorsWithExpansions" => {
            if expand.is_empty() {
                return ok(200, json!(st.connectors.keys().collect::<Vec<_>>()));
            }
            let mut map = Map::new();
            for (n, c) in &st.connectors {
                let mut e = Map::new();
                if expand.iter().any(|x| x == "id") {
                    e.insert("id".into(), json!({"id": c.id, "id_type": "ID"}));
                }
                if expand.iter().any(|x| x == "info") {
                    e.insert(
                        "info".into(),
                        json!({"name": n, "config": masked(&c.config)}),
                    );
                }
                if expand.iter().any(|x| x == "status") {
                    e.insert("status".into(), status_of(n, c));
                }
                map.insert(n.clone(), Value::Object(e));
            }
            ok(200, Value::Object(map))
        }
        "createConnectv1Connector" => {
            let body = body.unwrap_or_default();
            let Some(n) = body["name"].as_str().map(str::to_owned) else {
                return err(400, "name is required");
            };
            if st.connectors.contains_key(&n) {
                return err(400, &format!("Connector {n} already exists"));
            }
            let mut config: BTreeMap<String, String> = body["config"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            add_cloud_keys(&mut config);
            st.next_id += 1;
            let tasks: usize = config
                .get("tasks.max")
                .and_then(|t| t.parse().ok())
                .unwrap_or(1);
            let c = Conn {
                id: format!("lcc-{:05}", st.next_id),
                config,
                state: "PROVISIONING".into(),
                trace: String::new(),
                tasks: vec![("RUNNING".into(), String::new()); tasks],
                status_extra: Map::new(),
                offsets: Vec::new(),
            };
            let mut info = info_of(&n, &c);
            info["offsets"] = json!([]);
            st.connectors.insert(n, c);
            ok(201, info)
        }
        "readConnectv1Connector" => match st.connectors.get(name) {
            Some(c) => ok(200, info_of(name, c)),
            None => not_found(name),
        },
        "getConnectv1ConnectorConfig" => match st.connectors.get(name) {
            Some(c) => ok(200, masked(&c.config)),
            None => not_found(name),
        },
        "createOrUpdateConnectv1ConnectorConfig" => {
            let mut config: BTreeMap<String, String> = body
                .unwrap_or_default()
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            add_cloud_keys(&mut config);
            let next_id = st.next_id + 1;
            let c = st.connectors.entry(name.to_owned()).or_insert_with(|| Conn {
                id: format!("lcc-{next_id:05}"),
                config: BTreeMap::new(),
                state: "PROVISIONING".into(),
                trace: String::new(),
                tasks: vec![("RUNNING".into(), String::new())],
                status_extra: Map::new(),
                offsets: Vec::new(),
            });
            c.config = config;
            let info = info_of(name, c);
            st.next_id = next_id;
            ok(200, info)
        }
        "deleteConnectv1Connector" => match st.connectors.remove(name) {
            Some(_) => ok(200, json!({"error": null})),
            None => not_found(name),
        },
        "pauseConnectv1Connector" | "resumeConnectv1Connector" => {
            let Some(c) = st.connectors.get_mut(name) else {
                return not_found(name);
            };
            let to = if op.starts_with("pause") {
                "PAUSED"
            } else {
                "RUNNING"
            };
            c.state = to.into();
            for t in &mut c.tasks {
                t.0 = to.into();
                t.1.clear();
            }
            (202, Vec::new(), None)
        }
        "readConnectv1ConnectorStatus" => match st.connectors.get(name) {
            Some(c) => ok(200, status_of(name, c)),
            None => not_found(name),
        },
        "listConnectv1ConnectorTasks" => match st.connectors.get(name) {
            Some(c) => ok(
                200,
                json!((0..c.tasks.len())
                    .map(|i| json!({"id": {"connector": name, "task": i}, "config": masked(&c.config)}))
                    .collect::<Vec<_>>()),
            ),
            None => not_found(name),
        },
        "listConnectv1ConnectorPlugins" => ok(
            200,
            json!([
                {"class": "PostgresCdcSourceV2", "type": "source", "version": "0.1.0"},
                {"class": "PostgresSink", "type": "sink", "version": "0.1.0"},
                {"class": "S3_SINK", "type": "sink"},
            ]),
        ),
        "validateConnectv1ConnectorPlugin" => {
            let plugin = params.get("plugin_name").cloned().unwrap_or_default();
            let config = body.unwrap_or_default();
            let keys = [
                ("name", "STRING", true, "Sets a name for your connector."),
                ("connector.class", "STRING", true, ""),
                ("kafka.api.key", "PASSWORD", true, ""),
                ("kafka.api.secret", "PASSWORD", true, ""),
                ("topics", "LIST", true, "Identifies the topic name or a comma-separated list of topic names."),
                ("connection.password", "PASSWORD", false, "Password of the database user."),
                ("tasks.max", "INT", true, "Maximum number of tasks."),
            ];
            let mut errors = 0;
            let configs: Vec<Value> = keys
                .iter()
                .enumerate()
                .map(|(i, (k, ty, required, doc))| {
                    let value = config.get(*k).and_then(Value::as_str);
                    let mut errs = Vec::new();
                    // Only a real config is checked; the class alone asks for definitions.
                    if *required && value.is_none() && config.as_object().is_some_and(|o| o.len() > 1) {
                        errs.push(format!("\"{k}\" is required"));
                        errors += 1;
                    }
                    json!({
                        "definition": {"name": k, "type": ty, "required": required,
                            "default_value": "", "importance": "HIGH", "documentation": doc,
                            "group": "Connector", "width": "NONE", "display_name": k,
                            "dependents": [], "order": i, "alias": ""},
                        "value": {"name": k, "value": value.unwrap_or(""), "errors": errs,
                            "recommended_values": [], "visible": true},
                        "metadata": {},
                    })
                })
                .collect();
            ok(
                200,
                json!({"name": plugin, "error_count": errors, "groups": ["Connector"], "configs": configs}),
            )
        }
        "getConnectv1ConnectorOffsets" => match st.connectors.get(name) {
            Some(c) => ok(
                200,
                json!({"id": c.id, "name": name, "offsets": c.offsets,
                       "metadata": {"observed_at": now()}}),
            ),
            None => not_found(name),
        },
        "alterConnectv1ConnectorOffsetsRequest" => {
            let Some(c) = st.connectors.get(name) else {
                return not_found(name);
            };
            let body = body.unwrap_or_default();
            let kind = body["type"].as_str().unwrap_or_default().to_owned();
            let offsets = body["offsets"].as_array().cloned().unwrap_or_default();
            if kind == "PATCH" && offsets.is_empty() {
                return err(400, "a PATCH offsets request needs offsets");
            }
            let info = json!({"id": c.id, "name": name, "offsets": offsets,
                              "requested_at": now(), "type": kind});
            let previous = c.offsets.clone();
            let fail_with = st.fail_next_offsets.take();
            st.requests.insert(
                name.to_owned(),
                OffsetsRequest {
                    info: info.clone(),
                    polls_left: 2,
                    fail_with,
                    previous,
                    applied_at: None,
                },
            );
            ok(202, info)
        }
        "getConnectv1ConnectorOffsetsRequestStatus" => {
            if !st.connectors.contains_key(name) {
                return not_found(name);
            }
            let Some(mut r) = st.requests.get(name).cloned() else {
                return err(404, &format!("no offsets request for connector {name}"));
            };
            let phase;
            let mut message = String::new();
            if r.polls_left > 0 {
                phase = if r.polls_left == 2 {
                    "PENDING"
                } else {
                    "PENDING_VALIDATION"
                };
                r.polls_left -= 1;
            } else if let Some(m) = &r.fail_with {
                phase = "FAILED";
                message = m.clone();
            } else {
                phase = "APPLIED";
                if r.applied_at.is_none() {
                    r.applied_at = Some(now());
                    let c = st.connectors.get_mut(name).unwrap();
                    if r.info["type"] == "DELETE" {
                        c.offsets.clear();
                    } else {
                        for o in r.info["offsets"].as_array().into_iter().flatten() {
                            c.offsets.retain(|x| x["partition"] != o["partition"]);
                            if !o["offset"].is_null() {
                                c.offsets.push(o.clone());
                            }
                        }
                    }
                }
            }
            let out = json!({"request": r.info, "status": {"phase": phase, "message": message},
                             "previous_offsets": r.previous, "applied_at": r.applied_at});
            st.requests.insert(name.to_owned(), r);
            ok(200, out)
        }
        other => err(500, &format!("the contract server does not implement {other}")),
    }
}
