//! `connectctl loggers [NAME]`

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use connect_api::Loggers;

use crate::commands::Ctx;
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct LoggersListArgs {
    /// Only loggers whose name contains this text (or exactly this logger, if it exists)
    pub filter: Option<String>,
}

pub async fn run(ctx: &Ctx, args: LoggersListArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let mut loggers: Loggers = match client.loggers().await {
        Ok(l) => l,
        Err(e) if e.is_missing_endpoint() => {
            return Err(anyhow!("loggers needs Kafka Connect 2.4 or newer ({e})"));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(f) = &args.filter {
        if loggers.contains_key(f) {
            loggers.retain(|k, _| k == f);
        } else {
            loggers.retain(|k, _| k.contains(f.as_str()));
        }
    }
    if print_structured(ctx.output, &loggers)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["LOGGER", "LEVEL", "LAST MODIFIED"]);
    for (name, l) in &loggers {
        t.add_row(crate::output::cells(vec![
            name.clone(),
            l.level.clone(),
            l.last_modified.map(|ms| ms.to_string()).unwrap_or_default(),
        ]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}
