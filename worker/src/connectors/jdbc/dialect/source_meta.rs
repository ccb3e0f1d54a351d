//! What the JDBC source asks of the database beyond the shared dialect layer: the tables a
//! connector may read (`DatabaseMetaData.getTables`), the columns of a query's result with the
//! facts `ResultSetMetaData` gives (SQL type, precision, scale, nullability, signedness), the
//! auto-increment column of a table, and reading a query's rows in batches (a server-side cursor
//! on PostgreSQL, as pgjdbc does with a fetch size; the whole result on MySQL/MariaDB, as
//! Connector/J does by default).

use std::collections::VecDeque;

use super::{Client, Connection, DialectKind, SqlError, TableId, sql_string_for};

/// The JDBC type family of a result column (`java.sql.Types`), as the JVM drivers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Boolean,
    /// `BIT(n)`: PostgreSQL `bit(n)`, MySQL `BIT(n)` and `TINYINT(1)`.
    Bit(u32),
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    /// PostgreSQL `numeric`: `numeric.mapping` applies.
    Numeric,
    /// MySQL `DECIMAL`: always a Connect Decimal.
    Decimal,
    Char,
    Binary,
    Date,
    Time,
    /// A wall-clock timestamp (`timestamp`, `DATETIME`, MySQL `TIMESTAMP` in the session zone).
    Timestamp,
    /// PostgreSQL `timestamptz`: the text carries its offset.
    TimestampTz,
    /// MySQL `YEAR` (Connector/J reports it as a DATE).
    Year,
    /// A type the JDBC source cannot map (`Types.OTHER`, `ARRAY`, ...): the column is skipped.
    Other,
}

/// One column of a query's result (`ResultSetMetaData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    pub name: String,
    pub sql_type: SqlType,
    /// The database's type name (`int4`, `numeric`, `DATETIME`).
    pub type_name: String,
    /// Not known to be NOT NULL (a computed column counts as nullable, as in the drivers).
    pub nullable: bool,
    pub signed: bool,
    pub precision: i32,
    pub scale: i32,
}

/// A table found by [`list_tables`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTable {
    pub id: TableId,
    /// `TABLE` or `VIEW`, as `getTables` reports `TABLE_TYPE`.
    pub table_type: String,
}

/// The tables of the given JDBC table types (`TABLE`, `VIEW`), narrowed by `catalog.pattern`
/// and `schema.pattern` (SQL LIKE patterns; `None` matches all). System schemas are left out,
/// as `getTables` reports them as `SYSTEM TABLE`. PostgreSQL tables carry no catalog (Confluent's
/// PostgreSQL dialect drops it); MySQL/MariaDB tables have their database as catalog.
pub fn list_tables(
    conn: &mut Connection,
    catalog_pattern: Option<&str>,
    schema_pattern: Option<&str>,
    table_types: &[String],
) -> Result<Vec<FoundTable>, SqlError> {
    let kind = conn.kind();
    let lit = |s: &str| sql_string_for(kind, s);
    let mut kinds = Vec::new();
    for t in table_types {
        match t.trim().to_ascii_uppercase().as_str() {
            "TABLE" => kinds.push("'BASE TABLE'"),
            "VIEW" => kinds.push("'VIEW'"),
            _ => {}
        }
    }
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let sql = match kind {
        DialectKind::PostgreSql => {
            let mut sql = format!(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables \
                 WHERE table_type IN ({}) AND table_schema NOT IN ('pg_catalog', \
                 'information_schema') AND table_schema NOT LIKE 'pg\\_%'",
                kinds.join(",")
            );
            if let Some(s) = schema_pattern {
                sql.push_str(&format!(" AND table_schema LIKE {}", lit(s)));
            }
            if let Some(c) = catalog_pattern {
                sql.push_str(&format!(" AND table_catalog LIKE {}", lit(c)));
            }
            sql + " ORDER BY table_schema, table_name"
        }
        DialectKind::MySql => {
            // Connector/J reads the connected database when no catalog pattern is given.
            let catalog = match catalog_pattern {
                Some(c) => format!("table_schema LIKE {}", lit(c)),
                None => "table_schema = DATABASE()".to_owned(),
            };
            format!(
                "SELECT table_schema, table_name, CASE table_type WHEN 'VIEW' THEN 'VIEW' ELSE \
                 'BASE TABLE' END FROM information_schema.tables WHERE table_type IN ({}) AND {catalog} \
                 ORDER BY table_schema, table_name",
                kinds.join(",")
            )
        }
    };
    let rows = conn.query_text(&sql)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter();
            let ns = it.next().flatten().unwrap_or_default();
            let table = it.next().flatten().unwrap_or_default();
            let ty = it.next().flatten().unwrap_or_default();
            let id = match kind {
                DialectKind::PostgreSql => TableId {
                    catalog: None,
                    schema: Some(ns),
                    table,
                },
                DialectKind::MySql => TableId {
                    catalog: Some(ns),
                    schema: None,
                    table,
                },
            };
            FoundTable {
                id,
                table_type: if ty == "VIEW" { "VIEW" } else { "TABLE" }.to_owned(),
            }
        })
        .collect())
}

