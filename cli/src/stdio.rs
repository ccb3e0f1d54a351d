//! Writing to stdout and stderr without panicking. std's `println!` panics when stdout is a pipe
//! whose reader has gone (`connectctl ls | head -1`), and `eprintln!` when stderr is closed. The
//! macros here replace them for the whole crate: a closed stdout ends the process quietly with
//! exit code 0, as it does for commands that return the write error to `main`, because the
//! reader has all it asked for; any other write failure (a full disk) is reported and exits 1.

use std::io::{ErrorKind, Write as _};

macro_rules! println {
    () => {
        $crate::stdio::out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdio::out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdio::out(format_args!($($arg)*))
    };
}

macro_rules! eprintln {
    () => {
        $crate::stdio::err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdio::err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout; see the module comment for what happens when that fails.
pub fn out(args: std::fmt::Arguments<'_>) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        err(format_args!(
            "error: cannot write to standard output: {e}; check where the output goes (disk space, the reading program)\n"
        ));
        std::process::exit(1);
    }
}

/// Writes to stderr. If stderr itself is gone there is nowhere left to say so: the message is
/// dropped and the command carries on, its exit code still tells the outcome.
pub fn err(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// Whether an error returned to `main` is a write to a closed pipe, directly or wrapped by the
/// serializer that was writing (serde_json keeps the I/O error's kind, not the error itself, in
/// its source chain).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(ErrorKind::BrokenPipe))
            || c.downcast_ref::<serde_yaml::Error>()
                .is_some_and(|e| e.to_string().contains("Broken pipe"))
    })
}
