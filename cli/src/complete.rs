//! Dynamic shell completion. The scripts from `connectctl completions SHELL` call
//! `COMPLETE=<shell> connectctl -- <words>`; `main` hands that to clap_complete, which calls the
//! completers below for argument values.
//!
//! Completers ask the cluster the line points at (`--url`/`--context` already typed, else the
//! environment and the current context), give up after [`TIMEOUT`], and on any failure return
//! nothing: bash shows whatever the completer writes to stderr in the middle of the line, so
//! nothing here prints. Answers are cached for [`CACHE_TTL`] under
//! `$XDG_CACHE_HOME/connectctl/complete/` so repeated TABs do not hit the cluster each time.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Parser as _;
use clap::builder::StyledStr;
use clap_complete::CompletionCandidate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cli::Cli;
use crate::commands::{self, Ctx};
use crate::context::{ConfigFile, config_path};

/// A completion that takes longer than this is worse than none.
const TIMEOUT: Duration = Duration::from_secs(1);
/// Long enough for a burst of TABs, short enough that a new connector shows up almost at once.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// The DLQ stages Connect writes into `__connect.errors.stage`.
const STAGES: &[&str] = &[
    "KEY_CONVERTER",
    "VALUE_CONVERTER",
    "HEADER_CONVERTER",
    "TRANSFORMATION",
    "TASK_PUT",
    "TASK_POLL",
    "KAFKA_PRODUCE",
    "KAFKA_CONSUME",
];

/// Connector states and health values accepted by `--state`.
const STATES: &[&str] = &[
    "RUNNING",
    "FAILED",
    "PAUSED",
    "STOPPED",
    "UNASSIGNED",
    "RESTARTING",
    "HEALTHY",
    "DEGRADED",
];

/// What completion needs to know about one connector; cached as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ConnectorSummary {
    name: String,
    /// Connector state, e.g. RUNNING.
    state: String,
    /// `source` or `sink`, when known.
    kind: Option<String>,
    tasks: Vec<u32>,
    failed_tasks: Vec<u32>,
    /// `errors.deadletterqueue.topic.name`, when set.
    dlq: Option<String>,
}

impl ConnectorSummary {
    fn failed(&self) -> bool {
        self.state == "FAILED" || !self.failed_tasks.is_empty()
    }

    fn help(&self) -> StyledStr {
        let mut help = self.state.clone();
        if !self.failed_tasks.is_empty() {
            help = format!("{help}, {} failed task(s)", self.failed_tasks.len());
        }
        if let Some(kind) = &self.kind {
            help = format!("{kind} {help}");
        }
        help.into()
    }
}

/// The words of the command line being completed: everything the shell passed after `--`.
fn line_words() -> Vec<String> {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    }
}

/// The last value of `--flag V` or `--flag=V` on the line; empty values (the word being typed)
/// do not count.
fn line_flag(words: &[String], flag: &str) -> Option<String> {
    let long = format!("--{flag}");
    let eq = format!("--{flag}=");
    let mut found = None;
    let mut it = words.iter().skip(1);
    while let Some(w) = it.next() {
        if w == "--" {
            break;
        }
        if *w == long {
            if let Some(v) = it.next() {
                found = Some(v.clone());
            }
        } else if let Some(v) = w.strip_prefix(&eq) {
            found = Some(v.to_owned());
        }
    }
    found.filter(|v| !v.is_empty())
}

/// The settings a real command would use for this line, or `None` when they cannot be
/// resolved quietly.
fn resolve(words: &[String]) -> Option<Ctx> {
    let mut argv = vec![
        "connectctl".to_owned(),
        "--retry-timeout".into(),
        "0".into(),
    ];
    for flag in ["url", "context"] {
        if let Some(v) = line_flag(words, flag) {
            argv.push(format!("--{flag}={v}"));
        }
    }
    argv.push("info".into());
    let cli = Cli::try_parse_from(argv).ok()?;
    // A current context that names nothing makes `resolve` warn on stderr; stay silent instead.
    let path = config_path();
    let file = ConfigFile::load(&path).ok()?;
    if cli.global.context.is_none() {
        if let Some(name) = &file.current_context {
            file.get(name, &path).ok()?;
        }
    }
    commands::resolve(&cli).ok()
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|p| !p.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("connectctl").join("complete"))
}

