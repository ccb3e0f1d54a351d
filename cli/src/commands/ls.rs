//! `connectctl ls`: every connector with state, health, tasks and workers, from one request.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use connect_api::State;
use regex::Regex;
use serde::Serialize;

use super::Ctx;
use super::connector_util::list_connectors;
use crate::health::Health;
use crate::output::{print_structured, print_table, state_cell, table};

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Only connectors whose name matches this regular expression
    #[arg(value_parser = super::connector_util::valid_regex)]
    pub pattern: Option<String>,
    /// Only connectors in this state or health (RUNNING, FAILED, DEGRADED, PAUSED, ...)
    #[arg(long, value_name = "STATE")]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::states))]
    pub state: Option<String>,
    /// Only source or sink connectors
    #[arg(long = "type", value_name = "TYPE", value_parser = ["source", "sink"])]
    pub connector_type: Option<String>,
    /// Only connectors whose config has KEY=VALUE (exactly) or KEY~REGEX (a match anywhere in
    /// the value); repeatable, all must hold. Secret values compare masked unless --reveal
    #[arg(long = "where", value_name = "KEY=VALUE|KEY~REGEX", value_parser = parse_where)]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::config_keys))]
    pub filters: Vec<Where>,
}

/// One `--where` condition on a connector's config.
#[derive(Debug, Clone)]
pub enum Where {
    Equals(String, String),
    Matches(String, Regex),
}

impl Where {
    fn holds(&self, config: &connect_api::ConfigMap, reveal: bool) -> bool {
        let (key, test): (&str, &dyn Fn(&str) -> bool) = match self {
            Where::Equals(k, v) => (k, &move |x: &str| x == v),
            Where::Matches(k, re) => (k, &move |x: &str| re.is_match(x)),
        };
        config.get(key).is_some_and(|v| {
            if reveal {
                test(v)
            } else {
                test(&crate::mask::mask_value(key, v, &Default::default()))
            }
        })
    }
}

/// `KEY=VALUE` or `KEY~REGEX`, split at the first `=` or `~` (config keys contain neither).
pub fn parse_where(s: &str) -> Result<Where, String> {
    let Some(at) = s.find(['=', '~']) else {
        return Err(format!(
            "'{s}' is not a filter: write KEY=VALUE (exact) or KEY~REGEX, e.g. \
             value.converter=org.apache.kafka.connect.json.JsonConverter"
        ));
    };
    let (key, value) = (s[..at].trim(), &s[at + 1..]);
    if key.is_empty() {
        return Err(format!(
            "'{s}' names no config key: write KEY=VALUE or KEY~REGEX, e.g. topics~^orders"
        ));
    }
    if s.as_bytes()[at] == b'=' {
        return Ok(Where::Equals(key.to_owned(), value.to_owned()));
    }
    Regex::new(value)
        .map(|re| Where::Matches(key.to_owned(), re))
        .map_err(|e| format!("invalid regular expression after '{key}~': {e}"))
}

/// One row; also the `-o json` element (DESIGN.md contract).
#[derive(Debug, Serialize)]
pub struct Row {
    pub name: String,
    #[serde(rename = "type")]
    pub connector_type: String,
    pub state: String,
    pub health: Option<Health>,
    pub tasks: Vec<TaskRow>,
    pub worker_ids: Vec<String>,
    /// The root cause of the connector's failure, else of its first failed task's (DESIGN.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<connect_trace::RootCause>,
}

#[derive(Debug, Serialize)]
pub struct TaskRow {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
}

impl Row {
    /// `2/3 RUNNING`, or a breakdown when states are mixed: `1/3 RUNNING, 2 FAILED`.
    fn tasks_summary(&self) -> String {
        if self.tasks.is_empty() {
            return "0".to_owned();
        }
        let total = self.tasks.len();
        let running = self.tasks.iter().filter(|t| t.state == "RUNNING").count();
        let mut others: std::collections::BTreeMap<&str, usize> = Default::default();
        for t in self.tasks.iter().filter(|t| t.state != "RUNNING") {
            *others.entry(t.state.as_str()).or_default() += 1;
        }
        let mut s = format!("{running}/{total} RUNNING");
        for (state, n) in others {
            s.push_str(&format!(", {n} {state}"));
        }
        s
    }
}

