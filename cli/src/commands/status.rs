//! `connectctl status NAME...`: what broke, where, and what to do, in a few lines.
//!
//! Each failed instance's trace goes through `connect_trace`: the deepest cause of the main
//! chain, the first frame outside the Connect runtime and the JDK, and a hint from the catalog.
//! Tasks failing for the same cause are shown once ("tasks 0,1,2: ...").

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Args;
use colored::Colorize;
use connect_api::{ConfigMap, ConnectorInfo, ConnectorStateInfo, State};
use connect_trace::{HintContext, RootCause};
use serde::Serialize;

use super::Ctx;
use super::connector_util::explain;
use crate::health::{Health, health};
use crate::output::{esc, esc_text, heading, paint_state, print_structured};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Connectors to show
    #[arg(required = true, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub names: Vec<String>,
    /// Print each failure's full stack trace, runtime and JDK frames folded
    #[arg(long)]
    pub trace: bool,
    /// Print each failure's stack trace exactly as Connect returned it
    #[arg(long, conflicts_with = "trace")]
    pub raw: bool,
}

/// One instance (the connector or a task) with its analysed failure.
#[derive(Debug, Serialize)]
pub struct Instance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<RootCause>,
}

/// `status -o json`: Connect's status object, plus `health` and a `root_cause` on every
/// instance that has a trace (DESIGN.md contract).
#[derive(Debug, Serialize)]
pub struct Status {
    pub name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub connector_type: Option<connect_api::ConnectorType>,
    pub health: Health,
    pub connector: Instance,
    pub tasks: Vec<Instance>,
    /// Commands worth running next.
    pub next: Vec<String>,
}

/// Builds the analysed status of one connector from Connect's status and, when it could be read,
/// its info (config for hints, task list to notice missing tasks).
pub fn analyse(status: ConnectorStateInfo, info: Option<&ConnectorInfo>) -> Status {
    let config = info.map(|i| &i.config);
    let mut hint_ctx = HintContext::new(&status.name);
    if let Some(c) = config {
        hint_ctx = hint_ctx.with_config(c);
    }
    let h = health(&status, info.map(|i| i.tasks.len()));
    let instance = |id: Option<u32>, state: &State, worker: &str, trace: Option<&str>| Instance {
        id,
        state: state.clone(),
        worker_id: worker.to_owned(),
        trace: trace.map(str::to_owned),
        root_cause: analysable(trace).map(|t| connect_trace::root_cause(t, &hint_ctx)),
    };
    let connector = instance(
        None,
        &status.connector.state,
        &status.connector.worker_id,
        status.connector.trace.as_deref(),
    );
    let tasks: Vec<Instance> = status
        .tasks
        .iter()
        .map(|t| instance(Some(t.id), &t.state, &t.worker_id, t.error_text()))
        .collect();
    let next = next_commands(&status.name, &connector, &tasks, config);
    Status {
        name: status.name,
        connector_type: status.connector_type,
        health: h,
        connector,
        tasks,
        next,
    }
}

/// A trace worth analysing: Connect sends `""` (or blanks) for some instances, which has no
/// cause to show; those get no `root_cause` rather than one of empty strings.
pub fn analysable(trace: Option<&str>) -> Option<&str> {
    trace.filter(|t| !t.trim().is_empty())
}

fn next_commands(
    name: &str,
    connector: &Instance,
    tasks: &[Instance],
    config: Option<&ConfigMap>,
) -> Vec<String> {
    let mut next = Vec::new();
    if crate::health::is_failed(&connector.state) {
        next.push(format!("connectctl restart {name} --include-tasks"));
    } else if tasks.iter().any(|t| crate::health::is_failed(&t.state)) {
        next.push(format!("connectctl restart {name} --only-failed"));
    }
    let has_dlq = config
        .and_then(|c| c.get("errors.deadletterqueue.topic.name"))
        .is_some_and(|t| !t.trim().is_empty());
    if has_dlq {
        next.push(format!("connectctl dlq inspect --connector {name}"));
    }
    if std::iter::once(connector)
        .chain(tasks)
        .any(|i| analysable(i.trace.as_deref()).is_some())
    {
        next.push(format!("connectctl status {name} --trace"));
    }
    next
}

