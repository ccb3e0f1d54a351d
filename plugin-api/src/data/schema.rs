//! Connect schemas (`org.apache.kafka.connect.data.Schema`): the type description that travels
//! with a value so converters can encode it, and that JsonConverter writes into its envelope.

use std::sync::Arc;

use super::Value;
use crate::error::ConnectError;

/// The primitive and compound types of the Connect data model (`Schema.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl Type {
    /// The Java enum constant name, used in Connect's error messages (`INT32`, `STRUCT`).
    pub fn java_name(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }
}

/// Logical type names, as JsonConverter writes them into `name`.
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
/// The schema parameter that holds a Decimal's scale.
pub const DECIMAL_SCALE: &str = "scale";

/// A shared, immutable schema. Records of one stream usually share one schema.
pub type SchemaRef = Arc<Schema>;

/// A schema. Build with the constructors and the `optional`/`named`/... adapters.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Kept in insertion order, as Java's `LinkedHashMap` does, so JSON output is stable.
    pub parameters: Option<Vec<(String, String)>>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: Option<SchemaRef>,
    pub fields: Vec<Field>,
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

impl Schema {
    pub fn new(ty: Type) -> Schema {
        Schema {
            ty,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
            key_schema: None,
            value_schema: None,
            fields: Vec::new(),
        }
    }

    pub fn array(items: SchemaRef) -> Schema {
        Schema {
            value_schema: Some(items),
            ..Schema::new(Type::Array)
        }
    }

    pub fn map(keys: SchemaRef, values: SchemaRef) -> Schema {
        Schema {
            key_schema: Some(keys),
            value_schema: Some(values),
            ..Schema::new(Type::Map)
        }
    }

