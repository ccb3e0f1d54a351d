//! `MaskField$Key` / `MaskField$Value`: replaces fields with the "empty" value of their type
//! (0, false, "", an empty list or map, the epoch), or with `replacement` converted to the
//! field's type (numbers and strings only). Like Apache, tombstones are refused.

use connect_api::ConfigMap;

use super::numbers::{self, Number};
use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, Settings, Side, Transform, class_of, field_value, key,
    key_with_default, map_get, require_map, require_struct,
};
use crate::data::{ConnectRecord, Decimal, JavaHashMap, Struct, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.MaskField$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.MaskField$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "fields",
        ConfigType::List,
        Importance::High,
        "Names of fields to mask.",
        Validator::NonDuplicateList {
            empty_allowed: false,
        },
    ),
    key_with_default(
        "replacement",
        ConfigType::String,
        DefaultValue::Null,
        Importance::Low,
        "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).",
        Validator::NonEmptyString,
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

struct MaskField {
    side: Side,
    /// In the iteration order of Apache's `HashSet`.
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    mask_field(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    mask_field(config, Side::Value)
}

fn mask_field(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    Ok(Box::new(MaskField {
        side,
        fields: JavaHashMap::set_order(&s.list("fields")),
        replacement: s.string("replacement"),
        replace_null_with_default: s.boolean("replace.null.with.default"),
    }))
}

const PURPOSE: &str = "mask fields";

/// `Values.convertToLong` and friends on the replacement text.
fn as_number(replacement: &str) -> Result<Number, ConnectError> {
    let d = numbers::parse_big_decimal(replacement).map_err(|e| {
        ConnectError::data(format!(
            "Unable to convert {replacement} (class java.lang.String) to a number"
        ))
        .with_cause(ConnectError::new(class::NUMBER_FORMAT, e))
    })?;
    Ok(Number::Big(d))
}

fn with_replacement(value: &Value, replacement: &str) -> Result<Value, ConnectError> {
    Ok(match value {
        Value::Int8(_) => Value::Int8(as_number(replacement)?.long_value() as i8),
        Value::Int16(_) => Value::Int16(as_number(replacement)?.long_value() as i16),
        Value::Int32(_) => Value::Int32(as_number(replacement)?.long_value() as i32),
        Value::Int64(_) => Value::Int64(as_number(replacement)?.long_value()),
        Value::Float32(_) => Value::Float32(as_number(replacement)?.double_value() as f32),
        Value::Float64(_) => Value::Float64(as_number(replacement)?.double_value()),
        Value::String(_) => Value::String(replacement.to_owned()),
        Value::Decimal(_) => {
            Value::Decimal(numbers::parse_big_decimal(replacement).map_err(|e| {
                ConnectError::data(format!(
                    "Unable to convert {replacement} (class java.lang.String) to number"
                ))
                .with_cause(ConnectError::new(class::NUMBER_FORMAT, e))
            })?)
        }
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type {} with custom replacement.",
                class_of(other)
            )));
        }
    })
}

fn empty_value(value: &Value) -> Result<Value, ConnectError> {
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::String(_) => Value::String(String::new()),
        Value::Decimal(_) => Value::Decimal(Decimal {
            unscaled: 0,
            scale: 0,
        }),
        Value::Date(_) => Value::Date(0),
        Value::Time(_) => Value::Time(0),
        Value::Timestamp(_) => Value::Timestamp(0),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        other => {
            return Err(ConnectError::data(format!(
                "Cannot mask value of type: {}",
                class_of(other)
            )));
        }
    })
}

impl MaskField {
    fn masked(&self, v: &Value) -> Result<Value, ConnectError> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        match &self.replacement {
            Some(r) => with_replacement(v, r),
            None => empty_value(v),
        }
    }
}

