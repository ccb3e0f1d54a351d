//! Debezium's change event: the table's key and value schemas (`<prefix>.<schema>.<table>.Key`
//! / `.Value`), the `source` block (`io.debezium.connector.postgresql.Source`) and the envelope
//! (`.Envelope`, version 2) with `before`, `after`, `source`, `transaction`, `op`, `ts_ms`,
//! `ts_us`, `ts_ns`.

use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};

use connect_plugin_api::data::{Schema, SchemaRef, Struct, Type, Value};

use super::config::CdcConfig;
use super::types::{self, Kind};

/// Debezium's release this connector writes the events of (`source.version`).
pub const DEBEZIUM_VERSION: &str = "3.6.1.Final";
pub const SOURCE_SCHEMA_NAME: &str = "io.debezium.connector.postgresql.Source";

pub static SOURCE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let s = |t: Type| Schema::new(t).into_ref();
    let o = |t: Type| Schema::new(t).optional().into_ref();
    Schema::structure(vec![
        ("version".into(), s(Type::String)),
        ("connector".into(), s(Type::String)),
        ("name".into(), s(Type::String)),
        ("ts_ms".into(), s(Type::Int64)),
        (
            "snapshot".into(),
            Schema::new(Type::String)
                .optional()
                .named("io.debezium.data.Enum")
                .version(1)
                .parameter(
                    "allowed",
                    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
                )
                .default_value(Value::String("false".into()))
                .into_ref(),
        ),
        ("db".into(), s(Type::String)),
        ("sequence".into(), o(Type::String)),
        ("ts_us".into(), o(Type::Int64)),
        ("ts_ns".into(), o(Type::Int64)),
        ("schema".into(), s(Type::String)),
        ("table".into(), s(Type::String)),
        ("txId".into(), o(Type::Int64)),
        ("lsn".into(), o(Type::Int64)),
        ("xmin".into(), o(Type::Int64)),
        ("origin".into(), o(Type::String)),
        ("origin_lsn".into(), o(Type::Int64)),
    ])
    .named(SOURCE_SCHEMA_NAME)
    .version(1)
    .into_ref()
});

static TRANSACTION_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Schema::structure(vec![
        ("id".into(), Schema::new(Type::String).into_ref()),
        ("total_order".into(), Schema::new(Type::Int64).into_ref()),
        (
            "data_collection_order".into(),
            Schema::new(Type::Int64).into_ref(),
        ),
    ])
    .optional()
    .named("event.block")
    .version(1)
    .into_ref()
});

/// A captured column.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: Kind,
    pub schema: SchemaRef,
}

/// A captured table: its columns (in the order PostgreSQL sends them, with `None` for a column
/// not captured) and its schemas.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub schema: String,
    pub table: String,
    pub topic: String,
    /// One entry per column of the relation; `None` = excluded or of an unsupported type.
    pub columns: Vec<Option<ColumnInfo>>,
    /// Relation column positions of the primary key, in key order.
    pub key_positions: Vec<usize>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
}

/// A column from the catalog.
#[derive(Debug, Clone)]
pub struct CatalogColumn {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    pub not_null: bool,
    pub default: Option<String>,
}

