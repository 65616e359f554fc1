//! What the capture shows wrong or weak: problems (`Problem`) and the Security section's
//! findings (`SecurityFinding`).

use crate::{AuthKind, ConnId, Timestamp};

/// What a problem is about: one kind per line of the Problems section and JSON `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    InvalidSignature,
    PasswordMismatch,
    LogonFailed,
    BindingFailed,
    NotReplayed,
    SetupUnanswered,
    SignedAfterLogoff,
    LostBytes,
    HeaderNotCaptured,
    NotSmb,
    Malformed,
    MalformedCompression,
    DamagedCapture,
    DamagedFrame,
    CaptureError,
    CaptureDrops,
    LimitReached,
    UnmatchedBreakAck,
    BreakUnacknowledged,
    BreakAckRejected,
    BreakCopyUnseen,
    UnsignedWhenRequired,
    NeverSigned,
    SignedUnexpectedly,
    InvalidMic,
    InvalidMechListMic,
    NegotiateMismatch,
    UnknownDialect,
}

impl ProblemKind {
    /// Every kind. A new variant stops the test below from compiling: list it there and here.
    pub const ALL: [ProblemKind; 28] = [
        ProblemKind::InvalidSignature,
        ProblemKind::PasswordMismatch,
        ProblemKind::LogonFailed,
        ProblemKind::BindingFailed,
        ProblemKind::NotReplayed,
        ProblemKind::SetupUnanswered,
        ProblemKind::SignedAfterLogoff,
        ProblemKind::LostBytes,
        ProblemKind::HeaderNotCaptured,
        ProblemKind::NotSmb,
        ProblemKind::Malformed,
        ProblemKind::MalformedCompression,
        ProblemKind::DamagedCapture,
        ProblemKind::DamagedFrame,
        ProblemKind::CaptureError,
        ProblemKind::CaptureDrops,
        ProblemKind::LimitReached,
        ProblemKind::UnmatchedBreakAck,
        ProblemKind::BreakUnacknowledged,
        ProblemKind::BreakAckRejected,
        ProblemKind::BreakCopyUnseen,
        ProblemKind::UnsignedWhenRequired,
        ProblemKind::NeverSigned,
        ProblemKind::SignedUnexpectedly,
        ProblemKind::InvalidMic,
        ProblemKind::InvalidMechListMic,
        ProblemKind::NegotiateMismatch,
        ProblemKind::UnknownDialect,
    ];

    /// The kind's name in reports (`invalid-signature`, `lost-bytes`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::InvalidSignature => "invalid-signature",
            ProblemKind::PasswordMismatch => "password-mismatch",
            ProblemKind::LogonFailed => "logon-failed",
            ProblemKind::BindingFailed => "binding-failed",
            ProblemKind::NotReplayed => "not-replayed",
            ProblemKind::SetupUnanswered => "setup-unanswered",
            ProblemKind::SignedAfterLogoff => "signed-after-logoff",
            ProblemKind::LostBytes => "lost-bytes",
            ProblemKind::HeaderNotCaptured => "header-not-captured",
            ProblemKind::NotSmb => "not-smb",
            ProblemKind::Malformed => "malformed",
            ProblemKind::MalformedCompression => "malformed-compression",
            ProblemKind::DamagedCapture => "damaged-capture",
            ProblemKind::DamagedFrame => "damaged-frame",
            ProblemKind::CaptureError => "capture-error",
            ProblemKind::CaptureDrops => "capture-drops",
            ProblemKind::LimitReached => "limit-reached",
            ProblemKind::UnmatchedBreakAck => "unmatched-break-ack",
            ProblemKind::BreakUnacknowledged => "break-unacknowledged",
            ProblemKind::BreakAckRejected => "break-ack-rejected",
            ProblemKind::BreakCopyUnseen => "break-copy-unseen",
            ProblemKind::UnsignedWhenRequired => "unsigned-when-required",
            ProblemKind::NeverSigned => "never-signed",
            ProblemKind::SignedUnexpectedly => "signed-unexpectedly",
            ProblemKind::InvalidMic => "invalid-mic",
            ProblemKind::InvalidMechListMic => "invalid-mech-list-mic",
            ProblemKind::NegotiateMismatch => "negotiate-mismatch",
            ProblemKind::UnknownDialect => "unknown-dialect",
        }
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug)]
pub struct Problem {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: Option<ConnId>,
    /// `invalid-signature`, `password-mismatch`, `lost-bytes`, `unsigned-when-required`, ...
    pub kind: ProblemKind,
    pub detail: String,
    /// True when this problem alone makes the exit status 1.
    pub failure: bool,
}

/// A kind of weak setting the Security section reports (issue 22): one line of the section,
/// JSON `security[].kind`, and a value of `--fail-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityKind {
    /// NT LM 0.12 negotiated.
    Smb1,
    /// NTLMv1, NTLMv1-ESS or LM responses.
    NtlmV1,
    /// A NEGOTIATE request or response without SIGNING_REQUIRED.
    SigningNotRequired,
    /// An authenticated, non-guest session whose messages are neither signed nor encrypted.
    UnsignedSession,
    /// A share or session that asks for encryption carrying a message in clear.
    UnencryptedShare,
    GuestSession,
    AnonymousSession,
    /// An NTLM AUTHENTICATE without a MIC.
    NtlmWithoutMic,
}

