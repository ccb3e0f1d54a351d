//! `TimestampConverter$Key` / `TimestampConverter$Value`: converts a timestamp (the whole key or
//! value, or one field) between Unix time, formatted strings (`SimpleDateFormat` patterns, UTC)
//! and Connect's Date, Time and Timestamp types.

use connect_api::ConfigMap;

use super::date_format::DateFormat;
use super::{
    Origin, REPLACE_NULL_WITH_DEFAULT, SchemaCache, Settings, Side, Transform, add_field, class_of,
    config_error, copy_schema_basics, field_value, key, key_with_default, map_get, require_map,
    require_struct,
};
use crate::data::{self, ConnectRecord, JavaHashMap, Schema, SchemaRef, Struct, Type, Value};
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const KEY: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Key";
pub const VALUE: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";
pub static CONFIG_DEF: &[ConfigKey] = &[
    key_with_default(
        "field",
        ConfigType::String,
        DefaultValue::Value(""),
        Importance::High,
        "The field containing the timestamp, or empty if the entire value is a timestamp",
        Validator::None,
    ),
    key(
        "target.type",
        ConfigType::String,
        Importance::High,
        "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
        Validator::OneOf(&["string", "unix", "Date", "Time", "Timestamp"]),
    ),
    key_with_default(
        "format",
        ConfigType::String,
        DefaultValue::Value(""),
        Importance::Medium,
        "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.",
        Validator::None,
    ),
    key_with_default(
        "unix.precision",
        ConfigType::String,
        DefaultValue::Value("milliseconds"),
        Importance::Low,
        "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components.",
        Validator::OneOf(&["nanoseconds", "microseconds", "milliseconds", "seconds"]),
    ),
    REPLACE_NULL_WITH_DEFAULT,
];

const DAY_MS: i64 = 86_400_000;

/// A timestamp representation (`TimestampTranslator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

pub fn key_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    timestamp_converter(config, Side::Key)
}

pub fn value_transform(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    timestamp_converter(config, Side::Value)
}

fn timestamp_converter(config: &ConfigMap, side: Side) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(CONFIG_DEF, config)?;
    let target = match s.string("target.type").as_deref() {
        Some("string") => Kind::String,
        Some("unix") => Kind::Unix,
        Some("Date") => Kind::Date,
        Some("Time") => Kind::Time,
        _ => Kind::Timestamp,
    };
    let pattern = s.string("format").unwrap_or_default();
    let blank = pattern.trim().is_empty();
    if target == Kind::String && blank {
        return Err(config_error(
            "TimestampConverter requires format option to be specified when using string timestamps",
        ));
    }
    let format = if blank {
        None
    } else {
        Some(DateFormat::new(&pattern).map_err(|e| {
            // Apache passes the message where the key name belongs (`ConfigException(name,
            // value)`), so the cause comes first.
            config_error(format!(
                "Invalid value {}: {e} for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}",
                class::ILLEGAL_ARGUMENT
            ))
            .with_cause(ConnectError::new(class::ILLEGAL_ARGUMENT, e))
        })?)
    };
    let precision = match s.string("unix.precision").as_deref() {
        Some("seconds") => Precision::Seconds,
        Some("microseconds") => Precision::Micros,
        Some("nanoseconds") => Precision::Nanos,
        _ => Precision::Millis,
    };
    Ok(Box::new(TimestampConverter {
        side,
        field: s.string("field").unwrap_or_default(),
        target,
        format,
        precision,
        replace_null_with_default: s.boolean("replace.null.with.default"),
        cache: SchemaCache::default(),
    }))
}

const PURPOSE: &str = "converting timestamp formats";

/// `timestampTypeFromSchema`.
fn kind_of_schema(schema: &Schema) -> Result<Kind, ConnectError> {
    Ok(match (schema.name.as_deref(), schema.ty) {
        (Some(data::TIMESTAMP), _) => Kind::Timestamp,
        (Some(data::DATE), _) => Kind::Date,
        (Some(data::TIME), _) => Kind::Time,
        (_, Type::String) => Kind::String,
        (_, Type::Int64) => Kind::Unix,
        _ => {
            return Err(ConnectError::connect(format!(
                "Schema {} does not correspond to a known timestamp type format",
                schema.java_string()
            )));
        }
    })
}

/// `inferTimestampType`: dates are timestamps, longs Unix time, strings formatted.
fn kind_of_value(v: &Value) -> Result<Kind, ConnectError> {
    Ok(match v {
        Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => Kind::Timestamp,
        Value::Int64(_) => Kind::Unix,
        Value::String(_) => Kind::String,
        other => {
            return Err(ConnectError::data(format!(
                "TimestampConverter does not support {} objects as timestamps",
                class_of(other)
            )));
        }
    })
}

/// The milliseconds of a `java.util.Date` value.
fn date_millis(v: &Value) -> Option<i64> {
    match v {
        Value::Date(d) => Some(i64::from(*d) * DAY_MS),
        Value::Time(t) => Some(i64::from(*t)),
        Value::Timestamp(t) => Some(*t),
        _ => None,
    }
}

