//! The Connect data model (`org.apache.kafka.connect.data`): schemas, values and records. It is
//! what converters translate to and from bytes, so a connector never sees the wire format.

mod java_map;
mod record;
mod schema;
mod value;

pub use java_map::*;
pub use record::*;
pub use schema::*;
pub use value::*;

/// A value with its schema; `schema` is `None` for schemaless data (JsonConverter with
/// `schemas.enable=false`), as Java's `SchemaAndValue` allows a null schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl SchemaAndValue {
    /// `SchemaAndValue.NULL`: what a Kafka tombstone converts to.
    pub const NULL: SchemaAndValue = SchemaAndValue {
        schema: None,
        value: Value::Null,
    };

    pub fn new(schema: Option<SchemaRef>, value: Value) -> SchemaAndValue {
        SchemaAndValue { schema, value }
    }
}
