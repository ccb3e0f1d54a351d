//! The distributed worker keys (`DistributedConfig`), with Apache's defaults.

use std::collections::BTreeMap;
use std::time::Duration;

use super::protocol::Protocol;
use crate::config::ConfigError;

/// One internal topic: name, partitions, replication factor (-1: the broker's default).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i32,
}

#[derive(Debug, Clone)]
pub struct DistributedConfig {
    pub group_id: String,
    pub config_topic: TopicSpec,
    pub offset_topic: TopicSpec,
    pub status_topic: TopicSpec,
    pub protocol: Protocol,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub rebalance_timeout: Duration,
    pub scheduled_rebalance_max_delay: Duration,
    pub worker_sync_timeout: Duration,
    pub worker_unsync_backoff: Duration,
    pub inter_worker_key_ttl: Duration,
    pub inter_worker_signature_algorithm: String,
    pub inter_worker_key_algorithm: String,
    pub inter_worker_verification_algorithms: Vec<String>,
    pub exactly_once_source: ExactlyOnceSource,
}

/// `exactly.once.source.support` (KIP-618).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSource {
    Disabled,
    /// The leader writes the config topic in transactions, fencing out a zombie leader, so
    /// that the group can then be switched to `enabled` worker by worker.
    Preparing,
    /// Source tasks write their records and offsets in transactions; old task generations
    /// are fenced out before new ones start.
    Enabled,
}

impl ExactlyOnceSource {
    /// Whether the leader writes the config topic through a transactional producer.
    pub fn transactional_leader(self) -> bool {
        self != ExactlyOnceSource::Disabled
    }
}

/// `connect-cluster-<group>`: the transactional id of the leader's config-topic producer.
pub fn leader_transactional_id(group: &str) -> String {
    format!("connect-cluster-{group}")
}

/// `<group>-<connector>-<task>`: the transactional id of an exactly-once source task's producer.
pub fn task_transactional_id(group: &str, connector: &str, task: u32) -> String {
    format!("{group}-{connector}-{task}")
}

fn required(raw: &BTreeMap<String, String>, key: &'static str) -> Result<String, ConfigError> {
    raw.get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::Missing(key))
}

fn int(
    raw: &BTreeMap<String, String>,
    key: &'static str,
    default: i64,
) -> Result<i64, ConfigError> {
    match raw.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
            key,
            value: v.to_owned(),
            reason: "expected a whole number".to_owned(),
        }),
    }
}

fn millis(
    raw: &BTreeMap<String, String>,
    key: &'static str,
    default: i64,
) -> Result<Duration, ConfigError> {
    let v = int(raw, key, default)?;
    if v < 0 {
        return Err(ConfigError::Invalid {
            key,
            value: v.to_string(),
            reason: "expected milliseconds, at least 0".to_owned(),
        });
    }
    Ok(Duration::from_millis(v as u64))
}

const DEFAULT_ALGORITHM: &str = "HmacSHA256";

fn checked_algorithm(key: &'static str, name: &str) -> Result<String, ConfigError> {
    if super::signature::key_size(name) == 0 {
        return Err(ConfigError::Invalid {
            key,
            value: name.to_owned(),
            reason: format!(
                "expected one of {} (the MAC algorithms this worker signs with)",
                super::signature::ALGORITHMS.join(", ")
            ),
        });
    }
    Ok(name.to_owned())
}

fn algorithm(raw: &BTreeMap<String, String>, key: &'static str) -> Result<String, ConfigError> {
    match raw.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(DEFAULT_ALGORITHM.to_owned()),
        Some(v) => checked_algorithm(key, v),
    }
}

