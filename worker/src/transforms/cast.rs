//! `Cast$Key` / `Cast$Value`: casts top-level fields of a map or struct, or the whole key or
//! value, to another primitive type (`spec=field1:type,field2:type` or `spec=type`). Binary
//! values can only become strings (base64); dates become ISO-8601 text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use connect_api::ConfigMap;

use super::date_format::iso_text;
use super::numbers::{self, Number};
use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, SchemaCache, Settings, Side, Transform, add_field, class_of,
    config_error, copy_schema_basics, field_value, java_list, java_split_colon, key, map_get,
    require_map, require_struct,
};
use crate::data::{self, ConnectRecord, JavaHashMap, Schema, SchemaRef, Struct, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, Importance, Parsed, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.Cast$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.Cast$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "spec",
        ConfigType::List,
        Importance::High,
        "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
        Validator::Custom(check_spec),
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// The parsed spec: one type for the whole value, or per-field types in the iteration order of
/// Apache's `HashMap` (which decides where new fields land in a schemaless map).
#[derive(Debug, Clone, PartialEq)]
struct Casts {
    whole: Option<Type>,
    fields: Vec<(String, Type)>,
}

fn check_spec(_: &str, value: Option<&Parsed>) -> Result<(), String> {
    match value {
        Some(Parsed::List(l)) if !l.is_empty() => parse_spec(l).map(|_| ()),
        _ => Err("Must specify at least one field to cast.".to_owned()),
    }
}

fn output_type(name: &str) -> Result<Type, String> {
    let upper = name.to_uppercase();
    let ty = Schema::type_from_java_name(&upper).ok_or_else(|| {
        // Apache passes the cause where the key name belongs (`ConfigException(name, value)`).
        format!(
            "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.{upper} for configuration Invalid type found in casting spec: {name}"
        )
    })?;
    if matches!(ty, Type::Bytes | Type::Array | Type::Map | Type::Struct) {
        return Err(format!(
            "Cast transformation does not support casting to {}; supported types are {OUTPUT_TYPES}",
            ty.java_name()
        ));
    }
    Ok(ty)
}

fn parse_spec(mappings: &[String]) -> Result<Casts, String> {
    let mut whole = None;
    let mut fields = JavaHashMap::new();
    let mut types = Vec::new();
    for mapping in mappings {
        let parts = java_split_colon(mapping);
        match parts.as_slice() {
            [ty] => whole = Some(output_type(ty.trim())?),
            [field, ty] => {
                let ty = output_type(ty.trim())?;
                let field = field.trim().to_owned();
                types.retain(|(f, _): &(String, Type)| *f != field);
                types.push((field.clone(), ty));
                fields.put(Value::String(field), Value::Null);
            }
            [] => return Err("Index 1 out of bounds for length 0".to_owned()),
            _ => {
                // Apache reports this under the key name of ReplaceField's renames.
                return Err(format!(
                    "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                    java_list(mappings)
                ));
            }
        }
    }
    if whole.is_some() && mappings.len() > 1 {
        return Err("Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec".to_owned());
    }
    let fields = fields
        .into_entries()
        .into_iter()
        .filter_map(|(k, _)| {
            let Value::String(name) = k else { return None };
            types.iter().find(|(f, _)| *f == name).cloned()
        })
        .collect();
    Ok(Casts { whole, fields })
}

struct Cast {
    side: Side,
    casts: Casts,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    cast(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    cast(config, Side::Value)
}

fn cast(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    let casts = parse_spec(&s.list("spec")).map_err(config_error)?;
    Ok(Box::new(Cast {
        side,
        casts,
        replace_null_with_default: s.boolean("replace.null.with.default"),
        cache: SchemaCache::default(),
    }))
}

const PURPOSE: &str = "cast types";

impl Cast {
    fn target(&self, field: &str) -> Option<Type> {
        self.casts
            .fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, t)| *t)
    }

    fn build_schema(&self, input: &Schema) -> Result<SchemaRef, ConnectError> {
        let mut out = match self.casts.whole {
            Some(t) => copy_schema_basics(input, Schema::new(t)),
            None => {
                if input.ty != Type::Struct {
                    return Err(ConnectError::data("Cannot list fields on non-struct type"));
                }
                let mut out = copy_schema_basics(input, Schema::new(Type::Struct));
                for f in &input.fields {
                    let schema = match self.target(&f.name) {
                        Some(t) => {
                            let mut fs = Schema::new(t);
                            fs.optional = f.schema.optional;
                            if let Some(d) = &f.schema.default {
                                fs.default = Some(cast_value(Some(&f.schema), d, t)?);
                            }
                            fs.into_ref()
                        }
                        None => f.schema.clone(),
                    };
                    add_field(&mut out, &f.name, schema)?;
                }
                out
            }
        };
        out.optional = input.optional;
        if let Some(d) = &input.default {
            out.default = Some(cast_value(Some(input), d, out.ty)?);
        }
        Ok(out.into_ref())
    }
}

