//! Shell completion: the checked-in scripts match what the binary prints, and real bash, zsh
//! and fish, driven through tmux, complete connector names that exist on the real Apache Kafka
//! Connect worker; every shell's callback offers the guard and top subcommands and flags.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use connect_testkit::tmux::Tmux;
use connect_testkit::{Connect, env, unique, workspace_root};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_connectctl");

/// Each shell's script as checked in under `completions/`.
const SCRIPTS: &[(&str, &str)] = &[
    ("bash", "connectctl.bash"),
    ("zsh", "_connectctl"),
    ("fish", "connectctl.fish"),
    ("powershell", "connectctl.ps1"),
    ("elvish", "connectctl.elv"),
];

fn completions_dir() -> PathBuf {
    workspace_root().join("completions")
}

#[test]
fn checked_in_scripts_are_current() {
    let update = std::env::var_os("CONNECTCTL_UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .env_remove("COMPLETE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "completions {shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.stdout.is_empty(),
            "completions {shell} printed nothing"
        );
        let path = completions_dir().join(file);
        if update {
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(format!("completions/{file}"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts: {}\nregenerate them with:\n  \
         CONNECTCTL_UPDATE_COMPLETIONS=1 cargo test -p connectctl --test completions \
         checked_in_scripts_are_current\nand commit the result",
        stale.join(", ")
    );
}

/// Deletes the connectors when the test ends, even when it fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let c = Connect::new();
        for n in &self.0 {
            c.delete(n);
        }
    }
}

/// Two FileStreamSource connectors `<prefix>-alpha` and `<prefix>-beta` on the real worker.
fn two_connectors(dir: &Path) -> (String, Cleanup) {
    let prefix = unique("cmpl");
    let names = vec![format!("{prefix}-alpha"), format!("{prefix}-beta")];
    let connect = Connect::new();
    for n in &names {
        let file = dir.join(format!("{n}.txt"));
        std::fs::write(&file, "").unwrap();
        connect.create(
            n,
            json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "tasks.max": "1",
                "file": file.to_str().unwrap(),
                "topic": unique("cmpl-topic"),
            }),
        );
    }
    (prefix, Cleanup(names))
}

