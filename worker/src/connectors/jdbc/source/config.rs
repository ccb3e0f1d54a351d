//! The keys of Confluent's `JdbcSourceConnectorConfig`, with its defaults, validators and docs,
//! and [`SourceConfig`], the parsed form the connector and its tasks work from.

use std::time::Duration;

use connect_plugin_api::ConfigMap;
use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Validator, Width, invalid, split_list,
};
use connect_plugin_api::error::{ConnectError, class};

use crate::connectors::jdbc::dialect::{
    ConnectionSettings, DialectKind, JdbcUrl, QuoteMethod, UrlError,
};

pub const MODE_BULK: &str = "bulk";
pub const MODE_TIMESTAMP: &str = "timestamp";
pub const MODE_INCREMENTING: &str = "incrementing";
pub const MODE_TIMESTAMP_INCREMENTING: &str = "timestamp+incrementing";

/// The task-only keys Confluent's connector adds to each task config.
pub const TABLES_CONFIG: &str = "tables";
pub const TABLES_FETCHED: &str = "tables.fetched";

const DATABASE: Option<&str> = Some("Database");
const MODE: Option<&str> = Some("Mode");
const CONNECTOR: Option<&str> = Some("Connector");

#[allow(clippy::too_many_arguments)]
const fn key(
    name: &'static str,
    ty: ConfigType,
    default: DefaultValue,
    validator: Validator,
    importance: Importance,
    documentation: &'static str,
    group: Option<&'static str>,
    order: i32,
    width: Width,
    display_name: &'static str,
) -> ConfigKey {
    ConfigKey {
        name,
        ty,
        default,
        importance,
        documentation,
        group,
        order,
        width,
        display_name,
        validator,
    }
}

use ConfigType as T;
use DefaultValue as D;
use Importance as I;
use Validator as V;

/// `numeric.mapping` values (Confluent's `NumericMapping`, lower case).
pub const NUMERIC_MAPPINGS: &[&str] = &[
    "none",
    "precision_only",
    "best_fit",
    "best_fit_eager_double",
];
/// `transaction.isolation.mode` values.
pub const ISOLATION_MODES: &[&str] = &[
    "DEFAULT",
    "READ_UNCOMMITTED",
    "READ_COMMITTED",
    "REPEATABLE_READ",
    "SERIALIZABLE",
    "SQL_SERVER_SNAPSHOT",
];
/// `timestamp.granularity` values.
pub const GRANULARITIES: &[&str] = &[
    "connect_logical",
    "micros_long",
    "micros_string",
    "micros_iso_datetime_string",
    "nanos_long",
    "nanos_string",
    "nanos_iso_datetime_string",
];

fn enum_check(allowed: &[&str], name: &str, p: Option<&Parsed>) -> Result<(), String> {
    match p {
        Some(Parsed::Str(s)) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
            Err(invalid(name, s, "Invalid enumerator"))
        }
        _ => Ok(()),
    }
}

fn numeric_mapping_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    enum_check(NUMERIC_MAPPINGS, name, p)
}

fn isolation_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    enum_check(ISOLATION_MODES, name, p)
}

fn granularity_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    enum_check(GRANULARITIES, name, p)
}

fn quote_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    enum_check(QuoteMethod::NAMES, name, p)
}

fn dialect_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    match p {
        Some(Parsed::Str(s)) => DialectKind::from_config(s)
            .map(|_| ())
            .map_err(|e| invalid(name, s, &e)),
        _ => Ok(()),
    }
}

