//! The state of `connectctl top`: the connectors of the last refresh, the Kafka figures, the
//! view (sort, filter, selection, drill-down, confirmation). No IO here: the loop in `mod.rs`
//! feeds it answers and carries out the [`Effect`]s it asks for, so the behaviour of every key
//! is testable without a terminal or a cluster.

use std::collections::HashMap;
use std::time::Instant;

use connect_api::{ConnectorType, State};
use connect_trace::{HintContext, RootCause};

use super::kafka::{DlqView, KafkaSample, Probe};
use crate::commands::connector_util::Listed;
use crate::health::Health;

/// One connector as the list shows it.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub kind: String,
    pub state: String,
    pub health: Option<Health>,
    pub worker: String,
    pub tasks: Vec<TaskRow>,
    /// The connector's own root cause, if it failed with a trace.
    pub root_cause: Option<RootCause>,
    pub dlq_topic: Option<String>,
    /// Topics a sink reads (`topics`), for lag and throughput.
    pub sink_topics: Vec<String>,
    /// The topic a source writes, when its config names one (`topic`), for throughput.
    pub source_topic: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: u32,
    pub state: String,
    pub worker: String,
    pub root_cause: Option<RootCause>,
}

impl Row {
    fn from_listed(l: &Listed) -> Row {
        let status = l.status.as_ref();
        let config = l.info.as_ref().map(|i| &i.config);
        let mut hint_ctx = HintContext::new(&l.name);
        if let Some(c) = config {
            hint_ctx = hint_ctx.with_config(c);
        }
        let analyse = |trace: Option<&str>| {
            crate::commands::status::analysable(trace)
                .map(|t| connect_trace::root_cause(t, &hint_ctx))
        };
        let kind = status
            .and_then(|s| s.connector_type)
            .or_else(|| l.info.as_ref().and_then(|i| i.connector_type))
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".to_owned());
        let is_sink =
            status.and_then(|s| s.connector_type) == Some(ConnectorType::Sink) || kind == "sink";
        let get = |k: &str| {
            config
                .and_then(|c| c.get(k))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Row {
            name: l.name.clone(),
            kind,
            state: status
                .map(|s| s.connector.state.to_string())
                .unwrap_or_else(|| State::Unassigned.to_string()),
            health: l.health(),
            worker: status
                .map(|s| s.connector.worker_id.clone())
                .unwrap_or_default(),
            tasks: status
                .map(|s| {
                    s.tasks
                        .iter()
                        .map(|t| TaskRow {
                            id: t.id,
                            state: t.state.to_string(),
                            worker: t.worker_id.clone(),
                            root_cause: analyse(t.error_text()),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            root_cause: status.and_then(|s| analyse(s.connector.trace.as_deref())),
            dlq_topic: get("errors.deadletterqueue.topic.name"),
            sink_topics: if is_sink {
                get("topics")
                    .map(|t| {
                        t.split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            },
            source_topic: if is_sink { None } else { get("topic") },
        }
    }

    /// `2/3` running out of all, the list's TASKS cell.
    pub fn tasks_cell(&self) -> String {
        let running = self.tasks.iter().filter(|t| t.state == "RUNNING").count();
        let failed = self.tasks.iter().filter(|t| t.state == "FAILED").count();
        let mut s = format!("{running}/{}", self.tasks.len());
        if failed > 0 {
            s.push_str(&format!(" {failed}F"));
        }
        s
    }

    /// The root cause to show first: the connector's, else the first failed task's.
    pub fn first_cause(&self) -> Option<&RootCause> {
        self.root_cause
            .as_ref()
            .or_else(|| self.tasks.iter().find_map(|t| t.root_cause.as_ref()))
    }

    fn health_rank(&self) -> u8 {
        match self.health {
            Some(Health::Failed) => 0,
            Some(Health::Degraded) => 1,
            Some(Health::Unassigned) | Some(Health::Restarting) | None => 2,
            Some(Health::Paused) | Some(Health::Stopped) => 3,
            Some(Health::Healthy) => 4,
        }
    }
}

/// What Kafka says about one connector, with the rates derived from two samples.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Records per second consumed (sinks) or written to the source's topic.
    pub rate: Option<f64>,
    pub lag: Option<u64>,
    pub dlq: Option<u64>,
    /// DLQ records added since the previous sample.
    pub dlq_growth: Option<u64>,
    /// The counter the rate is computed from, and when it was read.
    progress: Option<(u64, Instant)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Health,
    Tasks,
    Rate,
    Lag,
    Dlq,
}

impl Sort {
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Health => "health",
            Sort::Tasks => "tasks",
            Sort::Rate => "rec/s",
            Sort::Lag => "lag",
            Sort::Dlq => "dlq",
        }
    }

    fn next(self) -> Sort {
        match self {
            Sort::Name => Sort::Health,
            Sort::Health => Sort::Tasks,
            Sort::Tasks => Sort::Rate,
            Sort::Rate => Sort::Lag,
            Sort::Lag => Sort::Dlq,
            Sort::Dlq => Sort::Name,
        }
    }
}

/// A lifecycle operation the user can ask for; each needs a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Pause,
    Resume,
    Restart,
}

impl Op {
    pub fn verb(self) -> &'static str {
        match self {
            Op::Pause => "Pause",
            Op::Resume => "Resume",
            Op::Restart => "Restart",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    List,
    /// Typing a filter.
    Filter,
    /// The drill-down of one connector.
    Detail(String),
    /// Waiting for y/n before an operation on a connector; `back` is the mode to return to.
    Confirm {
        op: Op,
        name: String,
        back: Box<Mode>,
    },
}

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Quit,
    Refresh,
    Run(Op, String),
    /// Read the connector's DLQ for the drill-down summary.
    SummarizeDlq {
        name: String,
        topic: String,
    },
}

pub struct App {
    pub url: String,
    pub rows: Vec<Row>,
    pub metrics: HashMap<String, Metrics>,
    pub dlq_views: HashMap<String, DlqView>,
    pub filter: String,
    pub sort: Sort,
    pub reverse: bool,
    /// Index into [`App::visible`].
    pub selected: usize,
    pub mode: Mode,
    /// The outcome of the last operation, or why a refresh failed.
    pub message: Option<String>,
    /// When the last refresh answered (HH:MM:SS UTC).
    pub refreshed: Option<String>,
    /// Why Kafka figures are missing, if they are.
    pub kafka_note: Option<String>,
    pub interval_label: String,
}

impl App {
    pub fn new(url: &str, interval_label: String) -> App {
        App {
            url: url.to_owned(),
            rows: Vec::new(),
            metrics: HashMap::new(),
            dlq_views: HashMap::new(),
            filter: String::new(),
            sort: Sort::Name,
            reverse: false,
            selected: 0,
            mode: Mode::List,
            message: None,
            refreshed: None,
            kafka_note: None,
            interval_label,
        }
    }

    /// Takes a new listing; the selection stays on the same connector where it still shows.
    pub fn apply_listing(&mut self, listed: &[Listed], stamp: String) {
        let keep = self.selected_name().map(str::to_owned);
        self.rows = listed.iter().map(Row::from_listed).collect();
        self.metrics
            .retain(|name, _| self.rows.iter().any(|r| &r.name == name));
        self.refreshed = Some(stamp);
        self.reselect(keep.as_deref());
    }

    /// What to ask Kafka for this round.
    pub fn probes(&self) -> Vec<Probe> {
        self.rows
            .iter()
            .filter(|r| {
                !r.sink_topics.is_empty() || r.source_topic.is_some() || r.dlq_topic.is_some()
            })
            .map(|r| Probe {
                name: r.name.clone(),
                group: format!("connect-{}", r.name),
                sink_topics: r.sink_topics.clone(),
                source_topic: r.source_topic.clone(),
                dlq_topic: r.dlq_topic.clone(),
            })
            .collect()
    }

    pub fn apply_kafka(&mut self, samples: Vec<KafkaSample>, at: Instant) {
        self.kafka_note = None;
        for s in samples {
            let m = self.metrics.entry(s.name.clone()).or_default();
            m.lag = s.lag;
            m.dlq_growth = match (m.dlq, s.dlq) {
                (Some(before), Some(now)) => Some(now.saturating_sub(before)),
                _ => None,
            };
            m.dlq = s.dlq;
            if let Some(now) = s.progress {
                if let Some((before, then)) = m.progress {
                    let secs = at.duration_since(then).as_secs_f64();
                    if secs > 0.0 {
                        m.rate = Some(now.saturating_sub(before) as f64 / secs);
                    }
                }
                m.progress = Some((now, at));
            }
        }
    }

    /// The rows the filter lets through, in the chosen order.
    pub fn visible(&self) -> Vec<&Row> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| {
                needle.is_empty()
                    || r.name.to_lowercase().contains(&needle)
                    || r.state.to_lowercase() == needle
                    || r.kind == needle
                    || r.health
                        .is_some_and(|h| h.as_str().to_lowercase() == needle)
            })
            .collect();
        let metric = |r: &Row, f: fn(&Metrics) -> Option<f64>| {
            self.metrics.get(&r.name).and_then(f).unwrap_or(-1.0)
        };
        rows.sort_by(|a, b| {
            let by = match self.sort {
                Sort::Name => std::cmp::Ordering::Equal,
                Sort::Health => a.health_rank().cmp(&b.health_rank()),
                Sort::Tasks => b.tasks.len().cmp(&a.tasks.len()),
                Sort::Rate => metric(b, |m| m.rate).total_cmp(&metric(a, |m| m.rate)),
                Sort::Lag => metric(b, |m| m.lag.map(|v| v as f64))
                    .total_cmp(&metric(a, |m| m.lag.map(|v| v as f64))),
                Sort::Dlq => metric(b, |m| m.dlq.map(|v| v as f64))
                    .total_cmp(&metric(a, |m| m.dlq.map(|v| v as f64))),
            };
            by.then_with(|| a.name.cmp(&b.name))
        });
        if self.reverse {
            rows.reverse();
        }
        rows
    }

    pub fn selected_name(&self) -> Option<&str> {
        self.visible().get(self.selected).map(|r| r.name.as_str())
    }

    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }

