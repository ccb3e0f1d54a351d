//! `connectctl dlq replay`: DLQ records back into their source topics, optionally fixed, exactly
//! once. The engine is `connect_dlq::replay`; this module turns flags into options, shows the
//! plan, asks before writing, and reports what happened.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use colored::Colorize;
use connect_dlq::Filter;
use connect_dlq::fix::Fix;
use connect_dlq::replay::{
    ReplayOptions, ReplaySummary, default_group, replay, replay_with_editor,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::edit::Editing;
use super::inspect::{duration, since_ms};
use super::{FilterArgs, Usage, connector_dlq, kafka_config};
use crate::commands::Ctx;
use crate::output::{OutputFormat, esc, print_structured};

pub const AFTER_HELP: &str = "\
Fixes (--fix, repeatable, applied in order; --fix-file reads one per line):
  set PATH=JSON              drop PATH                  rename PATH=NEWNAME
  cast PATH:int32|int64|float64|string|boolean          flatten [value|key] [DELIM]
  replace PATH /REGEX/REPLACEMENT/                      wrap-schema [value|key]
  unwrap-schema [value|key]  set-header NAME=VALUE      drop-header NAME
PATH is value or key, then fields: value.customer.address.zip, key.id

Exactly once: each batch of replayed records and the DLQ position of the replay group commit in
one Kafka transaction, so a replay killed at any point and run again loses and duplicates nothing
for read_committed readers. Java consumers (and Kafka Connect sinks) default to
read_uncommitted: set consumer.override.isolation.level=read_committed on the sink connector.

Examples:
  connectctl dlq replay --connector orders-sink --fix wrap-schema --dry-run
  connectctl dlq replay orders-dlq --exception DataException --to orders-retry --yes
  connectctl dlq replay orders-dlq --edit --limit 5

Target topics must exist: a record whose target is missing (or not a valid topic name) stops the
replay before it, with the position committed up to there; --dry-run shows where. Pass
--create-topics to create missing targets. A record larger than the producer's message.max.bytes
(default 1000000; raise it with -X message.max.bytes=N) or the target topic's max.message.bytes
stops the replay naming it; --skip-oversize leaves such records in the DLQ and reports them.";

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// DLQ topic to replay (or --connector)
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::dlq_topics))]
    pub topic: Option<String>,
    /// Replay the DLQ of this connector (errors.deadletterqueue.topic.name)
    #[arg(long, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub connector: Option<String>,
    /// Send every record to this topic instead of its original topic
    #[arg(long, value_name = "TOPIC")]
    pub to: Option<String>,
    /// Produce to the original partition instead of partitioning by key (murmur2, like Java)
    #[arg(long)]
    pub keep_partition: bool,
    /// Quarantine records already replayed this many times
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_replays: u32,
    /// A fix to apply before replaying (repeatable, applied in order)
    #[arg(long = "fix", value_name = "EXPR", value_parser = parse_fix)]
    pub fixes: Vec<Fix>,
    /// Read fixes from a file, one per line (# comments allowed)
    #[arg(long, value_name = "FILE")]
    pub fix_file: Option<std::path::PathBuf>,
    /// Abort at the first record a fix cannot apply to (default: skip and report it)
    #[arg(long)]
    pub strict: bool,
    /// Show the routing plan and a before/after preview; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Replay without asking for confirmation (with --edit: without asking for each record)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Open the records in $EDITOR as JSON, N at a time (default 20), then choose replay, skip
    /// or abort for each; combine with --limit to edit just the first records
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "20",
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub edit: Option<u64>,
    /// Consumer group remembering how far the DLQ was replayed (default: derived from the DLQ
    /// topic and the filters)
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Plain idempotent produce and offset commit, for brokers without transactions
    #[arg(long)]
    pub at_least_once: bool,
    /// Replay at most N records
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Replay at most N records per second
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Only records failed since (2h, 30m, or an RFC 3339 timestamp)
    #[arg(long, value_name = "DURATION|TIMESTAMP", value_parser = since_ms)]
    pub since: Option<i64>,
    /// Only records at or after this DLQ offset
    #[arg(long, value_name = "OFFSET", value_parser = clap::value_parser!(i64).range(0..))]
    pub from_offset: Option<i64>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Leave records too large for the producer (-X message.max.bytes) or the target topic
    /// (max.message.bytes) in the DLQ and report them, instead of stopping at the first one
    #[arg(long)]
    pub skip_oversize: bool,
    /// Create target topics that do not exist (broker defaults for partitions and replication)
    /// instead of stopping at the first record bound for one
    #[arg(long)]
    pub create_topics: bool,
    /// Records shown before and after the fixes in the plan
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub preview: usize,
    /// Bound on connecting to Kafka and on each metadata request
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub kafka_timeout: Duration,
}

fn parse_fix(s: &str) -> Result<Fix, String> {
    Fix::parse(s).map_err(|e| e.reason)
}

