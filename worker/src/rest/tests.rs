//! The REST API driven without a socket. Tasks are handed to a runtime that only records them,
//! so these tests check the API and the herder; the Kafka loops are covered end to end in
//! `worker/tests/`.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use connect_api::{ConfigMap, ConnectorOffset, ConnectorTaskId, State};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{AppState, router};
use crate::error::ConnectError;
use crate::runtime::herder::{Herder, Runtime, TaskSpec};
use crate::runtime::store::{
    FileOffsetStore, MemoryConfigStore, MemoryStatusStore, Status, StatusStore,
};
use crate::validation::WorkerDefaults;

/// Marks tasks RUNNING and remembers which are running.
struct RecordingRuntime {
    statuses: Arc<dyn StatusStore>,
    running: Mutex<Vec<ConnectorTaskId>>,
}

impl Runtime for RecordingRuntime {
    fn start_task(&self, spec: TaskSpec) {
        let status = Status {
            state: State::Running,
            trace: None,
            worker_id: "w:1".into(),
        };
        self.statuses.put_task(&spec.id, status);
        self.running.lock().unwrap().push(spec.id);
    }
    fn stop_task(&self, id: &ConnectorTaskId) {
        self.running.lock().unwrap().retain(|t| t != id);
    }
    fn sink_offsets(&self, _: &str, _: &ConfigMap) -> Result<Vec<ConnectorOffset>, ConnectError> {
        Ok(Vec::new())
    }
    fn alter_sink_offsets(
        &self,
        _: &str,
        _: &ConfigMap,
        _: &[ConnectorOffset],
    ) -> Result<(), ConnectError> {
        Ok(())
    }
    fn reset_sink_offsets(&self, _: &str) -> Result<(), ConnectError> {
        Ok(())
    }
}

struct Api {
    app: axum::Router,
    runtime: Arc<RecordingRuntime>,
    herder: Arc<Herder>,
}

fn api() -> Api {
    let statuses: Arc<dyn StatusStore> = Arc::new(MemoryStatusStore::default());
    let runtime = Arc::new(RecordingRuntime {
        statuses: statuses.clone(),
        running: Mutex::default(),
    });
    let herder = Arc::new(Herder::new(
        Arc::new(MemoryConfigStore::default()),
        statuses,
        Arc::new(FileOffsetStore::in_memory()),
        runtime.clone(),
        "w:1".into(),
        WorkerDefaults::default(),
    ));
    let app = router(Arc::new(AppState::new("cluster-1".into(), herder.clone())));
    Api {
        app,
        runtime,
        herder,
    }
}

impl Api {
    async fn call_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost:8083");
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_owned())))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let loc = resp
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, loc, json)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let text = body.map(|b| b.to_string());
        let (s, _, j) = self.call_raw(method, path, text.as_deref()).await;
        (s, j)
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/../fixtures/rest/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The entry of a captured `?expand=` answer whose connector name starts with `prefix` (the
/// capture script names connectors `fx-src-<time>`).
fn fixture_connector<'a>(expanded: &'a Value, prefix: &str) -> &'a Value {
    expanded
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.starts_with(prefix)))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {prefix}* connector in the fixture"))
}

/// `listing` without the connectors that `apache`'s listing lacks: this worker ships connectors
/// (CDC, JDBC) that the Apache worker of the fixtures has not installed.
fn apache_connectors_only(listing: Value, apache: &Value) -> Value {
    let known: Vec<&Value> = apache
        .as_array()
        .map(|a| a.iter().map(|p| &p["class"]).collect())
        .unwrap_or_default();
    match listing {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|p| {
                    (!matches!(p["type"].as_str(), Some("source" | "sink"))
                        || known.contains(&&p["class"]))
                        && !is_addition(p["class"].as_str().unwrap_or_default())
                })
                .collect(),
        ),
        other => other,
    }
}

