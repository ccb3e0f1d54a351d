//! `connectctl guard [NAME...|--all|-e REGEX]`: watches connectors and restarts failed
//! connectors and tasks, but only when the hint catalog knows the root cause as transient (an
//! outage, a timeout, a rebalance). A failure it knows as a configuration or data error is never
//! restarted: restarting it fails the same way and hides the cause, so it is reported with its
//! hint instead. A root cause the catalog does not know is left alone too unless
//! `--restart-unknown`: a restart loop on an unknown error does more harm (duplicates, noise,
//! a hidden cause) than a connector that waits for a person.
//!
//! Restarts of one connector or task back off exponentially (`--backoff`, doubling up to
//! `--max-backoff`), and each connector has a budget of restarts per window (`--budget` per
//! `--window`). A spent budget means the failure is not passing: guard reports it and exits 1, so
//! whatever runs it (a terminal, systemd, cron) notices. `--state FILE` keeps the restart history
//! across runs, which makes backoff and budget work with `--once` under cron.
//!
//! Each decision is one line on stdout (`-o jsonl`: one JSON object); narration goes to stderr.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Args;
use connect_api::State;
use connect_trace::{HintContext, RootCause};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::Ctx;
use super::connector_util::{Listed, list_connectors, valid_regex};
use super::wait::parse_duration;
use crate::output::{OutputFormat, esc_text};

#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Connectors to guard
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub names: Vec<String>,
    /// Guard every connector, including ones created while guard runs
    #[arg(long)]
    pub all: bool,
    /// Guard connectors whose name matches this regular expression (checked every round)
    #[arg(short = 'e', long = "regex", value_name = "REGEX", value_parser = valid_regex)]
    pub regex: Option<String>,
    /// Time between checks
    #[arg(long, short = 'n', default_value = "10s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Wait before restarting the same connector or task again; doubles with each restart
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub backoff: Duration,
    /// The longest wait between two restarts of the same connector or task
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub max_backoff: Duration,
    /// Restarts allowed per connector within --window; when spent, guard stops and exits 1
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub budget: u32,
    /// The window the restart budget counts in
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub window: Duration,
    /// Check once, act, and exit (for cron; add --state so backoff and budget span runs)
    #[arg(long)]
    pub once: bool,
    /// JSON file keeping the restart history between runs (created if missing)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Also restart failures whose root cause the hint catalog does not know
    #[arg(long)]
    pub restart_unknown: bool,
    /// Decide and report, but restart nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// What guard decided about one failed (or recovered) connector or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Restarted: the root cause is transient (or unknown, with `--restart-unknown`).
    Restart,
    /// A restart was due but the REST call failed.
    RestartFailed,
    /// Transient, but the backoff since the last restart has not passed yet.
    Wait,
    /// Not restarted: the catalog knows the cause as a configuration or data error.
    Leave,
    /// Not restarted: the catalog does not know the cause.
    Unknown,
    /// The connector's restart budget for the window is spent; guard exits 1.
    BudgetSpent,
    /// Running again after guard restarted it.
    Recovered,
    /// A connector named on the command line does not exist.
    Missing,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Restart => "restart",
            Action::RestartFailed => "restart-failed",
            Action::Wait => "wait",
            Action::Leave => "leave",
            Action::Unknown => "unknown",
            Action::BudgetSpent => "budget-spent",
            Action::Recovered => "recovered",
            Action::Missing => "missing",
        }
    }
}

/// One decision: a line of output (`-o jsonl` prints this object).
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// RFC 3339 UTC.
    pub time: String,
    pub connector: String,
    /// The task id; null for the connector itself.
    pub task: Option<u32>,
    pub action: Action,
    /// The state guard saw.
    pub state: String,
    /// `transient`, `not-transient` or `unknown`: what the catalog says about the cause.
    pub cause: Option<&'static str>,
    /// Why, in words.
    pub reason: String,
    pub root_cause: Option<RootCause>,
    /// Restarts of this connector within the window, this one included.
    pub restarts_in_window: usize,
    pub budget: u32,
    /// Seconds until the next restart is allowed (for `wait`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_in_secs: Option<u64>,
}

