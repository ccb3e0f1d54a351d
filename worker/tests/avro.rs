//! AvroConverter side by side with the Java peer (Apicurio's AvroConverter 2.6.13 in the Confluent
//! wire format, on the environment's Debezium Connect cluster), through the same registry
//! (Apicurio Registry 3.3.3), both ways:
//! - Java writes, connect-worker reads: Debezium captures one table twice, once with Apicurio's
//!   Avro converter and once with JsonConverter; connect-worker's AvroConverter and JsonConverter
//!   must read the same Connect data from the two topics.
//! - connect-worker writes, Java reads: a struct encoded by connect-worker's AvroConverter is
//!   read by Apache's FileStreamSink with Apicurio's converter, which writes Java's
//!   `Struct.toString()`.

use std::time::{Duration, Instant};

use connect_testkit::sql::PgDatabase;
use connect_testkit::{Connect, TestRecord, consume, env, produce, unique};
use connect_worker::converters::{AvroConverter, Converter, JsonConverter};
use connect_worker::data::{Decimal, Schema, SchemaRef, Struct, Type, Value};
use serde_json::{Value as Json, json};

fn registry_url() -> String {
    env().schema_registry_url.clone().expect(
        "the environment has no schema registry: restart it with scripts/env/down && scripts/env/up",
    )
}

fn apicurio_converter(prefix: &str) -> Vec<(String, Json)> {
    let url = env()
        .apicurio_registry_url
        .clone()
        .expect("apicurio_registry_url in env.json");
    [
        (
            "",
            json!("io.apicurio.registry.utils.converter.AvroConverter"),
        ),
        (".apicurio.registry.url", json!(url)),
        (".apicurio.registry.auto-register", json!("true")),
        (".apicurio.registry.as-confluent", json!("true")),
        (".apicurio.registry.use-id", json!("contentId")),
        // Apicurio 2.x puts the id in Kafka headers by default; the Confluent framing needs this.
        (".apicurio.registry.headers.enabled", json!("false")),
    ]
    .into_iter()
    .map(|(k, v)| (format!("{prefix}{k}"), v))
    .collect()
}

fn our_avro(role: &str) -> AvroConverter {
    let config = [
        ("schema.registry.url".to_owned(), registry_url()),
        ("converter.type".to_owned(), role.to_owned()),
    ]
    .into_iter()
    .collect();
    AvroConverter::new(&config).expect("AvroConverter")
}

/// A Connect value as JSON, with logical types tagged, so two reads compare field by field.
fn plain(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int8(i) => json!({"int8": i}),
        Value::Int16(i) => json!({"int16": i}),
        Value::Int32(i) => json!(i),
        Value::Int64(i) => json!({"int64": i}),
        Value::Float32(f) => json!({"float32": f}),
        Value::Float64(f) => json!({"float64": f}),
        Value::String(s) => json!(s),
        Value::Bytes(b) => json!({"bytes": b}),
        Value::Array(a) => Json::Array(a.iter().map(plain).collect()),
        Value::Map(m) => Json::Array(m.iter().map(|(k, v)| json!([plain(k), plain(v)])).collect()),
        Value::Struct(s) => Json::Object(
            s.schema
                .fields
                .iter()
                .map(|f| (f.name.clone(), plain(&s.values[f.index])))
                .collect(),
        ),
        Value::Decimal(d) => json!({"decimal": [d.unscaled.to_string(), d.scale]}),
        Value::Date(d) => json!({"date": d}),
        Value::Time(t) => json!({"time": t}),
        Value::Timestamp(t) => json!({"timestamp": t}),
    }
}

/// What a schema says about the data: type, name, optionality, parameters, fields.
fn shape(s: &Schema) -> Json {
    json!({
        "type": s.ty.java_name(),
        "name": s.name,
        "optional": s.optional,
        "version": s.version,
        "parameters": s.parameters.as_ref().map(|p| {
            let mut p = p.clone();
            // Avro has no place for a decimal without a precision: Debezium gives one, and both
            // sides keep it.
            p.sort();
            p
        }),
        "fields": s.fields.iter().map(|f| json!([f.name, shape(&f.schema)])).collect::<Vec<_>>(),
        "items": s.value_schema.as_deref().map(shape),
    })
}

