//! Payload JSON <-> Connect values (`convertToJson` / `convertToConnect`), logical types
//! (Decimal, Date, Time, Timestamp) and the schemaless inference.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Number, Value as Json};

use super::{DecimalFormat, JsonConverter};
use crate::converters::java_class;
use crate::data::{self, Decimal, JavaHashMap, Schema, Struct, Type, Value};
use crate::error::{ConnectError, class};

impl JsonConverter {
    /// `convertToJson`: a Connect value (with an optional schema) to JSON.
    pub fn value_to_json(
        &self,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Json, ConnectError> {
        if value.is_null() {
            let Some(schema) = schema else {
                return Ok(Json::Null);
            };
            if let (Some(d), true) = (&schema.default, self.replace_null_with_default) {
                return self.value_to_json(Some(schema), d);
            }
            if schema.optional {
                return Ok(Json::Null);
            }
            return Err(ConnectError::data(
                "Conversion error: null value for field that is required and has no default value",
            ));
        }
        // Logical types are recognised by the schema name, as in Apache.
        if let Some(name) = schema.and_then(|s| s.name.as_deref()) {
            match (name, value) {
                (data::DECIMAL, Value::Decimal(d)) => {
                    return Ok(match self.decimal_format {
                        DecimalFormat::Base64 => Json::String(B64.encode(d.to_bytes())),
                        DecimalFormat::Numeric => decimal_number(d),
                    });
                }
                (data::DECIMAL, other) => {
                    return Err(ConnectError::data(format!(
                        "Invalid type for Decimal, expected BigDecimal but was {}",
                        java_class(other)
                    )));
                }
                (data::DATE, Value::Date(d)) => return Ok(Json::from(*d)),
                (data::TIME, Value::Time(t)) => return Ok(Json::from(*t)),
                (data::TIMESTAMP, Value::Timestamp(t)) => return Ok(Json::from(*t)),
                (data::DATE | data::TIME | data::TIMESTAMP, other) if !is_date(other) => {
                    let logical = name.rsplit('.').next().unwrap_or(name);
                    return Err(ConnectError::data(format!(
                        "Invalid type for {logical}, expected Date but was {}",
                        java_class(other)
                    )));
                }
                _ => {}
            }
        }
        let ty = match schema {
            Some(s) => s.ty,
            None => match infer_type(value) {
                Some(t) => t,
                None => {
                    return Err(ConnectError::data(format!(
                        "Java class {} does not have corresponding schema type.",
                        java_class(value)
                    )));
                }
            },
        };
        let mismatch = || {
            let t = schema.map_or("unknown schema", |s| s.ty.java_name());
            ConnectError::data(format!("Invalid type for {t}: {}", java_class(value)))
        };
        Ok(match (ty, value) {
            (Type::Int8, Value::Int8(v)) => Json::from(*v),
            (Type::Int16, Value::Int16(v)) => Json::from(*v),
            (Type::Int32, Value::Int32(v)) => Json::from(*v),
            (Type::Int64, Value::Int64(v)) => Json::from(*v),
            (Type::Float32, Value::Float32(v)) => float32_json(*v),
            (Type::Float64, Value::Float64(v)) => {
                Number::from_f64(*v).map_or_else(|| non_finite(*v), Json::Number)
            }
            (Type::Boolean, Value::Boolean(v)) => Json::Bool(*v),
            (Type::String, Value::String(v)) => Json::String(v.clone()),
            (Type::Bytes, Value::Bytes(v)) => Json::String(B64.encode(v)),
            (Type::Array, Value::Array(items)) => {
                let elem = schema.and_then(|s| s.value_schema.as_deref());
                Json::Array(
                    items
                        .iter()
                        .map(|i| self.value_to_json(elem, i))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Type::Map, Value::Map(entries)) => {
                let (ks, vs) = match schema {
                    Some(s) => (s.key_schema.as_deref(), s.value_schema.as_deref()),
                    None => (None, None),
                };
                let object_mode = match ks {
                    Some(k) => k.ty == Type::String,
                    None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
                };
                if object_mode {
                    let mut o = Map::new();
                    for (k, v) in entries {
                        let key = match self.value_to_json(ks, k)? {
                            Json::String(s) => s,
                            other => other.to_string(),
                        };
                        o.insert(key, self.value_to_json(vs, v)?);
                    }
                    Json::Object(o)
                } else {
                    let mut list = Vec::with_capacity(entries.len());
                    for (k, v) in entries {
                        list.push(Json::Array(vec![
                            self.value_to_json(ks, k)?,
                            self.value_to_json(vs, v)?,
                        ]));
                    }
                    Json::Array(list)
                }
            }
            (Type::Struct, Value::Struct(s)) => {
                let Some(schema) = schema else {
                    return Err(mismatch());
                };
                if !std::ptr::eq(&*s.schema, schema) && *s.schema != *schema {
                    return Err(ConnectError::data("Mismatching schema."));
                }
                let mut o = Map::new();
                for (f, v) in schema.fields.iter().zip(&s.values) {
                    o.insert(f.name.clone(), self.value_to_json(Some(&f.schema), v)?);
                }
                Json::Object(o)
            }
            _ => return Err(mismatch()),
        })
    }

    /// Writes what [`JsonConverter::value_to_json`] gives, serialized compactly, without
    /// building the JSON tree: structs, arrays and strings (nearly every byte of a record) are
    /// written directly; any other value, and anything the tree path would refuse or treat
    /// specially (nulls, defaults, logical types, a struct of another schema), goes through
    /// the tree path, so the bytes and errors are the same.
    pub(super) fn write_json(
        &self,
        schema: Option<&Schema>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectError> {
        let plain = schema.filter(|s| {
            !matches!(
                s.name.as_deref(),
                Some(data::DECIMAL | data::DATE | data::TIME | data::TIMESTAMP)
            )
        });
        match (plain.map(|s| s.ty), value) {
            (Some(Type::String), Value::String(v)) => write_str(out, v),
            (Some(Type::Array), Value::Array(items)) => {
                let elem = plain.and_then(|s| s.value_schema.as_deref());
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    self.write_json(elem, item, out)?;
                }
                out.push(b']');
            }
            (Some(Type::Struct), Value::Struct(st))
                if plain.is_some_and(|s| std::ptr::eq(&*st.schema, s) || *st.schema == *s) =>
            {
                out.push(b'{');
                for (n, (f, v)) in st.schema.fields.iter().zip(&st.values).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    write_str(out, &f.name);
                    out.push(b':');
                    self.write_json(Some(&f.schema), v, out)?;
                }
                out.push(b'}');
            }
            _ => {
                let json = self.value_to_json(schema, value)?;
                serde_json::to_writer(&mut *out, &json).map_err(super::serialization_error)?;
            }
        }
        Ok(())
    }

    /// `convertToConnect`: JSON to a Connect value. `json` is `None` when a struct field is
    /// missing from the payload, which Connect treats like JSON null.
    pub fn json_to_value(
        &self,
        schema: Option<&Schema>,
        json: Option<&Json>,
    ) -> Result<Value, ConnectError> {
        let json = json.unwrap_or(&Json::Null);
        let Some(schema) = schema else {
            return Ok(infer_value(json));
        };
        if json.is_null() {
            if let (Some(d), true) = (&schema.default, self.replace_null_with_default) {
                return Ok(d.clone());
            }
            if schema.optional {
                return Ok(Value::Null);
            }
            return Err(ConnectError::data(format!(
                "Invalid null value for required {} field",
                schema.ty.java_name()
            )));
        }
        // Like Jackson's `intValue()`/`textValue()`, a node of the wrong kind reads as 0, false
        // or null rather than failing: Apache's converter behaves this way, so ours does too.
        let int = || {
            json.as_i64()
                .or_else(|| json.as_f64().map(|f| f as i64))
                .unwrap_or(0)
        };
        let value = match schema.ty {
            Type::Boolean => Value::Boolean(json.as_bool().unwrap_or(false)),
            Type::Int8 => Value::Int8(int() as i32 as i8),
            Type::Int16 => Value::Int16(int() as i32 as i16),
            Type::Int32 => Value::Int32(int() as i32),
            Type::Int64 => Value::Int64(int()),
            Type::Float32 => Value::Float32(json.as_f64().unwrap_or(0.0) as f32),
            Type::Float64 => Value::Float64(json.as_f64().unwrap_or(0.0)),
            Type::String => json
                .as_str()
                .map_or(Value::Null, |s| Value::String(s.to_owned())),
            Type::Bytes => {
                if schema.name.as_deref() == Some(data::DECIMAL) && json.is_number() {
                    return decimal_from_number(schema, json);
                }
                let text = json
                    .as_str()
                    .ok_or_else(|| ConnectError::data("Invalid bytes field"))?;
                Value::Bytes(B64.decode(text).map_err(|e| {
                    ConnectError::data("Invalid bytes field")
                        .with_cause(ConnectError::new(class::IO, e.to_string()))
                })?)
            }
            Type::Array => {
                let elem = schema.value_schema.as_deref();
                match json {
                    Json::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|i| self.json_to_value(elem, Some(i)))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => Value::Array(Vec::new()),
                }
            }
            Type::Map => {
                let ks = schema.key_schema.as_deref();
                let vs = schema.value_schema.as_deref();
                if ks.is_none_or(|k| k.ty == Type::String) {
                    let Json::Object(o) = json else {
                        return Err(ConnectError::data(format!(
                            "Maps with string fields should be encoded as JSON objects, but found {}",
                            node_type(json)
                        )));
                    };
                    let mut out = JavaHashMap::new();
                    for (k, v) in o {
                        out.put(Value::String(k.clone()), self.json_to_value(vs, Some(v))?);
                    }
                    out.into_value()
                } else {
                    let Json::Array(list) = json else {
                        return Err(ConnectError::data(format!(
                            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                            node_type(json)
                        )));
                    };
                    let mut out = JavaHashMap::new();
                    for entry in list {
                        let Json::Array(pair) = entry else {
                            return Err(ConnectError::data(format!(
                                "Found invalid map entry instead of array tuple: {}",
                                node_type(entry)
                            )));
                        };
                        if pair.len() != 2 {
                            return Err(ConnectError::data(format!(
                                "Found invalid map entry, expected length 2 but found :{}",
                                pair.len()
                            )));
                        }
                        out.put(
                            self.json_to_value(ks, Some(&pair[0]))?,
                            self.json_to_value(vs, Some(&pair[1]))?,
                        );
                    }
                    out.into_value()
                }
            }
            Type::Struct => {
                let Json::Object(o) = json else {
                    return Err(ConnectError::data(format!(
                        "Structs should be encoded as JSON objects, but found {}",
                        node_type(json)
                    )));
                };
                let schema_ref = Arc::new(schema.clone());
                let mut s = Struct::new(schema_ref);
                for (i, f) in schema.fields.iter().enumerate() {
                    s.values[i] = self.json_to_value(Some(&f.schema), o.get(&f.name))?;
                }
                Value::Struct(s)
            }
        };
        logical_to_connect(schema, value)
    }
}

