//! The task: set-up (publication, slot), snapshot, streaming, offsets and the slot's confirmed
//! position.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use connect_plugin_api::data::{ConnectRecord, SourceRecord, Value};
use connect_plugin_api::error::ConnectError;
use connect_plugin_api::{OffsetLookup, OffsetMap, RecordMetadata, SourceTask};

use super::catalog::{self, psql};
use super::class;
use super::config::{CdcConfig, SnapshotMode};
use super::event::{self, Cell, SourceFields, TableInfo};
use super::pgoutput::{self, Datum, Message};
use super::wire::{
    ConnectParams, Connection, PG_EPOCH_OFFSET_MICROS, PgError, StreamMsg, ident, literal, lsn_text,
};

/// How often the server hears our position when nothing else is sent
/// (Debezium's `status.update.interval.ms`).
const STATUS_INTERVAL: Duration = Duration::from_secs(10);

/// A transaction whose records are out, until every one of them is acknowledged.
struct TxTrack {
    xid: i64,
    /// The LSN just past its commit record, once the commit was read.
    end: Option<u64>,
    outstanding: usize,
}

struct SnapshotTable {
    info: TableInfo,
    rows: u64,
}

struct Snapshot {
    tables: VecDeque<SnapshotTable>,
    /// Rows emitted of the current table.
    done_in_table: u64,
    cursor_open: bool,
    total_left: u64,
    first: bool,
    lsn: u64,
    tx_id: i64,
    ts_us: i64,
}

enum Phase {
    NotStarted,
    Snapshot(Box<Snapshot>),
    Streaming,
    /// `initial_only` finished its snapshot.
    Done,
}

pub struct CdcTask {
    config: CdcConfig,
    partition: Arc<OffsetMap>,
    query: Option<Connection>,
    repl: Option<Connection>,
    phase: Phase,
    /// Relation OID to table (`None` = not captured).
    relations: HashMap<u32, Option<Arc<TableInfo>>>,
    /// The transaction being read: xid, commit time (µs since the Unix epoch).
    tx: Option<(i64, i64)>,
    last_commit_lsn: Option<u64>,
    /// From the stored offset: skip what was already produced.
    resume: Option<(Option<u64>, u64, i64)>,
    /// Transactions that committed at or before this LSN are in the snapshot.
    skip_until: u64,
    tracked: VecDeque<TxTrack>,
    acked_end: u64,
    flushed: u64,
    received: u64,
    slot_start: u64,
    last_status: Instant,
    /// The connection broke: reconnect on the next poll.
    reconnect: bool,
    last_heartbeat: Instant,
    /// Where the last streamed record handed out stands: (`lsn_commit`, `lsn`, `txId`).
    produced: Option<(Option<u64>, u64, i64)>,
}

fn debezium(message: impl Into<String>) -> ConnectError {
    ConnectError::new(class::DEBEZIUM, message)
}

/// A snapshot failure as Debezium's snapshot executor reports it.
fn snapshot_failed(schema: &str, table: &str, e: &PgError) -> ConnectError {
    let inner = format!("Snapshotting of table {schema}.{table} failed");
    let connect = format!("org.apache.kafka.connect.errors.ConnectException: {inner}");
    ConnectError::connect(
        "An exception occurred in the change event producer. This connector will be stopped.",
    )
    .with_cause(
        debezium(format!(
            "java.util.concurrent.ExecutionException: {connect}"
        ))
        .with_cause(
            ConnectError::new("java.util.concurrent.ExecutionException", connect)
                .with_cause(ConnectError::connect(inner).with_cause(psql(e))),
        ),
    )
}

fn now_us() -> i64 {
    event::now_nanos() / 1000
}

impl CdcTask {
    pub fn new(config: CdcConfig) -> CdcTask {
        let mut partition = OffsetMap::new();
        partition.insert("server".into(), Json::String(config.topic_prefix.clone()));
        CdcTask {
            config,
            partition: Arc::new(partition),
            query: None,
            repl: None,
            phase: Phase::NotStarted,
            relations: HashMap::new(),
            tx: None,
            last_commit_lsn: None,
            resume: None,
            skip_until: 0,
            tracked: VecDeque::new(),
            acked_end: 0,
            flushed: 0,
            received: 0,
            slot_start: 0,
            last_status: Instant::now(),
            reconnect: false,
            last_heartbeat: Instant::now(),
            produced: None,
        }
    }

