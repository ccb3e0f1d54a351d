//! Hostile input: misbehaving HTTP servers on 127.0.0.1 (HTML answers, redirects to another
//! host, conflicts that are not rebalances, one connector answering 405, 5 MB error bodies,
//! control characters in names and traces) and hostile files and flags (huge durations,
//! endless files, byte order marks, names Connect cannot manage). The real binary runs against
//! a small raw HTTP server, so every header and byte of an answer is under the test's control.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    /// Header names lower-cased.
    headers: BTreeMap<String, String>,
    body: String,
}

/// An answer: status, extra headers, body.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn json(status: u16, body: impl Into<String>) -> Resp {
    Resp {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.into().into_bytes(),
    }
}

fn with_type(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
    Resp {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.into(),
    }
}

type Handler = Arc<dyn Fn(&Req) -> Resp + Send + Sync>;

struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn requests(&self) -> Vec<Req> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A raw HTTP/1.1 server on 127.0.0.1:0, one thread per connection, `Connection: close`.
fn serve(handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            let seen = seen2.clone();
            std::thread::spawn(move || {
                let Some(req) = read_request(&stream) else {
                    return;
                };
                seen.lock().unwrap().push(req.clone());
                let resp = handler(&req);
                let mut head = format!("HTTP/1.1 {} X\r\n", resp.status);
                for (k, v) in &resp.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    resp.body.len()
                ));
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&resp.body);
            });
        }
    });
    Server { port, seen }
}