/// Plugins this worker has beyond Apache's own (Confluent's AvroConverter), left out of the
/// comparisons with Apache's listings like the extra connectors.
pub(crate) fn is_addition(class: &str) -> bool {
    class.starts_with("io.confluent.")
}

/// A "no such connector class" message without the connectors `apache`'s message lacks (see
/// [`apache_connectors_only`]).
pub(crate) fn without_extra_connectors(ours: &str, apache: &str) -> String {
    let marker = "available connectors are: ";
    let Some((head, list)) = ours.split_once(marker) else {
        return ours.to_owned();
    };
    let kept: Vec<String> = list
        .split(", PluginDesc{")
        .enumerate()
        .map(|(i, d)| {
            if i == 0 {
                d.to_owned()
            } else {
                format!("PluginDesc{{{d}")
            }
        })
        .filter(|d| apache.contains(d.as_str()))
        .collect();
    format!("{head}{marker}{}", kept.join(", "))
}

/// Apache's message for a connector class it looked up for the first time: a repeated lookup
/// rethrows the cached failure wrapped in a ConnectException, whose name then leads the message.
fn first_lookup_message(m: &str) -> &str {
    m.strip_prefix("org.apache.kafka.connect.errors.ConnectException: ")
        .unwrap_or(m)
}

fn source_config(name: &str) -> Value {
    json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": "/tmp/in.txt",
        "topic": "t",
        "name": name,
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    })
}

/// Keys of a JSON object, recursively, to compare shapes.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::String(_) => json!("s"),
        Value::Number(_) => json!(0),
        Value::Bool(_) => json!(true),
        Value::Null => Value::Null,
    }
}

