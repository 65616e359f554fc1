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
/// `mismatch-guest`, `not-checked: <why>` in JSON (`word`); `Display` says it for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Match,
    Mismatch,
    /// The password does not match the account the AUTHENTICATE names, and the server
    /// mapped the logon to guest (SMB2_SESSION_FLAG_IS_GUEST, SMB1 Action bit 0): it took
    /// the logon without checking a password, so this is no failure.
    MismatchGuest,
    NotChecked(String),
}

impl PasswordCheck {
    /// The JSON word: `match`, `mismatch`, `mismatch-guest`, `not-checked: <why>`.
    pub fn word(&self) -> String {
        match self {
            PasswordCheck::Match => "match".into(),
            PasswordCheck::Mismatch => "mismatch".into(),
            PasswordCheck::MismatchGuest => "mismatch-guest".into(),
            PasswordCheck::NotChecked(why) => format!("not-checked: {why}"),
        }
    }
}

impl fmt::Display for PasswordCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordCheck::MismatchGuest => f.write_str(
                "mismatch (guest logon: the server mapped it to guest without checking the \
                 password)",
            ),
            other => f.write_str(&other.word()),
        }
    }
}