/// Fails the test with the task's trace as soon as a task of `name` is FAILED.
fn assert_no_failed_task(api: &Connect, name: &str, what: &str) {
    if let Some(s) = api.status(name) {
        let failed = s
            .tasks
            .iter()
            .find(|t| t.state == connect_api::State::Failed);
        assert!(
            failed.is_none(),
            "{what} failed: {:?}",
            failed.and_then(|t| t.trace.clone())
        );
    }
}

/// Deletes a connector from the Debezium worker when the test ends, also when it fails.
struct Deleted<'a>(&'a Connect, String);

impl Drop for Deleted<'_> {
    fn drop(&mut self) {
        self.0.delete(&self.1);
    }
}

fn wait_records(topic: &str, n: usize) -> Vec<TestRecord> {
    let records = consume(topic, n, Duration::from_secs(120), false);
    assert_eq!(records.len(), n, "{topic}: expected {n} records");
    records
}

fn debezium_config(db: &PgDatabase, prefix: &str, converters: &[(String, Json)]) -> Json {
    let env = env();
    let ident = prefix.replace('-', "_");
    let mut c = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": env.postgres_host,
        "database.port": env.postgres_port.to_string(),
        "database.user": env.postgres_user,
        "database.password": env.postgres_password,
        "database.dbname": db.name(),
        "topic.prefix": prefix,
        "plugin.name": "pgoutput",
        "slot.name": ident,
        "publication.name": ident,
        "publication.autocreate.mode": "filtered",
        "table.include.list": "public.items",
        "decimal.handling.mode": "precise",
    });
    for (k, v) in converters {
        c[k] = v.clone();
    }
    c
}

#[test]
fn java_avro_reads_the_same_as_json() {
    let db = PgDatabase::create("avro_java_writes");
    db.sql(
        "CREATE TABLE items (id int PRIMARY KEY, small smallint NOT NULL, big bigint, \
         price numeric(10,2), name text, flag boolean NOT NULL DEFAULT true, born date, \
         seen timestamp(3), ratio double precision, r real, tags text[]);
         INSERT INTO items VALUES (1, 7, 9000000000, 12.34, 'bob', false, '2024-02-29', \
           '2024-02-29 10:11:12.345', 0.5, 1.25, ARRAY['a','b']), \
           (2, -1, NULL, NULL, NULL, true, NULL, NULL, NULL, NULL, NULL);",
    );
    let api = Connect::debezium();
    let avro_prefix = unique("avro-java").replace('-', "_");
    let json_prefix = unique("avro-json").replace('-', "_");
    let mut avro_conv = apicurio_converter("key.converter");
    avro_conv.extend(apicurio_converter("value.converter"));
    let json_conv = vec![
        (
            "key.converter".to_owned(),
            json!("org.apache.kafka.connect.json.JsonConverter"),
        ),
        (
            "value.converter".to_owned(),
            json!("org.apache.kafka.connect.json.JsonConverter"),
        ),
    ];
    api.create(&avro_prefix, debezium_config(&db, &avro_prefix, &avro_conv));
    api.create(&json_prefix, debezium_config(&db, &json_prefix, &json_conv));
    let avro_records = wait_records(&format!("{avro_prefix}.public.items"), 2);
    let json_records = wait_records(&format!("{json_prefix}.public.items"), 2);
    api.delete(&avro_prefix);
    api.delete(&json_prefix);

    let (key_avro, value_avro) = (our_avro("key"), our_avro("value"));
    let json_config = |role: &str| -> std::collections::BTreeMap<String, String> {
        [("converter.type".to_owned(), role.to_owned())]
            .into_iter()
            .collect()
    };
    let key_json = JsonConverter::new(&json_config("key")).unwrap();
    let value_json = JsonConverter::new(&json_config("value")).unwrap();
    for (a, j) in avro_records.iter().zip(&json_records) {
        assert_eq!(
            a.value.as_ref().unwrap()[0],
            0,
            "Apicurio wrote the Confluent magic byte"
        );
        let av = value_avro
            .to_connect("t", a.value.as_deref())
            .expect("our Avro read of Java's record");
        let jv = value_json.to_connect("t", j.value.as_deref()).unwrap();
        let (mut pa, mut pj) = (plain(&av.value), plain(&jv.value));
        // The topic names and the capture times differ between the two connectors.
        for p in [&mut pa, &mut pj] {
            p["source"] = Json::Null;
            p["ts_ms"] = Json::Null;
            p["ts_us"] = Json::Null;
            p["ts_ns"] = Json::Null;
        }
        assert_eq!(pa, pj, "same Connect values through Avro and JSON");
        let (sa, sj) = (av.schema.unwrap(), jv.schema.unwrap());
        // The row schema's name carries each connector's topic prefix.
        let after = |s: &SchemaRef| {
            let mut j = shape(&s.field("after").unwrap().schema);
            j["name"] = Json::Null;
            j
        };
        assert_eq!(
            after(&sa),
            after(&sj),
            "same row schema through Avro and JSON"
        );
        let ka = key_avro.to_connect("t", a.key.as_deref()).unwrap();
        let kj = key_json.to_connect("t", j.key.as_deref()).unwrap();
        assert_eq!(plain(&ka.value), plain(&kj.value));
        let (mut sa, mut sj) = (shape(&ka.schema.unwrap()), shape(&kj.schema.unwrap()));
        sa["name"] = Json::Null;
        sj["name"] = Json::Null;
        assert_eq!(sa, sj, "same key schema (but its name's topic prefix)");
    }
    // The first row, spelled out, so a mapping that loses both ways still fails here.
    let first = value_avro
        .to_connect("t", avro_records[0].value.as_deref())
        .unwrap();
    let after = plain(&first.value)["after"].clone();
    assert_eq!(after["small"], json!({"int16": 7}));
    assert_eq!(after["price"], json!({"decimal": ["1234", 2]}));
    assert_eq!(after["tags"], json!(["a", "b"]));
    assert_eq!(after["name"], json!("bob"));
}

