//! The security posture (issue 22, item 3): weak settings the capture shows, one finding per
//! kind with where it was seen, why it matters and what setting changes it. Findings never
//! change a verdict or, on their own, the exit status.
//!
//! Seen while the capture runs: `smb1` and `signing-not-required` (NEGOTIATE messages); at the
//! end, from the message tallies (findings.rs): `unsigned-session`; and from the sessions:
//! `ntlmv1`, `guest-session`, `anonymous-session`, `ntlm-without-mic`.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

use crate::flow::ConnId;
use crate::model::{
    AuthKind, LogonMac, MAX_FINDING_FRAMES, SecurityFinding, SecurityKind, SecurityVariant, Session,
};

/// Findings collected so far, by kind.
#[derive(Debug, Default)]
pub struct Posture {
    found: BTreeMap<SecurityKind, SecurityFinding>,
    /// Trees (connection, TreeId) whose TREE_CONNECT response set SMB2_SHAREFLAG_ENCRYPT_DATA,
    /// and sessions (server, SessionId) whose logon set SMB2_SESSION_FLAG_ENCRYPT_DATA
    /// (bounded: `MAX_ENCRYPTED`).
    pub encrypted_trees: HashSet<(ConnId, u32)>,
    pub encrypted_sessions: HashSet<(SocketAddr, u64)>,
}

/// Bound on the trees and sessions that ask for encryption.
pub const MAX_ENCRYPTED: usize = 4096;

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if list.len() < MAX_FINDING_FRAMES && !list.contains(&value) {
        list.push(value);
    }
}

impl Posture {
    /// One more occurrence of `kind` at `frame` on `conn`; `variant` says which form.
    pub fn note(&mut self, kind: SecurityKind, frame: u64, conn: ConnId, variant: SecurityVariant) {
        self.note_session(kind, frame, conn, None, None, Some(variant));
    }

    /// One more occurrence of `kind` for a session (`session`: its id, `user` its account).
    pub fn note_session(
        &mut self,
        kind: SecurityKind,
        frame: u64,
        conn: ConnId,
        session: Option<u64>,
        user: Option<String>,
        variant: Option<SecurityVariant>,
    ) {
        let (why, fix) = texts(kind);
        let f = self.found.entry(kind).or_insert_with(|| SecurityFinding {
            kind,
            count: 0,
            first_frame: frame,
            frames: Vec::new(),
            connections: Vec::new(),
            sessions: Vec::new(),
            users: Vec::new(),
            variants: Vec::new(),
            why,
            fix,
        });
        f.count += 1;
        f.first_frame = f.first_frame.min(frame);
        push_unique(&mut f.frames, frame);
        push_unique(&mut f.connections, conn);
        if let Some(s) = session {
            push_unique(&mut f.sessions, s);
        }
        if let Some(u) = user {
            push_unique(&mut f.users, u);
        }
        if let Some(v) = variant {
            push_unique(&mut f.variants, v);
        }
    }

    /// The findings that come from a session's logon.
    fn session(&mut self, s: &Session) {
        let conn = s.channels.first().copied().unwrap_or(0);
        let user = user_of(s);
        let mut note = |kind, variant: Option<SecurityVariant>| {
            self.note_session(kind, s.first_frame, conn, Some(s.id), user.clone(), variant)
        };
        let Some(auth) = s.auth else { return };
        if auth.is_ntlm_v1() {
            note(SecurityKind::NtlmV1, Some(SecurityVariant::Auth(auth)));
        }
        if auth == AuthKind::Guest {
            note(SecurityKind::GuestSession, None);
        }
        if auth == AuthKind::Anonymous {
            note(SecurityKind::AnonymousSession, None);
        }
        // NTLM with no MIC: NTLMv2 without one, NTLMv1 (never one), raw NTLM in SMB1 (no
        // NTLMSSP messages at all). An anonymous or guest logon is a finding of its own.
        let mic = matches!(s.ntlm_mic, None | Some(LogonMac::Absent(_)));
        if auth.is_ntlm() && mic {
            note(
                SecurityKind::NtlmWithoutMic,
                Some(SecurityVariant::Auth(auth)),
            );
        }
    }

