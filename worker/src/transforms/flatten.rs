//! `Flatten$Key` / `Flatten$Value`: nested structs (with schema) or maps (without) become one
//! level, field names joined by `delimiter`. Arrays are kept as they are; a field is optional
//! (and takes a default) when any struct above it is optional (or has a default).

use connect_api::ConfigMap;

use super::{
    Origin, SchemaCache, Settings, Side, Transform, add_field, class_of, copy_schema_basics,
    copy_schema_basics_of, key_with_default, put_field, require_map, require_struct,
};
use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.Flatten$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.Flatten$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[key_with_default(
    "delimiter",
    ConfigType::String,
    DefaultValue::Value("."),
    Importance::Medium,
    "Delimiter to insert between field names from the input record when generating field names for the output record",
    Validator::None,
)];

struct Flatten {
    side: Side,
    delimiter: String,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    flatten(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    flatten(config, Side::Value)
}

fn flatten(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    Ok(Box::new(Flatten {
        side,
        delimiter: s.string("delimiter").unwrap_or_default(),
        cache: SchemaCache::default(),
    }))
}

const PURPOSE: &str = "flattening";

fn is_leaf(ty: Type) -> bool {
    !matches!(ty, Type::Map | Type::Struct)
}

impl Flatten {
    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn unsupported(ty: Type, name: &str) -> ConnectError {
        ConnectError::data(format!(
            "Flatten transformation does not support {} for record with schemas (for field {name}).",
            ty.java_name()
        ))
    }

    /// A `LinkedHashMap` in the input's iteration order.
    fn flatten_map(
        &self,
        m: &[(Value, Value)],
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<(), ConnectError> {
        for (k, v) in m {
            let Value::String(key) = k else {
                return Err(ConnectError::new(
                    class::CLASS_CAST,
                    format!(
                        "class {0} cannot be cast to class java.lang.String ({0} and java.lang.String are in module java.base of loader 'bootstrap')",
                        super::class_name(k)
                    ),
                ));
            };
            let name = self.name(prefix, key);
            let put = |out: &mut Vec<(Value, Value)>, v: Value| match out
                .iter_mut()
                .find(|(k, _)| matches!(k, Value::String(s) if *s == name))
            {
                Some(slot) => slot.1 = v,
                None => out.push((Value::String(name.clone()), v)),
            };
            match v {
                Value::Null => put(out, Value::Null),
                Value::Map(inner) => self.flatten_map(inner, &name, out)?,
                Value::Struct(_) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support {} for record without schemas (for field {name}).",
                        class_of(v)
                    )));
                }
                Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation was passed a value of type {} which is not supported by Connect's data API",
                        class_of(v)
                    )));
                }
                other => put(out, other.clone()),
            }
        }
        Ok(())
    }

    fn build_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        out: &mut Schema,
        optional: bool,
        default_from_parent: Option<&Struct>,
    ) -> Result<(), ConnectError> {
        for f in &schema.fields {
            let name = self.name(prefix, &f.name);
            let field_optional = optional || f.schema.optional;
            let default = match (&f.schema.default, default_from_parent) {
                (Some(d), _) => Some(d.clone()),
                (None, Some(parent)) => match parent.get_with_default(f.index) {
                    Value::Null => None,
                    v => Some(v.clone()),
                },
                (None, None) => None,
            };
            if is_leaf(f.schema.ty) {
                let mut converted = copy_schema_basics_of(&f.schema);
                converted.optional = field_optional;
                if let Some(d) = default {
                    converted.validate_value(&d, "value").map_err(|e| {
                        ConnectError::new(class::SCHEMA_BUILDER, "Invalid default value")
                            .with_cause(e)
                    })?;
                    converted.default = Some(d);
                }
                add_field(out, &name, converted.into_ref())?;
            } else if f.schema.ty == Type::Struct {
                let parent = match &default {
                    Some(Value::Struct(s)) => Some(s),
                    _ => None,
                };
                self.build_schema(&f.schema, &name, out, field_optional, parent)?;
            } else {
                return Err(Self::unsupported(f.schema.ty, &name));
            }
        }
        Ok(())
    }

    fn flatten_struct(
        &self,
        s: &Struct,
        prefix: &str,
        out: &mut Struct,
    ) -> Result<(), ConnectError> {
        for f in &s.schema.fields {
            let name = self.name(prefix, &f.name);
            if is_leaf(f.schema.ty) {
                put_field(out, &name, s.get_with_default(f.index).clone())?;
            } else if f.schema.ty == Type::Struct {
                // `getStruct` reads the stored value: a null struct leaves its fields unset.
                if let Value::Struct(inner) = &s.values[f.index] {
                    self.flatten_struct(inner, &name, out)?;
                }
            } else {
                return Err(Self::unsupported(f.schema.ty, &name));
            }
        }
        Ok(())
    }
}

