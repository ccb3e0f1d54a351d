//! `ValueToKey`: replaces the key with a struct (with schema) or map (without) of some of the
//! value's fields. The value must be a struct or map; tombstones are refused, as in Apache.

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, SchemaCache, Settings, Transform, add_field, field_value,
    key, map_get, put_field, require_map, require_struct,
};
use crate::data::{ConnectRecord, JavaHashMap, Schema, Struct, Type, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{ConfigKey, ConfigType, Importance, Validator};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.ValueToKey";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "fields",
        ConfigType::List,
        Importance::High,
        "Field names on the record value to extract as the record key.",
        Validator::NonDuplicateList {
            empty_allowed: false,
        },
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

pub fn create(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    Ok(Box::new(ValueToKey {
        fields: s.list("fields"),
        replace_null_with_default: s.boolean("replace.null.with.default"),
        cache: SchemaCache::default(),
    }))
}

const PURPOSE: &str = "copying fields from value to key";

impl Transform for ValueToKey {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if r.value_schema.is_none() {
            let m = require_map(&r.value, PURPOSE)?;
            let mut key = JavaHashMap::with_capacity(self.fields.len());
            for f in &self.fields {
                key.put(
                    Value::String(f.clone()),
                    map_get(m, f).cloned().unwrap_or(Value::Null),
                );
            }
            r.key_schema = None;
            r.key = key.into_value();
            return Ok(Some(r));
        }
        let s = require_struct(&r.value, PURPOSE)?;
        let key_schema = self.cache.get_or_build(&s.schema, || {
            let mut out = Schema::new(Type::Struct);
            for f in &self.fields {
                let Some(vf) = s.schema.field(f) else {
                    return Err(ConnectError::data(format!("Field does not exist: {f}")));
                };
                add_field(&mut out, f, vf.schema.clone())?;
            }
            Ok(out.into_ref())
        })?;
        let mut key = Struct::new(key_schema.clone());
        for f in &self.fields {
            let index = s
                .schema
                .field(f)
                .map(|vf| vf.index)
                .ok_or_else(|| ConnectError::data(format!("{f} is not a valid field name")))?;
            put_field(
                &mut key,
                f,
                field_value(s, index, self.replace_null_with_default),
            )?;
        }
        r.value_schema = Some(s.schema.clone());
        r.key_schema = Some(key_schema);
        r.key = Value::Struct(key);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn keys_from_maps_and_structs() {
        let t = create(&cfg(&[("fields", "id,missing")])).unwrap();
        let r = run(
            &*t,
            value_record(None, map(&[("id", Value::Int64(1)), ("x", s("y"))])),
        )
        .unwrap();
        assert_eq!(
            r.key,
            map(&[("missing", Value::Null), ("id", Value::Int64(1))])
        );
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int64)),
            (
                "region",
                Schema::new(Type::String).optional().default_value(s("eu")),
            ),
        ]);
        let v = struct_value(&schema, vec![Value::Int64(1), Value::Null]);
        let t = create(&cfg(&[("fields", "region,id")])).unwrap();
        let r = run(&*t, value_record(Some(schema.clone()), v.clone())).unwrap();
        assert_eq!(
            field_names(r.key_schema.as_ref().unwrap()),
            ["region", "id"]
        );
        let Value::Struct(k) = r.key else { panic!() };
        assert_eq!(k.values, [s("eu"), Value::Int64(1)]);
        let t = create(&cfg(&[("fields", "nope")])).unwrap();
        assert_eq!(
            err(&*t, value_record(Some(schema), v)).1,
            "Field does not exist: nope"
        );
    }

    #[test]
    fn errors() {
        let t = create(&cfg(&[("fields", "id")])).unwrap();
        assert_eq!(
            err(&*t, value_record(None, Value::Null)).1,
            "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
        );
        assert_eq!(
            config_err(create(&cfg(&[]))),
            "Missing required configuration \"fields\" which has no default value."
        );
        assert_eq!(
            config_err(create(&cfg(&[("fields", "")]))),
            "Configuration 'fields' must not be empty. Valid values include: any non-empty value"
        );
    }
}
