//! PostgreSQL column types to Connect schemas and values, as Debezium's
//! `PostgresValueConverter` maps them: the same schema types, logical names, versions and
//! parameters, per `decimal.handling.mode` and `time.precision.mode`. Values come in
//! PostgreSQL's text format (snapshot queries and pgoutput both use it).

use connect_plugin_api::data::{Decimal, Schema, SchemaRef, Struct, Type, Value};

use super::config::{DecimalMode, TimeMode};

pub mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const CHAR: u32 = 18;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const CIDR: u32 = 650;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const MACADDR: u32 = 829;
    pub const INET: u32 = 869;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const TIMETZ: u32 = 1266;
    pub const INTERVAL: u32 = 1186;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

/// The element type of each array type Debezium captures (`PostgresValueConverter` gives the
/// arrays of name, interval, xml and money no schema, so they are skipped like unknown types).
fn array_element(array_oid: u32) -> Option<u32> {
    use oid::*;
    Some(match array_oid {
        1000 => BOOL,
        1001 => BYTEA,
        1002 => CHAR,
        1005 => INT2,
        1007 => INT4,
        1009 => TEXT,
        1014 => BPCHAR,
        1015 => VARCHAR,
        1016 => INT8,
        1021 => FLOAT4,
        1022 => FLOAT8,
        1028 => OID,
        1040 => MACADDR,
        1041 => INET,
        651 => CIDR,
        1115 => TIMESTAMP,
        1182 => DATE,
        1183 => TIME,
        1185 => TIMESTAMPTZ,
        1231 => NUMERIC,
        1270 => TIMETZ,
        2951 => UUID,
        199 => JSON,
        3807 => JSONB,
        _ => return None,
    })
}

pub const MICRO_TIME: &str = "io.debezium.time.MicroTime";
pub const MILLI_TIME: &str = "io.debezium.time.Time";
pub const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
pub const MILLI_TIMESTAMP: &str = "io.debezium.time.Timestamp";
pub const DBZ_DATE: &str = "io.debezium.time.Date";
pub const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
pub const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
pub const MICRO_DURATION: &str = "io.debezium.time.MicroDuration";
pub const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";
pub const UUID_NAME: &str = "io.debezium.data.Uuid";
pub const JSON_NAME: &str = "io.debezium.data.Json";
pub const XML_NAME: &str = "io.debezium.data.Xml";
/// What Debezium writes for a TOASTed value that did not change (`unavailable.value.placeholder`).
pub const UNAVAILABLE: &str = "__debezium_unavailable_value";

/// How a column's text is turned into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Text,
    Bytes,
    DecimalFixed(i32),
    DecimalVariable,
    DecimalDouble,
    DecimalString,
    DateDays,
    DateConnect,
    TimeMicros,
    TimeMillis,
    TimeConnect,
    TimestampMicros,
    TimestampMillis,
    TimestampConnect,
    /// The number of fraction digits Debezium writes: the column's precision (6 when unset),
    /// or as many as needed when the precision is 0.
    ZonedTimestamp(i32),
    ZonedTime,
    Interval,
    /// A one-dimensional array in PostgreSQL's text form (`{a,"b c",NULL}`), its elements of
    /// this kind.
    Array(Box<Kind>),
}

/// The precision of a time or timestamp column from its type modifier (6 when unset).
fn time_precision(typmod: i32) -> i32 {
    if typmod < 0 { 6 } else { typmod.min(6) }
}

