//! What the analysis produces: one record per SMB message, per connection and per session,
//! plus the problems found. The engine (the `smbcheck` crate) fills it in; the reports and
//! the TUI (`smbcheck-tui`) read only this, and `names` is how both spell it.

#![forbid(unsafe_code)]

mod header;
pub mod names;

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;

pub use header::{Header, Smb1Header, Smb2Header, Smb2Ids, TransformHeader};

/// Capture time in nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Index of a TCP connection in capture order (0, 1, 2, ...).
pub type ConnId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    ToServer,
    ToClient,
}

/// Why a signed message could not be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unverified {
    /// No key: no credentials for the user, password mismatch, anonymous, exchange not captured.
    NoKey,
    /// Part of the message was never captured (packet loss).
    LostBytes,
    /// Part of the message was cut by the snap length.
    Truncated,
    /// The message uses something smbcheck cannot check (yet).
    Unsupported,
    /// The message could not be rebuilt (a compression transform that does not expand).
    Malformed,
    /// A response whose signature field is its request's, copied: the server held no
    /// session (or no key) to sign it with, so no key verifies it (Samba's client skips the
    /// check: `signing_skipped` in libcli/smb/smbXcli_base.c).
    Echo,
}

/// Exactly one per SMB message (DESIGN.md, "Verdicts").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Valid,
    Invalid,
    /// No signature was carried.
    Unsigned,
    Unverified(Unverified),
}

impl Verdict {
    pub fn is_signed(self) -> bool {
        self != Verdict::Unsigned
    }
    /// The verdict word of the JSON and text reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unsigned => "unsigned",
            Verdict::Unverified(_) => "unverified",
        }
    }
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Verdict::Unverified(r) => Some(r.name()),
            _ => None,
        }
    }
}

impl Unverified {
    pub fn name(self) -> &'static str {
        match self {
            Unverified::NoKey => "no-key",
            Unverified::LostBytes => "lost-bytes",
            Unverified::Truncated => "truncated",
            Unverified::Unsupported => "unsupported",
            Unverified::Malformed => "malformed",
            Unverified::Echo => "echo",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            Some(r) => write!(f, "{} ({r})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Smb1,
    Smb2,
    /// An SMB3 transform (0xFD) that was not decrypted.
    Transform,
    /// An SMB3 compression transform (0xFC) that could not be decompressed.
    Compressed,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smb1 => "smb1",
            Protocol::Smb2 => "smb2",
            Protocol::Transform => "transform",
            Protocol::Compressed => "compressed",
        }
    }
}

/// One SMB message: an SMB1 header (AndX followers included) or one SMB2 header (each
/// element of a compound is a message of its own).
#[derive(Clone, Debug)]
pub struct Message {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    pub dir: Direction,
    pub protocol: Protocol,
    pub command: u16,
    pub is_response: bool,
    pub session_id: u64,
    pub message_id: u64,
    pub status: u32,
    pub verdict: Verdict,
    /// Signing algorithm (or cipher) used for the check, when one was made.
    pub algorithm: Option<&'static str>,
    /// The key the check used, when one was made.
    pub key: Option<KeyUsed>,
    /// Carried inside an SMB3 transform: its AEAD tag is the verdict.
    pub encrypted: bool,
    /// Carried compressed (a 0xFC transform); the verdict is that of the rebuilt message.
    pub compression: Option<Compression>,
    /// The message's length in bytes (the sink may be given only its first bytes: a long
    /// message read in place from a mapped file, `flow::Tail`).
    pub len: usize,
    /// The file a CREATE (SMB1: a chain with NT_CREATE_ANDX) opens: on the request, and on
    /// the responses that answer it.
    pub file: Option<String>,
    /// For a response: the frame of the request it answers, when the capture holds it (the
    /// engine pairs them per connection by MessageId, SMB1 by PID and MID).
    pub request_frame: Option<u64>,
    /// The header fields as they were on the wire (none for a compression transform that
    /// could not be expanded).
    pub header: Option<Header>,
    /// On the SESSION_SETUP response that ends a logon: the logon's own signatures.
    pub logon: Option<Box<LogonChecks>>,
}

