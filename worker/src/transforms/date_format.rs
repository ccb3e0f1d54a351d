//! `java.text.SimpleDateFormat` in UTC with English names, as TimestampRouter,
//! TimestampConverter and Cast use it: the same pattern letters, the same pattern errors, the
//! same (lenient) parsing. Like `GregorianCalendar`, dates before 1582-10-15 are in the Julian
//! calendar; weeks start on Sunday and week 1 is the week of January 1st (the `en` locale).
//!
//! Parsing covers the numeric fields, month and day names, AM/PM, eras and UTC offsets (`Z`,
//! `+hh:mm`, `GMT`, `UTC`); like Java it skips spaces before a number, ignores trailing text,
//! and lets out-of-range values roll over (the 30th of February is March 1st).

use std::time::{SystemTime, UNIX_EPOCH};

const DAY_MS: i64 = 86_400_000;
/// 1582-10-15, the first day of the Gregorian calendar, in days since the epoch.
const GREGORIAN_CUTOVER_DAY: i64 = -141_427;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `Values.dateFormatFor(date).format(date)`: a `java.util.Date` as ISO-8601 text, a time of
/// day, a date or a timestamp depending on its milliseconds (Connect's JVM runs in UTC).
pub fn iso_text(ms: i64) -> String {
    let pattern = if ms < DAY_MS {
        "HH:mm:ss.SSS'Z'"
    } else if ms % DAY_MS == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    DateFormat::new(pattern).map_or_else(|_| ms.to_string(), |f| f.format(ms))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct DateFormat {
    pattern: String,
    tokens: Vec<Token>,
    /// The first year of the 100-year window that two-digit years fall in (80 years ago).
    century_start_year: i64,
}

/// A calendar date and time of day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    /// Astronomical year (1 BC is 0).
    year: i64,
    month: u32,
    day: u32,
    ms_of_day: i64,
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

/// Days since the epoch of a proleptic Gregorian date.
fn gregorian_days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = floor_div(y, 400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn gregorian_civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = floor_div(z, 146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since the epoch of a Julian calendar date.
fn julian_days(y: i64, m: u32, d: u32) -> i64 {
    let a = (14 - i64::from(m)) / 12;
    let yy = y + 4800 - a;
    let mm = i64::from(m) + 12 * a - 3;
    let jdn = i64::from(d) + (153 * mm + 2) / 5 + 365 * yy + floor_div(yy, 4) - 32_083;
    jdn - 2_440_588
}

fn julian_civil(days: i64) -> (i64, u32, u32) {
    let c = days + 2_440_588 + 32_082;
    let d = floor_div(4 * c + 3, 1461);
    let e = c - floor_div(1461 * d, 4);
    let m = (5 * e + 2) / 153;
    let day = (e - (153 * m + 2) / 5 + 1) as u32;
    let month = (m + 3 - 12 * (m / 10)) as u32;
    (d - 4800 + m / 10, month, day)
}

/// `GregorianCalendar`'s hybrid: Julian before the cutover, Gregorian from it on.
fn days_of(y: i64, m: u32, d: u32) -> i64 {
    let g = gregorian_days(y, m, d);
    if g >= GREGORIAN_CUTOVER_DAY {
        g
    } else {
        julian_days(y, m, d)
    }
}

fn civil_of(days: i64) -> (i64, u32, u32) {
    if days >= GREGORIAN_CUTOVER_DAY {
        gregorian_civil(days)
    } else {
        julian_civil(days)
    }
}

impl Civil {
    fn from_millis(ms: i64) -> Civil {
        let days = floor_div(ms, DAY_MS);
        let (year, month, day) = civil_of(days);
        Civil {
            year,
            month,
            day,
            ms_of_day: ms - days * DAY_MS,
        }
    }
}

/// Day of week, 1 = Sunday ... 7 = Saturday (`Calendar.DAY_OF_WEEK`).
fn day_of_week(days: i64) -> i64 {
    (days + 4).rem_euclid(7) + 1
}

/// Week-based year and week of year, weeks starting on Sunday, week 1 holding January 1st.
fn week_of_year(days: i64, year: i64) -> (i64, i64) {
    let next_jan1 = days_of(year + 1, 1, 1);
    if days >= next_jan1 - (day_of_week(next_jan1) - 1) {
        return (year + 1, 1);
    }
    let jan1 = days_of(year, 1, 1);
    let week_start = jan1 - (day_of_week(jan1) - 1);
    (year, (days - week_start) / 7 + 1)
}

fn pad(out: &mut String, value: i64, min_digits: usize) {
    let digits = value.unsigned_abs().to_string();
    if value < 0 {
        out.push('-');
    }
    for _ in digits.len()..min_digits {
        out.push('0');
    }
    out.push_str(&digits);
}

const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";

impl DateFormat {
    /// `new SimpleDateFormat(pattern)`; the error is the `IllegalArgumentException` message.
    pub fn new(pattern: &str) -> Result<DateFormat, String> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let mut in_quote = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                in_quote = !in_quote;
                i += 1;
                continue;
            }
            if in_quote || !c.is_ascii_alphabetic() {
                literal.push(c);
                i += 1;
                continue;
            }
            if !PATTERN_LETTERS.contains(c) {
                return Err(format!("Illegal pattern character '{c}'"));
            }
            let mut count = 1;
            while chars.get(i + count) == Some(&c) {
                count += 1;
            }
            if c == 'X' && count > 3 {
                return Err(format!("invalid ISO 8601 format: length={count}"));
            }
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            tokens.push(Token::Field(c, count));
            i += count;
        }
        if in_quote {
            return Err("Unterminated quote".to_owned());
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Ok(DateFormat {
            pattern: pattern.to_owned(),
            tokens,
            century_start_year: Civil::from_millis(now_ms).year - 80,
        })
    }

    /// `toPattern()`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `format(new Date(millis))`.
    pub fn format(&self, millis: i64) -> String {
        let c = Civil::from_millis(millis);
        let days = floor_div(millis, DAY_MS);
        let hour = c.ms_of_day / 3_600_000;
        let minute = c.ms_of_day / 60_000 % 60;
        let second = c.ms_of_day / 1000 % 60;
        let milli = c.ms_of_day % 1000;
        let year_of_era = if c.year > 0 { c.year } else { 1 - c.year };
        let dow = day_of_week(days);
        let mut out = String::new();
        for t in &self.tokens {
            let (letter, count) = match t {
                Token::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Token::Field(l, n) => (*l, *n),
            };
            let year_field = |out: &mut String, y: i64| {
                if count == 2 {
                    pad(out, y.rem_euclid(100), 2);
                } else {
                    pad(out, y, count);
                }
            };
            match letter {
                'G' => out.push_str(if c.year > 0 { "AD" } else { "BC" }),
                'y' => year_field(&mut out, year_of_era),
                'Y' => {
                    let (wy, _) = week_of_year(days, c.year);
                    year_field(&mut out, wy);
                }
                'M' | 'L' => {
                    let name = MONTHS[c.month as usize - 1];
                    match count {
                        1 | 2 => pad(&mut out, i64::from(c.month), count),
                        3 => out.push_str(&name[..3]),
                        _ => out.push_str(name),
                    }
                }
                'd' => pad(&mut out, i64::from(c.day), count),
                'D' => pad(&mut out, days - days_of(c.year, 1, 1) + 1, count),
                'F' => pad(&mut out, (i64::from(c.day) - 1) / 7 + 1, count),
                'w' => pad(&mut out, week_of_year(days, c.year).1, count),
                'W' => {
                    let first = days - i64::from(c.day) + 1;
                    pad(
                        &mut out,
                        (i64::from(c.day) - 1 + day_of_week(first) - 1) / 7 + 1,
                        count,
                    );
                }
                'E' => {
                    let name = DAYS[dow as usize - 1];
                    out.push_str(if count >= 4 { name } else { &name[..3] });
                }
                'u' => pad(&mut out, if dow == 1 { 7 } else { dow - 1 }, count),
                'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                'H' => pad(&mut out, hour, count),
                'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, count),
                'K' => pad(&mut out, hour % 12, count),
                'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, count),
                'm' => pad(&mut out, minute, count),
                's' => pad(&mut out, second, count),
                'S' => pad(&mut out, milli, count),
                'z' => out.push_str(if count >= 4 {
                    "Coordinated Universal Time"
                } else {
                    "UTC"
                }),
                'Z' => out.push_str("+0000"),
                'X' => out.push('Z'),
                _ => {}
            }
        }
        out
    }

    /// `parse(text)`: milliseconds since the epoch, or `None` where Java throws
    /// `ParseException` ("Unparseable date").
    pub fn parse(&self, text: &str) -> Option<i64> {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let mut year: Option<i64> = None;
        let mut month0: Option<i64> = None;
        let mut day: Option<i64> = None;
        let mut day_of_year: Option<i64> = None;
        let mut hour_of_day: Option<i64> = None;
        let mut hour12: Option<i64> = None;
        let mut pm: Option<bool> = None;
        let (mut minute, mut second, mut milli) = (0i64, 0i64, 0i64);
        let mut bc = false;
        let mut offset_ms = 0i64;
        for (i, t) in self.tokens.iter().enumerate() {
            let (letter, count) = match t {
                Token::Literal(lit) => {
                    for lc in lit.chars() {
                        if chars.get(pos) != Some(&lc) {
                            return None;
                        }
                        pos += 1;
                    }
                    continue;
                }
                Token::Field(l, n) => (*l, *n),
            };
            // Java skips blanks before every field.
            while matches!(chars.get(pos), Some(' ' | '\t')) {
                pos += 1;
            }
            if pos >= chars.len() {
                return None;
            }
            let numeric_next = matches!(
                self.tokens.get(i + 1),
                Some(Token::Field(l, n)) if is_numeric(*l, *n)
            );
            let number = |pos: &mut usize| -> Option<(i64, usize)> {
                let start = *pos;
                let limit = if numeric_next {
                    (start + count).min(chars.len())
                } else {
                    chars.len()
                };
                let mut p = start;
                let negative = p < limit && chars[p] == '-';
                if negative {
                    p += 1;
                }
                let digits_start = p;
                let mut v: i64 = 0;
                while p < limit && chars[p].is_ascii_digit() {
                    v = v
                        .checked_mul(10)?
                        .checked_add(i64::from(chars[p] as u8 - b'0'))?;
                    p += 1;
                }
                if p == digits_start {
                    return None;
                }
                *pos = p;
                Some((if negative { -v } else { v }, p - start))
            };
            match letter {
                'G' => {
                    let (idx, len) = match_name(&chars[pos..], &["BC", "AD"])?;
                    bc = idx == 0;
                    pos += len;
                }
                'y' | 'Y' => {
                    let (v, len) = number(&mut pos)?;
                    let two_digit = count <= 2
                        && len == 2
                        && chars[pos - 2..pos].iter().all(char::is_ascii_digit);
                    let y = if two_digit {
                        let ambiguous = self.century_start_year.rem_euclid(100);
                        v + self.century_start_year / 100 * 100
                            + if v < ambiguous { 100 } else { 0 }
                    } else {
                        v
                    };
                    if letter == 'y' {
                        year = Some(y);
                    }
                }
                'M' | 'L' if count >= 3 => {
                    let (idx, len) = match_name(&chars[pos..], &MONTHS)?;
                    month0 = Some(idx as i64);
                    pos += len;
                }
                'M' | 'L' => month0 = Some(number(&mut pos)?.0 - 1),
                'E' => {
                    let (_, len) = match_name(&chars[pos..], &DAYS)?;
                    pos += len;
                }
                'a' => {
                    let (idx, len) = match_name(&chars[pos..], &["AM", "PM"])?;
                    pm = Some(idx == 1);
                    pos += len;
                }
                'd' => day = Some(number(&mut pos)?.0),
                'D' => day_of_year = Some(number(&mut pos)?.0),
                'H' => hour_of_day = Some(number(&mut pos)?.0),
                'k' => {
                    let v = number(&mut pos)?.0;
                    hour_of_day = Some(if v == 24 { 0 } else { v });
                }
                'K' => hour12 = Some(number(&mut pos)?.0),
                'h' => {
                    let v = number(&mut pos)?.0;
                    hour12 = Some(if v == 12 { 0 } else { v });
                }
                'm' => minute = number(&mut pos)?.0,
                's' => second = number(&mut pos)?.0,
                'S' => milli = number(&mut pos)?.0,
                'z' | 'Z' | 'X' => {
                    let (off, len) = parse_offset(&chars[pos..])?;
                    offset_ms = off;
                    pos += len;
                }
                // Week fields and the day-of-week number are read but, as with dates that also
                // give a month and day, do not decide the result.
                _ => {
                    number(&mut pos)?;
                }
            }
        }
        let mut y = year.unwrap_or(1970);
        if bc {
            y = 1 - y;
        }
        let days = match (month0, day, day_of_year) {
            (None, None, Some(doy)) => days_of(y, 1, 1) + doy - 1,
            _ => {
                let m0 = month0.unwrap_or(0);
                let yy = y + m0.div_euclid(12);
                let m = (m0.rem_euclid(12) + 1) as u32;
                days_of(yy, m, 1) + day.unwrap_or(1) - 1
            }
        };
        let hour = match (hour_of_day, hour12) {
            (Some(h), _) => h,
            (None, Some(h)) => h + if pm == Some(true) { 12 } else { 0 },
            (None, None) => {
                if pm == Some(true) {
                    12
                } else {
                    0
                }
            }
        };
        let ms = days
            .checked_mul(DAY_MS)?
            .checked_add(((hour * 60 + minute) * 60 + second) * 1000 + milli)?;
        ms.checked_sub(offset_ms)
    }
}

/// Whether a field is written as a number (so an adjacent number limits its width).
fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' => count <= 2,
        'G' | 'E' | 'a' | 'z' | 'Z' | 'X' => false,
        _ => true,
    }
}

