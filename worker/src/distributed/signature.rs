//! Signed internal requests under the `sessioned` protocol (KIP-507, Apache's
//! `InternalRequestSignature`): the body of `POST /connectors/{c}/tasks` is signed with the
//! session key the leader distributes through the config topic; the MAC goes base64-encoded in
//! `X-Connect-Authorization`, the algorithm's Java name in
//! `X-Connect-Request-Signature-Algorithm`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// The MAC algorithms this worker signs and verifies with, by their Java names.
pub const ALGORITHMS: [&str; 3] = ["HmacSHA256", "HmacSHA384", "HmacSHA512"];

/// The size in bytes of a key Java's `KeyGenerator` makes for `algorithm` (0: not supported).
pub fn key_size(algorithm: &str) -> usize {
    match algorithm {
        "HmacSHA256" => 32,
        "HmacSHA384" => 48,
        "HmacSHA512" => 64,
        _ => 0,
    }
}

/// A new random session key for `algorithm`, from the operating system's random source.
pub fn generate_key(algorithm: &str) -> Result<Vec<u8>, getrandom::Error> {
    let mut key = vec![0u8; key_size(algorithm).max(32)];
    getrandom::fill(&mut key)?;
    Ok(key)
}

/// The MAC of `body` under `key`, or `None` for an algorithm this worker does not know.
pub fn sign(algorithm: &str, key: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    fn mac<M: Mac + KeyInit>(key: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
        m.update(body);
        Some(m.finalize().into_bytes().to_vec())
    }
    match algorithm {
        "HmacSHA256" => mac::<Hmac<Sha256>>(key, body),
        "HmacSHA384" => mac::<Hmac<Sha384>>(key, body),
        "HmacSHA512" => mac::<Hmac<Sha512>>(key, body),
        _ => None,
    }
}

/// Whether `signature` is the MAC of `body` under `key`, compared in constant time.
pub fn verify(algorithm: &str, key: &[u8], body: &[u8], signature: &[u8]) -> bool {
    let Some(expected) = sign(algorithm, key, body) else {
        return false;
    };
    expected.len() == signature.len()
        && expected
            .iter()
            .zip(signature)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = sign("HmacSHA256", b"Jefe", b"what do ya want for nothing?").unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            "HmacSHA256",
            b"Jefe",
            b"what do ya want for nothing?",
            &mac
        ));
        assert!(!verify(
            "HmacSHA256",
            b"Jefe",
            b"what do ya want for nothing!",
            &mac
        ));
        assert!(sign("HmacMD5", b"k", b"b").is_none());
        assert_eq!(generate_key("HmacSHA512").unwrap().len(), 64);
    }
}