    fn params(&self) -> ConnectParams {
        ConnectParams {
            host: self.config.hostname.clone(),
            port: self.config.port,
            user: self.config.user.clone(),
            password: self.config.password.clone(),
            dbname: self.config.dbname.clone(),
            connect_timeout: Duration::from_secs(30),
        }
    }

    fn query(&mut self) -> Result<&mut Connection, ConnectError> {
        self.query
            .as_mut()
            .ok_or_else(|| ConnectError::connect("The connection to the database is closed"))
    }

    fn table_info(&mut self, schema: &str, table: &str) -> Result<TableInfo, ConnectError> {
        let config = self.config.clone();
        let (cols, pk) = catalog::table_columns(self.query()?, schema, table).map_err(|e| {
            debezium(format!("Unable to read the columns of {schema}.{table}")).with_cause(psql(&e))
        })?;
        Ok(TableInfo::build(&config, schema, table, &cols, &pk))
    }

    fn snapshot_offset(&self, s: &Snapshot, last: bool) -> OffsetMap {
        let mut o = OffsetMap::new();
        o.insert("last_snapshot_record".into(), json!(last));
        o.insert("lsn".into(), json!(s.lsn));
        o.insert("txId".into(), json!(s.tx_id));
        o.insert("ts_usec".into(), json!(s.ts_us));
        o.insert(
            "snapshot".into(),
            json!(self.config.snapshot_mode.offset_name()),
        );
        o.insert("snapshot_completed".into(), json!(last));
        o
    }

    /// Starts the snapshot transaction: in the slot's exported snapshot when there is one.
    fn begin_snapshot(&mut self, exported: Option<(String, u64)>) -> Result<(), ConnectError> {
        let err = |e: PgError| debezium("Unable to start the snapshot").with_cause(psql(&e));
        let q = self.query()?;
        q.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
            .map_err(err)?;
        let lsn = match &exported {
            Some((name, lsn)) => {
                q.query(&format!("SET TRANSACTION SNAPSHOT {}", literal(name)))
                    .map_err(err)?;
                *lsn
            }
            None => q
                .query("SELECT pg_current_wal_lsn()::text AS l")
                .map_err(err)?
                .first("l")
                .and_then(super::wire::parse_lsn)
                .unwrap_or(0),
        };
        let tx_id = q
            .query("SELECT txid_current() AS x")
            .map_err(err)?
            .first("x")
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        self.skip_until = lsn;
        let config = self.config.clone();
        let tables = catalog::captured_tables(self.query()?, &config)
            .map_err(|e| debezium("Unable to list the captured tables").with_cause(psql(&e)))?;
        let mut queue = VecDeque::new();
        let mut total = 0;
        for (s, t) in tables {
            let info = self.table_info(&s, &t)?;
            let rows: u64 = self
                .query()?
                .query(&format!(
                    "SELECT count(*) AS n FROM {}.{}",
                    ident(&s),
                    ident(&t)
                ))
                .map_err(|e| snapshot_failed(&s, &t, &e))?
                .first("n")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            total += rows;
            queue.push_back(SnapshotTable { info, rows });
        }
        self.phase = Phase::Snapshot(Box::new(Snapshot {
            tables: queue,
            done_in_table: 0,
            cursor_open: false,
            total_left: total,
            first: true,
            lsn,
            tx_id,
            ts_us: now_us(),
        }));
        Ok(())
    }

