//! The worker's memory under a burst of large REST bodies: it gives the memory back.

use std::path::Path;
use std::time::{Duration, Instant};

use connect_testkit::worker::Worker;
use connect_testkit::{Connect, unique};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_connect-worker");

/// Requests in the burst, connections sending them at once, and the size of each body.
const REQUESTS: usize = 2000;
const CONNECTIONS: usize = 32;
const BODY_BYTES: usize = 1 << 20;
/// How far above its idle size the worker may stay once the burst is over. With glibc's malloc
/// this burst left the worker up to ~32 MB above its idle size for good (its arenas keep freed
/// memory); with jemalloc's purging thread it returns to within a few MB in 10-20 seconds.
const RETAINED_BOUND_KB: u64 = 8 * 1024;

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in {status}"))
}

#[test]
fn rss_returns_near_idle_after_thousands_of_one_megabyte_requests() {
    // `RSS_TEST_WORKER_BIN` runs the same burst against another build, to compare allocators.
    let bin = std::env::var_os("RSS_TEST_WORKER_BIN")
        .map_or_else(|| Path::new(BIN).to_path_buf(), std::path::PathBuf::from);
    let w = Worker::start(&bin);
    let pid = w.child.id();
    // Warm up the paths once so the idle size includes what every request builds once.
    let pad = "x".repeat(BODY_BYTES);
    let validate = serde_json::to_vec(&json!({
        "connector.class": "FileStreamSink",
        "topics": unique("rss"),
        "file": "/dev/null",
        "pad": pad,
    }))
    .unwrap();
    // A level change the worker refuses after reading it (no `level`).
    let logger = serde_json::to_vec(&json!({ "pad": pad })).unwrap();
    let api = w.api();
    let (code, _) = api.call_raw(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        Some("application/json"),
        &validate,
    );
    assert_eq!(code, 200);
    std::thread::sleep(Duration::from_secs(1));
    let idle = rss_kb(pid);

    let url = w.url.clone();
    std::thread::scope(|s| {
        for c in 0..CONNECTIONS {
            let (url, validate, logger) = (&url, &validate, &logger);
            s.spawn(move || {
                let api = Connect::at(url);
                for i in (c..REQUESTS).step_by(CONNECTIONS) {
                    // A quarter validate (the body is parsed, checked and echoed back); the
                    // rest are parsed and refused.
                    let (code, body) = if i % 4 == 0 {
                        api.call_raw(
                            "PUT",
                            "/connector-plugins/FileStreamSink/config/validate",
                            Some("application/json"),
                            validate,
                        )
                    } else {
                        api.call_raw(
                            "PUT",
                            "/admin/loggers/rss.probe",
                            Some("application/json"),
                            logger,
                        )
                    };
                    assert!(code == 200 || code == 400, "{code} {body}");
                }
            });
        }
    });
    let peak = rss_kb(pid);

    let deadline = Instant::now() + Duration::from_secs(45);
    let mut now = rss_kb(pid);
    while now > idle + RETAINED_BOUND_KB && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        now = rss_kb(pid);
    }
    eprintln!("RSS idle {idle} kB, after the burst {peak} kB, settled {now} kB");
    assert!(
        now <= idle + RETAINED_BOUND_KB,
        "RSS stayed at {now} kB after the burst (idle {idle} kB, peak {peak} kB, bound idle + {RETAINED_BOUND_KB} kB)"
    );
    // Still serving.
    assert_eq!(api.call("GET", "/connectors", None).0, 200);
}
