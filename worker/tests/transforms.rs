//! The Apache single message transforms on connect-worker and on the real Apache Connect worker,
//! side by side: the same input through the same chain must give the same records.

// The connector configs are long `json!` literals.
#![recursion_limit = "256"]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connect_testkit::worker::Worker;
use connect_testkit::{Connect, TestRecord, consume, create_topic, produce, unique};
use serde_json::{Value, json};

/// This crate's worker; `CONNECT_WORKER_BIN` picks another build (checkouts that share one
/// target dir overwrite each other's `target/debug/connect-worker`).
fn start() -> Worker {
    let bin = std::env::var_os("CONNECT_WORKER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_connect-worker")),
        PathBuf::from,
    );
    Worker::start(&bin)
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Today's date in UTC as `yyyyMMdd`, what TimestampRouter appends to records written now. Within
/// three minutes of midnight it first waits for the new day, so that records written during the
/// test carry the date it expects.
fn utc_today() -> String {
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let left = 86_400 - now() % 86_400;
    if left < 180 {
        std::thread::sleep(std::time::Duration::from_secs(left as u64 + 1));
    }
    let days = now() / 86_400;
    // Days to a civil date (proleptic Gregorian, fine after 1582).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

fn header<'a>(r: &'a TestRecord, name: &str) -> Option<&'a str> {
    r.header_str(name)
}

