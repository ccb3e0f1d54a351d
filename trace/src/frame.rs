//! Stack frame text: stripping the JDK 9+ class-loader/module prefix and telling the Connect
//! runtime and the JDK apart from the code a user can actually change.

/// Packages whose frames are never the answer to "where did it break": the worker itself and
/// the JDK. A connector, converter, SMT, JDBC driver or client library frame is what people
/// need to see, so everything else counts as "outside".
const RUNTIME_PREFIXES: &[&str] = &[
    "org.apache.kafka.connect.runtime.",
    "java.",
    "jdk.",
    "sun.",
    "javax.",
    "com.sun.",
];

/// Removes the `app//`, `java.base/` or `loader/module@1.2/` prefix JDK 9+ puts in front of the
/// class, so frames read the same whatever JVM printed them. Hidden classes
/// (`Foo$$Lambda$14/0x0000000800c03000.apply`) also contain a `/`, which must stay.
pub(crate) fn normalize(frame: &str) -> &str {
    let mut s = frame.trim();
    loop {
        if let Some(rest) = s.strip_prefix('/') {
            s = rest;
            continue;
        }
        let head_end = s.find('(').unwrap_or(s.len());
        let Some(slash) = s[..head_end].find('/') else {
            break;
        };
        let (before, after) = (&s[..slash], &s[slash + 1..]);
        if before.is_empty() || before.contains('$') || after.starts_with("0x") {
            break;
        }
        s = after;
    }
    s
}

/// The declaring class of a normalized frame: `a.b.C.m(C.java:1)` gives `a.b.C`.
pub(crate) fn class_of(frame: &str) -> &str {
    let method = frame.split('(').next().unwrap_or(frame);
    match method.rfind('.') {
        Some(dot) => &method[..dot],
        None => method,
    }
}

/// Whether a frame (`\tat` line content, with or without the JDK 9+ module prefix) belongs to
/// the Connect runtime or the JDK.
pub fn is_runtime_frame(frame: &str) -> bool {
    let class = class_of(normalize(frame));
    RUNTIME_PREFIXES.iter().any(|p| class.starts_with(p))
}

/// If `line` is a stack frame (`<indent>at <frame>`), returns its indentation and the frame up
/// to its closing parenthesis. Logback's packaging data (` ~[foo.jar:1.0]`) is dropped, and
/// message lines that merely start with "at", such as Jackson's `\n at [Source: ...]`, are not
/// frames because the text before `(` is not a method name.
pub(crate) fn frame_line(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    if indent.is_empty() {
        return None;
    }
    let rest = body.strip_prefix("at ")?.trim_start();
    let open = rest.find('(')?;
    let head = &rest[..open];
    if head.is_empty() || head.starts_with('[') || head.contains(char::is_whitespace) {
        return None;
    }
    let close = open + rest[open..].find(')')?;
    Some((indent, &rest[..=close]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_module_and_loader_prefixes() {
        assert_eq!(
            normalize("java.base/java.lang.Thread.run(Thread.java:840)"),
            "java.lang.Thread.run(Thread.java:840)"
        );
        assert_eq!(
            normalize("app//org.acme.Sink.put(Sink.java:9)"),
            "org.acme.Sink.put(Sink.java:9)"
        );
        assert_eq!(
            normalize(
                "java.sql@17.0.2/java.sql.DriverManager.getConnection(DriverManager.java:702)"
            ),
            "java.sql.DriverManager.getConnection(DriverManager.java:702)"
        );
        let hidden = "org.acme.Sink$$Lambda$14/0x0000000800c03000.apply(Unknown Source)";
        assert_eq!(normalize(hidden), hidden);
        assert_eq!(normalize("a/b(x/y)"), "b(x/y)");
    }

    #[test]
    fn runtime_and_jdk_frames() {
        assert!(is_runtime_frame(
            "org.apache.kafka.connect.runtime.WorkerSinkTask.poll(WorkerSinkTask.java:358)"
        ));
        assert!(is_runtime_frame(
            "java.base/java.lang.Thread.run(Thread.java:840)"
        ));
        assert!(is_runtime_frame(
            "java.base/sun.nio.fs.UnixException.x(UnixException.java:92)"
        ));
        assert!(!is_runtime_frame(
            "org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:355)"
        ));
        assert!(!is_runtime_frame("javafx2.Foo.bar(Foo.java:1)"));
        assert!(!is_runtime_frame(
            "org.postgresql.Driver.connect(Driver.java:1)"
        ));
    }

    #[test]
    fn frame_lines() {
        assert_eq!(
            frame_line("\tat a.B.c(B.java:1)"),
            Some(("\t", "a.B.c(B.java:1)"))
        );
        assert_eq!(
            frame_line("\t\tat a.B.c(B.java:1)\r"),
            Some(("\t\t", "a.B.c(B.java:1)"))
        );
        assert_eq!(frame_line("at a.B.c(B.java:1)"), None);
        assert_eq!(frame_line("\tat "), None);
        assert_eq!(frame_line("\t... 3 more"), None);
        assert_eq!(
            frame_line(" at [Source: (byte[])\"hello\"; line: 1, column: 6]"),
            None
        );
        assert_eq!(
            frame_line("\tat a.B.c(B.java:1) ~[b.jar:1.0]"),
            Some(("\t", "a.B.c(B.java:1)"))
        );
    }
}