/// The first auto-increment column of `table` (serial/identity on PostgreSQL,
/// `AUTO_INCREMENT` on MySQL), what Confluent uses when `incrementing.column.name` is empty.
pub fn auto_increment_column(
    conn: &mut Connection,
    table: &TableId,
) -> Result<Option<String>, SqlError> {
    let kind = conn.kind();
    let lit = |s: &str| sql_string_for(kind, s);
    let ns = match kind {
        DialectKind::PostgreSql => table
            .schema
            .as_deref()
            .map_or("current_schema()".to_owned(), lit),
        DialectKind::MySql => table
            .catalog
            .as_deref()
            .map_or("DATABASE()".to_owned(), lit),
    };
    let sql = match kind {
        DialectKind::PostgreSql => format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = {ns} AND \
             table_name = {} AND (column_default LIKE 'nextval(%' OR is_identity = 'YES') \
             ORDER BY ordinal_position LIMIT 1",
            lit(&table.table)
        ),
        DialectKind::MySql => format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = {ns} AND \
             table_name = {} AND extra LIKE '%auto_increment%' ORDER BY ordinal_position LIMIT 1",
            lit(&table.table)
        ),
    };
    Ok(conn
        .query_text(&sql)?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten()))
}

/// The columns `sql` returns, without running it (PostgreSQL prepares it; MySQL runs it with
/// `LIMIT 0` around it).
pub fn describe_query(conn: &mut Connection, sql: &str) -> Result<Vec<ResultColumn>, SqlError> {
    let (host, port) = (conn.url.host.clone(), conn.url.port);
    match &mut conn.client {
        Client::Postgres(c) => {
            let stmt = c
                .prepare(sql)
                .map_err(|e| SqlError::from_postgres(&e, &host, port))?;
            let mut cols = Vec::new();
            let mut not_null_lookups = Vec::new();
            for col in stmt.columns() {
                let ty = col.type_();
                let typmod = col.type_modifier();
                let name = ty.name().to_owned();
                let (sql_type, precision, scale) = pg_type(&name, typmod);
                if let (Some(t), Some(a)) = (col.table_oid(), col.column_id()) {
                    if t != 0 && a > 0 {
                        not_null_lookups.push((cols.len(), t, a));
                    }
                }
                cols.push(ResultColumn {
                    name: col.name().to_owned(),
                    sql_type,
                    type_name: name,
                    nullable: true,
                    signed: true,
                    precision,
                    scale,
                });
            }
            for (i, t, a) in not_null_lookups {
                let rows = c
                    .simple_query(&format!(
                        "SELECT attnotnull FROM pg_attribute WHERE attrelid = {t} AND attnum = {a}"
                    ))
                    .map_err(|e| SqlError::from_postgres(&e, &host, port))?;
                for m in rows {
                    if let postgres::SimpleQueryMessage::Row(r) = m {
                        cols[i].nullable = r.get(0) != Some("t");
                    }
                }
            }
            Ok(cols)
        }
        Client::MySql(c) => {
            use mysql::prelude::Queryable;
            let wrapped = format!("SELECT * FROM ({sql}) connect_worker_describe LIMIT 0");
            let res = c
                .query_iter(&wrapped)
                .map_err(|e| SqlError::from_mysql(&e, &host, port))?;
            let cols = res.columns().as_ref().iter().map(mysql_column).collect();
            drop(res);
            Ok(cols)
        }
    }
}

