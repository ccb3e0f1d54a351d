//! The connectors that ship with the worker, under Apache's class names: one folder each.
//! A connector is known to the worker only through its entry in [`crate::registry`].

pub mod file;
pub mod jdbc;
pub mod postgres_cdc;

#[cfg(test)]
pub mod testing;
