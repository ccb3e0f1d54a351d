//! `connectctl tasks NAME`: each task's state, worker and (masked) config.

use std::process::ExitCode;

use clap::Args;
use connect_api::ConfigMap;
use serde::Serialize;

use super::Ctx;
use super::connector_util::{explain, password_keys};
use crate::output::{print_structured, print_table, state_cell, table};

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// Also show each task's config
    #[arg(long)]
    pub config: bool,
}

#[derive(Debug, Serialize)]
pub struct TaskView {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigMap>,
}

pub async fn run(ctx: &Ctx, args: TasksArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let status = match client.status(&args.name).await {
        Ok(s) => s,
        Err(e) => return Err(explain(&client, &args.name, e, None).await),
    };
    let configs = if args.config {
        match client.tasks(&args.name).await {
            Ok(t) => t,
            Err(e) => return Err(explain(&client, &args.name, e, None).await),
        }
    } else {
        Vec::new()
    };
    let mut keys = std::collections::BTreeSet::new();
    if let Some(first) = configs.first() {
        keys = password_keys(&client, &first.config).await;
    }
    let views: Vec<TaskView> = status
        .tasks
        .iter()
        .map(|t| TaskView {
            id: t.id,
            state: t.state.to_string(),
            worker_id: t.worker_id.clone(),
            error: t
                .error_text()
                .map(|e| e.lines().next().unwrap_or("").to_owned()),
            config: configs.iter().find(|c| c.id.task == t.id).map(|c| {
                let mut cfg = c.config.clone();
                if !ctx.reveal {
                    crate::mask::mask_config(&mut cfg, &keys);
                }
                cfg
            }),
        })
        .collect();
    if print_structured(ctx.output, &views)? {
        return Ok(ExitCode::SUCCESS);
    }
    if views.is_empty() {
        eprintln!(
            "{} has no tasks (state {})",
            args.name, status.connector.state
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["TASK", "STATE", "WORKER", "ERROR"]);
    for v in &views {
        t.add_row(vec![
            crate::output::cell(v.id),
            state_cell(&v.state),
            crate::output::cell(&v.worker_id),
            crate::output::cell(v.error.as_deref().unwrap_or("")),
        ]);
    }
    print_table(&t)?;
    for v in views.iter().filter(|v| v.config.is_some()) {
        println!("\ntask {} config:", v.id);
        for (k, val) in v.config.as_ref().into_iter().flatten() {
            println!("  {} = {}", crate::output::esc(k), crate::output::esc(val));
        }
    }
    Ok(ExitCode::SUCCESS)
}
