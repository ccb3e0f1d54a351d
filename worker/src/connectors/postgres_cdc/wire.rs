//! A small blocking client for PostgreSQL's frontend/backend protocol, enough for change data
//! capture: start-up with password, MD5 or SCRAM-SHA-256 authentication, simple queries with
//! text results, and the streaming replication sub-protocol (a `replication=database`
//! connection, `CREATE_REPLICATION_SLOT`, `START_REPLICATION ... LOGICAL` in CopyBoth mode and
//! standby status updates). The driver crates have no logical replication mode, and a blocking
//! socket suits the worker's task threads (no runtime of its own).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
pub const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// A failure: either the server's error response or a transport problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgError {
    /// An `ErrorResponse`: severity (`ERROR`, `FATAL`), SQLSTATE and message.
    Server {
        severity: String,
        code: String,
        message: String,
    },
    Io(String),
    Protocol(String),
}

impl PgError {
    /// The text the JDBC driver's `PSQLException` shows: `ERROR: message`.
    pub fn psql_message(&self) -> String {
        match self {
            PgError::Server {
                severity, message, ..
            } => format!("{severity}: {message}"),
            PgError::Io(m) => format!("An I/O error occurred while sending to the backend: {m}"),
            PgError::Protocol(m) => m.clone(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            PgError::Server { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.psql_message())
    }
}

impl std::error::Error for PgError {}

impl From<io::Error> for PgError {
    fn from(e: io::Error) -> PgError {
        PgError::Io(e.to_string())
    }
}

pub type PgResult<T> = Result<T, PgError>;

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub connect_timeout: Duration,
}

/// A column of a query result: name and type OID.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
}

/// A query result in text format; `None` is SQL NULL.
#[derive(Debug, Default)]
pub struct Rows {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// The first row's value of column `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        let i = self.columns.iter().position(|c| c.name == name)?;
        self.rows.first()?.get(i)?.as_deref()
    }
}

/// One backend message: its tag and body.
struct Msg {
    tag: u8,
    body: Vec<u8>,
}

/// What the replication stream hands out.
#[derive(Debug)]
pub enum StreamMsg {
    /// `XLogData`: the WAL position of the message and the pgoutput message.
    XLogData { wal_start: u64, data: Vec<u8> },
    /// `Primary keepalive`: the server's WAL end and whether it asks for a reply now.
    Keepalive { wal_end: u64, reply: bool },
}

pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    pub in_copy: bool,
}

fn cstr(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(s.as_bytes());
    buf.push(0);
}

fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(tag);
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The fields of an ErrorResponse or NoticeResponse.
fn error_fields(body: &[u8]) -> PgError {
    let (mut severity, mut code, mut message) = (String::new(), String::new(), String::new());
    let mut rest = body;
    while let Some((&t, tail)) = rest.split_first() {
        if t == 0 {
            break;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let v = String::from_utf8_lossy(&tail[..end]).into_owned();
        match t {
            b'V' => severity = v,
            b'S' if severity.is_empty() => severity = v,
            b'C' => code = v,
            b'M' => message = v,
            _ => {}
        }
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    PgError::Server {
        severity,
        code,
        message,
    }
}

fn be_u32(b: &[u8], at: usize) -> PgResult<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| PgError::Protocol("truncated message from the server".into()))
}

fn be_u64(b: &[u8], at: usize) -> PgResult<u64> {
    b.get(at..at + 8)
        .map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_be_bytes(a)
        })
        .ok_or_else(|| PgError::Protocol("truncated message from the server".into()))
}