/// The schema (without optionality or default) and conversion of a column type; `None` for a
/// type this connector does not capture (Debezium skips such columns too unless
/// `include.unknown.datatypes` is set).
pub fn column_kind(
    type_oid: u32,
    typmod: i32,
    decimal: DecimalMode,
    time: TimeMode,
) -> Option<(Schema, Kind)> {
    use oid::*;
    if let Some(element) = array_element(type_oid) {
        // An array column's type modifier is its elements' (numeric(10,2)[], time(3)[]).
        let (items, kind) = column_kind(element, typmod, decimal, time)?;
        return Some((
            Schema::array(items.optional().into_ref()),
            Kind::Array(Box::new(kind)),
        ));
    }
    Some(match type_oid {
        BOOL => (Schema::new(Type::Boolean), Kind::Bool),
        INT2 => (Schema::new(Type::Int16), Kind::Int16),
        INT4 => (Schema::new(Type::Int32), Kind::Int32),
        INT8 | OID => (Schema::new(Type::Int64), Kind::Int64),
        FLOAT4 => (Schema::new(Type::Float32), Kind::Float32),
        FLOAT8 => (Schema::new(Type::Float64), Kind::Float64),
        TEXT | VARCHAR | BPCHAR | CHAR | NAME | INET | CIDR | MACADDR => {
            (Schema::new(Type::String), Kind::Text)
        }
        BYTEA => (Schema::new(Type::Bytes), Kind::Bytes),
        UUID => (
            Schema::new(Type::String).named(UUID_NAME).version(1),
            Kind::Text,
        ),
        JSON | JSONB => (
            Schema::new(Type::String).named(JSON_NAME).version(1),
            Kind::Text,
        ),
        XML => (
            Schema::new(Type::String).named(XML_NAME).version(1),
            Kind::Text,
        ),
        NUMERIC => match decimal {
            DecimalMode::Double => (Schema::new(Type::Float64), Kind::DecimalDouble),
            DecimalMode::String => (Schema::new(Type::String), Kind::DecimalString),
            DecimalMode::Precise if typmod >= 4 => {
                let precision = ((typmod - 4) >> 16) & 0xffff;
                let scale = (typmod - 4) & 0xffff;
                (
                    Schema::decimal(scale)
                        .version(1)
                        .parameter("connect.decimal.precision", &precision.to_string()),
                    Kind::DecimalFixed(scale),
                )
            }
            DecimalMode::Precise => (
                Schema::structure(vec![
                    ("scale".into(), Schema::new(Type::Int32).into_ref()),
                    ("value".into(), Schema::new(Type::Bytes).into_ref()),
                ])
                .named(VARIABLE_SCALE_DECIMAL)
                .version(1)
                .doc("Variable scaled decimal"),
                Kind::DecimalVariable,
            ),
        },
        DATE => match time {
            TimeMode::Connect => (Schema::date(), Kind::DateConnect),
            _ => (
                Schema::new(Type::Int32).named(DBZ_DATE).version(1),
                Kind::DateDays,
            ),
        },
        TIME => match time {
            TimeMode::Connect => (Schema::time(), Kind::TimeConnect),
            TimeMode::Adaptive if time_precision(typmod) <= 3 => (
                Schema::new(Type::Int32).named(MILLI_TIME).version(1),
                Kind::TimeMillis,
            ),
            _ => (
                Schema::new(Type::Int64).named(MICRO_TIME).version(1),
                Kind::TimeMicros,
            ),
        },
        TIMESTAMP => match time {
            TimeMode::Connect => (Schema::timestamp(), Kind::TimestampConnect),
            _ if time_precision(typmod) <= 3 => (
                Schema::new(Type::Int64).named(MILLI_TIMESTAMP).version(1),
                Kind::TimestampMillis,
            ),
            _ => (
                Schema::new(Type::Int64).named(MICRO_TIMESTAMP).version(1),
                Kind::TimestampMicros,
            ),
        },
        TIMESTAMPTZ => (
            Schema::new(Type::String).named(ZONED_TIMESTAMP).version(1),
            Kind::ZonedTimestamp(time_precision(typmod)),
        ),
        TIMETZ => (
            Schema::new(Type::String).named(ZONED_TIME).version(1),
            Kind::ZonedTime,
        ),
        INTERVAL => (
            Schema::new(Type::Int64).named(MICRO_DURATION).version(1),
            Kind::Interval,
        ),
        _ => return None,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parse_date(s: &str) -> Option<i64> {
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(s) => (s, true),
        None => (s, false),
    };
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    let y = if bc { 1 - y } else { y };
    Some(days_from_civil(y, m, d))
}

/// `HH:MM:SS[.ffffff]` to microseconds since midnight.
fn parse_time(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, ':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec = it.next()?;
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let sec: i64 = whole.parse().ok()?;
    let mut micros = 0i64;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += c.to_digit(10)? as i64 * 10i64.pow(5 - i as u32);
    }
    Some(((h * 60 + m) * 60 + sec) * 1_000_000 + micros)
}

/// Splits a trailing `+HH[:MM[:SS]]`/`-HH...` zone off a time text; returns (time, offset secs).
fn split_zone(s: &str) -> (&str, i64) {
    if let Some(i) = s.rfind(['+', '-']) {
        if i >= 8 {
            let (t, z) = s.split_at(i);
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let mut parts = z[1..].split(':');
            let h: i64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let m: i64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let sec: i64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            return (t, sign * (h * 3600 + m * 60 + sec));
        }
    }
    (s, 0)
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff][+zz]` to microseconds since the epoch (UTC).
fn parse_timestamp(s: &str) -> Option<i64> {
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(s) => (s, true),
        None => (s, false),
    };
    let (date, time) = s.split_once(' ')?;
    let (time, offset) = split_zone(time);
    let days = if bc {
        parse_date(&format!("{date} BC"))?
    } else {
        parse_date(date)?
    };
    Some(days * 86_400_000_000 + parse_time(time)? - offset * 1_000_000)
}

/// Java's `ISO_OFFSET_DATE_TIME`/`ISO_TIME` fraction: as many digits as needed, none for zero.
fn fraction(micros: i64) -> String {
    if micros == 0 {
        return String::new();
    }
    let s = format!("{micros:06}");
    format!(".{}", s.trim_end_matches('0'))
}

/// Debezium's `ZonedTimestamp` text in UTC: `2024-01-02T01:04:05.123456Z`, with `width`
/// fraction digits (`ZonedTimestamp.toIsoString` with the column's length), or as many as
/// needed (Java's `ISO_OFFSET_DATE_TIME`) when `width` is 0.
fn zoned_timestamp(epoch_micros: i64, width: i32) -> String {
    let days = epoch_micros.div_euclid(86_400_000_000);
    let rem = epoch_micros.rem_euclid(86_400_000_000);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        match width {
            1..=6 => format!(".{:06}", rem % 1_000_000)[..1 + width as usize].to_owned(),
            _ => fraction(rem % 1_000_000),
        }
    )
}

/// A decimal text (`-12.340`) to its unscaled two's complement big-endian bytes and scale.
pub fn decimal_bytes(text: &str) -> Option<(Vec<u8>, i32)> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut mag: Vec<u8> = vec![0];
    for c in int.chars().chain(frac.chars()) {
        let mut carry = c.to_digit(10)?;
        for b in mag.iter_mut().rev() {
            let v = *b as u32 * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    // Minimal two's complement, as BigInteger.toByteArray writes it.
    while mag.len() > 1 && mag[0] == 0 && mag[1] & 0x80 == 0 {
        mag.remove(0);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    if neg && mag.iter().any(|&b| b != 0) {
        let mut carry = 1u16;
        for b in mag.iter_mut().rev() {
            let v = (!*b) as u16 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while mag.len() > 1 && mag[0] == 0xff && mag[1] & 0x80 != 0 {
            mag.remove(0);
        }
    }
    Some((mag, frac.len() as i32))
}

fn parse_decimal(text: &str, scale: i32) -> Option<Decimal> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac = frac.to_owned();
    while (frac.len() as i32) < scale {
        frac.push('0');
    }
    let unscaled: i128 = format!("{int}{frac}").parse().ok()?;
    Some(Decimal {
        unscaled: if neg { -unscaled } else { unscaled },
        scale: frac.len() as i32,
    })
}

/// Debezium's `MicroDuration.durationMicros` of an interval in PostgreSQL's default output style
/// (`1 year 2 mons -3 days +04:05:06.789`): months count 365.25 / 12 days, as Java computes it
/// in doubles.
fn parse_interval(text: &str) -> Option<i64> {
    let (mut years, mut months, mut days) = (0f64, 0f64, 0f64);
    let (mut hours, mut minutes, mut seconds) = (0f64, 0f64, 0f64);
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w.contains(':') {
            let neg = w.starts_with('-');
            let mut parts = w.trim_start_matches(['-', '+']).split(':');
            let h: f64 = parts.next()?.parse().ok()?;
            let m: f64 = parts.next()?.parse().ok()?;
            let s: f64 = parts.next().unwrap_or("0").parse().ok()?;
            let sign = if neg { -1.0 } else { 1.0 };
            hours = sign * h;
            minutes = sign * m;
            seconds = sign * s;
            continue;
        }
        let v: f64 = w.parse().ok()?;
        match words.next()?.trim_end_matches('s') {
            "year" => years = v,
            "mon" => months = v,
            "day" => days = v,
            "hour" => hours = v,
            "min" => minutes = v,
            "sec" => seconds = v,
            _ => return None,
        }
    }
    let days_per_month = 365.25 / 12.0;
    let number_of_days = (years * 12.0 + months) * days_per_month + days;
    let number_of_seconds = ((number_of_days * 24.0 + hours) * 60.0 + minutes) * 60.0 + seconds;
    Some((number_of_seconds * 1e6) as i64)
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// The elements of a one-dimensional array in PostgreSQL's text output: `None` for `NULL`,
/// quoted elements unescaped; `None` for text that is not such an array (several dimensions).
fn array_elements(text: &str) -> Option<Vec<Option<String>>> {
    // A lower bound other than 1 is printed first: `[0:1]={1,2}`.
    let text = match text.strip_prefix('[') {
        Some(_) => text.split_once('=')?.1,
        None => text,
    };
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    if inner.is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let element = if chars.peek() == Some(&'"') {
            chars.next();
            let mut e = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => e.push(chars.next()?),
                    c => e.push(c),
                }
            }
            Some(e)
        } else {
            let mut e = String::new();
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '{' {
                    return None;
                }
                e.push(c);
                chars.next();
            }
            (e != "NULL").then_some(e)
        };
        out.push(element);
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// The value of a column from its text; `Err` names what could not be read.
pub fn convert(kind: &Kind, schema: &SchemaRef, text: &str) -> Result<Value, String> {
    let bad = || format!("cannot convert {text:?} for a column of kind {kind:?}");
    Ok(match *kind {
        Kind::Array(ref element) => {
            let items = schema.value_schema.as_ref().ok_or_else(bad)?;
            let mut values = Vec::new();
            for e in array_elements(text).ok_or_else(bad)? {
                values.push(match e {
                    None => Value::Null,
                    Some(e) => convert(element, items, &e)?,
                });
            }
            Value::Array(values)
        }
        Kind::Bool => Value::Boolean(text == "t" || text == "true"),
        Kind::Int16 => Value::Int16(text.parse().map_err(|_| bad())?),
        Kind::Int32 => Value::Int32(text.parse().map_err(|_| bad())?),
        Kind::Int64 => Value::Int64(text.parse().map_err(|_| bad())?),
        Kind::Float32 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
        Kind::Float64 | Kind::DecimalDouble => Value::Float64(parse_float(text).ok_or_else(bad)?),
        Kind::Text => Value::String(text.to_owned()),
        Kind::DecimalString => Value::String(text.to_owned()),
        Kind::Bytes => {
            let hex = text.strip_prefix("\\x").ok_or_else(bad)?;
            let mut out = Vec::with_capacity(hex.len() / 2);
            for i in (0..hex.len()).step_by(2) {
                out.push(
                    u8::from_str_radix(hex.get(i..i + 2).ok_or_else(bad)?, 16)
                        .map_err(|_| bad())?,
                );
            }
            Value::Bytes(out)
        }
        Kind::DecimalFixed(scale) => Value::Decimal(parse_decimal(text, scale).ok_or_else(bad)?),
        Kind::DecimalVariable => {
            let (bytes, scale) = decimal_bytes(text).ok_or_else(bad)?;
            let mut s = Struct::new(schema.clone());
            s.values = vec![Value::Int32(scale), Value::Bytes(bytes)];
            Value::Struct(s)
        }
        Kind::DateDays => Value::Int32(parse_date(text).ok_or_else(bad)? as i32),
        Kind::DateConnect => Value::Date(parse_date(text).ok_or_else(bad)? as i32),
        Kind::TimeMicros => Value::Int64(parse_time(text).ok_or_else(bad)?),
        Kind::TimeMillis => Value::Int32((parse_time(text).ok_or_else(bad)? / 1000) as i32),
        Kind::TimeConnect => Value::Time((parse_time(text).ok_or_else(bad)? / 1000) as i32),
        Kind::TimestampMicros => Value::Int64(parse_timestamp(text).ok_or_else(bad)?),
        Kind::TimestampMillis => {
            Value::Int64(parse_timestamp(text).ok_or_else(bad)?.div_euclid(1000))
        }
        Kind::TimestampConnect => {
            Value::Timestamp(parse_timestamp(text).ok_or_else(bad)?.div_euclid(1000))
        }
        Kind::ZonedTimestamp(width) => Value::String(zoned_timestamp(
            parse_timestamp(text).ok_or_else(bad)?,
            width,
        )),
        Kind::Interval => Value::Int64(parse_interval(text).ok_or_else(bad)?),
        Kind::ZonedTime => {
            let (t, offset) = split_zone(text);
            let micros =
                (parse_time(t).ok_or_else(bad)? - offset * 1_000_000).rem_euclid(86_400_000_000);
            let secs = micros / 1_000_000;
            Value::String(format!(
                "{:02}:{:02}:{:02}{}Z",
                secs / 3600,
                secs / 60 % 60,
                secs % 60,
                fraction(micros % 1_000_000)
            ))
        }
    })
}

/// The literal of a column default as `pg_get_expr` prints it (`'x'::text`, `0`, `true`), or
/// `None` for an expression (a function call, a sequence) that has no constant value.
pub fn default_literal(expr: &str) -> Option<String> {
    let e = expr.trim();
    if let Some(rest) = e.strip_prefix('\'') {
        let end = rest.rfind('\'')?;
        let tail = &rest[end + 1..];
        if !(tail.is_empty() || tail.starts_with("::")) || tail.contains('(') {
            return None;
        }
        return Some(rest[..end].replace("''", "'"));
    }
    let e = e.trim_start_matches('(').trim_end_matches(')');
    let e = e.split("::").next()?;
    if e == "true" || e == "false" || e.parse::<f64>().is_ok() {
        return Some(e.to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debezium_values_of_the_probe_row() {
        let ts = parse_timestamp("2024-01-02 03:04:05.123456").unwrap();
        assert_eq!(ts, 1_704_164_645_123_456);
        assert_eq!(
            zoned_timestamp(parse_timestamp("2024-01-02 01:04:05.123456+00").unwrap(), 6),
            "2024-01-02T01:04:05.123456Z"
        );
        let whole = parse_timestamp("2024-01-02 01:04:05+00").unwrap();
        assert_eq!(zoned_timestamp(whole, 6), "2024-01-02T01:04:05.000000Z");
        assert_eq!(
            zoned_timestamp(whole + 500_000, 3),
            "2024-01-02T01:04:05.500Z"
        );
        assert_eq!(
            zoned_timestamp(whole + 500_000, 0),
            "2024-01-02T01:04:05.5Z"
        );
        assert_eq!(parse_date("2024-01-02"), Some(19724));
        assert_eq!(parse_time("12:34:56.789"), Some(45_296_789_000));
        assert_eq!(decimal_bytes("5.678"), Some((vec![0x16, 0x2e], 3)));
        assert_eq!(decimal_bytes("-1"), Some((vec![0xff], 0)));
        assert_eq!(decimal_bytes("128"), Some((vec![0x00, 0x80], 0)));
        assert_eq!(default_literal("'x'::text").as_deref(), Some("x"));
        assert_eq!(default_literal("nextval('s'::regclass)"), None);
        assert_eq!(default_literal("0").as_deref(), Some("0"));
        assert_eq!(civil_from_days(19724), (2024, 1, 2));
        assert_eq!(parse_interval("00:00:01.5"), Some(1_500_000));
        assert_eq!(parse_interval("1 day -01:00:00"), Some(82_800_000_000));
        assert_eq!(parse_interval("1 mon"), Some(2_629_800_000_000));
    }

    #[test]
    fn array_text_as_postgresql_prints_it() {
        let some = |v: &[Option<&str>]| Some(v.iter().map(|e| e.map(str::to_owned)).collect());
        assert_eq!(array_elements("{}"), some(&[]));
        assert_eq!(
            array_elements(r#"{a,"b c",NULL,"NULL","q\"x\\y"}"#),
            some(&[Some("a"), Some("b c"), None, Some("NULL"), Some("q\"x\\y")])
        );
        assert_eq!(array_elements("[0:1]={1,2}"), some(&[Some("1"), Some("2")]));
        assert_eq!(array_elements("{{1,2},{3,4}}"), None);
        let (schema, kind) = column_kind(
            1231,
            (10 << 16 | 2) + 4,
            DecimalMode::Precise,
            TimeMode::Adaptive,
        )
        .unwrap();
        let schema = schema.into_ref();
        assert_eq!(
            convert(&kind, &schema, "{1.5,NULL}"),
            Ok(Value::Array(vec![
                Value::Decimal(Decimal {
                    unscaled: 150,
                    scale: 2
                }),
                Value::Null
            ]))
        );
        assert!(schema.value_schema.as_ref().unwrap().optional);
    }
}
