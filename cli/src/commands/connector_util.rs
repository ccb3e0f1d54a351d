//! Helpers shared by the connector commands: listing (with the expand fallback), choosing
//! connectors for bulk actions, and turning 404s into useful errors.

use std::collections::BTreeSet;

use anyhow::anyhow;
use clap::Args;
use connect_api::{ConnectorInfo, ConnectorStateInfo};
use regex::Regex;

use crate::client::{Client, ClientError};
use crate::health::{Health, health};
use crate::output::{esc, esc_text};

/// One connector with what the list endpoint knows about it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub status: Option<ConnectorStateInfo>,
    pub info: Option<ConnectorInfo>,
}

impl Listed {
    pub fn health(&self) -> Option<Health> {
        self.status
            .as_ref()
            .map(|s| health(s, self.info.as_ref().map(|i| i.tasks.len())))
    }
}

/// Every connector with status and info, in one request where the server supports `expand`,
/// else one request per connector. A connector deleted meanwhile is left out.
pub async fn list_connectors(client: &Client) -> Result<Vec<Listed>, ClientError> {
    if let Some(map) = client.connectors_expanded().await? {
        return Ok(map
            .into_iter()
            .map(|(name, e)| Listed {
                name,
                status: e.status,
                info: e.info,
            })
            .collect());
    }
    let mut out = Vec::new();
    for name in client.connector_names().await? {
        let status = match client.status(&name).await {
            Ok(s) => Some(s),
            Err(e) if e.status() == Some(404) => continue,
            Err(e) => return Err(e),
        };
        let info = client.connector(&name).await.ok();
        out.push(Listed { name, status, info });
    }
    Ok(out)
}

/// Maps a failed call on connector `name`: a 404 lists the connectors that exist (closest
/// first); a missing endpoint names the Connect version the command needs.
pub async fn explain(
    client: &Client,
    name: &str,
    err: ClientError,
    needs: Option<(&str, &str)>,
) -> anyhow::Error {
    if err.is_missing_endpoint() {
        if let Some((what, version)) = needs {
            let have = client
                .server_info()
                .await
                .map(|i| format!("this server runs {}", i.version))
                .unwrap_or_else(|_| "this server does not offer it".to_owned());
            return anyhow!("{what} needs Kafka Connect {version} or newer; {have}");
        }
    }
    if err.status() == Some(404) && !err.is_missing_endpoint() {
        let names = client.connector_names().await.unwrap_or_default();
        if !names.iter().any(|n| n == name) {
            return anyhow!("{}", not_found_message(name, &names));
        }
    }
    err.into()
}

/// "no connector named X; existing connectors (closest first): ..."
pub fn not_found_message(name: &str, names: &[String]) -> String {
    if names.is_empty() {
        return format!("no connector named '{name}': this cluster has no connectors");
    }
    let mut ranked: Vec<&String> = names.iter().collect();
    ranked.sort_by(|a, b| {
        let sa = similarity(name, a);
        let sb = similarity(name, b);
        sb.partial_cmp(&sa)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    });
    const SHOWN: usize = 10;
    let mut list: Vec<&str> = ranked.iter().take(SHOWN).map(|s| s.as_str()).collect();
    if ranked.len() > SHOWN {
        list.push("...");
    }
    format!(
        "no connector named '{name}'; existing connectors (closest first): {}",
        list.join(", ")
    )
}

fn similarity(wanted: &str, candidate: &str) -> f64 {
    let w = wanted.to_lowercase();
    let c = candidate.to_lowercase();
    let base = strsim::normalized_levenshtein(&w, &c);
    // A typo'd prefix or a name that contains the input is what people usually mean.
    if c.contains(&w) || w.contains(&c) {
        base + 1.0
    } else {
        base
    }
}

/// Which connectors a bulk action applies to.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// Connector names
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connectors_or_tasks))]
    pub names: Vec<String>,
    /// Every connector in the cluster
    #[arg(long)]
    pub all: bool,
    /// Only connectors in this state or health (e.g. FAILED, PAUSED, DEGRADED)
    #[arg(long, value_name = "STATE")]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::states))]
    pub state: Option<String>,
    /// Only connectors whose name matches this regular expression
    #[arg(short = 'e', long = "regex", value_name = "REGEX")]
    pub regex: Option<String>,
}

