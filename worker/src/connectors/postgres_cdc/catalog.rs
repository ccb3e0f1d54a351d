//! What the connector reads from and sets up in the database: the captured tables and their
//! columns, the publication (`publication.autocreate.mode`) and the replication slot, with
//! Debezium's messages when one of them cannot be had.

use connect_plugin_api::error::ConnectError;

use super::class;
use super::config::{AutoCreate, CdcConfig};
use super::event::CatalogColumn;
use super::wire::{Connection, PgError, ident, literal, parse_lsn};

/// The JDBC driver's exception for a server error.
pub fn psql(e: &PgError) -> ConnectError {
    ConnectError::new(class::PSQL, e.psql_message())
}

/// The tables of the database that the filters capture, in Debezium's snapshot order (by
/// schema, then name).
pub fn captured_tables(
    conn: &mut Connection,
    config: &CdcConfig,
) -> Result<Vec<(String, String)>, PgError> {
    let rows = conn.query(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' ORDER BY 1, 2",
    )?;
    let mut tables: Vec<(String, String)> = rows
        .rows
        .into_iter()
        .filter_map(|r| Some((r.first()?.clone()?, r.get(1)?.clone()?)))
        .filter(|(s, t)| config.table_included(s, t))
        .collect();
    // Debezium snapshots the tables in the order of the `table.include.list` entry each
    // matches first, then by name.
    tables.sort_by_key(|(s, t)| (config.include_rank(s, t), s.clone(), t.clone()));
    Ok(tables)
}

/// A table's columns (in attribute order, as pgoutput sends them) and primary key.
pub fn table_columns(
    conn: &mut Connection,
    schema: &str,
    table: &str,
) -> Result<(Vec<CatalogColumn>, Vec<String>), PgError> {
    let rel = literal(&format!("{}.{}", ident(schema), ident(table)));
    let cols = conn.query(&format!(
        "SELECT a.attname, a.atttypid::int8, a.atttypmod, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) \
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = {rel}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' \
         ORDER BY a.attnum"
    ))?;
    let columns = cols
        .rows
        .into_iter()
        .map(|r| CatalogColumn {
            name: r[0].clone().unwrap_or_default(),
            type_oid: r[1].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
            typmod: r[2].as_deref().and_then(|s| s.parse().ok()).unwrap_or(-1),
            not_null: r[3].as_deref() == Some("t"),
            default: r[4].clone(),
        })
        .collect();
    let pk = conn.query(&format!(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = {rel}::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)"
    ))?;
    Ok((
        columns,
        pk.rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect(),
    ))
}

/// Makes sure the publication exists, as `publication.autocreate.mode` asks.
pub fn ensure_publication(
    conn: &mut Connection,
    config: &CdcConfig,
    tables: &[(String, String)],
) -> Result<(), ConnectError> {
    let name = &config.publication_name;
    let exists = conn
        .query(&format!(
            "SELECT COUNT(1) AS n FROM pg_publication WHERE pubname = {}",
            literal(name)
        ))
        .map_err(|e| {
            ConnectError::connect("Unable to create filtered publication").with_cause(psql(&e))
        })?
        .first("n")
        .is_some_and(|n| n != "0");
    let table_list = || {
        tables
            .iter()
            .map(|(s, t)| format!("{}.{}", ident(s), ident(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match config.autocreate {
        AutoCreate::Disabled if !exists => Err(ConnectError::connect(
            "Publication autocreation is disabled, please create one and restart the connector.",
        )),
        AutoCreate::Disabled => Ok(()),
        AutoCreate::AllTables if exists => Ok(()),
        AutoCreate::AllTables => conn
            .query(&format!(
                "CREATE PUBLICATION {} FOR ALL TABLES;",
                ident(name)
            ))
            .map(drop)
            .map_err(|e| {
                // Debezium lets the driver's error through, wrapped as a connection failure.
                ConnectError::new("io.debezium.jdbc.JdbcConnectionException", e.psql_message())
                    .with_cause(psql(&e))
            }),
        AutoCreate::Filtered => {
            let list = table_list();
            if list.is_empty() {
                return Err(ConnectError::connect(format!(
                    "No table filters found for filtered publication {name}"
                )));
            }
            let sql = if exists {
                format!("ALTER PUBLICATION {} SET TABLE {list};", ident(name))
            } else {
                format!("CREATE PUBLICATION {} FOR TABLE {list};", ident(name))
            };
            conn.query(&sql).map(drop).map_err(|e| {
                ConnectError::connect(format!(
                    "Unable to {} filtered publication {name} for {list}",
                    if exists { "update" } else { "create" }
                ))
                .with_cause(psql(&e))
            })
        }
    }
}

/// The slot of this connector in its database: its confirmed position, if it exists.
pub fn slot_position(
    conn: &mut Connection,
    config: &CdcConfig,
) -> Result<Option<Option<u64>>, PgError> {
    let rows = conn.query(&format!(
        "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = {} AND database = {}",
        literal(&config.slot_name),
        literal(&config.dbname)
    ))?;
    if rows.rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(rows.first("lsn").and_then(parse_lsn)))
}
