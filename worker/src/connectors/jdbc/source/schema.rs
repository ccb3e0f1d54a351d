//! Result columns -> the Connect struct schema Confluent's source builds (`SchemaMapping`,
//! `GenericDatabaseDialect.addFieldToSchema` with `numeric.mapping`, the PostgreSQL and MySQL
//! overrides), and each row -> a struct of that schema.

use std::sync::Arc;

use connect_plugin_api::data::{Schema, SchemaRef, Struct, Type, Value};
use jiff::tz::TimeZone;

use super::config::NumericMapping;
use super::values::{self as v};
use crate::connectors::jdbc::dialect::DialectKind;
use crate::connectors::jdbc::dialect::source_meta::{ResultColumn, SqlType};

/// Confluent's `MAX_INTEGER_TYPE_PRECISION`.
const MAX_INTEGER_PRECISION: i32 = 18;
/// Confluent's `NUMERIC_TYPE_SCALE_LOW`.
const SCALE_LOW: i32 = -84;
/// pgjdbc's precision of an unconstrained `numeric`.
pub const PG_UNCONSTRAINED_PRECISION: i32 = 131_089;

/// How one column's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conv {
    Bool,
    /// MySQL `BIT(1)`/`TINYINT(1)` as a byte.
    BitByte,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    Decimal(i32),
    Str,
    /// PostgreSQL `bytea`.
    PgBytes,
    Bytes,
    Date,
    /// MySQL `YEAR`: January 1st of that year.
    Year,
    Time,
    Timestamp,
    TimestampTz,
}

/// The schema of a query's rows and how to read each column (skipped columns have no entry).
#[derive(Debug, Clone)]
pub struct SchemaMapping {
    pub schema: SchemaRef,
    /// Per result column: its field converter, or `None` when the column is skipped.
    pub columns: Vec<Option<Conv>>,
}

fn integer_schema(precision: i32) -> (Type, Conv) {
    if precision > 9 {
        (Type::Int64, Conv::I64)
    } else if precision > 4 {
        (Type::Int32, Conv::I32)
    } else if precision > 2 {
        (Type::Int16, Conv::I16)
    } else {
        (Type::Int8, Conv::I8)
    }
}

