//! `--format json`: one object (DESIGN.md contract: summary, sessions, bindings, breaks,
//! problems; plus connections).

use serde_json::{Value, json};

use super::{epoch_seconds, names, session_hex};
use crate::engine::model::{Analysis, Binding, Connection, Problem, Session, VerdictCounts};

pub fn report(analysis: &Analysis) -> Value {
    json!({
        "summary": counts(&analysis.summary, Some(analysis.frames)),
        "connections": analysis.connections.iter().map(connection).collect::<Vec<_>>(),
        "sessions": analysis.sessions.iter().map(session).collect::<Vec<_>>(),
        "bindings": analysis.bindings.iter().map(binding).collect::<Vec<_>>(),
        // Oplock and lease breaks are not analysed yet: null says "not looked at", where an
        // empty list would say "none happened".
        "breaks": Value::Null,
        "problems": analysis.problems.iter().map(problem).collect::<Vec<_>>(),
    })
}

pub fn counts(c: &VerdictCounts, frames: Option<u64>) -> Value {
    let mut v = json!({
        "messages": c.messages,
        "signed": c.signed,
        "valid": c.valid,
        "invalid": c.invalid,
        "unverified": c.unverified,
        "unsigned": c.unsigned,
    });
    if let Some(frames) = frames {
        v["frames"] = json!(frames);
    }
    v
}

fn connection(c: &Connection) -> Value {
    let commands: serde_json::Map<String, Value> = c
        .commands
        .iter()
        .map(|((proto, code, response), n)| {
            let dir = if *response { "response" } else { "request" };
            (
                format!("{} {} {dir}", proto.name(), names::command(*proto, *code)),
                json!(n),
            )
        })
        .collect();
    json!({
        "id": c.id,
        "client": c.client.to_string(),
        "server": c.server.to_string(),
        "first_frame": c.first_frame,
        "dialect": c.dialect,
        "client_guid": c.client_guid,
        "server_guid": c.server_guid,
        "signing_required": c.signing_required,
        "signing": c.signing_algorithm,
        "cipher": c.cipher,
        "messages": c.messages,
        "signed": c.signed,
        "commands": commands,
    })
}

fn session(s: &Session) -> Value {
    let user = s.user.as_ref().map(|u| match &s.domain {
        Some(d) if !d.is_empty() => format!("{d}\\{u}"),
        _ => u.clone(),
    });
    json!({
        "session_id": session_hex(s.id),
        "protocol": s.protocol.name(),
        "user": user,
        "workstation": s.workstation,
        "auth": s.auth,
        "dialect": s.dialect,
        "signing": s.signing,
        "key_source": s.key_source.name(),
        "password_check": s.password_check,
        "logon_status": s.logon_status.map(names::status_text),
        "first_frame": s.first_frame,
        "channels": s.channels.len(),
        "connections": s.channels,
        "verdicts": counts(&s.counts, None),
    })
}

fn binding(b: &Binding) -> Value {
    json!({
        "session_id": session_hex(b.session_id),
        "connection": b.conn,
        "frame": b.frame,
        "status": b.status.map(names::status_text),
        "request_verdict": b.request_verdict.to_string(),
        "response_verdict": b.response_verdict.map(|v| v.to_string()),
        "valid": b.valid(),
    })
}

fn problem(p: &Problem) -> Value {
    json!({
        "frame": p.frame,
        "time": epoch_seconds(p.ts),
        "connection": p.conn,
        "kind": p.kind,
        "detail": p.detail,
    })
}
