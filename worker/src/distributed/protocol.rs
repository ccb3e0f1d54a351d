//! Apache Kafka Connect's member metadata and assignment byte layouts (`ConnectProtocol` for
//! `default`, `IncrementalCooperativeConnectProtocol` for `compatible` and `sessioned`). They
//! travel inside JoinGroup and SyncGroup as opaque bytes, in Kafka's own primitive types
//! (big-endian int16/int32/int64, int16-length strings, int32-length nullable bytes, int32-count
//! arrays). The `kafka-protocol` crate keeps its primitive codecs private, so the few
//! primitives are written here with `bytes`.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes};

/// Task number that stands for the connector itself in an assignment.
pub const CONNECTOR_TASK: i32 = -1;
/// `Assignment.NO_ERROR`.
pub const NO_ERROR: i16 = 0;
/// `Assignment.CONFIG_MISMATCH`: the leader was behind on the config topic.
pub const CONFIG_MISMATCH: i16 = 1;

/// The group protocols, by the names Apache's `ConnectProtocolCompatibility` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// `default`: eager, version 0.
    Eager,
    /// `compatible`: incremental cooperative, version 1.
    Compatible,
    /// `sessioned`: incremental cooperative with signed internal requests, version 2.
    Sessioned,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Eager => "default",
            Protocol::Compatible => "compatible",
            Protocol::Sessioned => "sessioned",
        }
    }

    pub fn from_name(name: &str) -> Option<Protocol> {
        match name {
            "default" | "eager" => Some(Protocol::Eager),
            "compatible" => Some(Protocol::Compatible),
            "sessioned" => Some(Protocol::Sessioned),
            _ => None,
        }
    }

    /// The protocol of a version number (`None` for one this worker does not know).
    pub fn from_version(version: i16) -> Option<Protocol> {
        match version {
            0 => Some(Protocol::Eager),
            1 => Some(Protocol::Compatible),
            2 => Some(Protocol::Sessioned),
            _ => None,
        }
    }

    pub fn version(self) -> i16 {
        match self {
            Protocol::Eager => 0,
            Protocol::Compatible => 1,
            Protocol::Sessioned => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("malformed Connect group {what}: {reason}")]
pub struct ProtocolError {
    what: &'static str,
    reason: String,
}

/// Reads Kafka primitive types, failing (not panicking) on truncated input.
struct Reader {
    buf: Bytes,
    what: &'static str,
}

impl Reader {
    fn need(&self, n: usize) -> Result<(), ProtocolError> {
        if self.buf.remaining() < n {
            return Err(ProtocolError {
                what: self.what,
                reason: format!(
                    "truncated: {n} more bytes expected, {} left",
                    self.buf.remaining()
                ),
            });
        }
        Ok(())
    }
    fn i16(&mut self) -> Result<i16, ProtocolError> {
        self.need(2)?;
        Ok(self.buf.get_i16())
    }
    fn i32(&mut self) -> Result<i32, ProtocolError> {
        self.need(4)?;
        Ok(self.buf.get_i32())
    }
    fn i64(&mut self) -> Result<i64, ProtocolError> {
        self.need(8)?;
        Ok(self.buf.get_i64())
    }
    fn string(&mut self) -> Result<String, ProtocolError> {
        let n = self.i16()?;
        if n < 0 {
            return Err(ProtocolError {
                what: self.what,
                reason: "null string".into(),
            });
        }
        self.need(n as usize)?;
        let b = self.buf.split_to(n as usize);
        String::from_utf8(b.to_vec()).map_err(|_| ProtocolError {
            what: self.what,
            reason: "string is not UTF-8".into(),
        })
    }
    fn nullable_bytes(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(None);
        }
        self.need(n as usize)?;
        Ok(Some(self.buf.split_to(n as usize)))
    }
    fn remaining(&self) -> usize {
        self.buf.remaining()
    }
}

/// What a member says about itself in JoinGroup (`ExtendedWorkerState`).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberMetadata {
    pub version: i16,
    /// The worker's advertised REST URL.
    pub url: String,
    /// How far the worker has read the config topic (next offset to read, -1 for nothing).
    pub config_offset: i64,
    /// The member's previous assignment (V1/V2 only).
    pub allocation: Option<Assignment>,
}

