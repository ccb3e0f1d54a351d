//! Java's number parsing and narrowing, as Cast and MaskField rely on them: `Integer.parseInt`
//! and friends, `Float.parseFloat`, `new BigDecimal(String)`, and `Number.intValue()` style
//! conversions, with the messages of the `NumberFormatException`s they throw.

use crate::data::{Decimal, Value};

/// `For input string: "s"`, the message of most parse failures.
fn input_error(s: &str) -> String {
    format!("For input string: \"{s}\"")
}

/// `Long.parseLong(s)` / `Integer.parseInt(s)` (by range): an optional sign and decimal digits.
pub fn parse_integer(s: &str, min: i64, max: i64) -> Result<i64, String> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(input_error(s));
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(max) + 1 {
            return Err(input_error(s));
        }
    }
    let v = if negative { -v } else { v };
    if v < i128::from(min) || v > i128::from(max) {
        return Err(input_error(s));
    }
    Ok(v as i64)
}

/// `Byte.parseByte` / `Short.parseShort`: parsed as an `int`, then range-checked.
pub fn parse_small(s: &str, min: i64, max: i64) -> Result<i64, String> {
    let v = parse_integer(s, i64::from(i32::MIN), i64::from(i32::MAX))?;
    if v < min || v > max {
        return Err(format!("Value out of range. Value:\"{s}\" Radix:10"));
    }
    Ok(v)
}

/// The decimal text `Double.parseDouble` accepts (after trimming, without its `f`/`d`
/// suffix), normalised for Rust's parser; `None` when Java would refuse it.
fn java_float_literal(s: &str) -> Result<String, String> {
    let t = s.trim_matches(|c: char| c <= ' ');
    if t.is_empty() {
        return Err("empty String".to_owned());
    }
    let body = t
        .strip_suffix(['f', 'F', 'd', 'D'])
        .filter(|b| !b.is_empty())
        .unwrap_or(t);
    let (sign, unsigned) = match body.as_bytes()[0] {
        b'-' => ("-", &body[1..]),
        b'+' => ("", &body[1..]),
        _ => ("", body),
    };
    if unsigned == "NaN" && body.len() == t.len() {
        return Ok("NaN".to_owned());
    }
    if unsigned == "Infinity" && body.len() == t.len() {
        return Ok(format!("{sign}inf"));
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return Err(input_error(t));
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits_ok(e) {
            return Err(input_error(t));
        }
    }
    Ok(format!("{sign}{unsigned}"))
}

/// `Double.parseDouble`.
pub fn parse_double(s: &str) -> Result<f64, String> {
    let lit = java_float_literal(s)?;
    lit.parse::<f64>().map_err(|_| input_error(s.trim()))
}

/// `Float.parseFloat`.
pub fn parse_float(s: &str) -> Result<f32, String> {
    let lit = java_float_literal(s)?;
    lit.parse::<f32>().map_err(|_| input_error(s.trim()))
}

/// `new BigDecimal(s)`: `[sign] digits [. digits] [e [sign] digits]`, limited to 38 digits.
pub fn parse_big_decimal(s: &str) -> Result<Decimal, String> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if let Some(bad) = mantissa.chars().find(|c| !c.is_ascii_digit() && *c != '.') {
        return Err(format!(
            "Character {bad} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."
        ));
    }
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if frac.contains('.') {
        return Err("Character array contains more than one decimal point.".to_owned());
    }
    if int.is_empty() && frac.is_empty() {
        return Err("No digits found.".to_owned());
    }
    let exp: i64 = match exponent {
        Some(e) => e
            .parse()
            .map_err(|_| "Exponent overflow.".to_owned())
            .and_then(|v: i64| {
                if e.starts_with('+') || e.starts_with('-') || e.bytes().all(|b| b.is_ascii_digit())
                {
                    Ok(v)
                } else {
                    Err("Exponent overflow.".to_owned())
                }
            })?,
        None => 0,
    };
    let digits = format!("{int}{frac}");
    let unscaled: i128 = digits
        .parse()
        .map_err(|_| "Decimal values wider than 128 bits are not supported".to_owned())?;
    let scale =
        i32::try_from(frac.len() as i64 - exp).map_err(|_| "Scale out of range.".to_owned())?;
    Ok(Decimal {
        unscaled: if negative { -unscaled } else { unscaled },
        scale,
    })
}

