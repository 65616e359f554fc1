//! What the engine remembers between messages: per connection, per session setup in
//! progress, per session.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::auth::AuthMessages;
use crate::auth::credentials::{Key16, SecretBytes};
use crate::capture::Timestamp;
use crate::crypto::keys::{Cipher, Dialect, PreauthHash, SessionKeys};
use crate::crypto::sign::SigningAlgorithm;
use crate::flow::{ConnId, Endpoints};
use crate::model::{Connection, KeySource, KeyUsed, Protocol, Session, VerdictCounts};

#[derive(Debug)]
pub struct ConnState {
    pub opened: bool,
    pub info: Connection,
    pub dialect: Option<Dialect>,
    /// The NEGOTIATE response named a dialect not known here (its DialectRevision): no key
    /// or algorithm can be chosen for the connection's messages.
    pub unknown_dialect: Option<u16>,
    pub signing: Option<SigningAlgorithm>,
    pub cipher: Option<Cipher>,
    /// SMB 3.1.1 preauth integrity hash of the connection (after NEGOTIATE).
    pub preauth: PreauthHash,
    /// The NEGOTIATE request that starts `preauth` was captured whole (not lost, not before
    /// the capture began): without it 3.1.1 keys cannot be derived.
    pub preauth_started: bool,
    /// Bytes of this connection were never captured, or cut where no message header was
    /// read (a gap in either direction).
    pub lost_bytes: bool,
    /// SMB2 session setups in progress on this connection.
    pub setups: Vec<Setup>,
    /// MessageIds of SESSION_SETUP responses seen before their requests (data held back
    /// behind a hole), the latest few: an exchange they belong to cannot be replayed.
    pub early_setup_responses: VecDeque<u64>,
    /// Signatures of signed requests awaiting their final response, by MessageId (the
    /// oldest dropped past `MAX_PENDING_SIGNATURES`): a response that carries its request's
    /// signature is an echo, not a signature.
    pub request_signatures: BTreeMap<u64, [u8; 16]>,
    /// Requests awaiting their responses (requests.rs).
    pub requests: super::requests::Requests,
    /// The server this connection speaks to: its endpoint, or, once bound to a session on
    /// another endpoint of the same server, that session's endpoint.
    pub server_id: SocketAddr,
    pub smb1: Smb1Conn,
    /// The NEGOTIATE as FSCTL_VALIDATE_NEGOTIATE_INFO must repeat it (validate.rs).
    pub validation: super::validate::Validation,
}

/// Bound on `ConnState::request_signatures`.
pub const MAX_PENDING_SIGNATURES: usize = 4096;

impl Default for ConnState {
    fn default() -> Self {
        let nowhere = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        ConnState {
            opened: false,
            info: Connection {
                id: 0,
                client: nowhere,
                server: nowhere,
                first_frame: 0,
                first_ts: Timestamp::default(),
                dialect: None,
                client_guid: None,
                server_guid: None,
                signing_required: false,
                signing_algorithm: None,
                cipher: None,
                closed: false,
                messages: 0,
                signed: 0,
                commands: Default::default(),
                session_requests: Default::default(),
                interfaces: Vec::new(),
                tcp: Default::default(),
                negotiate_validated: None,
            },
            dialect: None,
            unknown_dialect: None,
            signing: None,
            cipher: None,
            preauth: PreauthHash::new(),
            preauth_started: false,
            lost_bytes: false,
            setups: Vec::new(),
            early_setup_responses: VecDeque::new(),
            request_signatures: BTreeMap::new(),
            requests: Default::default(),
            server_id: nowhere,
            smb1: Smb1Conn::default(),
            validation: Default::default(),
        }
    }
}

impl ConnState {
    pub fn new(id: ConnId, endpoints: Endpoints, frame: u64, ts: Timestamp) -> Self {
        let mut c = ConnState {
            opened: true,
            ..ConnState::default()
        };
        c.info.id = id;
        c.info.client = endpoints.client;
        c.info.server = endpoints.server;
        c.server_id = endpoints.server;
        c.info.first_frame = frame;
        c.info.first_ts = ts;
        c
    }

