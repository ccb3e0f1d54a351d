//! `connectctl restart`: restarts connectors (optionally with their tasks, or only what failed),
//! or one task given as `NAME/TASK`; reports which instances went RESTARTING.

use std::process::ExitCode;

use clap::Args;
use connect_api::{ConnectorStateInfo, State};

use super::Ctx;
use super::connector_util::{Outcome, Selection, explain, finish};

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Connector names, or NAME/TASK for a single task
    #[command(flatten)]
    pub selection: Selection,
    /// Restart the tasks too (Connect 3.0+)
    #[arg(long)]
    pub include_tasks: bool,
    /// Restart only the connector and tasks that FAILED; implies --include-tasks
    #[arg(long)]
    pub only_failed: bool,
}

/// `orders/2` -> ("orders", 2). Names that merely contain a slash stay connector names.
fn split_task(s: &str) -> Option<(&str, u32)> {
    let (name, task) = s.rsplit_once('/')?;
    Some((name, task.parse().ok()?))
}

/// "connector, task 0, task 2" for the instances the 202 body marks RESTARTING.
fn restarting(s: &ConnectorStateInfo) -> Vec<String> {
    let mut out = Vec::new();
    if s.connector.state == State::Restarting {
        out.push("connector".to_owned());
    }
    out.extend(
        s.tasks
            .iter()
            .filter(|t| t.state == State::Restarting)
            .map(|t| format!("task {}", t.id)),
    );
    out
}

pub async fn run(ctx: &Ctx, args: RestartArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let include_tasks = args.include_tasks || args.only_failed;
    let mut outcomes = Vec::new();
    let mut selection = args.selection.clone();
    // Single tasks first; what remains is a normal connector selection.
    let (tasks, names): (Vec<String>, Vec<String>) = selection
        .names
        .drain(..)
        .partition(|n| split_task(n).is_some());
    selection.names = names;
    for t in &tasks {
        let (name, id) = split_task(t).expect("partitioned on split_task");
        match client.restart_task(name, id).await {
            // No such call on this backend: how the command was used is wrong (exit 2).
            Err(e) if e.is_unsupported() => return Err(super::usage(e)),
            Ok(()) => outcomes.push(Outcome {
                name: t.clone(),
                ok: true,
                message: format!("task {id} restarted"),
            }),
            Err(e) => {
                let e = explain(&client, name, e, None).await;
                outcomes.push(Outcome {
                    name: t.clone(),
                    ok: false,
                    message: format!("{e:#}"),
                });
            }
        }
    }
    let names = if selection.names.is_empty()
        && !tasks.is_empty()
        && !selection.all
        && selection.state.is_none()
        && selection.regex.is_none()
    {
        Vec::new()
    } else {
        selection.resolve(&client).await?
    };
    for name in names {
        match client.restart(&name, include_tasks, args.only_failed).await {
            Ok(None) => outcomes.push(Outcome {
                name,
                ok: true,
                message: "connector restarted".to_owned(),
            }),
            Ok(Some(s)) => {
                let r = restarting(&s);
                let message = if r.is_empty() {
                    "nothing to restart (no failed instances)".to_owned()
                } else {
                    format!("restarting {}", r.join(", "))
                };
                outcomes.push(Outcome {
                    name,
                    ok: true,
                    message,
                });
            }
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
    fn task_syntax() {
        assert_eq!(split_task("orders/2"), Some(("orders", 2)));
        assert_eq!(split_task("a/b"), None);
        assert_eq!(split_task("orders"), None);
    }

    #[test]
    fn reads_the_real_202_body() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/restart-only-failed.json"
        ))
        .unwrap();
        let s: ConnectorStateInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(restarting(&s), vec!["task 0"]);
    }
}