#[tokio::test]
async fn create_read_update_delete() {
    let a = api();
    let (s, loc, body) = a
        .call_raw(
            "POST",
            "/connectors",
            Some(&json!({"name": "src", "config": source_config("src")}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(loc.as_deref(), Some("http://localhost:8083/connectors/src"));
    assert_eq!(shape(&body), shape(&fixture("connector-info-created.json")));
    assert_eq!(body["type"], "source");

    let (s, body) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "src", "config": source_config("src")})),
        )
        .await;
    assert_eq!(
        (s, body["message"].as_str()),
        (StatusCode::CONFLICT, Some("Connector src already exists"))
    );
    assert_eq!(body["error_code"], 409);

    let (s, body) = a.call("GET", "/connectors", None).await;
    assert_eq!((s, body), (StatusCode::OK, json!(["src"])));
    let (_, body) = a.call("GET", "/connectors/src/config", None).await;
    assert_eq!(body["topic"], "t");

    let (s, body) = a.call("GET", "/connectors/src/status", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shape(&body), shape(&fixture("status-running.json")));

    let (s, body) = a.call("GET", "/connectors/src/tasks", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body[0]["config"]["task.class"],
        "org.apache.kafka.connect.file.FileStreamSourceTask"
    );
    // The single task gets the connector's config as given, as Apache's FileStreamSource does.
    assert_eq!(body[0]["config"]["topic"], "t");
    assert_eq!(body[0]["config"]["batch.size"], Value::Null);

    let mut cfg = source_config("src");
    cfg["topic"] = json!("t2");
    let (s, body) = a
        .call("PUT", "/connectors/src/config", Some(cfg.clone()))
        .await;
    assert_eq!(
        (s, body["config"]["topic"].as_str()),
        (StatusCode::OK, Some("t2"))
    );
    let (s, loc, _) = a
        .call_raw(
            "PUT",
            "/connectors/other/config",
            Some(&source_config("other").to_string()),
        )
        .await;
    assert_eq!(
        (s, loc.as_deref()),
        (
            StatusCode::CREATED,
            Some("http://localhost:8083/connectors/other")
        )
    );

    let (s, body) = a
        .call(
            "PATCH",
            "/connectors/src/config",
            Some(json!({"batch.size": "10", "file": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["config"]["batch.size"], "10");
    assert!(body["config"].get("file").is_none());

    let (s, body) = a
        .call("GET", "/connectors?expand=status&expand=info", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let expanded = fixture("connectors-expand.json");
    let real = fixture_connector(&expanded, "fx-src-");
    assert_eq!(shape(&body["src"]["status"]), shape(&real["status"]));
    assert_eq!(
        shape(&body["src"]["info"]["tasks"]),
        shape(&real["info"]["tasks"])
    );

    let (s, _) = a.call("DELETE", "/connectors/src", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        a.call("GET", "/connectors/src", None).await.1,
        json!({"error_code": 404, "message": "Connector src not found"})
    );
    assert!(
        a.runtime
            .running
            .lock()
            .unwrap()
            .iter()
            .all(|t| t.connector != "src")
    );
}

#[tokio::test]
async fn errors_match_apache() {
    let a = api();
    let cases: Vec<(&str, &str, Option<Value>, u16, &str)> = vec![
        (
            "GET",
            "/connectors/nope",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "GET",
            "/connectors/nope/config",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "GET",
            "/connectors/nope/tasks",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "GET",
            "/connectors/nope/status",
            None,
            404,
            "No status found for connector nope",
        ),
        (
            "GET",
            "/connectors/nope/tasks/0/status",
            None,
            404,
            "No status found for task nope-0",
        ),
        (
            "GET",
            "/connectors/nope/offsets",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "DELETE",
            "/connectors/nope/offsets",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "PUT",
            "/connectors/nope/pause",
            None,
            404,
            "Unknown connector nope",
        ),
        (
            "PUT",
            "/connectors/nope/resume",
            None,
            404,
            "Unknown connector nope",
        ),
        (
            "PUT",
            "/connectors/nope/stop",
            None,
            404,
            "Unknown connector nope",
        ),
        (
            "POST",
            "/connectors/nope/restart",
            None,
            404,
            "Unknown connector: nope",
        ),
        (
            "POST",
            "/connectors/nope/tasks/0/restart",
            None,
            404,
            "Unknown connector: nope",
        ),
        (
            "DELETE",
            "/connectors/nope",
            None,
            404,
            "Connector nope not found",
        ),
        (
            "PATCH",
            "/connectors/nope/config",
            Some(json!({"a": "b"})),
            404,
            "Connector nope not found",
        ),
        (
            "PATCH",
            "/connectors/nope/offsets",
            Some(json!({"offsets": []})),
            400,
            "Partitions / offsets need to be provided for an alter offsets request",
        ),
        ("GET", "/nope", None, 404, "HTTP 404 Not Found"),
        (
            "GET",
            "/connectors/nope/tasks/x/status",
            None,
            404,
            "HTTP 404 Not Found",
        ),
        (
            "DELETE",
            "/connectors",
            None,
            405,
            "HTTP 405 Method Not Allowed",
        ),
        (
            "POST",
            "/connectors",
            Some(json!({"name": "x", "config": {"topics": "t"}})),
            400,
            "Connector config {name=x, topics=t} contains no connector type",
        ),
        (
            "POST",
            "/connectors",
            Some(
                json!({"name": "x", "config": {"connector.class": "FileStreamSink", "topics": "t", "name": "y"}}),
            ),
            400,
            "Connector name configuration (y) doesn't match connector name in the URL (x)",
        ),
        (
            "POST",
            "/connectors",
            Some(json!({"config": {"connector.class": "FileStreamSink", "topics": "t"}})),
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\nInvalid value  for configuration name: String may not be empty\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
        ),
        (
            "POST",
            "/connectors",
            Some(json!({"name": "x"})),
            500,
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        ),
        (
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({"connector.class": "FileStreamSource"})),
            400,
            "Included connector type FileStreamSource does not match request type FileStreamSink",
        ),
        (
            "GET",
            "/connector-plugins/com.example.Nope/config",
            None,
            404,
            "Unknown plugin com.example.Nope.",
        ),
        (
            "GET",
            "/admin/loggers/com.nonexistent",
            None,
            404,
            "Logger com.nonexistent not found.",
        ),
        (
            "PUT",
            "/admin/loggers/x",
            Some(json!({})),
            400,
            "Desired 'level' parameter was not specified in request.",
        ),
        (
            "PUT",
            "/admin/loggers/x",
            Some(json!({"level": "LOUD"})),
            404,
            "invalid log level 'LOUD'.",
        ),
    ];
    for (method, path, body, code, message) in cases {
        let (s, got) = a.call(method, path, body).await;
        assert_eq!(
            got,
            json!({"error_code": code, "message": message}),
            "{method} {path}"
        );
        assert_eq!(s.as_u16(), code, "{method} {path}");
    }
    let fx = fixture("error-400-unknown-class.json");
    // The fixture may come from a repeated lookup, which Apache wraps (see below).
    let expected = first_lookup_message(fx["message"].as_str().unwrap()).replace(
        "com.example.DoesNotExistConnector",
        "com.example.RestTestConnector",
    );
    let create_unknown =
        json!({"name": "x", "config": {"connector.class": "com.example.RestTestConnector"}});
    let (s, got) = a
        .call("POST", "/connectors", Some(create_unknown.clone()))
        .await;
    assert_eq!(
        (
            s,
            got["message"]
                .as_str()
                .map(|m| without_extra_connectors(m, &expected))
        ),
        (StatusCode::BAD_REQUEST, Some(expected.clone()))
    );
    // Apache rethrows its cached lookup failure wrapped in a ConnectException; this worker
    // answers the same request with the same message, whatever came before.
    let (_, got) = a.call("POST", "/connectors", Some(create_unknown)).await;
    assert_eq!(
        without_extra_connectors(got["message"].as_str().unwrap(), &expected),
        expected
    );
    let (s, got) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "x", "config": {"connector.class": "FileStreamSink"}})),
        )
        .await;
    assert_eq!(
        (s, got),
        (
            StatusCode::BAD_REQUEST,
            fixture("error-400-invalid-config.json")
        )
    );
    // Malformed JSON is a 500 with the parser's message, as in Apache.
    let (s, _, got) = a
        .call_raw("POST", "/connectors", Some("{\"name\":\"x\",\"config\":{"))
        .await;
    assert_eq!(
        (s, got["error_code"].as_u64()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some(500))
    );
    assert!(got["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (s, _, got) = a.call_raw("POST", "/connectors", Some("[1]")).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        got["message"]
            .as_str()
            .unwrap()
            .contains("from Array value")
    );
}