impl Message {
    /// Not an interim response (STATUS_PENDING): a request, or a response that ends its
    /// exchange.
    pub fn is_final(&self) -> bool {
        !(self.is_response && self.status == dissectors::status::STATUS_PENDING)
    }

    /// Whether this response answers `request` (a frame may carry several requests: the
    /// elements of a compound).
    pub fn answers(&self, request: &Message) -> bool {
        self.is_response
            && !request.is_response
            && self.conn == request.conn
            && self.request_frame == Some(request.frame)
            && self.message_id == request.message_id
    }

    /// Where the signature (of a transform: its AEAD tag) sits in the message's bytes, if it
    /// carries one.
    pub fn signature_range(&self) -> Option<Range<usize>> {
        if !self.verdict.is_signed() {
            return None;
        }
        let start = match self.protocol {
            Protocol::Smb2 => dissectors::smb2::SIGNATURE_OFFSET,
            Protocol::Smb1 => dissectors::smb1::SIGNATURE_OFFSET,
            // After the protocol id (MS-SMB2 2.2.41).
            Protocol::Transform => 4,
            Protocol::Compressed => return None,
        };
        let len = if self.protocol == Protocol::Smb1 {
            8
        } else {
            16
        };
        Some(start..start + len)
    }
}

/// Which key checked a message, and the logon it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUsed {
    /// The session's signing key, from its first logon (final response at `logon_frame`).
    Session { logon_frame: u64 },
    /// The signing key of a bound channel, from the binding logon at `logon_frame`.
    Channel { conn: ConnId, logon_frame: u64 },
    /// The SMB1 MAC key of a connection, from the logon at `logon_frame`.
    Smb1Mac { logon_frame: u64 },
    /// The session's encryption or decryption key (an SMB3 transform's AEAD tag).
    Cipher { logon_frame: u64 },
}

impl KeyUsed {
    /// The kind of key, as the JSONL `key` field names it.
    pub fn kind(self) -> &'static str {
        match self {
            KeyUsed::Session { .. } => "session",
            KeyUsed::Channel { .. } => "channel",
            KeyUsed::Smb1Mac { .. } => "mac",
            KeyUsed::Cipher { .. } => "cipher",
        }
    }

    /// The frame of the logon the key came from.
    pub fn logon_frame(self) -> u64 {
        match self {
            KeyUsed::Session { logon_frame }
            | KeyUsed::Channel { logon_frame, .. }
            | KeyUsed::Smb1Mac { logon_frame }
            | KeyUsed::Cipher { logon_frame } => logon_frame,
        }
    }

    /// The bound connection whose own key it is.
    pub fn channel(self) -> Option<ConnId> {
        match self {
            KeyUsed::Channel { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// Why this key is the one that signs the message (for an invalid signature).
    pub fn why(self) -> &'static str {
        match self {
            KeyUsed::Session { .. } => {
                "the session's key signs on its first channel and on a connection not yet \
                 bound to it (MS-SMB2 3.3.5.2.4, 3.3.5.5.3)"
            }
            KeyUsed::Channel { .. } => {
                "a bound channel signs with its own key under its own algorithm \
                 (MS-SMB2 3.2.5.3.1)"
            }
            KeyUsed::Smb1Mac { .. } => {
                "the connection's MAC key with the next sequence number (MS-CIFS 3.1.4.1)"
            }
            KeyUsed::Cipher { .. } => "the session's cipher key for this direction",
        }
    }

    /// `session signing key (logon frame 11)`, `channel key of connection #2 (binding
    /// frame 47)`.
    pub fn describe(self) -> String {
        match self {
            KeyUsed::Session { logon_frame } => {
                format!("session signing key (logon frame {logon_frame})")
            }
            KeyUsed::Channel { conn, logon_frame } => {
                format!("channel key of connection #{conn} (binding frame {logon_frame})")
            }
            KeyUsed::Smb1Mac { logon_frame } => format!("MAC key (logon frame {logon_frame})"),
            KeyUsed::Cipher { logon_frame } => {
                format!("session cipher key (logon frame {logon_frame})")
            }
        }
    }
}

/// How a message travelled compressed (MS-SMB2 2.2.42).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// The chained form (2.2.42.2) rather than the unchained one.
    pub chained: bool,
    /// The algorithms its payloads used (NONE left out), as bits `1 << wire value`; none at
    /// all when every payload went uncompressed.
    pub algorithms: u8,
}

