//! Avro keys and values in the Confluent wire format, decoded through a Schema Registry for
//! `dlq inspect` and re-encoded for `dlq replay --fix`.
//!
//! Schemas are fetched once per id. The registry client blocks; the DLQ readers are synchronous
//! but run under the CLI's async runtime, so each registry call runs on a short-lived thread of
//! its own (one per new schema id, not per record).

use std::collections::HashMap;
use std::sync::Arc;

use connect_avro::registry::{
    Registered, RegistryClient, RegistryConfig, RegistryError, SubjectVersion,
};
use connect_avro::{binary, json as avro_json, wire};
use serde::Serialize;
use serde_json::Value as Json;

/// Where a decoded key or value's schema is registered.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemaRef {
    pub id: u32,
    pub subject: Option<String>,
    pub version: Option<i64>,
    /// Why the record could not be decoded (the registry lacks the id, the bytes do not fit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A key or value in the Confluent wire format.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub schema: SchemaRef,
    /// The value as plain JSON; `None` when it could not be decoded (see `schema.error`).
    pub json: Option<Json>,
}

struct Known {
    registered: Arc<Registered>,
    /// Every subject and version the id is registered under: one schema registered under
    /// several subjects (the same record type on several topics) has one id in both Confluent's
    /// registry and Apicurio's.
    at: Vec<SubjectVersion>,
}

impl std::fmt::Debug for AvroDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroDecoder")
            .field("registry", &self.client.as_ref().map(|c| c.urls()))
            .finish()
    }
}

pub struct AvroDecoder {
    client: Option<RegistryClient>,
    schemas: HashMap<u32, Result<Arc<Known>, String>>,
    /// Schemas registered by `encode_registering`, by subject and text: parsed and registered
    /// once per replay, not per record.
    registered: HashMap<(String, String), RegisteredSchema>,
}

type RegisteredSchema = Result<(u32, Arc<connect_avro::AvroSchema>), String>;

/// Runs a blocking registry call off the async runtime's thread.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
}

impl AvroDecoder {
    pub fn new(config: RegistryConfig) -> Result<AvroDecoder, RegistryError> {
        let client = off_runtime(|| RegistryClient::new(config))?;
        Ok(AvroDecoder {
            client: Some(client),
            schemas: HashMap::new(),
            registered: HashMap::new(),
        })
    }

    pub fn client(&self) -> &RegistryClient {
        self.client.as_ref().expect("client lives until drop")
    }

    fn known(&mut self, id: u32) -> Result<Arc<Known>, String> {
        if let Some(k) = self.schemas.get(&id) {
            return k.clone();
        }
        let client = self.client();
        let result = off_runtime(|| {
            let registered = client.schema_by_id(id).map_err(|e| e.to_string())?;
            // Apicurio and Confluent both answer this; an older registry may not, and the
            // subject is then unknown rather than an error.
            let at = client.subjects_of(id).unwrap_or_default();
            Ok(Arc::new(Known { registered, at }))
        });
        self.schemas.insert(id, result.clone());
        result
    }

    /// `None` when the bytes are not in the Confluent wire format (text, JSON, ...).
    pub fn decode(&mut self, bytes: Option<&[u8]>) -> Option<Decoded> {
        self.decode_from(bytes, None)
    }

    /// [`AvroDecoder::decode`] for a key or value (`part`: "key" or "value") of a record from
    /// `topic`: of the subjects the id is registered under, the topic's own (`topic-value`, as
    /// TopicNameStrategy names it) is shown, else the first.
    pub fn decode_from(
        &mut self,
        bytes: Option<&[u8]>,
        origin: Option<(&str, &str)>,
    ) -> Option<Decoded> {
        let (mut schema, found) = self.lookup(bytes, origin)?;
        let json = found.and_then(
            |(k, body)| match binary::decode(&k.registered.schema, body) {
                Ok(d) => Some(avro_json::to_json(&k.registered.schema, &d)),
                Err(e) => {
                    schema.error = Some(format!("schema {}: {e}", schema.id));
                    None
                }
            },
        );
        Some(Decoded { schema, json })
    }

