//! Groups a worker log's ERROR and WARN events by connector, task, level and root cause.
//!
//! The hot path is one [`parse_header`] per line (fixed offsets, no regex) and, for INFO lines,
//! one Aho-Corasick scan for lifecycle markers. Only ERROR and WARN events are analysed further,
//! and their analysis is cached by trace text, because a failing task logs the same trace over and
//! over.

use std::collections::{HashMap, VecDeque};

use aho_corasick::AhoCorasick;
use connect_trace::{HintContext, RootCause};
use serde::Serialize;

use super::parse::{
    Header, Level, context_from_message, iso_time, parse_header, split_context, time_ms,
};
use crate::mask::mask_text;

/// What to keep.
#[derive(Debug, Clone)]
pub struct Options {
    /// Events before this time (ms since the epoch, log time read as UTC) are skipped.
    pub since_ms: Option<i64>,
    /// Only groups of this connector (and worker-wide lifecycle events around them).
    pub connector: Option<String>,
    /// The least severe level grouped: WARN (the default) or ERROR.
    pub level: Level,
    /// Show secrets in samples and messages instead of masking them.
    pub reveal: bool,
}

/// One group of the report: the `-o json` contract of DESIGN.md, exactly.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub connector: Option<String>,
    pub task: Option<u32>,
    pub level: Level,
    pub count: u64,
    pub first: String,
    pub last: String,
    pub root_cause: RootCause,
    pub sample: String,
    /// Lifecycle events (rebalances, restarts, task starts and stops) just before and after the
    /// first occurrence; shown in the text report.
    #[serde(skip)]
    pub around: Vec<Lifecycle>,
    /// Index of the first occurrence in `around` (events before it come first).
    #[serde(skip)]
    pub around_split: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub groups: Vec<Group>,
    /// Log events read (every level, after `--since`).
    pub events: u64,
}

/// A rebalance, restart, start or stop, as one line.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    pub time: String,
    pub level: Level,
    pub connector: Option<String>,
    pub task: Option<u32>,
    pub message: String,
}

/// Messages of Apache's runtime (Worker, DistributedHerder, WorkerCoordinator, AbstractHerder)
/// and connect-worker that mark a change around a failure.
const LIFECYCLE: &[&str] = &[
    "Rebalance started",
    "Joined group at generation",
    "Starting connectors and tasks",
    "Finished starting connectors and tasks",
    "Creating task ",
    "Starting task ",
    "Stopping task ",
    "Creating connector ",
    "Starting connector ",
    "Stopping connector ",
    "Restarting ",
    "Kafka Connect started",
    "Kafka Connect stopping",
    "Kafka Connect stopped",
    // REST requests, as both workers log them: `"POST /connectors/x/restart?... HTTP/1.1" 202`.
    "/restart",
    "/pause HTTP",
    "/resume HTTP",
    "/stop HTTP",
];

/// Lifecycle events kept before a first occurrence, and collected after it.
const AROUND_BEFORE: usize = 3;
const AROUND_AFTER: usize = 3;
/// Continuation lines kept per event: a trace longer than this is cut (its head names the
/// outer exception, and `Caused by:` lines past the cut are rarely more than a few).
const MAX_TRACE_BYTES: usize = 256 * 1024;
const MAX_CACHE: usize = 4096;
const MAX_MESSAGE: usize = 500;

struct Pending {
    time: Vec<u8>,
    level: Level,
    connector: Option<String>,
    task: Option<u32>,
    line: Vec<u8>,
    message: Vec<u8>,
    trace: Vec<u8>,
}

pub struct Analyzer {
    opts: Options,
    since_key: Option<i64>,
    events: u64,
    groups: Vec<Group>,
    index: HashMap<GroupKey, usize>,
    cache: HashMap<(Option<String>, Vec<u8>), RootCause>,
    pending: Option<Pending>,
    recent: VecDeque<Lifecycle>,
    /// Groups still collecting lifecycle events after their first occurrence.
    awaiting: Vec<usize>,
    markers: AhoCorasick,
    /// Indices of groups that changed since the last [`Analyzer::take_updates`] (for --follow).
    updates: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    connector: Option<String>,
    task: Option<u32>,
    level: Level,
    exception: String,
    message: String,
}