#[tokio::test]
async fn lifecycle_pause_stop_restart_offsets() {
    let a = api();
    let (s, _) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "src", "config": source_config("src")})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let state = |v: &Value| {
        (
            v["connector"]["state"].as_str().unwrap().to_owned(),
            v["tasks"].as_array().unwrap().len(),
        )
    };

    assert_eq!(
        a.call("PUT", "/connectors/src/pause", None).await.0,
        StatusCode::ACCEPTED
    );
    let (_, st) = a.call("GET", "/connectors/src/status", None).await;
    assert_eq!(state(&st), ("PAUSED".into(), 1));
    assert_eq!(st["tasks"][0]["state"], "PAUSED");
    assert!(a.runtime.running.lock().unwrap().is_empty());

    // Offsets may only change once the connector is STOPPED.
    let alter = json!({"offsets": [{"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 30}}]});
    let (s, body) = a
        .call("PATCH", "/connectors/src/offsets", Some(alter.clone()))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"].as_str().unwrap(),
        regex::Regex::new("fx-src-[0-9]+").unwrap().replace(
            fixture("error-400-offsets-not-stopped.json")["message"]
                .as_str()
                .unwrap(),
            "src"
        )
    );

    assert_eq!(
        a.call("PUT", "/connectors/src/stop", None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, st) = a.call("GET", "/connectors/src/status", None).await;
    assert_eq!(shape(&st), shape(&fixture("status-stopped.json")));
    assert_eq!(state(&st), ("STOPPED".into(), 0));
    assert_eq!(
        a.call("GET", "/connectors/src/tasks", None).await.1,
        json!([])
    );

    let (s, body) = a
        .call("PATCH", "/connectors/src/offsets", Some(alter))
        .await;
    assert_eq!((s, body), (StatusCode::OK, fixture("offsets-altered.json")));
    let (_, body) = a.call("GET", "/connectors/src/offsets", None).await;
    assert_eq!(
        body,
        json!({"offsets": [{"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 30}}]})
    );
    let bad = json!({"offsets": [{"partition": {"filename": "f"}, "offset": {"position": -1}}]});
    let (s, body) = a.call("PATCH", "/connectors/src/offsets", Some(bad)).await;
    // The connector's ConnectException: a 500, as in Apache.
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let (s, body) = a.call("DELETE", "/connectors/src/offsets", None).await;
    assert_eq!(
        (s, body),
        (
            StatusCode::OK,
            json!({"message": "The offsets for this connector have been reset successfully"})
        )
    );
    assert_eq!(
        a.call("GET", "/connectors/src/offsets", None).await.1,
        json!({"offsets": []})
    );

    assert_eq!(
        a.call("PUT", "/connectors/src/resume", None).await.0,
        StatusCode::ACCEPTED
    );
    let (_, st) = a.call("GET", "/connectors/src/status", None).await;
    assert_eq!(state(&st), ("RUNNING".into(), 1));
    assert_eq!(a.runtime.running.lock().unwrap().len(), 1);

    // Restart: plain is 204; with tasks it is 202 and shows RESTARTING.
    assert_eq!(
        a.call("POST", "/connectors/src/restart", None).await.0,
        StatusCode::NO_CONTENT
    );
    let (s, body) = a
        .call("POST", "/connectors/src/restart?includeTasks=true", None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(body["connector"]["state"], "RESTARTING");
    assert_eq!(body["tasks"][0]["state"], "RESTARTING");
    // Nothing failed, so onlyFailed restarts nothing and shows the current states.
    let (s, body) = a
        .call(
            "POST",
            "/connectors/src/restart?includeTasks=true&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(
        (s, body["tasks"][0]["state"].as_str()),
        (StatusCode::ACCEPTED, Some("RUNNING"))
    );
    // A failed task is restarted by onlyFailed.
    let id = ConnectorTaskId {
        connector: "src".into(),
        task: 0,
    };
    a.herder.statuses().put_task(
        &id,
        Status {
            state: State::Failed,
            trace: Some("x.Y: boom\n".into()),
            worker_id: "w:1".into(),
        },
    );
    let (_, body) = a
        .call(
            "POST",
            "/connectors/src/restart?includeTasks=true&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(shape(&body), shape(&fixture("restart-only-failed.json")));
    assert_eq!(body["tasks"][0]["state"], "RESTARTING");
    assert_eq!(body["tasks"][0]["trace"], "x.Y: boom\n");
    assert_eq!(
        a.call("GET", "/connectors/src/tasks/0/status", None)
            .await
            .1["state"],
        "RUNNING"
    );
    assert_eq!(
        a.call("POST", "/connectors/src/tasks/0/restart", None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (s, body) = a
        .call("POST", "/connectors/src/tasks/7/restart", None)
        .await;
    assert_eq!(
        (s, body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("Unknown task: src-7"))
    );

    // initial_state
    let (s, _) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "p", "config": source_config("p"), "initial_state": "stopped"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        a.call("GET", "/connectors/p/status", None).await.1["connector"]["state"],
        "STOPPED"
    );
    let (s, body) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "q", "config": source_config("q"), "initial_state": "bogus"})),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("InitialState.BOGUS")
    );

    let (s, body) = a.call("GET", "/connectors/src/topics", None).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"src": {"topics": []}})));
    assert_eq!(
        a.call("PUT", "/connectors/src/topics/reset", None).await.0,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn plugins_and_validation() {
    let a = api();
    let (s, body) = a.call("GET", "/connector-plugins", None).await;
    let apache = fixture("connector-plugins.json");
    assert_eq!(
        (s, apache_connectors_only(body, &apache)),
        (StatusCode::OK, apache.clone())
    );
    let (_, all) = a
        .call("GET", "/connector-plugins?connectorsOnly=false", None)
        .await;
    // The same plugins as Apache's, of the same types, in the same order.
    assert_eq!(
        apache_connectors_only(all, &apache),
        fixture("connector-plugins-all.json")
    );
    let (s, body) = a
        .call("GET", "/connector-plugins/FileStreamSink/config", None)
        .await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, fixture("plugin-config-filestreamsink.json"))
    );
    let (s, body) = a
        .call(
            "GET",
            "/connector-plugins/org.apache.kafka.connect.file.FileStreamSinkConnector/config",
            None,
        )
        .await;
    assert_eq!(
        (s, body),
        (StatusCode::OK, fixture("plugin-config-filestreamsink.json"))
    );

    let (s, body) = a
        .call(
            "PUT",
            "/connector-plugins/FileStreamSinkConnector/config/validate",
            Some(json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "name": "x", "tasks.max": "zero", "errors.tolerance": "sometimes"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["error_count"], 5);
    assert_eq!(shape(&body), shape(&fixture("validate-errors.json")));
    let (s, body) = a
        .call(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(json!({"topics": "a"})),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body["message"],
        "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config {topics=a} contains no connector type"
    );
}

#[tokio::test]
async fn topic_tracking_can_be_disabled() {
    let a = api();
    let worker: std::collections::BTreeMap<String, String> =
        [("topic.tracking.allow.reset".to_owned(), "false".to_owned())].into();
    let state = AppState::new("c".into(), a.herder.clone()).with_topic_tracking(&worker);
    let b = Api {
        app: router(Arc::new(state)),
        runtime: a.runtime.clone(),
        herder: a.herder.clone(),
    };
    assert_eq!(
        b.call("GET", "/connectors/x/topics", None).await.0,
        StatusCode::OK
    );
    let (s, body) = b.call("PUT", "/connectors/x/topics/reset", None).await;
    assert_eq!(
        (s, body),
        (
            StatusCode::FORBIDDEN,
            json!({"error_code": 403, "message": "Topic tracking reset is disabled."})
        )
    );
    let worker: std::collections::BTreeMap<String, String> =
        [("topic.tracking.enable".to_owned(), "false".to_owned())].into();
    let state = AppState::new("c".into(), a.herder.clone()).with_topic_tracking(&worker);
    let c = Api {
        app: router(Arc::new(state)),
        runtime: a.runtime.clone(),
        herder: a.herder.clone(),
    };
    let (s, body) = c.call("GET", "/connectors/x/topics", None).await;
    assert_eq!(
        (s, body),
        (
            StatusCode::FORBIDDEN,
            json!({"error_code": 403, "message": "Topic tracking is disabled."})
        )
    );
}

#[tokio::test]
async fn loggers_and_root() {
    let a = api();
    let (s, body) = a.call("GET", "/", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shape(&body), shape(&fixture("root.json")));
    assert_eq!(
        a.call("GET", "/health", None).await.1,
        fixture("health.json")
    );
    let (_, body) = a.call("GET", "/admin/loggers/root", None).await;
    assert_eq!(body, fixture("logger.json"));
    let (s, body) = a
        .call(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect.file",
            Some(json!({"level": "debug"})),
        )
        .await;
    // As Apache: the namespace (created) and every existing logger under it, sorted.
    assert_eq!(
        (s, body),
        (
            StatusCode::OK,
            json!([
                "org.apache.kafka.connect.file",
                "org.apache.kafka.connect.file.FileStreamSinkTask",
                "org.apache.kafka.connect.file.FileStreamSourceTask"
            ])
        )
    );
    let (_, body) = a.call("GET", "/admin/loggers", None).await;
    assert_eq!(body["org.apache.kafka.connect.file"]["level"], "DEBUG");
    assert!(body["org.apache.kafka.connect.file"]["last_modified"].is_i64());
    assert_eq!(
        body["org.apache.kafka.connect.runtime.WorkerSinkTask"],
        json!({"level": "INFO", "last_modified": null})
    );
    // Loggers already at the level are not changed, and not listed.
    let (s, body) = a
        .call(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect.file",
            Some(json!({"level": "DEBUG"})),
        )
        .await;
    assert_eq!((s, body), (StatusCode::OK, json!([])));
    let (s, body) = a
        .call("GET", "/admin/loggers/org.apache.kafka.connect", None)
        .await;
    assert_eq!(
        (s, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error_code": 404, "message": "Logger org.apache.kafka.connect not found."})
        )
    );
    let (s, body) = a
        .call("PUT", "/admin/loggers/x", Some(json!({"level": "bogus"})))
        .await;
    assert_eq!(
        (s, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error_code": 404, "message": "invalid log level 'bogus'."})
        )
    );
    let (s, body) = a
        .call(
            "PUT",
            "/admin/loggers/x?scope=cluster",
            Some(json!({"level": "INFO"})),
        )
        .await;
    assert_eq!((s, body), (StatusCode::NO_CONTENT, Value::Null));
}

/// Property test: any JSON body sent to any endpoint is answered, never panics, and every error
/// is Connect's JSON error body with the status as its `error_code`.
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    const ENDPOINTS: &[(&str, &str)] = &[
        ("POST", "/connectors"),
        ("PUT", "/connectors/p-1/config"),
        ("PATCH", "/connectors/p-1/config"),
        ("PATCH", "/connectors/p-1/offsets"),
        ("PUT", "/connector-plugins/FileStreamSink/config/validate"),
        ("PUT", "/connector-plugins/FileStreamSource/config/validate"),
        ("PUT", "/admin/loggers/p.logger"),
        ("PUT", "/admin/loggers/root?scope=cluster"),
        ("POST", "/connectors/p-1/restart?includeTasks=true"),
        ("PUT", "/connectors/p-1/pause"),
        ("PUT", "/connectors/p-1/stop"),
        ("DELETE", "/connectors/p-1/offsets"),
        ("GET", "/connectors?expand=status&expand=info"),
    ];

    /// JSON bodies of every shape, biased towards the keys the endpoints read.
    fn any_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("name".to_owned()),
            Just("config".to_owned()),
            Just("initial_state".to_owned()),
            Just("offsets".to_owned()),
            Just("partition".to_owned()),
            Just("offset".to_owned()),
            Just("level".to_owned()),
            Just("connector.class".to_owned()),
            Just("topics".to_owned()),
            Just("file".to_owned()),
            Just("tasks.max".to_owned()),
            any::<String>(),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![
                Just("FileStreamSink".to_owned()),
                Just("DEBUG".to_owned()),
                Just("PAUSED".to_owned()),
                Just("p-1".to_owned()),
                any::<String>()
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, move |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                vec((key.clone(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn any_json_body_gets_an_answer_and_errors_are_json(body in any_json()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let a = api();
                // One existing connector so that paths reach the herder both ways.
                let (s, _) = a
                    .call(
                        "PUT",
                        "/connectors/p-1/config",
                        Some(json!({"connector.class": "FileStreamSink", "topics": "t",
                                    "file": "/dev/null"})),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED);
                let text = body.to_string();
                for (method, path) in ENDPOINTS {
                    let (status, _, answer) = a.call_raw(method, path, Some(&text)).await;
                    if status.is_client_error() || status.is_server_error() {
                        assert_eq!(
                            answer["error_code"],
                            json!(status.as_u16()),
                            "{method} {path} {text}: {answer}"
                        );
                        assert!(answer["message"].is_string(), "{method} {path}: {answer}");
                    }
                }
            });
        }

        #[test]
        fn any_bytes_body_gets_an_answer(bytes in vec(any::<u8>(), 0..64)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let a = api();
                for (method, path) in ENDPOINTS {
                    let req = Request::builder()
                        .method(*method)
                        .uri(*path)
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(bytes.clone()))
                        .unwrap();
                    let resp = a.app.clone().oneshot(req).await.unwrap();
                    let status = resp.status();
                    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
                    if status.is_client_error() || status.is_server_error() {
                        let v: Value = serde_json::from_slice(&body)
                            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e})"));
                        assert_eq!(v["error_code"], json!(status.as_u16()));
                    }
                }
            });
        }
    }
}

