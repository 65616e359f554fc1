//! What the capture shows wrong or weak: problems (`Problem`) and the Security section's
//! findings (`SecurityFinding`).

use crate::{ConnId, Timestamp};

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
