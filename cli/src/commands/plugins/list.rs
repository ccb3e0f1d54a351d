//! `connectctl plugins [--type ...]`

use std::process::ExitCode;

use clap::Args;

use crate::commands::Ctx;
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct PluginsListArgs {
    /// Only these types (repeatable or comma-separated)
    #[arg(long = "type", short = 't', value_delimiter = ',', value_parser = [
        "source", "sink", "converter", "header_converter", "transformation", "predicate"
    ])]
    pub types: Vec<String>,
}

pub async fn run(ctx: &Ctx, args: PluginsListArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let connectors_only =
        !args.types.is_empty() && args.types.iter().all(|t| t == "source" || t == "sink");
    let mut plugins = client.plugins(connectors_only).await?;
    plugins.retain(|p| args.types.is_empty() || args.types.contains(&p.plugin_type));
    plugins.sort_by(|a, b| (&a.plugin_type, &a.class_name).cmp(&(&b.plugin_type, &b.class_name)));
    if print_structured(ctx.output, &plugins)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["CLASS", "TYPE", "VERSION"]);
    for p in &plugins {
        t.add_row(crate::output::cells(vec![
            p.class_name.as_str(),
            &p.plugin_type,
            p.version.as_deref().unwrap_or(""),
        ]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}
