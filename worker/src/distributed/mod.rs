//! Distributed mode: workers that share connectors and tasks through a Kafka group, in Apache
//! Kafka Connect's own group protocol and internal topic formats, so a connect-worker can be a
//! member of a group of Apache Kafka Connect workers.
//!
//! - [`config`]: the distributed worker keys;
//! - [`protocol`]: member metadata and assignments in Apache's byte layouts;
//! - [`group`]: the group member (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup);
//! - [`assignor`]: the leader's eager round-robin assignment;
//! - [`incremental`]: the leader's incremental cooperative assignment;
//! - [`signature`]: signed internal requests under `sessioned`;
//! - [`klog`]: an internal topic read from the beginning and written with acknowledgements;
//! - [`config_store`], [`status_store`], [`offset_store`]: the config, status and offsets
//!   topics in Apache's keys and JSON values;
//! - [`connector_offsets`]: connector-specific offsets topics (`offsets.storage.topic`);
//! - [`fencing`]: zombie fencing for exactly-once source connectors;
//! - [`herder`]: membership, assignment and the herder glue that runs assigned work.

pub mod assignor;
pub mod config;
pub mod config_store;
pub mod connector_offsets;
pub mod fencing;
pub mod group;
pub mod herder;
pub mod incremental;
pub mod klog;
pub mod offset_store;
pub mod protocol;
pub mod rest;
pub mod signature;
pub mod start;
pub mod status_store;