impl Compression {
    /// `LZ4`, `chained LZ77+Pattern_V1`, or `chained NONE`.
    pub fn name(self) -> String {
        let names: Vec<&str> = (0..=5u16)
            .filter(|v| self.algorithms & (1 << v) != 0)
            .filter_map(dissectors::compression::Algorithm::from_wire)
            .map(|a| a.name())
            .collect();
        let names = if names.is_empty() {
            "NONE".to_string()
        } else {
            names.join("+")
        };
        if self.chained {
            format!("chained {names}")
        } else {
            names
        }
    }
}

#[derive(Clone, Debug)]
pub struct Connection {
    pub id: ConnId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_frame: u64,
    pub first_ts: Timestamp,
    pub dialect: Option<String>,
    pub client_guid: Option<String>,
    pub server_guid: Option<String>,
    pub signing_required: bool,
    pub signing_algorithm: Option<&'static str>,
    pub cipher: Option<&'static str>,
    pub closed: bool,
    pub messages: u64,
    pub signed: u64,
    /// Messages per (protocol, command, response).
    pub commands: std::collections::BTreeMap<(Protocol, u16, bool), u64>,
    /// Requests sent on this connection per session id: which channel each request used
    /// (bounded: at most `MAX_SESSIONS_PER_CONNECTION` sessions).
    pub session_requests: std::collections::BTreeMap<u64, u64>,
    /// The latest FSCTL_QUERY_NETWORK_INTERFACE_INFO answer received on this connection.
    pub interfaces: Vec<Interface>,
    /// What TCP did on the connection (issue 23): retransmissions, RST, FIN.
    pub tcp: TcpHealth,
    /// FSCTL_VALIDATE_NEGOTIATE_INFO against the NEGOTIATE the capture shows (SMB2 only).
    pub negotiate_validated: Option<NegotiateValidation>,
}

/// A connection's TCP health: retransmitted segments each way, the first RST and FIN.
#[derive(Clone, Debug, Default)]
pub struct TcpHealth {
    pub retransmissions_to_server: u64,
    pub retransmissions_to_client: u64,
    /// The first RST: frame, time, sent by the server.
    pub rst: Option<(u64, Timestamp, bool)>,
    /// The first FIN: frame, time, sent by the server.
    pub fin: Option<(u64, Timestamp, bool)>,
}

/// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.2.5.14.12, 3.3.5.15.12) of a connection,
/// compared with its NEGOTIATE request and response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NegotiateValidation {
    /// Every validation seen (their response frames) matched.
    Valid { frames: Vec<u64> },
    /// A validation whose values differ from the NEGOTIATE: at `frame`, in `fields`.
    Mismatch { frame: u64, fields: Vec<String> },
    /// SMB 3.0 or 3.0.2 with no validation in the capture.
    Absent,
    /// Not needed: why (3.1.1's preauth hash; 2.0.2/2.1 with none sent).
    NotApplicable(String),
    /// A validation that could not be compared: why.
    Unverified(String),
}

impl NegotiateValidation {
    pub fn name(&self) -> &'static str {
        match self {
            NegotiateValidation::Valid { .. } => "valid",
            NegotiateValidation::Mismatch { .. } => "mismatch",
            NegotiateValidation::Absent => "absent",
            NegotiateValidation::NotApplicable(_) => "not-applicable",
            NegotiateValidation::Unverified(_) => "unverified",
        }
    }
    pub fn detail(&self) -> Option<String> {
        match self {
            NegotiateValidation::Valid { frames } => Some(format!(
                "frame{} {}",
                if frames.len() == 1 { "" } else { "s" },
                frames
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            NegotiateValidation::Mismatch { frame, fields } => {
                Some(format!("frame {frame}: {} differ", fields.join(", ")))
            }
            NegotiateValidation::Absent => None,
            NegotiateValidation::NotApplicable(w) | NegotiateValidation::Unverified(w) => {
                Some(w.clone())
            }
        }
    }
}

/// Bound on `Connection::session_requests`.
pub const MAX_SESSIONS_PER_CONNECTION: usize = 4096;

/// How the keys of a session were obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Password,
    NtHash,
    SessionKey,
    /// Kerberos: the service key from a keytab decrypted the ticket.
    Keytab,
    /// Kerberos: the password decrypted the captured AS-REP, its TGT the TGS-REP.
    KdcExchange,
    None,
}