fn regex_list_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::List(l)) = p {
        for r in l {
            if let Err(e) = regex::Regex::new(r.trim()) {
                return Err(invalid(
                    name,
                    &l.join(","),
                    &format!(
                        "Must be a valid comma-separated list of regular expression patterns: {e}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn ts_mapping_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::List(l)) = p {
        for m in l {
            parse_mapping(name, m, true)?;
        }
    }
    Ok(())
}

fn inc_mapping_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    if let Some(Parsed::List(l)) = p {
        for m in l {
            parse_mapping(name, m, false)?;
        }
    }
    Ok(())
}

/// One `regex:[a|b]` (`multi`) or `regex:col` mapping, with Confluent's messages.
pub fn parse_mapping(name: &str, m: &str, multi: bool) -> Result<(String, Vec<String>), String> {
    let m = m.trim();
    let parts: Vec<&str> = m.split(':').collect();
    if parts.len() != 2 {
        let expected = if multi {
            "Invalid format. Expected 'regex:[col1|col2|...]'"
        } else {
            "Invalid format. Expected 'regex:columnName'"
        };
        return Err(invalid(name, m, expected));
    }
    let re = parts[0].trim();
    if let Err(e) = regex::Regex::new(re) {
        return Err(invalid(
            name,
            re,
            &format!("Invalid regular expression: {e}"),
        ));
    }
    let cols = parts[1].trim();
    if !multi {
        if cols.is_empty() {
            return Err(invalid(name, cols, "Column name cannot be empty"));
        }
        return Ok((re.to_owned(), vec![cols.to_owned()]));
    }
    if !cols.starts_with('[') || !cols.ends_with(']') || cols.len() < 2 {
        return Err(invalid(
            name,
            cols,
            "Columns list must be enclosed in square brackets",
        ));
    }
    let inner = &cols[1..cols.len() - 1];
    if inner.trim().is_empty() {
        return Err(invalid(name, cols, "Columns list cannot be empty"));
    }
    let mut out = Vec::new();
    for c in inner.split('|') {
        if c.trim().is_empty() {
            return Err(invalid(
                name,
                cols,
                "Every column name should be non-empty string",
            ));
        }
        out.push(c.trim().to_owned());
    }
    Ok((re.to_owned(), out))
}

fn topic_prefix_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    match p {
        None => Err(invalid(name, "null", "Topic prefix must not be null.")),
        Some(Parsed::Str(s)) => {
            let t = s.trim();
            if t.len() > 249 {
                Err(invalid(
                    name,
                    s,
                    "Topic prefix length must not exceed max topic name length, 249 chars",
                ))
            } else if t
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            {
                Err(invalid(
                    name,
                    s,
                    "Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'.",
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn timezone_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    match p {
        Some(Parsed::Str(s)) if crate::connectors::jdbc::source::values::zone(s).is_none() => {
            Err(invalid(
                name,
                s,
                "Invalid time zone. See the list of valid time zones at https://docs.oracle.com/javase/8/docs/api/java/time/ZoneId.html#shortIds",
            ))
        }
        _ => Ok(()),
    }
}

fn credentials_check(name: &str, p: Option<&Parsed>) -> Result<(), String> {
    match p {
        Some(Parsed::Str(s)) if s != DEFAULT_CREDENTIALS_PROVIDER => Err(invalid(
            name,
            s,
            "connect-worker reads credentials from connection.user and connection.password only; \
             remove jdbc.credentials.provider.class",
        )),
        _ => Ok(()),
    }
}

const DEFAULT_CREDENTIALS_PROVIDER: &str =
    "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider";

/// The connector's keys, in Confluent's definition order.
pub static CONFIG_DEF: &[ConfigKey] = &[
    key(
        "connection.url",
        T::String,
        D::Value(""),
        V::None,
        I::High,
        "JDBC connection URL.\nFor example: ``jdbc:oracle:thin:@localhost:1521:orclpdb1``, ``jdbc:mysql://localhost/db_name``, ``jdbc:sqlserver://localhost;instance=SQLEXPRESS;databaseName=db_name``\nFor SQL Server (Driver 10.2.4+) - TLS encryption is recommended.Use ``encrypt=true;trustServerCertificate=false`` for secure connections, In order to bypass certificate validation (not recommended for production), use ``encrypt=true;trustServerCertificate=true`` and in order to disable  TLS encryption entirely, use ``encrypt=false`` (not recommended for production).",
        DATABASE,
        1,
        Width::Long,
        "JDBC URL",
    ),
    key(
        "connection.user",
        T::String,
        D::Null,
        V::None,
        I::High,
        "JDBC connection user.",
        DATABASE,
        2,
        Width::Long,
        "JDBC User",
    ),
    key(
        "connection.password",
        T::Password,
        D::Null,
        V::None,
        I::High,
        "JDBC connection password.",
        DATABASE,
        3,
        Width::Short,
        "JDBC Password",
    ),
    key(
        "jdbc.credentials.provider.class",
        T::Class,
        D::Value(DEFAULT_CREDENTIALS_PROVIDER),
        V::Custom(credentials_check),
        I::Low,
        "Credentials provider or provider chain to use for authentication to database. By default the connector uses ``io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider``.",
        DATABASE,
        4,
        Width::Long,
        "JDBC Credentials Provider Class",
    ),
    key(
        "connection.attempts",
        T::Int,
        D::Value("3"),
        V::AtLeast(1),
        I::Low,
        "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.",
        DATABASE,
        5,
        Width::Short,
        "JDBC connection attempts",
    ),
    key(
        "connection.backoff.ms",
        T::Long,
        D::Value("10000"),
        V::None,
        I::Low,
        "Backoff time in milliseconds between connection attempts.",
        DATABASE,
        6,
        Width::Short,
        "JDBC connection backoff in milliseconds",
    ),
    key(
        "table.whitelist",
        T::List,
        D::Value(""),
        V::None,
        I::Medium,
        "List of tables to include in copying. If specified, ``table.blacklist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.whitelist: \"User, Address, Email\"``).",
        DATABASE,
        7,
        Width::Long,
        "Table Whitelist",
    ),
    key(
        "table.blacklist",
        T::List,
        D::Value(""),
        V::None,
        I::Medium,
        "List of tables to exclude from copying. If specified, ``table.whitelist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.blacklist: \"User, Address, Email\"``).",
        DATABASE,
        8,
        Width::Long,
        "Table Blacklist",
    ),
    key(
        "table.include.list",
        T::List,
        D::Value(""),
        V::Custom(regex_list_check),
        I::Medium,
        "A comma-separated list of regular expressions that match the fully-qualified names of tables to be copied. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.include.list: \"schema1.customer.*,schema2.order.*\"``. If specified, the legacy configs of ``table.whitelist``, and ``table.blacklist`` cannot be set.",
        DATABASE,
        9,
        Width::Long,
        "Tables Included (Regex)",
    ),
    key(
        "table.exclude.list",
        T::List,
        D::Value(""),
        V::Custom(regex_list_check),
        I::Medium,
        "A comma-separated list of regular expressions that match the fully-qualified names of tables not to be copied. This only applies to tables that match the include list. REQUIRES ``table.include.list`` to be specified. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.exclude.list: \".*.temp.*,.*.staging.*\"``. If specified, ``table.whitelist`` and ``table.blacklist`` cannot not be set.",
        DATABASE,
        10,
        Width::Long,
        "Tables Excluded (Regex)",
    ),
    key(
        "catalog.pattern",
        T::String,
        D::Null,
        V::None,
        I::Medium,
        "Catalog pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a catalog \n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the catalog.",
        DATABASE,
        11,
        Width::Short,
        "Schema pattern",
    ),
    key(
        "schema.pattern",
        T::String,
        D::Null,
        V::None,
        I::High,
        "Schema pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a schema.\n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the schema.",
        DATABASE,
        12,
        Width::Short,
        "Schema pattern",
    ),
    key(
        "numeric.precision.mapping",
        T::Boolean,
        D::Value("false"),
        V::None,
        I::Low,
        "Whether or not to attempt mapping NUMERIC values by precision to integral types. This option is now deprecated. A future version may remove it completely. Please use ``numeric.mapping`` instead.",
        DATABASE,
        13,
        Width::Short,
        "Map Numeric Values By Precision (deprecated)",
    ),
    key(
        "numeric.mapping",
        T::String,
        D::Null,
        V::Custom(numeric_mapping_check),
        I::Low,
        "Map NUMERIC values by precision and optionally scale to integral or decimal types.\n  * Use ``none`` if all NUMERIC columns are to be represented by Connect's DECIMAL logical type.\n  * Use ``best_fit`` if NUMERIC columns should be cast to Connect's INT8, INT16, INT32, INT64, or FLOAT64 based upon the column's precision and scale. This option may still represent the NUMERIC value as Connect DECIMAL if it cannot be cast to a native type without losing precision. For example, a NUMERIC(20) type with precision 20 would not be able to fit in a native INT64 without overflowing and thus would be retained as DECIMAL.\n  * Use ``best_fit_eager_double`` if in addition to the properties of ``best_fit`` described above, it is desirable to always cast NUMERIC columns with scale to Connect FLOAT64 type, despite potential of loss in accuracy.\n  * Use ``precision_only`` to map NUMERIC columns based only on the column's precision assuming that column's scale is 0.\n  * The ``none`` option is the default, but may lead to serialization issues with Avro since Connect's DECIMAL type is mapped to its binary representation, and ``best_fit`` will often be preferred since it maps to the most appropriate primitive type.",
        DATABASE,
        14,
        Width::Short,
        "Map Numeric Values, Integral or Decimal, By Precision and Scale",
    ),
    key(
        "dialect.name",
        T::String,
        D::Value(""),
        V::Custom(dialect_check),
        I::Low,
        "The name of the database dialect that should be used for this connector. By default this is empty, and the connector automatically determines the dialect based upon the JDBC connection URL. Use this if you want to override that behavior and use a specific dialect. All properly-packaged dialects in the JDBC connector plugin can be used.",
        DATABASE,
        15,
        Width::Long,
        "Database Dialect",
    ),
    key(
        "date.calendar.system",
        T::String,
        D::Value("LEGACY"),
        V::OneOf(&["LEGACY", "PROLEPTIC_GREGORIAN"]),
        I::Low,
        "The time elapsed from epoch populated in the end table topic for DATE or TIMESTAMP type columns can have two different values based upon the Calendar used to interpret it. If LEGACY is used, it will use the hybrid Gregorian/Julian calendar which was the default in the older java date time APIs. However, if 'PROLEPTIC_GREGORIAN' is used, then it will use the proleptic gregorian calendar which extends the Gregorian rules backward indefinitely and does not apply the 1582 cutover. This matches the behavior of modern Java date/time APIs (java.time). This is defaulted to LEGACY for backward compatibility. Changing this configuration on an existing connector might lead to a drift in the kafka topic record values.",
        DATABASE,
        16,
        Width::Medium,
        "Date Calendar System",
    ),
    key(
        "mode",
        T::String,
        D::Value(""),
        V::OneOf(&[
            "",
            MODE_BULK,
            MODE_TIMESTAMP,
            MODE_INCREMENTING,
            MODE_TIMESTAMP_INCREMENTING,
        ]),
        I::High,
        "The mode for updating a table each time it is polled. Options include:\n  * bulk: perform a bulk load of the entire table each time it is polled\n  * incrementing: use a strictly incrementing column on each table to detect only new rows. Note that this will not detect modifications or deletions of existing rows.\n  * timestamp: use a timestamp (or timestamp-like) column to detect new and modified rows. This assumes the column is updated with each write, and that values are monotonically incrementing, but not necessarily unique.\n  * timestamp+incrementing: use two columns, a timestamp column that detects new and modified rows and a strictly incrementing column which provides a globally unique ID for updates so each row can be assigned a unique stream offset.",
        MODE,
        1,
        Width::Medium,
        "Table Loading Mode",
    ),
    key(
        "incrementing.column.name",
        T::String,
        D::Value(""),
        V::None,
        I::Medium,
        "The name of the strictly incrementing column to use to detect new rows. Any empty value indicates the column should be autodetected by looking for an auto-incrementing column. This column may not be nullable.",
        MODE,
        2,
        Width::Medium,
        "Incrementing Column Name",
    ),
    key(
        "timestamp.column.name",
        T::List,
        D::Value(""),
        V::None,
        I::Medium,
        "Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function. Rows whose first non-null timestamp value is greater than the largest previous timestamp value seen will be discovered with each poll. At least one column should not be nullable.",
        MODE,
        3,
        Width::Medium,
        "Timestamp Column Name",
    ),
    key(
        "timestamp.columns.mapping",
        T::List,
        D::Value(""),
        V::Custom(ts_mapping_check),
        I::Medium,
        "A comma separated list of table regex to timestamp columns mappings. On specifying multiple timestamp columns, COALESCE SQL function would be used to find out the effective timestamp for a row. Expected format is ``regex1:[col1|col2],regex2:[col3]``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY.*:[UPDATED_AT|MODIFIED_AT],ACCOUNTS.*:[CHANGED_AT]``",
        MODE,
        4,
        Width::Long,
        "Table to timestamp columns mappings",
    ),
    key(
        "incrementing.column.mapping",
        T::List,
        D::Value(""),
        V::Custom(inc_mapping_check),
        I::Medium,
        "A comma separated list of table regex to incrementing column mappings. Expected format is ``regex1:col2,regex2:col1``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY*:EMP_ID,ACCOUNTS.*:ID``",
        MODE,
        5,
        Width::Long,
        "Table to incrementing column mappings",
    ),
    key(
        "timestamp.initial",
        T::Long,
        D::Null,
        V::None,
        I::Low,
        "The epoch timestamp used for initial queries that use timestamp criteria. Use -1 to use the current time. If not specified, all data will be retrieved.",
        MODE,
        6,
        Width::Medium,
        "Unix time value of initial timestamp",
    ),
    key(
        "validate.non.null",
        T::Boolean,
        D::Value("true"),
        V::None,
        I::Low,
        "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp. If the tables don't, JDBC connector will fail to start. Setting this to false will disable these checks.",
        MODE,
        7,
        Width::Short,
        "Validate Non Null",
    ),
    key(
        "query",
        T::String,
        D::Value(""),
        V::None,
        I::Medium,
        "If specified, the query to perform to select new or updated rows. Use this setting if you want to join tables, select subsets of columns in a table, or filter data. If used, this connector will only copy data using this query -- whole-table copying will be disabled. Different query modes may still be used for incremental updates, but in order to properly construct the incremental query, it must be possible to append a WHERE clause to this query (i.e. no WHERE clauses may be used). If you use a WHERE clause, it must handle incremental queries itself.",
        MODE,
        8,
        Width::Short,
        "Query",
    ),
    key(
        "query.masked",
        T::Password,
        D::Value(""),
        V::None,
        I::Medium,
        "Same as 'query' configuration but the query string is maskedUse this config to prevent sensitive information from being logged.",
        MODE,
        9,
        Width::Short,
        "Query (Masked)",
    ),
    key(
        "quote.sql.identifiers",
        T::String,
        D::Value("ALWAYS"),
        V::Custom(quote_check),
        I::Medium,
        "When to quote table names, column names, and other identifiers in SQL statements. For backward compatibility, the default is ``always``.",
        MODE,
        10,
        Width::Medium,
        "Quote Identifiers",
    ),
    key(
        "query.suffix",
        T::String,
        D::Value(""),
        V::None,
        I::Low,
        "Suffix to append at the end of the generated query.",
        MODE,
        11,
        Width::Medium,
        "Query suffix",
    ),
    key(
        "transaction.isolation.mode",
        T::String,
        D::Value("DEFAULT"),
        V::Custom(isolation_check),
        I::Low,
        "Mode to control which transaction isolation level is used when running queries against the database. By default no explicit transaction isolationmode is set. SQL_SERVER_SNAPSHOT will only workagainst a connector configured to write to Sql Server.  Options include:\n  * DEFAULT\n   * READ_UNCOMMITED\n  * READ_COMMITED\n  * REPEATABLE_READ\n  * SERIALIZABLE\n  * SQL_SERVER_SNAPSHOT\n",
        MODE,
        12,
        Width::Medium,
        "Transaction Isolation Mode",
    ),
    key(
        "query.retry.attempts",
        T::Int,
        D::Value("-1"),
        V::None,
        I::Low,
        "Number of times to retry SQL exceptions encountered when executing queries.",
        MODE,
        13,
        Width::Medium,
        "Query Retry Attempts",
    ),
    key(
        "table.types",
        T::List,
        D::Value("TABLE"),
        V::None,
        I::Low,
        "By default, the JDBC connector will only detect tables with type TABLE from the source Database. This config allows a command separated list of table types to extract. Options include:\n  * TABLE\n  * VIEW\n  * SYSTEM TABLE\n  * GLOBAL TEMPORARY\n  * LOCAL TEMPORARY\n  * ALIAS\n  * SYNONYM\n  In most cases it only makes sense to have either TABLE or VIEW.",
        CONNECTOR,
        1,
        Width::Medium,
        "Table Types",
    ),
    key(
        "poll.interval.ms",
        T::Int,
        D::Value("5000"),
        V::None,
        I::High,
        "Frequency in ms to poll for new data in each table.",
        CONNECTOR,
        2,
        Width::Short,
        "Poll Interval (ms)",
    ),
    key(
        "batch.max.rows",
        T::Int,
        D::Value("1000"),
        V::None,
        I::Low,
        "Maximum number of rows to include in a single batch when polling for new data. This setting can be used to limit the amount of data buffered internally in the connector.",
        CONNECTOR,
        3,
        Width::Short,
        "Max Rows Per Batch",
    ),
    key(
        "max.buffer.size",
        T::Int,
        D::Value("0"),
        V::None,
        I::Low,
        "The maximum number of records from the source database that can be buffered into memory. The default of 0 means a buffer size will be based on the maximum batch size.",
        CONNECTOR,
        4,
        Width::Short,
        "Maximum Buffer Size",
    ),
    key(
        "poll.linger.ms",
        T::Long,
        D::Value("5000"),
        V::None,
        I::Low,
        "The maximum time to wait for a record before returning an empty batch. The default is 5 seconds.",
        CONNECTOR,
        5,
        Width::Short,
        "Poll Linger Milliseconds",
    ),
    key(
        "table.poll.interval.ms",
        T::Long,
        D::Value("60000"),
        V::None,
        I::Low,
        "Frequency in ms to poll for new or removed tables, which may result in updated task configurations to start polling for data in added tables or stop polling for data in removed tables.",
        CONNECTOR,
        6,
        Width::Short,
        "Metadata Change Monitoring Interval (ms)",
    ),
    key(
        "topic.prefix",
        T::String,
        D::Value(""),
        V::Custom(topic_prefix_check),
        I::High,
        "Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.",
        CONNECTOR,
        7,
        Width::Medium,
        "Topic Prefix",
    ),
    key(
        "timestamp.delay.interval.ms",
        T::Long,
        D::Value("0"),
        V::None,
        I::High,
        "How long to wait after a row with certain timestamp appears before we include it in the result. You may choose to add some delay to allow transactions with earlier timestamp to complete. The first execution will fetch all available records (i.e. starting at timestamp 0) until current time minus the delay. Every following execution will get data from the last time we fetched until current time minus the delay.",
        CONNECTOR,
        8,
        Width::Medium,
        "Delay Interval (ms)",
    ),
    key(
        "db.timezone",
        T::String,
        D::Value("UTC"),
        V::Custom(timezone_check),
        I::Medium,
        "Name of the JDBC timezone used in the connector when querying with time-based criteria. Defaults to UTC.",
        CONNECTOR,
        9,
        Width::Medium,
        "DB time zone",
    ),
    key(
        "timestamp.granularity",
        T::String,
        D::Value("connect_logical"),
        V::Custom(granularity_check),
        I::Low,
        "Define the granularity of the Timestamp column. Options include: \n  * connect_logical (default): represents timestamp values using Kafka Connect's built-in representations \n  * micros_long: represents timestamp values as micros since epoch\n  * micros_string: represents timestamp values as micros since epoch in string\n  * micros_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSS'\n  * nanos_long: represents timestamp values as nanos since epoch\n  * nanos_string: represents timestamp values as nanos since epoch in string\n  * nanos_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'\n",
        CONNECTOR,
        10,
        Width::Medium,
        "Timestamp granularity for timestamp columns",
    ),
];

/// The loading mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bulk,
    Incrementing,
    Timestamp,
    TimestampIncrementing,
}

impl Mode {
    pub fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }
    pub fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }
}

/// `numeric.mapping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMapping {
    None,
    PrecisionOnly,
    BestFit,
    BestFitEagerDouble,
}

/// The parsed config.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub connection: ConnectionSettings,
    pub dialect: DialectKind,
    pub quote: QuoteMethod,
    pub mode: Mode,
    pub incrementing_column: String,
    pub timestamp_columns: Vec<String>,
    pub incrementing_mapping: Vec<(String, Vec<String>)>,
    pub timestamp_mapping: Vec<(String, Vec<String>)>,
    pub timestamp_initial: Option<i64>,
    pub validate_non_null: bool,
    /// `query` or `query.masked`, when set.
    pub query: Option<String>,
    pub query_masked: bool,
    pub query_suffix: String,
    pub whitelist: Vec<String>,
    pub blacklist: Vec<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub schema_pattern: Option<String>,
    pub catalog_pattern: Option<String>,
    pub table_types: Vec<String>,
    pub topic_prefix: String,
    pub poll_interval: Duration,
    pub batch_max_rows: usize,
    pub table_poll_interval: Duration,
    pub numeric_mapping: NumericMapping,
    pub timestamp_delay_ms: i64,
    pub db_timezone: String,
    pub isolation: String,
    pub query_retries: i64,
}

fn config_err(msg: impl Into<String>) -> ConnectError {
    ConnectError::new(class::CONFIG, msg)
}

/// `AbstractConfig` over [`CONFIG_DEF`]: each key parsed and validated, the first error as a
/// `ConfigException`.
struct Parsedcfg<'a> {
    props: &'a ConfigMap,
}

impl Parsedcfg<'_> {
    fn get(&self, name: &str) -> Result<Option<Parsed>, ConnectError> {
        let def = CONFIG_DEF
            .iter()
            .find(|k| k.name == name)
            .expect("a key of CONFIG_DEF");
        def.parse_value(self.props.get(name).map(String::as_str))
            .map_err(config_err)
    }
    fn string(&self, name: &str) -> Result<Option<String>, ConnectError> {
        Ok(match self.get(name)? {
            Some(Parsed::Str(s)) => Some(s),
            Some(Parsed::Password) => self.props.get(name).cloned(),
            _ => None,
        })
    }
    fn int(&self, name: &str) -> Result<Option<i64>, ConnectError> {
        Ok(match self.get(name)? {
            Some(Parsed::Int(i)) => Some(i),
            _ => None,
        })
    }
    fn boolean(&self, name: &str) -> Result<bool, ConnectError> {
        Ok(matches!(self.get(name)?, Some(Parsed::Bool(true))))
    }
    fn list(&self, name: &str) -> Result<Vec<String>, ConnectError> {
        Ok(match self.get(name)? {
            Some(Parsed::List(l)) => l,
            _ => Vec::new(),
        })
    }
}

