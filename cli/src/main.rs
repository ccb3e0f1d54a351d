//! `connectctl`: the Kafka Connect client. `main` only maps the outcome to an exit code:
//! 0 ok, 1 the target is unhealthy or an operation failed, 2 usage error (clap's own, and any
//! [`commands::Usage`] a command returns), 3 `doctor` found a failed connector.

// Defined before the modules so that every `println!` in them is this one: std's panics when
// stdout is a closed pipe (`connectctl status x | head -1`).
#[macro_use]
mod stdio;

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

/// mimalloc gives memory back to the OS a second after it is freed, and librdkafka frees every
/// decompressed fetch (megabytes) once its records are read: the next fetches then fault those
/// pages in again, each zeroed by the kernel (8-11% of a replay's perf samples; 50,000 page faults
/// a million records, 1,000 when kept). A command's run is short and its peak is what counts, so
/// it keeps what it freed for reuse.
fn keep_freed_memory() {
    // `mi_option_purge_delay` (`mi_option_reset_delay` before mimalloc 2), the enum's value 15
    // in every mimalloc since 1.x; libmimalloc-sys names the options around it, not this one.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set stores an integer that mimalloc reads atomically; -1 means never.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
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
            if stdio::is_broken_pipe(&err) {
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

#[cfg(test)]
mod tests {
    /// Option 15 is the purge delay: its default is mimalloc 3's 1000 ms (no option near it
    /// defaults to that), and after `keep_freed_memory` it is -1.
    #[test]
    #[allow(unsafe_code)]
    fn freed_memory_is_kept() {
        // SAFETY: reads an integer option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(15) };
        assert_eq!(get(), 1000);
        super::keep_freed_memory();
        assert_eq!(get(), -1);
    }
}
