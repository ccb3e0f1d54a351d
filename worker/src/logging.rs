//! The worker's log: `tracing` events written to stderr in Apache Connect's log4j pattern,
//! `[%d] %p %X{connector.context}%m (%c)`:
//!
//! ```text
//! [2026-11-30 10:00:00,123] ERROR [jdbc-sink|task-0] Task threw an uncaught and unrecoverable exception (org.apache.kafka.connect.runtime.WorkerTask)
//! ```
//!
//! - The timestamp is UTC (log4j prints the JVM's zone; a worker here runs in UTC).
//! - The connector context comes from the innermost enclosing span that has a `ctx` field
//!   ([`task_span`], [`connector_span`]): `[name|task-N] ` inside a task thread, `[name|worker] `
//!   while the worker starts or stops a connector (Apache's `LoggingContext` scopes), nothing
//!   elsewhere.
//! - The logger name `(%c)` is class-like, so that `/admin/loggers` namespaces work as on a JVM
//!   worker: an event whose target is a literal logger name (no `::`, e.g.
//!   `target: "org.apache.kafka.connect.runtime.errors.DeadLetterQueueReporter"`) is logged under
//!   that name; a module path is mapped by [`logger_name`] — the modules that play the part of an
//!   Apache class get its name (`connect_worker::runtime::sink_task` is
//!   `org.apache.kafka.connect.runtime.WorkerSinkTask`), any other module its path with `.` for
//!   `::` (`connect_worker.transforms.cast`).
//!
//! Levels follow log4j: each logger's level is the one set on it or on its nearest dotted
//! ancestor, else the root logger's (INFO). [`LogLevels`] is the table `/admin/loggers` reads and
//! changes; the filter consults it, and a change rebuilds `tracing`'s per-callsite cache, so a
//! level set over REST takes effect on the next event.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Log4j's name of the root logger; matched case-insensitively, as log4j does.
pub const ROOT: &str = "root";

/// Module paths that stand for an Apache class, longest match first wins. Names are Apache's so
/// that a namespace set on a JVM worker (`org.apache.kafka.connect.runtime`) means the same here.
const LOGGER_NAMES: &[(&str, &str)] = &[
    (
        "connect_worker::runtime::worker",
        "org.apache.kafka.connect.runtime.WorkerTask",
    ),
    (
        "connect_worker::runtime::sink_task",
        "org.apache.kafka.connect.runtime.WorkerSinkTask",
    ),
    (
        "connect_worker::runtime::source_task",
        "org.apache.kafka.connect.runtime.WorkerSourceTask",
    ),
    (
        "connect_worker::runtime::herder",
        "org.apache.kafka.connect.runtime.standalone.StandaloneHerder",
    ),
    (
        "connect_worker::runtime::errors",
        "org.apache.kafka.connect.runtime.errors.LogReporter",
    ),
    (
        "connect_worker::runtime::kafka",
        "org.apache.kafka.connect.runtime.WorkerConfig",
    ),
    (
        "connect_worker::runtime::store",
        "org.apache.kafka.connect.storage.FileOffsetBackingStore",
    ),
    (
        "connect_worker::rest::loggers",
        "org.apache.kafka.connect.runtime.rest.resources.LoggingResource",
    ),
    (
        "connect_worker::rest",
        "org.apache.kafka.connect.runtime.rest.RestServer",
    ),
    (
        "connect_worker::logging",
        "org.apache.kafka.connect.runtime.Loggers",
    ),
    (
        "connect_worker::connectors::file_source",
        "org.apache.kafka.connect.file.FileStreamSourceTask",
    ),
    (
        "connect_worker::connectors::file_sink",
        "org.apache.kafka.connect.file.FileStreamSinkTask",
    ),
    // The binary's own module (main.rs).
    (
        "connect_worker",
        "org.apache.kafka.connect.cli.ConnectStandalone",
    ),
];

/// The class-like logger name of an event's target (see the module docs).
pub fn logger_name(target: &str) -> String {
    if !target.contains("::") {
        if let Some((_, name)) = LOGGER_NAMES.iter().find(|(m, _)| *m == target) {
            return (*name).to_owned();
        }
        return target.to_owned();
    }
    LOGGER_NAMES
        .iter()
        .filter(|(m, _)| {
            // The crate root names the binary's own module only, not every module below it.
            target == *m
                || *m != "connect_worker"
                    && target
                        .strip_prefix(m)
                        .is_some_and(|rest| rest.starts_with("::"))
        })
        .max_by_key(|(m, _)| m.len())
        .map_or_else(|| target.replace("::", "."), |(_, n)| (*n).to_owned())
}

