//! Line-oriented parser for `Throwable.printStackTrace` output.
//!
//! Java prints a throwable at indentation prefix `p` as `p + caption + toString()`, its frames at
//! `p + "\tat "`, its suppressed exceptions at `p + "\t"` and its cause at `p` again. So the main
//! cause chain is exactly the header plus the `Caused by:` lines with no indentation; everything
//! indented that is not a frame belongs to a `Suppressed:` block and is kept out of the chain.
//! Lines that are none of these and come right after a header continue its (multi-line) message.
//! The parser is a single pass over the lines, so a megabyte trace costs a few milliseconds.

use std::sync::LazyLock;

use regex::Regex;

use crate::frame;

/// One throwable of the main chain, with its own frames (normalized, borrowed from the input).
#[derive(Debug, Default)]
pub(crate) struct Block<'a> {
    pub exception: String,
    pub message: String,
    pub frames: Vec<&'a str>,
}

/// The parsed trace: the main chain outermost-first (never empty) and the headers of every
/// suppressed throwable (and their causes), in order of appearance.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub chain: Vec<Block<'a>>,
    pub suppressed: Vec<(String, String)>,
}

/// `a.b.Class`, `a.b.Outer$Inner`, or a Rust path `crate::module::Error`, followed by `: message`
/// or nothing. The last segment must look like a class name (upper case, or ending in
/// Exception/Error) so that a bare message such as `db.example.com: unreachable` stays a message.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^((?:[A-Za-z_$][A-Za-z0-9_$]*(?:\.|::))+(?:[A-Z$][A-Za-z0-9_$]*|[A-Za-z_$][A-Za-z0-9_$]*(?:Exception|Error|Throwable)))(?::(?: ?)(.*))?$",
    )
    .expect("header pattern is valid")
});

/// Splits a throwable's `toString()` into class and message; a line that does not start with a
/// class name is a bare message (exception `""`), as managed connectors report.
pub(crate) fn split_header(text: &str) -> (String, String) {
    let text = text.trim();
    match HEADER.captures(text) {
        Some(c) => (
            c[1].to_string(),
            c.get(2)
                .map(|m| m.as_str().trim_end().to_string())
                .unwrap_or_default(),
        ),
        None => (String::new(), text.to_string()),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// Lines go to the last block of the main chain; `open` while its message may continue.
    Main { open: bool },
    /// Inside a suppressed block; the index is its entry in `suppressed`, `open` as above.
    Nested { index: usize, open: bool },
}

pub(crate) fn parse(trace: &str) -> Parsed<'_> {
    let mut chain: Vec<Block<'_>> = Vec::new();
    let mut suppressed: Vec<(String, String)> = Vec::new();
    let mut target = Target::Main { open: true };

    // A trace pasted from a log or a YAML block may be indented as a whole; measure that from
    // the first non-blank line and take it off every line, so depth means the same as in Java.
    // A trace that starts with frames (a truncated copy) has no header to measure from.
    let first = trace.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let base = match frame::frame_line(first) {
        Some(_) => "",
        None => &first[..first.len() - first.trim_start().len()],
    };

    for raw in trace.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line = line.strip_prefix(base).unwrap_or(line);
        if chain.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            if frame::frame_line(line).is_none() {
                let (exception, message) = split_header(line);
                chain.push(Block {
                    exception,
                    message,
                    frames: Vec::new(),
                });
                continue;
            }
            chain.push(Block::default());
            target = Target::Main { open: false };
        }
        let body = line.trim_start();
        let indented = body.len() != line.len();

        if let Some((_, content)) = frame::frame_line(line) {
            match &mut target {
                Target::Main { open } => {
                    *open = false;
                    if let Some(block) = chain.last_mut() {
                        block.frames.push(frame::normalize(content));
                    }
                }
                Target::Nested { open, .. } => *open = false,
            }
            continue;
        }
        if indented && is_more(body) {
            close(&mut target);
            continue;
        }
        if let Some(rest) = body.strip_prefix("Caused by:") {
            let (exception, message) = split_header(rest);
            if indented {
                suppressed.push((exception, message));
                target = Target::Nested {
                    index: suppressed.len() - 1,
                    open: true,
                };
            } else {
                chain.push(Block {
                    exception,
                    message,
                    frames: Vec::new(),
                });
                target = Target::Main { open: true };
            }
            continue;
        }
        if indented && let Some(rest) = body.strip_prefix("Suppressed:") {
            suppressed.push(split_header(rest));
            target = Target::Nested {
                index: suppressed.len() - 1,
                open: true,
            };
            continue;
        }
        // Anything else continues a message that spans lines (SQL errors, JDBC "Exception
        // chain:" dumps), or is noise after the frames ([CIRCULAR REFERENCE ...], log lines).
        match target {
            Target::Main { open: true } => {
                if let Some(block) = chain.last_mut() {
                    block.message.push('\n');
                    block.message.push_str(line);
                }
            }
            Target::Nested { index, open: true } => {
                if let Some((_, message)) = suppressed.get_mut(index) {
                    message.push('\n');
                    message.push_str(line);
                }
            }
            _ => {}
        }
    }

    if chain.is_empty() {
        chain.push(Block::default());
    }
    for block in &mut chain {
        trim_message(&mut block.message);
    }
    for (_, message) in &mut suppressed {
        trim_message(message);
    }
    Parsed { chain, suppressed }
}