/// Restart history, kept in memory and, with `--state`, in a file between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct History {
    /// Per unit (`NAME` or `NAME/TASK`): restarts since it last ran, and when the last was.
    #[serde(default)]
    units: BTreeMap<String, UnitHistory>,
    /// Per connector: the times of its restarts (Unix ms) within the window.
    #[serde(default)]
    restarts: BTreeMap<String, Vec<u64>>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct UnitHistory {
    attempts: u32,
    last_restart_ms: u64,
}

/// The policy guard applies, from the flags.
#[derive(Debug, Clone)]
pub struct Policy {
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub budget: u32,
    pub window: Duration,
    pub restart_unknown: bool,
}

impl Policy {
    /// The wait after the `attempts`-th restart: backoff, 2x, 4x ... capped at max_backoff.
    fn delay(&self, attempts: u32) -> Duration {
        if attempts == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (attempts - 1).min(20);
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// A failed or watched instance seen in one round.
struct Unit<'a> {
    connector: &'a str,
    task: Option<u32>,
    state: &'a State,
    trace: Option<&'a str>,
}

impl Unit<'_> {
    fn key(&self) -> String {
        match self.task {
            Some(t) => format!("{}/{t}", self.connector),
            None => self.connector.to_owned(),
        }
    }
}

/// What to do for one unit this round: the decision to print and whether to restart.
pub struct Step {
    pub decision: Decision,
    pub restart: bool,
}

/// The decision logic, separate from REST and printing so it can be tested on its own.
pub struct Guard {
    pub policy: Policy,
    pub history: History,
    /// What was last reported per unit, so a failure that stays is reported once, not every
    /// round.
    reported: HashMap<String, String>,
}

impl Guard {
    pub fn new(policy: Policy, history: History) -> Self {
        Self {
            policy,
            history,
            reported: HashMap::new(),
        }
    }

    /// Decides for every instance of the connectors in `listed`, at `now_ms`.
    pub fn round(&mut self, listed: &[Listed], now_ms: u64) -> Vec<Step> {
        let window_ms = self.policy.window.as_millis() as u64;
        for times in self.history.restarts.values_mut() {
            times.retain(|t| now_ms.saturating_sub(*t) < window_ms);
        }
        self.history.restarts.retain(|_, t| !t.is_empty());
        let mut steps = Vec::new();
        for l in listed {
            let Some(status) = &l.status else { continue };
            let mut hint_ctx = HintContext::new(&l.name);
            if let Some(info) = &l.info {
                hint_ctx = hint_ctx.with_config(&info.config);
            }
            let connector_unit = Unit {
                connector: &l.name,
                task: None,
                state: &status.connector.state,
                trace: status.connector.trace.as_deref(),
            };
            let connector_failed = status.connector.state == State::Failed;
            let units = std::iter::once(connector_unit).chain(
                // A connector restart (includeTasks, onlyFailed) restarts its failed tasks too.
                status
                    .tasks
                    .iter()
                    .filter(|_| !connector_failed)
                    .map(|t| Unit {
                        connector: &l.name,
                        task: Some(t.id),
                        state: &t.state,
                        trace: t.error_text(),
                    }),
            );
            for unit in units {
                if let Some(step) = self.unit(&unit, &hint_ctx, now_ms) {
                    steps.push(step);
                }
            }
        }
        steps
    }