/// Jackson's `JsonNodeType` names, used in Apache's messages.
fn node_type(json: &Json) -> &'static str {
    match json {
        Json::Null => "NULL",
        Json::Bool(_) => "BOOLEAN",
        Json::Number(_) => "NUMBER",
        Json::String(_) => "STRING",
        Json::Array(_) => "ARRAY",
        Json::Object(_) => "OBJECT",
    }
}

fn is_date(v: &Value) -> bool {
    matches!(v, Value::Date(_) | Value::Time(_) | Value::Timestamp(_))
}

fn infer_type(value: &Value) -> Option<Type> {
    Some(match value {
        Value::Null => return None,
        Value::Boolean(_) => Type::Boolean,
        Value::Int8(_) => Type::Int8,
        Value::Int16(_) => Type::Int16,
        Value::Int32(_) => Type::Int32,
        Value::Int64(_) => Type::Int64,
        Value::Float32(_) => Type::Float32,
        Value::Float64(_) => Type::Float64,
        Value::String(_) => Type::String,
        Value::Bytes(_) => Type::Bytes,
        Value::Array(_) => Type::Array,
        Value::Map(_) => Type::Map,
        Value::Struct(_) => Type::Struct,
        // `java.util.Date` and `BigDecimal` have no schema type of their own.
        Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => return None,
    })
}