    /// How a channel is named in problems: `#1 127.0.0.1:50112`.
    pub fn channel_name(&self) -> String {
        format!("connection #{} {}", self.info.id, self.info.client)
    }
}

/// An SMB2 SESSION_SETUP exchange in progress (MS-SMB2 3.2.5.3, 3.3.5.5).
#[derive(Debug)]
pub struct Setup {
    /// 0 until the server's first response names the session.
    pub session_id: u64,
    /// MessageId of the latest request, to match the response that assigns the id.
    pub last_request: u64,
    pub binding: bool,
    pub first_frame: u64,
    /// Verdict of the latest request (for a binding: checked with the session's key).
    pub request_verdict: Option<crate::model::Verdict>,
    /// 3.1.1: the connection's hash, then every request and non-final response.
    pub preauth: PreauthHash,
    pub auth: AuthMessages,
}

/// The signing key of a bound channel.
#[derive(Debug, Clone)]
pub struct ChannelKey {
    pub key: Key16,
    /// The frame of the binding's final response (the logon that gave the key).
    pub logon_frame: u64,
}

/// Sessions are per server (MS-SMB2 3.3.1.8: the server's GlobalSessionTable): the same
/// SessionId on two servers is two sessions. A server is its endpoint (address and port): a
/// relay on one host answers on another port.
pub type SessionRef = (SocketAddr, u64);

/// A key, the algorithm it signs with, and what to call it in reports.
#[derive(Debug, Clone)]
pub struct SigningChoice {
    pub key: Key16,
    pub algorithm: SigningAlgorithm,
    pub used: KeyUsed,
}

#[derive(Debug)]
pub struct Smb2Session {
    pub info: Session,
    pub dialect: Option<Dialect>,
    /// Keys of the session's first authentication (its first channel). A re-authentication
    /// changes none of them (MS-SMB2 3.2.5.3.2, 3.3.5.5.2).
    pub keys: Option<SessionKeys>,
    /// The signing algorithm of the connection the session was created on: the session's
    /// signing key signs under it on every connection that is not (yet) a channel of its own,
    /// binding exchanges included (MS-SMB2 3.3.5.5.3; Samba keeps the algorithm with the key).
    pub algorithm: Option<SigningAlgorithm>,
    /// A first authentication succeeded (or the session was seen in use): a later
    /// SESSION_SETUP without the BINDING flag is a re-authentication.
    pub established: bool,
    /// The frame of the first logon's final response.
    pub logon_frame: u64,
    /// The frame of the LOGOFF response, once the session was logged off.
    pub logged_off: Option<u64>,
    /// A request signed after the LOGOFF was reported already.
    pub signed_after_logoff: bool,
    /// Signing keys of bound channels, by connection (MS-SMB2 3.2.5.3.1 Channel.SigningKey).
    pub channel_keys: HashMap<ConnId, ChannelKey>,
    /// Channels bound without a key smbcheck could derive (binding not replayed): they
    /// sign with a key of their own, so the session's key must not check them.
    pub unkeyed_channels: HashSet<ConnId>,
    /// The session key itself, for `--export-keys`.
    pub session_key: Option<SecretBytes>,
    pub findings: super::findings::Findings,
}

impl Smb2Session {
    pub fn new(id: u64, server: SocketAddr, first_frame: u64) -> Self {
        Smb2Session {
            info: new_session(id, server, Protocol::Smb2, first_frame),
            dialect: None,
            keys: None,
            algorithm: None,
            established: false,
            logon_frame: first_frame,
            logged_off: None,
            signed_after_logoff: false,
            channel_keys: HashMap::new(),
            unkeyed_channels: HashSet::new(),
            session_key: None,
            findings: Default::default(),
        }
    }

