//! `connectctl doctor`: one sweep of the whole cluster. Health per connector, failures grouped
//! by root cause across connectors, tasks per worker, each source's committed offsets (where
//! in its input it is: a table's last id, a WAL position), and, when Kafka is reachable, DLQ
//! sizes and sink consumer lag. Exit code 0 healthy, 1 degraded (or the sweep failed), 3 a connector
//! failed, for cron and CI; 2 stays the usage error it is in every command.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use colored::Colorize;
use connect_api::{ConnectorOffset, ConnectorType, State};
use connect_dlq::stats::{Lag, Stats};
use connect_trace::{Hint, HintContext};
use futures::StreamExt;
use serde::Serialize;

use super::Ctx;
use super::connector_util::list_connectors;
use super::dlq::kafka_config;
use super::status::cause_line;
use crate::health::Health;
use crate::output::{
    esc, esc_text, heading, paint_state, print_structured, print_table, state_cell, table,
};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Skip the Kafka checks (DLQ sizes, sink lag) even when Kafka settings are available
    #[arg(long)]
    pub no_kafka: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// The worst health of any connector (HEALTHY when there are none).
    pub health: Health,
    pub counts: BTreeMap<Health, usize>,
    pub connectors: Vec<ConnectorReport>,
    /// Failures grouped by root cause across every connector and task.
    pub causes: Vec<CauseGroup>,
    pub workers: Vec<WorkerReport>,
    /// Why the Kafka checks were skipped, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka_skipped: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConnectorReport {
    pub name: String,
    #[serde(rename = "type")]
    pub connector_type: Option<ConnectorType>,
    pub health: Option<Health>,
    pub state: Option<State>,
    pub tasks_running: usize,
    pub tasks_total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dlq: Option<DlqReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<Lag>,
    /// A source's committed offsets; absent for sinks and where the worker cannot tell (before
    /// Kafka Connect 3.5, or the request failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offsets: Option<Vec<ConnectorOffset>>,
}