/// Whether `name` is on the screen, in full or as fish's pager shows it, with the common
/// prefix elided (`…-20938-1-alpha`).
fn listed(screen: &str, name: &str) -> bool {
    screen.split_whitespace().any(|w| {
        w == name
            || w.strip_prefix('…')
                .is_some_and(|rest| rest.len() >= 6 && name.ends_with(rest))
    })
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `env -i ...` so the user's environment and rc files play no part: PATH has the built
/// connectctl first, the cluster comes from CONNECTCTL_URL, and the config file and completion
/// cache are the test's own.
fn clean_env(home: &Path) -> String {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let vars = [
        ("HOME", home.to_str().unwrap().to_owned()),
        (
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
        ),
        ("TERM", "xterm-256color".to_owned()),
        ("LANG", "C.UTF-8".to_owned()),
        ("CONNECTCTL_URL", env().connect_url.clone()),
        (
            "CONNECTCTL_CONFIG",
            home.join("config.toml").to_str().unwrap().to_owned(),
        ),
        (
            "XDG_CACHE_HOME",
            home.join("cache").to_str().unwrap().to_owned(),
        ),
        (
            "XDG_CONFIG_HOME",
            home.join("config").to_str().unwrap().to_owned(),
        ),
        (
            "XDG_DATA_HOME",
            home.join("data").to_str().unwrap().to_owned(),
        ),
    ];
    let mut cmd = "exec env -i".to_owned();
    for (k, v) in vars {
        cmd.push_str(&format!(" {k}={}", sh_quote(&v)));
    }
    cmd
}

/// The shell command line for `shell`, started clean, with the checked-in script loaded and a
/// `READY` prompt to wait for.
fn shell_command(shell: &str, home: &Path) -> String {
    let script = |f: &str| completions_dir().join(f).to_str().unwrap().to_owned();
    let env = clean_env(home);
    match shell {
        "bash" => {
            let rc = home.join("bashrc");
            std::fs::write(
                &rc,
                format!(
                    "source {}\nPS1='READY$ '\n",
                    sh_quote(&script("connectctl.bash"))
                ),
            )
            .unwrap();
            format!(
                "{env} bash --noprofile --rcfile {}",
                sh_quote(rc.to_str().unwrap())
            )
        }
        "zsh" => {
            // zsh -f skips every rc file; the setup is typed in once the shell runs.
            format!("{env} zsh -f")
        }
        "fish" => {
            let init = format!(
                "set -g fish_greeting; function fish_prompt; echo -n 'READY> '; end; source {}",
                sh_quote(&script("connectctl.fish"))
            );
            format!("{env} fish --no-config -C {}", sh_quote(&init))
        }
        _ => unreachable!(),
    }
}

fn drive(shell: &str) {
    let home = tempfile::tempdir().unwrap();
    let (prefix, _cleanup) = two_connectors(home.path());
    let (alpha, beta) = (format!("{prefix}-alpha"), format!("{prefix}-beta"));
    let t = Tmux::start(&shell_command(shell, home.path()));
    if shell == "zsh" {
        t.keys(&format!(
            "autoload -Uz compinit && compinit -u -D && source {} && PROMPT='READY%% '",
            sh_quote(completions_dir().join("_connectctl").to_str().unwrap())
        ));
        t.key("Enter");
    }
    let ready = |s: &str| s.lines().any(|l| l.starts_with("READY"));
    let screen = t.wait(Duration::from_secs(10), ready);
    assert!(
        screen.is_some(),
        "{shell} never showed its prompt:\n{}",
        t.screen()
    );

    // Both connectors are offered for `status <prefix>`.
    t.keys(&format!("connectctl status {prefix}"));
    let both = |s: &str| listed(s, &alpha) && listed(s, &beta);
    // bash inserts the common prefix first, rings on the next TAB and lists on the one after;
    // zsh and fish list at once.
    let mut screen = None;
    for _ in 0..3 {
        t.key("Tab");
        screen = t.wait(Duration::from_secs(3), both);
        if screen.is_some() {
            break;
        }
    }
    assert!(
        screen.is_some(),
        "{shell}: TAB did not offer {alpha} and {beta}:\n{}",
        t.screen()
    );

    // A partial name completes to the one connector it matches. The marker typed after TAB
    // proves the name is on the line, not merely suggested.
    t.key("C-c");
    t.keys("clear");
    t.key("Enter");
    t.wait(Duration::from_secs(5), |s| !s.contains(&beta) && ready(s));
    t.keys(&format!("connectctl status {prefix}-al"));
    t.key("Tab");
    let completed = |s: &str| {
        s.lines().any(|l| {
            l.split_once(&alpha)
                .is_some_and(|(_, rest)| rest.trim_start().is_empty() || rest.trim_start() == "ZZ")
        })
    };
    let screen = t.wait(Duration::from_secs(4), completed);
    assert!(
        screen.is_some(),
        "{shell}: TAB did not complete {prefix}-al:\n{}",
        t.screen()
    );
    t.keys("ZZ");
    let marked = |s: &str| {
        s.lines().any(|l| {
            l.split_once(&alpha)
                .is_some_and(|(_, rest)| rest.trim_start() == "ZZ")
        })
    };
    let screen = t.wait(Duration::from_secs(4), marked);
    assert!(
        screen.is_some(),
        "{shell}: {prefix}-al was not completed to {alpha} on the line:\n{}",
        t.screen()
    );
}

#[test]
fn bash_completes_live_connector_names() {
    drive("bash");
}

#[test]
fn zsh_completes_live_connector_names() {
    drive("zsh");
}

#[test]
fn fish_completes_live_connector_names() {
    drive("fish");
}

/// What the binary answers when a shell's script calls back for `words` (the way each script
/// does: COMPLETE=<shell> and the index of the word being completed).
fn candidates(shell: &str, words: &[&str], home: &Path) -> String {
    let out = Command::new(BIN)
        .arg("--")
        .args(words)
        .env("COMPLETE", shell)
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .env("CONNECTCTL_URL", &env().connect_url)
        .env("CONNECTCTL_CONFIG", home.join("config.toml"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} {words:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn guard_and_top_complete_in_every_shell() {
    let home = tempfile::tempdir().unwrap();
    let (prefix, _cleanup) = two_connectors(home.path());
    for (shell, _) in SCRIPTS {
        let offered = |words: &[&str], want: &[&str]| {
            let got = candidates(shell, words, home.path());
            for w in want {
                assert!(
                    got.lines()
                        .any(|l| l.split([':', '\t', ' ']).next() == Some(*w)),
                    "{shell}: {words:?} did not offer {w}:\n{got}"
                );
            }
        };
        offered(&["connectctl", "gu"], &["guard"]);
        offered(&["connectctl", "to"], &["top"]);
        offered(
            &["connectctl", "guard", "--"],
            &[
                "--all",
                "--regex",
                "--interval",
                "--backoff",
                "--max-backoff",
                "--budget",
                "--window",
                "--once",
                "--state",
                "--restart-unknown",
                "--dry-run",
            ],
        );
        offered(
            &["connectctl", "top", "--"],
            &["--interval", "--filter", "--no-kafka"],
        );
        // guard takes live connector names.
        let alpha = format!("{prefix}-alpha");
        let beta = format!("{prefix}-beta");
        offered(&["connectctl", "guard", &prefix], &[&alpha, &beta]);
    }
}
