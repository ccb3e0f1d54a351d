//! `connectctl offsets NAME`: show (3.5+), alter with `--set`/`-f` (3.6+), or reset with
//! `--reset` (3.6+). Altering and resetting need the connector STOPPED; the command offers to
//! stop it, saves the current offsets to a file first, and offers to resume it afterwards.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use connect_api::{ConnectorOffset, ConnectorOffsets, State};
use serde_json::{Map, Value};

use super::Ctx;
use super::connector_util::explain;
use super::delete::{confirm, stamped};
use crate::client::Client;
use crate::context::state_dir;
use crate::output::{print_structured, print_table, table};

#[derive(Debug, Args)]
pub struct OffsetsArgs {
    /// Connector name
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub name: String,
    /// Set one partition's offset: sinks `TOPIC:PARTITION=OFFSET`, sources
    /// `'{"partition":"map"}={"offset":"map"}'` (an offset of `null` resets that partition)
    #[arg(
        long = "set",
        value_name = "PARTITION=OFFSET",
        conflicts_with = "reset"
    )]
    pub set: Vec<String>,
    /// Alter offsets from a file in the form `offsets NAME -o json` prints
    #[arg(short = 'f', long = "file", conflicts_with = "reset")]
    pub file: Option<PathBuf>,
    /// Reset all offsets (the connector starts over)
    #[arg(long)]
    pub reset: bool,
    /// Do not ask: stop the connector if needed and resume it afterwards
    #[arg(short = 'y', long)]
    pub yes: bool,
}

const OFFSETS_GET: Option<(&str, &str)> = Some(("offsets", "3.5"));
const OFFSETS_WRITE: Option<(&str, &str)> = Some(("altering or resetting offsets", "3.6"));

