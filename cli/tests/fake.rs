//! Fault injection that the real worker cannot be made to produce on demand: rebalances (409 and
//! the "rebalance is expected" 500), authentication failures, TLS with a private CA, and servers
//! that predate an endpoint. A small local HTTP(S) server plays Connect; the real binary talks
//! to it. Behaviour against the real worker is covered in e2e.rs.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use tokio::net::{TcpListener, TcpStream};
use tokio_native_tls::native_tls;

/// What the fake saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    authorization: Option<String>,
}

type Handler = Arc<dyn Fn(&Seen, usize) -> (u16, String) + Send + Sync>;

struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: tokio_native_tls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_native_tls::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that rejects our certificate just fails its handshake; keep serving.
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Starts a fake on 127.0.0.1:0 (HTTPS when `identity` is given). `handler` gets the request
/// and how many requests came before it.
fn start(identity: Option<native_tls::Identity>, handler: Handler) -> Fake {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let count = Arc::new(AtomicUsize::new(0));
            let app = axum::Router::new().fallback(move |req: Request<Body>| {
                let seen = seen2.clone();
                let handler = handler.clone();
                let count = count.clone();
                async move {
                    let s = Seen {
                        method: req.method().to_string(),
                        path_and_query: req
                            .uri()
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        authorization: req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    };
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    seen.lock().unwrap().push(s.clone());
                    let (status, body) = handler(&s, n);
                    Response::builder()
                        .status(StatusCode::from_u16(status).unwrap())
                        .header("content-type", "application/json")
                        .body(Body::from(body))
                        .unwrap()
                }
            });
            let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = tcp.local_addr().unwrap();
            match identity {
                None => {
                    tx.send(format!("http://{addr}")).unwrap();
                    axum::serve(tcp, app).await.unwrap();
                }
                Some(id) => {
                    let acceptor = native_tls::TlsAcceptor::new(id).unwrap().into();
                    tx.send(format!("https://localhost:{}", addr.port()))
                        .unwrap();
                    axum::serve(TlsListener { tcp, acceptor }, app)
                        .await
                        .unwrap();
                }
            }
        });
    });
    Fake {
        url: rx.recv().unwrap(),
        seen,
    }
}

const ROOT: &str = r#"{"version":"4.3.1","commit":"abc","kafka_cluster_id":"fake-cluster"}"#;

fn connectctl(config: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_connectctl"));
    c.env_remove("CONNECTCTL_URL")
        .env_remove("CONNECTCTL_CONTEXT")
        .env("CONNECTCTL_CONFIG", config)
        .env("NO_COLOR", "1");
    c
}

fn no_config() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    (dir, p)
}