const ROOT: &str = r#"{"version":"4.3.1","commit":"abc","kafka_cluster_id":"fake"}"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
        c.env_remove("CONNECTCTL_URL")
            .env_remove("CONNECTCTL_CONTEXT")
            .env_remove("CONNECTCTL_BOOTSTRAP_SERVERS")
            .env("CONNECTCTL_CONFIG", self.config())
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
    fn write_config(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(self.config(), text).unwrap();
        std::fs::set_permissions(self.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn both(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

// ---- decode errors, redaction -------------------------------------------------------------

#[test]
fn a_non_json_answer_says_what_came_back_and_never_the_url_password() {
    let login = "<!DOCTYPE html><html><head><title>Corporate SSO - Sign in</title></head>\
                 <body><form>user/password</form></body></html>";
    let s = serve(Arc::new(move |_| {
        with_type(200, "text/html; charset=utf-8", login)
    }));
    let e = Env::new();
    let url = format!("http://admin:hunter2@127.0.0.1:{}", s.port);
    for cmd in [
        ["health"].as_slice(),
        ["ls"].as_slice(),
        ["config", "x"].as_slice(),
    ] {
        let mut args = vec!["--url", url.as_str(), "-v"];
        args.extend_from_slice(cmd);
        let o = e.run(&args);
        let all = both(&o);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}: {all}");
        assert!(
            !all.contains("hunter2"),
            "{cmd:?} leaks the password: {all}"
        );
        assert!(!all.contains("admin:"), "{cmd:?} leaks the userinfo: {all}");
        assert!(
            all.contains("text/html") && all.contains("200") && all.contains("Sign in"),
            "{cmd:?} does not say what came back: {all}"
        );
    }
    // Without a scheme the URL is a usage error, and the password still stays hidden.
    let bare = format!("admin:hunter2@127.0.0.1:{}", s.port);
    let o = e.run(&["--url", &bare, "-v", "health"]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(!both(&o).contains("hunter2"), "{}", both(&o));
}

#[test]
fn jetty_html_and_5mb_error_messages_are_cut_to_status_and_first_line() {
    let big = format!(
        "Connector config is broken: first line\n{}",
        "y".repeat(5 * 1024 * 1024)
    );
    let big_body = serde_json::json!({"error_code": 500, "message": big}).to_string();
    let jetty = "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html\"/>\n\
                 <title>Error 503 Service Unavailable</title>\n</head>\n<body><h2>HTTP ERROR 503 \
                 Service Unavailable</h2>\n<table>\n<tr><th>URI:</th><td>/connectors</td></tr>\n\
                 </table>\n</body>\n</html>\n";
    let s = serve(Arc::new(move |r| match r.path.as_str() {
        "/connectors/big/config" => json(500, big_body.clone()),
        _ => with_type(503, "text/html;charset=iso-8859-1", jetty),
    }));
    let e = Env::new();
    let o = e.run(&["--url", &s.url(), "config", "big"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.len() < 1000, "{} bytes of error", err.len());
    assert!(err.contains("500") && err.contains("first line"), "{err}");
    let o = e.run(&["--url", &s.url(), "config", "gone"]);
    let err = text(&o.stderr);
    assert!(
        err.contains("503") && err.contains("Error 503 Service Unavailable"),
        "{err}"
    );
    assert!(!err.contains("<html") && !err.contains("<td>"), "{err}");
}

// ---- usage errors -------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2_in_every_command_and_huge_durations_do_not_panic() {
    let s = serve(Arc::new(|_| json(200, "{}")));
    let e = Env::new();
    let url = s.url();
    let cases: Vec<Vec<&str>> = vec![
        vec!["ls", "("],
        vec!["stop"],
        vec!["pause", "-e", "(["],
        vec!["restart", "a", "--all"],
        vec!["create", "--set", "connector.class=X"],
        vec!["create", "x"],
        vec!["create", "x", "--set", "novalue"],
        vec!["patch", "x"],
        vec!["offsets", "x", "--set", "garbage"],
        vec!["wait", "x", "--timeout", "18446744073709551615s"],
        vec!["wait", "x", "--timeout", "9223372036854775807s"],
        vec!["watch", "--interval", "99999999999999999999s"],
        vec!["delete", "x"],
        vec!["--context", "nope", "ls"],
        vec!["context", "use", "nope"],
        vec!["context", "rm", "nope"],
    ];
    for args in cases {
        let mut full = vec!["--url", url.as_str()];
        full.extend(&args);
        let o = e.run(&full);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", both(&o));
        assert!(!text(&o.stderr).contains("panicked"), "{args:?}");
    }
    // Nothing reached the server that could have changed anything.
    assert!(
        s.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        s.requests()
    );
}

#[test]
fn doctor_failed_is_3_not_the_usage_code() {
    let s = serve(Arc::new(|r| match r.path.as_str() {
        "/" => json(200, ROOT),
        p if p.starts_with("/connectors?") => json(
            200,
            r#"{"bad":{"status":{"name":"bad","connector":{"state":"FAILED","worker_id":"w:8083","trace":"java.lang.RuntimeException: boom\n\tat x.Y.z(Y.java:1)"},"tasks":[],"type":"sink"},"info":{"name":"bad","config":{},"tasks":[],"type":"sink"}}}"#,
        ),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }));
    let e = Env::new();
    let o = e.run(&["--url", &s.url(), "doctor", "--no-kafka"]);
    assert_eq!(o.status.code(), Some(3), "{}", both(&o));
    let help = text(&e.run(&["doctor", "--help"]).stdout);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("3 any failed"), "{help}");
}

// ---- redirects ----------------------------------------------------------------------------

#[test]
fn redirects_to_another_host_are_not_followed_with_credentials_or_headers() {
    let other = serve(Arc::new(|_| json(200, "[]")));
    let target = format!("http://localhost:{}/connectors", other.port);
    let s = serve(Arc::new(move |r| match r.path.as_str() {
        // Same host, other path: still followed.
        p if p.starts_with("/old/connectors") => Resp {
            status: 307,
            headers: vec![(
                "Location".into(),
                "/connectors?expand=status&expand=info".into(),
            )],
            body: Vec::new(),
        },
        p if p.starts_with("/connectors?") => json(200, "{}"),
        _ => Resp {
            status: 307,
            headers: vec![("Location".into(), target.clone())],
            body: Vec::new(),
        },
    }));
    let e = Env::new();
    e.write_config(&format!(
        "current_context = \"gw\"\n[contexts.gw]\nurls = [\"{}\"]\n\
         headers = {{ \"X-Api-Key\" = \"k-secret-123\" }}\n",
        s.url()
    ));
    let o = e.run(&["topics", "x"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("redirected") && err.contains("another host"),
        "{err}"
    );
    assert!(!err.contains("k-secret-123"), "{err}");
    assert!(
        other.requests().is_empty(),
        "the other host got {:?}",
        other.requests()
    );
    // A redirect on the same host keeps working, header included.
    let o = e.run(&["--url", &format!("{}/old", s.url()), "ls", "-o", "json"]);
    // `--url` replaces the context's URL but the context's header still applies.
    assert!(o.status.success(), "{}", both(&o));
    let last = s.requests().into_iter().last().unwrap();
    assert_eq!(last.path, "/connectors?expand=status&expand=info");
    assert_eq!(
        last.headers.get("x-api-key").map(String::as_str),
        Some("k-secret-123")
    );
}

// ---- retries ------------------------------------------------------------------------------

#[test]
fn a_conflict_that_is_not_a_rebalance_is_not_retried() {
    let s = serve(Arc::new(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/connectors") => json(
            409,
            r#"{"error_code":409,"message":"Connector dup already exists"}"#,
        ),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }));
    let e = Env::new();
    let t0 = Instant::now();
    let o = e.run(&[
        "--url",
        &s.url(),
        "--retry-timeout",
        "20",
        "create",
        "dup",
        "--set",
        "connector.class=X",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert!(text(&o.stderr).contains("already exists"), "{}", both(&o));
    assert!(!text(&o.stderr).contains("retrying"), "{}", both(&o));
    let posts = s.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1);
}

#[test]
fn one_retry_budget_for_the_whole_command() {
    let s = serve(Arc::new(|_| {
        json(
            409,
            r#"{"error_code":409,"message":"Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"}"#,
        )
    }));
    let e = Env::new();
    let t0 = Instant::now();
    let o = e.run(&[
        "--url",
        &s.url(),
        "--retry-timeout",
        "3",
        "restart",
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
    ]);
    let took = t0.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    // Six requests with a budget each (backing off until the next wait would pass it, about
    // 1.5 s each) would take 9 s; one budget for the command stops near 3 s.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(
        text(&o.stderr).contains("stale configuration"),
        "{}",
        both(&o)
    );
}

// ---- bulk commands ------------------------------------------------------------------------

fn three_connectors(r: &Req, refuse: &str) -> Resp {
    let listed = || {
        let one = |n: &str| {
            format!(
                r#""{n}":{{"status":{{"name":"{n}","connector":{{"state":"RUNNING","worker_id":"w:8083"}},"tasks":[],"type":"sink"}},"info":{{"name":"{n}","config":{{}},"tasks":[],"type":"sink"}}}}"#
            )
        };
        format!("{{{},{},{}}}", one("a"), one("b"), one("c"))
    };
    match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/") => json(200, ROOT),
        ("GET", p) if p.starts_with("/connectors?") => json(200, listed()),
        ("GET", "/connectors") => json(200, r#"["a","b","c"]"#),
        ("GET", p) if p.ends_with("/status") => {
            let n = &p["/connectors/".len()..p.len() - "/status".len()];
            json(
                200,
                format!(
                    r#"{{"name":"{n}","connector":{{"state":"RUNNING","worker_id":"w:8083"}},"tasks":[],"type":"sink"}}"#
                ),
            )
        }
        (_, p) if p.starts_with(&format!("/connectors/{refuse}/")) => json(
            405,
            r#"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#,
        ),
        ("PUT", _) => json(202, ""),
        ("POST", _) => json(204, ""),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }
}

#[test]
fn every_all_command_goes_on_past_one_failing_connector() {
    for verb in ["stop", "pause", "resume", "restart"] {
        let s = serve(Arc::new(|r| three_connectors(r, "b")));
        let e = Env::new();
        let o = e.run(&["--url", &s.url(), verb, "--all", "-o", "json"]);
        assert_eq!(o.status.code(), Some(1), "{verb}: {}", both(&o));
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{verb}: {}", both(&o)));
        let oks: Vec<(String, bool)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["name"].as_str().unwrap().to_owned(),
                    o["ok"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            oks,
            vec![
                ("a".to_owned(), true),
                ("b".to_owned(), false),
                ("c".to_owned(), true)
            ],
            "{verb}"
        );
        let acted: Vec<String> = s
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| r.path)
            .collect();
        assert!(
            acted.iter().any(|p| p.starts_with("/connectors/c/")),
            "{verb}: c was never asked: {acted:?}"
        );
    }
}

