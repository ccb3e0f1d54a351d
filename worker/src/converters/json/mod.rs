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
mod schema;
mod value;

use serde_json::{Map, Value as Json};

use super::Converter;
use crate::data::{Schema, SchemaAndValue, Value};
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

#[cfg(test)]
mod tests;
