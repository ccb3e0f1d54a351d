//! `connectctl dlq ...`: dead letter queue commands.

use std::process::ExitCode;

use clap::Subcommand;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Explain why the records in a DLQ failed and where they came from
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// DLQ topic to read
    pub topic: Option<String>,
}

pub async fn run(_ctx: &Ctx, cmd: DlqCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DlqCommand::Inspect(_) => anyhow::bail!("dlq inspect is not available in this build yet"),
    }
}