pub async fn run(ctx: &Ctx, args: LsArgs) -> anyhow::Result<ExitCode> {
    let re = args
        .pattern
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| super::usage(anyhow!("invalid name pattern: {e}")))?;
    let wanted_state = args.state.as_deref().map(str::to_ascii_uppercase);
    let client = ctx.client()?;
    let listed = list_connectors(&client).await?;
    let mut rows = Vec::new();
    for l in listed {
        if re.as_ref().is_some_and(|re| !re.is_match(&l.name)) {
            continue;
        }
        let health = l.health();
        let status = l.status.as_ref();
        let connector_type = status
            .and_then(|s| s.connector_type)
            .or_else(|| l.info.as_ref().and_then(|i| i.connector_type))
            .map(|t| t.to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        let state = status
            .map(|s| s.connector.state.clone())
            .unwrap_or(State::Unassigned);
        if let Some(w) = &wanted_state {
            if state.as_str() != w && health.is_none_or(|h| h.as_str() != w) {
                continue;
            }
        }
        if args
            .connector_type
            .as_ref()
            .is_some_and(|t| *t != connector_type)
        {
            continue;
        }
        if !args.filters.is_empty() {
            // A connector created a moment ago may be listed before its info is; ask for its
            // config then. One whose config cannot be read matches no --where.
            let fetched = match &l.info {
                Some(_) => None,
                None => client.config(&l.name).await.ok(),
            };
            let config = l.info.as_ref().map(|i| &i.config).or(fetched.as_ref());
            if !config.is_some_and(|c| args.filters.iter().all(|w| w.holds(c, ctx.reveal))) {
                continue;
            }
        }
        let tasks: Vec<TaskRow> = status
            .map(|s| {
                s.tasks
                    .iter()
                    .map(|t| TaskRow {
                        id: t.id,
                        state: t.state.to_string(),
                        worker_id: t.worker_id.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let workers: BTreeSet<String> = status
            .into_iter()
            .flat_map(|s| {
                std::iter::once(s.connector.worker_id.clone())
                    .chain(s.tasks.iter().map(|t| t.worker_id.clone()))
            })
            .filter(|w| !w.is_empty())
            .collect();
        let root_cause = status.and_then(|s| {
            let trace = super::status::analysable(s.connector.trace.as_deref()).or_else(|| {
                s.tasks
                    .iter()
                    .filter(|t| crate::health::is_failed(&t.state))
                    .find_map(|t| super::status::analysable(t.error_text()))
            })?;
            let mut hint_ctx = connect_trace::HintContext::new(&l.name);
            if let Some(info) = &l.info {
                hint_ctx = hint_ctx.with_config(&info.config);
            }
            Some(connect_trace::root_cause(trace, &hint_ctx))
        });
        rows.push(Row {
            root_cause,
            name: l.name,
            connector_type,
            state: state.to_string(),
            health,
            tasks,
            worker_ids: workers.into_iter().collect(),
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    if print_structured(ctx.output, &rows)? {
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "no connectors{}",
            if re.is_some()
                || wanted_state.is_some()
                || args.connector_type.is_some()
                || !args.filters.is_empty()
            {
                " match"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["NAME", "TYPE", "STATE", "HEALTH", "TASKS", "WORKERS"]);
    for r in &rows {
        t.add_row(vec![
            crate::output::cell(&r.name),
            crate::output::cell(&r.connector_type),
            state_cell(&r.state),
            state_cell(r.health.map(|h| h.as_str()).unwrap_or("-")),
            crate::output::cell(r.tasks_summary()),
            crate::output::cell(r.worker_ids.join(",")),
        ]);
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_filters_parse_and_match() {
        let mut cfg = connect_api::ConfigMap::new();
        cfg.insert(
            "value.converter".into(),
            "org.apache.kafka.connect.json.JsonConverter".into(),
        );
        cfg.insert("connection.password".into(), "hunter2".into());
        cfg.insert("expr".into(), "a=b~c".into());
        let w = parse_where("value.converter=org.apache.kafka.connect.json.JsonConverter").unwrap();
        assert!(w.holds(&cfg, false));
        assert!(
            !parse_where("value.converter=JsonConverter")
                .unwrap()
                .holds(&cfg, false)
        );
        assert!(
            parse_where("value.converter~Json")
                .unwrap()
                .holds(&cfg, false)
        );
        assert!(!parse_where("key.converter~.*").unwrap().holds(&cfg, false));
        assert!(parse_where("expr=a=b~c").unwrap().holds(&cfg, false));
        // Secrets compare masked, so a filter cannot probe a password.
        assert!(
            !parse_where("connection.password=hunter2")
                .unwrap()
                .holds(&cfg, false)
        );
        assert!(
            parse_where("connection.password=hunter2")
                .unwrap()
                .holds(&cfg, true)
        );
        for bad in ["novalue", "=x", "~x", "k~("] {
            assert!(parse_where(bad).is_err(), "{bad}");
        }
    }
}
