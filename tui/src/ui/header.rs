//! The header fields of the detail pane, name and value, from the header the engine
//! attached to the message (`Message::header`): nothing is decoded here.

use smbcheck_model::names::{self, session_hex, status_hex};
use smbcheck_model::{Header, Protocol, Smb2Ids};

/// The fields of `h`, in header order.
pub(super) fn fields(h: &Header) -> Vec<(&'static str, String)> {
    match h {
        Header::Smb2(h) => {
            let mut out = vec![
                ("Command", command(Protocol::Smb2, h.command)),
                ("Status", status_hex(h.status)),
                (
                    "Flags",
                    format!("0x{:08x} {}", h.flags, names::smb2_flags(h.flags).join(" ")),
                ),
                ("CreditCharge", h.credit_charge.to_string()),
                ("Credits", h.credits.to_string()),
                ("NextCommand", h.next_command.to_string()),
                ("MessageId", h.message_id.to_string()),
            ];
            match h.ids {
                Smb2Ids::Async { async_id } => out.push(("AsyncId", format!("0x{async_id:016x}"))),
                Smb2Ids::Sync {
                    process_id,
                    tree_id,
                } => {
                    out.push(("ProcessId", format!("0x{process_id:08x}")));
                    out.push(("TreeId", format!("0x{tree_id:08x}")));
                }
            }
            out.push(("SessionId", session_hex(h.session_id)));
            out.push(("Signature", hex(&h.signature)));
            out
        }
        Header::Smb1(h) => vec![
            ("Command", command(Protocol::Smb1, h.command.into())),
            ("Status", status_hex(h.status)),
            ("Flags", format!("0x{:02x}", h.flags)),
            ("Flags2", format!("0x{:04x}", h.flags2)),
            ("PID", h.pid.to_string()),
            ("TID", h.tid.to_string()),
            ("UID", h.uid.to_string()),
            ("MID", h.mid.to_string()),
            ("Signature", hex(&h.signature)),
        ],
        Header::Transform(h) => vec![
            ("Signature", hex(&h.signature)),
            ("Nonce", hex(&h.nonce)),
            ("OriginalSize", h.original_size.to_string()),
            ("Flags", format!("0x{:04x}", h.flags)),
            ("SessionId", session_hex(h.session_id)),
        ],
    }
}

/// `CREATE (0x05)`; `UNKNOWN (0x..)` for a command without a name.
fn command(protocol: Protocol, code: u16) -> String {
    let name = names::command(protocol, code);
    let name = if name.starts_with("0x") {
        "UNKNOWN"
    } else {
        &name
    };
    format!("{name} (0x{code:02x})")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
