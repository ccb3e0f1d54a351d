//! `connectctl logs analyze`: what went wrong in a Kafka Connect worker's log, grouped by
//! connector, task and root cause, with the same root-cause extraction and hints as `status`.

pub mod analyze;
pub mod input;
pub mod parse;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use colored::Colorize;

use self::analyze::{Analyzer, Group, Options, Report};
use self::input::Source;
use self::parse::Level;
use super::status::cause_line;
use crate::output::{OutputFormat, esc, esc_text, print_structured};

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Group a worker log's ERROR and WARN events by connector, task and root cause
    ///
    /// Reads the log4j/log4j2 layouts Apache Kafka, Confluent Platform, Strimzi and connect-worker
    /// write (`[%d] %p %X{connector.context}%m (%c:%L)%n` and the like), multi-line stack traces
    /// included, plain or gzipped (rotated files are read oldest first), or stdin (`-`).
    /// Each group shows its count, first and last time, root cause and hint, a sample line, and
    /// the rebalances, restarts and task starts and stops around its first occurrence.
    /// Secrets in messages are masked unless --reveal.
    Analyze(AnalyzeArgs),
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files (plain or .gz), or - for stdin (the default when none is given)
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub files: Vec<String>,
    /// Only events this recent (2h, 30m, 1d) or since this time (2026-11-30T10:00:00); log
    /// times are read as UTC
    #[arg(long, value_name = "DURATION|TIMESTAMP", value_parser = since)]
    pub since: Option<i64>,
    /// Only this connector's events
    #[arg(long, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub connector: Option<String>,
    /// The least severe level to group: warn (ERROR and WARN) or error (ERROR only)
    #[arg(long, value_enum, default_value_t = LevelArg::Warn)]
    pub level: LevelArg,
    /// Keep reading the newest file as the worker writes it, printing each new event's group
    #[arg(long, short = 'f')]
    pub follow: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    Error,
    Warn,
}

fn since(s: &str) -> Result<i64, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    connect_dlq::time::parse_since(s, now)
}

/// Needs no cluster: runs before the context is resolved, so a broken config file never stops it.
pub async fn run(output: OutputFormat, reveal: bool, cmd: LogsCommand) -> anyhow::Result<ExitCode> {
    let LogsCommand::Analyze(args) = cmd;
    tokio::task::spawn_blocking(move || analyze_command(output, reveal, args)).await?
}

pub fn options(args: &AnalyzeArgs, reveal: bool) -> Options {
    Options {
        since_ms: args.since,
        connector: args.connector.clone(),
        level: match args.level {
            LevelArg::Error => Level::Error,
            LevelArg::Warn => Level::Warn,
        },
        reveal,
    }
}

