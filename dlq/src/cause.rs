//! The root cause of a DLQ record's stack trace: the deepest `Caused by:` of the main chain and
//! the first frame outside the Connect runtime and the JDK, found by `connect_trace` exactly as
//! `connectctl status` finds it for a failed task.
//!
//! A record carries only this compact answer; the full analysis (the chain and a hint from the
//! catalog) is for showing one record, via `connect_trace` directly. Many records of one DLQ
//! share the same few traces, so [`Analyzer`] remembers recent answers: analysing a trace costs
//! microseconds, but a million of them add up.

use serde::Serialize;

/// The innermost exception of a trace and where it was thrown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootCause {
    /// Fully qualified class; `""` when the trace is a bare message.
    pub exception: String,
    pub message: String,
    /// The first frame outside the Connect runtime and the JDK.
    pub frame: Option<String>,
}

/// Analyses a Java `printStackTrace` text; `None` for an empty trace. Never panics.
pub fn root_cause(trace: &str) -> Option<RootCause> {
    if trace.trim().is_empty() {
        return None;
    }
    let a = connect_trace::analyze(trace);
    Some(RootCause {
        exception: a.root_cause.exception,
        message: a.root_cause.message,
        frame: a.frame,
    })
}

/// [`root_cause`] with a small memory of recent traces. Lookup is a length check and a
/// `memcmp` against a handful of entries, cheaper than hashing a multi-kilobyte trace.
#[derive(Default)]
pub struct Analyzer {
    seen: Vec<(Box<str>, Option<RootCause>)>,
    next_evict: usize,
}

impl Analyzer {
    const CAPACITY: usize = 16;

    pub fn root_cause(&mut self, trace: &str) -> Option<&RootCause> {
        self.root_cause_of_bytes(trace.as_bytes())
    }

    /// [`Analyzer::root_cause`] of a trace as it sits in a header: a trace seen before is found
    /// without reading it as text again.
    pub fn root_cause_of_bytes(&mut self, trace: &[u8]) -> Option<&RootCause> {
        // Traces that are not UTF-8 never match (the text kept has replacement characters), and
        // are analysed each time, which is right if slow.
        let i = match self.seen.iter().position(|(t, _)| t.as_bytes() == trace) {
            Some(i) => i,
            None => {
                let text = String::from_utf8_lossy(trace);
                let entry = (Box::from(&*text), root_cause(&text));
                if self.seen.len() < Self::CAPACITY {
                    self.seen.push(entry);
                    self.seen.len() - 1
                } else {
                    let i = self.next_evict;
                    self.next_evict = (i + 1) % Self::CAPACITY;
                    self.seen[i] = entry;
                    i
                }
            }
        };
        self.seen[i].1.as_ref()
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
        assert_eq!(a.root_cause(t), Some(&rc));
        assert_eq!(a.root_cause(t), Some(&rc));
    }

    #[test]
    fn analyzer_evicts_but_stays_correct() {
        let mut a = Analyzer::default();
        for round in 0..2 {
            for i in 0..40 {
                let t = format!("a.b.E{i}: m{i}");
                let rc = a.root_cause(&t).cloned().unwrap();
                assert_eq!(
                    (rc.exception, rc.message),
                    (format!("a.b.E{i}"), format!("m{i}")),
                    "{round}"
                );
            }
        }
        assert!(a.seen.len() <= Analyzer::CAPACITY);
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
