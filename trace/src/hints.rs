//! The catalog of known failures (`hints.toml`) and how a cause chain is matched against it.
//!
//! The catalog is data, not code, so that adding a failure someone met at 3 a.m. is a TOML
//! entry plus a fixture trace, with no matching logic to touch. Entries are tried on the root
//! cause first, then outward through the chain, and in file order within one cause, so the file
//! lists specific entries before generic ones. Entries marked `fallback` (wrappers such as
//! "Tolerance exceeded in error handler") only apply when no other entry matched any cause,
//! because the wrapper is true of many failures and the wrapped cause says more.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use regex::{RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use crate::analysis::Cause;

/// The built-in catalog, compiled into the binary.
const CATALOG_TOML: &str = include_str!("hints.toml");

/// Placeholders a `fix` template may use; anything else is a catalog error.
const PLACEHOLDERS: &[&str] = &["{connector}", "{dlq_topic}"];

/// What to tell the user about a recognised failure.
///
/// Hints from [`catalog`] are templates whose `fix` may contain `{connector}` and `{dlq_topic}`;
/// [`Hint::render`] fills them in. Hints inside an [`crate::Analysis`] are already rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// Stable identifier of the catalog entry, e.g. `json-schemas-enable-plain-json`.
    pub id: String,
    /// One line saying what went wrong.
    pub summary: String,
    /// The config key to change or the command to run.
    pub fix: String,
    /// Where to read more.
    pub docs: Option<String>,
    /// Whether the failure passes by itself (network, timeout, broker or database unavailable,
    /// rebalance), so restarting once the other side is back fixes it; `false` for a
    /// configuration or data error, where a restart fails the same way again.
    pub transient: bool,
    /// Alternative fix when the connector config is known and sets a DLQ topic.
    #[serde(skip)]
    fix_with_dlq: Option<String>,
    /// Alternative fix when the connector config is known and has no DLQ topic.
    #[serde(skip)]
    fix_without_dlq: Option<String>,
}

/// What the caller knows about the failing connector, used to make a fix concrete.
#[derive(Debug, Clone, Copy, Default)]
pub struct HintContext<'a> {
    /// Connector name, for commands such as `connectctl dlq inspect --connector NAME`.
    pub connector: Option<&'a str>,
    /// The connector's config (`GET /connectors/NAME/config`), when the caller fetched it.
    pub config: Option<&'a BTreeMap<String, String>>,
}

impl<'a> HintContext<'a> {
    /// A context naming the connector, without its config.
    pub fn new(connector: &'a str) -> Self {
        Self {
            connector: Some(connector),
            config: None,
        }
    }

    /// Adds the connector's config.
    pub fn with_config(mut self, config: &'a BTreeMap<String, String>) -> Self {
        self.config = Some(config);
        self
    }

    /// The DLQ topic the config names (`errors.deadletterqueue.topic.name`), if any.
    pub fn dlq_topic(&self) -> Option<&'a str> {
        let topic = self
            .config?
            .get("errors.deadletterqueue.topic.name")?
            .trim();
        (!topic.is_empty()).then_some(topic)
    }
}

impl Hint {
    /// Fills in the placeholders of the fix, picking the DLQ-specific variant when the config
    /// tells whether a DLQ exists. Unknown values become `<connector>` / `<dlq-topic>` so the
    /// text still reads as an instruction. Rendering an already rendered hint changes nothing.
    pub fn render(&self, ctx: &HintContext<'_>) -> Hint {
        let template = match (ctx.config.is_some(), ctx.dlq_topic()) {
            (true, Some(_)) => self.fix_with_dlq.as_ref().unwrap_or(&self.fix),
            (true, None) => self.fix_without_dlq.as_ref().unwrap_or(&self.fix),
            (false, _) => &self.fix,
        };
        let fix = template
            .replace("{connector}", ctx.connector.unwrap_or("<connector>"))
            .replace("{dlq_topic}", ctx.dlq_topic().unwrap_or("<dlq-topic>"));
        Hint {
            id: self.id.clone(),
            summary: self.summary.clone(),
            fix,
            docs: self.docs.clone(),
            transient: self.transient,
            fix_with_dlq: None,
            fix_without_dlq: None,
        }
    }
}

