//! How a session logged on (`AuthKind`) and what the password check said (`PasswordCheck`).

use std::fmt;

/// The kind of a session's logon: JSON `sessions[].auth`, the sessions table's `auth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// NTLM without user or responses (MS-NLMP 3.2.5.1.2), or the null flag.
    Anonymous,
    /// Taken as guest by the server (SMB2_SESSION_FLAG_IS_GUEST, SMB1 Action bit 0).
    Guest,
    NtlmV1,
    /// NTLMv1 with extended session security, the "NTLM2 session response".
    NtlmV1Ess,
    NtlmV2,
    /// NTLM whose key was given (`--keys`): the response was not classified.
    Ntlm,
    Kerberos,
}

impl AuthKind {
    /// The kind's name in reports (`NTLMv2`, `Kerberos`, `guest`, ...).
    pub fn name(self) -> &'static str {
        match self {
            AuthKind::Anonymous => "anonymous",
            AuthKind::Guest => "guest",
            AuthKind::NtlmV1 => "NTLMv1",
            AuthKind::NtlmV1Ess => "NTLMv1-ESS",
            AuthKind::NtlmV2 => "NTLMv2",
            AuthKind::Ntlm => "NTLM",
            AuthKind::Kerberos => "Kerberos",
        }
    }

    /// An NTLM logon of a user (not anonymous, not mapped to guest).
    pub fn is_ntlm(self) -> bool {
        matches!(
            self,
            AuthKind::NtlmV1 | AuthKind::NtlmV1Ess | AuthKind::NtlmV2 | AuthKind::Ntlm
        )
    }

    /// NTLMv1, with or without extended session security.
    pub fn is_ntlm_v1(self) -> bool {
        matches!(self, AuthKind::NtlmV1 | AuthKind::NtlmV1Ess)
    }

    /// A logon that authenticated someone: neither anonymous nor guest.
    pub fn authenticates(self) -> bool {
        !matches!(self, AuthKind::Anonymous | AuthKind::Guest)
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What the replay said of the password (or key) given for a logon: `match`, `mismatch`,
/// `not-checked: <why>` in reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Match,
    Mismatch,
    NotChecked(String),
}

impl fmt::Display for PasswordCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordCheck::Match => f.write_str("match"),
            PasswordCheck::Mismatch => f.write_str("mismatch"),
            PasswordCheck::NotChecked(why) => write!(f, "not-checked: {why}"),
        }
    }
}