    fn poll_snapshot(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Phase::Snapshot(mut s) = std::mem::replace(&mut self.phase, Phase::NotStarted) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        while out.len() < self.config.max_batch_size {
            let Some(t) = s.tables.front() else { break };
            let (schema, table) = (t.info.schema.clone(), t.info.table.clone());
            let err = |e: PgError| snapshot_failed(&schema, &table, &e);
            let q = self
                .query
                .as_mut()
                .ok_or_else(|| ConnectError::connect("closed"))?;
            if !s.cursor_open {
                let cols: Vec<String> = t
                    .info
                    .columns
                    .iter()
                    .flatten()
                    .map(|c| ident(&c.name))
                    .collect();
                q.query(&format!(
                    "DECLARE dbz_snapshot NO SCROLL CURSOR FOR SELECT {} FROM {}.{}",
                    cols.join(", "),
                    ident(&schema),
                    ident(&table)
                ))
                .map_err(err)?;
                s.cursor_open = true;
                s.done_in_table = 0;
            }
            let want = self.config.max_batch_size - out.len();
            let rows = q
                .query(&format!("FETCH {want} FROM dbz_snapshot"))
                .map_err(err)?;
            let t = s.tables.front().expect("a table");
            // Columns of the query in table order; map by name to the relation's positions.
            let names: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
            let n = rows.rows.len();
            for row in rows.rows {
                let mut cells = vec![Cell::Null; t.info.columns.len()];
                for (i, v) in row.into_iter().enumerate() {
                    let Some(pos) = t
                        .info
                        .columns
                        .iter()
                        .position(|c| c.as_ref().is_some_and(|c| c.name == names[i]))
                    else {
                        continue;
                    };
                    cells[pos] = v.map_or(Cell::Null, Cell::Text);
                }
                s.done_in_table += 1;
                s.total_left = s.total_left.saturating_sub(1);
                let last = s.total_left == 0;
                // Debezium's precedence: last > first > last_in_data_collection >
                // first_in_data_collection.
                let marker = if last {
                    "last"
                } else if s.first {
                    "first"
                } else if s.done_in_table == t.rows {
                    "last_in_data_collection"
                } else if s.done_in_table == 1 {
                    "first_in_data_collection"
                } else {
                    "true"
                };
                s.first = false;
                let src = event::source(&SourceFields {
                    prefix: &self.config.topic_prefix,
                    db: &self.config.dbname,
                    schema: &t.info.schema,
                    table: &t.info.table,
                    ts_us: s.ts_us,
                    snapshot: marker,
                    last_commit_lsn: None,
                    lsn: s.lsn,
                    tx_id: Some(s.tx_id),
                });
                let after = t.info.row(&cells).map_err(ConnectError::data)?;
                let key = t.info.key(&cells).map_err(ConnectError::data)?;
                let value = event::envelope(&t.info, Value::Null, after, src, "r");
                out.push(self.record(&t.info, key, Some(value), self.snapshot_offset(&s, last)));
            }
            if n < want || s.done_in_table >= t.rows {
                let q = self
                    .query
                    .as_mut()
                    .ok_or_else(|| ConnectError::connect("closed"))?;
                q.query("CLOSE dbz_snapshot").map_err(err)?;
                s.cursor_open = false;
                s.tables.pop_front();
            }
        }
        if s.tables.is_empty() {
            let q = self.query()?;
            q.query("COMMIT")
                .map_err(|e| debezium("Unable to end the snapshot").with_cause(psql(&e)))?;
            tracing::info!("Snapshot ended with SnapshotResult [status=COMPLETED]");
            self.phase = if self.config.snapshot_mode == SnapshotMode::InitialOnly {
                Phase::Done
            } else {
                Phase::Streaming
            };
        } else {
            self.phase = Phase::Snapshot(s);
        }
        Ok(out)
    }

    fn record(
        &self,
        t: &TableInfo,
        key: Value,
        value: Option<Value>,
        offset: OffsetMap,
    ) -> SourceRecord {
        let mut r = ConnectRecord::value(
            &t.topic,
            value.as_ref().map(|_| t.envelope_schema.clone()),
            value.unwrap_or(Value::Null),
        );
        r.key_schema = t.key_schema.clone();
        r.key = key;
        SourceRecord {
            source_partition: self.partition.clone(),
            source_offset: offset,
            record: r,
        }
    }

    fn start_streaming(&mut self) -> Result<(), ConnectError> {
        let slot = self.config.slot_name.clone();
        let publication = self.config.publication_name.clone();
        let start = self.slot_start;
        let repl = self
            .repl
            .as_mut()
            .ok_or_else(|| ConnectError::connect("closed"))?;
        repl.query(&format!(
            "START_REPLICATION SLOT {} LOGICAL {} (\"proto_version\" '1', \"publication_names\" {})",
            ident(&slot),
            lsn_text(start),
            literal(&ident(&publication))
        ))
        .map_err(|e| {
            ConnectError::connect("An exception occurred in the change event producer. This connector will be stopped.")
                .with_cause(
                    debezium(format!("Failed to start replication stream at LSN{{{}}}; when setting up multiple connectors for the same database host, please make sure to use a distinct replication slot name for each.", lsn_text(start)))
                        .with_cause(psql(&e)),
                )
        })?;
        self.flushed = start;
        self.acked_end = start;
        Ok(())
    }