impl KeySource {
    pub fn name(self) -> &'static str {
        match self {
            KeySource::Password => "password",
            KeySource::NtHash => "nt-hash",
            KeySource::SessionKey => "session-key",
            KeySource::Keytab => "keytab",
            KeySource::KdcExchange => "password-via-kdc",
            KeySource::None => "none",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct VerdictCounts {
    pub messages: u64,
    pub signed: u64,
    pub valid: u64,
    pub invalid: u64,
    pub unverified: u64,
    pub unsigned: u64,
    /// SMB3 transforms (0xFD) seen, and how many of them decrypted with a valid tag. The
    /// messages inside a decrypted transform are counted in `messages` one by one.
    pub encrypted: u64,
    pub decrypted: u64,
    /// SMB2 compression transforms (0xFC) seen, and how many of them expanded to an SMB2
    /// message; the messages they carried are counted in `messages`.
    pub compressed: u64,
    pub decompressed: u64,
    /// Bytes of the messages whose signature (or AEAD tag) was checked, valid or invalid:
    /// what the MACs ran over. Kept in the capture's summary only.
    pub verified_bytes: u64,
}

impl VerdictCounts {
    pub fn add_transform(&mut self, decrypted: bool) {
        self.encrypted += 1;
        self.decrypted += u64::from(decrypted);
    }

    pub fn add_compressed(&mut self, decompressed: bool) {
        self.compressed += 1;
        self.decompressed += u64::from(decompressed);
    }

    pub fn add(&mut self, v: Verdict) {
        self.messages += 1;
        match v {
            Verdict::Valid => self.valid += 1,
            Verdict::Invalid => self.invalid += 1,
            Verdict::Unsigned => self.unsigned += 1,
            Verdict::Unverified(_) => self.unverified += 1,
        }
        if v.is_signed() {
            self.signed += 1;
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    /// SMB2 SessionId, or for SMB1 the UID.
    pub id: u64,
    /// The server's endpoint: a SessionId names a session on one server only.
    pub server: SocketAddr,
    pub protocol: Protocol,
    pub user: Option<String>,
    pub domain: Option<String>,
    pub workstation: Option<String>,
    /// `NTLMv1`, `NTLMv1-ESS`, `NTLMv2`, `anonymous`, `guest`, `Kerberos`, ...
    pub auth: Option<String>,
    pub dialect: Option<String>,
    pub signing: Option<&'static str>,
    pub key_source: KeySource,
    /// Where the key came from, for people: `keytab: cifs/dc1.krblab.test kvno 1
    /// aes256-cts-hmac-sha1-96`, `password via AS/TGS (frames 3, 7)`.
    pub key_detail: Option<String>,
    /// Result of the password check: `match`, `mismatch`, `not-checked: <why>`.
    pub password_check: Option<String>,
    /// Logon result: NT status of the final SESSION_SETUP response.
    pub logon_status: Option<u32>,
    pub first_frame: u64,
    pub channels: Vec<ConnId>,
    pub counts: VerdictCounts,
    /// Re-authentications seen (SESSION_SETUP on the established session, no BINDING flag).
    pub reauthentications: u64,
    /// The frame of the LOGOFF response, if the session was logged off.
    pub logged_off: Option<u64>,
    /// The first logon's NTLM MIC and SPNEGO mechListMIC (`None`: not NTLM / not SPNEGO).
    pub ntlm_mic: Option<LogonMac>,
    pub mech_list_mic: Option<LogonMac>,
    /// The same for each re-authentication, in order (bounded: `MAX_REAUTH_LOGONS`).
    pub reauth_logons: Vec<LogonChecks>,
}

/// Bound on `Session::reauth_logons`.
pub const MAX_REAUTH_LOGONS: usize = 64;

/// The verdict on one of a logon's own signatures: the NTLM AUTHENTICATE MIC (MS-NLMP
/// 3.1.5.1.2) or the SPNEGO mechListMIC (RFC 4178 5, MS-NLMP 3.4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogonMac {
    Valid,
    /// Recomputed with the logon's key and different, or announced and missing: why.
    Invalid(String),
    /// Not carried, and not announced (a MIC MsvAvFlags announces but the message lacks is
    /// `Invalid`): what that means (`not announced in MsvAvFlags`).
    Absent(String),
    /// Carried but not checkable: why.
    Unverified(String),
}

impl LogonMac {
    pub fn name(&self) -> &'static str {
        match self {
            LogonMac::Valid => "valid",
            LogonMac::Invalid(_) => "invalid",
            LogonMac::Absent(_) => "absent",
            LogonMac::Unverified(_) => "unverified",
        }
    }
    /// Why it is invalid or unverified, or what absent means.
    pub fn detail(&self) -> Option<String> {
        match self {
            LogonMac::Valid => None,
            LogonMac::Invalid(w) | LogonMac::Unverified(w) | LogonMac::Absent(w) => Some(w.clone()),
        }
    }
}

impl fmt::Display for LogonMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(d) => write!(f, "{} ({d})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// A logon's own signatures, as the SESSION_SETUP response that ends it carries them out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogonChecks {
    /// The frame of the AUTHENTICATE message.
    pub frame: Option<u64>,
    pub ntlm_mic: Option<LogonMac>,
    pub mech_list_mic: Option<LogonMac>,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub session_id: u64,
    pub conn: ConnId,
    pub frame: u64,
    pub status: Option<u32>,
    /// Verdict of the binding request and of the final binding response.
    pub request_verdict: Verdict,
    pub response_verdict: Option<Verdict>,
    /// The binding logon's NTLM MIC and SPNEGO mechListMIC.
    pub ntlm_mic: Option<LogonMac>,
    pub mech_list_mic: Option<LogonMac>,
}

impl Binding {
    /// The contract's `valid`: the signatures of the binding request and of its final
    /// response were checked and correct. It speaks of signatures only: whether the server
    /// accepted the binding is `accepted`.
    pub fn valid(&self) -> Option<bool> {
        let verdicts = [Some(self.request_verdict), self.response_verdict];
        if verdicts.contains(&Some(Verdict::Invalid)) {
            return Some(false);
        }
        if verdicts.iter().all(|v| *v == Some(Verdict::Valid)) {
            return Some(true);
        }
        None
    }

    /// Whether the server accepted the binding (its final status was success).
    pub fn accepted(&self) -> Option<bool> {
        self.status.map(|s| s == 0)
    }
}

#[derive(Clone, Debug)]
pub struct Problem {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: Option<ConnId>,
    /// `invalid-signature`, `password-mismatch`, `lost-bytes`, `unsigned-when-required`, ...
    pub kind: &'static str,
    pub detail: String,
    /// True when this problem alone makes the exit status 1.
    pub failure: bool,
}

/// Everything the engine learned from a capture. Messages are not kept here: they stream
/// to a sink as they are judged, so memory stays flat however long the capture.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub frames: u64,
    pub connections: Vec<Connection>,
    pub sessions: Vec<Session>,
    pub bindings: Vec<Binding>,
    pub problems: Vec<Problem>,
    pub summary: VerdictCounts,
    /// Signed messages not verified, by reason.
    pub unverified_reasons: std::collections::BTreeMap<Unverified, u64>,
    /// Credentials or session keys were given: without them nothing can be verified.
    pub secrets_given: bool,
    /// Oplock and lease breaks in notification order (bounded; `break_counts` counts all).
    pub breaks: Vec<Break>,
    pub break_counts: BreakCounts,
    /// Weak settings seen (the Security section), one entry per kind found. They never
    /// change a verdict or, on their own, the exit status (`--fail-on` asks for that).
    pub security: Vec<SecurityFinding>,
}

/// One kind of weak setting and where the capture shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityFinding {
    /// `smb1`, `ntlmv1`, `signing-not-required`, `unsigned-session`, `unencrypted-share`,
    /// `guest-session`, `anonymous-session`, `ntlm-without-mic`.
    pub kind: &'static str,
    /// How many times (connections, NEGOTIATE messages or logons).
    pub count: u64,
    pub first_frame: u64,
    /// The frames that show it (bounded: `MAX_FINDING_FRAMES`).
    pub frames: Vec<u64>,
    pub connections: Vec<ConnId>,
    pub sessions: Vec<u64>,
    pub users: Vec<String>,
    /// Which variants: `NTLMv1-ESS`, `client`, `server`, a dialect...
    pub variants: Vec<String>,
    /// Why it matters.
    pub why: &'static str,
    /// The smb.conf and Windows policy settings that change it.
    pub fix: &'static str,
}

