//! `connectctl generate-man DIR` (hidden): writes the man pages, one per command and subcommand
//! (connectctl.1, connectctl-status.1, connectctl-dlq-inspect.1, ...), from the clap definitions.
//! scripts/install and scripts/release call it; users read the installed pages with `man`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages to (created if missing)
    pub dir: PathBuf,
}

pub fn run(args: ManArgs) -> anyhow::Result<ExitCode> {
    let written = generate(
        crate::cli::Cli::command(),
        &args.dir,
        env!("CONNECT_BUILD_DATE"),
    )?;
    eprintln!(
        "connectctl: wrote {} man pages to {}",
        written.len(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Renders `cmd` and every visible subcommand into `dir`; returns the files written. The date
/// is the build's (not today's) so the pages of one commit are byte-identical.
pub fn generate(cmd: clap::Command, dir: &Path, date: &str) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    render(&cmd, dir, date, &mut written)?;
    Ok(written)
}

fn render(
    cmd: &clap::Command,
    dir: &Path,
    date: &str,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, dir, date, written)?;
    }
    // Subcommands carry no version of their own; every page's footer names the release.
    let man = clap_mangen::Man::new(cmd.clone())
        .date(date)
        .source(concat!("connectctl ", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    Ok(())
}
