//! One module per subcommand; `run` is the single dispatch point.

pub mod apply;
pub mod bundle;
pub mod completions;
pub mod config;
pub mod connector_util;
pub mod context;
pub mod create;
pub mod delete;
pub mod describe;
pub mod diff;
pub mod dlq;
pub mod doctor;
pub mod file_util;
pub mod guard;
pub mod health;
pub mod info;
pub mod loggers;
pub mod logs;
pub mod ls;
pub mod man;
pub mod offsets;
pub mod patch;
pub mod pause;
pub mod plugins;
pub mod restart;
pub mod resume;
pub mod status;
pub mod stop;
pub mod tasks;
pub mod top;
pub mod topics;
pub mod validate;
pub mod version;
pub mod wait;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

pub use dlq::Usage;

use crate::cli::{Cli, Command};

/// Marks an error as a usage error: how the command was called is wrong (exit code 2).
pub fn usage(e: impl Into<anyhow::Error>) -> anyhow::Error {
    let e = e.into();
    Usage(format!("{e:#}")).into()
}

/// Whether an error is a usage error anywhere in its chain.
pub fn is_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<Usage>()
            || c.downcast_ref::<crate::client::ClientError>()
                .is_some_and(|e| e.is_unsupported())
    })
}
use crate::client::{Client, ClientSettings, RestClient};
use crate::context::{ConfigFile, config_path};

/// Settings every command needs, resolved once from the global flags and the context.
pub struct Ctx {
    /// The first Connect URL (for messages); `client()` knows all of them.
    pub url: String,
    /// `--url` (or `CONNECTCTL_URL`) as given, for `context add`.
    pub url_flag: Option<String>,
    pub output: crate::output::OutputFormat,
    /// Kafka access for DLQ commands: bootstrap servers and extra librdkafka properties.
    pub bootstrap_servers: Option<String>,
    pub kafka_properties: Vec<String>,
    /// Show secrets instead of masking them.
    pub reveal: bool,
    pub config_path: PathBuf,
    /// The context in use, if any; its credentials are resolved only when a client is built,
    /// so a broken `password_command` never blocks `context` commands.
    pub context: Option<(String, crate::context::Context)>,
    /// Talking to Confluent Cloud's Connect API (a Cloud context, and no --url over it).
    pub cloud: bool,
    settings: ClientSettings,
}

impl Ctx {
    pub fn client(&self) -> anyhow::Result<Client> {
        let mut settings = self.settings.clone();
        if let Some((name, c)) = &self.context {
            // A Cloud context's API key is for Confluent's API only, never for a --url given
            // over it.
            if self.cloud || c.confluent_cloud.is_none() {
                settings.auth = c.auth(name)?;
            }
        }
        if self.cloud {
            return Ok(Client::Cloud(crate::cloud::CloudClient::new(settings)?));
        }
        Ok(Client::Rest(RestClient::new(settings)?))
    }
}

