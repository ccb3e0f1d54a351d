//! The connector's keys, defaults and validation messages, as Debezium's
//! `PostgresConnectorConfig` (and the common/relational configs it extends) defines them.

use connect_plugin_api::ConfigMap;
use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Props, Validator, Width,
};
use connect_plugin_api::error::{ConnectError, class};
use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    Double,
    String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    Adaptive,
    AdaptiveTimeMicroseconds,
    Connect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    Always,
    Initial,
    NoData,
    InitialOnly,
    WhenNeeded,
}

impl SnapshotMode {
    /// The name Debezium stores in the `snapshot` offset key.
    pub fn offset_name(self) -> &'static str {
        match self {
            SnapshotMode::Always => "ALWAYS",
            SnapshotMode::Initial => "INITIAL",
            SnapshotMode::NoData => "NO_DATA",
            SnapshotMode::InitialOnly => "INITIAL_ONLY",
            SnapshotMode::WhenNeeded => "WHEN_NEEDED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoCreate {
    Disabled,
    AllTables,
    Filtered,
}

const PLUGIN_NAMES: &[&str] = &["pgoutput", "decoderbufs"];
const AUTOCREATE_MODES: &[&str] = &["disabled", "all_tables", "filtered", "no_tables"];
const SNAPSHOT_MODES: &[&str] = &[
    "always",
    "initial",
    "no_data",
    "initial_only",
    "when_needed",
    "configuration_based",
    "custom",
];
const DECIMAL_MODES: &[&str] = &["precise", "string", "double"];
const TIME_MODES: &[&str] = &[
    "adaptive",
    "adaptive_time_microseconds",
    "isostring",
    "connect",
    "microseconds",
    "nanoseconds",
    "structured",
];

/// Debezium's enum check (`Field.EnumRecommender.validate`): trimmed, case-insensitive.
fn one_of(literals: &[&str], value: Option<&Parsed>) -> Result<(), String> {
    match value {
        Some(Parsed::Str(s)) if literals.contains(&s.trim().to_lowercase().as_str()) => Ok(()),
        _ => Err(format!("Value must be one of {}", literals.join(", "))),
    }
}

fn check_plugin(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    one_of(PLUGIN_NAMES, v)
}
fn check_autocreate(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    one_of(AUTOCREATE_MODES, v)
}
fn check_snapshot(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    one_of(SNAPSHOT_MODES, v)
}
fn check_decimal(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    one_of(DECIMAL_MODES, v)
}
fn check_time(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    one_of(TIME_MODES, v)
}
fn check_slot(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    match v {
        Some(Parsed::Str(s)) if !Regex::new("^[a-z0-9_]{1,63}$").is_ok_and(|r| r.is_match(s)) => {
            Err("Valid replication slot name must contain only digits, lowercase characters and underscores with length <= 63".into())
        }
        _ => Ok(()),
    }
}
fn check_prefix(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    match v {
        None => Err("A value is required".into()),
        Some(Parsed::Str(s)) if !Regex::new("^[a-zA-Z0-9._\\-]+$").is_ok_and(|r| r.is_match(s)) => {
            Err(format!(
                "{s} has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)"
            ))
        }
        _ => Ok(()),
    }
}
fn check_required(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    match v {
        None => Err("A value is required".into()),
        Some(Parsed::Str(s)) if s.is_empty() => Err("A value is required".into()),
        _ => Ok(()),
    }
}
fn check_positive(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    match v {
        Some(Parsed::Int(n)) if *n <= 0 => {
            Err("A positive, non-zero integer value is expected".into())
        }
        _ => Ok(()),
    }
}
fn check_non_negative(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    match v {
        Some(Parsed::Int(n)) if *n < 0 => Err("An non-negative integer is expected".into()),
        _ => Ok(()),
    }
}
fn check_regex_list(_: &str, v: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::List(items)) = v {
        for i in items {
            if let Err(e) = Regex::new(i) {
                return Err(format!(
                    "A comma-separated list of valid regular expressions is expected, but {e}"
                ));
            }
        }
    }
    Ok(())
}

