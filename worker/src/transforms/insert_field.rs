//! `InsertField$Key` / `InsertField$Value`: adds the record's topic, partition, offset (sink
//! records only), timestamp, or a static string as fields of a struct or map. A `!` suffix makes
//! the new field required, `?` (the default) optional. Tombstones pass through.

use connect_api::ConfigMap;

use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, SchemaCache, Settings, Side, Transform, add_field,
    config_error, copy_schema_basics, field_value, key_with_default, put_field, require_map,
    require_struct,
};
use crate::data::{ConnectRecord, JavaHashMap, Schema, Struct, Type, Value};
use crate::error::ConnectError;
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.InsertField$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.InsertField$Value";

const fn optional_string(name: &'static str, doc: &'static str) -> ConfigKey {
    key_with_default(
        name,
        ConfigType::String,
        DefaultValue::Null,
        Importance::Medium,
        doc,
        Validator::None,
    )
}

pub static CONFIG_DEF: &[ConfigKey] = &[
    optional_string(
        "topic.field",
        "Field name for Kafka topic. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).",
    ),
    optional_string(
        "partition.field",
        "Field name for Kafka partition. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).",
    ),
    optional_string(
        "offset.field",
        "Field name for Kafka offset - only applicable to sink connectors.<br/>Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).",
    ),
    optional_string(
        "timestamp.field",
        "Field name for record timestamp. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).",
    ),
    optional_string(
        "static.field",
        "Field name for static data field. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).",
    ),
    optional_string(
        "static.value",
        "Static field value, if field name configured.",
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

/// A field to insert and whether its schema is optional.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: Option<String>) -> Option<Spec> {
        let spec = spec?;
        Some(if let Some(n) = spec.strip_suffix('?') {
            Spec {
                name: n.to_owned(),
                optional: true,
            }
        } else if let Some(n) = spec.strip_suffix('!') {
            Spec {
                name: n.to_owned(),
                optional: false,
            }
        } else {
            Spec {
                name: spec,
                optional: true,
            }
        })
    }

    fn schema(&self, required: Schema) -> crate::data::SchemaRef {
        if self.optional {
            required.optional().into_ref()
        } else {
            required.into_ref()
        }
    }
}

struct InsertField {
    side: Side,
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    insert_field(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    insert_field(config, Side::Value)
}

fn insert_field(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    let t = InsertField {
        side,
        topic: Spec::parse(s.string("topic.field")),
        partition: Spec::parse(s.string("partition.field")),
        offset: Spec::parse(s.string("offset.field")),
        timestamp: Spec::parse(s.string("timestamp.field")),
        static_field: Spec::parse(s.string("static.field")),
        static_value: s.string("static.value"),
        replace_null_with_default: s.boolean("replace.null.with.default"),
        cache: SchemaCache::default(),
    };
    if t.topic.is_none()
        && t.partition.is_none()
        && t.offset.is_none()
        && t.timestamp.is_none()
        && t.static_field.is_none()
    {
        return Err(config_error("No field insertion configured"));
    }
    if let (Some(f), None) = (&t.static_field, &t.static_value) {
        // Apache prints the spec object itself, which has no toString: class name and hash.
        return Err(config_error(format!(
            "Invalid value null for configuration static.value: No value specified for static field: org.apache.kafka.connect.transforms.InsertField$InsertionSpec@{:x}",
            crate::data::java_hash_code(&Value::String(f.name.clone())).unwrap_or(0)
        )));
    }
    Ok(Box::new(t))
}

const PURPOSE: &str = "field insertion";

impl InsertField {
    fn sink_offset(origin: Origin<'_>) -> Result<i64, ConnectError> {
        match origin {
            Origin::Sink { kafka_offset } => Ok(kafka_offset),
            Origin::Source { .. } => Err(ConnectError::data(
                "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord",
            )),
        }
    }

