//! Dead letter queue records: what Kafka Connect (and other frameworks) write when a record fails,
//! decoded into one model that inspect and replay share.
//!
//! - [`headers`]: the names of Kafka Connect's `__connect.errors.*` headers.
//! - [`dialect`]: every header dialect (Connect, Spring Kafka, none), decoded without copying.
//! - [`raw_headers`]: header names as bytes (rdkafka's own API requires UTF-8).
//! - [`record`]: a consumed record as a borrowed view and as the owned [`DeadLetter`] JSON model.
//! - [`filter`], [`summary`], [`inspect`]: read-only reading, filtering and grouping of a topic.

pub mod avro;
pub mod cause;
pub mod dialect;
pub mod error;
pub mod filter;
pub mod fix;
pub mod headers;
pub mod inspect;
pub mod raw_headers;
pub mod record;
pub mod replay;
pub mod stats;
pub mod summary;
pub mod time;
mod wrap;

pub use dialect::{Dialect, RawContext};
pub use error::DlqError;
pub use filter::{Filter, PatternError};
pub use inspect::{KafkaConfig, PartitionRange, Reader, Start};
pub use record::{DeadLetter, Payload, RecordView};
pub use summary::{Group, Summarizer, Summary};
