//! `connectctl context current`: the context in use and the URL that results.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::commands::Ctx;
use crate::context::ConfigFile;
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct ContextCurrentArgs {}

#[derive(Debug, Serialize)]
struct Current {
    context: Option<String>,
    config_file: String,
    urls: Vec<String>,
    bootstrap_servers: Option<String>,
}

pub fn run(ctx: &Ctx, _args: ContextCurrentArgs) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&ctx.config_path)?;
    let name = ctx
        .context
        .as_ref()
        .map(|(n, _)| n.clone())
        .or(file.current_context.clone());
    let c = name.as_ref().and_then(|n| file.contexts.get(n));
    let cur = Current {
        context: name.clone(),
        config_file: ctx.config_path.display().to_string(),
        urls: c
            .map(|c| c.endpoints())
            .unwrap_or_else(|| vec![ctx.url.clone()])
            .iter()
            .map(|u| crate::client::redact_url(u))
            .collect(),
        bootstrap_servers: c.and_then(|c| c.kafka.get("bootstrap.servers").cloned()),
    };
    if !print_structured(ctx.output, &cur)? {
        match &cur.context {
            Some(n) => println!("{n} ({})", cur.urls.join(", ")),
            None => println!("no current context; using {}", cur.urls.join(", ")),
        }
    }
    Ok(ExitCode::SUCCESS)
}
