//! `connectctl`: the Kafka Connect client. `main` only maps the outcome to an exit code:
//! 0 ok, 1 the target is unhealthy or an operation failed, 2 usage error (clap's own, and any
//! [`commands::Usage`] a command returns), 3 `doctor` found a failed connector.

mod cli;
mod client;
mod cloud;
mod commands;
mod complete;
mod context;
mod health;
mod mask;
mod output;

use std::process::ExitCode;

/// mimalloc, also in place of the C allocator (feature `override`), because librdkafka allocates
/// and frees a header list and buffers for every record a DLQ command reads or writes, and
/// glibc's malloc spent a third of a replay's time on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory as _, Parser};

fn main() -> ExitCode {
    // The completion scripts call back with COMPLETE set; answer and exit before anything else
    // can write to stdout.
    clap_complete::CompleteEnv::with_factory(cli::Cli::command)
        .var(commands::completions::COMPLETE_VAR)
        .complete();
    let cli = cli::Cli::parse_from(commands::bundle::archive_flag(std::env::args_os()));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`connectctl ls | head`) is not an error.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if commands::is_usage(&err) {
                eprintln!("error: {}", output::esc_text(&format!("{err:#}")));
                return ExitCode::from(2);
            }
            // Messages carry server text (connector names, error bodies): no raw control codes.
            eprintln!("error: {}", output::esc_text(&format!("{err:#}")));
            ExitCode::from(1)
        }
    }
}
