//! The database layer shared by the JDBC connectors, after Confluent's `DatabaseDialect`:
//!
//! - [`JdbcUrl::parse`] reads `connection.url` (`jdbc:postgresql://`, `jdbc:mariadb://`,
//!   `jdbc:mysql://`: host, port, database, URL parameters such as `user`, `password`, `sslmode`);
//! - [`DialectKind`] is `dialect.name` (`PostgreSqlDatabaseDialect`, `MySqlDatabaseDialect`), by
//!   default chosen from the URL as Confluent's `DatabaseDialects.findBestFor` does;
//! - [`Dialect`] quotes identifiers per `quote.sql.identifiers` and parses table names into a
//!   [`TableId`];
//! - [`ConnectionSettings`] + [`connect`] open a [`Connection`] with `connection.user` /
//!   `connection.password` and retry `connection.attempts` times `connection.backoff.ms` apart
//!   (Confluent's `CachedConnectionProvider`);
//! - [`Connection`] runs statements and answers the metadata questions the connectors ask
//!   ([`Connection::table_exists`], [`Connection::describe_columns`]); its [`Client`] is public
//!   so that a connector can use the driver directly for typed reads;
//! - every failure is a [`SqlError`]: the Java class, message, SQLState and vendor code the JVM
//!   driver would report, `No suitable driver found for <url>` for a URL of another database.
//!
//! The clients are blocking (`postgres`, `mysql`): connector tasks run on plain std threads.
//! The `postgres` client runs a private tokio runtime, so never call it from inside a tokio
//! runtime context (REST handlers): connect from the task thread.

pub mod error;
pub mod source_meta;
pub mod url;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use error::SqlError;
pub use url::{Driver, JdbcUrl, UrlError};

/// The dialect names Confluent's `dialect.name` recommender offers; this worker implements
/// [`DialectKind::PostgreSql`] and [`DialectKind::MySql`].
pub const CONFLUENT_DIALECT_NAMES: &[&str] = &[
    "Db2DatabaseDialect",
    "DerbyDatabaseDialect",
    "GenericDatabaseDialect",
    "MySqlDatabaseDialect",
    "OracleDatabaseDialect",
    "PostgreSqlDatabaseDialect",
    "SapHanaDatabaseDialect",
    "SqlServerDatabaseDialect",
    "SqliteDatabaseDialect",
    "SybaseDatabaseDialect",
    "VerticaDatabaseDialect",
];

/// A SQL dialect (Confluent's `PostgreSqlDatabaseDialect`, `MySqlDatabaseDialect`; MariaDB uses
/// the MySQL dialect, as in Confluent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialectKind {
    PostgreSql,
    MySql,
}

impl DialectKind {
    /// The `dialect.name` value.
    pub fn name(self) -> &'static str {
        match self {
            DialectKind::PostgreSql => "PostgreSqlDatabaseDialect",
            DialectKind::MySql => "MySqlDatabaseDialect",
        }
    }

    /// The dialect Confluent picks for a URL's sub-protocol.
    pub fn for_driver(driver: Driver) -> DialectKind {
        match driver {
            Driver::PostgreSql => DialectKind::PostgreSql,
            Driver::MariaDb | Driver::MySql => DialectKind::MySql,
        }
    }

    /// `dialect.name`: `Ok(None)` for the empty default (choose from the URL), an error naming
    /// the supported dialects for any other.
    pub fn from_config(name: &str) -> Result<Option<DialectKind>, String> {
        match name.trim() {
            "" => Ok(None),
            "PostgreSqlDatabaseDialect" => Ok(Some(DialectKind::PostgreSql)),
            "MySqlDatabaseDialect" => Ok(Some(DialectKind::MySql)),
            other if CONFLUENT_DIALECT_NAMES.contains(&other) => Err(format!(
                "The dialect {other} is not available in connect-worker; use \
                 PostgreSqlDatabaseDialect or MySqlDatabaseDialect, or leave dialect.name empty"
            )),
            other => Err(format!(
                "No dialect found with name {other}; valid names are {}",
                CONFLUENT_DIALECT_NAMES.join(", ")
            )),
        }
    }

    /// The identifier delimiter.
    pub fn quote_char(self) -> char {
        match self {
            DialectKind::PostgreSql => '"',
            DialectKind::MySql => '`',
        }
    }
}

