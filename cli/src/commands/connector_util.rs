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
            let server = client.server_info().await.ok().map(|i| i.version);
            // A server new enough that still answers 404/405 (a proxy, a connector in a state
            // that refuses the call) is not a version problem: report its answer as it is.
            let new_enough = server
                .as_deref()
                .is_some_and(|v| parse_version(version).is_some_and(|want| !version_lt(v, want)));
            if !new_enough {
                let have = server
                    .map(|v| format!("this server runs {v}"))
                    .unwrap_or_else(|| "this server does not offer it".to_owned());
                return anyhow!("{what} needs Kafka Connect {version} or newer; {have}");
            }
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

/// Why Kafka Connect could not manage a connector of this name afterwards, if it could not.
/// Connect stores such names, but its REST paths cannot address them again: `/` and `\` split
/// or break the path, `.`/`..` are normalised away, `%XX` is decoded once more by the server,
/// leading or trailing whitespace is trimmed by Apache, and control characters cannot be typed.
pub fn unmanageable_name(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("the name is empty".to_owned());
    }
    if name == "." || name == ".." {
        return Some(format!(
            "'{name}' is a path step: the REST path /connectors/{name} points elsewhere"
        ));
    }
    if let Some(c) = name.chars().find(|c| *c == '/' || *c == '\\') {
        return Some(format!(
            "it contains '{c}', which splits the REST path /connectors/NAME, so the connector \
             could not be read, paused or deleted afterwards"
        ));
    }
    let bytes = name.as_bytes();
    if bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return Some(
            "it contains a percent-encoded sequence (%XX), which the server decodes, so the \
             connector could not be addressed afterwards"
                .to_owned(),
        );
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it contains the control character {}",
            crate::output::esc(&c.to_string())
        ));
    }
    if name.trim() != name {
        return Some(
            "it starts or ends with whitespace, which Kafka Connect trims, so the name would \
             not be the one asked for"
                .to_owned(),
        );
    }
    None
}

/// Refuses (as a usage error) a name Connect could not manage afterwards.
pub fn check_new_name(name: &str) -> anyhow::Result<()> {
    match unmanageable_name(name) {
        None => Ok(()),
        Some(why) => Err(super::usage(anyhow!(
            "refusing to create a connector named '{}': {why}; choose a name of letters, \
             digits, '-', '_' and '.'",
            crate::output::esc(name)
        ))),
    }
}

/// `"3.5"` -> (3, 5).
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Compares a Connect version such as `3.6.1` or `7.5.0-ccs` with (major, minor); an
/// unreadable version is not older.
pub fn version_lt(v: &str, want: (u32, u32)) -> bool {
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => (a, b) < want,
        _ => false,
    }
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
    #[arg(short = 'e', long = "regex", value_name = "REGEX", value_parser = valid_regex)]
    pub regex: Option<String>,
}

/// A flag value that must be a regular expression: checked while parsing, so a bad one is a
/// usage error (exit 2) like any other bad flag.
pub fn valid_regex(s: &str) -> Result<String, String> {
    Regex::new(s)
        .map(|_| s.to_owned())
        .map_err(|e| format!("invalid regular expression: {e}"))
}

impl Selection {
    /// The connectors selected, sorted; an error when nothing was asked for.
    pub async fn resolve(&self, client: &Client) -> anyhow::Result<Vec<String>> {
        if !self.names.is_empty() {
            if self.all {
                return Err(super::usage(anyhow!(
                    "give connector names or --all, not both"
                )));
            }
            let mut seen = BTreeSet::new();
            return Ok(self
                .names
                .iter()
                .filter(|n| seen.insert(*n))
                .cloned()
                .collect());
        }
        if !(self.all || self.state.is_some() || self.regex.is_some()) {
            return Err(super::usage(anyhow!(
                "name at least one connector, or select some with --all, --state or -e REGEX"
            )));
        }
        let re = self
            .regex
            .as_deref()
            .map(Regex::new)
            .transpose()
            .map_err(|e| super::usage(anyhow!("-e: invalid regular expression: {e}")))?;
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
    fn unmanageable_names_are_refused() {
        for bad in [
            "a/b",
            "..",
            ".",
            "a%2Fb",
            "a\\b",
            "tab\tname",
            "esc\x1b[31m",
            " lead",
            "",
        ] {
            assert!(unmanageable_name(bad).is_some(), "{bad:?}");
        }
        for good in [
            "orders-sink",
            "a.b",
            "a b",
            "100%",
            "jdbc_sink.v2",
            "ünïcode",
        ] {
            assert_eq!(unmanageable_name(good), None, "{good:?}");
        }
    }

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
                // A version gate (the server is too old) applies to every connector alike: stop
                // at the first. Any other failure is reported and the next connector is tried.
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
