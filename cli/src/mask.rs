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
pub fn mask_config(config: &mut ConfigMap, password_keys: &BTreeSet<String>) {
    for (k, v) in config.iter_mut() {
        if should_mask(k, v, password_keys) {
            *v = MASK.to_owned();
        }
    }
}

pub fn should_mask(key: &str, value: &str, password_keys: &BTreeSet<String>) -> bool {
    let placeholder = value.starts_with("${") && value.ends_with('}');
    !placeholder && !value.is_empty() && (password_keys.contains(key) || is_secret_key(key))
}

/// Masks one value for display.
pub fn mask_value<'a>(key: &str, value: &'a str, password_keys: &BTreeSet<String>) -> &'a str {
    if should_mask(key, value, password_keys) {
        MASK
    } else {
        value
    }
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
}
