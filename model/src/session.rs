//! Sessions (`Session`), where their keys came from (`KeySource`), the verdicts counted
//! per session (`VerdictCounts`), channel bindings (`Binding`) and the verdicts on a
//! logon's own signatures (`LogonMac`, `LogonChecks`).

use std::fmt;
use std::net::SocketAddr;

use crate::{AuthKind, ConnId, PasswordCheck, Protocol, Verdict};

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
    pub auth: Option<AuthKind>,
    pub dialect: Option<String>,
    pub signing: Option<&'static str>,
    pub key_source: KeySource,
    /// Where the key came from, for people: `keytab: cifs/dc1.krblab.test kvno 1
    /// aes256-cts-hmac-sha1-96`, `password via AS/TGS (frames 3, 7)`.
    pub key_detail: Option<String>,
    pub password_check: Option<PasswordCheck>,
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
