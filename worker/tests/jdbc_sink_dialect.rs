//! The JDBC dialect layer against the environment's real PostgreSQL and MariaDB: connecting with
//! `connection.user`/`connection.password`, metadata queries, and errors shaped like the JVM
//! drivers' exceptions.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use connect_testkit::env;
use connect_testkit::sql::{MariaDatabase, PgDatabase};
use connect_worker::connectors::jdbc::dialect::{
    ConnectionSettings, Dialect, DialectKind, QuoteMethod, connect,
};

fn settings(url: String, user: &str, password: &str) -> ConnectionSettings {
    ConnectionSettings {
        url,
        user: Some(user.to_owned()),
        password: Some(password.to_owned()),
        attempts: 1,
        backoff: Duration::from_millis(10),
    }
}

#[test]
fn postgres_metadata_and_errors() {
    let env = env();
    let db = PgDatabase::create("jdbc_dialect");
    db.sql("CREATE TABLE \"Orders\" (id BIGINT PRIMARY KEY, name TEXT NOT NULL, note VARCHAR(10) DEFAULT 'x')");
    let s = settings(
        env.postgres_jdbc_url_for(db.name()),
        &env.postgres_user,
        &env.postgres_password,
    );
    let mut c = connect(&s, &AtomicBool::new(true)).expect("connect");
    assert_eq!(c.kind(), DialectKind::PostgreSql);
    let d = Dialect::new(DialectKind::PostgreSql, QuoteMethod::Always);
    assert!(c.table_exists(&d.parse_table_id("Orders")).unwrap());
    assert!(c.table_exists(&d.parse_table_id("public.Orders")).unwrap());
    assert!(!c.table_exists(&d.parse_table_id("orders")).unwrap());
    let cols = c.describe_columns(&d.parse_table_id("Orders")).unwrap();
    let names: Vec<_> = cols.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "note"]);
    assert!(cols[0].primary_key && !cols[0].nullable);
    assert!(!cols[1].primary_key && !cols[1].nullable);
    assert!(cols[2].nullable && cols[2].default.is_some());

    let e = c.execute("INSERT INTO missing VALUES (1)").unwrap_err();
    assert_eq!(e.class, "org.postgresql.util.PSQLException");
    assert!(
        e.message
            .starts_with("ERROR: relation \"missing\" does not exist"),
        "{}",
        e.message
    );
    assert_eq!(e.sql_state.as_deref(), Some("42P01"));

    // A wrong password is the server's FATAL error, not a hang or a panic.
    let bad = settings(
        env.postgres_jdbc_url_for(db.name()),
        &env.postgres_user,
        "wrong-password",
    );
    let e = connect(&bad, &AtomicBool::new(true))
        .err()
        .expect("bad password");
    assert!(e.message.starts_with("FATAL: "), "{}", e.message);
    assert!(!e.message.contains("wrong-password"));
}

#[test]
fn mariadb_metadata_and_errors() {
    let env = env();
    let db = MariaDatabase::create("jdbc_dialect");
    db.sql(
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, note TEXT NULL)",
    );
    let s = settings(
        env.mariadb_jdbc_url_for(db.name()),
        &env.mariadb_user,
        &env.mariadb_password,
    );
    let mut c = connect(&s, &AtomicBool::new(true)).expect("connect");
    assert_eq!(c.kind(), DialectKind::MySql);
    let d = Dialect::new(DialectKind::MySql, QuoteMethod::Always);
    assert!(c.table_exists(&d.parse_table_id("orders")).unwrap());
    let qualified = format!("{}.orders", db.name());
    assert!(c.table_exists(&d.parse_table_id(&qualified)).unwrap());
    assert!(!c.table_exists(&d.parse_table_id("nope")).unwrap());
    let cols = c.describe_columns(&d.parse_table_id("orders")).unwrap();
    let names: Vec<_> = cols.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "note"]);
    assert!(cols[0].primary_key && !cols[1].nullable && cols[2].nullable);

    let e = c.execute("INSERT INTO nope VALUES (1)").unwrap_err();
    assert_eq!(e.class, "java.sql.SQLSyntaxErrorException");
    assert_eq!(e.vendor_code, 1146);
    assert!(e.message.contains("doesn't exist"), "{}", e.message);

    // Nothing listens on port 1: a connection error with Java's socket cause.
    let closed = settings(
        "jdbc:mariadb://127.0.0.1:1/x".into(),
        &env.mariadb_user,
        &env.mariadb_password,
    );
    let e = connect(&closed, &AtomicBool::new(true))
        .err()
        .expect("refused");
    assert!(e.is_connection_error(), "{e:?}");
    assert_eq!(e.class, "java.sql.SQLNonTransientConnectionException");
}
