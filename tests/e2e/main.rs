//! Workspace-level end-to-end tests against the real environment.

mod environment;