fn opt(ty: Type) -> SchemaRef {
    Schema::new(ty).optional().into_ref()
}

#[test]
fn connect_worker_avro_is_read_by_the_java_converter() {
    let inner = Schema::structure(vec![("a".into(), Schema::new(Type::Int32).into_ref())])
        .named("shop.Inner")
        .into_ref();
    let schema = Schema::structure(vec![
        ("id".into(), Schema::new(Type::Int64).into_ref()),
        ("small".into(), Schema::new(Type::Int16).into_ref()),
        ("name".into(), opt(Type::String)),
        ("missing".into(), opt(Type::String)),
        ("price".into(), Schema::decimal(2).into_ref()),
        (
            "tags".into(),
            Schema::array(Schema::new(Type::String).into_ref()).into_ref(),
        ),
        (
            "attrs".into(),
            Schema::map(
                Schema::new(Type::String).into_ref(),
                Schema::new(Type::Int32).into_ref(),
            )
            .into_ref(),
        ),
        ("inner".into(), inner.clone()),
    ])
    .named("shop.Order")
    .into_ref();
    let mut st = Struct::new(schema.clone());
    let mut i = Struct::new(inner);
    i.put("a", Value::Int32(5));
    for (k, v) in [
        ("id", Value::Int64(42)),
        ("small", Value::Int16(7)),
        ("name", Value::String("bob".into())),
        (
            "price",
            Value::Decimal(Decimal {
                unscaled: 1234,
                scale: 2,
            }),
        ),
        (
            "tags",
            Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
        ),
        (
            "attrs",
            Value::Map(vec![(Value::String("k".into()), Value::Int32(1))]),
        ),
        ("inner", Value::Struct(i)),
    ] {
        assert!(st.put(k, v));
    }
    let topic = unique("avro-rust-writes");
    let conv = our_avro("value");
    let bytes = conv
        .to_bytes(&topic, Some(&schema), &Value::Struct(st.clone()))
        .unwrap()
        .unwrap();
    // Our own read gives back what was written.
    let back = conv.to_connect(&topic, Some(&bytes)).unwrap();
    assert_eq!(plain(&back.value), plain(&Value::Struct(st)));
    produce(&topic, &[TestRecord::value(&bytes).key("k1")]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let api = Connect::debezium();
    let name = unique("avro-java-reads");
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "topics": topic,
        "file": file.to_str().unwrap(),
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    });
    for (k, v) in apicurio_converter("value.converter") {
        config[&k] = v;
    }
    api.create(&name, config);
    let deadline = Instant::now() + Duration::from_secs(90);
    let text = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if !text.is_empty() || Instant::now() > deadline {
            break text;
        }
        assert_no_failed_task(&api, &name, "the Java converter");
        std::thread::sleep(Duration::from_millis(300));
    };
    api.delete(&name);
    assert_eq!(
        text.trim_end(),
        "Struct{id=42,small=7,name=bob,price=12.34,tags=[a, b],attrs={k=1},inner=Struct{a=5}}"
    );
}

