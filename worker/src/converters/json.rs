//! `org.apache.kafka.connect.json.JsonConverter`. With `schemas.enable=true` (the default) every
//! record is the envelope `{"schema":...,"payload":...}`; the schema JSON and the exception
//! messages match Apache's so that data and DLQ records are interchangeable with a JVM worker.
//! With schemas disabled the payload is plain JSON and the Connect value is inferred from it
//! (integers become int64, other numbers float64, objects maps) with no schema.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Number, Value as Json};

use super::{Converter, ConverterConfig, bool_setting, java_class};
use crate::data::{
    self, Decimal, JavaHashMap, Schema, SchemaAndValue, SchemaRef, Struct, Type, Value,
};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

pub const CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";

/// The converter's config keys, as Apache defines them.
pub static CONFIG_DEF: &[ConfigKey] = &[
    ConfigKey {
        name: "converter.type",
        ty: ConfigType::String,
        default: DefaultValue::None,
        importance: Importance::Low,
        documentation: "How this converter will be used.",
        group: None,
        order: -1,
        width: Width::None,
        display_name: "converter.type",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schemas.enable",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("true"),
        importance: Importance::High,
        documentation: "Include schemas within each of the serialized values and keys.",
        group: Some("Schemas"),
        order: 0,
        width: Width::Medium,
        display_name: "Enable Schemas",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schemas.cache.size",
        ty: ConfigType::Int,
        default: DefaultValue::Value("1000"),
        importance: Importance::High,
        documentation: "The maximum number of schemas that can be cached in this converter instance.",
        group: Some("Schemas"),
        order: 1,
        width: Width::Medium,
        display_name: "Schema Cache Size",
        validator: Validator::None,
    },
    ConfigKey {
        name: "schema.content",
        ty: ConfigType::String,
        default: DefaultValue::Null,
        importance: Importance::High,
        documentation: "When set, this is used as the schema for all messages, and the schemas within each of the message will be ignored.Otherwise, the schema will be included in the content of each message. This configuration applies only 'schemas.enable' is true, and it exclusively affects the sink connector.",
        group: Some("Schemas"),
        order: 2,
        width: Width::Medium,
        display_name: "Schema Content",
        validator: Validator::None,
    },
    ConfigKey {
        name: "decimal.format",
        ty: ConfigType::String,
        default: DefaultValue::Value("BASE64"),
        importance: Importance::Low,
        documentation: "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
        group: Some("Serialization"),
        order: 0,
        width: Width::Medium,
        display_name: "Decimal Format",
        validator: Validator::OneOfCaseInsensitive(&["BASE64", "NUMERIC"]),
    },
    ConfigKey {
        name: "replace.null.with.default",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("true"),
        importance: Importance::Low,
        documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
        group: Some("Serialization"),
        order: 1,
        width: Width::Medium,
        display_name: "Replace null with default",
        validator: Validator::None,
    },
];

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// How Decimal values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalFormat {
    Base64,
    Numeric,
}

#[derive(Debug, Clone)]
pub struct JsonConverter {
    schemas_enabled: bool,
    decimal_format: DecimalFormat,
    replace_null_with_default: bool,
}

