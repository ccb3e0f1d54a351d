//! `connectctl dlq inspect`: what failed, how often, since when, and from which source records.
//!
//! Reading is delegated to `connect_dlq::inspect` (read-only: assign and seek, no group, no
//! commits). This module resolves the flags, picks the view (summary, records, one record) and
//! renders it; data goes to stdout, warnings and progress to stderr.

use std::io::{BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use connect_dlq::avro::AvroDecoder;
use connect_dlq::cause::Analyzer;
use connect_dlq::inspect::{self, Reader, Start};
use connect_dlq::record::{RecordJson, RecordView, short_class, truncate};
use connect_dlq::time::{format_ms, parse_duration_ms, parse_since};
use connect_dlq::{DeadLetter, Dialect, DlqError, Filter, Payload, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use regex::bytes::Regex;

use super::{Ctx, FilterArgs, Usage, connector_dlq, kafka_config};
use crate::output::{OutputFormat, print_structured};

pub const AFTER_HELP: &str = "\
Views:
  (default)             failures grouped by connector, stage, exception and message
  --records             one line per record: DLQ position, time, origin, key/value previews
  --show PARTITION:OFFSET  one record in full, with its stack trace analysed
  -o json               the summary object; with --records, an array of records
  -o jsonl              with --records, one JSON record per line (streams with --follow)

Kafka access: --bootstrap-servers (or CONNECTCTL_BOOTSTRAP_SERVERS) and -X KEY=VALUE
librdkafka properties, e.g. -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN.
Reading never joins a consumer group and never commits offsets.

Examples:
  connectctl dlq inspect --connector jdbc-sink
  connectctl dlq inspect orders-dlq --since 2h --exception DataException
  connectctl dlq inspect orders-dlq --records -o jsonl --limit 100
  connectctl dlq inspect orders-dlq --show 0:42";

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// DLQ topic to read (default: the DLQ of --connector)
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::dlq_topics))]
    pub topic: Option<String>,
    /// Connector whose DLQ to read (its errors.deadletterqueue.topic.name), and whose
    /// records to keep when the topic is shared
    #[arg(long, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::connector_names))]
    pub connector: Option<String>,
    /// One line per record instead of the summary
    #[arg(long, conflicts_with = "show")]
    pub records: bool,
    /// Show one record in full: its DLQ partition and offset, e.g. 0:42
    #[arg(long, value_name = "PARTITION:OFFSET", value_parser = parse_position)]
    pub show: Option<(i32, i64)>,
    /// Start at records this recent (2h, 30m, 1d) or at this time (RFC 3339)
    #[arg(long, value_name = "DURATION|TIMESTAMP", value_parser = since_ms, conflicts_with = "from_offset")]
    pub since: Option<i64>,
    /// Start at this offset in every partition
    #[arg(long, value_name = "OFFSET", value_parser = clap::value_parser!(i64).range(0..))]
    pub from_offset: Option<i64>,
    /// Read only these partitions (repeatable)
    #[arg(long, value_name = "N")]
    pub partition: Vec<i32>,
    /// Stop after N matching records
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Keep reading new records as they arrive (implies --records)
    #[arg(long, short = 'f', conflicts_with = "show")]
    pub follow: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// How long to wait for Kafka to answer (connect, metadata, offsets)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub kafka_timeout: Duration,
}

fn parse_position(s: &str) -> Result<(i32, i64), String> {
    let bad = || {
        format!(
            "expected PARTITION:OFFSET such as 0:42 (see the SAMPLE column of the summary), got '{s}'"
        )
    };
    let (p, o) = s.split_once(':').ok_or_else(bad)?;
    let p: i32 = p.trim().parse().map_err(|_| bad())?;
    let o: i64 = o.trim().parse().map_err(|_| bad())?;
    if p < 0 || o < 0 {
        return Err(bad());
    }
    Ok((p, o))
}

pub(super) fn since_ms(s: &str) -> Result<i64, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    parse_since(s, now)
}

pub(super) fn duration(s: &str) -> Result<Duration, String> {
    match parse_duration_ms(s) {
        Some(ms) if ms > 0 => Ok(Duration::from_millis(ms as u64)),
        _ => Err(format!("expected a duration such as 10s or 1m, got '{s}'")),
    }
}

