//! `--fix` expressions: small, declarative edits applied to a DLQ record before it is replayed.
//!
//! They are deliberately not a scripting language: every fix is data (parsed once, applied to
//! many records), cannot run code, and either applies cleanly or reports why it could not, so a
//! record is never silently mangled. Paths address JSON inside the key or value
//! (`value.customer.address.zip`, `key.id`); `value` alone is the whole value.
//!
//! Grammar (one fix per `--fix` or per line of a `--fix-file`, `#` starts a comment):
//! ```text
//! set PATH=JSON              drop PATH                   rename PATH=NEWNAME
//! cast PATH:int32|int64|float64|string|boolean           flatten [value|key] [DELIM]
//! replace PATH /REGEX/REPLACEMENT/                       wrap-schema [value|key]
//! unwrap-schema [value|key]  set-header NAME=VALUE       drop-header NAME
//! ```

use std::fmt;

use regex::Regex;
use serde_json::{Map, Number, Value};

/// Which part of the record a path or fix addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Key => "key",
            Part::Value => "value",
        })
    }
}

/// A location inside the key or value: the part and the object field names below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub part: Part,
    pub fields: Vec<String>,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.part)?;
        for field in &self.fields {
            write!(f, ".{field}")?;
        }
        Ok(())
    }
}

/// Target types of `cast`, named as Kafka Connect's Cast SMT names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastType {
    Int32,
    Int64,
    Float64,
    String,
    Boolean,
}

/// One parsed fix.
#[derive(Debug, Clone)]
pub enum Fix {
    Set {
        path: Path,
        value: Value,
    },
    Drop {
        path: Path,
    },
    Rename {
        path: Path,
        new_name: String,
    },
    Cast {
        path: Path,
        to: CastType,
    },
    Flatten {
        part: Part,
        delimiter: String,
    },
    Replace {
        path: Path,
        regex: Regex,
        replacement: String,
    },
    WrapSchema {
        part: Part,
    },
    UnwrapSchema {
        part: Part,
    },
    SetHeader {
        name: String,
        value: String,
    },
    DropHeader {
        name: String,
    },
}

/// A fix expression that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fix '{input}': {reason}")]
pub struct FixParseError {
    pub input: String,
    pub reason: String,
}

/// Why a fix could not be applied to one record. The record is then skipped (or the replay
/// aborts with `--strict`), never sent half-fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("{part} is null (a tombstone)")]
    Null { part: Part },
    #[error("{part} is not valid JSON: {reason}")]
    NotJson { part: Part, reason: String },
    #[error("{part} is Avro: {reason}")]
    Avro { part: Part, reason: String },
    #[error("{path} does not exist")]
    Missing { path: String },
    #[error("{path} is {found}, not an object")]
    NotAnObject { path: String, found: &'static str },
    #[error("cannot cast {path} ({value}) to {to}: {reason}")]
    Cast {
        path: String,
        value: String,
        to: &'static str,
        reason: String,
    },
    #[error("{path} is {found}, not a string")]
    NotAString { path: String, found: &'static str },
    #[error(
        "{part} is not a JsonConverter envelope (an object with exactly 'schema' and 'payload')"
    )]
    NotAnEnvelope { part: Part },
    #[error("{part} is already a JsonConverter envelope")]
    AlreadyEnveloped { part: Part },
    #[error("cannot rename {path}: the field {new_name} already exists")]
    RenameTargetExists { path: String, new_name: String },
}

/// The parts of a record that fixes may change. Headers keep their order; their names are bytes,
/// as Kafka allows, so a name that is not UTF-8 is replayed exactly as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editable {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl CastType {
    fn name(self) -> &'static str {
        match self {
            CastType::Int32 => "int32",
            CastType::Int64 => "int64",
            CastType::Float64 => "float64",
            CastType::String => "string",
            CastType::Boolean => "boolean",
        }
    }
}

fn parse_part(s: &str) -> Option<Part> {
    match s {
        "value" => Some(Part::Value),
        "key" => Some(Part::Key),
        _ => None,
    }
}