impl JsonConverter {
    pub fn new(config: &ConverterConfig) -> Result<JsonConverter, ConnectError> {
        let decimal_format = match config
            .get("decimal.format")
            .map(|s| s.trim().to_ascii_uppercase())
        {
            None => DecimalFormat::Base64,
            Some(f) if f == "BASE64" => DecimalFormat::Base64,
            Some(f) if f == "NUMERIC" => DecimalFormat::Numeric,
            Some(f) => {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {f} for configuration decimal.format: String must be one of: BASE64, NUMERIC"
                    ),
                ));
            }
        };
        Ok(JsonConverter {
            schemas_enabled: bool_setting(config, "schemas.enable", true)?,
            decimal_format,
            replace_null_with_default: bool_setting(config, "replace.null.with.default", true)?,
        })
    }

    /// The schema as JsonConverter writes it into the envelope, keys in Apache's order.
    pub fn schema_to_json(&self, schema: &Schema) -> Result<Json, ConnectError> {
        let mut o = Map::new();
        o.insert(
            "type".into(),
            Json::String(json_type_name(schema.ty).into()),
        );
        match schema.ty {
            Type::Array => {
                o.insert(
                    "items".into(),
                    self.opt_schema_to_json(schema.value_schema.as_deref())?,
                );
            }
            Type::Map => {
                o.insert(
                    "keys".into(),
                    self.opt_schema_to_json(schema.key_schema.as_deref())?,
                );
                o.insert(
                    "values".into(),
                    self.opt_schema_to_json(schema.value_schema.as_deref())?,
                );
            }
            Type::Struct => {
                let mut fields = Vec::with_capacity(schema.fields.len());
                for f in &schema.fields {
                    let mut fj = self.schema_to_json(&f.schema)?;
                    if let Json::Object(m) = &mut fj {
                        m.insert("field".into(), Json::String(f.name.clone()));
                    }
                    fields.push(fj);
                }
                o.insert("fields".into(), Json::Array(fields));
            }
            _ => {}
        }
        o.insert("optional".into(), Json::Bool(schema.optional));
        if let Some(n) = &schema.name {
            o.insert("name".into(), Json::String(n.clone()));
        }
        if let Some(v) = schema.version {
            o.insert("version".into(), Json::from(v));
        }
        if let Some(d) = &schema.doc {
            o.insert("doc".into(), Json::String(d.clone()));
        }
        if let Some(params) = &schema.parameters {
            let p: Map<String, Json> = params
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            o.insert("parameters".into(), Json::Object(p));
        }
        if let Some(d) = &schema.default {
            o.insert("default".into(), self.value_to_json(Some(schema), d)?);
        }
        Ok(Json::Object(o))
    }

    fn opt_schema_to_json(&self, schema: Option<&Schema>) -> Result<Json, ConnectError> {
        schema.map_or(Ok(Json::Null), |s| self.schema_to_json(s))
    }

    /// Parses an envelope schema (`asConnectSchema`); JSON null means "no schema".
    pub fn schema_from_json(&self, json: &Json) -> Result<Option<SchemaRef>, ConnectError> {
        if json.is_null() {
            return Ok(None);
        }
        let type_name = json
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))?;
        let mut schema = match type_name {
            "boolean" => Schema::new(Type::Boolean),
            "int8" => Schema::new(Type::Int8),
            "int16" => Schema::new(Type::Int16),
            "int32" => Schema::new(Type::Int32),
            "int64" => Schema::new(Type::Int64),
            "float" => Schema::new(Type::Float32),
            "double" => Schema::new(Type::Float64),
            "bytes" => Schema::new(Type::Bytes),
            "string" => Schema::new(Type::String),
            "array" => {
                let items = json.get("items").filter(|i| !i.is_null()).ok_or_else(|| {
                    ConnectError::data("Array schema did not specify the element type")
                })?;
                Schema::array(self.required_schema(items)?)
            }
            "map" => {
                let keys = json
                    .get("keys")
                    .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
                let values = json.get("values").ok_or_else(|| {
                    ConnectError::data("Map schema did not specify the value type")
                })?;
                Schema::map(self.required_schema(keys)?, self.required_schema(values)?)
            }
            "struct" => {
                let fields = json.get("fields").and_then(Json::as_array).ok_or_else(|| {
                    ConnectError::data("Struct schema's \"fields\" argument is not an array.")
                })?;
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let name = f.get("field").and_then(Json::as_str).ok_or_else(|| {
                        ConnectError::data("Struct schema's field name not specified properly")
                    })?;
                    out.push((name.to_owned(), self.required_schema(f)?));
                }
                Schema::structure(out)
            }
            other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
        };
        schema.optional = json
            .get("optional")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        schema.name = json.get("name").and_then(Json::as_str).map(str::to_owned);
        schema.version = json.get("version").and_then(Json::as_i64).map(|v| v as i32);
        schema.doc = json.get("doc").and_then(Json::as_str).map(str::to_owned);
        if let Some(Json::Object(params)) = json.get("parameters") {
            let mut out = Vec::with_capacity(params.len());
            for (k, v) in params {
                let v = v.as_str().ok_or_else(|| {
                    ConnectError::data("Schema parameters must have string values.")
                })?;
                out.push((k.clone(), v.to_owned()));
            }
            schema.parameters = Some(out);
        }
        if let Some(d) = json.get("default") {
            schema.default =
                Some(self.json_to_value(Some(&schema), Some(d))?).filter(|v| !v.is_null());
        }
        Ok(Some(Arc::new(schema)))
    }

    fn required_schema(&self, json: &Json) -> Result<SchemaRef, ConnectError> {
        // A nested `null` schema cannot be represented by SchemaBuilder either.
        self.schema_from_json(json)?
            .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))
    }

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
                Number::from_f64(*v).map_or(Json::Null, Json::Number)
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
                if *s.schema != *schema {
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

impl Converter for JsonConverter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn to_bytes(
        &self,
        _: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let payload = self.value_to_json(schema, value)?;
        let json = if self.schemas_enabled {
            let mut env = Map::new();
            env.insert("schema".into(), self.opt_schema_to_json(schema)?);
            env.insert("payload".into(), payload);
            Json::Object(env)
        } else {
            payload
        };
        serde_json::to_vec(&json).map(Some).map_err(|e| {
            ConnectError::data(
                "Converting Kafka Connect data to byte[] failed due to serialization error: ",
            )
            .with_cause(ConnectError::new(class::SERIALIZATION, e.to_string()))
        })
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        let json: Json = if bytes.iter().all(u8::is_ascii_whitespace) {
            // Jackson reads empty input as "no document".
            Json::Null
        } else {
            serde_json::from_slice(bytes).map_err(|e| {
                let parse = ConnectError::new(class::JSON_PARSE, e.to_string());
                ConnectError::data(
                    "Converting byte[] to Kafka Connect data failed due to serialization error: ",
                )
                .at("org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)")
                .with_cause(
                    ConnectError::new(class::SERIALIZATION, parse.header_line())
                        .at("org.apache.kafka.connect.json.JsonDeserializer.deserialize(json.rs)")
                        .with_cause(parse),
                )
            })?
        };
        if !self.schemas_enabled {
            return Ok(SchemaAndValue::new(None, infer_value(&json)));
        }
        let envelope = match &json {
            Json::Object(o)
                if o.len() == 2 && o.contains_key("schema") && o.contains_key("payload") =>
            {
                o
            }
            _ => {
                return Err(ConnectError::data(ENVELOPE_ERROR)
                    .at("org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)"));
            }
        };
        let at = |e: ConnectError| {
            e.at("org.apache.kafka.connect.json.JsonConverter.toConnectData(json.rs)")
        };
        let schema = self.schema_from_json(&envelope["schema"]).map_err(at)?;
        let value = self
            .json_to_value(schema.as_deref(), envelope.get("payload"))
            .map_err(at)?;
        Ok(SchemaAndValue::new(schema, value))
    }
}