pub async fn run(ctx: &Ctx, args: OffsetsArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let changes = if args.reset {
        None
    } else {
        let mut offsets = match &args.file {
            Some(f) => {
                let text = connect_config_files::read_file(f)?;
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                serde_json::from_str::<ConnectorOffsets>(text).with_context(|| {
                    format!(
                        "{} is not an offsets file ({{\"offsets\": [...]}})",
                        f.display()
                    )
                })?
            }
            None => ConnectorOffsets::default(),
        };
        for s in &args.set {
            offsets.offsets.push(parse_set(s).map_err(super::usage)?);
        }
        if offsets.offsets.is_empty() && args.file.is_none() {
            return show(ctx, &client, &args.name).await;
        }
        Some(offsets)
    };
    // Confluent Cloud's offsets request API handles the connector itself.
    let stopped_by_us = if client.offsets_need_stop() {
        ensure_stopped(&client, &args.name, args.yes).await?
    } else {
        false
    };
    let current = match client.offsets(&args.name).await {
        Ok(o) => o,
        Err(e) => return Err(explain(&client, &args.name, e, OFFSETS_GET).await),
    };
    let dir = state_dir("offsets");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let snapshot = stamped(&dir, &args.name, "json");
    std::fs::write(&snapshot, serde_json::to_vec_pretty(&current)?)
        .with_context(|| format!("cannot write {}", snapshot.display()))?;
    eprintln!(
        "saved the current offsets of {} to {} (restore with `connectctl offsets {} -f {}`)",
        args.name,
        snapshot.display(),
        args.name,
        snapshot.display()
    );
    let result = match &changes {
        None => client.reset_offsets(&args.name).await,
        Some(o) => client.alter_offsets(&args.name, o).await,
    };
    let msg = match result {
        Ok(m) => m.message,
        Err(e) => return Err(explain(&client, &args.name, e, OFFSETS_WRITE).await),
    };
    println!("{}: {msg}", args.name);
    if stopped_by_us {
        if confirm(&format!("Resume {}?", args.name), args.yes).unwrap_or(false) {
            client.resume(&args.name).await?;
            eprintln!("{}: resume requested", args.name);
        } else {
            eprintln!(
                "{} stays STOPPED; `connectctl resume {}` starts it",
                args.name, args.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(ctx: &Ctx, client: &Client, name: &str) -> anyhow::Result<ExitCode> {
    let offsets = match client.offsets(name).await {
        Ok(o) => o,
        Err(e) => return Err(explain(client, name, e, OFFSETS_GET).await),
    };
    if print_structured(ctx.output, &offsets)? {
        return Ok(ExitCode::SUCCESS);
    }
    if offsets.offsets.is_empty() {
        eprintln!("{name} has no committed offsets");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = table(&["PARTITION", "OFFSET"]);
    for o in &offsets.offsets {
        t.add_row(crate::output::cells(vec![
            compact(&Value::Object(o.partition.clone())),
            o.offset
                .as_ref()
                .map(|m| compact(&Value::Object(m.clone())))
                .unwrap_or("null".into()),
        ]));
    }
    print_table(&t)?;
    Ok(ExitCode::SUCCESS)
}

/// `{"kafka_topic":"t"}` -> `kafka_topic=t`; a readable form of small offset maps.
fn compact(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// Stops the connector unless it is STOPPED (asking first); true when this call stopped it.
async fn ensure_stopped(client: &Client, name: &str, yes: bool) -> anyhow::Result<bool> {
    let status = match client.status(name).await {
        Ok(s) => s,
        Err(e) => return Err(explain(client, name, e, None).await),
    };
    if status.connector.state == State::Stopped {
        return Ok(false);
    }
    let prompt = format!(
        "{name} is {}; offsets can only change while it is STOPPED. Stop it now?",
        status.connector.state
    );
    if !confirm(&prompt, yes)? {
        bail!("offsets unchanged: {name} is not stopped");
    }
    if let Err(e) = client.stop(name).await {
        return Err(explain(client, name, e, Some(("stop", "3.5"))).await);
    }
    // The stop is applied asynchronously through the config topic; wait until it shows.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = client.status(name).await {
            if s.connector.state == State::Stopped {
                break;
            }
        }
        if Instant::now() > deadline {
            bail!("{name} did not reach STOPPED within 60s; offsets unchanged");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{name}: stopped");
    Ok(true)
}

/// One `--set` value.
fn parse_set(s: &str) -> anyhow::Result<ConnectorOffset> {
    let s = s.trim();
    if s.starts_with('{') {
        let split = s
            .find("}=")
            .ok_or_else(|| anyhow!("--set {s}: expected {{PARTITION}}={{OFFSET}} or null"))?;
        let partition: Map<String, Value> = serde_json::from_str(&s[..=split])
            .with_context(|| format!("--set {s}: the partition is not a JSON object"))?;
        let rest = &s[split + 2..];
        let offset: Option<Map<String, Value>> = serde_json::from_str(rest)
            .with_context(|| format!("--set {s}: the offset is not a JSON object or null"))?;
        return Ok(ConnectorOffset { partition, offset });
    }
    let (tp, off) = s
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("--set {s}: expected TOPIC:PARTITION=OFFSET"))?;
    let (topic, partition) = tp
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("--set {s}: expected TOPIC:PARTITION=OFFSET"))?;
    let partition: i64 = partition
        .parse()
        .map_err(|_| anyhow!("--set {s}: partition '{partition}' is not a number"))?;
    let offset = match off {
        "null" => None,
        n => {
            let n: i64 = n
                .parse()
                .map_err(|_| anyhow!("--set {s}: offset '{n}' is not a number or null"))?;
            let mut m = Map::new();
            m.insert("kafka_offset".into(), n.into());
            Some(m)
        }
    };
    let mut p = Map::new();
    p.insert("kafka_topic".into(), topic.into());
    p.insert("kafka_partition".into(), partition.into());
    Ok(ConnectorOffset {
        partition: p,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_and_source_set_forms() {
        let o = parse_set("orders:2=42").unwrap();
        assert_eq!(o.partition["kafka_topic"], "orders");
        assert_eq!(o.partition["kafka_partition"], 2);
        assert_eq!(o.offset.unwrap()["kafka_offset"], 42);
        assert!(parse_set("orders:2=null").unwrap().offset.is_none());
        let o = parse_set(r#"{"filename":"/a=b"}={"position":30}"#).unwrap();
        assert_eq!(o.partition["filename"], "/a=b");
        assert_eq!(o.offset.unwrap()["position"], 30);
        assert!(parse_set("orders=1").is_err());
        assert!(parse_set("orders:x=1").is_err());
    }
}
