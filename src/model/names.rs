//! Names people know for commands and statuses (tables live with the dissectors).

use dissectors::{smb1, smb2, status};

use super::Protocol;

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
