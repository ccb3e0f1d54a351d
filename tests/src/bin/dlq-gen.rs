//! Writes a synthetic dead letter queue for benchmarks: N records shaped exactly like the ones
//! Kafka Connect's DeadLetterQueueReporter writes (original key/value plus the ten
//! `__connect.errors.*` headers), spread over a few failure causes and origin partitions.
//!
//! Usage: dlq-gen BOOTSTRAP DLQ_TOPIC ORIGIN_TOPIC COUNT

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

const CAUSES: [(&str, &str, &str); 3] = [
    (
        "VALUE_CONVERTER",
        "org.apache.kafka.connect.errors.DataException",
        "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.",
    ),
    (
        "TRANSFORMATION",
        "org.apache.kafka.connect.errors.DataException",
        "Cast transformation does not support casting to/from STRUCT",
    ),
    (
        "KEY_CONVERTER",
        "org.apache.kafka.common.errors.SerializationException",
        "Unknown magic byte!",
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: dlq-gen BOOTSTRAP DLQ_TOPIC ORIGIN_TOPIC COUNT");
        std::process::exit(2);
    }
    let (bootstrap, dlq, origin) = (&args[1], &args[2], &args[3]);
    let count: u64 = args[4].parse().expect("COUNT must be a number");
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "50")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("compression.type", "lz4")
        .create()
        .expect("producer");
    let started = Instant::now();
    let trace_tail = "\n\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)\n\tat org.apache.kafka.connect.storage.Converter.toConnectData(Converter.java:98)\n\t... 14 more\n";
    for i in 0..count {
        let (stage, class, message) = CAUSES[(i % 10).min(2) as usize];
        let partition = (i % 3).to_string();
        let offset = (i / 3).to_string();
        let task = (i % 2).to_string();
        let trace = format!("{class}: {message}{trace_tail}");
        let key = format!("customer-{}", i % 1000);
        let value = format!(
            r#"{{"id":{i},"item":"widget","qty":{},"note":"benchmark record"}}"#,
            i % 7
        );
        let headers = OwnedHeaders::new_with_capacity(10)
            .insert(Header {
                key: "__connect.errors.topic",
                value: Some(origin.as_str()),
            })
            .insert(Header {
                key: "__connect.errors.partition",
                value: Some(partition.as_str()),
            })
            .insert(Header {
                key: "__connect.errors.offset",
                value: Some(offset.as_str()),
            })
            .insert(Header {
                key: "__connect.errors.connector.name",
                value: Some("bench-sink"),
            })
            .insert(Header {
                key: "__connect.errors.task.id",
                value: Some(task.as_str()),
            })
            .insert(Header {
                key: "__connect.errors.stage",
                value: Some(stage),
            })
            .insert(Header {
                key: "__connect.errors.class.name",
                value: Some("org.apache.kafka.connect.json.JsonConverter"),
            })
            .insert(Header {
                key: "__connect.errors.exception.class.name",
                value: Some(class),
            })
            .insert(Header {
                key: "__connect.errors.exception.message",
                value: Some(message),
            })
            .insert(Header {
                key: "__connect.errors.exception.stacktrace",
                value: Some(trace.as_str()),
            });
        let mut rec = Some(
            BaseRecord::to(dlq)
                .key(key.as_bytes())
                .payload(value.as_bytes())
                .headers(headers),
        );
        while let Some(r) = rec.take() {
            if let Err((e, back)) = producer.send(r) {
                assert_eq!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::QueueFull),
                    "{e}"
                );
                producer.poll(Duration::from_millis(10));
                rec = Some(back);
            }
        }
        if i % 1000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    eprintln!(
        "dlq-gen: wrote {count} records to {dlq} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
