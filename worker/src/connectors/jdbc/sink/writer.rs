//! Writing a batch of records (Confluent's `JdbcDbWriter`, `BufferedRecords` and `DbStructure`):
//! records are buffered per table; a change of key or value schema flushes the buffer and
//! checks the table (CREATE when missing and `auto.create`, ALTER ... ADD for missing columns
//! when `auto.evolve`); a buffer is flushed every `batch.size` records; all of one `put` is one
//! transaction, committed at its end.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use connect_plugin_api::data::{SchemaRef, SinkRecord, Type, Value};
use connect_plugin_api::error::ConnectError;

use super::config::{InsertMode, JdbcSinkConfig, PkMode};
use super::fields::{FieldsMetadata, SinkField, field_value};
use super::sql;
use crate::connectors::jdbc::dialect::{
    Client, Connection, Dialect, SqlError, TableId, connect, sql_string_for,
};

/// The exception class of a missing table or column (`TableAlterOrCreateException`).
pub const TABLE_ALTER_OR_CREATE: &str =
    "io.confluent.connect.jdbc.sink.TableAlterOrCreateException";

/// The table the exactly-once option keeps its offsets in.
pub const OFFSETS_TABLE: &str = "__connect_offsets";

/// What a write can fail with; the task treats each as Confluent's does.
#[derive(Debug)]
pub enum WriteError {
    /// A database error: retried `max.retries` times.
    Sql(SqlError),
    /// `TableAlterOrCreateException`: fails the task at once.
    TableAlterOrCreate(ConnectError),
    /// Any other `ConnectException` (bad record, no connection): fails the task at once.
    Connect(ConnectError),
}

impl From<SqlError> for WriteError {
    fn from(e: SqlError) -> WriteError {
        WriteError::Sql(e)
    }
}

impl From<ConnectError> for WriteError {
    fn from(e: ConnectError) -> WriteError {
        WriteError::Connect(e)
    }
}

/// Same schema: the same `Arc`, or equal.
fn same_schema(a: &Option<SchemaRef>, b: &Option<SchemaRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    }
}

/// One table's buffer during a write.
struct Buffer {
    table: TableId,
    table_name: String,
    key_schema: Option<SchemaRef>,
    value_schema: Option<SchemaRef>,
    fields: Option<FieldsMetadata>,
    records: Vec<usize>,
    deletes_in_batch: bool,
}

/// The writer of a task: its connection (opened on first use) and the table columns it knows.
pub struct JdbcDbWriter {
    config: JdbcSinkConfig,
    dialect: Dialect,
    connection: Option<Connection>,
    /// Column names of the tables seen so far (`TableDefinitions`).
    tables: HashMap<TableId, Vec<String>>,
    running: Arc<AtomicBool>,
    /// Exactly-once: the next offset to write per (topic, partition), from the database.
    pub stored_offsets: HashMap<(String, i32), i64>,
    offsets_table_ready: bool,
}

impl JdbcDbWriter {
    pub fn new(config: JdbcSinkConfig, running: Arc<AtomicBool>) -> JdbcDbWriter {
        let dialect = Dialect::new(config.dialect, config.quote);
        JdbcDbWriter {
            config,
            dialect,
            connection: None,
            tables: HashMap::new(),
            running,
            stored_offsets: HashMap::new(),
            offsets_table_ready: false,
        }
    }

    /// Drops the connection (the next write reconnects) and what was learned about tables.
    pub fn close(&mut self) {
        self.connection = None;
        self.tables.clear();
        self.offsets_table_ready = false;
    }

