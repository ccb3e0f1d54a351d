//! The Connect <-> Avro mapping of Confluent's `AvroData`, so that a record written by Confluent's
//! (or Apicurio's) AvroConverter reads back as the same Connect data here, and the reverse:
//! - INT8/INT16 are Avro ints marked `"connect.type": "int8"`/`"int16"`;
//! - Decimal, Date, Time and Timestamp carry Avro's `logicalType` and `connect.name`;
//! - an optional schema is the union `["null", T]` (or `[T, "null"]` when it has a default);
//! - structs are records named after the Connect schema, else `io.confluent.connect.avro.ConnectDefault`;
//! - maps with non-string keys are arrays of `io.confluent.connect.avro.MapEntry` records;
//! - `connect.name`, `connect.version`, `connect.doc`, `connect.parameters` and `connect.default`
//!   keep what Avro cannot say (with `connect.meta.data=true`);
//! - Avro enums read as strings with `io.confluent.connect.avro.Enum` parameters, and are written
//!   back as enums with `enhanced.avro.schema.support=true`; other unions read as a struct named
//!   `io.confluent.connect.avro.Union` with one optional field per branch.
//!
//! Schemaless Connect data (Confluent's `Anything` record) is not supported.

use std::sync::Arc;

use connect_plugin_api::data::{
    DATE, DECIMAL, DECIMAL_SCALE, Decimal, Schema, SchemaRef, Struct, TIME, TIMESTAMP, Type, Value,
};
use connect_plugin_api::error::ConnectError;
use serde_json::{Map, Value as Json, json};

use crate::binary::Datum;
use crate::schema::{AvroSchema, FieldDef, Kind, NodeId};

pub const NAMESPACE: &str = "io.confluent.connect.avro";
pub const DEFAULT_SCHEMA_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
pub const MAP_ENTRY: &str = "io.confluent.connect.avro.MapEntry";
pub const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
pub const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
const CONNECT_ENUM_DOC: &str = "connect.enum.doc";
const CONNECT_RECORD_DOC: &str = "connect.record.doc";
const DECIMAL_PRECISION: &str = "connect.decimal.precision";
const DECIMAL_PRECISION_DEFAULT: i64 = 64;

/// `AvroDataConfig`.
#[derive(Debug, Clone, Copy)]
pub struct AvroData {
    /// `connect.meta.data` (default true).
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false).
    pub enhanced: bool,
}

impl Default for AvroData {
    fn default() -> AvroData {
        AvroData {
            connect_meta_data: true,
            enhanced: false,
        }
    }
}

fn data_err(msg: impl Into<String>) -> ConnectError {
    ConnectError::data(msg)
}

// The methods keep the names of Confluent's AvroData (toConnectSchema, fromConnectData, ...) so
// the two can be read side by side; clippy reads `to_*`/`from_*` on a Copy type as conversions of
// the type itself.
#[allow(clippy::wrong_self_convention)]
impl AvroData {
    // ---------------------------------------------------------------- Connect schema -> Avro

    /// `fromConnectSchema`.
    pub fn from_connect_schema(&self, schema: &Schema) -> Result<AvroSchema, ConnectError> {
        let mut out = AvroSchema::empty();
        let mut defined: Vec<(Schema, NodeId)> = Vec::new();
        out.root = self.to_avro(schema, &mut out, &mut defined, false)?;
        Ok(out)
    }

