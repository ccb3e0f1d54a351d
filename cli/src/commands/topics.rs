//! `connectctl topics NAME [--reset]`: the topics a connector has used (Connect 2.5+).

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use super::connector_util::explain;
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// Forget the recorded topics (they are recorded again as the connector uses them)
    #[arg(long)]
    pub reset: bool,
}

#[derive(Debug, Serialize)]
struct Topics {
    name: String,
    topics: Vec<String>,
}

pub async fn run(ctx: &Ctx, args: TopicsArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    if args.reset {
        if let Err(e) = client.reset_topics(&args.name).await {
            return Err(explain(&client, &args.name, e, Some(("topics --reset", "2.5"))).await);
        }
        eprintln!("{}: active topics reset", args.name);
        return Ok(ExitCode::SUCCESS);
    }
    let topics = match client.topics(&args.name).await {
        Ok(t) => t,
        Err(e) => return Err(explain(&client, &args.name, e, Some(("topics", "2.5"))).await),
    };
    let list = Topics {
        name: args.name.clone(),
        topics: topics.into_values().flat_map(|a| a.topics).collect(),
    };
    if !print_structured(ctx.output, &list)? {
        if list.topics.is_empty() {
            eprintln!("{} has not used any topic yet", args.name);
        }
        for t in &list.topics {
            println!("{}", crate::output::esc(t));
        }
    }
    Ok(ExitCode::SUCCESS)
}