#[test]
fn delete_all_goes_on_and_a_3000_character_name_gets_a_backup() {
    let long = "n".repeat(3000);
    let long2 = long.clone();
    let s = serve(Arc::new(move |r| {
        let n = r
            .path
            .trim_start_matches("/connectors/")
            .trim_end_matches("/config");
        match (r.method.as_str(), n) {
            ("GET", "b") => json(500, r#"{"error_code":500,"message":"config store down"}"#),
            ("GET", n) if n == long2 || n == "a" || n == "c" => json(200, r#"{"topics":"t"}"#),
            ("DELETE", _) => json(204, ""),
            _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
        }
    }));
    let e = Env::new();
    let backups = e.path("backups");
    let o = e.run(&[
        "--url",
        &s.url(),
        "delete",
        "a",
        "b",
        &long,
        "c",
        "--yes",
        "--backup-dir",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let deleted: Vec<String> = s
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let long_backup = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|t| t.contains(&long))
        .expect("a backup holds the long name");
    let v: serde_json::Value = serde_json::from_str(&long_backup).unwrap();
    assert_eq!(v["name"].as_str(), Some(long.as_str()));
}

// ---- control characters -------------------------------------------------------------------

#[test]
fn control_characters_from_the_server_are_escaped_in_tables_but_exact_in_json() {
    let evil = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let worker = "w\u{1b}[31m:8083";
    let name_json = serde_json::to_string(evil).unwrap();
    let worker_json = serde_json::to_string(worker).unwrap();
    let trace = serde_json::to_string(
        "org.x.BadException: \u{1b}[8mhidden\u{1b}[0m\n\tat x.Y.z(Y.java:1)\n",
    )
    .unwrap();
    let status = format!(
        r#"{{"name":{name_json},"connector":{{"state":"RUNNING","worker_id":{worker_json}}},"tasks":[{{"id":0,"state":"FAILED","worker_id":{worker_json},"trace":{trace}}}],"type":"sink"}}"#
    );
    let listed = format!(
        r#"{{{name_json}:{{"status":{status},"info":{{"name":{name_json},"config":{{}},"tasks":[],"type":"sink"}}}}}}"#
    );
    let s = serve(Arc::new(move |r| match r.path.as_str() {
        p if p.starts_with("/connectors?") => json(200, listed.clone()),
        p if p.ends_with("/status") => json(200, status.clone()),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }));
    let e = Env::new();
    let url = s.url();
    for args in [
        vec!["ls"],
        vec!["status", "evil"],
        vec!["status", "evil", "--raw"],
        vec!["tasks", "evil"],
    ] {
        let mut full = vec!["--url", url.as_str()];
        full.extend(&args);
        let o = e.run(&full);
        let all = both(&o);
        assert!(
            !all.contains('\u{1b}'),
            "{args:?} printed a raw ESC: {all:?}"
        );
        assert!(
            !all.contains('\u{7}'),
            "{args:?} printed a raw BEL: {all:?}"
        );
    }
    let o = e.run(&["--url", &s.url(), "ls"]);
    assert!(
        text(&o.stdout).contains("evil\\x1b]0;pwned\\x07"),
        "{}",
        text(&o.stdout)
    );
    let o = e.run(&["--url", &s.url(), "ls", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["name"].as_str(), Some(evil));
    assert_eq!(v[0]["worker_ids"][0].as_str(), Some(worker));
}

// ---- status layout ------------------------------------------------------------------------

#[test]
fn status_keeps_long_states_apart_from_workers_and_blank_traces_have_no_root_cause() {
    let body = r#"{"name":"s","connector":{"state":"UNASSIGNED","worker_id":"w1:8083"},"tasks":[
        {"id":0,"state":"USER_ACTIONABLE_ERROR","worker_id":"w2:8083","trace":""},
        {"id":1,"state":"FAILED","worker_id":"w3:8083","trace":"   "}],"type":"sink"}"#;
    let s = serve(Arc::new(move |r| match r.path.as_str() {
        "/connectors/s/status" => json(200, body),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }));
    let e = Env::new();
    let o = e.run(&["--url", &s.url(), "status", "s"]);
    let out = text(&o.stdout);
    for (label, state, worker) in [
        ("  connector", "UNASSIGNED", "w1:8083"),
        ("  task 0", "USER_ACTIONABLE_ERROR", "w2:8083"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{out}"));
        let after = &line[line.find(state).unwrap() + state.len()..];
        assert!(
            after.starts_with("  "),
            "{state} runs into the worker: {line:?}"
        );
        assert_eq!(after.trim(), worker, "{line:?}");
    }
    // The two columns line up.
    let col = |w: &str| {
        out.lines()
            .find(|l| l.contains(w))
            .unwrap()
            .find(w)
            .unwrap()
    };
    assert_eq!(col("w1:8083"), col("w2:8083"), "{out}");
    let o = e.run(&["--url", &s.url(), "status", "s", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for t in v["tasks"].as_array().unwrap() {
        assert!(t.get("root_cause").is_none(), "{t}");
    }
    assert!(
        !v["next"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("--trace")),
        "{v}"
    );
}

// ---- secrets ------------------------------------------------------------------------------

#[test]
fn credentials_inside_url_values_are_masked_unless_reveal() {
    let cfg = r#"{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector",
        "database.url":"jdbc:postgresql://app:pg-secret-1@db:5432/x",
        "connection.url":"jdbc:mysql://db:3306/x?user=app&password=my-secret-2&useSSL=true",
        "topics":"t"}"#;
    let s = serve(Arc::new(move |r| match r.path.as_str() {
        "/connectors/j/config" => json(200, cfg),
        "/connectors/j" => json(
            200,
            format!(r#"{{"name":"j","config":{cfg},"tasks":[],"type":"sink"}}"#),
        ),
        "/connectors/j/status" => json(
            200,
            r#"{"name":"j","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"sink"}"#,
        ),
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }));
    let e = Env::new();
    let url = s.url();
    for args in [
        vec!["config", "j"],
        vec!["config", "j", "-o", "json"],
        vec!["describe", "j"],
    ] {
        let mut full = vec!["--url", url.as_str()];
        full.extend(&args);
        let o = e.run(&full);
        let all = both(&o);
        assert!(o.status.success(), "{args:?}: {all}");
        assert!(
            !all.contains("pg-secret-1") && !all.contains("my-secret-2"),
            "{args:?}: {all}"
        );
        assert!(
            all.contains("db:5432/x") && all.contains("useSSL=true"),
            "{all}"
        );
    }
    let o = e.run(&["--url", &s.url(), "--reveal", "config", "j"]);
    assert!(text(&o.stdout).contains("pg-secret-1"));
    assert!(text(&o.stdout).contains("my-secret-2"));
}

#[test]
fn context_add_offers_env_and_command_forms_for_kafka_secrets() {
    let e = Env::new();
    let help = text(&e.run(&["context", "add", "--help"]).stdout);
    assert!(
        help.contains("sasl.password_env=VAR") && help.contains("sasl.password_command=CMD"),
        "{help}"
    );
    let o = e.run(&[
        "--url",
        "http://127.0.0.1:1",
        "-X",
        "sasl.password=plain-secret",
        "context",
        "add",
        "p",
    ]);
    assert!(o.status.success(), "{}", both(&o));
    assert!(
        text(&o.stderr).contains("plain text") && text(&o.stderr).contains("sasl.password_env"),
        "{}",
        both(&o)
    );
    let o = e.run(&[
        "--url",
        "http://127.0.0.1:1",
        "-X",
        "sasl.password_env=KAFKA_PW",
        "context",
        "add",
        "q",
    ]);
    assert!(o.status.success(), "{}", both(&o));
    assert!(!text(&o.stderr).contains("plain text"), "{}", both(&o));
    let file = std::fs::read_to_string(e.config()).unwrap();
    assert!(
        file.contains("\"sasl.password_env\" = \"KAFKA_PW\""),
        "{file}"
    );
}

// ---- files and names ----------------------------------------------------------------------

fn create_server() -> Server {
    serve(Arc::new(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/connectors") => {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            json(
                201,
                format!(
                    r#"{{"name":{},"config":{},"tasks":[],"type":"sink"}}"#,
                    v["name"], v["config"]
                ),
            )
        }
        _ => json(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#),
    }))
}

fn posted(s: &Server) -> Vec<serde_json::Value> {
    s.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

#[test]
fn an_endless_file_is_refused_quickly() {
    let s = create_server();
    let e = Env::new();
    let mut child = e
        .cmd()
        .args(["--url", &s.url(), "create", "z", "-f", "/dev/zero"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("create -f /dev/zero still reading after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("larger than"),
        "{err}"
    );
    assert!(posted(&s).is_empty());
}

#[test]
fn a_bom_is_skipped_and_duplicate_keys_are_warned_about() {
    let s = create_server();
    let e = Env::new();
    let f = e.path("bom.json");
    std::fs::write(
        &f,
        "\u{feff}{\"name\":\"bom-x\",\"config\":{\"connector.class\":\"X\",\"topics\":\"a\",\"topics\":\"b\"}}",
    )
    .unwrap();
    let o = e.run(&["--url", &s.url(), "create", "-f", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", both(&o));
    let err = text(&o.stderr);
    assert!(err.contains("'topics' appears 2 times"), "{err}");
    let p = posted(&s);
    assert_eq!(p[0]["name"], "bom-x");
    assert_eq!(p[0]["config"]["topics"], "b");
}

#[test]
fn properties_files_follow_java_rules() {
    let s = create_server();
    let e = Env::new();
    let f = e.path("c.properties");
    std::fs::write(
        &f,
        "name = props-x\nconnector.class:X\n# comment \\\nkey\\:with\\=seps = v\\u0041l\\tue\n\
         topics = a,\\\n    b\ntrailing=ends\\\\\n",
    )
    .unwrap();
    let o = e.run(&["--url", &s.url(), "create", "-f", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", both(&o));
    let c = &posted(&s)[0]["config"];
    assert_eq!(c["key:with=seps"], "vAl\tue", "{c}");
    assert_eq!(c["topics"], "a,b");
    assert_eq!(c["trailing"], "ends\\");
    assert_eq!(c["name"], "props-x");
}

#[test]
fn names_connect_cannot_manage_are_refused_with_the_reason() {
    let s = create_server();
    let e = Env::new();
    for name in ["a/b", "..", "a%2Fb", "bell\u{7}", " padded"] {
        let o = e.run(&[
            "--url",
            &s.url(),
            "create",
            name,
            "--set",
            "connector.class=X",
        ]);
        assert_eq!(o.status.code(), Some(2), "{name:?}: {}", both(&o));
        assert!(text(&o.stderr).contains("refusing"), "{}", both(&o));
        assert!(!text(&o.stderr).contains('\u{7}'));
    }
    let f = e.path("slash.json");
    std::fs::write(&f, r#"{"name":"x/y","config":{"connector.class":"X"}}"#).unwrap();
    let o = e.run(&["--url", &s.url(), "apply", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(s.requests().is_empty(), "{:?}", s.requests());
}
