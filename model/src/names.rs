//! Names people know for commands and statuses (tables live with the dissectors).

use dissectors::{smb1, smb2, status};

use super::{Analysis, Protocol, Unverified};

/// The command's name, or its code in hex when it has none.
pub fn command(protocol: Protocol, code: u16) -> String {
    let known = match protocol {
        Protocol::Smb1 => u8::try_from(code).map_or("UNKNOWN", smb1::command_name),
        Protocol::Smb2 => smb2::command_name(code),
        Protocol::Transform => "TRANSFORM",
        Protocol::Compressed => "COMPRESSED",
    };
    match known {
        "UNKNOWN" => format!("0x{code:02x}"),
        name => name.to_string(),
    }
}

/// Milliseconds as people read them: `0.183 ms`, `12.5 ms`, `1.30 s`.
pub fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// A status by name when known, in hex otherwise.
pub fn status_text(code: u32) -> String {
    match status::name(code) {
        Some(name) => name.to_string(),
        None => status_hex(code),
    }
}

/// `0x` and 16 hex digits, the way Wireshark shows an SMB2 SessionId.
pub fn session_hex(id: u64) -> String {
    format!("0x{id:016x}")
}

/// An NT status as `0x` and 8 hex digits.
pub fn status_hex(status: u32) -> String {
    format!("0x{status:08x}")
}

/// The names of the SMB2 header flags set in `flags`, in bit order.
pub fn smb2_flags(flags: u32) -> Vec<&'static str> {
    [
        (smb2::FLAGS_SERVER_TO_REDIR, "RESPONSE"),
        (smb2::FLAGS_ASYNC_COMMAND, "ASYNC"),
        (smb2::FLAGS_RELATED_OPERATIONS, "RELATED"),
        (smb2::FLAGS_SIGNED, "SIGNED"),
        (smb2::FLAGS_DFS_OPERATIONS, "DFS"),
        (smb2::FLAGS_REPLAY_OPERATION, "REPLAY"),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, name)| name)
    .collect()
}

/// What a reader is told about a reason signed messages were not verified.
pub fn unverified_why(why: Unverified, secrets_given: bool) -> &'static str {
    match why {
        Unverified::NoKey if !secrets_given => {
            "no credentials given (--password-file, --credentials, --nt-hash, --keytab, --keys)"
        }
        Unverified::NoKey => {
            "no key for their session (no credentials for its user, or its logon not captured)"
        }
        Unverified::LostBytes => "bytes lost from the capture",
        Unverified::Truncated => "cut by the snap length",
        Unverified::Unsupported => {
            "algorithm not known here (NEGOTIATE not captured, or a dialect not known)"
        }
        Unverified::Malformed => "the message could not be rebuilt",
        Unverified::Echo => "the signature echoes the request: the server held no session",
    }
}

/// `unverified_why` in a few words, for a status bar.
pub fn unverified_why_short(why: Unverified, secrets_given: bool) -> &'static str {
    match why {
        Unverified::NoKey if !secrets_given => "no key given",
        Unverified::NoKey => "no key",
        Unverified::LostBytes => "bytes lost",
        Unverified::Truncated => "cut by snaplen",
        Unverified::Unsupported => "algorithm unknown",
        Unverified::Malformed => "not rebuilt",
        Unverified::Echo => "echoed signature",
    }
}

/// `not_verified_line` in a few words, for a narrow status bar: `71 unverified: no key
/// given`, or with `abbreviated` `71 unv: no key given`; several reasons with their counts
/// (`71 unv: 70 no key, 1 bytes lost`).
pub fn not_verified_short(analysis: &Analysis, abbreviated: bool) -> Option<String> {
    let s = &analysis.summary;
    if s.unverified == 0 {
        return None;
    }
    let why = |w: Unverified| unverified_why_short(w, analysis.secrets_given);
    let reasons = &analysis.unverified_reasons;
    let reasons = match reasons.keys().next() {
        Some(w) if reasons.len() == 1 => why(*w).to_string(),
        _ => reasons
            .iter()
            .map(|(w, n)| format!("{n} {}", why(*w)))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let word = if abbreviated { "unv" } else { "unverified" };
    Some(format!("{} {word}: {reasons}", s.unverified))
}

/// `71 of 71 signed messages not verified: no credentials given (...)`, when any signed
/// message was not verified: "no problems found" is said only when none is left so.
pub fn not_verified_line(analysis: &Analysis) -> Option<String> {
    let s = &analysis.summary;
    if s.unverified == 0 {
        return None;
    }
    let reasons: Vec<String> = analysis
        .unverified_reasons
        .iter()
        .map(|(why, n)| format!("{n} {}", unverified_why(*why, analysis.secrets_given)))
        .collect();
    // One reason goes without its count.
    let reasons = match analysis.unverified_reasons.keys().next() {
        Some(why) if reasons.len() == 1 => unverified_why(*why, analysis.secrets_given).to_string(),
        _ => reasons.join("; "),
    };
    Some(format!(
        "{} of {} signed messages not verified: {reasons}",
        s.unverified, s.signed
    ))
}