/// FileStreamSource lines become structs with a schema and go through sixteen transforms; the
/// keys, JsonConverter envelopes, headers and routed topic names are the same on both workers.
/// A line the chain cannot cast is skipped by both (`errors.tolerance=all`).
#[test]
fn source_chain_gives_the_same_records_as_apache() {
    let w = start();
    let base = unique("smt-src");
    let day = utc_today();
    let (ours_topic, apache_topic) = (format!("{base}-{day}-ours"), format!("{base}-{day}-apache"));
    create_topic(&ours_topic, 1);
    create_topic(&apache_topic, 1);
    let input = w.path("events.txt");
    let timestamps = [
        "1700000000123",
        "0",
        "-86400001",
        "not-a-number",
        "1600000000999",
        "253402300799999",
        "-62135596800000",
    ];
    std::fs::write(&input, timestamps.join("\n") + "\n").unwrap();
    let config = |who: &str| {
        json!({
            "connector.class": "FileStreamSource", "file": input, "topic": base,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "errors.tolerance": "all",
            "transforms": "hoist,insert,secret,cast,v2k,extract,keycast,tsconv,rename,mask,headers,nest,flat,meta,route,suffix",
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "ts",
            "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.insert.topic.field": "source_topic!",
            "transforms.insert.static.field": "origin",
            "transforms.insert.static.value": "file-source",
            "transforms.secret.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.secret.static.field": "card",
            "transforms.secret.static.value": "4111-1111-1111-1111",
            "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.cast.spec": "ts:int64",
            "transforms.v2k.type": "ValueToKey",
            "transforms.v2k.fields": "ts,origin",
            "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
            "transforms.extract.field": "ts",
            "transforms.keycast.type": "org.apache.kafka.connect.transforms.Cast$Key",
            "transforms.keycast.spec": "string",
            "transforms.tsconv.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            "transforms.tsconv.field": "ts",
            "transforms.tsconv.target.type": "string",
            "transforms.tsconv.format": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX G EEE",
            "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.rename.renames": "ts:created",
            "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
            "transforms.mask.fields": "card",
            "transforms.mask.replacement": "****",
            "transforms.headers.type": "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            "transforms.headers.fields": "origin,created",
            "transforms.headers.headers": "origin,created_at",
            "transforms.headers.operation": "move",
            "transforms.meta.type": "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            "transforms.meta.schema.name": "com.example.Event",
            "transforms.meta.schema.version": "3",
            "transforms.nest.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.nest.field": "event",
            "transforms.flat.type": "org.apache.kafka.connect.transforms.Flatten$Value",
            "transforms.flat.delimiter": "_",
            "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
            "transforms.route.timestamp.format": "yyyyMMdd",
            "transforms.suffix.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.suffix.regex": "(.*)",
            "transforms.suffix.replacement": format!("$1-{who}"),
        })
    };
    let (ours_name, apache_name) = (unique("smt-src-ours"), unique("smt-src-apache"));
    w.api().create(&ours_name, config("ours"));
    let apache = Connect::new();
    apache.create(&apache_name, config("apache"));
    let expected = timestamps.len() - 1;
    let ours = consume(&ours_topic, expected, Duration::from_secs(60), false);
    let theirs = consume(&apache_topic, expected, Duration::from_secs(60), false);
    apache.delete(&apache_name);
    assert_eq!(theirs.len(), expected, "Apache wrote every castable line");
    assert_eq!(ours.len(), expected, "we wrote every castable line");
    for (o, a) in ours.iter().zip(&theirs) {
        assert_eq!(o.key, a.key);
        assert_eq!(o.value_str(), a.value_str());
        assert_eq!(o.headers, a.headers);
    }
    // What the chain made of the first line, as Apache wrote it.
    let first = &theirs[0];
    assert_eq!(
        first.key.as_deref(),
        Some(&br#"{"schema":{"type":"string","optional":false},"payload":"1700000000123"}"#[..])
    );
    let value: Value = serde_json::from_str(first.value_str().unwrap()).unwrap();
    assert_eq!(
        value["payload"],
        json!({"event_source_topic": base, "event_card": "****"})
    );
    assert_eq!(
        value["schema"]["fields"][0],
        json!({"type": "string", "optional": false, "field": "event_source_topic"})
    );
    assert_eq!(
        (&value["schema"]["name"], &value["schema"]["version"]),
        (&json!("com.example.Event"), &json!(3))
    );
    assert_eq!(header(first, "origin"), Some("file-source"));
    assert_eq!(
        header(first, "created_at"),
        Some("2023-11-14T22:13:20.123Z AD Tue")
    );
    assert_eq!(
        header(&theirs[1], "created_at"),
        Some("1970-01-01T00:00:00.000Z AD Thu")
    );
    // Year 1 is in the Julian calendar, as in java.util.GregorianCalendar.
    assert_eq!(
        header(&theirs[5], "created_at"),
        Some("0001-01-03T00:00:00.000Z AD Mon")
    );
}

/// Schemaless JSON read by FileStreamSink through eight transforms: the lines written (Java's
/// `Map.toString()`, so key order shows Java's HashMap order) are the same on both workers, and
/// a record a transform rejects reaches both DLQs with the same error.
#[test]
fn sink_chain_writes_the_same_file_and_dlq_errors_as_apache() {
    let topic = unique("smt-sink-in");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[
            TestRecord::value(
                r#"{"id":1,"user":{"name":"Ann","email":"ann@example.com","zip":"10115"},"qty":"3","price":9.5,"tags":["a","b"]}"#,
            )
            .key("k1"),
            TestRecord::value(
                r#"{"id":2,"user":{"name":"Bob","email":"bob@example.com"},"qty":"-7","price":0.25,"tags":[],"note":null}"#,
            ),
            TestRecord::default().key("gone"),
            TestRecord::value(r#"{"id":3,"user":null,"qty":"lots","price":1}"#),
            TestRecord::value(
                r#"{"id":4,"qty":"12","price":10000000.0,"extra":true,"zeta":1,"alpha":2}"#,
            )
            .header("marker", Some(b"x")),
        ],
    );
    let config = |dlq: &str, out: &Path| {
        json!({
            "connector.class": "FileStreamSink", "topics": topic, "file": out,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
            "transforms": "flat,cast,mask,rename,insert,tsconv,extractOffset,hoist",
            "transforms.flat.type": "org.apache.kafka.connect.transforms.Flatten$Value",
            "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
            "transforms.cast.spec": "qty:int32,price:string,id:float32",
            "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
            "transforms.mask.fields": "user.email,user.zip",
            "transforms.mask.predicate": "isTombstone",
            "transforms.mask.negate": "true",
            "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.rename.renames": "user.name:customer",
            "transforms.rename.exclude": "tags",
            "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.insert.offset.field": "kafka_offset",
            "transforms.insert.partition.field": "kafka_partition",
            "transforms.insert.topic.field": "kafka_topic",
            "transforms.insert.timestamp.field": "ts",
            "transforms.tsconv.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            "transforms.tsconv.field": "ts",
            "transforms.tsconv.target.type": "string",
            "transforms.tsconv.format": "yyyy",
            "transforms.extractOffset.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
            "transforms.extractOffset.field": "kafka_offset",
            "transforms.extractOffset.predicate": "marked",
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "record",
            "predicates": "isTombstone,marked",
            "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            "predicates.marked.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            "predicates.marked.name": "marker",
        })
    };
    let w = start();
    let (ours_dlq, apache_dlq) = (unique("smt-dlq-ours"), unique("smt-dlq-apache"));
    let (ours_name, apache_name) = (unique("smt-sink-ours"), unique("smt-sink-apache"));
    let ours_out = w.path("out.txt");
    let apache_out = std::env::temp_dir().join(format!("{apache_name}.txt"));
    w.api().create(&ours_name, config(&ours_dlq, &ours_out));
    let apache = Connect::new();
    apache.create(&apache_name, config(&apache_dlq, &apache_out));
    wait_until("both files", Duration::from_secs(60), || {
        lines(&ours_out).len() >= 4 && lines(&apache_out).len() >= 4
    });
    let ours_dead = consume(&ours_dlq, 1, Duration::from_secs(30), true);
    let apache_dead = consume(&apache_dlq, 1, Duration::from_secs(30), true);
    apache.delete(&apache_name);
    let theirs = lines(&apache_out);
    let _ = std::fs::remove_file(&apache_out);
    assert_eq!(lines(&ours_out), theirs);
    assert_eq!(theirs.len(), 4, "{theirs:?}");
    let year = &utc_today()[..4];
    // Keys in the order of Java's HashMap after six copies of the map.
    assert_eq!(
        theirs[0],
        format!(
            "{{record={{user.zip=, kafka_offset=0, kafka_partition=0, user.email=, price=9.5, qty=3, kafka_topic={topic}, id=1.0, customer=Ann, ts={year}}}}}"
        )
    );
    assert_eq!(
        theirs[2], "{record=null}",
        "the tombstone is hoisted, not masked"
    );
    assert_eq!(
        theirs[3], "{record=4}",
        "the marked record is reduced to its offset"
    );
    for (o, a) in [(&ours_dead, &apache_dead)] {
        assert_eq!((o.len(), a.len()), (1, 1));
        for h in [
            "__connect.errors.stage",
            "__connect.errors.class.name",
            "__connect.errors.exception.class.name",
            "__connect.errors.exception.message",
            "__connect.errors.offset",
        ] {
            assert_eq!(o[0].header_str(h), a[0].header_str(h), "{h}");
        }
        assert_eq!(
            a[0].header_str("__connect.errors.exception.message"),
            Some("Value (lots) was out of range for requested data type")
        );
        assert_eq!(
            a[0].header_str("__connect.errors.class.name"),
            Some("org.apache.kafka.connect.transforms.Cast$Value")
        );
    }
}

/// `GET /connector-plugins?connectorsOnly=false` and every transform's and predicate's
/// `GET /connector-plugins/{class}/config` answer exactly as Apache's do.
#[test]
fn plugin_listing_and_config_definitions_match_apache() {
    let w = start();
    let apache = Connect::new();
    let path = "/connector-plugins?connectorsOnly=false";
    let (oc, ours) = w.api().call("GET", path, None);
    let (ac, theirs) = apache.call("GET", path, None);
    assert_eq!((oc, ac), (200, 200));
    // Apache's listing, in its order, within ours: this worker may offer more plugins.
    let mut rest = ours.as_array().unwrap().iter();
    for p in theirs.as_array().unwrap() {
        assert!(
            rest.any(|o| o == p),
            "{p} missing or out of order in {ours}"
        );
    }
    let classes: Vec<&str> = theirs
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "transformation" || p["type"] == "predicate")
        .map(|p| p["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes.len(), 29, "26 transformations and 3 predicates");
    for class in classes {
        let path = format!("/connector-plugins/{}/config", class.replace('$', "%24"));
        let (oc, ours) = w.api().call("GET", &path, None);
        let (ac, theirs) = apache.call("GET", &path, None);
        assert_eq!((oc, ac), (200, 200), "{class}");
        assert_eq!(ours, theirs, "{class}");
    }
}

/// Validating a connector with every transform, valid and invalid settings mixed, gives the
/// same answer as Apache, field by field (values, errors, definitions and their order).
#[test]
fn validate_matches_apache_for_every_transform() {
    let t = "org.apache.kafka.connect.transforms.";
    let mut pairs: Vec<(String, String)> = [
        ("connector.class", "FileStreamSink"),
        ("name", "x"),
        ("topics", "t"),
        ("predicates", "tomb"),
        ("predicates.tomb.type", "RecordIsTombstone"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // (alias, class, settings)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let transforms: &[Case] = &[
        ("cast", "Cast$Value", &[("spec", "a:foo")]),
        ("castKey", "Cast$Key", &[]),
        (
            "castOk",
            "Cast$Value",
            &[
                ("spec", "a:int8,b:string"),
                ("predicate", "tomb"),
                ("negate", "true"),
            ],
        ),
        (
            "extract",
            "ExtractField$Key",
            &[("field.syntax.version", "v3")],
        ),
        (
            "extractV2",
            "ExtractField$Value",
            &[("field", "a.b"), ("field.syntax.version", "v2")],
        ),
        ("flatten", "Flatten$Value", &[("delimiter", "_")]),
        ("flattenKey", "Flatten$Key", &[]),
        (
            "from",
            "HeaderFrom$Value",
            &[("operation", "cut"), ("fields", "")],
        ),
        (
            "fromKey",
            "HeaderFrom$Key",
            &[("fields", "a"), ("headers", "h"), ("operation", "copy")],
        ),
        ("hoist", "HoistField$Key", &[]),
        ("hoistValue", "HoistField$Value", &[("field", "f")]),
        ("insert", "InsertField$Value", &[("topic.field", "t!")]),
        (
            "insertKey",
            "InsertField$Key",
            &[("replace.null.with.default", "maybe")],
        ),
        ("mask", "MaskField$Value", &[]),
        (
            "maskKey",
            "MaskField$Key",
            &[("fields", "a,a"), ("replacement", "")],
        ),
        (
            "replace",
            "ReplaceField$Value",
            &[("renames", "a:b:c,x"), ("exclude", "a,,b")],
        ),
        ("replaceKey", "ReplaceField$Key", &[("include", "a,a")]),
        (
            "meta",
            "SetSchemaMetadata$Value",
            &[("schema.version", "x")],
        ),
        ("metaKey", "SetSchemaMetadata$Key", &[("schema.name", "n")]),
        (
            "convert",
            "TimestampConverter$Value",
            &[("target.type", "date"), ("unix.precision", "weeks")],
        ),
        (
            "convertKey",
            "TimestampConverter$Key",
            &[("target.type", "unix")],
        ),
        (
            "route",
            "TimestampRouter",
            &[("topic.format", "${topic}_x")],
        ),
        ("toKey", "ValueToKey", &[("fields", "")]),
        ("toKeyOk", "ValueToKey", &[("fields", "id")]),
        ("drop", "DropHeaders", &[]),
        ("filter", "Filter", &[("predicate", "tomb")]),
    ];
    let aliases: Vec<&str> = transforms.iter().map(|(a, _, _)| *a).collect();
    pairs.push(("transforms".into(), aliases.join(",")));
    for (alias, class, settings) in transforms {
        let class = if class.contains('$') {
            format!("{t}{class}")
        } else {
            (*class).to_owned()
        };
        pairs.push((format!("transforms.{alias}.type"), class));
        for (k, v) in *settings {
            pairs.push((format!("transforms.{alias}.{k}"), (*v).to_owned()));
        }
    }
    let config = Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    );
    let w = start();
    let path = "/connector-plugins/FileStreamSink/config/validate";
    let (oc, mut ours) = w.api().call("PUT", path, Some(&config));
    let (ac, theirs) = Connect::new().call("PUT", path, Some(&config));
    assert_eq!((oc, ac), (200, 200));
    // This worker also ships Confluent's AvroConverter, which the Apache worker of the
    // environment has not installed: it is left out of our recommended converters.
    for c in ours["configs"].as_array_mut().unwrap() {
        if let Some(values) = c["value"]["recommended_values"].as_array_mut() {
            values.retain(|v| !v.as_str().is_some_and(|v| v.starts_with("io.confluent.")));
        }
    }
    assert!(theirs["error_count"].as_u64().unwrap() > 15, "{theirs}");
    let (o, a) = (
        ours["configs"].as_array().unwrap(),
        theirs["configs"].as_array().unwrap(),
    );
    for (x, y) in o.iter().zip(a) {
        assert_eq!(x, y);
    }
    assert_eq!(ours, theirs);
}
