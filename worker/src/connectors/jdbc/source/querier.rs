//! One table (or the configured query) being read: the SQL of each mode (Confluent's
//! `BulkTableQuerier`, `TimestampIncrementingTableQuerier` and `TimestampIncrementingCriteria`),
//! the source partition and the offsets (`TimestampIncrementingOffset`, `OffsetProtocols`).

use std::sync::Arc;
use std::time::Instant;

use connect_plugin_api::OffsetMap;
use connect_plugin_api::data::{ConnectRecord, SourceRecord, Value};
use connect_plugin_api::error::ConnectError;
use jiff::tz::TimeZone;
use serde_json::{Value as Json, json};

use super::config::Mode;
use super::schema::{Conv, SchemaMapping};
use super::values::{self, SqlTimestamp};
use crate::connectors::jdbc::dialect::source_meta::{self, OpenQuery};
use crate::connectors::jdbc::dialect::{Connection, Dialect, DialectKind, SqlError, TableId};

pub const INCREMENTING_FIELD: &str = "incrementing";
pub const TIMESTAMP_FIELD: &str = "timestamp";
pub const TIMESTAMP_NANOS_FIELD: &str = "timestamp_nanos";

/// `TimestampIncrementingOffset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Offset {
    pub timestamp: Option<SqlTimestamp>,
    pub incrementing: Option<i64>,
}

impl Offset {
    pub fn to_map(self) -> OffsetMap {
        let mut m = OffsetMap::new();
        if let Some(i) = self.incrementing {
            m.insert(INCREMENTING_FIELD.into(), json!(i));
        }
        if let Some(t) = self.timestamp {
            m.insert(TIMESTAMP_FIELD.into(), json!(t.millis()));
            m.insert(TIMESTAMP_NANOS_FIELD.into(), json!(i64::from(t.nanos)));
        }
        m
    }

    pub fn from_map(m: &OffsetMap) -> Offset {
        let millis = m.get(TIMESTAMP_FIELD).and_then(Json::as_i64);
        Offset {
            incrementing: m.get(INCREMENTING_FIELD).and_then(Json::as_i64),
            timestamp: millis.map(|ms| {
                SqlTimestamp::from_offset(ms, m.get(TIMESTAMP_NANOS_FIELD).and_then(Json::as_i64))
            }),
        }
    }
}

/// `OffsetProtocols.sourcePartitionForProtocolV1`: the table's unquoted full name.
pub fn partition_v1(id: &TableId) -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("protocol".into(), json!("1"));
    m.insert("table".into(), json!(unquoted(id)));
    m
}

/// `OffsetProtocols.sourcePartitionForProtocolV0` (also bulk mode's partition).
pub fn partition_v0(id: &TableId) -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("table".into(), json!(id.table));
    m
}

/// The partition of the `query` setting.
pub fn partition_query() -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("query".into(), json!("query"));
    m
}

/// `TableId.toUnquotedString`: `schema.table` (PostgreSQL), `db.table` (MySQL).
pub fn unquoted(id: &TableId) -> String {
    [&id.catalog, &id.schema]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain([id.table.as_str()])
        .collect::<Vec<_>>()
        .join(".")
}

/// An open read of one querier.
struct Running {
    query: OpenQuery,
    mapping: SchemaMapping,
    /// Result position of the incrementing column.
    inc_index: Option<usize>,
    /// Result positions of the timestamp columns and whether each carries its offset.
    ts_index: Vec<(usize, bool)>,
}

pub struct Querier {
    pub table: Option<TableId>,
    query: Option<String>,
    pub topic: String,
    partition: Arc<OffsetMap>,
    mode: Mode,
    pub incrementing_column: Option<String>,
    timestamp_columns: Vec<String>,
    pub offset: Offset,
    /// The offset when the current read began, restored when it fails.
    committed: Offset,
    /// When the last read ended (`TableQuerier.lastUpdate`).
    pub last_update: Option<Instant>,
    suffix: String,
    delay_ms: i64,
    running: Option<Running>,
}

pub struct QuerierSpec {
    pub table: Option<TableId>,
    pub query: Option<String>,
    pub topic_prefix: String,
    pub mode: Mode,
    pub incrementing_column: String,
    pub timestamp_columns: Vec<String>,
    pub offset: Option<OffsetMap>,
    pub suffix: String,
    pub delay_ms: i64,
}