/// A log4j level. The order is log4j's: a logger at `level` prints events at `level` or more
/// severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
    All,
}

impl Level {
    /// Log4j's `Level.toLevel(name, null)`: case-insensitive, `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name.to_ascii_uppercase().as_str() {
            "OFF" => Level::Off,
            "FATAL" => Level::Fatal,
            "ERROR" => Level::Error,
            "WARN" => Level::Warn,
            "INFO" => Level::Info,
            "DEBUG" => Level::Debug,
            "TRACE" => Level::Trace,
            "ALL" => Level::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "OFF",
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
            Level::All => "ALL",
        }
    }

    fn of(level: &tracing::Level) -> Level {
        match *level {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::INFO => Level::Info,
            tracing::Level::DEBUG => Level::Debug,
            tracing::Level::TRACE => Level::Trace,
        }
    }

    /// Whether a logger at `self` prints an event at `event`.
    fn allows(self, event: Level) -> bool {
        event <= self && self != Level::Off
    }
}

/// One logger as `/admin/loggers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLevel {
    pub level: Level,
    /// When a REST call last changed this logger's level (ms since the epoch); `None` when the
    /// level has not been changed since the worker started.
    pub last_modified: Option<i64>,
}

#[derive(Debug)]
struct Table {
    root: Level,
    /// Loggers whose level was set (log4j's logger configs); others inherit from these.
    configured: BTreeMap<String, Level>,
    /// Loggers that exist: every logger an event was logged under or that could be (the
    /// mapped names), plus the namespaces created by a level change.
    known: BTreeSet<String>,
    last_modified: BTreeMap<String, i64>,
}

impl Table {
    fn effective(&self, name: &str) -> Level {
        let mut n = name;
        loop {
            if let Some(l) = self.configured.get(n) {
                return *l;
            }
            match n.rfind('.') {
                Some(i) => n = &n[..i],
                None => return self.root,
            }
        }
    }

    fn show(&self, name: &str, level: Level) -> LoggerLevel {
        LoggerLevel {
            level,
            last_modified: self.last_modified.get(name).copied(),
        }
    }
}

/// The run-time level table behind the filter and `/admin/loggers`.
#[derive(Debug)]
pub struct LogLevels {
    table: RwLock<Table>,
}

impl Default for LogLevels {
    fn default() -> Self {
        LogLevels::new(Level::Info)
    }
}