impl TableInfo {
    pub fn build(
        config: &CdcConfig,
        schema: &str,
        table: &str,
        columns: &[CatalogColumn],
        primary_key: &[String],
    ) -> TableInfo {
        let base = format!("{}.{schema}.{table}", config.topic_prefix);
        let mut infos = Vec::with_capacity(columns.len());
        for c in columns {
            if !config.column_included(schema, table, &c.name) {
                infos.push(None);
                continue;
            }
            let Some((mut s, kind)) =
                types::column_kind(c.type_oid, c.typmod, config.decimal_mode, config.time_mode)
            else {
                infos.push(None);
                continue;
            };
            s.optional = !c.not_null;
            let mut info = ColumnInfo {
                name: c.name.clone(),
                kind: kind.clone(),
                schema: Arc::new(s.clone()),
            };
            // Debezium reads no default of an array column.
            let default = c
                .default
                .as_deref()
                .filter(|_| !matches!(kind, types::Kind::Array(_)));
            if let Some(lit) = default.and_then(types::default_literal) {
                if let Ok(v) = types::convert(&kind, &info.schema, &lit) {
                    s.default = Some(v);
                    info.schema = Arc::new(s);
                }
            }
            infos.push(Some(info));
        }
        let key_positions: Vec<usize> = primary_key
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.name == k))
            .filter(|&i| infos[i].is_some())
            .collect();
        let key_schema = (!key_positions.is_empty()).then(|| {
            Schema::structure(
                key_positions
                    .iter()
                    .filter_map(|&i| infos[i].as_ref())
                    .map(|c| (c.name.clone(), c.schema.clone()))
                    .collect(),
            )
            .named(&format!("{base}.Key"))
            .into_ref()
        });
        let value_schema = Schema::structure(
            infos
                .iter()
                .flatten()
                .map(|c| (c.name.clone(), c.schema.clone()))
                .collect(),
        )
        .optional()
        .named(&format!("{base}.Value"))
        .into_ref();
        let o = |t: Type| Schema::new(t).optional().into_ref();
        let envelope_schema = Schema::structure(vec![
            ("before".into(), value_schema.clone()),
            ("after".into(), value_schema.clone()),
            ("source".into(), SOURCE_SCHEMA.clone()),
            ("transaction".into(), TRANSACTION_SCHEMA.clone()),
            ("op".into(), Schema::new(Type::String).into_ref()),
            ("ts_ms".into(), o(Type::Int64)),
            ("ts_us".into(), o(Type::Int64)),
            ("ts_ns".into(), o(Type::Int64)),
        ])
        .named(&format!("{base}.Envelope"))
        .version(2)
        .into_ref();
        TableInfo {
            schema: schema.to_owned(),
            table: table.to_owned(),
            topic: base,
            columns: infos,
            key_positions,
            key_schema,
            value_schema,
            envelope_schema,
        }
    }

    /// The row struct from text values (one per relation column; `None` = SQL NULL,
    /// `Some(None)`... see [`Cell`]).
    pub fn row(&self, cells: &[Cell]) -> Result<Value, String> {
        let mut s = Struct::new(self.value_schema.clone());
        let mut i = 0;
        for (c, cell) in self.columns.iter().zip(cells) {
            let Some(c) = c else { continue };
            s.values[i] = match cell {
                Cell::Null => Value::Null,
                Cell::Unchanged => match c.schema.ty {
                    Type::String => Value::String(types::UNAVAILABLE.into()),
                    Type::Bytes => Value::Bytes(types::UNAVAILABLE.as_bytes().to_vec()),
                    _ => Value::Null,
                },
                Cell::Text(t) => types::convert(&c.kind, &c.schema, t).map_err(|e| {
                    format!("column {}.{}.{}: {e}", self.schema, self.table, c.name)
                })?,
            };
            i += 1;
        }
        Ok(Value::Struct(s))
    }

    /// The key struct of a row, or null for a table without a primary key.
    pub fn key(&self, cells: &[Cell]) -> Result<Value, String> {
        let Some(ks) = &self.key_schema else {
            return Ok(Value::Null);
        };
        let mut s = Struct::new(ks.clone());
        for (j, &i) in self.key_positions.iter().enumerate() {
            let Some(c) = &self.columns[i] else { continue };
            s.values[j] = match cells.get(i) {
                Some(Cell::Text(t)) => types::convert(&c.kind, &c.schema, t)?,
                _ => Value::Null,
            };
        }
        Ok(Value::Struct(s))
    }

    /// Whether two rows have the same key values.
    pub fn same_key(&self, a: &[Cell], b: &[Cell]) -> bool {
        self.key_positions
            .iter()
            .all(|&i| a.get(i) == b.get(i) || matches!(b.get(i), Some(Cell::Unchanged)))
    }
}

/// A column value in text form.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Unchanged,
    Text(String),
}

/// What the `source` block says about one event.
pub struct SourceFields<'a> {
    pub prefix: &'a str,
    pub db: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
    /// Commit (streaming) or snapshot time in microseconds since the epoch.
    pub ts_us: i64,
    pub snapshot: &'a str,
    pub last_commit_lsn: Option<u64>,
    pub lsn: u64,
    pub tx_id: Option<i64>,
}

pub fn source(f: &SourceFields<'_>) -> Value {
    let mut s = Struct::new(SOURCE_SCHEMA.clone());
    let seq = format!(
        "[{},\"{}\"]",
        f.last_commit_lsn
            .map_or("null".to_owned(), |l| format!("\"{l}\"")),
        f.lsn
    );
    s.values = vec![
        Value::String(DEBEZIUM_VERSION.into()),
        Value::String("postgresql".into()),
        Value::String(f.prefix.into()),
        Value::Int64(f.ts_us.div_euclid(1000)),
        Value::String(f.snapshot.into()),
        Value::String(f.db.into()),
        Value::String(seq),
        Value::Int64(f.ts_us),
        Value::Int64(f.ts_us * 1000),
        Value::String(f.schema.into()),
        Value::String(f.table.into()),
        f.tx_id.map_or(Value::Null, Value::Int64),
        Value::Int64(f.lsn as i64),
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    Value::Struct(s)
}

pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The envelope value.
pub fn envelope(t: &TableInfo, before: Value, after: Value, source: Value, op: &str) -> Value {
    let now = now_nanos();
    let mut s = Struct::new(t.envelope_schema.clone());
    s.values = vec![
        before,
        after,
        source,
        Value::Null,
        Value::String(op.into()),
        Value::Int64(now / 1_000_000),
        Value::Int64(now / 1000),
        Value::Int64(now),
    ];
    Value::Struct(s)
}