impl Querier {
    pub fn new(s: QuerierSpec) -> Querier {
        let (topic, partition) = match &s.table {
            Some(t) if s.mode == Mode::Bulk => {
                (format!("{}{}", s.topic_prefix, t.table), partition_v0(t))
            }
            Some(t) => (format!("{}{}", s.topic_prefix, t.table), partition_v1(t)),
            None => (s.topic_prefix.clone(), partition_query()),
        };
        let offset = s.offset.as_ref().map(Offset::from_map).unwrap_or_default();
        Querier {
            table: s.table,
            query: s.query,
            topic,
            partition: Arc::new(partition),
            mode: s.mode,
            incrementing_column: s.mode.uses_incrementing().then_some(s.incrementing_column),
            timestamp_columns: if s.mode.uses_timestamp() {
                s.timestamp_columns
            } else {
                Vec::new()
            },
            offset,
            committed: offset,
            last_update: None,
            suffix: s.suffix,
            delay_ms: s.delay_ms,
            running: None,
        }
    }

    pub fn partition(&self) -> &OffsetMap {
        &self.partition
    }

    /// The SELECT of this querier and mode.
    pub fn sql(&self, dialect: &Dialect, tz: &TimeZone) -> String {
        let mut sql = match (&self.table, &self.query) {
            (Some(t), _) => format!("SELECT * FROM {}", dialect.table_name(t)),
            (None, Some(q)) => q.clone(),
            (None, None) => String::new(),
        };
        let q = |c: &str| dialect.quote_identifier(c);
        let ts = if self.timestamp_columns.len() == 1 {
            q(&self.timestamp_columns[0])
        } else {
            format!(
                "COALESCE({})",
                self.timestamp_columns
                    .iter()
                    .map(|c| q(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let begin = self
            .offset
            .timestamp
            .unwrap_or(SqlTimestamp::EPOCH)
            .literal(tz);
        let end = match dialect.kind {
            DialectKind::PostgreSql => format!(
                "(CURRENT_TIMESTAMP - INTERVAL '{} milliseconds')",
                self.delay_ms
            ),
            DialectKind::MySql => format!(
                "(NOW(6) - INTERVAL {} MICROSECOND)",
                self.delay_ms.saturating_mul(1000)
            ),
        };
        let last_inc = self.offset.incrementing.unwrap_or(-1);
        match (self.mode, self.incrementing_column.as_deref()) {
            (Mode::Bulk, _) => {}
            (Mode::Incrementing, Some(inc)) => {
                let inc = q(inc);
                sql.push_str(&format!(" WHERE {inc} > {last_inc} ORDER BY {inc} ASC"));
            }
            (Mode::Timestamp, _) => {
                sql.push_str(&format!(
                    " WHERE {ts} > {begin} AND {ts} < {end} ORDER BY {ts} ASC"
                ));
            }
            (Mode::TimestampIncrementing, Some(inc)) => {
                let inc = q(inc);
                sql.push_str(&format!(
                    " WHERE {ts} < {end} AND (({ts} = {begin} AND {inc} > {last_inc}) OR {ts} > \
                     {begin}) ORDER BY {ts},{inc} ASC"
                ));
            }
            _ => {}
        }
        if !self.suffix.is_empty() {
            sql.push(' ');
            sql.push_str(&self.suffix);
        }
        sql
    }

    /// Whether a read is open.
    pub fn querying(&self) -> bool {
        self.running.is_some()
    }

    /// `maybeStartQuery`: opens the read and builds the schema from the result's columns.
    pub fn start_query(
        &mut self,
        conn: &mut Connection,
        dialect: &Dialect,
        tz: &TimeZone,
        numeric: super::config::NumericMapping,
        isolation: Option<&str>,
    ) -> Result<(), QueryError> {
        if self.running.is_some() {
            return Ok(());
        }
        if let (Some(t), Some(c)) = (&self.table, &self.incrementing_column) {
            if c.is_empty() {
                // Autodetect: the first auto-increment column.
                match source_meta::auto_increment_column(conn, t).map_err(QueryError::Sql)? {
                    Some(found) => self.incrementing_column = Some(found),
                    None => {
                        return Err(QueryError::Connect(ConnectError::connect(format!(
                            "Cannot make incremental queries using incrementing column  on {} \
                             because no auto-incrementing column was found: set \
                             incrementing.column.name",
                            dialect.table_name(t)
                        ))));
                    }
                }
            }
        }
        let sql = self.sql(dialect, tz);
        let columns = source_meta::describe_query(conn, &sql).map_err(QueryError::Sql)?;
        let name = self.table.as_ref().map(|t| t.table.as_str());
        let mapping = SchemaMapping::create(name, &columns, numeric, dialect.kind);
        let find = |want: &str| -> Result<usize, String> {
            if let Some(i) = columns.iter().position(|c| c.name == want) {
                return Ok(i);
            }
            let ci: Vec<usize> = columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.name.eq_ignore_ascii_case(want))
                .map(|(i, _)| i)
                .collect();
            match ci.as_slice() {
                [one] => Ok(*one),
                _ => Err(columns
                    .iter()
                    .filter(|c| {
                        mapping.columns[columns.iter().position(|x| x == *c).unwrap_or(0)].is_some()
                    })
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")),
            }
        };
        let inc_index = match &self.incrementing_column {
            Some(c) => match find(c) {
                Ok(i) if mapping.columns[i].is_some() => Some(i),
                Ok(_) | Err(_) => {
                    let fields: Vec<&str> = mapping
                        .schema
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect();
                    return Err(QueryError::Connect(ConnectError::data(format!(
                        "Incrementing column {c} not found in {}",
                        fields.join(",")
                    ))));
                }
            },
            None => None,
        };
        let mut ts_index = Vec::new();
        for c in &self.timestamp_columns {
            match find(c) {
                Ok(i) => {
                    let tz_aware = mapping.columns[i] == Some(Conv::TimestampTz);
                    ts_index.push((i, tz_aware));
                }
                Err(_) => {
                    let fields: Vec<&str> = mapping
                        .schema
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect();
                    return Err(QueryError::Connect(ConnectError::data(format!(
                        "Timestamp column {c} not found in {}",
                        fields.join(",")
                    ))));
                }
            }
        }
        tracing::debug!("Begin using SQL query: {sql}");
        let query = source_meta::open_query(conn, &sql, isolation).map_err(QueryError::Sql)?;
        self.committed = self.offset;
        self.running = Some(Running {
            query,
            mapping,
            inc_index,
            ts_index,
        });
        Ok(())
    }

    /// Reads up to `max` rows as records; `done` when the read is exhausted.
    pub fn read(
        &mut self,
        conn: &mut Connection,
        max: usize,
        tz: &TimeZone,
        out: &mut Vec<SourceRecord>,
    ) -> Result<bool, QueryError> {
        let Some(run) = self.running.as_mut() else {
            return Ok(true);
        };
        let rows = source_meta::fetch(conn, &mut run.query, max).map_err(QueryError::Sql)?;
        let done = rows.len() < max;
        for row in rows {
            if self.mode != Mode::Bulk {
                if let Some(i) = run.inc_index {
                    let id = match row[i].as_deref() {
                        None => {
                            return Err(QueryError::Connect(ConnectError::connect(format!(
                                "Null value for incrementing column of type: {}",
                                run.mapping
                                    .schema
                                    .field(self.incrementing_column.as_deref().unwrap_or(""))
                                    .map_or("INT64", |f| f.schema.ty.java_name())
                            ))));
                        }
                        Some(b) => incrementing_value(b).map_err(QueryError::Connect)?,
                    };
                    self.offset.incrementing = Some(id);
                }
                if !run.ts_index.is_empty() {
                    let mut found = None;
                    for (i, tz_aware) in &run.ts_index {
                        if let Some(b) = row[*i].as_deref() {
                            let t = if *tz_aware {
                                values::parse_timestamptz(b)
                            } else {
                                values::parse_timestamp(b, tz)
                            };
                            found =
                                Some(t.map_err(|e| QueryError::Connect(ConnectError::data(e)))?);
                            break;
                        }
                    }
                    self.offset.timestamp = found;
                }
            }
            let value = run
                .mapping
                .row(row, tz)
                .map_err(|e| QueryError::Connect(ConnectError::data(e)))?;
            let schema = run.mapping.schema.clone();
            out.push(SourceRecord {
                source_partition: self.partition.clone(),
                source_offset: if self.mode == Mode::Bulk {
                    OffsetMap::new()
                } else {
                    self.offset.to_map()
                },
                record: ConnectRecord::value(&self.topic, Some(schema), Value::Struct(value)),
            });
        }
        Ok(done)
    }

    /// `TableQuerier.reset`: ends the read; on failure the offset goes back to where the read
    /// began, so no row is skipped.
    pub fn reset(&mut self, conn: Option<&mut Connection>, now: Instant, reset_offset: bool) {
        if let Some(run) = self.running.take() {
            if let Some(c) = conn {
                source_meta::close_query(c, run.query);
            }
        }
        if reset_offset {
            self.offset = self.committed;
        }
        self.last_update = Some(now);
    }
}

/// The incrementing value of a row: an integer, or a decimal of scale 0 (Confluent's
/// `extractOffsetIncrementedId`).
fn incrementing_value(b: &[u8]) -> Result<i64, ConnectError> {
    let s = std::str::from_utf8(b).unwrap_or("").trim();
    if let Ok(v) = s.parse::<i64>() {
        return Ok(v);
    }
    match values::parse_decimal(b, 0) {
        Ok(_) if s.contains('.') && s.trim_end_matches('0').ends_with('.') => {
            s.split('.').next().unwrap_or("").parse().map_err(|_| {
                ConnectError::connect(
                    "Decimal value for incrementing column exceeded Long.MAX_VALUE",
                )
            })
        }
        Ok(_) if s.contains('.') => Err(ConnectError::connect(
            "Scale of Decimal value for incrementing column must be 0",
        )),
        Ok(_) => Err(ConnectError::connect(
            "Decimal value for incrementing column exceeded Long.MAX_VALUE",
        )),
        Err(_) => Err(ConnectError::connect(format!(
            "Invalid type for incrementing column: {s}"
        ))),
    }
}

/// A failure while reading.
#[derive(Debug)]
pub enum QueryError {
    Sql(SqlError),
    Connect(ConnectError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::jdbc::dialect::QuoteMethod;

    fn spec(mode: Mode) -> QuerierSpec {
        QuerierSpec {
            table: Some(TableId {
                catalog: None,
                schema: Some("public".into()),
                table: "orders".into(),
            }),
            query: None,
            topic_prefix: "pg-".into(),
            mode,
            incrementing_column: "id".into(),
            timestamp_columns: vec!["updated".into(), "created".into()],
            offset: None,
            suffix: String::new(),
            delay_ms: 0,
        }
    }

    #[test]
    fn sql_per_mode_follows_confluents_criteria() {
        let d = Dialect::new(DialectKind::PostgreSql, QuoteMethod::Always);
        let tz = TimeZone::UTC;
        assert_eq!(
            Querier::new(spec(Mode::Bulk)).sql(&d, &tz),
            "SELECT * FROM \"public\".\"orders\""
        );
        assert_eq!(
            Querier::new(spec(Mode::Incrementing)).sql(&d, &tz),
            "SELECT * FROM \"public\".\"orders\" WHERE \"id\" > -1 ORDER BY \"id\" ASC"
        );
        let mut q = Querier::new(spec(Mode::TimestampIncrementing));
        q.offset.timestamp = Some(SqlTimestamp {
            seconds: 1,
            nanos: 500_000_000,
        });
        q.offset.incrementing = Some(7);
        assert_eq!(
            q.sql(&d, &tz),
            "SELECT * FROM \"public\".\"orders\" WHERE COALESCE(\"updated\",\"created\") < \
             (CURRENT_TIMESTAMP - INTERVAL '0 milliseconds') AND ((COALESCE(\"updated\",\"created\") \
             = '1970-01-01 00:00:01.500000' AND \"id\" > 7) OR COALESCE(\"updated\",\"created\") > \
             '1970-01-01 00:00:01.500000') ORDER BY COALESCE(\"updated\",\"created\"),\"id\" ASC"
        );
    }

    #[test]
    fn partitions_and_offsets_match_offset_protocols() {
        let q = Querier::new(spec(Mode::Incrementing));
        assert_eq!(
            serde_json::to_string(q.partition()).unwrap(),
            r#"{"protocol":"1","table":"public.orders"}"#
        );
        assert_eq!(q.topic, "pg-orders");
        let b = Querier::new(spec(Mode::Bulk));
        assert_eq!(
            serde_json::to_string(b.partition()).unwrap(),
            r#"{"table":"orders"}"#
        );
        let o = Offset {
            timestamp: Some(SqlTimestamp {
                seconds: 1,
                nanos: 123_456_789,
            }),
            incrementing: Some(5),
        };
        let m = o.to_map();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"incrementing":5,"timestamp":1123,"timestamp_nanos":123456789}"#
        );
        assert_eq!(Offset::from_map(&m), o);
    }

    #[test]
    fn incrementing_values() {
        assert_eq!(incrementing_value(b"42").unwrap(), 42);
        assert_eq!(incrementing_value(b"42.000").unwrap(), 42);
        assert_eq!(
            incrementing_value(b"4.5").unwrap_err().message.as_deref(),
            Some("Scale of Decimal value for incrementing column must be 0")
        );
    }
}