fn parse_path(s: &str) -> Result<Path, String> {
    let s = s.trim();
    let mut it = s.split('.');
    let part = it
        .next()
        .and_then(parse_part)
        .ok_or_else(|| format!("path '{s}' must start with 'value' or 'key'"))?;
    let fields: Vec<String> = it.map(str::to_owned).collect();
    if fields.iter().any(String::is_empty) {
        return Err(format!("path '{s}' has an empty field name"));
    }
    Ok(Path { part, fields })
}

fn field_path(s: &str) -> Result<Path, String> {
    let path = parse_path(s)?;
    if path.fields.is_empty() {
        return Err(format!(
            "'{s}' names the whole {}; name a field, e.g. {}.id",
            path.part, path.part
        ));
    }
    Ok(path)
}

impl Fix {
    /// Parses one expression.
    pub fn parse(input: &str) -> Result<Fix, FixParseError> {
        let err = |reason: String| FixParseError {
            input: input.to_owned(),
            reason,
        };
        let trimmed = input.trim();
        let (op, rest) = trimmed
            .split_once(char::is_whitespace)
            .unwrap_or((trimmed, ""));
        let rest = rest.trim();
        let part_arg = |rest: &str| -> Result<Part, String> {
            if rest.is_empty() {
                Ok(Part::Value)
            } else {
                parse_part(rest).ok_or_else(|| format!("expected 'value' or 'key', got '{rest}'"))
            }
        };
        let fix = match op {
            "set" => {
                let (p, json) = rest
                    .split_once('=')
                    .ok_or_else(|| err("expected set PATH=JSON".into()))?;
                let value = serde_json::from_str(json.trim()).map_err(|e| {
                    err(format!(
                        "the value is not JSON ({e}); quote strings: set value.x=\"text\""
                    ))
                })?;
                Fix::Set {
                    path: parse_path(p).map_err(err)?,
                    value,
                }
            }
            "drop" => Fix::Drop {
                path: field_path(rest).map_err(err)?,
            },
            "rename" => {
                let (p, new) = rest
                    .split_once('=')
                    .ok_or_else(|| err("expected rename PATH=NEWNAME".into()))?;
                let new_name = new.trim();
                if new_name.is_empty() || new_name.contains('.') {
                    return Err(err("NEWNAME must be a plain field name".into()));
                }
                Fix::Rename {
                    path: field_path(p).map_err(err)?,
                    new_name: new_name.to_owned(),
                }
            }
            "cast" => {
                let (p, t) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| err("expected cast PATH:TYPE".into()))?;
                let to = match t.trim() {
                    "int32" => CastType::Int32,
                    "int64" => CastType::Int64,
                    "float64" => CastType::Float64,
                    "string" => CastType::String,
                    "boolean" => CastType::Boolean,
                    other => {
                        return Err(err(format!(
                            "unknown type '{other}'; use int32, int64, float64, string or boolean"
                        )));
                    }
                };
                Fix::Cast {
                    path: parse_path(p).map_err(err)?,
                    to,
                }
            }
            "flatten" => {
                let mut words = rest.split_whitespace();
                let mut part = Part::Value;
                let mut delimiter = ".".to_owned();
                if let Some(w) = words.next() {
                    match parse_part(w) {
                        Some(p) => {
                            part = p;
                            if let Some(d) = words.next() {
                                delimiter = d.to_owned();
                            }
                        }
                        None => delimiter = w.to_owned(),
                    }
                }
                if words.next().is_some() {
                    return Err(err("expected flatten [value|key] [DELIM]".into()));
                }
                Fix::Flatten { part, delimiter }
            }
            "replace" => {
                let (p, pattern) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| err("expected replace PATH /REGEX/REPLACEMENT/".into()))?;
                let (regex, replacement) = parse_sed(pattern.trim()).map_err(err)?;
                Fix::Replace {
                    path: parse_path(p).map_err(err)?,
                    regex,
                    replacement,
                }
            }
            "wrap-schema" => Fix::WrapSchema {
                part: part_arg(rest).map_err(err)?,
            },
            "unwrap-schema" => Fix::UnwrapSchema {
                part: part_arg(rest).map_err(err)?,
            },
            "set-header" => {
                let (name, value) = rest
                    .split_once('=')
                    .ok_or_else(|| err("expected set-header NAME=VALUE".into()))?;
                if name.trim().is_empty() {
                    return Err(err("the header name is empty".into()));
                }
                Fix::SetHeader {
                    name: name.trim().to_owned(),
                    value: value.to_owned(),
                }
            }
            "drop-header" => {
                if rest.is_empty() {
                    return Err(err("expected drop-header NAME".into()));
                }
                Fix::DropHeader {
                    name: rest.to_owned(),
                }
            }
            "" => return Err(err("empty fix".into())),
            other => {
                return Err(err(format!(
                    "unknown fix '{other}'; use set, drop, rename, cast, flatten, replace, \
                     wrap-schema, unwrap-schema, set-header or drop-header"
                )));
            }
        };
        Ok(fix)
    }

    /// Parses a fix file: one fix per line, blank lines and `#` comments ignored.
    pub fn parse_file(text: &str) -> Result<Vec<Fix>, FixParseError> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(Fix::parse)
            .collect()
    }

    /// The part of the record this fix edits (`None` for header fixes).
    fn part(&self) -> Option<Part> {
        match self {
            Fix::Set { path, .. }
            | Fix::Drop { path }
            | Fix::Rename { path, .. }
            | Fix::Cast { path, .. }
            | Fix::Replace { path, .. } => Some(path.part),
            Fix::Flatten { part, .. } | Fix::WrapSchema { part } | Fix::UnwrapSchema { part } => {
                Some(*part)
            }
            Fix::SetHeader { .. } | Fix::DropHeader { .. } => None,
        }
    }
}

