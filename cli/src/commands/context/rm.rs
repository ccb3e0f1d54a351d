//! `connectctl context rm NAME`

use std::process::ExitCode;

use clap::Args;

use crate::commands::Ctx;
use crate::context::ConfigFile;

#[derive(Debug, Args)]
pub struct ContextRmArgs {
    /// Context name
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::context_names))]
    pub name: String,
}

pub fn run(ctx: &Ctx, args: ContextRmArgs) -> anyhow::Result<ExitCode> {
    let mut file = ConfigFile::load(&ctx.config_path)?;
    file.get(&args.name, &ctx.config_path)
        .map_err(crate::commands::usage)?;
    file.contexts.remove(&args.name);
    if file.current_context.as_deref() == Some(args.name.as_str()) {
        file.current_context = None;
        eprintln!(
            "'{}' was the current context; none is current now",
            args.name
        );
    }
    file.save(&ctx.config_path)?;
    eprintln!("removed context '{}'", args.name);
    Ok(ExitCode::SUCCESS)
}
