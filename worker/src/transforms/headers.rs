//! Header transforms: `InsertHeader`, `DropHeaders`, and `HeaderFrom` (copy or move key/value
//! fields into headers).

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, Settings, Side, Transform, add_field, config_error,
    copy_schema_basics, field_value, key, map_get, require_map, require_struct, required,
};
use crate::data::{ConnectRecord, Header, JavaHashMap, Schema, Struct, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, Importance, Validator};

pub const INSERT_HEADER: &str = "org.apache.kafka.connect.transforms.InsertHeader";
pub static INSERT_HEADER_DEF: &[ConfigKey] = &[
    key(
        "header",
        ConfigType::String,
        Importance::High,
        "The name of the header.",
        Validator::NonNull,
    ),
    key(
        "value.literal",
        ConfigType::String,
        Importance::High,
        "The literal value that is to be set as the header value on all records.",
        Validator::NonNull,
    ),
];

struct InsertHeader {
    header: String,
    value: String,
}

pub fn insert_header(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(InsertHeader {
        header: required(config, "header")?.to_owned(),
        value: config.get("value.literal").cloned().ok_or_else(|| {
            config_error(
                "Missing required configuration \"value.literal\" which has no default value.",
            )
        })?,
    }))
}

impl Transform for InsertHeader {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        // Apache infers a schema from the literal; a string header carries the same text.
        r.headers.push(Header {
            key: self.header.clone(),
            schema: Some(Schema::optional_string()),
            value: Value::String(self.value.clone()),
        });
        Ok(Some(r))
    }
}

pub const DROP_HEADERS: &str = "org.apache.kafka.connect.transforms.DropHeaders";
pub static DROP_HEADERS_DEF: &[ConfigKey] = &[key(
    "headers",
    ConfigType::List,
    Importance::High,
    "The name of the headers to be removed.",
    Validator::NonDuplicateList {
        empty_allowed: false,
    },
)];

struct DropHeaders(Vec<String>);

pub fn drop_headers(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(DROP_HEADERS_DEF, config)?;
    Ok(Box::new(DropHeaders(s.list("headers"))))
}

impl Transform for DropHeaders {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        r.headers.retain(|h| !self.0.contains(&h.key));
        Ok(Some(r))
    }
}

pub const HEADER_FROM_KEY: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Key";
pub const HEADER_FROM_VALUE: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Value";
pub static HEADER_FROM_DEF: &[ConfigKey] = &[
    key(
        "fields",
        ConfigType::List,
        Importance::High,
        "Field names in the record whose values are to be copied or moved to headers.",
        Validator::NonEmptyList,
    ),
    key(
        "headers",
        ConfigType::List,
        Importance::High,
        "Header names, in the same order as the field names listed in the fields configuration property.",
        Validator::NonEmptyList,
    ),
    key(
        "operation",
        ConfigType::String,
        Importance::High,
        "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
        Validator::OneOf(&["move", "copy"]),
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    /// `move` removes the fields from the key or value; `copy` keeps them.
    is_move: bool,
    replace_null_with_default: bool,
}

pub fn header_from_key(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    header_from(config, Side::Key)
}

pub fn header_from_value(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    header_from(config, Side::Value)
}

fn header_from(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(HEADER_FROM_DEF, config)?;
    let fields = s.list("fields");
    let headers = s.list("headers");
    if fields.len() != headers.len() {
        return Err(config_error(
            "'fields' config must have the same number of elements as 'headers' config.",
        ));
    }
    Ok(Box::new(HeaderFrom {
        side,
        fields,
        headers,
        is_move: s.string("operation").as_deref() == Some("move"),
        replace_null_with_default: s.boolean("replace.null.with.default"),
    }))
}

impl HeaderFrom {
    fn purpose(&self) -> &'static str {
        if self.is_move {
            "header move"
        } else {
            "header copy"
        }
    }
}