/// `/REGEX/REPLACEMENT/`, where `\/` escapes a slash inside either half.
fn parse_sed(s: &str) -> Result<(Regex, String), String> {
    let body = s
        .strip_prefix('/')
        .and_then(|b| b.strip_suffix('/'))
        .ok_or_else(|| format!("'{s}' must look like /REGEX/REPLACEMENT/"))?;
    let mut halves = vec![String::new()];
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                halves.last_mut().unwrap().push('/');
            }
            '/' => halves.push(String::new()),
            c => halves.last_mut().unwrap().push(c),
        }
    }
    if halves.len() != 2 {
        return Err(format!(
            "'{s}' must have exactly two parts: /REGEX/REPLACEMENT/"
        ));
    }
    let regex = Regex::new(&halves[0]).map_err(|e| format!("bad regex: {e}"))?;
    Ok((regex, halves.pop().unwrap()))
}

/// Applies fixes in order. On the first failure the record is left as it was and the error
/// says which fix failed and why.
pub fn apply_all(fixes: &[Fix], record: &Editable) -> Result<Editable, (usize, FixError)> {
    apply_all_avro(fixes, record.clone(), None, None)
}

/// [`apply_all`], with keys and values in the Confluent Avro wire format decoded through the
/// registry, fixed as JSON and re-encoded with the schema they were written with, or, for a
/// value, with `register`'s schema (subject, schema text), registered first. Takes the record,
/// so a replay copies nothing it does not change; on a failure it is gone with the error.
pub fn apply_all_avro(
    fixes: &[Fix],
    record: Editable,
    avro: Option<&std::sync::Mutex<crate::avro::AvroDecoder>>,
    register: Option<(&str, &str)>,
) -> Result<Editable, (usize, FixError)> {
    let mut out = record;
    // The schema id of an Avro key and value, to encode them back with.
    let mut avro_ids: [Option<u32>; 2] = [None, None];
    // A part whose only fix is wrap-schema (the usual replay of a schemas.enable mismatch) is
    // wrapped straight from its bytes, with the schema cached per record shape.
    let only_wrap = |part: Part| {
        let mut of_part = fixes.iter().filter(|f| f.part() == Some(part));
        matches!(
            (of_part.next(), of_part.next()),
            (Some(Fix::WrapSchema { .. }), None)
        )
    };
    let fast = [Part::Key, Part::Value].map(only_wrap);
    // Decode each part once, edit the JSON, encode once: fixes compose without re-parsing.
    let mut key_json: Option<Option<Value>> = None;
    let mut value_json: Option<Option<Value>> = None;
    for (i, fix) in fixes.iter().enumerate() {
        if let Some(part) = fix.part().filter(|p| fast[*p as usize]) {
            let bytes = match part {
                Part::Key => &mut out.key,
                Part::Value => &mut out.value,
            };
            let Some(b) = bytes.as_deref() else {
                return Err((i, FixError::Null { part }));
            };
            *bytes = Some(crate::wrap::wrap(b, part).map_err(|e| (i, e))?);
            continue;
        }
        let slot = match fix.part() {
            Some(Part::Key) => Some((&mut key_json, &out.key, Part::Key)),
            Some(Part::Value) => Some((&mut value_json, &out.value, Part::Value)),
            None => None,
        };
        match slot {
            Some((json, bytes, part)) => {
                if json.is_none() {
                    let framed = bytes
                        .as_deref()
                        .filter(|b| connect_avro::wire::is_framed(b));
                    *json = Some(match (avro, framed) {
                        (Some(dec), Some(b)) => {
                            let mut dec = dec.lock().unwrap_or_else(|p| p.into_inner());
                            let d = dec.decode(Some(b)).expect("framed bytes decode to Some");
                            match d.json {
                                Some(j) => {
                                    avro_ids[part as usize] = Some(d.schema.id);
                                    Some(j)
                                }
                                None => {
                                    return Err((
                                        i,
                                        FixError::Avro {
                                            part,
                                            reason: d.schema.error.unwrap_or_default(),
                                        },
                                    ));
                                }
                            }
                        }
                        _ => decode(bytes.as_deref(), part).map_err(|e| (i, e))?,
                    });
                }
                let doc = json.as_mut().unwrap();
                let doc = doc.as_mut().ok_or((i, FixError::Null { part }))?;
                apply_json(fix, doc).map_err(|e| (i, e))?;
            }
            None => apply_header(fix, &mut out.headers),
        }
    }
    for (json, slot, part) in [
        (key_json, &mut out.key, Part::Key),
        (value_json, &mut out.value, Part::Value),
    ] {
        let Some(Some(v)) = json else { continue };
        *slot = Some(match (avro_ids[part as usize], avro) {
            (Some(id), Some(dec)) => {
                let mut dec = dec.lock().unwrap_or_else(|p| p.into_inner());
                // The index of the last fix of this part, for the error report.
                let last = fixes
                    .iter()
                    .rposition(|f| f.part() == Some(part))
                    .unwrap_or(0);
                match (part, register) {
                    (Part::Value, Some((subject, schema))) => dec
                        .encode_registering(subject, schema, &v)
                        .map(|(_, bytes)| bytes),
                    _ => dec.encode(id, &v),
                }
                .map_err(|reason| (last, FixError::Avro { part, reason }))?
            }
            _ => serde_json::to_vec(&v).expect("a JSON value always serialises"),
        });
    }
    Ok(out)
}

