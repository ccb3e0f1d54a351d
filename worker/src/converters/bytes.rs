//! `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes pass through untouched.

use super::{Converter, java_class};
use crate::data::{Schema, SchemaAndValue, Type, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

pub const CLASS: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// The converter's config keys, as Apache defines them.
pub static CONFIG_DEF: &[ConfigKey] = &[ConfigKey {
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
}];

#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn to_bytes(
        &self,
        _: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        if let Some(s) = schema {
            if s.ty != Type::Bytes {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for ByteArrayConverter: {}",
                    s.ty.java_name()
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                java_class(other)
            ))),
        }
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok(SchemaAndValue::new(Some(Schema::optional_bytes()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let c = ByteArrayConverter;
        assert_eq!(
            c.to_connect("t", Some(&[0, 255])).unwrap().value,
            Value::Bytes(vec![0, 255])
        );
        assert_eq!(
            c.to_bytes("t", None, &Value::Bytes(vec![1])).unwrap(),
            Some(vec![1])
        );
        assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
        let e = c
            .to_bytes(
                "t",
                Some(&Schema::new(Type::String)),
                &Value::String("x".into()),
            )
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Invalid schema type for ByteArrayConverter: STRING")
        );
        let e = c
            .to_bytes("t", None, &Value::String("x".into()))
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "ByteArrayConverter is not compatible with objects of type class java.lang.String"
            )
        );
    }
}