#[derive(Debug, Serialize)]
pub struct DlqReport {
    pub topic: String,
    /// `None` when the topic could not be read (e.g. not created yet: no failure so far).
    pub records: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct CauseGroup {
    pub exception: String,
    pub message: String,
    pub frame: Option<String>,
    pub hint: Option<Hint>,
    /// `connector` or `connector/task`.
    pub instances: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct WorkerReport {
    pub worker_id: String,
    pub connectors: usize,
    pub tasks: usize,
    pub tasks_failed: usize,
    /// Every task it runs has failed: the worker itself may be the problem.
    pub only_failed: bool,
}

pub async fn run(ctx: &Ctx, args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let listed = list_connectors(&client).await?;
    let mut connectors = Vec::new();
    let mut causes: Vec<CauseGroup> = Vec::new();
    let mut workers: BTreeMap<String, WorkerReport> = BTreeMap::new();
    for l in &listed {
        let health = l.health();
        let config = l.info.as_ref().map(|i| &i.config);
        let mut hint_ctx = HintContext::new(&l.name);
        if let Some(c) = config {
            hint_ctx = hint_ctx.with_config(c);
        }
        let (mut running, mut total) = (0, 0);
        if let Some(s) = &l.status {
            let conn_worker = workers.entry(s.connector.worker_id.clone()).or_default();
            conn_worker.connectors += 1;
            let instances = std::iter::once((l.name.clone(), s.connector.trace.as_deref())).chain(
                s.tasks
                    .iter()
                    .map(|t| (format!("{}/{}", l.name, t.id), t.error_text())),
            );
            for (who, trace) in instances {
                let Some(trace) = super::status::analysable(trace) else {
                    continue;
                };
                let rc = connect_trace::root_cause(trace, &hint_ctx);
                match causes
                    .iter_mut()
                    .find(|g| g.exception == rc.exception && g.message == rc.message)
                {
                    Some(g) => g.instances.push(who),
                    None => causes.push(CauseGroup {
                        exception: rc.exception,
                        message: rc.message,
                        frame: rc.frame,
                        hint: rc.hint,
                        instances: vec![who],
                    }),
                }
            }
            for t in &s.tasks {
                total += 1;
                let w = workers.entry(t.worker_id.clone()).or_default();
                w.tasks += 1;
                if t.state == State::Running {
                    running += 1;
                }
                if crate::health::is_failed(&t.state) {
                    w.tasks_failed += 1;
                }
            }
        }
        connectors.push(ConnectorReport {
            name: l.name.clone(),
            connector_type: l.status.as_ref().and_then(|s| s.connector_type),
            health,
            state: l.status.as_ref().map(|s| s.connector.state.clone()),
            tasks_running: running,
            tasks_total: total,
            dlq: config
                .and_then(|c| c.get("errors.deadletterqueue.topic.name"))
                .filter(|t| !t.trim().is_empty())
                .map(|t| DlqReport {
                    topic: t.trim().to_owned(),
                    records: None,
                }),
            lag: None,
            offsets: None,
        });
    }
    source_offsets(&client, &mut connectors).await;
    let mut workers: Vec<WorkerReport> = workers
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .map(|(id, mut w)| {
            w.worker_id = id;
            w.only_failed = w.tasks > 0 && w.tasks == w.tasks_failed;
            w
        })
        .collect();
    workers.sort_by(|a, b| a.worker_id.cmp(&b.worker_id));
    causes.sort_by_key(|g| std::cmp::Reverse(g.instances.len()));

    let kafka_skipped = if args.no_kafka {
        Some("--no-kafka".to_owned())
    } else {
        match kafka_config(ctx, Duration::from_secs(5)) {
            Err(_) => Some(
                "no Kafka settings (--bootstrap-servers, CONNECTCTL_BOOTSTRAP_SERVERS or the context's kafka section)"
                    .to_owned(),
            ),
            Ok(kafka) => {
                let sinks: Vec<(usize, Vec<String>)> = listed
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| {
                        l.status.as_ref().and_then(|s| s.connector_type) == Some(ConnectorType::Sink)
                    })
                    .filter_map(|(i, l)| {
                        let topics = l.info.as_ref()?.config.get("topics")?;
                        Some((i, topics.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()))
                    })
                    .collect();
                let dlqs: Vec<(usize, String)> = connectors
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| c.dlq.as_ref().map(|d| (i, d.topic.clone())))
                    .collect();
                let names: Vec<String> = connectors.iter().map(|c| c.name.clone()).collect();
                let result = tokio::task::spawn_blocking(move || {
                    let stats = Stats::connect(&kafka)?;
                    let counts: Vec<(usize, Option<u64>)> =
                        dlqs.into_iter().map(|(i, t)| (i, stats.record_count(&t).ok())).collect();
                    let lags: Vec<(usize, Option<Lag>)> = sinks
                        .into_iter()
                        .map(|(i, topics)| (i, stats.lag(&format!("connect-{}", names[i]), &topics).ok()))
                        .collect();
                    Ok::<_, connect_dlq::DlqError>((counts, lags))
                })
                .await?;
                match result {
                    Ok((counts, lags)) => {
                        for (i, n) in counts {
                            if let Some(d) = &mut connectors[i].dlq {
                                d.records = n;
                            }
                        }
                        for (i, lag) in lags {
                            connectors[i].lag = lag;
                        }
                        None
                    }
                    Err(e) => Some(format!("Kafka unreachable: {e}")),
                }
            }
        }
    };

