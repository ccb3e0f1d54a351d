//! scripts/release on the debug binaries: what the archives hold, that SHA256SUMS checks them,
//! that two runs give byte-identical files, and what the README says the binaries need.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use connect_testkit::workspace_root;

use crate::install::built_bin_dir;

fn release(bin_dir: &Path, out: &Path) -> Output {
    let output = Command::new(workspace_root().join("scripts/release"))
        .arg("--bin-dir")
        .arg(bin_dir)
        .arg("--out")
        .arg(out)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "scripts/release: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Files (not directories) under `root`, relative to it.
fn files(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

/// The man pages a binary generates, as `man/man1/NAME.1` paths.
fn man_pages(bin: &Path) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    run(Command::new(bin).arg("generate-man").arg(dir.path()));
    files(dir.path())
        .into_iter()
        .map(|f| format!("man/man1/{f}"))
        .collect()
}

#[test]
fn release_archives_are_complete_checked_and_reproducible() {
    let bin_dir = built_bin_dir();
    let version = env!("CARGO_PKG_VERSION");
    // The archives are named after the binaries' target triple (x86_64-unknown-linux-gnu here).
    let info: serde_json::Value = serde_json::from_str(&run(Command::new(
        bin_dir.join("connectctl"),
    )
    .args(["version", "-o", "json"])))
    .unwrap();
    let target = info["target"].as_str().unwrap().to_owned();
    let ctl_name = format!("connectctl-{version}-{target}");
    let wkr_name = format!("connect-worker-{version}-{target}");
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = release(&bin_dir, one.path());
    release(&bin_dir, two.path());
    let log = String::from_utf8_lossy(&first.stderr);

    // Exactly two archives and their checksums; a second run writes the same bytes.
    let written = files(one.path());
    let want: BTreeSet<String> = [
        format!("{ctl_name}.tar.gz"),
        format!("{wkr_name}.tar.gz"),
        "SHA256SUMS".to_owned(),
    ]
    .into();
    assert_eq!(written, want);
    for f in &written {
        assert!(
            std::fs::read(one.path().join(f)).unwrap()
                == std::fs::read(two.path().join(f)).unwrap(),
            "{f} differs between two runs on the same binaries"
        );
    }
    let check = run(Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(one.path()));
    assert_eq!(
        check,
        format!("{wkr_name}.tar.gz: OK\n{ctl_name}.tar.gz: OK\n")
    );

    // Every entry: owner 0:0 and the last commit's time.
    let epoch = run(Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(workspace_root()));
    let stamp = run(Command::new("date").args([
        "-u",
        "-d",
        &format!("@{}", epoch.trim()),
        "+%Y-%m-%d %H:%M:%S",
    ]));
    for name in [&ctl_name, &wkr_name] {
        let listing = run(Command::new("tar")
            .args([
                "-tvzf",
                &format!("{name}.tar.gz"),
                "--numeric-owner",
                "--full-time",
            ])
            .env("TZ", "UTC")
            .current_dir(one.path()));
        for line in listing.lines() {
            assert!(line.contains(" 0/0 "), "owner not 0/0: {line}");
            assert!(line.contains(stamp.trim()), "mtime not {stamp}: {line}");
            assert!(
                line.split_whitespace()
                    .last()
                    .unwrap()
                    .starts_with(&format!("{name}/")),
                "outside {name}/: {line}"
            );
        }
    }

    // Unpacked, the archives hold exactly their documented files.
    let unpacked = tempfile::tempdir().unwrap();
    for name in [&ctl_name, &wkr_name] {
        run(Command::new("tar")
            .args(["-xzf"])
            .arg(one.path().join(format!("{name}.tar.gz")))
            .current_dir(unpacked.path()));
    }
    let ctl_dir = unpacked.path().join(&ctl_name);
    let mut want: BTreeSet<String> = [
        "connectctl",
        "README.md",
        "LICENSE",
        "completions/connectctl.bash",
        "completions/_connectctl",
        "completions/connectctl.fish",
        "completions/connectctl.ps1",
        "completions/connectctl.elv",
    ]
    .map(str::to_owned)
    .into();
    want.extend(man_pages(&bin_dir.join("connectctl")));
    assert!(want.contains("man/man1/connectctl-status.1"));
    assert_eq!(files(&ctl_dir), want);

    let wkr_dir = unpacked.path().join(&wkr_name);
    let mut want: BTreeSet<String> = [
        "connect-worker",
        "README.md",
        "LICENSE",
        "worker.properties",
        "connect-worker.service",
        "Containerfile",
    ]
    .map(str::to_owned)
    .into();
    want.extend(man_pages(&bin_dir.join("connect-worker")));
    assert!(want.contains("man/man1/connect-worker.1"));
    assert_eq!(files(&wkr_dir), want);

    // The contents are the project's: completions as checked in, the unit and examples from
    // worker/dist, the license text; the binaries run and report this version.
    let root = workspace_root();
    for (archived, source) in [
        (
            ctl_dir.join("completions/connectctl.bash"),
            root.join("completions/connectctl.bash"),
        ),
        (
            ctl_dir.join("completions/_connectctl"),
            root.join("completions/_connectctl"),
        ),
        (ctl_dir.join("LICENSE"), root.join("LICENSE")),
        (
            wkr_dir.join("connect-worker.service"),
            root.join("worker/dist/connect-worker.service"),
        ),
        (
            wkr_dir.join("worker.properties"),
            root.join("worker/dist/worker.properties"),
        ),
        (
            wkr_dir.join("Containerfile"),
            root.join("worker/dist/Containerfile"),
        ),
    ] {
        assert!(
            std::fs::read(&archived).unwrap() == std::fs::read(&source).unwrap(),
            "{} is not {}",
            archived.display(),
            source.display()
        );
    }
    let license = std::fs::read_to_string(root.join("LICENSE")).unwrap();
    assert!(license.contains("Apache License\n") && license.contains("Version 2.0, January 2004"));
    let v = run(Command::new(ctl_dir.join("connectctl")).arg("--version"));
    assert!(v.starts_with(&format!("connectctl {version} (")), "{v}");
    let v = run(Command::new(wkr_dir.join("connect-worker")).arg("--version"));
    assert!(v.starts_with(&format!("connect-worker {version} (")), "{v}");

    // The unit was checked by systemd itself where it is installed, else the script said so.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        assert!(
            log.contains("connect-worker.service passes systemd-analyze verify"),
            "{log}"
        );
    } else {
        assert!(log.contains("systemd-analyze not found"), "{log}");
    }

    // The README names the glibc the binaries need, as the release measured it.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for bin in ["connectctl", "connect-worker"] {
        let glibc = log
            .lines()
            .find_map(|l| l.strip_prefix(&format!("release: {bin} needs glibc ")))
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("release did not report {bin}'s glibc:\n{log}"));
        assert!(
            readme.contains(&format!("glibc {glibc} or later")),
            "README.md does not say {bin} needs glibc {glibc} or later"
        );
    }
}
