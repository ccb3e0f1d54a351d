//! The SQL the sink issues, per dialect, as Confluent's dialects generate it: column types and
//! DDL (`CREATE TABLE`, `ALTER TABLE ... ADD`), and the values of a row as SQL literals or as
//! PostgreSQL `COPY` text.
//!
//! Values are written as literals in multi-row statements (and through `COPY` for PostgreSQL
//! inserts) rather than bound one statement per row: the database sees the same rows and the same
//! column types, in a few round trips per batch instead of one per record.

use std::fmt::Write;

use connect_plugin_api::data::{
    DATE, DECIMAL, DECIMAL_SCALE, Schema, TIME, TIMESTAMP, Type, Value,
};
use connect_plugin_api::error::ConnectError;

use super::fields::SinkField;
use crate::connectors::jdbc::dialect::{Dialect, DialectKind, TableId, sql_string_for};

/// `TableId.toString()` as Confluent's messages print it: every part double-quoted.
pub fn table_id_java(id: &TableId) -> String {
    [&id.catalog, &id.schema, &Some(id.table.clone())]
        .iter()
        .filter_map(|p| p.as_ref())
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(".")
}

/// The column type for a field (`getSqlType`), or Confluent's failure for a type without one.
pub fn sql_type(kind: DialectKind, schema: &Schema) -> Result<String, ConnectError> {
    if let Some(name) = &schema.name {
        match (name.as_str(), kind) {
            (DECIMAL, DialectKind::PostgreSql) => return Ok("DECIMAL".into()),
            (DECIMAL, DialectKind::MySql) => {
                // MySQL's maximum precision is 65.
                let scale = schema.param(DECIMAL_SCALE).unwrap_or("0");
                return Ok(format!("DECIMAL(65,{scale})"));
            }
            (DATE, _) => return Ok("DATE".into()),
            (TIME, DialectKind::PostgreSql) => return Ok("TIME".into()),
            (TIME, DialectKind::MySql) => return Ok("TIME(3)".into()),
            (TIMESTAMP, DialectKind::PostgreSql) => return Ok("TIMESTAMP".into()),
            (TIMESTAMP, DialectKind::MySql) => return Ok("DATETIME(3)".into()),
            _ => {}
        }
    }
    let t = match (schema.ty, kind) {
        (Type::Int8, DialectKind::PostgreSql) => "SMALLINT",
        (Type::Int8, DialectKind::MySql) => "TINYINT",
        (Type::Int16, _) => "SMALLINT",
        (Type::Int32, _) => "INT",
        (Type::Int64, _) => "BIGINT",
        (Type::Float32, DialectKind::PostgreSql) => "REAL",
        (Type::Float32, DialectKind::MySql) => "FLOAT",
        (Type::Float64, DialectKind::PostgreSql) => "DOUBLE PRECISION",
        (Type::Float64, DialectKind::MySql) => "DOUBLE",
        (Type::Boolean, DialectKind::PostgreSql) => "BOOLEAN",
        (Type::Boolean, DialectKind::MySql) => "TINYINT",
        (Type::String, _) => "TEXT",
        (Type::Bytes, DialectKind::PostgreSql) => "BYTEA",
        (Type::Bytes, DialectKind::MySql) => "VARBINARY(1024)",
        (Type::Array | Type::Map | Type::Struct, _) => {
            return Err(no_mapping(schema));
        }
    };
    Ok(t.to_owned())
}

/// `GenericDatabaseDialect.getSqlType`'s failure.
pub fn no_mapping(schema: &Schema) -> ConnectError {
    ConnectError::connect(format!(
        "{} ({}) type doesn't have a mapping to the SQL database column type",
        schema.name.as_deref().unwrap_or("null"),
        schema.ty.java_name()
    ))
    .at("io.confluent.connect.jdbc.dialect.GenericDatabaseDialect.getSqlType(sql.rs)")
}

/// One column's definition: `name TYPE [DEFAULT x | NULL | NOT NULL]` (`writeColumnSpec`).
fn column_spec(
    d: &Dialect,
    f: &SinkField,
    tz: &jiff::tz::TimeZone,
) -> Result<String, ConnectError> {
    let mut s = format!(
        "{} {}",
        d.quote_identifier(&f.name),
        sql_type(d.kind, &f.schema)?
    );
    match &f.schema.default {
        Some(v) if !v.is_null() => {
            s.push_str(" DEFAULT ");
            literal(d.kind, &f.schema, v, tz, false, &mut s)?;
        }
        _ if f.schema.optional => s.push_str(" NULL"),
        _ => s.push_str(" NOT NULL"),
    }
    Ok(s)
}

