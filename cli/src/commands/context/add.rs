//! `connectctl context add NAME --url URL [auth, TLS, Kafka flags]`, or
//! `connectctl context add NAME --confluent-cloud --environment ENV --cluster LKC --api-key KEY
//! --api-secret-env VAR | --api-secret-command CMD [--cloud-url URL]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use crate::commands::file_util::parse_set;
use crate::commands::{Ctx, usage};
use crate::context::{AuthConfig, CloudContext, ConfigFile, Context, TlsConfig};

/// Shown under `context add --help`.
pub const AFTER_HELP: &str = "\
Kafka settings for DLQ commands come from the global --bootstrap-servers and -X KEY=VALUE flags.
Keep Kafka secrets out of the file with the same forms as the REST password:
  -X sasl.password_env=VAR        read sasl.password from the environment variable VAR
  -X sasl.password_command=CMD    run CMD (sh -c) and use its output as sasl.password
Any KEY_env / KEY_command works (ssl.key.password_env, sasl.oauthbearer.client.secret_command).
A secret given as -X sasl.password=VALUE is stored in the file in plain text (with a warning).

Confluent Cloud (fully managed connectors, Connect API v1):
  connectctl context add prod-cloud --confluent-cloud --environment env-a1b2c --cluster lkc-x9y8z \
    --api-key ABCDEF123 --api-secret-env CONFLUENT_CLOUD_API_SECRET
The API secret is read from the variable or command on every use, never stored in the file.";

#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ContextAddArgs {
    /// Context name
    pub name: String,
    /// Basic auth user name
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Command that prints the password, e.g. "pass show connect/prod"
    #[arg(long, value_name = "CMD")]
    pub password_command: Option<String>,
    /// Environment variable holding a bearer token
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Command that prints a bearer token
    #[arg(long, value_name = "CMD")]
    pub token_command: Option<String>,
    /// Extra request header (repeatable)
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// CA certificate (PEM) to trust for https URLs
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS
    #[arg(long)]
    pub cert_file: Option<PathBuf>,
    /// Client key (PKCS#8 PEM) for mutual TLS
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate (testing only)
    #[arg(long)]
    pub insecure: bool,
    /// Also make it the current context
    #[arg(long = "use")]
    pub use_it: bool,
    /// A Confluent Cloud cluster's fully managed connectors (Connect API v1) instead of --url
    #[arg(long, conflicts_with_all = ["username", "password_env", "password_command", "token_env", "token_command", "headers", "ca_file", "cert_file", "key_file", "insecure"])]
    pub confluent_cloud: bool,
    /// Confluent Cloud environment id (env-xxxxx)
    #[arg(long, value_name = "ENV", requires = "confluent_cloud")]
    pub environment: Option<String>,
    /// Confluent Cloud Kafka cluster id (lkc-xxxxx)
    #[arg(long, value_name = "LKC", requires = "confluent_cloud")]
    pub cluster: Option<String>,
    /// Confluent Cloud API key (a Cloud resource key for the cluster, not a Kafka API key)
    #[arg(long, value_name = "KEY", requires = "confluent_cloud")]
    pub api_key: Option<String>,
    /// Environment variable holding the Cloud API secret
    #[arg(
        long,
        value_name = "VAR",
        requires = "confluent_cloud",
        conflicts_with = "api_secret_command"
    )]
    pub api_secret_env: Option<String>,
    /// Command that prints the Cloud API secret, e.g. "pass show confluent/api-secret"
    #[arg(long, value_name = "CMD", requires = "confluent_cloud")]
    pub api_secret_command: Option<String>,
    /// Confluent Cloud API URL
    #[arg(long, value_name = "URL", requires = "confluent_cloud", default_value = crate::cloud::DEFAULT_CLOUD_URL)]
    pub cloud_url: String,
}

