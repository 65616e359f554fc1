//! What the capture shows wrong or weak: problems (`Problem`) and the Security section's
//! findings (`SecurityFinding`).

use crate::{ConnId, Timestamp};

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
