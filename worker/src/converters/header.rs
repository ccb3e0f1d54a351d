//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, the default `header.converter`:
//! header values are written as text. Apache also infers a schema when reading (numbers,
//! booleans, lists); this worker reads every header value as an optional string, which is what
//! the bundled connectors need.

use super::Converter;
use crate::data::{Schema, SchemaAndValue, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::ConfigKey;

pub const CLASS: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Apache's SimpleHeaderConverter has no settings.
pub static CONFIG_DEF: &[ConfigKey] = &[];

#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

impl Converter for SimpleHeaderConverter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn to_bytes(
        &self,
        _: &str,
        _: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        Ok(match value {
            Value::Null => None,
            Value::Bytes(b) => Some(b.clone()),
            v => Some(v.java_string().into_bytes()),
        })
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        Ok(match bytes {
            None => SchemaAndValue::NULL,
            Some(b) => SchemaAndValue::new(
                Some(Schema::optional_string()),
                Value::String(String::from_utf8_lossy(b).into_owned()),
            ),
        })
    }
}