/// `buildCreateTableStatement`.
pub fn create_table(
    d: &Dialect,
    table: &TableId,
    fields: &[&SinkField],
    tz: &jiff::tz::TimeZone,
) -> Result<String, ConnectError> {
    let mut sql = format!("CREATE TABLE {} (", d.table_name(table));
    let cols: Vec<String> = fields
        .iter()
        .map(|f| column_spec(d, f, tz).map(|c| format!("\n{c}")))
        .collect::<Result<_, _>>()?;
    sql.push_str(&cols.join(","));
    let pk: Vec<String> = fields
        .iter()
        .filter(|f| f.primary_key)
        .map(|f| d.quote_identifier(&f.name))
        .collect();
    if !pk.is_empty() {
        let _ = write!(sql, ",\nPRIMARY KEY({})", pk.join(","));
    }
    sql.push(')');
    Ok(sql)
}

/// `buildAlterTable`: one statement adding every missing column.
pub fn alter_table(
    d: &Dialect,
    table: &TableId,
    fields: &[&SinkField],
    tz: &jiff::tz::TimeZone,
) -> Result<String, ConnectError> {
    let newlines = fields.len() > 1;
    let adds: Vec<String> = fields
        .iter()
        .map(|f| {
            column_spec(d, f, tz).map(|c| {
                if newlines {
                    format!("\nADD {c}")
                } else {
                    format!("ADD {c}")
                }
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(format!(
        "ALTER TABLE {} {}",
        d.table_name(table),
        adds.join(",")
    ))
}

/// Days since the epoch to a civil date (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Milliseconds since the epoch as the wall clock of `tz`: (date, time-of-day in ms).
fn wall_clock(ms: i64, tz: &jiff::tz::TimeZone) -> ((i64, u32, u32), i64) {
    let offset_ms = match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => i64::from(tz.to_offset(ts).seconds()) * 1000,
        Err(_) => 0,
    };
    let local = ms + offset_ms;
    let days = local.div_euclid(86_400_000);
    (civil_from_days(days), local.rem_euclid(86_400_000))
}

fn push_date(out: &mut String, (y, m, d): (i64, u32, u32)) {
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

fn push_time(out: &mut String, ms_of_day: i64) {
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{:03}",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    );
}

/// The text of a date, time or timestamp as written to the database (`db.timezone` wall clock,
/// as Confluent binds them with a calendar of that zone).
fn temporal_text(v: &Value, tz: &jiff::tz::TimeZone, date_utc: bool, out: &mut String) -> bool {
    match v {
        Value::Date(days) => {
            if date_utc {
                push_date(out, civil_from_days(i64::from(*days)));
            } else {
                push_date(out, wall_clock(i64::from(*days) * 86_400_000, tz).0);
            }
        }
        Value::Time(ms) => push_time(out, wall_clock(i64::from(*ms), tz).1),
        Value::Timestamp(ms) => {
            let (date, t) = wall_clock(*ms, tz);
            push_date(out, date);
            out.push(' ');
            push_time(out, t);
        }
        _ => return false,
    }
    true
}

/// Appends `v` as a SQL literal for `kind`. `date_utc` is `date.timezone=UTC`.
pub fn literal(
    kind: DialectKind,
    schema: &Schema,
    v: &Value,
    tz: &jiff::tz::TimeZone,
    date_utc: bool,
    out: &mut String,
) -> Result<(), ConnectError> {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Boolean(b) => out.push_str(match (kind, b) {
            (DialectKind::PostgreSql, true) => "TRUE",
            (DialectKind::PostgreSql, false) => "FALSE",
            (DialectKind::MySql, true) => "1",
            (DialectKind::MySql, false) => "0",
        }),
        Value::Int8(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int16(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int32(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float32(f) => float_literal(f64::from(*f), out),
        Value::Float64(f) => float_literal(*f, out),
        Value::String(s) => out.push_str(&sql_string_for(kind, s)),
        Value::Bytes(b) => match kind {
            DialectKind::PostgreSql => {
                out.push_str("'\\x");
                push_hex(out, b);
                out.push_str("'::bytea");
            }
            DialectKind::MySql => {
                out.push_str("X'");
                push_hex(out, b);
                out.push('\'');
            }
        },
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
            out.push('\'');
            temporal_text(v, tz, date_utc, out);
            out.push('\'');
        }
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            return Err(ConnectError::connect(format!(
                "Unsupported source data type: {}",
                schema.ty.java_name()
            )));
        }
    }
    Ok(())
}

fn float_literal(f: f64, out: &mut String) {
    if f.is_finite() {
        let _ = write!(out, "{f:?}");
    } else if f.is_nan() {
        out.push_str("'NaN'");
    } else if f > 0.0 {
        out.push_str("'Infinity'");
    } else {
        out.push_str("'-Infinity'");
    }
}

fn push_hex(out: &mut String, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() * 2);
    for byte in b {
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 15) as usize] as char);
    }
}

