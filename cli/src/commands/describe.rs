//! `connectctl describe NAME...`: config grouped by purpose (secrets masked), tasks, topics and
//! status of each connector.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Args;
use connect_api::{ConfigMap, TaskState};
use serde::Serialize;

use super::Ctx;
use super::connector_util::{explain, shown_config};
use super::file_util::{GROUPS, group_of};
use crate::health::{Health, health};
use crate::output::{esc, heading, paint_state, print_structured};

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Connector names
    #[arg(required = true)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub names: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Description {
    pub name: String,
    #[serde(rename = "type")]
    pub connector_type: String,
    pub state: String,
    pub worker_id: String,
    pub health: Health,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Group name (connector, converters, transforms, predicates, errors, other) to keys.
    pub config: BTreeMap<&'static str, ConfigMap>,
    pub tasks: Vec<TaskState>,
    /// `None` when the worker does not track topics.
    pub topics: Option<Vec<String>>,
    /// Why `topics` is `None` when it is not "tracking is disabled" (Confluent Cloud).
    #[serde(skip)]
    pub topics_note: Option<String>,
}

pub async fn run(ctx: &Ctx, args: DescribeArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let mut out = Vec::new();
    for name in &args.names {
        let info = match client.connector(name).await {
            Ok(i) => i,
            Err(e) => return Err(explain(&client, name, e, None).await),
        };
        let status = match client.status(name).await {
            Ok(s) => s,
            Err(e) => return Err(explain(&client, name, e, None).await),
        };
        let (topics, topics_note) = match client.topics(name).await {
            Ok(t) => (
                Some(t.into_values().flat_map(|a| a.topics).collect::<Vec<_>>()),
                None,
            ),
            Err(e) if e.is_unsupported() => (None, Some(format!("{e}"))),
            Err(_) => (None, None),
        };
        let config = shown_config(ctx, &client, info.config.clone()).await;
        let mut grouped: BTreeMap<&'static str, ConfigMap> = BTreeMap::new();
        for (k, v) in config {
            grouped.entry(group_of(&k)).or_default().insert(k, v);
        }
        out.push(Description {
            name: info.name.clone(),
            connector_type: status
                .connector_type
                .or(info.connector_type)
                .map(|t| t.to_string())
                .unwrap_or_else(|| "unknown".into()),
            state: status.connector.state.to_string(),
            worker_id: status.connector.worker_id.clone(),
            health: health(&status, Some(info.tasks.len())),
            trace: status.connector.trace.clone(),
            config: grouped,
            tasks: status.tasks,
            topics,
            topics_note,
        });
    }
    // One name prints one object, several print a list, so `-o json` of one is easy to use.
    let shown = if out.len() == 1 {
        print_structured(ctx.output, &out[0])?
    } else {
        print_structured(ctx.output, &out)?
    };
    if shown {
        return Ok(ExitCode::SUCCESS);
    }
    for (i, d) in out.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_text(d);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(d: &Description) {
    println!("Name:       {}", esc(&d.name));
    println!("Type:       {}", esc(&d.connector_type.to_string()));
    println!("State:      {}", paint_state(&d.state));
    println!("Health:     {}", paint_state(d.health.as_str()));
    println!("Worker ID:  {}", esc(&d.worker_id));
    if let Some(t) = &d.trace {
        println!("Error:      {}", esc(t.lines().next().unwrap_or("")));
    }
    println!("{}", heading("Config"));
    for g in GROUPS {
        let Some(keys) = d.config.get(g) else {
            continue;
        };
        println!("  {g}:");
        let width = keys.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in keys {
            println!("    {:width$}  {}", esc(k), esc(v));
        }
    }
    println!("{}", heading("Tasks"));
    if d.tasks.is_empty() {
        println!("  (none)");
    }
    for t in &d.tasks {
        println!(
            "  {}: {}  {}",
            t.id,
            paint_state(t.state.as_str()),
            esc(&t.worker_id)
        );
        if let Some(e) = t.error_text() {
            println!("     {}", esc(e.lines().next().unwrap_or("")));
        }
    }
    println!("{}", heading("Topics"));
    match &d.topics {
        None => match &d.topics_note {
            Some(note) => println!("  ({})", esc(note)),
            None => println!("  (topic tracking is disabled on this worker)"),
        },
        Some(t) if t.is_empty() => println!("  (none yet)"),
        Some(t) => {
            for topic in t {
                println!("  {}", esc(topic));
            }
        }
    }
}
