//! Dead letter queue records: what Kafka Connect (and other frameworks) write when a record fails,
//! decoded into one model that inspect and replay share.

pub mod fix;
pub mod headers;
