//! [`SqlError`]: a database failure shaped like the `java.sql.SQLException` the JVM drivers
//! throw, so that a status trace reads as it would on a JVM worker (`org.postgresql.util.
//! PSQLException: ERROR: relation "x" does not exist`, `java.sql.SQLSyntaxErrorException:
//! (conn=12) Table 'db.x' doesn't exist`) and connectctl's root-cause extraction and hints apply.

use std::fmt;

use connect_plugin_api::error::ConnectError;

use super::url::Driver;

/// Java exception class names of the SQL layer.
pub mod class {
    pub const SQL: &str = "java.sql.SQLException";
    pub const PSQL: &str = "org.postgresql.util.PSQLException";
    pub const SYNTAX: &str = "java.sql.SQLSyntaxErrorException";
    pub const INTEGRITY: &str = "java.sql.SQLIntegrityConstraintViolationException";
    pub const NON_TRANSIENT_CONNECTION: &str = "java.sql.SQLNonTransientConnectionException";
    pub const TRANSIENT_CONNECTION: &str = "java.sql.SQLTransientConnectionException";
    pub const DATA: &str = "java.sql.SQLDataException";
    pub const NET_CONNECT: &str = "java.net.ConnectException";
    pub const SOCKET: &str = "java.net.SocketException";
    pub const EOF: &str = "java.io.EOFException";
    pub const IO: &str = "java.io.IOException";
}

/// A database error: the Java class the JVM driver would throw, the message as that driver
/// prints it, the SQLState and vendor code, and an optional low-level cause (a socket error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub class: String,
    pub message: String,
    /// Five-character SQLState (`42P01`, `08006`), when the server or driver gave one.
    pub sql_state: Option<String>,
    /// The vendor error code (`getErrorCode()`): MariaDB's error number, 0 for PostgreSQL.
    pub vendor_code: i32,
    /// The underlying failure (`Caused by:`), e.g. `java.net.ConnectException: Connection refused`.
    pub cause: Option<Box<SqlError>>,
}

impl SqlError {
    /// A `java.sql.SQLException` with a message only.
    pub fn new(message: impl Into<String>) -> SqlError {
        SqlError {
            class: class::SQL.to_owned(),
            message: message.into(),
            sql_state: None,
            vendor_code: 0,
            cause: None,
        }
    }

    pub fn with_class(mut self, class: &str) -> SqlError {
        self.class = class.to_owned();
        self
    }

    pub fn with_state(mut self, state: impl Into<String>) -> SqlError {
        self.sql_state = Some(state.into());
        self
    }

    pub fn caused_by(mut self, cause: SqlError) -> SqlError {
        self.cause = Some(Box::new(cause));
        self
    }

    /// What `DriverManager.getConnection` throws when no driver accepts the URL.
    pub fn no_suitable_driver(url: &str) -> SqlError {
        SqlError::new(format!("No suitable driver found for {url}")).with_state("08001")
    }

    /// True when the connection is unusable (SQLState class 08, or an IO failure): the caller
    /// reconnects before trying again.
    pub fn is_connection_error(&self) -> bool {
        self.sql_state
            .as_deref()
            .is_some_and(|s| s.starts_with("08"))
            || self
                .cause
                .as_deref()
                .is_some_and(|c| c.class.starts_with("java.io") || c.class.starts_with("java.net"))
    }

    /// `Throwable.toString()`: `class: message`.
    pub fn java_string(&self) -> String {
        format!("{}: {}", self.class, self.message)
    }

    /// The exception as a [`ConnectError`] (same class, message and `Caused by:` chain), with a
    /// frame naming `frame` (the component that ran the statement).
    pub fn to_connect_error(&self, frame: &str) -> ConnectError {
        let mut e = ConnectError::new(&self.class, self.message.clone()).at(frame);
        if self.message.is_empty() {
            // Java prints a null message as the class name alone.
            e.message = None;
        }
        if let Some(c) = &self.cause {
            e = e.with_cause(c.to_connect_error(frame));
        }
        e
    }