impl TimestampConverter {
    fn type_schema(&self, optional: bool) -> SchemaRef {
        let s = match self.target {
            Kind::String => Schema::new(Type::String),
            Kind::Unix => Schema::new(Type::Int64),
            Kind::Date => Schema::date(),
            Kind::Time => Schema::time(),
            Kind::Timestamp => Schema::timestamp(),
        };
        if optional { s.optional() } else { s }.into_ref()
    }

    /// `TimestampTranslator.toRaw`: milliseconds since the epoch.
    fn to_raw(&self, kind: Kind, v: &Value) -> Result<i64, ConnectError> {
        match kind {
            Kind::String => {
                let Value::String(text) = v else {
                    return Err(ConnectError::data(format!(
                        "Expected string timestamp to be a String, but found {}",
                        class_of(v)
                    )));
                };
                let Some(format) = &self.format else {
                    return Err(ConnectError::new(
                        class::NULL_POINTER,
                        "Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null",
                    ));
                };
                format.parse(text).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                    .with_cause(ConnectError::new(
                        "java.text.ParseException",
                        format!("Unparseable date: \"{text}\""),
                    ))
                })
            }
            Kind::Unix => {
                let Value::Int64(t) = v else {
                    return Err(ConnectError::data(format!(
                        "Expected Unix timestamp to be a Long, but found {}",
                        class_of(v)
                    )));
                };
                // `TimeUnit` conversions: division truncates, multiplication saturates.
                Ok(match self.precision {
                    Precision::Seconds => t.saturating_mul(1000),
                    Precision::Millis => *t,
                    Precision::Micros => t / 1000,
                    Precision::Nanos => t / 1_000_000,
                })
            }
            Kind::Date | Kind::Time | Kind::Timestamp => date_millis(v).ok_or_else(|| {
                let what = match kind {
                    Kind::Date => "Date",
                    Kind::Time => "Time",
                    _ => "Timestamp",
                };
                ConnectError::data(format!(
                    "Expected {what} to be a java.util.Date, but found {}",
                    class_of(v)
                ))
            }),
        }
    }

    /// `TimestampTranslator.toType` of the target representation.
    fn to_type(&self, ms: i64) -> Value {
        match self.target {
            Kind::String => Value::String(
                self.format
                    .as_ref()
                    .map_or_else(String::new, |f| f.format(ms)),
            ),
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => ms / 1000,
                Precision::Millis => ms,
                Precision::Micros => ms.saturating_mul(1000),
                Precision::Nanos => ms.saturating_mul(1_000_000),
            }),
            // Midnight of the day, in days; an out-of-range day cannot come from a Java Date.
            Kind::Date => Value::Date(ms.div_euclid(DAY_MS) as i32),
            Kind::Time => Value::Time(ms.rem_euclid(DAY_MS) as i32),
            Kind::Timestamp => Value::Timestamp(ms),
        }
    }

    /// `convertTimestamp`: null stays null; the source kind is given or inferred.
    fn convert(&self, v: &Value, kind: Option<Kind>) -> Result<Value, ConnectError> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => kind_of_value(v)?,
        };
        Ok(self.to_type(self.to_raw(kind, v)?))
    }

    fn convert_struct(&self, s: &Struct, schema: &SchemaRef) -> Result<Struct, ConnectError> {
        let mut out = Struct::new(schema.clone());
        for f in &s.schema.fields {
            let v = field_value(s, f.index, self.replace_null_with_default);
            let v = if f.name == self.field {
                let kind = kind_of_schema(&f.schema)?;
                self.convert(&v, Some(kind))?
            } else {
                v
            };
            super::put_field(&mut out, &f.name, v)?;
        }
        Ok(out)
    }
}

impl Transform for TimestampConverter {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = self.side.value(&r);
        let Some(schema) = self.side.schema(&r).cloned() else {
            let converted = if value.is_null() || self.field.is_empty() {
                self.convert(value, None)?
            } else {
                let m = require_map(value, PURPOSE)?;
                let mut updated = JavaHashMap::copy_of(m);
                let v = self.convert(map_get(m, &self.field).unwrap_or(&Value::Null), None)?;
                updated.put(Value::String(self.field.clone()), v);
                updated.into_value()
            };
            self.side.set(&mut r, None, converted);
            return Ok(Some(r));
        };
        if self.field.is_empty() {
            let updated = self.type_schema(schema.optional);
            let kind = kind_of_schema(&schema)?;
            let converted = self.convert(value, Some(kind))?;
            self.side.set(&mut r, Some(updated), converted);
            return Ok(Some(r));
        }
        let s = match value {
            Value::Null => None,
            v => Some(require_struct(v, PURPOSE)?),
        };
        let updated = self.cache.get_or_build(&schema, || {
            let mut out = copy_schema_basics(&schema, Schema::new(Type::Struct));
            for f in &schema.fields {
                let fs = if f.name == self.field {
                    self.type_schema(f.schema.optional)
                } else {
                    f.schema.clone()
                };
                add_field(&mut out, &f.name, fs)?;
            }
            out.optional = schema.optional;
            if let Some(Value::Struct(d)) = &schema.default {
                let plain = out.clone().into_ref();
                out.default = Some(Value::Struct(self.convert_struct(d, &plain)?));
            }
            Ok(out.into_ref())
        })?;
        let converted = match s {
            Some(s) => Value::Struct(self.convert_struct(s, &updated)?),
            None => Value::Null,
        };
        self.side.set(&mut r, Some(updated), converted);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn conv(pairs: &[(&str, &str)]) -> Box<dyn Transform> {
        value_transform(&cfg(pairs)).unwrap()
    }

