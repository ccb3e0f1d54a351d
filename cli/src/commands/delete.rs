//! `connectctl delete`: deletes connectors after confirmation, first saving each config to a
//! backup file that `connectctl create -f` accepts.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Args;

use super::Ctx;
use super::connector_util::{Outcome, Selection, explain, finish};
use crate::context::state_dir;

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Directory for the config backups (default: $XDG_STATE_HOME/connectctl/backups)
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

/// Asks on the terminal; without one, refuses rather than deleting unasked.
pub fn confirm(prompt: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        bail!("{prompt}: no terminal to confirm on; pass --yes to proceed");
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()?)
}

/// A file name that sorts by time and never collides within a run.
pub fn stamped(dir: &std::path::Path, name: &str, ext: &str) -> PathBuf {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}-{ms}.{ext}"))
}

pub async fn run(ctx: &Ctx, args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let names = args.selection.resolve(&client).await?;
    if names.is_empty() {
        return finish(ctx, &[]);
    }
    let prompt = format!("Delete {} connector(s): {}?", names.len(), names.join(", "));
    if !confirm(&prompt, args.yes)? {
        eprintln!("nothing deleted");
        return Ok(ExitCode::from(1));
    }
    let dir = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| state_dir("backups"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut outcomes = Vec::new();
    for name in names {
        // The backup is written before the delete so a failure never loses the config.
        let config = match client.config(&name).await {
            Ok(c) => c,
            Err(e) => {
                let e = explain(&client, &name, e, None).await;
                outcomes.push(Outcome {
                    name,
                    ok: false,
                    message: format!("{e:#}"),
                });
                continue;
            }
        };
        let path = stamped(&dir, &name, "json");
        let body = serde_json::json!({"name": name, "config": config});
        // Owner-only: the backup holds the config unmasked, secrets included.
        crate::context::write_private(&path, &serde_json::to_vec_pretty(&body)?)
            .with_context(|| format!("cannot write the backup {}", path.display()))?;
        match client.delete(&name).await {
            Ok(()) => outcomes.push(Outcome {
                message: format!("deleted; config saved to {}", path.display()),
                name,
                ok: true,
            }),
            Err(e) => {
                let e = explain(&client, &name, e, None).await;
                outcomes.push(Outcome {
                    name,
                    ok: false,
                    message: format!("{e:#}"),
                });
            }
        }
    }
    finish(ctx, &outcomes)
}