    fn unit(&mut self, unit: &Unit<'_>, hint_ctx: &HintContext<'_>, now_ms: u64) -> Option<Step> {
        let key = unit.key();
        if *unit.state == State::Running {
            self.reported.remove(&key);
            // Restarted by guard and running again: say so once, and start backoff afresh.
            return self.history.units.remove(&key).map(|_| Step {
                decision: self.decision(unit, Action::Recovered, None, "running again".into()),
                restart: false,
            });
        }
        if *unit.state != State::Failed {
            return None;
        }
        let root_cause =
            super::status::analysable(unit.trace).map(|t| connect_trace::root_cause(t, hint_ctx));
        let transient = root_cause.as_ref().and_then(RootCause::transient);
        let cause = Some(match transient {
            Some(true) => "transient",
            Some(false) => "not-transient",
            None => "unknown",
        });
        let hint_id = root_cause
            .as_ref()
            .and_then(|r| r.hint.as_ref())
            .map(|h| h.id.clone());
        let (action, reason, retry_in) = match transient {
            Some(false) => (
                Action::Leave,
                format!(
                    "configuration or data error ({}): a restart would fail the same way",
                    hint_id.as_deref().unwrap_or("?")
                ),
                None,
            ),
            None if !self.policy.restart_unknown => (
                Action::Unknown,
                "the hint catalog does not know this root cause: left for a person \
                 (--restart-unknown restarts such failures too)"
                    .to_owned(),
                None,
            ),
            _ => {
                let unit_history = self.history.units.get(&key).cloned().unwrap_or_default();
                let due = unit_history.last_restart_ms
                    + self.policy.delay(unit_history.attempts).as_millis() as u64;
                let spent = self
                    .history
                    .restarts
                    .get(unit.connector)
                    .map_or(0, Vec::len);
                let what = match transient {
                    Some(true) => format!("transient ({})", hint_id.as_deref().unwrap_or("?")),
                    _ => "unknown root cause, --restart-unknown".to_owned(),
                };
                if now_ms < due {
                    let secs = (due - now_ms).div_ceil(1000);
                    (
                        Action::Wait,
                        format!("{what}: backing off, next restart in {secs}s"),
                        Some(secs),
                    )
                } else if spent >= self.policy.budget as usize {
                    (
                        Action::BudgetSpent,
                        format!(
                            "{what}: {spent} restarts within {}, the budget is spent",
                            human(self.policy.window)
                        ),
                        None,
                    )
                } else {
                    (Action::Restart, what, None)
                }
            }
        };
        let restart = action == Action::Restart;
        if restart {
            let h = self.history.units.entry(key.clone()).or_default();
            h.attempts += 1;
            h.last_restart_ms = now_ms;
            self.history
                .restarts
                .entry(unit.connector.to_owned())
                .or_default()
                .push(now_ms);
        }
        // Report a failure that stays once; a restart (or a new wait) is always news.
        let signature = format!(
            "{}|{}|{}",
            action.as_str(),
            hint_id.as_deref().unwrap_or(""),
            self.history.units.get(&key).map_or(0, |h| h.attempts)
        );
        if !restart && action != Action::BudgetSpent && self.reported.get(&key) == Some(&signature)
        {
            return None;
        }
        self.reported.insert(key, signature);
        let mut decision = self.decision(unit, action, cause, reason);
        decision.root_cause = root_cause;
        decision.retry_in_secs = retry_in;
        Some(Step { decision, restart })
    }

    fn decision(
        &self,
        unit: &Unit<'_>,
        action: Action,
        cause: Option<&'static str>,
        reason: String,
    ) -> Decision {
        Decision {
            time: rfc3339(now_ms()),
            connector: unit.connector.to_owned(),
            task: unit.task,
            action,
            state: unit.state.to_string(),
            cause,
            reason,
            root_cause: None,
            restarts_in_window: self
                .history
                .restarts
                .get(unit.connector)
                .map_or(0, Vec::len),
            budget: self.policy.budget,
            retry_in_secs: None,
        }
    }
}