pub async fn run(ctx: &Ctx, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let kafka = kafka_config(ctx, args.kafka_timeout)?;
    let (topic, own_dlq) = match (&args.topic, &args.connector) {
        (Some(t), _) => (t.clone(), false),
        (None, Some(name)) => {
            let dlq = connector_dlq(ctx, name).await?;
            if !dlq.context_headers && args.to.is_none() {
                eprintln!(
                    "warning: connector {name} writes {} without context headers, so records have no \
                     origin to replay to; pass --to TOPIC, and set \
                     errors.deadletterqueue.context.headers.enable=true for the future",
                    dlq.topic
                );
            }
            (dlq.topic, true)
        }
        (None, None) => {
            return Err(Usage(
                "name the DLQ topic (connectctl dlq replay TOPIC) or pass --connector NAME"
                    .to_owned(),
            )
            .into());
        }
    };
    let mut fixes = args.fixes.clone();
    if let Some(path) = &args.fix_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Usage(format!("cannot read --fix-file {}: {e}", path.display())))?;
        fixes
            .extend(Fix::parse_file(&text).map_err(|e| Usage(format!("{}: {e}", path.display())))?);
    }
    let filter = args.filters.filter(args.connector.clone(), own_dlq);
    // The connector filter is implied by --connector and is not a choice of records, so it does
    // not change the replay group; the other filters do.
    let group_filter = Filter {
        connector: None,
        keep_unattributed: false,
        ..filter.clone()
    };
    let mut opts = ReplayOptions::new(&topic);
    opts.group = args
        .group
        .clone()
        .unwrap_or_else(|| default_group(&topic, &group_filter));
    opts.to = args.to.clone();
    opts.keep_partition = args.keep_partition;
    opts.max_replays = args.max_replays;
    opts.fixes = fixes;
    opts.strict = args.strict;
    opts.filter = filter;
    opts.limit = args.limit;
    opts.rate = args.rate;
    opts.exactly_once = !args.at_least_once;
    opts.since = args.since;
    opts.from_offset = args.from_offset;
    opts.preview = args.preview;
    opts.skip_oversize = args.skip_oversize;
    opts.create_topics = args.create_topics;

    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if let Some(n) = args.edit {
        if args.dry_run {
            return Err(Usage(
                "--edit and --dry-run do not go together: --dry-run writes nothing to edit for"
                    .to_owned(),
            )
            .into());
        }
        if !interactive {
            return Err(Usage(
                "--edit needs a terminal (it opens $EDITOR and asks about each record); \
                 use --fix for unattended replays"
                    .to_owned(),
            )
            .into());
        }
        opts.batch_size = n as usize;
        return run_edit(ctx, &topic, kafka, opts, args.yes).await;
    }
    if args.dry_run || !args.yes {
        let mut plan_opts = opts.clone();
        plan_opts.dry_run = true;
        let plan_kafka = kafka.clone();
        let plan =
            tokio::task::spawn_blocking(move || replay(&plan_kafka, &plan_opts, &mut |_| {}))
                .await??;
        if args.dry_run {
            if !print_structured(ctx.output, &plan)? {
                print_plan(&topic, &plan);
            }
            warn(&plan);
            return Ok(if plan.has_failures() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        if ctx.output == OutputFormat::Table {
            print_plan(&topic, &plan);
        }
        warn(&plan);
        if plan.replayed == 0 {
            eprintln!("nothing to replay");
            return Ok(if plan.has_failures() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        if !interactive {
            return Err(Usage(
                "refusing to replay without confirmation: pass --yes (or --dry-run to see the plan)"
                    .to_owned(),
            )
            .into());
        }
        let go = dialoguer::Confirm::new()
            .with_prompt(format!("Replay {} records?", plan.replayed))
            .default(false)
            .interact()?;
        if !go {
            eprintln!("nothing replayed");
            return Ok(ExitCode::SUCCESS);
        }
    }

    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} replaying {pos}/{len} read, {msg} [{elapsed_precise}, {per_sec}, eta {eta}]",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let b = bar.clone();
    let summary = tokio::task::spawn_blocking(move || {
        replay(&kafka, &opts, &mut |p| {
            b.set_length(p.total);
            b.set_position(p.read);
            b.set_message(format!("{} replayed", p.replayed));
        })
    })
    .await??;
    bar.finish_and_clear();
    if !print_structured(ctx.output, &summary)? {
        print_summary(&topic, &summary);
    }
    warn(&summary);
    Ok(if summary.has_failures() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--edit`: the replay runs with the editor in the loop; the records of each batch are
/// confirmed one by one, so there is no plan to confirm first.
async fn run_edit(
    ctx: &Ctx,
    topic: &str,
    kafka: connect_dlq::KafkaConfig,
    opts: ReplayOptions,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    let (summary, editing) = tokio::task::spawn_blocking(move || {
        let mut editing = Editing::new(!yes);
        let mut editor = |batch: &mut Vec<_>| editing.edit(batch);
        let summary = replay_with_editor(&kafka, &opts, &mut |_| {}, Some(&mut editor));
        (summary, editing)
    })
    .await?;
    let summary = summary?;
    if let Some(e) = editing.error {
        if summary.replayed > 0 {
            eprintln!(
                "{} records were replayed before this error; a rerun continues after them",
                summary.replayed
            );
        }
        return Err(e);
    }
    if !print_structured(ctx.output, &summary)? {
        print_summary(topic, &summary);
    }
    warn(&summary);
    Ok(if summary.has_failures() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line each for what a replay did that the user did not see coming.
fn warn(s: &ReplaySummary) {
    if s.non_utf8_header_names > 0 {
        super::inspect::warn_non_utf8_names(
            s.non_utf8_header_names,
            s.first_non_utf8_header_names.as_deref(),
        );
    }
    if !s.created_topics.is_empty() {
        eprintln!(
            "warning: {} target topic(s) {} with the broker's default partitions and \
             replication (--create-topics): {}",
            s.created_topics.len(),
            if s.dry_run {
                "would be created"
            } else {
                "were created"
            },
            s.created_topics.join(", ")
        );
    }
}

fn print_plan(topic: &str, plan: &ReplaySummary) {
    println!(
        "{} {topic} (group {})",
        "Replay plan for".bold(),
        plan.group
    );
    if plan.targets.is_empty() {
        println!("  nothing to replay");
    }
    for (target, n) in &plan.targets {
        println!("  {n:>8}  -> {}", esc(target));
    }
    print_skips(plan);
    for p in &plan.preview {
        println!();
        println!(
            "  {} -> {}{}",
            esc(&p.source).bold(),
            esc(&p.target),
            p.partition
                .map(|x| format!(" partition {x}"))
                .unwrap_or_default()
        );
        if p.before.key != p.after.key {
            println!("    key   {} {}", "-".red(), show(&p.before.key).red());
            println!("          {} {}", "+".green(), show(&p.after.key).green());
        } else {
            println!("    key     {}", show(&p.before.key));
        }
        if p.before.value != p.after.value {
            println!("    value {} {}", "-".red(), show(&p.before.value).red());
            println!("          {} {}", "+".green(), show(&p.after.value).green());
        } else {
            println!("    value   {}", show(&p.before.value));
        }
        let headers: Vec<String> = p
            .after
            .headers
            .iter()
            .map(|(k, v)| format!("{}={}", esc(k), esc(v.as_deref().unwrap_or("null"))))
            .collect();
        println!("    headers {}", headers.join(", "));
    }
    eprintln!(
        "note: Java consumers default to isolation.level=read_uncommitted and may see records of \
         aborted replay transactions; give sink connectors consumer.override.isolation.level=read_committed"
    );
}

/// A key or value for the preview: cut to a screen's worth, its control characters escaped so a
/// record cannot drive the terminal.
fn show(v: &Option<String>) -> String {
    const MAX: usize = 200;
    match v {
        None => "null".to_owned(),
        Some(s) if s.chars().count() > MAX => {
            format!("{}...", esc(&s.chars().take(MAX).collect::<String>()))
        }
        Some(s) => esc(s).into_owned(),
    }
}

fn print_skips(s: &ReplaySummary) {
    if s.skipped_by_filter > 0 {
        println!("  {:>8}  skipped by the filters", s.skipped_by_filter);
    }
    if s.skipped_by_user > 0 {
        println!("  {:>8}  skipped in the editor", s.skipped_by_user);
    }
    if s.aborted {
        println!(
            "  {} in the editor: the batch being edited was not replayed",
            "aborted".red().bold()
        );
    }
    if s.duplicates > 0 {
        println!(
            "  {:>8}  duplicates of a record already replayed (same origin)",
            s.duplicates
        );
    }
    for (label, list) in [
        ("quarantined", &s.quarantined),
        ("not fixable", &s.fix_failed),
        ("too large, left in the DLQ", &s.oversize),
    ] {
        if !list.is_empty() {
            println!("  {:>8}  {label}:", list.len());
            for k in list.iter().take(10) {
                println!("            {}  {}", esc(&k.source), esc(&k.reason));
            }
            if list.len() > 10 {
                println!("            ... and {} more (see -o json)", list.len() - 10);
            }
        }
    }
    if let Some(stop) = &s.stopped {
        println!(
            "  {} at {}: {}",
            "stopped".red().bold(),
            esc(&stop.source),
            esc(&stop.reason)
        );
    }
}

fn print_summary(topic: &str, s: &ReplaySummary) {
    let secs = s.elapsed_ms as f64 / 1000.0;
    println!(
        "{} {} records from {topic} in {:.1}s ({} transactions, group {})",
        "Replayed".bold(),
        s.replayed,
        secs,
        s.transactions,
        s.group
    );
    for (target, n) in &s.targets {
        println!("  {n:>8}  -> {}", esc(target));
    }
    print_skips(s);
}
