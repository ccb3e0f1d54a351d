//! The connectors that ship with the worker, under Apache's class names.

pub mod file_sink;
pub mod file_source;