pub async fn run(ctx: &Ctx, args: GuardArgs) -> anyhow::Result<ExitCode> {
    if !args.names.is_empty() && (args.all || args.regex.is_some()) {
        return Err(super::usage(anyhow!(
            "give connector names, --all or -e REGEX, not several"
        )));
    }
    if args.names.is_empty() && !args.all && args.regex.is_none() {
        return Err(super::usage(anyhow!(
            "name the connectors to guard, or choose them with --all or -e REGEX"
        )));
    }
    if args.budget == 0 {
        return Err(super::usage(anyhow!(
            "--budget 0 would never restart anything: give at least 1"
        )));
    }
    if args.interval.is_zero() {
        return Err(super::usage(anyhow!(
            "--interval must be longer than 0, e.g. 10s"
        )));
    }
    if matches!(ctx.output, OutputFormat::Yaml) {
        return Err(super::usage(anyhow!(
            "guard prints one line per decision: use -o table or -o jsonl"
        )));
    }
    let re = args.regex.as_deref().map(Regex::new).transpose()?;
    let client = ctx.client()?;
    let history = match &args.state {
        Some(path) => load_history(path)?,
        None => History::default(),
    };
    let mut guard = Guard::new(
        Policy {
            backoff: args.backoff,
            max_backoff: args.max_backoff,
            budget: args.budget,
            window: args.window,
            restart_unknown: args.restart_unknown,
        },
        history,
    );
    let json = matches!(ctx.output, OutputFormat::Json | OutputFormat::Jsonl);
    if !args.once {
        let what = if args.all {
            "every connector".to_owned()
        } else if let Some(r) = &args.regex {
            format!("connectors matching /{r}/")
        } else {
            args.names.join(", ")
        };
        eprintln!(
            "guard: watching {} every {}; restarts only transient failures, backoff {} to {}, \
             budget {} per {} (Ctrl-C stops)",
            esc_text(&what),
            human(args.interval),
            human(args.backoff),
            human(args.max_backoff),
            args.budget,
            human(args.window),
        );
    }
    let mut missing_reported = std::collections::HashSet::new();
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let listed = tokio::select! {
            biased;
            _ = &mut stop => return stopped(),
            r = list_connectors(&client) => r,
        };
        let listed = match listed {
            Ok(l) => l,
            // A watchdog outlives a worker restart: report and try again next round.
            Err(e) if !args.once => {
                eprintln!(
                    "guard: cannot read the connectors ({}); trying again in {}",
                    esc_text(&e.to_string()),
                    human(args.interval)
                );
                Vec::new()
            }
            Err(e) => return Err(e).context("guard cannot read the connectors"),
        };
        let watched: Vec<Listed> = listed
            .into_iter()
            .filter(|l| {
                args.all
                    || re.as_ref().is_some_and(|re| re.is_match(&l.name))
                    || args.names.contains(&l.name)
            })
            .collect();
        let mut budget_spent = false;
        for name in &args.names {
            if !watched.iter().any(|l| &l.name == name) && missing_reported.insert(name.clone()) {
                let d = Decision {
                    time: rfc3339(now_ms()),
                    connector: name.clone(),
                    task: None,
                    action: Action::Missing,
                    state: String::new(),
                    cause: None,
                    reason: "no connector of this name: watching for it".into(),
                    root_cause: None,
                    restarts_in_window: 0,
                    budget: args.budget,
                    retry_in_secs: None,
                };
                print_decision(&d, json)?;
            }
        }
        for step in guard.round(&watched, now_ms()) {
            let mut d = step.decision;
            budget_spent |= d.action == Action::BudgetSpent;
            if step.restart && !args.dry_run {
                let result = match d.task {
                    None => client.restart(&d.connector, true, true).await.map(drop),
                    Some(t) => client.restart_task(&d.connector, t).await,
                };
                if let Err(e) = result {
                    d.action = Action::RestartFailed;
                    d.reason = format!("{}; the restart call failed: {e}", d.reason);
                }
            } else if step.restart {
                d.reason = format!("{} (dry run: not restarted)", d.reason);
            }
            print_decision(&d, json)?;
        }
        if let Some(path) = &args.state {
            save_history(path, &guard.history)?;
        }
        if budget_spent {
            eprintln!(
                "guard: a restart budget is spent: the failure is not passing, look at it \
                 (`connectctl status NAME`); stopping"
            );
            return Ok(ExitCode::from(1));
        }
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::select! {
            biased;
            _ = &mut stop => return stopped(),
            _ = tokio::time::sleep(args.interval) => {}
        }
    }
}

