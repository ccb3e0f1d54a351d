//! Folding of runtime and JDK frames for display.
//!
//! In a typical Connect trace two thirds of the frames are the worker's own loop and the JDK's
//! thread pool; they are the same for every failure and push the interesting lines off screen.

use crate::frame;

/// Returns the trace with every run of two or more consecutive Connect-runtime/JDK frames
/// replaced by one `<indent>... N runtime frames` line at the same indentation. All other lines,
/// including `Caused by:`, `... N more` and single runtime frames, are kept as they are.
pub fn folded(trace: &str) -> String {
    let mut out = String::with_capacity(trace.len() / 2);
    let mut run: Vec<&str> = Vec::new();
    let mut run_indent = "";
    for line in trace.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        match frame::frame_line(bare) {
            Some((indent, content)) if frame::is_runtime_frame(content) => {
                if !run.is_empty() && indent != run_indent {
                    flush(&mut out, &mut run, run_indent);
                }
                run_indent = indent;
                run.push(line);
            }
            _ => {
                flush(&mut out, &mut run, run_indent);
                out.push_str(line);
            }
        }
    }
    flush(&mut out, &mut run, run_indent);
    out
}

fn flush(out: &mut String, run: &mut Vec<&str>, indent: &str) {
    match run.len() {
        0 => {}
        1 => out.push_str(run[0]),
        n => {
            out.push_str(indent);
            out.push_str(&format!("... {n} runtime frames"));
            // Keep the line ending of the last folded line (none at the end of the input).
            let last = run[n - 1];
            out.push_str(&last[last.trim_end_matches(['\n', '\r']).len()..]);
        }
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_runs_and_keeps_the_rest() {
        let t = "a.b.E: m\n\
                 \tat org.apache.kafka.connect.runtime.A.a(A.java:1)\n\
                 \tat org.apache.kafka.connect.runtime.B.b(B.java:2)\n\
                 \tat org.acme.Sink.put(Sink.java:3)\n\
                 \tat java.base/java.lang.Thread.run(Thread.java:840)\n\
                 Caused by: a.b.F: n\n\
                 \tat java.base/sun.nio.A.a(A.java:1)\n\
                 \tat java.base/java.nio.B.b(B.java:1)\n\
                 \tat java.base/java.nio.C.c(C.java:1)\n\
                 \t... 4 more";
        let want = "a.b.E: m\n\
                    \t... 2 runtime frames\n\
                    \tat org.acme.Sink.put(Sink.java:3)\n\
                    \tat java.base/java.lang.Thread.run(Thread.java:840)\n\
                    Caused by: a.b.F: n\n\
                    \t... 3 runtime frames\n\
                    \t... 4 more";
        assert_eq!(folded(t), want);
    }

    #[test]
    fn fold_keeps_trailing_newline_and_crlf() {
        let t = "E\r\n\tat java.a.B.c(B.java:1)\r\n\tat java.a.B.d(B.java:2)\r\n";
        assert_eq!(folded(t), "E\r\n\t... 2 runtime frames\r\n");
        assert_eq!(folded(""), "");
        assert_eq!(folded("no frames at all"), "no frames at all");
    }
}
