//! Connect values: what a converter produces from bytes and a connector reads or writes.
//!
//! Logical types get their own variants (rather than Java's `java.util.Date`/`BigDecimal`
//! objects) so that a converter never has to guess what an `Int32` means.

use std::fmt;

use super::SchemaRef;

/// A value of the Connect data model.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in their original order; keys need not be strings.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
    /// `org.apache.kafka.connect.data.Decimal`: `unscaled * 10^-scale`.
    Decimal(Decimal),
    /// `org.apache.kafka.connect.data.Date`: days since the epoch.
    Date(i32),
    /// `org.apache.kafka.connect.data.Time`: milliseconds since midnight.
    Time(i32),
    /// `org.apache.kafka.connect.data.Timestamp`: milliseconds since the epoch.
    Timestamp(i64),
}

/// A decimal number. The unscaled value is limited to 128 bits (38 digits), which covers every
/// SQL DECIMAL up to precision 38.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: i32,
}

/// A struct value: one value per field of its schema, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    pub schema: SchemaRef,
    pub values: Vec<Value>,
}

impl Struct {
    /// A struct with every field null.
    pub fn new(schema: SchemaRef) -> Struct {
        let values = vec![Value::Null; schema.fields.len()];
        Struct { schema, values }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schema
            .field(name)
            .and_then(|f| self.values.get(f.index))
    }

    /// Sets a field; returns false when the schema has no such field.
    pub fn put(&mut self, name: &str, value: Value) -> bool {
        match self.schema.field(name).map(|f| f.index) {
            Some(i) => {
                self.values[i] = value;
                true
            }
            None => false,
        }
    }
}

impl Decimal {
    /// Big-endian two's complement bytes of the unscaled value, minimal length (Java's
    /// `BigInteger.toByteArray`), as `Decimal.fromLogical` writes them.
    pub fn to_bytes(self) -> Vec<u8> {
        let bytes = self.unscaled.to_be_bytes();
        let negative = self.unscaled < 0;
        let mut start = 0;
        while start < 15 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            let redundant = if negative {
                b == 0xff && next & 0x80 != 0
            } else {
                b == 0 && next & 0x80 == 0
            };
            if !redundant {
                break;
            }
            start += 1;
        }
        bytes[start..].to_vec()
    }

    /// The inverse of [`Decimal::to_bytes`]; `None` when the value needs more than 128 bits.
    pub fn from_bytes(bytes: &[u8], scale: i32) -> Option<Decimal> {
        if bytes.len() > 16 {
            return None;
        }
        let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            0xff
        } else {
            0
        };
        let mut buf = [fill; 16];
        buf[16 - bytes.len()..].copy_from_slice(bytes);
        Some(Decimal {
            unscaled: i128::from_be_bytes(buf),
            scale,
        })
    }
}

impl fmt::Display for Decimal {
    /// Java's `BigDecimal.toPlainString()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale <= 0 {
            let zeros = "0".repeat(self.scale.unsigned_abs() as usize);
            return if self.unscaled == 0 {
                f.write_str("0")
            } else {
                write!(f, "{}{zeros}", self.unscaled)
            };
        }
        let digits = self.unscaled.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let sign = if self.unscaled < 0 { "-" } else { "" };
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl Value {
    /// Java's `Object.toString()` of the equivalent value, used by StringConverter and the file
    /// sink (which writes `record.value()` as text).
    pub fn java_string(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Boolean(b) => b.to_string(),
            Value::Int8(v) => v.to_string(),
            Value::Int16(v) => v.to_string(),
            Value::Int32(v) => v.to_string(),
            Value::Int64(v) => v.to_string(),
            Value::Float32(v) => java_float(f64::from(*v)),
            Value::Float64(v) => java_float(*v),
            Value::String(s) => s.clone(),
            // Java prints a byte[] as its identity; the bytes themselves are more useful.
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(Value::java_string).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Map(entries) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}={}", k.java_string(), v.java_string()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Struct(s) => {
                let parts: Vec<String> = s
                    .schema
                    .fields
                    .iter()
                    .zip(&s.values)
                    .filter(|(_, v)| **v != Value::Null)
                    .map(|(f, v)| format!("{}={}", f.name, v.java_string()))
                    .collect();
                format!("Struct{{{}}}", parts.join(","))
            }
            Value::Decimal(d) => d.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::Timestamp(t) => t.to_string(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Java's `Double.toString` for the common cases: integral values keep a `.0`.
fn java_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        }
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bytes_round_trip_like_big_integer() {
        for (unscaled, bytes) in [
            (0i128, vec![0u8]),
            (1, vec![1]),
            (127, vec![127]),
            (128, vec![0, 128]),
            (-1, vec![0xff]),
            (-128, vec![0x80]),
            (-129, vec![0xff, 0x7f]),
            (12345, vec![0x30, 0x39]),
        ] {
            let d = Decimal { unscaled, scale: 2 };
            assert_eq!(d.to_bytes(), bytes, "{unscaled}");
            assert_eq!(Decimal::from_bytes(&bytes, 2), Some(d));
        }
        assert_eq!(Decimal::from_bytes(&[1; 17], 0), None);
    }

    #[test]
    fn decimal_plain_string() {
        for (unscaled, scale, text) in [
            (12345, 2, "123.45"),
            (-5, 3, "-0.005"),
            (7, 0, "7"),
            (7, -2, "700"),
            (0, 2, "0.00"),
        ] {
            assert_eq!(Decimal { unscaled, scale }.to_string(), text);
        }
    }

    #[test]
    fn java_strings() {
        assert_eq!(Value::Float64(1.0).java_string(), "1.0");
        assert_eq!(Value::Float64(1.5).java_string(), "1.5");
        assert_eq!(
            Value::Map(vec![(Value::String("a".into()), Value::Int64(1))]).java_string(),
            "{a=1}"
        );
    }
}
