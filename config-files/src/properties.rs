//! Java properties with `java.util.Properties.load` rules, so a file means the same thing to
//! connect-worker and connectctl as to an Apache worker:
//!
//! - lines end with `\n`, `\r` or `\r\n`; leading whitespace (space, tab, form feed) is skipped;
//! - a line whose first non-blank character is `#` or `!` is a comment (and never continues);
//! - an odd number of backslashes at the end of a line joins the next line, whose leading
//!   whitespace is skipped; a backslash at the very end of the input is dropped;
//! - the key ends at the first unescaped `=`, `:` or whitespace; whitespace, then at most one
//!   `=` or `:`, then whitespace separate it from the value;
//! - escapes in keys and values: `\t` `\n` `\r` `\f`, `\uXXXX` (UTF-16, surrogate pairs
//!   combine), and `\x` for any other `x` is `x`.
//!
//! Java reads `InputStream`s as ISO-8859-1; files here are read as UTF-8 text, which is what
//! connector files hold in practice and what `\uXXXX` escapes produce either way.

use std::collections::BTreeMap;

/// A `\uXXXX` escape Java would reject ("Malformed \uxxxx encoding").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: malformed \\uXXXX escape '{found}': expected four hex digits")]
pub struct PropertiesError {
    /// 1-based line where the logical line holding the escape starts.
    pub line: usize,
    pub found: String,
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// The logical lines of `text` (comments and blank lines dropped, continuations joined), each
/// with the number of the line it starts on. Escapes are still in place.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    // Split on \r\n, \r or \n, as Java's LineReader does.
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    for (n, raw) in lines.into_iter().enumerate() {
        let line = raw.trim_start_matches(is_ws);
        let continuing = current.is_some();
        if !continuing && (line.is_empty() || line.starts_with('#') || line.starts_with('!')) {
            continue;
        }
        let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
        let (body, continues) = if trailing % 2 == 1 {
            (&line[..line.len() - 1], true)
        } else {
            (line, false)
        };
        let entry = current.get_or_insert_with(|| (n + 1, String::new()));
        entry.1.push_str(body);
        if !continues {
            out.extend(current.take());
        }
    }
    // A continuation at the end of the input: Java drops the backslash and keeps the line.
    out.extend(current);
    out
}

/// Splits a logical line into its raw (still escaped) key and value.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return (&line[..i], line[i + 1..].trim_start_matches(is_ws)),
            c if is_ws(c) => {
                let rest = line[i..].trim_start_matches(is_ws);
                let rest = rest
                    .strip_prefix(['=', ':'])
                    .unwrap_or(rest)
                    .trim_start_matches(is_ws);
                return (&line[..i], rest);
            }
            _ => {}
        }
    }
    (line, "")
}

fn unescape(s: &str, line: usize) -> Result<String, PropertiesError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    // A high surrogate waiting for its low half.
    let mut pending_high: Option<u16> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            if pending_high.take().is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            // Only reachable through a trailing backslash at the end of the input.
            break;
        };
        if e != 'u' {
            if pending_high.take().is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            out.push(match e {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'f' => '\x0c',
                other => other,
            });
            continue;
        }
        let hex: String = chars.by_ref().take(4).collect();
        let unit = if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
            u16::from_str_radix(&hex, 16).ok()
        } else {
            None
        };
        let Some(unit) = unit else {
            return Err(PropertiesError {
                line,
                found: format!("\\u{hex}"),
            });
        };
        match (pending_high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let cp = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (high, 0xD800..=0xDBFF) => {
                if high.is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                pending_high = Some(unit);
            }
            (high, _) => {
                if high.is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                // A lone low surrogate is not a char; Java would keep it, UTF-8 cannot.
                out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }
    if pending_high.is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    Ok(out)
}

/// Every entry of `text` in file order, duplicates included (the last one wins in a map).
pub fn load_entries(text: &str) -> Result<Vec<(String, String)>, PropertiesError> {
    logical_lines(text)
        .into_iter()
        .map(|(line, logical)| {
            let (k, v) = split_key_value(&logical);
            Ok((unescape(k, line)?, unescape(v, line)?))
        })
        .collect()
}