impl Connection {
    /// Connects and authenticates; `replication` opens a WAL sender connection
    /// (`replication=database`) that takes both SQL and replication commands.
    pub fn connect(p: &ConnectParams, replication: bool) -> PgResult<Connection> {
        let addrs: Vec<_> = (p.host.as_str(), p.port)
            .to_socket_addrs()
            .map_err(|e| PgError::Io(format!("{}:{}: {e}", p.host, p.port)))?
            .collect();
        let mut last = PgError::Io(format!("{}:{}: no address", p.host, p.port));
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, p.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => {
                    last = PgError::Io(format!("Connection to {}:{} refused: {e}", p.host, p.port))
                }
            }
        }
        let stream = stream.ok_or(last)?;
        stream.set_nodelay(true)?;
        let mut c = Connection {
            stream,
            buf: Vec::with_capacity(64 * 1024),
            in_copy: false,
        };
        let mut body = Vec::new();
        body.extend_from_slice(&196_608i32.to_be_bytes());
        for (k, v) in [
            ("user", p.user.as_str()),
            ("database", p.dbname.as_str()),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO"),
            ("TimeZone", "UTC"),
            ("extra_float_digits", "3"),
            ("application_name", "connect-worker"),
        ] {
            cstr(&mut body, k);
            cstr(&mut body, v);
        }
        if replication {
            cstr(&mut body, "replication");
            cstr(&mut body, "database");
        }
        body.push(0);
        let mut start = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        start.extend_from_slice(&body);
        c.stream.write_all(&start)?;
        c.authenticate(p)?;
        // Parameter statuses and the backend key until ReadyForQuery.
        loop {
            let m = c.read_msg()?;
            match m.tag {
                b'Z' => break,
                b'E' => return Err(error_fields(&m.body)),
                _ => {}
            }
        }
        Ok(c)
    }

    fn authenticate(&mut self, p: &ConnectParams) -> PgResult<()> {
        let password = p.password.clone().unwrap_or_default();
        let mut scram: Option<ScramSha256> = None;
        loop {
            let m = self.read_msg()?;
            match m.tag {
                b'E' => return Err(error_fields(&m.body)),
                b'R' => {}
                t => {
                    return Err(PgError::Protocol(format!(
                        "unexpected message {} during authentication",
                        t as char
                    )));
                }
            }
            let kind = be_u32(&m.body, 0)?;
            match kind {
                0 => return Ok(()),
                3 => {
                    let mut b = Vec::new();
                    cstr(&mut b, &password);
                    self.send(b'p', &b)?;
                }
                5 => {
                    let salt = [m.body[4], m.body[5], m.body[6], m.body[7]];
                    let hash = md5_hash(p.user.as_bytes(), password.as_bytes(), salt);
                    let mut b = Vec::new();
                    cstr(&mut b, &hash);
                    self.send(b'p', &b)?;
                }
                10 => {
                    let mechanisms = String::from_utf8_lossy(&m.body[4..]).into_owned();
                    if !mechanisms.split('\0').any(|x| x == SCRAM_SHA_256) {
                        return Err(PgError::Protocol(format!(
                            "The server requested SASL mechanisms {mechanisms:?}; only SCRAM-SHA-256 is supported"
                        )));
                    }
                    let s = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
                    let mut b = Vec::new();
                    cstr(&mut b, SCRAM_SHA_256);
                    b.extend_from_slice(&(s.message().len() as i32).to_be_bytes());
                    b.extend_from_slice(s.message());
                    self.send(b'p', &b)?;
                    scram = Some(s);
                }
                11 => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| PgError::Protocol("SASL continue without a start".into()))?;
                    s.update(&m.body[4..])
                        .map_err(|e| PgError::Protocol(format!("SCRAM authentication: {e}")))?;
                    let msg = s.message().to_vec();
                    self.send(b'p', &msg)?;
                }
                12 => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| PgError::Protocol("SASL final without a start".into()))?;
                    s.finish(&m.body[4..])
                        .map_err(|e| PgError::Protocol(format!("SCRAM authentication: {e}")))?;
                }
                other => {
                    return Err(PgError::Protocol(format!(
                        "The authentication type {other} is not supported."
                    )));
                }
            }
        }
    }

    fn send(&mut self, tag: u8, body: &[u8]) -> PgResult<()> {
        self.stream.write_all(&frame(tag, body))?;
        Ok(())
    }

    /// Reads one whole message, blocking (subject to the socket's read timeout).
    fn read_msg(&mut self) -> PgResult<Msg> {
        loop {
            if self.buf.len() >= 5 {
                let len = be_u32(&self.buf, 1)? as usize;
                if self.buf.len() > len {
                    let tag = self.buf[0];
                    let body = self.buf[5..1 + len].to_vec();
                    self.buf.drain(..1 + len);
                    return Ok(Msg { tag, body });
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(PgError::Io("the server closed the connection".into()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Runs one or more statements with the simple query protocol; returns the rows of the
    /// last statement that returned rows.
    pub fn query(&mut self, sql: &str) -> PgResult<Rows> {
        let mut b = Vec::new();
        cstr(&mut b, sql);
        self.send(b'Q', &b)?;
        let mut out = Rows::default();
        let mut err = None;
        loop {
            let m = self.read_msg()?;
            match m.tag {
                b'T' => {
                    out = Rows::default();
                    let n = u16::from_be_bytes([m.body[0], m.body[1]]) as usize;
                    let mut at = 2;
                    for _ in 0..n {
                        let end = at + m.body[at..].iter().position(|&b| b == 0).unwrap_or(0);
                        let name = String::from_utf8_lossy(&m.body[at..end]).into_owned();
                        let type_oid = be_u32(&m.body, end + 1 + 6)?;
                        out.columns.push(Column { name, type_oid });
                        at = end + 1 + 18;
                    }
                }
                b'D' => {
                    let n = u16::from_be_bytes([m.body[0], m.body[1]]) as usize;
                    let mut at = 2;
                    let mut row = Vec::with_capacity(n);
                    for _ in 0..n {
                        let len = be_u32(&m.body, at)? as i32;
                        at += 4;
                        if len < 0 {
                            row.push(None);
                        } else {
                            let end = at + len as usize;
                            let v = m.body.get(at..end).ok_or_else(|| {
                                PgError::Protocol("truncated data row from the server".into())
                            })?;
                            row.push(Some(String::from_utf8_lossy(v).into_owned()));
                            at = end;
                        }
                    }
                    out.rows.push(row);
                }
                b'E' => err = Some(error_fields(&m.body)),
                b'Z' => break,
                b'W' => {
                    // START_REPLICATION answered: the stream follows.
                    self.in_copy = true;
                    return Ok(out);
                }
                _ => {}
            }
        }
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Reads the next replication message, or `None` when nothing came within `timeout`.
    pub fn next_stream_msg(&mut self, timeout: Duration) -> PgResult<Option<StreamMsg>> {
        if self.buf.len() < 5 || self.buf.len() <= be_u32(&self.buf, 1)? as usize {
            self.stream
                .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(PgError::Io("the server closed the connection".into())),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
            self.stream.set_read_timeout(None)?;
            if self.buf.len() < 5 || self.buf.len() <= be_u32(&self.buf, 1)? as usize {
                // Part of a message: read the rest, blocking.
            }
        }
        let m = self.read_msg()?;
        match m.tag {
            b'd' => match m.body.first() {
                Some(b'w') => Ok(Some(StreamMsg::XLogData {
                    wal_start: be_u64(&m.body, 1)?,
                    data: m.body[25..].to_vec(),
                })),
                Some(b'k') => Ok(Some(StreamMsg::Keepalive {
                    wal_end: be_u64(&m.body, 1)?,
                    reply: m.body.get(17) == Some(&1),
                })),
                _ => Ok(None),
            },
            b'E' => Err(error_fields(&m.body)),
            b'c' => {
                self.in_copy = false;
                Err(PgError::Io(
                    "the server ended the replication stream".into(),
                ))
            }
            _ => Ok(None),
        }
    }

    /// Sends a standby status update: everything up to `flushed` is durable on our side, so
    /// the server may advance the slot's confirmed position.
    pub fn standby_status(&mut self, received: u64, flushed: u64) -> PgResult<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
            - PG_EPOCH_OFFSET_MICROS;
        let mut b = Vec::with_capacity(34);
        b.push(b'r');
        b.extend_from_slice(&received.to_be_bytes());
        b.extend_from_slice(&flushed.to_be_bytes());
        b.extend_from_slice(&flushed.to_be_bytes());
        b.extend_from_slice(&now.to_be_bytes());
        b.push(0);
        self.stream.set_read_timeout(None)?;
        self.send(b'd', &b)
    }

    /// Ends the session politely.
    pub fn close(mut self) {
        if self.in_copy {
            let _ = self.send(b'c', &[]);
        }
        let _ = self.send(b'X', &[]);
    }
}

/// `LSN{X/Y}` text as PostgreSQL prints it, from its 64-bit value.
pub fn lsn_text(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff)
}

/// Parses `X/Y` into the 64-bit LSN.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Quotes an SQL identifier.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_round_trip() {
        assert_eq!(parse_lsn("0/19299D0"), Some(0x19299D0));
        assert_eq!(lsn_text(0x1_0000_00AB), "1/AB");
        assert_eq!(parse_lsn("x"), None);
    }

    #[test]
    fn error_response_fields() {
        let body = b"SERROR\0VERROR\0C55006\0Mreplication slot \"s\" is active for PID 1\0\0";
        let e = error_fields(body);
        assert_eq!(
            e.psql_message(),
            "ERROR: replication slot \"s\" is active for PID 1"
        );
        assert_eq!(e.code(), Some("55006"));
    }
}
