//! Names people know for commands and statuses (tables live with the dissectors).

use dissectors::{smb1, smb2, status};

use crate::engine::model::Protocol;

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
        None => super::status_hex(code),
    }
}
