//! `JdbcSinkConfig`: Confluent's sink keys with their types, defaults, validators, documentation,
//! groups and order, and the parsed settings the task works with.

use std::time::Duration;

use connect_plugin_api::ConfigMap;
use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Props, Validator, Width, invalid,
};
use connect_plugin_api::error::{ConnectError, class};

use crate::connectors::jdbc::dialect::{
    ConnectionSettings, DialectKind, Driver, JdbcUrl, QuoteMethod,
};

const CONNECTION: Option<&str> = Some("Connection");
const WRITES: Option<&str> = Some("Writes");
const DATA_MAPPING: Option<&str> = Some("Data Mapping");
const DDL: Option<&str> = Some("DDL Support");
const RETRIES: Option<&str> = Some("Retries");

const INSERT_MODES: &[&str] = &["insert", "upsert", "update"];
const PK_MODES: &[&str] = &["none", "kafka", "record_key", "record_value"];
const DATE_TIMEZONES: &[&str] = &["db_timezone", "utc"];

/// The Kafka-coordinate column names of `pk.mode=kafka` when `pk.fields` is empty.
pub const DEFAULT_KAFKA_PK_NAMES: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];

/// Confluent's `TimeZoneValidator`: any zone id Java knows (here: the system tz database and
/// fixed offsets such as `+02:00`).
fn check_time_zone(name: &str, value: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::Str(s)) = value
        && time_zone(s).is_none()
    {
        return Err(invalid(name, s, "Invalid time zone identifier"));
    }
    Ok(())
}

/// Confluent's `DatabaseDialectRecommender` accepts any of its dialects; the ones this worker
/// lacks are refused when the task starts, with the list of those it has.
fn check_dialect(name: &str, value: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::Str(s)) = value
        && let Err(e) = DialectKind::from_config(s)
    {
        return Err(invalid(name, s, &e));
    }
    Ok(())
}

fn check_quote(name: &str, value: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::Str(s)) = value
        && QuoteMethod::parse(s).is_none()
    {
        return Err(invalid(name, s, "String must be one of: always, never"));
    }
    Ok(())
}