    /// The inserted values, in Apache's order, with how they appear with and without schema.
    fn inserts(
        &self,
        r: &ConnectRecord,
        origin: Origin<'_>,
    ) -> Result<Vec<(String, Value, Value)>, ConnectError> {
        let mut out = Vec::new();
        if let Some(f) = &self.topic {
            out.push((
                f.name.clone(),
                Value::String(r.topic.clone()),
                Value::String(r.topic.clone()),
            ));
        }
        if let (Some(f), Some(p)) = (&self.partition, r.kafka_partition) {
            out.push((f.name.clone(), Value::Int32(p), Value::Int32(p)));
        }
        if let Some(f) = &self.offset {
            let o = Self::sink_offset(origin)?;
            out.push((f.name.clone(), Value::Int64(o), Value::Int64(o)));
        }
        if let (Some(f), Some(ts)) = (&self.timestamp, r.timestamp) {
            out.push((f.name.clone(), Value::Int64(ts), Value::Timestamp(ts)));
        }
        if let (Some(f), Some(v)) = (&self.static_field, &self.static_value) {
            out.push((
                f.name.clone(),
                Value::String(v.clone()),
                Value::String(v.clone()),
            ));
        }
        Ok(out)
    }
}

impl Transform for InsertField {
    fn apply(
        &self,
        mut r: ConnectRecord,
        origin: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        if value.is_null() {
            return Ok(Some(r));
        }
        let Some(_) = self.side.schema(&r) else {
            let m = require_map(value, PURPOSE)?;
            let mut updated = JavaHashMap::copy_of(m);
            for (name, v, _) in self.inserts(&r, origin)? {
                updated.put(Value::String(name), v);
            }
            self.side.set(&mut r, None, updated.into_value());
            return Ok(Some(r));
        };
        let s = require_struct(value, PURPOSE)?;
        let updated_schema = self.cache.get_or_build(&s.schema, || {
            let mut out = copy_schema_basics(&s.schema, Schema::new(Type::Struct));
            for f in &s.schema.fields {
                add_field(&mut out, &f.name, f.schema.clone())?;
            }
            if let Some(f) = &self.topic {
                add_field(&mut out, &f.name, f.schema(Schema::new(Type::String)))?;
            }
            if let Some(f) = &self.partition {
                add_field(&mut out, &f.name, f.schema(Schema::new(Type::Int32)))?;
            }
            if let Some(f) = &self.offset {
                add_field(&mut out, &f.name, f.schema(Schema::new(Type::Int64)))?;
            }
            if let Some(f) = &self.timestamp {
                add_field(&mut out, &f.name, f.schema(Schema::timestamp()))?;
            }
            if let Some(f) = &self.static_field {
                add_field(&mut out, &f.name, f.schema(Schema::new(Type::String)))?;
            }
            Ok(out.into_ref())
        })?;
        let mut updated = Struct::new(updated_schema.clone());
        for f in &s.schema.fields {
            put_field(
                &mut updated,
                &f.name,
                field_value(s, f.index, self.replace_null_with_default),
            )?;
        }
        for (name, _, v) in self.inserts(&r, origin)? {
            put_field(&mut updated, &name, v)?;
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
    use crate::plugin::OffsetMap;

    fn all() -> Box<dyn Transform> {
        value_transform(&cfg(&[
            ("topic.field", "t!"),
            ("partition.field", "p"),
            ("offset.field", "o?"),
            ("timestamp.field", "ts"),
            ("static.field", "src"),
            ("static.value", "file"),
        ]))
        .unwrap()
    }

    #[test]
    fn schemaless_inserts_in_hash_order() {
        let r = run(&*all(), value_record(None, map(&[("id", Value::Int64(1))]))).unwrap();
        assert_eq!(
            r.value,
            map(&[
                ("p", Value::Int32(2)),
                ("id", Value::Int64(1)),
                ("t", s("orders")),
                ("src", s("file")),
                ("o", Value::Int64(42)),
                ("ts", Value::Int64(1_700_000_000_123)),
            ])
        );
        // Tombstones are left alone.
        assert_eq!(
            run(&*all(), value_record(None, Value::Null)).unwrap().value,
            Value::Null
        );
    }

    #[test]
    fn struct_gets_new_fields() {
        let schema = struct_schema(&[("id", Schema::new(Type::Int64))]);
        let v = struct_value(&schema, vec![Value::Int64(1)]);
        let r = run(&*all(), value_record(Some(schema), v)).unwrap();
        let out = r.value_schema.unwrap();
        assert_eq!(field_names(&out), ["id", "t", "p", "o", "ts", "src"]);
        assert!(!out.fields[1].schema.optional);
        assert!(out.fields[2].schema.optional);
        assert_eq!(
            out.fields[4].schema.name.as_deref(),
            Some(crate::data::TIMESTAMP)
        );
        let Value::Struct(got) = r.value else {
            panic!()
        };
        assert_eq!(
            got.values,
            [
                Value::Int64(1),
                s("orders"),
                Value::Int32(2),
                Value::Int64(42),
                Value::Timestamp(1_700_000_000_123),
                s("file")
            ]
        );
    }

    #[test]
    fn errors() {
        let empty = OffsetMap::new();
        let source = Origin::Source {
            partition: &empty,
            offset: &empty,
        };
        let e = all()
            .apply(value_record(None, map(&[])), source)
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
            )
        );
        assert_eq!(
            err(&*all(), value_record(None, s("x"))).1,
            "Only Map objects supported in absence of schema for [field insertion], found: java.lang.String"
        );
        let schema = struct_schema(&[("t", Schema::new(Type::Int64))]);
        let v = struct_value(&schema, vec![Value::Int64(1)]);
        assert_eq!(
            err(&*all(), value_record(Some(schema), v)).1,
            "Cannot create field because of field name duplication t"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[]))),
            "No field insertion configured"
        );
        assert!(
            config_err(value_transform(&cfg(&[("static.field", "s")])))
                .starts_with("Invalid value null for configuration static.value: No value specified for static field: org.apache.kafka.connect.transforms.InsertField$InsertionSpec@")
        );
    }
}