/// Bound on `SecurityFinding::frames` and its other lists.
pub const MAX_FINDING_FRAMES: usize = 256;

/// The finding kinds, for `--fail-on`.
pub const SECURITY_KINDS: [&str; 8] = [
    "smb1",
    "ntlmv1",
    "signing-not-required",
    "unsigned-session",
    "unencrypted-share",
    "guest-session",
    "anonymous-session",
    "ntlm-without-mic",
];

impl Analysis {
    /// Exit status 1 when a check failed (DESIGN.md contract).
    pub fn failed(&self) -> bool {
        self.summary.invalid > 0 || self.problems.iter().any(|p| p.failure)
    }

    /// Exit status 1 when a check failed, or with `fail_unverified` when a signed message
    /// was not verified (`--fail-unverified`).
    pub fn failed_with(&self, fail_unverified: bool) -> bool {
        self.failed() || (fail_unverified && self.summary.unverified > 0)
    }
}

// ---- Oplock and lease breaks, multichannel facts (issue 5) ----

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakKind {
    Oplock,
    Lease,
}

impl BreakKind {
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::Oplock => "oplock",
            BreakKind::Lease => "lease",
        }
    }
}

/// The client's acknowledgment of a break (SMB2 OPLOCK_BREAK acknowledgment, SMB2 lease
/// break acknowledgment, SMB1 LOCKING_ANDX OPLOCK_RELEASE from the client) and the
/// server's response to it (SMB2 only: an SMB1 release gets none).
#[derive(Clone, Debug)]
pub struct BreakAck {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    pub session_id: u64,
    pub message_id: u64,
    /// The oplock level or lease state the client acknowledged (`II`, `none`, `RH`...).
    pub level: String,
    pub response_frame: Option<u64>,
    pub response_conn: Option<ConnId>,
    /// NT status of the server's response.
    pub status: Option<u32>,
    /// Level or lease state in the response (absent in an error response).
    pub response_level: Option<String>,
}