    /// A struct schema; field indexes follow the order given.
    pub fn structure(fields: Vec<(String, SchemaRef)>) -> Schema {
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(index, (name, schema))| Field {
                name,
                index,
                schema,
            })
            .collect();
        Schema {
            fields,
            ..Schema::new(Type::Struct)
        }
    }

    pub fn decimal(scale: i32) -> Schema {
        Schema::new(Type::Bytes)
            .named(DECIMAL)
            .parameter(DECIMAL_SCALE, &scale.to_string())
    }

    pub fn date() -> Schema {
        Schema::new(Type::Int32).named(DATE).version(1)
    }

    pub fn time() -> Schema {
        Schema::new(Type::Int32).named(TIME).version(1)
    }

    pub fn timestamp() -> Schema {
        Schema::new(Type::Int64).named(TIMESTAMP).version(1)
    }

    pub fn optional(mut self) -> Schema {
        self.optional = true;
        self
    }

    pub fn named(mut self, name: &str) -> Schema {
        self.name = Some(name.to_owned());
        self
    }

    pub fn version(mut self, version: i32) -> Schema {
        self.version = Some(version);
        self
    }

    pub fn doc(mut self, doc: &str) -> Schema {
        self.doc = Some(doc.to_owned());
        self
    }

    pub fn parameter(mut self, key: &str, value: &str) -> Schema {
        self.parameters
            .get_or_insert_with(Vec::new)
            .push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn default_value(mut self, value: Value) -> Schema {
        self.default = Some(value);
        self
    }

    pub fn into_ref(self) -> SchemaRef {
        Arc::new(self)
    }

    /// `Schema.Type.valueOf`: the type named by its Java constant (`INT32`).
    pub fn type_from_java_name(name: &str) -> Option<Type> {
        Some(match name {
            "INT8" => Type::Int8,
            "INT16" => Type::Int16,
            "INT32" => Type::Int32,
            "INT64" => Type::Int64,
            "FLOAT32" => Type::Float32,
            "FLOAT64" => Type::Float64,
            "BOOLEAN" => Type::Boolean,
            "STRING" => Type::String,
            "BYTES" => Type::Bytes,
            "ARRAY" => Type::Array,
            "MAP" => Type::Map,
            "STRUCT" => Type::Struct,
            _ => return None,
        })
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.parameters
            .as_ref()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `Schema.OPTIONAL_STRING_SCHEMA`, what StringConverter returns.
    pub fn optional_string() -> SchemaRef {
        Schema::new(Type::String).optional().into_ref()
    }

    /// `Schema.OPTIONAL_BYTES_SCHEMA`, what ByteArrayConverter returns.
    pub fn optional_bytes() -> SchemaRef {
        Schema::new(Type::Bytes).optional().into_ref()
    }

    /// `ConnectSchema.validateValue`: whether `value` is what this schema allows, with Apache's
    /// messages; `location` is `value` or `field: "name"`.
    pub fn validate_value(&self, value: &Value, location: &str) -> Result<(), ConnectError> {
        if value.is_null() {
            if !self.optional {
                return Err(ConnectError::data(format!(
                    "Invalid value: null used for required {location}, schema type: {}",
                    self.ty.java_name()
                )));
            }
            return Ok(());
        }
        let logical = match self.name.as_deref() {
            Some(DECIMAL) => Some(matches!(value, Value::Decimal(_))),
            Some(DATE | TIME | TIMESTAMP) => Some(matches!(
                value,
                Value::Date(_) | Value::Time(_) | Value::Timestamp(_)
            )),
            _ => None,
        };
        let matches = logical.unwrap_or(matches!(
            (self.ty, value),
            (Type::Int8, Value::Int8(_))
                | (Type::Int16, Value::Int16(_))
                | (Type::Int32, Value::Int32(_))
                | (Type::Int64, Value::Int64(_))
                | (Type::Float32, Value::Float32(_))
                | (Type::Float64, Value::Float64(_))
                | (Type::Boolean, Value::Boolean(_))
                | (Type::String, Value::String(_))
                | (Type::Bytes, Value::Bytes(_))
                | (Type::Array, Value::Array(_))
                | (Type::Map, Value::Map(_))
                | (Type::Struct, Value::Struct(_))
        ));
        if !matches {
            let name = self
                .name
                .as_ref()
                .map_or(String::new(), |n| format!(" \"{n}\""));
            return Err(ConnectError::data(format!(
                "Invalid Java object for schema{name} with type {}: {} for {location}",
                self.ty.java_name(),
                value.java_class()
            )));
        }
        match value {
            Value::Struct(s) => {
                if *s.schema != *self {
                    return Err(ConnectError::data("Struct schemas do not match."));
                }
                // `Struct.validate`: a null is fine where the field is optional or has a default.
                for (f, v) in s.schema.fields.iter().zip(&s.values) {
                    if v.is_null() && (f.schema.optional || f.schema.default.is_some()) {
                        continue;
                    }
                    f.schema
                        .validate_value(v, &format!("field: \"{}\"", f.name))?;
                }
            }
            Value::Array(items) => {
                let at = format!("element of array {location}");
                let Some(elem) = &self.value_schema else {
                    return Err(ConnectError::data(format!("No schema defined for {at}")));
                };
                for i in items {
                    elem.validate_value(i, &at)?;
                }
            }
            Value::Map(entries) => {
                let (kat, vat) = (
                    format!("key of map {location}"),
                    format!("value of map {location}"),
                );
                let Some(ks) = &self.key_schema else {
                    return Err(ConnectError::data(format!("No schema defined for {kat}")));
                };
                let Some(vs) = &self.value_schema else {
                    return Err(ConnectError::data(format!("No schema defined for {vat}")));
                };
                for (k, v) in entries {
                    ks.validate_value(k, &kat)?;
                    vs.validate_value(v, &vat)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Java's `ConnectSchema.toString()`: `Schema{NAME:TYPE}` or `Schema{TYPE}`.
    pub fn java_string(&self) -> String {
        match &self.name {
            Some(n) => format!("Schema{{{n}:{}}}", self.ty.java_name()),
            None => format!("Schema{{{}}}", self.ty.java_name()),
        }
    }
}
