//! DLQ records written by the real Apache Kafka Connect worker decode into the model.

use std::time::Duration;

use connect_dlq::headers::{self, ErrorContext, Origin};
use connect_testkit::{Connect, TestRecord, consume, create_topic, produce, unique};

#[test]
fn real_connect_dlq_headers_decode_with_origin() {
    let connect = Connect::new();
    let topic = unique("dlq-src");
    let dlq = unique("dlq-dlq");
    let name = unique("dlq-sink");
    create_topic(&topic, 1);
    // Envelope JSON passes, plain JSON fails the JsonConverter and goes to the DLQ.
    let good = r#"{"schema":{"type":"string","optional":false},"payload":"ok"}"#;
    produce(
        &topic,
        &[
            TestRecord::value(good),
            TestRecord::value(r#"{"id":1}"#).key("k1").header("trace-id", Some(b"abc")),
            TestRecord::value(good),
            TestRecord::value(r#"{"id":2}"#),
        ],
    );
    let out = std::env::temp_dir().join(format!("{name}.txt"));
    connect.create(
        &name,
        serde_json::json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": out.to_str().unwrap(),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    let records = consume(&dlq, 2, Duration::from_secs(60), true);
    connect.delete(&name);
    assert_eq!(records.len(), 2, "the two plain-JSON records reach the DLQ");

    for (record, (offset, value)) in records.iter().zip([(1, r#"{"id":1}"#), (3, r#"{"id":2}"#)]) {
        assert_eq!(record.value_str(), Some(value), "DLQ keeps the original bytes");
        let ctx = ErrorContext::from_headers(
            record.headers.iter().map(|(k, v)| (k.as_str(), v.as_deref())),
        )
        .expect("context headers");
        assert_eq!(ctx.original, Some(Origin { topic: topic.clone(), partition: 0, offset }));
        assert_eq!(ctx.connector.as_deref(), Some(name.as_str()));
        assert_eq!(ctx.task, Some(0));
        assert_eq!(ctx.stage.as_deref(), Some("VALUE_CONVERTER"));
        assert_eq!(ctx.class.as_deref(), Some("org.apache.kafka.connect.json.JsonConverter"));
        assert_eq!(
            ctx.exception_class.as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(ctx.exception_message.unwrap().starts_with("JsonConverter with schemas.enable"));
        assert!(ctx.stacktrace.unwrap().contains("\tat org.apache.kafka.connect.json.JsonConverter"));
    }
    // The record's own headers come first, Connect's ten context headers after them, in order.
    let names: Vec<&str> = records[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected = vec!["trace-id"];
    expected.extend(headers::ALL);
    assert_eq!(names, expected);
}
