//! `connectctl plugins describe CLASS`: the config definition table (Connect 3.2+).

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use crate::commands::Ctx;
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct PluginsDescribeArgs {
    /// Plugin class or alias, e.g. FileStreamSink
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::plugin_classes))]
    pub class: String,
    /// Only keys whose name or documentation contains this text
    #[arg(long)]
    pub search: Option<String>,
}

pub async fn run(ctx: &Ctx, args: PluginsDescribeArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let mut defs = match client.plugin_config(&args.class).await {
        Ok(d) => d,
        Err(e)
            if e.is_missing_endpoint() && !e.message().unwrap_or("").contains("Unknown plugin") =>
        {
            return Err(anyhow!(
                "plugins describe needs Kafka Connect 3.2 or newer ({e})"
            ));
        }
        Err(e) if e.status() == Some(404) => {
            return Err(anyhow!(
                "no plugin '{}' on this worker; `connectctl plugins` lists them",
                args.class
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(s) = &args.search {
        let s = s.to_lowercase();
        defs.retain(|d| {
            d.name.to_lowercase().contains(&s)
                || d.documentation
                    .as_deref()
                    .unwrap_or("")
                    .to_lowercase()
                    .contains(&s)
        });
    }
    if print_structured(ctx.output, &defs)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&[
        "KEY",
        "TYPE",
        "REQUIRED",
        "DEFAULT",
        "IMPORTANCE",
        "GROUP",
        "DOCUMENTATION",
    ]);
    for d in &defs {
        t.add_row(crate::output::cells(vec![
            d.name.clone(),
            d.key_type.clone(),
            if d.required { "yes" } else { "" }.to_owned(),
            d.default_value.clone().unwrap_or_default(),
            d.importance.clone().unwrap_or_default(),
            d.group.clone().unwrap_or_default(),
            d.documentation.clone().unwrap_or_default(),
        ]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}
