//! Reading a payload straight from its bytes into Connect data, guided by the schema: what
//! [`JsonConverter::json_to_value`] gives from the parsed JSON tree, without the tree. Only the
//! exact JSON kind each schema type expects is read here (an object for a struct, a string for
//! a string...); anything else, and anything the tree path would refuse or read specially
//! (maps, schemaless parts, a number for a decimal, a missing required field), gives up, and
//! the caller reads the record through the tree path: the results and errors stay Apache's.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::JsonConverter;
use super::value::logical_to_connect;
use crate::data::{self, Decimal, Schema, SchemaRef, Struct, Type, Value};

/// The payload bytes as Connect data, or `None` when the tree path must read them.
pub(super) fn payload(conv: &JsonConverter, schema: &SchemaRef, bytes: &[u8]) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed { conv, schema }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Gives up on this record: the tree path reads it.
fn give_up<E: serde::de::Error>() -> E {
    E::custom("read through the JSON tree")
}

struct Seed<'a> {
    conv: &'a JsonConverter,
    schema: &'a SchemaRef,
}

impl Seed<'_> {
    /// A null or a missing field: the default (`replace.null.with.default`), a null for an
    /// optional schema; the tree path reports a required one.
    fn null<E: serde::de::Error>(&self) -> Result<Value, E> {
        null_of(self.conv, self.schema)
    }

    fn int<E: serde::de::Error>(&self, v: i64) -> Result<Value, E> {
        // The wrapping casts of the tree path (`intValue()` of a wider number).
        let value = match self.schema.ty {
            Type::Int8 => Value::Int8(v as i32 as i8),
            Type::Int16 => Value::Int16(v as i32 as i16),
            Type::Int32 => Value::Int32(v as i32),
            Type::Int64 => Value::Int64(v),
            Type::Float32 => Value::Float32(v as f64 as f32),
            Type::Float64 => Value::Float64(v as f64),
            _ => return Err(give_up()),
        };
        logical_to_connect(self.schema, value).map_err(|_| give_up())
    }
}

fn null_of<E: serde::de::Error>(conv: &JsonConverter, schema: &Schema) -> Result<Value, E> {
    if let (Some(d), true) = (&schema.default, conv.replace_null_with_default) {
        return Ok(d.clone());
    }
    if schema.optional {
        return Ok(Value::Null);
    }
    Err(give_up())
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} value", self.schema.ty.java_name())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.null()
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        match self.schema.ty {
            Type::Boolean => Ok(Value::Boolean(v)),
            _ => Err(give_up()),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.int(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => Err(give_up()),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        match self.schema.ty {
            Type::Float32 => Ok(Value::Float32(v as f32)),
            Type::Float64 => Ok(Value::Float64(v)),
            _ => Err(give_up()),
        }
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        let s = self.schema;
        match (s.ty, s.name.as_deref()) {
            (Type::String, _) => Ok(Value::String(v.to_owned())),
            (Type::Bytes, name) => {
                let bytes = B64.decode(v).map_err(|_| give_up())?;
                if name != Some(data::DECIMAL) {
                    return Ok(Value::Bytes(bytes));
                }
                let scale = s
                    .param(data::DECIMAL_SCALE)
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(give_up)?;
                Decimal::from_bytes(&bytes, scale)
                    .map(Value::Decimal)
                    .ok_or_else(give_up)
            }
            _ => Err(give_up()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let (Type::Array, Some(items)) = (self.schema.ty, &self.schema.value_schema) else {
            return Err(give_up());
        };
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Seed {
            conv: self.conv,
            schema: items,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let schema = self.schema;
        if schema.ty != Type::Struct {
            return Err(give_up());
        }
        let fields = &schema.fields;
        let mut values: Vec<Option<Value>> = vec![None; fields.len()];
        // Apache writes the fields in the schema's order: the next one is tried first.
        let mut next = 0;
        while let Some(found) = map.next_key_seed(FieldKey { schema, next })? {
            match found {
                Some(i) => {
                    // A repeated key: the last value wins, as in the tree.
                    values[i] = Some(map.next_value_seed(Seed {
                        conv: self.conv,
                        schema: &fields[i].schema,
                    })?);
                    next = i + 1;
                }
                // Fields the schema does not have are ignored, as Apache ignores them.
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let mut s = Struct {
            schema: schema.clone(),
            values: Vec::with_capacity(fields.len()),
        };
        for (f, v) in fields.iter().zip(values) {
            s.values.push(match v {
                Some(v) => v,
                None => null_of(self.conv, &f.schema)?,
            });
        }
        logical_to_connect(schema, Value::Struct(s)).map_err(|_| give_up())
    }
}

/// A struct's key as the index of its field (`None` for a key the schema lacks), compared
/// where it lies in the input rather than copied.
struct FieldKey<'a> {
    schema: &'a Schema,
    next: usize,
}

impl<'de> DeserializeSeed<'de> for FieldKey<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldKey<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        let fields = &self.schema.fields;
        Ok(match fields.get(self.next) {
            Some(f) if f.name == key => Some(self.next),
            _ => fields.iter().position(|f| f.name == key),
        })
    }
}