/// `addFieldToSchema` for one column: its schema and converter, or `None` for a type Confluent
/// does not map (it logs `JDBC type ... not currently supported` and leaves the column out).
pub fn field_for(
    col: &ResultColumn,
    numeric: NumericMapping,
    dialect: DialectKind,
) -> Option<(Schema, Conv)> {
    let prim = |t: Type, c: Conv| Some((Schema::new(t), c));
    let (p, s) = (col.precision, col.scale);
    let out = match col.sql_type {
        SqlType::Boolean => prim(Type::Boolean, Conv::Bool),
        SqlType::Bit(n) => match dialect {
            // PostgreSQL: bit(1) is a boolean, up to 8 bits a byte, longer bytes.
            DialectKind::PostgreSql if n <= 1 => prim(Type::Boolean, Conv::Bool),
            DialectKind::PostgreSql => None,
            DialectKind::MySql => prim(Type::Int8, Conv::BitByte),
        },
        SqlType::TinyInt if col.signed => prim(Type::Int8, Conv::I8),
        SqlType::TinyInt => prim(Type::Int16, Conv::I16),
        SqlType::SmallInt if col.signed => prim(Type::Int16, Conv::I16),
        SqlType::SmallInt => prim(Type::Int32, Conv::I32),
        SqlType::Integer if col.signed => prim(Type::Int32, Conv::I32),
        SqlType::Integer => prim(Type::Int64, Conv::I64),
        SqlType::BigInt => prim(Type::Int64, Conv::I64),
        SqlType::Real => prim(Type::Float32, Conv::F32),
        SqlType::Double => prim(Type::Float64, Conv::F64),
        SqlType::Numeric => {
            let mapped = match numeric {
                NumericMapping::PrecisionOnly if s == 0 && p <= MAX_INTEGER_PRECISION => {
                    Some(integer_schema(p))
                }
                NumericMapping::BestFit if p <= MAX_INTEGER_PRECISION => {
                    if (SCALE_LOW..1).contains(&s) {
                        Some(integer_schema(p))
                    } else if s > 0 {
                        Some((Type::Float64, Conv::F64))
                    } else {
                        None
                    }
                }
                NumericMapping::BestFitEagerDouble => {
                    if (SCALE_LOW..1).contains(&s) {
                        (p <= MAX_INTEGER_PRECISION).then(|| integer_schema(p))
                    } else if s > 0 {
                        Some((Type::Float64, Conv::F64))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            match mapped {
                Some((t, c)) => prim(t, c),
                None => Some(decimal(p, s)),
            }
        }
        SqlType::Decimal => Some(decimal(p, s)),
        SqlType::Char => prim(Type::String, Conv::Str),
        SqlType::Binary => prim(
            Type::Bytes,
            if dialect == DialectKind::PostgreSql {
                Conv::PgBytes
            } else {
                Conv::Bytes
            },
        ),
        SqlType::Date => Some((Schema::date(), Conv::Date)),
        SqlType::Year => Some((Schema::date(), Conv::Year)),
        SqlType::Time => Some((Schema::time(), Conv::Time)),
        SqlType::Timestamp => Some((Schema::timestamp(), Conv::Timestamp)),
        SqlType::TimestampTz => Some((Schema::timestamp(), Conv::TimestampTz)),
        SqlType::Other => None,
    };
    out.map(|(schema, conv)| {
        if col.nullable {
            (schema.optional(), conv)
        } else {
            (schema, conv)
        }
    })
}

fn decimal(precision: i32, scale: i32) -> (Schema, Conv) {
    (
        Schema::decimal(scale)
            .version(1)
            .parameter("connect.decimal.precision", &precision.to_string()),
        Conv::Decimal(scale),
    )
}

impl SchemaMapping {
    /// `SchemaMapping.create`: a struct named `name` (the table; none for a query).
    pub fn create(
        name: Option<&str>,
        columns: &[ResultColumn],
        numeric: NumericMapping,
        dialect: DialectKind,
    ) -> SchemaMapping {
        let mut fields = Vec::new();
        let mut convs = Vec::new();
        for c in columns {
            match field_for(c, numeric, dialect) {
                Some((schema, conv)) => {
                    fields.push((c.name.clone(), schema.into_ref()));
                    convs.push(Some(conv));
                }
                None => {
                    tracing::warn!(
                        "JDBC type {} ({}) not currently supported",
                        c.type_name,
                        c.type_name
                    );
                    convs.push(None);
                }
            }
        }
        let mut schema = Schema::structure(fields);
        if let Some(n) = name {
            schema = schema.named(n);
        }
        SchemaMapping {
            schema: Arc::new(schema),
            columns: convs,
        }
    }

    /// A row as a struct of [`SchemaMapping::schema`]; the error names the column.
    pub fn row(&self, row: Vec<Option<Vec<u8>>>, tz: &TimeZone) -> Result<Struct, String> {
        let mut values = Vec::with_capacity(self.schema.fields.len());
        let mut field = 0;
        for (cell, conv) in row.into_iter().zip(&self.columns) {
            let Some(conv) = conv else { continue };
            let value = match cell {
                None => Value::Null,
                Some(b) => convert(*conv, b, tz)
                    .map_err(|e| format!("column {}: {e}", self.schema.fields[field].name))?,
            };
            values.push(value);
            field += 1;
        }
        Ok(Struct {
            schema: self.schema.clone(),
            values,
        })
    }
}

fn convert(conv: Conv, b: Vec<u8>, tz: &TimeZone) -> Result<Value, String> {
    Ok(match conv {
        Conv::Bool => Value::Boolean(v::parse_bool(&b)?),
        Conv::BitByte => Value::Int8(v::parse_bit_byte(&b)?),
        Conv::I8 => Value::Int8(v::parse_int(&b)?),
        Conv::I16 => Value::Int16(v::parse_int(&b)?),
        Conv::I32 => Value::Int32(v::parse_int(&b)?),
        Conv::I64 => Value::Int64(v::parse_int(&b)?),
        Conv::F32 => Value::Float32(v::parse_float(&b)? as f32),
        Conv::F64 => Value::Float64(v::parse_float(&b)?),
        Conv::Decimal(scale) => Value::Decimal(v::parse_decimal(&b, scale)?),
        Conv::Str => v::string(b)?,
        Conv::PgBytes => Value::Bytes(v::parse_pg_bytea(&b)?),
        Conv::Bytes => Value::Bytes(b),
        Conv::Date => Value::Date(v::parse_date(&b)?),
        Conv::Year => {
            let y: i16 = v::parse_int(&b)?;
            Value::Date(v::parse_date(format!("{y:04}-01-01").as_bytes())?)
        }
        Conv::Time => Value::Time(v::parse_time(&b)?),
        Conv::Timestamp => Value::Timestamp(v::parse_timestamp(&b, tz)?.millis()),
        Conv::TimestampTz => Value::Timestamp(v::parse_timestamptz(&b)?.millis()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: SqlType, p: i32, s: i32, nullable: bool) -> ResultColumn {
        ResultColumn {
            name: "c".into(),
            sql_type: t,
            type_name: "numeric".into(),
            nullable,
            signed: true,
            precision: p,
            scale: s,
        }
    }

    fn ty(c: &ResultColumn, m: NumericMapping) -> (Type, Option<String>) {
        let (s, _) = field_for(c, m, DialectKind::PostgreSql).unwrap();
        (s.ty, s.name)
    }

    /// The table of Confluent's `numeric.mapping` documentation.
    #[test]
    fn numeric_mapping_follows_confluent() {
        use NumericMapping::*;
        let n = |p, s| col(SqlType::Numeric, p, s, false);
        let dec = Some(connect_plugin_api::data::DECIMAL.to_owned());
        assert_eq!(ty(&n(10, 2), None), (Type::Bytes, dec.clone()));
        assert_eq!(ty(&n(5, 0), PrecisionOnly), (Type::Int32, Option::None));
        assert_eq!(ty(&n(5, 2), PrecisionOnly), (Type::Bytes, dec.clone()));
        assert_eq!(ty(&n(2, 0), BestFit), (Type::Int8, Option::None));
        assert_eq!(ty(&n(4, 0), BestFit), (Type::Int16, Option::None));
        assert_eq!(ty(&n(18, 0), BestFit), (Type::Int64, Option::None));
        assert_eq!(ty(&n(10, 2), BestFit), (Type::Float64, Option::None));
        assert_eq!(ty(&n(20, 0), BestFit), (Type::Bytes, dec.clone()));
        assert_eq!(ty(&n(30, 4), BestFit), (Type::Bytes, dec.clone()));
        assert_eq!(
            ty(&n(30, 4), BestFitEagerDouble),
            (Type::Float64, Option::None)
        );
        let (s, _) = field_for(&n(10, 2), None, DialectKind::PostgreSql).unwrap();
        assert_eq!(s.param("scale"), Some("2"));
        assert_eq!(s.param("connect.decimal.precision"), Some("10"));
        assert_eq!(s.version, Some(1));
        assert!(!s.optional);
        // MySQL DECIMAL is Types.DECIMAL: numeric.mapping does not apply.
        let d = col(SqlType::Decimal, 5, 0, true);
        let (s, _) = field_for(&d, BestFit, DialectKind::MySql).unwrap();
        assert_eq!(s.name.as_deref(), dec.as_deref());
        assert!(s.optional);
    }

    #[test]
    fn rows_become_structs_and_unsupported_columns_are_left_out() {
        let cols = vec![
            ResultColumn {
                name: "id".into(),
                ..col(SqlType::Integer, 10, 0, false)
            },
            ResultColumn {
                name: "where".into(),
                ..col(SqlType::Other, 0, 0, true)
            },
            ResultColumn {
                name: "at".into(),
                ..col(SqlType::Timestamp, 29, 6, true)
            },
        ];
        let m = SchemaMapping::create(
            Some("orders"),
            &cols,
            NumericMapping::None,
            DialectKind::PostgreSql,
        );
        assert_eq!(m.schema.name.as_deref(), Some("orders"));
        assert_eq!(m.schema.fields.len(), 2);
        let s = m
            .row(
                vec![Some(b"7".to_vec()), Some(b"(1,2)".to_vec()), None],
                &TimeZone::UTC,
            )
            .unwrap();
        assert_eq!(s.values, vec![Value::Int32(7), Value::Null]);
        let e = m
            .row(vec![Some(b"x".to_vec()), None, None], &TimeZone::UTC)
            .unwrap_err();
        assert!(e.starts_with("column id:"), "{e}");
    }
}
