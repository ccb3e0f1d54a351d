//! `ReplaceField$Key` / `ReplaceField$Value`: keeps (`include`), drops (`exclude`, which wins)
//! and renames (`renames=old:new`) top-level fields of a struct or map. Tombstones pass through.

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, SchemaCache, Settings, Side, Transform, add_field,
    copy_schema_basics, field_value, java_list, java_split_colon, key_with_default, put_field,
    require_map, require_struct,
};
use crate::data::{ConnectRecord, JavaHashMap, Schema, Struct, Type, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Validator,
};

pub const KEY: &str = "org.apache.kafka.connect.transforms.ReplaceField$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key_with_default(
        "exclude",
        ConfigType::List,
        DefaultValue::Value(""),
        Importance::Medium,
        "Fields to exclude. This takes precedence over the fields to include.",
        Validator::NonDuplicateList {
            empty_allowed: true,
        },
    ),
    key_with_default(
        "include",
        ConfigType::List,
        DefaultValue::Value(""),
        Importance::Medium,
        "Fields to include. If specified, only these fields will be used.",
        Validator::NonDuplicateList {
            empty_allowed: true,
        },
    ),
    key_with_default(
        "renames",
        ConfigType::List,
        DefaultValue::Value(""),
        Importance::Medium,
        "Field rename mappings.",
        Validator::Custom(check_renames),
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

fn check_renames(_: &str, value: Option<&Parsed>) -> Result<(), String> {
    match value {
        Some(Parsed::List(l)) => parse_renames(l).map(|_| ()),
        // `renames` has a default, so it is never missing.
        _ => Ok(()),
    }
}

/// `old:new` pairs; a later pair for the same old name wins.
fn parse_renames(mappings: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for mapping in mappings {
        match java_split_colon(mapping).as_slice() {
            [from, to] => {
                out.retain(|(f, _)| f != from);
                out.push(((*from).to_owned(), (*to).to_owned()));
            }
            _ => {
                return Err(format!(
                    "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                    java_list(mappings)
                ));
            }
        }
    }
    Ok(out)
}

struct ReplaceField {
    side: Side,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: Vec<(String, String)>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    replace_field(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    replace_field(config, Side::Value)
}

fn replace_field(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    Ok(Box::new(ReplaceField {
        side,
        exclude: s.list("exclude"),
        include: s.list("include"),
        renames: parse_renames(&s.list("renames")).map_err(super::config_error)?,
        replace_null_with_default: s.boolean("replace.null.with.default"),
        cache: SchemaCache::default(),
    }))
}

const PURPOSE: &str = "field replacement";

impl ReplaceField {
    fn keep(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(from, _)| from == name)
            .map_or(name, |(_, to)| to.as_str())
    }

    /// The original name of an output field (the inverse of the renames).
    fn original<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames
            .iter()
            .rev()
            .find(|(_, to)| to == name)
            .map_or(name, |(from, _)| from.as_str())
    }
}

impl Transform for ReplaceField {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        if value.is_null() {
            return Ok(Some(r));
        }
        let Some(_) = self.side.schema(&r) else {
            let m = require_map(value, PURPOSE)?;
            let mut updated = JavaHashMap::with_capacity(m.len());
            for (k, v) in m {
                // Apache's map is keyed by strings; other keys never match a field name.
                let name = match k {
                    Value::String(s) => s.as_str(),
                    _ => "",
                };
                if self.keep(name) {
                    updated.put(Value::String(self.renamed(name).to_owned()), v.clone());
                }
            }
            self.side.set(&mut r, None, updated.into_value());
            return Ok(Some(r));
        };
        let s = require_struct(value, PURPOSE)?;
        let updated_schema = self.cache.get_or_build(&s.schema, || {
            let mut out = copy_schema_basics(&s.schema, Schema::new(Type::Struct));
            for f in &s.schema.fields {
                if self.keep(&f.name) {
                    add_field(&mut out, self.renamed(&f.name), f.schema.clone())?;
                }
            }
            Ok(out.into_ref())
        })?;
        let mut updated = Struct::new(updated_schema.clone());
        for f in &updated_schema.fields {
            let from = self.original(&f.name);
            let index =
                s.schema.field(from).map(|f| f.index).ok_or_else(|| {
                    ConnectError::data(format!("{from} is not a valid field name"))
                })?;
            put_field(
                &mut updated,
                &f.name,
                field_value(s, index, self.replace_null_with_default),
            )?;
        }
        self.side
            .set(&mut r, Some(updated_schema), Value::Struct(updated));
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn schemaless_filter_and_rename() {
        let t = value_transform(&cfg(&[
            ("exclude", "secret"),
            ("renames", "id:order_id,name:customer"),
        ]))
        .unwrap();
        let v = map(&[
            ("id", Value::Int64(1)),
            ("name", s("n")),
            ("secret", s("x")),
            ("qty", Value::Int64(2)),
        ]);
        let r = run(&*t, value_record(None, v)).unwrap();
        assert_eq!(
            r.value,
            map(&[
                ("order_id", Value::Int64(1)),
                ("customer", s("n")),
                ("qty", Value::Int64(2))
            ])
        );
        let t = value_transform(&cfg(&[("include", "id,qty"), ("exclude", "qty")])).unwrap();
        let r = run(
            &*t,
            value_record(
                None,
                map(&[("id", Value::Int64(1)), ("qty", Value::Int64(2))]),
            ),
        )
        .unwrap();
        assert_eq!(r.value, map(&[("id", Value::Int64(1))]));
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().value,
            Value::Null
        );
    }

    #[test]
    fn struct_filter_and_rename() {
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int64)),
            (
                "name",
                Schema::new(Type::String)
                    .optional()
                    .default_value(s("anon")),
            ),
            ("secret", Schema::new(Type::String)),
        ]);
        let v = struct_value(&schema, vec![Value::Int64(1), Value::Null, s("x")]);
        let t = key_transform(&cfg(&[("exclude", "secret"), ("renames", "name:who")])).unwrap();
        let r = run(&*t, key_record(Some(schema.clone()), v.clone())).unwrap();
        let out = r.key_schema.unwrap();
        assert_eq!(field_names(&out), ["id", "who"]);
        let Value::Struct(got) = r.key else { panic!() };
        assert_eq!(got.values, [Value::Int64(1), s("anon")]);
        let t = key_transform(&cfg(&[("renames", "name:id")])).unwrap();
        assert_eq!(
            err(&*t, key_record(Some(schema), v)).1,
            "Cannot create field because of field name duplication id"
        );
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_err(value_transform(&cfg(&[("renames", "a:b:c,x")]))),
            "Invalid value [a:b:c, x] for configuration renames: Invalid rename mapping: a:b:c"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[("exclude", "a,,b")]))),
            "Configuration 'exclude' values must not be empty."
        );
        assert_eq!(
            err(
                &*value_transform(&cfg(&[])).unwrap(),
                value_record(None, s("x"))
            )
            .1,
            "Only Map objects supported in absence of schema for [field replacement], found: java.lang.String"
        );
    }
}
