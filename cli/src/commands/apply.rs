//! `connectctl apply -f FILE...`: creates missing connectors and updates existing ones, showing
//! the keys that change first. `--dry-run` validates and shows the diff without saving.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use serde::Serialize;

use super::Ctx;
use super::connector_util::password_keys;
use super::create::explain_write_error;
use super::file_util::{Change, diff, print_changes, read_connector_file};
use super::validate::{print_errors, validate};
use crate::output::{OutputFormat, print_structured};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Config files (`{name, config}` or a bare map with "name"; JSON or .properties; `-` stdin)
    #[arg(short = 'f', long = "file", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Validate and show what would change, without saving anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
struct Applied {
    name: String,
    /// `created`, `updated`, `unchanged`, or with --dry-run `would create` / `would update`.
    action: &'static str,
    changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

pub async fn run(ctx: &Ctx, args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let table = ctx.output == OutputFormat::Table;
    let mut results = Vec::new();
    let mut failed = false;
    for path in &args.files {
        let file = read_connector_file(path)?;
        let name = file.name.clone().ok_or_else(|| {
            super::usage(anyhow!(
                "{} has no connector name: add \"name\" to it",
                path.display()
            ))
        })?;
        let mut config = file.config.clone();
        config.insert("name".to_owned(), name.clone());
        // Checked before any request: such a name cannot be addressed reliably at all.
        super::connector_util::check_new_name(&name)?;
        let mut live = match client.config(&name).await {
            Ok(c) => Some(c),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e.into()),
        };
        if let Some(l) = &mut live {
            note_hidden(&name, &client.comparable(l, &config));
        }

        let keys = password_keys(&client, &config).await;
        let changes = diff(
            &live.clone().unwrap_or_default(),
            &config,
            &keys,
            ctx.reveal,
        );
        if table {
            match (&live, changes.is_empty()) {
                (None, _) => println!(
                    "{name}: {}",
                    if args.dry_run {
                        "would create"
                    } else {
                        "creating"
                    }
                ),
                (Some(_), true) => println!("{name}: unchanged"),
                (Some(_), false) => println!("{name}: {} key(s) change", changes.len()),
            }
            if live.is_some() {
                print_changes(&changes);
            }
        }
        if args.dry_run {
            let v = validate(&client, &config).await?;
            let errors = (v.error_count > 0).then(|| v.errors.clone());
            if v.error_count > 0 {
                failed = true;
                if table {
                    print_errors(&v);
                }
            } else if table {
                println!("{name}: config is valid");
            }
            let action = match (&live, changes.is_empty()) {
                (None, _) => "would create",
                (Some(_), true) => "unchanged",
                _ => "would update",
            };
            results.push(Applied {
                name,
                action,
                changes,
                errors,
            });
            continue;
        }
        if live.is_some() && changes.is_empty() {
            results.push(Applied {
                name,
                action: "unchanged",
                changes,
                errors: None,
            });
            continue;
        }
        match client.put_config(&name, &config).await {
            Ok((created, _)) => {
                let action = if created { "created" } else { "updated" };
                if table {
                    println!("{name}: {action}");
                }
                results.push(Applied {
                    name,
                    action,
                    changes,
                    errors: None,
                });
            }
            Err(e) => return Err(explain_write_error(&client, &name, &config, e).await),
        }
    }
    print_structured(ctx.output, &results)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Says which keys the server hides and so could not be compared (Confluent Cloud masks
/// secrets): a change to only those keys goes unseen.
pub fn note_hidden(name: &str, hidden: &[String]) {
    if !hidden.is_empty() {
        eprintln!(
            "note: {}: the server masks {}, so the file's values for them were not compared",
            crate::output::esc(name),
            crate::output::esc(&hidden.join(", "))
        );
    }
}
