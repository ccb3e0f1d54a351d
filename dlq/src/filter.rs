//! Which DLQ records a command looks at. Every test works on the borrowed [`RecordView`] and on
//! raw bytes (`regex::bytes`), so filtering a large topic copies nothing.

use regex::bytes::{Regex, RegexBuilder};

use crate::cause;
use crate::dialect::text;
use crate::record::RecordView;

/// A bad filter pattern, named by the flag it came from.
#[derive(Debug, thiserror::Error)]
#[error("invalid --{flag} pattern")]
pub struct PatternError {
    pub flag: &'static str,
    #[source]
    pub source: regex::Error,
}

/// All conditions must hold; an unset one matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exception class (or, for Spring, its cause class, or the stack trace's root cause).
    pub exception: Option<Regex>,
    /// Stage name, case-insensitive (`VALUE_CONVERTER`, `TRANSFORMATION`, ...).
    pub stage: Option<String>,
    /// Connector name (Spring: consumer group), exact.
    pub connector: Option<String>,
    /// Keep records that name no connector at all. Set when the topic is the connector's own
    /// DLQ, where records without context headers still belong to it.
    pub keep_unattributed: bool,
    /// Original topic, exact.
    pub original_topic: Option<String>,
    /// Searched in the exception message and the stack trace.
    pub grep: Option<Regex>,
    /// Searched in the record key.
    pub key: Option<Regex>,
}

impl Filter {
    /// Compiles a pattern for one of the regex flags. Patterns are regular expressions, so a
    /// plain word such as `DataException` matches as a substring.
    pub fn pattern(flag: &'static str, pattern: &str) -> Result<Regex, PatternError> {
        RegexBuilder::new(pattern)
            .size_limit(1 << 22)
            .build()
            .map_err(|source| PatternError { flag, source })
    }

    pub fn is_empty(&self) -> bool {
        self.exception.is_none()
            && self.stage.is_none()
            && self.connector.is_none()
            && self.original_topic.is_none()
            && self.grep.is_none()
            && self.key.is_none()
    }

    pub fn matches(&self, v: &RecordView<'_>) -> bool {
        let c = &v.context;
        if let Some(stage) = &self.stage {
            if !c
                .stage
                .is_some_and(|s| s.eq_ignore_ascii_case(stage.as_bytes()))
            {
                return false;
            }
        }
        if let Some(name) = &self.connector {
            match c.owner() {
                Some(owner) if owner == name.as_bytes() => {}
                None if self.keep_unattributed => {}
                _ => return false,
            }
        }
        if let Some(topic) = &self.original_topic {
            if c.original_topic != Some(topic.as_bytes()) {
                return false;
            }
        }
        if let Some(re) = &self.key {
            if !v.key.is_some_and(|k| re.is_match(k)) {
                return false;
            }
        }
        if let Some(re) = &self.grep {
            let hit = c.exception_message.is_some_and(|m| re.is_match(m))
                || c.stacktrace.is_some_and(|t| re.is_match(t));
            if !hit {
                return false;
            }
        }
        if let Some(re) = &self.exception {
            let hit = c.exception_class.is_some_and(|e| re.is_match(e))
                || c.cause_class.is_some_and(|e| re.is_match(e))
                || c.stacktrace.is_some_and(|t| {
                    cause::root_cause(&text(t))
                        .is_some_and(|rc| re.is_match(rc.exception.as_bytes()))
                });
            if !hit {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers;
    use crate::record::HeaderList;

    const HS: &[(&str, Option<&[u8]>)] = &[
        (headers::TOPIC, Some(b"orders")),
        (headers::PARTITION, Some(b"0")),
        (headers::OFFSET, Some(b"1")),
        (headers::CONNECTOR, Some(b"sink-a")),
        (headers::STAGE, Some(b"VALUE_CONVERTER")),
        (headers::EXCEPTION_CLASS, Some(b"org.apache.kafka.connect.errors.DataException")),
        (headers::EXCEPTION_MESSAGE, Some(b"JsonConverter with schemas.enable requires")),
        (
            headers::EXCEPTION_STACKTRACE,
            Some(b"org.apache.kafka.connect.errors.DataException: a\nCaused by: com.x.JsonParseException: b\n"),
        ),
    ];

    fn v(hs: &'static [(&'static str, Option<&'static [u8]>)]) -> RecordView<'static> {
        RecordView::new(
            "d",
            0,
            0,
            None,
            Some(b"user-42"),
            None,
            HeaderList::Slice(hs),
        )
    }

    fn f() -> Filter {
        Filter::default()
    }

    #[test]
    fn each_condition() {
        let r = v(HS);
        assert!(f().matches(&r));
        let re = |p| Filter::pattern("x", p).unwrap();
        assert!(
            Filter {
                stage: Some("value_converter".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            !Filter {
                stage: Some("TRANSFORMATION".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                connector: Some("sink-a".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            !Filter {
                connector: Some("sink".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                original_topic: Some("orders".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            !Filter {
                original_topic: Some("order".into()),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                key: Some(re("^user-\\d+$")),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            !Filter {
                key: Some(re("^admin")),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                grep: Some(re("schemas\\.enable")),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            !Filter {
                grep: Some(re("timeout")),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                exception: Some(re("DataException")),
                ..f()
            }
            .matches(&r)
        );
        assert!(
            Filter {
                exception: Some(re("JsonParse")),
                ..f()
            }
            .matches(&r),
            "root cause"
        );
        assert!(
            !Filter {
                exception: Some(re("Serialization")),
                ..f()
            }
            .matches(&r)
        );
    }

    #[test]
    fn unattributed_records() {
        let r = v(&[]);
        assert!(
            !Filter {
                connector: Some("sink-a".into()),
                ..f()
            }
            .matches(&r)
        );
        let own = Filter {
            connector: Some("sink-a".into()),
            keep_unattributed: true,
            ..f()
        };
        assert!(own.matches(&r));
        assert!(
            !Filter {
                stage: Some("X".into()),
                ..f()
            }
            .matches(&r)
        );
    }

    #[test]
    fn bad_pattern_names_the_flag() {
        let e = Filter::pattern("grep", "(").unwrap_err();
        assert_eq!(e.to_string(), "invalid --grep pattern");
    }
}