    fn stream_offset(&self, lsn: u64, xid: i64, ts_us: i64, kind: &str) -> OffsetMap {
        let mut o = OffsetMap::new();
        o.insert("lsn_proc".into(), json!(lsn));
        if let Some(c) = self.last_commit_lsn {
            o.insert("lsn_commit".into(), json!(c));
        }
        o.insert("messageType".into(), json!(kind));
        o.insert("lsn".into(), json!(lsn));
        o.insert("txId".into(), json!(xid));
        o.insert("ts_usec".into(), json!(ts_us));
        o
    }

    /// Whether a change of the transaction `xid` at `lsn` was produced before a restart.
    fn already_produced(&self, xid: i64, lsn: u64) -> bool {
        match self.resume {
            Some((_, rlsn, rxid)) => xid == rxid && lsn <= rlsn,
            None => false,
        }
    }

    fn relation(&mut self, rel: &pgoutput::Relation) -> Result<(), ConnectError> {
        if !self.config.table_included(&rel.namespace, &rel.name) {
            self.relations.insert(rel.oid, None);
            return Ok(());
        }
        let config = self.config.clone();
        let (cols, pk) =
            catalog::table_columns(self.query()?, &rel.namespace, &rel.name).map_err(|e| {
                debezium(format!(
                    "Unable to read the columns of {}.{}",
                    rel.namespace, rel.name
                ))
                .with_cause(psql(&e))
            })?;
        // The relation message is authoritative for the column list and types; the catalog adds
        // nullability and defaults.
        let merged: Vec<event::CatalogColumn> = rel
            .columns
            .iter()
            .map(|c| {
                let cat = cols.iter().find(|x| x.name == c.name);
                event::CatalogColumn {
                    name: c.name.clone(),
                    type_oid: c.type_oid,
                    typmod: c.type_modifier,
                    not_null: cat.is_some_and(|x| x.not_null),
                    default: cat.and_then(|x| x.default.clone()),
                }
            })
            .collect();
        let info = TableInfo::build(&config, &rel.namespace, &rel.name, &merged, &pk);
        self.relations.insert(rel.oid, Some(Arc::new(info)));
        Ok(())
    }

    fn cells(d: Vec<Datum>) -> Vec<Cell> {
        d.into_iter()
            .map(|d| match d {
                Datum::Null => Cell::Null,
                Datum::Unchanged => Cell::Unchanged,
                Datum::Text(t) => Cell::Text(t),
            })
            .collect()
    }

