//! `connectctl resume`: resumes paused or stopped connectors (PUT /connectors/{c}/resume).

use std::process::ExitCode;

use clap::Args;

use super::Ctx;
use super::connector_util::{Selection, bulk};

#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub selection: Selection,
}

pub async fn run(ctx: &Ctx, args: ResumeArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let client = &client;
    bulk(
        ctx,
        client,
        &args.selection,
        "resume requested",
        None,
        |name| async move { client.resume(&name).await },
    )
    .await
}
