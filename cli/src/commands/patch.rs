//! `connectctl patch NAME --set k=v --unset k`: changes single keys with PATCH (Connect 3.8+).

use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value};

use super::Ctx;
use super::connector_util::{explain, password_keys};
use super::create::explain_write_error;
use super::file_util::{diff, parse_set, print_changes};
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct PatchArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// Key to set (repeatable)
    #[arg(short = 's', long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Key to remove (repeatable)
    #[arg(short = 'u', long = "unset", value_name = "KEY")]
    pub unset: Vec<String>,
}

pub async fn run(ctx: &Ctx, args: PatchArgs) -> anyhow::Result<ExitCode> {
    if args.set.is_empty() && args.unset.is_empty() {
        return Err(super::usage(anyhow::anyhow!(
            "nothing to change: give --set KEY=VALUE or --unset KEY"
        )));
    }
    let mut patch = Map::new();
    for kv in &args.set {
        let (k, v) = parse_set(kv).map_err(super::usage)?;
        patch.insert(k, Value::String(v));
    }
    for k in &args.unset {
        // PATCH removes keys whose value is JSON null.
        patch.insert(k.clone(), Value::Null);
    }
    let client = ctx.client()?;
    let before = match client.config(&args.name).await {
        Ok(c) => c,
        Err(e) => return Err(explain(&client, &args.name, e, None).await),
    };
    let after = match client.patch_config(&args.name, &patch).await {
        Ok(info) => info.config,
        Err(e) if e.is_missing_endpoint() => {
            return Err(explain(
                &client,
                &args.name,
                e,
                Some(("patch (PATCH config)", "3.8")),
            )
            .await);
        }
        Err(e) => {
            let mut merged = before.clone();
            for (k, v) in &patch {
                match v.as_str() {
                    Some(s) => merged.insert(k.clone(), s.to_owned()),
                    None => merged.remove(k),
                };
            }
            return Err(explain_write_error(&client, &args.name, &merged, e).await);
        }
    };
    let keys = password_keys(&client, &after).await;
    let changes = diff(&before, &after, &keys, ctx.reveal);
    if !print_structured(ctx.output, &changes)? {
        if changes.is_empty() {
            println!("{}: unchanged", args.name);
        } else {
            println!("{}: {} key(s) changed", args.name, changes.len());
            print_changes(&changes);
        }
    }
    Ok(ExitCode::SUCCESS)
}
