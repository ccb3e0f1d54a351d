//! SQL values as the text protocol gives them -> Connect values, and the timestamps of offsets
//! (`java.sql.Timestamp`: epoch milliseconds plus the nanoseconds of the second) to and from
//! SQL literals in `db.timezone`.

use connect_plugin_api::data::{Decimal, Value};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};

/// `db.timezone` as a time zone: an IANA name, `UTC`/`GMT`/`Z`, or a fixed offset (`+02:00`).
pub fn zone(name: &str) -> Option<TimeZone> {
    let n = name.trim();
    match n {
        "UTC" | "GMT" | "Z" | "UT" => return Some(TimeZone::UTC),
        _ => {}
    }
    if let Some(rest) = n
        .strip_prefix("UTC")
        .or_else(|| n.strip_prefix("GMT"))
        .or(Some(n))
        .filter(|r| r.starts_with('+') || r.starts_with('-'))
    {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        let digits = &rest[1..];
        let (h, m) = match digits.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
            None => (digits.parse::<i32>().ok()?, 0),
        };
        if h > 18 || m > 59 {
            return None;
        }
        let off = Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()?;
        return Some(TimeZone::fixed(off));
    }
    TimeZone::get(n).ok()
}

/// An instant as `java.sql.Timestamp` holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SqlTimestamp {
    /// Whole seconds since the epoch.
    pub seconds: i64,
    /// Nanoseconds within the second, 0..1e9.
    pub nanos: i32,
}

impl SqlTimestamp {
    pub const EPOCH: SqlTimestamp = SqlTimestamp {
        seconds: 0,
        nanos: 0,
    };

    /// `Timestamp.getTime()`.
    pub fn millis(self) -> i64 {
        self.seconds * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// From the offset fields `timestamp` (millis) and `timestamp_nanos`.
    pub fn from_offset(millis: i64, nanos: Option<i64>) -> SqlTimestamp {
        let seconds = millis.div_euclid(1000);
        let nanos = match nanos {
            Some(n) if (0..1_000_000_000).contains(&n) => n as i32,
            _ => (millis.rem_euclid(1000) * 1_000_000) as i32,
        };
        SqlTimestamp { seconds, nanos }
    }

    fn from_jiff(ts: jiff::Timestamp) -> SqlTimestamp {
        let seconds = ts.as_second();
        let nanos = ts.subsec_nanosecond();
        if nanos < 0 {
            SqlTimestamp {
                seconds: seconds - 1,
                nanos: nanos + 1_000_000_000,
            }
        } else {
            SqlTimestamp { seconds, nanos }
        }
    }

    /// The wall-clock literal in `tz` (`'2024-05-01 10:00:00.123456789'`) for SQL text.
    pub fn literal(self, tz: &TimeZone) -> String {
        let ts =
            jiff::Timestamp::new(self.seconds, self.nanos).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let dt = tz.to_datetime(ts);
        // Microseconds: both databases store at most that, and a longer fraction is refused by
        // MariaDB.
        format!("'{}'", dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
    }
}

fn text(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| "value is not UTF-8 text".to_owned())
}

/// A wall-clock `timestamp`/`DATETIME` value read in `tz`.
pub fn parse_timestamp(b: &[u8], tz: &TimeZone) -> Result<SqlTimestamp, String> {
    let s = text(b)?.trim();
    let dt: DateTime = s
        .replacen(' ', "T", 1)
        .parse()
        .map_err(|e| format!("cannot read timestamp {s:?}: {e}"))?;
    let ts = tz
        .to_ambiguous_zoned(dt)
        .compatible()
        .map_err(|e| format!("cannot read timestamp {s:?}: {e}"))?;
    Ok(SqlTimestamp::from_jiff(ts.timestamp()))
}

/// A PostgreSQL `timestamptz` value (`2024-05-01 10:00:00.5+02`).
pub fn parse_timestamptz(b: &[u8]) -> Result<SqlTimestamp, String> {
    let s = text(b)?.trim();
    let mut t = s.replacen(' ', "T", 1);
    // `+02` -> `+02:00`: PostgreSQL prints whole-hour offsets without minutes.
    if let Some(pos) = t.rfind(['+', '-']) {
        if pos > 10 && t.len() - pos == 3 {
            t.push_str(":00");
        }
    }
    let ts: jiff::Timestamp = t
        .parse()
        .map_err(|e| format!("cannot read timestamp {s:?}: {e}"))?;
    Ok(SqlTimestamp::from_jiff(ts))
}

/// Days since the epoch of a `DATE`.
pub fn parse_date(b: &[u8]) -> Result<i32, String> {
    let s = text(b)?.trim();
    let d: Date = s
        .parse()
        .map_err(|e| format!("cannot read date {s:?}: {e}"))?;
    Ok(d.since(Date::constant(1970, 1, 1))
        .map_err(|e| e.to_string())?
        .get_days())
}

/// Milliseconds since midnight of a `TIME` (PostgreSQL `timetz` drops its offset, as pgjdbc's
/// `getTime` does in the JVM's zone; here in UTC).
pub fn parse_time(b: &[u8]) -> Result<i32, String> {
    let s = text(b)?.trim();
    let plain = s.find(['+', '-']).map_or(s, |i| &s[..i]);
    let t: Time = plain
        .parse()
        .map_err(|e| format!("cannot read time {s:?}: {e}"))?;
    Ok((i64::from(t.hour()) * 3_600_000
        + i64::from(t.minute()) * 60_000
        + i64::from(t.second()) * 1000
        + i64::from(t.millisecond())) as i32)
}

/// A decimal text (`-12.3400`, `1e5`) rescaled to `scale` rounding half up, as pgjdbc's
/// `getBigDecimal(column, scale)` does.
pub fn parse_decimal(b: &[u8], scale: i32) -> Result<Decimal, String> {
    let s = text(b)?.trim();
    let bad = || format!("cannot read decimal {s:?}");
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (s, 0),
    };
    let (neg, digits) = match mantissa.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let mut unscaled: i128 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        unscaled = unscaled
            .checked_mul(10)
            .and_then(|u| u.checked_add(i128::from(c - b'0')))
            .ok_or_else(|| format!("decimal {s:?} has more than 38 digits"))?;
    }
    let have = frac.len() as i32 - exp;
    let mut u = unscaled;
    if have < scale {
        for _ in 0..(scale - have) {
            u = u
                .checked_mul(10)
                .ok_or_else(|| format!("decimal {s:?} has more than 38 digits"))?;
        }
    } else if have > scale {
        let drop = (have - scale) as u32;
        let div = 10i128.checked_pow(drop).ok_or_else(bad)?;
        let q = u / div;
        let r = u % div;
        u = if r * 2 >= div { q + 1 } else { q };
    }
    Ok(Decimal {
        unscaled: if neg { -u } else { u },
        scale,
    })
}

