//! `connectctl pause`: pauses connectors and their tasks (PUT /connectors/{c}/pause).

use std::process::ExitCode;

use clap::Args;

use super::Ctx;
use super::connector_util::{Selection, bulk};

#[derive(Debug, Args)]
pub struct PauseArgs {
    #[command(flatten)]
    pub selection: Selection,
}

pub async fn run(ctx: &Ctx, args: PauseArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let client = &client;
    bulk(
        ctx,
        client,
        &args.selection,
        "pause requested",
        None,
        |name| async move { client.pause(&name).await },
    )
    .await
}
