//! `connectctl context ls`

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::commands::Ctx;
use crate::context::ConfigFile;
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct ContextLsArgs {}

#[derive(Debug, Serialize)]
struct Row {
    name: String,
    current: bool,
    urls: Vec<String>,
    auth: &'static str,
    bootstrap_servers: Option<String>,
}

pub fn run(ctx: &Ctx, _args: ContextLsArgs) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&ctx.config_path)?;
    let rows: Vec<Row> = file
        .contexts
        .iter()
        .map(|(name, c)| Row {
            name: name.clone(),
            current: file.current_context.as_deref() == Some(name.as_str()),
            urls: c
                .endpoints()
                .iter()
                .map(|u| crate::client::redact_url(u))
                .collect(),
            auth: if c.confluent_cloud.is_some() {
                "cloud-api-key"
            } else if c.auth.username.is_some() {
                "basic"
            } else if c.auth.token.is_some()
                || c.auth.token_env.is_some()
                || c.auth.token_command.is_some()
            {
                "bearer"
            } else {
                "none"
            },
            bootstrap_servers: c.kafka.get("bootstrap.servers").cloned(),
        })
        .collect();
    if print_structured(ctx.output, &rows)? {
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "no contexts in {}; add one with `connectctl context add NAME --url URL`",
            ctx.config_path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["CURRENT", "NAME", "URLS", "AUTH", "KAFKA"]);
    for r in &rows {
        t.add_row(crate::output::cells(vec![
            if r.current { "*" } else { "" }.to_owned(),
            r.name.clone(),
            r.urls
                .iter()
                .map(|u| crate::client::redact_url(u))
                .collect::<Vec<_>>()
                .join(","),
            r.auth.to_owned(),
            r.bootstrap_servers.clone().unwrap_or_default(),
        ]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}