/// An assignment (`ConnectProtocol.Assignment` / `ExtendedAssignment`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assignment {
    pub version: i16,
    pub error: i16,
    pub leader: String,
    pub leader_url: String,
    pub config_offset: i64,
    /// Connector name to task numbers, [`CONNECTOR_TASK`] for the connector itself.
    pub assigned: BTreeMap<String, Vec<i32>>,
    /// V1/V2: what the member must stop.
    pub revoked: BTreeMap<String, Vec<i32>>,
    /// V1/V2: milliseconds until the leader's scheduled rebalance.
    pub delay: i32,
}

impl Assignment {
    pub fn connectors(&self) -> Vec<String> {
        names(&self.assigned, true)
    }
    pub fn tasks(&self) -> Vec<(String, u32)> {
        tasks(&self.assigned)
    }
    pub fn revoked_connectors(&self) -> Vec<String> {
        names(&self.revoked, true)
    }
    pub fn revoked_tasks(&self) -> Vec<(String, u32)> {
        tasks(&self.revoked)
    }
    pub fn is_empty(&self) -> bool {
        self.assigned.is_empty() && self.revoked.is_empty()
    }
}

fn names(map: &BTreeMap<String, Vec<i32>>, connector: bool) -> Vec<String> {
    map.iter()
        .filter(|(_, t)| t.contains(&CONNECTOR_TASK) == connector)
        .map(|(c, _)| c.clone())
        .collect()
}

fn tasks(map: &BTreeMap<String, Vec<i32>>) -> Vec<(String, u32)> {
    map.iter()
        .flat_map(|(c, ts)| {
            ts.iter()
                .filter(|t| **t >= 0)
                .map(move |t| (c.clone(), *t as u32))
        })
        .collect()
}

fn put_i16(buf: &mut Vec<u8>, v: i16) {
    buf.put_i16(v);
}
fn put_i32(buf: &mut Vec<u8>, v: i32) {
    buf.put_i32(v);
}
fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.put_i64(v);
}
fn put_str(buf: &mut Vec<u8>, v: &str) {
    buf.put_i16(v.len() as i16);
    buf.put_slice(v.as_bytes());
}

/// Serializes metadata for `protocol` (V0 for `default`; V1/V2 with the allocation otherwise).
pub fn encode_metadata(
    protocol: Protocol,
    url: &str,
    config_offset: i64,
    allocation: Option<&Assignment>,
) -> Bytes {
    let mut buf = Vec::new();
    put_i16(&mut buf, protocol.version());
    put_str(&mut buf, url);
    put_i64(&mut buf, config_offset);
    if protocol != Protocol::Eager {
        let alloc = allocation
            .filter(|a| !a.is_empty() || !a.leader.is_empty())
            .map(|a| encode_assignment(protocol, a));
        match alloc {
            Some(a) => {
                buf.put_i32(a.len() as i32);
                buf.put_slice(&a);
            }
            None => buf.put_i32(-1),
        }
    }
    buf.into()
}

/// Reads any version's metadata; extra trailing fields of later versions are ignored, as
/// Apache's schemas tolerate them.
pub fn decode_metadata(bytes: &[u8]) -> Result<MemberMetadata, ProtocolError> {
    let mut r = Reader {
        buf: Bytes::copy_from_slice(bytes),
        what: "member metadata",
    };
    let version = r.i16()?;
    if version < 0 {
        return Err(ProtocolError {
            what: "member metadata",
            reason: format!("unsupported version {version}"),
        });
    }
    let url = r.string()?;
    let config_offset = r.i64()?;
    let allocation = if version >= 1 && r.remaining() >= 4 {
        match r.nullable_bytes()? {
            Some(a) => Some(decode_assignment(&a)?),
            None => None,
        }
    } else {
        None
    };
    Ok(MemberMetadata {
        version,
        url,
        config_offset,
        allocation,
    })
}

fn put_array(buf: &mut Vec<u8>, map: &BTreeMap<String, Vec<i32>>) {
    put_i32(buf, map.len() as i32);
    for (connector, tasks) in map {
        put_str(buf, connector);
        put_i32(buf, tasks.len() as i32);
        for t in tasks {
            put_i32(buf, *t);
        }
    }
}

/// Serializes an assignment in the layout of `protocol`'s version.
pub fn encode_assignment(protocol: Protocol, a: &Assignment) -> Vec<u8> {
    let mut buf = Vec::new();
    put_i16(&mut buf, protocol.version());
    put_i16(&mut buf, a.error);
    put_str(&mut buf, &a.leader);
    put_str(&mut buf, &a.leader_url);
    put_i64(&mut buf, a.config_offset);
    put_array(&mut buf, &a.assigned);
    if protocol != Protocol::Eager {
        put_array(&mut buf, &a.revoked);
        put_i32(&mut buf, a.delay);
    }
    buf
}