/// `text` as `Properties.load` reads it: the last value of a repeated key wins.
pub fn load(text: &str) -> Result<BTreeMap<String, String>, PropertiesError> {
    Ok(load_entries(text)?.into_iter().collect())
}

fn escape(s: &str, is_key: bool, out: &mut String) {
    for (i, c) in s.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// Writes entries as `Properties.store` would (without its date comment), so that [`load`] reads
/// back exactly the same keys and values. Non-ASCII text stays UTF-8; control characters are
/// written as `\uXXXX`.
pub fn store<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in entries {
        escape(k, true, &mut out);
        out.push('=');
        escape(v, false, &mut out);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, String) {
        let e = load_entries(text).unwrap();
        assert_eq!(e.len(), 1, "{text:?} -> {e:?}");
        e.into_iter().next().unwrap()
    }

    #[test]
    fn separators() {
        assert_eq!(one("a=b"), ("a".into(), "b".into()));
        assert_eq!(one("a: b"), ("a".into(), "b".into()));
        assert_eq!(one("a b"), ("a".into(), "b".into()));
        assert_eq!(one("  a  =  b  "), ("a".into(), "b  ".into()));
        assert_eq!(one("a \t:\x0c b"), ("a".into(), "b".into()));
        assert_eq!(one("a==b"), ("a".into(), "=b".into()));
        assert_eq!(one("a"), ("a".into(), "".into()));
        assert_eq!(one("=b"), ("".into(), "b".into()));
        assert_eq!(one("a\\=b=c"), ("a=b".into(), "c".into()));
        assert_eq!(one("a\\ b c"), ("a b".into(), "c".into()));
    }

    #[test]
    fn comments_and_blank_lines() {
        let m = load("# c\n! c\n\n   \n  # indented comment \\\nx=1\n").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m["x"], "1");
        // `#` inside a value is text.
        assert_eq!(
            one("u=http://h/#frag"),
            ("u".into(), "http://h/#frag".into())
        );
    }

    #[test]
    fn continuations() {
        assert_eq!(one("t = a,\\\n    b,\\\n\tc"), ("t".into(), "a,b,c".into()));
        // An even number of backslashes is an escaped backslash, not a continuation.
        let m = load("a=x\\\\\nb=y").unwrap();
        assert_eq!(m["a"], "x\\");
        assert_eq!(m["b"], "y");
        // A continued line starting with # is not a comment.
        assert_eq!(one("a=1\\\n#2"), ("a".into(), "1#2".into()));
        // A trailing backslash at the end of the input is dropped.
        assert_eq!(one("a=1\\"), ("a".into(), "1".into()));
        // \r\n and \r end lines too.
        let m = load("a=1\r\nb=2\rc=3\\\r\n 4").unwrap();
        assert_eq!(
            (m["a"].as_str(), m["b"].as_str(), m["c"].as_str()),
            ("1", "2", "34")
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(
            one("k=a\\tb\\nc\\rd\\fe\\qf"),
            ("k".into(), "a\tb\nc\rd\x0ceqf".into())
        );
        assert_eq!(one("k=\\u00e9\\u0041"), ("k".into(), "éA".into()));
        assert_eq!(one("k=\\uD83D\\uDE00"), ("k".into(), "😀".into()));
        assert_eq!(one("k=\\uD83Dx"), ("k".into(), "\u{FFFD}x".into()));
        let err = load("a=1\nk=\\u00g1").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(load("k=\\u12").is_err());
    }

    #[test]
    fn last_value_wins() {
        let m = load("a=1\na=2").unwrap();
        assert_eq!(m["a"], "2");
    }

    #[test]
    fn store_round_trips_awkward_text() {
        let entries = [
            (" lead key", " lead value"),
            ("k=:#!", "v=:#!\\"),
            ("tab\tkey", "line\nbreak\r\x0c"),
            ("ctl\u{1}", "\u{7f}é😀"),
            ("", ""),
        ];
        let text = store(entries.iter().map(|(k, v)| (*k, *v)));
        let back = load_entries(&text).unwrap();
        let want: Vec<(String, String)> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(back, want, "{text}");
    }
}