fn decode(bytes: Option<&[u8]>, part: Part) -> Result<Option<Value>, FixError> {
    match bytes {
        None => Ok(None),
        Some(b) => serde_json::from_slice(b)
            .map(Some)
            .map_err(|e| FixError::NotJson {
                part,
                reason: e.to_string(),
            }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The object that holds the last field of `path`, and that field's name. With `create`, missing
/// intermediate objects are made (for `set value.a.b=1` on `{}`); otherwise they are an error.
fn parent_mut<'a>(
    doc: &'a mut Value,
    path: &'a Path,
    create: bool,
) -> Result<(&'a mut Map<String, Value>, &'a str), FixError> {
    let (last, init) = path
        .fields
        .split_last()
        .expect("field paths are never empty");
    let mut cur = doc;
    let mut walked = Path {
        part: path.part,
        fields: Vec::new(),
    };
    for f in init {
        let found = kind(cur);
        let obj = cur.as_object_mut().ok_or_else(|| FixError::NotAnObject {
            path: walked.to_string(),
            found,
        })?;
        walked.fields.push(f.clone());
        cur = if create {
            obj.entry(f.clone())
                .or_insert_with(|| Value::Object(Map::new()))
        } else {
            obj.get_mut(f).ok_or_else(|| FixError::Missing {
                path: walked.to_string(),
            })?
        };
    }
    let found = kind(cur);
    let obj = cur.as_object_mut().ok_or_else(|| FixError::NotAnObject {
        path: walked.to_string(),
        found,
    })?;
    Ok((obj, last.as_str()))
}

fn get_mut<'a>(doc: &'a mut Value, path: &'a Path) -> Result<&'a mut Value, FixError> {
    if path.fields.is_empty() {
        return Ok(doc);
    }
    let (obj, last) = parent_mut(doc, path, false)?;
    obj.get_mut(last).ok_or_else(|| FixError::Missing {
        path: path.to_string(),
    })
}

fn apply_json(fix: &Fix, doc: &mut Value) -> Result<(), FixError> {
    match fix {
        Fix::Set { path, value } => {
            if path.fields.is_empty() {
                *doc = value.clone();
            } else {
                let (obj, last) = parent_mut(doc, path, true)?;
                obj.insert(last.to_owned(), value.clone());
            }
        }
        Fix::Drop { path } => {
            let (obj, last) = parent_mut(doc, path, false)?;
            obj.shift_remove(last).ok_or_else(|| FixError::Missing {
                path: path.to_string(),
            })?;
        }
        Fix::Rename { path, new_name } => {
            let (obj, last) = parent_mut(doc, path, false)?;
            if obj.contains_key(new_name) {
                return Err(FixError::RenameTargetExists {
                    path: path.to_string(),
                    new_name: new_name.clone(),
                });
            }
            // Keep the field where it was so the record's shape stays recognisable.
            let idx = obj
                .keys()
                .position(|k| k == last)
                .ok_or_else(|| FixError::Missing {
                    path: path.to_string(),
                })?;
            let value = obj.shift_remove(last).unwrap();
            obj.shift_insert(idx, new_name.clone(), value);
        }
        Fix::Cast { path, to } => {
            let target = get_mut(doc, path)?;
            *target = cast(target, *to).map_err(|reason| FixError::Cast {
                path: path.to_string(),
                value: target.to_string(),
                to: to.name(),
                reason,
            })?;
        }
        Fix::Flatten { delimiter, .. } => {
            if let Value::Object(obj) = doc {
                let mut flat = Map::new();
                flatten_into(&mut flat, "", delimiter, std::mem::take(obj));
                *obj = flat;
            } else {
                return Err(FixError::NotAnObject {
                    path: fix.part().unwrap().to_string(),
                    found: kind(doc),
                });
            }
        }
        Fix::Replace {
            path,
            regex,
            replacement,
        } => {
            let target = get_mut(doc, path)?;
            let found = kind(target);
            let s = target.as_str().ok_or_else(|| FixError::NotAString {
                path: path.to_string(),
                found,
            })?;
            *target = Value::String(regex.replace_all(s, replacement.as_str()).into_owned());
        }
        Fix::WrapSchema { part } => {
            if is_envelope(doc) {
                return Err(FixError::AlreadyEnveloped { part: *part });
            }
            let schema = infer_schema(doc);
            let payload = std::mem::take(doc);
            let mut env = Map::new();
            env.insert("schema".into(), schema);
            env.insert("payload".into(), payload);
            *doc = Value::Object(env);
        }
        Fix::UnwrapSchema { part } => {
            if !is_envelope(doc) {
                return Err(FixError::NotAnEnvelope { part: *part });
            }
            let payload = doc
                .as_object_mut()
                .unwrap()
                .shift_remove("payload")
                .unwrap();
            *doc = payload;
        }
        Fix::SetHeader { .. } | Fix::DropHeader { .. } => unreachable!("header fixes have no part"),
    }
    Ok(())
}

fn apply_header(fix: &Fix, headers: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>) {
    match fix {
        Fix::SetHeader { name, value } => {
            headers.retain(|(n, _)| n != name.as_bytes());
            headers.push((name.clone().into_bytes(), Some(value.clone().into_bytes())));
        }
        Fix::DropHeader { name } => headers.retain(|(n, _)| n != name.as_bytes()),
        _ => unreachable!("only header fixes have no part"),
    }
}

/// The exact shape JsonConverter requires with `schemas.enable=true`.
pub(crate) fn is_envelope(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 2 && o.contains_key("schema") && o.contains_key("payload"))
}

fn cast(v: &Value, to: CastType) -> Result<Value, String> {
    let as_f64 = |v: &Value| -> Result<f64, String> {
        match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| "not a finite number".into()),
            Value::String(s) => s.trim().parse::<f64>().map_err(|_| "not a number".into()),
            Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
            other => Err(format!("{} cannot be cast", kind(other))),
        }
    };
    let as_i64 = |v: &Value| -> Result<i64, String> {
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Ok(i),
                None => {
                    let f = n.as_f64().ok_or("not a finite number")?;
                    // Like the Cast SMT, a fractional number is truncated; out of range fails.
                    if f.is_finite() && f >= i64::MIN as f64 && f <= i64::MAX as f64 {
                        Ok(f.trunc() as i64)
                    } else {
                        Err("out of range".into())
                    }
                }
            },
            Value::String(s) => s.trim().parse::<i64>().map_err(|_| "not an integer".into()),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(format!("{} cannot be cast", kind(other))),
        }
    };
    match to {
        CastType::Int64 => as_i64(v).map(Value::from),
        CastType::Int32 => {
            let i = as_i64(v)?;
            i32::try_from(i)
                .map(Value::from)
                .map_err(|_| "out of int32 range".into())
        }
        CastType::Float64 => {
            let f = as_f64(v)?;
            Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| "not a finite number".into())
        }
        CastType::String => Ok(Value::String(match v {
            Value::String(s) => s.clone(),
            Value::Null => return Err("null cannot be cast".into()),
            other => other.to_string(),
        })),
        CastType::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::Number(n) => Ok(Value::Bool(n.as_f64() != Some(0.0))),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("not 'true' or 'false'".into()),
            },
            other => Err(format!("{} cannot be cast", kind(other))),
        },
    }
}