impl Transform for HeaderFrom {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(schema) = self.side.schema(&r).cloned() else {
            let value = require_map(self.side.value(&r), self.purpose())?;
            let mut updated = JavaHashMap::copy_of(value);
            let mut added = Vec::with_capacity(self.fields.len());
            for (field, header) in self.fields.iter().zip(&self.headers) {
                let v = map_get(value, field).cloned().unwrap_or(Value::Null);
                if self.is_move {
                    updated.remove(&Value::String(field.clone()));
                }
                added.push(Header {
                    key: header.clone(),
                    schema: None,
                    value: v,
                });
            }
            r.headers.extend(added);
            self.side.set(&mut r, None, updated.into_value());
            return Ok(Some(r));
        };
        let value = require_struct(self.side.value(&r), self.purpose())?;
        let mut added = Vec::with_capacity(self.fields.len());
        for (field, header) in self.fields.iter().zip(&self.headers) {
            let v = value.schema.field(field).map_or(Value::Null, |f| {
                field_value(value, f.index, self.replace_null_with_default)
            });
            let Some(f) = schema.fields.iter().find(|f| f.name == *field) else {
                return Err(ConnectError::new(
                    class::NULL_POINTER,
                    "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null",
                ));
            };
            added.push(Header {
                key: header.clone(),
                schema: Some(f.schema.clone()),
                value: v,
            });
        }
        if self.is_move {
            let mut moved = copy_schema_basics(&schema, Schema::new(Type::Struct));
            for f in &schema.fields {
                if !self.fields.contains(&f.name) {
                    add_field(&mut moved, &f.name, f.schema.clone())?;
                }
            }
            let moved = moved.into_ref();
            let mut updated = Struct::new(moved.clone());
            for (i, f) in moved.fields.iter().enumerate() {
                let index = value.schema.field(&f.name).map(|f| f.index);
                let v = index.map_or(Value::Null, |i| {
                    field_value(value, i, self.replace_null_with_default)
                });
                updated.put_checked(i, v)?;
            }
            self.side.set(&mut r, Some(moved), Value::Struct(updated));
        }
        r.headers.extend(added);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
        header_from_value(&cfg(pairs)).unwrap()
    }

    #[test]
    fn header_from_schemaless_move_and_copy() {
        let v = map(&[
            ("id", Value::Int64(7)),
            ("name", s("n")),
            ("x", Value::Null),
        ]);
        let t = from(&[
            ("fields", "id,missing"),
            ("headers", "h_id,h_m"),
            ("operation", "move"),
        ]);
        let r = run(&*t, value_record(None, v.clone())).unwrap();
        assert_eq!(r.value, map(&[("name", s("n")), ("x", Value::Null)]));
        assert_eq!(
            r.headers,
            vec![header("h_id", Value::Int64(7)), header("h_m", Value::Null)]
        );
        let t = from(&[("fields", "id"), ("headers", "h"), ("operation", "copy")]);
        let r = run(&*t, value_record(None, v.clone())).unwrap();
        // Copied into a HashMap, so in Java's order.
        assert_eq!(
            r.value,
            map(&[
                ("name", s("n")),
                ("x", Value::Null),
                ("id", Value::Int64(7))
            ])
        );
        assert_eq!(r.headers.len(), 1);
    }

    #[test]
    fn header_from_struct_move() {
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int32)),
            (
                "name",
                Schema::new(Type::String).optional().default_value(s("d")),
            ),
        ]);
        let v = struct_value(&schema, vec![Value::Int32(1), Value::Null]);
        let t = from(&[("fields", "name"), ("headers", "n"), ("operation", "move")]);
        let r = run(&*t, value_record(Some(schema.clone()), v.clone())).unwrap();
        let out = r.value_schema.unwrap();
        assert_eq!(field_names(&out), ["id"]);
        // The default stands in for the null field, with the field's schema.
        assert_eq!(r.headers[0].value, s("d"));
        assert_eq!(r.headers[0].schema.as_ref().unwrap().ty, Type::String);
        let t = from(&[
            ("fields", "name"),
            ("headers", "n"),
            ("operation", "copy"),
            ("replace.null.with.default", "false"),
        ]);
        let r = run(&*t, value_record(Some(schema.clone()), v.clone())).unwrap();
        assert_eq!(r.headers[0].value, Value::Null);
        assert_eq!(r.value, v);
        // A field the schema lacks fails like Apache's NullPointerException.
        let t = from(&[("fields", "nope"), ("headers", "n"), ("operation", "copy")]);
        let (class, msg) = err(&*t, value_record(Some(schema), v));
        assert_eq!(class, "java.lang.NullPointerException");
        assert!(msg.contains("Schema.field(String)\" is null"), "{msg}");
    }

    #[test]
    fn header_from_errors() {
        assert_eq!(
            config_err(header_from_value(&cfg(&[
                ("fields", "a,b"),
                ("headers", "h"),
                ("operation", "copy")
            ]))),
            "'fields' config must have the same number of elements as 'headers' config."
        );
        assert_eq!(
            config_err(header_from_value(&cfg(&[
                ("fields", "a"),
                ("headers", "h"),
                ("operation", "cut")
            ]))),
            "Invalid value cut for configuration operation: String must be one of: move, copy"
        );
        let t = from(&[("fields", "a"), ("headers", "h"), ("operation", "copy")]);
        // Tombstones are not passed through: Apache requires a map or struct.
        assert_eq!(
            err(&*t, value_record(None, Value::Null)).1,
            "Only Map objects supported in absence of schema for [header copy], found: null"
        );
        let t = header_from_key(&cfg(&[
            ("fields", "a"),
            ("headers", "h"),
            ("operation", "move"),
        ]))
        .unwrap();
        assert_eq!(
            err(&*t, key_record(Some(Schema::optional_string()), s("k"))).1,
            "Only Struct objects supported for [header move], found: java.lang.String"
        );
    }

    #[test]
    fn drop_and_insert_headers() {
        let t = insert_header(&cfg(&[("header", "h"), ("value.literal", "v")])).unwrap();
        let r = run(&*t, value_record(None, Value::Null)).unwrap();
        assert_eq!(r.headers[0].value, s("v"));
        let t = drop_headers(&cfg(&[("headers", "h")])).unwrap();
        assert!(run(&*t, r).unwrap().headers.is_empty());
        assert_eq!(
            config_err(drop_headers(&cfg(&[("headers", "")]))),
            "Configuration 'headers' must not be empty. Valid values include: any non-empty value"
        );
    }
}
