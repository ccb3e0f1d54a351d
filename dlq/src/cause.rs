//! The root cause of a DLQ record's stack trace, as `connectctl status` reports it for tasks:
//! the deepest `Caused by:` of the main chain, the first frame outside the Connect runtime and
//! the JDK, and a hint from `connect_trace`'s catalog.
//!
//! Many records of one DLQ share the same few traces, so [`Analyzer`] remembers recent answers:
//! analysing a trace costs microseconds, but a million of them add up.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

pub use connect_trace::RootCause;

/// Analyses a Java `printStackTrace` text; `None` for an empty trace. Never panics.
pub fn root_cause(trace: &str) -> Option<RootCause> {
    if trace.trim().is_empty() {
        return None;
    }
    Some(connect_trace::root_cause(
        trace,
        &connect_trace::HintContext::default(),
    ))
}

/// [`root_cause`] with a bounded memory of recent traces.
#[derive(Default)]
pub struct Analyzer {
    hasher: RandomState,
    seen: HashMap<u64, (Box<str>, Option<RootCause>)>,
}

impl Analyzer {
    const CAPACITY: usize = 1024;

    pub fn root_cause(&mut self, trace: &str) -> Option<RootCause> {
        let h = self.hasher.hash_one(trace);
        if let Some((t, rc)) = self.seen.get(&h) {
            if **t == *trace {
                return rc.clone();
            }
        }
        let rc = root_cause(trace);
        if self.seen.len() >= Self::CAPACITY {
            self.seen.clear();
        }
        self.seen.insert(h, (Box::from(trace), rc.clone()));
        rc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepest_cause_and_first_user_frame() {
        let t = "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded\n\
                 \tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execute(X.java:1)\n\
                 Caused by: org.apache.kafka.connect.errors.DataException: Converting failed\n\
                 \tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:333)\n\
                 Caused by: com.fasterxml.jackson.core.JsonParseException: Unexpected character ('x')\n\
                 \tat java.base/java.lang.Thread.run(Thread.java:1)\n\
                 \tat com.fasterxml.jackson.core.JsonParser._constructError(JsonParser.java:2)\n\
                 \t... 3 more\n\
                 \tSuppressed: java.io.IOException: not me\n";
        let rc = root_cause(t).unwrap();
        assert_eq!(
            rc.exception,
            "com.fasterxml.jackson.core.JsonParseException"
        );
        assert_eq!(rc.message, "Unexpected character ('x')");
        assert_eq!(
            rc.frame.as_deref(),
            Some("com.fasterxml.jackson.core.JsonParser._constructError(JsonParser.java:2)")
        );
        let mut a = Analyzer::default();
        assert_eq!(a.root_cause(t), Some(rc.clone()));
        assert_eq!(a.root_cause(t), Some(rc));
    }

    #[test]
    fn bare_message_and_empty() {
        let rc = root_cause("db down: connection refused").unwrap();
        assert_eq!(rc.exception, "");
        assert_eq!(root_cause(""), None);
        assert_eq!(root_cause("\n \n"), None);
    }

    #[test]
    fn garbage_is_total() {
        for s in [
            "Caused by: ",
            ":",
            "\tat ",
            "a.b.C",
            "\u{0}\u{fffd}:\n\tat x",
        ] {
            let _ = root_cause(s);
        }
    }
}
