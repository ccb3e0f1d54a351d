//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one of its fields,
//! from a struct (with schema) or a map (without). With `field.syntax.version=V2` the field is
//! a dotted path into nested structs or maps (KIP-821), backticks quoting names with dots.

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, Settings, Side, Transform, config_error, key,
    key_with_default, map_get, require_map, require_struct,
};
use crate::data::{ConnectRecord, Field, Schema, Struct, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.ExtractField$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.ExtractField$Value";

pub(crate) const FIELD_SYNTAX_VERSION: ConfigKey = key_with_default(
    "field.syntax.version",
    ConfigType::String,
    DefaultValue::Value("V1"),
    Importance::High,
    "Defines the version of the syntax to access fields. If set to <code>V1</code>, then the field paths are limited to access the elements at the root level of the struct or map. If set to <code>V2</code>, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield <code>baz</code> from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"<code>foo.bar</code>.baz\".",
    Validator::OneOfCaseInsensitive(&["V1", "V2"]),
);

pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "field",
        ConfigType::String,
        Importance::Medium,
        "Field name to extract.",
        Validator::None,
    ),
    REPLACE_NULL_WITH_DEFAULT,
    FIELD_SYNTAX_VERSION,
];

/// `SingleFieldPath`: the steps from the root to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath(Vec<String>);

impl FieldPath {
    /// V1 takes the text as one field name; V2 splits it on dots, honouring backtick quotes
    /// (a backslash escapes a backtick inside them).
    pub(crate) fn parse(text: &str, v2: bool) -> Result<FieldPath, ConnectError> {
        if !v2 {
            return Ok(FieldPath(vec![text.to_owned()]));
        }
        let chars: Vec<char> = text.chars().collect();
        let incomplete = |at: usize| {
            config_error(format!(
                "Incomplete backtick pair in path: [{text}], consider adding a backslash before backtick at position {at} to escape it"
            ))
        };
        let mut steps = Vec::new();
        let mut idx = 0;
        while idx < chars.len() {
            if chars[idx] != '`' {
                match chars[idx..].iter().position(|c| *c == '.') {
                    Some(n) => {
                        steps.push(chars[idx..idx + n].iter().collect());
                        idx += n + 1;
                    }
                    None => {
                        steps.push(chars[idx..].iter().collect());
                        idx = chars.len();
                    }
                }
                continue;
            }
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                let Some(n) = chars[idx..].iter().position(|c| *c == '`') else {
                    return Err(incomplete(backtick_at));
                };
                idx += n;
                let escaped = chars[idx - 1] == '\\';
                if idx >= chars.len() - 1 {
                    if escaped {
                        return Err(incomplete(backtick_at));
                    }
                    field.extend(&chars[start..idx]);
                    steps.push(std::mem::take(&mut field));
                    idx += 1;
                    break;
                }
                if chars[idx + 1] != '.' {
                    idx += 1;
                    continue;
                }
                if escaped {
                    field.extend(&chars[start..idx - 1]);
                    field.push('`');
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.extend(&chars[start..idx]);
                steps.push(std::mem::take(&mut field));
                idx += 2;
                break;
            }
        }
        if text.ends_with('.') {
            steps.push(String::new());
        }
        Ok(FieldPath(steps))
    }

    fn split(&self) -> (&[String], &str) {
        match self.0.split_last() {
            Some((last, parents)) => (parents, last),
            None => (&[], ""),
        }
    }

    /// `fieldFrom(schema)`: the field at this path, if every step exists.
    pub(crate) fn field_from<'a>(
        &self,
        schema: &'a Schema,
    ) -> Result<Option<&'a Field>, ConnectError> {
        let lookup = |s: &'a Schema, name: &str| {
            if s.ty != Type::Struct {
                return Err(ConnectError::data(
                    "Cannot look up fields on non-struct type",
                ));
            }
            Ok(s.field(name))
        };
        let (parents, last) = self.split();
        let mut current = schema;
        for step in parents {
            match lookup(current, step)? {
                Some(f) => current = &f.schema,
                None => return Ok(None),
            }
        }
        lookup(current, last)
    }

    /// `valueFrom(struct, withDefault)`: nested structs are read with their defaults.
    pub(crate) fn value_from_struct(
        &self,
        s: &Struct,
        with_default: bool,
    ) -> Result<Value, ConnectError> {
        let (parents, last) = self.split();
        let mut current = s;
        for step in parents {
            let Some(f) = current.schema.field(step) else {
                return Ok(Value::Null);
            };
            match current.get_with_default(f.index) {
                Value::Null => return Ok(Value::Null),
                v => current = require_struct(v, "nested field access")?,
            }
        }
        Ok(match current.schema.field(last) {
            Some(f) if with_default => current.get_with_default(f.index).clone(),
            Some(f) => current.values[f.index].clone(),
            None => Value::Null,
        })
    }

    /// `valueFrom(map)`.
    pub(crate) fn value_from_map(&self, m: &[(Value, Value)]) -> Result<Value, ConnectError> {
        let (parents, last) = self.split();
        let mut current = m;
        for step in parents {
            match map_get(current, step) {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(v) => current = require_map(v, "nested field access")?,
            }
        }
        Ok(map_get(current, last).cloned().unwrap_or(Value::Null))
    }
}

/// `FieldSyntaxVersion.fromConfig`: whether the V2 (dotted) syntax is on.
pub(crate) fn is_v2(s: &Settings) -> bool {
    s.string("field.syntax.version")
        .is_some_and(|v| v.eq_ignore_ascii_case("V2"))
}