    /// `CachedConnectionProvider.getConnection`: a failure to connect after
    /// `connection.attempts` is a `ConnectException` wrapping the SQL error.
    fn connection(&mut self) -> Result<&mut Connection, WriteError> {
        if self.connection.is_none() {
            let c = connect(&self.config.connection, &self.running).map_err(|e| {
                WriteError::Connect(
                    ConnectError::connect(e.java_string())
                        .at("io.confluent.connect.jdbc.util.CachedConnectionProvider.getConnection(writer.rs)")
                        .with_cause(e.to_connect_error(
                            "io.confluent.connect.jdbc.util.CachedConnectionProvider.newConnection(writer.rs)",
                        )),
                )
            })?;
            self.connection = Some(c);
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    /// Writes `records` in one transaction.
    pub fn write(&mut self, records: &[SinkRecord]) -> Result<(), WriteError> {
        self.connection()?;
        if self.config.exactly_once && !self.offsets_table_ready {
            self.prepare_offsets_table()?;
        }
        let conn = self.connection.as_mut().expect("connected");
        conn.begin()?;
        let result = self.write_in_transaction(records);
        let conn = self.connection.as_mut().expect("connected");
        match result {
            Ok(written) => {
                conn.commit()?;
                // Only offsets the database has committed may skip records.
                self.stored_offsets.extend(written);
                Ok(())
            }
            Err(e) => {
                conn.rollback_quietly();
                // A failed CREATE/ALTER may have left the cached columns wrong.
                self.tables.clear();
                Err(e)
            }
        }
    }

    /// Buffers and flushes `records`; returns the exactly-once offsets written (stored in the
    /// transaction, to be remembered once it commits).
    fn write_in_transaction(
        &mut self,
        records: &[SinkRecord],
    ) -> Result<HashMap<(String, i32), i64>, WriteError> {
        let mut buffers: Vec<Buffer> = Vec::new();
        let mut by_table: HashMap<String, usize> = HashMap::new();
        let mut written: HashMap<(String, i32), i64> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            if self.config.exactly_once {
                let tp = (
                    r.record.topic.clone(),
                    r.record.kafka_partition.unwrap_or(0),
                );
                if let Some(next) = self.stored_offsets.get(&tp)
                    && r.kafka_offset < *next
                {
                    // Already in the database: written by an earlier run before a crash.
                    continue;
                }
                written.insert(tp, r.kafka_offset + 1);
            }
            self.validate(r)?;
            let table_name = self.config.table_name(&r.record.topic);
            let b = match by_table.get(&table_name) {
                Some(b) => *b,
                None => {
                    buffers.push(Buffer {
                        table: self.dialect.parse_table_id(&table_name),
                        table_name: table_name.clone(),
                        key_schema: None,
                        value_schema: None,
                        fields: None,
                        records: Vec::new(),
                        deletes_in_batch: false,
                    });
                    by_table.insert(table_name, buffers.len() - 1);
                    buffers.len() - 1
                }
            };
            self.add(&mut buffers[b], records, i)?;
        }
        for b in &mut buffers {
            self.flush(b, records)?;
        }
        if self.config.exactly_once && !written.is_empty() {
            self.store_offsets(&written)?;
        }
        Ok(written)
    }

    /// Confluent's `RecordValidator`: which records the configuration can write.
    fn validate(&self, r: &SinkRecord) -> Result<(), WriteError> {
        let c = &self.config;
        let needs_key = c.pk_mode == PkMode::RecordKey || c.delete_enabled;
        let needs_value =
            matches!(c.pk_mode, PkMode::RecordValue | PkMode::None) || !c.delete_enabled;
        let coordinates = || {
            format!(
                "(topic='{}',partition={},offset={},timestamp={})",
                r.record.topic,
                r.record
                    .kafka_partition
                    .map_or("null".to_owned(), |p| p.to_string()),
                r.kafka_offset,
                r.record
                    .timestamp
                    .map_or("null".to_owned(), |t| t.to_string())
            )
        };
        if needs_key {
            let ok = !r.record.key.is_null()
                && r.record
                    .key_schema
                    .as_ref()
                    .is_some_and(|s| s.ty == Type::Struct || super::fields::is_primitive(s.ty));
            if !ok {
                return Err(WriteError::Connect(ConnectError::connect(format!(
                    "Sink connector '{}' is configured with 'delete.enabled={}' and 'pk.mode={}' \
                     and therefore requires records with a non-null key and non-null Struct or \
                     primitive key schema, but found record at {} with a {} key and {} key \
                     schema.",
                    c.connector_name,
                    c.delete_enabled,
                    c.pk_mode.as_str(),
                    coordinates(),
                    simple_class(&r.record.key),
                    schema_type(&r.record.key_schema),
                ))));
            }
        }
        // With deletes enabled a tombstone needs no value.
        let tombstone = c.delete_enabled && r.record.value.is_null();
        if needs_value && !tombstone {
            let ok = !r.record.value.is_null()
                && r.record
                    .value_schema
                    .as_ref()
                    .is_some_and(|s| s.ty == Type::Struct);
            if !ok {
                return Err(WriteError::Connect(ConnectError::connect(format!(
                    "Sink connector '{}' is configured with 'delete.enabled={}' and 'pk.mode={}' \
                     and therefore requires records with a non-null Struct value and non-null \
                     Struct schema, but found record at {} with a {} value and {} value schema.",
                    c.connector_name,
                    c.delete_enabled,
                    c.pk_mode.as_str(),
                    coordinates(),
                    simple_class(&r.record.value),
                    schema_type(&r.record.value_schema),
                ))));
            }
        }
        Ok(())
    }

    /// `BufferedRecords.add`.
    fn add(&mut self, b: &mut Buffer, records: &[SinkRecord], i: usize) -> Result<(), WriteError> {
        let r = &records[i];
        let mut schema_changed = false;
        if !same_schema(&b.key_schema, &r.record.key_schema) {
            b.key_schema = r.record.key_schema.clone();
            schema_changed = true;
        }
        if r.record.value_schema.is_none() {
            if self.config.delete_enabled {
                b.deletes_in_batch = true;
            }
        } else if same_schema(&b.value_schema, &r.record.value_schema) {
            if self.config.delete_enabled && b.deletes_in_batch {
                // Flush so that an insert after a delete of the same row is not lost.
                self.flush(b, records)?;
            }
        } else {
            b.value_schema = r.record.value_schema.clone();
            schema_changed = true;
        }
        if schema_changed || b.fields.is_none() {
            self.flush(b, records)?;
            let fields = FieldsMetadata::extract(
                &b.table_name,
                self.config.pk_mode,
                &self.config.pk_fields,
                &self.config.fields_whitelist,
                b.key_schema.as_ref(),
                b.value_schema.as_ref(),
            )?;
            self.create_or_amend(&b.table, &fields, b.value_schema.as_ref())?;
            if self.config.insert_mode == InsertMode::Upsert && fields.key.is_empty() {
                return Err(WriteError::Connect(ConnectError::connect(format!(
                    "Write to table '{}' in UPSERT mode requires key field names to be known, \
                     check the primary key configuration",
                    sql::table_id_java(&b.table)
                ))));
            }
            b.fields = Some(fields);
        }
        if r.record.value.is_null() && self.config.delete_enabled {
            b.deletes_in_batch = true;
        }
        b.records.push(i);
        if b.records.len() >= self.config.batch_size {
            self.flush(b, records)?;
        }
        Ok(())
    }

    /// The table's columns, from the cache or the database (`None`: no such table).
    fn columns(&mut self, table: &TableId) -> Result<Option<Vec<String>>, WriteError> {
        if let Some(c) = self.tables.get(table) {
            return Ok(Some(c.clone()));
        }
        let conn = self.connection()?;
        let cols = conn.describe_columns(table)?;
        if cols.is_empty() && !conn.table_exists(table)? {
            return Ok(None);
        }
        let names: Vec<String> = cols.into_iter().map(|c| c.name).collect();
        self.tables.insert(table.clone(), names.clone());
        Ok(Some(names))
    }

    /// `DbStructure.createOrAmendIfNecessary`.
    fn create_or_amend(
        &mut self,
        table: &TableId,
        fields: &FieldsMetadata,
        value_schema: Option<&SchemaRef>,
    ) -> Result<(), WriteError> {
        let all = fields.all_for_create(value_schema.map(|s| s.as_ref()));
        let columns = match self.columns(table)? {
            Some(c) => c,
            None => {
                if !self.config.auto_create {
                    return Err(WriteError::TableAlterOrCreate(
                        ConnectError::new(
                            TABLE_ALTER_OR_CREATE,
                            format!(
                                "Table {} is missing and auto-creation is disabled",
                                sql::table_id_java(table)
                            ),
                        )
                        .at("io.confluent.connect.jdbc.sink.DbStructure.create(writer.rs)"),
                    ));
                }
                let ddl = sql::create_table(&self.dialect, table, &all, &self.config.db_timezone)?;
                tracing::info!("Creating table with sql: {ddl}");
                let conn = self.connection()?;
                // A savepoint keeps the transaction usable when another task created the table
                // first (PostgreSQL aborts the transaction on any error).
                let created = run_in_savepoint(conn, &ddl);
                self.tables.remove(table);
                match created {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(
                            "Create failed, will attempt amend if table already exists: {e}"
                        );
                        if self.columns(table)?.is_none() {
                            return Err(WriteError::Sql(e));
                        }
                    }
                }
                self.columns(table)?.unwrap_or_default()
            }
        };
        let have: HashSet<String> = columns.iter().map(|c| c.to_lowercase()).collect();
        let missing: Vec<&SinkField> = all
            .iter()
            .copied()
            .filter(|f| !columns.contains(&f.name) && !have.contains(&f.name.to_lowercase()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let listed = missing
            .iter()
            .map(|f| f.java_string())
            .collect::<Vec<_>>()
            .join(", ");
        for f in &missing {
            let has_default = f.schema.default.as_ref().is_some_and(|d| !d.is_null());
            if !f.schema.optional && !has_default {
                return Err(WriteError::TableAlterOrCreate(ConnectError::new(
                    TABLE_ALTER_OR_CREATE,
                    format!(
                        "Cannot ALTER TABLE {} to add missing field {}, as the field is not \
                         optional and does not have a default value",
                        sql::table_id_java(table),
                        f.java_string()
                    ),
                )));
            }
        }
        if !self.config.auto_evolve {
            return Err(WriteError::TableAlterOrCreate(
                ConnectError::new(
                    TABLE_ALTER_OR_CREATE,
                    format!(
                        "Table {} is missing fields ([{listed}]) and auto-evolution is disabled",
                        sql::table_id_java(table)
                    ),
                )
                .at("io.confluent.connect.jdbc.sink.DbStructure.amendIfNecessary(writer.rs)"),
            ));
        }
        let ddl = sql::alter_table(&self.dialect, table, &missing, &self.config.db_timezone)?;
        tracing::info!("Amending TABLE to add missing fields:[{listed}] with SQL: [{ddl}]");
        let conn = self.connection()?;
        let altered = run_in_savepoint(conn, &ddl);
        self.tables.remove(table);
        if let Err(e) = altered {
            // Another task may have added the columns meanwhile.
            let now = self.columns(table)?.unwrap_or_default();
            if missing.iter().any(|f| !now.contains(&f.name)) {
                return Err(WriteError::TableAlterOrCreate(
                    ConnectError::new(
                        TABLE_ALTER_OR_CREATE,
                        format!(
                            "Failed to amend TABLE '{}' to add missing fields: [{listed}]",
                            sql::table_id_java(table)
                        ),
                    )
                    .with_cause(e.to_connect_error(
                        "io.confluent.connect.jdbc.sink.DbStructure.amendIfNecessary(writer.rs)",
                    )),
                ));
            }
        }
        Ok(())
    }

    /// `BufferedRecords.flush`: the upserts/inserts/updates of the buffer, then its deletes.
    fn flush(&mut self, b: &mut Buffer, records: &[SinkRecord]) -> Result<(), WriteError> {
        if b.records.is_empty() {
            return Ok(());
        }
        let indices = std::mem::take(&mut b.records);
        b.deletes_in_batch = false;
        let fields = b
            .fields
            .clone()
            .expect("fields are set before records are buffered");
        let (deletes, rows): (Vec<&SinkRecord>, Vec<&SinkRecord>) = indices
            .iter()
            .map(|i| &records[*i])
            .partition(|r| self.config.delete_enabled && r.record.value.is_null());
        if !rows.is_empty() {
            match self.config.insert_mode {
                InsertMode::Insert => self.insert(&b.table, &fields, &rows)?,
                InsertMode::Upsert => self.upsert(&b.table, &fields, &rows)?,
                InsertMode::Update => self.update(&b.table, &fields, &rows)?,
            }
        }
        if !deletes.is_empty() {
            self.delete(&b.table, &fields, &deletes)?;
        }
        Ok(())
    }

    fn column_list(&self, fields: &FieldsMetadata) -> String {
        fields
            .columns()
            .map(|f| self.dialect.quote_identifier(&f.name))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `(v1,v2,...)` of one record in statement column order.
    fn row_literal(
        &self,
        fields: &FieldsMetadata,
        r: &SinkRecord,
        out: &mut String,
    ) -> Result<(), WriteError> {
        out.push('(');
        for (n, f) in fields.columns().enumerate() {
            if n > 0 {
                out.push(',');
            }
            let v = field_value(r, f, self.config.replace_null_with_default);
            sql::literal(
                self.dialect.kind,
                &f.schema,
                &v,
                &self.config.db_timezone,
                self.config.date_utc,
                out,
            )?;
        }
        out.push(')');
        Ok(())
    }

    fn insert(
        &mut self,
        table: &TableId,
        fields: &FieldsMetadata,
        rows: &[&SinkRecord],
    ) -> Result<(), WriteError> {
        let cols = self.column_list(fields);
        let target = self.dialect.table_name(table);
        if self.is_postgres() {
            // COPY is PostgreSQL's bulk path for plain inserts: same rows, same constraints.
            return self.copy_in(&target, &cols, fields, rows);
        }
        let mut sql = format!("INSERT INTO {target}({cols}) VALUES ");
        for (n, r) in rows.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            self.row_literal(fields, r, &mut sql)?;
        }
        self.connection()?.execute(&sql)?;
        Ok(())
    }

    fn is_postgres(&self) -> bool {
        matches!(
            self.connection.as_ref().map(|c| &c.client),
            Some(Client::Postgres(_))
        )
    }

    /// `COPY target (cols) FROM STDIN` of `rows` in PostgreSQL's text format.
    fn copy_in(
        &mut self,
        target: &str,
        cols: &str,
        fields: &FieldsMetadata,
        rows: &[&SinkRecord],
    ) -> Result<(), WriteError> {
        let mut text = String::with_capacity(rows.len() * 64);
        for r in rows {
            for (n, f) in fields.columns().enumerate() {
                if n > 0 {
                    text.push('\t');
                }
                let v = field_value(r, f, self.config.replace_null_with_default);
                sql::copy_text(
                    &f.schema,
                    &v,
                    &self.config.db_timezone,
                    self.config.date_utc,
                    &mut text,
                )?;
            }
            text.push('\n');
        }
        let copy = format!("COPY {target} ({cols}) FROM STDIN");
        let conn = self.connection()?;
        let (host, port) = (conn.url.host.clone(), conn.url.port);
        let Client::Postgres(client) = &mut conn.client else {
            unreachable!("COPY is used on PostgreSQL only")
        };
        let pg = |e: postgres::Error| SqlError::from_postgres(&e, &host, port);
        let mut w = client.copy_in(copy.as_str()).map_err(pg)?;
        if let Err(io) = w.write_all(text.as_bytes()) {
            drop(w);
            return Err(WriteError::Sql(
                SqlError::new(format!(
                    "Database connection failed when writing to copy: {io}"
                ))
                .with_class(crate::connectors::jdbc::dialect::error::class::PSQL)
                .with_state("08006"),
            ));
        }
        w.finish().map_err(pg)?;
        Ok(())
    }

    fn upsert(
        &mut self,
        table: &TableId,
        fields: &FieldsMetadata,
        rows: &[&SinkRecord],
    ) -> Result<(), WriteError> {
        let cols = self.column_list(fields);
        let target = self.dialect.table_name(table);
        let q = |f: &SinkField| self.dialect.quote_identifier(&f.name);
        // One statement may touch a row once (PostgreSQL's ON CONFLICT): the last record of a
        // key wins, as it would executing the statements one by one.
        let mut last: HashMap<String, usize> = HashMap::new();
        let mut key_text = String::new();
        for (n, r) in rows.iter().enumerate() {
            key_text.clear();
            for f in &fields.key {
                let v = field_value(r, f, self.config.replace_null_with_default);
                sql::literal(
                    self.dialect.kind,
                    &f.schema,
                    &v,
                    &self.config.db_timezone,
                    self.config.date_utc,
                    &mut key_text,
                )?;
                key_text.push('\u{1}');
            }
            last.insert(key_text.clone(), n);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        let mut conflict = String::new();
        match self.dialect.kind {
            crate::connectors::jdbc::dialect::DialectKind::PostgreSql => {
                let keys: Vec<String> = fields.key.iter().map(q).collect();
                let _ = write!(conflict, " ON CONFLICT ({})", keys.join(","));
                if fields.non_key.is_empty() {
                    conflict.push_str(" DO NOTHING");
                } else {
                    let sets: Vec<String> = fields
                        .non_key
                        .iter()
                        .map(|f| format!("{}=EXCLUDED.{}", q(f), q(f)))
                        .collect();
                    let _ = write!(conflict, " DO UPDATE SET {}", sets.join(","));
                }
            }
            crate::connectors::jdbc::dialect::DialectKind::MySql => {
                let which = if fields.non_key.is_empty() {
                    &fields.key
                } else {
                    &fields.non_key
                };
                let sets: Vec<String> = which
                    .iter()
                    .map(|f| format!("{}=values({})", q(f), q(f)))
                    .collect();
                let _ = write!(conflict, " on duplicate key update {}", sets.join(","));
            }
        }
        if self.is_postgres() {
            // The rows are copied into a temporary table with the columns' types, then upserted
            // by one INSERT ... SELECT: PostgreSQL copies rows several times faster than it parses
            // and plans a VALUES list of thousands of literals. A value a column's type refuses
            // fails in the COPY with the type's message; constraints fail in the INSERT into
            // the table itself, with the messages of the statement Confluent's sink runs.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&(&target, &cols), &mut h);
            let staging = format!("\"connect_upsert_{:016x}\"", std::hash::Hasher::finish(&h));
            let kept: Vec<&SinkRecord> = keep.iter().map(|i| rows[*i]).collect();
            self.connection()?.batch_execute(&format!(
                "CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS SELECT {cols} FROM {target} WITH NO DATA"
            ))?;
            self.copy_in(&staging, &cols, fields, &kept)?;
            self.connection()?.batch_execute(&format!(
                "INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging}{conflict}; TRUNCATE {staging}"
            ))?;
            return Ok(());
        }
        let mut sql = match self.dialect.kind {
            crate::connectors::jdbc::dialect::DialectKind::PostgreSql => {
                format!("INSERT INTO {target} ({cols}) VALUES ")
            }
            crate::connectors::jdbc::dialect::DialectKind::MySql => {
                format!("insert into {target}({cols}) values")
            }
        };
        for (n, i) in keep.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            self.row_literal(fields, rows[*i], &mut sql)?;
        }
        sql.push_str(&conflict);
        self.connection()?.execute(&sql)?;
        Ok(())
    }

    fn where_keys(
        &self,
        fields: &FieldsMetadata,
        r: &SinkRecord,
        out: &mut String,
    ) -> Result<(), WriteError> {
        out.push_str(" WHERE ");
        for (n, f) in fields.key.iter().enumerate() {
            if n > 0 {
                out.push_str(" AND ");
            }
            out.push_str(&self.dialect.quote_identifier(&f.name));
            out.push_str(" = ");
            let v = field_value(r, f, self.config.replace_null_with_default);
            sql::literal(
                self.dialect.kind,
                &f.schema,
                &v,
                &self.config.db_timezone,
                self.config.date_utc,
                out,
            )?;
        }
        Ok(())
    }

    /// `UPDATE t SET a = ?, b = ? WHERE k = ?`, one statement per record, sent together.
    fn update(
        &mut self,
        table: &TableId,
        fields: &FieldsMetadata,
        rows: &[&SinkRecord],
    ) -> Result<(), WriteError> {
        if fields.non_key.is_empty() {
            return Ok(());
        }
        let target = self.dialect.table_name(table);
        let mut statements = Vec::with_capacity(rows.len());
        for r in rows {
            let mut s = format!("UPDATE {target} SET ");
            for (n, f) in fields.non_key.iter().enumerate() {
                if n > 0 {
                    s.push_str(", ");
                }
                s.push_str(&self.dialect.quote_identifier(&f.name));
                s.push_str(" = ");
                let v = field_value(r, f, self.config.replace_null_with_default);
                sql::literal(
                    self.dialect.kind,
                    &f.schema,
                    &v,
                    &self.config.db_timezone,
                    self.config.date_utc,
                    &mut s,
                )?;
            }
            if !fields.key.is_empty() {
                self.where_keys(fields, r, &mut s)?;
            }
            statements.push(s);
        }
        self.run_statements(&statements)
    }

    /// `DELETE FROM t WHERE k = ?`, one statement per tombstone, sent together.
    fn delete(
        &mut self,
        table: &TableId,
        fields: &FieldsMetadata,
        rows: &[&SinkRecord],
    ) -> Result<(), WriteError> {
        if fields.key.is_empty() {
            return Err(WriteError::Connect(ConnectError::connect(format!(
                "Require primary keys to support delete on table '{}'",
                sql::table_id_java(table)
            ))));
        }
        let target = self.dialect.table_name(table);
        let mut statements = Vec::with_capacity(rows.len());
        for r in rows {
            let mut s = format!("DELETE FROM {target}");
            self.where_keys(fields, r, &mut s)?;
            statements.push(s);
        }
        self.run_statements(&statements)
    }

    /// Sends statements in groups, several per round trip.
    fn run_statements(&mut self, statements: &[String]) -> Result<(), WriteError> {
        let conn = self.connection()?;
        for chunk in statements.chunks(500) {
            match &mut conn.client {
                Client::Postgres(_) => conn.batch_execute(&chunk.join(";\n"))?,
                // One at a time: MariaDB runs a multi-statement text only with
                // CLIENT_MULTI_STATEMENTS, which the connection does not ask for.
                Client::MySql(_) => {
                    for s in chunk {
                        conn.execute(s)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Creates the exactly-once offsets table if needed and loads this connector's offsets.
    fn prepare_offsets_table(&mut self) -> Result<(), WriteError> {
        let d = self.dialect;
        let name = self.config.connector_name.clone();
        let conn = self.connection()?;
        let kind = conn.kind();
        let table = d.quote_identifier(OFFSETS_TABLE);
        let q = |s: &str| d.quote_identifier(s);
        let text_type = match kind {
            crate::connectors::jdbc::dialect::DialectKind::PostgreSql => "TEXT",
            crate::connectors::jdbc::dialect::DialectKind::MySql => "VARCHAR(255)",
        };
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {table} ({} {text_type} NOT NULL, {} {text_type} NOT NULL, \
             {} INT NOT NULL, {} BIGINT NOT NULL, PRIMARY KEY({},{},{}))",
            q("connector"),
            q("topic"),
            q("partition"),
            q("offset"),
            q("connector"),
            q("topic"),
            q("partition")
        );
        conn.batch_execute(&ddl)?;
        let rows = conn.query_text(&format!(
            "SELECT {}, {}, {} FROM {table} WHERE {} = {}",
            q("topic"),
            q("partition"),
            q("offset"),
            q("connector"),
            sql_string_for(kind, &name)
        ))?;
        self.stored_offsets.clear();
        for r in rows {
            if let [Some(t), Some(p), Some(o)] = r.as_slice()
                && let (Ok(p), Ok(o)) = (p.parse::<i32>(), o.parse::<i64>())
            {
                self.stored_offsets.insert((t.clone(), p), o);
            }
        }
        self.offsets_table_ready = true;
        Ok(())
    }

    /// Stores the next offsets in the current transaction.
    fn store_offsets(&mut self, next: &HashMap<(String, i32), i64>) -> Result<(), WriteError> {
        let d = self.dialect;
        let name = self.config.connector_name.clone();
        let conn = self.connection()?;
        let kind = conn.kind();
        let q = |s: &str| d.quote_identifier(s);
        let mut values = Vec::new();
        for ((t, p), o) in next {
            values.push(format!(
                "({},{},{p},{o})",
                sql_string_for(kind, &name),
                sql_string_for(kind, t)
            ));
        }
        let cols = format!(
            "{},{},{},{}",
            q("connector"),
            q("topic"),
            q("partition"),
            q("offset")
        );
        let table = d.quote_identifier(OFFSETS_TABLE);
        let sql = match kind {
            crate::connectors::jdbc::dialect::DialectKind::PostgreSql => format!(
                "INSERT INTO {table} ({cols}) VALUES {} ON CONFLICT ({},{},{}) DO UPDATE SET {}=EXCLUDED.{}",
                values.join(","),
                q("connector"),
                q("topic"),
                q("partition"),
                q("offset"),
                q("offset")
            ),
            crate::connectors::jdbc::dialect::DialectKind::MySql => format!(
                "insert into {table}({cols}) values{} on duplicate key update {}=values({})",
                values.join(","),
                q("offset"),
                q("offset")
            ),
        };
        conn.execute(&sql)?;
        Ok(())
    }
}

/// Runs DDL inside a savepoint so that its failure leaves the transaction usable (PostgreSQL;
/// MariaDB/MySQL commit the transaction implicitly at any DDL, so there it simply runs).
fn run_in_savepoint(conn: &mut Connection, ddl: &str) -> Result<(), SqlError> {
    if let Client::MySql(_) = conn.client {
        return conn.batch_execute(ddl);
    }
    conn.batch_execute("SAVEPOINT connect_ddl")?;
    match conn.batch_execute(ddl) {
        Ok(()) => conn.batch_execute("RELEASE SAVEPOINT connect_ddl"),
        Err(e) => {
            let _ = conn.batch_execute("ROLLBACK TO SAVEPOINT connect_ddl");
            Err(e)
        }
    }
}

/// `StringUtils.valueTypeOrNull`: the simple class name of a value, or `null`.
fn simple_class(v: &Value) -> String {
    let c = v.java_class();
    c.rsplit(['.', ' ']).next().unwrap_or(c).to_owned()
}

/// `StringUtils.schemaTypeOrNull`.
fn schema_type(s: &Option<SchemaRef>) -> &'static str {
    s.as_ref().map_or("null", |s| s.ty.java_name())
}