    /// The findings, with those of the sessions' logons.
    pub fn finish(mut self, sessions: &[Session]) -> Vec<SecurityFinding> {
        for s in sessions {
            self.session(s);
        }
        let mut out: Vec<SecurityFinding> = self.found.into_values().collect();
        for f in &mut out {
            f.frames.sort_unstable();
        }
        out.sort_by_key(|f| (f.first_frame, f.kind));
        out
    }
}

/// `DOMAIN\\user`, `user`, or none.
pub fn user_of(s: &Session) -> Option<String> {
    match (&s.domain, &s.user) {
        (Some(d), Some(u)) if !d.is_empty() && !u.is_empty() => Some(format!("{d}\\{u}")),
        (_, Some(u)) if !u.is_empty() => Some(u.clone()),
        _ => None,
    }
}

/// Why a kind matters, and the settings that change it.
fn texts(kind: SecurityKind) -> (&'static str, &'static str) {
    match kind {
        SecurityKind::Smb1 => (
            "SMB1 (NT LM 0.12) has no preauth integrity, no encryption and only MD5 signing; \
             it is deprecated and the target of EternalBlue-class attacks",
            "smb.conf: server min protocol = SMB2_02 (client min protocol likewise); Windows: \
             Disable-WindowsOptionalFeature SMB1Protocol, or Set-SmbServerConfiguration \
             -EnableSMB1Protocol $false",
        ),
        SecurityKind::NtlmV1 => (
            "NTLMv1 and LM responses can be cracked or relayed to recover the NT hash \
             (DES with a known challenge)",
            "smb.conf: ntlm auth = ntlmv2-only (server), client ntlmv2 auth = yes; Windows: \
             Network security: LAN Manager authentication level = Send NTLMv2 response only. \
             Refuse LM & NTLM",
        ),
        SecurityKind::SigningNotRequired => (
            "without SIGNING_REQUIRED on both sides a man in the middle can strip signing and \
             relay or change the session (NTLM relay)",
            "smb.conf: server signing = mandatory, client signing = required; Windows: \
             Microsoft network server/client: Digitally sign communications (always) = \
             Enabled",
        ),
        SecurityKind::GuestSession => (
            "a guest session authenticates nobody and has no key: nothing it carries is \
             signed or encrypted",
            "smb.conf: map to guest = never, guest ok = no; Windows: Accounts: Guest account \
             status = Disabled, Enable insecure guest logons = Disabled",
        ),
        SecurityKind::AnonymousSession => (
            "an anonymous (null) session has no key: shares and RPC reachable through it are \
             open to anyone, unsigned",
            "smb.conf: restrict anonymous = 2; Windows: Network access: Restrict anonymous \
             access to Named Pipes and Shares = Enabled, Do not allow anonymous enumeration \
             of SAM accounts and shares = Enabled",
        ),
        SecurityKind::UnsignedSession => (
            "an authenticated session whose messages are neither signed nor encrypted can be \
             read and changed in transit, and relayed",
            "smb.conf: server signing = mandatory (or smb encrypt = required), client signing \
             = required; Windows: Microsoft network server/client: Digitally sign \
             communications (always) = Enabled, or Set-SmbServerConfiguration \
             -EncryptData $true",
        ),
        SecurityKind::UnencryptedShare => (
            "a share or session that asks for encryption (SMB2_SHAREFLAG_ENCRYPT_DATA, \
             SMB2_SESSION_FLAG_ENCRYPT_DATA) carried a message in clear: its data is readable \
             in transit",
            "smb.conf: smb encrypt = required (server and client), and clients that encrypt \
             (SMB 3.x); Windows: Set-SmbServerConfiguration -RejectUnencryptedAccess $true, \
             Set-SmbShare -EncryptData $true",
        ),
        SecurityKind::NtlmWithoutMic => (
            "an NTLM AUTHENTICATE without a MIC can be changed or relayed undetected (\"drop \
             the MIC\", CVE-2019-1040); NTLMv1 never has one",
            "use NTLMv2 with a client that sends the MIC (Samba 4.x, Windows Vista and later), \
             or Kerberos; smb.conf: ntlm auth = ntlmv2-only; Windows: Network security: \
             Restrict NTLM",
        ),
    }
}