const fn key(
    name: &'static str,
    ty: ConfigType,
    default: DefaultValue,
    importance: Importance,
    documentation: &'static str,
    validator: Validator,
) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default,
        importance,
        documentation,
        group: None,
        order: -1,
        width: Width::Medium,
        display_name: name,
        validator,
    }
}

use ConfigType as T;
use DefaultValue as D;
use Importance as I;

/// The keys this connector reads, with Debezium's defaults and documentation.
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "topic.prefix",
        T::String,
        D::Null,
        I::High,
        "Topic prefix that identifies and provides a namespace for the particular database server/cluster is capturing changes. The topic prefix should be unique across all other connectors, since it is used as a prefix for all Kafka topic names that receive events emitted by this connector. Only alphanumeric characters, hyphens, dots and underscores must be accepted.",
        Validator::Custom(check_prefix),
    ),
    key(
        "database.hostname",
        T::String,
        D::Null,
        I::High,
        "Resolvable hostname or IP address of the database server.",
        Validator::Custom(check_required),
    ),
    key(
        "database.port",
        T::Int,
        D::Value("5432"),
        I::High,
        "Port of the database server.",
        Validator::Custom(check_positive),
    ),
    key(
        "database.user",
        T::String,
        D::Null,
        I::High,
        "Name of the database user to be used when connecting to the database.",
        Validator::Custom(check_required),
    ),
    key(
        "database.password",
        T::Password,
        D::Null,
        I::High,
        "Password of the database user to be used when connecting to the database.",
        Validator::None,
    ),
    key(
        "database.dbname",
        T::String,
        D::Null,
        I::High,
        "The name of the database from which the connector should capture changes",
        Validator::Custom(check_required),
    ),
    key(
        "plugin.name",
        T::String,
        D::Value("decoderbufs"),
        I::Medium,
        "The name of the Postgres logical decoding plugin installed on the server. Supported values are 'decoderbufs' and 'pgoutput'. Defaults to 'decoderbufs'.",
        Validator::Custom(check_plugin),
    ),
    key(
        "slot.name",
        T::String,
        D::Value("debezium"),
        I::Medium,
        "The name of the Postgres logical decoding slot created for streaming changes from a plugin. Defaults to 'debezium",
        Validator::Custom(check_slot),
    ),
    key(
        "slot.drop.on.stop",
        T::Boolean,
        D::Value("false"),
        I::Medium,
        "Whether or not to drop the logical replication slot when the connector finishes orderly. By default the replication is kept so that on restart progress can resume from the last recorded location",
        Validator::None,
    ),
    key(
        "publication.name",
        T::String,
        D::Value("dbz_publication"),
        I::Medium,
        "The name of the Postgres 10+ publication used for streaming changes from a plugin. Defaults to 'dbz_publication'",
        Validator::None,
    ),
    key(
        "publication.autocreate.mode",
        T::String,
        D::Value("all_tables"),
        I::Medium,
        "Applies only when streaming changes using pgoutput.Determine how creation of a publication should work, the default is all_tables.DISABLED - The connector will not attempt to create a publication at all. The expectation is that the user has created the publication up-front. If the publication isn't found to exist upon startup, the connector will throw an exception and stop.ALL_TABLES - If no publication exists, the connector will create a new publication for all tables. Note this requires that the configured user has access. If the publication already exists, it will be used. i.e CREATE PUBLICATION <publication_name> FOR ALL TABLES;FILTERED - If no publication exists, the connector will create a new publication for all those tables matchingthe current filter configuration (see table/database include/exclude list properties). If the publication already exists, it will be used. i.e CREATE PUBLICATION <publication_name> FOR TABLE <tbl1, tbl2, etc>",
        Validator::Custom(check_autocreate),
    ),
    key(
        "table.include.list",
        T::List,
        D::Null,
        I::High,
        "The tables for which changes are to be captured",
        Validator::Custom(check_regex_list),
    ),
    key(
        "table.exclude.list",
        T::List,
        D::Null,
        I::Medium,
        "A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring",
        Validator::Custom(check_regex_list),
    ),
    key(
        "column.include.list",
        T::List,
        D::Null,
        I::Medium,
        "Regular expressions matching columns to include in change events",
        Validator::Custom(check_regex_list),
    ),
    key(
        "column.exclude.list",
        T::List,
        D::Null,
        I::Medium,
        "Regular expressions matching columns to exclude from change events",
        Validator::Custom(check_regex_list),
    ),
    key(
        "snapshot.mode",
        T::String,
        D::Value("initial"),
        I::Medium,
        "The criteria for running a snapshot upon startup of the connector. Select one of the following snapshot options: 'always': The connector runs a snapshot every time that it starts. After the snapshot completes, the connector begins to stream changes from the transaction log.; 'initial' (default): If the connector does not detect any offsets for the logical server name, it runs a snapshot that captures the current full state of the configured tables. After the snapshot completes, the connector begins to stream changes from the transaction log. 'initial_only': The connector performs a snapshot as it does for the 'initial' option, but after the connector completes the snapshot, it stops, and does not stream changes from the transaction log.; 'no_data': The connector does not capture table data, it streams changes from the transaction log; 'when_needed': The connector runs a snapshot when it has no offsets or its offsets are no longer available.",
        Validator::Custom(check_snapshot),
    ),
    key(
        "decimal.handling.mode",
        T::String,
        D::Value("precise"),
        I::Medium,
        "Specify how DECIMAL and NUMERIC columns should be represented in change events, including: 'precise' (the default) uses java.math.BigDecimal to represent values, which are encoded in the change events using a binary representation and Kafka Connect's 'org.apache.kafka.connect.data.Decimal' type; 'string' uses string to represent values; 'double' represents values using Java's 'double', which may not offer the precision but will be far easier to use in consumers.",
        Validator::Custom(check_decimal),
    ),
    key(
        "time.precision.mode",
        T::String,
        D::Value("adaptive"),
        I::Medium,
        "Time, date, and timestamps can be represented with different kinds of precisions, including: 'adaptive' (the default) bases the precision of time, date, and timestamp values on the database column's precision; 'adaptive_time_microseconds' like 'adaptive' mode, but TIME fields always use microseconds precision; 'connect' always represents time, date, and timestamp values using Kafka Connect's built-in representations for Time, Date, and Timestamp, which uses millisecond precision regardless of the database columns' precision.",
        Validator::Custom(check_time),
    ),
    key(
        "tombstones.on.delete",
        T::Boolean,
        D::Value("true"),
        I::Medium,
        "Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false). Emitting the tombstone event (the default behavior) allows Kafka to completely delete all events pertaining to the given key once the source record got deleted.",
        Validator::None,
    ),
    key(
        "heartbeat.interval.ms",
        T::Int,
        D::Value("0"),
        I::Medium,
        "Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages. Disabled by default.",
        Validator::Custom(check_non_negative),
    ),
    key(
        "max.batch.size",
        T::Int,
        D::Value("2048"),
        I::Medium,
        "Maximum size of each batch of source records. Defaults to 2048.",
        Validator::Custom(check_positive),
    ),
    key(
        "poll.interval.ms",
        T::Long,
        D::Value("500"),
        I::Medium,
        "Time to wait for new change events to appear after receiving no events, given in milliseconds. Defaults to 500 ms. Values will be capped at 5000 ms.",
        Validator::Custom(check_positive),
    ),
];