    /// Converts a PostgreSQL client error the way pgjdbc reports it.
    pub fn from_postgres(e: &postgres::Error, host: &str, port: u16) -> SqlError {
        if let Some(db) = e.as_db_error() {
            // pgjdbc's ServerErrorMessage: `SEVERITY: message` then `Detail:`/`Hint:`/`Position:`
            // lines indented by two spaces.
            let mut msg = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                msg.push_str(&format!("\n  Detail: {d}"));
            }
            if let Some(h) = db.hint() {
                msg.push_str(&format!("\n  Hint: {h}"));
            }
            if let Some(postgres::error::ErrorPosition::Original(p)) = db.position() {
                msg.push_str(&format!("\n  Position: {p}"));
            }
            return SqlError {
                class: class::PSQL.to_owned(),
                message: msg,
                sql_state: Some(db.code().code().to_owned()),
                vendor_code: 0,
                cause: None,
            };
        }
        let io = find_io(e);
        let text = e.to_string();
        if text.starts_with("error connecting to server")
            || text.starts_with("timeout waiting for server")
        {
            let cause = match io {
                Some(io) => io_cause(io),
                None => SqlError::new(text.clone()).with_class(class::NET_CONNECT),
            };
            return SqlError {
                class: class::PSQL.to_owned(),
                message: format!(
                    "Connection to {host}:{port} refused. Check that the hostname and port are \
                     correct and that the postmaster is accepting TCP/IP connections."
                ),
                sql_state: Some("08001".to_owned()),
                vendor_code: 0,
                cause: Some(Box::new(cause)),
            };
        }
        if e.is_closed() || io.is_some() {
            let cause = match io {
                Some(io) => io_cause(io),
                None => SqlError::new(text).with_class(class::EOF),
            };
            return SqlError {
                class: class::PSQL.to_owned(),
                message: "An I/O error occurred while sending to the backend.".to_owned(),
                sql_state: Some("08006".to_owned()),
                vendor_code: 0,
                cause: Some(Box::new(cause)),
            };
        }
        SqlError {
            class: class::PSQL.to_owned(),
            message: text,
            sql_state: e.code().map(|c| c.code().to_owned()),
            vendor_code: 0,
            cause: None,
        }
    }

    /// Converts a MariaDB/MySQL client error the way MariaDB Connector/J reports it.
    pub fn from_mysql(e: &mysql::Error, host: &str, port: u16) -> SqlError {
        match e {
            mysql::Error::MySqlError(m) => {
                let class = match m.state.get(..2) {
                    Some("42") => class::SYNTAX,
                    Some("23") => class::INTEGRITY,
                    Some("22") => class::DATA,
                    Some("08") => class::NON_TRANSIENT_CONNECTION,
                    _ => class::SQL,
                };
                SqlError {
                    class: class.to_owned(),
                    message: m.message.clone(),
                    sql_state: Some(m.state.clone()),
                    vendor_code: i32::from(m.code),
                    cause: None,
                }
            }
            mysql::Error::IoError(io) => SqlError {
                class: class::NON_TRANSIENT_CONNECTION.to_owned(),
                message: if io.kind() == std::io::ErrorKind::ConnectionRefused {
                    format!(
                        "Socket fail to connect to address=(host={host})(port={port})\
                         (type=primary). Connection refused"
                    )
                } else {
                    format!("Socket error: {io}")
                },
                sql_state: Some("08000".to_owned()),
                vendor_code: 0,
                cause: Some(Box::new(io_cause(io))),
            },
            mysql::Error::DriverError(d) => {
                let text = d.to_string();
                let connection = matches!(
                    d,
                    mysql::DriverError::ConnectTimeout
                        | mysql::DriverError::CouldNotConnect(_)
                        | mysql::DriverError::PacketOutOfSync
                        | mysql::DriverError::UnexpectedPacket
                );
                SqlError {
                    class: if connection {
                        class::NON_TRANSIENT_CONNECTION
                    } else {
                        class::SQL
                    }
                    .to_owned(),
                    message: text,
                    sql_state: connection.then(|| "08000".to_owned()),
                    vendor_code: 0,
                    cause: None,
                }
            }
            other => SqlError {
                class: class::NON_TRANSIENT_CONNECTION.to_owned(),
                message: other.to_string(),
                sql_state: Some("08000".to_owned()),
                vendor_code: 0,
                cause: None,
            },
        }
    }

    /// Which driver's class a generic driver failure gets.
    pub fn driver_class(driver: Driver) -> &'static str {
        match driver {
            Driver::PostgreSql => class::PSQL,
            Driver::MariaDb | Driver::MySql => class::SQL,
        }
    }
}

fn find_io(e: &postgres::Error) -> Option<&std::io::Error> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        src = s.source();
    }
    None
}

/// The Java exception a socket error surfaces as.
fn io_cause(io: &std::io::Error) -> SqlError {
    use std::io::ErrorKind;
    let (class, message) = match io.kind() {
        ErrorKind::ConnectionRefused => (class::NET_CONNECT, "Connection refused".to_owned()),
        ErrorKind::UnexpectedEof => (class::EOF, String::new()),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
            (class::SOCKET, "Connection reset".to_owned())
        }
        ErrorKind::TimedOut => (class::NET_CONNECT, "Connection timed out".to_owned()),
        _ => (class::IO, strip_os_error(&io.to_string())),
    };
    SqlError::new(message).with_class(class)
}

fn strip_os_error(s: &str) -> String {
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.java_string())
    }
}

impl std::error::Error for SqlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_suitable_driver_prints_as_java_does() {
        let e = SqlError::no_suitable_driver("jdbc:sqlserver://h;databaseName=x");
        assert_eq!(
            e.java_string(),
            "java.sql.SQLException: No suitable driver found for jdbc:sqlserver://h;databaseName=x"
        );
        assert!(e.is_connection_error());
    }

    #[test]
    fn io_causes_make_connection_errors() {
        let e = SqlError::new("An I/O error occurred while sending to the backend.")
            .with_class(class::PSQL)
            .caused_by(io_cause(&std::io::Error::from(
                std::io::ErrorKind::UnexpectedEof,
            )));
        assert!(e.is_connection_error());
        let trace = e.to_connect_error("x.Y.z(a.rs)").stack_trace();
        assert!(trace.contains("Caused by: java.io.EOFException"), "{trace}");
    }
}
