//! A terminal for tests of interactive commands (prompts, editors, shell completion): a tmux
//! server of its own, a window of fixed size, keys in and the screen out.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::unique;

/// A tmux server of its own (`-L`), killed when the test ends.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux is installed (scripts/setup installs it)")
    }

    /// Starts `command` (run by sh) in an 200x50 window.
    pub fn start(command: &str) -> Tmux {
        let t = Tmux {
            socket: unique("connectctl-tmux"),
        };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "-s",
            "t",
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub fn keys(&self, literal: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", literal]);
    }

    pub fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// Polls the screen until `pred` holds; `None` after `timeout`.
    pub fn wait(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if pred(&s) {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