/// The longest name (or its three-letter form) that the text starts with, case-insensitively.
fn match_name(text: &[char], names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        for form in [*name, &name[..name.len().min(3)]] {
            let n = form.chars().count();
            if text.len() >= n
                && text[..n]
                    .iter()
                    .zip(form.chars())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&b))
                && best.is_none_or(|(_, l)| n > l)
            {
                best = Some((i, n));
            }
        }
    }
    best
}

/// A UTC offset: `Z`, `UTC`, `GMT`, `GMT+h:mm`, `+hh`, `+hhmm` or `+hh:mm`.
fn parse_offset(text: &[char]) -> Option<(i64, usize)> {
    let starts = |s: &str| {
        text.len() >= s.len()
            && text[..s.len()]
                .iter()
                .zip(s.chars())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
    };
    if starts("UTC") {
        return Some((0, 3));
    }
    if starts("GMT") {
        return match signed_offset(&text[3..]) {
            Some((off, len)) => Some((off, 3 + len)),
            None => Some((0, 3)),
        };
    }
    if text.first() == Some(&'Z') {
        return Some((0, 1));
    }
    signed_offset(text)
}

fn signed_offset(text: &[char]) -> Option<(i64, usize)> {
    let sign = match text.first()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = |from: usize, max: usize| -> (i64, usize) {
        let mut v = 0;
        let mut n = 0;
        while n < max && text.get(from + n).is_some_and(char::is_ascii_digit) {
            v = v * 10 + i64::from(text[from + n] as u8 - b'0');
            n += 1;
        }
        (v, n)
    };
    let (h, hn) = digits(1, 2);
    if hn == 0 {
        return None;
    }
    let mut len = 1 + hn;
    let mut minutes = 0;
    if text.get(len) == Some(&':') {
        let (m, mn) = digits(len + 1, 2);
        if mn == 2 {
            minutes = m;
            len += 3;
        }
    } else if hn == 2 {
        let (m, mn) = digits(len, 2);
        if mn == 2 {
            minutes = m;
            len += 2;
        }
    }
    Some((sign * (h * 60 + minutes) * 60_000, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(p: &str, ms: i64) -> String {
        DateFormat::new(p).unwrap().format(ms)
    }

    fn parse(p: &str, text: &str) -> Option<i64> {
        DateFormat::new(p).unwrap().parse(text)
    }

    // Every expected value below was printed by Java 17's SimpleDateFormat (UTC, locale en).
    #[test]
    fn formats_like_simple_date_format() {
        let all = "G yyyy YYYY MMMM MMM MM M LLL dd d DDD F EEEE EEE u a HH H kk KK hh mm ss SSS S z zzzz Z X XX XXX w W yy y";
        for (ms, want) in [
            (
                0,
                "AD 1970 1970 January Jan 01 1 Jan 01 1 001 1 Thursday Thu 4 AM 00 0 24 00 12 00 00 000 0 UTC Coordinated Universal Time +0000 Z Z Z 1 1 70 1970",
            ),
            (
                1_700_000_000_123,
                "AD 2023 2023 November Nov 11 11 Nov 14 14 318 2 Tuesday Tue 2 PM 22 22 22 10 10 13 20 123 123 UTC Coordinated Universal Time +0000 Z Z Z 46 3 23 2023",
            ),
            (
                -1,
                "AD 1969 1970 December Dec 12 12 Dec 31 31 365 5 Wednesday Wed 3 PM 23 23 23 11 11 59 59 999 999 UTC Coordinated Universal Time +0000 Z Z Z 1 5 69 1969",
            ),
            (
                1_735_603_200_000,
                "AD 2024 2025 December Dec 12 12 Dec 31 31 366 5 Tuesday Tue 2 AM 00 0 24 00 12 00 00 000 0 UTC Coordinated Universal Time +0000 Z Z Z 1 5 24 2024",
            ),
            (
                -62_135_596_800_000,
                "AD 0001 0001 January Jan 01 1 Jan 03 3 003 1 Monday Mon 1 AM 00 0 24 00 12 00 00 000 0 UTC Coordinated Universal Time +0000 Z Z Z 2 2 01 1",
            ),
            (
                253_402_300_799_999,
                "AD 9999 10000 December Dec 12 12 Dec 31 31 365 5 Friday Fri 5 PM 23 23 23 11 11 59 59 999 999 UTC Coordinated Universal Time +0000 Z Z Z 1 5 99 9999",
            ),
        ] {
            assert_eq!(fmt(all, ms), want, "{ms}");
        }
        assert_eq!(fmt("hh:mm a", 1_700_000_000_005), "10:13 PM");
        assert_eq!(fmt("KK k", -62_198_755_200_000), "00 24");
        assert_eq!(fmt("yyy", -62_198_755_200_000), "002");
        assert_eq!(fmt("GGGG", -62_198_755_200_000), "BC");
        assert_eq!(fmt("SSSSS S", 1_700_000_000_005), "00005 5");
        assert_eq!(fmt("'o''clock' ''", 0), "o'clock '");
    }

    #[test]
    fn pattern_errors_match_java() {
        for (p, e) in [
            ("yyyy-bb", "Illegal pattern character 'b'"),
            ("'abc", "Unterminated quote"),
            ("yyyy'", "Unterminated quote"),
            ("XXXX", "invalid ISO 8601 format: length=4"),
        ] {
            assert_eq!(DateFormat::new(p).unwrap_err(), e);
        }
    }

    #[test]
    fn parses_like_simple_date_format() {
        for (p, text, want) in [
            ("yyyy-MM-dd", "2024-02-30", Some(1_709_251_200_000)),
            ("yyyy-MM-dd", "2024-13-01x", Some(1_735_689_600_000)),
            (
                "yyyy-MM-dd HH:mm:ss.SSS",
                "2024-01-02 03:04:05.6",
                Some(1_704_164_645_006),
            ),
            ("yyyyMMdd", "20240102", Some(1_704_153_600_000)),
            ("yyyyMMddHHmm", "202401021730", Some(1_704_216_600_000)),
            ("yy-MM-dd", "24-01-02", Some(1_704_153_600_000)),
            ("yy-MM-dd", "99-01-02", Some(915_235_200_000)),
            ("yy-MM-dd", "2024-01-02", Some(1_704_153_600_000)),
            ("dd MMM yyyy", "02 jan 2024", Some(1_704_153_600_000)),
            ("dd MMMM yyyy", "02 February 2024", Some(1_706_832_000_000)),
            ("hh:mm a", "12:30 AM", Some(1_800_000)),
            ("hh:mm a", "01:30 PM", Some(48_600_000)),
            (
                "yyyy-MM-dd'T'HH:mm:ssXXX",
                "2024-01-02T03:04:05+02:00",
                Some(1_704_157_445_000),
            ),
            (
                "yyyy-MM-dd'T'HH:mm:ssZ",
                "2024-01-02T03:04:05-0130",
                Some(1_704_170_045_000),
            ),
            (
                "yyyy-MM-dd'T'HH:mm:ss z",
                "2024-01-02T03:04:05 UTC",
                Some(1_704_164_645_000),
            ),
            (
                "yyyy-MM-dd'T'HH:mm:ssX",
                "2024-01-02T03:04:05Z",
                Some(1_704_164_645_000),
            ),
            ("yyyy-MM-dd", "  2024-01-02", Some(1_704_153_600_000)),
            ("yyyy-MM-dd", "2024- 1-02", Some(1_704_153_600_000)),
            ("yyyy-MM-dd", "abc", None),
            ("yyyy-MM-dd", "2024-01", None),
            (
                "EEE, dd MMM yyyy HH:mm:ss",
                "Tue, 02 Jan 2024 10:00:00",
                Some(1_704_189_600_000),
            ),
            ("D yyyy", "40 2024", Some(1_707_436_800_000)),
            ("yyyy-MM-dd", "-5-01-01", Some(-62_325_158_400_000)),
            ("HH:mm:ss", "25:61:61", Some(93_721_000)),
            ("yyyy-MM-dd", "1500-03-01", Some(-14_825_808_000_000)),
            ("MM/dd/yyyy", "1/2/2024", Some(1_704_153_600_000)),
        ] {
            assert_eq!(parse(p, text), want, "{p} <= {text}");
        }
    }

    #[test]
    fn date_to_string() {
        assert_eq!(
            fmt("EEE MMM dd HH:mm:ss zzz yyyy", 0),
            "Thu Jan 01 00:00:00 UTC 1970"
        );
    }
}
