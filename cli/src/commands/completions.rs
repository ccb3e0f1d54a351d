//! `connectctl completions SHELL`: prints the script that registers dynamic completion.
//!
//! The script calls `COMPLETE=<shell> connectctl -- <words>` (found on PATH) at every TAB, so
//! values come from the live cluster; `crate::complete` has the completers. The same text is
//! checked in under `completions/`, and a test fails when it goes stale.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

/// The environment variable the scripts set to ask connectctl for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to print the completion script for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The registration script for `shell`. It names `connectctl` rather than this binary's path so
/// the checked-in scripts work wherever connectctl is installed.
pub fn script(shell: Shell) -> Vec<u8> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
        Shell::Elvish => &Elvish,
    };
    let mut buf = Vec::new();
    completer
        .write_registration(
            COMPLETE_VAR,
            "connectctl",
            "connectctl",
            "connectctl",
            &mut buf,
        )
        .expect("writing to a Vec cannot fail");
    buf
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(&script(args.shell))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