impl DistributedConfig {
    pub fn from_worker(raw: &BTreeMap<String, String>) -> Result<DistributedConfig, ConfigError> {
        let topic = |name: &'static str,
                     partitions: Option<(&'static str, i64)>,
                     rf: &'static str|
         -> Result<TopicSpec, ConfigError> {
            let partitions = match partitions {
                Some((key, default)) => int(raw, key, default)? as i32,
                None => 1,
            };
            let replication_factor = int(raw, rf, 3)? as i32;
            if replication_factor == 0 || replication_factor < -1 {
                return Err(ConfigError::Invalid {
                    key: rf,
                    value: replication_factor.to_string(),
                    reason: "expected a positive number, or -1 for the broker's default".into(),
                });
            }
            Ok(TopicSpec {
                name: required(raw, name)?,
                partitions,
                replication_factor,
            })
        };
        let protocol_text = raw
            .get("connect.protocol")
            .map(|p| p.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "sessioned".into());
        let protocol = Protocol::from_name(&protocol_text).ok_or_else(|| ConfigError::Invalid {
            key: "connect.protocol",
            value: protocol_text.clone(),
            reason: "expected one of eager, compatible, sessioned".to_owned(),
        })?;
        Ok(DistributedConfig {
            group_id: required(raw, "group.id")?,
            config_topic: topic(
                "config.storage.topic",
                None,
                "config.storage.replication.factor",
            )?,
            offset_topic: topic(
                "offset.storage.topic",
                Some(("offset.storage.partitions", 25)),
                "offset.storage.replication.factor",
            )?,
            status_topic: topic(
                "status.storage.topic",
                Some(("status.storage.partitions", 5)),
                "status.storage.replication.factor",
            )?,
            protocol,
            session_timeout: millis(raw, "session.timeout.ms", 10_000)?,
            heartbeat_interval: millis(raw, "heartbeat.interval.ms", 3_000)?,
            rebalance_timeout: millis(raw, "rebalance.timeout.ms", 60_000)?,
            scheduled_rebalance_max_delay: millis(
                raw,
                "scheduled.rebalance.max.delay.ms",
                300_000,
            )?,
            worker_sync_timeout: millis(raw, "worker.sync.timeout.ms", 3_000)?,
            worker_unsync_backoff: millis(raw, "worker.unsync.backoff.ms", 300_000)?,
            inter_worker_key_ttl: millis(raw, "inter.worker.key.ttl.ms", 3_600_000)?,
            inter_worker_signature_algorithm: algorithm(raw, "inter.worker.signature.algorithm")?,
            inter_worker_key_algorithm: algorithm(raw, "inter.worker.key.generation.algorithm")?,
            inter_worker_verification_algorithms: match raw
                .get("inter.worker.verification.algorithms")
                .map(|v| v.trim())
            {
                None | Some("") => vec![DEFAULT_ALGORITHM.to_owned()],
                Some(list) => list
                    .split(',')
                    .map(|a| checked_algorithm("inter.worker.verification.algorithms", a.trim()))
                    .collect::<Result<_, _>>()?,
            },
            exactly_once_source: match raw
                .get("exactly.once.source.support")
                .map(|v| v.trim().to_ascii_lowercase())
                .as_deref()
            {
                None | Some("disabled") => ExactlyOnceSource::Disabled,
                Some("preparing") => ExactlyOnceSource::Preparing,
                Some("enabled") => ExactlyOnceSource::Enabled,
                Some(v) => {
                    return Err(ConfigError::Invalid {
                        key: "exactly.once.source.support",
                        value: v.to_owned(),
                        reason: "String must be one of: disabled, preparing, enabled".to_owned(),
                    });
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BTreeMap<String, String> {
        [
            ("group.id", "g"),
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn apache_defaults() {
        let c = DistributedConfig::from_worker(&base()).unwrap();
        assert_eq!(c.protocol, Protocol::Sessioned);
        assert_eq!(c.offset_topic.partitions, 25);
        assert_eq!(c.status_topic.partitions, 5);
        assert_eq!(c.config_topic.partitions, 1);
        assert_eq!(c.config_topic.replication_factor, 3);
        assert_eq!(c.session_timeout, Duration::from_secs(10));
        assert_eq!(c.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(c.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(c.worker_unsync_backoff, Duration::from_secs(300));
        assert_eq!(c.inter_worker_key_algorithm, "HmacSHA256");
        assert_eq!(c.inter_worker_verification_algorithms, vec!["HmacSHA256"]);
        assert_eq!(c.exactly_once_source, ExactlyOnceSource::Disabled);
        let mut m = base();
        m.insert("exactly.once.source.support".into(), "Enabled".into());
        let c = DistributedConfig::from_worker(&m).unwrap();
        assert_eq!(c.exactly_once_source, ExactlyOnceSource::Enabled);
        m.insert("exactly.once.source.support".into(), "on".into());
        let e = DistributedConfig::from_worker(&m).unwrap_err().to_string();
        assert!(
            e.contains("exactly.once.source.support") && e.contains("preparing"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_invalid_keys_are_named() {
        let mut m = base();
        m.remove("group.id");
        let e = DistributedConfig::from_worker(&m).unwrap_err().to_string();
        assert!(e.contains("group.id"), "{e}");
        let mut m = base();
        m.insert("connect.protocol".into(), "fast".into());
        let e = DistributedConfig::from_worker(&m).unwrap_err().to_string();
        assert!(e.contains("connect.protocol") && e.contains("eager"), "{e}");
        let mut m = base();
        m.insert("session.timeout.ms".into(), "soon".into());
        assert!(
            DistributedConfig::from_worker(&m)
                .unwrap_err()
                .to_string()
                .contains("session.timeout.ms")
        );
        let mut m = base();
        m.insert(
            "inter.worker.verification.algorithms".into(),
            "HmacSHA256, HmacMD5".into(),
        );
        let e = DistributedConfig::from_worker(&m).unwrap_err().to_string();
        assert!(
            e.contains("inter.worker.verification.algorithms") && e.contains("HmacMD5"),
            "{e}"
        );
    }
}