/// PostgreSQL type name and typmod -> JDBC type, precision and scale as pgjdbc reports them.
fn pg_type(name: &str, typmod: i32) -> (SqlType, i32, i32) {
    match name {
        "bool" => (SqlType::Boolean, 1, 0),
        "bit" => (SqlType::Bit(typmod.max(1) as u32), typmod.max(1), 0),
        "int2" => (SqlType::SmallInt, 5, 0),
        "int4" => (SqlType::Integer, 10, 0),
        "int8" | "oid" => (SqlType::BigInt, 19, 0),
        "float4" => (SqlType::Real, 8, 8),
        "float8" | "money" => (SqlType::Double, 17, 17),
        "numeric" => {
            if typmod == -1 {
                (SqlType::Numeric, 131_089, 0)
            } else {
                let t = typmod - 4;
                (SqlType::Numeric, (t >> 16) & 0xffff, t & 0xffff)
            }
        }
        "text" | "varchar" | "bpchar" | "name" | "char" | "json" | "jsonb" | "uuid" | "xml" => {
            (SqlType::Char, 0, 0)
        }
        "bytea" => (SqlType::Binary, 0, 0),
        "date" => (SqlType::Date, 13, 0),
        "time" | "timetz" => (SqlType::Time, 15, 6),
        "timestamp" => (SqlType::Timestamp, 29, 6),
        "timestamptz" => (SqlType::TimestampTz, 35, 6),
        _ => (SqlType::Other, 0, 0),
    }
}

/// MySQL column metadata -> JDBC type as Connector/J and MariaDB Connector/J report it.
fn mysql_column(c: &mysql::Column) -> ResultColumn {
    use mysql::consts::{ColumnFlags, ColumnType as Ct};
    let flags = c.flags();
    let signed = !flags.contains(ColumnFlags::UNSIGNED_FLAG);
    let binary = c.character_set() == 63;
    let len = c.column_length() as i32;
    let decimals = i32::from(c.decimals());
    let (sql_type, precision, scale) = match c.column_type() {
        Ct::MYSQL_TYPE_TINY if len == 1 => (SqlType::Bit(1), 1, 0),
        Ct::MYSQL_TYPE_TINY => (SqlType::TinyInt, 3, 0),
        Ct::MYSQL_TYPE_SHORT => (SqlType::SmallInt, 5, 0),
        Ct::MYSQL_TYPE_INT24 | Ct::MYSQL_TYPE_LONG => (SqlType::Integer, 10, 0),
        Ct::MYSQL_TYPE_LONGLONG => (SqlType::BigInt, 19, 0),
        Ct::MYSQL_TYPE_FLOAT => (SqlType::Real, 12, decimals),
        Ct::MYSQL_TYPE_DOUBLE => (SqlType::Double, 22, decimals),
        Ct::MYSQL_TYPE_DECIMAL | Ct::MYSQL_TYPE_NEWDECIMAL => {
            let p = len - if decimals > 0 { 1 } else { 0 } - if signed { 1 } else { 0 };
            (SqlType::Decimal, p, decimals)
        }
        Ct::MYSQL_TYPE_BIT if len <= 1 => (SqlType::Bit(1), 1, 0),
        Ct::MYSQL_TYPE_BIT => (SqlType::Binary, len, 0),
        Ct::MYSQL_TYPE_VARCHAR
        | Ct::MYSQL_TYPE_VAR_STRING
        | Ct::MYSQL_TYPE_STRING
        | Ct::MYSQL_TYPE_TINY_BLOB
        | Ct::MYSQL_TYPE_MEDIUM_BLOB
        | Ct::MYSQL_TYPE_LONG_BLOB
        | Ct::MYSQL_TYPE_BLOB => {
            if binary {
                (SqlType::Binary, len, 0)
            } else {
                (SqlType::Char, len, 0)
            }
        }
        Ct::MYSQL_TYPE_JSON | Ct::MYSQL_TYPE_ENUM | Ct::MYSQL_TYPE_SET => (SqlType::Char, len, 0),
        Ct::MYSQL_TYPE_DATE | Ct::MYSQL_TYPE_NEWDATE => (SqlType::Date, 10, 0),
        Ct::MYSQL_TYPE_YEAR => (SqlType::Year, 4, 0),
        Ct::MYSQL_TYPE_TIME | Ct::MYSQL_TYPE_TIME2 => (SqlType::Time, len, decimals),
        Ct::MYSQL_TYPE_DATETIME
        | Ct::MYSQL_TYPE_DATETIME2
        | Ct::MYSQL_TYPE_TIMESTAMP
        | Ct::MYSQL_TYPE_TIMESTAMP2 => (SqlType::Timestamp, len, decimals),
        _ => (SqlType::Other, len, 0),
    };
    ResultColumn {
        name: c.name_str().into_owned(),
        sql_type,
        type_name: format!("{:?}", c.column_type())
            .trim_start_matches("MYSQL_TYPE_")
            .to_owned(),
        nullable: !flags.contains(ColumnFlags::NOT_NULL_FLAG),
        signed,
        precision,
        scale,
    }
}

