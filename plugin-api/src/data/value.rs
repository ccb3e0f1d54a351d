//! Connect values: what a converter produces from bytes and a connector reads or writes.
//!
//! Logical types get their own variants (rather than Java's `java.util.Date`/`BigDecimal`
//! objects) so that a converter never has to guess what an `Int32` means.

use std::fmt;

use super::SchemaRef;
use crate::error::ConnectError;

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

    /// `Struct.get(Field)`: the field's value, or its schema's default when the value is null.
    pub fn get_with_default(&self, index: usize) -> &Value {
        match self.values.get(index) {
            Some(Value::Null) | None => self.schema.fields[index]
                .schema
                .default
                .as_ref()
                .unwrap_or(&Value::Null),
            Some(v) => v,
        }
    }

    /// `Struct.put(Field, value)`: validates the value against the field's schema first, with
    /// Apache's messages.
    pub fn put_checked(&mut self, index: usize, value: Value) -> Result<(), ConnectError> {
        let field = &self.schema.fields[index];
        field
            .schema
            .validate_value(&value, &format!("field: \"{}\"", field.name))?;
        self.values[index] = value;
        Ok(())
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
    /// `value.getClass()` as Java prints it in Connect's messages (`class java.lang.String`).
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "class java.lang.Boolean",
            Value::Int8(_) => "class java.lang.Byte",
            Value::Int16(_) => "class java.lang.Short",
            Value::Int32(_) => "class java.lang.Integer",
            Value::Int64(_) => "class java.lang.Long",
            Value::Float32(_) => "class java.lang.Float",
            Value::Float64(_) => "class java.lang.Double",
            Value::String(_) => "class java.lang.String",
            Value::Bytes(_) => "class [B",
            Value::Array(_) => "class java.util.ArrayList",
            Value::Map(_) => "class java.util.HashMap",
            Value::Struct(_) => "class org.apache.kafka.connect.data.Struct",
            Value::Decimal(_) => "class java.math.BigDecimal",
            Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => "class java.util.Date",
        }
    }

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
            Value::Float32(v) => java_float_string(*v),
            Value::Float64(v) => java_double_string(*v),
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
            Value::Decimal(d) => d.java_string(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::Timestamp(t) => t.to_string(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Java's `Double.toString`: plain notation from 10^-3 up to 10^7, computerized scientific
/// notation (`1.0E7`) outside it, always with a digit after the point. The digits are the
/// shortest that identify the value.
pub fn java_double_string(v: f64) -> String {
    java_float_text(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{v:e}"),
    )
}

/// Java's `Float.toString`, with the shortest digits that identify the `float`.
pub fn java_float_string(v: f32) -> String {
    java_float_text(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        &format!("{v:e}"),
    )
}

/// Lays out Rust's shortest scientific form (`-1.25e-4`) the way Java prints floating point.
fn java_float_text(nan: bool, infinite: bool, negative: bool, sci: &str) -> String {
    if nan {
        return "NaN".to_owned();
    }
    if infinite {
        return if negative { "-Infinity" } else { "Infinity" }.to_owned();
    }
    let sign = if negative { "-" } else { "" };
    let unsigned = sci.trim_start_matches('-');
    let (mantissa, exp) = unsigned.split_once('e').unwrap_or((unsigned, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.chars().all(|c| c == '0') {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        let point = exp + 1;
        let (int, frac) = if point <= 0 {
            (
                "0".to_owned(),
                format!("{}{digits}", "0".repeat(point.unsigned_abs() as usize)),
            )
        } else if point as usize >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_owned(),
                digits[point as usize..].to_owned(),
            )
        };
        let frac = if frac.is_empty() {
            "0".to_owned()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{rest}E{exp}", &digits[..1])
    }
}

impl Decimal {
    /// Java's `BigDecimal.toString()`: plain unless the scale is negative or the number is
    /// below 10^-6, then scientific (`1.23E+5`).
    pub fn java_string(&self) -> String {
        let digits = self.unscaled.unsigned_abs().to_string();
        let adjusted = -i64::from(self.scale) + digits.len() as i64 - 1;
        if self.scale >= 0 && adjusted >= -6 {
            return self.to_string();
        }
        let sign = if self.unscaled < 0 { "-" } else { "" };
        let mut out = format!("{sign}{}", &digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
        out
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
        // Expected values printed by Java 17's Double.toString / Float.toString.
        for (v, want) in [
            (1e7, "1.0E7"),
            (1234567.0, "1234567.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-1.25e-5, "-1.25E-5"),
            (123.456, "123.456"),
            (0.0, "0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.0e21, "1.0E21"),
        ] {
            assert_eq!(java_double_string(v), want, "{v}");
        }
        assert_eq!(java_float_string(0.1), "0.1");
        assert_eq!(java_float_string(3.4e38), "3.4E38");
        for (unscaled, scale, want) in [
            (123, -2, "1.23E+4"),
            (1, 7, "1E-7"),
            (15, 7, "0.0000015"),
            (-12345, 2, "-123.45"),
        ] {
            assert_eq!(Decimal { unscaled, scale }.java_string(), want);
        }
        assert_eq!(
            Value::Map(vec![(Value::String("a".into()), Value::Int64(1))]).java_string(),
            "{a=1}"
        );
    }
}