/// The connector's own keys, in Confluent's order.
pub static CONFIG_DEF: &[ConfigKey] = &[
    ConfigKey {
        name: "connection.url",
        ty: ConfigType::String,
        default: DefaultValue::None,
        importance: Importance::High,
        documentation: "JDBC connection URL.\nFor example: ``jdbc:oracle:thin:@localhost:1521:orclpdb1``, ``jdbc:mysql://localhost/db_name``, ``jdbc:sqlserver://localhost;instance=SQLEXPRESS;databaseName=db_name``",
        group: CONNECTION,
        order: 1,
        width: Width::Long,
        display_name: "JDBC URL",
        validator: Validator::None,
    },
    ConfigKey {
        name: "connection.user",
        ty: ConfigType::String,
        default: DefaultValue::Null,
        importance: Importance::High,
        documentation: "JDBC connection user.",
        group: CONNECTION,
        order: 2,
        width: Width::Medium,
        display_name: "JDBC User",
        validator: Validator::None,
    },
    ConfigKey {
        name: "connection.password",
        ty: ConfigType::Password,
        default: DefaultValue::Null,
        importance: Importance::High,
        documentation: "JDBC connection password.",
        group: CONNECTION,
        order: 3,
        width: Width::Medium,
        display_name: "JDBC Password",
        validator: Validator::None,
    },
    ConfigKey {
        name: "dialect.name",
        ty: ConfigType::String,
        default: DefaultValue::Value(""),
        importance: Importance::Low,
        documentation: "The name of the database dialect that should be used for this connector. By default this is empty, and the connector automatically determines the dialect based upon the JDBC connection URL. Use this if you want to override that behavior and use a specific dialect. All properly-packaged dialects in the JDBC connector plugin can be used.",
        group: CONNECTION,
        order: 5,
        width: Width::Long,
        display_name: "Database Dialect",
        validator: Validator::Custom(check_dialect),
    },
    ConfigKey {
        name: "connection.attempts",
        ty: ConfigType::Int,
        default: DefaultValue::Value("3"),
        importance: Importance::Low,
        documentation: "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.",
        group: CONNECTION,
        order: 6,
        width: Width::Short,
        display_name: "JDBC connection attempts",
        validator: Validator::AtLeast(1),
    },
    ConfigKey {
        name: "connection.backoff.ms",
        ty: ConfigType::Long,
        default: DefaultValue::Value("10000"),
        importance: Importance::Low,
        documentation: "Backoff time in milliseconds between connection attempts.",
        group: CONNECTION,
        order: 7,
        width: Width::Short,
        display_name: "JDBC connection backoff in milliseconds",
        validator: Validator::None,
    },
    ConfigKey {
        name: "insert.mode",
        ty: ConfigType::String,
        default: DefaultValue::Value("insert"),
        importance: Importance::High,
        documentation: "The insertion mode to use. Supported modes are:\n``insert``\n    Use standard SQL ``INSERT`` statements.\n``upsert``\n    Use the appropriate upsert semantics for the target database if it is supported by the connector, e.g. ``INSERT OR IGNORE``.\n``update``\n    Use the appropriate update semantics for the target database if it is supported by the connector, e.g. ``UPDATE``.",
        group: WRITES,
        order: 1,
        width: Width::Medium,
        display_name: "Insert Mode",
        validator: Validator::OneOfCaseInsensitive(INSERT_MODES),
    },
    ConfigKey {
        name: "batch.size",
        ty: ConfigType::Int,
        default: DefaultValue::Value("3000"),
        importance: Importance::Medium,
        documentation: "Specifies how many records to attempt to batch together for insertion into the destination table, when possible.",
        group: WRITES,
        order: 2,
        width: Width::Short,
        display_name: "Batch Size",
        validator: Validator::AtLeast(0),
    },
    ConfigKey {
        name: "delete.enabled",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("false"),
        importance: Importance::Medium,
        documentation: "Whether to treat ``null`` record values as deletes. Requires ``pk.mode`` to be ``record_key``.",
        group: WRITES,
        order: 3,
        width: Width::Short,
        display_name: "Enable deletes",
        validator: Validator::None,
    },
    ConfigKey {
        name: "replace.null.with.default",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("true"),
        importance: Importance::Low,
        documentation: "Whether to replace ``null`` value with default value",
        group: WRITES,
        order: 5,
        width: Width::Medium,
        display_name: "Replace null value with default value",
        validator: Validator::None,
    },
    ConfigKey {
        name: "table.name.format",
        ty: ConfigType::String,
        default: DefaultValue::Value("${topic}"),
        importance: Importance::Medium,
        documentation: "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.\nFor example, ``kafka_${topic}`` for the topic 'orders' will map to the table name 'kafka_orders'.",
        group: DATA_MAPPING,
        order: 1,
        width: Width::Long,
        display_name: "Table Name Format",
        validator: Validator::NonEmptyString,
    },
    ConfigKey {
        name: "pk.mode",
        ty: ConfigType::String,
        default: DefaultValue::Value("none"),
        importance: Importance::High,
        documentation: "The primary key mode, also refer to ``pk.fields`` documentation for interplay. Supported modes are:\n``none``\n    No keys utilized.\n``kafka``\n    Kafka coordinates are used as the PK.\n``record_key``\n    Field(s) from the record key are used, which may be a primitive or a struct.\n``record_value``\n    Field(s) from the record value are used, which must be a struct.",
        group: DATA_MAPPING,
        order: 2,
        width: Width::Medium,
        display_name: "Primary Key Mode",
        validator: Validator::OneOfCaseInsensitive(PK_MODES),
    },
    ConfigKey {
        name: "pk.fields",
        ty: ConfigType::List,
        default: DefaultValue::Value(""),
        importance: Importance::Medium,
        documentation: "List of comma-separated primary key field names. The runtime interpretation of this config depends on the ``pk.mode``:\n``none``\n    Ignored as no fields are used as primary key in this mode.\n``kafka``\n    Must be a trio representing the Kafka coordinates, defaults to ``__connect_topic,__connect_partition,__connect_offset`` if empty.\n``record_key``\n    If empty, all fields from the key struct will be used, otherwise used to extract the desired fields - for primitive key only a single field name must be configured.\n``record_value``\n    If empty, all fields from the value struct will be used, otherwise used to extract the desired fields.",
        group: DATA_MAPPING,
        order: 3,
        width: Width::Long,
        display_name: "Primary Key Fields",
        validator: Validator::None,
    },
    ConfigKey {
        name: "fields.whitelist",
        ty: ConfigType::List,
        default: DefaultValue::Value(""),
        importance: Importance::Medium,
        documentation: "List of comma-separated record value field names. If empty, all fields from the record value are utilized, otherwise used to filter to the desired fields.\nNote that ``pk.fields`` is applied independently in the context of which field(s) form the primary key columns in the destination database, while this configuration is applicable for the other columns.",
        group: DATA_MAPPING,
        order: 4,
        width: Width::Long,
        display_name: "Fields Whitelist",
        validator: Validator::None,
    },
    ConfigKey {
        name: "db.timezone",
        ty: ConfigType::String,
        default: DefaultValue::Value("UTC"),
        importance: Importance::Medium,
        documentation: "Name of the JDBC timezone that should be used in the connector when inserting time-based values. Defaults to UTC.",
        group: DATA_MAPPING,
        order: 5,
        width: Width::Medium,
        display_name: "DB Time Zone",
        validator: Validator::Custom(check_time_zone),
    },
    ConfigKey {
        name: "date.timezone",
        ty: ConfigType::String,
        default: DefaultValue::Value("DB_TIMEZONE"),
        importance: Importance::Low,
        documentation: "Name of the JDBC timezone that should be used in the connector when inserting DATE type values. Defaults to DB_TIMEZONE that uses the timezone set for db.timzeone configuration (to maintain backward compatibility). It is recommended to set this to UTC to avoid conversion for DATE type values.",
        group: DATA_MAPPING,
        order: 6,
        width: Width::Medium,
        display_name: "Time Zone used for Date",
        validator: Validator::OneOfCaseInsensitive(DATE_TIMEZONES),
    },
    ConfigKey {
        name: "auto.create",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("false"),
        importance: Importance::Medium,
        documentation: "Whether to automatically create the destination table based on record schema if it is found to be missing by issuing ``CREATE``.",
        group: DDL,
        order: 1,
        width: Width::Short,
        display_name: "Auto-Create",
        validator: Validator::None,
    },
    ConfigKey {
        name: "auto.evolve",
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("false"),
        importance: Importance::Medium,
        documentation: "Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ``ALTER``.",
        group: DDL,
        order: 2,
        width: Width::Short,
        display_name: "Auto-Evolve",
        validator: Validator::None,
    },
    ConfigKey {
        name: "quote.sql.identifiers",
        ty: ConfigType::String,
        default: DefaultValue::Value("ALWAYS"),
        importance: Importance::Medium,
        documentation: "When to quote table names, column names, and other identifiers in SQL statements. For backward compatibility, the default is ``always``.",
        group: DDL,
        order: 3,
        width: Width::Medium,
        display_name: "Quote Identifiers",
        validator: Validator::Custom(check_quote),
    },
    ConfigKey {
        name: "max.retries",
        ty: ConfigType::Int,
        default: DefaultValue::Value("10"),
        importance: Importance::Medium,
        documentation: "The maximum number of times to retry on errors before failing the task.",
        group: RETRIES,
        order: 1,
        width: Width::Short,
        display_name: "Maximum Retries",
        validator: Validator::AtLeast(0),
    },
    ConfigKey {
        name: "retry.backoff.ms",
        ty: ConfigType::Int,
        default: DefaultValue::Value("3000"),
        importance: Importance::Medium,
        documentation: "The time in milliseconds to wait following an error before a retry attempt is made.",
        group: RETRIES,
        order: 2,
        width: Width::Short,
        display_name: "Retry Backoff (millis)",
        validator: Validator::AtLeast(0),
    },
    ConfigKey {
        name: EXACTLY_ONCE,
        ty: ConfigType::Boolean,
        default: DefaultValue::Value("false"),
        importance: Importance::Low,
        documentation: "connect-worker only: with insert.mode=insert, store the consumed Kafka offsets in the table __connect_offsets of the target database in the same transaction as the rows, and resume from them, so that a crash never duplicates or loses a row. Off by default.",
        group: WRITES,
        order: 6,
        width: Width::Short,
        display_name: "Exactly-once inserts",
        validator: Validator::None,
    },
];