/// Schemaless JSON to Connect: the value shape follows the JSON shape.
pub(super) fn infer_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int64(i),
            None if n.is_u64() => Value::Int64(n.as_u64().unwrap_or_default() as i64),
            None => Value::Float64(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(infer_value).collect()),
        Json::Object(o) => {
            let mut m = JavaHashMap::new();
            for (k, v) in o {
                m.put(Value::String(k.clone()), infer_value(v));
            }
            m.into_value()
        }
    }
}

/// Applies the logical type named by the schema to a converted primitive.
pub(super) fn logical_to_connect(schema: &Schema, value: Value) -> Result<Value, ConnectError> {
    Ok(match (schema.name.as_deref(), value) {
        (Some(data::DECIMAL), Value::Bytes(b)) => {
            let scale = decimal_scale(schema)?;
            Value::Decimal(Decimal::from_bytes(&b, scale).ok_or_else(|| {
                ConnectError::data("Decimal values wider than 128 bits are not supported")
            })?)
        }
        (Some(data::DATE), Value::Int32(d)) => Value::Date(d),
        (Some(data::TIME), Value::Int32(t)) => Value::Time(t),
        (Some(data::TIMESTAMP), Value::Int64(t)) => Value::Timestamp(t),
        (Some(data::DATE), v) => return Err(logical_mismatch("Date", "int32", &v)),
        (Some(data::TIME), v) => return Err(logical_mismatch("Time", "int32", &v)),
        (Some(data::TIMESTAMP), v) => return Err(logical_mismatch("Timestamp", "int64", &v)),
        (_, v) => v,
    })
}

