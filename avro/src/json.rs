//! An Avro datum as plain JSON, for people reading a DLQ and for fix expressions, and back.
//!
//! Plain JSON means: records are objects, unions are their value (no `{"type": value}`
//! wrapper of Avro's JSON encoding), enums their symbol, maps objects, bytes and fixed
//! `{"base64": "..."}` (as connectctl shows binary everywhere), and decimals their exact digits
//! as a string (`"12.30"`), so no precision is lost to a float. Other logical types stay in
//! their Avro representation (days, milliseconds), which converts back without loss.

use base64::Engine;
use serde_json::{Map, Value as Json, json};

use crate::binary::{self, BinaryError, Datum, Reader};
use crate::schema::{AvroSchema, Kind, NodeId};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct JsonError(pub String);

pub fn datum_kind(d: &Datum) -> &'static str {
    match d {
        Datum::Null => "null",
        Datum::Boolean(_) => "boolean",
        Datum::Int(_) => "int",
        Datum::Long(_) => "long",
        Datum::Float(_) => "float",
        Datum::Double(_) => "double",
        Datum::Bytes(_) => "bytes",
        Datum::String(_) => "string",
        Datum::Record(_) => "record",
        Datum::Enum(_) => "enum",
        Datum::Fixed(_) => "fixed",
        Datum::Array(_) => "array",
        Datum::Map(_) => "map",
        Datum::Union(..) => "union",
    }
}

/// The datum (of `schema`'s root) as plain JSON.
pub fn to_json(schema: &AvroSchema, d: &Datum) -> Json {
    node_to_json(schema, schema.root, d)
}

fn decimal_scale(schema: &AvroSchema, id: NodeId) -> Option<u32> {
    let node = schema.node(id);
    if node.logical_type() != Some("decimal") {
        return None;
    }
    node.props
        .get("scale")
        .and_then(Json::as_u64)
        .map(|s| s as u32)
}

fn node_to_json(schema: &AvroSchema, id: NodeId, d: &Datum) -> Json {
    let node = schema.node(id);
    match d {
        Datum::Null => Json::Null,
        Datum::Boolean(b) => json!(b),
        Datum::Int(i) => json!(i),
        Datum::Long(l) => json!(l),
        Datum::Float(f) => {
            serde_json::Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number)
        }
        Datum::Double(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Datum::String(s) => json!(s),
        Datum::Bytes(b) | Datum::Fixed(b) => match decimal_scale(schema, id)
            .and_then(|scale| connect_plugin_api::data::Decimal::from_bytes(b, scale as i32))
        {
            Some(dec) => json!(decimal_string(dec.unscaled, dec.scale)),
            None => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) }),
        },
        Datum::Enum(i) => match &node.kind {
            Kind::Enum { symbols, .. } => json!(symbols.get(*i)),
            _ => json!(i),
        },
        Datum::Array(items) => {
            let item = match node.kind {
                Kind::Array(item) => item,
                _ => id,
            };
            Json::Array(
                items
                    .iter()
                    .map(|d| node_to_json(schema, item, d))
                    .collect(),
            )
        }
        Datum::Map(entries) => {
            let value = match node.kind {
                Kind::Map(v) => v,
                _ => id,
            };
            Json::Object(
                entries
                    .iter()
                    .map(|(k, d)| (k.clone(), node_to_json(schema, value, d)))
                    .collect(),
            )
        }
        Datum::Record(values) => match &node.kind {
            Kind::Record { fields, .. } => Json::Object(
                fields
                    .iter()
                    .zip(values)
                    .map(|(f, d)| (f.name.clone(), node_to_json(schema, f.ty, d)))
                    .collect(),
            ),
            _ => Json::Null,
        },
        Datum::Union(i, inner) => match &node.kind {
            Kind::Union(branches) => node_to_json(schema, branches[*i], inner),
            _ => Json::Null,
        },
    }
}

/// The Avro binary encoding of a value of `schema`'s root, appended to `out` as JSON text: the
/// bytes serde_json writes for [`to_json`] of the decoded datum, without building the datum or
/// the tree (what `dlq inspect --records -o jsonl` prints per record). On an error `out` is left
/// as it was.
pub fn binary_to_json(
    schema: &AvroSchema,
    bytes: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), BinaryError> {
    let len = out.len();
    let mut r = Reader::new(bytes);
    let result =
        copy_node(schema, schema.root, &mut r, 0, out).and_then(|()| match r.remaining() {
            0 => Ok(()),
            n => Err(BinaryError::Trailing(n)),
        });
    if result.is_err() {
        out.truncate(len);
    }
    result
}