pub(super) fn pattern(flag: &'static str) -> impl Fn(&str) -> Result<Regex, String> + Clone {
    move |s| Filter::pattern(flag, s).map_err(|e| format!("{}", e.source))
}

pub async fn run(ctx: &Ctx, args: InspectArgs) -> anyhow::Result<ExitCode> {
    let kafka = kafka_config(ctx, args.kafka_timeout)?;
    let (topic, own_dlq) = match (&args.topic, &args.connector) {
        (Some(t), _) => (t.clone(), false),
        (None, Some(name)) => {
            let dlq = connector_dlq(ctx, name).await?;
            if !dlq.context_headers {
                eprintln!(
                    "warning: connector {name} writes its DLQ {} without context headers, so \
                     records show no origin, stage or exception; set \
                     errors.deadletterqueue.context.headers.enable=true in its config",
                    dlq.topic
                );
            }
            (dlq.topic, true)
        }
        (None, None) => {
            return Err(Usage(
                "name the DLQ topic (connectctl dlq inspect TOPIC) or pass --connector NAME"
                    .to_owned(),
            )
            .into());
        }
    };
    if let Some((partition, offset)) = args.show {
        let mut record = inspect::fetch_one(&kafka, &topic, partition, offset)?;
        if let Some(mut decoder) = avro_decoder(ctx)? {
            record.decode_avro(&mut decoder);
        }
        show(ctx, &record)?;
        if record
            .headers
            .iter()
            .any(|h| matches!(h.key, Payload::Binary(_)))
        {
            warn_non_utf8_names(1, Some(&format!("{partition}:{offset}")));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let filter = args.filters.filter(args.connector.clone(), own_dlq);
    let start = match (args.since, args.from_offset) {
        (Some(ts), _) => Start::Timestamp(ts),
        (None, Some(o)) => Start::Offset(o),
        (None, None) => Start::Beginning,
    };
    let partitions = (!args.partition.is_empty()).then_some(args.partition.as_slice());
    let mut reader = match Reader::open(&kafka, &topic, start, partitions, args.follow) {
        Err(DlqError::UnknownTopic { .. }) if own_dlq => {
            let name = args.connector.as_deref().unwrap_or_default();
            anyhow::bail!(
                "the DLQ topic {topic} of connector {name} does not exist yet: Kafka Connect \
                 creates it when the connector's tasks start (check `connectctl status {name}`)"
            );
        }
        other => other?,
    };
    let progress = progress_bar(&reader, args.follow);
    if args.records || args.follow {
        let result = records(
            ctx,
            &mut reader,
            &filter,
            args.limit,
            &progress,
            args.follow,
        );
        progress.finish_and_clear();
        result?;
    } else {
        let result = inspect::summarize(&mut reader, &filter, args.limit, |n| {
            progress.set_position(n)
        });
        progress.finish_and_clear();
        let summary = result?;
        print_summary(ctx, &summary, &filter)?;
        if summary.non_utf8_header_names > 0 {
            warn_non_utf8_names(
                summary.non_utf8_header_names,
                summary.first_non_utf8_header_names.as_deref(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line for records whose header names are not UTF-8 (Kafka allows any bytes; Connect itself
/// never writes such names, so they come from another producer).
pub(super) fn warn_non_utf8_names(count: u64, first: Option<&str>) {
    let first = first
        .map(|f| format!(" (first at {f})"))
        .unwrap_or_default();
    eprintln!(
        "warning: {count} record(s) have header names that are not UTF-8{first}; they are kept \
         byte for byte: JSON shows such a name as {{\"base64\": ...}} and replay writes it unchanged"
    );
}

fn progress_bar(reader: &Reader, follow: bool) -> ProgressBar {
    let total = reader.expected();
    // Only worth drawing on a terminal, and only for a scan that takes a moment.
    if follow || total < 50_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} reading {msg} [{bar:30}] {human_pos}/{human_len} records ({per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(reader.topic().to_owned());
    bar
}

fn print_summary(ctx: &Ctx, s: &Summary, filter: &Filter) -> anyhow::Result<()> {
    if print_structured(ctx.output, s)? {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    if s.groups.is_empty() {
        let what = if filter.is_empty() || s.scanned == 0 {
            "records"
        } else {
            "matching records"
        };
        writeln!(out, "No {what} in {} ({} read).", s.topic, s.scanned)?;
        return Ok(());
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header([
            "COUNT",
            "CONNECTOR",
            "STAGE",
            "EXCEPTION",
            "MESSAGE",
            "FIRST",
            "LAST",
            "FROM TOPICS",
            "SAMPLE",
        ]);
    for g in &s.groups {
        let dash = || "-".to_owned();
        // Escaped cells: connector names and messages come from record headers.
        t.add_row(crate::output::cells([
            g.count.to_string(),
            g.connector.clone().unwrap_or_else(dash),
            g.stage.clone().unwrap_or_else(dash),
            g.exception
                .as_deref()
                .map(short_class)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    if g.connector.is_none() && g.stage.is_none() {
                        "(no context headers)".to_owned()
                    } else {
                        dash()
                    }
                }),
            g.message
                .as_deref()
                .map(|m| truncate(m.lines().next().unwrap_or(""), 80))
                .unwrap_or_else(dash),
            g.first_timestamp.map(format_ms).unwrap_or_else(dash),
            g.last_timestamp.map(format_ms).unwrap_or_else(dash),
            if g.original_topics.is_empty() {
                "unknown".to_owned()
            } else {
                g.original_topics.join(",")
            },
            g.sample.clone(),
        ]));
    }
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "\n{} records in {} groups; {} read from {}{}.",
        s.total,
        s.groups.len(),
        s.scanned,
        s.topic,
        match (s.first_timestamp, s.last_timestamp) {
            (Some(a), Some(b)) => format!(", {} to {}", format_ms(a), format_ms(b)),
            _ => String::new(),
        }
    )?;
    if s.unknown_origin > 0 {
        writeln!(
            out,
            "{} records carry no origin (no context headers); enable \
             errors.deadletterqueue.context.headers.enable=true on the connector to record it.",
            s.unknown_origin
        )?;
    }
    writeln!(
        out,
        "Details: --records, or --show PARTITION:OFFSET with a SAMPLE."
    )?;
    Ok(())
}

/// How much JSON output gathers before it is written.
const CHUNK: usize = 1 << 16;

/// Writes `chunk` out once it holds [`CHUNK`] bytes, or now.
fn write_chunk(out: &mut impl Write, chunk: &mut Vec<u8>, now: bool) -> std::io::Result<()> {
    if chunk.len() >= CHUNK || (now && !chunk.is_empty()) {
        out.write_all(chunk)?;
        chunk.clear();
    }
    Ok(())
}

/// Appends one record's JSON, its Avro key and value decoded when a registry was given.
fn record_json(
    v: &RecordView<'_>,
    analyzer: &mut Analyzer,
    avro: Option<&mut AvroDecoder>,
    out: &mut Vec<u8>,
) {
    let mut j = RecordJson::new(v, analyzer);
    if let Some(a) = avro {
        j = j.decode_avro(a);
    }
    j.write(out);
}

fn records(
    ctx: &Ctx,
    reader: &mut Reader,
    filter: &Filter,
    limit: Option<u64>,
    progress: &ProgressBar,
    follow: bool,
) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let table = ctx.output == OutputFormat::Table;
    if table {
        writeln!(
            out,
            "{:<12} {:<24} {:<32} {:<17} {:<28} {:<20} VALUE",
            "DLQ", "TIME", "ORIGIN", "STAGE", "EXCEPTION", "KEY"
        )?;
    }
    let mut failed: Option<std::io::Error> = None;
    let mut n = 0u64;
    let mut analyzer = Analyzer::default();
    let mut non_utf8 = (0u64, None);
    let mut avro = avro_decoder(ctx)?;
    let mut chunk = Vec::with_capacity(CHUNK + 8192);
    inspect::for_each_match(reader, filter, limit, |v| {
        n += 1;
        if v.context.non_utf8_names {
            non_utf8.0 += 1;
            non_utf8.1.get_or_insert((v.partition, v.offset));
        }
        if n.is_multiple_of(4096) {
            progress.set_position(n);
        }
        let res = match ctx.output {
            OutputFormat::Table => {
                let mut d = DeadLetter::from_view_with(v, &mut analyzer);
                if let Some(a) = avro.as_mut() {
                    d.decode_avro(a);
                }
                write_row(&mut out, &d)
            }
            OutputFormat::Yaml => writeln!(out, "---").and_then(|()| {
                let mut d = DeadLetter::from_view_with(v, &mut analyzer);
                if let Some(a) = avro.as_mut() {
                    d.decode_avro(a);
                }
                serde_yaml::to_writer(&mut out, &d).map_err(std::io::Error::other)
            }),
            // `-o json` is one array, streamed element by element so memory stays flat; JSON
            // Lines is the hot path for large exports. Both are written from the borrowed message
            // into `chunk`, which goes to stdout whole (no copy through the BufWriter).
            OutputFormat::Json => {
                chunk.extend_from_slice(if n == 1 { b"[\n" } else { b",\n" });
                record_json(v, &mut analyzer, avro.as_mut(), &mut chunk);
                write_chunk(&mut out, &mut chunk, follow)
            }
            _ => {
                record_json(v, &mut analyzer, avro.as_mut(), &mut chunk);
                chunk.push(b'\n');
                write_chunk(&mut out, &mut chunk, follow)
            }
        };
        // Following: show each record as it arrives rather than when the buffer fills.
        let res = res.and_then(|()| if follow { out.flush() } else { Ok(()) });
        match res {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    write_chunk(&mut out, &mut chunk, true)?;
    if ctx.output == OutputFormat::Json {
        out.write_all(if n == 0 { b"[]\n" } else { b"\n]\n" })?;
    }
    out.flush()?;
    if table && n == 0 {
        eprintln!("No matching records.");
    }
    if let (count @ 1.., first) = non_utf8 {
        let first = first.map(|(p, o)| format!("{p}:{o}"));
        warn_non_utf8_names(count, first.as_deref());
    }
    Ok(())
}

fn write_row(out: &mut impl Write, d: &DeadLetter) -> std::io::Result<()> {
    let exception = d.exception.class.as_deref().map(short_class).unwrap_or("-");
    writeln!(
        out,
        "{:<12} {:<24} {:<32} {:<17} {:<28} {:<20} {}",
        format!("{}:{}", d.dlq.partition, d.dlq.offset),
        d.dlq.timestamp.map(format_ms).unwrap_or_else(|| "-".into()),
        // Never cut: the origin is what the row is for.
        d.origin_label(),
        truncate(d.stage.as_deref().unwrap_or("-"), 17),
        truncate(exception, 28),
        d.key.preview(20),
        d.value.preview(60),
    )
}

/// One record in full, with the stack trace analysed like `status` does for tasks.
fn show(ctx: &Ctx, d: &DeadLetter) -> anyhow::Result<()> {
    /// The record plus its full trace and the analysis `status` gives a failed task.
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        #[serde(flatten)]
        record: &'a DeadLetter,
        stacktrace: Option<&'a str>,
        analysis: Option<connect_trace::RootCause>,
    }
    let hint_ctx = connect_trace::HintContext {
        connector: d.connector.as_deref(),
        config: None,
    };
    let analysis = d
        .stacktrace
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| connect_trace::root_cause(t, &hint_ctx));
    let shown = Shown {
        record: d,
        stacktrace: d.stacktrace.as_deref(),
        analysis,
    };
    if print_structured(ctx.output, &shown)? {
        return Ok(());
    }
    // The record's text comes from whoever wrote the DLQ: it is gathered first and printed with
    // its control characters escaped, so a payload cannot drive the terminal.
    let mut o = Vec::new();
    let dash = "-";
    writeln!(
        o,
        "DLQ record:   {} partition {} offset {}{}",
        d.dlq.topic,
        d.dlq.partition,
        d.dlq.offset,
        d.dlq
            .timestamp
            .map(|t| format!(" ({})", format_ms(t)))
            .unwrap_or_default()
    )?;
    match &d.original {
        Some(_) => writeln!(o, "Origin:       {}", d.origin_label())?,
        None if d.dialect == Dialect::None => writeln!(
            o,
            "Origin:       unknown (the record has no context headers; Kafka Connect adds them \
             with errors.deadletterqueue.context.headers.enable=true)"
        )?,
        None => writeln!(
            o,
            "Origin:       unknown (its context headers are incomplete)"
        )?,
    }
    if d.dialect == Dialect::Spring {
        writeln!(
            o,
            "Written by:   Spring Kafka (consumer group {})",
            d.connector.as_deref().unwrap_or(dash)
        )?;
    } else {
        writeln!(
            o,
            "Connector:    {}{}",
            d.connector.as_deref().unwrap_or(dash),
            d.task.map(|t| format!(" (task {t})")).unwrap_or_default()
        )?;
        writeln!(
            o,
            "Stage:        {}{}",
            d.stage.as_deref().unwrap_or(dash),
            d.class
                .as_deref()
                .map(|c| format!(" in {c}"))
                .unwrap_or_default()
        )?;
    }
    writeln!(
        o,
        "Exception:    {}{}",
        d.exception.class.as_deref().unwrap_or(dash),
        d.exception
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    )?;
    if let Some(rc) = &shown.analysis {
        let label = if rc.exception.is_empty() {
            String::new()
        } else {
            format!("{}: ", rc.exception)
        };
        writeln!(o, "Root cause:   {label}{}", rc.message)?;
        if let Some(f) = &rc.frame {
            writeln!(o, "  at          {f}")?;
        }
        if let Some(h) = &rc.hint {
            writeln!(o, "Hint:         {}", h.summary)?;
            writeln!(o, "Fix:          {}", h.fix)?;
        }
    }
    writeln!(o, "Key:          {}", full(&d.key))?;
    if let Some(s) = &d.key_schema {
        writeln!(o, "Key schema:   {}", schema_line(s))?;
    }
    writeln!(o, "Value:        {}", full(&d.value))?;
    if let Some(s) = &d.schema {
        writeln!(o, "Value schema: {}", schema_line(s))?;
    }
    let own: Vec<_> = d
        .headers
        .iter()
        .filter(|h| {
            let name = h.name_bytes();
            !name.starts_with(connect_dlq::headers::PREFIX.as_bytes())
                && !name.starts_with(connect_dlq::dialect::SPRING_PREFIX.as_bytes())
        })
        .collect();
    if !own.is_empty() {
        writeln!(o, "Headers:")?;
        for h in own {
            writeln!(o, "  {} = {}", full(&h.key), full(&h.value))?;
        }
    }
    if let Some(trace) = &d.stacktrace {
        writeln!(o, "Stack trace:")?;
        for line in trace.lines() {
            writeln!(o, "  {line}")?;
        }
    }
    let text = String::from_utf8_lossy(&o);
    std::io::stdout()
        .lock()
        .write_all(crate::output::esc_text(&text).as_bytes())?;
    Ok(())
}

fn full(p: &Payload) -> String {
    match p {
        Payload::Null => "null".to_owned(),
        Payload::Text(t) => t.clone(),
        Payload::Avro(j) => serde_json::to_string_pretty(j).unwrap_or_default(),
        Payload::Binary(b) => {
            // The JSON form is `{"base64": ...}`; show the same encoding here.
            let json = serde_json::to_value(p).unwrap_or_default();
            format!(
                "(binary, {} bytes, base64) {}",
                b.len(),
                json["base64"].as_str().unwrap_or("")
            )
        }
    }
}

/// The Avro decoder when a Schema Registry is configured (`--schema-registry` or the context).
pub fn avro_decoder(ctx: &Ctx) -> anyhow::Result<Option<connect_dlq::avro::AvroDecoder>> {
    match &ctx.schema_registry {
        None => Ok(None),
        Some(c) => Ok(Some(
            connect_dlq::avro::AvroDecoder::new(c.clone())
                .map_err(|e| anyhow::anyhow!("--schema-registry: {e}"))?,
        )),
    }
}

/// `id 3, subject orders-value, version 2` (and why it could not be decoded).
fn schema_line(s: &connect_dlq::avro::SchemaRef) -> String {
    let mut line = format!("Avro, id {}", s.id);
    if let Some(subject) = &s.subject {
        line.push_str(&format!(", subject {subject}"));
    }
    if let Some(v) = s.version {
        line.push_str(&format!(", version {v}"));
    }
    if let Some(e) = &s.error {
        line.push_str(&format!(" (not decoded: {e})"));
    }
    line
}
