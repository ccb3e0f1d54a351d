//! `connectctl dlq ...`: dead letter queue commands. Shared here: turning the global Kafka
//! flags into a client config, and finding a connector's DLQ topic over REST.

mod edit;
mod inspect;
mod replay;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use connect_dlq::{Filter, KafkaConfig};
use regex::bytes::Regex;

use super::Ctx;

pub use inspect::InspectArgs;
pub use replay::ReplayArgs;

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Explain why the records in a DLQ failed and where they came from
    #[command(after_help = inspect::AFTER_HELP)]
    // Boxed: the flags (compiled patterns included) are large next to other commands' args.
    Inspect(Box<InspectArgs>),
    /// Replay DLQ records into their source topics, optionally fixed, exactly once
    #[command(after_help = replay::AFTER_HELP)]
    Replay(Box<ReplayArgs>),
}

pub async fn run(ctx: &Ctx, cmd: DlqCommand) -> anyhow::Result<ExitCode> {
    let result = match cmd {
        DlqCommand::Inspect(args) => inspect::run(ctx, *args).await,
        DlqCommand::Replay(args) => replay::run(ctx, *args).await,
    };
    // A flag value found wrong after parsing is still a usage error: exit 2, like clap's own.
    match result {
        Err(e) if e.downcast_ref::<Usage>().is_some() => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        other => other,
    }
}

/// The record filters `inspect` and `replay` share.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Keep records whose exception class (or root cause) matches this regex
    #[arg(long, value_name = "REGEX", value_parser = inspect::pattern("exception"))]
    pub exception: Option<Regex>,
    /// Keep records that failed in this stage (VALUE_CONVERTER, TRANSFORMATION, TASK_PUT, ...)
    #[arg(long)]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::stages))]
    pub stage: Option<String>,
    /// Keep records that came from this topic
    #[arg(long, value_name = "TOPIC")]
    pub original_topic: Option<String>,
    /// Keep records whose exception message or stack trace matches this regex
    #[arg(long, value_name = "REGEX", value_parser = inspect::pattern("grep"))]
    pub grep: Option<Regex>,
    /// Keep records whose key matches this regex
    #[arg(long, value_name = "REGEX", value_parser = inspect::pattern("key"))]
    pub key: Option<Regex>,
}

impl FilterArgs {
    /// The filter of these flags; `connector` and `keep_unattributed` come from `--connector`.
    pub fn filter(&self, connector: Option<String>, keep_unattributed: bool) -> Filter {
        Filter {
            exception: self.exception.clone(),
            stage: self.stage.clone(),
            connector,
            keep_unattributed,
            original_topic: self.original_topic.clone(),
            grep: self.grep.clone(),
            key: self.key.clone(),
        }
    }
}

/// A problem with how the command was called: printed as is, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// The Kafka client settings from `--bootstrap-servers` / `CONNECTCTL_BOOTSTRAP_SERVERS` and
/// `-X key=value`, like kcat's `-b` and `-X`.
pub fn kafka_config(ctx: &Ctx, timeout: Duration) -> Result<KafkaConfig, Usage> {
    let mut properties = Vec::new();
    for p in &ctx.kafka_properties {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Usage(format!(
                "-X expects KEY=VALUE (a librdkafka property such as security.protocol=SASL_SSL), got '{p}'"
            )));
        };
        properties.push((k.trim().to_owned(), v.to_owned()));
    }
    let cfg = KafkaConfig {
        bootstrap_servers: ctx
            .bootstrap_servers
            .clone()
            .filter(|b| !b.trim().is_empty()),
        properties,
        timeout,
    };
    if cfg.bootstrap().is_none() {
        return Err(Usage(
            "no Kafka bootstrap servers: pass --bootstrap-servers or set CONNECTCTL_BOOTSTRAP_SERVERS"
                .to_owned(),
        ));
    }
    Ok(cfg)
}

/// What a connector's config says about its dead letter queue.
#[derive(Debug)]
pub struct ConnectorDlq {
    pub topic: String,
    pub context_headers: bool,
}

/// Reads `errors.deadletterqueue.*` from `GET /connectors/NAME/config`. A connector without a
/// DLQ is an error that says how to configure one.
pub async fn connector_dlq(ctx: &Ctx, name: &str) -> anyhow::Result<ConnectorDlq> {
    let config = connector_config(ctx, name).await?;
    let topic = config
        .get("errors.deadletterqueue.topic.name")
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    if topic.is_empty() {
        let class = config
            .get("connector.class")
            .map(String::as_str)
            .unwrap_or("");
        let source = if class.contains("Source") {
            " (it looks like a source connector: Kafka Connect only gives sink connectors a DLQ)"
        } else {
            ""
        };
        anyhow::bail!(
            "connector {name} has no dead letter queue{source}; to send failed records to one, set \
             errors.tolerance=all, errors.deadletterqueue.topic.name={name}-dlq and \
             errors.deadletterqueue.context.headers.enable=true"
        );
    }
    let context_headers = config
        .get("errors.deadletterqueue.context.headers.enable")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    Ok(ConnectorDlq {
        topic,
        context_headers,
    })
}

/// `GET /connectors/NAME/config` through the shared client, so the context's credentials, TLS
/// settings and rebalance retries apply; an unknown name lists the connectors that exist.
async fn connector_config(ctx: &Ctx, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let client = ctx.client()?;
    match client.config(name).await {
        Ok(config) => Ok(config),
        Err(e) => Err(super::connector_util::explain(&client, name, e, None).await),
    }
}
