//! The path and query codec: percent-decoding of query parameters, path segments in `Location`
//! headers, and path parameters Jersey cannot bind.

use axum::http::{HeaderMap, header};

use super::{ApiError, ApiResult};

/// Query parameters in order, percent-decoded; repeated keys are kept.
pub(super) fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn query_flag(q: &[(String, String)], key: &str) -> bool {
    q.iter()
        .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
}

pub(super) fn task_number(t: &str) -> ApiResult<u32> {
    // Jersey cannot bind a non-integer task id and answers as for an unknown path.
    t.parse().map_err(|_| ApiError::no_route())
}

pub(super) fn location(headers: &HeaderMap, name: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/connectors/{}", encode_path_segment(name))
}

pub(super) fn encode_path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Jetty's limit on the request target: a longer one is answered 414 (measured on Apache
/// Connect 4.3.1's Jetty 12 with a GET; Jetty's bound is its 8 KiB header buffer).
pub(super) const MAX_URI_LEN: usize = 8187;

/// Why Jetty refuses a request target before Connect's resources see it (Jetty 12's default
/// `UriCompliance`), and which of Jetty's two error paths reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UriViolation {
    pub status: u16,
    pub message: &'static str,
    /// Jetty's `URI:` row: `/badURI` for a URI it parsed and refused, `/badMessage` for a request
    /// it could not parse.
    pub uri: &'static str,
}

impl UriViolation {
    fn bad_uri(message: &'static str) -> UriViolation {
        UriViolation {
            status: 400,
            message,
            uri: "/badURI",
        }
    }

    fn bad_message(status: u16, message: &'static str) -> UriViolation {
        UriViolation {
            status,
            message,
            uri: "/badMessage",
        }
    }

    /// Jetty's HTML error page, with this worker in the footer.
    pub fn page(&self) -> String {
        let UriViolation {
            status,
            message,
            uri,
        } = self;
        format!(
            "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n<title>Error {status} {message}</title>\n</head>\n<body>\n<h2>HTTP ERROR {status} {message}</h2>\n<table>\n<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n<tr><th>MESSAGE:</th><td>{message}</td></tr>\n</table>\n<hr/>Powered by connect-worker<hr/>\n\n</body>\n</html>\n"
        )
    }
}

/// Checks a request target as Jetty 12 does before routing: too long (414), encoded `/`, `%`,
/// `.`/`..` segments, control characters and `\`, NUL, bad UTF-8, empty segments, and dot
/// segments that climb above the root (400). `None` when Jetty would pass it on.
pub(super) fn uri_violation(target: &str, path: &str) -> Option<UriViolation> {
    if target.len() > MAX_URI_LEN {
        return Some(UriViolation::bad_message(414, "URI Too Long"));
    }
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let mut depth: i64 = 0;
    for (i, raw) in segments.iter().enumerate() {
        let seg = raw.split(';').next().unwrap_or_default();
        if raw.is_empty() && i + 1 < segments.len() {
            return Some(UriViolation::bad_uri("Ambiguous URI empty segment"));
        }
        if seg.contains('\\') {
            return Some(UriViolation::bad_uri(
                "Suspicious Path Character, Illegal Path Character",
            ));
        }
        let bytes = seg.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut encoded_dot = false;
        let mut j = 0;
        while j < bytes.len() {
            let b = bytes[j];
            let hex = |k: usize| {
                bytes
                    .get(k)
                    .and_then(|c| (*c as char).to_digit(16))
                    .map(|d| d as u8)
            };
            if b == b'%' {
                if let (Some(h), Some(l)) = (hex(j + 1), hex(j + 2)) {
                    let c = h * 16 + l;
                    match c {
                        b'/' => {
                            return Some(UriViolation::bad_uri("Ambiguous URI path separator"));
                        }
                        b'%' => {
                            return Some(UriViolation::bad_uri("Ambiguous URI path encoding"));
                        }
                        0 => return Some(UriViolation::bad_message(400, "Bad Request")),
                        b'\\' | 0x01..=0x1f | 0x7f => {
                            return Some(UriViolation::bad_uri("Suspicious Path Character"));
                        }
                        b'.' => encoded_dot = true,
                        _ => {}
                    }
                    decoded.push(c);
                    j += 3;
                    continue;
                }
            }
            decoded.push(b);
            j += 1;
        }
        if std::str::from_utf8(&decoded).is_err() {
            return Some(UriViolation::bad_uri("Bad UTF-8 encoding"));
        }
        let dots = decoded == b"." || decoded == b"..";
        // An encoded `..` that would climb above the root is a request Jetty cannot parse.
        if decoded == b".." && encoded_dot && depth == 0 {
            return Some(UriViolation::bad_message(400, "Bad Request"));
        }
        if dots && encoded_dot {
            return Some(UriViolation::bad_uri("Ambiguous URI path segment"));
        }
        match seg {
            ".." => depth -= 1,
            "." => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return Some(UriViolation::bad_message(400, "Bad Request"));
        }
    }
    None
}

