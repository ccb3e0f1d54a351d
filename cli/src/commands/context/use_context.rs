//! `connectctl context use NAME`

use std::process::ExitCode;

use clap::Args;

use crate::commands::Ctx;
use crate::context::ConfigFile;

#[derive(Debug, Args)]
pub struct ContextUseArgs {
    /// Context name
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::context_names))]
    pub name: String,
}

pub fn run(ctx: &Ctx, args: ContextUseArgs) -> anyhow::Result<ExitCode> {
    let mut file = ConfigFile::load(&ctx.config_path)?;
    // An unknown name is a usage error (exit 2); the message lists the known ones.
    file.get(&args.name, &ctx.config_path)
        .map_err(crate::commands::usage)?;
    file.current_context = Some(args.name.clone());
    file.save(&ctx.config_path)?;
    eprintln!("now using context '{}'", args.name);
    Ok(ExitCode::SUCCESS)
}
