//! Secret masking: config values whose key looks like a credential, or that the plugin's config
//! definition declares as `PASSWORD`, are shown as `********` unless `--reveal`.

use std::collections::BTreeSet;

use connect_api::ConfigMap;

pub const MASK: &str = "********";

/// Whether a key's name says it holds a secret. The last dotted segment is checked for `key` so
/// that `key.converter` or `primary.key.fields` stay visible while `api.key` is hidden.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const WORDS: [&str; 7] = [
        "password",
        "passwd",
        "secret",
        "token",
        "jaas",
        "credential",
        "user.info",
    ];
    if WORDS.iter().any(|w| k.contains(w)) {
        return true;
    }
    let last = k.rsplit('.').next().unwrap_or(&k);
    last.ends_with("key") || last.ends_with("_key") || last.ends_with("-key")
}

/// Masks `config` in place. `password_keys` holds the keys the plugin declares as PASSWORD.
/// Config provider placeholders (`${file:/x:pw}`) are references, not secrets, so they stay.
/// URL-valued configs keep their URL but lose the credentials inside it.
pub fn mask_config(config: &mut ConfigMap, password_keys: &BTreeSet<String>) {
    for (k, v) in config.iter_mut() {
        let masked = mask_value(k, v, password_keys);
        if masked != v.as_str() {
            *v = masked.into_owned();
        }
    }
}

/// Whether a value is a URL that may carry credentials: `scheme://user:pw@host`, JDBC URLs,
/// or anything with a query string.
fn looks_like_url(value: &str) -> bool {
    let v = value.trim_start();
    v.contains("://") || v.starts_with("jdbc:") || v.starts_with("mongodb")
}

/// A URL with its userinfo password and credential parameters masked, keeping the user name
/// (`jdbc:postgresql://u:********@db/x`, `...?password=********`) so the value stays
/// recognisable; `None` when nothing in it is secret.
pub fn mask_url(url: &str) -> Option<String> {
    let mut out = url.to_owned();
    let mut changed = false;
    // Userinfo: in each `scheme://userinfo@host` (a value may hold several, comma-separated).
    let mut search = 0;
    while let Some(rel) = out[search..].find("://") {
        let start = search + rel + 3;
        let auth_end = out[start..]
            .find(['/', '?', '#', ',', ' '])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..auth_end].rfind('@') {
            let userinfo = &out[start..start + at];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                out = format!("{}{user}:{MASK}{}", &out[..start], &out[start + at..]);
                changed = true;
            }
        }
        search = start.min(out.len());
        if search >= out.len() {
            break;
        }
    }
    // Credential parameters (`?password=`, `&token=`, JDBC `;password=`): the one redaction the
    // client uses for URLs it shows, applied to the part after the authority.
    let redacted = crate::client::redact_query(&out);
    if redacted != out {
        out = redacted;
        changed = true;
    }
    changed.then_some(out)
}

pub fn should_mask(key: &str, value: &str, password_keys: &BTreeSet<String>) -> bool {
    let placeholder = value.starts_with("${") && value.ends_with('}');
    !placeholder && !value.is_empty() && (password_keys.contains(key) || is_secret_key(key))
}

/// Masks one value for display: `********` for a secret, a URL without its credentials for a
/// URL-valued config, else the value as it is.
pub fn mask_value<'a>(
    key: &str,
    value: &'a str,
    password_keys: &BTreeSet<String>,
) -> std::borrow::Cow<'a, str> {
    if should_mask(key, value, password_keys) {
        return std::borrow::Cow::Borrowed(MASK);
    }
    if looks_like_url(value) {
        if let Some(masked) = mask_url(value) {
            return std::borrow::Cow::Owned(masked);
        }
    }
    std::borrow::Cow::Borrowed(value)
}

/// `key=value`, `key: value`, `"key":"value"` and `key -> value` pairs in free text (log lines,
/// exception messages), the key a dotted or underscored identifier.
static TEXT_PAIR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r#"(?P<key>[A-Za-z][A-Za-z0-9_.\-]*)(?P<sep>"?\s*(?:=|:|->)\s*"?)(?P<value>[^\s,;"'}\])&]+)"#,
    )
    .expect("pair pattern is valid")
});