    fn change(
        &mut self,
        out: &mut Vec<SourceRecord>,
        lsn: u64,
        rel: u32,
        update: bool,
        old: Option<Vec<Datum>>,
        new: Option<Vec<Datum>>,
    ) -> Result<(), ConnectError> {
        let Some((xid, ts_us)) = self.tx else {
            return Ok(());
        };
        if self.already_produced(xid, lsn) {
            return Ok(());
        }
        let Some(Some(t)) = self.relations.get(&rel) else {
            return Ok(());
        };
        let t = t.clone();
        let src = |last_commit: Option<u64>| {
            event::source(&SourceFields {
                prefix: &self.config.topic_prefix,
                db: &self.config.dbname,
                schema: &t.schema,
                table: &t.table,
                ts_us,
                snapshot: "false",
                last_commit_lsn: last_commit,
                lsn,
                tx_id: Some(xid),
            })
        };
        let data = |e: String| ConnectError::data(e);
        let old = old.map(Self::cells);
        let new = new.map(Self::cells);
        let before_len = out.len();
        match (old, new) {
            (None, Some(n)) if !update => {
                let v = event::envelope(
                    &t,
                    Value::Null,
                    t.row(&n).map_err(data)?,
                    src(self.last_commit_lsn),
                    "c",
                );
                out.push(self.record(
                    &t,
                    t.key(&n).map_err(data)?,
                    Some(v),
                    self.stream_offset(lsn, xid, ts_us, "INSERT"),
                ));
            }
            (Some(o), Some(n)) if !t.key_positions.is_empty() && !t.same_key(&o, &n) => {
                // A primary key change: a delete of the old key, its tombstone, a create.
                let ok = t.key(&o).map_err(data)?;
                let v = event::envelope(
                    &t,
                    t.row(&o).map_err(data)?,
                    Value::Null,
                    src(self.last_commit_lsn),
                    "d",
                );
                let off = self.stream_offset(lsn, xid, ts_us, "UPDATE");
                out.push(self.record(&t, ok.clone(), Some(v), off.clone()));
                if self.config.tombstones_on_delete {
                    out.push(self.record(&t, ok, None, off.clone()));
                }
                let v = event::envelope(
                    &t,
                    Value::Null,
                    t.row(&n).map_err(data)?,
                    src(self.last_commit_lsn),
                    "c",
                );
                out.push(self.record(&t, t.key(&n).map_err(data)?, Some(v), off));
            }
            (o, Some(n)) => {
                let before = match &o {
                    Some(o)
                        if t.columns.len() == o.len()
                            && o.iter().any(|c| *c != Cell::Null)
                            && !t.key_positions.is_empty()
                            && o.len() == n.len() =>
                    {
                        // Only REPLICA IDENTITY FULL sends the old row of an update whose key
                        // did not change.
                        t.row(o).map_err(data)?
                    }
                    Some(o) if t.key_positions.is_empty() => t.row(o).map_err(data)?,
                    _ => Value::Null,
                };
                let v = event::envelope(
                    &t,
                    before,
                    t.row(&n).map_err(data)?,
                    src(self.last_commit_lsn),
                    "u",
                );
                out.push(self.record(
                    &t,
                    t.key(&n).map_err(data)?,
                    Some(v),
                    self.stream_offset(lsn, xid, ts_us, "UPDATE"),
                ));
            }
            (Some(o), None) => {
                let key = t.key(&o).map_err(data)?;
                let v = event::envelope(
                    &t,
                    t.row(&o).map_err(data)?,
                    Value::Null,
                    src(self.last_commit_lsn),
                    "d",
                );
                let off = self.stream_offset(lsn, xid, ts_us, "DELETE");
                out.push(self.record(&t, key.clone(), Some(v), off.clone()));
                if self.config.tombstones_on_delete {
                    out.push(self.record(&t, key, None, off));
                }
            }
            (None, None) => {}
        }
        let added = out.len() - before_len;
        if let Some(tr) = self.tracked.back_mut() {
            tr.outstanding += added;
        }
        Ok(())
    }

    /// Connects (an ordinary and a replication connection), makes sure of the publication and
    /// the slot; returns the slot's exported snapshot when the slot was created now.
    fn open(&mut self) -> Result<Option<(String, u64)>, ConnectError> {
        let params = self.params();
        let slot_failed =
            |e: PgError| debezium("Creation of replication slot failed").with_cause(psql(&e));
        // Debezium's first connection reads the database encoding; a failure there reads so.
        let mut query = Connection::connect(&params, false).map_err(|e| {
            ConnectError::new(
                connect_plugin_api::error::class::RETRIABLE,
                "Couldn't obtain encoding for database",
            )
            .with_cause(
                debezium(format!(
                    "Couldn't obtain encoding for database {}",
                    params.dbname
                ))
                .with_cause(psql(&e)),
            )
        })?;
        let mut repl = Connection::connect(&params, true).map_err(slot_failed)?;
        let tables = catalog::captured_tables(&mut query, &self.config)
            .map_err(|e| debezium("Unable to list the captured tables").with_cause(psql(&e)))?;
        catalog::ensure_publication(&mut query, &self.config, &tables)?;
        let existing = catalog::slot_position(&mut query, &self.config)
            .map_err(|e| debezium("Unable to read the replication slot").with_cause(psql(&e)))?;
        let mut exported = None;
        match existing {
            Some(pos) => self.slot_start = pos.unwrap_or(0),
            None => {
                let rows = repl
                    .query(&format!(
                        "CREATE_REPLICATION_SLOT {} LOGICAL {}",
                        ident(&self.config.slot_name),
                        ident(&self.config.plugin_name)
                    ))
                    .map_err(slot_failed)?;
                let point = rows
                    .first("consistent_point")
                    .and_then(super::wire::parse_lsn)
                    .unwrap_or(0);
                self.slot_start = point;
                if let Some(name) = rows.first("snapshot_name") {
                    exported = Some((name.to_owned(), point));
                }
            }
        }
        self.repl = Some(repl);
        self.query = Some(query);
        Ok(exported)
    }

