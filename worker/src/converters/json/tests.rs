use super::*;
use crate::converters::ConverterConfig;
use crate::data::{Decimal, SchemaRef, Struct, Type};

fn conv(schemas: bool) -> JsonConverter {
    let cfg: ConverterConfig = [("schemas.enable".to_owned(), schemas.to_string())].into();
    JsonConverter::new(&cfg).unwrap()
}

fn order_schema() -> SchemaRef {
    Schema::structure(vec![
        ("id".into(), Schema::new(Type::Int32).into_ref()),
        (
            "name".into(),
            Schema::new(Type::String).optional().into_ref(),
        ),
    ])
    .named("shop.Order")
    .into_ref()
}

#[test]
fn envelope_matches_apache_byte_for_byte() {
    let s = order_schema();
    let mut v = Struct::new(s.clone());
    v.put("id", Value::Int32(1));
    v.put("name", Value::String("x".into()));
    let out = conv(true)
        .to_bytes("t", Some(&s), &Value::Struct(v.clone()))
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"shop.Order"},"payload":{"id":1,"name":"x"}}"#
    );
    let back = conv(true).to_connect("t", Some(&out)).unwrap();
    assert_eq!(back.value, Value::Struct(v));
    assert_eq!(back.schema.as_deref(), Some(&*s));
}

#[test]
fn primitives_table() {
    let c = conv(true);
    let cases: Vec<(Schema, Value, &str)> = vec![
        (
            Schema::new(Type::Boolean),
            Value::Boolean(true),
            r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
        ),
        (
            Schema::new(Type::Int8),
            Value::Int8(-3),
            r#"{"schema":{"type":"int8","optional":false},"payload":-3}"#,
        ),
        (
            Schema::new(Type::Int16),
            Value::Int16(300),
            r#"{"schema":{"type":"int16","optional":false},"payload":300}"#,
        ),
        (
            Schema::new(Type::Int64),
            Value::Int64(1 << 40),
            r#"{"schema":{"type":"int64","optional":false},"payload":1099511627776}"#,
        ),
        (
            Schema::new(Type::Float32),
            Value::Float32(1.1),
            r#"{"schema":{"type":"float","optional":false},"payload":1.1}"#,
        ),
        (
            Schema::new(Type::Float64),
            Value::Float64(2.5),
            r#"{"schema":{"type":"double","optional":false},"payload":2.5}"#,
        ),
        (
            Schema::new(Type::Bytes),
            Value::Bytes(b"hi".to_vec()),
            r#"{"schema":{"type":"bytes","optional":false},"payload":"aGk="}"#,
        ),
        (
            Schema::new(Type::String).optional(),
            Value::Null,
            r#"{"schema":{"type":"string","optional":true},"payload":null}"#,
        ),
        (
            Schema::decimal(2),
            Value::Decimal(Decimal {
                unscaled: 12345,
                scale: 2,
            }),
            r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":"MDk="}"#,
        ),
        (
            Schema::date(),
            Value::Date(19000),
            r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19000}"#,
        ),
        (
            Schema::timestamp(),
            Value::Timestamp(1700000000000),
            r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1700000000000}"#,
        ),
        (
            Schema::array(Schema::new(Type::Int32).into_ref()),
            Value::Array(vec![Value::Int32(1), Value::Int32(2)]),
            r#"{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2]}"#,
        ),
        (
            Schema::map(
                Schema::new(Type::Int32).into_ref(),
                Schema::new(Type::String).into_ref(),
            ),
            Value::Map(vec![(Value::Int32(1), Value::String("a".into()))]),
            r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"a"]]}"#,
        ),
        (
            Schema::new(Type::Int32)
                .optional()
                .default_value(Value::Int32(7))
                .doc("d")
                .version(3),
            Value::Null,
            r#"{"schema":{"type":"int32","optional":true,"version":3,"doc":"d","default":7},"payload":7}"#,
        ),
    ];
    for (schema, value, json) in cases {
        let out = c.to_bytes("t", Some(&schema), &value).unwrap().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), json);
        let back = c.to_connect("t", Some(json.as_bytes())).unwrap();
        let expected = if value.is_null() {
            schema.default.clone().unwrap_or(Value::Null)
        } else {
            value
        };
        assert_eq!(back.value, expected, "{json}");
    }
}

