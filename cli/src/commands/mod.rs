//! One module per subcommand; `run` is the single dispatch point.

pub mod dlq;
pub mod info;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Settings every command needs, resolved once from the global flags.
pub struct Ctx {
    pub url: String,
    pub output: crate::output::OutputFormat,
    /// Kafka access for DLQ commands: bootstrap servers and extra librdkafka properties.
    pub bootstrap_servers: Option<String>,
    pub kafka_properties: Vec<String>,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Ctx {
        url: cli.global.url.clone().unwrap_or_else(|| "http://localhost:8083".to_owned()),
        output: cli.global.output,
        bootstrap_servers: cli.global.bootstrap_servers.clone(),
        kafka_properties: cli.global.kafka_property.clone(),
    };
    match cli.command {
        Command::Info(args) => info::run(&ctx, args).await,
        Command::Dlq(cmd) => dlq::run(&ctx, cmd).await,
    }
}