/// What made the server break: the latest CREATE of the same path from somewhere else
/// (also an SMB1 DELETE of the path, or a WRITE to the file) seen before the notification.
#[derive(Clone, Debug)]
pub struct BreakCause {
    /// `CREATE`, `NT_CREATE_ANDX`, `DELETE`, `WRITE`, `WRITE_ANDX`.
    pub command: &'static str,
    pub frame: u64,
    pub conn: ConnId,
    pub session_id: u64,
    pub client_guid: Option<String>,
    /// The CREATE came from the session that holds the oplock or lease.
    pub same_session: bool,
    /// The CREATE came over the connection that holds the oplock or lease.
    pub same_connection: bool,
    pub path: String,
    /// The CREATE's wait (issue 23): the request's time, its STATUS_PENDING interim
    /// response, and its final response with status and milliseconds from request to it.
    pub ts: Timestamp,
    pub interim_frame: Option<u64>,
    pub response_frame: Option<u64>,
    pub response_status: Option<u32>,
    pub wait_ms: Option<f64>,
}

/// An acknowledgment of this copy of a break that came after the chain was acknowledged
/// through another copy (issue 23), and what the server answered.
#[derive(Clone, Debug)]
pub struct LateAck {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    /// Milliseconds after the acknowledgment that ended the chain.
    pub late_ms: f64,
    /// The server's answer: `response`, `error 0x...`, `RST` (frame), or none seen.
    pub answer: Option<String>,
    pub answer_frame: Option<u64>,
}