/// A query being read in batches.
pub enum OpenQuery {
    /// A PostgreSQL cursor inside a transaction.
    Cursor,
    /// MySQL/MariaDB rows read whole.
    Buffered(VecDeque<Vec<Option<Vec<u8>>>>),
}

/// One row: each value as the text protocol gives it (`None` for SQL NULL).
pub type TextRow = Vec<Option<Vec<u8>>>;

const CURSOR: &str = "connect_worker_source";

/// Starts reading `sql` in a read transaction at `isolation` (`None` keeps the database's
/// default): on PostgreSQL a cursor, so memory stays bounded by the batch size.
pub fn open_query(
    conn: &mut Connection,
    sql: &str,
    isolation: Option<&str>,
) -> Result<OpenQuery, SqlError> {
    let level = isolation.map(|l| l.replace('_', " "));
    match conn.kind() {
        DialectKind::PostgreSql => {
            let begin = match &level {
                Some(l) => format!("BEGIN ISOLATION LEVEL {l}"),
                None => "BEGIN".to_owned(),
            };
            conn.batch_execute(&begin)?;
            if let Err(e) =
                conn.batch_execute(&format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {sql}"))
            {
                conn.rollback_quietly();
                return Err(e);
            }
            Ok(OpenQuery::Cursor)
        }
        DialectKind::MySql => {
            if let Some(l) = &level {
                conn.batch_execute(&format!("SET TRANSACTION ISOLATION LEVEL {l}"))?;
            }
            let (host, port) = (conn.url.host.clone(), conn.url.port);
            let Client::MySql(c) = &mut conn.client else {
                unreachable!("a MySQL dialect connection has a MySQL client")
            };
            use mysql::prelude::Queryable;
            let res = c
                .query_iter(sql)
                .map_err(|e| SqlError::from_mysql(&e, &host, port))?;
            let mut rows = VecDeque::new();
            for row in res {
                let row = row.map_err(|e| SqlError::from_mysql(&e, &host, port))?;
                rows.push_back(
                    row.unwrap()
                        .into_iter()
                        .map(|v| match v {
                            mysql::Value::NULL => None,
                            mysql::Value::Bytes(b) => Some(b),
                            other => {
                                Some(other.as_sql(true).trim_matches('\'').as_bytes().to_vec())
                            }
                        })
                        .collect(),
                );
            }
            Ok(OpenQuery::Buffered(rows))
        }
    }
}

/// The next up to `max` rows; empty when the query is exhausted.
pub fn fetch(
    conn: &mut Connection,
    q: &mut OpenQuery,
    max: usize,
) -> Result<Vec<TextRow>, SqlError> {
    match q {
        OpenQuery::Buffered(rows) => {
            let n = max.min(rows.len());
            Ok(rows.drain(..n).collect())
        }
        OpenQuery::Cursor => {
            let (host, port) = (conn.url.host.clone(), conn.url.port);
            let Client::Postgres(c) = &mut conn.client else {
                unreachable!("a PostgreSQL dialect connection has a PostgreSQL client")
            };
            let msgs = c
                .simple_query(&format!("FETCH {max} FROM {CURSOR}"))
                .map_err(|e| SqlError::from_postgres(&e, &host, port))?;
            let mut out = Vec::with_capacity(max);
            for m in msgs {
                if let postgres::SimpleQueryMessage::Row(r) = m {
                    out.push(
                        (0..r.len())
                            .map(|i| r.get(i).map(|s| s.as_bytes().to_vec()))
                            .collect(),
                    );
                }
            }
            Ok(out)
        }
    }
}

/// Ends the read transaction (`TableQuerier.reset` commits to release locks).
pub fn close_query(conn: &mut Connection, q: OpenQuery) {
    if let OpenQuery::Cursor = q {
        let _ = conn.batch_execute("COMMIT");
    }
}