fn json_type_name(ty: Type) -> &'static str {
    match ty {
        Type::Int8 => "int8",
        Type::Int16 => "int16",
        Type::Int32 => "int32",
        Type::Int64 => "int64",
        Type::Float32 => "float",
        Type::Float64 => "double",
        Type::Boolean => "boolean",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Array => "array",
        Type::Map => "map",
        Type::Struct => "struct",
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
fn infer_value(json: &Json) -> Value {
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
fn logical_to_connect(schema: &Schema, value: Value) -> Result<Value, ConnectError> {
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

/// Jackson writes a float with its shortest decimal form (`1.1`), not the widened double's.
fn float32_json(v: f32) -> Json {
    v.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(schemas: bool) -> JsonConverter {
        let cfg: ConverterConfig = [("schemas.enable".to_owned(), schemas.to_string())].into();
        JsonConverter::new(&cfg).unwrap()
    }

    fn order_schema() -> SchemaRef {
        Schema::structure(vec![
            ("id".into(), Schema::new(Type::Int32).into_ref()),
            (
                "name".into(),
                Schema::new(Type::String).optional().into_ref(),
            ),
        ])
        .named("shop.Order")
        .into_ref()
    }

    #[test]
    fn envelope_matches_apache_byte_for_byte() {
        let s = order_schema();
        let mut v = Struct::new(s.clone());
        v.put("id", Value::Int32(1));
        v.put("name", Value::String("x".into()));
        let out = conv(true)
            .to_bytes("t", Some(&s), &Value::Struct(v.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"shop.Order"},"payload":{"id":1,"name":"x"}}"#
        );
        let back = conv(true).to_connect("t", Some(&out)).unwrap();
        assert_eq!(back.value, Value::Struct(v));
        assert_eq!(back.schema.as_deref(), Some(&*s));
    }

    #[test]
    fn primitives_table() {
        let c = conv(true);
        let cases: Vec<(Schema, Value, &str)> = vec![
            (
                Schema::new(Type::Boolean),
                Value::Boolean(true),
                r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
            ),
            (
                Schema::new(Type::Int8),
                Value::Int8(-3),
                r#"{"schema":{"type":"int8","optional":false},"payload":-3}"#,
            ),
            (
                Schema::new(Type::Int16),
                Value::Int16(300),
                r#"{"schema":{"type":"int16","optional":false},"payload":300}"#,
            ),
            (
                Schema::new(Type::Int64),
                Value::Int64(1 << 40),
                r#"{"schema":{"type":"int64","optional":false},"payload":1099511627776}"#,
            ),
            (
                Schema::new(Type::Float32),
                Value::Float32(1.1),
                r#"{"schema":{"type":"float","optional":false},"payload":1.1}"#,
            ),
            (
                Schema::new(Type::Float64),
                Value::Float64(2.5),
                r#"{"schema":{"type":"double","optional":false},"payload":2.5}"#,
            ),
            (
                Schema::new(Type::Bytes),
                Value::Bytes(b"hi".to_vec()),
                r#"{"schema":{"type":"bytes","optional":false},"payload":"aGk="}"#,
            ),
            (
                Schema::new(Type::String).optional(),
                Value::Null,
                r#"{"schema":{"type":"string","optional":true},"payload":null}"#,
            ),
            (
                Schema::decimal(2),
                Value::Decimal(Decimal {
                    unscaled: 12345,
                    scale: 2,
                }),
                r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":"MDk="}"#,
            ),
            (
                Schema::date(),
                Value::Date(19000),
                r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19000}"#,
            ),
            (
                Schema::timestamp(),
                Value::Timestamp(1700000000000),
                r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1700000000000}"#,
            ),
            (
                Schema::array(Schema::new(Type::Int32).into_ref()),
                Value::Array(vec![Value::Int32(1), Value::Int32(2)]),
                r#"{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2]}"#,
            ),
            (
                Schema::map(
                    Schema::new(Type::Int32).into_ref(),
                    Schema::new(Type::String).into_ref(),
                ),
                Value::Map(vec![(Value::Int32(1), Value::String("a".into()))]),
                r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"a"]]}"#,
            ),
            (
                Schema::new(Type::Int32)
                    .optional()
                    .default_value(Value::Int32(7))
                    .doc("d")
                    .version(3),
                Value::Null,
                r#"{"schema":{"type":"int32","optional":true,"version":3,"doc":"d","default":7},"payload":7}"#,
            ),
        ];
        for (schema, value, json) in cases {
            let out = c.to_bytes("t", Some(&schema), &value).unwrap().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), json);
            let back = c.to_connect("t", Some(json.as_bytes())).unwrap();
            let expected = if value.is_null() {
                schema.default.clone().unwrap_or(Value::Null)
            } else {
                value
            };
            assert_eq!(back.value, expected, "{json}");
        }
    }

    #[test]
    fn envelope_errors_are_apaches() {
        let c = conv(true);
        for bad in [
            r#"{"id":1}"#,
            r#"{"schema":null,"payload":1,"x":2}"#,
            "[1]",
            "\"s\"",
            "",
        ] {
            let e = c.to_connect("t", Some(bad.as_bytes())).unwrap_err();
            assert_eq!(e.class, class::DATA);
            assert_eq!(e.message.as_deref(), Some(ENVELOPE_ERROR), "{bad}");
        }
        let e = c.to_connect("t", Some(b"{not json")).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Converting byte[] to Kafka Connect data failed due to serialization error: ")
        );
        assert_eq!(e.root().class, class::JSON_PARSE);
        assert!(
            e.stack_trace()
                .contains("\tat org.apache.kafka.connect.json.JsonConverter")
        );
        for (env, msg) in [
            (
                r#"{"schema":{"optional":true},"payload":1}"#,
                "Schema must contain 'type' field",
            ),
            (
                r#"{"schema":{"type":"uuid"},"payload":1}"#,
                "Unknown schema type: uuid",
            ),
            (
                r#"{"schema":{"type":"array"},"payload":[]}"#,
                "Array schema did not specify the element type",
            ),
            (
                r#"{"schema":{"type":"struct"},"payload":{}}"#,
                "Struct schema's \"fields\" argument is not an array.",
            ),
            (
                r#"{"schema":{"type":"int32"},"payload":null}"#,
                "Invalid null value for required INT32 field",
            ),
            (
                r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"string"}},"payload":[1]}"#,
                "Maps with string fields should be encoded as JSON objects, but found ARRAY",
            ),
        ] {
            let e = c.to_connect("t", Some(env.as_bytes())).unwrap_err();
            assert_eq!(e.message.as_deref(), Some(msg), "{env}");
        }
        assert_eq!(c.to_connect("t", None).unwrap(), SchemaAndValue::NULL);
    }

    #[test]
    fn schemaless_inference() {
        let c = conv(false);
        let sv = c
            .to_connect("t", Some(br#"{"a":1,"b":1.5,"c":[true,null],"d":"x"}"#))
            .unwrap();
        assert_eq!(sv.schema, None);
        assert_eq!(
            sv.value,
            Value::Map(vec![
                (Value::String("a".into()), Value::Int64(1)),
                (Value::String("b".into()), Value::Float64(1.5)),
                (
                    Value::String("c".into()),
                    Value::Array(vec![Value::Boolean(true), Value::Null])
                ),
                (Value::String("d".into()), Value::String("x".into())),
            ])
        );
        let out = c.to_bytes("t", None, &sv.value).unwrap().unwrap();
        assert_eq!(out, br#"{"a":1,"b":1.5,"c":[true,null],"d":"x"}"#);
        assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
        // Without a schema, a string is just a JSON string.
        assert_eq!(
            c.to_bytes("t", None, &Value::String("x".into())).unwrap(),
            Some(b"\"x\"".to_vec())
        );
        // A null schema in the envelope is schemaless data.
        let sv = conv(true)
            .to_connect("t", Some(br#"{"schema":null,"payload":{"k":2}}"#))
            .unwrap();
        assert_eq!(
            sv.value,
            Value::Map(vec![(Value::String("k".into()), Value::Int64(2))])
        );
    }

    #[test]
    fn schemaless_objects_keep_java_hash_map_order() {
        // Apache reads JSON objects into a HashMap, so it writes them back in its order.
        let c = conv(false);
        let sv = c
            .to_connect(
                "t",
                Some(br#"{"name":1,"id":2,"price":3,"ts":4,"zeta":5,"alpha":{"b":1,"a":2}}"#),
            )
            .unwrap();
        let out = c.to_bytes("t", None, &sv.value).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"zeta":5,"price":3,"alpha":{"a":2,"b":1},"name":1,"id":2,"ts":4}"#
        );
        // Dates have no schemaless type.
        let e = c.to_bytes("t", None, &Value::Timestamp(1)).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Java class class java.util.Date does not have corresponding schema type.")
        );
    }

    #[test]
    fn to_json_errors() {
        let c = conv(true);
        let e = c
            .to_bytes("t", Some(&Schema::new(Type::Int32)), &Value::Null)
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Conversion error: null value for field that is required and has no default value"
            )
        );
        let e = c
            .to_bytes(
                "t",
                Some(&Schema::new(Type::Int32)),
                &Value::String("x".into()),
            )
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Invalid type for INT32: class java.lang.String")
        );
        let other = Schema::structure(vec![]).into_ref();
        let e = c
            .to_bytes(
                "t",
                Some(&order_schema()),
                &Value::Struct(Struct::new(other)),
            )
            .unwrap_err();
        assert_eq!(e.message.as_deref(), Some("Mismatching schema."));
        let bad: ConverterConfig = [("schemas.enable".to_owned(), "yes".to_owned())].into();
        assert_eq!(
            JsonConverter::new(&bad).unwrap_err().message.as_deref(),
            Some(
                "Invalid value yes for configuration schemas.enable: Expected value to be either true or false"
            )
        );
    }
}
