#!/usr/bin/env python3
"""The Python peer of `connectctl dlq inspect --records -o jsonl --schema-registry` in
scripts/bench/dlq: a confluent-kafka consumer reads a DLQ topic from the beginning to its end
and decodes every value through the Schema Registry with confluent-kafka's AvroDeserializer
(fastavro underneath), printing one JSON line per record (partition, offset, key, the
`__connect.errors.*` headers, the decoded value).

Usage: dlq_avro_python.py BOOTSTRAP TOPIC REGISTRY_URL
Runs under the venv scripts/bench/dlq creates in target/bench-venv (pip install
'confluent-kafka[avro]').
"""

import json
import sys
import uuid

from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: dlq_avro_python.py BOOTSTRAP TOPIC REGISTRY_URL", file=sys.stderr)
        return 2
    bootstrap, topic, registry_url = sys.argv[1:]
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-python-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    remaining = set(partitions)
    ctx = SerializationContext(topic, MessageField.VALUE)
    out = sys.stdout
    count = 0
    while remaining:
        for msg in consumer.consume(num_messages=10000, timeout=1.0):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    remaining.discard(msg.partition())
                    continue
                raise SystemExit(f"dlq_avro_python: {err}")
            key = msg.key()
            headers = {
                k[len("__connect.errors."):]: (v.decode("utf-8", "replace") if v is not None else None)
                for k, v in (msg.headers() or [])
                if k.startswith("__connect.errors.")
            }
            record = {
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": key.decode("utf-8", "replace") if key is not None else None,
                "headers": headers,
                "value": deserializer(msg.value(), ctx),
            }
            out.write(json.dumps(record, default=str))
            out.write("\n")
            count += 1
    consumer.close()
    print(f"dlq_avro_python: decoded {count} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
