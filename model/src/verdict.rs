//! The verdict on each message: `Verdict`, why a signed message went unverified
//! (`Unverified`), and which key checked it (`KeyUsed`).

use std::fmt;

use crate::ConnId;

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
