//! `connectctl context ...`: named clusters in the config file.

pub mod add;
pub mod current;
pub mod ls;
pub mod rm;
pub mod use_context;

use std::process::ExitCode;

use clap::Subcommand;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// Add or replace a context (Connect URL from --url, Kafka from --bootstrap-servers / -X)
    Add(Box<add::ContextAddArgs>),
    /// Make a context the default
    Use(use_context::ContextUseArgs),
    /// List contexts
    #[command(visible_alias = "list")]
    Ls(ls::ContextLsArgs),
    /// Remove a context
    Rm(rm::ContextRmArgs),
    /// Show the context in use and where its settings come from
    Current(current::ContextCurrentArgs),
}

pub async fn run(ctx: &Ctx, cmd: ContextCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ContextCommand::Add(a) => add::run(ctx, *a),
        ContextCommand::Use(a) => use_context::run(ctx, a),
        ContextCommand::Ls(a) => ls::run(ctx, a),
        ContextCommand::Rm(a) => rm::run(ctx, a),
        ContextCommand::Current(a) => current::run(ctx, a),
    }
}
