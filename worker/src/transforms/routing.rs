//! Topic routing: `RegexRouter` (rename topics by regex) and `TimestampRouter` (append the
//! record's timestamp to its topic, mostly for sinks that map topics to tables or indexes).

use connect_api::ConfigMap;

use super::date_format::DateFormat;
use super::{
    Origin, Settings, Transform, full_regex, key, key_with_default, record_string, required,
};
use crate::data::ConnectRecord;
use crate::error::{ConnectError, class};
use crate::plugin::config_def::{ConfigKey, ConfigType, DefaultValue, Importance, Validator};

pub const REGEX_ROUTER: &str = "org.apache.kafka.connect.transforms.RegexRouter";
pub static REGEX_ROUTER_DEF: &[ConfigKey] = &[
    key(
        "regex",
        ConfigType::String,
        Importance::High,
        "Regular expression to use for matching.",
        Validator::Regex,
    ),
    key(
        "replacement",
        ConfigType::String,
        Importance::High,
        "Replacement string.",
        Validator::None,
    ),
];

struct RegexRouter {
    regex: regex::Regex,
    replacement: String,
}

/// Java's `$1` group references become `${1}` so that a following letter is not taken as part
/// of the group name; `\$` is a literal dollar.
fn java_replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(o) => out.push(o),
                None => {}
            },
            '$' => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                if n.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{n}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

pub fn regex_router(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    Ok(Box::new(RegexRouter {
        regex: full_regex("regex", required(config, "regex")?)?,
        replacement: java_replacement(required(config, "replacement")?),
    }))
}

impl Transform for RegexRouter {
    fn apply(
        &self,
        mut r: ConnectRecord,
        _: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.regex.is_match(&r.topic) {
            r.topic = self
                .regex
                .replace(&r.topic, self.replacement.as_str())
                .into_owned();
        }
        Ok(Some(r))
    }
}

pub const TIMESTAMP_ROUTER: &str = "org.apache.kafka.connect.transforms.TimestampRouter";
pub static TIMESTAMP_ROUTER_DEF: &[ConfigKey] = &[
    key_with_default(
        "topic.format",
        ConfigType::String,
        DefaultValue::Value("${topic}-${timestamp}"),
        Importance::High,
        "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively.",
        Validator::None,
    ),
    key_with_default(
        "timestamp.format",
        ConfigType::String,
        DefaultValue::Value("yyyyMMdd"),
        Importance::High,
        "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
        Validator::None,
    ),
];

struct TimestampRouter {
    topic_format: String,
    /// Apache builds the formatter on first use, so a bad pattern fails each record rather
    /// than the configuration.
    timestamp_format: Result<DateFormat, String>,
}

pub fn timestamp_router(config: &ConfigMap) -> Result<Box<dyn Transform>, ConnectError> {
    let s = Settings::parse(TIMESTAMP_ROUTER_DEF, config)?;
    Ok(Box::new(TimestampRouter {
        topic_format: s.string("topic.format").unwrap_or_default(),
        timestamp_format: DateFormat::new(&s.string("timestamp.format").unwrap_or_default()),
    }))
}

impl Transform for TimestampRouter {
    fn apply(
        &self,
        mut r: ConnectRecord,
        origin: Origin<'_>,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(ts) = r.timestamp else {
            return Err(ConnectError::data(format!(
                "Timestamp missing on record: {}",
                record_string(&r, origin)
            )));
        };
        let format = self
            .timestamp_format
            .as_ref()
            .map_err(|e| ConnectError::new(class::ILLEGAL_ARGUMENT, e.clone()))?;
        let formatted = format.format(ts);
        // Two literal replacements in sequence, as Apache does them.
        let topic = self.topic_format.replace("${topic}", &r.topic);
        r.topic = topic.replace("${timestamp}", &formatted);
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::data::Value;

    #[test]
    fn regex_router_java_replacement() {
        assert_eq!(java_replacement("a$1b\\$"), "a${1}b$$");
        let t = regex_router(&cfg(&[("regex", "(.*)-raw"), ("replacement", "$1-x")])).unwrap();
        let r = run(&*t, value_record(None, Value::Null)).unwrap();
        assert_eq!(r.topic, "orders");
        let mut rec = value_record(None, Value::Null);
        rec.topic = "a-raw".into();
        assert_eq!(run(&*t, rec).unwrap().topic, "a-x");
    }

    #[test]
    fn timestamp_router_formats_the_record_timestamp() {
        let t = timestamp_router(&cfg(&[])).unwrap();
        // 1700000000123 is 2023-11-14T22:13:20.123Z.
        assert_eq!(
            run(&*t, value_record(None, Value::Null)).unwrap().topic,
            "orders-20231114"
        );
        let t = timestamp_router(&cfg(&[
            ("topic.format", "${timestamp}_${topic}_${topic}"),
            ("timestamp.format", "yyyy-MM-dd'T'HH"),
        ]))
        .unwrap();
        assert_eq!(
            run(&*t, value_record(None, s("x"))).unwrap().topic,
            "2023-11-14T22_orders_orders"
        );
    }

    #[test]
    fn timestamp_router_failures() {
        let t = timestamp_router(&cfg(&[])).unwrap();
        let mut r = value_record(None, s("v"));
        r.timestamp = None;
        let (class, msg) = err(&*t, r);
        assert_eq!(class, crate::error::class::DATA);
        assert_eq!(
            msg,
            "Timestamp missing on record: SinkRecord{kafkaOffset=42, timestampType=NoTimestampType, originalTopic=orders, originalKafkaPartition=2, originalKafkaOffset=42} ConnectRecord{topic='orders', kafkaPartition=2, key=null, keySchema=null, value=v, valueSchema=null, timestamp=null, headers=ConnectHeaders(headers=)}"
        );
        // A bad pattern is only noticed when a record is routed.
        let t = timestamp_router(&cfg(&[("timestamp.format", "yyyy-bb")])).unwrap();
        assert_eq!(
            err(&*t, value_record(None, s("v"))),
            (
                "java.lang.IllegalArgumentException".to_owned(),
                "Illegal pattern character 'b'".to_owned()
            )
        );
    }
}