pub async fn run(ctx: &Ctx, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let mut all = Vec::new();
    for name in &args.names {
        let status = match client.status(name).await {
            Ok(s) => s,
            Err(e) => return Err(explain(&client, name, e, None).await),
        };
        // The config names the DLQ topic for hints and next steps; a failure to read it only
        // makes the advice less specific.
        let info = client.connector(name).await.ok();
        all.push(analyse(status, info.as_ref()));
    }
    let bad = all
        .iter()
        .any(|s| matches!(s.health, Health::Failed | Health::Degraded));
    let printed = if all.len() == 1 {
        print_structured(ctx.output, &all[0])?
    } else {
        print_structured(ctx.output, &all)?
    };
    if !printed {
        for (i, s) in all.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print_text(s, &args);
        }
    }
    Ok(if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_text(s: &Status, args: &StatusArgs) {
    let kind = s.connector_type.map(|t| t.to_string()).unwrap_or_default();
    println!(
        "{}  {}  {}",
        heading(&s.name),
        kind,
        paint_state(s.health.as_str())
    );
    let workers = |i: &Instance| {
        if i.worker_id.is_empty() {
            String::new()
        } else {
            esc(&i.worker_id).dimmed().to_string()
        }
    };
    // The state column is as wide as the longest state here (USER_ACTIONABLE_ERROR is 21), so
    // the worker never runs into it.
    let width = std::iter::once(&s.connector)
        .chain(&s.tasks)
        .map(|i| esc(i.state.as_str()).chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let labels: Vec<String> = s
        .tasks
        .iter()
        .map(|t| format!("task {}", t.id.unwrap_or_default()))
        .collect();
    let label_width = labels.iter().map(String::len).max().unwrap_or(0).max(9);
    println!(
        "  {:<label_width$}  {}{}",
        "connector",
        padded_state(s.connector.state.as_str(), width),
        workers(&s.connector)
    );
    for (t, label) in s.tasks.iter().zip(&labels) {
        println!(
            "  {label:<label_width$}  {}{}",
            padded_state(t.state.as_str(), width),
            workers(t)
        );
    }
    if s.tasks.is_empty() && s.connector.state == State::Running {
        println!("  {}", "no tasks are running".yellow());
    }

    // Group failures by cause, connector first, so three tasks failing alike read as one.
    let mut groups: BTreeMap<(String, String), (Vec<String>, &RootCause, &str)> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    let instances = std::iter::once(&s.connector).chain(s.tasks.iter());
    for inst in instances {
        let (Some(rc), Some(trace)) = (&inst.root_cause, &inst.trace) else {
            continue;
        };
        let key = (rc.exception.clone(), rc.message.clone());
        let who = match inst.id {
            None => "connector".to_owned(),
            Some(id) => id.to_string(),
        };
        groups
            .entry(key.clone())
            .or_insert_with(|| {
                order.push(key);
                (Vec::new(), rc, trace.as_str())
            })
            .0
            .push(who);
    }
    for key in &order {
        let (who, rc, trace) = &groups[key];
        println!();
        println!(
            "  {}: {}",
            instances_label(who).bold(),
            cause_line(&rc.exception, &rc.message).red()
        );
        if let Some(frame) = &rc.frame {
            println!("    {}   {}", "at".dimmed(), esc(frame));
        }
        if let Some(hint) = &rc.hint {
            println!("    {} {}", "hint".cyan().bold(), esc_text(&hint.summary));
            println!("    {}  {}", "fix".cyan().bold(), esc_text(&hint.fix));
            if let Some(docs) = &hint.docs {
                println!("    {} {}", "docs".dimmed(), esc(docs));
            }
        }
        if args.trace {
            println!();
            for line in connect_trace::folded(trace).lines() {
                println!("    {}", esc(line));
            }
        } else if args.raw {
            println!();
            // Exactly as Connect returned it, except that control characters cannot reach the
            // terminal (`-o json` keeps them).
            let trace = esc_text(trace);
            print!("{trace}");
            if !trace.ends_with('\n') {
                println!();
            }
        }
    }
    if !s.next.is_empty() && s.health != Health::Healthy {
        println!();
        for (i, cmd) in s.next.iter().enumerate() {
            let label = if i == 0 { "next" } else { "    " };
            println!("  {} {}", label.bold(), esc(cmd));
        }
    }
}

/// A coloured state padded to `width` (padding after the colour codes, so widths stay right).
fn padded_state(state: &str, width: usize) -> String {
    format!(
        "{}{}",
        paint_state(state),
        " ".repeat(width.saturating_sub(esc(state).chars().count()))
    )
}

/// "connector", "task 0", "tasks 0,1,2", "connector and tasks 0,1".
fn instances_label(who: &[String]) -> String {
    let connector = who.iter().any(|w| w == "connector");
    let tasks: Vec<&str> = who
        .iter()
        .filter(|w| *w != "connector")
        .map(String::as_str)
        .collect();
    let tasks_label = match tasks.len() {
        0 => String::new(),
        1 => format!("task {}", tasks[0]),
        _ => format!("tasks {}", tasks.join(",")),
    };
    match (connector, tasks.is_empty()) {
        (true, true) => "connector".to_owned(),
        (true, false) => format!("connector and {tasks_label}"),
        _ => tasks_label,
    }
}

/// "DataException: JsonConverter with schemas.enable requires ..." (short class name).
pub fn cause_line(exception: &str, message: &str) -> String {
    let short = exception.rsplit('.').next().unwrap_or(exception);
    match (short.is_empty(), message.is_empty()) {
        // A bare message (Confluent Cloud's) has no frames below it: every line is message, as
        // in "There were some errors with your configuration:\ntopics: ...".
        (true, _) => esc(&bare_line(message)).into_owned(),
        (false, true) => esc(short).into_owned(),
        (false, false) => format!("{}: {}", esc(short), esc(first_line(message))),
    }
}

/// The lines of a bare message joined into one, cut at 300 characters.
fn bare_line(s: &str) -> String {
    let joined = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() > 300 {
        let mut cut: String = joined.chars().take(300).collect();
        cut.push_str("...");
        cut
    } else {
        joined
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> ConnectorStateInfo {
        let path = format!("{}/../fixtures/rest/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn failed_task_gets_root_cause_hint_and_next_steps() {
        let status = fixture("status-task-failed.json");
        let mut config = ConfigMap::new();
        config.insert(
            "errors.deadletterqueue.topic.name".into(),
            "dlq-orders".into(),
        );
        let info = ConnectorInfo {
            name: status.name.clone(),
            config,
            tasks: vec![connect_api::ConnectorTaskId {
                connector: status.name.clone(),
                task: 0,
            }],
            connector_type: None,
            extra: Default::default(),
        };
        let s = analyse(status, Some(&info));
        assert_eq!(s.health, Health::Failed);
        let rc = s.tasks[0].root_cause.as_ref().unwrap();
        assert_eq!(
            rc.exception,
            "org.apache.kafka.connect.errors.DataException"
        );
        assert!(
            rc.message
                .starts_with("JsonConverter with schemas.enable requires")
        );
        assert_eq!(
            rc.frame.as_deref(),
            Some(
                "org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)"
            )
        );
        assert!(rc.hint.is_some());
        assert!(s.connector.root_cause.is_none());
        let name = &s.name;
        assert_eq!(
            s.next,
            vec![
                format!("connectctl restart {name} --only-failed"),
                format!("connectctl dlq inspect --connector {name}"),
                format!("connectctl status {name} --trace"),
            ]
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["health"], "FAILED");
        assert_eq!(
            json["tasks"][0]["root_cause"]["exception"],
            rc.exception.as_str()
        );
        assert!(json["connector"].get("root_cause").is_none());
    }

    #[test]
    fn labels_group_instances() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(instances_label(&v(&["0"])), "task 0");
        assert_eq!(instances_label(&v(&["0", "1", "2"])), "tasks 0,1,2");
        assert_eq!(
            instances_label(&v(&["connector", "1"])),
            "connector and task 1"
        );
        assert_eq!(instances_label(&v(&["connector"])), "connector");
    }

    #[test]
    fn bare_messages_keep_all_their_lines() {
        assert_eq!(
            cause_line(
                "",
                "There were some errors with your configuration:\ntopics: Provided Kafka ApiKey is invalid\n"
            ),
            "There were some errors with your configuration: topics: Provided Kafka ApiKey is invalid"
        );
        assert_eq!(
            cause_line("org.x.DataException", "first\nsecond"),
            "DataException: first"
        );
    }
}
