//! `org.apache.kafka.connect.json.JsonConverter`. With `schemas.enable=true` (the default) every
//! record is the envelope `{"schema":...,"payload":...}`; the schema JSON and the exception
//! messages match Apache's so that data and DLQ records are interchangeable with a JVM worker.
//! With schemas disabled the payload is plain JSON and the Connect value is inferred from it
//! (integers become int64, other numbers float64, objects maps) with no schema.
//!
//! The module is split by what each part does: `config` (the converter's settings), `schema` (the
//! envelope's `schema` JSON <-> Connect schemas), `value` (payload JSON <-> Connect values) and
//! this file (bytes <-> envelope, the `Converter` entry points).

mod config;
mod read;
mod schema;
mod value;

use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

use super::Converter;
use crate::data::{Schema, SchemaAndValue, SchemaRef, Value};
use crate::error::{ConnectError, class};

pub use config::{CONFIG_DEF, DecimalFormat};
use value::infer_value;

pub const CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

#[derive(Debug, Clone)]
pub struct JsonConverter {
    pub(super) schemas_enabled: bool,
    decimal_format: DecimalFormat,
    replace_null_with_default: bool,
    cache: Arc<Mutex<EnvelopeCache>>,
}

/// The last schema written and read, as their envelope JSON. A topic's records nearly always
/// share one schema, and writing or parsing the schema was most of the time per record (Apache
/// caches converted schemas too, `schemas.cache.size`). One entry each: a changed schema costs
/// one full conversion, never a wrong result, since hits compare the whole schema or its bytes.
#[derive(Debug, Default)]
struct EnvelopeCache {
    /// A schema and `{"schema":<its JSON>,"payload":`.
    written: Option<(Schema, Vec<u8>)>,
    /// `{"schema":<JSON>,"payload":` exactly as the last envelope read began, and its schema.
    read: Option<(Vec<u8>, Option<SchemaRef>)>,
}

const SCHEMA_KEY: &[u8] = b"{\"schema\":";
const PAYLOAD_KEY: &[u8] = b",\"payload\":";

pub(super) fn serialization_error(e: serde_json::Error) -> ConnectError {
    ConnectError::data(
        "Converting Kafka Connect data to byte[] failed due to serialization error: ",
    )
    .with_cause(ConnectError::new(class::SERIALIZATION, e.to_string()))
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
        if !self.schemas_enabled {
            let mut out = Vec::new();
            self.write_json(schema, value, &mut out)?;
            return Ok(Some(out));
        }
        // `{"schema":...,"payload":...}`, compact, as serde_json writes the two-key object.
        let mut out = self.envelope_head(schema)?;
        self.write_json(schema, value, &mut out)?;
        out.push(b'}');
        Ok(Some(out))
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        if self.schemas_enabled {
            if let Some(read) = self.read_cached(bytes) {
                return Ok(read);
            }
        }
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
        self.remember_read(&envelope["schema"], &schema);
        Ok(SchemaAndValue::new(schema, value))
    }
}

impl JsonConverter {
    /// `{"schema":<schema JSON>,"payload":`, from the cache when the schema is the last one.
    fn envelope_head(&self, schema: Option<&Schema>) -> Result<Vec<u8>, ConnectError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(s), Some((cached, head))) = (schema, &cache.written) {
            if s == cached {
                // Room for a payload as long as the schema's JSON, to spare reallocations.
                let mut out = Vec::with_capacity(head.len() * 2);
                out.extend_from_slice(head);
                return Ok(out);
            }
        }
        let mut head = SCHEMA_KEY.to_vec();
        serde_json::to_writer(&mut head, &self.opt_schema_to_json(schema)?)
            .map_err(serialization_error)?;
        head.extend_from_slice(PAYLOAD_KEY);
        if let Some(s) = schema {
            cache.written = Some((s.clone(), head.clone()));
        }
        Ok(head)
    }

    /// An envelope that starts with exactly the bytes of the last one's schema: only its payload
    /// is parsed. Anything else (another schema, other spacing or key order, a payload that does
    /// not parse) is left to the full path, which gives Apache's errors.
    fn read_cached(&self, bytes: &[u8]) -> Option<SchemaAndValue> {
        let (head_len, schema) = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let (head, schema) = cache.read.as_ref()?;
            if bytes.len() <= head.len() || !bytes.starts_with(head) {
                return None;
            }
            (head.len(), schema.clone())
        };
        let rest = &bytes[head_len..];
        let payload = rest.strip_suffix(b"}")?;
        if let Some(value) = schema
            .as_ref()
            .and_then(|s| read::payload(self, s, payload))
        {
            return Some(SchemaAndValue::new(schema, value));
        }
        let json: Json = serde_json::from_slice(payload).ok()?;
        let value = self.json_to_value(schema.as_deref(), Some(&json)).ok()?;
        Some(SchemaAndValue::new(schema, value))
    }

    fn remember_read(&self, schema_json: &Json, schema: &Option<SchemaRef>) {
        let mut head = SCHEMA_KEY.to_vec();
        if serde_json::to_writer(&mut head, schema_json).is_ok() {
            head.extend_from_slice(PAYLOAD_KEY);
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.read = Some((head, schema.clone()));
        }
    }
}

#[cfg(test)]
mod tests;
