//! A classic Kafka group member for protocol type `connect` (Apache's `AbstractCoordinator`
//! for `WorkerCoordinator`): FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup
//! over one TCP connection to the group coordinator. Messages are encoded and decoded by the
//! `kafka-protocol` crate; this module frames them and follows the group's state.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, FindCoordinatorRequest, FindCoordinatorResponse, GroupId, HeartbeatRequest,
    HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse,
    RequestHeader, ResponseHeader, SyncGroupRequest, SyncGroupResponse,
    join_group_request::JoinGroupRequestProtocol, leave_group_request::MemberIdentity,
    sync_group_request::SyncGroupRequestAssignment,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const PROTOCOL_TYPE: &str = "connect";

const FIND_COORDINATOR_VERSION: i16 = 3;
const JOIN_GROUP_VERSION: i16 = 7;
const SYNC_GROUP_VERSION: i16 = 5;
const HEARTBEAT_VERSION: i16 = 4;
const LEAVE_GROUP_VERSION: i16 = 4;

// Kafka error codes this member reacts to.
const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
const COORDINATOR_NOT_AVAILABLE: i16 = 15;
const NOT_COORDINATOR: i16 = 16;
const ILLEGAL_GENERATION: i16 = 22;
const UNKNOWN_MEMBER_ID: i16 = 25;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;
const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("cannot reach Kafka at {addr}: {source}; check bootstrap.servers")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed {what} from the group coordinator: {reason}")]
    Decode { what: &'static str, reason: String },
    /// The coordinator moved or is loading: find it again.
    #[error("the group coordinator is not available (error {0}); retrying")]
    Coordinator(i16),
    /// The group is rebalancing, or this member's generation/id is stale: join again.
    #[error("the group is rebalancing (error {0}); rejoining")]
    Rejoin(i16),
    #[error(
        "group {group}: the other members use protocols this worker does not offer (INCONSISTENT_GROUP_PROTOCOL); check connect.protocol and group.id"
    )]
    Inconsistent { group: String },
    #[error("group request {what} failed with Kafka error code {code}")]
    Other { what: &'static str, code: i16 },
}

impl GroupError {
    fn from_code(what: &'static str, code: i16, group: &str) -> GroupError {
        match code {
            COORDINATOR_LOAD_IN_PROGRESS | COORDINATOR_NOT_AVAILABLE | NOT_COORDINATOR => {
                GroupError::Coordinator(code)
            }
            ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID | REBALANCE_IN_PROGRESS => {
                GroupError::Rejoin(code)
            }
            INCONSISTENT_GROUP_PROTOCOL => GroupError::Inconsistent {
                group: group.to_owned(),
            },
            _ => GroupError::Other { what, code },
        }
    }
}

/// One framed Kafka connection.
struct Connection {
    addr: String,
    stream: TcpStream,
    correlation: i32,
}

impl Connection {
    async fn open(addr: &str) -> Result<Connection, GroupError> {
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .map_err(|_| GroupError::Io {
                addr: addr.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
            })?
            .map_err(|source| GroupError::Io {
                addr: addr.to_owned(),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            addr: addr.to_owned(),
            stream,
            correlation: 0,
        })
    }

    async fn call<Req, Resp>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, GroupError>
    where
        Req: Encodable + HeaderVersion,
        Resp: Decodable + HeaderVersion,
    {
        let what = key_name(key);
        self.correlation = self.correlation.wrapping_add(1);
        let mut header = RequestHeader::default();
        header.request_api_key = key as i16;
        header.request_api_version = version;
        header.correlation_id = self.correlation;
        header.client_id = Some(StrBytes::from_static_str("connect-worker"));
        let mut body = BytesMut::new();
        let enc = |e: anyhow::Error| GroupError::Decode {
            what,
            reason: format!("cannot encode: {e}"),
        };
        header
            .encode(&mut body, Req::header_version(version))
            .map_err(enc)?;
        request.encode(&mut body, version).map_err(enc)?;
        let mut frame = Vec::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        let io = |source| GroupError::Io {
            addr: self.addr.clone(),
            source,
        };
        let exchange = async {
            self.stream.write_all(&frame).await?;
            let size = self.stream.read_i32().await?;
            if !(0..=64 << 20).contains(&size) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("response size {size}"),
                ));
            }
            let mut buf = vec![0u8; size as usize];
            self.stream.read_exact(&mut buf).await?;
            Ok(buf)
        };
        let buf = match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Err(io(e)),
            Err(_) => {
                return Err(io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("{what} timed out"),
                )));
            }
        };
        let mut buf = Bytes::from(buf);
        let dec = |e: anyhow::Error| GroupError::Decode {
            what,
            reason: e.to_string(),
        };
        let rh = ResponseHeader::decode(&mut buf, Resp::header_version(version)).map_err(dec)?;
        if rh.correlation_id != self.correlation {
            return Err(GroupError::Decode {
                what,
                reason: format!(
                    "correlation id {} where {} was expected",
                    rh.correlation_id, self.correlation
                ),
            });
        }
        let resp = Resp::decode(&mut buf, version).map_err(dec)?;
        let _ = buf.remaining();
        Ok(resp)
    }
}