    fn reselect(&mut self, name: Option<&str>) {
        let visible = self.visible();
        self.selected = name
            .and_then(|n| visible.iter().position(|r| r.name == n))
            .unwrap_or(self.selected)
            .min(visible.len().saturating_sub(1));
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.visible().len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    /// The connector an operation key applies to: the drilled-down one, else the selected one.
    fn target(&self) -> Option<String> {
        match &self.mode {
            Mode::Detail(name) => Some(name.clone()),
            _ => self.selected_name().map(str::to_owned),
        }
    }

    fn confirm(&mut self, op: Op) -> Effect {
        if let Some(name) = self.target() {
            let back = Box::new(self.mode.clone());
            self.mode = Mode::Confirm { op, name, back };
        }
        Effect::None
    }

    /// Applies one key. Keys are given as crossterm reports them, reduced to [`Key`].
    pub fn key(&mut self, key: Key) -> Effect {
        match self.mode.clone() {
            Mode::Confirm { op, name, back } => {
                self.mode = *back;
                if key == Key::Char('y') || key == Key::Char('Y') {
                    self.message = Some(format!("{} {name}: sent", op.verb()));
                    Effect::Run(op, name)
                } else {
                    self.message = Some(format!("{} {name}: cancelled", op.verb()));
                    Effect::None
                }
            }
            Mode::Filter => {
                match key {
                    Key::Enter => self.mode = Mode::List,
                    Key::Esc => {
                        self.filter.clear();
                        self.mode = Mode::List;
                    }
                    Key::Backspace => {
                        self.filter.pop();
                    }
                    Key::Char(c) => self.filter.push(c),
                    _ => {}
                }
                self.selected = 0;
                Effect::None
            }
            Mode::Detail(name) => match key {
                Key::Esc | Key::Backspace | Key::Left | Key::Char('h') => {
                    self.mode = Mode::List;
                    Effect::None
                }
                Key::Char('q') | Key::CtrlC => Effect::Quit,
                Key::Char('p') => self.confirm(Op::Pause),
                Key::Char('u') => self.confirm(Op::Resume),
                Key::Char('r') => self.confirm(Op::Restart),
                Key::Char('d') => self.summarize(&name),
                Key::Char(' ') => Effect::Refresh,
                _ => Effect::None,
            },
            Mode::List => match key {
                Key::Char('q') | Key::Esc | Key::CtrlC => Effect::Quit,
                Key::Up | Key::Char('k') => {
                    self.move_by(-1);
                    Effect::None
                }
                Key::Down | Key::Char('j') => {
                    self.move_by(1);
                    Effect::None
                }
                Key::Home | Key::Char('g') => {
                    self.selected = 0;
                    Effect::None
                }
                Key::End | Key::Char('G') => {
                    self.move_by(isize::MAX / 2);
                    Effect::None
                }
                Key::Char('/') => {
                    self.mode = Mode::Filter;
                    Effect::None
                }
                Key::Char('s') => {
                    self.sort = self.sort.next();
                    self.selected = 0;
                    Effect::None
                }
                Key::Char('S') => {
                    self.reverse = !self.reverse;
                    Effect::None
                }
                Key::Enter | Key::Right | Key::Char('l') => match self.selected_name() {
                    Some(name) => {
                        let name = name.to_owned();
                        self.mode = Mode::Detail(name.clone());
                        self.summarize(&name)
                    }
                    None => Effect::None,
                },
                Key::Char('p') => self.confirm(Op::Pause),
                Key::Char('u') => self.confirm(Op::Resume),
                Key::Char('r') => self.confirm(Op::Restart),
                Key::Char(' ') => Effect::Refresh,
                _ => Effect::None,
            },
        }
    }

    fn summarize(&mut self, name: &str) -> Effect {
        match self.row(name).and_then(|r| r.dlq_topic.clone()) {
            Some(topic) if self.kafka_note.is_none() => Effect::SummarizeDlq {
                name: name.to_owned(),
                topic,
            },
            _ => Effect::None,
        }
    }
}

/// The keys `top` understands, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    CtrlC,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{ConnectorState, ConnectorStateInfo, TaskState};

