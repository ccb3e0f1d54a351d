//! Filtering: the `Filter` transform (drops every record it is applied to, so it is used with a
//! predicate) and the three predicates Apache ships.

use connect_api::ConfigMap;

use super::{Origin, Predicate, Transform, full_regex, key, required};
use crate::data::ConnectRecord;
use crate::error::ConnectError;
use crate::plugin::config_def::{ConfigKey, ConfigType, Importance, Validator};

pub const FILTER: &str = "org.apache.kafka.connect.transforms.Filter";
pub static FILTER_DEF: &[ConfigKey] = &[];

struct Filter;

pub fn filter(_: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(Filter))
}

impl Transform for Filter {
    fn apply(
        &self,
        _: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(None)
    }
}

pub const TOPIC_NAME_MATCHES: &str =
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";
pub static TOPIC_NAME_MATCHES_DEF: &[ConfigKey] = &[key(
    "pattern",
    ConfigType::String,
    Importance::Medium,
    "A Java regular expression for matching against the name of a record's topic.",
    Validator::Regex,
)];

struct TopicNameMatches(regex::Regex);

pub fn topic_name_matches(config: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(TopicNameMatches(full_regex(
        "pattern",
        required(config, "pattern")?,
    )?)))
}

impl Predicate for TopicNameMatches {
    fn test(&self, r: &ConnectRecord) -> bool {
        self.0.is_match(&r.topic)
    }
}

pub const HAS_HEADER_KEY: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";
pub static HAS_HEADER_KEY_DEF: &[ConfigKey] = &[key(
    "name",
    ConfigType::String,
    Importance::Medium,
    "The header name.",
    Validator::NonEmptyString,
)];

struct HasHeaderKey(String);

pub fn has_header_key(config: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(HasHeaderKey(required(config, "name")?.to_owned())))
}

impl Predicate for HasHeaderKey {
    fn test(&self, r: &ConnectRecord) -> bool {
        r.headers.iter().any(|h| h.key == self.0)
    }
}

pub const RECORD_IS_TOMBSTONE: &str =
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";
pub static RECORD_IS_TOMBSTONE_DEF: &[ConfigKey] = &[];

struct RecordIsTombstone;

pub fn record_is_tombstone(_: &ConfigMap) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(RecordIsTombstone))
}

impl Predicate for RecordIsTombstone {
    fn test(&self, r: &ConnectRecord) -> bool {
        r.value.is_null()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::data::Value;

    #[test]
    fn predicates() {
        let mut r = value_record(None, Value::Null);
        assert!(record_is_tombstone(&cfg(&[])).unwrap().test(&r));
        r.headers.push(header("h", s("x")));
        assert!(has_header_key(&cfg(&[("name", "h")])).unwrap().test(&r));
        assert!(!has_header_key(&cfg(&[("name", "g")])).unwrap().test(&r));
        // The pattern must match the whole topic name.
        assert!(
            !topic_name_matches(&cfg(&[("pattern", "ord")]))
                .unwrap()
                .test(&r)
        );
        assert!(
            topic_name_matches(&cfg(&[("pattern", "ord.*")]))
                .unwrap()
                .test(&r)
        );
        assert!(run_filter(r));
    }

    fn run_filter(r: ConnectRecord) -> bool {
        filter(&cfg(&[])).unwrap().apply(r, SINK).unwrap().is_none()
    }
}
