//! Writes a synthetic dead letter queue for benchmarks: N records shaped exactly like the ones
//! Kafka Connect's DeadLetterQueueReporter writes (original key/value plus the ten
//! `__connect.errors.*` headers), spread over a few failure causes and origin partitions.
//!
//! With `--avro REGISTRY_URL`, the original values are Avro in the Confluent wire format (magic
//! byte 0, the 4-byte schema id, the Avro binary body) of an order record of 13 fields, whose
//! schema is registered first under `<ORIGIN_TOPIC>-value` in the registry's Confluent API.
//!
//! Usage: dlq-gen [--avro REGISTRY_URL] BOOTSTRAP DLQ_TOPIC ORIGIN_TOPIC COUNT

use std::time::{Duration, Instant};

use connect_avro::{AvroSchema, Datum, RegistryClient, RegistryConfig, binary, wire};

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

/// The value schema of the Avro mode: an order of 13 fields of mixed types.
const ORDER_SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench.shop","fields":[
    {"name":"id","type":"long"},
    {"name":"customer","type":"string"},
    {"name":"email","type":"string"},
    {"name":"item","type":"string"},
    {"name":"qty","type":"int"},
    {"name":"price","type":"double"},
    {"name":"paid","type":"boolean"},
    {"name":"coupon","type":["null","string"],"default":null},
    {"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},
    {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED","CANCELLED"]}},
    {"name":"tags","type":{"type":"array","items":"string"}},
    {"name":"shipping_address","type":"string"},
    {"name":"note","type":["null","string"],"default":null}]}"#;

const ITEMS: [&str; 5] = [
    "widget, blue, 40 mm",
    "gadget pro (refurbished)",
    "cable USB-C to USB-C, 2 m",
    "mechanical keyboard, ISO layout",
    "replacement filter pack of 6",
];

/// Order number `i` as an Avro datum of `ORDER_SCHEMA` (about 330 bytes encoded).
fn order(i: u64) -> Datum {
    let s = |v: String| Datum::String(v);
    let customer = i % 1000;
    Datum::Record(vec![
        Datum::Long(i as i64),
        s(format!("Customer Number {customer}")),
        s(format!("customer.{customer}@example.com")),
        s(ITEMS[(i % 5) as usize].to_owned()),
        Datum::Int((i % 7) as i32 + 1),
        Datum::Double((i % 10_000) as f64 * 0.25 + 0.99),
        Datum::Boolean(!i.is_multiple_of(3)),
        if i.is_multiple_of(4) {
            Datum::Union(1, Box::new(s(format!("WINTER{}", i % 50))))
        } else {
            Datum::Union(0, Box::new(Datum::Null))
        },
        Datum::Long(1_764_547_200_000 + i as i64 * 1_000),
        Datum::Enum((i % 4) as usize),
        Datum::Array(vec![
            s("benchmark".to_owned()),
            s(format!("region-{}", i % 12)),
            s(if i.is_multiple_of(2) {
                "priority"
            } else {
                "standard"
            }
            .to_owned()),
        ]),
        s(format!(
            "{} Harbour Street, Flat {}, Riverside District, 10{:03} Springfield, Freedonia",
            i % 500 + 1,
            i % 40 + 1,
            i % 1000
        )),
        if i.is_multiple_of(5) {
            Datum::Union(0, Box::new(Datum::Null))
        } else {
            Datum::Union(
                1,
                Box::new(s(format!(
                    "Please leave the parcel with the neighbour at number {} if nobody answers; \
                     the side gate is open on weekdays between 8 and 18. Order reference {i}.",
                    i % 500 + 2
                ))),
            )
        },
    ])
}

fn usage() -> ! {
    eprintln!("usage: dlq-gen [--avro REGISTRY_URL] BOOTSTRAP DLQ_TOPIC ORIGIN_TOPIC COUNT");
    std::process::exit(2);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let registry = if args.first().map(String::as_str) == Some("--avro") {
        if args.len() < 2 {
            usage();
        }
        let url = args.remove(1);
        args.remove(0);
        Some(url)
    } else {
        None
    };
    if args.len() != 4 {
        usage();
    }
    let (bootstrap, dlq, origin) = (&args[0], &args[1], &args[2]);
    let count: u64 = args[3].parse().expect("COUNT must be a number");
    let avro = registry.map(|url| {
        let schema = AvroSchema::parse_str(ORDER_SCHEMA).expect("the order schema");
        let client = RegistryClient::new(RegistryConfig::from_urls(&url)).expect("registry client");
        let subject = format!("{origin}-value");
        let id = client
            .register(&subject, &schema)
            .unwrap_or_else(|e| panic!("registering {subject} at {url}: {e}"));
        eprintln!("dlq-gen: registered {subject} at {url}: schema id {id}");
        (schema, id)
    });
    let mut body = Vec::with_capacity(512);
    let mut avro_bytes = 0u64;
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
        let value = match &avro {
            Some((schema, id)) => {
                body.clear();
                body.extend_from_slice(&wire::header(*id));
                binary::encode(schema, &order(i), &mut body).expect("an order datum");
                avro_bytes += body.len() as u64;
                &body[..]
            }
            None => {
                body.clear();
                body.extend_from_slice(
                    format!(
                        r#"{{"id":{i},"item":"widget","qty":{},"note":"benchmark record"}}"#,
                        i % 7
                    )
                    .as_bytes(),
                );
                &body[..]
            }
        };
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
                .payload(value)
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
    let avg = if avro_bytes > 0 {
        format!(
            " (Avro values of {} bytes on average)",
            avro_bytes / count.max(1)
        )
    } else {
        String::new()
    };
    eprintln!(
        "dlq-gen: wrote {count} records to {dlq} in {:.1}s{avg}",
        started.elapsed().as_secs_f64()
    );
}