fn logical_mismatch(name: &str, repr: &str, v: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Invalid type for {name}, underlying representation should be {repr} but was {}",
        java_class(v)
    ))
}

fn decimal_scale(schema: &Schema) -> Result<i32, ConnectError> {
    schema
        .param(data::DECIMAL_SCALE)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ConnectError::data("Invalid Decimal schema: scale parameter not found."))
}

fn decimal_from_number(schema: &Schema, json: &Json) -> Result<Value, ConnectError> {
    let scale = decimal_scale(schema)?;
    let text = json.to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac: String = frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(scale.max(0) as usize)
        .collect();
    let unscaled: i128 = format!("{int}{frac}")
        .parse()
        .map_err(|_| ConnectError::data(format!("Invalid decimal value {text}")))?;
    Ok(Value::Decimal(Decimal { unscaled, scale }))
}

fn decimal_number(d: &Decimal) -> Json {
    // Without arbitrary precision in serde_json, the text goes through f64.
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Json::Null, Json::Number)
}

/// A JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Jackson writes a float with its shortest decimal form (`1.1`), not the widened double's.
fn float32_json(v: f32) -> Json {
    if !v.is_finite() {
        return non_finite(v as f64);
    }
    v.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Json::Null, Json::Number)
}

/// NaN and the infinities as Jackson writes them by default (`WRITE_NAN_AS_STRINGS`): a string
/// of Java's `Double.toString`. Apache's converter reads such a string back as 0, and so does
/// this one.
fn non_finite(v: f64) -> Json {
    Json::String(
        if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned(),
    )
}