/// `fetch` through a short-lived file cache keyed by what is fetched and from where.
/// Failures are not cached, so the next TAB tries again.
fn cached<T, F>(kind: &str, ctx: &Ctx, fetch: F) -> Option<T>
where
    T: Serialize + DeserializeOwned,
    F: AsyncFnOnce(&Ctx) -> anyhow::Result<T>,
{
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        &ctx.url,
        ctx.context.as_ref().map(|c| &c.0),
        &ctx.config_path,
    )
        .hash(&mut hasher);
    let file = cache_dir().map(|d| d.join(format!("{kind}-{:016x}.json", hasher.finish())));
    if let Some(f) = &file {
        let fresh = std::fs::metadata(f)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < CACHE_TTL);
        if fresh {
            if let Some(v) = std::fs::read(f)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
            {
                return Some(v);
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let value =
        runtime.block_on(async { tokio::time::timeout(TIMEOUT, fetch(ctx)).await.ok()?.ok() })?;
    if let Some(f) = &file {
        // Write then rename, so a concurrent completion never reads half a file.
        if let (Some(dir), Ok(bytes)) = (f.parent(), serde_json::to_vec(&value)) {
            let tmp = f.with_extension(format!("{}.tmp", std::process::id()));
            if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, bytes).is_ok() {
                let _ = std::fs::rename(&tmp, f);
            }
        }
    }
    Some(value)
}

async fn fetch_connectors(ctx: &Ctx) -> anyhow::Result<Vec<ConnectorSummary>> {
    let client = ctx.client()?;
    let Some(expanded) = client.connectors_expanded().await? else {
        // Before Connect 2.3 there is no expand; names are all completion can afford.
        return Ok(client
            .connector_names()
            .await?
            .into_iter()
            .map(|name| ConnectorSummary {
                name,
                state: String::new(),
                kind: None,
                tasks: Vec::new(),
                failed_tasks: Vec::new(),
                dlq: None,
            })
            .collect());
    };
    Ok(expanded
        .into_iter()
        .map(|(name, c)| {
            let status = c.status.as_ref();
            let tasks: Vec<u32> = status
                .map(|s| s.tasks.iter().map(|t| t.id).collect())
                .unwrap_or_default();
            let failed_tasks = status
                .map(|s| {
                    s.tasks
                        .iter()
                        .filter(|t| crate::health::is_failed(&t.state))
                        .map(|t| t.id)
                        .collect()
                })
                .unwrap_or_default();
            let kind = status
                .and_then(|s| s.connector_type.as_ref())
                .and_then(|t| serde_json::to_value(t).ok())
                .and_then(|v| v.as_str().map(str::to_owned));
            ConnectorSummary {
                state: status
                    .map(|s| s.connector.state.to_string())
                    .unwrap_or_default(),
                kind,
                tasks,
                failed_tasks,
                dlq: c
                    .info
                    .as_ref()
                    .and_then(|i| i.config.get("errors.deadletterqueue.topic.name"))
                    .filter(|t| !t.trim().is_empty())
                    .cloned(),
                name,
            }
        })
        .collect())
}

fn connectors(words: &[String]) -> Vec<ConnectorSummary> {
    resolve(words)
        .and_then(|ctx| cached("connectors", &ctx, fetch_connectors))
        .unwrap_or_default()
}

fn prefixed(current: &OsStr) -> String {
    current.to_string_lossy().into_owned()
}

/// Connector names, with state as the description shells show beside them.
pub fn connector_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = prefixed(current);
    connectors(&line_words())
        .into_iter()
        .filter(|c| c.name.starts_with(&current))
        .map(|c| CompletionCandidate::new(c.name.clone()).help(Some(c.help())))
        .collect()
}

/// Arguments of `restart` (and the other bulk lifecycle commands): connector names, `NAME/TASK`
/// once the word names a connector and a slash, and with `--only-failed` the connectors that
/// have failed first.
pub fn connectors_or_tasks(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = line_words();
    let current = prefixed(current);
    let only_failed = words.iter().any(|w| w == "--only-failed");
    let restart = words.iter().any(|w| w == "restart");
    let mut out = Vec::new();
    for c in connectors(&words) {
        if restart && current.contains('/') {
            for id in &c.tasks {
                let value = format!("{}/{id}", c.name);
                if value.starts_with(&current) {
                    let failed = c.failed_tasks.contains(id);
                    let help = if failed { "FAILED task" } else { "task" };
                    out.push(
                        CompletionCandidate::new(value)
                            .help(Some(help.into()))
                            .display_order(Some(usize::from(!failed))),
                    );
                }
            }
        }
        if c.name.starts_with(&current) {
            let order = usize::from(only_failed && !c.failed());
            out.push(
                CompletionCandidate::new(c.name.clone())
                    .help(Some(c.help()))
                    .display_order(Some(order)),
            );
        }
    }
    out
}

