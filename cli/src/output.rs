//! Output formats. `-o json` and `-o yaml` print the same typed value the table shows.

use std::io::Write;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
}

/// Prints `value` as JSON or YAML; returns false for `table`, which the command renders itself.
pub fn print_structured<T: Serialize>(format: OutputFormat, value: &T) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Table => return Ok(false),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        OutputFormat::Yaml => serde_yaml::to_writer(&mut out, value)?,
    }
    Ok(true)
}
