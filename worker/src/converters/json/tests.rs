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
fn the_schema_cache_changes_no_result() {
    let c = conv(true);
    let s = order_schema();
    let record = |id: i32| {
        let mut v = Struct::new(s.clone());
        v.put("id", Value::Int32(id));
        Value::Struct(v)
    };
    let first = c.to_bytes("t", Some(&s), &record(1)).unwrap().unwrap();
    // The second write and read come from the cache; both must equal a fresh converter's.
    let second = c.to_bytes("t", Some(&s), &record(2)).unwrap().unwrap();
    assert_eq!(
        second,
        conv(true)
            .to_bytes("t", Some(&s), &record(2))
            .unwrap()
            .unwrap()
    );
    c.to_connect("t", Some(&first)).unwrap();
    let back = c.to_connect("t", Some(&second)).unwrap();
    assert_eq!(back.value, record(2));
    assert_eq!(back.schema.as_deref(), Some(&*s));
    // Same schema bytes, then a payload that is not one: what a fresh converter answers (Apache's
    // error for the first two; Apache reads a text node as int 0).
    let head = &second[..second.len() - r#"{"id":2,"name":null}}"#.len()];
    for tail in [
        &b"{\"id\":3}, \"x\": 1}"[..],
        b"{\"id\":3",
        b"{\"id\":\"three\"}}",
    ] {
        let bad = [head, tail].concat();
        let cached = c.to_connect("t", Some(&bad));
        let fresh = conv(true).to_connect("t", Some(&bad));
        assert_eq!(format!("{cached:?}"), format!("{fresh:?}"));
    }
    // Another schema after the cached one.
    let other = Schema::new(Type::Int64).into_ref();
    let b = c
        .to_bytes("t", Some(&other), &Value::Int64(7))
        .unwrap()
        .unwrap();
    assert_eq!(
        b,
        br#"{"schema":{"type":"int64","optional":false},"payload":7}"#
    );
    assert_eq!(c.to_connect("t", Some(&b)).unwrap().value, Value::Int64(7));
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

/// Property tests: JsonConverter reads outside input (any topic's bytes) and must never panic;
/// what it writes it must read back as the same schema and value.
mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::data;

    fn leaf_schema() -> BoxedStrategy<Schema> {
        prop_oneof![
            Just(Schema::new(Type::Boolean)),
            Just(Schema::new(Type::Int8)),
            Just(Schema::new(Type::Int16)),
            Just(Schema::new(Type::Int32)),
            Just(Schema::new(Type::Int64)),
            Just(Schema::new(Type::Float32)),
            Just(Schema::new(Type::Float64)),
            Just(Schema::new(Type::String)),
            Just(Schema::new(Type::Bytes)),
            (0i32..12).prop_map(Schema::decimal),
            Just(Schema::date()),
            Just(Schema::time()),
            Just(Schema::timestamp()),
        ]
        .boxed()
    }

    fn maybe_optional(s: impl Strategy<Value = Schema>) -> impl Strategy<Value = Schema> {
        (s, any::<bool>()).prop_map(|(s, o)| if o { s.optional() } else { s })
    }

    fn schema() -> BoxedStrategy<Schema> {
        maybe_optional(leaf_schema())
            .prop_recursive(3, 24, 4, |inner| {
                maybe_optional(prop_oneof![
                    inner.clone().prop_map(|s| Schema::array(s.into_ref())),
                    (leaf_schema(), inner.clone())
                        .prop_map(|(k, v)| Schema::map(k.into_ref(), v.into_ref())),
                    vec(inner, 1..4).prop_map(|fields| {
                        Schema::structure(
                            fields
                                .into_iter()
                                .enumerate()
                                .map(|(i, s)| (format!("f{i}"), s.into_ref()))
                                .collect(),
                        )
                    }),
                ])
            })
            .boxed()
    }

    fn finite_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            proptest::num::f64::NORMAL,
            proptest::num::f64::ZERO,
            proptest::num::f64::SUBNORMAL
        ]
    }

    fn value_for(schema: &SchemaRef) -> BoxedStrategy<Value> {
        let present = match (schema.ty, schema.name.as_deref()) {
            (Type::Bytes, Some(data::DECIMAL)) => {
                let scale = schema.param(data::DECIMAL_SCALE).unwrap().parse().unwrap();
                any::<i64>()
                    .prop_map(move |u| {
                        Value::Decimal(Decimal {
                            unscaled: i128::from(u),
                            scale,
                        })
                    })
                    .boxed()
            }
            (Type::Int32, Some(data::DATE)) => any::<i32>().prop_map(Value::Date).boxed(),
            (Type::Int32, Some(data::TIME)) => (0..86_400_000).prop_map(Value::Time).boxed(),
            (Type::Int64, Some(data::TIMESTAMP)) => any::<i64>().prop_map(Value::Timestamp).boxed(),
            (Type::Boolean, _) => any::<bool>().prop_map(Value::Boolean).boxed(),
            (Type::Int8, _) => any::<i8>().prop_map(Value::Int8).boxed(),
            (Type::Int16, _) => any::<i16>().prop_map(Value::Int16).boxed(),
            (Type::Int32, _) => any::<i32>().prop_map(Value::Int32).boxed(),
            (Type::Int64, _) => any::<i64>().prop_map(Value::Int64).boxed(),
            (Type::Float32, _) => proptest::num::f32::NORMAL.prop_map(Value::Float32).boxed(),
            (Type::Float64, _) => finite_f64().prop_map(Value::Float64).boxed(),
            (Type::String, _) => any::<String>().prop_map(Value::String).boxed(),
            (Type::Bytes, _) => vec(any::<u8>(), 0..24).prop_map(Value::Bytes).boxed(),
            (Type::Array, _) => vec(value_for(schema.value_schema.as_ref().unwrap()), 0..4)
                .prop_map(Value::Array)
                .boxed(),
            (Type::Map, _) => vec(
                (
                    value_for(schema.key_schema.as_ref().unwrap()),
                    value_for(schema.value_schema.as_ref().unwrap()),
                ),
                0..4,
            )
            .prop_map(|entries| {
                // A JSON object keeps one entry per key.
                let mut out: Vec<(Value, Value)> = Vec::new();
                for (k, v) in entries {
                    if !out.iter().any(|(seen, _)| *seen == k) {
                        out.push((k, v));
                    }
                }
                Value::Map(out)
            })
            .boxed(),
            (Type::Struct, _) => {
                let fields: Vec<BoxedStrategy<Value>> =
                    schema.fields.iter().map(|f| value_for(&f.schema)).collect();
                let schema = schema.clone();
                fields
                    .prop_map(move |values| {
                        Value::Struct(Struct {
                            schema: schema.clone(),
                            values,
                        })
                    })
                    .boxed()
            }
        };
        if schema.optional {
            prop_oneof![1 => Just(Value::Null), 4 => present].boxed()
        } else {
            present
        }
    }

    fn schema_and_value() -> impl Strategy<Value = (SchemaRef, Value)> {
        schema().prop_flat_map(|s| {
            let s = s.into_ref();
            (Just(s.clone()), value_for(&s))
        })
    }

    /// Any JSON document, for envelopes of every shape.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            finite_f64().prop_map(serde_json::Value::from),
            prop_oneof![
                Just("struct".to_owned()),
                Just("map".to_owned()),
                Just("array".to_owned()),
                Just("int32".to_owned()),
                Just(data::DECIMAL.to_owned()),
                any::<String>()
            ]
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                vec(
                    (
                        prop_oneof![
                            Just("type".to_owned()),
                            Just("optional".to_owned()),
                            Just("fields".to_owned()),
                            Just("field".to_owned()),
                            Just("items".to_owned()),
                            Just("keys".to_owned()),
                            Just("values".to_owned()),
                            Just("name".to_owned()),
                            Just("parameters".to_owned()),
                            Just("default".to_owned()),
                            any::<String>()
                        ],
                        inner
                    ),
                    0..5
                )
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn unordered(v: Value) -> Value {
        match v {
            Value::Map(entries) => {
                let mut e: Vec<(Value, Value)> = entries
                    .into_iter()
                    .map(|(k, v)| (unordered(k), unordered(v)))
                    .collect();
                e.sort_by_key(|(k, _)| format!("{k:?}"));
                Value::Map(e)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(unordered).collect()),
            Value::Struct(mut s) => {
                s.values = s.values.into_iter().map(unordered).collect();
                Value::Struct(s)
            }
            other => other,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_never_panic(bytes in vec(any::<u8>(), 0..256)) {
            for schemas in [true, false] {
                let _ = conv(schemas).to_connect("t", Some(&bytes));
            }
        }

        #[test]
        fn any_envelope_never_panics(schema in any_json(), payload in any_json()) {
            let text = serde_json::json!({"schema": schema, "payload": payload}).to_string();
            let _ = conv(true).to_connect("t", Some(text.as_bytes()));
            let _ = conv(false).to_connect("t", Some(text.as_bytes()));
        }

        #[test]
        fn the_direct_writer_writes_what_the_tree_gives((schema, value) in schema_and_value()) {
            for schemas in [true, false] {
                let c = conv(schemas);
                let mut direct = Vec::new();
                let written = c.write_json(Some(&schema), &value, &mut direct);
                let tree = c.value_to_json(Some(&schema), &value);
                match (written, tree) {
                    (Ok(()), Ok(tree)) => {
                        prop_assert_eq!(direct, serde_json::to_vec(&tree).unwrap());
                    }
                    (Err(a), Err(b)) => prop_assert_eq!(a.message, b.message),
                    (a, b) => prop_assert!(false, "direct {a:?}, tree {b:?}"),
                }
            }
        }

        #[test]
        fn the_direct_reader_reads_what_the_tree_gives(
            (schema, value) in schema_and_value(),
            other in any_json(),
        ) {
            let c = conv(true);
            let written = serde_json::to_vec(&c.value_to_json(Some(&schema), &value).unwrap()).unwrap();
            for payload in [written.clone(), serde_json::to_vec(&other).unwrap()] {
                let Some(direct) = super::super::read::payload(&c, &schema, &payload) else {
                    continue;
                };
                let tree: serde_json::Value = serde_json::from_slice(&payload).unwrap();
                prop_assert_eq!(Ok(direct), c.json_to_value(Some(&schema), Some(&tree)));
            }
            // What the converter writes is read without the tree, but for maps.
            fn has_map(s: &Schema) -> bool {
                s.ty == Type::Map
                    || s.value_schema.as_deref().is_some_and(has_map)
                    || s.fields.iter().any(|f| has_map(&f.schema))
            }
            if !has_map(&schema) {
                prop_assert!(super::super::read::payload(&c, &schema, &written).is_some());
            }
        }

        #[test]
        fn written_envelopes_read_back((schema, value) in schema_and_value()) {
            let c = conv(true);
            let bytes = c.to_bytes("t", Some(&schema), &value).unwrap();
            let back = c.to_connect("t", bytes.as_deref()).unwrap();
            prop_assert_eq!(back.schema.as_deref(), Some(&*schema));
            // Maps are read into Java's HashMap order, as Apache does: compare them as sets.
            prop_assert_eq!(unordered(back.value), unordered(value));
        }
    }
}

#[test]
fn nan_and_infinities_are_written_as_jacksons_strings() {
    let s = Schema::array(Schema::new(Type::Float64).optional().into_ref()).into_ref();
    let v = Value::Array(vec![
        Value::Float64(f64::NAN),
        Value::Float64(f64::INFINITY),
        Value::Float64(f64::NEG_INFINITY),
        Value::Float64(1.5),
    ]);
    let out = conv(false).to_bytes("t", Some(&s), &v).unwrap().unwrap();
    assert_eq!(out, br#"["NaN","Infinity","-Infinity",1.5]"#);
    let f = Schema::new(Type::Float32).into_ref();
    let out = conv(false)
        .to_bytes("t", Some(&f), &Value::Float32(f32::NEG_INFINITY))
        .unwrap()
        .unwrap();
    assert_eq!(out, br#""-Infinity""#);
}