struct ExtractField {
    side: Side,
    original: String,
    path: FieldPath,
    replace_null_with_default: bool,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    extract_field(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    extract_field(config, Side::Value)
}

fn extract_field(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    let original = s.string("field").unwrap_or_default();
    let path = FieldPath::parse(&original, is_v2(&s))?;
    Ok(Box::new(ExtractField {
        side,
        original,
        path,
        replace_null_with_default: s.boolean("replace.null.with.default"),
    }))
}

const PURPOSE: &str = "field extraction";

impl Transform for ExtractField {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        let Some(schema) = self.side.schema(&r).cloned() else {
            let extracted = match value {
                Value::Null => Value::Null,
                v => self.path.value_from_map(require_map(v, PURPOSE)?)?,
            };
            self.side.set(&mut r, None, extracted);
            return Ok(Some(r));
        };
        let s = match value {
            Value::Null => None,
            v => Some(require_struct(v, PURPOSE)?),
        };
        let Some(field) = self.path.field_from(&schema)? else {
            return Err(ConnectError::new(
                class::ILLEGAL_ARGUMENT,
                format!("Unknown field: {}", self.original),
            ));
        };
        let field_schema = field.schema.clone();
        let extracted = match s {
            Some(s) => self
                .path
                .value_from_struct(s, self.replace_null_with_default)?,
            None => Value::Null,
        };
        self.side.set(&mut r, Some(field_schema), extracted);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn v2_paths_follow_single_field_path() {
        let p = |t: &str| FieldPath::parse(t, true).map(|p| p.0);
        assert_eq!(p("a.b").unwrap(), ["a", "b"]);
        assert_eq!(p("`a.b`.c").unwrap(), ["a.b", "c"]);
        assert_eq!(p("a.").unwrap(), ["a", ""]);
        assert_eq!(p("`a\\`.b`").unwrap(), ["a`.b"]);
        assert_eq!(p("`a`b`.c").unwrap(), ["a`b", "c"]);
        assert_eq!(
            p("`a.b").unwrap_err().message.as_deref(),
            Some(
                "Incomplete backtick pair in path: [`a.b], consider adding a backslash before backtick at position 0 to escape it"
            )
        );
        assert_eq!(FieldPath::parse("a.b", false).unwrap().0, ["a.b"]);
    }

    #[test]
    fn schemaless_extraction() {
        let t = value_transform(&cfg(&[("field", "a")])).unwrap();
        let r = run(&*t, value_record(None, map(&[("a", Value::Int64(1))]))).unwrap();
        assert_eq!(r.value, Value::Int64(1));
        // Missing fields and tombstones give null.
        assert_eq!(
            run(&*t, value_record(None, map(&[]))).unwrap().value,
            Value::Null
        );
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().value,
            Value::Null
        );
        assert_eq!(
            err(&*t, value_record(None, s("x"))).1,
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.String"
        );
        let t = value_transform(&cfg(&[("field", "a.b"), ("field.syntax.version", "v2")])).unwrap();
        let nested = map(&[("a", map(&[("b", s("deep"))]))]);
        assert_eq!(
            run(&*t, value_record(None, nested)).unwrap().value,
            s("deep")
        );
        assert_eq!(
            err(&*t, value_record(None, map(&[("a", Value::Int64(1))]))).1,
            "Only Map objects supported in absence of schema for [nested field access], found: java.lang.Long"
        );
    }

    #[test]
    fn struct_extraction() {
        let inner = struct_schema(&[(
            "b",
            Schema::new(Type::Int32)
                .optional()
                .default_value(Value::Int32(9)),
        )]);
        let schema = struct_schema(&[("a", (*inner).clone()), ("id", Schema::new(Type::Int64))]);
        let v = struct_value(
            &schema,
            vec![struct_value(&inner, vec![Value::Null]), Value::Int64(4)],
        );
        let t = key_transform(&cfg(&[("field", "id")])).unwrap();
        let r = run(&*t, key_record(Some(schema.clone()), v.clone())).unwrap();
        assert_eq!(
            (r.key, r.key_schema.unwrap().ty),
            (Value::Int64(4), Type::Int64)
        );
        let t = key_transform(&cfg(&[("field", "a.b"), ("field.syntax.version", "V2")])).unwrap();
        assert_eq!(
            run(&*t, key_record(Some(schema.clone()), v.clone()))
                .unwrap()
                .key,
            Value::Int32(9)
        );
        let t = key_transform(&cfg(&[
            ("field", "a.b"),
            ("field.syntax.version", "V2"),
            ("replace.null.with.default", "false"),
        ]))
        .unwrap();
        assert_eq!(
            run(&*t, key_record(Some(schema.clone()), v.clone()))
                .unwrap()
                .key,
            Value::Null
        );
        let t = key_transform(&cfg(&[("field", "nope")])).unwrap();
        assert_eq!(
            err(&*t, key_record(Some(schema.clone()), v)),
            (
                "java.lang.IllegalArgumentException".into(),
                "Unknown field: nope".into()
            )
        );
        // A tombstone with a schema keeps the field's schema and a null value.
        let t = key_transform(&cfg(&[("field", "id")])).unwrap();
        let r = run(&*t, key_record(Some(schema), Value::Null)).unwrap();
        assert_eq!(
            (r.key, r.key_schema.unwrap().ty),
            (Value::Null, Type::Int64)
        );
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            config_err(value_transform(&cfg(&[
                ("field", "a"),
                ("field.syntax.version", "V3")
            ]))),
            "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[]))),
            "Missing required configuration \"field\" which has no default value."
        );
    }
}