/// The Cloud part of a context from the flags, checked.
fn cloud_context(args: &ContextAddArgs) -> anyhow::Result<CloudContext> {
    let need = |v: &Option<String>, flag: &str, example: &str| {
        v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            usage(anyhow!(
                "--confluent-cloud needs {flag} (e.g. {flag} {example})"
            ))
        })
    };
    let environment = need(&args.environment, "--environment", "env-a1b2c")?;
    let cluster = need(&args.cluster, "--cluster", "lkc-x9y8z")?;
    let api_key = need(&args.api_key, "--api-key", "ABCDEF123")?;
    if !environment.starts_with("env-") {
        return Err(usage(anyhow!(
            "--environment {environment}: a Confluent Cloud environment id starts with env- \
             (`confluent environment list` shows them)"
        )));
    }
    if !cluster.starts_with("lkc-") {
        return Err(usage(anyhow!(
            "--cluster {cluster}: a Confluent Cloud Kafka cluster id starts with lkc- \
             (`confluent kafka cluster list` shows them)"
        )));
    }
    if args.api_secret_env.is_none() && args.api_secret_command.is_none() {
        return Err(usage(anyhow!(
            "--confluent-cloud needs the API secret's source: --api-secret-env VAR or \
             --api-secret-command CMD (the secret itself is never stored in the file)"
        )));
    }
    let url = args.cloud_url.trim().trim_end_matches('/').to_owned();
    let l = url.to_ascii_lowercase();
    if !l.starts_with("https://") && !l.starts_with("http://") {
        return Err(usage(anyhow!(
            "--cloud-url {url}: give an http(s) URL such as {}",
            crate::cloud::DEFAULT_CLOUD_URL
        )));
    }
    Ok(CloudContext {
        environment,
        cluster,
        api_key,
        api_secret_env: args.api_secret_env.clone(),
        api_secret_command: args.api_secret_command.clone(),
        url: (url != crate::cloud::DEFAULT_CLOUD_URL).then_some(url),
    })
}

pub fn run(ctx: &Ctx, args: ContextAddArgs) -> anyhow::Result<ExitCode> {
    let path = &ctx.config_path;
    let mut file = ConfigFile::load(path)?;
    if args.confluent_cloud {
        let cloud = cloud_context(&args)?;
        let context = Context {
            confluent_cloud: Some(cloud),
            ..Default::default()
        };
        return save(&mut file, path, &args.name, context, args.use_it);
    }
    let url = ctx.url_flag.clone().ok_or_else(|| {
        usage(anyhow!(
            "give the Connect URL with --url (several separated by commas)"
        ))
    })?;
    let urls: Vec<String> = url
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if urls.is_empty() {
        return Err(usage(anyhow!("--url is empty")));
    }
    if args.cert_file.is_some() != args.key_file.is_some() {
        return Err(usage(anyhow!("--cert-file and --key-file go together")));
    }
    let mut headers = BTreeMap::new();
    for h in &args.headers {
        let (k, v) =
            parse_set(h).map_err(|_| usage(anyhow!("--header {h}: expected NAME=VALUE")))?;
        headers.insert(k, v);
    }
    let mut kafka = BTreeMap::new();
    if let Some(b) = &ctx.bootstrap_servers {
        kafka.insert("bootstrap.servers".to_owned(), b.clone());
    }
    for p in &ctx.kafka_properties {
        let (k, v) = parse_set(p).map_err(|_| usage(anyhow!("-X {p}: expected KEY=VALUE")))?;
        if crate::mask::is_secret_key(&k) && !k.ends_with("_env") && !k.ends_with("_command") {
            eprintln!(
                "warning: -X {k} is stored in plain text in {}; use -X {k}_env=VAR or \
                 -X {k}_command=CMD to keep it out of the file",
                path.display()
            );
        }
        kafka.insert(k, v);
    }
    let context = Context {
        urls,
        auth: AuthConfig {
            username: args.username,
            password_env: args.password_env,
            password_command: args.password_command,
            token_env: args.token_env,
            token_command: args.token_command,
            ..Default::default()
        },
        headers,
        tls: TlsConfig {
            ca_file: args.ca_file,
            cert_file: args.cert_file,
            key_file: args.key_file,
            insecure: args.insecure,
        },
        kafka,
        confluent_cloud: None,
    };
    save(&mut file, path, &args.name, context, args.use_it)
}

fn save(
    file: &mut ConfigFile,
    path: &std::path::Path,
    name: &str,
    context: Context,
    use_it: bool,
) -> anyhow::Result<ExitCode> {
    let replaced = file.contexts.insert(name.to_owned(), context).is_some();
    if use_it || file.current_context.is_none() {
        file.current_context = Some(name.to_owned());
    }
    file.save(path)?;
    eprintln!(
        "{} context '{}' in {}{}",
        if replaced { "replaced" } else { "added" },
        name,
        path.display(),
        if file.current_context.as_deref() == Some(name) {
            " (current)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