    /// After a broken connection: connect again and stream from the slot's confirmed position,
    /// skipping what was already handed out.
    fn reopen(&mut self) -> Result<(), ConnectError> {
        if let Some(r) = self.repl.take() {
            r.close();
        }
        if let Some(q) = self.query.take() {
            q.close();
        }
        self.open().map_err(|e| {
            ConnectError::new(
                connect_plugin_api::error::class::RETRIABLE,
                "An exception occurred in the change event producer. This connector will be restarted.",
            )
            .with_cause(e)
        })?;
        if self.produced.is_some() {
            self.resume = self.produced;
        }
        self.tracked.clear();
        self.tx = None;
        self.relations.clear();
        // The old WAL sender may hold the slot for a moment after the break: try again later.
        self.start_streaming().map_err(|e| {
            ConnectError::new(
                connect_plugin_api::error::class::RETRIABLE,
                "An exception occurred in the change event producer. This connector will be restarted.",
            )
            .with_cause(e)
        })?;
        self.reconnect = false;
        tracing::info!("Reconnected to the database; streaming again");
        Ok(())
    }

    /// Debezium's heartbeat record on `__debezium-heartbeat.<prefix>`: key `{serverName}`, value
    /// `{ts_ms}`, and an offset at the position read so far (between transactions), so a
    /// restart resumes after it.
    fn heartbeat(&self) -> SourceRecord {
        use connect_plugin_api::data::{Schema, Struct, Type};
        let prefix = &self.config.topic_prefix;
        let key_schema = Schema::structure(vec![(
            "serverName".into(),
            Schema::new(Type::String).into_ref(),
        )])
        .named("io.debezium.connector.common.ServerNameKey")
        .version(1)
        .into_ref();
        let value_schema =
            Schema::structure(vec![("ts_ms".into(), Schema::new(Type::Int64).into_ref())])
                .named("io.debezium.connector.common.Heartbeat")
                .version(1)
                .into_ref();
        let mut key = Struct::new(key_schema.clone());
        key.values = vec![Value::String(prefix.clone())];
        let now_ms = now_us() / 1000;
        let mut value = Struct::new(value_schema.clone());
        value.values = vec![Value::Int64(now_ms)];
        let mut r = ConnectRecord::value(
            &format!("__debezium-heartbeat.{prefix}"),
            Some(value_schema),
            Value::Struct(value),
        );
        r.key_schema = Some(key_schema);
        r.key = Value::Struct(key);
        let mut o = OffsetMap::new();
        let lsn = self.received;
        o.insert("lsn_proc".into(), json!(lsn));
        if let Some(c) = self.last_commit_lsn {
            o.insert("lsn_commit".into(), json!(c));
        }
        o.insert("lsn".into(), json!(lsn));
        o.insert("ts_usec".into(), json!(now_ms * 1000));
        SourceRecord {
            source_partition: self.partition.clone(),
            source_offset: o,
            record: r,
        }
    }

    fn advance_confirmed(&mut self) {
        while let Some(front) = self.tracked.front() {
            match front.end {
                Some(end) if front.outstanding == 0 => {
                    self.acked_end = self.acked_end.max(end);
                    self.tracked.pop_front();
                }
                _ => break,
            }
        }
    }

    fn poll_stream(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let mut out = Vec::new();
        let result = self.read_stream(&mut out);
        if let Some(last) = out
            .iter()
            .rev()
            .find(|r| r.source_offset.contains_key("messageType"))
        {
            let o = &last.source_offset;
            self.produced = Some((
                o.get("lsn_commit").and_then(Json::as_u64),
                o.get("lsn").and_then(Json::as_u64).unwrap_or(0),
                o.get("txId").and_then(Json::as_i64).unwrap_or(-1),
            ));
        }
        match result {
            Ok(()) => Ok(out),
            Err(e) if e.class == connect_plugin_api::error::class::RETRIABLE => {
                tracing::warn!("{}", e.stack_trace());
                self.reconnect = true;
                // What was read before the break is handed out; the error shows next time.
                if out.is_empty() { Err(e) } else { Ok(out) }
            }
            Err(e) => Err(e),
        }
    }