fn stopped() -> anyhow::Result<ExitCode> {
    eprintln!("guard: stopped");
    Ok(ExitCode::SUCCESS)
}

fn print_decision(d: &Decision, json: bool) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, d)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", esc_text(&line(d)))?;
    }
    out.flush()?;
    Ok(())
}

/// The table form: `TIME ACTION CONNECTOR[/TASK] STATE reason; cause; hint`.
pub fn line(d: &Decision) -> String {
    let unit = match d.task {
        Some(t) => format!("{} task {t}", d.connector),
        None => d.connector.clone(),
    };
    let mut s = format!(
        "{} {:<14} {unit} {}: {}",
        d.time,
        d.action.as_str(),
        d.state,
        d.reason
    );
    if matches!(d.action, Action::Restart | Action::BudgetSpent) {
        s.push_str(&format!(
            " [{}/{} restarts in window]",
            d.restarts_in_window, d.budget
        ));
    }
    if let Some(rc) = &d.root_cause {
        s.push_str(&format!(
            "; cause: {}",
            super::status::cause_line(&rc.exception, &rc.message)
        ));
        if let Some(h) = &rc.hint {
            if matches!(d.action, Action::Leave | Action::BudgetSpent) {
                s.push_str(&format!("; hint: {} Fix: {}", h.summary, h.fix));
            }
        }
    }
    s
}

fn load_history(path: &Path) -> anyhow::Result<History> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "--state {}: not a guard state file; give another path or remove it",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read --state {}", path.display())),
    }
}

