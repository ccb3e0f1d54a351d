//! Which columns a record maps to (Confluent's `FieldsMetadata` and `SinkRecordField`): the
//! primary-key columns per `pk.mode`/`pk.fields`, then the value's fields per
//! `fields.whitelist`, and how to read each column's value out of a record.

use std::borrow::Cow;
use std::sync::Arc;

use connect_plugin_api::data::{Schema, SchemaRef, SinkRecord, Type, Value};
use connect_plugin_api::error::ConnectError;

use super::config::{DEFAULT_KAFKA_PK_NAMES, PkMode};

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    KafkaTopic,
    KafkaPartition,
    KafkaOffset,
    /// The whole record key (a primitive key).
    Key,
    /// A field of the key struct, by index.
    KeyField(usize),
    /// A field of the value struct, by index.
    ValueField(usize),
}

/// One column of the destination table (`SinkRecordField`).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkField {
    pub name: String,
    pub schema: SchemaRef,
    pub primary_key: bool,
    pub source: Source,
}

impl SinkField {
    /// `SinkRecordField.toString()`, as it appears in Confluent's DDL messages.
    pub fn java_string(&self) -> String {
        format!(
            "SinkRecordField{{schema={}, name='{}', isPrimaryKey={}}}",
            self.schema.java_string(),
            self.name,
            self.primary_key
        )
    }
}

/// The columns of one record shape: key columns first, then the others.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldsMetadata {
    pub key: Vec<SinkField>,
    pub non_key: Vec<SinkField>,
}

impl FieldsMetadata {
    /// All columns in Confluent's order for CREATE TABLE (Kafka coordinates, then value field
    /// order, then key-only fields by name).
    pub fn all_for_create(&self, value_schema: Option<&Schema>) -> Vec<&SinkField> {
        let mut all: Vec<&SinkField> = self.key.iter().chain(&self.non_key).collect();
        let rank = |f: &SinkField| -> (usize, usize, String) {
            if let Some(i) = DEFAULT_KAFKA_PK_NAMES.iter().position(|n| *n == f.name) {
                return (0, i, String::new());
            }
            if let Some(vs) = value_schema
                && let Some(field) = vs.field(&f.name)
            {
                return (1, field.index, String::new());
            }
            (2, 0, f.name.clone())
        };
        all.sort_by_key(|f| rank(f));
        all
    }

    /// Key and non-key columns in statement order.
    pub fn columns(&self) -> impl Iterator<Item = &SinkField> {
        self.key.iter().chain(&self.non_key)
    }

