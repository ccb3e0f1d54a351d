//! `connect-worker`: a Kafka Connect worker in Rust, compatible with Apache Kafka Connect's REST
//! API, configuration keys, plugin class names and DLQ format.
//!
//! Known differences from Apache Kafka Connect 4.3.1, each deliberate or not yet done:
//! - Standalone mode: connectors created over REST are not persisted across restarts
//!   (as in Apache standalone without `connector.config` files). Source offsets are persisted,
//!   as JSON (offsets-topic key/value encoding) rather than Java serialization.
//! - Distributed mode ([`distributed`]) speaks Apache's group protocol and internal topic
//!   formats, and joins groups of Apache workers, with these differences:
//!   - All three protocols are offered (`sessioned`, `compatible`, `default`, down from
//!     `connect.protocol`), and a group with Apache workers runs the newest every member offers
//!     (tested with `connect.protocol` = eager, compatible and sessioned on the Apache side).
//!     The leader's incremental assignor follows Apache's `IncrementalCooperativeAssignor`;
//!     where Apache iterates hash maps (the order in which load-balancing revocations take
//!     from the busiest members), members and items are taken in sorted order here, so with
//!     the same input the two may revoke and hand out different (equally balanced) items.
//!   - Under `sessioned` the leader writes the session key with
//!     `inter.worker.key.generation.algorithm` (HmacSHA256, HmacSHA384 or HmacSHA512; Apache
//!     accepts any MAC the JVM offers) and rotates it after `inter.worker.key.ttl.ms`;
//!     `inter.worker.key.size` is not read (keys have the JVM's default size for the algorithm).
//!   - Under the eager protocol, any change of the config topic that alters what runs makes a
//!     connect-worker rejoin, so the group rebalances (every worker stops and restarts its
//!     work); Apache restarts a reconfigured connector on its worker without a rebalance. Under
//!     the incremental protocols both do the same: a changed connector config restarts the
//!     connector where it runs, a target state change is applied in place, and new connectors
//!     and new task configs are handed out by a rebalance that moves nothing else.
//!   - Exactly-once source support (`exactly.once.source.support`, KIP-618) follows Apache:
//!     transactional task producers with the offsets in the transaction, zombie fencing by the
//!     leader (`tasks-fencing-*` records, `PUT /connectors/{c}/fence`), transactional
//!     config-topic writes by the leader. Differences: producers are fenced by initialising a
//!     producer per transactional id (what `Admin.fenceProducers` asks of the broker, one
//!     client per id); `transaction.boundary=connector` fails the task, as no
//!     connector here defines its own boundaries; records a source task sends to its DLQ are
//!     outside the transaction. A worker that fails 5 rounds in a row to read the
//!     config topic to its assignment's offset leaves the group for `worker.unsync.backoff.ms`,
//!     as Apache does (not tested: it needs a config topic that cannot be read). Cluster-wide logger levels (`PUT /admin/loggers/{n}?scope=cluster`,
//!     `logger-cluster-*` records) are written and applied as Apache does.
//!   - Offsets alteration and reset run on the leader (requests are forwarded) through the
//!     standalone herder's code, tested in a group of one (the REST conformance suite against
//!     a distributed worker), not yet across several workers; Apache also fences zombies
//!     before altering an exactly-once source connector's offsets, which is not done here.
//!   - Under the eager protocol every rebalance stops and restarts all work, so a FAILED task
//!     runs again after any config change in the group and fails again on its record (sending
//!     it to the DLQ once more if one is configured), as on Apache's eager workers.
//!   - FAILED and UNASSIGNED statuses are written as Apache's `putSafe` writes them (not over
//!     another worker's status of a later generation, judged from this worker's view of the
//!     status topic, as in Apache). An offsets key whose partition map has several fields is
//!     written in this worker's JSON key order, which may differ from the Java worker's, so
//!     compaction may keep both keys.
//! - Stack frames in traces name the Rust source file (`JsonConverter.toConnectData(json.rs)`);
//!   exception classes, messages and the `Caused by:` chain follow Apache.
//! - Parser messages of malformed JSON (REST bodies, JsonConverter input) are serde_json's, not
//!   Jackson's; the status codes and the surrounding messages are Apache's. Jackson's mapping
//!   errors (a JSON value of the wrong kind) are Apache's without the parser location
//!   (`at [Source: ...; line: L, column: C]`).
//! - `GET /` reports this worker's build as `commit`; worker ids are this worker's host:port.
//! - Transforms: all of Apache's (Cast, ExtractField, Flatten, HeaderFrom, HoistField,
//!   InsertField, MaskField, ReplaceField, SetSchemaMetadata, TimestampConverter, each `$Key` and
//!   `$Value`; TimestampRouter, ValueToKey, RegexRouter, InsertHeader, DropHeaders, Filter) and
//!   the three predicates. Regexes are Rust's `regex` syntax; `SimpleDateFormat` patterns are
//!   formatted and parsed in UTC with English names (the `en` locale), with the Julian calendar
//!   before 1582-10-15 as in Java; InsertHeader sends its literal as a string (Apache infers a
//!   type, which SimpleHeaderConverter writes as the same text). Map key order follows Java 17's
//!   `HashMap` except for keys without a known Java hash (structs, arrays, bytes) and buckets
//!   Java turns into trees; an InsertField config error prints `InsertionSpec@<hash>` with a
//!   hash of our own where Java prints an identity hash.
//!   SimpleHeaderConverter reads header values as strings without inferring a schema.
//! - Decimals are limited to 128-bit unscaled values; `decimal.format=NUMERIC` goes through f64.
//! - Resetting single sink partitions (`PATCH .../offsets` with a null offset) reads the group's
//!   other offsets, deletes the group and commits them again (librdkafka cannot delete single
//!   offsets); the outcome is Apache's. `DELETE .../offsets` deletes the group, as Apache does.
//! - `GET /metrics` (Prometheus text) is an addition; Apache exposes JMX.
//! - An unknown `connector.class` gets the message of Apache's first lookup on every request;
//!   Apache caches the failure and, from the second request for the same name on, wraps it in
//!   `org.apache.kafka.connect.errors.ConnectException: `. An answer here depends on the request
//!   alone.
//! - Sink consumers default to `session.timeout.ms=10000` (Apache's worker inherits the Java
//!   consumer's 45 s), so a worker restarted after a SIGKILL resumes within seconds; the first
//!   sink offset commits after a start or an assignment come after 1 s, 2 s, 4 s... up to
//!   `offset.flush.interval.ms` (Apache commits at that interval from the start).
//! - Logging: lines follow Apache's `connect-log4j2` pattern (`[%d] %p %X{connector.context}%m
//!   (%c)`, see [`logging`]) on stderr rather than stdout, with UTC timestamps. Logger names
//!   are Apache's class names for the parts that mirror an Apache class and the module path
//!   otherwise; `/admin/loggers` lists the worker's loggers (fewer than a JVM's hundreds of
//!   classes), and its levels filter what the worker logs. librdkafka's messages are not
//!   logged; the HTTP server's (axum) are, under their module path (`axum.serve`). In standalone mode both
//!   `scope`s change this worker only (there is no cluster to tell).
//! - Request bodies are read up to 64 MiB and a larger one is answered 413 with Connect's JSON
//!   error body; Apache reads any size its heap holds. Jackson's own limits are applied with
//!   Apache's 500: a string over 20,000,000 chars and a key over 50,000 chars, the message naming
//!   the whole length where Jackson names the length at which its buffer passed the limit, and
//!   without Jackson's `(through reference chain: ...)`. JSON nested deeper than 128 levels is
//!   refused by serde_json's parser (Jackson's limit is 1,000), with a 500 as for any malformed
//!   JSON.
//! - Request targets: Jetty 12's URI checks are reproduced (encoded `/`, `%`, `.`/`..` segments,
//!   control characters and `\`, NUL, bad UTF-8, empty segments, 414 above 8,187 bytes) with
//!   Jetty's status, title and message; the page's footer names this worker instead of Jetty.
//!   Jetty's 8 KiB bound covers the request line and the headers together (a long target with
//!   large headers gets 431); here the target alone is bounded, and headers by hyper's own
//!   limit. Raw `.`/`..` segments are not resolved as Jetty resolves them.
//! - Source connectors take a dead letter queue too (`errors.deadletterqueue.topic.name`,
//!   `.topic.replication.factor`, `.context.headers.enable`), which Apache offers to sink
//!   connectors only; validation and `/connector-plugins/{p}/config` list the three keys after
//!   every key Apache lists. A source record that fails in a transform or in the key, value or header
//!   converter is written there, then skipped under `errors.tolerance=all` or, under `none`,
//!   the task fails, as for sink records; its source offset is committed once the DLQ has it.
//!   The DLQ record is the record as the task returned it (a transform failed) or as it was
//!   being converted (a converter failed), with its key, value and header values written by the
//!   connector's converters, so a replay writes what the worker would have; a part whose
//!   converter fails is written as schemaless JSON instead (bytes in base64, decimals as
//!   strings, a null as a Kafka null). Of the ten context headers, `topic` is the record's
//!   topic, `partition` the partition the connector chose or -1, and `offset` -1: the record
//!   never reached Kafka. `connectctl dlq inspect` shows such an origin as
//!   `topic (source record)`; `dlq replay` sends the records back to their topic and, as -1
//!   identifies no record, does not drop them as duplicates of each other.
//! - JDBC sink (`io.confluent.connect.jdbc.JdbcSinkConnector`, against Confluent's source):
//!   PostgreSQL and MariaDB/MySQL only, with built-in drivers (no JDBC jars); any other URL fails
//!   with `No suitable driver found`, and `dialect.name` other than `PostgreSqlDatabaseDialect` /
//!   `MySqlDatabaseDialect` is refused. PostgreSQL connections have no TLS (`sslmode=require` and
//!   stricter are refused with a message); MariaDB/MySQL error classes follow MariaDB
//!   Connector/J for both `jdbc:mariadb:` and `jdbc:mysql:` URLs. Rows are sent as multi-row
//!   statements with literal values (PostgreSQL inserts through `COPY`), not bound per record, so
//!   a driver error names the batch's statement rather than `Batch entry N ...`. Records need a
//!   Struct value (Confluent's newer String-value mode, `string.output.value.column.name`, is not
//!   there, so its message is the older "non-null Struct value and non-null Struct schema" one);
//!   ARRAY fields are refused like MAP and STRUCT (Confluent maps arrays on PostgreSQL).
//!   Unqualified table names resolve in `current_schema()` (Confluent's metadata lookup
//!   searches every schema). `date.calendar.system`
//!   is proleptic Gregorian; `timestamp.fields.list`, `timestamp.precision.mode`, `table.types`,
//!   `jdbc.credentials.provider.class`, `trim.sensitive.log` and `mssql.use.merge.holdlock` are
//!   not defined. No per-task JDBC metrics (rows, batches, retries, latency) yet: the worker's
//!   `/metrics` serves its generic task counters only. `exactly.once.insert` is an addition; on
//!   MariaDB/MySQL a `put` that creates or alters a table is not one transaction (DDL commits
//!   implicitly there), so exactly-once holds from the first batch after the table exists.
//! - JDBC source (`io.confluent.connect.jdbc.JdbcSourceConnector`, against Confluent's source):
//!   the same two databases and drivers as the sink. Rows are read through the driver's text
//!   protocol and converted here; a column type without a Confluent mapping is skipped with a
//!   warning, as Confluent does. `timestamp.granularity` other than `connect_logical`,
//!   `jdbc.credentials.provider.class` other than the default and `SQL_SERVER_SNAPSHOT` are
//!   refused with a message; `max.buffer.size`, `poll.linger.ms` and `date.calendar.system` are
//!   parsed and have no effect (dates are proleptic Gregorian). Without exactly-once source
//!   support in this worker, a SIGKILL repeats the rows read after the last offset commit, in
//!   every mode (Confluent's source on a JVM worker without exactly-once support does the same).
//!   Bulk-mode records carry an empty offset (`{}`) under the `{"table": t}` partition, since
//!   the plugin API has no null offset; Confluent's are null, which a JVM worker stores as a
//!   tombstone, so `GET /connectors/{c}/offsets` lists that partition here and not there.
//!   Validation checks the keys and their combinations as Confluent's does but opens no
//!   connection (Confluent's tries one and puts `Could not connect to database. ...` on
//!   `connection.url`, refusing the create): a bad URL, login or database fails the connector
//!   when it starts instead.
//! - PostgreSQL CDC (`io.debezium.connector.postgresql.PostgresConnector`) writes Debezium
//!   3.6.1's topics, keys, values, schemas and offsets; `worker/tests/cdc.rs` compares them record
//!   by record with the real Debezium's and allows only: `ts_ms`/`ts_us`/`ts_ns` (of the envelope
//!   and of `source`), `source.name` and the prefix in schema names (each connector's
//!   `topic.prefix`), and for snapshot records (`op` = `r`) `source.lsn`, `source.txId` and
//!   `source.sequence` (each connector snapshots at its own WAL position). Known differences
//!   from Debezium otherwise:
//!   - Only the `pgoutput` plugin is decoded (`decoderbufs`, Debezium's default, fails at slot
//!     creation as with a server that lacks it). Transaction metadata
//!     (`provide.transaction.metadata`), incremental snapshots, signals, `message.key.columns`,
//!     custom snapshotters and Debezium's other keys are not supported; unknown keys are ignored.
//!   - Column types without a mapping here (arrays, money, geometric types, ranges, enums, bit
//!     strings, hstore, ltree, PostGIS) are left out of the events, where Debezium maps them.
//!     TOASTed values that did not change are `__debezium_unavailable_value` for text and bytes
//!     and null otherwise.
//!   - A new or altered table's nullability and defaults are read from the catalog when its
//!     Relation message arrives (the catalog of that moment, not of the change's WAL position).
//!   - After a crash the changes of the transaction in the stored offset up to its `lsn` are
//!     skipped; a primary key change (delete + create at one LSN) may be repeated whole where
//!     Debezium counts the events of an LSN. `when_needed` snapshots as `initial`.
//!   - With a slot that already exists (a restart during a snapshot, `snapshot.mode=always`) the
//!     snapshot is an ordinary REPEATABLE READ transaction and streaming skips the transactions
//!     committed before the LSN read in it, so a transaction committing at that instant may be
//!     missed or doubled; a new slot's exported snapshot has neither gap nor duplicate.
//!   - A broken connection is retried by the task itself every second (a `RetriableException`
//!     logged each time) where Debezium restarts the task after
//!     `retriable.restart.connector.wait.ms`. With nothing pending the slot follows the server's
//!     keepalive position; a heartbeat's offset is the position read so far.

pub mod config;
pub mod connectors;
pub mod converters;
pub mod distributed;
pub mod logging;
pub mod plugin;
pub mod registry;
pub mod rest;
pub mod runtime;
pub mod transforms;
pub mod validation;

// The data model and errors live in `connect-plugin-api` so plugins need nothing else; these
// paths keep `crate::data` and `crate::error` working across the worker.
pub use connect_plugin_api::{data, error};

/// The Apache Kafka Connect release whose REST API and behaviour this worker implements. Reported
/// as `version` by `GET /` so that clients that gate features on the Connect version (stop,
/// offsets, PATCH config) see what they can use; `commit` names this worker's own build.
pub const CONNECT_API_VERSION: &str = "4.3.1";
