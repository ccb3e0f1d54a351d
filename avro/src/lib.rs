//! Avro in the Confluent wire format, shared by connect-worker's AvroConverter and connectctl's
//! DLQ commands:
//! - [`schema`]: Avro schemas parsed from and written to their JSON form;
//! - [`binary`]: Avro's binary encoding of a [`Datum`];
//! - [`wire`]: the Confluent framing (magic byte 0, 4-byte big-endian schema id, Avro body);
//! - [`registry`]: a Confluent Schema Registry client (several URLs, basic auth, caches);
//! - [`connect`]: the Connect <-> Avro mapping of Confluent's `AvroData`;
//! - [`json`]: a datum as plain JSON for people (DLQ inspect) and back (replay `--fix`).

pub mod binary;
pub mod connect;
pub mod json;
pub mod registry;
pub mod schema;
pub mod wire;

pub use binary::Datum;
pub use registry::{RegistryClient, RegistryConfig, RegistryError};
pub use schema::{AvroSchema, SchemaError};