impl Analyzer {
    pub fn new(opts: Options) -> Self {
        Analyzer {
            since_key: opts.since_ms,
            opts,
            events: 0,
            groups: Vec::new(),
            index: HashMap::new(),
            cache: HashMap::new(),
            pending: None,
            recent: VecDeque::new(),
            awaiting: Vec::new(),
            markers: AhoCorasick::new(LIFECYCLE).expect("lifecycle patterns are valid"),
            updates: Vec::new(),
        }
    }

    /// Feeds one line (without its newline).
    pub fn line(&mut self, line: &[u8]) {
        match parse_header(line) {
            Some(h) => {
                self.flush();
                self.event(h, line);
            }
            None => {
                if let Some(p) = &mut self.pending {
                    if p.trace.len() < MAX_TRACE_BYTES {
                        p.trace.extend_from_slice(line);
                        p.trace.push(b'\n');
                    }
                }
            }
        }
    }

    fn event(&mut self, h: Header<'_>, line: &[u8]) {
        if let Some(since) = self.since_key {
            // A line whose time cannot be read is kept: dropping data silently is worse.
            if time_ms(h.time).is_some_and(|t| t < since) {
                return;
            }
        }
        self.events += 1;
        if h.level <= self.opts.level {
            let (connector, task) = match h.context {
                Some(c) => split_context(c),
                None => context_from_message(h.message),
            };
            if self
                .opts
                .connector
                .as_ref()
                .is_some_and(|want| connector.as_ref() != Some(want))
            {
                return;
            }
            self.pending = Some(Pending {
                time: h.time.to_vec(),
                level: h.level,
                connector,
                task,
                line: line.to_vec(),
                message: h.message.to_vec(),
                trace: Vec::new(),
            });
        } else if h.level == Level::Info {
            if let Some(m) = self.markers.find(h.message) {
                self.lifecycle(&h, m.pattern().as_usize(), m.end());
            }
        }
    }