/// Appends `v` in PostgreSQL's `COPY ... FROM STDIN` text format (`\N` for null; backslash,
/// tab, newline and carriage return escaped).
pub fn copy_text(
    schema: &Schema,
    v: &Value,
    tz: &jiff::tz::TimeZone,
    date_utc: bool,
    out: &mut String,
) -> Result<(), ConnectError> {
    match v {
        Value::Null => out.push_str("\\N"),
        Value::Boolean(b) => out.push(if *b { 't' } else { 'f' }),
        Value::String(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Value::Bytes(b) => {
            out.push_str("\\\\x");
            push_hex(out, b);
        }
        Value::Float32(f) => copy_float(f64::from(*f), out),
        Value::Float64(f) => copy_float(*f, out),
        Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => {
            temporal_text(v, tz, date_utc, out);
        }
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => {
            return Err(ConnectError::connect(format!(
                "Unsupported source data type: {}",
                schema.ty.java_name()
            )));
        }
        other => literal(DialectKind::PostgreSql, schema, other, tz, date_utc, out)?,
    }
    Ok(())
}

fn copy_float(f: f64, out: &mut String) {
    if f.is_finite() {
        let _ = write!(out, "{f:?}");
    } else if f.is_nan() {
        out.push_str("NaN");
    } else if f > 0.0 {
        out.push_str("Infinity");
    } else {
        out.push_str("-Infinity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::jdbc::dialect::QuoteMethod;
    use connect_plugin_api::data::Decimal;
    use std::sync::Arc;

    fn field(name: &str, schema: Schema, pk: bool) -> SinkField {
        SinkField {
            name: name.into(),
            schema: Arc::new(schema),
            primary_key: pk,
            source: super::super::fields::Source::Key,
        }
    }

    #[test]
    fn create_table_as_confluent_writes_it() {
        let d = Dialect::new(DialectKind::PostgreSql, QuoteMethod::Always);
        let t = d.parse_table_id("orders");
        let f = [
            field("id", Schema::new(Type::Int64), true),
            field("name", Schema::new(Type::String).optional(), false),
            field(
                "qty",
                Schema::new(Type::Int32).default_value(Value::Int32(1)),
                false,
            ),
            field("price", Schema::decimal(2), false),
        ];
        let refs: Vec<&SinkField> = f.iter().collect();
        let sql = create_table(&d, &t, &refs, &jiff::tz::TimeZone::UTC).unwrap();
        assert_eq!(
            sql,
            "CREATE TABLE \"orders\" (\n\"id\" BIGINT NOT NULL,\n\"name\" TEXT NULL,\n\"qty\" INT \
             DEFAULT 1,\n\"price\" DECIMAL NOT NULL,\nPRIMARY KEY(\"id\"))"
        );
        let my = Dialect::new(DialectKind::MySql, QuoteMethod::Always);
        let sql = alter_table(&my, &t, &refs[1..2], &jiff::tz::TimeZone::UTC).unwrap();
        assert_eq!(sql, "ALTER TABLE `orders` ADD `name` TEXT NULL");
        assert_eq!(
            sql_type(DialectKind::MySql, &Schema::decimal(3)).unwrap(),
            "DECIMAL(65,3)"
        );
        let nested = Schema::structure(vec![]);
        assert_eq!(
            sql_type(DialectKind::PostgreSql, &nested)
                .unwrap_err()
                .message
                .unwrap(),
            "null (STRUCT) type doesn't have a mapping to the SQL database column type"
        );
    }

    #[test]
    fn values_as_literals_and_copy_text() {
        let utc = jiff::tz::TimeZone::UTC;
        let s = Schema::new(Type::String);
        let mut out = String::new();
        literal(
            DialectKind::MySql,
            &s,
            &Value::String("a'b\\c".into()),
            &utc,
            false,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "'a''b\\\\c'");
        out.clear();
        copy_text(&s, &Value::String("a\tb\\".into()), &utc, false, &mut out).unwrap();
        assert_eq!(out, "a\\tb\\\\");
        out.clear();
        let ts = Schema::timestamp();
        literal(
            DialectKind::PostgreSql,
            &ts,
            &Value::Timestamp(1_700_000_000_123),
            &utc,
            false,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "'2023-11-14 22:13:20.123'");
        out.clear();
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        literal(
            DialectKind::PostgreSql,
            &ts,
            &Value::Timestamp(1_700_000_000_123),
            &paris,
            false,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "'2023-11-14 23:13:20.123'");
        out.clear();
        literal(
            DialectKind::PostgreSql,
            &Schema::date(),
            &Value::Date(-1),
            &utc,
            false,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "'1969-12-31'");
        out.clear();
        literal(
            DialectKind::PostgreSql,
            &Schema::decimal(2),
            &Value::Decimal(Decimal {
                unscaled: -12345,
                scale: 2,
            }),
            &utc,
            false,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "-123.45");
    }
}
