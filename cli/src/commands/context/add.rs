//! `connectctl context add NAME --url URL [auth, TLS, Kafka flags]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use crate::commands::file_util::parse_set;
use crate::commands::{Ctx, usage};
use crate::context::{AuthConfig, ConfigFile, Context, TlsConfig};

/// Shown under `context add --help`.
pub const AFTER_HELP: &str = "\
Kafka settings for DLQ commands come from the global --bootstrap-servers and -X KEY=VALUE flags.
Keep Kafka secrets out of the file with the same forms as the REST password:
  -X sasl.password_env=VAR        read sasl.password from the environment variable VAR
  -X sasl.password_command=CMD    run CMD (sh -c) and use its output as sasl.password
Any KEY_env / KEY_command works (ssl.key.password_env, sasl.oauthbearer.client.secret_command).
A secret given as -X sasl.password=VALUE is stored in the file in plain text (with a warning).";

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
}

pub fn run(ctx: &Ctx, args: ContextAddArgs) -> anyhow::Result<ExitCode> {
    let path = &ctx.config_path;
    let mut file = ConfigFile::load(path)?;
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
    };
    let replaced = file.contexts.insert(args.name.clone(), context).is_some();
    if args.use_it || file.current_context.is_none() {
        file.current_context = Some(args.name.clone());
    }
    file.save(path)?;
    eprintln!(
        "{} context '{}' in {}{}",
        if replaced { "replaced" } else { "added" },
        args.name,
        path.display(),
        if file.current_context.as_deref() == Some(args.name.as_str()) {
            " (current)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