/// `quote.sql.identifiers` (Confluent's `QuoteMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteMethod {
    Always,
    Never,
}

impl QuoteMethod {
    pub const NAMES: &'static [&'static str] = &["always", "never"];

    pub fn parse(s: &str) -> Option<QuoteMethod> {
        match s.trim().to_ascii_lowercase().as_str() {
            "always" => Some(QuoteMethod::Always),
            "never" => Some(QuoteMethod::Never),
            _ => None,
        }
    }
}

/// A table name (Confluent's `TableId`): PostgreSQL has catalog (database), schema and table;
/// MySQL/MariaDB catalog (database) and table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub catalog: Option<String>,
    pub schema: Option<String>,
    pub table: String,
}

/// One column as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition {
    pub name: String,
    /// The database's type name (`integer`, `character varying`, `varchar`, `decimal`).
    pub type_name: String,
    pub nullable: bool,
    pub primary_key: bool,
    /// The column's default expression, if any.
    pub default: Option<String>,
}

/// A dialect with its quoting rule: builds identifiers and table names for SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub kind: DialectKind,
    pub quote: QuoteMethod,
}

impl Dialect {
    pub fn new(kind: DialectKind, quote: QuoteMethod) -> Dialect {
        Dialect { kind, quote }
    }

    /// An identifier as it goes into SQL: delimited when quoting is on (an embedded delimiter is
    /// doubled, so no name can break out of it).
    pub fn quote_identifier(&self, name: &str) -> String {
        match self.quote {
            QuoteMethod::Never => name.to_owned(),
            QuoteMethod::Always => {
                let q = self.kind.quote_char();
                let mut out = String::with_capacity(name.len() + 2);
                out.push(q);
                for c in name.chars() {
                    if c == q {
                        out.push(q);
                    }
                    out.push(c);
                }
                out.push(q);
                out
            }
        }
    }

    /// `schema.table` (or `catalog.table`) with each part quoted.
    pub fn table_name(&self, id: &TableId) -> String {
        let mut parts = Vec::new();
        match self.kind {
            DialectKind::PostgreSql => {
                // The catalog is the connected database: PostgreSQL accepts it only when it
                // matches, so it is left out.
                if let Some(s) = &id.schema {
                    parts.push(self.quote_identifier(s));
                }
            }
            DialectKind::MySql => {
                if let Some(c) = &id.catalog {
                    parts.push(self.quote_identifier(c));
                }
            }
        }
        parts.push(self.quote_identifier(&id.table));
        parts.join(".")
    }

    /// Parses a table name as configured (`orders`, `public.orders`, `"Mixed"."Case"`), as
    /// Confluent's `parseTableIdentifier` does: dot-separated parts, each optionally delimited.
    pub fn parse_table_id(&self, name: &str) -> TableId {
        let parts = split_identifier(name, self.kind.quote_char());
        let mut parts = parts.into_iter().rev();
        let table = parts.next().unwrap_or_default();
        let second = parts.next();
        let third = parts.next();
        match self.kind {
            DialectKind::PostgreSql => TableId {
                catalog: third,
                schema: second,
                table,
            },
            DialectKind::MySql => TableId {
                catalog: second,
                schema: None,
                table,
            },
        }
    }
}