impl LogLevels {
    /// A table with the root logger at `root` and the worker's known loggers.
    pub fn new(root: Level) -> LogLevels {
        let known = LOGGER_NAMES.iter().map(|(_, n)| (*n).to_owned()).collect();
        LogLevels {
            table: RwLock::new(Table {
                root,
                configured: BTreeMap::new(),
                known,
                last_modified: BTreeMap::new(),
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an event at `level` under logger `name` is printed.
    pub fn enabled(&self, name: &str, level: Level) -> bool {
        self.read().effective(name).allows(level)
    }

    fn note(&self, name: &str) {
        if !self.read().known.contains(name) {
            self.write().known.insert(name.to_owned());
        }
    }

    /// `GET /admin/loggers`: every known logger and the root, by name.
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        let t = self.read();
        let mut out: BTreeMap<String, LoggerLevel> = t
            .known
            .iter()
            .map(|n| (n.clone(), t.show(n, t.effective(n))))
            .collect();
        out.insert(ROOT.to_owned(), t.show(ROOT, t.root));
        out
    }

    /// `GET /admin/loggers/{name}`: `None` for a logger that does not exist.
    pub fn level(&self, name: &str) -> Option<LoggerLevel> {
        let t = self.read();
        if name.eq_ignore_ascii_case(ROOT) {
            return Some(t.show(ROOT, t.root));
        }
        t.known
            .contains(name)
            .then(|| t.show(name, t.effective(name)))
    }

    /// `PUT /admin/loggers/{namespace}`, Apache's `Loggers.setLevel`: sets `level` on the
    /// namespace's logger (created if missing) and on every known logger whose name starts with
    /// the namespace (a plain prefix, as Apache matches), or on every logger for the root. Returns
    /// the loggers whose level changed, sorted; one already at `level` is left as it is.
    pub fn set_level(&self, namespace: &str, level: Level) -> Vec<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        tracing::info!(
            "Setting level of namespace {namespace} and children to {}",
            level.as_str()
        );
        // No event may be logged while the table is locked: the filter reads it.
        let changed = {
            let mut t = self.write();
            let mut targets: Vec<String> = if namespace.eq_ignore_ascii_case(ROOT) {
                t.known.iter().cloned().chain([ROOT.to_owned()]).collect()
            } else {
                let mut v: Vec<String> = t
                    .known
                    .iter()
                    .filter(|n| n.starts_with(namespace))
                    .cloned()
                    .collect();
                if !t.known.contains(namespace) {
                    t.known.insert(namespace.to_owned());
                    v.push(namespace.to_owned());
                }
                v
            };
            // Every logger is compared with the level it had before this call, so a namespace
            // set first does not make its children look unchanged.
            targets.retain(|n| {
                let current = if n == ROOT { t.root } else { t.effective(n) };
                current != level
            });
            for n in &targets {
                if n == ROOT {
                    t.root = level;
                } else {
                    t.configured.insert(n.clone(), level);
                }
                t.last_modified.insert(n.clone(), now);
            }
            targets.sort();
            targets
        };
        // Outside the lock: rebuilding asks the filter about every callsite again.
        tracing::callsite::rebuild_interest_cache();
        for n in &changed {
            tracing::debug!(
                "Setting level of logger {n} (excluding children) to {}",
                level.as_str()
            );
        }
        changed
    }
}

/// The span that gives a task thread's events their `[name|task-N] ` context.
pub fn task_span(connector: &str, task: u32) -> tracing::Span {
    tracing::error_span!("task", ctx = %format_args!("{connector}|task-{task}"))
}

/// The span for work on a connector itself (start, stop, task configs): `[name|worker] `.
pub fn connector_span(connector: &str) -> tracing::Span {
    tracing::error_span!("connector", ctx = %format_args!("{connector}|worker"))
}

/// The `ctx` field of a context span, kept in the span's extensions.
struct SpanContext(String);

/// The `tracing` layer that filters by [`LogLevels`] and writes log4j lines to stderr.
pub struct Log4jLayer {
    levels: Arc<LogLevels>,
}

impl Log4jLayer {
    pub fn new(levels: Arc<LogLevels>) -> Log4jLayer {
        Log4jLayer { levels }
    }

    fn event_enabled(&self, meta: &Metadata<'_>) -> bool {
        let name = logger_name(meta.target());
        self.levels.note(&name);
        self.levels.enabled(&name, Level::of(meta.level()))
    }
}

impl<S> Layer<S> for Log4jLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // Context spans are always kept: a task's events need them whatever the levels are.
        if meta.is_span() || self.event_enabled(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.is_span() || self.event_enabled(meta)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut v = FieldText::default();
        attrs.record(&mut v);
        if let (Some(c), Some(span)) = (v.ctx, ctx.span(id)) {
            span.extensions_mut().insert(SpanContext(c));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = FieldText::default();
        event.record(&mut fields);
        let context = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find_map(|s| s.extensions().get::<SpanContext>().map(|c| c.0.clone()))
        });
        let mut line = format!(
            "[{}] {} ",
            timestamp(SystemTime::now()),
            Level::of(meta.level()).as_str()
        );
        if let Some(c) = context {
            let _ = write!(line, "[{c}] ");
        }
        // log4j prints the throwable after the pattern's line: a multi-line message (a stack
        // trace) keeps its first line on the log line and the rest below it, as Apache's do.
        let (first, trace) = match fields.message.split_once('\n') {
            Some((first, rest)) => (first, Some(rest)),
            None => (fields.message.as_str(), None),
        };
        line.push_str(first);
        line.push_str(&fields.rest);
        let _ = writeln!(line, " ({})", logger_name(meta.target()));
        if let Some(trace) = trace {
            line.push_str(trace.trim_end());
            line.push('\n');
        }
        // One write per line so lines of concurrent threads never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// An event's `message` and its other fields as ` key=value`.
#[derive(Default)]
struct FieldText {
    message: String,
    rest: String,
    ctx: Option<String>,
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "ctx" => self.ctx = Some(value.to_owned()),
            n => {
                let _ = write!(self.rest, " {n}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "ctx" => self.ctx = Some(format!("{value:?}")),
            n => {
                let _ = write!(self.rest, " {n}={value:?}");
            }
        }
    }
}

/// The UTC calendar fields of `t`: year, month, day, hour, minute, second, millisecond.
fn civil(t: SystemTime) -> (i64, i64, i64, i64, i64, i64, i64) {
    let ms = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()) as i64;
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = ms_of_day / 1000;
    (
        year,
        month,
        day,
        s / 3600,
        s / 60 % 60,
        s % 60,
        ms_of_day % 1000,
    )
}

/// Log4j's `%d`: `yyyy-MM-dd HH:mm:ss,SSS`, in UTC.
pub fn timestamp(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, ms) = civil(t);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{ms:03}")
}

