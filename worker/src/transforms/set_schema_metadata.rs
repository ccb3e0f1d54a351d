//! `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`: sets the name and/or version of the key
//! or value schema (a struct value is rebuilt against the renamed schema).

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, Settings, Side, Transform, config_error, field_value,
    key_with_default,
};
use crate::data::{ConnectRecord, Schema, Struct, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key_with_default(
        "schema.name",
        ConfigType::String,
        DefaultValue::Null,
        Importance::High,
        "Schema name to set.",
        Validator::None,
    ),
    key_with_default(
        "schema.version",
        ConfigType::Int,
        DefaultValue::Null,
        Importance::High,
        "Schema version to set.",
        Validator::None,
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    set_schema_metadata(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    set_schema_metadata(config, Side::Value)
}

fn set_schema_metadata(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    let name = s.string("schema.name");
    // An INT setting always fits an i32.
    let version = s.int("schema.version").map(|v| v as i32);
    if name.is_none() && version.is_none() {
        return Err(config_error("Neither schema name nor version configured"));
    }
    Ok(Box::new(SetSchemaMetadata {
        side,
        name,
        version,
        replace_null_with_default: s.boolean("replace.null.with.default"),
    }))
}

impl Transform for SetSchemaMetadata {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        let Some(schema) = self.side.schema(&r) else {
            if value.is_null() {
                return Ok(Some(r));
            }
            return Err(ConnectError::data(
                "Schema required for [updating schema metadata]",
            ));
        };
        let updated = Schema {
            name: self.name.clone().or_else(|| schema.name.clone()),
            version: self.version.or(schema.version),
            ..(**schema).clone()
        }
        .into_ref();
        let new_value = match value {
            Value::Struct(s) => {
                let mut out = Struct::new(updated.clone());
                for f in &updated.fields {
                    out.put_checked(
                        f.index,
                        field_value(s, f.index, self.replace_null_with_default),
                    )?;
                }
                Value::Struct(out)
            }
            other => other.clone(),
        };
        self.side.set(&mut r, Some(updated), new_value);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::data::Type;

    #[test]
    fn renames_schemas() {
        let t = value_transform(&cfg(&[
            ("schema.name", "shop.Order"),
            ("schema.version", "3"),
        ]))
        .unwrap();
        let schema = struct_schema(&[("id", Schema::new(Type::Int64))]);
        let r = run(
            &*t,
            value_record(
                Some(schema.clone()),
                struct_value(&schema, vec![Value::Int64(1)]),
            ),
        )
        .unwrap();
        let out = r.value_schema.unwrap();
        assert_eq!(
            (out.name.as_deref(), out.version),
            (Some("shop.Order"), Some(3))
        );
        let Value::Struct(v) = r.value else { panic!() };
        assert_eq!(v.schema, out);
        let t = key_transform(&cfg(&[("schema.version", "2")])).unwrap();
        let r = run(&*t, key_record(Some(Schema::optional_string()), s("k"))).unwrap();
        let out = r.key_schema.unwrap();
        assert_eq!(
            (out.name.as_deref(), out.version, out.optional),
            (None, Some(2), true)
        );
        // A schemaless tombstone passes; schemaless data does not.
        assert_eq!(
            run(&*t, key_record(None, Value::Null)).unwrap().key,
            Value::Null
        );
        assert_eq!(
            err(&*t, key_record(None, s("k"))).1,
            "Schema required for [updating schema metadata]"
        );
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_err(value_transform(&cfg(&[]))),
            "Neither schema name nor version configured"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[("schema.version", "x")]))),
            "Invalid value x for configuration schema.version: Not a number of type INT"
        );
    }
}