impl SecurityKind {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [SecurityKind; 8] = [
        SecurityKind::Smb1,
        SecurityKind::NtlmV1,
        SecurityKind::SigningNotRequired,
        SecurityKind::UnsignedSession,
        SecurityKind::UnencryptedShare,
        SecurityKind::GuestSession,
        SecurityKind::AnonymousSession,
        SecurityKind::NtlmWithoutMic,
    ];

    /// The kind's name in reports and on the command line (`smb1`, `guest-session`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SecurityKind::Smb1 => "smb1",
            SecurityKind::NtlmV1 => "ntlmv1",
            SecurityKind::SigningNotRequired => "signing-not-required",
            SecurityKind::UnsignedSession => "unsigned-session",
            SecurityKind::UnencryptedShare => "unencrypted-share",
            SecurityKind::GuestSession => "guest-session",
            SecurityKind::AnonymousSession => "anonymous-session",
            SecurityKind::NtlmWithoutMic => "ntlm-without-mic",
        }
    }

    /// The kind of a name, if it is one.
    pub fn from_name(name: &str) -> Option<SecurityKind> {
        SecurityKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for SecurityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Which form of a weak setting was seen: JSON `security[].variants`, in parentheses in the
/// text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityVariant {
    /// `signing-not-required`: the client's NEGOTIATE request lacks SIGNING_REQUIRED.
    Client,
    /// `signing-not-required`: the server's NEGOTIATE response lacks it.
    Server,
    /// `unencrypted-share`: the share asks for encryption (SMB2_SHAREFLAG_ENCRYPT_DATA).
    Share,
    /// `unencrypted-share`: the session does (SMB2_SESSION_FLAG_ENCRYPT_DATA).
    Session,
    /// `ntlmv1`, `ntlm-without-mic`: the logon's kind.
    Auth(AuthKind),
    /// `smb1`: the dialect negotiated, as the NEGOTIATE names it.
    Dialect(String),
}

impl SecurityVariant {
    /// The variant's word in reports (`client`, `share`, `NTLMv1-ESS`, `NT LM 0.12`...).
    pub fn name(&self) -> &str {
        match self {
            SecurityVariant::Client => "client",
            SecurityVariant::Server => "server",
            SecurityVariant::Share => "share",
            SecurityVariant::Session => "session",
            SecurityVariant::Auth(a) => a.name(),
            SecurityVariant::Dialect(d) => d,
        }
    }
}

impl std::fmt::Display for SecurityVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// One kind of weak setting and where the capture shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityFinding {
    pub kind: SecurityKind,
    /// How many times (connections, NEGOTIATE messages or logons).
    pub count: u64,
    pub first_frame: u64,
    /// The frames that show it (bounded: `MAX_FINDING_FRAMES`).
    pub frames: Vec<u64>,
    pub connections: Vec<ConnId>,
    pub sessions: Vec<u64>,
    pub users: Vec<String>,
    /// Which variants: `NTLMv1-ESS`, `client`, `server`, a dialect...
    pub variants: Vec<SecurityVariant>,
    /// Why it matters.
    pub why: &'static str,
    /// The smb.conf and Windows policy settings that change it.
    pub fix: &'static str,
}

impl SecurityFinding {
    /// The variants' words, as reports list them.
    pub fn variant_names(&self) -> Vec<&str> {
        self.variants.iter().map(SecurityVariant::name).collect()
    }
}

/// Bound on `SecurityFinding::frames` and its other lists.
pub const MAX_FINDING_FRAMES: usize = 256;

#[cfg(test)]
mod tests {
    use super::ProblemKind;

    /// The match stops compiling when a variant is added (then list it in `ALL` too); the
    /// names in `ALL` are distinct.
    #[test]
    fn all_lists_every_problem_kind() {
        for kind in ProblemKind::ALL {
            match kind {
                ProblemKind::InvalidSignature
                | ProblemKind::PasswordMismatch
                | ProblemKind::LogonFailed
                | ProblemKind::BindingFailed
                | ProblemKind::NotReplayed
                | ProblemKind::SetupUnanswered
                | ProblemKind::SignedAfterLogoff
                | ProblemKind::LostBytes
                | ProblemKind::HeaderNotCaptured
                | ProblemKind::NotSmb
                | ProblemKind::Malformed
                | ProblemKind::MalformedCompression
                | ProblemKind::DamagedCapture
                | ProblemKind::DamagedFrame
                | ProblemKind::CaptureError
                | ProblemKind::CaptureDrops
                | ProblemKind::LimitReached
                | ProblemKind::UnmatchedBreakAck
                | ProblemKind::BreakUnacknowledged
                | ProblemKind::BreakAckRejected
                | ProblemKind::BreakCopyUnseen
                | ProblemKind::UnsignedWhenRequired
                | ProblemKind::NeverSigned
                | ProblemKind::SignedUnexpectedly
                | ProblemKind::InvalidMic
                | ProblemKind::InvalidMechListMic
                | ProblemKind::NegotiateMismatch
                | ProblemKind::UnknownDialect => {}
            }
        }
        let mut names: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ProblemKind::ALL.len());
    }
}