    fn to_avro(
        &self,
        schema: &Schema,
        out: &mut AvroSchema,
        defined: &mut Vec<(Schema, NodeId)>,
        ignore_optional: bool,
    ) -> Result<NodeId, ConnectError> {
        // A named record used twice is defined once and referred to afterwards, as Avro requires.
        if !schema.optional
            && schema.name.as_deref() != Some(AVRO_TYPE_UNION)
            && let Some((_, id)) = defined.iter().find(|(s, _)| s == schema)
        {
            return Ok(*id);
        }
        let mut props = Map::new();
        let mut connect_type = None;
        let kind = match schema.ty {
            Type::Int8 => {
                connect_type = Some("int8");
                Kind::Int
            }
            Type::Int16 => {
                connect_type = Some("int16");
                Kind::Int
            }
            Type::Int32 => Kind::Int,
            Type::Int64 => Kind::Long,
            Type::Float32 => Kind::Float,
            Type::Float64 => Kind::Double,
            Type::Boolean => Kind::Boolean,
            Type::String => match param(schema, AVRO_TYPE_ENUM) {
                Some(name) if self.enhanced => {
                    let prefix = format!("{AVRO_TYPE_ENUM}.");
                    let symbols = schema
                        .parameters
                        .iter()
                        .flatten()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(_, v)| v.clone())
                        .collect();
                    Kind::Enum {
                        name: name.to_owned(),
                        doc: param(schema, CONNECT_ENUM_DOC).map(str::to_owned),
                        symbols,
                        default: None,
                    }
                }
                _ => Kind::String,
            },
            Type::Bytes => {
                if schema.name.as_deref() == Some(DECIMAL) {
                    let scale: i64 = param(schema, DECIMAL_SCALE)
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| {
                            data_err("Invalid Decimal schema: scale parameter not found.")
                        })?;
                    let precision = param(schema, DECIMAL_PRECISION)
                        .and_then(|p| p.parse::<i64>().ok())
                        .unwrap_or(DECIMAL_PRECISION_DEFAULT);
                    props.insert("scale".into(), json!(scale));
                    props.insert("precision".into(), json!(precision));
                }
                Kind::Bytes
            }
            Type::Array => {
                let items = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| data_err("array schema without a value schema"))?;
                Kind::Array(self.to_avro(items, out, defined, false)?)
            }
            Type::Map => {
                let (Some(k), Some(v)) =
                    (schema.key_schema.as_deref(), schema.value_schema.as_deref())
                else {
                    return Err(data_err("map schema without key or value schema"));
                };
                if k.ty == Type::String && !k.optional {
                    Kind::Map(self.to_avro(v, out, defined, false)?)
                } else {
                    let key = self.field(out, defined, "key", k)?;
                    let value = self.field(out, defined, "value", v)?;
                    let entry = out.push(
                        Kind::Record {
                            name: MAP_ENTRY.to_owned(),
                            doc: None,
                            fields: vec![key, value],
                        },
                        Map::new(),
                    );
                    Kind::Array(entry)
                }
            }
            Type::Struct => {
                if schema.name.as_deref() == Some(AVRO_TYPE_UNION) {
                    let mut branches = Vec::new();
                    if schema.optional {
                        branches.push(out.push(Kind::Null, Map::new()));
                    }
                    for f in &schema.fields {
                        let mut member = (*f.schema).clone();
                        member.optional = false;
                        branches.push(self.to_avro(&member, out, defined, true)?);
                    }
                    return Ok(out.push(Kind::Union(branches), Map::new()));
                }
                if schema.optional && !ignore_optional {
                    let null = out.push(Kind::Null, Map::new());
                    let mut inner = schema.clone();
                    inner.optional = false;
                    let record = self.to_avro(&inner, out, defined, false)?;
                    return Ok(out.push(Kind::Union(vec![null, record]), Map::new()));
                }
                // Registered before the fields so a repeated use inside refers to it.
                let id = out.push(Kind::Null, Map::new());
                let mut key = schema.clone();
                key.optional = false;
                defined.push((key, id));
                let mut fields = Vec::with_capacity(schema.fields.len());
                for f in &schema.fields {
                    fields.push(self.field(out, defined, &f.name, &f.schema)?);
                }
                out.nodes[id].kind = Kind::Record {
                    name: schema
                        .name
                        .clone()
                        .unwrap_or_else(|| DEFAULT_SCHEMA_FULL_NAME.to_owned()),
                    doc: param(schema, CONNECT_RECORD_DOC).map(str::to_owned),
                    fields,
                };
                self.annotate(schema, None, &mut out.nodes[id].props)?;
                return Ok(id);
            }
        };
        self.annotate(schema, connect_type, &mut props)?;
        let base = out.push(kind, props);
        if schema.optional && !ignore_optional {
            let null = out.push(Kind::Null, Map::new());
            let branches = if schema.default.is_some() {
                vec![base, null]
            } else {
                vec![null, base]
            };
            return Ok(out.push(Kind::Union(branches), Map::new()));
        }
        if !schema.optional {
            defined.push((schema.clone(), base));
        }
        Ok(base)
    }

    /// The `connect.*` properties and logical type of a non-union Avro type, in AvroData's order.
    fn annotate(
        &self,
        schema: &Schema,
        connect_type: Option<&str>,
        props: &mut Map<String, Json>,
    ) -> Result<(), ConnectError> {
        if self.connect_meta_data {
            if let Some(doc) = &schema.doc {
                props.insert("connect.doc".into(), json!(doc));
            }
            if let Some(v) = schema.version {
                props.insert("connect.version".into(), json!(v));
            }
            if let Some(params) = &schema.parameters {
                let m: Map<String, Json> =
                    params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                props.insert("connect.parameters".into(), Json::Object(m));
            }
            if let Some(d) = &schema.default {
                props.insert("connect.default".into(), default_json(schema, d)?);
            }
            if let Some(name) = &schema.name {
                props.insert("connect.name".into(), json!(name));
            }
            if let Some(t) = connect_type {
                props.insert("connect.type".into(), json!(t));
            }
        }
        let logical = match schema.name.as_deref() {
            Some(DECIMAL) => Some("decimal"),
            Some(TIME) => Some("time-millis"),
            Some(TIMESTAMP) => Some("timestamp-millis"),
            Some(DATE) => Some("date"),
            _ => None,
        };
        if let Some(l) = logical {
            props.insert("logicalType".into(), json!(l));
        }
        for (k, v) in schema.parameters.iter().flatten() {
            if k.starts_with("avro") {
                props.insert(k.clone(), json!(v));
            }
        }
        Ok(())
    }

    fn field(
        &self,
        out: &mut AvroSchema,
        defined: &mut Vec<(Schema, NodeId)>,
        name: &str,
        schema: &Schema,
    ) -> Result<FieldDef, ConnectError> {
        let ty = self.to_avro(schema, out, defined, false)?;
        let default = match &schema.default {
            Some(d) => Some(default_json(schema, d)?),
            None if schema.optional => Some(Json::Null),
            None => None,
        };
        Ok(FieldDef {
            name: name.to_owned(),
            ty,
            default,
            doc: schema.doc.clone(),
        })
    }

    // ---------------------------------------------------------------- Avro schema -> Connect

    /// `toConnectSchema`.
    pub fn to_connect_schema(&self, avro: &AvroSchema) -> Result<SchemaRef, ConnectError> {
        Ok(self
            .connect_of(avro, avro.root, false, None, None, 0)?
            .into_ref())
    }

    fn connect_of(
        &self,
        avro: &AvroSchema,
        id: NodeId,
        force_optional: bool,
        field_default: Option<&Json>,
        field_doc: Option<&str>,
        depth: usize,
    ) -> Result<Schema, ConnectError> {
        if depth > 64 {
            return Err(data_err(
                "Avro schema is recursive or nested deeper than 64 levels; Connect schemas cannot be recursive",
            ));
        }
        let node = avro.node(id);
        let connect_type = node.prop_str("connect.type");
        let logical = node.logical_type();
        let mut builder = match &node.kind {
            Kind::Boolean => Schema::new(Type::Boolean),
            Kind::Bytes | Kind::Fixed { .. } => {
                if logical == Some("decimal") {
                    let scale = node
                        .props
                        .get("scale")
                        .and_then(Json::as_i64)
                        .ok_or_else(|| data_err("scale must be specified and must be a number."))?;
                    let precision = node.props.get("precision").and_then(Json::as_i64);
                    Schema::decimal(scale as i32).parameter(
                        DECIMAL_PRECISION,
                        &precision.unwrap_or(DECIMAL_PRECISION_DEFAULT).to_string(),
                    )
                } else {
                    Schema::new(Type::Bytes)
                }
            }
            Kind::Double => Schema::new(Type::Float64),
            Kind::Float => Schema::new(Type::Float32),
            Kind::Int => match (logical, connect_type) {
                (Some("date"), _) => Schema::date(),
                (Some("time-millis"), _) => Schema::time(),
                (Some(_), _) | (None, None) => Schema::new(Type::Int32),
                (None, Some("int8")) => Schema::new(Type::Int8),
                (None, Some("int16")) => Schema::new(Type::Int16),
                (None, Some(other)) => {
                    return Err(data_err(format!(
                        "Connect type annotation for Avro int field is unknown: {other}"
                    )));
                }
            },
            Kind::Long => match logical {
                Some("timestamp-millis") => Schema::timestamp(),
                _ => Schema::new(Type::Int64),
            },
            Kind::String => Schema::new(Type::String),
            Kind::Array(items) => {
                let items_node = avro.node(*items);
                match &items_node.kind {
                    Kind::Record { name, fields, .. } if name == MAP_ENTRY => {
                        let (Some(k), Some(v)) = (
                            fields.iter().find(|f| f.name == "key"),
                            fields.iter().find(|f| f.name == "value"),
                        ) else {
                            return Err(data_err(
                                "Found map encoded as array of key-value pairs, but array elements do not match the expected format.",
                            ));
                        };
                        Schema::map(
                            self.connect_of(avro, k.ty, false, None, None, depth + 1)?
                                .into_ref(),
                            self.connect_of(avro, v.ty, false, None, None, depth + 1)?
                                .into_ref(),
                        )
                    }
                    _ => Schema::array(
                        self.connect_of(avro, *items, false, None, None, depth + 1)?
                            .into_ref(),
                    ),
                }
            }
            Kind::Map(values) => Schema::map(
                Schema::new(Type::String).into_ref(),
                self.connect_of(avro, *values, false, None, None, depth + 1)?
                    .into_ref(),
            ),
            Kind::Record { fields, .. } => {
                let mut list = Vec::with_capacity(fields.len());
                for f in fields {
                    let s = self.connect_of(
                        avro,
                        f.ty,
                        false,
                        f.default.as_ref(),
                        f.doc.as_deref(),
                        depth + 1,
                    )?;
                    list.push((f.name.clone(), s.into_ref()));
                }
                Schema::structure(list)
            }
            Kind::Enum {
                name, symbols, doc, ..
            } => {
                let mut s = Schema::new(Type::String);
                if let Some(doc) = doc {
                    s = s.parameter(CONNECT_ENUM_DOC, doc);
                }
                s = s.parameter(AVRO_TYPE_ENUM, name);
                for sym in symbols {
                    s = s.parameter(&format!("{AVRO_TYPE_ENUM}.{sym}"), sym);
                }
                s
            }
            Kind::Union(branches) => {
                let non_null: Vec<NodeId> = branches
                    .iter()
                    .copied()
                    .filter(|b| avro.node(*b).kind != Kind::Null)
                    .collect();
                if branches.len() == 2 && non_null.len() == 1 {
                    return self.connect_of(avro, non_null[0], true, None, field_doc, depth + 1);
                }
                let mut list = Vec::new();
                for b in &non_null {
                    let s = self.connect_of(avro, *b, true, None, None, depth + 1)?;
                    let name = union_member_name(avro, *b, &s);
                    if list.iter().any(|(n, _): &(String, SchemaRef)| *n == name) {
                        return Err(data_err(
                            "Multiple union schemas map to the Connect union field name",
                        ));
                    }
                    list.push((name, s.into_ref()));
                }
                let mut s = Schema::structure(list).named(AVRO_TYPE_UNION);
                if non_null.len() < branches.len() {
                    s.optional = true;
                }
                s
            }
            Kind::Null => {
                return Err(data_err(
                    "Standalone null schemas are not supported by this converter",
                ));
            }
        };
        let own_doc = match &node.kind {
            Kind::Record { doc, .. } => doc.as_deref(),
            _ => None,
        };
        if let Some(doc) = field_doc.or(own_doc).or(node.prop_str("connect.doc")) {
            builder.doc = Some(doc.to_owned());
        }
        if let Some(doc) = own_doc {
            builder = builder.parameter(CONNECT_RECORD_DOC, doc);
        }
        if let Some(v) = node.props.get("connect.version") {
            let v = v
                .as_i64()
                .ok_or_else(|| data_err(format!("Invalid Connect version found: {v}")))?;
            builder.version = Some(v as i32);
        }
        if let Some(params) = node.props.get("connect.parameters") {
            let obj = params.as_object().ok_or_else(|| {
                data_err(format!(
                    "Expected JSON object for schema parameters but found: {params}"
                ))
            })?;
            for (k, v) in obj {
                let v = v.as_str().ok_or_else(|| {
                    data_err(format!(
                        "Expected schema parameter values to be strings but found: {v}"
                    ))
                })?;
                set_parameter(&mut builder, k, v);
            }
        }
        for (k, v) in &node.props {
            if k.starts_with("avro")
                && let Some(v) = v.as_str()
            {
                set_parameter(&mut builder, k, v);
            }
        }
        let name = match node.prop_str("connect.name") {
            Some(n) => Some(n.to_owned()),
            None => node.full_name().map(str::to_owned),
        };
        if let Some(name) = name
            && name != DEFAULT_SCHEMA_FULL_NAME
            && builder.name.is_none()
        {
            builder.name = Some(name);
        }
        if force_optional {
            builder.optional = true;
        }
        let default = field_default.or(node.props.get("connect.default"));
        if let Some(d) = default
            && !d.is_null()
        {
            let value = self.json_default(&builder, avro, id, d)?;
            builder.default = Some(value);
        }
        Ok(builder)
    }

    fn json_default(
        &self,
        schema: &Schema,
        avro: &AvroSchema,
        id: NodeId,
        d: &Json,
    ) -> Result<Value, ConnectError> {
        // Defaults are JSON in Avro's JSON encoding: reuse the JSON -> datum path, then the
        // datum -> Connect path. A union's default belongs to its first branch.
        let id = match &avro.node(id).kind {
            Kind::Union(b) => b[0],
            _ => id,
        };
        let mut single = avro.clone();
        single.root = id;
        let datum = crate::json::from_avro_default(&single, id, d)
            .map_err(|e| data_err(format!("invalid default {d}: {e}")))?;
        let mut s = schema.clone();
        s.default = None;
        self.to_connect_value(&single, id, &datum, &s)
    }

    // ---------------------------------------------------------------- data

    /// Avro datum -> Connect value for `schema` (from [`AvroData::to_connect_schema`]).
    pub fn to_connect_data(
        &self,
        avro: &AvroSchema,
        datum: &Datum,
        schema: &SchemaRef,
    ) -> Result<Value, ConnectError> {
        self.to_connect_value(avro, avro.root, datum, schema)
    }

    fn to_connect_value(
        &self,
        avro: &AvroSchema,
        id: NodeId,
        datum: &Datum,
        schema: &Schema,
    ) -> Result<Value, ConnectError> {
        // Unions: an optional Connect schema is a ["null", T] union; a Connect union struct
        // holds the branch in the field named after it.
        if let (Kind::Union(branches), Datum::Union(i, inner)) = (&avro.node(id).kind, datum) {
            let branch = branches[*i];
            if schema.name.as_deref() == Some(AVRO_TYPE_UNION) && schema.ty == Type::Struct {
                if **inner == Datum::Null {
                    return Ok(Value::Null);
                }
                let member_connect = self.connect_of(avro, branch, true, None, None, 0)?;
                let field_name = union_member_name(avro, branch, &member_connect);
                let mut st = Struct::new(Arc::new(schema.clone()));
                let field_schema = schema
                    .field(&field_name)
                    .map(|f| f.schema.clone())
                    .ok_or_else(|| {
                        data_err(format!(
                            "Did not find matching union field for data: {field_name}"
                        ))
                    })?;
                let v = self.to_connect_value(avro, branch, inner, &field_schema)?;
                st.put(&field_name, v);
                return Ok(Value::Struct(st));
            }
            return self.to_connect_value(avro, branch, inner, schema);
        }
        let v = match (schema.ty, datum) {
            (_, Datum::Null) => {
                if !schema.optional {
                    return Err(data_err("Found null value for non-optional schema"));
                }
                Value::Null
            }
            (Type::Boolean, Datum::Boolean(b)) => Value::Boolean(*b),
            (Type::Int8, Datum::Int(i)) => Value::Int8(*i as i8),
            (Type::Int16, Datum::Int(i)) => Value::Int16(*i as i16),
            (Type::Int32, Datum::Int(i)) => match schema.name.as_deref() {
                Some(DATE) => Value::Date(*i),
                Some(TIME) => Value::Time(*i),
                _ => Value::Int32(*i),
            },
            (Type::Int64, Datum::Long(l)) => match schema.name.as_deref() {
                Some(TIMESTAMP) => Value::Timestamp(*l),
                _ => Value::Int64(*l),
            },
            (Type::Float32, Datum::Float(f)) => Value::Float32(*f),
            (Type::Float64, Datum::Double(f)) => Value::Float64(*f),
            (Type::String, Datum::String(s)) => Value::String(s.clone()),
            (Type::String, Datum::Enum(i)) => match &avro.node(id).kind {
                Kind::Enum { symbols, .. } => Value::String(symbols[*i].clone()),
                _ => return Err(data_err("enum value for a non-enum schema")),
            },
            (Type::Bytes, Datum::Bytes(b) | Datum::Fixed(b)) => {
                if schema.name.as_deref() == Some(DECIMAL) {
                    let scale = param(schema, DECIMAL_SCALE)
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| {
                            data_err("Invalid Decimal schema: scale parameter not found.")
                        })?;
                    Value::Decimal(Decimal::from_bytes(b, scale).ok_or_else(|| {
                        data_err("Decimal value needs more than 128 bits (38 digits)")
                    })?)
                } else {
                    Value::Bytes(b.clone())
                }
            }
            (Type::Array, Datum::Array(items)) => {
                let Kind::Array(item_id) = avro.node(id).kind else {
                    return Err(data_err("array value for a non-array Avro schema"));
                };
                let Some(item_schema) = schema.value_schema.as_deref() else {
                    return Err(data_err("array schema without a value schema"));
                };
                Value::Array(
                    items
                        .iter()
                        .map(|d| self.to_connect_value(avro, item_id, d, item_schema))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Type::Map, Datum::Array(entries)) => {
                // Non-string keys: an array of MapEntry records.
                let Kind::Array(entry_id) = avro.node(id).kind else {
                    return Err(data_err("map value for a non-array Avro schema"));
                };
                let Kind::Record { fields, .. } = &avro.node(entry_id).kind else {
                    return Err(data_err("map entries are not records"));
                };
                let (Some(ks), Some(vs)) =
                    (schema.key_schema.as_deref(), schema.value_schema.as_deref())
                else {
                    return Err(data_err("map schema without key or value schema"));
                };
                let ki = fields.iter().position(|f| f.name == "key").unwrap_or(0);
                let vi = fields.iter().position(|f| f.name == "value").unwrap_or(1);
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    let Datum::Record(kv) = e else {
                        return Err(data_err("map entry is not a record"));
                    };
                    let (Some(k), Some(v)) = (kv.get(ki), kv.get(vi)) else {
                        return Err(data_err("map entry without key or value"));
                    };
                    out.push((
                        self.to_connect_value(avro, fields[ki].ty, k, ks)?,
                        self.to_connect_value(avro, fields[vi].ty, v, vs)?,
                    ));
                }
                Value::Map(out)
            }
            (Type::Map, Datum::Map(entries)) => {
                let Kind::Map(value_id) = avro.node(id).kind else {
                    return Err(data_err("map value for a non-map Avro schema"));
                };
                let Some(vs) = schema.value_schema.as_deref() else {
                    return Err(data_err("map schema without a value schema"));
                };
                Value::Map(
                    entries
                        .iter()
                        .map(|(k, d)| {
                            Ok((
                                Value::String(k.clone()),
                                self.to_connect_value(avro, value_id, d, vs)?,
                            ))
                        })
                        .collect::<Result<_, ConnectError>>()?,
                )
            }
            (Type::Struct, Datum::Record(values)) => {
                let Kind::Record { fields, .. } = &avro.node(id).kind else {
                    return Err(data_err("record value for a non-record Avro schema"));
                };
                let st_schema = Arc::new(schema.clone());
                let mut st = Struct::new(st_schema.clone());
                for f in &st_schema.fields {
                    let Some(pos) = fields.iter().position(|af| af.name == f.name) else {
                        return Err(data_err(format!("Avro record has no field {}", f.name)));
                    };
                    st.values[f.index] =
                        self.to_connect_value(avro, fields[pos].ty, &values[pos], &f.schema)?;
                }
                Value::Struct(st)
            }
            (ty, d) => {
                return Err(data_err(format!(
                    "Invalid type for {}: Avro {}",
                    ty.java_name(),
                    crate::json::datum_kind(d)
                )));
            }
        };
        Ok(v)
    }

    /// Connect value -> Avro datum for `avro` (from [`AvroData::from_connect_schema`] of
    /// `schema`, or a registered schema it is compatible with).
    pub fn from_connect_data(
        &self,
        schema: &Schema,
        avro: &AvroSchema,
        value: &Value,
    ) -> Result<Datum, ConnectError> {
        self.from_connect_value(schema, avro, avro.root, value)
    }

    fn from_connect_value(
        &self,
        schema: &Schema,
        avro: &AvroSchema,
        id: NodeId,
        value: &Value,
    ) -> Result<Datum, ConnectError> {
        let node = avro.node(id);
        if let Kind::Union(branches) = &node.kind {
            if matches!(value, Value::Null) {
                if !schema.optional {
                    return Err(data_err("Found null value for non-optional schema"));
                }
                let null = branches
                    .iter()
                    .position(|b| avro.node(*b).kind == Kind::Null)
                    .ok_or_else(|| data_err("null value for a union without null"))?;
                return Ok(Datum::Union(null, Box::new(Datum::Null)));
            }
            if schema.name.as_deref() == Some(AVRO_TYPE_UNION)
                && let Value::Struct(st) = value
            {
                for (f, v) in st.schema.fields.iter().zip(&st.values) {
                    if matches!(v, Value::Null) {
                        continue;
                    }
                    for (i, b) in branches.iter().enumerate() {
                        let member = self.connect_of(avro, *b, true, None, None, 0);
                        if let Ok(m) = member
                            && union_member_name(avro, *b, &m) == f.name
                        {
                            let d = self.from_connect_value(&f.schema, avro, *b, v)?;
                            return Ok(Datum::Union(i, Box::new(d)));
                        }
                    }
                }
                return Err(data_err("Did not find matching union field for data"));
            }
            // The branch that takes the value: the first non-null one whose type fits.
            let mut last_err = None;
            for (i, b) in branches.iter().enumerate() {
                if avro.node(*b).kind == Kind::Null {
                    continue;
                }
                match self.from_connect_value(schema, avro, *b, value) {
                    Ok(d) => return Ok(Datum::Union(i, Box::new(d))),
                    Err(e) => last_err = Some(e),
                }
            }
            return Err(last_err.unwrap_or_else(|| data_err("no union branch fits the value")));
        }
        let value = match value {
            Value::Null => match &schema.default {
                Some(d) => d,
                None if schema.optional => {
                    return Err(data_err(format!(
                        "the Avro schema has no null for an optional {}",
                        schema.ty.java_name()
                    )));
                }
                None => return Err(data_err("Found null value for non-optional schema")),
            },
            v => v,
        };
        let mismatch = || {
            data_err(format!(
                "Invalid type for {}: {} (Avro {})",
                schema.ty.java_name(),
                value.java_class(),
                node.type_name()
            ))
        };
        Ok(match (&node.kind, value) {
            (Kind::Boolean, Value::Boolean(b)) => Datum::Boolean(*b),
            (Kind::Int, Value::Int8(i)) => Datum::Int(i32::from(*i)),
            (Kind::Int, Value::Int16(i)) => Datum::Int(i32::from(*i)),
            (Kind::Int, Value::Int32(i) | Value::Date(i) | Value::Time(i)) => Datum::Int(*i),
            (Kind::Long, Value::Int64(l) | Value::Timestamp(l)) => Datum::Long(*l),
            (Kind::Long, Value::Int32(i)) => Datum::Long(i64::from(*i)),
            (Kind::Float, Value::Float32(f)) => Datum::Float(*f),
            (Kind::Double, Value::Float64(f)) => Datum::Double(*f),
            (Kind::Double, Value::Float32(f)) => Datum::Double(f64::from(*f)),
            (Kind::String, Value::String(s)) => Datum::String(s.clone()),
            (Kind::Enum { symbols, name, .. }, Value::String(s)) => Datum::Enum(
                symbols
                    .iter()
                    .position(|x| x == s)
                    .ok_or_else(|| data_err(format!("{s} is not a symbol of enum {name}")))?,
            ),
            (Kind::Bytes, Value::Bytes(b)) => Datum::Bytes(b.clone()),
            (Kind::Bytes, Value::Decimal(d)) => Datum::Bytes(d.to_bytes()),
            (Kind::Fixed { size, .. }, Value::Bytes(b)) if b.len() == *size => {
                Datum::Fixed(b.clone())
            }
            (Kind::Array(items), Value::Array(values)) => {
                let item_schema = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| data_err("array schema without a value schema"))?;
                Datum::Array(
                    values
                        .iter()
                        .map(|v| self.from_connect_value(item_schema, avro, *items, v))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Kind::Array(entry), Value::Map(entries)) => {
                let (Some(ks), Some(vs)) =
                    (schema.key_schema.as_deref(), schema.value_schema.as_deref())
                else {
                    return Err(mismatch());
                };
                let Kind::Record { fields, .. } = &avro.node(*entry).kind else {
                    return Err(mismatch());
                };
                let ki = fields.iter().position(|f| f.name == "key").unwrap_or(0);
                let vi = fields.iter().position(|f| f.name == "value").unwrap_or(1);
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let mut rec = vec![Datum::Null, Datum::Null];
                    rec[ki] = self.from_connect_value(ks, avro, fields[ki].ty, k)?;
                    rec[vi] = self.from_connect_value(vs, avro, fields[vi].ty, v)?;
                    out.push(Datum::Record(rec));
                }
                Datum::Array(out)
            }
            (Kind::Map(values), Value::Map(entries)) => {
                let vs = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| data_err("map schema without a value schema"))?;
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let Value::String(k) = k else {
                        return Err(data_err("Avro map keys must be strings"));
                    };
                    out.push((k.clone(), self.from_connect_value(vs, avro, *values, v)?));
                }
                Datum::Map(out)
            }
            (Kind::Record { fields, name, .. }, Value::Struct(st)) => {
                let mut out = Vec::with_capacity(fields.len());
                for af in fields {
                    match st.schema.field(&af.name) {
                        Some(f) => out.push(self.from_connect_value(
                            &f.schema,
                            avro,
                            af.ty,
                            &st.values[f.index],
                        )?),
                        // A field the registered (newer) schema added: its default.
                        None => match &af.default {
                            Some(d) => {
                                out.push(crate::json::from_avro_default(avro, af.ty, d).map_err(
                                    |e| data_err(format!("default of {}: {e}", af.name)),
                                )?)
                            }
                            None => {
                                return Err(data_err(format!(
                                    "Avro record {name} has field {} without a default, which the Connect struct lacks",
                                    af.name
                                )));
                            }
                        },
                    }
                }
                Datum::Record(out)
            }
            _ => return Err(mismatch()),
        })
    }
}

