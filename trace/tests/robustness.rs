//! Totality and scale: any input yields an analysis without panicking, and megabyte traces
//! (a DLQ header can carry one) are handled in linear time.

use std::fmt::Write;
use std::time::Instant;

use connect_trace::{analyze, folded};
use proptest::prelude::*;

/// Pieces real traces are made of, plus the odd ones that stress the parser's edge cases.
const FRAGMENTS: &[&str] = &[
    "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler",
    "java.sql.SQLException: ERROR: relation \"x\" does not exist",
    "  Position: 15",
    "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.poll(WorkerSinkTask.java:358)",
    "\tat java.base/java.lang.Thread.run(Thread.java:840)",
    "\tat org.acme.Sink.put(Sink.java:12)",
    "\tat app//org.acme.Sink$$Lambda$14/0x0000000800c03000.apply(Unknown Source)",
    "Caused by: org.apache.kafka.connect.errors.DataException: Unknown magic byte!",
    "Caused by: ",
    "Caused by:",
    "\t... 14 more",
    "\t...  more",
    "\t... 3 runtime frames",
    "\tSuppressed: java.io.IOException: close failed",
    "\t\tat org.acme.Res.close(Res.java:3)",
    "\tCaused by: java.net.SocketException: Broken pipe",
    "\t\t... 2 more",
    " at [Source: (byte[])\"x\"; line: 1, column: 2]",
    "\t[CIRCULAR REFERENCE: java.io.IOException: close failed]",
    "Failed to connect to host",
    "",
    "\t",
    "\r",
    "at",
    "\tat ",
    "\tat (",
    "\tat )(",
    "é\u{0}\u{feff}",
    ":",
    "a.B:",
];

fn fragment_trace() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.join("\n"))
}

fn check(input: &str) {
    let a = analyze(input);
    assert!(!a.chain.is_empty());
    assert_eq!(a.chain.last(), Some(&a.root_cause));
    let causes = input
        .lines()
        .filter(|l| l.trim_start().starts_with("Caused by:"))
        .count();
    assert!(a.chain.len() <= causes + 1);
    let _ = serde_json::to_string(&connect_trace::RootCause::from(a)).unwrap();
    let _ = analyze(&folded(input));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn trace_like_strings_never_panic(s in fragment_trace()) {
        check(&s);
    }

    #[test]
    fn folding_never_changes_the_root_cause(s in fragment_trace()) {
        // A trace that starts with an indented line is measured differently once folded, so
        // give every generated trace a header, as real ones have.
        let s = format!("a.b.TopException: top\n{s}");
        let (a, b) = (analyze(&s), analyze(&folded(&s)));
        prop_assert_eq!(a.chain, b.chain);
        prop_assert_eq!(a.frame, b.frame);
    }
}

fn megabyte_trace() -> String {
    let mut t = String::from(
        "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n",
    );
    for i in 0..2_000 {
        writeln!(t, "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:{i})").unwrap();
    }
    for depth in 0..500 {
        writeln!(
            t,
            "Caused by: org.acme.Level{depth}Exception: failed at depth {depth}: with: colons"
        )
        .unwrap();
        writeln!(t, "  continuation line of the message {depth}").unwrap();
        for i in 0..10 {
            writeln!(
                t,
                "\tat java.base/java.lang.reflect.Method.invoke(Method.java:{i})"
            )
            .unwrap();
        }
        writeln!(t, "\tSuppressed: java.io.IOException: close {depth}").unwrap();
        writeln!(t, "\t\tat org.acme.Res.close(Res.java:{depth})").unwrap();
        writeln!(t, "\t\t... 3 more").unwrap();
        writeln!(t, "\t... 2000 more").unwrap();
    }
    t.push_str(
        "Caused by: org.postgresql.util.PSQLException: ERROR: relation \"orders\" does not exist\n",
    );
    while t.len() < 1 << 20 {
        t.push_str("  Detail: a very long multi-line message that keeps going and going\n");
    }
    t.push_str("\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)\n");
    t.push_str("\t... 2000 more\n");
    t
}

#[test]
fn megabyte_trace_parses() {
    let trace = megabyte_trace();
    assert!(trace.len() >= 1 << 20);
    // Compile the catalog first: that one-off cost is not what this measures.
    let _ = analyze("");
    let start = Instant::now();
    let a = analyze(&trace);
    let elapsed = start.elapsed();
    println!("analyzed {} bytes in {elapsed:?}", trace.len());
    assert_eq!(a.chain.len(), 502);
    assert_eq!(a.root_cause.exception, "org.postgresql.util.PSQLException");
    assert!(
        a.root_cause
            .message
            .starts_with("ERROR: relation \"orders\" does not exist\n  Detail")
    );
    assert_eq!(
        a.frame.as_deref(),
        Some(
            "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)"
        )
    );
    assert_eq!(
        a.hint.map(|h| h.id).as_deref(),
        Some("postgres-relation-missing")
    );
    assert_eq!(a.suppressed.len(), 500);

    let start = Instant::now();
    let f = folded(&trace);
    println!("folded {} bytes in {:?}", trace.len(), start.elapsed());
    assert!(f.len() < trace.len());
}

#[test]
fn megabyte_single_line_parses() {
    let mut trace = String::from("java.lang.IllegalStateException: ");
    trace.push_str(&"x: y ".repeat(220_000));
    let a = analyze(&trace);
    assert_eq!(a.chain.len(), 1);
    assert_eq!(a.root_cause.exception, "java.lang.IllegalStateException");
    let garbage = "(\t at [ ... Caused by: ".repeat(50_000);
    let a = analyze(&garbage);
    assert_eq!(a.chain.len(), 1);
}
