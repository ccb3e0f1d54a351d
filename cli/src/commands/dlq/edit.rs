//! `dlq replay --edit`: each batch of records to replay opens in `$EDITOR` as a JSON array; after
//! the editor closes, every record is shown with what changed and the user picks replay, skip,
//! replay the rest, or abort. The batch is produced only afterwards, so no Kafka transaction is
//! open while someone reads.
//!
//! In the document a key or value that is JSON is shown as `{"json": ...}` so it can be edited as
//! JSON rather than as an escaped string; other text is a plain string and binary data
//! `{"base64": "..."}` (the shape `dlq inspect -o json` uses for binary). `null` is a tombstone.
//! A record left exactly as it was keeps its original bytes. Deleting an entry skips that record.

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;

use anyhow::{Context, bail};
use base64::Engine;
use colored::Colorize;
use connect_dlq::replay::{Candidate, EditAborted};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One record as the editor shows it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Doc {
    /// Where it sits in the DLQ; used to match an entry to its record, so do not change it.
    source: String,
    /// The topic it is replayed to.
    topic: String,
    key: Option<Data>,
    value: Option<Data>,
    #[serde(default)]
    headers: Vec<DocHeader>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct DocHeader {
    /// A name that is not UTF-8 is shown (and may be given) as `{"base64": ...}`.
    key: Data,
    value: Option<Data>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
enum Data {
    Json { json: Value },
    Binary { base64: String },
    Text(String),
}

impl Data {
    /// JSON documents (objects and arrays) are shown as JSON; everything else as it is.
    fn from_bytes(b: &[u8], as_json: bool) -> Data {
        match std::str::from_utf8(b) {
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Ok(json) if as_json && (json.is_object() || json.is_array()) => Data::Json { json },
                _ => Data::Text(text.to_owned()),
            },
            Err(_) => Data::Binary {
                base64: base64::engine::general_purpose::STANDARD.encode(b),
            },
        }
    }

    fn into_bytes(self, what: &str) -> anyhow::Result<Vec<u8>> {
        Ok(match self {
            Data::Json { json } => serde_json::to_vec(&json)?,
            Data::Text(t) => t.into_bytes(),
            Data::Binary { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64.trim())
                .with_context(|| format!("{what}: invalid base64"))?,
        })
    }
}

fn doc_of(c: &Candidate) -> Doc {
    Doc {
        source: c.source.clone(),
        topic: c.target.clone(),
        key: c.record.key.as_deref().map(|b| Data::from_bytes(b, true)),
        value: c.record.value.as_deref().map(|b| Data::from_bytes(b, true)),
        headers: c
            .record
            .headers
            .iter()
            .map(|(k, v)| DocHeader {
                key: Data::from_bytes(k, false),
                value: v.as_deref().map(|b| Data::from_bytes(b, false)),
            })
            .collect(),
    }
}

/// How the user answers for each record; `All` replays this one and the rest without asking.
enum Answer {
    Replay,
    Skip,
    All,
    Abort,
}

/// The editor session of one replay. `ask`: prompt for each record (false with `--yes`).
pub struct Editing {
    pub ask: bool,
    /// Set when editing failed for a reason other than the user's choice (an editor that does
    /// not start, a terminal error); the replay stops and this is reported.
    pub error: Option<anyhow::Error>,
}

impl Editing {
    pub fn new(ask: bool) -> Editing {
        Editing { ask, error: None }
    }

    /// The engine's editor callback: edits `batch` in place and removes what is skipped.
    pub fn edit(&mut self, batch: &mut Vec<Candidate>) -> Result<u64, EditAborted> {
        match self.try_edit(batch) {
            Ok(Some(skipped)) => Ok(skipped),
            Ok(None) => Err(EditAborted),
            Err(e) => {
                self.error = Some(e);
                Err(EditAborted)
            }
        }
    }

    /// `Ok(None)`: the user aborted.
    fn try_edit(&mut self, batch: &mut Vec<Candidate>) -> anyhow::Result<Option<u64>> {
        let original: Vec<Doc> = batch.iter().map(doc_of).collect();
        let mut text = serde_json::to_string_pretty(&original)?;
        text.push('\n');
        let edited = loop {
            text = run_editor(&text)?;
            match parse(&text, batch) {
                Ok(edited) => break edited,
                Err(e) => {
                    eprintln!("{} {e:#}", "The edited records are not valid:".red());
                    let again = dialoguer::Select::new()
                        .with_prompt("What now?")
                        .items(&["edit again", "abort the replay"])
                        .default(0)
                        .interact()?;
                    if again != 0 {
                        return Ok(None);
                    }
                }
            }
        };
        let before = batch.len() as u64;
        let mut kept = Vec::with_capacity(batch.len());
        let mut ask = self.ask;
        let mut by_source: HashMap<String, Doc> =
            edited.into_iter().map(|d| (d.source.clone(), d)).collect();
        for (mut c, orig) in std::mem::take(batch).into_iter().zip(original) {
            let Some(doc) = by_source.remove(&c.source) else {
                eprintln!("  {} {} (removed in the editor)", "skip".yellow(), c.source);
                continue;
            };
            let changed = doc != orig;
            if changed {
                apply(&mut c, doc)?;
            }
            if ask {
                show(&c, changed);
                match prompt()? {
                    Answer::Replay => {}
                    Answer::Skip => continue,
                    Answer::All => ask = false,
                    Answer::Abort => return Ok(None),
                }
            }
            kept.push(c);
        }
        *batch = kept;
        Ok(Some(before - batch.len() as u64))
    }
}

/// Checks the edited document: valid JSON, every entry naming a record of this batch once.
fn parse(text: &str, batch: &[Candidate]) -> anyhow::Result<Vec<Doc>> {
    let docs: Vec<Doc> =
        serde_json::from_str(text).context("expected the JSON array of records")?;
    let mut seen = std::collections::HashSet::new();
    for d in &docs {
        if !batch.iter().any(|c| c.source == d.source) {
            bail!(
                "entry with source {:?} is not one of the records being replayed (do not change `source`)",
                d.source
            );
        }
        if !seen.insert(d.source.as_str()) {
            bail!("source {:?} appears twice", d.source);
        }
        if d.topic.trim().is_empty() {
            bail!("{}: `topic` is empty", d.source);
        }
    }
    Ok(docs)
}

fn apply(c: &mut Candidate, doc: Doc) -> anyhow::Result<()> {
    let source = c.source.clone();
    c.target = doc.topic;
    c.record.key = doc
        .key
        .map(|d| d.into_bytes(&format!("{source} key")))
        .transpose()?;
    c.record.value = doc
        .value
        .map(|d| d.into_bytes(&format!("{source} value")))
        .transpose()?;
    c.record.headers = doc
        .headers
        .into_iter()
        .map(|h| {
            let key = h.key.into_bytes(&format!("{source} header name"))?;
            let what = format!("{source} header {}", String::from_utf8_lossy(&key));
            Ok((key, h.value.map(|d| d.into_bytes(&what)).transpose()?))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(())
}

fn show(c: &Candidate, changed: bool) {
    let text = |b: &Option<Vec<u8>>| match b {
        None => "null".to_owned(),
        Some(b) => {
            let s = String::from_utf8_lossy(b);
            if s.chars().count() > 160 {
                format!("{}...", s.chars().take(160).collect::<String>())
            } else {
                s.into_owned()
            }
        }
    };
    eprintln!(
        "{} -> {}{}",
        c.source.bold(),
        c.target,
        if changed {
            " (edited)".green().to_string()
        } else {
            String::new()
        }
    );
    eprintln!("  key   {}", text(&c.record.key));
    eprintln!("  value {}", text(&c.record.value));
}

fn prompt() -> anyhow::Result<Answer> {
    let choice = dialoguer::Select::new()
        .with_prompt("Replay this record?")
        .items(&[
            "replay",
            "skip",
            "replay this and all the rest",
            "abort (nothing more is replayed)",
        ])
        .default(0)
        .interact()?;
    Ok(match choice {
        0 => Answer::Replay,
        1 => Answer::Skip,
        2 => Answer::All,
        _ => Answer::Abort,
    })
}

/// The editor: `$VISUAL`, `$EDITOR`, or `vi`; the value may carry arguments (`code --wait`).
fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// Writes `text` to a temporary `.json` file, runs the editor on it and reads it back.
fn run_editor(text: &str) -> anyhow::Result<String> {
    let mut file = tempfile::Builder::new()
        .prefix("connectctl-replay-")
        .suffix(".json")
        .tempfile()
        .context("cannot create a temporary file for the editor")?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let editor = editor_command();
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = Command::new(program)
        .args(words)
        .arg(file.path())
        .status()
        .with_context(|| {
            format!("cannot start the editor {editor:?}; set $EDITOR to one that is installed")
        })?;
    if !status.success() {
        bail!("the editor {editor:?} exited with {status}; nothing was replayed from this batch");
    }
    std::fs::read_to_string(file.path()).context("cannot read the edited records back")
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_dlq::fix::Editable;

    fn candidate(value: &[u8]) -> Candidate {
        Candidate {
            source: "dlq/0/7".into(),
            target: "orders".into(),
            partition: None,
            record: Editable {
                key: Some(b"k-1".to_vec()),
                value: Some(value.to_vec()),
                headers: vec![
                    (b"trace".to_vec(), Some(vec![0xff, 0x00])),
                    (vec![0xff, 0xfe, b'n'], None),
                ],
            },
            timestamp: Some(1),
            replays: 0,
        }
    }

    #[test]
    fn json_values_are_shown_as_json_and_text_as_strings() {
        let d = doc_of(&candidate(br#"{"id":1}"#));
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["value"], serde_json::json!({"json": {"id": 1}}));
        assert_eq!(v["key"], "k-1");
        assert_eq!(
            v["headers"][0]["value"],
            serde_json::json!({"base64": "/wA="})
        );
        assert_eq!(v["headers"][0]["key"], "trace");
        assert_eq!(
            v["headers"][1]["key"],
            serde_json::json!({"base64": "//5u"})
        );
    }

    #[test]
    fn an_unchanged_binary_header_name_round_trips() {
        let mut c = candidate(b"x");
        let before = c.record.clone();
        let text = serde_json::to_string(&[doc_of(&c)]).unwrap();
        let mut docs = parse(&text, std::slice::from_ref(&c)).unwrap();
        apply(&mut c, docs.remove(0)).unwrap();
        assert_eq!(c.record, before);
    }

    #[test]
    fn an_edit_round_trips_into_bytes() {
        let mut c = candidate(br#"{"id":1}"#);
        let text = r#"[{"source":"dlq/0/7","topic":"orders-retry","key":null,
            "value":{"json":{"id":2,"note":"fixed"}},"headers":[{"key":"h","value":"v"}]}]"#;
        let mut docs = parse(text, std::slice::from_ref(&c)).unwrap();
        apply(&mut c, docs.remove(0)).unwrap();
        assert_eq!(c.target, "orders-retry");
        assert_eq!(c.record.key, None);
        assert_eq!(
            c.record.value.as_deref(),
            Some(&br#"{"id":2,"note":"fixed"}"#[..])
        );
        assert_eq!(c.record.headers, vec![(b"h".to_vec(), Some(b"v".to_vec()))]);
    }

    #[test]
    fn unknown_or_repeated_sources_and_bad_json_are_refused() {
        let c = candidate(b"x");
        let one =
            |src: &str| format!(r#"{{"source":"{src}","topic":"t","key":null,"value":null}}"#);
        assert!(parse("[", std::slice::from_ref(&c)).is_err());
        let e = parse(&format!("[{}]", one("dlq/0/8")), std::slice::from_ref(&c)).unwrap_err();
        assert!(e.to_string().contains("do not change `source`"), "{e}");
        let e = parse(
            &format!("[{},{}]", one("dlq/0/7"), one("dlq/0/7")),
            std::slice::from_ref(&c),
        )
        .unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let bad = r#"[{"source":"dlq/0/7","topic":"t","key":null,"value":{"base64":"!!"}}]"#;
        let mut docs = parse(bad, std::slice::from_ref(&c)).unwrap();
        let mut c2 = c.clone();
        assert!(apply(&mut c2, docs.remove(0)).is_err());
    }
}