fn key_name(key: ApiKey) -> &'static str {
    match key {
        ApiKey::FindCoordinator => "FindCoordinator",
        ApiKey::JoinGroup => "JoinGroup",
        ApiKey::SyncGroup => "SyncGroup",
        ApiKey::Heartbeat => "Heartbeat",
        ApiKey::LeaveGroup => "LeaveGroup",
        _ => "request",
    }
}

/// Group membership settings.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub group_id: String,
    pub bootstrap: Vec<String>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
}

/// What JoinGroup answered.
#[derive(Debug, Clone)]
pub struct Joined {
    pub generation: i32,
    pub member_id: String,
    pub leader_id: String,
    pub protocol: String,
    /// Every member's id and metadata; only the leader receives them.
    pub members: Vec<(String, Bytes)>,
}

impl Joined {
    pub fn is_leader(&self) -> bool {
        self.leader_id == self.member_id
    }
}

/// A member of one group.
pub struct GroupMember {
    settings: GroupSettings,
    coordinator: Option<Connection>,
    member_id: String,
    generation: i32,
    protocol: String,
}

impl GroupMember {
    pub fn new(settings: GroupSettings) -> GroupMember {
        GroupMember {
            settings,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            protocol: String::new(),
        }
    }

    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    fn request_timeout(&self) -> Duration {
        self.settings.rebalance_timeout + Duration::from_secs(5)
    }

