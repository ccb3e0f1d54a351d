//! `connectctl bundle`: everything a support ticket needs, in one `.tar.gz`.
//!
//! Each part is the `-o json` answer of the connectctl command a support engineer would run
//! (`info`, `plugins`, `ls`, `status`, `config`, `offsets`, `topics`, `loggers`, `doctor`,
//! `context current`, `dlq inspect`, `logs analyze`), run as a child of this same binary with the
//! same cluster flags. So the bundle holds exactly what those commands show, masked as they mask,
//! and a new capability of a command reaches the bundle without code here. Every file then passes
//! through [`mask_text`] once more before it is archived, so a secret that some command let
//! through in free text (a trace, a log line) is caught here. A step that fails is recorded in
//! `manifest.json` with its error and the bundle is still written.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::Ctx;
use crate::mask::mask_text;
use crate::output::{esc, print_structured};

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The archive to write (also spelled -o FILE.tar.gz); default
    /// connectctl-bundle-<UTC time>.tar.gz in the current directory
    #[arg(long = "archive", value_name = "FILE.tar.gz", value_hint = clap::ValueHint::FilePath)]
    pub archive: Option<PathBuf>,
    /// Worker log files to analyse into the bundle (plain or .gz; repeatable); the analysis goes
    /// in, not the raw log
    #[arg(long = "logs", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub logs: Vec<PathBuf>,
    /// Only connectors whose name matches this regular expression (default: every connector)
    #[arg(short = 'e', long = "regex", value_name = "REGEX", value_parser = super::connector_util::valid_regex)]
    pub regex: Option<String>,
    /// Skip the Kafka parts (DLQ summaries, doctor's DLQ sizes and sink lag)
    #[arg(long)]
    pub no_kafka: bool,
    /// Give up on one part after this long
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = step_timeout)]
    pub step_timeout: Duration,
}

fn step_timeout(s: &str) -> Result<Duration, String> {
    match connect_dlq::time::parse_duration_ms(s) {
        Some(ms) if ms > 0 => Ok(Duration::from_millis(ms as u64)),
        _ => Err(format!("expected a duration such as 30s or 2m, got '{s}'")),
    }
}

const FORMATS: &[&str] = &["table", "json", "yaml", "jsonl"];

/// Global flags that take a value, to find where the subcommand starts.
const VALUE_FLAGS: &[&str] = &[
    "--url",
    "--context",
    "-o",
    "--output",
    "--retry-timeout",
    "--bootstrap-servers",
    "-X",
];

/// The spelling `connectctl bundle -o FILE.tar.gz` clashes with the global `-o FORMAT`;
/// after `bundle`, an `-o`/`--output` whose value is not an output format is the archive path,
/// so both `bundle -o json` (the summary as JSON) and `bundle -o support.tar.gz` mean what they say.
pub fn archive_flag(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let mut i = 1;
    let mut in_bundle = false;
    while i < args.len() {
        let a = args[i].to_string_lossy().into_owned();
        if a == "--" {
            break;
        }
        if !in_bundle {
            if VALUE_FLAGS.contains(&a.as_str()) {
                i += 2;
                continue;
            }
            if a.starts_with('-') {
                i += 1;
                continue;
            }
            if a != "bundle" {
                return args;
            }
            in_bundle = true;
            i += 1;
            continue;
        }
        let not_format = |v: &str| !FORMATS.contains(&v);
        if (a == "-o" || a == "--output") && i + 1 < args.len() {
            if not_format(&args[i + 1].to_string_lossy()) {
                args[i] = "--archive".into();
            }
            i += 2;
            continue;
        }
        let joined = a.strip_prefix("--output=").or_else(|| {
            a.strip_prefix("-o")
                .filter(|v| !v.is_empty() && !v.starts_with('='))
        });
        if let Some(v) = joined {
            if not_format(v) {
                args[i] = format!("--archive={v}").into();
            }
        }
        i += 1;
    }
    args
}

/// One part of the bundle: which command made it and how it went.
#[derive(Debug, Serialize)]
pub struct Part {
    pub file: String,
    pub command: String,
    pub exit_code: Option<i32>,
    /// The command's error (stderr), masked, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Manifest<'a> {
    created: String,
    connectctl_version: &'a str,
    url: String,
    context: Option<&'a str>,
    parts: &'a [Part],
}

