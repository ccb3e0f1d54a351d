// Build information for `--version`: the commit and the build date, as compile-time variables
// `CONNECT_BUILD_COMMIT`, `CONNECT_BUILD_DATE` (YYYY-MM-DD, UTC) and `CONNECT_BUILD_TARGET`.
//
// The date is the last commit's (or `SOURCE_DATE_EPOCH`'s), never the clock's, so two builds of
// one commit are identical. Outside a git checkout (a source archive) the commit is "unknown".
// worker/build.rs includes this file, so both binaries report the same way.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // This file is also worker/build.rs's body.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../cli/build.rs");
    // Rerun when HEAD moves, and only then: these are the files a commit or checkout rewrites.
    // A path that does not exist would make cargo rerun this script on every build.
    if let Some(head) = git(&dir, &["rev-parse", "--git-path", "HEAD"]) {
        let mut watched = vec![head];
        if let Some(branch) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
            watched.extend(git(&dir, &["rev-parse", "--git-path", &branch]));
        }
        watched.extend(git(&dir, &["rev-parse", "--git-path", "packed-refs"]));
        for p in watched {
            let p = dir.join(p);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }

    let commit =
        git(&dir, &["rev-parse", "--short=10", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&dir, &["log", "-1", "--format=%ct"]))
        .and_then(|s| s.trim().parse::<i64>().ok());
    let date = epoch.map_or_else(|| "unknown".to_owned(), utc_date);
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=CONNECT_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=CONNECT_BUILD_DATE={date}");
    println!("cargo:rustc-env=CONNECT_BUILD_TARGET={target}");
}

/// One line of git's output, or None when git is missing or this is not a checkout.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// `YYYY-MM-DD` of a Unix time, UTC (Howard Hinnant's days-to-civil; no date crate needed).
fn utc_date(epoch: i64) -> String {
    let z = epoch.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