    /// Finds the coordinator through any bootstrap server and connects to it.
    async fn coordinator(&mut self) -> Result<&mut Connection, GroupError> {
        if self.coordinator.is_none() {
            let mut last = None;
            for addr in &self.settings.bootstrap {
                let mut conn = match Connection::open(addr).await {
                    Ok(c) => c,
                    Err(e) => {
                        last = Some(e);
                        continue;
                    }
                };
                let mut req = FindCoordinatorRequest::default();
                req.key = StrBytes::from_string(self.settings.group_id.clone());
                req.key_type = 0;
                let resp: FindCoordinatorResponse = match conn
                    .call(
                        ApiKey::FindCoordinator,
                        FIND_COORDINATOR_VERSION,
                        &req,
                        Duration::from_secs(30),
                    )
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        last = Some(e);
                        continue;
                    }
                };
                if resp.error_code != 0 {
                    last = Some(GroupError::from_code(
                        "FindCoordinator",
                        resp.error_code,
                        &self.settings.group_id,
                    ));
                    continue;
                }
                let target = format!("{}:{}", &*resp.host, resp.port);
                self.coordinator = Some(if target == *addr {
                    conn
                } else {
                    Connection::open(&target).await?
                });
                tracing::info!(
                    "Discovered group coordinator {target} for group {}",
                    self.settings.group_id
                );
                break;
            }
            if self.coordinator.is_none() {
                return Err(last.unwrap_or(GroupError::Coordinator(COORDINATOR_NOT_AVAILABLE)));
            }
        }
        self.coordinator
            .as_mut()
            .ok_or(GroupError::Coordinator(COORDINATOR_NOT_AVAILABLE))
    }

    /// Drops the coordinator connection after an error that calls for finding it again.
    pub fn forget_coordinator(&mut self, e: &GroupError) {
        if matches!(
            e,
            GroupError::Coordinator(_) | GroupError::Io { .. } | GroupError::Decode { .. }
        ) {
            self.coordinator = None;
        }
        if let GroupError::Rejoin(UNKNOWN_MEMBER_ID) = e {
            self.member_id.clear();
            self.generation = -1;
        }
    }

    /// JoinGroup with these protocols (name, metadata), most preferred first.
    pub async fn join(&mut self, protocols: &[(&str, Bytes)]) -> Result<Joined, GroupError> {
        loop {
            let mut req = JoinGroupRequest::default();
            req.group_id = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
            req.session_timeout_ms = self.settings.session_timeout.as_millis() as i32;
            req.rebalance_timeout_ms = self.settings.rebalance_timeout.as_millis() as i32;
            req.member_id = StrBytes::from_string(self.member_id.clone());
            req.protocol_type = StrBytes::from_static_str(PROTOCOL_TYPE);
            req.protocols = protocols
                .iter()
                .map(|(name, meta)| {
                    let mut p = JoinGroupRequestProtocol::default();
                    p.name = StrBytes::from_string((*name).to_owned());
                    p.metadata = meta.clone();
                    p
                })
                .collect();
            let timeout = self.request_timeout();
            let group = self.settings.group_id.clone();
            let resp: JoinGroupResponse = self
                .coordinator()
                .await?
                .call(ApiKey::JoinGroup, JOIN_GROUP_VERSION, &req, timeout)
                .await?;
            match resp.error_code {
                0 => {}
                MEMBER_ID_REQUIRED => {
                    // KIP-394: the first join only hands out the member id.
                    self.member_id = resp.member_id.to_string();
                    continue;
                }
                UNKNOWN_MEMBER_ID => {
                    self.member_id.clear();
                    continue;
                }
                code => return Err(GroupError::from_code("JoinGroup", code, &group)),
            }
            self.member_id = resp.member_id.to_string();
            self.generation = resp.generation_id;
            self.protocol = resp
                .protocol_name
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            return Ok(Joined {
                generation: resp.generation_id,
                member_id: self.member_id.clone(),
                leader_id: resp.leader.to_string(),
                protocol: self.protocol.clone(),
                members: resp
                    .members
                    .into_iter()
                    .map(|m| (m.member_id.to_string(), m.metadata))
                    .collect(),
            });
        }
    }

    /// SyncGroup: the leader sends every member's assignment; every member gets its own.
    pub async fn sync(&mut self, assignments: Vec<(String, Bytes)>) -> Result<Bytes, GroupError> {
        let mut req = SyncGroupRequest::default();
        req.group_id = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
        req.generation_id = self.generation;
        req.member_id = StrBytes::from_string(self.member_id.clone());
        req.protocol_type = Some(StrBytes::from_static_str(PROTOCOL_TYPE));
        req.protocol_name = Some(StrBytes::from_string(self.protocol.clone()));
        req.assignments = assignments
            .into_iter()
            .map(|(m, a)| {
                let mut x = SyncGroupRequestAssignment::default();
                x.member_id = StrBytes::from_string(m);
                x.assignment = a;
                x
            })
            .collect();
        let timeout = self.request_timeout();
        let group = self.settings.group_id.clone();
        let resp: SyncGroupResponse = self
            .coordinator()
            .await?
            .call(ApiKey::SyncGroup, SYNC_GROUP_VERSION, &req, timeout)
            .await?;
        if resp.error_code != 0 {
            return Err(GroupError::from_code("SyncGroup", resp.error_code, &group));
        }
        Ok(resp.assignment)
    }

    pub async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let mut req = HeartbeatRequest::default();
        req.group_id = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
        req.generation_id = self.generation;
        req.member_id = StrBytes::from_string(self.member_id.clone());
        let timeout = self.settings.session_timeout;
        let group = self.settings.group_id.clone();
        let resp: HeartbeatResponse = self
            .coordinator()
            .await?
            .call(ApiKey::Heartbeat, HEARTBEAT_VERSION, &req, timeout)
            .await?;
        if resp.error_code != 0 {
            return Err(GroupError::from_code("Heartbeat", resp.error_code, &group));
        }
        Ok(())
    }

    /// LeaveGroup, so the others rebalance at once instead of after the session timeout.
    pub async fn leave(&mut self) -> Result<(), GroupError> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let mut req = LeaveGroupRequest::default();
        req.group_id = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
        let mut m = MemberIdentity::default();
        m.member_id = StrBytes::from_string(self.member_id.clone());
        m.reason = Some(StrBytes::from_static_str("the consumer is being closed"));
        req.members = vec![m];
        let group = self.settings.group_id.clone();
        let resp: LeaveGroupResponse = self
            .coordinator()
            .await?
            .call(
                ApiKey::LeaveGroup,
                LEAVE_GROUP_VERSION,
                &req,
                Duration::from_secs(5),
            )
            .await?;
        self.member_id.clear();
        self.generation = -1;
        if resp.error_code != 0 {
            return Err(GroupError::from_code("LeaveGroup", resp.error_code, &group));
        }
        Ok(())
    }
}