impl Selection {
    /// The connectors selected, sorted; an error when nothing was asked for.
    pub async fn resolve(&self, client: &Client) -> anyhow::Result<Vec<String>> {
        if !self.names.is_empty() {
            anyhow::ensure!(!self.all, "give connector names or --all, not both");
            let mut seen = BTreeSet::new();
            return Ok(self
                .names
                .iter()
                .filter(|n| seen.insert(*n))
                .cloned()
                .collect());
        }
        anyhow::ensure!(
            self.all || self.state.is_some() || self.regex.is_some(),
            "name at least one connector, or select some with --all, --state or -e REGEX"
        );
        let re = self
            .regex
            .as_deref()
            .map(Regex::new)
            .transpose()
            .map_err(|e| anyhow!("-e: invalid regular expression: {e}"))?;
        let listed = list_connectors(client).await?;
        let wanted_state = self.state.as_deref().map(str::to_ascii_uppercase);
        Ok(listed
            .iter()
            .filter(|l| re.as_ref().is_none_or(|re| re.is_match(&l.name)))
            .filter(|l| match &wanted_state {
                None => true,
                Some(w) => {
                    l.status
                        .as_ref()
                        .is_some_and(|s| s.connector.state.as_str() == w)
                        || l.health().is_some_and(|h| h.as_str() == w)
                }
            })
            .map(|l| l.name.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_come_first() {
        let names: Vec<String> = ["billing-sink", "orders-sink", "orders-source", "zeta"]
            .map(String::from)
            .into();
        let msg = not_found_message("orders-snk", &names);
        let list = msg.split(": ").nth(1).unwrap();
        assert!(list.starts_with("orders-sink"), "{msg}");
        assert!(msg.contains("zeta"), "{msg}");
    }
}

/// Keys the connector's plugin declares as PASSWORD (for masking). A plugin the worker cannot
/// describe (older Connect, unknown class) just contributes none: name patterns still apply.
pub async fn password_keys(client: &Client, config: &connect_api::ConfigMap) -> BTreeSet<String> {
    let Some(class) = config.get("connector.class") else {
        return BTreeSet::new();
    };
    match client.plugin_config(class).await {
        Ok(defs) => defs
            .into_iter()
            .filter(|d| d.is_password())
            .map(|d| d.name)
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The config as it may be shown: secrets masked unless `--reveal`.
pub async fn shown_config(
    ctx: &super::Ctx,
    client: &Client,
    mut config: connect_api::ConfigMap,
) -> connect_api::ConfigMap {
    if !ctx.reveal {
        let keys = password_keys(client, &config).await;
        crate::mask::mask_config(&mut config, &keys);
    }
    config
}

/// What a bulk action did to one connector; also the `-o json` element.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub name: String,
    pub ok: bool,
    pub message: String,
}

/// Prints the outcomes (or their JSON) and gives exit code 1 when any failed.
pub fn finish(ctx: &super::Ctx, outcomes: &[Outcome]) -> anyhow::Result<std::process::ExitCode> {
    if !crate::output::print_structured(ctx.output, &outcomes)? {
        if outcomes.is_empty() {
            eprintln!("no connectors selected");
        }
        for o in outcomes {
            let (name, message) = (esc(&o.name), esc_text(&o.message));
            if o.ok {
                println!("{name}: {message}");
            } else {
                eprintln!("error: {name}: {message}");
            }
        }
    }
    Ok(if outcomes.iter().all(|o| o.ok) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}

/// Runs `action` on each selected connector, reporting the state it was in before.
pub async fn bulk<F, Fut>(
    ctx: &super::Ctx,
    client: &Client,
    selection: &Selection,
    done: &str,
    needs: Option<(&str, &str)>,
    action: F,
) -> anyhow::Result<std::process::ExitCode>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), ClientError>>,
{
    let names = selection.resolve(client).await?;
    let mut outcomes = Vec::new();
    for name in names {
        let before = client
            .status(&name)
            .await
            .ok()
            .map(|s| s.connector.state.to_string());
        match action(name.clone()).await {
            Ok(()) => outcomes.push(Outcome {
                message: match before {
                    Some(b) => format!("{done} (was {b})"),
                    None => done.to_owned(),
                },
                name,
                ok: true,
            }),
            Err(e) => {
                let e = explain(client, &name, e, needs).await;
                // A version gate applies to every connector alike: stop at the first.
                if needs.is_some() && e.to_string().contains("needs Kafka Connect") {
                    return Err(e);
                }
                outcomes.push(Outcome {
                    name,
                    ok: false,
                    message: format!("{e:#}"),
                });
            }
        }
    }
    finish(ctx, &outcomes)
}
