//! Output formats. `-o json` and `-o yaml` print the same typed value the table shows.

use std::io::{IsTerminal, Write};

use colored::Colorize;
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
    /// JSON Lines: one compact JSON value per line; a list prints one element per line.
    Jsonl,
}

/// Prints `value` as JSON or YAML; returns false for `table`, which the command renders itself.
pub fn print_structured<T: Serialize>(format: OutputFormat, value: &T) -> anyhow::Result<bool> {
    // Stdout is line-buffered: without this, pretty JSON costs one write per line. 64 KiB: a
    // fleet's listing (500 connectors, 90 KB) goes out in two writes rather than a dozen.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        OutputFormat::Table => return Ok(false),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        OutputFormat::Yaml => serde_yaml::to_writer(&mut out, value)?,
        OutputFormat::Jsonl => match serde_json::to_value(value)? {
            serde_json::Value::Array(items) => {
                for item in items {
                    serde_json::to_writer(&mut out, &item)?;
                    writeln!(out)?;
                }
            }
            other => {
                serde_json::to_writer(&mut out, &other)?;
                writeln!(out)?;
            }
        },
    }
    out.flush()?;
    Ok(true)
}

/// Decides once whether colour is used: only on a terminal, never with `NO_COLOR` or `--no-color`.
pub fn init_color(no_color_flag: bool) {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = !no_color_flag && !no_color_env && std::io::stdout().is_terminal();
    colored::control::set_override(on);
    COLOR.store(on, std::sync::atomic::Ordering::Relaxed);
}

static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A table cell for a state or health word; coloured only when colour is on (comfy-table
/// measures ANSI codes as width, so colour goes through its own styling instead).
pub fn state_cell(s: &str) -> comfy_table::Cell {
    use comfy_table::{Attribute, Color};
    let cell = cell(s);
    if !COLOR.load(std::sync::atomic::Ordering::Relaxed) {
        return cell;
    }
    match s {
        "RUNNING" | "HEALTHY" => cell.fg(Color::Green),
        "FAILED" | "USER_ACTIONABLE_ERROR" | "SYSTEM_ERROR" => {
            cell.fg(Color::Red).add_attribute(Attribute::Bold)
        }
        "DEGRADED" => cell.fg(Color::Red),
        "PAUSED" | "STOPPED" | "UNASSIGNED" | "RESTARTING" | "PROVISIONING" => {
            cell.fg(Color::Yellow)
        }
        _ => cell,
    }
}

/// A borderless table that wraps to the terminal width (when there is one).
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().map(|h| h.to_string()));
    t
}

/// Prints a table to stdout without trailing spaces.
pub fn print_table(t: &Table) -> std::io::Result<()> {
    let mut t = t.clone();
    // No left padding: columns start at the margin, two spaces between them.
    for c in t.column_iter_mut() {
        c.set_padding((0, 2));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    out.flush()
}

/// A state or health word, coloured by how good it is.
pub fn paint_state(s: &str) -> String {
    let s = &*esc(s);
    match s {
        "RUNNING" | "HEALTHY" => s.green().to_string(),
        "FAILED" | "USER_ACTIONABLE_ERROR" | "SYSTEM_ERROR" => s.red().bold().to_string(),
        "DEGRADED" => s.red().to_string(),
        "PAUSED" | "STOPPED" | "UNASSIGNED" | "RESTARTING" | "PROVISIONING" => {
            s.yellow().to_string()
        }
        _ => s.to_owned(),
    }
}

/// A section header in a text view.
pub fn heading(s: &str) -> String {
    esc(s).bold().to_string()
}

/// Makes text from a server or a file safe to print on a terminal: control characters (ANSI and
/// OSC escapes, carriage returns, bells, C1 codes) become visible `\x1b`-style escapes, so a
/// connector name or a trace cannot move the cursor, retitle the window or hide text. Newlines
/// and tabs are escaped too: this is for one-line values (names, states, table cells).
/// JSON and YAML output stay exact; only text meant for a terminal goes through this.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s, false)
}

/// [`esc`] for multi-line text (traces, messages): newlines and tabs stay.
pub fn esc_text(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s, true)
}

fn escape_controls(s: &str, keep_layout: bool) -> std::borrow::Cow<'_, str> {
    let kept = |c: char| keep_layout && (c == '\n' || c == '\t');
    if !s.chars().any(|c| c.is_control() && !kept(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && !kept(c) {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A table cell holding `value` with its control characters escaped ([`esc`]).
pub fn cell(value: impl std::fmt::Display) -> comfy_table::Cell {
    comfy_table::Cell::new(esc(&value.to_string()))
}

/// A table row of escaped cells ([`cell`]).
pub fn cells<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> Vec<comfy_table::Cell> {
    values.into_iter().map(cell).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(esc("plain-name"), "plain-name");
        assert_eq!(esc("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(esc("osc\x1b]0;title\x1b\\"), "osc\\x1b]0;title\\x1b\\");
        assert_eq!(esc("line\nbreak\r"), "line\\x0abreak\\x0d");
        assert_eq!(esc("c1\u{9b}"), "c1\\x9b");
        assert_eq!(esc_text("at x\n\tat y\x1b[2J"), "at x\n\tat y\\x1b[2J");
    }
}