/// Dead letter queue topics named by the connectors' `errors.deadletterqueue.topic.name`.
pub fn dlq_topics() -> Vec<CompletionCandidate> {
    let mut topics: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in connectors(&line_words()) {
        if let Some(t) = c.dlq {
            topics.entry(t).or_default().push(c.name);
        }
    }
    topics
        .into_iter()
        .map(|(t, names)| {
            CompletionCandidate::new(t).help(Some(format!("DLQ of {}", names.join(", ")).into()))
        })
        .collect()
}

/// Plugin classes installed on the worker (connectors, converters, transforms, predicates).
pub fn plugin_classes() -> Vec<CompletionCandidate> {
    let Some(ctx) = resolve(&line_words()) else {
        return Vec::new();
    };
    let plugins: Option<Vec<(String, String)>> = cached("plugins", &ctx, async |ctx: &Ctx| {
        let plugins = ctx.client()?.plugins(false).await?;
        Ok(plugins
            .into_iter()
            .map(|p| (p.class_name, p.plugin_type))
            .collect())
    });
    plugins
        .unwrap_or_default()
        .into_iter()
        .map(|(class, kind)| CompletionCandidate::new(class).help(Some(kind.into())))
        .collect()
}

/// Logger names the worker knows, with their level.
pub fn logger_names() -> Vec<CompletionCandidate> {
    let Some(ctx) = resolve(&line_words()) else {
        return Vec::new();
    };
    let loggers: Option<Vec<(String, String)>> = cached("loggers", &ctx, async |ctx: &Ctx| {
        let loggers = ctx.client()?.loggers().await?;
        Ok(loggers
            .into_iter()
            .map(|(name, l)| (name, l.level))
            .collect())
    });
    loggers
        .unwrap_or_default()
        .into_iter()
        .map(|(name, level)| {
            CompletionCandidate::new(name)
                .help(Some(level).filter(|l| !l.is_empty()).map(Into::into))
        })
        .collect()
}

/// Context names from the config file; the current one is marked.
pub fn context_names() -> Vec<CompletionCandidate> {
    let Ok(file) = ConfigFile::load(&config_path()) else {
        return Vec::new();
    };
    file.contexts
        .iter()
        .map(|(name, c)| {
            let mut help = c.urls.join(",");
            if file.current_context.as_deref() == Some(name) {
                help = format!("(current) {help}");
            }
            CompletionCandidate::new(name.clone()).help(Some(help.into()))
        })
        .collect()
}

/// `--state` values: Connect states and connectctl health values.
pub fn states() -> Vec<CompletionCandidate> {
    STATES
        .iter()
        .map(|s| CompletionCandidate::new(*s))
        .collect()
}

/// `ls --where` starts: the config keys operators filter a fleet by, ready for `=` or `~`.
pub fn config_keys() -> Vec<CompletionCandidate> {
    const KEYS: &[&str] = &[
        "connector.class",
        "value.converter",
        "key.converter",
        "header.converter",
        "topics",
        "topics.regex",
        "topic",
        "tasks.max",
        "transforms",
        "errors.tolerance",
        "errors.deadletterqueue.topic.name",
        "value.converter.schemas.enable",
    ];
    KEYS.iter()
        .map(|k| CompletionCandidate::new(format!("{k}=")))
        .collect()
}

/// `--stage` values: the stages Connect records in DLQ headers.
pub fn stages() -> Vec<CompletionCandidate> {
    STAGES
        .iter()
        .map(|s| CompletionCandidate::new(*s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn flags_on_the_line_are_found_in_both_forms() {
        let w = words("connectctl --url http://a:8083 status --context=prod or");
        assert_eq!(line_flag(&w, "url").as_deref(), Some("http://a:8083"));
        assert_eq!(line_flag(&w, "context").as_deref(), Some("prod"));
        // The word being completed is not a value yet.
        assert_eq!(line_flag(&words("connectctl --context "), "context"), None);
        assert_eq!(line_flag(&words("connectctl status x"), "url"), None);
    }

    #[test]
    fn summary_help_names_failed_tasks() {
        let c = ConnectorSummary {
            name: "a".into(),
            state: "RUNNING".into(),
            kind: Some("sink".into()),
            tasks: vec![0, 1],
            failed_tasks: vec![1],
            dlq: None,
        };
        assert!(c.failed());
        assert_eq!(c.help().to_string(), "sink RUNNING, 1 failed task(s)");
    }
}
