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
        (s, got["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some(expected.as_str()))
    );
    // Apache rethrows its cached lookup failure wrapped in a ConnectException.
    let (_, got) = a.call("POST", "/connectors", Some(create_unknown)).await;
    assert_eq!(
        got["message"].as_str().unwrap(),
        format!("org.apache.kafka.connect.errors.ConnectException: {expected}")
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
    assert_eq!(
        (s, body),
        (StatusCode::OK, fixture("connector-plugins.json"))
    );
    let (_, all) = a
        .call("GET", "/connector-plugins?connectorsOnly=false", None)
        .await;
    // The same plugins as Apache's, of the same types, in the same order.
    assert_eq!(all, fixture("connector-plugins-all.json"));
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
