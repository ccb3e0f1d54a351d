//! Workspace-level end-to-end tests against the real environment.

mod against_worker;
mod debezium;
mod environment;
mod install;
mod release;