impl Transform for Cast {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        if value.is_null() {
            return Ok(Some(r));
        }
        let Some(schema) = self.side.schema(&r).cloned() else {
            let updated = match self.casts.whole {
                Some(t) => cast_value(None, value, t)?,
                None => {
                    let m = require_map(value, PURPOSE)?;
                    let mut updated = JavaHashMap::copy_of(m);
                    for (field, t) in &self.casts.fields {
                        let v = map_get(m, field).unwrap_or(&Value::Null);
                        updated.put(Value::String(field.clone()), cast_value(None, v, *t)?);
                    }
                    updated.into_value()
                }
            };
            self.side.set(&mut r, None, updated);
            return Ok(Some(r));
        };
        let updated_schema = self
            .cache
            .get_or_build(&schema, || self.build_schema(&schema))?;
        if let Some(t) = self.casts.whole {
            let v = cast_value(Some(&schema), value, t)?;
            self.side.set(&mut r, Some(updated_schema), v);
            return Ok(Some(r));
        }
        let s = require_struct(value, PURPOSE)?;
        let mut updated = Struct::new(updated_schema.clone());
        for f in &s.schema.fields {
            let orig = field_value(s, f.index, self.replace_null_with_default);
            let v = match self.target(&f.name) {
                Some(t) => cast_value(Some(&f.schema), &orig, t)?,
                None => orig,
            };
            let index = updated_schema
                .field(&f.name)
                .map(|nf| nf.index)
                .ok_or_else(|| ConnectError::data("field cannot be null."))?;
            updated.put_checked(index, v)?;
        }
        self.side
            .set(&mut r, Some(updated_schema), Value::Struct(updated));
        Ok(Some(r))
    }
}

/// `ConnectSchema.schemaType(value.getClass())`: the type of a schemaless value, `None` for
/// Java classes Connect has no type for (dates, big decimals).
fn schemaless_type(v: &Value) -> Option<Type> {
    Some(match v {
        Value::Boolean(_) => Type::Boolean,
        Value::Int8(_) => Type::Int8,
        Value::Int16(_) => Type::Int16,
        Value::Int32(_) => Type::Int32,
        Value::Int64(_) => Type::Int64,
        Value::Float32(_) => Type::Float32,
        Value::Float64(_) => Type::Float64,
        Value::String(_) => Type::String,
        Value::Bytes(_) => Type::Bytes,
        Value::Array(_) => Type::Array,
        Value::Map(_) => Type::Map,
        Value::Struct(_) => Type::Struct,
        _ => return None,
    })
}

fn unexpected(v: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Unexpected type in Cast transformation: {}",
        class_of(v)
    ))
}