#[test]
fn envelope_errors_are_apaches() {
    let c = conv(true);
    for bad in [
        r#"{"id":1}"#,
        r#"{"schema":null,"payload":1,"x":2}"#,
        "[1]",
        "\"s\"",
        "",
    ] {
        let e = c.to_connect("t", Some(bad.as_bytes())).unwrap_err();
        assert_eq!(e.class, class::DATA);
        assert_eq!(e.message.as_deref(), Some(ENVELOPE_ERROR), "{bad}");
    }
    let e = c.to_connect("t", Some(b"{not json")).unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("Converting byte[] to Kafka Connect data failed due to serialization error: ")
    );
    assert_eq!(e.root().class, class::JSON_PARSE);
    assert!(
        e.stack_trace()
            .contains("\tat org.apache.kafka.connect.json.JsonConverter")
    );
    for (env, msg) in [
        (
            r#"{"schema":{"optional":true},"payload":1}"#,
            "Schema must contain 'type' field",
        ),
        (
            r#"{"schema":{"type":"uuid"},"payload":1}"#,
            "Unknown schema type: uuid",
        ),
        (
            r#"{"schema":{"type":"array"},"payload":[]}"#,
            "Array schema did not specify the element type",
        ),
        (
            r#"{"schema":{"type":"struct"},"payload":{}}"#,
            "Struct schema's \"fields\" argument is not an array.",
        ),
        (
            r#"{"schema":{"type":"int32"},"payload":null}"#,
            "Invalid null value for required INT32 field",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"string"}},"payload":[1]}"#,
            "Maps with string fields should be encoded as JSON objects, but found ARRAY",
        ),
    ] {
        let e = c.to_connect("t", Some(env.as_bytes())).unwrap_err();
        assert_eq!(e.message.as_deref(), Some(msg), "{env}");
    }
    assert_eq!(c.to_connect("t", None).unwrap(), SchemaAndValue::NULL);
}

#[test]
fn schemaless_inference() {
    let c = conv(false);
    let sv = c
        .to_connect("t", Some(br#"{"a":1,"b":1.5,"c":[true,null],"d":"x"}"#))
        .unwrap();
    assert_eq!(sv.schema, None);
    assert_eq!(
        sv.value,
        Value::Map(vec![
            (Value::String("a".into()), Value::Int64(1)),
            (Value::String("b".into()), Value::Float64(1.5)),
            (
                Value::String("c".into()),
                Value::Array(vec![Value::Boolean(true), Value::Null])
            ),
            (Value::String("d".into()), Value::String("x".into())),
        ])
    );
    let out = c.to_bytes("t", None, &sv.value).unwrap().unwrap();
    assert_eq!(out, br#"{"a":1,"b":1.5,"c":[true,null],"d":"x"}"#);
    assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
    // Without a schema, a string is just a JSON string.
    assert_eq!(
        c.to_bytes("t", None, &Value::String("x".into())).unwrap(),
        Some(b"\"x\"".to_vec())
    );
    // A null schema in the envelope is schemaless data.
    let sv = conv(true)
        .to_connect("t", Some(br#"{"schema":null,"payload":{"k":2}}"#))
        .unwrap();
    assert_eq!(
        sv.value,
        Value::Map(vec![(Value::String("k".into()), Value::Int64(2))])
    );
}

#[test]
fn schemaless_objects_keep_java_hash_map_order() {
    // Apache reads JSON objects into a HashMap, so it writes them back in its order.
    let c = conv(false);
    let sv = c
        .to_connect(
            "t",
            Some(br#"{"name":1,"id":2,"price":3,"ts":4,"zeta":5,"alpha":{"b":1,"a":2}}"#),
        )
        .unwrap();
    let out = c.to_bytes("t", None, &sv.value).unwrap().unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"zeta":5,"price":3,"alpha":{"a":2,"b":1},"name":1,"id":2,"ts":4}"#
    );
    // Dates have no schemaless type.
    let e = c.to_bytes("t", None, &Value::Timestamp(1)).unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("Java class class java.util.Date does not have corresponding schema type.")
    );
}

#[test]
fn to_json_errors() {
    let c = conv(true);
    let e = c
        .to_bytes("t", Some(&Schema::new(Type::Int32)), &Value::Null)
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("Conversion error: null value for field that is required and has no default value")
    );
    let e = c
        .to_bytes(
            "t",
            Some(&Schema::new(Type::Int32)),
            &Value::String("x".into()),
        )
        .unwrap_err();
    assert_eq!(
        e.message.as_deref(),
        Some("Invalid type for INT32: class java.lang.String")
    );
    let other = Schema::structure(vec![]).into_ref();
    let e = c
        .to_bytes(
            "t",
            Some(&order_schema()),
            &Value::Struct(Struct::new(other)),
        )
        .unwrap_err();
    assert_eq!(e.message.as_deref(), Some("Mismatching schema."));
    let bad: ConverterConfig = [("schemas.enable".to_owned(), "yes".to_owned())].into();
    assert_eq!(
        JsonConverter::new(&bad).unwrap_err().message.as_deref(),
        Some(
            "Invalid value yes for configuration schemas.enable: Expected value to be either true or false"
        )
    );
}
