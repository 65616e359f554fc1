//! `--format json`: one object (the contract README.md documents: summary, sessions, bindings, breaks,
//! problems; plus connections), its shape named by `report_version`.

use serde_json::{Value, json};

use super::{REPORT_VERSION, epoch_seconds, names, session_hex};
use crate::model::{
    Analysis, Binding, Break, BreakCounts, BreakKind, Connection, PasswordCheck, Problem, Session,
    VerdictCounts,
};

/// The whole report over `captures` (the files as named on the command line).
pub fn report(analysis: &Analysis, captures: &[String]) -> Value {
    json!({
        "report_version": REPORT_VERSION,
        "captures": captures,
        "summary": summary(analysis),
        "connections": analysis.connections.iter().map(connection).collect::<Vec<_>>(),
        "sessions": analysis.sessions.iter().map(session).collect::<Vec<_>>(),
        "bindings": analysis.bindings.iter().map(binding).collect::<Vec<_>>(),
        "breaks": analysis.breaks.iter().map(brk).collect::<Vec<_>>(),
        "break_counts": break_counts(&analysis.break_counts),
        "channels": channels(analysis),
        "problems": analysis.problems.iter().map(problem).collect::<Vec<_>>(),
        "security": analysis.security.iter().map(security).collect::<Vec<_>>(),
    })
}

/// One finding of the Security section.
fn security(f: &crate::model::SecurityFinding) -> Value {
    json!({
        "kind": f.kind.name(),
        "count": f.count,
        "first_frame": f.first_frame,
        "frames": f.frames,
        "connections": f.connections,
        "sessions": f.sessions.iter().map(|s| session_hex(*s)).collect::<Vec<_>>(),
        "users": f.users,
        "variants": f.variant_names(),
        "why": f.why,
        "fix": f.fix,
    })
}

/// The capture's counts, with why signed messages were not verified.
pub fn summary(analysis: &Analysis) -> Value {
    let mut v = counts(&analysis.summary, Some(analysis.frames));
    let reasons: serde_json::Map<String, Value> = analysis
        .unverified_reasons
        .iter()
        .map(|(why, n)| (why.name().to_string(), json!(n)))
        .collect();
    v["unverified_reasons"] = Value::Object(reasons);
    v["not_verified"] = json!(super::not_verified_line(analysis));
    v
}