    let mut counts: BTreeMap<Health, usize> = BTreeMap::new();
    for c in &connectors {
        if let Some(h) = c.health {
            *counts.entry(h).or_default() += 1;
        }
    }
    let overall = if counts.contains_key(&Health::Failed) {
        Health::Failed
    } else if counts.contains_key(&Health::Degraded) {
        Health::Degraded
    } else {
        Health::Healthy
    };
    let report = Report {
        health: overall,
        counts,
        connectors,
        causes,
        workers,
        kafka_skipped,
    };
    if !print_structured(ctx.output, &report)? {
        print_report(&report)?;
    }
    Ok(match overall {
        // Not 2: that is every command's usage error.
        Health::Failed => ExitCode::from(3),
        Health::Degraded => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

/// How many offset requests are in flight at once: enough to sweep hundreds of connectors in a
/// few round trips without queueing on the worker's request threads.
const OFFSET_REQUESTS: usize = 8;

/// Fills in each source connector's committed offsets. A failed request leaves them out: the
/// offsets are context for the report, never a reason for the sweep to fail.
async fn source_offsets(client: &crate::client::Client, connectors: &mut [ConnectorReport]) {
    let sources: Vec<usize> = (0..connectors.len())
        .filter(|&i| connectors[i].connector_type == Some(ConnectorType::Source))
        .collect();
    let fetched: Vec<(usize, Option<Vec<ConnectorOffset>>)> = futures::stream::iter(sources)
        .map(|i| {
            let name = connectors[i].name.clone();
            async move { (i, client.offsets(&name).await.ok().map(|o| o.offsets)) }
        })
        .buffered(OFFSET_REQUESTS)
        .collect()
        .await;
    for (i, offsets) in fetched {
        connectors[i].offsets = offsets;
    }
}

/// The POSITION cell: a sink's lag, or a source's offset (one partition: its fields; several:
/// their count, the detail being in `-o json` and `connectctl offsets`).
fn position(c: &ConnectorReport) -> String {
    if let Some(lag) = &c.lag {
        return format!("lag {}", lag.total);
    }
    match c.offsets.as_deref() {
        None => "-".to_owned(),
        Some([]) => "no offsets yet".to_owned(),
        Some([one]) => match &one.offset {
            None => "-".to_owned(),
            Some(fields) => {
                let shown: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => format!("{k}={s}"),
                        other => format!("{k}={other}"),
                    })
                    .collect();
                let line = shown.join(" ");
                const WIDTH: usize = 48;
                if line.chars().count() > WIDTH {
                    let cut: String = line.chars().take(WIDTH - 1).collect();
                    format!("{cut}…")
                } else {
                    line
                }
            }
        },
        Some(many) => format!("{} partitions", many.len()),
    }
}

fn print_report(r: &Report) -> anyhow::Result<()> {
    let summary: Vec<String> = r
        .counts
        .iter()
        .map(|(h, n)| format!("{n} {}", paint_state(h.as_str())))
        .collect();
    println!(
        "{} {} ({} connectors: {})",
        heading("Cluster"),
        paint_state(r.health.as_str()),
        r.connectors.len(),
        if summary.is_empty() {
            "none".to_owned()
        } else {
            summary.join(", ")
        }
    );
    println!();
    let mut t = table(&["NAME", "TYPE", "HEALTH", "TASKS", "DLQ", "POSITION"]);
    for c in &r.connectors {
        let dlq = match &c.dlq {
            None => "-".to_owned(),
            Some(d) => match d.records {
                Some(n) => format!("{n} in {}", d.topic),
                None => d.topic.clone(),
            },
        };
        t.add_row(vec![
            crate::output::cell(&c.name),
            crate::output::cell(c.connector_type.map(|t| t.to_string()).unwrap_or_default()),
            state_cell(c.health.map(Health::as_str).unwrap_or("UNKNOWN")),
            crate::output::cell(format!("{}/{} running", c.tasks_running, c.tasks_total)),
            crate::output::cell(dlq),
            crate::output::cell(position(c)),
        ]);
    }
    print_table(&t)?;
    if !r.causes.is_empty() {
        println!();
        println!("{}", heading("Failures by root cause"));
        for g in &r.causes {
            let n = g.instances.len();
            println!(
                "  {} {}",
                format!("{n}x").bold(),
                cause_line(&g.exception, &g.message).red()
            );
            println!("     {}", esc(&g.instances.join(", ")).dimmed());
            if let Some(h) = &g.hint {
                println!("     {} {}", "hint".cyan().bold(), esc_text(&h.summary));
                println!("     {}  {}", "fix".cyan().bold(), esc_text(&h.fix));
            }
        }
    }
    if !r.workers.is_empty() {
        println!();
        println!("{}", heading("Workers"));
        for w in &r.workers {
            let flag = if w.only_failed {
                format!("  {}", "every task on this worker failed".red())
            } else {
                String::new()
            };
            println!(
                "  {}  {} connectors, {} tasks, {} failed{flag}",
                esc(&w.worker_id),
                w.connectors,
                w.tasks,
                w.tasks_failed
            );
        }
    }
    if let Some(why) = &r.kafka_skipped {
        println!();
        println!(
            "{} DLQ sizes and sink lag skipped: {}",
            "note:".dimmed(),
            esc_text(why)
        );
    }
    Ok(())
}
