//! One word for how a connector is doing, from its status: shared by `ls`, `describe`, `status`
//! and `doctor` so they never disagree.

use connect_api::{ConnectorStateInfo, State};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum Health {
    Healthy,
    /// Running, but with failed, unassigned or missing tasks.
    Degraded,
    Failed,
    Paused,
    Stopped,
    Unassigned,
    Restarting,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "HEALTHY",
            Health::Degraded => "DEGRADED",
            Health::Failed => "FAILED",
            Health::Paused => "PAUSED",
            Health::Stopped => "STOPPED",
            Health::Unassigned => "UNASSIGNED",
            Health::Restarting => "RESTARTING",
        }
    }
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a task or connector state means it failed: Connect's FAILED, and Confluent Cloud's
/// USER_ACTIONABLE_ERROR (the user's config or external system is at fault) and SYSTEM_ERROR.
pub fn is_failed(state: &State) -> bool {
    match state {
        State::Failed => true,
        State::Other(s) => s == "USER_ACTIONABLE_ERROR" || s == "SYSTEM_ERROR",
        _ => false,
    }
}

/// The health of a connector. `expected_tasks` is the number of tasks its config generated (from
/// `info.tasks`), when known: fewer task states than that means tasks are missing.
pub fn health(status: &ConnectorStateInfo, expected_tasks: Option<usize>) -> Health {
    let tasks = &status.tasks;
    match &status.connector.state {
        State::Failed => return Health::Failed,
        State::Stopped => return Health::Stopped,
        State::Paused => return Health::Paused,
        State::Unassigned => return Health::Unassigned,
        State::Restarting => return Health::Restarting,
        State::Running => {}
        // Confluent Cloud's own connector states: PROVISIONING (and NONE) means not placed yet;
        // DEGRADED is ours too; anything else is "not known to be fine".
        State::Other(s) if s == "PROVISIONING" || s == "NONE" => return Health::Unassigned,
        State::Other(s) if s == "DEGRADED" => {}
        State::Other(_) => return Health::Degraded,
    }
    if tasks.iter().any(|t| t.state == State::Restarting) {
        return Health::Restarting;
    }
    let failed = tasks.iter().filter(|t| is_failed(&t.state)).count();
    if !tasks.is_empty() && failed == tasks.len() {
        return Health::Failed;
    }
    let missing = tasks.is_empty() || expected_tasks.is_some_and(|n| tasks.len() < n);
    let not_running = tasks.iter().any(|t| t.state != State::Running);
    let cloud_degraded = status.connector.state == State::Other("DEGRADED".to_owned());
    if failed > 0 || missing || not_running || cloud_degraded {
        return Health::Degraded;
    }
    Health::Healthy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(connector: &str, tasks: &[&str]) -> ConnectorStateInfo {
        let tasks: Vec<_> = tasks
            .iter()
            .enumerate()
            .map(|(i, s)| serde_json::json!({"id": i, "state": s, "worker_id": "w:8083"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "name": "c",
            "connector": {"state": connector, "worker_id": "w:8083"},
            "tasks": tasks,
            "type": "sink"
        }))
        .unwrap()
    }

    #[test]
    fn classifies() {
        assert_eq!(
            health(&status("RUNNING", &["RUNNING", "RUNNING"]), Some(2)),
            Health::Healthy
        );
        assert_eq!(
            health(&status("RUNNING", &["RUNNING", "FAILED"]), None),
            Health::Degraded
        );
        assert_eq!(
            health(&status("RUNNING", &["FAILED"]), None),
            Health::Failed
        );
        assert_eq!(
            health(&status("RUNNING", &["RUNNING"]), Some(3)),
            Health::Degraded
        );
        assert_eq!(health(&status("RUNNING", &[]), None), Health::Degraded);
        assert_eq!(
            health(&status("RUNNING", &["RESTARTING"]), None),
            Health::Restarting
        );
        assert_eq!(
            health(&status("FAILED", &["RUNNING"]), None),
            Health::Failed
        );
        assert_eq!(health(&status("PAUSED", &["PAUSED"]), None), Health::Paused);
        assert_eq!(health(&status("STOPPED", &[]), None), Health::Stopped);
        assert_eq!(health(&status("UNASSIGNED", &[]), None), Health::Unassigned);
    }

    #[test]
    fn cloud_states() {
        assert_eq!(
            health(&status("RUNNING", &["USER_ACTIONABLE_ERROR"]), Some(1)),
            Health::Failed
        );
        assert_eq!(
            health(&status("RUNNING", &["RUNNING", "SYSTEM_ERROR"]), Some(2)),
            Health::Degraded
        );
        assert_eq!(
            health(&status("DEGRADED", &["RUNNING"]), Some(1)),
            Health::Degraded
        );
        assert_eq!(
            health(&status("PROVISIONING", &[]), None),
            Health::Unassigned
        );
        assert_eq!(
            health(&status("RUNNING", &["RUNNING"]), Some(1)),
            Health::Healthy
        );
    }

    #[test]
    fn real_failed_task_fixture_is_failed() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/rest/status-task-failed.json"
        ))
        .unwrap();
        let s: ConnectorStateInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(health(&s, Some(1)), Health::Failed);
    }
}