/// The path without Jetty's path parameters (`/connectors/a;x/status` is
/// `/connectors/a/status`), which Jetty removes before Connect's resources match the path.
pub(super) fn strip_path_parameters(path: &str) -> Option<String> {
    path.contains(';').then(|| {
        path.split('/')
            .map(|s| s.split(';').next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str) -> Option<(u16, &'static str)> {
        uri_violation(path, path).map(|v| (v.status, v.message))
    }

    /// Each case as Apache Connect 4.3.1 (Jetty 12.0.34) answered it.
    #[test]
    fn jetty_uri_compliance() {
        let sep = Some((400, "Ambiguous URI path separator"));
        let seg = Some((400, "Ambiguous URI path segment"));
        let sus = Some((400, "Suspicious Path Character"));
        assert_eq!(check("/connectors/%2e%2e"), seg);
        assert_eq!(check("/connectors/%2E%2E/status"), seg);
        assert_eq!(check("/connectors/.%2e"), seg);
        assert_eq!(check("/connectors/%2e"), seg);
        assert_eq!(check("/connectors/x/tasks/%2e%2e/status"), seg);
        assert_eq!(check("/connectors/a%2e"), None);
        assert_eq!(check("/connectors/%2ea"), None);
        assert_eq!(check("/connectors/a%2Fb"), sep);
        assert_eq!(check("/connectors/a%2fb/config"), sep);
        assert_eq!(check("/connectors/%2e%2e%2fx"), sep);
        assert_eq!(
            check("/connectors/a%25b"),
            Some((400, "Ambiguous URI path encoding"))
        );
        assert_eq!(check("/connectors/a%5Cb"), sus);
        assert_eq!(check("/connectors/a%01b"), sus);
        assert_eq!(check("/connectors/a%7fb"), sus);
        assert_eq!(check("/connectors/a%00b"), Some((400, "Bad Request")));
        assert_eq!(check("/connectors/%ff"), Some((400, "Bad UTF-8 encoding")));
        assert_eq!(
            check("/connectors/a%c0%afb"),
            Some((400, "Bad UTF-8 encoding"))
        );
        assert_eq!(
            check("/connectors//x"),
            Some((400, "Ambiguous URI empty segment"))
        );
        assert_eq!(check("/.."), Some((400, "Bad Request")));
        assert_eq!(check("/%2e%2e/connectors"), Some((400, "Bad Request")));
        assert_eq!(check("/connectors/../connectors"), None);
        assert_eq!(check("/connectors/%e2%82%ac"), None);
        assert_eq!(check("/connectors/a%3Bb"), None);
        assert_eq!(check("/connectors/"), None);
        let long = format!("/connectors/{}", "a".repeat(MAX_URI_LEN - 12));
        assert_eq!(check(&long), None);
        let longer = format!("{long}a");
        assert_eq!(check(&longer), Some((414, "URI Too Long")));
        assert_eq!(
            strip_path_parameters("/connectors/a;x/status").as_deref(),
            Some("/connectors/a/status")
        );
        assert_eq!(strip_path_parameters("/connectors"), None);
    }
}
