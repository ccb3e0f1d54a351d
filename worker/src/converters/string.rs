//! `org.apache.kafka.connect.storage.StringConverter`: text in, text out, no schema on the wire.

use super::{Converter, ConverterConfig};
use crate::data::{Schema, SchemaAndValue, SchemaRef, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

pub const CLASS: &str = "org.apache.kafka.connect.storage.StringConverter";

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
        name: "converter.encoding",
        ty: ConfigType::String,
        default: DefaultValue::Value("UTF-8"),
        importance: Importance::High,
        documentation: "The name of the Java character set to use for encoding strings as byte arrays.",
        group: None,
        order: -1,
        width: Width::Medium,
        display_name: "Encoding",
        validator: Validator::None,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
}

/// Strings encoded with `converter.encoding` (UTF-8 by default; ISO-8859-1 is also accepted).
#[derive(Debug, Clone)]
pub struct StringConverter {
    encoding: Encoding,
    /// `Schema.OPTIONAL_STRING_SCHEMA`, built once and shared by every record read.
    schema: SchemaRef,
}

impl StringConverter {
    pub fn new(config: &ConverterConfig) -> Result<StringConverter, ConnectError> {
        let enc = config
            .get("converter.encoding")
            .map(|s| s.trim().to_ascii_uppercase());
        let encoding = match enc.as_deref() {
            None | Some("UTF-8") | Some("UTF8") => Encoding::Utf8,
            Some("ISO-8859-1") | Some("LATIN1") | Some("ISO8859_1") => Encoding::Latin1,
            Some(other) => {
                return Err(ConnectError::new(
                    class::CONFIG,
                    format!(
                        "Invalid value {other} for configuration converter.encoding: unsupported encoding"
                    ),
                ));
            }
        };
        Ok(StringConverter {
            encoding,
            schema: Schema::optional_string(),
        })
    }
}

impl Converter for StringConverter {
    fn class(&self) -> &'static str {
        CLASS
    }

    fn to_bytes(
        &self,
        _: &str,
        _: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        if value.is_null() {
            return Ok(None);
        }
        if let (Value::String(s), Encoding::Utf8) = (value, self.encoding) {
            return Ok(Some(s.as_bytes().to_vec()));
        }
        let text = value.java_string();
        Ok(Some(match self.encoding {
            Encoding::Utf8 => text.into_bytes(),
            // Java replaces unmappable characters with '?'.
            Encoding::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
        }))
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        let value = match bytes {
            None => Value::Null,
            Some(b) => Value::String(match self.encoding {
                // Java's decoder substitutes U+FFFD for malformed input, it never fails. Valid
                // input (nearly all of it) takes the faster strict check.
                Encoding::Utf8 => match std::str::from_utf8(b) {
                    Ok(s) => s.to_owned(),
                    Err(_) => String::from_utf8_lossy(b).into_owned(),
                },
                Encoding::Latin1 => b.iter().map(|&c| char::from(c)).collect(),
            }),
        };
        Ok(SchemaAndValue::new(Some(self.schema.clone()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let c = StringConverter::new(&Default::default()).unwrap();
        let sv = c.to_connect("t", Some(b"h\xc3\xa9")).unwrap();
        assert_eq!(sv.value, Value::String("hé".into()));
        assert_eq!(
            c.to_connect("t", Some(b"a\xffb")).unwrap().value,
            Value::String("a\u{fffd}b".into()),
            "malformed input is replaced, never rejected"
        );
        assert_eq!(sv.schema.as_deref(), Some(&*Schema::optional_string()));
        assert_eq!(c.to_connect("t", None).unwrap().value, Value::Null);
        assert_eq!(
            c.to_bytes("t", None, &Value::Int32(5)).unwrap(),
            Some(b"5".to_vec())
        );
        assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
        let latin: ConverterConfig =
            [("converter.encoding".to_owned(), "ISO-8859-1".to_owned())].into();
        let c = StringConverter::new(&latin).unwrap();
        assert_eq!(
            c.to_bytes("t", None, &Value::String("é".into())).unwrap(),
            Some(vec![0xe9])
        );
        assert!(
            StringConverter::new(&[("converter.encoding".to_owned(), "EBCDIC".to_owned())].into())
                .is_err()
        );
    }
}