/// The parsed config.
#[derive(Debug, Clone)]
pub struct CdcConfig {
    pub topic_prefix: String,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub plugin_name: String,
    pub slot_name: String,
    pub slot_drop_on_stop: bool,
    pub publication_name: String,
    pub autocreate: AutoCreate,
    pub table_include: Vec<Regex>,
    pub table_exclude: Vec<Regex>,
    pub column_include: Vec<Regex>,
    pub column_exclude: Vec<Regex>,
    pub snapshot_mode: SnapshotMode,
    pub decimal_mode: DecimalMode,
    pub time_mode: TimeMode,
    pub tombstones_on_delete: bool,
    pub heartbeat_interval_ms: u64,
    pub max_batch_size: usize,
    pub poll_interval_ms: u64,
}

/// Errors that involve several keys (include and exclude lists together), per key.
pub fn cross_key_errors(props: &ConfigMap) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let set = |k: &str| props.get(k).is_some_and(|v| !v.trim().is_empty());
    if set("table.include.list") && set("table.exclude.list") {
        out.push((
            "table.exclude.list",
            "\"table.include.list\" is already specified".to_owned(),
        ));
    }
    if set("column.include.list") && set("column.exclude.list") {
        out.push((
            "column.exclude.list",
            "\"column.include.list\" is already specified".to_owned(),
        ));
    }
    // Only pgoutput is decoded here; Debezium accepts decoderbufs when the server has it.
    out
}

