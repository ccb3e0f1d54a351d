//! The fixed-width converters in `org.apache.kafka.connect.converters` (`ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter`, `BooleanConverter`):
//! big-endian bytes as Kafka's own serializers write them, one value per record.

use super::{Converter, java_class};
use crate::data::{Schema, SchemaAndValue, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Validator, Width,
};

/// Their only setting, `converter.type`, set by the worker.
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

/// Which number (or boolean) a converter handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Short,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Short => "org.apache.kafka.connect.converters.ShortConverter",
            Kind::Integer => "org.apache.kafka.connect.converters.IntegerConverter",
            Kind::Long => "org.apache.kafka.connect.converters.LongConverter",
            Kind::Float => "org.apache.kafka.connect.converters.FloatConverter",
            Kind::Double => "org.apache.kafka.connect.converters.DoubleConverter",
            Kind::Boolean => "org.apache.kafka.connect.converters.BooleanConverter",
        }
    }

    fn ty(self) -> Type {
        match self {
            Kind::Short => Type::Int16,
            Kind::Integer => Type::Int32,
            Kind::Long => Type::Int64,
            Kind::Float => Type::Float32,
            Kind::Double => Type::Float64,
            Kind::Boolean => Type::Boolean,
        }
    }

    /// The name used in Apache's messages (`Schema.Type` lower-cased).
    fn type_name(self) -> &'static str {
        match self {
            Kind::Short => "int16",
            Kind::Integer => "int32",
            Kind::Long => "int64",
            Kind::Float => "float32",
            Kind::Double => "float64",
            Kind::Boolean => "boolean",
        }
    }

    fn size(self) -> usize {
        match self {
            Kind::Boolean => 1,
            Kind::Short => 2,
            Kind::Integer | Kind::Float => 4,
            Kind::Long | Kind::Double => 8,
        }
    }

    /// Kafka's deserializer class, named in its size error.
    fn deserializer(self) -> &'static str {
        match self {
            Kind::Short => "ShortDeserializer",
            Kind::Integer => "IntegerDeserializer",
            Kind::Long => "LongDeserializer",
            Kind::Float => "FloatDeserializer",
            Kind::Double => "DoubleDeserializer",
            Kind::Boolean => "BooleanDeserializer",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct NumberConverter(pub Kind);

impl Converter for NumberConverter {
    fn class(&self) -> &'static str {
        self.0.class()
    }

    fn to_bytes(
        &self,
        _: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConnectError> {
        let k = self.0;
        if k == Kind::Boolean {
            if let Some(s) = schema.filter(|s| s.ty != Type::Boolean) {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    s.ty.java_name()
                )));
            }
        }
        let bytes = match (k, value) {
            (_, Value::Null) => return Ok(None),
            (Kind::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (Kind::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (Kind::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (Kind::Float, Value::Float32(v)) => v.to_be_bytes().to_vec(),
            (Kind::Double, Value::Float64(v)) => v.to_be_bytes().to_vec(),
            (Kind::Boolean, Value::Boolean(b)) => vec![u8::from(*b)],
            (Kind::Boolean, other) => {
                return Err(ConnectError::data(format!(
                    "BooleanConverter is not compatible with objects of type {}",
                    java_class(other)
                )));
            }
            (_, other) => {
                return Err(ConnectError::data(format!(
                    "Failed to serialize to {} (was {}): ",
                    k.type_name(),
                    java_class(other)
                )));
            }
        };
        Ok(Some(bytes))
    }

    fn to_connect(&self, _: &str, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConnectError> {
        let k = self.0;
        let schema = Some(Schema::new(k.ty()).optional().into_ref());
        let Some(b) = bytes else {
            return Ok(SchemaAndValue::new(schema, Value::Null));
        };
        let fail = |msg: String| {
            ConnectError::data(format!("Failed to deserialize {}: ", k.type_name()))
                .with_cause(ConnectError::new(class::SERIALIZATION, msg))
        };
        if b.len() != k.size() {
            return Err(fail(format!(
                "Size of data received by {} is not {}",
                k.deserializer(),
                k.size()
            )));
        }
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        let value = match k {
            Kind::Short => Value::Int16(i16::from_be_bytes([buf[0], buf[1]])),
            Kind::Integer => Value::Int32(i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]])),
            Kind::Long => Value::Int64(i64::from_be_bytes(buf)),
            Kind::Float => Value::Float32(f32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]])),
            Kind::Double => Value::Float64(f64::from_be_bytes(buf)),
            Kind::Boolean => match b[0] {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => {
                    return Err(fail(format!(
                        "Unexpected byte received by BooleanDeserializer: {other}"
                    )));
                }
            },
        };
        Ok(SchemaAndValue::new(schema, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            (Kind::Short, Value::Int16(-2), vec![0xff, 0xfe]),
            (Kind::Integer, Value::Int32(258), vec![0, 0, 1, 2]),
            (Kind::Long, Value::Int64(1), vec![0, 0, 0, 0, 0, 0, 0, 1]),
            (
                Kind::Float,
                Value::Float32(1.5),
                1.5f32.to_be_bytes().to_vec(),
            ),
            (
                Kind::Double,
                Value::Float64(-0.25),
                (-0.25f64).to_be_bytes().to_vec(),
            ),
            (Kind::Boolean, Value::Boolean(true), vec![1]),
        ];
        for (k, v, bytes) in cases {
            let c = NumberConverter(k);
            assert_eq!(
                c.to_bytes("t", None, &v).unwrap(),
                Some(bytes.clone()),
                "{k:?}"
            );
            assert_eq!(c.to_connect("t", Some(&bytes)).unwrap().value, v);
            assert_eq!(c.to_connect("t", None).unwrap().value, Value::Null);
        }
        let e = NumberConverter(Kind::Integer)
            .to_connect("t", Some(&[1, 2]))
            .unwrap_err();
        assert_eq!(e.message.as_deref(), Some("Failed to deserialize int32: "));
        assert_eq!(
            e.root().message.as_deref(),
            Some("Size of data received by IntegerDeserializer is not 4")
        );
        let e = NumberConverter(Kind::Long)
            .to_bytes("t", None, &Value::String("x".into()))
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Failed to serialize to int64 (was class java.lang.String): ")
        );
    }
}
