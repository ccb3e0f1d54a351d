//! `connectctl delete`: deletes connectors after confirmation, first saving each config to a
//! backup file that `connectctl create -f` accepts.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
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
        return Err(super::usage(anyhow::anyhow!(
            "{prompt}: no terminal to confirm on; pass --yes to proceed"
        )));
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()?)
}

/// A file name that sorts by time and never collides within a run.
pub fn stamped(dir: &Path, name: &str, ext: &str) -> PathBuf {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    dir.join(format!("{}-{ms}.{ext}", file_stem(name)))
}

/// The longest name part of a backup file: file systems allow 255 bytes per name, and a
/// connector name may be thousands of characters long.
const MAX_STEM: usize = 80;

/// A file-name-safe form of a connector name; a long name is cut and given a hash of the whole
/// name, so that two long names sharing a prefix never share a file. The full name is inside
/// the backup, which is what `create -f` reads.
fn file_stem(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.len() <= MAX_STEM && !safe.is_empty() {
        return safe;
    }
    // FNV-1a: stable across builds, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}-{h:016x}", &safe[..safe.len().min(MAX_STEM - 17)])
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
        // Owner-only: the backup holds the config unmasked, secrets included. Without a backup
        // this connector is kept; the others go on.
        if let Err(e) = crate::context::write_private(&path, &serde_json::to_vec_pretty(&body)?) {
            outcomes.push(Outcome {
                name,
                ok: false,
                message: format!(
                    "not deleted: cannot write the backup {}: {e}",
                    path.display()
                ),
            });
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_stay_short_and_distinct() {
        assert_eq!(file_stem("orders-sink"), "orders-sink");
        assert_eq!(file_stem("a/b"), "a_b");
        assert_eq!(file_stem(".."), "__");
        let long_a = "x".repeat(3000);
        let long_b = format!("{}y", "x".repeat(2999));
        let (a, b) = (file_stem(&long_a), file_stem(&long_b));
        assert!(a.len() <= MAX_STEM, "{}", a.len());
        assert_ne!(a, b);
        let path = stamped(Path::new("/tmp"), &long_a, "json");
        let file = path.file_name().unwrap().to_str().unwrap();
        assert!(file.len() < 255, "{}", file.len());
    }
}