impl Transform for MaskField {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        let Some(schema) = self.side.schema(&r).cloned() else {
            let m = require_map(value, PURPOSE)?;
            let mut updated = JavaHashMap::copy_of(m);
            // Every listed field is put, so missing ones appear as null.
            for f in &self.fields {
                let v = self.masked(map_get(m, f).unwrap_or(&Value::Null))?;
                updated.put(Value::String(f.clone()), v);
            }
            self.side.set(&mut r, None, updated.into_value());
            return Ok(Some(r));
        };
        let s = require_struct(value, PURPOSE)?;
        let mut updated = Struct::new(s.schema.clone());
        for f in &s.schema.fields {
            let orig = field_value(s, f.index, self.replace_null_with_default);
            let v = if self.fields.contains(&f.name) {
                self.masked(&orig)?
            } else {
                orig
            };
            updated.put_checked(f.index, v)?;
        }
        self.side.set(&mut r, Some(schema), Value::Struct(updated));
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::data::{Schema, Type};

    #[test]
    fn schemaless_masking() {
        let t = value_transform(&cfg(&[("fields", "ssn,age,tags,missing")])).unwrap();
        let v = map(&[
            ("ssn", s("123")),
            ("age", Value::Int64(40)),
            ("tags", Value::Array(vec![s("x")])),
            ("name", s("n")),
        ]);
        let r = run(&*t, value_record(None, v)).unwrap();
        assert_eq!(
            r.value,
            map(&[
                ("name", s("n")),
                ("missing", Value::Null),
                ("age", Value::Int64(0)),
                ("ssn", s("")),
                ("tags", Value::Array(vec![])),
            ])
        );
        let t = value_transform(&cfg(&[("fields", "ssn,age"), ("replacement", "9.7")])).unwrap();
        let r = run(
            &*t,
            value_record(None, map(&[("ssn", s("1")), ("age", Value::Int64(3))])),
        )
        .unwrap();
        assert_eq!(r.value, map(&[("age", Value::Int64(9)), ("ssn", s("9.7"))]));
    }

    #[test]
    fn struct_masking() {
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int32)),
            ("card", Schema::new(Type::String).optional()),
            ("when", Schema::timestamp()),
        ]);
        let v = struct_value(
            &schema,
            vec![Value::Int32(5), s("4111"), Value::Timestamp(99)],
        );
        let t = value_transform(&cfg(&[("fields", "card,when,absent")])).unwrap();
        let r = run(&*t, value_record(Some(schema.clone()), v.clone())).unwrap();
        let Value::Struct(got) = r.value else {
            panic!()
        };
        assert_eq!(got.values, [Value::Int32(5), s(""), Value::Timestamp(0)]);
        let t = value_transform(&cfg(&[("fields", "when"), ("replacement", "x")])).unwrap();
        assert_eq!(
            err(&*t, value_record(Some(schema), v)).1,
            "Cannot mask value of type class java.util.Date with custom replacement."
        );
    }

    #[test]
    fn errors() {
        let t = value_transform(&cfg(&[("fields", "a")])).unwrap();
        assert_eq!(
            err(&*t, value_record(None, Value::Null)).1,
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
        assert_eq!(
            err(
                &*t,
                value_record(None, map(&[("a", Value::Bytes(vec![1]))]))
            )
            .1,
            "Cannot mask value of type: class [B"
        );
        let t = value_transform(&cfg(&[("fields", "a"), ("replacement", "abc")])).unwrap();
        let (class, msg) = err(&*t, value_record(None, map(&[("a", Value::Int64(1))])));
        assert_eq!(class, crate::error::class::DATA);
        assert_eq!(
            msg,
            "Unable to convert abc (class java.lang.String) to a number"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[("fields", "")]))),
            "Configuration 'fields' must not be empty. Valid values include: any non-empty value"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[
                ("fields", "a"),
                ("replacement", "")
            ]))),
            "Invalid value  for configuration replacement: String must be non-empty"
        );
        // Duplicates are dropped when configuring (validation reports them).
        assert!(value_transform(&cfg(&[("fields", "a,a")])).is_ok());
    }
}
