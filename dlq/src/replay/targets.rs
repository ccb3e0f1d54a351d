//! Target topics. A replay writes only to topics that exist and whose names Kafka accepts: a
//! produce to a missing topic makes a broker with `auto.create.topics.enable` (the default)
//! create it silently with default settings, and a produce to an invalid name fails only when
//! the transaction times out. Both are caught when a target is first seen, before any record is
//! sent to it; with `--create-topics` a missing target is created (with the broker's default
//! partitions and replication) and reported.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::{ReplayError, ReplayOptions, client_config};
use crate::inspect::KafkaConfig;

/// What is known about the target topics of one replay.
pub(super) struct Targets {
    existing: HashSet<String>,
    /// Each target's verdict, decided once: `Err` holds why no record may go there.
    checked: HashMap<String, Result<(), String>>,
    /// The last target found fine.
    last_ok: Option<String>,
    /// Set when missing targets are to be created for real (`--create-topics`, not a dry run).
    admin: Option<AdminClient<DefaultClientContext>>,
    timeout: Duration,
    /// Topics created (or, in a dry run, to be created), in order.
    pub(super) created: Vec<String>,
}

impl Targets {
    /// Reads the cluster's topic names. The consumer's metadata request never creates a topic
    /// (librdkafka consumers send `allow_auto_topic_creation=false`).
    pub(super) fn load(
        kafka: &KafkaConfig,
        consumer: &rdkafka::consumer::BaseConsumer,
        opts: &ReplayOptions,
        timeout: Duration,
    ) -> Result<Targets, ReplayError> {
        use rdkafka::consumer::Consumer;
        let md = consumer
            .fetch_metadata(None, timeout)
            .map_err(|source| ReplayError::Kafka {
                what: "listing the cluster's topics",
                source,
            })?;
        let existing = md
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| t.name().to_owned())
            .collect();
        let admin = if opts.create_topics && !opts.dry_run {
            Some(client_config(kafka).create().map_err(ReplayError::Config)?)
        } else {
            None
        };
        Ok(Targets {
            existing,
            checked: HashMap::new(),
            last_ok: None,
            admin,
            timeout,
            created: Vec::new(),
        })
    }

    /// Whether records may be sent to `target`; `Err` says why not and what to do.
    pub(super) fn check(&mut self, target: &str, opts: &ReplayOptions) -> Result<(), String> {
        // Asked for every record, nearly always about the target of the record before.
        if self.last_ok.as_deref() == Some(target) {
            return Ok(());
        }
        let verdict = match self.checked.get(target) {
            Some(verdict) => verdict.clone(),
            None => {
                let verdict = self.first_check(target, opts);
                self.checked.insert(target.to_owned(), verdict.clone());
                verdict
            }
        };
        if verdict.is_ok() {
            self.last_ok = Some(target.to_owned());
        }
        verdict
    }

    fn first_check(&mut self, target: &str, opts: &ReplayOptions) -> Result<(), String> {
        let via = if opts.to.is_some() {
            "--to"
        } else {
            "the record's origin header"
        };
        if let Some(problem) = invalid_topic_name(target) {
            return Err(format!(
                "the target topic {:?} (from {via}) is not a valid Kafka topic name: {problem}; \
                 rerun with --to TOPIC to choose its target",
                target
            ));
        }
        if self.existing.contains(target) {
            return Ok(());
        }
        if !opts.create_topics {
            return Err(format!(
                "the target topic {target} (from {via}) does not exist; create it, or rerun with \
                 --create-topics to create it with the broker's default partitions and replication"
            ));
        }
        if let Some(admin) = &self.admin {
            let topic = NewTopic::new(target, -1, TopicReplication::Fixed(-1));
            let opts = AdminOptions::new().operation_timeout(Some(self.timeout));
            // rdkafka's admin futures are completed by its own thread, so a plain executor can
            // wait for them here, on the replay's (blocking) thread.
            let results = futures::executor::block_on(admin.create_topics([&topic], &opts))
                .map_err(|e| format!("cannot create the target topic {target}: {e}"))?;
            for r in results {
                match r {
                    Ok(_) => {}
                    // Someone else created it meanwhile: that is what was wanted.
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((_, code)) => {
                        return Err(format!("cannot create the target topic {target}: {code}"));
                    }
                }
            }
        }
        self.existing.insert(target.to_owned());
        self.created.push(target.to_owned());
        Ok(())
    }
}

/// Why Kafka would refuse `name` as a topic name (the rules of Kafka's `Topic.validate`).
pub fn invalid_topic_name(name: &str) -> Option<String> {
    const MAX: usize = 249;
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if name == "." || name == ".." {
        return Some("'.' and '..' are not allowed".to_owned());
    }
    if name.len() > MAX {
        return Some(format!(
            "it is {} characters long, at most {MAX} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Some(format!(
            "it contains {:?}; only ASCII letters, digits, '.', '_' and '-' are allowed",
            c
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::invalid_topic_name;

    #[test]
    fn topic_names() {
        for ok in ["orders", "a.b_c-D9", &"x".repeat(249)] {
            assert_eq!(invalid_topic_name(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "bad topic",
            "t\u{fffd}",
            "a/b",
            &"x".repeat(250),
        ] {
            assert!(invalid_topic_name(bad).is_some(), "{bad:?}");
        }
    }
}