/// `Cast.castValueToType`.
fn cast_value(schema: Option<&Schema>, value: &Value, target: Type) -> Result<Value, ConnectError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.ty,
        None => schemaless_type(value).ok_or_else(|| {
            ConnectError::data(format!(
                "Cast transformation was passed a value of type {} which is not supported by Connect's data API",
                class_of(value)
            ))
        })?,
    };
    if matches!(inferred, Type::Array | Type::Map | Type::Struct) {
        return Err(ConnectError::data(format!(
            "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES}",
            inferred.java_name()
        )));
    }
    // Logical values are cast as their internal numbers, except to string.
    let encoded = match (schema.and_then(|s| s.name.as_deref()), value) {
        (Some(data::DATE), Value::Date(d)) if target != Type::String => Value::Int32(*d),
        (Some(data::TIME), Value::Time(t)) if target != Type::String => Value::Int32(*t),
        (Some(data::TIMESTAMP), Value::Timestamp(t)) if target != Type::String => Value::Int64(*t),
        _ => value.clone(),
    };
    let out_of_range = |e: String| {
        ConnectError::data(format!(
            "Value ({}) was out of range for requested data type",
            encoded.java_string()
        ))
        .with_cause(ConnectError::new(class::NUMBER_FORMAT, e))
    };
    let num = Number::of(&encoded);
    let flag = |b: bool| i64::from(b);
    Ok(match target {
        Type::Int8 => Value::Int8(match (&encoded, num) {
            (_, Some(n)) => n.byte_value(),
            (Value::Boolean(b), _) => flag(*b) as i8,
            (Value::String(s), _) => {
                numbers::parse_small(s, -128, 127).map_err(out_of_range)? as i8
            }
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Int16 => Value::Int16(match (&encoded, num) {
            (_, Some(n)) => n.short_value(),
            (Value::Boolean(b), _) => flag(*b) as i16,
            (Value::String(s), _) => numbers::parse_small(s, i16::MIN.into(), i16::MAX.into())
                .map_err(out_of_range)? as i16,
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Int32 => Value::Int32(match (&encoded, num) {
            (_, Some(n)) => n.int_value(),
            (Value::Boolean(b), _) => flag(*b) as i32,
            (Value::String(s), _) => numbers::parse_integer(s, i32::MIN.into(), i32::MAX.into())
                .map_err(out_of_range)? as i32,
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Int64 => Value::Int64(match (&encoded, num) {
            (_, Some(n)) => n.long_value(),
            (Value::Boolean(b), _) => flag(*b),
            (Value::String(s), _) => {
                numbers::parse_integer(s, i64::MIN, i64::MAX).map_err(out_of_range)?
            }
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Float32 => Value::Float32(match (&encoded, num) {
            (_, Some(n)) => n.float_value(),
            (Value::Boolean(b), _) => flag(*b) as f32,
            (Value::String(s), _) => numbers::parse_float(s).map_err(out_of_range)?,
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Float64 => Value::Float64(match (&encoded, num) {
            (_, Some(n)) => n.double_value(),
            (Value::Boolean(b), _) => flag(*b) as f64,
            (Value::String(s), _) => numbers::parse_double(s).map_err(out_of_range)?,
            _ => return Err(unexpected(&encoded)),
        }),
        Type::Boolean => Value::Boolean(match (&encoded, num) {
            (_, Some(n)) => n.long_value() != 0,
            (Value::Boolean(b), _) => *b,
            (Value::String(s), _) => s.eq_ignore_ascii_case("true"),
            _ => return Err(unexpected(&encoded)),
        }),
        Type::String => Value::String(match &encoded {
            Value::Date(d) => iso_text(i64::from(*d) * 86_400_000),
            Value::Time(t) => iso_text(i64::from(*t)),
            Value::Timestamp(t) => iso_text(*t),
            Value::Bytes(b) => B64.encode(b),
            other => other.java_string(),
        }),
        other => {
            return Err(ConnectError::data(format!(
                "{} is not supported in the Cast transformation.",
                other.java_name()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::data::Decimal;

    fn value_cast(spec: &str) -> Box<dyn Transform> {
        value_transform(&cfg(&[("spec", spec)])).unwrap()
    }

    #[test]
    fn schemaless_fields_and_whole_values() {
        let t = value_cast("a:int32,b:string,c:boolean,missing:int8");
        let r = run(
            &*t,
            value_record(
                None,
                map(&[
                    ("a", Value::Int64(3_000_000_000)),
                    ("b", Value::Float64(1.5)),
                    ("c", s("TRUE")),
                    ("d", s("kept")),
                ]),
            ),
        )
        .unwrap();
        // Every spec'd field is put, missing ones as null, in Java's HashMap order (as
        // Apache's Cast$Value prints it for the same input).
        assert_eq!(
            r.value,
            map(&[
                ("missing", Value::Null),
                ("a", Value::Int32(-1_294_967_296)),
                ("b", s("1.5")),
                ("c", Value::Boolean(true)),
                ("d", s("kept")),
            ])
        );
        let t = key_transform(&cfg(&[("spec", "int16")])).unwrap();
        let r = run(&*t, key_record(None, s("-12"))).unwrap();
        assert_eq!(r.key, Value::Int16(-12));
        assert_eq!(r.key_schema, None);
    }

    #[test]
    fn struct_fields_keep_optionality_and_defaults() {
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int64)),
            (
                "price",
                Schema::new(Type::String).optional().default_value(s("2.5")),
            ),
            ("flag", Schema::new(Type::Int8)),
            ("raw", Schema::new(Type::Bytes).optional()),
        ]);
        let v = struct_value(
            &schema,
            vec![
                Value::Int64(5),
                Value::Null,
                Value::Int8(0),
                Value::Bytes(b"hi".to_vec()),
            ],
        );
        let t = value_cast("id:string,price:float64,flag:boolean,raw:string");
        let r = run(&*t, value_record(Some(schema.clone()), v.clone())).unwrap();
        let out = r.value_schema.clone().unwrap();
        assert_eq!(out.fields[0].schema.ty, Type::String);
        assert!(out.fields[1].schema.optional);
        assert_eq!(out.fields[1].schema.default, Some(Value::Float64(2.5)));
        let Value::Struct(got) = r.value else {
            panic!()
        };
        assert_eq!(
            got.values,
            [
                s("5"),
                Value::Float64(2.5),
                Value::Boolean(false),
                s("aGk=")
            ]
        );
        // Without the default, the null stays null.
        let t = value_transform(&cfg(&[
            ("spec", "price:float64"),
            ("replace.null.with.default", "false"),
        ]))
        .unwrap();
        let Value::Struct(got) = run(&*t, value_record(Some(schema), v)).unwrap().value else {
            panic!()
        };
        assert_eq!(got.values[1], Value::Null);
    }

    #[test]
    fn logical_types() {
        let ts = Schema::timestamp().into_ref();
        let t = value_cast("string");
        let r = run(
            &*t,
            value_record(Some(ts.clone()), Value::Timestamp(1_700_000_000_123)),
        )
        .unwrap();
        assert_eq!(r.value, s("2023-11-14T22:13:20.123Z"));
        // Apache copies the schema name onto the new type.
        assert_eq!(
            r.value_schema.unwrap().name.as_deref(),
            Some(data::TIMESTAMP)
        );
        let t = value_cast("int64");
        let r = run(
            &*t,
            value_record(Some(Schema::date().into_ref()), Value::Date(2)),
        )
        .unwrap();
        assert_eq!(r.value, Value::Int64(2));
        let dec = Schema::decimal(2).into_ref();
        let d = Value::Decimal(Decimal {
            unscaled: -12345,
            scale: 2,
        });
        assert_eq!(
            run(
                &*value_cast("int32"),
                value_record(Some(dec.clone()), d.clone())
            )
            .unwrap()
            .value,
            Value::Int32(-123)
        );
        assert_eq!(
            run(&*value_cast("string"), value_record(Some(dec), d))
                .unwrap()
                .value,
            s("-123.45")
        );
        assert_eq!(iso_text(3_600_000), "01:00:00.000Z");
        assert_eq!(iso_text(86_400_000), "1970-01-02");
    }

    #[test]
    fn data_errors() {
        let (class, msg) = err(&*value_cast("int8"), value_record(None, s("300")));
        assert_eq!(class, crate::error::class::DATA);
        assert_eq!(msg, "Value (300) was out of range for requested data type");
        assert_eq!(
            err(&*value_cast("int32"), value_record(None, s("x1"))).1,
            "Value (x1) was out of range for requested data type"
        );
        assert_eq!(
            err(
                &*value_cast("int32"),
                value_record(None, Value::Array(vec![]))
            )
            .1,
            "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
        );
        assert_eq!(
            err(
                &*value_cast("int32"),
                value_record(None, Value::Bytes(vec![1]))
            )
            .1,
            "Unexpected type in Cast transformation: class [B"
        );
        assert_eq!(
            err(&*value_cast("a:int32"), value_record(None, s("x"))).1,
            "Only Map objects supported in absence of schema for [cast types], found: java.lang.String"
        );
        assert_eq!(
            err(
                &*value_cast("a:int32"),
                value_record(Some(Schema::optional_string()), s("x"))
            )
            .1,
            "Cannot list fields on non-struct type"
        );
        // Tombstones pass through untouched.
        let r = run(&*value_cast("a:int32"), value_record(None, Value::Null)).unwrap();
        assert_eq!(r.value, Value::Null);
    }

    #[test]
    fn config_errors() {
        let bad = |spec: &str| config_err(value_transform(&cfg(&[("spec", spec)])));
        assert_eq!(bad(""), "Must specify at least one field to cast.");
        assert_eq!(
            bad("a:foo"),
            "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.FOO for configuration Invalid type found in casting spec: foo"
        );
        assert_eq!(
            bad("a:b:c,d:int8"),
            "Invalid value [a:b:c, d:int8] for configuration renames: Invalid rename mapping: a:b:c"
        );
        assert_eq!(
            bad("a:bytes"),
            "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
        assert_eq!(
            bad("int8,a:int16"),
            "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[]))),
            "Missing required configuration \"spec\" which has no default value."
        );
    }
}