#[tokio::test]
async fn oversized_bodies_get_a_json_413() {
    let a = api();
    let too_big = super::body::MAX_BODY + 1;
    // Refused by the declared length, before the body is read.
    let req = Request::builder()
        .method("POST")
        .uri("/connectors")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, too_big.to_string())
        .body(Body::from("{}"))
        .unwrap();
    let resp = a.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/json",
        "a JSON error, not axum's text/plain"
    );
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_code"], 413);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains(&format!("limit of {} bytes", super::body::MAX_BODY)),
        "{v}"
    );
    // Refused once the bound is passed, when no length is declared up front.
    let stream = futures::stream::iter(
        (0..65).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; 1 << 20]))),
    );
    let req = Request::builder()
        .method("PUT")
        .uri("/connector-plugins/FileStreamSink/config/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    let resp = a.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Bodies over axum's default 2 MB are read, as Apache reads them.
    let mut config = serde_json::Map::new();
    config.insert("connector.class".into(), json!("FileStreamSink"));
    config.insert("topics".into(), json!("t"));
    config.insert("pad".into(), json!("x".repeat(3 << 20)));
    let (s, _) = a
        .call(
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            Some(Value::Object(config)),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn names_are_trimmed_as_java_trims_and_control_characters_refused() {
    let a = api();
    let config = json!({"connector.class": "FileStreamSink", "topics": "t", "file": "/dev/null"});
    let (s, body) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "\u{1}\tjt-a\u{7}\n", "config": config})),
        )
        .await;
    assert_eq!((s, &body["name"]), (StatusCode::CREATED, &json!("jt-a")));
    // Java's trim() stops at U+0020: a no-break space stays.
    let (s, body) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "\u{a0}jt-b", "config": config})),
        )
        .await;
    assert_eq!(
        (s, &body["name"]),
        (StatusCode::CREATED, &json!("\u{a0}jt-b"))
    );
    let (s, body) = a
        .call(
            "POST",
            "/connectors",
            Some(json!({"name": "jt\u{1}c\u{85}", "config": config})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains(
            "Invalid value jt\u{1}c\u{85} for configuration name: String may not contain control sequences but had the following ASCII chars: 1, 133"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn jetty_refusals_and_path_parameters() {
    let a = api();
    let req = Request::builder()
        .uri("/connectors/%2e%2e")
        .body(Body::empty())
        .unwrap();
    let resp = a.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "text/html;charset=iso-8859-1"
    );
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&body)
            .contains("<title>Error 400 Ambiguous URI path segment</title>")
    );
    // `;v=1` is dropped before the route is chosen.
    let (s, body) = a.call("GET", "/connectors;v=1", None).await;
    assert_eq!((s, body), (StatusCode::OK, json!([])));
}