/// Masks secrets in free text such as a log line: the value of every `key=value` (or
/// `key: value`, `"key": "value"`) pair whose key looks like a credential, and the credentials
/// inside URLs (`scheme://user:pw@host`, `?password=`). Used for log samples and messages, which
/// Connect does not mask itself (a connector may log its own config or connection URL).
pub fn mask_text(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    if TEXT_PAIR.is_match(text) {
        let replaced = TEXT_PAIR.replace_all(text, |c: &regex::Captures<'_>| {
            let (key, sep, value) = (&c["key"], &c["sep"], &c["value"]);
            let placeholder = value.starts_with("${");
            if is_secret_key(key) && !placeholder && value != MASK && value != "[hidden]" {
                format!("{key}{sep}{MASK}")
            } else {
                c[0].to_owned()
            }
        });
        if let std::borrow::Cow::Owned(s) = replaced {
            out = std::borrow::Cow::Owned(s);
        }
    }
    if out.contains("://") || out.contains('?') || out.contains(';') {
        // Each whitespace-separated word that holds a URL loses its credentials.
        let mut changed = false;
        let words: Vec<String> = out
            .split(' ')
            .map(|w| match looks_like_url(w).then(|| mask_url(w)).flatten() {
                Some(m) => {
                    changed = true;
                    m
                }
                None => w.to_owned(),
            })
            .collect();
        if changed {
            out = std::borrow::Cow::Owned(words.join(" "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_names() {
        for k in [
            "connection.password",
            "ssl.key.password",
            "sasl.jaas.config",
            "aws.secret.access.key",
            "api.key",
            "apikey",
            "oauth.token",
            "google.credentials.json",
            "basic.auth.user.info",
            "private_key",
        ] {
            assert!(is_secret_key(k), "{k} should be secret");
        }
        for k in [
            "key.converter",
            "key.converter.schemas.enable",
            "primary.key.fields",
            "topics",
            "connector.class",
            "ssl.keystore.location",
            "file",
        ] {
            assert!(!is_secret_key(k), "{k} should be visible");
        }
    }

    #[test]
    fn masks_declared_passwords_and_leaves_placeholders() {
        let mut cfg = ConfigMap::new();
        cfg.insert("connection.password".into(), "hunter2".into());
        cfg.insert("db.pw".into(), "hunter3".into());
        cfg.insert("token".into(), "${file:/secrets:token}".into());
        cfg.insert("topics".into(), "orders".into());
        let declared: BTreeSet<String> = ["db.pw".to_owned()].into();
        mask_config(&mut cfg, &declared);
        assert_eq!(cfg["connection.password"], MASK);
        assert_eq!(cfg["db.pw"], MASK);
        assert_eq!(cfg["token"], "${file:/secrets:token}");
        assert_eq!(cfg["topics"], "orders");
    }

    #[test]
    fn masks_credentials_inside_url_values() {
        let mut cfg = ConfigMap::new();
        cfg.insert(
            "database.url".into(),
            "jdbc:postgresql://u:pw@db:5432/x".into(),
        );
        cfg.insert(
            "connection.url".into(),
            "jdbc:mysql://db:3306/x?user=u&password=pw&useSSL=true".into(),
        );
        cfg.insert(
            "mongo.uri".into(),
            "mongodb://a:p1@h1:27017,h2:27017/db?authSource=admin".into(),
        );
        cfg.insert("plain.url".into(), "http://h:8080/x?q=1".into());
        mask_config(&mut cfg, &BTreeSet::new());
        assert_eq!(
            cfg["database.url"],
            "jdbc:postgresql://u:********@db:5432/x"
        );
        assert_eq!(
            cfg["connection.url"],
            "jdbc:mysql://db:3306/x?user=u&password=********&useSSL=true"
        );
        assert_eq!(
            cfg["mongo.uri"],
            "mongodb://a:********@h1:27017,h2:27017/db?authSource=admin"
        );
        assert_eq!(cfg["plain.url"], "http://h:8080/x?q=1");
    }
    #[test]
    fn masks_secrets_in_free_text() {
        let line = "Connecting with connection.password=hunter2, user=bob to jdbc:postgresql://bob:s3cr3t@db:5432/x ({\"api.secret\": \"abc123\"}) token: tk-9 key.converter=JsonConverter ${file:/x:pw}";
        let m = mask_text(line);
        for secret in ["hunter2", "s3cr3t", "abc123", "tk-9"] {
            assert!(!m.contains(secret), "{secret} leaked: {m}");
        }
        assert!(m.contains("user=bob"), "{m}");
        assert!(m.contains("key.converter=JsonConverter"), "{m}");
        assert!(
            m.contains("jdbc:postgresql://bob:********@db:5432/x"),
            "{m}"
        );
        assert_eq!(mask_text("nothing secret here"), "nothing secret here");
    }
}
