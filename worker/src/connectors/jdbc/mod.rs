//! Confluent's JDBC connectors (`io.confluent.connect.jdbc`), taking Confluent's configs
//! unchanged: [`dialect`] is the database layer they share (URLs, dialects, connections,
//! metadata, SQL errors shaped like Java's), [`sink`] the `JdbcSinkConnector`, [`source`] the
//! `JdbcSourceConnector`.

pub mod dialect;
pub mod sink;
pub mod source;