/// The integer part of a decimal (`toBigInteger()`), as its low 128 bits.
fn integer_part(d: &Decimal) -> i128 {
    if d.scale <= 0 {
        let mut v = d.unscaled;
        for _ in 0..d.scale.unsigned_abs().min(200) {
            v = v.wrapping_mul(10);
        }
        v
    } else if d.scale > 38 {
        0
    } else {
        d.unscaled / 10i128.pow(d.scale as u32)
    }
}

/// A numeric value as Java's `Number` sees it.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Integral(i64),
    Floating(f64),
    Big(Decimal),
}

impl Number {
    pub fn of(v: &Value) -> Option<Number> {
        Some(match v {
            Value::Int8(i) => Number::Integral(i64::from(*i)),
            Value::Int16(i) => Number::Integral(i64::from(*i)),
            Value::Int32(i) => Number::Integral(i64::from(*i)),
            Value::Int64(i) => Number::Integral(*i),
            Value::Float32(f) => Number::Floating(f64::from(*f)),
            Value::Float64(f) => Number::Floating(*f),
            Value::Decimal(d) => Number::Big(*d),
            _ => return None,
        })
    }

    /// `intValue()`: floating point saturates, integers and big decimals keep their low bits.
    pub fn int_value(self) -> i32 {
        match self {
            Number::Integral(i) => i as i32,
            Number::Floating(f) => f as i32,
            Number::Big(d) => integer_part(&d) as i32,
        }
    }

    /// `byteValue()`: a floating point value goes through `int` first.
    pub fn byte_value(self) -> i8 {
        match self {
            Number::Integral(i) => i as i8,
            other => other.int_value() as i8,
        }
    }

    pub fn short_value(self) -> i16 {
        match self {
            Number::Integral(i) => i as i16,
            other => other.int_value() as i16,
        }
    }

    pub fn long_value(self) -> i64 {
        match self {
            Number::Integral(i) => i,
            Number::Floating(f) => f as i64,
            Number::Big(d) => integer_part(&d) as i64,
        }
    }

    pub fn double_value(self) -> f64 {
        match self {
            Number::Integral(i) => i as f64,
            Number::Floating(f) => f,
            Number::Big(d) => d.java_string().parse().unwrap_or(f64::NAN),
        }
    }

    pub fn float_value(self) -> f32 {
        match self {
            Number::Integral(i) => i as f32,
            Number::Floating(f) => f as f32,
            Number::Big(d) => d.java_string().parse().unwrap_or(f32::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values and messages as Java 17 produces them.
    #[test]
    fn integer_parsing() {
        assert_eq!(
            parse_integer("+42", i32::MIN.into(), i32::MAX.into()),
            Ok(42)
        );
        assert_eq!(
            parse_integer("2147483648", i32::MIN.into(), i32::MAX.into()),
            Err("For input string: \"2147483648\"".to_owned())
        );
        assert_eq!(
            parse_integer(" 1", i64::MIN, i64::MAX),
            Err("For input string: \" 1\"".to_owned())
        );
        assert_eq!(
            parse_integer("-9223372036854775808", i64::MIN, i64::MAX),
            Ok(i64::MIN)
        );
        assert_eq!(
            parse_small("300", -128, 127),
            Err("Value out of range. Value:\"300\" Radix:10".to_owned())
        );
    }

    #[test]
    fn float_parsing() {
        assert_eq!(parse_double(" 1.5d "), Ok(1.5));
        assert_eq!(parse_double("-Infinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_double(".5e1"), Ok(5.0));
        assert_eq!(
            parse_double("inf"),
            Err("For input string: \"inf\"".to_owned())
        );
        assert_eq!(parse_double(""), Err("empty String".to_owned()));
        assert_eq!(parse_float("0.1"), Ok(0.1f32));
    }

    #[test]
    fn big_decimals() {
        assert_eq!(
            parse_big_decimal("-1.50"),
            Ok(Decimal {
                unscaled: -150,
                scale: 2
            })
        );
        assert_eq!(
            parse_big_decimal("1e3"),
            Ok(Decimal {
                unscaled: 1,
                scale: -3
            })
        );
        assert!(parse_big_decimal("abc").is_err());
        assert_eq!(
            Number::Big(parse_big_decimal("1e3").unwrap()).long_value(),
            1000
        );
        assert_eq!(
            Number::Big(parse_big_decimal("-7.9").unwrap()).int_value(),
            -7
        );
        assert_eq!(Number::Floating(300.7).byte_value(), 44);
        assert_eq!(Number::Floating(1e20).int_value(), i32::MAX);
        assert_eq!(Number::Integral(300).byte_value(), 44);
    }
}