    fn listed(name: &str, state: State, task: State) -> Listed {
        let trace = (task == State::Failed).then(|| {
            "org.apache.kafka.connect.errors.ConnectException: x\n\
             Caused by: java.net.ConnectException: Connection refused\n"
                .to_owned()
        });
        Listed {
            name: name.into(),
            status: Some(ConnectorStateInfo {
                name: name.into(),
                connector: ConnectorState {
                    state,
                    worker_id: "w1".into(),
                    trace: None,
                    extra: Default::default(),
                },
                tasks: vec![TaskState {
                    id: 0,
                    state: task,
                    worker_id: "w1".into(),
                    trace,
                    msg: None,
                    extra: Default::default(),
                }],
                connector_type: Some(ConnectorType::Sink),
                extra: Default::default(),
            }),
            info: None,
        }
    }

    fn app() -> App {
        let mut app = App::new("http://x", "2s".into());
        app.apply_listing(
            &[
                listed("orders-sink", State::Running, State::Running),
                listed("billing-sink", State::Running, State::Failed),
                listed("audit-sink", State::Paused, State::Paused),
            ],
            "00:00:00".into(),
        );
        app
    }

    fn names(app: &App) -> Vec<&str> {
        app.visible().iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn filter_narrows_by_name_or_state_and_esc_clears_it() {
        let mut app = app();
        assert_eq!(names(&app), ["audit-sink", "billing-sink", "orders-sink"]);
        app.key(Key::Char('/'));
        for c in "ORD".chars() {
            app.key(Key::Char(c));
        }
        app.key(Key::Enter);
        assert_eq!(names(&app), ["orders-sink"]);
        app.key(Key::Char('/'));
        app.key(Key::Esc);
        assert_eq!(names(&app).len(), 3);
        app.filter = "paused".into();
        assert_eq!(names(&app), ["audit-sink"]);
    }

    #[test]
    fn sort_by_health_puts_failures_first() {
        let mut app = app();
        app.key(Key::Char('s'));
        assert_eq!(app.sort, Sort::Health);
        assert_eq!(names(&app), ["billing-sink", "audit-sink", "orders-sink"]);
        app.key(Key::Char('S'));
        assert_eq!(names(&app)[0], "orders-sink");
    }

    #[test]
    fn operations_need_a_yes() {
        let mut app = app();
        app.key(Key::Down);
        assert_eq!(app.selected_name(), Some("billing-sink"));
        assert_eq!(app.key(Key::Char('p')), Effect::None);
        assert!(matches!(app.mode, Mode::Confirm { op: Op::Pause, .. }));
        assert_eq!(app.key(Key::Char('n')), Effect::None);
        assert_eq!(app.mode, Mode::List);
        app.key(Key::Char('r'));
        assert_eq!(
            app.key(Key::Char('y')),
            Effect::Run(Op::Restart, "billing-sink".into())
        );
    }

    #[test]
    fn enter_drills_into_the_selected_connector_with_its_root_cause() {
        let mut app = app();
        app.key(Key::Down);
        app.key(Key::Enter);
        assert_eq!(app.mode, Mode::Detail("billing-sink".into()));
        let cause = app.row("billing-sink").unwrap().first_cause().unwrap();
        assert_eq!(cause.hint.as_ref().unwrap().id, "connection-refused");
        // An operation from the drill-down applies to that connector and comes back to it.
        app.key(Key::Char('u'));
        assert_eq!(
            app.key(Key::Char('y')),
            Effect::Run(Op::Resume, "billing-sink".into())
        );
        assert_eq!(app.mode, Mode::Detail("billing-sink".into()));
        app.key(Key::Esc);
        assert_eq!(app.mode, Mode::List);
        assert_eq!(app.key(Key::Char('q')), Effect::Quit);
    }

    #[test]
    fn rates_and_dlq_growth_come_from_two_samples() {
        let mut app = app();
        let t0 = Instant::now();
        let sample = |progress, dlq| KafkaSample {
            name: "orders-sink".into(),
            progress: Some(progress),
            lag: Some(7),
            dlq: Some(dlq),
        };
        app.apply_kafka(vec![sample(100, 5)], t0);
        assert_eq!(app.metrics["orders-sink"].rate, None);
        app.apply_kafka(vec![sample(300, 9)], t0 + std::time::Duration::from_secs(2));
        let m = &app.metrics["orders-sink"];
        assert_eq!(m.rate, Some(100.0));
        assert_eq!(m.dlq_growth, Some(4));
        assert_eq!(m.lag, Some(7));
    }

    #[test]
    fn the_selection_follows_its_connector_across_refreshes() {
        let mut app = app();
        app.key(Key::Char('G'));
        assert_eq!(app.selected_name(), Some("orders-sink"));
        app.apply_listing(
            &[
                listed("orders-sink", State::Running, State::Running),
                listed("zeta", State::Running, State::Running),
            ],
            "00:00:02".into(),
        );
        assert_eq!(app.selected_name(), Some("orders-sink"));
    }
}
