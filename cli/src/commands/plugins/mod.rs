//! `connectctl plugins`: the plugins the worker has; `plugins describe CLASS`: a plugin's
//! config definition.

pub mod describe;
pub mod list;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Ctx;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PluginsArgs {
    #[command(subcommand)]
    pub command: Option<PluginsCommand>,
    #[command(flatten)]
    pub list: list::PluginsListArgs,
}

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Show a plugin's config keys: type, default, importance, documentation
    Describe(describe::PluginsDescribeArgs),
}

pub async fn run(ctx: &Ctx, args: PluginsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(PluginsCommand::Describe(a)) => describe::run(ctx, a).await,
        None => list::run(ctx, args.list).await,
    }
}
