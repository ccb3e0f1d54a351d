//! scripts/install as a user runs it: into a prefix, with a clean HOME and PATH, then the
//! installed tools are used the way a shell finds them (PATH, man, bash completion), and
//! `--uninstall` leaves nothing of ours behind. The debug binaries stand in for a release build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use connect_testkit::tmux::Tmux;
use connect_testkit::{workspace_bin, workspace_root};

/// The directory holding freshly built connectctl and connect-worker.
pub fn built_bin_dir() -> PathBuf {
    let ctl = workspace_bin("connectctl", "connectctl");
    let worker = workspace_bin("connect-worker", "connect-worker");
    assert_eq!(ctl.parent(), worker.parent());
    ctl.parent().unwrap().to_path_buf()
}

/// PATH for the clean environment: the prefix's bin first, then the system's.
fn clean_path(prefix: &Path) -> String {
    format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        prefix.join("bin").display()
    )
}

/// `sh -c SCRIPT` with nothing from the test's environment but HOME and PATH.
fn clean_sh(home: &Path, prefix: &Path, script: &str) -> Output {
    Command::new("sh")
        .args(["-c", script])
        .env_clear()
        .env("HOME", home)
        .env("PATH", clean_path(prefix))
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap()
}

fn install(home: &Path, prefix: &Path, extra: &[&str]) -> Output {
    Command::new(workspace_root().join("scripts/install"))
        .arg("--prefix")
        .arg(prefix)
        .args(extra)
        .env_clear()
        .env("HOME", home)
        .env("PATH", clean_path(prefix))
        .output()
        .unwrap()
}

fn ok(what: &str, out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Every file and directory under `root`, relative to it.
fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            out.insert(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn install_use_and_uninstall_in_a_clean_environment() {
    let bin_dir = built_bin_dir();
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let prefix = root.path().join("prefix");
    // A file of the user's in a directory the install also uses: it must survive.
    let mine = prefix.join("share/man/man1/mine.1");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, ".TH MINE 1\n").unwrap();
    let before = tree(&prefix);

    let bin_arg = ["--bin-dir", bin_dir.to_str().unwrap()];
    ok("install", &install(home.path(), &prefix, &bin_arg));
    let manifest =
        std::fs::read_to_string(prefix.join("share/connectctl/install-manifest")).unwrap();
    // Idempotent: a second run succeeds and installs the same files.
    ok("second install", &install(home.path(), &prefix, &bin_arg));
    let manifest_again =
        std::fs::read_to_string(prefix.join("share/connectctl/install-manifest")).unwrap();
    assert_eq!(manifest, manifest_again);

    for f in [
        "bin/connectctl",
        "bin/connect-worker",
        "share/bash-completion/completions/connectctl",
        "share/zsh/site-functions/_connectctl",
        "share/fish/vendor_completions.d/connectctl.fish",
        "share/man/man1/connectctl.1",
        "share/man/man1/connectctl-status.1",
        "share/man/man1/connectctl-dlq-replay.1",
        "share/man/man1/connect-worker.1",
    ] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
        assert!(
            manifest.contains(&format!("f {}\n", prefix.join(f).display())),
            "{f} not in the manifest:\n{manifest}"
        );
    }
    // The completion scripts are the checked-in ones (what the binary prints).
    assert_eq!(
        std::fs::read(prefix.join("share/bash-completion/completions/connectctl")).unwrap(),
        std::fs::read(workspace_root().join("completions/connectctl.bash")).unwrap()
    );

    // The shell finds the installed binaries on PATH, and they say what they are.
    let out = ok(
        "installed --version",
        &clean_sh(
            home.path(),
            &prefix,
            "command -v connectctl && connectctl --version && connect-worker --version",
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        prefix.join("bin/connectctl").display().to_string()
    );
    let ver = env!("CARGO_PKG_VERSION");
    assert!(
        lines[1].starts_with(&format!("connectctl {ver} (")),
        "{out}"
    );
    assert!(
        lines[2].starts_with(&format!("connect-worker {ver} (")),
        "{out}"
    );

    // man renders an installed page, and finds it by name through PATH (PREFIX/bin on PATH
    // puts PREFIX/share/man on man's search path).
    let page = prefix.join("share/man/man1/connectctl-status.1");
    let out = ok(
        "man -l",
        &clean_sh(
            home.path(),
            &prefix,
            &format!(
                "MANPAGER=cat MANWIDTH=200 man -l {} && man -w connectctl-status",
                sh_quote(page.to_str().unwrap())
            ),
        ),
    );
    assert!(out.contains("NAME"), "{out}");
    assert!(
        out.contains("connectctl-status - What broke, where, and what to do"),
        "{out}"
    );
    assert!(out.contains("--trace"), "{out}");
    assert_eq!(out.lines().last(), Some(page.to_str().unwrap()), "{out}");

    bash_completes_a_subcommand(home.path(), &prefix);

    // Uninstall: exactly the installed files and the directories the install created go.
    let out = install(home.path(), &prefix, &["--uninstall"]);
    ok("uninstall", &out);
    assert_eq!(tree(&prefix), before, "left behind after --uninstall");
    assert!(mine.is_file());
    // A second uninstall has nothing to remove and says so.
    let out = install(home.path(), &prefix, &["--uninstall"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to uninstall"), "{err}");
}

/// A real bash, started clean, sources the installed completion script; TAB after
/// `connectctl stat` completes `status` by asking the installed connectctl.
fn bash_completes_a_subcommand(home: &Path, prefix: &Path) {
    let rc = home.join("bashrc");
    let script = prefix.join("share/bash-completion/completions/connectctl");
    std::fs::write(
        &rc,
        format!(
            "source {}\nPS1='READY$ '\n",
            sh_quote(script.to_str().unwrap())
        ),
    )
    .unwrap();
    let t = Tmux::start(&format!(
        "exec env -i HOME={} PATH={} TERM=xterm-256color LANG=C.UTF-8 bash --noprofile --rcfile {}",
        sh_quote(home.to_str().unwrap()),
        sh_quote(&clean_path(prefix)),
        sh_quote(rc.to_str().unwrap())
    ));
    let ready = t.wait(Duration::from_secs(10), |s| {
        s.lines().any(|l| l.starts_with("READY"))
    });
    assert!(
        ready.is_some(),
        "bash never showed its prompt:\n{}",
        t.screen()
    );
    t.keys("connectctl stat");
    t.key("Tab");
    // The marker typed after TAB proves `status ` is on the line, not merely listed (bash reads
    // keys in order, so it lands after the completion).
    t.keys("ZZ");
    let done = t.wait(Duration::from_secs(5), |s| {
        s.contains("READY$ connectctl status ZZ")
    });
    assert!(
        done.is_some(),
        "TAB did not complete `connectctl stat` to `status`:\n{}",
        t.screen()
    );
}