    fn lifecycle(&mut self, h: &Header<'_>, pattern: usize, end: usize) {
        let (mut connector, mut task) = match h.context {
            Some(c) => split_context(c),
            None => context_from_message(h.message),
        };
        // `Starting task name-0`, `Creating connector name of type ...` name it after the marker.
        if connector.is_none() && LIFECYCLE[pattern].ends_with(' ') {
            let word = h.message[end..]
                .split(|b| *b == b' ' || *b == b',')
                .next()
                .unwrap_or_default();
            let word = String::from_utf8_lossy(word).into_owned();
            if LIFECYCLE[pattern].contains("task") {
                if let Some((n, t)) = word.rsplit_once('-') {
                    if let Ok(t) = t.parse() {
                        connector = Some(n.to_owned());
                        task = Some(t);
                    }
                }
            } else if LIFECYCLE[pattern].contains("connector") && !word.is_empty() {
                connector = Some(word);
            }
        }
        // `[Worker clientId=connect-host:8083, groupId=connect-cluster] ` says nothing here.
        let mut text = h.message;
        if text.starts_with(b"[Worker clientId=") {
            if let Some(close) = memchr::memchr(b']', text) {
                text = &text[close + 1..];
                text = &text[text.iter().take_while(|c| **c == b' ').count()..];
            }
        }
        let text = String::from_utf8_lossy(text);
        let short = match text.char_indices().nth(160) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.into_owned(),
        };
        if connector.is_none() && LIFECYCLE[pattern].starts_with('/') {
            if let Some(at) = memchr::memmem::rfind(&h.message[..end], b"/connectors/") {
                let name = &h.message[at + "/connectors/".len()..];
                let stop = memchr::memchr(b'/', name).unwrap_or(name.len());
                connector = Some(String::from_utf8_lossy(&name[..stop]).into_owned());
            }
        }
        let message = self.shown(&short);
        let ev = Lifecycle {
            time: iso_time(h.time),
            level: h.level,
            connector,
            task,
            message,
        };
        let mut i = 0;
        while i < self.awaiting.len() {
            let g = &mut self.groups[self.awaiting[i]];
            if relevant(&ev, g.connector.as_deref()) {
                g.around.push(ev.clone());
            }
            if g.around.len() - g.around_split >= AROUND_AFTER {
                self.awaiting.swap_remove(i);
            } else {
                i += 1;
            }
        }
        if self.recent.len() == 32 {
            self.recent.pop_front();
        }
        self.recent.push_back(ev);
    }

    /// Masks (unless --reveal) and shortens a message for the report.
    fn shown(&self, s: &str) -> String {
        let s = if self.opts.reveal {
            std::borrow::Cow::Borrowed(s)
        } else {
            mask_text(s)
        };
        match s.char_indices().nth(MAX_MESSAGE) {
            Some((i, _)) => format!("{}…", &s[..i]),
            None => s.into_owned(),
        }
    }

    /// Closes the event being read (its trace is complete once the next event starts).
    pub fn flush(&mut self) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let text: &[u8] = if p.trace.iter().any(|b| !b.is_ascii_whitespace()) {
            &p.trace
        } else {
            &p.message
        };
        let cache_key = (p.connector.clone(), text.to_vec());
        let rc = match self.cache.get(&cache_key) {
            Some(rc) => rc.clone(),
            None => {
                let s = String::from_utf8_lossy(text);
                let hint_ctx = match &p.connector {
                    Some(c) => HintContext::new(c),
                    None => HintContext::default(),
                };
                let mut rc = connect_trace::root_cause(&s, &hint_ctx);
                if !self.opts.reveal {
                    rc.message = mask_text(&rc.message).into_owned();
                    for c in &mut rc.chain {
                        c.message = mask_text(&c.message).into_owned();
                    }
                }
                if self.cache.len() >= MAX_CACHE {
                    self.cache.clear();
                }
                self.cache.insert(cache_key, rc.clone());
                rc
            }
        };
        let key = GroupKey {
            connector: p.connector.clone(),
            task: p.task,
            level: p.level,
            exception: rc.exception.clone(),
            message: shape(&rc.message),
        };
        let time = iso_time(&p.time);
        let idx = match self.index.get(&key) {
            Some(&i) => {
                let g = &mut self.groups[i];
                g.count += 1;
                // Files may come out of order (rotation); keep the true extremes.
                if time < g.first {
                    g.first = time.clone();
                }
                if time > g.last {
                    g.last = time;
                }
                i
            }
            None => {
                let before: Vec<Lifecycle> = self
                    .recent
                    .iter()
                    .filter(|e| relevant(e, p.connector.as_deref()))
                    .rev()
                    .take(AROUND_BEFORE)
                    .cloned()
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let sample = self.shown(String::from_utf8_lossy(&p.line).trim_end());
                let i = self.groups.len();
                self.groups.push(Group {
                    connector: p.connector,
                    task: p.task,
                    level: p.level,
                    count: 1,
                    first: time.clone(),
                    last: time,
                    root_cause: rc,
                    sample,
                    around_split: before.len(),
                    around: before,
                });
                self.index.insert(key, i);
                self.awaiting.push(i);
                i
            }
        };
        self.updates.push(idx);
    }

    /// Groups changed since the last call, each once, for `--follow`.
    pub fn take_updates(&mut self) -> Vec<&Group> {
        let mut idx = std::mem::take(&mut self.updates);
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| &self.groups[i]).collect()
    }

    /// The report so far, groups ordered by first occurrence.
    pub fn report(&mut self) -> Report {
        self.flush();
        let mut groups = self.groups.clone();
        groups.sort_by(|a, b| a.first.cmp(&b.first).then(a.level.cmp(&b.level)));
        Report {
            groups,
            events: self.events,
        }
    }
}

/// Worker-wide events (rebalances) matter to every group; others only to their connector.
fn relevant(e: &Lifecycle, connector: Option<&str>) -> bool {
    e.connector.is_none() || connector.is_none() || e.connector.as_deref() == connector
}

