//! `HoistField$Key` / `HoistField$Value`: wraps the key or value in a struct (with schema) or a
//! map (without) under one field name. Tombstones are wrapped too.

use connect_api::ConfigMap;

use super::{Origin, SchemaCache, Settings, Side, Transform, add_field, key};
use crate::data::{ConnectRecord, Schema, Struct, Type, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{ConfigKey, ConfigType, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.HoistField$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.HoistField$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[key(
    "field",
    ConfigType::String,
    Importance::Medium,
    "Field name for the single field that will be created in the resulting Struct or Map.",
    Validator::None,
)];

struct HoistField {
    side: Side,
    field: String,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    hoist_field(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    hoist_field(config, Side::Value)
}

fn hoist_field(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    Ok(Box::new(HoistField {
        side,
        field: s.string("field").unwrap_or_default(),
        cache: SchemaCache::default(),
    }))
}

impl Transform for HoistField {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r).clone();
        let Some(schema) = self.side.schema(&r).cloned() else {
            let wrapped = Value::Map(vec![(Value::String(self.field.clone()), value)]);
            self.side.set(&mut r, None, wrapped);
            return Ok(Some(r));
        };
        let updated = self.cache.get_or_build(&schema, || {
            let mut out = Schema::new(Type::Struct);
            add_field(&mut out, &self.field, schema.clone())?;
            Ok(out.into_ref())
        })?;
        let mut s = Struct::new(updated.clone());
        s.put_checked(0, value)?;
        self.side.set(&mut r, Some(updated), Value::Struct(s));
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn wraps_with_and_without_schema() {
        let t = value_transform(&cfg(&[("field", "line")])).unwrap();
        let r = run(&*t, value_record(None, s("a"))).unwrap();
        assert_eq!(r.value, map(&[("line", s("a"))]));
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().value,
            map(&[("line", Value::Null)])
        );
        let r = run(&*t, value_record(Some(Schema::optional_string()), s("a"))).unwrap();
        let schema = r.value_schema.unwrap();
        assert_eq!(field_names(&schema), ["line"]);
        assert!(!schema.optional);
        let Value::Struct(v) = r.value else { panic!() };
        assert_eq!(v.values, [s("a")]);
        let t = key_transform(&cfg(&[("field", "k")])).unwrap();
        let r = run(
            &*t,
            key_record(Some(Schema::new(Type::Int64).into_ref()), Value::Int64(1)),
        )
        .unwrap();
        assert_eq!(r.key_schema.unwrap().fields[0].schema.ty, Type::Int64);
    }

    #[test]
    fn errors() {
        let t = key_transform(&cfg(&[("field", "k")])).unwrap();
        assert_eq!(
            err(
                &*t,
                key_record(Some(Schema::new(Type::Int64).into_ref()), Value::Null)
            )
            .1,
            "Invalid value: null used for required field: \"k\", schema type: INT64"
        );
        let t = key_transform(&cfg(&[("field", "")])).unwrap();
        assert_eq!(
            err(&*t, key_record(Some(Schema::optional_string()), s("x"))).1,
            "fieldName cannot be null."
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[]))),
            "Missing required configuration \"field\" which has no default value."
        );
    }
}