/// The key of the exactly-once insert option (not in Confluent's sink).
pub const EXACTLY_ONCE: &str = "exactly.once.insert";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    Insert,
    Upsert,
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    None,
    Kafka,
    RecordKey,
    RecordValue,
}

impl PkMode {
    /// As Confluent prints it in messages (`pk.mode.toString().toLowerCase()`).
    pub fn as_str(self) -> &'static str {
        match self {
            PkMode::None => "none",
            PkMode::Kafka => "kafka",
            PkMode::RecordKey => "record_key",
            PkMode::RecordValue => "record_value",
        }
    }

    /// Java's enum name (`RECORD_KEY`), used where Confluent formats the enum itself.
    pub fn java_name(self) -> &'static str {
        match self {
            PkMode::None => "NONE",
            PkMode::Kafka => "KAFKA",
            PkMode::RecordKey => "RECORD_KEY",
            PkMode::RecordValue => "RECORD_VALUE",
        }
    }
}

/// The parsed config of a sink task.
#[derive(Debug, Clone)]
pub struct JdbcSinkConfig {
    pub connector_name: String,
    pub connection: ConnectionSettings,
    pub dialect: DialectKind,
    pub insert_mode: InsertMode,
    pub batch_size: usize,
    pub delete_enabled: bool,
    pub replace_null_with_default: bool,
    pub table_name_format: String,
    pub pk_mode: PkMode,
    pub pk_fields: Vec<String>,
    pub fields_whitelist: Vec<String>,
    pub db_timezone: jiff::tz::TimeZone,
    /// `date.timezone=UTC`: dates are written as UTC days, not shifted into `db.timezone`.
    pub date_utc: bool,
    pub auto_create: bool,
    pub auto_evolve: bool,
    pub quote: QuoteMethod,
    pub max_retries: u32,
    pub retry_backoff: Duration,
    pub exactly_once: bool,
}