fn copy_node(
    schema: &AvroSchema,
    id: NodeId,
    r: &mut Reader<'_>,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), BinaryError> {
    use connect_json_text as text;
    binary::check_depth(depth)?;
    match &schema.node(id).kind {
        Kind::Null => out.extend_from_slice(b"null"),
        Kind::Boolean => out.extend_from_slice(if r.boolean()? { b"true" } else { b"false" }),
        Kind::Int => text::write_int(out, r.int()?),
        Kind::Long => text::write_int(out, r.long()?),
        Kind::Float => text::write_f64(out, f64::from(r.float()?)),
        Kind::Double => text::write_f64(out, r.double()?),
        Kind::String => text::write_str(out, r.string()?),
        Kind::Bytes => write_bytes(schema, id, r.bytes()?, out),
        Kind::Fixed { size, .. } => write_bytes(schema, id, r.fixed(*size)?, out),
        Kind::Enum { symbols, .. } => text::write_str(out, &symbols[r.enum_index(symbols.len())?]),
        Kind::Record { fields, .. } => {
            out.push(b'{');
            for (n, f) in fields.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                text::write_key(out, &f.name);
                copy_node(schema, f.ty, r, depth + 1, out)?;
            }
            out.push(b'}');
        }
        Kind::Array(items) => {
            out.push(b'[');
            let mut first = true;
            loop {
                let n = r.block()?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    copy_node(schema, *items, r, depth + 1, out)?;
                }
            }
            out.push(b']');
        }
        // A map's keys may repeat in the binary encoding; the object keeps one of each, as the
        // tree does, so maps go through it.
        Kind::Map(_) => {
            let d = binary::read(schema, id, r, depth)?;
            let _ = serde_json::to_writer(&mut *out, &node_to_json(schema, id, &d));
        }
        Kind::Union(branches) => {
            let (_, b) = r.branch(branches)?;
            copy_node(schema, b, r, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Bytes or fixed as [`node_to_json`] shows them: a decimal's digits, else `{"base64": ...}`.
fn write_bytes(schema: &AvroSchema, id: NodeId, b: &[u8], out: &mut Vec<u8>) {
    match decimal_scale(schema, id)
        .and_then(|scale| connect_plugin_api::data::Decimal::from_bytes(b, scale as i32))
    {
        Some(dec) => connect_json_text::write_str(out, &decimal_string(dec.unscaled, dec.scale)),
        None => connect_json_text::write_base64(out, b),
    }
}

fn decimal_string(unscaled: i128, scale: i32) -> String {
    if scale <= 0 {
        let mut s = unscaled.to_string();
        s.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        return s;
    }
    let neg = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale - digits.len() + 1), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

fn parse_decimal(text: &str, scale: u32) -> Option<i128> {
    let text = text.trim();
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > scale as usize || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let digits = format!("{int}{frac}{}", "0".repeat(scale as usize - frac.len()));
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i128 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Plain JSON back to a datum of `schema`'s root: what `dlq replay --fix` re-encodes.
pub fn from_json(schema: &AvroSchema, j: &Json) -> Result<Datum, JsonError> {
    node_from_json(schema, schema.root, j, false, "")
}

/// A field default in Avro's JSON encoding (bytes as ISO-8859-1 strings, a union's default
/// for its first branch).
pub fn from_avro_default(schema: &AvroSchema, id: NodeId, j: &Json) -> Result<Datum, JsonError> {
    node_from_json(schema, id, j, true, "")
}

fn node_from_json(
    schema: &AvroSchema,
    id: NodeId,
    j: &Json,
    avro_default: bool,
    path: &str,
) -> Result<Datum, JsonError> {
    let node = schema.node(id);
    let here = || {
        if path.is_empty() {
            "the value".to_owned()
        } else {
            path.to_owned()
        }
    };
    let bad = || {
        JsonError(format!(
            "{}: expected Avro {}, found {}",
            here(),
            node.type_name(),
            match j {
                Json::Null => "null".to_owned(),
                Json::Object(_) => "an object".to_owned(),
                Json::Array(_) => "an array".to_owned(),
                other => other.to_string(),
            }
        ))
    };
    Ok(match &node.kind {
        Kind::Null => match j {
            Json::Null => Datum::Null,
            _ => return Err(bad()),
        },
        Kind::Boolean => Datum::Boolean(j.as_bool().ok_or_else(bad)?),
        Kind::Int => Datum::Int(
            j.as_i64()
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(bad)?,
        ),
        Kind::Long => Datum::Long(j.as_i64().ok_or_else(bad)?),
        Kind::Float => Datum::Float(j.as_f64().ok_or_else(bad)? as f32),
        Kind::Double => Datum::Double(j.as_f64().ok_or_else(bad)?),
        Kind::String => Datum::String(j.as_str().ok_or_else(bad)?.to_owned()),
        Kind::Bytes | Kind::Fixed { .. } => {
            let bytes = if avro_default {
                j.as_str()
                    .ok_or_else(bad)?
                    .chars()
                    .map(|c| c as u32 as u8)
                    .collect()
            } else if let Some(scale) = decimal_scale(schema, id) {
                let unscaled = match j {
                    Json::String(s) => parse_decimal(s, scale),
                    Json::Number(n) => parse_decimal(&n.to_string(), scale),
                    _ => None,
                }
                .ok_or_else(|| {
                    JsonError(format!(
                        "{}: expected a decimal with at most {scale} digits after the point, found {j}",
                        here()
                    ))
                })?;
                connect_plugin_api::data::Decimal {
                    unscaled,
                    scale: scale as i32,
                }
                .to_bytes()
            } else {
                match j.get("base64").and_then(Json::as_str) {
                    Some(b) => base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_err(|e| JsonError(format!("{}: invalid base64: {e}", here())))?,
                    // Text is taken as its UTF-8 bytes, so a fix can write readable bytes.
                    None => j.as_str().ok_or_else(bad)?.as_bytes().to_vec(),
                }
            };
            match node.kind {
                Kind::Fixed { size, .. } if bytes.len() != size => {
                    return Err(JsonError(format!(
                        "{}: fixed of {size} bytes, found {}",
                        here(),
                        bytes.len()
                    )));
                }
                Kind::Fixed { .. } => Datum::Fixed(bytes),
                _ => Datum::Bytes(bytes),
            }
        }
        Kind::Enum { symbols, name, .. } => {
            let s = j.as_str().ok_or_else(bad)?;
            Datum::Enum(symbols.iter().position(|x| x == s).ok_or_else(|| {
                JsonError(format!(
                    "{}: {s} is not a symbol of enum {name} ({})",
                    here(),
                    symbols.join(", ")
                ))
            })?)
        }
        Kind::Array(item) => Datum::Array(
            j.as_array()
                .ok_or_else(bad)?
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    node_from_json(schema, *item, v, avro_default, &format!("{path}[{i}]"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Kind::Map(value) => Datum::Map(
            j.as_object()
                .ok_or_else(bad)?
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        node_from_json(schema, *value, v, avro_default, &format!("{path}.{k}"))?,
                    ))
                })
                .collect::<Result<_, JsonError>>()?,
        ),
        Kind::Record { fields, name, .. } => {
            let obj: &Map<String, Json> = j.as_object().ok_or_else(bad)?;
            if let Some(unknown) = obj.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
                return Err(JsonError(format!(
                    "{}: record {name} has no field {unknown} (fields: {})",
                    here(),
                    fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let mut values = Vec::with_capacity(fields.len());
            for f in fields {
                let sub = if path.is_empty() {
                    f.name.clone()
                } else {
                    format!("{path}.{}", f.name)
                };
                values.push(match obj.get(&f.name) {
                    Some(v) => node_from_json(schema, f.ty, v, avro_default, &sub)?,
                    None => match &f.default {
                        Some(d) => node_from_json(schema, f.ty, d, true, &sub)?,
                        None => {
                            return Err(JsonError(format!(
                                "{sub}: missing, and record {name} gives it no default"
                            )));
                        }
                    },
                });
            }
            Datum::Record(values)
        }
        Kind::Union(branches) => {
            if avro_default {
                // Avro: a union's default is a value of its first branch.
                let d = node_from_json(schema, branches[0], j, true, path)?;
                return Ok(Datum::Union(0, Box::new(d)));
            }
            if j.is_null()
                && let Some(i) = branches
                    .iter()
                    .position(|b| schema.node(*b).kind == Kind::Null)
            {
                return Ok(Datum::Union(i, Box::new(Datum::Null)));
            }
            let mut first_err = None;
            for (i, b) in branches.iter().enumerate() {
                match node_from_json(schema, *b, j, false, path) {
                    Ok(d) => return Ok(Datum::Union(i, Box::new(d))),
                    Err(e) => {
                        if schema.node(*b).kind != Kind::Null {
                            first_err.get_or_insert(e);
                        }
                    }
                }
            }
            return Err(first_err.unwrap_or_else(bad));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    #[test]
    fn plain_json_round_trips() {
        let s = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[
              {"name":"id","type":"long"},
              {"name":"name","type":["null","string"],"default":null},
              {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
              {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B"]}},
              {"name":"raw","type":"bytes","default":"\u00ff"},
              {"name":"tags","type":{"type":"map","values":"int"}}]}"#,
        )
        .unwrap();
        let j = json!({"id": 7, "name": "x", "price": "-0.05", "kind": "B",
                       "raw": {"base64": "/w=="}, "tags": {"a": 1}});
        let d = from_json(&s, &j).unwrap();
        let mut bytes = Vec::new();
        binary::encode(&s, &d, &mut bytes).unwrap();
        let back = binary::decode(&s, &bytes).unwrap();
        assert_eq!(to_json(&s, &back), j);
        // A missing field takes its default, in Avro's JSON encoding.
        let d = from_json(&s, &json!({"id": 1, "price": "3", "kind": "A", "tags": {}})).unwrap();
        assert_eq!(to_json(&s, &d)["raw"], json!({"base64": "/w=="}));
        assert_eq!(to_json(&s, &d)["price"], json!("3.00"));
        let e = from_json(
            &s,
            &json!({"id": 1, "price": "3.001", "kind": "A", "tags": {}}),
        )
        .unwrap_err();
        assert!(e.0.starts_with("price: expected a decimal"), "{e}");
        let e = from_json(&s, &json!({"id": "x"})).unwrap_err();
        assert_eq!(e.0, "id: expected Avro long, found \"x\"");
    }

    fn written(s: &AvroSchema, d: &Datum) -> String {
        let mut bytes = Vec::new();
        binary::encode(s, d, &mut bytes).unwrap();
        let mut out = b"before ".to_vec();
        binary_to_json(s, &bytes, &mut out).unwrap();
        // Bytes that end early or run on leave the text as it was.
        let mut kept = out.clone();
        assert!(binary_to_json(s, &bytes[..bytes.len() - 1], &mut kept).is_err());
        bytes.push(0);
        assert_eq!(
            binary_to_json(s, &bytes, &mut kept),
            Err(BinaryError::Trailing(1))
        );
        assert_eq!(kept, out);
        String::from_utf8(out[7..].to_vec()).unwrap()
    }

    #[test]
    fn written_text_is_the_trees_text() {
        let s = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[
              {"name":"n","type":"null"},
              {"name":"b","type":"boolean"},
              {"name":"i","type":"int"},
              {"name":"l","type":"long"},
              {"name":"f","type":"float"},
              {"name":"d","type":"double"},
              {"name":"s","type":"string"},
              {"name":"raw","type":"bytes"},
              {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
              {"name":"fx","type":{"type":"fixed","name":"F","size":2}},
              {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B"]}},
              {"name":"list","type":{"type":"array","items":["null","string"]}},
              {"name":"tags","type":{"type":"map","values":"int"}},
              {"name":"inner","type":["null",{"type":"record","name":"I","fields":[{"name":"x","type":"int"}]}]}]}"#,
        )
        .unwrap();
        let strings = ["", "plain", "tab\tand \"quotes\" \\ \u{1}", "é東🦀"];
        let floats = [0.1, -0.0, 1e300, f64::NAN, f64::INFINITY, 3.0];
        for (n, text) in strings.iter().enumerate() {
            for &x in &floats {
                let d = Datum::Record(vec![
                    Datum::Null,
                    Datum::Boolean(n % 2 == 0),
                    Datum::Int(i32::MIN + n as i32),
                    Datum::Long(i64::MAX - n as i64),
                    Datum::Float(x as f32),
                    Datum::Double(x),
                    Datum::String((*text).to_owned()),
                    Datum::Bytes(text.as_bytes().to_vec()),
                    Datum::Bytes(vec![0xff, n as u8]),
                    Datum::Fixed(vec![n as u8, 0x80]),
                    Datum::Enum(n % 2),
                    Datum::Array(vec![
                        Datum::Union(0, Box::new(Datum::Null)),
                        Datum::Union(1, Box::new(Datum::String((*text).to_owned()))),
                    ]),
                    // Repeated keys keep one member, as in the tree.
                    Datum::Map(vec![
                        ((*text).to_owned(), Datum::Int(1)),
                        ("k".to_owned(), Datum::Int(2)),
                        ((*text).to_owned(), Datum::Int(3)),
                    ]),
                    Datum::Union(1, Box::new(Datum::Record(vec![Datum::Int(n as i32)]))),
                ]);
                let tree = serde_json::to_string(&to_json(&s, &d)).unwrap();
                assert_eq!(written(&s, &d), tree);
            }
        }
    }

    #[test]
    fn decimals_print_exactly() {
        assert_eq!(decimal_string(1234, 2), "12.34");
        assert_eq!(decimal_string(-5, 3), "-0.005");
        assert_eq!(decimal_string(5, 0), "5");
        assert_eq!(parse_decimal("12.3", 2), Some(1230));
        assert_eq!(parse_decimal("1e3", 2), None);
    }
}
