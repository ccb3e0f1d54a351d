//! `connectctl loggers set NAME LEVEL [--scope worker|cluster]`

use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::commands::Ctx;
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct LoggersSetArgs {
    /// Logger name, e.g. org.apache.kafka.connect or root
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::logger_names))]
    pub name: String,
    /// Level
    #[arg(value_parser = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF", "trace", "debug", "info", "warn", "error", "fatal", "off"])]
    pub level: String,
    /// The worker answering, or every worker in the cluster (Connect 3.7+)
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Scope {
    Worker,
    Cluster,
}

#[derive(Debug, Serialize)]
struct Changed {
    logger: String,
    level: String,
    scope: &'static str,
    /// Loggers changed on this worker (empty for cluster scope, which applies asynchronously).
    changed: Vec<String>,
}

pub async fn run(ctx: &Ctx, args: LoggersSetArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let level = args.level.to_ascii_uppercase();
    let scope = args.scope.map(|s| {
        if s == Scope::Cluster {
            "cluster"
        } else {
            "worker"
        }
    });
    let changed = match client.set_logger(&args.name, &level, scope).await {
        Ok(c) => c,
        Err(e) if e.is_missing_endpoint() => {
            return Err(anyhow!(
                "loggers set needs Kafka Connect 2.4 or newer ({e})"
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // Before 3.7 the scope parameter is ignored and the worker answers with a list: the change
    // then reached one worker only, which the user must know.
    let version = client
        .server_info()
        .await
        .map(|i| i.version)
        .unwrap_or_default();
    if scope == Some("cluster")
        && !changed.is_empty()
        && crate::commands::connector_util::version_lt(&version, (3, 7))
    {
        return Err(anyhow!(
            "--scope cluster needs Kafka Connect 3.7 or newer; this server runs {version}, so only the worker at {} changed",
            crate::client::redact_url(&ctx.url)
        ));
    }
    let out = Changed {
        logger: args.name.clone(),
        level: level.clone(),
        scope: scope.unwrap_or("worker"),
        changed,
    };
    if !print_structured(ctx.output, &out)? {
        if out.scope == "cluster" {
            println!("{} set to {level} on every worker", out.logger);
        } else {
            println!(
                "{} set to {level} on this worker ({} logger(s) changed)",
                out.logger,
                out.changed.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions() {
        assert!(crate::commands::connector_util::version_lt("3.6.1", (3, 7)));
        assert!(!crate::commands::connector_util::version_lt(
            "4.3.1",
            (3, 7)
        ));
        assert!(!crate::commands::connector_util::version_lt(
            "garbage",
            (3, 7)
        ));
    }
}