/// What `bundle` prints.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub archive: String,
    pub files: usize,
    pub connectors: usize,
    /// Parts whose command failed (their errors are in manifest.json).
    pub failed: Vec<String>,
}

struct Collector {
    exe: PathBuf,
    global: Vec<OsString>,
    timeout: Duration,
    files: Vec<(String, Vec<u8>)>,
    parts: Vec<Part>,
}

impl Collector {
    /// Runs `connectctl <global flags> <args> -o json`; keeps stdout as `file` when it is JSON.
    /// `ok_codes`: exit codes that report a finding rather than a failure (e.g. doctor's 1 and 3).
    async fn json(&mut self, file: &str, args: &[&str], ok_codes: &[i32]) -> Option<Value> {
        let mut cmd = tokio::process::Command::new(&self.exe);
        // `-o json` before the subcommand: after a `--` it would read as an argument.
        cmd.args(&self.global)
            .args(["-o", "json"])
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove(super::completions::COMPLETE_VAR)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let command = format!("connectctl -o json {}", args.join(" "));
        let out = match tokio::time::timeout(self.timeout, cmd.output()).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                self.failed(file, command, None, format!("cannot run connectctl: {e}"));
                return None;
            }
            Err(_) => {
                self.failed(
                    file,
                    command,
                    None,
                    format!("no answer within {:?} (raise --step-timeout)", self.timeout),
                );
                return None;
            }
        };
        let code = out.status.code();
        let parsed: Option<Value> = serde_json::from_slice(&out.stdout).ok();
        let ok = code == Some(0) || code.is_some_and(|c| ok_codes.contains(&c));
        match parsed {
            Some(v) if ok => {
                let mut text = serde_json::to_vec_pretty(&v).unwrap_or_default();
                text.push(b'\n');
                self.files.push((file.to_owned(), text));
                self.parts.push(Part {
                    file: file.to_owned(),
                    command,
                    exit_code: code,
                    error: None,
                });
                Some(v)
            }
            _ => {
                let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                let err = if err.is_empty() {
                    "no JSON on stdout".to_owned()
                } else {
                    err
                };
                self.failed(file, command, code, err);
                None
            }
        }
    }

    fn failed(&mut self, file: &str, command: String, code: Option<i32>, error: String) {
        self.parts.push(Part {
            file: file.to_owned(),
            command,
            exit_code: code,
            error: Some(mask_text(&error).into_owned()),
        });
    }
}

