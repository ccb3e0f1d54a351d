//! `connectctl diff NAME -f FILE`: what applying FILE would change in the live config.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Ctx;
use super::connector_util::{explain, password_keys};
use super::file_util::{diff, print_changes, read_connector_file};
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// Config file (JSON or .properties; `-` for stdin)
    #[arg(short = 'f', long = "file", required = true)]
    pub file: PathBuf,
    /// Exit with 1 when there are differences (for scripts)
    #[arg(long)]
    pub exit_code: bool,
}

pub async fn run(ctx: &Ctx, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let file = read_connector_file(&args.file)?;
    let mut desired = file.config;
    desired.insert("name".to_owned(), args.name.clone());
    let client = ctx.client()?;
    let mut live = match client.config(&args.name).await {
        Ok(c) => c,
        Err(e) => return Err(explain(&client, &args.name, e, None).await),
    };
    super::apply::note_hidden(&args.name, &client.comparable(&mut live, &desired));
    let keys = password_keys(&client, &desired).await;
    let changes = diff(&live, &desired, &keys, ctx.reveal);
    if !print_structured(ctx.output, &changes)? {
        if changes.is_empty() {
            println!("no differences");
        } else {
            print_changes(&changes);
        }
    }
    Ok(if args.exit_code && !changes.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