    /// [`AvroDecoder::decode_from`] appending the decoded value to `out` as JSON text (the
    /// bytes serde_json writes for [`Decoded::json`]); `out` is left as it was when the value
    /// cannot be decoded (see the schema's `error`).
    pub fn decode_text(
        &mut self,
        bytes: Option<&[u8]>,
        origin: Option<(&str, &str)>,
        out: &mut Vec<u8>,
    ) -> Option<SchemaRef> {
        let (mut schema, found) = self.lookup(bytes, origin)?;
        if let Some((k, body)) = found {
            if let Err(e) = avro_json::binary_to_json(&k.registered.schema, body, out) {
                schema.error = Some(format!("schema {}: {e}", schema.id));
            }
        }
        Some(schema)
    }

    /// The schema of wire-format `bytes` and, when the registry has it, the schema and the
    /// Avro body to decode with it. `None` when the bytes are not in the wire format.
    #[allow(clippy::type_complexity)]
    fn lookup<'b>(
        &mut self,
        bytes: Option<&'b [u8]>,
        origin: Option<(&str, &str)>,
    ) -> Option<(SchemaRef, Option<(Arc<Known>, &'b [u8])>)> {
        let (id, body) = wire::unframe(bytes?).ok()?;
        let mut schema = SchemaRef {
            id,
            subject: None,
            version: None,
            error: None,
        };
        match self.known(id) {
            Err(e) => {
                schema.error = Some(e);
                Some((schema, None))
            }
            Ok(k) => {
                // The topic's own subject (`topic-part`, as TopicNameStrategy names it).
                let own = |subject: &str| {
                    origin.is_some_and(|(topic, part)| {
                        subject
                            .strip_prefix(topic)
                            .and_then(|rest| rest.strip_prefix('-'))
                            == Some(part)
                    })
                };
                let at = k.at.iter().find(|a| own(&a.subject)).or(k.at.first());
                schema.subject = at.map(|a| a.subject.clone());
                schema.version = at.map(|a| a.version);
                Some((schema, Some((k, body))))
            }
        }
    }

    /// Re-encodes fixed JSON with the schema the record was written with (`id`).
    pub fn encode(&mut self, id: u32, json: &Json) -> Result<Vec<u8>, String> {
        let k = self.known(id)?;
        let datum = avro_json::from_json(&k.registered.schema, json)
            .map_err(|e| format!("the fixed value does not fit schema {id}: {e}"))?;
        let mut out = wire::header(id);
        binary::encode(&k.registered.schema, &datum, &mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Registers `schema_text` under `subject` (an evolved schema) and encodes with it.
    pub fn encode_registering(
        &mut self,
        subject: &str,
        schema_text: &str,
        json: &Json,
    ) -> Result<(u32, Vec<u8>), String> {
        let key = (subject.to_owned(), schema_text.to_owned());
        if !self.registered.contains_key(&key) {
            let client = self.client();
            let result = connect_avro::AvroSchema::parse_str(schema_text)
                .map_err(|e| e.to_string())
                .and_then(|schema| {
                    let id = off_runtime(|| client.register(subject, &schema))
                        .map_err(|e| format!("registering the new schema under {subject}: {e}"))?;
                    Ok((id, Arc::new(schema)))
                });
            self.registered.insert(key.clone(), result);
        }
        let (id, schema) = self.registered[&key].clone()?;
        let datum = avro_json::from_json(&schema, json)
            .map_err(|e| format!("the fixed value does not fit the new schema: {e}"))?;
        let mut out = wire::header(id);
        binary::encode(&schema, &datum, &mut out).map_err(|e| e.to_string())?;
        Ok((id, out))
    }
}

impl Drop for AvroDecoder {
    fn drop(&mut self) {
        // The blocking client shuts its own runtime down on drop, which must not happen on an
        // async runtime's thread.
        if let Some(c) = self.client.take() {
            off_runtime(move || drop(c));
        }
    }
}