#[test]
fn registry_errors_read_like_confluents() {
    let conv = our_avro("value");
    // An id the registry has never issued.
    let e = conv
        .to_connect("t", Some(&[0, 0x7f, 0xff, 0xff, 0xf0, 2]))
        .unwrap_err();
    let cause = e.cause.as_deref().expect("cause");
    assert_eq!(
        cause.message.as_deref(),
        Some("Error retrieving Avro value schema for id 2147483632")
    );
    let rest = cause.cause.as_deref().expect("the registry's error");
    assert!(
        rest.message
            .as_deref()
            .unwrap_or("")
            .contains("error code: 404"),
        "{:?}",
        rest.message
    );
    // use.latest.version on a subject that does not exist.
    let config = [
        ("schema.registry.url".to_owned(), registry_url()),
        ("auto.register.schemas".to_owned(), "false".to_owned()),
        ("use.latest.version".to_owned(), "true".to_owned()),
    ]
    .into_iter()
    .collect();
    let conv = AvroConverter::new(&config).unwrap();
    let topic = unique("avro-nosubject");
    let s = Schema::new(Type::String);
    let e = conv
        .to_bytes(&topic, Some(&s), &Value::String("x".into()))
        .unwrap_err();
    let rest = e
        .cause
        .as_deref()
        .and_then(|c| c.cause.as_deref())
        .expect("the registry's error");
    assert!(
        rest.message
            .as_deref()
            .unwrap_or("")
            .contains("error code: 404"),
        "{:?}",
        rest.message
    );
}

/// Connect data as `plain` JSON with what differs between two captures of the same changes taken
/// out: capture times, `source.name` (each connector's prefix) and, for snapshot records, the
/// WAL position each connector took its own snapshot at.
fn captured(v: &Value) -> Json {
    let mut p = plain(v);
    if let Some(o) = p.as_object_mut() {
        let snapshot = o.get("op") == Some(&json!("r"));
        for k in ["ts_ms", "ts_us", "ts_ns"] {
            o.remove(k);
        }
        if let Some(s) = o.get_mut("source").and_then(Json::as_object_mut) {
            for k in ["ts_ms", "ts_us", "ts_ns", "name"] {
                s.remove(k);
            }
            if snapshot {
                for k in ["lsn", "txId", "sequence"] {
                    s.remove(k);
                }
            }
        }
    }
    p
}

/// The paths where two JSON documents differ, each with both sides' values.
fn differences(path: &str, a: &Json, b: &Json, out: &mut Vec<String>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Json::Null),
                    y.get(k).unwrap_or(&Json::Null),
                );
                differences(&format!("{path}.{k}"), va, vb, out);
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!("{path}: debezium {a} ours {b}")),
        _ => {}
    }
}

/// A schema's shape with the connector's topic prefix in its names replaced by `P`.
fn shape_without(s: &Schema, prefix: &str) -> Json {
    let text = shape(s)
        .to_string()
        .replace(&format!("\"{prefix}."), "\"P.");
    serde_json::from_str(&text).unwrap()
}