pub(crate) fn resolve(cli: &Cli) -> anyhow::Result<Ctx> {
    let g = &cli.global;
    let path = config_path();
    // `context` commands manage the file; they must work even when it names a broken context.
    let managing = matches!(cli.command, Command::Context(_));
    let file = ConfigFile::load(&path)?;
    let name = g.context.clone().or_else(|| file.current_context.clone());
    let context = match name {
        Some(n) if !managing || g.context.is_some() => match file.get(&n, &path) {
            Ok(c) => Some((n, c.clone())),
            // `--context NAME` naming no context is a bad flag value: exit 2.
            Err(e) if g.context.is_some() => return Err(usage(e)),
            Err(e) => {
                eprintln!("warning: {e}; using defaults");
                None
            }
        },
        _ => None,
    };
    // A Cloud context talks to Confluent's API unless --url points elsewhere explicitly.
    let cloud_base = match (&g.url, &context) {
        (None, Some((_, c))) => c.confluent_cloud.as_ref().map(|cc| cc.base()),
        _ => None,
    };
    let urls: Vec<String> = match (&g.url, &context) {
        _ if cloud_base.is_some() => cloud_base.iter().cloned().collect(),
        (Some(u), _) => u
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        (None, Some((_, c))) if !c.urls.is_empty() => c.urls.clone(),
        _ => vec!["http://localhost:8083".to_owned()],
    };
    if urls.is_empty() {
        return Err(usage(anyhow::anyhow!(
            "--url is empty: give a Kafka Connect REST URL such as http://localhost:8083"
        )));
    }
    if let Some(bad) = urls.iter().find(|u| {
        let l = u.to_ascii_lowercase();
        !l.starts_with("http://") && !l.starts_with("https://")
    }) {
        return Err(usage(anyhow::anyhow!(
            "Kafka Connect URL '{}' has no http:// or https:// scheme; give one such as \
             http://{}",
            crate::output::esc(&crate::client::redact_url(bad)),
            crate::output::esc(&crate::client::redact_url(bad)),
        )));
    }
    let mut settings = ClientSettings::plain(&urls[0]);
    settings.urls = urls.clone();
    settings.verbose = g.verbose;
    settings.retry_timeout = Duration::from_secs(g.retry_timeout);
    let mut bootstrap_servers = g.bootstrap_servers.clone();
    let mut kafka_properties = g.kafka_property.clone();
    if let Some((name, c)) = &context {
        settings.headers = c
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        settings.ca_file = c.tls.ca_file.clone();
        settings.cert_file = c.tls.cert_file.clone();
        settings.key_file = c.tls.key_file.clone();
        settings.insecure = c.tls.insecure;
        if bootstrap_servers.is_none() {
            bootstrap_servers = c.kafka.get("bootstrap.servers").cloned();
        }
        // `*_env` / `*_command` entries run or read only for commands that talk to Kafka, so
        // a broken password command never blocks `ls` or `status`.
        let uses_kafka = matches!(
            cli.command,
            Command::Dlq(_) | Command::Doctor(_) | Command::Top(_)
        );
        if kafka_properties.is_empty() && uses_kafka {
            kafka_properties = c
                .kafka_properties(name)?
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
        }
    }
    Ok(Ctx {
        url: urls[0].clone(),
        url_flag: g.url.clone(),
        output: g.output,
        bootstrap_servers,
        kafka_properties,
        reveal: g.reveal,
        config_path: path,
        context,
        cloud: cloud_base.is_some(),
        settings,
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    crate::output::init_color(cli.global.no_color);
    // Printing a script needs no cluster and must work with a broken config file.
    if let Command::Completions(args) = cli.command {
        return completions::run(args);
    }
    if let Command::Version(args) = cli.command {
        return version::run(cli.global.output, args);
    }
    if let Command::GenerateMan(args) = cli.command {
        return man::run(args);
    }
    // Reading a log file needs no cluster and no config file.
    if let Command::Logs(cmd) = cli.command {
        return logs::run(cli.global.output, cli.global.reveal, cmd).await;
    }
    let ctx = resolve(&cli).context("cannot load the connectctl configuration")?;
    if ctx.cloud {
        if let Some(why) = crate::cloud::unsupported_command(&cli.command) {
            return Err(usage(anyhow::anyhow!(why)));
        }
    }
    match cli.command {
        Command::Ls(args) => ls::run(&ctx, args).await,
        Command::Status(args) => status::run(&ctx, args).await,
        Command::Doctor(args) => doctor::run(&ctx, args).await,
        Command::Watch(args) => watch::run(&ctx, args).await,
        Command::Wait(args) => wait::run(&ctx, args).await,
        Command::Guard(args) => guard::run(&ctx, args).await,
        Command::Top(args) => top::run(&ctx, args).await,
        Command::Describe(args) => describe::run(&ctx, args).await,
        Command::Config(args) => config::run(&ctx, args).await,
        Command::Create(args) => create::run(&ctx, args).await,
        Command::Apply(args) => apply::run(&ctx, args).await,
        Command::Patch(args) => patch::run(&ctx, args).await,
        Command::Diff(args) => diff::run(&ctx, args).await,
        Command::Pause(args) => pause::run(&ctx, args).await,
        Command::Resume(args) => resume::run(&ctx, args).await,
        Command::Stop(args) => stop::run(&ctx, args).await,
        Command::Restart(args) => restart::run(&ctx, args).await,
        Command::Delete(args) => delete::run(&ctx, args).await,
        Command::Tasks(args) => tasks::run(&ctx, args).await,
        Command::Topics(args) => topics::run(&ctx, args).await,
        Command::Plugins(args) => plugins::run(&ctx, args).await,
        Command::Validate(args) => validate::run(&ctx, args).await,
        Command::Offsets(args) => offsets::run(&ctx, args).await,
        Command::Loggers(args) => loggers::run(&ctx, args).await,
        Command::Info(args) => info::run(&ctx, args).await,
        Command::Health(args) => health::run(&ctx, args).await,
        Command::Context(cmd) => context::run(&ctx, cmd).await,
        Command::Dlq(cmd) => dlq::run(&ctx, cmd).await,
        Command::Bundle(args) => bundle::run(&ctx, args).await,
        Command::Completions(_)
        | Command::Version(_)
        | Command::GenerateMan(_)
        | Command::Logs(_) => {
            unreachable!("handled before resolving the context")
        }
    }
}