/// The NCSA request log's date, as Jetty writes it: `30/Nov/2026:20:13:05 +0000`.
pub fn ncsa_date(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s, _) = civil(t);
    let month = MONTHS[(mo - 1).clamp(0, 11) as usize];
    format!("{d:02}/{month}/{y:04}:{h:02}:{mi:02}:{s:02} +0000")
}

/// Installs the log4j-style logger as the process's `tracing` subscriber, with the root logger at
/// `root`, and returns the level table for `/admin/loggers`. Fails if a subscriber is already set.
pub fn init(root: Level) -> Result<Arc<LogLevels>, tracing::subscriber::SetGlobalDefaultError> {
    let levels = Arc::new(LogLevels::new(root));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(Log4jLayer::new(levels.clone())),
    )?;
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logger_names_are_class_like() {
        assert_eq!(
            logger_name("connect_worker::runtime::sink_task"),
            "org.apache.kafka.connect.runtime.WorkerSinkTask"
        );
        assert_eq!(
            logger_name("connect_worker::rest::loggers"),
            "org.apache.kafka.connect.runtime.rest.resources.LoggingResource"
        );
        assert_eq!(
            logger_name("connect_worker::rest::body"),
            "org.apache.kafka.connect.runtime.rest.RestServer"
        );
        assert_eq!(
            logger_name("connect_worker"),
            "org.apache.kafka.connect.cli.ConnectStandalone"
        );
        assert_eq!(
            logger_name("connect_worker::transforms::cast"),
            "connect_worker.transforms.cast"
        );
        // `connect_worker::rest` must not claim `connect_worker::restore`.
        assert_eq!(
            logger_name("connect_worker::restore"),
            "connect_worker.restore"
        );
        assert_eq!(
            logger_name("org.apache.kafka.connect.runtime.errors.DeadLetterQueueReporter"),
            "org.apache.kafka.connect.runtime.errors.DeadLetterQueueReporter"
        );
    }

    #[test]
    fn timestamps_are_log4j_dates_in_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_796_032_800_123);
        assert_eq!(timestamp(t), "2026-11-30 10:00:00,123");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00,000");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29 00:00:00,000");
        assert_eq!(ncsa_date(t), "30/Nov/2026:10:00:00 +0000");
    }

    #[test]
    fn levels_inherit_from_the_nearest_ancestor_and_set_level_reports_changes() {
        let l = LogLevels::new(Level::Info);
        let sink = "org.apache.kafka.connect.runtime.WorkerSinkTask";
        assert!(!l.enabled(sink, Level::Debug));
        assert!(l.enabled(sink, Level::Info));
        let changed = l.set_level("org.apache.kafka.connect.runtime", Level::Debug);
        assert!(changed.contains(&"org.apache.kafka.connect.runtime".to_owned()));
        assert!(changed.contains(&sink.to_owned()));
        assert!(!changed.iter().any(|n| n.contains(".file.")));
        assert!(changed.windows(2).all(|w| w[0] <= w[1]), "{changed:?}");
        assert!(l.enabled(sink, Level::Debug));
        // A logger first seen later inherits the namespace's level.
        assert!(l.enabled("org.apache.kafka.connect.runtime.Other", Level::Debug));
        let shown = l.level(sink).unwrap();
        assert_eq!(shown.level, Level::Debug);
        assert!(shown.last_modified.is_some());
        // Setting the same level again changes nothing.
        assert!(
            l.set_level("org.apache.kafka.connect.runtime", Level::Debug)
                .is_empty()
        );
        // Unknown loggers are 404s; the namespace now exists.
        assert!(l.level("org.apache.kafka.connect.runtime.Other").is_none());
        assert!(l.level("org.apache.kafka.connect.runtime").is_some());
        assert_eq!(l.level("ROOT").unwrap().level, Level::Info);
        assert_eq!(l.level("ROOT").unwrap().last_modified, None);
        // The root sets every logger.
        let all = l.set_level("root", Level::Warn);
        assert!(all.contains(&"root".to_owned()));
        assert!(all.contains(&sink.to_owned()));
        assert!(!l.enabled(sink, Level::Info));
        assert!(l.enabled("anything.else", Level::Warn));
        assert!(l.all().contains_key("root"));
    }

    #[test]
    fn off_and_fatal_silence_error_events() {
        assert!(!Level::Off.allows(Level::Error));
        assert!(!Level::Fatal.allows(Level::Error));
        assert!(Level::All.allows(Level::Trace));
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse("verbose"), None);
    }
}