    fn read_stream(&mut self, out: &mut Vec<SourceRecord>) -> Result<(), ConnectError> {
        let deadline = Instant::now() + Duration::from_millis(self.config.poll_interval_ms);
        let lost = |e: PgError| {
            match e {
            PgError::Io(m) => ConnectError::new(
                connect_plugin_api::error::class::RETRIABLE,
                "An exception occurred in the change event producer. This connector will be restarted.",
            )
            .with_cause(
                ConnectError::new(class::PSQL, "An I/O error occurred while sending to the backend.")
                    .with_cause(ConnectError::new("java.net.SocketException", m)),
            ),
            // The server going away (shutdown, terminated backend, connection failure) is
            // retried, as Debezium's error handler does.
            e if e.code().is_some_and(|c| c.starts_with("57") || c.starts_with("08")) => {
                ConnectError::new(
                    connect_plugin_api::error::class::RETRIABLE,
                    "An exception occurred in the change event producer. This connector will be restarted.",
                )
                .with_cause(psql(&e))
            }
            e => ConnectError::connect(
                "An exception occurred in the change event producer. This connector will be stopped.",
            )
            .with_cause(psql(&e)),
        }
        };
        while out.len() < self.config.max_batch_size {
            let now = Instant::now();
            // Once something is ready, hand it over without waiting for more.
            let wait = if out.is_empty() {
                deadline.saturating_duration_since(now)
            } else {
                Duration::from_millis(1)
            };
            if wait.is_zero() && out.is_empty() {
                break;
            }
            let repl = self
                .repl
                .as_mut()
                .ok_or_else(|| ConnectError::connect("closed"))?;
            let Some(msg) = repl.next_stream_msg(wait).map_err(lost)? else {
                if !out.is_empty() {
                    break;
                }
                continue;
            };
            match msg {
                StreamMsg::Keepalive { wal_end, reply } => {
                    self.received = self.received.max(wal_end);
                    if self.tracked.is_empty() && self.tx.is_none() {
                        // Everything sent so far is produced and acknowledged: the slot may move
                        // to the server's position at the next commit, so an idle or filtered
                        // database does not keep WAL forever.
                        self.acked_end = self.acked_end.max(wal_end);
                    }
                    if reply {
                        let (r, f) = (self.received, self.flushed);
                        repl.standby_status(r, f).map_err(lost)?;
                        self.last_status = Instant::now();
                    }
                }
                StreamMsg::XLogData { wal_start, data } => {
                    self.received = self.received.max(wal_start);
                    let m = pgoutput::decode(&data).map_err(|e| {
                        debezium(format!("Unable to decode a pgoutput message: {e}"))
                    })?;
                    match m {
                        Message::Begin {
                            final_lsn,
                            commit_ts,
                            xid,
                        } => {
                            let xid = xid as i64;
                            let skip = final_lsn < self.skip_until
                                || self
                                    .resume
                                    .is_some_and(|(c, _, _)| c.is_some_and(|c| final_lsn < c));
                            self.tx = (!skip).then_some((xid, commit_ts + PG_EPOCH_OFFSET_MICROS));
                            self.tracked.push_back(TxTrack {
                                xid,
                                end: None,
                                outstanding: 0,
                            });
                        }
                        Message::Commit { end_lsn, .. } => {
                            if self.tx.is_some() {
                                self.last_commit_lsn = Some(wal_start.max(end_lsn));
                            }
                            if let Some(tr) = self.tracked.back_mut() {
                                tr.end = Some(end_lsn);
                            }
                            self.tx = None;
                            self.advance_confirmed();
                        }
                        Message::Relation(r) => self.relation(&r)?,
                        Message::Insert { rel, new } => {
                            self.change(out, wal_start, rel, false, None, Some(new))?
                        }
                        Message::Update { rel, old, new } => {
                            self.change(out, wal_start, rel, true, old, Some(new))?
                        }
                        Message::Delete { rel, old } => {
                            self.change(out, wal_start, rel, false, Some(old), None)?
                        }
                        // Debezium skips truncates by default (`skipped.operations=t`).
                        Message::Truncate { .. }
                        | Message::Origin
                        | Message::Type
                        | Message::Other(_) => {}
                    }
                }
            }
        }
        if self.config.heartbeat_interval_ms > 0
            && self.tx.is_none()
            && self.last_heartbeat.elapsed()
                >= Duration::from_millis(self.config.heartbeat_interval_ms)
        {
            out.push(self.heartbeat());
            self.last_heartbeat = Instant::now();
        }
        if self.last_status.elapsed() >= STATUS_INTERVAL {
            let (r, f) = (self.received, self.flushed);
            if let Some(repl) = self.repl.as_mut() {
                repl.standby_status(r, f).map_err(lost)?;
            }
            self.last_status = Instant::now();
        }
        Ok(())
    }
}