/// A message with its numbers blanked, so `offset 17` and `offset 18` fall into one group.
fn shape(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(256));
    let mut in_digits = false;
    for c in message.chars().take(256) {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            since_ms: None,
            connector: None,
            level: Level::Warn,
            reveal: false,
        }
    }

    fn run(text: &str, o: Options) -> Report {
        let mut a = Analyzer::new(o);
        for l in text.lines() {
            a.line(l.as_bytes());
        }
        a.report()
    }

    const LOG: &str = "\
[2026-11-30 10:00:00,000] INFO [Worker clientId=connect-1, groupId=g] Rebalance started (org.apache.kafka.connect.runtime.distributed.WorkerCoordinator:242)
[2026-11-30 10:00:01,000] INFO [s|task-0] Creating task s-0 (org.apache.kafka.connect.runtime.Worker:646)
[2026-11-30 10:00:02,000] ERROR [s|task-0] WorkerSinkTask{id=s-0} Task threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted (org.apache.kafka.connect.runtime.WorkerTask:234)
org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler
\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execute(RetryWithToleranceOperator.java:179)
Caused by: org.apache.kafka.connect.errors.DataException: Unknown schema type: null
\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)
\t... 1 more
[2026-11-30 10:00:03,000] INFO [s|task-0] Stopping task s-0 (org.apache.kafka.connect.runtime.Worker:1048)
[2026-11-30 10:00:04,000] WARN [t|task-1] Commit of offsets timed out after 5000 ms, password=hunter2 (org.apache.kafka.connect.runtime.WorkerSourceTask:1)
[2026-11-30 10:00:05,000] WARN [t|task-1] Commit of offsets timed out after 7000 ms, password=hunter2 (org.apache.kafka.connect.runtime.WorkerSourceTask:1)
[2026-11-30 10:00:06,000] ERROR [s|task-0] WorkerSinkTask{id=s-0} Task threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted (org.apache.kafka.connect.runtime.WorkerTask:234)
org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler
Caused by: org.apache.kafka.connect.errors.DataException: Unknown schema type: null
";

    #[test]
    fn groups_by_connector_task_and_root_cause() {
        let r = run(LOG, opts());
        assert_eq!(r.events, 7);
        assert_eq!(r.groups.len(), 2, "{:#?}", r.groups);
        let s = &r.groups[0];
        assert_eq!(
            (s.connector.as_deref(), s.task, s.level, s.count),
            (Some("s"), Some(0), Level::Error, 2)
        );
        assert_eq!(s.first, "2026-11-30T10:00:02.000");
        assert_eq!(s.last, "2026-11-30T10:00:06.000");
        assert_eq!(
            s.root_cause.exception,
            "org.apache.kafka.connect.errors.DataException"
        );
        assert!(s.sample.contains("Task threw an uncaught"));
        let around: Vec<&str> = s.around.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(s.around_split, 2);
        assert!(around[0].contains("Rebalance started"), "{around:?}");
        assert!(around[1].starts_with("Creating task s-0"), "{around:?}");
        assert!(around[2].starts_with("Stopping task s-0"), "{around:?}");
        let t = &r.groups[1];
        assert_eq!(
            (t.connector.as_deref(), t.task, t.count),
            (Some("t"), Some(1), 2)
        );
        assert!(!t.sample.contains("hunter2") && !t.root_cause.message.contains("hunter2"));
    }

    #[test]
    fn filters() {
        let o = Options {
            level: Level::Error,
            ..opts()
        };
        assert_eq!(run(LOG, o).groups.len(), 1);
        let o = Options {
            connector: Some("t".into()),
            ..opts()
        };
        let r = run(LOG, o);
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.groups[0].connector.as_deref(), Some("t"));
        let o = Options {
            since_ms: time_ms(b"2026-11-30 10:00:04,500"),
            ..opts()
        };
        let r = run(LOG, o);
        assert_eq!(r.events, 2);
        assert_eq!(r.groups.iter().map(|g| g.count).sum::<u64>(), 2);
    }

    #[test]
    fn json_shape_is_the_contract() {
        let r = run(LOG, opts());
        let v = serde_json::to_value(&r).unwrap();
        let top: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(top, ["groups", "events"]);
        let g: Vec<_> = v["groups"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            g,
            [
                "connector",
                "task",
                "level",
                "count",
                "first",
                "last",
                "root_cause",
                "sample"
            ]
        );
        let rc: Vec<_> = v["groups"][0]["root_cause"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(rc, ["exception", "message", "chain", "frame", "hint"]);
    }
}