impl SourceConfig {
    /// Parses a connector or task config (`JdbcSourceConnectorConfig`'s constructor plus the
    /// checks Confluent's connector makes in `start`).
    pub fn parse(props: &ConfigMap) -> Result<SourceConfig, ConnectError> {
        let p = Parsedcfg { props };
        let url = p.string("connection.url")?.unwrap_or_default();
        let dialect = match DialectKind::from_config(&p.string("dialect.name")?.unwrap_or_default())
            .map_err(config_err)?
        {
            Some(d) => d,
            None => match JdbcUrl::parse(&url) {
                Ok(u) => DialectKind::for_driver(u.driver),
                // `DatabaseDialects.findBestFor` falls back to the generic dialect, and the
                // driver then refuses the URL when connecting.
                Err(UrlError::NoSuitableDriver) | Err(UrlError::Malformed(_)) => {
                    DialectKind::PostgreSql
                }
            },
        };
        let mode = match p.string("mode")?.unwrap_or_default().as_str() {
            MODE_BULK => Mode::Bulk,
            MODE_INCREMENTING => Mode::Incrementing,
            MODE_TIMESTAMP => Mode::Timestamp,
            MODE_TIMESTAMP_INCREMENTING => Mode::TimestampIncrementing,
            _ => return Err(config_err("Query mode must be specified")),
        };
        let quote = QuoteMethod::parse(&p.string("quote.sql.identifiers")?.unwrap_or_default())
            .unwrap_or(QuoteMethod::Always);
        let numeric_mapping = match p.string("numeric.mapping")? {
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "precision_only" => NumericMapping::PrecisionOnly,
                "best_fit" => NumericMapping::BestFit,
                "best_fit_eager_double" => NumericMapping::BestFitEagerDouble,
                _ => NumericMapping::None,
            },
            None if p.boolean("numeric.precision.mapping")? => NumericMapping::PrecisionOnly,
            None => NumericMapping::None,
        };
        let query = p.string("query")?.filter(|q| !q.trim().is_empty());
        let masked = p.string("query.masked")?.filter(|q| !q.trim().is_empty());
        let query_masked = query.is_none() && masked.is_some();
        let mappings =
            |name: &str, multi: bool| -> Result<Vec<(String, Vec<String>)>, ConnectError> {
                p.list(name)?
                    .iter()
                    .map(|m| parse_mapping(name, m, multi).map_err(config_err))
                    .collect()
            };
        let granularity = p.string("timestamp.granularity")?.unwrap_or_default();
        if !granularity.eq_ignore_ascii_case("connect_logical") {
            return Err(config_err(format!(
                "timestamp.granularity={granularity} is not available in connect-worker; use \
                 connect_logical"
            )));
        }
        let calendar = p.string("date.calendar.system")?.unwrap_or_default();
        let _ = calendar;
        let isolation = p.string("transaction.isolation.mode")?.unwrap_or_default();
        if isolation.eq_ignore_ascii_case("SQL_SERVER_SNAPSHOT") {
            return Err(config_err(
                "Isolation mode of `SQL_SERVER_SNAPSHOT` can only be configured with a Sql Server Dialect",
            ));
        }
        let cfg = SourceConfig {
            connection: ConnectionSettings {
                url,
                user: p.string("connection.user")?,
                password: props.get("connection.password").cloned(),
                attempts: p.int("connection.attempts")?.unwrap_or(3).max(1) as u32,
                backoff: Duration::from_millis(
                    p.int("connection.backoff.ms")?.unwrap_or(10_000).max(0) as u64,
                ),
            },
            dialect,
            quote,
            mode,
            incrementing_column: p.string("incrementing.column.name")?.unwrap_or_default(),
            timestamp_columns: p
                .list("timestamp.column.name")?
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
            incrementing_mapping: mappings("incrementing.column.mapping", false)?,
            timestamp_mapping: mappings("timestamp.columns.mapping", true)?,
            timestamp_initial: p.int("timestamp.initial")?,
            validate_non_null: p.boolean("validate.non.null")?,
            query: query.or(masked),
            query_masked,
            query_suffix: p
                .string("query.suffix")?
                .unwrap_or_default()
                .trim()
                .to_owned(),
            whitelist: p.list("table.whitelist")?,
            blacklist: p.list("table.blacklist")?,
            include: p.list("table.include.list")?,
            exclude: p.list("table.exclude.list")?,
            schema_pattern: p.string("schema.pattern")?,
            catalog_pattern: p.string("catalog.pattern")?,
            table_types: p.list("table.types")?,
            topic_prefix: p
                .string("topic.prefix")?
                .unwrap_or_default()
                .trim()
                .to_owned(),
            poll_interval: Duration::from_millis(
                p.int("poll.interval.ms")?.unwrap_or(5000).max(0) as u64
            ),
            batch_max_rows: p.int("batch.max.rows")?.unwrap_or(1000).max(1) as usize,
            table_poll_interval: Duration::from_millis(
                p.int("table.poll.interval.ms")?.unwrap_or(60_000).max(0) as u64,
            ),
            numeric_mapping,
            timestamp_delay_ms: p.int("timestamp.delay.interval.ms")?.unwrap_or(0),
            db_timezone: p.string("db.timezone")?.unwrap_or_else(|| "UTC".into()),
            isolation: isolation.to_ascii_uppercase(),
            query_retries: p.int("query.retry.attempts")?.unwrap_or(-1),
        };
        Ok(cfg)
    }

    /// The errors Confluent's `JdbcSourceConnectorValidation` reports across keys, as
    /// `(key, message)` pairs.
    pub fn cross_key_errors(props: &ConfigMap) -> Vec<(&'static str, String)> {
        let list = |k: &str| props.get(k).map(|v| split_list(v)).unwrap_or_default();
        let s = |k: &str| {
            props
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let (white, black) = (list("table.whitelist"), list("table.blacklist"));
        let (inc, exc) = (list("table.include.list"), list("table.exclude.list"));
        let (query, masked) = (s("query"), s("query.masked"));
        let mut out = Vec::new();
        if !query.is_empty() && !masked.is_empty() {
            let m = "Both 'query' and 'query.masked' configs cannot be set at the same time. \
                     Please use only one of them.";
            out.push(("query", m.to_owned()));
            out.push(("query.masked", m.to_owned()));
            return out;
        }
        let has_query = !query.is_empty() || !masked.is_empty();
        let filtering =
            !white.is_empty() || !black.is_empty() || !inc.is_empty() || !exc.is_empty();
        if has_query && filtering {
            let m = "Do not specify table filtering configs with 'query'. Remove table.whitelist / \
                     table.blacklist / table.include.list / table.exclude.list when using query \
                     mode or 'query' when using table filtering mode.";
            out.push(("query", m.to_owned()));
            out.push(("query.masked", m.to_owned()));
            for (k, l) in [
                ("table.whitelist", &white),
                ("table.blacklist", &black),
                ("table.include.list", &inc),
                ("table.exclude.list", &exc),
            ] {
                if !l.is_empty() {
                    out.push((k, m.to_owned()));
                }
            }
            return out;
        }
        if has_query {
            return out;
        }
        let legacy = !white.is_empty()
            || !black.is_empty()
            || !s("incrementing.column.name").is_empty()
            || list("timestamp.column.name")
                .first()
                .is_some_and(|c| !c.is_empty());
        let new = !inc.is_empty()
            || !exc.is_empty()
            || !list("incrementing.column.mapping").is_empty()
            || !list("timestamp.columns.mapping").is_empty();
        if legacy && new {
            let m = "Cannot mix legacy and new configuration approaches. Legacy configurations \
                     (table.whitelist, table.blacklist, timestamp.column.name, \
                     incrementing.column.name) cannot be used together with new configurations \
                     (table.include.list, table.exclude.list, timestamp.columns.mapping, \
                     incrementing.column.mapping). Please choose one approach: either use all \
                     legacy configurations or all new configurations.";
            for k in [
                "table.whitelist",
                "table.blacklist",
                "table.include.list",
                "table.exclude.list",
                "timestamp.column.name",
                "timestamp.columns.mapping",
                "incrementing.column.name",
                "incrementing.column.mapping",
            ] {
                if props.get(k).is_some_and(|v| !v.trim().is_empty()) {
                    out.push((k, m.to_owned()));
                }
            }
            return out;
        }
        if !legacy && !new {
            let m = "At least one table filtering configuration is required. Provide one of: \
                     table.whitelist, table.blacklist, table.include.list, or table.exclude.list.";
            for k in [
                "table.whitelist",
                "table.blacklist",
                "table.include.list",
                "table.exclude.list",
            ] {
                out.push((k, m.to_owned()));
            }
            return out;
        }
        if !exc.is_empty() && inc.is_empty() {
            out.push((
                "table.exclude.list",
                "table.exclude.list cannot be used without table.include.list. Exclude list only \
                 applies to tables that match the include list."
                    .to_owned(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> ConfigMap {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_confluent() {
        let c = SourceConfig::parse(&props(&[
            ("connection.url", "jdbc:postgresql://localhost/db"),
            ("mode", "bulk"),
        ]))
        .unwrap();
        assert_eq!(c.dialect, DialectKind::PostgreSql);
        assert_eq!(c.poll_interval, Duration::from_millis(5000));
        assert_eq!(c.batch_max_rows, 1000);
        assert_eq!(c.table_poll_interval, Duration::from_millis(60_000));
        assert_eq!(c.table_types, ["TABLE"]);
        assert_eq!(c.numeric_mapping, NumericMapping::None);
        assert_eq!(c.connection.attempts, 3);
        assert!(c.validate_non_null);
        assert_eq!(c.db_timezone, "UTC");
    }

    #[test]
    fn mode_and_values_are_checked() {
        let e =
            SourceConfig::parse(&props(&[("connection.url", "jdbc:mysql://h/db")])).unwrap_err();
        assert_eq!(e.message.as_deref(), Some("Query mode must be specified"));
        let e = SourceConfig::parse(&props(&[("mode", "sometimes")])).unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some(
                "Invalid value sometimes for configuration mode: String must be one of: , bulk, timestamp, incrementing, timestamp+incrementing"
            )
        );
        let e =
            SourceConfig::parse(&props(&[("mode", "bulk"), ("topic.prefix", "a b")])).unwrap_err();
        assert!(
            e.message
                .unwrap()
                .contains("Topic prefix must not contain any character")
        );
        let e = SourceConfig::parse(&props(&[("mode", "bulk"), ("numeric.mapping", "exact")]))
            .unwrap_err();
        assert_eq!(
            e.message.as_deref(),
            Some("Invalid value exact for configuration numeric.mapping: Invalid enumerator")
        );
        let c = SourceConfig::parse(&props(&[
            ("mode", "bulk"),
            ("numeric.precision.mapping", "true"),
        ]))
        .unwrap();
        assert_eq!(c.numeric_mapping, NumericMapping::PrecisionOnly);
        let c = SourceConfig::parse(&props(&[("mode", "bulk"), ("numeric.mapping", "BEST_FIT")]))
            .unwrap();
        assert_eq!(c.numeric_mapping, NumericMapping::BestFit);
    }

    #[test]
    fn cross_key_errors_match_confluent() {
        let e = SourceConfig::cross_key_errors(&props(&[
            ("query", "select 1"),
            ("table.whitelist", "a"),
        ]));
        assert_eq!(e.len(), 3);
        assert!(
            e[0].1
                .starts_with("Do not specify table filtering configs with 'query'.")
        );
        let e = SourceConfig::cross_key_errors(&props(&[
            ("table.whitelist", "a"),
            ("table.include.list", "public.a.*"),
        ]));
        assert_eq!(e.len(), 2);
        assert!(
            e[0].1
                .starts_with("Cannot mix legacy and new configuration approaches.")
        );
        let e = SourceConfig::cross_key_errors(&props(&[("table.exclude.list", "x")]));
        assert_eq!(e[0].0, "table.exclude.list");
        let e = SourceConfig::cross_key_errors(&props(&[("mode", "bulk")]));
        assert_eq!(e.len(), 4);
        assert!(
            e[0].1
                .starts_with("At least one table filtering configuration is required.")
        );
        assert!(SourceConfig::cross_key_errors(&props(&[("table.whitelist", "a")])).is_empty());
    }

    #[test]
    fn mappings_are_parsed_with_confluents_messages() {
        assert_eq!(
            parse_mapping("m", "public.o.*:[a|b]", true).unwrap(),
            (
                "public.o.*".to_owned(),
                vec!["a".to_owned(), "b".to_owned()]
            )
        );
        assert_eq!(
            parse_mapping("m", "x:a", true).unwrap_err(),
            "Invalid value a for configuration m: Columns list must be enclosed in square brackets"
        );
        assert_eq!(
            parse_mapping("m", "x", false).unwrap_err(),
            "Invalid value x for configuration m: Invalid format. Expected 'regex:columnName'"
        );
    }
}
