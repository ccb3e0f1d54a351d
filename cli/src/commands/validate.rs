//! `connectctl validate -f FILE`: asks the worker's validator, prints errors per key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use connect_api::{ConfigInfos, ConfigMap};
use serde::Serialize;

use super::Ctx;
use super::file_util::read_connector_file;
use crate::client::Client;
use crate::output::{esc, esc_text, print_structured};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Connector config file (JSON or .properties; `-` for stdin)
    #[arg(short = 'f', long = "file", required = true)]
    pub file: PathBuf,
}

/// The per-key result of a validation.
#[derive(Debug, Serialize)]
pub struct Validation {
    pub plugin: String,
    pub error_count: u32,
    /// Key to its error messages, only keys that have errors.
    pub errors: std::collections::BTreeMap<String, Vec<String>>,
}

/// Runs `config/validate` for `config`. Connect requires a `name`, so a placeholder is used when
/// the config has none.
pub async fn validate(client: &Client, config: &ConfigMap) -> anyhow::Result<Validation> {
    let class = config
        .get("connector.class")
        .ok_or_else(|| anyhow!("the config has no connector.class, so it cannot be validated"))?;
    let mut config = config.clone();
    config
        .entry("name".to_owned())
        .or_insert_with(|| "connectctl-validate".to_owned());
    let infos: ConfigInfos = client.validate(class, &config).await?;
    Ok(Validation {
        plugin: infos.name.clone(),
        error_count: infos.error_count,
        errors: infos
            .errors()
            .map(|(k, e)| (k.to_owned(), e.to_vec()))
            .collect(),
    })
}

/// `key: message` lines, one per error.
pub fn print_errors(v: &Validation) {
    eprintln!(
        "{} error(s) in the config for {}:",
        v.error_count,
        esc(&v.plugin)
    );
    for (k, errs) in &v.errors {
        for e in errs {
            eprintln!("  {}: {}", esc(k), esc_text(e));
        }
    }
}

pub async fn run(ctx: &Ctx, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let file = read_connector_file(&args.file)?;
    let client = ctx.client()?;
    let v = validate(&client, &file.config).await?;
    if !print_structured(ctx.output, &v)? {
        if v.error_count == 0 {
            println!("{}: valid", args.file.display());
        } else {
            print_errors(&v);
        }
    }
    Ok(if v.error_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
