//! The binary's `--version` text and its hidden `generate-man DIR` command, which writes
//! its man pages from the clap definitions for scripts/install and scripts/release.
//! (A module of main.rs, not of the library.)

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `0.1.0 (commit date)`, the text after the name in `connect-worker --version`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CONNECT_BUILD_COMMIT"),
    " ",
    env!("CONNECT_BUILD_DATE"),
    ")"
);

/// Handles `connect-worker generate-man DIR` before the normal parse, so the worker's own
/// command line stays as users see it; None for any other command line.
pub fn generate_man_if_asked(cmd: impl FnOnce() -> clap::Command) -> Option<ExitCode> {
    let args: Vec<_> = std::env::args_os().collect();
    if args.get(1).map(|a| a.as_os_str()) != Some(OsStr::new("generate-man")) {
        return None;
    }
    let Some(dir) = args.get(2).filter(|_| args.len() == 3).map(PathBuf::from) else {
        eprintln!("error: usage: connect-worker generate-man DIR");
        return Some(ExitCode::from(2));
    };
    Some(match write(cmd(), &dir) {
        Ok(pages) => {
            eprintln!(
                "connect-worker: wrote {} man pages to {}",
                pages.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the man pages to {}: {e}",
                dir.display()
            );
            ExitCode::from(1)
        }
    })
}

/// Writes one page per command: connect-worker.1 and one per mode (connect-worker-standalone.1).
fn write(cmd: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    render(&cmd, dir, &mut written)?;
    Ok(written)
}

fn render(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, dir, written)?;
    }
    // The build's date, not today's, so the pages of one commit are byte-identical.
    let man = clap_mangen::Man::new(cmd.clone())
        .date(env!("CONNECT_BUILD_DATE"))
        .source(concat!("connect-worker ", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page)?;
    written.push(path);
    Ok(())
}
