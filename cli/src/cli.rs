//! The command line as the user types it. Flags are parsed here and resolved elsewhere.

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::output::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the target is unhealthy, or an operation failed (for bulk commands: any connector)
  2  usage error (bad flags or arguments, or a command Confluent Cloud's API has no
     equivalent for), in every command
  3  doctor: at least one connector FAILED (1 is DEGRADED)";

/// Troubleshoot and operate Kafka Connect clusters.
#[derive(Debug, Parser)]
#[command(name = "connectctl", version = commands::version::VERSION, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Kafka Connect REST URL; several separated by commas are tried in order
    /// (default: the current context, else http://localhost:8083)
    #[arg(long, global = true, env = "CONNECTCTL_URL")]
    pub url: Option<String>,
    /// Context from the config file to use for this command
    #[arg(long, global = true, env = "CONNECTCTL_CONTEXT")]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::context_names))]
    pub context: Option<String>,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Disable colours (also NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Show secret config values instead of masking them
    #[arg(long, global = true)]
    pub reveal: bool,
    /// Seconds to keep retrying while Connect rebalances (409 / "rebalance is expected")
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub retry_timeout: u64,
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
    /// List connectors with their state and health
    #[command(visible_alias = "list")]
    Ls(commands::ls::LsArgs),
    /// What broke, where, and what to do: states, root causes, hints, next commands
    Status(commands::status::StatusArgs),
    /// Sweep the whole cluster: health, failures by root cause, workers, DLQ sizes, sink lag
    ///
    /// Exit codes: 0 every connector is healthy, 1 any is degraded (or the sweep itself failed),
    /// 3 any failed, 2 a usage error (as in every command).
    Doctor(commands::doctor::DoctorArgs),
    /// Live view of connector and task states, calling out every transition
    Watch(commands::watch::WatchArgs),
    /// Restart failed connectors and tasks whose root cause is transient, with backoff and a budget
    ///
    /// Configuration and data errors are never restarted: they are reported with their hint.
    /// Unknown root causes are left alone unless --restart-unknown. Exit codes: 0 stopped
    /// (Ctrl-C) or --once done, 1 a restart budget is spent, 2 a usage error.
    Guard(commands::guard::GuardArgs),
    /// Full-screen live view of every connector: state, tasks, throughput, lag, DLQ growth
    Top(commands::top::TopArgs),
    /// Wait until a connector reaches a state (exit 1 on timeout or failure), for scripts
    Wait(commands::wait::WaitArgs),
    /// Show connectors in detail: grouped config, tasks, topics, status
    Describe(commands::describe::DescribeArgs),
    /// Print a connector's configuration
    Config(commands::config::ConfigArgs),
    /// Create a connector from a file or from --set pairs
    Create(commands::create::CreateArgs),
    /// Create or update connectors from files, showing what changes
    Apply(commands::apply::ApplyArgs),
    /// Change or remove single config keys (PATCH, Connect 3.8+)
    Patch(commands::patch::PatchArgs),
    /// Compare a connector's live config with a file
    Diff(commands::diff::DiffArgs),
    /// Pause connectors
    Pause(commands::pause::PauseArgs),
    /// Resume paused or stopped connectors
    Resume(commands::resume::ResumeArgs),
    /// Stop connectors (no tasks kept; Connect 3.5+)
    Stop(commands::stop::StopArgs),
    /// Restart connectors, their tasks, or one task (NAME/TASK)
    Restart(commands::restart::RestartArgs),
    /// Delete connectors, keeping a backup of their config
    Delete(commands::delete::DeleteArgs),
    /// Show a connector's tasks, their state, worker and config
    Tasks(commands::tasks::TasksArgs),
    /// Show (or reset) the topics a connector has used
    Topics(commands::topics::TopicsArgs),
    /// List plugins, or describe one plugin's configuration
    Plugins(commands::plugins::PluginsArgs),
    /// Validate a connector config file without creating anything
    Validate(commands::validate::ValidateArgs),
    /// Show, alter or reset a connector's offsets (Connect 3.5/3.6+)
    Offsets(commands::offsets::OffsetsArgs),
    /// List loggers, or set a logger's level
    Loggers(commands::loggers::LoggersArgs),
    /// Show the worker's version, commit, Kafka cluster id and the workers seen
    Info(commands::info::InfoArgs),
    /// Ask the worker whether it is ready (GET /health, Connect 3.9+)
    Health(commands::health::HealthArgs),
    /// Manage contexts (named clusters) in the config file
    #[command(subcommand)]
    Context(commands::context::ContextCommand),
    /// Inspect and replay dead letter queues
    #[command(subcommand)]
    Dlq(commands::dlq::DlqCommand),
    /// Analyse worker logs: ERROR and WARN events grouped by connector, task and root cause
    #[command(subcommand)]
    Logs(commands::logs::LogsCommand),
    /// Collect everything for a support ticket into one .tar.gz, secrets masked
    ///
    /// Worker info and plugins, every connector's status with root causes, masked config,
    /// offsets and topics, loggers, doctor's report, DLQ summaries where Kafka is reachable, and
    /// the analysis of the worker logs given with --logs. Exit 1 when a part could not be
    /// collected (the archive is still written; manifest.json says why).
    Bundle(commands::bundle::BundleArgs),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish)
    ///
    /// The script completes subcommands, flags and live values (connector names, tasks, plugins,
    /// loggers, contexts, DLQ topics) by asking connectctl, which asks the cluster.
    /// Install: see completions/README.md, e.g. `source <(connectctl completions bash)`.
    Completions(commands::completions::CompletionsArgs),
    /// Show this build's version, commit and date, and the Connect versions it is tested against
    Version(commands::version::VersionArgs),
    /// Write the man pages to a directory (used by scripts/install and scripts/release)
    #[command(hide = true)]
    GenerateMan(commands::man::ManArgs),
}
