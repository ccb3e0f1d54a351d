//! JSON text written straight into a byte buffer.
//!
//! `dlq inspect --records -o jsonl` and the JsonConverter spend most of their time escaping long
//! strings (stack traces, messages, row values). serde_json looks at one byte at a time; this
//! skips eight bytes at a time while none of them needs escaping, and writes exactly the bytes
//! serde_json writes: `\"`, `\\`, the short forms `\b \f \n \r \t`, and `\u00xx` (lower-case
//! hex) for the other control characters. Everything else, non-ASCII included, is copied.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` below `n` (`n` <= 128). Exact up to the first such byte:
/// the subtraction's borrow can only mark bytes above one that is really below `n`.
#[inline]
fn less(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// The high bit of each byte of `w` equal to `b`, exact up to the first.
#[inline]
fn equal(w: u64, b: u8) -> u64 {
    less(w ^ (ONES * u64::from(b)), 1)
}

/// The index of the first byte of the eight at `w` (little-endian) that JSON must escape.
#[inline]
fn first_escape(w: u64) -> Option<usize> {
    let m = less(w, 0x20) | equal(w, b'"') | equal(w, b'\\');
    (m != 0).then(|| m.trailing_zeros() as usize / 8)
}

/// Appends `s` as a JSON string, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = if let Some(word) = b.get(i..i + 8) {
            match first_escape(u64::from_le_bytes(word.try_into().expect("eight bytes"))) {
                None => {
                    i += 8;
                    continue;
                }
                Some(at) => {
                    i += at;
                    b[i]
                }
            }
        } else {
            let c = b[i];
            if c >= 0x20 && c != b'"' && c != b'\\' {
                i += 1;
                continue;
            }
            c
        };
        out.extend_from_slice(&b[start..i]);
        write_escape(out, c);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

fn write_escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(c >> 4)],
            HEX[usize::from(c & 0xf)],
        ]),
    }
}

/// Appends `s` as a JSON string, or `null`.
pub fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends an integer.
pub fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends an integer, or `null`.
pub fn write_opt_int(out: &mut Vec<u8>, v: Option<impl itoa::Integer>) {
    match v {
        Some(v) => write_int(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends a float as serde_json writes it (`null` when it is not finite).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &v);
}

/// Appends bytes as connectctl shows binary everywhere: `{"base64":"..."}`.
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    use base64::Engine as _;
    out.extend_from_slice(b"{\"base64\":\"");
    out.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .as_bytes(),
    );
    out.extend_from_slice(b"\"}");
}

/// Appends `"key":` (the key is escaped), for writing an object's members.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_serde_json_escapes() {
        for s in [
            "",
            "plain",
            "exactly8",
            "a \"quoted\" word",
            "back\\slash at the end\\",
            "\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)\n",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f} and é, 東, 🦀",
        ] {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        write_int(&mut out, i64::MIN);
        out.push(b' ');
        write_opt_int(&mut out, None::<i32>);
        out.push(b' ');
        write_f64(&mut out, 0.1);
        out.push(b' ');
        write_f64(&mut out, f64::NAN);
        assert_eq!(out, b"-9223372036854775808 null 0.1 null");
    }
}
