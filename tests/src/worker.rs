//! A `connect-worker` process (standalone mode, or a one-worker distributed group) on the shared
//! broker, for tests that compare it with the Apache worker or drive it with `connectctl`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Connect, env, unique};

/// A running `connect-worker` with its own temp dir; killed when dropped.
pub struct Worker {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    stderr: mpsc::Receiver<String>,
}

impl Worker {
    /// Starts `bin` on a fresh temp dir with the default test worker config.
    pub fn start(bin: &Path) -> Worker {
        Self::start_with(bin, tempfile::tempdir().unwrap(), &[], &[])
    }

    /// Starts `bin` in `dir` (offsets file and any test files live there), with extra
    /// `key=value` worker properties and connector config files given on the command line.
    pub fn start_with(
        bin: &Path,
        dir: tempfile::TempDir,
        extra_props: &[&str],
        connector_files: &[&Path],
    ) -> Worker {
        let props = dir.path().join("worker.properties");
        let mut text = format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\noffset.storage.file.filename={}\noffset.flush.interval.ms=500\n",
            env().bootstrap_servers,
            dir.path().join("offsets.json").display()
        );
        for p in extra_props {
            text.push_str(p);
            text.push('\n');
        }
        std::fs::write(&props, text).unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(["standalone", props.to_str().unwrap()])
            .args(connector_files);
        Self::spawn(cmd, bin, dir)
    }

    /// Starts `bin` as the only worker of a distributed group of its own (unique `group.id` and
    /// internal topics on the shared broker), with extra `key=value` worker properties, and
    /// waits until it has joined the group (`GET /connectors` answers 200, not 409).
    pub fn start_distributed(bin: &Path, dir: tempfile::TempDir, extra_props: &[&str]) -> Worker {
        let group = unique("wgroup");
        let props = dir.path().join("worker.properties");
        let mut text = format!(
            "bootstrap.servers={bs}\ngroup.id={group}\nlisteners=http://127.0.0.1:0\n\
             rest.advertised.host.name=127.0.0.1\n\
             config.storage.topic={group}-configs\nconfig.storage.replication.factor=1\n\
             offset.storage.topic={group}-offsets\noffset.storage.replication.factor=1\n\
             offset.storage.partitions=5\nstatus.storage.topic={group}-status\n\
             status.storage.replication.factor=1\nstatus.storage.partitions=5\n\
             offset.flush.interval.ms=500\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n",
            bs = env().bootstrap_servers
        );
        for p in extra_props {
            text.push_str(p);
            text.push('\n');
        }
        std::fs::write(&props, text).unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(["distributed", props.to_str().unwrap()]);
        let worker = Self::spawn(cmd, bin, dir);
        let deadline = Instant::now() + Duration::from_secs(60);
        while worker.api().call("GET", "/connectors", None).0 != 200 {
            assert!(
                Instant::now() < deadline,
                "the distributed worker never joined its group {group}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        worker
    }

    fn spawn(mut cmd: Command, bin: &Path, dir: tempfile::TempDir) -> Worker {
        let mut child = cmd
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        // Keep draining stderr so the worker never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("worker never listened");
            // `[date] INFO REST API on http://host:port (logger)`
            if let Some((_, rest)) = line.split_once("] INFO REST API on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        };
        Worker {
            child,
            url,
            dir,
            stderr: rx,
        }
    }

    pub fn api(&self) -> Connect {
        Connect::at(&self.url)
    }

    /// A path inside the worker's temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Lines the worker wrote to stderr since the last call.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// SIGTERM, then wait for a clean exit; hands back the temp dir for a restart.
    pub fn terminate(mut self) -> tempfile::TempDir {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "worker exited with {s}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "worker did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let lines = self.stderr_lines();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("] INFO Kafka Connect stopped (")),
            "{lines:?}"
        );
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