fn save_history(path: &Path, history: &History) -> anyhow::Result<()> {
    // Write aside and rename, so a run stopped mid-write never leaves half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(history)?)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write --state {}", path.display()))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `2026-12-01T00:12:03Z` from Unix milliseconds (proleptic Gregorian, UTC).
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `30s`, `10m`, `1h`, `1.5s`: a duration as the flags take it.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 3_600_000 == 0 && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{ConnectorState, ConnectorStateInfo, TaskState};

    const REFUSED: &str = "org.apache.kafka.connect.errors.ConnectException: boom\n\
        Caused by: java.net.ConnectException: Connection refused\n";
    const MISSING_TABLE: &str = "org.apache.kafka.connect.errors.ConnectException: \
        Table \"orders\" is missing and auto-creation is disabled\n";

    fn listed(name: &str, task_state: State, trace: &str) -> Listed {
        Listed {
            name: name.into(),
            status: Some(ConnectorStateInfo {
                name: name.into(),
                connector: ConnectorState {
                    state: State::Running,
                    worker_id: "w".into(),
                    trace: None,
                    extra: Default::default(),
                },
                tasks: vec![TaskState {
                    id: 0,
                    state: task_state,
                    worker_id: "w".into(),
                    trace: Some(trace.into()),
                    msg: None,
                    extra: Default::default(),
                }],
                connector_type: None,
                extra: Default::default(),
            }),
            info: None,
        }
    }

    fn guard(budget: u32) -> Guard {
        Guard::new(
            Policy {
                backoff: Duration::from_secs(10),
                max_backoff: Duration::from_secs(25),
                budget,
                window: Duration::from_secs(3600),
                restart_unknown: false,
            },
            History::default(),
        )
    }

    fn actions(steps: &[Step]) -> Vec<Action> {
        steps.iter().map(|s| s.decision.action).collect()
    }

    #[test]
    fn transient_failures_restart_with_doubling_backoff_capped() {
        let mut g = guard(10);
        let failed = [listed("c", State::Failed, REFUSED)];
        let t0 = 1_000_000;
        assert_eq!(actions(&g.round(&failed, t0)), [Action::Restart]);
        // 10 s after the first restart: due again.
        assert_eq!(actions(&g.round(&failed, t0 + 5_000)), [Action::Wait]);
        assert_eq!(actions(&g.round(&failed, t0 + 6_000)), []);
        assert_eq!(actions(&g.round(&failed, t0 + 10_000)), [Action::Restart]);
        // Then 20 s, then capped at 25 s.
        assert_eq!(actions(&g.round(&failed, t0 + 29_000)), [Action::Wait]);
        assert_eq!(actions(&g.round(&failed, t0 + 30_000)), [Action::Restart]);
        assert_eq!(actions(&g.round(&failed, t0 + 54_000)), [Action::Wait]);
        assert_eq!(actions(&g.round(&failed, t0 + 55_000)), [Action::Restart]);
        // Running again: reported once, and the next failure restarts at once.
        let running = [listed("c", State::Running, "")];
        assert_eq!(
            actions(&g.round(&running, t0 + 60_000)),
            [Action::Recovered]
        );
        assert_eq!(actions(&g.round(&running, t0 + 61_000)), []);
        assert_eq!(actions(&g.round(&failed, t0 + 62_000)), [Action::Restart]);
    }

    #[test]
    fn configuration_errors_are_left_alone_and_reported_once() {
        let mut g = guard(10);
        let failed = [listed("c", State::Failed, MISSING_TABLE)];
        let steps = g.round(&failed, 0);
        assert_eq!(actions(&steps), [Action::Leave]);
        assert!(!steps[0].restart);
        let hint = steps[0].decision.root_cause.as_ref().unwrap().hint.as_ref();
        assert_eq!(hint.unwrap().id, "jdbc-table-missing-auto-create");
        assert_eq!(steps[0].decision.cause, Some("not-transient"));
        assert_eq!(actions(&g.round(&failed, 100_000)), []);
    }

    #[test]
    fn unknown_causes_are_left_alone_unless_asked() {
        let trace = "java.lang.IllegalStateException: something odd\n";
        let failed = [listed("c", State::Failed, trace)];
        let mut g = guard(10);
        assert_eq!(actions(&g.round(&failed, 0)), [Action::Unknown]);
        g.policy.restart_unknown = true;
        let steps = g.round(&failed, 1);
        assert_eq!(actions(&steps), [Action::Restart]);
        assert!(steps[0].restart);
    }

    #[test]
    fn the_budget_stops_a_restart_loop() {
        let mut g = guard(2);
        let failed = [listed("c", State::Failed, REFUSED)];
        assert_eq!(actions(&g.round(&failed, 0)), [Action::Restart]);
        assert_eq!(actions(&g.round(&failed, 10_000)), [Action::Restart]);
        let steps = g.round(&failed, 40_000);
        assert_eq!(actions(&steps), [Action::BudgetSpent]);
        assert!(!steps[0].restart);
        // Outside the window the budget is back.
        assert_eq!(
            actions(&g.round(&failed, 3_600_000 + 20_000)),
            [Action::Restart]
        );
    }

    #[test]
    fn history_round_trips_through_the_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guard.json");
        let mut g = guard(3);
        g.round(&[listed("c", State::Failed, REFUSED)], 5_000);
        save_history(&path, &g.history).unwrap();
        let mut g2 = Guard::new(g.policy.clone(), load_history(&path).unwrap());
        // The restart at 5 s is remembered: 1 s later the new run backs off.
        let steps = g2.round(&[listed("c", State::Failed, REFUSED)], 6_000);
        assert_eq!(actions(&steps), [Action::Wait]);
        std::fs::write(&path, "not json").unwrap();
        let err = load_history(&path).unwrap_err();
        assert!(
            format!("{err:#}").contains("not a guard state file"),
            "{err:#}"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_083_200_000), "2026-12-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000 + 3_723_000), "2000-02-29T01:02:03Z");
    }
}