/// Like the Flatten SMT: nested object fields become `outer<DELIM>inner`; arrays stay as they are.
fn flatten_into(out: &mut Map<String, Value>, prefix: &str, delim: &str, obj: Map<String, Value>) {
    for (k, v) in obj {
        let name = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}{delim}{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten_into(out, &name, delim, inner),
            other => {
                out.insert(name, other);
            }
        }
    }
}

/// A JsonConverter schema for a plain JSON value, as Connect would need to read it back:
/// objects become structs (fields in their order), integers int64, other numbers double.
/// A null gives an optional string, the only choice that a later non-null string still fits.
pub fn infer_schema(v: &Value) -> Value {
    use serde_json::json;
    match v {
        Value::Null => json!({"type": "string", "optional": true}),
        Value::Bool(_) => json!({"type": "boolean", "optional": false}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "int64", "optional": false}),
        Value::Number(_) => json!({"type": "double", "optional": false}),
        Value::String(_) => json!({"type": "string", "optional": false}),
        Value::Array(items) => {
            let item = items
                .iter()
                .find(|i| !i.is_null())
                .map(infer_schema)
                .unwrap_or_else(|| json!({"type": "string", "optional": true}));
            json!({"type": "array", "items": item, "optional": false})
        }
        Value::Object(fields) => {
            let fields: Vec<Value> = fields
                .iter()
                .map(|(name, value)| {
                    let mut s = infer_schema(value);
                    s.as_object_mut()
                        .unwrap()
                        .insert("field".into(), Value::String(name.clone()));
                    s
                })
                .collect();
            json!({"type": "struct", "fields": fields, "optional": false})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(value: &str) -> Editable {
        Editable {
            key: Some(br#"{"id":7}"#.to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: vec![],
        }
    }

    fn run(fixes: &[&str], value: &str) -> Result<Value, (usize, FixError)> {
        let fixes: Vec<Fix> = fixes.iter().map(|f| Fix::parse(f).unwrap()).collect();
        apply_all(&fixes, &rec(value)).map(|r| serde_json::from_slice(&r.value.unwrap()).unwrap())
    }

    fn err(fixes: &[&str], value: &str) -> FixError {
        run(fixes, value).unwrap_err().1
    }

    #[test]
    fn set_creates_and_overwrites() {
        assert_eq!(
            run(&["set value.a.b=1"], "{}").unwrap(),
            json!({"a": {"b": 1}})
        );
        assert_eq!(
            run(&[r#"set value.name="x""#], r#"{"name":"y"}"#).unwrap(),
            json!({"name": "x"})
        );
        assert_eq!(run(&["set value=[1,2]"], "{}").unwrap(), json!([1, 2]));
        assert!(matches!(
            err(&["set value.a.b=1"], r#"{"a":3}"#),
            FixError::NotAnObject { .. }
        ));
    }

    #[test]
    fn drop_removes_or_reports_missing() {
        assert_eq!(
            run(&["drop value.a"], r#"{"a":1,"b":2}"#).unwrap(),
            json!({"b": 2})
        );
        assert_eq!(
            err(&["drop value.zz"], r#"{"a":1}"#),
            FixError::Missing {
                path: "value.zz".into()
            }
        );
        assert_eq!(
            err(&["drop value.x.y"], r#"{"a":1}"#),
            FixError::Missing {
                path: "value.x".into()
            }
        );
    }

    #[test]
    fn rename_keeps_position() {
        let v = run(&["rename value.b=beta"], r#"{"a":1,"b":2,"c":3}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":1,"beta":2,"c":3}"#
        );
        assert!(matches!(
            err(&["rename value.a=c"], r#"{"a":1,"c":3}"#),
            FixError::RenameTargetExists { .. }
        ));
        assert!(matches!(
            err(&["rename value.q=r"], r#"{"a":1}"#),
            FixError::Missing { .. }
        ));
    }

    #[test]
    fn cast_types_and_errors() {
        assert_eq!(
            run(&["cast value.n:int32"], r#"{"n":"42"}"#).unwrap(),
            json!({"n": 42})
        );
        assert_eq!(
            run(&["cast value.n:int64"], r#"{"n":4.9}"#).unwrap(),
            json!({"n": 4})
        );
        assert_eq!(
            run(&["cast value.n:float64"], r#"{"n":"1.5"}"#).unwrap(),
            json!({"n": 1.5})
        );
        assert_eq!(
            run(&["cast value.n:string"], r#"{"n":12}"#).unwrap(),
            json!({"n": "12"})
        );
        assert_eq!(
            run(&["cast value.n:boolean"], r#"{"n":"TRUE"}"#).unwrap(),
            json!({"n": true})
        );
        assert!(matches!(
            err(&["cast value.n:int32"], r#"{"n":"abc"}"#),
            FixError::Cast { .. }
        ));
        assert!(matches!(
            err(&["cast value.n:int32"], r#"{"n":9999999999}"#),
            FixError::Cast { .. }
        ));
        assert!(matches!(
            err(&["cast value.n:int64"], r#"{"n":{"x":1}}"#),
            FixError::Cast { .. }
        ));
        assert!(matches!(
            err(&["cast value.n:int64"], r#"{}"#),
            FixError::Missing { .. }
        ));
    }

    #[test]
    fn flatten_like_the_smt() {
        let v = run(&["flatten"], r#"{"a":{"b":{"c":1},"d":[1]},"e":2}"#).unwrap();
        assert_eq!(v, json!({"a.b.c": 1, "a.d": [1], "e": 2}));
        let v = run(&["flatten value _"], r#"{"a":{"b":1}}"#).unwrap();
        assert_eq!(v, json!({"a_b": 1}));
        assert!(matches!(
            err(&["flatten"], "[1]"),
            FixError::NotAnObject { .. }
        ));
    }

    #[test]
    fn replace_with_regex() {
        let v = run(&[r"replace value.zip /\s+//"], r#"{"zip":"12 345"}"#).unwrap();
        assert_eq!(v, json!({"zip": "12345"}));
        let v = run(&[r"replace value.p /a\/b/c\/d/"], r#"{"p":"xa/b"}"#).unwrap();
        assert_eq!(v, json!({"p": "xc/d"}));
        assert!(matches!(
            err(&["replace value.n /1/2/"], r#"{"n":1}"#),
            FixError::NotAString { .. }
        ));
    }

    #[test]
    fn wrap_and_unwrap_schema() {
        let v = run(
            &["wrap-schema"],
            r#"{"id":1,"name":"x","score":1.5,"tags":["a"],"opt":null}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"schema": {"type": "struct", "fields": [
                {"type": "int64", "optional": false, "field": "id"},
                {"type": "string", "optional": false, "field": "name"},
                {"type": "double", "optional": false, "field": "score"},
                {"type": "array", "items": {"type": "string", "optional": false}, "optional": false, "field": "tags"},
                {"type": "string", "optional": true, "field": "opt"}
            ], "optional": false},
            "payload": {"id": 1, "name": "x", "score": 1.5, "tags": ["a"], "opt": null}})
        );
        assert_eq!(
            run(&["wrap-schema", "unwrap-schema"], r#"{"a":1}"#).unwrap(),
            json!({"a": 1})
        );
        assert!(matches!(
            err(&["unwrap-schema"], r#"{"a":1}"#),
            FixError::NotAnEnvelope { .. }
        ));
        assert!(matches!(
            err(&["wrap-schema"], r#"{"schema":null,"payload":1}"#),
            FixError::AlreadyEnveloped { .. }
        ));
    }

    #[test]
    fn headers() {
        let fixes = [
            Fix::parse("set-header a=1").unwrap(),
            Fix::parse("drop-header b").unwrap(),
        ];
        let mut r = rec("{}");
        r.headers = vec![
            (b"b".to_vec(), None),
            (b"a".to_vec(), Some(b"0".to_vec())),
            (vec![0xff, b'c'], None),
        ];
        let out = apply_all(&fixes, &r).unwrap();
        assert_eq!(
            out.headers,
            vec![
                (vec![0xff, b'c'], None),
                (b"a".to_vec(), Some(b"1".to_vec()))
            ]
        );
        assert_eq!(out.value, r.value, "untouched parts keep their exact bytes");
    }

    #[test]
    fn key_fixes_and_untouched_bytes() {
        let fixes = [Fix::parse("set key.id=8").unwrap()];
        let r = rec("not json at all");
        let out = apply_all(&fixes, &r).unwrap();
        assert_eq!(out.key.unwrap(), br#"{"id":8}"#);
        assert_eq!(out.value, r.value);
    }

    #[test]
    fn bad_records_are_reported_not_mangled() {
        assert!(matches!(
            err(&["drop value.a"], "not json"),
            FixError::NotJson {
                part: Part::Value,
                ..
            }
        ));
        let mut tomb = rec("{}");
        tomb.value = None;
        let e = apply_all(&[Fix::parse("drop value.a").unwrap()], &tomb).unwrap_err();
        assert_eq!(e, (0, FixError::Null { part: Part::Value }));
        // The failing fix's index is reported.
        let e = run(&["set value.a=1", "drop value.zz"], "{}").unwrap_err();
        assert_eq!(e.0, 1);
    }

    #[test]
    fn parse_errors_say_what_to_do() {
        for bad in [
            "",
            "explode value",
            "set value.a",
            "set value.a=not json",
            "drop value",
            "drop payload.a",
            "cast value.a:int128",
            "rename value.a=b.c",
            "replace value.a 1/2",
            "replace value.a /(/x/",
            "flatten value . extra",
            "wrap-schema both",
            "drop value..a",
        ] {
            let e = Fix::parse(bad).unwrap_err();
            assert!(!e.reason.is_empty(), "{bad}");
        }
        assert!(Fix::parse("set value.a=\"text\"").is_ok());
        let fixes = Fix::parse_file("# comment\n\nflatten\n  drop value.x  \n").unwrap();
        assert_eq!(fixes.len(), 2);
    }
}
