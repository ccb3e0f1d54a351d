//! The runtime: the herder that owns connector lifecycles, the stores behind it, and the task
//! loops that move records between connectors and Kafka.

pub mod errant;
pub mod errors;
pub mod herder;
pub mod kafka;
pub mod metrics;
pub mod sink_task;
pub mod source_task;
pub mod store;
pub mod transactions;
pub mod worker;

#[cfg(test)]
mod plugin_hooks_tests;