/// The same table captured twice with Avro in the Confluent wire format, through the same
/// registry: by Debezium with the Java converter on the Apache worker and by connect-worker's
/// CDC source with its AvroConverter. Both topics must hold the same keys, values and schemas,
/// record by record (the documented differences of worker/tests/cdc.rs taken out).
#[test]
fn cdc_with_avro_writes_what_debezium_writes_with_avro() {
    let db = PgDatabase::create("avro_cdc");
    db.sql(
        "CREATE TABLE items (id int PRIMARY KEY, small smallint NOT NULL, big bigint, \
         price numeric(10,2), name text, flag boolean NOT NULL DEFAULT true, born date, \
         seen timestamp(3), stamp timestamptz, ratio double precision, r real, tags text[], \
         raw bytea, doc jsonb);
         ALTER TABLE items REPLICA IDENTITY FULL;
         INSERT INTO items VALUES (1, 7, 9000000000, 12.34, 'bob', false, '2024-02-29', \
           '2024-02-29 10:11:12.345', '2024-02-29 10:11:12.345678+00', 0.5, 1.25, \
           ARRAY['a','b'], '\\x00ff', '{\"k\": 1}'), \
           (2, -1, NULL, NULL, NULL, true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
    );
    let dbz = unique("avro-cdc-dbz").replace('-', "_");
    let ours = unique("avro-cdc-ours").replace('-', "_");
    let mut java = apicurio_converter("key.converter");
    java.extend(apicurio_converter("value.converter"));
    let mut rust = Vec::new();
    for role in ["key.converter", "value.converter"] {
        rust.push((
            role.to_owned(),
            json!("io.confluent.connect.avro.AvroConverter"),
        ));
        rust.push((format!("{role}.schema.registry.url"), json!(registry_url())));
    }
    let debezium = Connect::debezium();
    debezium.create(&dbz, debezium_config(&db, &dbz, &java));
    let _guard = Deleted(&debezium, dbz.clone());
    let worker = connect_testkit::worker::Worker::start(std::path::Path::new(env!(
        "CARGO_BIN_EXE_connect-worker"
    )));
    worker
        .api()
        .create(&ours, debezium_config(&db, &ours, &rust));
    // Both snapshots are taken once both slots exist; the changes below are streamed.
    let deadline = Instant::now() + Duration::from_secs(90);
    while db.slots().iter().filter(|(_, active)| *active).count() < 2 {
        assert!(Instant::now() < deadline, "slots: {:?}", db.slots());
        std::thread::sleep(Duration::from_millis(200));
    }
    db.sql(
        "INSERT INTO items VALUES (3, 3, -3, -0.01, 'carol', true, '1969-12-31', \
           '1960-01-02 03:04:05.5', '1999-12-31 23:59:59.999999-05', -1.5, 0.25, \
           ARRAY[]::text[], '\\x', '[]');
         UPDATE items SET name = 'robert', price = 99.99, tags = ARRAY['c'] WHERE id = 1;
         BEGIN; DELETE FROM items WHERE id = 2; UPDATE items SET small = 8 WHERE id = 3; COMMIT;",
    );
    // 2 snapshot reads, 1 insert, 1 update, 1 delete + its tombstone, 1 update.
    let n = 7;
    let a = wait_records(&format!("{dbz}.public.items"), n);
    let b = wait_records(&format!("{ours}.public.items"), n);
    drop(worker);
    let (key, value) = (our_avro("key"), our_avro("value"));
    let mut found = Vec::new();
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        for (what, conv, xa, xb) in [
            ("key", &key, &ra.key, &rb.key),
            ("value", &value, &ra.value, &rb.value),
        ] {
            let da = conv.to_connect("t", xa.as_deref()).expect("Java's record");
            let db_ = conv.to_connect("t", xb.as_deref()).expect("our record");
            if let (Some(x), Some(y)) = (xa, xb) {
                assert_eq!((x[0], y[0]), (0, 0), "{what}[{i}]: Confluent magic byte");
            }
            let (pa, pb) = (captured(&da.value), captured(&db_.value));
            differences(&format!("{what}[{i}]"), &pa, &pb, &mut found);
            let shape_of = |d: &connect_worker::data::SchemaAndValue, prefix: &str| {
                d.schema
                    .as_deref()
                    .map_or(Json::Null, |s| shape_without(s, prefix))
            };
            differences(
                &format!("{what}[{i}] schema"),
                &shape_of(&da, &dbz),
                &shape_of(&db_, &ours),
                &mut found,
            );
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The streamed update, spelled out, so a mapping that loses on both sides still fails.
    let update = value.to_connect("t", b[3].value.as_deref()).unwrap();
    let update = plain(&update.value);
    assert_eq!(update["op"], json!("u"));
    assert_eq!(update["before"]["name"], json!("bob"));
    assert_eq!(update["after"]["name"], json!("robert"));
    assert_eq!(update["after"]["price"], json!({"decimal": ["9999", 2]}));
}

/// The pipeline users build: Debezium on the Apache worker writes Avro through the Java
/// converter with Debezium's `ExtractNewRecordState`, and connect-worker's JDBC sink reads it
/// with its AvroConverter into MariaDB (tables created, upserts, deletes from tombstones).
#[test]
fn debezium_avro_into_the_jdbc_sink() {
    let db = PgDatabase::create("avro_to_jdbc");
    db.sql(
        "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), \
         flag boolean NOT NULL, born date, seen timestamp(3), big bigint);
         INSERT INTO items VALUES (1, 'bob', 12.34, false, '2024-02-29', \
           '2024-02-29 10:11:12.345', 9000000000), (2, NULL, NULL, true, NULL, NULL, NULL), \
           (3, 'carol', 0.5, true, '1969-12-31', '1960-01-02 03:04:05.5', -1);",
    );
    let maria = connect_testkit::sql::MariaDatabase::create("avro_sink");
    let prefix = unique("avro-unwrap").replace('-', "_");
    let mut java = apicurio_converter("key.converter");
    java.extend(apicurio_converter("value.converter"));
    java.extend([
        ("time.precision.mode".to_owned(), json!("connect")),
        ("transforms".to_owned(), json!("unwrap")),
        (
            "transforms.unwrap.type".to_owned(),
            json!("io.debezium.transforms.ExtractNewRecordState"),
        ),
    ]);
    let debezium = Connect::debezium();
    debezium.create(&prefix, debezium_config(&db, &prefix, &java));
    let _guard = Deleted(&debezium, prefix.clone());
    let topic = format!("{prefix}.public.items");
    wait_records(&topic, 3);
    db.sql(
        "UPDATE items SET name = 'robert', price = 99.99 WHERE id = 1;
         DELETE FROM items WHERE id = 3;
         INSERT INTO items VALUES (4, 'dave', 1, false, '2000-01-01', '2000-01-01 00:00:00', 42);",
    );
    let e = env();
    let worker = connect_testkit::worker::Worker::start(std::path::Path::new(env!(
        "CARGO_BIN_EXE_connect-worker"
    )));
    let mut sink = json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": topic,
        "connection.url": e.mariadb_jdbc_url_for(maria.name()),
        "connection.user": e.mariadb_user,
        "connection.password": e.mariadb_password,
        "table.name.format": "items",
        "auto.create": "true",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "delete.enabled": "true",
    });
    for role in ["key.converter", "value.converter"] {
        sink[role] = json!("io.confluent.connect.avro.AvroConverter");
        sink[format!("{role}.schema.registry.url")] = json!(registry_url());
    }
    worker.api().create("avro-sink", sink);
    let expected = [
        "1\trobert\t99.99\t0\t2024-02-29\t2024-02-29 10:11:12.345\t9000000000",
        "2\tNULL\tNULL\t1\tNULL\tNULL\tNULL",
        "4\tdave\t1.00\t0\t2000-01-01\t2000-01-01 00:00:00.000\t42",
    ]
    .join("\n");
    let query = "SELECT id, name, price, flag, born, seen, big FROM items ORDER BY id";
    let deadline = Instant::now() + Duration::from_secs(90);
    let rows = loop {
        let rows = connect_testkit::sql::try_mariadb(Some(maria.name()), query)
            .unwrap_or_default()
            .trim()
            .to_owned();
        if rows == expected || Instant::now() > deadline {
            break rows;
        }
        assert_no_failed_task(&worker.api(), "avro-sink", "the sink");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(
        rows, expected,
        "MariaDB's rows after Debezium -> Avro -> JDBC sink"
    );
}
