//! The text report: a summary line, connections, sessions, bindings, then every problem.

use std::io::{self, Write};

use super::{names, session_hex};
use crate::capture::Timestamp;
use crate::engine::model::{Analysis, Connection, Session};

pub fn write(analysis: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let s = &analysis.summary;
    writeln!(
        out,
        "{} frames, {} connections, {} sessions",
        analysis.frames,
        analysis.connections.len(),
        analysis.sessions.len()
    )?;
    writeln!(
        out,
        "messages {}  signed {}  valid {}  invalid {}  unverified {}  unsigned {}",
        s.messages, s.signed, s.valid, s.invalid, s.unverified, s.unsigned
    )?;
    let start = analysis
        .connections
        .first()
        .map(|c| c.first_ts)
        .unwrap_or_default();

    if !analysis.connections.is_empty() {
        writeln!(out, "\nConnections")?;
        for c in &analysis.connections {
            connection(c, out)?;
        }
    }
    if !analysis.sessions.is_empty() {
        writeln!(out, "\nSessions")?;
        writeln!(
            out,
            "  {:<18}  {:<20}  {:<10}  {:<7}  {:<11}  {:>3}  {:>6}  {:>7}  {:>10}  {:>8}",
            "session",
            "user",
            "auth",
            "dialect",
            "signing",
            "ch",
            "valid",
            "invalid",
            "unverified",
            "unsigned"
        )?;
        for s in &analysis.sessions {
            session(s, out)?;
        }
    }
    if !analysis.bindings.is_empty() {
        writeln!(out, "\nChannel bindings")?;
        for b in &analysis.bindings {
            let status = b
                .status
                .map(names::status_text)
                .unwrap_or_else(|| "no response".into());
            let response = b
                .response_verdict
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "  frame {:<6}  sess {}  connection #{}  {status}  request {}  response {response}",
                b.frame,
                session_hex(b.session_id),
                b.conn,
                b.request_verdict,
            )?;
        }
    }
    if !analysis.problems.is_empty() {
        writeln!(out, "\nProblems")?;
        for p in &analysis.problems {
            let conn = p
                .conn
                .map(|c| format!("#{c}"))
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "  frame {:<6}  {:>10}  {conn:<4}  {}: {}",
                p.frame,
                relative(p.ts, start),
                p.kind,
                p.detail
            )?;
        }
    } else {
        writeln!(out, "\nNo problems found.")?;
    }
    Ok(())
}

fn connection(c: &Connection, out: &mut dyn Write) -> io::Result<()> {
    let mut line = format!("  #{:<3} {} -> {}", c.id, c.client, c.server);
    if let Some(d) = &c.dialect {
        line += &format!("  SMB {d}");
    }
    if let Some(a) = c.signing_algorithm {
        line += &format!("  {a}");
    }
    if c.signing_required {
        line += "  signing required";
    }
    if let Some(cipher) = c.cipher {
        line += &format!("  {cipher}");
    }
    writeln!(out, "{line}  messages {}  signed {}", c.messages, c.signed)?;
    if let Some(g) = &c.client_guid {
        writeln!(out, "       client GUID {g}")?;
    }
    let commands: Vec<String> = c
        .commands
        .iter()
        .map(|((proto, code, response), n)| {
            let arrow = if *response { "<" } else { ">" };
            format!("{}{arrow}{n}", names::command(*proto, *code))
        })
        .collect();
    for chunk in commands.chunks(6) {
        writeln!(out, "       {}", chunk.join("  "))?;
    }
    Ok(())
}

fn session(s: &Session, out: &mut dyn Write) -> io::Result<()> {
    let user = match (&s.domain, &s.user) {
        (Some(d), Some(u)) if !d.is_empty() => format!("{d}\\{u}"),
        (_, Some(u)) => u.clone(),
        _ => "?".into(),
    };
    let c = &s.counts;
    writeln!(
        out,
        "  {:<18}  {:<20}  {:<10}  {:<7}  {:<11}  {:>3}  {:>6}  {:>7}  {:>10}  {:>8}",
        session_hex(s.id),
        user,
        s.auth.as_deref().unwrap_or("?"),
        s.dialect.as_deref().unwrap_or("?"),
        s.signing.unwrap_or("-"),
        s.channels.len(),
        c.valid,
        c.invalid,
        c.unverified,
        c.unsigned
    )?;
    let mut notes = vec![format!("keys: {}", s.key_source.name())];
    if let Some(check) = &s.password_check {
        notes.push(format!("password {check}"));
    }
    if let Some(status) = s.logon_status.filter(|st| *st != 0) {
        notes.push(format!("logon {}", names::status_text(status)));
    }
    writeln!(out, "  {:<18}  {}", "", notes.join(", "))
}

/// Seconds since the capture's first connection, as `12.345678`.
pub fn relative(ts: Timestamp, start: Timestamp) -> String {
    let us = (ts.0 - start.0) / 1_000;
    format!("{}.{:06}", us / 1_000_000, (us % 1_000_000).abs())
}