impl Transform for Flatten {
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
            let m = require_map(value, PURPOSE)?;
            let mut out = Vec::new();
            self.flatten_map(m, "", &mut out)?;
            self.side.set(&mut r, None, Value::Map(out));
            return Ok(Some(r));
        };
        let s = require_struct(value, PURPOSE)?;
        let updated: SchemaRef = self.cache.get_or_build(&schema, || {
            let mut out = copy_schema_basics(&schema, Schema::new(Type::Struct));
            let default = match &schema.default {
                Some(Value::Struct(d)) => Some(d),
                _ => None,
            };
            self.build_schema(&schema, "", &mut out, schema.optional, default)?;
            Ok(out.into_ref())
        })?;
        let mut out = Struct::new(updated.clone());
        self.flatten_struct(s, "", &mut out)?;
        self.side.set(&mut r, Some(updated), Value::Struct(out));
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn schemaless_maps_flatten_in_order() {
        let t = value_transform(&cfg(&[("delimiter", "_")])).unwrap();
        let v = map(&[
            ("id", Value::Int64(1)),
            (
                "user",
                map(&[("name", s("n")), ("addr", map(&[("zip", s("z"))]))]),
            ),
            ("tags", Value::Array(vec![s("a")])),
            ("none", Value::Null),
        ]);
        let r = run(&*t, value_record(None, v)).unwrap();
        assert_eq!(
            r.value,
            map(&[
                ("id", Value::Int64(1)),
                ("user_name", s("n")),
                ("user_addr_zip", s("z")),
                ("tags", Value::Array(vec![s("a")])),
                ("none", Value::Null),
            ])
        );
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().value,
            Value::Null
        );
        assert_eq!(
            err(&*t, value_record(None, s("x"))).1,
            "Only Map objects supported in absence of schema for [flattening], found: java.lang.String"
        );
    }

    #[test]
    fn structs_flatten_with_inherited_optionality_and_defaults() {
        let inner_schema = Schema::structure(vec![
            ("zip".into(), Schema::new(Type::String).into_ref()),
            ("n".into(), Schema::new(Type::Int32).into_ref()),
        ]);
        let inner = inner_schema.clone().into_ref();
        let default = Value::Struct(Struct {
            schema: inner.clone(),
            values: vec![s("00000"), Value::Int32(1)],
        });
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int64)),
            ("addr", inner_schema.optional().default_value(default)),
        ]);
        let addr_schema = schema.fields[1].schema.clone();
        let v = struct_value(
            &schema,
            vec![
                Value::Int64(1),
                Value::Struct(Struct {
                    schema: addr_schema,
                    values: vec![s("12345"), Value::Int32(2)],
                }),
            ],
        );
        let t = value_transform(&cfg(&[])).unwrap();
        let r = run(&*t, value_record(Some(schema.clone()), v)).unwrap();
        let out = r.value_schema.unwrap();
        assert_eq!(field_names(&out), ["id", "addr.zip", "addr.n"]);
        assert!(out.fields[1].schema.optional);
        assert_eq!(out.fields[1].schema.default, Some(s("00000")));
        let Value::Struct(got) = r.value else {
            panic!()
        };
        assert_eq!(got.values, [Value::Int64(1), s("12345"), Value::Int32(2)]);
        // A map inside a struct is refused.
        let bad = struct_schema(&[(
            "m",
            Schema::map(Schema::optional_string(), Schema::optional_string()),
        )]);
        let v = struct_value(&bad, vec![Value::Map(vec![])]);
        assert_eq!(
            err(&*t, value_record(Some(bad), v)).1,
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
    }

    #[test]
    fn name_collisions_fail_with_schemas() {
        let inner = Schema::structure(vec![("b".into(), Schema::new(Type::Int32).into_ref())]);
        let schema = struct_schema(&[("a", inner), ("a.b", Schema::new(Type::Int32))]);
        let v = struct_value(&schema, vec![Value::Null, Value::Int32(1)]);
        let t = value_transform(&cfg(&[])).unwrap();
        assert_eq!(
            err(&*t, value_record(Some(schema), v)),
            (
                "org.apache.kafka.connect.errors.SchemaBuilderException".into(),
                "Cannot create field because of field name duplication a.b".into()
            )
        );
    }
}
