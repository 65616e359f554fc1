//! `--format jsonl`: one object per SMB message as it is judged, then one summary object.
//! Every line stands alone: it names its kind (`event`), the report's shape
//! (`report_version`) and the capture file it came from (`capture`), so the lines of many
//! runs load as one table.

use serde_json::{Value, json};

use super::{REPORT_VERSION, epoch_seconds, names, session_hex};
use crate::flow::Direction;
use crate::model::{Analysis, Connection, Message};

/// Adds the fields every line has: `event` (which kind of line), `report_version`, and
/// `capture` (the file as named on the command line, `-` for standard input; null in a
/// live capture).
pub fn stamp(v: &mut Value, event: &str, capture: Option<&str>) {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("event".into(), json!(event));
        obj.insert("report_version".into(), json!(REPORT_VERSION));
        obj.insert("capture".into(), json!(capture));
    }
}

/// One judged message, on `conn` (its endpoints), read from `capture`.
pub fn message(m: &Message, conn: Option<&Connection>, capture: Option<&str>) -> Value {
    let mut v = json!({
        "frame": m.frame,
        "time": epoch_seconds(m.ts),
        "connection": m.conn,
        "client": conn.map(|c| c.client.to_string()),
        "server": conn.map(|c| c.server.to_string()),
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
    stamp(&mut v, "message", capture);
    v
}

/// The closing line of a JSONL run: the same summary as `--format json`, and every capture
/// file read (`capture` names the file only when there was one).
pub fn summary(analysis: &Analysis, captures: &[String]) -> Value {
    let mut v = json!({
        "summary": super::json::summary(analysis),
        "captures": captures,
    });
    let capture = match captures {
        [one] => Some(one.as_str()),
        _ => None,
    };
    stamp(&mut v, "summary", capture);
    v
}