/// Writes a config file readable by its owner only, as connectctl expects.
fn write_config(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

#[test]
fn retries_409_until_the_rebalance_ends_and_says_so() {
    let fake = start(
        None,
        Arc::new(|s: &Seen, n| {
            if s.path_and_query.starts_with("/connectors") && n < 2 {
                return (409, r#"{"error_code":409,"message":"Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."}"#.into());
            }
            (200, "{}".into())
        }),
    );
    let (_d, cfg) = no_config();
    let out = run(connectctl(&cfg).args(["ls", "-o", "json", "--url", &fake.url]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "[]");
    assert!(
        text(&out.stderr).contains("retrying"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn retries_the_rebalance_expected_500_but_not_other_500s() {
    let fake = start(
        None,
        Arc::new(|s: &Seen, n| {
            match (s.path_and_query.as_str(), n) {
            ("/connectors/a/config", 0) => (500, r#"{"error_code":500,"message":"Request cannot be completed because a rebalance is expected"}"#.into()),
            ("/connectors/a/config", _) => (200, r#"{"name":"a","topics":"t"}"#.into()),
            ("/connectors/b/config", _) => (500, r#"{"error_code":500,"message":"Request timed out"}"#.into()),
            _ => (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#.into()),
        }
        }),
    );
    let (_d, cfg) = no_config();
    let out = run(connectctl(&cfg).args(["config", "a", "-o", "json", "--url", &fake.url]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"topics\""));
    let out = run(connectctl(&cfg).args(["config", "b", "--url", &fake.url]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Request timed out"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("retrying"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn gives_up_after_the_retry_timeout() {
    let fake = start(
        None,
        Arc::new(|_: &Seen, _| {
            (409, r#"{"error_code":409,"message":"Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}"#.into())
        }),
    );
    let (_d, cfg) = no_config();
    let t0 = std::time::Instant::now();
    let out = run(connectctl(&cfg).args(["ls", "--retry-timeout", "1", "--url", &fake.url]));
    assert_eq!(out.status.code(), Some(1));
    assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    let err = text(&out.stderr);
    assert!(
        err.contains("409") && err.contains("conflicting operation"),
        "{err}"
    );
    assert!(fake.requests().len() > 1);
}

#[test]
fn unauthorized_names_the_credentials_but_never_their_values() {
    let fake = start(
        None,
        Arc::new(|s: &Seen, _| match &s.authorization {
            Some(a) if a.starts_with("Basic ") => {
                (401, r#"{"error_code":401,"message":"Unauthorized"}"#.into())
            }
            _ => (200, ROOT.into()),
        }),
    );
    let (_d, cfg) = no_config();
    write_config(
        &cfg,
        &format!(
            "current_context = \"prod\"\n[contexts.prod]\nurls = [\"{}\"]\n[contexts.prod.auth]\nusername = \"ops\"\npassword_env = \"FAKE_CONNECT_PW\"\n",
            fake.url
        ),
    );
    let out = run(connectctl(&cfg)
        .args(["info", "-v"])
        .env("FAKE_CONNECT_PW", "hunter2-secret"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("401"), "{err}");
    assert!(
        err.contains("basic auth as user 'ops'") && err.contains("$FAKE_CONNECT_PW"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2-secret"),
        "the password leaked: {err}"
    );
    // The credentials were really sent (and only the fake saw them).
    let sent = fake.requests()[0].authorization.clone().unwrap();
    assert!(sent.starts_with("Basic "));
}

#[test]
fn missing_password_env_is_one_clear_error() {
    let (_d, cfg) = no_config();
    write_config(
        &cfg,
        "current_context = \"prod\"\n[contexts.prod]\nurls = [\"http://127.0.0.1:9\"]\n[contexts.prod.auth]\nusername = \"ops\"\npassword_env = \"SURELY_UNSET_CONNECTCTL_PW\"\n",
    );
    let out = run(connectctl(&cfg).args(["info"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SURELY_UNSET_CONNECTCTL_PW"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bearer_token_from_a_command_is_sent() {
    let fake = start(
        None,
        Arc::new(|s: &Seen, _| match s.authorization.as_deref() {
            Some("Bearer tok-123") => (200, ROOT.into()),
            _ => (403, r#"{"error_code":403,"message":"Forbidden"}"#.into()),
        }),
    );
    let (_d, cfg) = no_config();
    write_config(
        &cfg,
        &format!(
            "[contexts.gw]\nurls = [\"{}\"]\n[contexts.gw.auth]\ntoken_command = \"echo tok-123\"\n",
            fake.url
        ),
    );
    let out = run(connectctl(&cfg).args(["info", "--context", "gw", "-o", "json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("fake-cluster"));
}

struct Pki {
    ca_pem: String,
    server: native_tls::Identity,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "connectctl test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let server =
        native_tls::Identity::from_pkcs8(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
            .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server,
    }
}

#[test]
fn tls_with_a_private_ca() {
    let pki = pki();
    let fake = start(Some(pki.server), Arc::new(|_: &Seen, _| (200, ROOT.into())));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let cfg = dir.path().join("config.toml");
    let write = |tls: &str| {
        write_config(
            &cfg,
            &format!(
                "current_context = \"tls\"\n[contexts.tls]\nurls = [\"{}\"]\n[contexts.tls.tls]\n{tls}\n",
                fake.url
            ),
        )
    };

    // Trusted through the context's CA file.
    write(&format!("ca_file = \"{}\"", ca.display()));
    let out = run(connectctl(&cfg).args(["info", "-o", "json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("fake-cluster"));

    // Without the CA the certificate is rejected, in one line naming the URL.
    write("");
    let out = run(connectctl(&cfg).args(["info"]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&fake.url) && err.to_lowercase().contains("certificate"),
        "{err}"
    );

    // --insecure-style config accepts it.
    write("insecure = true");
    let out = run(connectctl(&cfg).args(["info"]));
    assert!(out.status.success(), "{}", text(&out.stderr));

    // A CA file that is not PEM is a clear setup error.
    std::fs::write(&ca, "not a certificate").unwrap();
    write(&format!("ca_file = \"{}\"", ca.display()));
    let out = run(connectctl(&cfg).args(["info"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("ca.pem"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn endpoints_an_old_worker_lacks_name_the_version_they_need() {
    let fake = start(
        None,
        Arc::new(|s: &Seen, _| {
            match (s.method.as_str(), s.path_and_query.as_str()) {
            ("GET", "/") => (200, r#"{"version":"3.4.1","commit":"x","kafka_cluster_id":"old"}"#.into()),
            ("GET", "/connectors/a/status") => (200, r#"{"name":"a","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[],"type":"sink"}"#.into()),
            ("GET", "/connectors") => (200, r#"["a"]"#.into()),
            ("PATCH", _) => (405, r#"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#.into()),
            _ => (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#.into()),
        }
        }),
    );
    let (_d, cfg) = no_config();
    let out = run(connectctl(&cfg).args(["stop", "a", "--url", &fake.url]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("needs Kafka Connect 3.5") && err.contains("3.4.1"),
        "{err}"
    );
    let out = run(connectctl(&cfg).args(["offsets", "a", "--url", &fake.url]));
    assert!(
        text(&out.stderr).contains("needs Kafka Connect 3.5"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn lists_without_expand_by_asking_per_connector() {
    // A worker before 2.3 ignores `expand` and answers with names.
    let fake = start(
        None,
        Arc::new(|s: &Seen, _| {
            match s.path_and_query.as_str() {
            p if p.starts_with("/connectors?") || p == "/connectors" => (200, r#"["a"]"#.into()),
            "/connectors/a/status" => (200, r#"{"name":"a","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"w:8083","trace":"x"},{"id":1,"state":"RUNNING","worker_id":"w2:8083"}],"type":"source"}"#.into()),
            "/connectors/a" => (200, r#"{"name":"a","config":{},"tasks":[{"connector":"a","task":0},{"connector":"a","task":1}],"type":"source"}"#.into()),
            _ => (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#.into()),
        }
        }),
    );
    let (_d, cfg) = no_config();
    let out = run(connectctl(&cfg).args(["ls", "-o", "json", "--url", &fake.url]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "a");
    assert_eq!(rows[0]["health"], "DEGRADED");
    assert_eq!(
        rows[0]["worker_ids"],
        serde_json::json!(["w2:8083", "w:8083"])
    );
    let out = run(connectctl(&cfg).args(["ls", "--url", &fake.url]));
    assert!(
        text(&out.stdout).contains("1/2 RUNNING, 1 FAILED"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verbose_logs_requests_without_credentials() {
    let fake = start(None, Arc::new(|_: &Seen, _| (200, ROOT.into())));
    let (_d, cfg) = no_config();
    write_config(
        &cfg,
        &format!(
            "current_context = \"c\"\n[contexts.c]\nurls = [\"{}\"]\nheaders = {{ \"X-Api-Key\" = \"header-secret\" }}\n[contexts.c.auth]\ntoken = \"token-secret\"\n",
            fake.url
        ),
    );
    let out = run(connectctl(&cfg).args(["info", "-v"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("> GET") && err.contains("X-Api-Key"), "{err}");
    assert!(
        !err.contains("header-secret") && !err.contains("token-secret"),
        "{err}"
    );
}