/// PostgreSQL `bytea` text output (`\x0a0b`, or the legacy escape format).
pub fn parse_pg_bytea(b: &[u8]) -> Result<Vec<u8>, String> {
    if let Some(hex) = b.strip_prefix(b"\\x") {
        let hexval = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err("bad hex in bytea".to_owned()),
        };
        return hex
            .chunks(2)
            .map(|p| Ok(hexval(p[0])? << 4 | hexval(*p.get(1).unwrap_or(&b'0'))?))
            .collect();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1].is_ascii_digit() {
            let o = std::str::from_utf8(&b[i + 1..i + 4]).map_err(|e| e.to_string())?;
            out.push(u8::from_str_radix(o, 8).map_err(|e| e.to_string())?);
            i += 4;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

pub fn parse_int<T: std::str::FromStr>(b: &[u8]) -> Result<T, String> {
    let s = text(b)?.trim();
    s.parse::<T>()
        .map_err(|_| format!("cannot read integer {s:?}"))
}

pub fn parse_float(b: &[u8]) -> Result<f64, String> {
    let s = text(b)?.trim();
    match s {
        "NaN" => Ok(f64::NAN),
        "Infinity" | "inf" => Ok(f64::INFINITY),
        "-Infinity" | "-inf" => Ok(f64::NEG_INFINITY),
        _ => s
            .parse::<f64>()
            .map_err(|_| format!("cannot read number {s:?}")),
    }
}

pub fn parse_bool(b: &[u8]) -> Result<bool, String> {
    match b {
        b"t" | b"true" | b"1" | b"\x01" | b"TRUE" => Ok(true),
        b"f" | b"false" | b"0" | b"\x00" | b"FALSE" => Ok(false),
        _ => Err(format!(
            "cannot read boolean {:?}",
            String::from_utf8_lossy(b)
        )),
    }
}

/// A MySQL `BIT(1)`/`TINYINT(1)` as the byte Connector/J's `getByte` returns.
pub fn parse_bit_byte(b: &[u8]) -> Result<i8, String> {
    match b {
        [v] if *v <= 1 => Ok(*v as i8),
        _ => parse_int::<i8>(b),
    }
}

/// The text of a value (`String` fields).
pub fn string(b: Vec<u8>) -> Result<Value, String> {
    String::from_utf8(b)
        .map(Value::String)
        .map_err(|_| "value is not UTF-8 text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_rescale_half_up() {
        assert_eq!(
            parse_decimal(b"12.345", 2).unwrap(),
            Decimal {
                unscaled: 1235,
                scale: 2
            }
        );
        assert_eq!(parse_decimal(b"-1.5", 0).unwrap().unscaled, -2);
        assert_eq!(parse_decimal(b"7", 3).unwrap().unscaled, 7000);
        assert_eq!(parse_decimal(b"1e2", 0).unwrap().unscaled, 100);
        assert!(parse_decimal(b"NaN", 0).is_err());
    }

    #[test]
    fn dates_times_and_timestamps() {
        assert_eq!(parse_date(b"1970-01-02").unwrap(), 1);
        assert_eq!(parse_date(b"1969-12-31").unwrap(), -1);
        assert_eq!(parse_time(b"01:00:00.250").unwrap(), 3_600_250);
        assert_eq!(parse_time(b"01:00:00+02").unwrap(), 3_600_000);
        let ts = parse_timestamp(b"2024-01-02 03:04:05.123456", &TimeZone::UTC).unwrap();
        assert_eq!(ts.millis(), 1_704_164_645_123);
        assert_eq!(ts.nanos, 123_456_000);
        assert_eq!(ts.literal(&TimeZone::UTC), "'2024-01-02 03:04:05.123456'");
        let tz = parse_timestamptz(b"2024-01-02 05:04:05.123456+02").unwrap();
        assert_eq!(tz, ts);
        let back = SqlTimestamp::from_offset(ts.millis(), Some(i64::from(ts.nanos)));
        assert_eq!(back, ts);
        let plus2 = zone("+02:00").unwrap();
        assert_eq!(
            parse_timestamp(b"2024-01-02 05:04:05.123456", &plus2).unwrap(),
            ts
        );
        assert!(zone("Europe/Paris").is_some());
        assert!(zone("Nowhere/Land").is_none());
    }

    #[test]
    fn bytea_and_booleans() {
        assert_eq!(parse_pg_bytea(b"\\x0aff").unwrap(), vec![10, 255]);
        assert!(parse_bool(b"t").unwrap());
        assert_eq!(parse_bit_byte(b"\x01").unwrap(), 1);
        assert_eq!(parse_bit_byte(b"0").unwrap(), 0);
    }
}
