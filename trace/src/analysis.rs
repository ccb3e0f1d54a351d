//! The result of analysing one trace, and the `root_cause` JSON object the CLI prints.

use serde::Serialize;

use crate::frame;
use crate::hints::{self, Hint, HintContext};
use crate::parse::{self, Block};

/// One throwable of the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// Fully qualified class name; `""` when the trace is a bare message.
    pub exception: String,
    /// The message, possibly spanning several lines; `""` when Java printed none.
    pub message: String,
}

impl Cause {
    /// The class name without its package (`PSQLException`), for compact display.
    pub fn simple_name(&self) -> &str {
        let e = self.exception.as_str();
        let start = e.rfind(['.', ':']).map_or(0, |i| i + 1);
        &e[start..]
    }
}

/// Everything the crate can tell about one trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// The main cause chain, outermost first; never empty.
    pub chain: Vec<Cause>,
    /// The deepest `Caused by:` of the main chain (suppressed exceptions never count).
    pub root_cause: Cause,
    /// The first frame outside the Connect runtime and the JDK, looking at the root cause's own
    /// frames first (where it was thrown), then outward through the chain.
    pub frame: Option<String>,
    /// The matching catalog entry, rendered with the context given to [`analyze_with`].
    pub hint: Option<Hint>,
    /// Headers of `Suppressed:` throwables (and their causes), in order of appearance.
    pub suppressed: Vec<Cause>,
}

/// The `root_cause` object of `connectctl status -o json` (see DESIGN.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RootCause {
    /// FQCN of the deepest cause, `""` for a bare message.
    pub exception: String,
    /// Message of the deepest cause.
    pub message: String,
    /// The whole chain, outermost first.
    pub chain: Vec<Cause>,
    /// First frame outside the Connect runtime and the JDK, or null.
    pub frame: Option<String>,
    /// Null, or `{id, summary, fix, docs, transient}`.
    pub hint: Option<Hint>,
}

impl Analysis {
    /// Whether the catalog knows this failure as transient (`Some(true)`: an outage or a
    /// rebalance, a restart can fix it), as a configuration or data error (`Some(false)`), or
    /// does not know it (`None`).
    pub fn transient(&self) -> Option<bool> {
        self.hint.as_ref().map(|h| h.transient)
    }
}

impl RootCause {
    /// As [`Analysis::transient`].
    pub fn transient(&self) -> Option<bool> {
        self.hint.as_ref().map(|h| h.transient)
    }
}

impl From<Analysis> for RootCause {
    fn from(a: Analysis) -> Self {
        RootCause {
            exception: a.root_cause.exception,
            message: a.root_cause.message,
            chain: a.chain,
            frame: a.frame,
            hint: a.hint,
        }
    }
}

/// Analyses a trace with no knowledge of the connector; placeholders in the hint's fix read
/// `<connector>` and `<dlq-topic>`. Never panics, whatever the input.
pub fn analyze(trace: &str) -> Analysis {
    analyze_with(trace, &HintContext::default())
}

/// Analyses a trace and renders the hint for the given connector and config.
pub fn analyze_with(trace: &str, ctx: &HintContext<'_>) -> Analysis {
    let parsed = parse::parse(trace);
    let frame = first_outside_frame(&parsed.chain);
    let chain: Vec<Cause> = parsed
        .chain
        .into_iter()
        .map(|b| Cause {
            exception: b.exception,
            message: b.message,
        })
        .collect();
    let root_cause = chain.last().cloned().unwrap_or_default();
    let hint = hints::catalog().find(&chain).map(|h| h.render(ctx));
    let suppressed = parsed
        .suppressed
        .into_iter()
        .map(|(exception, message)| Cause { exception, message })
        .collect();
    Analysis {
        chain,
        root_cause,
        frame,
        hint,
        suppressed,
    }
}

/// Shorthand for the CLI: the `root_cause` JSON object for a trace.
pub fn root_cause(trace: &str, ctx: &HintContext<'_>) -> RootCause {
    analyze_with(trace, ctx).into()
}

/// The root cause is where the exception was thrown, so its frames come first; frames it shares
/// with its wrapper are elided as `... N more`, which is why the walk continues outward.
fn first_outside_frame(chain: &[Block<'_>]) -> Option<String> {
    chain
        .iter()
        .rev()
        .flat_map(|b| b.frames.iter())
        .find(|f| !frame::is_runtime_frame(f))
        .map(|f| f.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_names() {
        let c = Cause {
            exception: "org.postgresql.util.PSQLException".into(),
            message: "".into(),
        };
        assert_eq!(c.simple_name(), "PSQLException");
        let c = Cause {
            exception: "a::b::E".into(),
            message: "".into(),
        };
        assert_eq!(c.simple_name(), "E");
        assert_eq!(Cause::default().simple_name(), "");
    }

    #[test]
    fn root_cause_json_shape() {
        let rc = root_cause("Failed to connect to host", &HintContext::new("c"));
        let v = serde_json::to_value(&rc).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["exception", "message", "chain", "frame", "hint"]);
        assert_eq!(v["exception"], "");
        assert_eq!(v["message"], "Failed to connect to host");
        assert_eq!(v["chain"][0]["exception"], "");
        assert!(v["frame"].is_null());
        let hint = v["hint"].as_object().unwrap();
        assert!(hint.contains_key("summary") && hint.contains_key("fix"));
    }

    #[test]
    fn frame_prefers_root_cause_then_walks_outward() {
        let t = "a.b.Outer: o\n\tat org.acme.Task.put(Task.java:10)\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.poll(WorkerSinkTask.java:1)\nCaused by: a.b.Inner: i\n\tat java.base/java.net.Socket.connect(Socket.java:1)\n\t... 2 more\n";
        assert_eq!(
            analyze(t).frame.as_deref(),
            Some("org.acme.Task.put(Task.java:10)")
        );
        let t = "a.b.Outer: o\n\tat org.acme.Task.put(Task.java:10)\nCaused by: a.b.Inner: i\n\tat org.postgresql.Driver.connect(Driver.java:5)\n\t... 1 more\n";
        assert_eq!(
            analyze(t).frame.as_deref(),
            Some("org.postgresql.Driver.connect(Driver.java:5)")
        );
        assert_eq!(
            analyze("a.b.E: only runtime\n\tat java.lang.Thread.run(Thread.java:1)\n").frame,
            None
        );
    }
}