impl SourceTask for CdcTask {
    fn start(&mut self, offsets: &dyn OffsetLookup) -> Result<(), ConnectError> {
        let exported = self.open()?;
        let offset = offsets.offset(&self.partition);
        // A streaming offset has no `snapshot` key; a snapshot offset says whether it completed.
        let snapshot_done = offset.as_ref().is_some_and(|o| {
            o.get("snapshot").is_none()
                || o.get("snapshot_completed").and_then(Json::as_bool) == Some(true)
        });
        if let Some(o) = &offset {
            self.last_commit_lsn = o.get("lsn_commit").and_then(Json::as_u64);
            if o.get("snapshot").is_none() || snapshot_done {
                let lsn = o.get("lsn").and_then(Json::as_u64).unwrap_or(0);
                let xid = o.get("txId").and_then(Json::as_i64).unwrap_or(-1);
                if o.get("messageType").is_some() {
                    self.resume = Some((self.last_commit_lsn, lsn, xid));
                } else {
                    self.skip_until = lsn;
                }
            }
        }
        let snapshot = match self.config.snapshot_mode {
            SnapshotMode::NoData => false,
            SnapshotMode::Always => true,
            _ => !snapshot_done,
        };
        if snapshot {
            self.begin_snapshot(exported)?;
        } else {
            self.phase = Phase::Streaming;
            // Nothing uses the exported snapshot: release it by streaming.
        }
        if matches!(self.phase, Phase::Streaming) {
            self.start_streaming()?;
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        match self.phase {
            Phase::Snapshot(_) => {
                let out = self.poll_snapshot()?;
                if matches!(self.phase, Phase::Streaming) {
                    self.start_streaming()?;
                }
                Ok(out)
            }
            Phase::Streaming if self.reconnect => {
                if let Err(e) = self.reopen() {
                    // Debezium waits `retriable.restart.connector.wait.ms` between attempts.
                    std::thread::sleep(Duration::from_secs(1));
                    return Err(e);
                }
                Ok(Vec::new())
            }
            Phase::Streaming => self.poll_stream(),
            Phase::Done | Phase::NotStarted => {
                std::thread::sleep(Duration::from_millis(self.config.poll_interval_ms));
                Ok(Vec::new())
            }
        }
    }

    fn commit_record(
        &mut self,
        record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> Result<(), ConnectError> {
        if record.source_offset.get("messageType").is_none() {
            return Ok(());
        }
        let Some(xid) = record.source_offset.get("txId").and_then(Json::as_i64) else {
            return Ok(());
        };
        if let Some(tr) = self
            .tracked
            .iter_mut()
            .find(|t| t.xid == xid && t.outstanding > 0)
        {
            tr.outstanding -= 1;
        }
        self.advance_confirmed();
        Ok(())
    }

    /// Only the offset's `txId` and `messageType` are read.
    fn commit_record_reads_data(&self) -> bool {
        false
    }

    fn commit(&mut self) -> Result<(), ConnectError> {
        // Every acknowledged record's offset is durable now: the slot may move past the
        // transactions whose records all are.
        if self.acked_end > self.flushed {
            let (r, f) = (self.received.max(self.acked_end), self.acked_end);
            if let Some(repl) = self.repl.as_mut().filter(|c| c.in_copy) {
                repl.standby_status(r, f).map_err(|e| {
                    debezium("Unable to confirm the flushed LSN").with_cause(psql(&e))
                })?;
                self.flushed = f;
                self.last_status = Instant::now();
            }
        }
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(r) = self.repl.take() {
            r.close();
        }
        if let Some(mut q) = self.query.take() {
            if self.config.slot_drop_on_stop {
                // The WAL sender lets go of the slot as it exits; retry briefly.
                for _ in 0..20 {
                    if q.query(&format!(
                        "SELECT pg_drop_replication_slot({})",
                        literal(&self.config.slot_name)
                    ))
                    .is_ok()
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            q.close();
        }
    }
}
