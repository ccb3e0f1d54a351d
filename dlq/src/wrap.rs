//! `wrap-schema` without building a schema per record. A replay of a million records usually
//! has a handful of record shapes, so the schema is inferred once per shape: one pass over the
//! record's bytes writes its shape (field names in order and value types) into a reused buffer,
//! and the shape looks up the schema JSON inferred from the first record that had it. The payload
//! is the record's own bytes, untouched.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::fix::{FixError, Part, infer_schema, is_envelope};

/// Shapes seen, each with its schema JSON, or `None` when records of that shape are already
/// JSON Converter envelopes. Cleared when it grows past this many shapes, so records of
/// endlessly varying shape cost memory no more than a bounded cache.
const MAX_SHAPES: usize = 4096;

#[derive(Default)]
struct Cache {
    schemas: HashMap<String, Option<String>>,
    shape: String,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// `{"schema": <inferred>, "payload": <bytes>}` for one JSON document.
pub(crate) fn wrap(bytes: &[u8], part: Part) -> Result<Vec<u8>, FixError> {
    let not_json = |e: serde_json::Error| FixError::NotJson {
        part,
        reason: e.to_string(),
    };
    CACHE.with(|cache| {
        let cache = &mut *cache.borrow_mut();
        cache.shape.clear();
        let mut de = serde_json::Deserializer::from_slice(bytes);
        Shape(&mut cache.shape)
            .deserialize(&mut de)
            .map_err(not_json)?;
        de.end().map_err(not_json)?;
        if !cache.schemas.contains_key(&cache.shape) {
            let doc: Value = serde_json::from_slice(bytes).map_err(not_json)?;
            let schema = (!is_envelope(&doc)).then(|| infer_schema(&doc).to_string());
            if cache.schemas.len() >= MAX_SHAPES {
                cache.schemas.clear();
            }
            cache.schemas.insert(cache.shape.clone(), schema);
        }
        let Some(schema) = &cache.schemas[&cache.shape] else {
            return Err(FixError::AlreadyEnveloped { part });
        };
        let payload = bytes.trim_ascii();
        let mut out = Vec::with_capacity(schema.len() + payload.len() + 24);
        out.extend_from_slice(b"{\"schema\":");
        out.extend_from_slice(schema.as_bytes());
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(payload);
        out.push(b'}');
        Ok(out)
    })
}

/// Writes the shape of one JSON value: `n` null, `b` boolean, `i` integer, `d` other number, `s`
/// string, `[..]` an array by its first non-null item (as `infer_schema` types arrays), `{..}` an
/// object as length-prefixed field names with their shapes.
struct Shape<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Shape<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shape<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push('n');
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.0.push('b');
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.0.push('i');
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.0.push('i');
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.0.push('d');
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.0.push('s');
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push('[');
        loop {
            let mark = self.0.len();
            if seq.next_element_seed(Shape(self.0))?.is_none() {
                break;
            }
            if &self.0[mark..] == "n" {
                self.0.truncate(mark);
                continue;
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            break;
        }
        self.0.push(']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.push('{');
        while map.next_key_seed(Key(self.0))?.is_some() {
            map.next_value_seed(Shape(self.0))?;
        }
        self.0.push('}');
        Ok(())
    }
}

/// An object key, written as `<len>:<name>` so that no name can imitate the shape syntax.
struct Key<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, k: &str) -> Result<(), E> {
        // Every key of every record: no format machinery.
        self.0.push_str(itoa::Buffer::new().format(k.len()));
        self.0.push(':');
        self.0.push_str(k);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(json: &str) -> String {
        let mut s = String::new();
        let mut de = serde_json::Deserializer::from_str(json);
        Shape(&mut s).deserialize(&mut de).unwrap();
        s
    }

    #[test]
    fn shapes_tell_apart_what_infer_schema_tells_apart() {
        assert_eq!(
            shape(r#"{"id":1,"a":[null,2.5,"x"],"o":{"b":true,"n":null}}"#),
            "{2:idi1:a[d]1:o{1:bb1:nn}}"
        );
        assert_ne!(shape(r#"{"id":1}"#), shape(r#"{"id":1.5}"#));
        assert_ne!(shape(r#"{"id":1}"#), shape(r#"{"di":1}"#));
        assert_ne!(shape(r#"{"a":1,"b":2}"#), shape(r#"{"b":2,"a":1}"#));
        assert_eq!(
            shape(r#"{"id":-1}"#),
            shape(r#"{"id":18446744073709551615}"#)
        );
        assert_eq!(shape("[]"), shape("[null,null]"));
    }

    #[test]
    fn wrapped_records_carry_the_inferred_schema_and_their_own_payload_bytes() {
        for json in [
            r#"{"id":1,"tags":["a"],"price":2.5,"note":null}"#,
            r#" {"id": 2, "tags": [], "price": 3, "note": "x"} "#,
            r#"[1,2]"#,
            r#""just a string""#,
        ] {
            let out = wrap(json.as_bytes(), Part::Value).unwrap();
            let v: Value = serde_json::from_slice(&out).unwrap();
            let doc: Value = serde_json::from_str(json).unwrap();
            assert_eq!(v["schema"], infer_schema(&doc), "{json}");
            assert_eq!(v["payload"], doc, "{json}");
            assert!(out.ends_with(format!(",\"payload\":{}}}", json.trim()).as_bytes()));
        }
    }

    #[test]
    fn envelopes_and_non_json_are_refused() {
        let env = br#"{"schema":{"type":"int64"},"payload":1}"#;
        for _ in 0..2 {
            assert!(matches!(
                wrap(env, Part::Value),
                Err(FixError::AlreadyEnveloped { .. })
            ));
        }
        assert!(matches!(
            wrap(b"{\"a\":", Part::Value),
            Err(FixError::NotJson { .. })
        ));
        assert!(matches!(
            wrap(b"{} trailing", Part::Key),
            Err(FixError::NotJson { .. })
        ));
    }
}