    #[test]
    fn whole_value_conversions() {
        let ts = 1_700_000_000_123;
        let t = conv(&[
            ("target.type", "string"),
            ("format", "yyyy-MM-dd HH:mm:ss.SSS"),
        ]);
        let r = run(
            &*t,
            value_record(Some(Schema::timestamp().into_ref()), Value::Timestamp(ts)),
        )
        .unwrap();
        assert_eq!(r.value, s("2023-11-14 22:13:20.123"));
        assert_eq!(r.value_schema.unwrap().ty, Type::String);
        let t = conv(&[("target.type", "unix"), ("unix.precision", "seconds")]);
        let r = run(&*t, value_record(None, Value::Timestamp(ts))).unwrap();
        assert_eq!(r.value, Value::Int64(1_700_000_000));
        // A Long input is read in the configured precision too.
        let r = run(&*t, value_record(None, Value::Int64(5))).unwrap();
        assert_eq!(r.value, Value::Int64(5));
        let t = conv(&[("target.type", "Date")]);
        let r = run(
            &*t,
            value_record(
                Some(Schema::new(Type::Int64).optional().into_ref()),
                Value::Int64(ts),
            ),
        )
        .unwrap();
        assert_eq!(r.value, Value::Date(19675));
        let out = r.value_schema.unwrap();
        assert_eq!(
            (out.name.as_deref(), out.optional),
            (Some(data::DATE), true)
        );
        let t = conv(&[("target.type", "Time")]);
        let r = run(&*t, value_record(None, Value::Int64(ts))).unwrap();
        assert_eq!(r.value, Value::Time(80_000_123));
        let t = conv(&[("target.type", "Timestamp"), ("format", "dd/MM/yyyy")]);
        let r = run(&*t, value_record(None, s("14/11/2023"))).unwrap();
        assert_eq!(r.value, Value::Timestamp(1_699_920_000_000));
        // Tombstones stay null.
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().value,
            Value::Null
        );
    }

    #[test]
    fn field_conversions() {
        let schema = struct_schema(&[
            ("id", Schema::new(Type::Int64)),
            ("at", Schema::new(Type::String).optional()),
        ]);
        let v = struct_value(&schema, vec![Value::Int64(1), s("2024-01-02")]);
        let t = conv(&[
            ("field", "at"),
            ("target.type", "unix"),
            ("format", "yyyy-MM-dd"),
            ("unix.precision", "microseconds"),
        ]);
        let r = run(&*t, value_record(Some(schema.clone()), v)).unwrap();
        let out = r.value_schema.unwrap();
        assert_eq!(out.fields[1].schema.ty, Type::Int64);
        assert!(out.fields[1].schema.optional);
        let Value::Struct(got) = r.value else {
            panic!()
        };
        assert_eq!(
            got.values,
            [Value::Int64(1), Value::Int64(1_704_153_600_000_000)]
        );
        // Schemaless: the field is put even when missing.
        let r = run(&*t, value_record(None, map(&[("id", Value::Int64(1))]))).unwrap();
        assert_eq!(
            r.value,
            map(&[("id", Value::Int64(1)), ("at", Value::Null)])
        );
    }

    #[test]
    fn errors() {
        let t = conv(&[("target.type", "unix"), ("format", "yyyy")]);
        let (class, msg) = err(&*t, value_record(None, s("x")));
        assert_eq!(class, crate::error::class::DATA);
        assert_eq!(
            msg,
            "Could not parse timestamp: value (x) does not match pattern (yyyy)"
        );
        assert_eq!(
            err(&*t, value_record(None, Value::Int32(1))).1,
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
        assert_eq!(
            err(
                &*t,
                value_record(Some(Schema::new(Type::Int32).into_ref()), Value::Int32(1))
            ),
            (
                "org.apache.kafka.connect.errors.ConnectException".into(),
                "Schema Schema{INT32} does not correspond to a known timestamp type format".into()
            )
        );
        let t = conv(&[("target.type", "unix")]);
        assert_eq!(
            err(&*t, value_record(None, s("x"))).0,
            "java.lang.NullPointerException"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[("target.type", "string")]))),
            "TimestampConverter requires format option to be specified when using string timestamps"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[
                ("target.type", "unix"),
                ("format", "yyyy-bb")
            ]))),
            "Invalid value java.lang.IllegalArgumentException: Illegal pattern character 'b' for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-bb"
        );
        assert_eq!(
            config_err(value_transform(&cfg(&[("target.type", "date")]))),
            "Invalid value date for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"
        );
    }
}
