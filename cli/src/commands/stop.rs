//! `connectctl stop`: stops connectors; their tasks are shut down, not kept (Connect 3.5+).

use std::process::ExitCode;

use clap::Args;

use super::Ctx;
use super::connector_util::{Selection, bulk};

#[derive(Debug, Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub selection: Selection,
}

pub async fn run(ctx: &Ctx, args: StopArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let client = &client;
    bulk(
        ctx,
        client,
        &args.selection,
        "stopped",
        Some(("stop", "3.5")),
        |name| async move { client.stop(&name).await },
    )
    .await
}
