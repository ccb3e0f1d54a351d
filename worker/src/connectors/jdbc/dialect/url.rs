//! `connection.url` parsing: the JDBC URLs of PostgreSQL's pgjdbc
//! (`jdbc:postgresql://host:port/database?user=..&password=..&sslmode=..`) and of MariaDB's and
//! MySQL's Connector/J (`jdbc:mariadb://host:port/database?user=..`, `jdbc:mysql://...`).
//!
//! A URL of another database is not an error here: the JVM worker accepts it too and fails when
//! it connects, with `java.sql.SQLException: No suitable driver found for <url>`
//! ([`super::SqlError::no_suitable_driver`]). Parameter values may be secrets (`password`), so
//! [`JdbcUrl`]'s `Debug` shows parameter names only.

use std::collections::BTreeMap;
use std::fmt;

/// The driver a URL's sub-protocol selects (Java's `DriverManager` picks the driver the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `jdbc:postgresql:`
    PostgreSql,
    /// `jdbc:mariadb:`
    MariaDb,
    /// `jdbc:mysql:`
    MySql,
}

impl Driver {
    pub fn default_port(self) -> u16 {
        match self {
            Driver::PostgreSql => 5432,
            Driver::MariaDb | Driver::MySql => 3306,
        }
    }
}

/// A parsed JDBC URL of a supported driver.
#[derive(Clone, PartialEq, Eq)]
pub struct JdbcUrl {
    /// The URL exactly as configured (it is what error messages quote, as Java's do).
    pub raw: String,
    pub driver: Driver,
    pub host: String,
    pub port: u16,
    /// `None` when the URL names none (PostgreSQL then uses the user name, MariaDB no database).
    pub database: Option<String>,
    /// URL parameters (`?a=b&c=d`, and for MariaDB/MySQL also `;a=b`), percent-decoded.
    pub params: BTreeMap<String, String>,
}

impl fmt::Debug for JdbcUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JdbcUrl")
            .field("driver", &self.driver)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not a `jdbc:postgresql:`, `jdbc:mariadb:` or `jdbc:mysql:` URL: no driver accepts it.
    NoSuitableDriver,
    /// A supported driver but a malformed URL (the message says what is wrong).
    Malformed(String),
}

impl JdbcUrl {
    /// Parses `url`. Only the first host of a multi-host URL (`host1,host2`) is used.
    pub fn parse(url: &str) -> Result<JdbcUrl, UrlError> {
        let trimmed = url.trim();
        let rest = strip_prefix_ci(trimmed, "jdbc:").ok_or(UrlError::NoSuitableDriver)?;
        let (driver, rest) = if let Some(r) = strip_prefix_ci(rest, "postgresql:") {
            (Driver::PostgreSql, r)
        } else if let Some(r) = strip_prefix_ci(rest, "mariadb:") {
            (Driver::MariaDb, r)
        } else if let Some(r) = strip_prefix_ci(rest, "mysql:") {
            (Driver::MySql, r)
        } else {
            return Err(UrlError::NoSuitableDriver);
        };
        let (body, query) = match rest.find('?') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let mut params = BTreeMap::new();
        // Connector/J also takes `;key=value` session parameters after the database.
        let (body, semi) = match (driver, body.find(';')) {
            (Driver::MariaDb | Driver::MySql, Some(i)) => (&body[..i], Some(&body[i + 1..])),
            _ => (body, None),
        };
        for part in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .chain(semi.into_iter().flat_map(|s| s.split(';')))
        {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            params.insert(percent_decode(k), percent_decode(v));
        }
        let (host, port, database) = if let Some(after) = body.strip_prefix("//") {
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], Some(&after[i + 1..])),
                None => (after, None),
            };
            let first = authority.split(',').next().unwrap_or("");
            let (host, port) = split_host_port(first, driver)?;
            let database = path.filter(|p| !p.is_empty()).map(percent_decode);
            (host, port, database)
        } else if driver == Driver::PostgreSql {
            // `jdbc:postgresql:database` and `jdbc:postgresql:/` (localhost, default port).
            let db = body.trim_start_matches('/');
            (
                "localhost".to_owned(),
                driver.default_port(),
                (!db.is_empty()).then(|| percent_decode(db)),
            )
        } else {
            return Err(UrlError::Malformed(format!(
                "expected `jdbc:{}://host[:port]/[database]`",
                if driver == Driver::MariaDb {
                    "mariadb"
                } else {
                    "mysql"
                }
            )));
        };
        Ok(JdbcUrl {
            raw: url.to_owned(),
            driver,
            host,
            port,
            database,
            params,
        })
    }

    /// A URL parameter, looked up case-sensitively as the drivers do.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str, driver: Driver) -> Result<(String, u16), UrlError> {
    // `user@host` is not JDBC syntax, but the credentials must never end up as a host name.
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| UrlError::Malformed("unclosed `[` in an IPv6 host".into()))?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => driver.default_port(),
        Some(p) => p.parse::<u16>().map_err(|_| {
            UrlError::Malformed(format!("the port `{p}` is not a number from 1 to 65535"))
        })?,
    };
    let host = if host.is_empty() { "localhost" } else { host };
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls() {
        let u = JdbcUrl::parse(
            "jdbc:postgresql://db.example:6543/orders?user=app&password=s%40cret&sslmode=disable",
        )
        .unwrap();
        assert_eq!(u.driver, Driver::PostgreSql);
        assert_eq!((u.host.as_str(), u.port), ("db.example", 6543));
        assert_eq!(u.database.as_deref(), Some("orders"));
        assert_eq!(u.param("password"), Some("s@cret"));
        assert_eq!(u.param("sslmode"), Some("disable"));
        assert!(!format!("{u:?}").contains("s@cret"));

        let u = JdbcUrl::parse("jdbc:postgresql:orders").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("localhost", 5432));
        assert_eq!(u.database.as_deref(), Some("orders"));
        let u = JdbcUrl::parse("jdbc:postgresql://[::1]/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 5432));
        let u = JdbcUrl::parse("jdbc:postgresql://h1:1,h2:2/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("h1", 1));
    }

    #[test]
    fn mariadb_and_mysql_urls() {
        let u = JdbcUrl::parse("jdbc:mariadb://127.0.0.1:3307/shop?user=a&password=b").unwrap();
        assert_eq!(u.driver, Driver::MariaDb);
        assert_eq!(u.port, 3307);
        assert_eq!(u.database.as_deref(), Some("shop"));
        assert_eq!(u.param("user"), Some("a"));
        let u = JdbcUrl::parse("jdbc:mysql://localhost/").unwrap();
        assert_eq!(u.driver, Driver::MySql);
        assert_eq!(u.port, 3306);
        assert_eq!(u.database, None);
        assert!(matches!(
            JdbcUrl::parse("jdbc:mysql://h:notaport/x"),
            Err(UrlError::Malformed(_))
        ));
    }

    #[test]
    fn other_databases_have_no_driver() {
        for url in [
            "jdbc:sqlserver://localhost;databaseName=x",
            "jdbc:oracle:thin:@localhost:1521:orcl",
            "postgresql://localhost/x",
            "",
        ] {
            assert_eq!(
                JdbcUrl::parse(url),
                Err(UrlError::NoSuitableDriver),
                "{url}"
            );
        }
    }
}