/// Why a hints catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The text is not TOML of the expected shape (unknown keys included).
    #[error("hints catalog is not valid TOML")]
    Toml(#[from] toml::de::Error),
    /// An entry matches nothing.
    #[error("hint `{0}` needs an `exception` or a `message` pattern")]
    NoMatcher(String),
    /// Two entries share an id.
    #[error("hint id `{0}` appears more than once")]
    DuplicateId(String),
    /// An entry lacks text.
    #[error("hint `{0}` has an empty id, summary or fix")]
    Empty(String),
    /// A fix uses a placeholder [`Hint::render`] does not fill.
    #[error("hint `{id}` uses unknown placeholder `{placeholder}`")]
    Placeholder {
        /// The entry.
        id: String,
        /// The placeholder as written, braces included.
        placeholder: String,
    },
    /// A message pattern does not compile.
    #[error("hint `{id}` has an invalid message pattern")]
    Regex {
        /// The entry.
        id: String,
        /// Why the pattern was rejected.
        #[source]
        source: regex::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    hint: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    exception: OneOrMany,
    message: Option<String>,
    #[serde(default)]
    fallback: bool,
    /// Required, so that no entry is added without deciding whether a restart can fix it.
    transient: bool,
    summary: String,
    fix: String,
    fix_with_dlq: Option<String>,
    fix_without_dlq: Option<String>,
    docs: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

struct Entry {
    hint: Hint,
    /// FQCNs or simple names; empty means any class.
    exceptions: Vec<String>,
    /// Index of the message pattern in the catalog's `RegexSet`.
    pattern: Option<usize>,
    fallback: bool,
}

/// A compiled hints catalog.
pub struct Catalog {
    entries: Vec<Entry>,
    /// All message patterns in one automaton, so each cause's message is scanned once however
    /// many entries there are.
    patterns: RegexSet,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("entries", &self.entries.len())
            .finish()
    }
}

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    // The built-in catalog is validated by a unit test; an empty catalog is the safe fallback
    // if that were ever skipped, since a hint is optional output.
    load_catalog(CATALOG_TOML).unwrap_or_else(|_| Catalog {
        entries: Vec::new(),
        patterns: RegexSet::empty(),
    })
});

/// The built-in catalog (`hints.toml`).
pub fn catalog() -> &'static Catalog {
    &BUILTIN
}