fn get_array(r: &mut Reader) -> Result<BTreeMap<String, Vec<i32>>, ProtocolError> {
    let n = r.i32()?;
    let mut out = BTreeMap::new();
    for _ in 0..n.max(0) {
        let connector = r.string()?;
        let count = r.i32()?;
        let mut tasks = Vec::new();
        for _ in 0..count.max(0) {
            tasks.push(r.i32()?);
        }
        out.entry(connector).or_insert_with(Vec::new).extend(tasks);
    }
    Ok(out)
}

/// Reads an assignment of any version (null arrays read as empty).
pub fn decode_assignment(bytes: &[u8]) -> Result<Assignment, ProtocolError> {
    let mut r = Reader {
        buf: Bytes::copy_from_slice(bytes),
        what: "assignment",
    };
    let version = r.i16()?;
    let error = r.i16()?;
    let leader = r.string()?;
    let leader_url = r.string()?;
    let config_offset = r.i64()?;
    let assigned = get_array(&mut r)?;
    let (revoked, delay) = if version >= 1 && r.remaining() >= 4 {
        let revoked = get_array(&mut r)?;
        let delay = if r.remaining() >= 4 { r.i32()? } else { 0 };
        (revoked, delay)
    } else {
        (BTreeMap::new(), 0)
    };
    Ok(Assignment {
        version,
        error,
        leader,
        leader_url,
        config_offset,
        assigned,
        revoked,
        delay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v0_metadata_is_version_url_offset() {
        let b = encode_metadata(Protocol::Eager, "http://h:8083/", 7, None);
        let mut expected = vec![0, 0, 0, 14];
        expected.extend_from_slice(b"http://h:8083/");
        expected.extend_from_slice(&7i64.to_be_bytes());
        assert_eq!(&b[..], &expected[..]);
        let m = decode_metadata(&b).unwrap();
        assert_eq!(
            (m.version, m.url.as_str(), m.config_offset),
            (0, "http://h:8083/", 7)
        );
    }

    #[test]
    fn v1_metadata_carries_a_null_or_previous_allocation() {
        let b = encode_metadata(Protocol::Compatible, "u", -1, None);
        // version, "u", offset, null bytes (-1)
        assert_eq!(
            &b[..],
            &[
                0, 1, 0, 1, b'u', 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255
            ][..]
        );
        let mut a = Assignment {
            version: 1,
            leader: "l".into(),
            leader_url: "lu".into(),
            config_offset: 3,
            ..Default::default()
        };
        a.assigned.insert("c".into(), vec![-1, 0]);
        let b = encode_metadata(Protocol::Sessioned, "u", 3, Some(&a));
        let m = decode_metadata(&b).unwrap();
        let got = m.allocation.unwrap();
        assert_eq!(got.assigned, a.assigned);
        assert_eq!(got.version, 2);
    }

    #[test]
    fn v0_assignment_layout() {
        let mut a = Assignment {
            leader: "m1".into(),
            leader_url: "http://l/".into(),
            config_offset: 5,
            ..Default::default()
        };
        a.assigned.insert("c".into(), vec![CONNECTOR_TASK, 1]);
        let b = encode_assignment(Protocol::Eager, &a);
        let mut x = vec![0, 0, 0, 0, 0, 2, b'm', b'1', 0, 9];
        x.extend_from_slice(b"http://l/");
        x.extend_from_slice(&5i64.to_be_bytes());
        x.extend_from_slice(&[0, 0, 0, 1, 0, 1, b'c', 0, 0, 0, 2]);
        x.extend_from_slice(&(-1i32).to_be_bytes());
        x.extend_from_slice(&1i32.to_be_bytes());
        assert_eq!(b, x);
        let d = decode_assignment(&b).unwrap();
        assert_eq!(d.connectors(), vec!["c".to_owned()]);
        assert_eq!(d.tasks(), vec![("c".to_owned(), 1)]);
    }

    #[test]
    fn v1_assignment_has_revoked_and_delay() {
        let mut a = Assignment {
            version: 1,
            delay: 900,
            ..Default::default()
        };
        a.revoked.insert("r".into(), vec![0]);
        let d = decode_assignment(&encode_assignment(Protocol::Compatible, &a)).unwrap();
        assert_eq!(d.delay, 900);
        assert_eq!(d.revoked_tasks(), vec![("r".to_owned(), 0)]);
        assert!(decode_assignment(&[0, 1, 0]).is_err());
    }
}
