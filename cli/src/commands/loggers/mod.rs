//! `connectctl loggers`: logger levels (Connect 2.4+); `loggers set NAME LEVEL`.

pub mod list;
pub mod set;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Ctx;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LoggersArgs {
    #[command(subcommand)]
    pub command: Option<LoggersCommand>,
    #[command(flatten)]
    pub list: list::LoggersListArgs,
}

#[derive(Debug, Subcommand)]
pub enum LoggersCommand {
    /// Set a logger's level on this worker, or on every worker with --scope cluster (3.7+)
    Set(set::LoggersSetArgs),
}

pub async fn run(ctx: &Ctx, args: LoggersArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(LoggersCommand::Set(a)) => set::run(ctx, a).await,
        None => list::run(ctx, args.list).await,
    }
}
