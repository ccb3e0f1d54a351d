//! The envelope's `schema` JSON <-> Connect schemas (`asJsonSchema` / `asConnectSchema`), with
//! Apache's key order and messages.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::JsonConverter;
use crate::data::{Schema, SchemaRef, Type};
use crate::error::ConnectError;

impl JsonConverter {
    /// The schema as JsonConverter writes it into the envelope, keys in Apache's order.
    pub fn schema_to_json(&self, schema: &Schema) -> Result<Json, ConnectError> {
        let mut o = Map::new();
        o.insert(
            "type".into(),
            Json::String(json_type_name(schema.ty).into()),
        );
        match schema.ty {
            Type::Array => {
                o.insert(
                    "items".into(),
                    self.opt_schema_to_json(schema.value_schema.as_deref())?,
                );
            }
            Type::Map => {
                o.insert(
                    "keys".into(),
                    self.opt_schema_to_json(schema.key_schema.as_deref())?,
                );
                o.insert(
                    "values".into(),
                    self.opt_schema_to_json(schema.value_schema.as_deref())?,
                );
            }
            Type::Struct => {
                let mut fields = Vec::with_capacity(schema.fields.len());
                for f in &schema.fields {
                    let mut fj = self.schema_to_json(&f.schema)?;
                    if let Json::Object(m) = &mut fj {
                        m.insert("field".into(), Json::String(f.name.clone()));
                    }
                    fields.push(fj);
                }
                o.insert("fields".into(), Json::Array(fields));
            }
            _ => {}
        }
        o.insert("optional".into(), Json::Bool(schema.optional));
        if let Some(n) = &schema.name {
            o.insert("name".into(), Json::String(n.clone()));
        }
        if let Some(v) = schema.version {
            o.insert("version".into(), Json::from(v));
        }
        if let Some(d) = &schema.doc {
            o.insert("doc".into(), Json::String(d.clone()));
        }
        if let Some(params) = &schema.parameters {
            let p: Map<String, Json> = params
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            o.insert("parameters".into(), Json::Object(p));
        }
        if let Some(d) = &schema.default {
            o.insert("default".into(), self.value_to_json(Some(schema), d)?);
        }
        Ok(Json::Object(o))
    }

    pub(super) fn opt_schema_to_json(&self, schema: Option<&Schema>) -> Result<Json, ConnectError> {
        schema.map_or(Ok(Json::Null), |s| self.schema_to_json(s))
    }

    /// Parses an envelope schema (`asConnectSchema`); JSON null means "no schema".
    pub fn schema_from_json(&self, json: &Json) -> Result<Option<SchemaRef>, ConnectError> {
        if json.is_null() {
            return Ok(None);
        }
        let type_name = json
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))?;
        let mut schema = match type_name {
            "boolean" => Schema::new(Type::Boolean),
            "int8" => Schema::new(Type::Int8),
            "int16" => Schema::new(Type::Int16),
            "int32" => Schema::new(Type::Int32),
            "int64" => Schema::new(Type::Int64),
            "float" => Schema::new(Type::Float32),
            "double" => Schema::new(Type::Float64),
            "bytes" => Schema::new(Type::Bytes),
            "string" => Schema::new(Type::String),
            "array" => {
                let items = json.get("items").filter(|i| !i.is_null()).ok_or_else(|| {
                    ConnectError::data("Array schema did not specify the element type")
                })?;
                Schema::array(self.required_schema(items)?)
            }
            "map" => {
                let keys = json
                    .get("keys")
                    .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
                let values = json.get("values").ok_or_else(|| {
                    ConnectError::data("Map schema did not specify the value type")
                })?;
                Schema::map(self.required_schema(keys)?, self.required_schema(values)?)
            }
            "struct" => {
                let fields = json.get("fields").and_then(Json::as_array).ok_or_else(|| {
                    ConnectError::data("Struct schema's \"fields\" argument is not an array.")
                })?;
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let name = f.get("field").and_then(Json::as_str).ok_or_else(|| {
                        ConnectError::data("Struct schema's field name not specified properly")
                    })?;
                    out.push((name.to_owned(), self.required_schema(f)?));
                }
                Schema::structure(out)
            }
            other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
        };
        schema.optional = json
            .get("optional")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        schema.name = json.get("name").and_then(Json::as_str).map(str::to_owned);
        schema.version = json.get("version").and_then(Json::as_i64).map(|v| v as i32);
        schema.doc = json.get("doc").and_then(Json::as_str).map(str::to_owned);
        if let Some(Json::Object(params)) = json.get("parameters") {
            let mut out = Vec::with_capacity(params.len());
            for (k, v) in params {
                let v = v.as_str().ok_or_else(|| {
                    ConnectError::data("Schema parameters must have string values.")
                })?;
                out.push((k.clone(), v.to_owned()));
            }
            schema.parameters = Some(out);
        }
        if let Some(d) = json.get("default") {
            schema.default =
                Some(self.json_to_value(Some(&schema), Some(d))?).filter(|v| !v.is_null());
        }
        Ok(Some(Arc::new(schema)))
    }

    pub(super) fn required_schema(&self, json: &Json) -> Result<SchemaRef, ConnectError> {
        // A nested `null` schema cannot be represented by SchemaBuilder either.
        self.schema_from_json(json)?
            .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))
    }
}

pub(super) fn json_type_name(ty: Type) -> &'static str {
    match ty {
        Type::Int8 => "int8",
        Type::Int16 => "int16",
        Type::Int32 => "int32",
        Type::Int64 => "int64",
        Type::Float32 => "float",
        Type::Float64 => "double",
        Type::Boolean => "boolean",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Array => "array",
        Type::Map => "map",
        Type::Struct => "struct",
    }
}