/// A connector name as a directory name: anything outside `[A-Za-z0-9._-]` becomes `_`, so a
/// name can never climb out of `connectors/` (`../x`) or hide in the archive.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.as_str() {
        "" | "." | ".." => format!("_{s}"),
        _ => s,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub async fn run(ctx: &Ctx, args: BundleArgs) -> anyhow::Result<ExitCode> {
    if ctx.reveal {
        return Err(super::usage(anyhow::anyhow!(
            "a bundle is meant to be shared, so it is always masked: drop --reveal"
        )));
    }
    for l in &args.logs {
        if !l.is_file() {
            return Err(super::usage(anyhow::anyhow!(
                "--logs {}: no such file; name the worker's log files (connect.log, \
                 connect.log.1.gz, ...)",
                l.display()
            )));
        }
    }
    let created = connect_dlq::time::format_ms(now_ms());
    let archive = args.archive.clone().unwrap_or_else(|| {
        let stamp: String = created[..19].chars().filter(char::is_ascii_digit).collect();
        PathBuf::from(format!(
            "connectctl-bundle-{}T{}Z.tar.gz",
            &stamp[..8],
            &stamp[8..]
        ))
    });
    let mut global: Vec<OsString> = Vec::new();
    if let Some(u) = &ctx.url_flag {
        global.extend(["--url".into(), u.into()]);
    }
    if let Some((name, _)) = &ctx.context {
        global.extend(["--context".into(), name.into()]);
    }
    if let Some(b) = &ctx.bootstrap_servers {
        global.extend(["--bootstrap-servers".into(), b.into()]);
    }
    for p in &ctx.kafka_properties {
        global.extend(["-X".into(), p.into()]);
    }
    let kafka = !args.no_kafka
        && (ctx.bootstrap_servers.is_some()
            || ctx
                .context
                .as_ref()
                .is_some_and(|(_, c)| !c.kafka.is_empty()));
    let mut c = Collector {
        exe: std::env::current_exe().context("cannot find the connectctl executable")?,
        global,
        timeout: args.step_timeout,
        files: Vec::new(),
        parts: Vec::new(),
    };
    let progress = progress();
    let step = |s: &str| {
        if let Some(p) = &progress {
            p.set_message(s.to_owned());
        }
    };

    step("worker");
    c.json("context.json", &["context", "current"], &[]).await;
    c.json("version.json", &["version"], &[]).await;
    c.json("worker/info.json", &["info"], &[]).await;
    c.json("worker/plugins.json", &["plugins"], &[]).await;
    c.json("worker/loggers.json", &["loggers"], &[]).await;
    step("connectors");
    let ls: Vec<&str> = match &args.regex {
        Some(re) => vec!["ls", "--", re],
        None => vec!["ls"],
    };
    let listed = c.json("connectors.json", &ls, &[]).await;
    let doctor_args: &[&str] = if kafka {
        &["doctor"]
    } else {
        &["doctor", "--no-kafka"]
    };
    step("doctor");
    c.json("doctor.json", doctor_args, &[1, 3]).await;
    let names: Vec<String> = listed
        .as_ref()
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for name in &names {
        step(&format!("connector {name}"));
        let dir = format!("connectors/{}", safe_name(name));
        // A connector whose name starts with `-` must not read as a flag.
        let n = name.as_str();
        c.json(&format!("{dir}/status.json"), &["status", "--", n], &[1])
            .await;
        let config = c
            .json(&format!("{dir}/config.json"), &["config", "--", n], &[])
            .await;
        c.json(&format!("{dir}/offsets.json"), &["offsets", "--", n], &[])
            .await;
        c.json(&format!("{dir}/topics.json"), &["topics", "--", n], &[])
            .await;
        let dlq = config
            .as_ref()
            .and_then(|cfg| cfg["errors.deadletterqueue.topic.name"].as_str())
            .is_some_and(|t| !t.trim().is_empty());
        if dlq && kafka {
            c.json(
                &format!("{dir}/dlq.json"),
                &["dlq", "inspect", "--kafka-timeout", "10s", "--connector", n],
                &[],
            )
            .await;
        }
    }
    if !args.logs.is_empty() {
        step("logs");
        let mut a: Vec<String> = vec!["logs".into(), "analyze".into(), "--".into()];
        a.extend(args.logs.iter().map(|p| p.display().to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        if let Some(v) = c.json("logs/analysis.json", &a, &[]).await {
            if let Ok(report) = serde_json::from_value::<ReportText>(v) {
                c.files
                    .push(("logs/analysis.txt".to_owned(), report.text().into_bytes()));
            }
        }
    }
    if let Some(p) = &progress {
        p.finish_and_clear();
    }

    let manifest = Manifest {
        created: created.clone(),
        connectctl_version: super::version::VERSION,
        url: crate::client::redact_url(&ctx.url),
        context: ctx.context.as_ref().map(|(n, _)| n.as_str()),
        parts: &c.parts,
    };
    let mut m = serde_json::to_vec_pretty(&manifest)?;
    m.push(b'\n');
    c.files.insert(0, ("manifest.json".to_owned(), m));
    write_archive(&archive, &created, &c.files)?;

    let failed: Vec<String> = c
        .parts
        .iter()
        .filter(|p| p.error.is_some())
        .map(|p| p.file.clone())
        .collect();
    let summary = Summary {
        archive: archive.display().to_string(),
        files: c.files.len(),
        connectors: names.len(),
        failed,
    };
    if !print_structured(ctx.output, &summary)? {
        println!(
            "wrote {} ({} files, {} connectors)",
            esc(&summary.archive),
            summary.files,
            summary.connectors
        );
        for p in c.parts.iter().filter(|p| p.error.is_some()) {
            eprintln!(
                "warning: {} missing: {}: {}",
                p.file,
                p.command,
                esc(p
                    .error
                    .as_deref()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default())
            );
        }
    }
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The analysis, read back to render the text report for `logs/analysis.txt`.
#[derive(serde::Deserialize)]
struct ReportText {
    groups: Vec<Value>,
    events: u64,
}

impl ReportText {
    fn text(&self) -> String {
        let mut s = format!(
            "{} groups of ERROR/WARN events in {} log events\n",
            self.groups.len(),
            self.events
        );
        for g in &self.groups {
            let who = match (g["connector"].as_str(), g["task"].as_u64()) {
                (Some(c), Some(t)) => format!("{c}/task-{t}"),
                (Some(c), None) => c.to_owned(),
                _ => "(worker)".to_owned(),
            };
            let rc = &g["root_cause"];
            s.push_str(&format!(
                "\n{} {} {}x {} .. {}\n  cause  {}: {}\n",
                g["level"].as_str().unwrap_or_default(),
                who,
                g["count"],
                g["first"].as_str().unwrap_or_default(),
                g["last"].as_str().unwrap_or_default(),
                rc["exception"].as_str().unwrap_or_default(),
                rc["message"].as_str().unwrap_or_default(),
            ));
            if let Some(f) = rc["frame"].as_str() {
                s.push_str(&format!("  frame  {f}\n"));
            }
            if let Some(h) = rc["hint"].as_object() {
                s.push_str(&format!(
                    "  hint   {}\n  fix    {}\n",
                    h.get("summary").and_then(Value::as_str).unwrap_or_default(),
                    h.get("fix").and_then(Value::as_str).unwrap_or_default()
                ));
            }
            s.push_str(&format!(
                "  sample {}\n",
                g["sample"].as_str().unwrap_or_default()
            ));
        }
        s
    }
}

/// Writes the files under `connectctl-bundle/` into a gzipped tar, through a temp file renamed
/// into place so a failed write never leaves half an archive under the asked name.
fn write_archive(path: &Path, created: &str, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "cannot write in {}: choose a writable place with -o FILE.tar.gz",
            dir.display()
        )
    })?;
    let gz = flate2::write::GzEncoder::new(tmp.as_file(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = connect_dlq::time::parse_rfc3339(created).map_or(0, |ms| ms / 1000) as u64;
    for (name, data) in files {
        // The last line of defence: whatever a command printed, no secret-looking value leaves.
        let masked = match std::str::from_utf8(data) {
            Ok(text) => mask_text(text).into_owned().into_bytes(),
            Err(_) => data.clone(),
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(masked.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("connectctl-bundle/{name}"),
            &masked[..],
        )
        .with_context(|| format!("cannot add {name} to the archive"))?;
    }
    let mut gz = tar.into_inner().context("cannot finish the archive")?;
    gz.flush()?;
    gz.finish().context("cannot finish the archive")?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A spinner naming the current part, on a terminal only.
fn progress() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let p = indicatif::ProgressBar::new_spinner();
    p.enable_steady_tick(Duration::from_millis(120));
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(args: &[&str]) -> Vec<String> {
        archive_flag(args.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn dash_o_after_bundle_names_the_archive_unless_it_is_a_format() {
        assert_eq!(
            rewrite(&["c", "--url", "http://x", "bundle", "-o", "s.tar.gz"]),
            ["c", "--url", "http://x", "bundle", "--archive", "s.tar.gz"]
        );
        assert_eq!(
            rewrite(&["c", "bundle", "-o", "json"]),
            ["c", "bundle", "-o", "json"]
        );
        assert_eq!(
            rewrite(&["c", "-o", "json", "bundle", "--output=b.tgz"]),
            ["c", "-o", "json", "bundle", "--archive=b.tgz"]
        );
        assert_eq!(
            rewrite(&["c", "bundle", "-ob.tgz"]),
            ["c", "bundle", "--archive=b.tgz"]
        );
        // Other commands are left alone, even when their arguments say "bundle".
        assert_eq!(
            rewrite(&["c", "status", "bundle", "-o", "x"]),
            ["c", "status", "bundle", "-o", "x"]
        );
    }

    #[test]
    fn names_cannot_escape_the_connectors_folder() {
        assert_eq!(safe_name("../../etc"), ".._.._etc");
        assert_eq!(safe_name(".."), "_..");
        assert_eq!(safe_name("jdbc sink/1"), "jdbc_sink_1");
    }
}