    /// The key that signs traffic of this session on `conn`, whose negotiated algorithm is
    /// `conn_alg` (MS-SMB2 3.2.4.1.1, 3.3.4.1.1): the channel's own key once bound, the
    /// session's signing key on its first channel. On a connection the capture did not show
    /// becoming a channel (its binding lost or held back) the key is unknown.
    pub fn channel_choice(
        &self,
        conn: ConnId,
        conn_alg: Option<SigningAlgorithm>,
    ) -> Option<SigningChoice> {
        if let Some(c) = self.channel_keys.get(&conn) {
            return Some(SigningChoice {
                key: c.key.clone(),
                algorithm: conn_alg?,
                used: KeyUsed::Channel {
                    conn,
                    logon_frame: c.logon_frame,
                },
            });
        }
        if self.unkeyed_channels.contains(&conn) || !self.info.channels.contains(&conn) {
            return None;
        }
        self.session_choice(conn_alg.or(self.algorithm))
    }

    /// The session's signing key under `algorithm` (the session's own, unless given).
    pub fn session_choice(&self, algorithm: Option<SigningAlgorithm>) -> Option<SigningChoice> {
        Some(SigningChoice {
            key: self.keys.as_ref()?.signing.clone(),
            algorithm: algorithm.or(self.algorithm)?,
            used: KeyUsed::Session {
                logon_frame: self.logon_frame,
            },
        })
    }

    /// Forgets every key: the SessionId was logged off and names a new session now.
    pub fn reset_keys(&mut self) {
        self.keys = None;
        self.session_key = None;
        self.algorithm = None;
        self.established = false;
        self.channel_keys.clear();
        self.unkeyed_channels.clear();
        self.info.channels.clear();
    }

    /// Whether `conn` is one of the session's channels (its first, or bound).
    pub fn is_channel(&self, conn: ConnId) -> bool {
        self.info.channels.contains(&conn)
            || self.channel_keys.contains_key(&conn)
            || self.unkeyed_channels.contains(&conn)
    }

    /// Whether a message on `conn` can be checked with a key known here.
    pub fn has_key_on(&self, conn: ConnId) -> bool {
        self.channel_keys.contains_key(&conn)
            || (self.keys.is_some()
                && self.info.channels.contains(&conn)
                && !self.unkeyed_channels.contains(&conn))
    }
}

pub fn new_session(id: u64, server: SocketAddr, protocol: Protocol, first_frame: u64) -> Session {
    Session {
        id,
        server,
        protocol,
        user: None,
        domain: None,
        workstation: None,
        auth: None,
        dialect: None,
        signing: None,
        key_source: KeySource::None,
        key_detail: None,
        password_check: None,
        logon_status: None,
        first_frame,
        channels: Vec::new(),
        counts: VerdictCounts::default(),
        reauthentications: 0,
        logged_off: None,
        ntlm_mic: None,
        mech_list_mic: None,
        reauth_logons: Vec::new(),
    }
}

/// SMB1 signing runs per connection (MS-CIFS 3.2.4.1.1): one MAC key, one sequence counter.
#[derive(Debug, Default)]
pub struct Smb1Conn {
    /// Dialect strings of the NEGOTIATE request (the response names one by index).
    pub dialects: Vec<String>,
    /// Challenge of the NEGOTIATE response (raw NTLM without extended security).
    pub challenge: Option<[u8; 8]>,
    pub signing_required: bool,
    /// Set once a logon's final response carried a MAC: from then on every message does.
    pub signing_active: bool,
    /// The MAC key, when the logon that started signing could be replayed.
    pub mac_key: Option<SecretBytes>,
    /// The frame of the logon response that started signing.
    pub mac_logon_frame: u64,
    /// Next sequence number a request takes.
    pub next_seq: u32,
    /// Bytes were lost (packet loss, capture drops): whole requests, or the logon response
    /// that restarts the numbering, may have gone with them, so `next_seq` is a lower bound
    /// until a request verifies again.
    pub seq_lost: bool,
    /// Sequence numbers of requests awaiting responses, by (PID, MID).
    pub pending: HashMap<(u32, u16), u32>,
    /// Extended-security session setup in progress.
    pub setup: Option<AuthMessages>,
    /// A logon (other than guest or anonymous) succeeded on this connection.
    pub logged_on: bool,
    /// Raw-NTLM session setup request awaiting its response.
    pub raw_logon: Option<super::auth::RawLogon>,
}

#[derive(Debug)]
pub struct Smb1Session {
    pub info: Session,
}
