//! `--format jsonl`: one object per SMB message as it is judged, then one summary object.

use serde_json::{Value, json};

use super::{epoch_seconds, names, session_hex};
use crate::flow::Direction;
use crate::model::{Analysis, Message};

pub fn message(m: &Message) -> Value {
    let mut v = json!({
        "frame": m.frame,
        "time": epoch_seconds(m.ts),
        "connection": m.conn,
        "direction": match m.dir {
            Direction::ToServer => "to-server",
            Direction::ToClient => "to-client",
        },
        "protocol": m.protocol.name(),
        "command": names::command(m.protocol, m.command),
        "command_code": m.command,
        "response": m.is_response,
        "session_id": session_hex(m.session_id),
        "message_id": m.message_id,
        "status": names::status_text(m.status),
        "signed": m.verdict.is_signed(),
        "verdict": m.verdict.name(),
        "reason": m.verdict.reason(),
        "algorithm": m.algorithm,
        "key": m.key.map(|k| k.kind()),
        "key_connection": m.key.and_then(|k| k.channel()),
        "key_frame": m.key.map(|k| k.logon_frame()),
        "encrypted": m.encrypted,
        "compressed": m.compression.is_some(),
        "compression": m.compression.map(|c| c.name()),
    });
    // The SESSION_SETUP response that ends a logon: the logon's own signatures.
    if let (Some(l), Some(obj)) = (&m.logon, v.as_object_mut()) {
        if l.ntlm_mic.is_some() || l.mech_list_mic.is_some() {
            let mac = super::json::logon_mac;
            obj.insert("ntlm_mic".into(), mac(l.ntlm_mic.as_ref()));
            obj.insert("mech_list_mic".into(), mac(l.mech_list_mic.as_ref()));
            obj.insert("authenticate_frame".into(), json!(l.frame));
        }
    }
    v
}

/// The closing line of a JSONL run: the same summary as `--format json`.
pub fn summary(analysis: &Analysis) -> Value {
    json!({ "summary": super::json::summary(analysis) })
}
