//! `connectctl watch [NAME...]`: a live view of connector and task states that refreshes and
//! calls out every transition ("orders-sink task 1 RUNNING -> FAILED"). On a terminal the screen
//! is redrawn; otherwise only transitions are printed, one line each, for logs.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use colored::Colorize;

use super::Ctx;
use super::connector_util::list_connectors;
use super::wait::parse_duration;
use crate::output::{esc, paint_state, print_table, state_cell, table};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only these connectors (default: all)
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub names: Vec<String>,
    /// Time between refreshes
    #[arg(long, short = 'n', default_value = "2s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Stop after this many refreshes (default: until interrupted)
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// The state of every instance, keyed `connector` / `connector task N`.
type Snapshot = BTreeMap<String, String>;

pub async fn run(ctx: &Ctx, args: WatchArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let tty = std::io::stdout().is_terminal();
    let mut previous: Option<Snapshot> = None;
    let mut log: Vec<String> = Vec::new();
    let mut round = 0u64;
    loop {
        round += 1;
        let listed = list_connectors(&client).await?;
        let listed: Vec<_> = listed
            .into_iter()
            .filter(|l| args.names.is_empty() || args.names.contains(&l.name))
            .collect();
        let mut now = Snapshot::new();
        for l in &listed {
            let Some(s) = &l.status else { continue };
            now.insert(l.name.clone(), s.connector.state.to_string());
            for t in &s.tasks {
                now.insert(format!("{} task {}", l.name, t.id), t.state.to_string());
            }
        }
        let stamp = time_of_day();
        let mut changed = Vec::new();
        if let Some(prev) = &previous {
            for (k, v) in &now {
                match prev.get(k) {
                    Some(old) if old != v => changed.push(format!(
                        "{stamp} {k} {} -> {}",
                        paint_state(old),
                        paint_state(v)
                    )),
                    None => changed.push(format!("{stamp} {k} {}", paint_state(v)) + " (new)"),
                    _ => {}
                }
            }
            for k in prev.keys().filter(|k| !now.contains_key(*k)) {
                changed.push(format!("{stamp} {k} gone"));
            }
        }
        if tty {
            log.extend(changed);
            let keep = log.len().saturating_sub(10);
            log.drain(..keep);
            // Clear and home, then the table and the latest transitions.
            print!("\x1b[2J\x1b[H");
            println!(
                "{}  every {:?}  {stamp}",
                "connectctl watch".bold(),
                args.interval
            );
            let mut t = table(&["NAME", "STATE", "HEALTH", "TASKS"]);
            for l in &listed {
                let state = l
                    .status
                    .as_ref()
                    .map(|s| s.connector.state.to_string())
                    .unwrap_or_default();
                let health = l.health().map(|h| h.as_str()).unwrap_or("UNKNOWN");
                let tasks = l
                    .status
                    .as_ref()
                    .map(|s| {
                        s.tasks
                            .iter()
                            .map(|t| format!("{}:{}", t.id, t.state))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                t.add_row(vec![
                    crate::output::cell(&l.name),
                    state_cell(&state),
                    state_cell(health),
                    crate::output::cell(tasks),
                ]);
            }
            print_table(&t)?;
            if !log.is_empty() {
                println!();
                for line in &log {
                    println!("{}", esc(line));
                }
            }
        } else {
            if previous.is_none() {
                for (k, v) in &now {
                    println!("{stamp} {} {}", esc(k), esc(v));
                }
            }
            for line in changed {
                println!("{}", esc(&line));
            }
        }
        previous = Some(now);
        if args.count.is_some_and(|c| round >= c) {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::select! {
            _ = tokio::time::sleep(args.interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// HH:MM:SS in UTC, enough to order transitions in a log.
fn time_of_day() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}
