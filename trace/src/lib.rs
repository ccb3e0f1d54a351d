//! Root-cause analysis of Java `printStackTrace` text as Kafka Connect returns it.
//!
//! A failed task's `trace` (REST status) and a DLQ record's
//! `__connect.errors.exception.stacktrace` header are the same 50-150 line Java dump, and the line
//! that matters (the deepest `Caused by:`) sits at the bottom. This crate turns that text into a
//! short answer: the chain of causes, the root cause, the first frame that belongs to user or
//! connector code, and a hint from a catalog of known failures (`hints.toml`) saying what to change.
//!
//! Everything here is pure and total: any string, including garbage, half a trace or a
//! megabyte-long one, yields an [`Analysis`] in linear time without panicking, because the callers
//! (status output, DLQ inspection over many records) must never fail because a trace looked odd.
//!
//! ```
//! let trace = "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n\
//!     \tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execute(RetryWithToleranceOperator.java:179)\n\
//!     Caused by: org.apache.kafka.connect.errors.DataException: Unknown schema type: null\n\
//!     \tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)\n\
//!     \t... 1 more\n";
//! let analysis = connect_trace::analyze(trace);
//! assert_eq!(analysis.root_cause.exception, "org.apache.kafka.connect.errors.DataException");
//! assert_eq!(
//!     analysis.frame.as_deref(),
//!     Some("org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)")
//! );
//! ```

#![deny(missing_docs)]

mod analysis;
mod fold;
mod frame;
mod hints;
mod parse;

pub use analysis::{Analysis, Cause, RootCause, analyze, analyze_with, root_cause};
pub use fold::folded;
pub use frame::is_runtime_frame;
pub use hints::{Catalog, CatalogError, Hint, HintContext, catalog, load_catalog};