fn close(target: &mut Target) {
    match target {
        Target::Main { open } | Target::Nested { open, .. } => *open = false,
    }
}

/// `... 14 more`, the marker for frames shared with the enclosing throwable, and the
/// `... 9 runtime frames` lines [`crate::folded`] writes, so folded text parses the same.
fn is_more(body: &str) -> bool {
    let Some(rest) = body.strip_prefix("... ") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(rest.as_bytes().get(digits), None | Some(b' '))
}

/// Blank lines before the first frame are part of what Java printed, not of the message.
fn trim_message(message: &mut String) {
    let end = message.trim_end().len();
    message.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            split_header("java.sql.SQLException: ERROR: relation \"x\" does not exist"),
            (
                "java.sql.SQLException".into(),
                "ERROR: relation \"x\" does not exist".into()
            )
        );
        assert_eq!(
            split_header("java.lang.NullPointerException"),
            ("java.lang.NullPointerException".into(), "".into())
        );
        assert_eq!(
            split_header("a.b.Outer$Inner: x"),
            ("a.b.Outer$Inner".into(), "x".into())
        );
        assert_eq!(split_header("a.B:"), ("a.B".into(), "".into()));
        assert_eq!(
            split_header("connect_worker::errors::ConnectError: boom"),
            ("connect_worker::errors::ConnectError".into(), "boom".into())
        );
        assert_eq!(
            split_header("Failed to connect to host"),
            ("".into(), "Failed to connect to host".into())
        );
        assert_eq!(
            split_header("db.example.com: unreachable"),
            ("".into(), "db.example.com: unreachable".into())
        );
        assert_eq!(split_header("Timeout"), ("".into(), "Timeout".into()));
    }

    #[test]
    fn suppressed_blocks_stay_out_of_the_chain() {
        let t = "a.b.Outer: top\n\tat a.b.X.y(X.java:1)\n\tSuppressed: a.b.Sup: s\n\t\tat a.b.S.t(S.java:2)\n\tCaused by: a.b.SupCause: sc\n\t\tat a.b.S.u(S.java:3)\n\t\t... 1 more\nCaused by: a.b.Inner: in\n\tat a.b.I.j(I.java:4)\n\t... 1 more\n";
        let p = parse(t);
        let names: Vec<_> = p.chain.iter().map(|b| b.exception.as_str()).collect();
        assert_eq!(names, ["a.b.Outer", "a.b.Inner"]);
        assert_eq!(p.chain[0].frames, ["a.b.X.y(X.java:1)"]);
        assert_eq!(p.chain[1].frames, ["a.b.I.j(I.java:4)"]);
        assert_eq!(p.suppressed.len(), 2);
        assert_eq!(p.suppressed[1], ("a.b.SupCause".into(), "sc".into()));
    }

    #[test]
    fn multi_line_message() {
        let t = "org.postgresql.util.PSQLException: ERROR: relation \"x\" does not exist\n  Position: 15\n\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)\n";
        let p = parse(t);
        assert_eq!(
            p.chain[0].message,
            "ERROR: relation \"x\" does not exist\n  Position: 15"
        );
        assert_eq!(p.chain[0].frames.len(), 1);
    }

    #[test]
    fn bare_and_empty() {
        let p = parse("Failed to connect to host\nwhile starting\n");
        assert_eq!(p.chain.len(), 1);
        assert_eq!(p.chain[0].exception, "");
        assert_eq!(
            p.chain[0].message,
            "Failed to connect to host\nwhile starting"
        );
        let p = parse("");
        assert_eq!(p.chain.len(), 1);
        assert_eq!(p.chain[0].message, "");
    }

    #[test]
    fn headless_frames() {
        let p = parse("\tat a.b.C.d(C.java:1)\n\tat a.b.C.e(C.java:2)\n");
        assert_eq!(p.chain.len(), 1);
        assert_eq!(p.chain[0].exception, "");
        assert_eq!(p.chain[0].frames.len(), 2);
    }

    #[test]
    fn crlf_and_indented_whole_trace() {
        let p = parse("  a.b.E: m\r\n  \tat a.b.C.d(C.java:1)\r\n  Caused by: a.b.F: n\r\n");
        assert_eq!(p.chain.len(), 2);
        assert_eq!(p.chain[1].exception, "a.b.F");
        assert_eq!(p.chain[0].frames, ["a.b.C.d(C.java:1)"]);
    }
}