    /// Confluent's `FieldsMetadata.extract`.
    pub fn extract(
        table: &str,
        pk_mode: PkMode,
        pk_fields: &[String],
        whitelist: &[String],
        key_schema: Option<&SchemaRef>,
        value_schema: Option<&SchemaRef>,
    ) -> Result<FieldsMetadata, ConnectError> {
        if let Some(vs) = value_schema
            && vs.ty != Type::Struct
        {
            return Err(ConnectError::connect("Value schema must be of type Struct"));
        }
        let mut key = Vec::new();
        match pk_mode {
            PkMode::None => {}
            PkMode::Kafka => {
                let names: Vec<String> = if pk_fields.is_empty() {
                    DEFAULT_KAFKA_PK_NAMES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                } else if pk_fields.len() == 3 {
                    pk_fields.to_vec()
                } else {
                    return Err(ConnectError::connect(format!(
                        "PK mode for table '{table}' is KAFKA so there should either be no field \
                         names defined for defaults {} to be applicable, or exactly 3, defined \
                         fields are: {}",
                        java_list(&DEFAULT_KAFKA_PK_NAMES),
                        java_list(pk_fields)
                    )));
                };
                let schemas = [Type::String, Type::Int32, Type::Int64];
                let sources = [
                    Source::KafkaTopic,
                    Source::KafkaPartition,
                    Source::KafkaOffset,
                ];
                for ((name, ty), source) in names.into_iter().zip(schemas).zip(sources) {
                    key.push(SinkField {
                        name,
                        schema: Arc::new(Schema::new(ty)),
                        primary_key: true,
                        source,
                    });
                }
            }
            PkMode::RecordKey => {
                let Some(ks) = key_schema else {
                    return Err(ConnectError::connect(format!(
                        "PK mode for table '{table}' is RECORD_KEY, but record key schema is missing"
                    )));
                };
                if is_primitive(ks.ty) {
                    if pk_fields.len() != 1 {
                        return Err(ConnectError::connect(format!(
                            "Need exactly one PK column defined since the key schema for records \
                             is a primitive type, defined columns are: {}",
                            java_list(pk_fields)
                        )));
                    }
                    key.push(SinkField {
                        name: pk_fields[0].clone(),
                        schema: ks.clone(),
                        primary_key: true,
                        source: Source::Key,
                    });
                } else if ks.ty == Type::Struct {
                    let names: Vec<String> = if pk_fields.is_empty() {
                        ks.fields.iter().map(|f| f.name.clone()).collect()
                    } else {
                        for n in pk_fields {
                            if ks.field(n).is_none() {
                                return Err(ConnectError::connect(format!(
                                    "PK mode for table '{table}' is RECORD_KEY with configured PK \
                                     fields {}, but record key schema does not contain field: {n}",
                                    java_list(pk_fields)
                                )));
                            }
                        }
                        pk_fields.to_vec()
                    };
                    for n in names {
                        let f = ks.field(&n).expect("checked above");
                        key.push(SinkField {
                            name: n,
                            schema: f.schema.clone(),
                            primary_key: true,
                            source: Source::KeyField(f.index),
                        });
                    }
                } else {
                    return Err(ConnectError::connect(format!(
                        "Key schema must be primitive type or Struct, but is of type: {}",
                        ks.ty.java_name()
                    )));
                }
            }
            PkMode::RecordValue => {
                let Some(vs) = value_schema else {
                    return Err(ConnectError::connect(format!(
                        "PK mode for table '{table}' is RECORD_VALUE, but record value schema is \
                         missing"
                    )));
                };
                let names: Vec<String> = if pk_fields.is_empty() {
                    vs.fields.iter().map(|f| f.name.clone()).collect()
                } else {
                    for n in pk_fields {
                        if vs.field(n).is_none() {
                            return Err(ConnectError::connect(format!(
                                "PK mode for table '{table}' is RECORD_VALUE with configured PK \
                                 fields {}, but record value schema does not contain field: {n}",
                                java_list(pk_fields)
                            )));
                        }
                    }
                    pk_fields.to_vec()
                };
                for n in names {
                    let f = vs.field(&n).expect("checked above");
                    key.push(SinkField {
                        name: n,
                        schema: f.schema.clone(),
                        primary_key: true,
                        source: Source::ValueField(f.index),
                    });
                }
            }
        }
        let mut non_key = Vec::new();
        if let Some(vs) = value_schema {
            for f in &vs.fields {
                if key.iter().any(|k| k.name == f.name) {
                    continue;
                }
                if !whitelist.is_empty() && !whitelist.contains(&f.name) {
                    continue;
                }
                non_key.push(SinkField {
                    name: f.name.clone(),
                    schema: f.schema.clone(),
                    primary_key: false,
                    source: Source::ValueField(f.index),
                });
            }
        }
        if key.is_empty() && non_key.is_empty() {
            return Err(ConnectError::connect(format!(
                "No fields found using key and value schemas for table: {table}"
            )));
        }
        Ok(FieldsMetadata { key, non_key })
    }
}

/// The value of `field` in `record` (`replace_null_with_default`: a null struct field reads as
/// its schema's default, as Connect's `Struct.get` does).
pub fn field_value<'a>(
    record: &'a SinkRecord,
    field: &SinkField,
    replace_null_with_default: bool,
) -> Cow<'a, Value> {
    let from_struct = |v: &'a Value, i: usize| -> Cow<'a, Value> {
        match v {
            Value::Struct(s) => {
                if replace_null_with_default {
                    Cow::Borrowed(s.get_with_default(i))
                } else {
                    s.values
                        .get(i)
                        .map(Cow::Borrowed)
                        .unwrap_or(Cow::Owned(Value::Null))
                }
            }
            _ => Cow::Owned(Value::Null),
        }
    };
    match &field.source {
        Source::KafkaTopic => Cow::Owned(Value::String(record.record.topic.clone())),
        Source::KafkaPartition => {
            Cow::Owned(Value::Int32(record.record.kafka_partition.unwrap_or(0)))
        }
        Source::KafkaOffset => Cow::Owned(Value::Int64(record.kafka_offset)),
        Source::Key => Cow::Borrowed(&record.record.key),
        Source::KeyField(i) => from_struct(&record.record.key, *i),
        Source::ValueField(i) => from_struct(&record.record.value, *i),
    }
}

pub fn is_primitive(t: Type) -> bool {
    !matches!(t, Type::Array | Type::Map | Type::Struct)
}

/// Java's `List.toString()`: `[a, b]`.
pub fn java_list<S: AsRef<str>>(items: &[S]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| s.as_ref())
            .collect::<Vec<_>>()
            .join(", ")
    )
}