fn set_parameter(schema: &mut Schema, key: &str, value: &str) {
    let params = schema.parameters.get_or_insert_with(Vec::new);
    match params.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_owned(),
        None => params.push((key.to_owned(), value.to_owned())),
    }
}

/// `unionMemberFieldName`: a union branch's field name in the Connect union struct.
fn union_member_name(avro: &AvroSchema, id: NodeId, connect: &Schema) -> String {
    let node = avro.node(id);
    match &node.kind {
        Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
            crate::schema::split_name(name).0
        }
        _ => connect.ty.java_name().to_lowercase(),
    }
}

/// `defaultValueFromConnect`: a Connect default as Avro's JSON.
fn default_json(schema: &Schema, v: &Value) -> Result<Json, ConnectError> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int8(i) => json!(i),
        Value::Int16(i) => json!(i),
        Value::Int32(i) | Value::Date(i) | Value::Time(i) => json!(i),
        Value::Int64(i) | Value::Timestamp(i) => json!(i),
        Value::Float32(f) => json!(f),
        Value::Float64(f) => json!(f),
        Value::String(s) => json!(s),
        // Avro's JSON for bytes: one char per byte (ISO-8859-1).
        Value::Bytes(b) => json!(b.iter().map(|&c| c as char).collect::<String>()),
        Value::Decimal(d) => json!(d.to_bytes().iter().map(|&c| c as char).collect::<String>()),
        Value::Array(items) => {
            let item = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| data_err("array schema without a value schema"))?;
            Json::Array(
                items
                    .iter()
                    .map(|i| default_json(item, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(entries) => {
            let (Some(ks), Some(vs)) =
                (schema.key_schema.as_deref(), schema.value_schema.as_deref())
            else {
                return Err(data_err("map schema without key or value schema"));
            };
            if ks.ty == Type::String && !ks.optional {
                let mut m = Map::new();
                for (k, v) in entries {
                    if let Value::String(k) = k {
                        m.insert(k.clone(), default_json(vs, v)?);
                    }
                }
                Json::Object(m)
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| Ok(json!([default_json(ks, k)?, default_json(vs, v)?])))
                        .collect::<Result<_, ConnectError>>()?,
                )
            }
        }
        Value::Struct(st) => {
            let mut m = Map::new();
            for f in &st.schema.fields {
                m.insert(
                    f.name.clone(),
                    default_json(&f.schema, &st.values[f.index])?,
                );
            }
            Json::Object(m)
        }
    })
}