pub fn counts(c: &VerdictCounts, frames: Option<u64>) -> Value {
    let mut v = json!({
        "messages": c.messages,
        "signed": c.signed,
        "valid": c.valid,
        "invalid": c.invalid,
        "unverified": c.unverified,
        "unsigned": c.unsigned,
        "encrypted": c.encrypted,
        "decrypted": c.decrypted,
        "compressed": c.compressed,
        "decompressed": c.decompressed,
    });
    if let Some(frames) = frames {
        v["frames"] = json!(frames);
        v["verified_bytes"] = json!(c.verified_bytes);
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
        "negotiate_validated": c.negotiate_validated.as_ref().map(|v| json!({
            "verdict": v.name(),
            "detail": v.detail(),
            "fields": match v {
                crate::model::NegotiateValidation::Mismatch { fields, .. } => json!(fields),
                _ => Value::Null,
            },
        })),
        "signing": c.signing_algorithm,
        "cipher": c.cipher,
        "messages": c.messages,
        "signed": c.signed,
        "commands": commands,
        "session_requests": c
            .session_requests
            .iter()
            .map(|(id, n)| (session_hex(*id), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "interfaces": c.interfaces.iter().map(|i| json!({
            "frame": i.frame,
            "if_index": i.if_index,
            "address": i.address.map(|a| a.to_string()),
            "link_speed": i.link_speed,
            "capability": i.capability,
            "rss": i.rss,
            "rdma": i.rdma,
        })).collect::<Vec<_>>(),
        "retransmissions": {
            "to_server": c.tcp.retransmissions_to_server,
            "to_client": c.tcp.retransmissions_to_client,
        },
        "rst": c.tcp.rst.map(|(frame, ts, by_server)| json!({
            "frame": frame, "time": epoch_seconds(ts), "by": if by_server { "server" } else { "client" },
        })),
        "fin": c.tcp.fin.map(|(frame, ts, by_server)| json!({
            "frame": frame, "time": epoch_seconds(ts), "by": if by_server { "server" } else { "client" },
        })),
        "silences": c.tcp.silences.iter().map(|s| json!({
            "start_frame": s.start_frame,
            "start_time": epoch_seconds(s.start_ts),
            "end_frame": s.end_frame,
            "end_time": epoch_seconds(s.end_ts),
            "duration_ms": s.duration_ms(),
            "ended_by": s.ended_by.name(),
            "retransmissions": s.retransmissions,
            "rtt_ms": s.rtt_ms,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn session(s: &Session) -> Value {
    let user = s.user.as_ref().map(|u| match &s.domain {
        Some(d) if !d.is_empty() => format!("{d}\\{u}"),
        _ => u.clone(),
    });
    json!({
        "session_id": session_hex(s.id),
        "server": s.server.to_string(),
        "protocol": s.protocol.name(),
        "user": user,
        "workstation": s.workstation,
        "auth": s.auth.map(|a| a.name()),
        "dialect": s.dialect,
        "signing": s.signing,
        "key_source": s.key_source.name(),
        "key_detail": s.key_detail,
        "password_check": s.password_check.as_ref().map(PasswordCheck::word),
        "logon_status": s.logon_status.map(names::status_text),
        "first_frame": s.first_frame,
        "channels": s.channels.len(),
        "connections": s.channels,
        "reauthentications": s.reauthentications,
        "logged_off": s.logged_off,
        "ntlm_mic": logon_mac(s.ntlm_mic.as_ref()),
        "mech_list_mic": logon_mac(s.mech_list_mic.as_ref()),
        "reauthentication_logons": s.reauth_logons.iter().map(|l| json!({
            "authenticate_frame": l.frame,
            "ntlm_mic": logon_mac(l.ntlm_mic.as_ref()),
            "mech_list_mic": logon_mac(l.mech_list_mic.as_ref()),
        })).collect::<Vec<_>>(),
        "verdicts": counts(&s.counts, None),
    })
}

/// A logon's own signature (NTLM MIC, SPNEGO mechListMIC): `{"verdict", "detail"}`, or null
/// where it does not apply.
pub(crate) fn logon_mac(m: Option<&crate::model::LogonMac>) -> Value {
    match m {
        Some(m) => json!({ "verdict": m.name(), "detail": m.detail() }),
        None => Value::Null,
    }
}

pub(crate) fn binding(b: &Binding) -> Value {
    json!({
        "session_id": session_hex(b.session_id),
        "connection": b.conn,
        "frame": b.frame,
        "status": b.status.map(names::status_text),
        "request_verdict": b.request_verdict.to_string(),
        "response_verdict": b.response_verdict.map(|v| v.to_string()),
        "valid": b.valid(),
        "accepted": b.accepted(),
        "ntlm_mic": logon_mac(b.ntlm_mic.as_ref()),
        "mech_list_mic": logon_mac(b.mech_list_mic.as_ref()),
    })
}

pub(crate) fn problem(p: &Problem) -> Value {
    json!({
        "frame": p.frame,
        "time": epoch_seconds(p.ts),
        "connection": p.conn,
        "kind": p.kind.name(),
        "detail": p.detail,
    })
}

/// One break (the contract: kind, frame, acknowledged, ack_frame, latency_ms; and the
/// rest of what is known).
pub(crate) fn brk(b: &Break) -> Value {
    let ack = b.ack.as_ref();
    let (old, new) = match b.kind {
        BreakKind::Oplock => ("old_level", "new_level"),
        BreakKind::Lease => ("current_state", "new_state"),
    };
    let mut v = json!({
        "kind": b.kind.name(),
        "protocol": b.protocol.name(),
        "frame": b.frame,
        "time": epoch_seconds(b.ts),
        "connection": b.conn,
        "session_id": b.session_id.map(session_hex),
        "file": b.file,
        "share": b.share,
        "file_id": b.file_id,
        old: b.old_level,
        new: b.new_level,
        "ack_required": b.ack_required,
        "acknowledged": ack.is_some(),
        "ack_frame": ack.map(|a| a.frame),
        "ack_connection": ack.map(|a| a.conn),
        "ack_session_id": ack.map(|a| session_hex(a.session_id)),
        "ack_level": ack.map(|a| a.level.clone()),
        "response_frame": ack.and_then(|a| a.response_frame),
        "response_connection": ack.and_then(|a| a.response_conn),
        "response_level": ack.and_then(|a| a.response_level.clone()),
        "ack_status": ack.and_then(|a| a.status).map(names::status_text),
        "latency_ms": b.latency_ms,
        "cross_channel": b.cross_channel(),
        "outcome": b.outcome().name(),
        "resent_as": b.resent_as,
        "resend_of": b.resend_of,
        "cause": b.cause.as_ref().map(|c| json!({
            "command": c.command,
            "frame": c.frame,
            "connection": c.conn,
            "session_id": session_hex(c.session_id),
            "client_guid": c.client_guid,
            "same_session": c.same_session,
            "same_connection": c.same_connection,
            "path": c.path,
            "interim_frame": c.interim_frame,
            "response_frame": c.response_frame,
            "response_status": c.response_status.map(names::status_text),
            "wait_ms": c.wait_ms,
        })),
    });
    // The break chain (issue 23).
    v["chain_first"] = json!(b.chain_first);
    v["chain_first_connection"] = json!(b.chain_first_conn);
    v["stall_ms"] = json!(b.stall_ms);
    v["tcp_retransmissions"] = json!(b.tcp_retransmissions);
    v["tcp_ack_frame"] = json!(b.tcp_acked);
    v["rejected_acks"] = json!(
        b.rejected_acks
            .iter()
            .map(|a| json!({
                "frame": a.frame,
                "connection": a.conn,
                "level": a.level,
                "response_frame": a.response_frame,
                "status": a.status.map(names::status_text),
            }))
            .collect::<Vec<_>>()
    );
    v["late_ack"] = json!(b.late_ack.as_ref().map(|l| json!({
        "frame": l.frame,
        "connection": l.conn,
        "late_ms": l.late_ms,
        "answer": l.answer,
        "answer_frame": l.answer_frame,
    })));
    if b.kind == BreakKind::Lease {
        v["lease_key"] = json!(b.lease_key);
        v["epoch"] = json!(b.epoch);
        v["flags"] = json!(b.flags);
        v["paths"] = json!(b.paths);
    }
    v
}

fn break_counts(c: &BreakCounts) -> Value {
    json!({
        "notifications": c.notifications,
        "acknowledgments": c.acknowledgments,
        "responses": c.responses,
        "unacknowledged": c.unacknowledged,
        "rejected": c.rejected,
        "unmatched_acks": c.unmatched_acks,
        "late_acks": c.late_acks,
        "dropped": c.dropped,
    })
}

/// Per session, its channels: the connection, its client GUID, the requests the session
/// sent on it, how it was bound, the interfaces the server reported on it, and the breaks
/// notified and acknowledged on it.
fn channels(analysis: &Analysis) -> Value {
    let list: Vec<Value> = analysis
        .sessions
        .iter()
        .filter(|s| !s.channels.is_empty())
        .map(|s| {
            let conns: Vec<Value> = s
                .channels
                .iter()
                .map(|id| {
                    let c = analysis.connections.iter().find(|c| c.id == *id);
                    let binding = analysis
                        .bindings
                        .iter()
                        .find(|b| b.session_id == s.id && b.conn == *id);
                    let in_session = |conn: Option<u32>, b: &Break| {
                        b.session_id == Some(s.id) && conn == Some(*id)
                    };
                    json!({
                        "connection": id,
                        "client": c.map(|c| c.client.to_string()),
                        "server": c.map(|c| c.server.to_string()),
                        "client_guid": c.and_then(|c| c.client_guid.clone()),
                        "requests": c.and_then(|c| c.session_requests.get(&s.id)).copied().unwrap_or(0),
                        "bound_frame": binding.map(|b| b.frame),
                        "binding_valid": binding.and_then(|b| b.valid()),
                        "binding_accepted": binding.and_then(|b| b.accepted()),
                        "interfaces": c.map(|c| c.interfaces.len()).unwrap_or(0),
                        "breaks_notified": analysis.breaks.iter().filter(|b| in_session(Some(b.conn), b)).count(),
                        "breaks_acknowledged": analysis.breaks.iter().filter(|b| in_session(b.ack.as_ref().map(|a| a.conn), b)).count(),
                    })
                })
                .collect();
            json!({
                "session_id": session_hex(s.id),
                "channels": s.channels.len(),
                "connections": conns,
            })
        })
        .collect();
    Value::Array(list)
}