/// Anchored, case-insensitive regexes, as Debezium's include/exclude filters match.
fn regexes(list: Option<Parsed>) -> Vec<Regex> {
    match list {
        Some(Parsed::List(items)) => items
            .iter()
            .filter_map(|i| Regex::new(&format!("(?i)^(?:{i})$")).ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// Parses and validates the config; a problem fails as Debezium's task start does, with the
/// problem of each key in the cause.
pub fn parse(props: &ConfigMap) -> Result<CdcConfig, ConnectError> {
    let p = Props(props);
    let mut problems = Vec::new();
    let mut values = Vec::new();
    for k in CONFIG_DEF {
        let v = k.validate(props.get(k.name).map(String::as_str));
        for e in &v.errors {
            problems.push(format!("The '{}' value is invalid: {e}", k.name));
        }
        values.push(p.parsed(k).ok().flatten());
    }
    for (k, e) in cross_key_errors(props) {
        problems.push(format!("The '{k}' value is invalid: {e}"));
    }
    if !problems.is_empty() {
        return Err(ConnectError::connect(
            "Error configuring an instance of PostgresConnectorTask; check the logs for details",
        )
        .with_cause(ConnectError::new(class::CONFIG, problems.join("; "))));
    }
    let mut it = values.into_iter();
    let mut next = || it.next().flatten();
    let s = |v: Option<Parsed>| match v {
        Some(Parsed::Str(s)) => s.trim().to_owned(),
        _ => String::new(),
    };
    let int = |v: Option<Parsed>, d: i64| match v {
        Some(Parsed::Int(n)) => n,
        _ => d,
    };
    let boolean = |v: Option<Parsed>, d: bool| match v {
        Some(Parsed::Bool(b)) => b,
        _ => d,
    };
    let topic_prefix = s(next());
    let hostname = s(next());
    let port = int(next(), 5432) as u16;
    let user = s(next());
    let password = props.get("database.password").cloned();
    let _ = next();
    let dbname = s(next());
    let plugin_name = s(next()).to_lowercase();
    let slot_name = s(next());
    let slot_drop_on_stop = boolean(next(), false);
    let publication_name = s(next());
    let autocreate = match s(next()).to_lowercase().as_str() {
        "disabled" => AutoCreate::Disabled,
        "filtered" => AutoCreate::Filtered,
        _ => AutoCreate::AllTables,
    };
    let table_include = regexes(next());
    let table_exclude = regexes(next());
    let column_include = regexes(next());
    let column_exclude = regexes(next());
    let snapshot_mode = match s(next()).to_lowercase().as_str() {
        "always" => SnapshotMode::Always,
        "no_data" => SnapshotMode::NoData,
        "initial_only" => SnapshotMode::InitialOnly,
        "when_needed" => SnapshotMode::WhenNeeded,
        _ => SnapshotMode::Initial,
    };
    let decimal_mode = match s(next()).to_lowercase().as_str() {
        "double" => DecimalMode::Double,
        "string" => DecimalMode::String,
        _ => DecimalMode::Precise,
    };
    let time_mode = match s(next()).to_lowercase().as_str() {
        "adaptive_time_microseconds" => TimeMode::AdaptiveTimeMicroseconds,
        "connect" => TimeMode::Connect,
        _ => TimeMode::Adaptive,
    };
    let tombstones_on_delete = boolean(next(), true);
    let heartbeat_interval_ms = int(next(), 0).max(0) as u64;
    let max_batch_size = int(next(), 2048).max(1) as usize;
    let poll_interval_ms = int(next(), 500).clamp(1, 5000) as u64;
    Ok(CdcConfig {
        topic_prefix,
        hostname,
        port,
        user,
        password,
        dbname,
        plugin_name,
        slot_name,
        slot_drop_on_stop,
        publication_name,
        autocreate,
        table_include,
        table_exclude,
        column_include,
        column_exclude,
        snapshot_mode,
        decimal_mode,
        time_mode,
        tombstones_on_delete,
        heartbeat_interval_ms,
        max_batch_size,
        poll_interval_ms,
    })
}

impl CdcConfig {
    /// Whether `schema.table` is captured (`table.include.list` / `table.exclude.list`).
    pub fn table_included(&self, schema: &str, table: &str) -> bool {
        let id = format!("{schema}.{table}");
        if !self.table_include.is_empty() {
            return self.table_include.iter().any(|r| r.is_match(&id));
        }
        !self.table_exclude.iter().any(|r| r.is_match(&id))
    }

    /// The position of the first `table.include.list` entry that matches `schema.table`.
    pub fn include_rank(&self, schema: &str, table: &str) -> usize {
        let id = format!("{schema}.{table}");
        self.table_include
            .iter()
            .position(|r| r.is_match(&id))
            .unwrap_or(0)
    }

    /// Whether `schema.table.column` is captured (`column.include.list` / `column.exclude.list`).
    pub fn column_included(&self, schema: &str, table: &str, column: &str) -> bool {
        let id = format!("{schema}.{table}.{column}");
        if !self.column_include.is_empty() {
            return self.column_include.iter().any(|r| r.is_match(&id));
        }
        !self.column_exclude.iter().any(|r| r.is_match(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(extra: &[(&str, &str)]) -> ConfigMap {
        let mut m: ConfigMap = [
            ("topic.prefix", "p"),
            ("database.hostname", "h"),
            ("database.user", "u"),
            ("database.dbname", "d"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn defaults_are_debeziums() {
        let c = parse(&props(&[])).unwrap();
        assert_eq!(c.plugin_name, "decoderbufs");
        assert_eq!(c.slot_name, "debezium");
        assert_eq!(c.publication_name, "dbz_publication");
        assert_eq!(c.autocreate, AutoCreate::AllTables);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.max_batch_size, 2048);
        assert_eq!(c.poll_interval_ms, 500);
        assert!(c.tombstones_on_delete);
        assert_eq!(c.port, 5432);
    }

    #[test]
    fn validation_messages_are_debeziums() {
        let e = parse(&props(&[
            ("snapshot.mode", "sometimes"),
            ("slot.name", "Bad-Slot"),
        ]))
        .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Error configuring an instance of PostgresConnectorTask; check the logs for details"
            )
        );
        let cause = e.cause.unwrap().message.unwrap();
        assert!(cause.contains("The 'slot.name' value is invalid: Valid replication slot name must contain only digits, lowercase characters and underscores with length <= 63"), "{cause}");
        assert!(cause.contains("The 'snapshot.mode' value is invalid: Value must be one of always, initial, no_data, initial_only, when_needed, configuration_based, custom"), "{cause}");
        let errs = cross_key_errors(&props(&[
            ("table.include.list", "a"),
            ("table.exclude.list", "b"),
        ]));
        assert_eq!(
            errs,
            [(
                "table.exclude.list",
                "\"table.include.list\" is already specified".to_owned()
            )]
        );
        let c = parse(&props(&[(
            "table.include.list",
            "public.orders,inventory\\..*",
        )]))
        .unwrap();
        assert!(c.table_included("public", "orders"));
        assert!(c.table_included("inventory", "x"));
        assert!(!c.table_included("public", "orders2"));
    }
}