/// Splits `a."b.c".d` into `[a, b.c, d]`, removing delimiters (a doubled delimiter is one).
fn split_identifier(name: &str, quote: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = name.chars().peekable();
    let mut in_quote = false;
    while let Some(c) = chars.next() {
        if c == quote {
            if in_quote && chars.peek() == Some(&quote) {
                cur.push(quote);
                chars.next();
            } else {
                in_quote = !in_quote;
            }
        } else if c == '.' && !in_quote {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}

/// How to connect: `connection.url`, `connection.user`, `connection.password`,
/// `connection.attempts`, `connection.backoff.ms`. `Debug` never shows the password.
#[derive(Clone)]
pub struct ConnectionSettings {
    /// The URL as configured (kept whole for error messages).
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// At least 1.
    pub attempts: u32,
    pub backoff: Duration,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("url", &JdbcUrl::parse(&self.url).map(|u| u.host))
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[hidden]"))
            .field("attempts", &self.attempts)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The driver behind a [`Connection`]. A connection lives as long as its task, so the size of
/// the PostgreSQL client inline does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Client {
    Postgres(postgres::Client),
    MySql(mysql::Conn),
}

/// An open database connection.
pub struct Connection {
    pub client: Client,
    /// The parsed URL (for messages: host and port).
    pub url: JdbcUrl,
}

/// Connects once (no retries): `No suitable driver found for <url>` for a URL of another
/// database, the driver's error otherwise.
pub fn connect_once(settings: &ConnectionSettings) -> Result<Connection, SqlError> {
    let url = match JdbcUrl::parse(&settings.url) {
        Ok(u) => u,
        Err(UrlError::NoSuitableDriver) => return Err(SqlError::no_suitable_driver(&settings.url)),
        Err(UrlError::Malformed(m)) => {
            return Err(SqlError::new(format!(
                "Invalid JDBC URL {}: {m}",
                redact_url(&settings.url)
            ))
            .with_state("08001"));
        }
    };
    // URL parameters win over the separate properties, as in pgjdbc and Connector/J.
    let user = url
        .param("user")
        .map(str::to_owned)
        .or_else(|| settings.user.clone());
    let password = url
        .param("password")
        .map(str::to_owned)
        .or_else(|| settings.password.clone());
    let client = match url.driver {
        Driver::PostgreSql => {
            let mut cfg = postgres::Config::new();
            cfg.host(&url.host).port(url.port);
            cfg.application_name("connect-worker");
            if let Some(u) = &user {
                cfg.user(u);
            }
            if let Some(p) = &password {
                cfg.password(p);
            }
            if let Some(db) = url.database.as_ref().or(user.as_ref()) {
                cfg.dbname(db);
            }
            let timeout = url
                .param("connectTimeout")
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .unwrap_or(10);
            cfg.connect_timeout(Duration::from_secs(timeout));
            match url.param("sslmode").unwrap_or("prefer") {
                "disable" | "allow" | "prefer" => {}
                other => {
                    return Err(SqlError::new(format!(
                        "sslmode={other} is not supported by connect-worker's PostgreSQL client, \
                         which has no TLS: use sslmode=disable or prefer"
                    ))
                    .with_class(error::class::PSQL)
                    .with_state("08001"));
                }
            }
            let client = cfg
                .connect(postgres::NoTls)
                .map_err(|e| SqlError::from_postgres(&e, &url.host, url.port))?;
            Client::Postgres(client)
        }
        Driver::MariaDb | Driver::MySql => {
            let opts = mysql::OptsBuilder::new()
                .ip_or_hostname(Some(url.host.clone()))
                .tcp_port(url.port)
                .user(user)
                .pass(password)
                .db_name(url.database.clone())
                .prefer_socket(false)
                .tcp_connect_timeout(Some(Duration::from_secs(10)));
            let conn = mysql::Conn::new(opts)
                .map_err(|e| SqlError::from_mysql(&e, &url.host, url.port))?;
            Client::MySql(conn)
        }
    };
    let mut conn = Connection { client, url };
    if let Client::MySql(_) = conn.client {
        // ANSI_QUOTES is not set, so backticks delimit identifiers; timestamps are written as
        // wall-clock values (db.timezone), never shifted by the session zone.
        conn.execute("SET time_zone = '+00:00'")?;
    }
    Ok(conn)
}

/// Connects, retrying `settings.attempts` times `settings.backoff` apart while `running` holds
/// (Confluent's `CachedConnectionProvider.newConnection`). A URL no driver accepts fails at
/// once, as it would on every attempt.
pub fn connect(
    settings: &ConnectionSettings,
    running: &AtomicBool,
) -> Result<Connection, SqlError> {
    let attempts = settings.attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match connect_once(settings) {
            Ok(c) => return Ok(c),
            Err(e) => {
                let retry = attempt < attempts
                    && running.load(Ordering::Relaxed)
                    && !e.message.starts_with("No suitable driver");
                if !retry {
                    return Err(e);
                }
                tracing::info!(
                    "Unable to connect to database on attempt {attempt}/{attempts}. Will retry in \
                     {} ms. ({e})",
                    settings.backoff.as_millis()
                );
                sleep_while_running(settings.backoff, running);
            }
        }
    }
}

/// Sleeps up to `d`, waking early when `running` turns false.
pub fn sleep_while_running(d: Duration, running: &AtomicBool) {
    let end = std::time::Instant::now() + d;
    while running.load(Ordering::Relaxed) {
        let now = std::time::Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}

/// `url` with the values of `password`-like parameters replaced, for messages.
pub fn redact_url(url: &str) -> String {
    let re = regex::Regex::new(r"(?i)((?:password|pass|pwd)=)[^&;]*").expect("static regex");
    re.replace_all(url, "${1}[hidden]").into_owned()
}

impl Connection {
    fn pg_err(&self, e: &postgres::Error) -> SqlError {
        SqlError::from_postgres(e, &self.url.host, self.url.port)
    }

    fn my_err(&self, e: &mysql::Error) -> SqlError {
        SqlError::from_mysql(e, &self.url.host, self.url.port)
    }

    /// The dialect family of the connected database.
    pub fn kind(&self) -> DialectKind {
        match self.client {
            Client::Postgres(_) => DialectKind::PostgreSql,
            Client::MySql(_) => DialectKind::MySql,
        }
    }

    fn lit(&self, s: &str) -> String {
        sql_string_for(self.kind(), s)
    }

    /// Runs one statement without parameters; returns the affected row count.
    pub fn execute(&mut self, sql: &str) -> Result<u64, SqlError> {
        use mysql::prelude::Queryable;
        match &mut self.client {
            Client::Postgres(c) => match c.execute(sql, &[]) {
                Ok(n) => Ok(n),
                Err(e) => Err(SqlError::from_postgres(&e, &self.url.host, self.url.port)),
            },
            Client::MySql(c) => match c.query_drop(sql) {
                Ok(()) => Ok(c.affected_rows()),
                Err(e) => Err(SqlError::from_mysql(&e, &self.url.host, self.url.port)),
            },
        }
    }

    /// Runs SQL text (several statements allowed on PostgreSQL) through the simple protocol.
    pub fn batch_execute(&mut self, sql: &str) -> Result<(), SqlError> {
        use mysql::prelude::Queryable;
        let r = match &mut self.client {
            Client::Postgres(c) => c.batch_execute(sql).map_err(Err),
            Client::MySql(c) => c.query_drop(sql).map_err(Ok),
        };
        match r {
            Ok(()) => Ok(()),
            Err(Err(e)) => Err(self.pg_err(&e)),
            Err(Ok(e)) => Err(self.my_err(&e)),
        }
    }

    /// Runs a query through the simple (text) protocol; every value as text, SQL NULL as None.
    pub fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, SqlError> {
        use mysql::prelude::Queryable;
        match &mut self.client {
            Client::Postgres(c) => {
                let msgs = c
                    .simple_query(sql)
                    .map_err(|e| SqlError::from_postgres(&e, &self.url.host, self.url.port))?;
                Ok(msgs
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => Some(
                            (0..r.len())
                                .map(|i| r.get(i).map(str::to_owned))
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    })
                    .collect())
            }
            Client::MySql(c) => {
                let rows: Vec<mysql::Row> = c
                    .query(sql)
                    .map_err(|e| SqlError::from_mysql(&e, &self.url.host, self.url.port))?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        r.unwrap()
                            .into_iter()
                            .map(|v| match v {
                                mysql::Value::NULL => None,
                                mysql::Value::Bytes(b) => {
                                    Some(String::from_utf8_lossy(&b).into_owned())
                                }
                                other => Some(other.as_sql(true).trim_matches('\'').to_owned()),
                            })
                            .collect()
                    })
                    .collect())
            }
        }
    }

    /// `Connection.isValid`: a trivial round trip succeeds.
    pub fn is_valid(&mut self) -> bool {
        self.query_text("SELECT 1").is_ok()
    }

    /// Starts a transaction (auto-commit off until [`Connection::commit`]).
    pub fn begin(&mut self) -> Result<(), SqlError> {
        self.batch_execute(match self.client {
            Client::Postgres(_) => "BEGIN",
            Client::MySql(_) => "START TRANSACTION",
        })
    }

    pub fn commit(&mut self) -> Result<(), SqlError> {
        self.batch_execute("COMMIT")
    }

    /// Rolls back; errors are ignored (the connection may be gone, which ends the transaction).
    pub fn rollback_quietly(&mut self) {
        let _ = self.batch_execute("ROLLBACK");
    }

    /// The schema unqualified names resolve to (PostgreSQL `current_schema()`), or the current
    /// database (MySQL `DATABASE()`).
    fn default_namespace(&mut self) -> Result<Option<String>, SqlError> {
        let sql = match self.client {
            Client::Postgres(_) => "SELECT current_schema()",
            Client::MySql(_) => "SELECT DATABASE()",
        };
        Ok(self
            .query_text(sql)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    /// The (schema or database, table) pair the metadata queries filter on.
    fn namespace_of(&mut self, table: &TableId) -> Result<String, SqlError> {
        let given = match self.client {
            Client::Postgres(_) => table.schema.clone(),
            Client::MySql(_) => table.catalog.clone(),
        };
        match given {
            Some(s) => Ok(s),
            None => self.default_namespace()?.ok_or_else(|| {
                SqlError::new(
                    "No database selected: name one in connection.url or qualify the table name",
                )
                .with_state("3D000")
            }),
        }
    }

    /// Whether `table` exists (a table, partitioned table or view).
    pub fn table_exists(&mut self, table: &TableId) -> Result<bool, SqlError> {
        let ns = self.namespace_of(table)?;
        let sql = format!(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
            self.lit(&ns),
            self.lit(&table.table)
        );
        Ok(!self.query_text(&sql)?.is_empty())
    }

    /// The columns of `table` in ordinal order (empty when the table does not exist).
    pub fn describe_columns(&mut self, table: &TableId) -> Result<Vec<ColumnDefinition>, SqlError> {
        let ns = self.namespace_of(table)?;
        let sql = match self.client {
            Client::Postgres(_) => format!(
                "SELECT c.column_name, c.data_type, c.is_nullable, c.column_default, \
                 CASE WHEN EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage k ON k.constraint_name = \
                 tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = \
                 tc.table_name WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = \
                 c.table_schema AND tc.table_name = c.table_name AND k.column_name = \
                 c.column_name) THEN 'YES' ELSE 'NO' END \
                 FROM information_schema.columns c WHERE c.table_schema = {} AND c.table_name = {} \
                 ORDER BY c.ordinal_position",
                self.lit(&ns),
                self.lit(&table.table)
            ),
            Client::MySql(_) => format!(
                "SELECT column_name, data_type, is_nullable, column_default, \
                 CASE WHEN column_key = 'PRI' THEN 'YES' ELSE 'NO' END \
                 FROM information_schema.columns WHERE table_schema = {} AND table_name = {} \
                 ORDER BY ordinal_position",
                self.lit(&ns),
                self.lit(&table.table)
            ),
        };
        Ok(self
            .query_text(&sql)?
            .into_iter()
            .map(|r| {
                let mut it = r.into_iter();
                let mut next = || it.next().flatten();
                ColumnDefinition {
                    name: next().unwrap_or_default(),
                    type_name: next().unwrap_or_default(),
                    nullable: next().as_deref() == Some("YES"),
                    default: next(),
                    primary_key: next().as_deref() == Some("YES"),
                }
            })
            .collect())
    }
}

/// A standard SQL string literal (single quotes doubled), as PostgreSQL reads it with
/// `standard_conforming_strings` on (its default). For MySQL/MariaDB use [`sql_string_for`].
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL string literal for `kind`: MySQL/MariaDB also treat a backslash as an escape.
pub fn sql_string_for(kind: DialectKind, s: &str) -> String {
    match kind {
        DialectKind::PostgreSql => sql_string(s),
        DialectKind::MySql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_names() {
        assert_eq!(DialectKind::from_config(""), Ok(None));
        assert_eq!(
            DialectKind::from_config("PostgreSqlDatabaseDialect"),
            Ok(Some(DialectKind::PostgreSql))
        );
        assert!(
            DialectKind::from_config("OracleDatabaseDialect")
                .unwrap_err()
                .contains("not available")
        );
        assert!(
            DialectKind::from_config("Nope")
                .unwrap_err()
                .contains("No dialect found with name Nope")
        );
        assert_eq!(DialectKind::for_driver(Driver::MariaDb), DialectKind::MySql);
    }

    #[test]
    fn quoting_and_table_names() {
        let pg = Dialect::new(DialectKind::PostgreSql, QuoteMethod::Always);
        assert_eq!(pg.quote_identifier("a\"b"), "\"a\"\"b\"");
        let id = pg.parse_table_id("public.\"Order.s\"");
        assert_eq!(id.schema.as_deref(), Some("public"));
        assert_eq!(id.table, "Order.s");
        assert_eq!(pg.table_name(&id), "\"public\".\"Order.s\"");
        let my = Dialect::new(DialectKind::MySql, QuoteMethod::Always);
        let id = my.parse_table_id("shop.orders");
        assert_eq!(id.catalog.as_deref(), Some("shop"));
        assert_eq!(my.table_name(&id), "`shop`.`orders`");
        let never = Dialect::new(DialectKind::MySql, QuoteMethod::Never);
        assert_eq!(never.table_name(&id), "shop.orders");
    }

    #[test]
    fn settings_debug_hides_the_password() {
        let s = ConnectionSettings {
            url: "jdbc:postgresql://h/db?password=topsecret".into(),
            user: Some("u".into()),
            password: Some("alsosecret".into()),
            attempts: 3,
            backoff: Duration::from_millis(10),
        };
        let d = format!("{s:?}");
        assert!(!d.contains("topsecret") && !d.contains("alsosecret"), "{d}");
        assert_eq!(
            redact_url("jdbc:mysql://h/db?user=a&password=x;pwd=y"),
            "jdbc:mysql://h/db?user=a&password=[hidden];pwd=[hidden]"
        );
    }

    #[test]
    fn another_database_has_no_suitable_driver() {
        let s = ConnectionSettings {
            url: "jdbc:sqlserver://localhost:1433;databaseName=x".into(),
            user: None,
            password: None,
            attempts: 3,
            backoff: Duration::from_secs(60),
        };
        let e = match connect(&s, &AtomicBool::new(true)) {
            Err(e) => e,
            Ok(_) => panic!("connected to a SQL Server URL"),
        };
        assert_eq!(
            e.java_string(),
            "java.sql.SQLException: No suitable driver found for \
             jdbc:sqlserver://localhost:1433;databaseName=x"
        );
    }
}
