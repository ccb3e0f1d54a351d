//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, the default `header.converter`:
//! header values are written as text (`Values.convertToString`: structs, maps and lists in a
//! JSON-like form, bytes in base64, dates in ISO-8601). Apache also infers a schema when
//! reading (numbers, booleans, lists); this worker reads every header value as an optional
//! string, which is what the bundled connectors need.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::Converter;
use crate::data::{Schema, SchemaAndValue, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::ConfigKey;
use crate::transforms::date_format;

pub const CLASS: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Apache's SimpleHeaderConverter has no settings.
pub static CONFIG_DEF: &[ConfigKey] = &[];

#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

/// `Values.append`: a value as text; inside a struct, map or list (`embedded`) strings and
/// bytes are quoted.
fn values_string(v: &Value, embedded: bool, out: &mut String) {
    let quoted = |s: &str, out: &mut String| {
        if embedded {
            out.push('"');
            out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
        } else {
            out.push_str(s);
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::String(s) => quoted(s, out),
        Value::Bytes(b) => {
            let text = B64.encode(b);
            if embedded {
                out.push('"');
                out.push_str(&text);
                out.push('"');
            } else {
                out.push_str(&text);
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                values_string(item, true, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                values_string(k, true, out);
                out.push(':');
                values_string(val, true, out);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, f) in s.schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                values_string(&Value::String(f.name.clone()), true, out);
                out.push(':');
                values_string(s.get_with_default(f.index), true, out);
            }
            out.push('}');
        }
        Value::Date(d) => out.push_str(&date_format::iso_text(i64::from(*d) * 86_400_000)),
        Value::Time(t) => out.push_str(&date_format::iso_text(i64::from(*t))),
        Value::Timestamp(t) => out.push_str(&date_format::iso_text(*t)),
        other => out.push_str(&other.java_string()),
    }
}

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
            v => {
                let mut out = String::new();
                values_string(v, false, &mut out);
                Some(out.into_bytes())
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Struct, Type};

    // Expected texts as Apache's SimpleHeaderConverter writes them.
    #[test]
    fn writes_values_like_values_convert_to_string() {
        let text = |v: &Value| {
            String::from_utf8(
                SimpleHeaderConverter
                    .to_bytes("t", None, v)
                    .unwrap()
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(text(&Value::String("a\"b".into())), "a\"b");
        assert_eq!(text(&Value::Bytes(b"hi".to_vec())), "aGk=");
        assert_eq!(text(&Value::Float64(1e7)), "1.0E7");
        assert_eq!(
            text(&Value::Timestamp(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        let schema = Schema::structure(vec![
            ("n".into(), Schema::new(Type::String).into_ref()),
            (
                "l".into(),
                Schema::array(Schema::optional_string()).into_ref(),
            ),
        ])
        .into_ref();
        let s = Value::Struct(Struct {
            schema,
            values: vec![
                Value::String("x\\y".into()),
                Value::Array(vec![Value::String("q".into()), Value::Null]),
            ],
        });
        assert_eq!(text(&s), r#"{"n":"x\\y","l":["q",null]}"#);
        assert_eq!(
            text(&Value::Map(vec![(
                Value::String("k".into()),
                Value::Int64(1)
            )])),
            r#"{"k":1}"#
        );
        assert_eq!(
            SimpleHeaderConverter
                .to_bytes("t", None, &Value::Null)
                .unwrap(),
            None
        );
    }
}