/// `db.timezone` as a zone: a tz database name (`Europe/Paris`, `UTC`) or a fixed offset.
pub fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("UTC") || name.eq_ignore_ascii_case("Z") || name == "GMT" {
        return Some(jiff::tz::TimeZone::UTC);
    }
    if let Ok(tz) = jiff::tz::TimeZone::get(name) {
        return Some(tz);
    }
    // `+02:00`, `-0530`, `GMT+2`, `UTC-03:00`
    let off = name
        .strip_prefix("GMT")
        .or_else(|| name.strip_prefix("UTC"))
        .unwrap_or(name);
    let (sign, rest) = match off.as_bytes().first()? {
        b'+' => (1, &off[1..]),
        b'-' => (-1, &off[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let split = digits.len() - 2;
        (
            digits[..split].parse::<i32>().ok()?,
            digits[split..].parse::<i32>().ok()?,
        )
    };
    if h > 18 || m > 59 {
        return None;
    }
    let secs = sign * (h * 3600 + m * 60);
    jiff::tz::Offset::from_seconds(secs)
        .ok()
        .map(jiff::tz::TimeZone::fixed)
}

fn config_error(e: String) -> ConnectError {
    ConnectError::new(class::CONFIG, e)
}

impl JdbcSinkConfig {
    /// Parses and validates a task's (or the connector's) config.
    pub fn parse(props: &ConfigMap) -> Result<JdbcSinkConfig, ConnectError> {
        let p = Props(props);
        let get = |name: &str| -> Result<Option<Parsed>, ConnectError> {
            let def = CONFIG_DEF
                .iter()
                .find(|k| k.name == name)
                .expect("a key of CONFIG_DEF");
            p.parsed(def).map_err(config_error)
        };
        let string = |name: &str| -> Result<String, ConnectError> {
            Ok(match get(name)? {
                Some(Parsed::Str(s)) => s,
                _ => String::new(),
            })
        };
        let int = |name: &str| -> Result<i64, ConnectError> {
            Ok(match get(name)? {
                Some(Parsed::Int(i)) => i,
                _ => 0,
            })
        };
        let boolean = |name: &str| -> Result<bool, ConnectError> {
            Ok(matches!(get(name)?, Some(Parsed::Bool(true))))
        };
        let list = |name: &str| -> Result<Vec<String>, ConnectError> {
            Ok(match get(name)? {
                Some(Parsed::List(l)) => l,
                _ => Vec::new(),
            })
        };
        let url = match get("connection.url")? {
            Some(Parsed::Str(s)) => s,
            _ => {
                return Err(config_error(
                    "Missing required configuration \"connection.url\" which has no default value."
                        .into(),
                ));
            }
        };
        // Java's DriverManager picks the driver from the URL; `dialect.name` only changes the
        // SQL. A URL of another database fails when connecting ("No suitable driver").
        let dialect_name = string("dialect.name")?;
        let dialect = match DialectKind::from_config(&dialect_name)
            .map_err(|e| config_error(invalid("dialect.name", &dialect_name, &e)))?
        {
            Some(d) => d,
            None => match JdbcUrl::parse(&url) {
                Ok(u) => DialectKind::for_driver(u.driver),
                Err(_) => DialectKind::for_driver(Driver::PostgreSql),
            },
        };
        let insert_mode = match string("insert.mode")?.to_ascii_lowercase().as_str() {
            "upsert" => InsertMode::Upsert,
            "update" => InsertMode::Update,
            _ => InsertMode::Insert,
        };
        let pk_mode = match string("pk.mode")?.to_ascii_lowercase().as_str() {
            "kafka" => PkMode::Kafka,
            "record_key" => PkMode::RecordKey,
            "record_value" => PkMode::RecordValue,
            _ => PkMode::None,
        };
        let tz_name = string("db.timezone")?;
        let db_timezone = time_zone(&tz_name).ok_or_else(|| {
            config_error(invalid(
                "db.timezone",
                &tz_name,
                "Invalid time zone identifier",
            ))
        })?;
        let quote_name = string("quote.sql.identifiers")?;
        let quote = QuoteMethod::parse(&quote_name).ok_or_else(|| {
            config_error(invalid(
                "quote.sql.identifiers",
                &quote_name,
                "String must be one of: always, never",
            ))
        })?;
        let exactly_once = boolean(EXACTLY_ONCE)?;
        if exactly_once && insert_mode != InsertMode::Insert {
            return Err(config_error(invalid(
                EXACTLY_ONCE,
                "true",
                "exactly-once writes need insert.mode=insert",
            )));
        }
        Ok(JdbcSinkConfig {
            connector_name: props.get("name").cloned().unwrap_or_default(),
            connection: ConnectionSettings {
                url,
                user: p.str("connection.user").map(str::to_owned),
                password: props.get("connection.password").cloned(),
                attempts: int("connection.attempts")?.max(1) as u32,
                backoff: Duration::from_millis(int("connection.backoff.ms")?.max(0) as u64),
            },
            dialect,
            insert_mode,
            batch_size: int("batch.size")?.max(1) as usize,
            delete_enabled: boolean("delete.enabled")?,
            replace_null_with_default: boolean("replace.null.with.default")?,
            table_name_format: string("table.name.format")?,
            pk_mode,
            pk_fields: list("pk.fields")?,
            fields_whitelist: list("fields.whitelist")?,
            db_timezone,
            date_utc: string("date.timezone")?.eq_ignore_ascii_case("utc"),
            auto_create: boolean("auto.create")?,
            auto_evolve: boolean("auto.evolve")?,
            quote,
            max_retries: int("max.retries")?.max(0) as u32,
            retry_backoff: Duration::from_millis(int("retry.backoff.ms")?.max(0) as u64),
            exactly_once,
        })
    }

    /// `table.name.format` with `${topic}` replaced.
    pub fn table_name(&self, topic: &str) -> String {
        self.table_name_format.replace("${topic}", topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_confluents() {
        let c =
            JdbcSinkConfig::parse(&props(&[("connection.url", "jdbc:mariadb://h/db")])).unwrap();
        assert_eq!(c.dialect, DialectKind::MySql);
        assert_eq!(c.insert_mode, InsertMode::Insert);
        assert_eq!(c.pk_mode, PkMode::None);
        assert_eq!(c.batch_size, 3000);
        assert_eq!(c.max_retries, 10);
        assert_eq!(c.retry_backoff, Duration::from_millis(3000));
        assert_eq!(c.connection.attempts, 3);
        assert_eq!(c.connection.backoff, Duration::from_millis(10000));
        assert_eq!(c.quote, QuoteMethod::Always);
        assert!(!c.auto_create && !c.auto_evolve && !c.delete_enabled && !c.exactly_once);
        assert_eq!(c.table_name("orders"), "orders");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = JdbcSinkConfig::parse(&props(&[
            ("connection.url", "jdbc:postgresql://h/db"),
            ("insert.mode", "merge"),
        ]))
        .unwrap_err();
        assert!(e.message.as_deref().unwrap().contains("insert.mode"), "{e}");
        let e = JdbcSinkConfig::parse(&props(&[
            ("connection.url", "jdbc:postgresql://h/db"),
            ("db.timezone", "Mars/Olympus"),
        ]))
        .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Invalid value Mars/Olympus for configuration db.timezone: Invalid time zone identifier"
            )
        );
        assert!(time_zone("Europe/Paris").is_some());
        assert!(time_zone("+05:30").is_some());
    }
}
