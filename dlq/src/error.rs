//! Errors of the DLQ library. Each message describes this layer only; the Kafka client's own
//! error, when there is one, is the `source`.

use rdkafka::error::KafkaError;

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("invalid Kafka client setting")]
    Config(#[source] KafkaError),
    #[error(
        "cannot reach Kafka at {bootstrap} within {timeout_secs}s: {reason} \
         (check the bootstrap servers and any -X security settings)"
    )]
    Unreachable {
        bootstrap: String,
        timeout_secs: u64,
        reason: String,
    },
    #[error("topic {topic} does not exist{}", similar_hint(similar))]
    UnknownTopic { topic: String, similar: Vec<String> },
    #[error("partition {partition} does not exist in topic {topic} (it has {count} partitions)")]
    NoSuchPartition {
        topic: String,
        partition: i32,
        count: usize,
    },
    #[error(
        "offset {offset} is not in partition {partition} of {topic}: it holds offsets {low}..{high}"
    )]
    OffsetOutOfRange {
        topic: String,
        partition: i32,
        offset: i64,
        low: i64,
        high: i64,
    },
    #[error("cannot read topic {topic}")]
    Read {
        topic: String,
        #[source]
        source: KafkaError,
    },
}

fn similar_hint(similar: &[String]) -> String {
    if similar.is_empty() {
        String::new()
    } else {
        format!(
            "; topics that look like dead letter queues: {}",
            similar.join(", ")
        )
    }
}
