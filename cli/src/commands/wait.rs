//! `connectctl wait NAME --for running --timeout 60s`: block until a connector reaches a state,
//! for scripts and CI. Exit 0 when it does, 1 on timeout or when it fails instead.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use connect_api::{ConnectorStateInfo, State};

use super::Ctx;
use super::connector_util::explain;
use crate::health::{Health, health};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The connector and every task are RUNNING
    Running,
    /// The connector is PAUSED (and its tasks too)
    Paused,
    /// The connector is STOPPED
    Stopped,
    /// The connector or any task FAILED
    Failed,
    /// The connector no longer exists
    Deleted,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Connector to wait for
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// State to wait for
    #[arg(long = "for", value_enum, default_value_t = Target::Running)]
    pub target: Target,
    /// Give up after this long (e.g. 30s, 2m)
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time between checks
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration such as 30s, 2m or 500ms, got '{s}'"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit '{unit}' in '{s}': use ms, s, m or h")),
    };
    // Beyond this, deadlines overflow the clock (a panic, exit 101, before this check); no one
    // waits a year for a connector.
    if !(0.0..=MAX_DURATION_SECS).contains(&secs) {
        return Err(format!(
            "'{s}' is too long: the most is {} days",
            MAX_DURATION_SECS as u64 / 86_400
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("'{s}' is not a duration: {e}"))
}

/// The longest `--timeout` / `--interval` accepted: 365 days.
const MAX_DURATION_SECS: f64 = 365.0 * 86_400.0;

fn reached(target: Target, s: &ConnectorStateInfo) -> bool {
    let tasks = |st: &State| !s.tasks.is_empty() && s.tasks.iter().all(|t| &t.state == st);
    match target {
        Target::Running => health(s, None) == Health::Healthy,
        Target::Paused => {
            s.connector.state == State::Paused && (s.tasks.is_empty() || tasks(&State::Paused))
        }
        Target::Stopped => s.connector.state == State::Stopped,
        Target::Failed => {
            crate::health::is_failed(&s.connector.state)
                || s.tasks.iter().any(|t| crate::health::is_failed(&t.state))
        }
        Target::Deleted => false,
    }
}

fn describe(s: &ConnectorStateInfo) -> String {
    let tasks: Vec<String> = s
        .tasks
        .iter()
        .map(|t| format!("{}:{}", t.id, t.state))
        .collect();
    let text = format!(
        "connector {}, tasks [{}]",
        s.connector.state,
        tasks.join(", ")
    );
    crate::output::esc(&text).into_owned()
}

pub async fn run(ctx: &Ctx, args: WaitArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let deadline = Instant::now() + args.timeout;
    let mut last: String;
    loop {
        match client.status(&args.name).await {
            Ok(s) => {
                if reached(args.target, &s) {
                    eprintln!("{}: {}", args.name, describe(&s));
                    return Ok(ExitCode::SUCCESS);
                }
                // Waiting for RUNNING is pointless once something failed: say so at once.
                if args.target == Target::Running && reached(Target::Failed, &s) {
                    eprintln!(
                        "{} failed while waiting for it to run: {} (see connectctl status {})",
                        args.name,
                        describe(&s),
                        args.name
                    );
                    return Ok(ExitCode::from(1));
                }
                last = describe(&s);
            }
            Err(e) if e.status() == Some(404) => {
                if args.target == Target::Deleted {
                    eprintln!("{}: deleted", args.name);
                    return Ok(ExitCode::SUCCESS);
                }
                // Just created connectors have no status for a moment.
                last = "no status yet".to_owned();
            }
            Err(e) => return Err(explain(&client, &args.name, e, None).await),
        }
        if Instant::now() >= deadline {
            eprintln!(
                "timed out after {:?} waiting for {} to be {:?}; last seen: {last}",
                args.timeout, args.name, args.target
            );
            return Ok(ExitCode::from(1));
        }
        tokio::time::sleep(
            args.interval
                .min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("soon").is_err());
        // Huge values are usage errors, not a panic when the deadline is computed.
        for huge in [
            "18446744073709551615s",
            "9223372036854775807s",
            "99999999999999999999s",
            "1e300s",
            "366d",
        ] {
            assert!(parse_duration(huge).is_err(), "{huge}");
        }
        assert_eq!(
            parse_duration("8760h").unwrap(),
            Duration::from_secs(365 * 86_400)
        );
    }
}
