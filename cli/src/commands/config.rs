//! `connectctl config NAME`: the connector's configuration only (secrets masked).

use std::process::ExitCode;

use clap::Args;

use super::Ctx;
use super::connector_util::{explain, shown_config};
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
}

pub async fn run(ctx: &Ctx, args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let config = match client.config(&args.name).await {
        Ok(c) => c,
        Err(e) => return Err(explain(&client, &args.name, e, None).await),
    };
    let config = shown_config(ctx, &client, config).await;
    if print_structured(ctx.output, &config)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["KEY", "VALUE"]);
    for (k, v) in &config {
        t.add_row(crate::output::cells(vec![k, v]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}