/// A schema parameter's value.
fn param<'a>(schema: &'a Schema, key: &str) -> Option<&'a str> {
    schema
        .parameters
        .iter()
        .flatten()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    fn order() -> SchemaRef {
        Schema::structure(vec![
            ("small".into(), Schema::new(Type::Int16).into_ref()),
            (
                "name".into(),
                Schema::new(Type::String).optional().into_ref(),
            ),
            ("price".into(), Schema::decimal(2).into_ref()),
            ("day".into(), Schema::date().into_ref()),
            (
                "attrs".into(),
                Schema::map(
                    Schema::new(Type::Int32).into_ref(),
                    Schema::new(Type::String).into_ref(),
                )
                .into_ref(),
            ),
        ])
        .named("shop.Order")
        .into_ref()
    }

    #[test]
    fn connect_schemas_map_as_avro_data_writes_them() {
        let avro = AvroData::default().from_connect_schema(&order()).unwrap();
        let j = avro.to_json();
        assert_eq!(j["name"], "Order");
        assert_eq!(j["namespace"], "shop");
        assert_eq!(j["connect.name"], "shop.Order");
        let f = &j["fields"];
        assert_eq!(
            f[0]["type"],
            json!({"type": "int", "connect.type": "int16"})
        );
        assert_eq!(f[1]["type"], json!(["null", "string"]));
        assert_eq!(f[1]["default"], Json::Null);
        // Confluent's property order: scale, precision, connect.*, logicalType (this model's
        // Decimal schema has no version, so no connect.version).
        assert_eq!(
            f[2]["type"].to_string(),
            r#"{"type":"bytes","scale":2,"precision":64,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#
        );
        assert_eq!(
            f[3]["type"],
            json!({"type": "int", "connect.version": 1, "connect.name": "org.apache.kafka.connect.data.Date", "logicalType": "date"})
        );
        assert_eq!(f[4]["type"]["type"], "array");
        assert_eq!(f[4]["type"]["items"]["name"], "MapEntry");
        assert_eq!(
            f[4]["type"]["items"]["namespace"],
            "io.confluent.connect.avro"
        );
    }

    #[test]
    fn values_round_trip_through_avro() {
        let data = AvroData::default();
        let schema = order();
        let avro = data.from_connect_schema(&schema).unwrap();
        let mut st = Struct::new(schema.clone());
        st.put("small", Value::Int16(-7));
        st.put(
            "price",
            Value::Decimal(Decimal {
                unscaled: -1234,
                scale: 2,
            }),
        );
        st.put("day", Value::Date(19000));
        st.put(
            "attrs",
            Value::Map(vec![(Value::Int32(1), Value::String("x".into()))]),
        );
        let datum = data
            .from_connect_data(&schema, &avro, &Value::Struct(st.clone()))
            .unwrap();
        let mut bytes = Vec::new();
        binary::encode(&avro, &datum, &mut bytes).unwrap();
        // The schema read back from its JSON, as a reader gets it from the registry.
        let read = AvroSchema::parse(&avro.to_json()).unwrap();
        let back_schema = data.to_connect_schema(&read).unwrap();
        let back = data
            .to_connect_data(&read, &binary::decode(&read, &bytes).unwrap(), &back_schema)
            .unwrap();
        let Value::Struct(b) = back else {
            panic!("not a struct")
        };
        assert_eq!(b.values, st.values);
        assert_eq!(back_schema.name.as_deref(), Some("shop.Order"));
        let small = &back_schema.field("small").unwrap().schema;
        assert_eq!(small.ty, Type::Int16);
        let name = &back_schema.field("name").unwrap().schema;
        assert!(name.optional);
        let price = &back_schema.field("price").unwrap().schema;
        assert_eq!(price.name.as_deref(), Some(DECIMAL));
        assert_eq!(param(price, DECIMAL_SCALE), Some("2"));
    }

    #[test]
    fn null_for_a_required_field_is_confluents_error() {
        let data = AvroData::default();
        let schema = order();
        let avro = data.from_connect_schema(&schema).unwrap();
        let st = Struct::new(schema.clone());
        let e = data
            .from_connect_data(&schema, &avro, &Value::Struct(st))
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Found null value for non-optional schema")
        );
    }
}
