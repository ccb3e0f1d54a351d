//! Decoding of the `pgoutput` logical replication messages (protocol version 1): Begin,
//! Commit, Origin, Relation, Type, Insert, Update, Delete and Truncate. Column values arrive in
//! PostgreSQL's text format, the same as a snapshot query returns them, so one converter
//! (`types.rs`) serves both.

/// A column of a tuple.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    /// A TOASTed value that did not change and was not sent.
    Unchanged,
    Text(String),
}

/// A column of a relation as the Relation message describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelColumn {
    pub key: bool,
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub oid: u32,
    pub namespace: String,
    pub name: String,
    /// `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    pub columns: Vec<RelColumn>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Begin {
        final_lsn: u64,
        /// Microseconds since 2000-01-01.
        commit_ts: i64,
        xid: u32,
    },
    Commit {
        commit_lsn: u64,
        end_lsn: u64,
        commit_ts: i64,
    },
    Origin,
    Relation(Relation),
    Type,
    Insert {
        rel: u32,
        new: Vec<Datum>,
    },
    Update {
        rel: u32,
        /// The old key (`K`) or the whole old row (`O`, REPLICA IDENTITY FULL).
        old: Option<Vec<Datum>>,
        new: Vec<Datum>,
    },
    Delete {
        rel: u32,
        old: Vec<Datum>,
    },
    Truncate {
        rels: Vec<u32>,
    },
    Other(u8),
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| format!("truncated pgoutput message at byte {}", self.at))?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn i16(&mut self) -> R<i16> {
        let s = self.take(2)?;
        Ok(i16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> R<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }
    fn cstr(&mut self) -> R<String> {
        let rest = &self.b[self.at.min(self.b.len())..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string in pgoutput message")?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.at += end + 1;
        Ok(s)
    }
    fn tuple(&mut self) -> R<Vec<Datum>> {
        let n = self.i16()?.max(0) as usize;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(match self.u8()? {
                b'n' => Datum::Null,
                b'u' => Datum::Unchanged,
                b't' | b'b' => {
                    let len = self.u32()? as usize;
                    Datum::Text(String::from_utf8_lossy(self.take(len)?).into_owned())
                }
                k => return Err(format!("unknown tuple column kind {:?}", k as char)),
            });
        }
        Ok(out)
    }
}

pub fn decode(b: &[u8]) -> Result<Message, String> {
    let mut r = Reader { b, at: 0 };
    let tag = r.u8()?;
    Ok(match tag {
        b'B' => Message::Begin {
            final_lsn: r.u64()?,
            commit_ts: r.u64()? as i64,
            xid: r.u32()?,
        },
        b'C' => {
            let _flags = r.u8()?;
            Message::Commit {
                commit_lsn: r.u64()?,
                end_lsn: r.u64()?,
                commit_ts: r.u64()? as i64,
            }
        }
        b'O' => Message::Origin,
        b'Y' => Message::Type,
        b'R' => {
            let oid = r.u32()?;
            let namespace = r.cstr()?;
            let name = r.cstr()?;
            let replica_identity = r.u8()?;
            let n = r.i16()?.max(0) as usize;
            let mut columns = Vec::with_capacity(n);
            for _ in 0..n {
                let flags = r.u8()?;
                let name = r.cstr()?;
                let type_oid = r.u32()?;
                let type_modifier = r.u32()? as i32;
                columns.push(RelColumn {
                    key: flags & 1 == 1,
                    name,
                    type_oid,
                    type_modifier,
                });
            }
            Message::Relation(Relation {
                oid,
                namespace: if namespace.is_empty() {
                    "pg_catalog".into()
                } else {
                    namespace
                },
                name,
                replica_identity,
                columns,
            })
        }
        b'I' => {
            let rel = r.u32()?;
            let _n = r.u8()?;
            Message::Insert {
                rel,
                new: r.tuple()?,
            }
        }
        b'U' => {
            let rel = r.u32()?;
            let mut kind = r.u8()?;
            let mut old = None;
            if kind == b'K' || kind == b'O' {
                old = Some(r.tuple()?);
                kind = r.u8()?;
            }
            if kind != b'N' {
                return Err(format!("unexpected update tuple kind {:?}", kind as char));
            }
            Message::Update {
                rel,
                old,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let rel = r.u32()?;
            let _kind = r.u8()?;
            Message::Delete {
                rel,
                old: r.tuple()?,
            }
        }
        b'T' => {
            let n = r.u32()? as usize;
            let _options = r.u8()?;
            let mut rels = Vec::with_capacity(n);
            for _ in 0..n {
                rels.push(r.u32()?);
            }
            Message::Truncate { rels }
        }
        other => Message::Other(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_relation_and_update_with_old_row() {
        let mut rel = vec![b'R'];
        rel.extend_from_slice(&16384u32.to_be_bytes());
        rel.extend_from_slice(b"public\0t\0f");
        rel.extend_from_slice(&2i16.to_be_bytes());
        rel.push(1);
        rel.extend_from_slice(b"id\0");
        rel.extend_from_slice(&23u32.to_be_bytes());
        rel.extend_from_slice(&(-1i32).to_be_bytes());
        rel.push(0);
        rel.extend_from_slice(b"v\0");
        rel.extend_from_slice(&25u32.to_be_bytes());
        rel.extend_from_slice(&(-1i32).to_be_bytes());
        let Message::Relation(r) = decode(&rel).unwrap() else {
            panic!()
        };
        assert_eq!(r.columns[0].name, "id");
        assert!(r.columns[0].key && !r.columns[1].key);
        assert_eq!(r.replica_identity, b'f');

        let mut up = vec![b'U'];
        up.extend_from_slice(&16384u32.to_be_bytes());
        up.push(b'O');
        up.extend_from_slice(&2i16.to_be_bytes());
        up.extend_from_slice(b"t\0\0\0\x011n");
        up.push(b'N');
        up.extend_from_slice(&2i16.to_be_bytes());
        up.extend_from_slice(b"t\0\0\0\x011u");
        assert_eq!(
            decode(&up).unwrap(),
            Message::Update {
                rel: 16384,
                old: Some(vec![Datum::Text("1".into()), Datum::Null]),
                new: vec![Datum::Text("1".into()), Datum::Unchanged],
            }
        );
        assert!(decode(b"I\0").is_err());
    }
}