/// Parses and compiles a catalog in the `hints.toml` format.
pub fn load_catalog(text: &str) -> Result<Catalog, CatalogError> {
    let raw: RawCatalog = toml::from_str(text)?;
    let mut ids = HashSet::new();
    let mut sources = Vec::new();
    let mut entries = Vec::with_capacity(raw.hint.len());
    for e in raw.hint {
        if e.id.trim().is_empty() || e.summary.trim().is_empty() || e.fix.trim().is_empty() {
            return Err(CatalogError::Empty(e.id));
        }
        if !ids.insert(e.id.clone()) {
            return Err(CatalogError::DuplicateId(e.id));
        }
        let exceptions = match e.exception {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        if exceptions.is_empty() && e.message.is_none() {
            return Err(CatalogError::NoMatcher(e.id));
        }
        for fix in [
            Some(&e.fix),
            e.fix_with_dlq.as_ref(),
            e.fix_without_dlq.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            check_placeholders(&e.id, fix)?;
        }
        let pattern = match e.message {
            Some(p) => {
                // Compile alone first so a bad pattern is reported against its entry.
                regex::Regex::new(&p).map_err(|source| CatalogError::Regex {
                    id: e.id.clone(),
                    source,
                })?;
                sources.push(p);
                Some(sources.len() - 1)
            }
            None => None,
        };
        entries.push(Entry {
            hint: Hint {
                id: e.id,
                summary: e.summary,
                fix: e.fix,
                docs: e.docs,
                transient: e.transient,
                fix_with_dlq: e.fix_with_dlq,
                fix_without_dlq: e.fix_without_dlq,
            },
            exceptions,
            pattern,
            fallback: e.fallback,
        });
    }
    let patterns = RegexSetBuilder::new(&sources)
        .size_limit(64 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|source| CatalogError::Regex {
            id: "(catalog)".into(),
            source,
        })?;
    Ok(Catalog { entries, patterns })
}

fn check_placeholders(id: &str, fix: &str) -> Result<(), CatalogError> {
    let mut rest = fix;
    while let Some(open) = rest.find('{') {
        let tail = &rest[open..];
        let end = tail.find('}').map_or(tail.len(), |i| i + 1);
        let placeholder = &tail[..end];
        if !PLACEHOLDERS.contains(&placeholder) {
            return Err(CatalogError::Placeholder {
                id: id.to_string(),
                placeholder: placeholder.to_string(),
            });
        }
        rest = &tail[end..];
    }
    Ok(())
}

/// Whether `class` (a FQCN from the trace) is the one a catalog entry names: either the same
/// FQCN, or, when the entry gives a simple name, a class with that simple name in any package
/// (drivers and shaded client libraries move packages around).
fn class_matches(pattern: &str, class: &str) -> bool {
    if pattern.contains('.') || pattern.contains("::") {
        return pattern == class;
    }
    class == pattern
        || class
            .strip_suffix(pattern)
            .is_some_and(|head| head.ends_with('.') || head.ends_with('$') || head.ends_with("::"))
}

impl Catalog {
    /// The entries, in matching order, as unrendered templates.
    pub fn hints(&self) -> impl Iterator<Item = &Hint> {
        self.entries.iter().map(|e| &e.hint)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best entry for a chain given outermost-first: regular entries on the root cause,
    /// then outward; only then fallback entries, in the same order.
    pub fn find(&self, chain: &[Cause]) -> Option<&Hint> {
        let matches: Vec<_> = chain
            .iter()
            .rev()
            .map(|c| self.patterns.matches(&c.message))
            .collect();
        for fallback in [false, true] {
            for (cause, found) in chain.iter().rev().zip(&matches) {
                let hit = self.entries.iter().find(|e| {
                    e.fallback == fallback
                        && e.pattern.is_none_or(|i| found.matched(i))
                        && (e.exceptions.is_empty()
                            || e.exceptions
                                .iter()
                                .any(|x| class_matches(x, &cause.exception)))
                });
                if let Some(e) = hit {
                    return Some(&e.hint);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(exception: &str, message: &str) -> Cause {
        Cause {
            exception: exception.into(),
            message: message.into(),
        }
    }

    #[test]
    fn builtin_catalog_loads() {
        let catalog = load_catalog(CATALOG_TOML).unwrap();
        assert!(catalog.len() >= 30, "only {} hints", catalog.len());
        assert_eq!(catalog.len(), crate::catalog().len());
    }

    #[test]
    fn simple_names_match_any_package() {
        assert!(class_matches(
            "PSQLException",
            "org.postgresql.util.PSQLException"
        ));
        assert!(class_matches("Inner", "a.b.Outer$Inner"));
        assert!(!class_matches(
            "ConnectException",
            "org.acme.NotConnectException"
        ));
        assert!(class_matches(
            "java.net.ConnectException",
            "java.net.ConnectException"
        ));
        assert!(!class_matches(
            "java.net.ConnectException",
            "org.apache.kafka.connect.errors.ConnectException"
        ));
    }

    #[test]
    fn bad_catalogs_are_rejected() {
        let no_matcher = "[[hint]]\nid = \"a\"\ntransient = false\nsummary = \"s\"\nfix = \"f\"\n";
        assert!(matches!(
            load_catalog(no_matcher),
            Err(CatalogError::NoMatcher(_))
        ));
        let bad_regex = "[[hint]]\nid = \"a\"\nmessage = \"(\"\ntransient = false\nsummary = \"s\"\nfix = \"f\"\n";
        assert!(matches!(
            load_catalog(bad_regex),
            Err(CatalogError::Regex { .. })
        ));
        let placeholder = "[[hint]]\nid = \"a\"\nmessage = \"x\"\ntransient = false\nsummary = \"s\"\nfix = \"run {cmd}\"\n";
        assert!(matches!(
            load_catalog(placeholder),
            Err(CatalogError::Placeholder { .. })
        ));
        let dup = "[[hint]]\nid = \"a\"\nmessage = \"x\"\ntransient = false\nsummary = \"s\"\nfix = \"f\"\n\
                   [[hint]]\nid = \"a\"\nmessage = \"y\"\ntransient = false\nsummary = \"s\"\nfix = \"f\"\n";
        assert!(matches!(
            load_catalog(dup),
            Err(CatalogError::DuplicateId(_))
        ));
        let unknown = "[[hint]]\nid = \"a\"\nmesage = \"x\"\ntransient = false\nsummary = \"s\"\nfix = \"f\"\n";
        assert!(matches!(load_catalog(unknown), Err(CatalogError::Toml(_))));
    }

    #[test]
    fn root_first_then_outward_and_fallbacks_last() {
        let catalog = load_catalog(
            r#"
[[hint]]
id = "wrapper"
message = "Tolerance exceeded"
fallback = true
transient = false
summary = "s"
fix = "f"

[[hint]]
id = "outer"
message = "outer problem"
transient = false
summary = "s"
fix = "f"

[[hint]]
id = "root"
exception = "RootException"
transient = false
summary = "s"
fix = "f"
"#,
        )
        .unwrap();
        let chain = [
            cause("a.W", "Tolerance exceeded"),
            cause("a.O", "outer problem"),
            cause("a.RootException", "x"),
        ];
        assert_eq!(catalog.find(&chain).unwrap().id, "root");
        assert_eq!(catalog.find(&chain[..2]).unwrap().id, "outer");
        assert_eq!(catalog.find(&chain[..1]).unwrap().id, "wrapper");
        assert!(catalog.find(&[cause("a.X", "nothing")]).is_none());
    }

    #[test]
    fn an_entry_without_a_transient_mark_is_rejected() {
        let unmarked = "[[hint]]\nid = \"a\"\nmessage = \"x\"\nsummary = \"s\"\nfix = \"f\"\n";
        let err = load_catalog(unmarked).unwrap_err();
        assert!(matches!(err, CatalogError::Toml(_)), "{err:?}");
    }

    #[test]
    fn outages_are_transient_and_configuration_errors_are_not() {
        let transient: Vec<&str> = crate::catalog()
            .hints()
            .filter(|h| h.transient)
            .map(|h| h.id.as_str())
            .collect();
        for id in [
            "postgres-connection-lost",
            "connection-refused",
            "network-timeout",
            "rebalance-in-progress",
            "kafka-metadata-timeout",
            "producer-expiring-records",
            "not-enough-replicas",
        ] {
            assert!(transient.contains(&id), "{id} should be transient");
        }
        for id in [
            "jdbc-table-missing-auto-create",
            "postgres-relation-missing",
            "postgres-password-auth",
            "filestream-file",
            "json-schemas-enable-plain-json",
            "config-invalid",
            "tolerance-exceeded",
            "unknown-host",
        ] {
            assert!(!transient.contains(&id), "{id} should not be transient");
        }
    }

    #[test]
    fn render_keeps_the_transient_mark() {
        let hint = crate::catalog()
            .hints()
            .find(|h| h.id == "connection-refused")
            .unwrap();
        assert!(hint.render(&HintContext::new("c")).transient);
    }

    #[test]
    fn render_picks_dlq_variant() {
        let catalog = load_catalog(
            r#"
[[hint]]
id = "t"
message = "x"
transient = false
summary = "s"
fix = "inspect {connector} in {dlq_topic}"
fix_with_dlq = "connectctl dlq inspect --connector {connector} ({dlq_topic})"
fix_without_dlq = "set errors.deadletterqueue.topic.name for {connector}"
"#,
        )
        .unwrap();
        let hint = catalog.hints().next().unwrap();
        assert_eq!(
            hint.render(&HintContext::default()).fix,
            "inspect <connector> in <dlq-topic>"
        );
        let mut config = BTreeMap::new();
        assert_eq!(
            hint.render(&HintContext::new("c").with_config(&config)).fix,
            "set errors.deadletterqueue.topic.name for c"
        );
        config.insert("errors.deadletterqueue.topic.name".into(), "dlq-c".into());
        let rendered = hint.render(&HintContext::new("c").with_config(&config));
        assert_eq!(rendered.fix, "connectctl dlq inspect --connector c (dlq-c)");
        assert_eq!(rendered.render(&HintContext::default()), rendered);
    }
}
