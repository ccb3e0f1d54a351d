//! The command line as the user types it. Flags are parsed here and resolved elsewhere.

use clap::{Args, Parser, Subcommand};

use crate::output::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the target is unhealthy, or an operation failed
  2  usage error (bad flags or arguments)";

/// Troubleshoot and operate Kafka Connect clusters.
#[derive(Debug, Parser)]
#[command(name = "connectctl", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Kafka Connect REST URL (default: the current context, else http://localhost:8083)
    #[arg(long, global = true, env = "CONNECTCTL_URL")]
    pub url: Option<String>,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Disable colours (also NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Log requests to stderr (credentials are never logged)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Kafka bootstrap servers for commands that read or write topics (dlq)
    #[arg(long, global = true, env = "CONNECTCTL_BOOTSTRAP_SERVERS")]
    pub bootstrap_servers: Option<String>,
    /// librdkafka property for commands that use Kafka, e.g. -X security.protocol=SASL_SSL
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE")]
    pub kafka_property: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the worker's version, commit and Kafka cluster id
    Info(crate::commands::info::InfoArgs),
    /// Inspect and replay dead letter queues
    #[command(subcommand)]
    Dlq(crate::commands::dlq::DlqCommand),
}