/// One break notification (server to client) and what came of it.
#[derive(Clone, Debug)]
pub struct Break {
    pub kind: BreakKind,
    pub protocol: Protocol,
    /// Frame and connection of the notification.
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    /// The session that holds the open (SMB1: the UID).
    pub session_id: Option<u64>,
    pub file: Option<String>,
    pub share: Option<String>,
    /// SMB2 `persistent:volatile`, SMB1 the FID.
    pub file_id: Option<String>,
    /// Oplock: level before the break, if the capture showed it; lease: CurrentLeaseState.
    pub old_level: Option<String>,
    /// Oplock: the level broken to; lease: NewLeaseState.
    pub new_level: String,
    pub lease_key: Option<String>,
    pub epoch: Option<u16>,
    pub flags: Option<u32>,
    /// Lease: every path opened with the lease key (bounded).
    pub paths: Vec<String>,
    /// Whether the client must acknowledge; `None` when the capture does not tell (oplock
    /// level before the break unknown).
    pub ack_required: Option<bool>,
    pub ack: Option<BreakAck>,
    /// Notification to acknowledgment, milliseconds.
    pub latency_ms: Option<f64>,
    /// The server sent this break again (same file or lease, same levels) at this frame
    /// before it was acknowledged, for example on another channel.
    pub resent_as: Option<u64>,
    /// This notification repeats the one at this frame.
    pub resend_of: Option<u64>,
    pub cause: Option<BreakCause>,
    /// The first copy of the chain this notification belongs to (the copies of one break
    /// re-sent until acknowledged; its own frame when it is the first), and its time.
    pub chain_first: u64,
    pub chain_first_ts: Timestamp,
    pub chain_first_conn: ConnId,
    /// The chain's stall: its first copy to its acknowledgment, or to the end of the
    /// capture when none came; milliseconds.
    pub stall_ms: Option<f64>,
    /// TCP retransmissions of the segment that carried this copy.
    pub tcp_retransmissions: u64,
    /// The frame of the client's TCP acknowledgment of that segment, if one came.
    pub tcp_acked: Option<u64>,
    pub late_ack: Option<LateAck>,
}

impl Break {
    /// One word for what came of the break.
    pub fn outcome(&self) -> &'static str {
        match &self.ack {
            Some(a) => match a.status {
                Some(0) => "acknowledged",
                Some(_) => "ack-rejected",
                None if self.protocol == Protocol::Smb1 => "acknowledged",
                None => "ack-unanswered",
            },
            None if self.resent_as.is_some() => "resent",
            None => match self.ack_required {
                Some(true) => "unacknowledged",
                Some(false) => "no-ack-needed",
                None => "no-ack",
            },
        }
    }
    /// Acknowledged on another connection than the one the notification went out on.
    pub fn cross_channel(&self) -> bool {
        self.ack.as_ref().is_some_and(|a| a.conn != self.conn)
    }
}

/// Counts over all breaks, also those beyond the kept list.
#[derive(Clone, Debug, Default)]
pub struct BreakCounts {
    pub notifications: u64,
    pub acknowledgments: u64,
    pub responses: u64,
    /// Acknowledgments matching no notification in the capture.
    pub unmatched_acks: u64,
    /// Breaks needing an acknowledgment that never came.
    pub unacknowledged: u64,
    /// Acknowledgments the server answered with an error.
    pub rejected: u64,
    /// Breaks counted but not kept (the list is bounded).
    pub dropped: u64,
    /// Acknowledgments of a copy of a break whose chain was acknowledged before through
    /// another copy (issue 23).
    pub late_acks: u64,
}

/// One entry of a FSCTL_QUERY_NETWORK_INTERFACE_INFO response (MS-SMB2 2.2.32.5).
#[derive(Clone, Debug)]
pub struct Interface {
    /// Frame of the IOCTL response.
    pub frame: u64,
    pub if_index: u32,
    pub capability: u32,
    pub rss: bool,
    pub rdma: bool,
    /// Bits per second.
    pub link_speed: u64,
    pub address: Option<std::net::IpAddr>,
}
