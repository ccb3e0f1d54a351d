//! `connectctl create NAME -f FILE | --set k=v...`: creates a connector (never updates one).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use connect_api::{ConfigMap, CreateConnectorRequest, InitialState};

use super::file_util::{parse_set, read_connector_file};
use super::validate::{print_errors, validate};
use super::{Ctx, usage};
use crate::client::{Client, ClientError};
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Connector name (default: the name in the file)
    pub name: Option<String>,
    /// Config file: `{name, config}` or a bare config map, JSON or .properties; `-` for stdin
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Config key to set (repeatable); applied over the file
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// State to create the connector in (Connect 3.7+)
    #[arg(long, value_enum)]
    pub initial_state: Option<InitialStateArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InitialStateArg {
    Running,
    Paused,
    Stopped,
}

pub async fn run(ctx: &Ctx, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let (file_name, mut config) = match &args.file {
        Some(f) => {
            let cf = read_connector_file(f)?;
            (cf.name, cf.config)
        }
        None => (None, ConfigMap::new()),
    };
    for kv in &args.set {
        let (k, v) = parse_set(kv).map_err(usage)?;
        config.insert(k, v);
    }
    if args.file.is_none() && args.set.is_empty() {
        return Err(usage(anyhow!(
            "give the config with -f FILE or --set KEY=VALUE"
        )));
    }
    let name = args.name.clone().or(file_name.clone()).ok_or_else(|| {
        usage(anyhow!(
            "no connector name: pass NAME or put \"name\" in the file"
        ))
    })?;
    super::connector_util::check_new_name(&name)?;
    if let Some(f) = &file_name {
        if *f != name {
            eprintln!("warning: the file names the connector '{f}'; creating it as '{name}'");
        }
    }
    // Connect rejects a `name` key that differs from the connector's name.
    config.insert("name".to_owned(), name.clone());
    let req = CreateConnectorRequest {
        name: name.clone(),
        config: config.clone(),
        initial_state: args.initial_state.map(|s| match s {
            InitialStateArg::Running => InitialState::Running,
            InitialStateArg::Paused => InitialState::Paused,
            InitialStateArg::Stopped => InitialState::Stopped,
        }),
    };
    let client = ctx.client()?;
    let info = match client.create(&req).await {
        Ok(i) => i,
        Err(e) => return Err(explain_write_error(&client, &name, &config, e).await),
    };
    if !print_structured(
        ctx.output,
        &serde_json::json!({"name": info.name, "created": true}),
    )? {
        println!("created connector {}", info.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// A failed create/update: for an invalid config, prints every key's errors (from validate)
/// rather than Connect's flat list; for a 409, says the connector exists.
pub async fn explain_write_error(
    client: &Client,
    name: &str,
    config: &ConfigMap,
    err: ClientError,
) -> anyhow::Error {
    match (&err, err.message()) {
        (ClientError::Api { status: 400, .. }, Some(m))
            if m.starts_with("Connector configuration is invalid") =>
        {
            if let Ok(v) = validate(client, config).await {
                if v.error_count > 0 {
                    print_errors(&v);
                    return anyhow!(
                        "connector {name} was not saved: its config has {} error(s)",
                        v.error_count
                    );
                }
            }
            err.into()
        }
        (ClientError::Api { status: 400, .. }, Some(m))
            if m.contains("Failed to find any class") =>
        {
            // Connect appends every plugin's descriptor; the list command shows them readably.
            let head = m.split(", available connectors are").next().unwrap_or(m);
            anyhow!("{head}; `connectctl plugins` lists the connector classes this worker has")
        }
        // Connect answers 409; Confluent Cloud 400.
        (
            ClientError::Api {
                status: 400 | 409, ..
            },
            Some(m),
        ) if m.contains("already exists") => {
            anyhow!("{m}; use `connectctl apply -f FILE` to update it")
        }
        _ => err.into(),
    }
}
