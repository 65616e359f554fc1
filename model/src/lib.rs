//! What the analysis produces: one record per SMB message, per connection and per session,
//! plus the problems found. The engine (the `smbcheck` crate) fills it in; the reports and
//! the TUI (`smbcheck-tui`) read only this, and `names` is how both spell it.

#![forbid(unsafe_code)]

mod breaks;
mod connection;
mod findings;
mod header;
mod logon;
mod message;
pub mod names;
mod session;
mod verdict;

pub use breaks::{Break, BreakAck, BreakCause, BreakCounts, BreakKind, BreakOutcome, LateAck};
pub use connection::{
    Connection, Interface, MAX_SESSIONS_PER_CONNECTION, MAX_SILENCES, NegotiateValidation, Silence,
    SilenceEnd, TcpHealth,
};
pub use findings::{
    MAX_FINDING_FRAMES, Problem, ProblemKind, SecurityFinding, SecurityKind, SecurityVariant,
};
pub use header::{Header, Smb1Header, Smb2Header, Smb2Ids, TransformHeader};
pub use logon::{AuthKind, PasswordCheck};
pub use message::{Compression, Message, Protocol};
pub use session::{
    Binding, KeySource, LogonChecks, LogonMac, MAX_REAUTH_LOGONS, Session, VerdictCounts,
};
pub use verdict::{KeyUsed, Unverified, Verdict};

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