/// The inputs in reading order: stdin when none is named, files oldest first.
pub fn sources(files: &[String]) -> anyhow::Result<Vec<Source>> {
    let mut sources: Vec<Source> = if files.is_empty() {
        vec![Source::Stdin]
    } else {
        files.iter().map(|f| Source::from_arg(f)).collect()
    };
    if sources
        .iter()
        .filter(|s| matches!(s, Source::Stdin))
        .count()
        > 1
    {
        return Err(crate::commands::usage(anyhow::anyhow!(
            "stdin (-) can be read only once: name it once"
        )));
    }
    if sources.iter().all(|s| matches!(s, Source::File(_))) && sources.len() > 1 {
        let mut keyed: Vec<(Option<Vec<u8>>, Source)> = sources
            .into_iter()
            .map(|s| (input::first_time(&s), s))
            .collect();
        // Files with no readable event go last; the stable sort keeps the given order otherwise.
        keyed.sort_by(|a, b| match (&a.0, &b.0) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        sources = keyed.into_iter().map(|(_, s)| s).collect();
    }
    Ok(sources)
}

/// Reads every source into one analysis; returns it and the bytes read from the last source.
pub fn analyze_sources(sources: &[Source], opts: Options) -> anyhow::Result<(Analyzer, u64)> {
    let mut analyzer = Analyzer::new(opts);
    let mut last_len = 0;
    for s in sources {
        let mut r = input::open(s)?;
        last_len = input::for_each_line(&mut r, &s.label(), |l| analyzer.line(l))?;
        // An event never continues across files.
        analyzer.flush();
    }
    Ok((analyzer, last_len))
}

fn analyze_command(
    output: OutputFormat,
    reveal: bool,
    args: AnalyzeArgs,
) -> anyhow::Result<ExitCode> {
    let sources = sources(&args.files)?;
    let (mut analyzer, last_len) = analyze_sources(&sources, options(&args, reveal))?;
    let report = analyzer.report();
    print_report(output, &report)?;
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let Some(Source::File(path)) = sources.last().cloned() else {
        // stdin was read to its end: there is nothing more to follow.
        return Ok(ExitCode::SUCCESS);
    };
    // A gzipped file is a closed rotation: follow only a plain file.
    let start = if is_gzip(&path) { 0 } else { last_len };
    analyzer.take_updates();
    eprintln!("following {} (Ctrl-C to stop)", path.display());
    let print = |analyzer: &mut Analyzer| -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        for g in analyzer.take_updates() {
            match output {
                OutputFormat::Table => writeln!(out, "{}", follow_line(g))?,
                OutputFormat::Yaml => {
                    writeln!(out, "---")?;
                    serde_yaml::to_writer(&mut out, g).map_err(std::io::Error::other)?;
                }
                OutputFormat::Json | OutputFormat::Jsonl => {
                    serde_json::to_writer(&mut out, g)?;
                    writeln!(out)?;
                }
            }
        }
        out.flush()
    };
    let analyzer = std::cell::RefCell::new(analyzer);
    input::follow(
        &path,
        start,
        |l| analyzer.borrow_mut().line(l),
        || {
            let mut a = analyzer.borrow_mut();
            // No new line for a while: the last event's trace is complete.
            a.flush();
            Ok(print(&mut a)?)
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

fn is_gzip(path: &std::path::Path) -> bool {
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

fn who(g: &Group) -> String {
    match (&g.connector, g.task) {
        (Some(c), Some(t)) => format!("{c}/task-{t}"),
        (Some(c), None) => c.clone(),
        (None, _) => "(worker)".to_owned(),
    }
}

/// One line per new or repeated event in `--follow`.
fn follow_line(g: &Group) -> String {
    format!(
        "{} {} {} ({}×) {}{}",
        g.last,
        paint_level(g.level),
        esc(&who(g)),
        g.count,
        cause_line(&g.root_cause.exception, &g.root_cause.message),
        g.root_cause
            .hint
            .as_ref()
            .map(|h| format!(" — {}", esc(&h.summary)))
            .unwrap_or_default()
    )
}

fn paint_level(l: Level) -> String {
    match l {
        Level::Fatal | Level::Error => l.as_str().red().bold().to_string(),
        Level::Warn => l.as_str().yellow().to_string(),
        _ => l.as_str().to_owned(),
    }
}

pub fn print_report(output: OutputFormat, report: &Report) -> anyhow::Result<()> {
    if print_structured(output, report)? {
        return Ok(());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_text(&mut out, report, true)?;
    out.flush()?;
    Ok(())
}

/// The text report (also the bundle's `logs.txt`, without colour).
pub fn write_text(
    out: &mut dyn std::io::Write,
    report: &Report,
    color: bool,
) -> std::io::Result<()> {
    let plain = |s: &str| s.to_owned();
    let level = |l: Level| {
        if color {
            paint_level(l)
        } else {
            l.as_str().to_owned()
        }
    };
    let label = |s: &str| {
        if color {
            s.cyan().bold().to_string()
        } else {
            plain(s)
        }
    };
    let errors = report
        .groups
        .iter()
        .filter(|g| g.level <= Level::Error)
        .count();
    writeln!(
        out,
        "{} groups ({} ERROR, {} WARN) in {} log events",
        report.groups.len(),
        errors,
        report.groups.len() - errors,
        report.events
    )?;
    for g in &report.groups {
        writeln!(out)?;
        writeln!(
            out,
            "{} {}  {}×  {} … {}",
            level(g.level),
            esc(&who(g)),
            g.count,
            g.first,
            g.last
        )?;
        let rc = &g.root_cause;
        writeln!(
            out,
            "  {}   {}",
            label("cause"),
            cause_line(&rc.exception, &rc.message)
        )?;
        if let Some(f) = &rc.frame {
            writeln!(out, "  {}   {}", label("frame"), esc(f))?;
        }
        if let Some(h) = &rc.hint {
            writeln!(out, "  {}    {}", label("hint"), esc_text(&h.summary))?;
            writeln!(out, "  {}     {}", label("fix"), esc_text(&h.fix))?;
        }
        writeln!(out, "  {}  {}", label("sample"), esc(&g.sample))?;
        if !g.around.is_empty() {
            writeln!(out, "  {}", label("around the first:"))?;
            for (i, e) in g.around.iter().enumerate() {
                if i == g.around_split {
                    writeln!(out, "    {} {} (first occurrence)", g.first, level(g.level))?;
                }
                let ctx = match (&e.connector, e.task) {
                    (Some(c), Some(t)) => format!("[{c}|task-{t}] "),
                    (Some(c), None) => format!("[{c}] "),
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "    {} {} {}{}",
                    e.time,
                    e.level.as_str(),
                    esc(&ctx),
                    esc(&e.message)
                )?;
            }
            if g.around_split == g.around.len() {
                writeln!(out, "    {} {} (first occurrence)", g.first, level(g.level))?;
            }
        }
    }
    Ok(())
}
