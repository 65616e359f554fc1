//! The text report: a summary line, connections, sessions, bindings, then every problem.

use std::io::{self, Write};

use super::{names, session_hex};
use crate::capture::Timestamp;
use crate::model::{Analysis, Break, BreakOutcome, Connection, Session};

pub fn write(analysis: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let s = &analysis.summary;
    writeln!(
        out,
        "{}, {}, {}",
        counted(analysis.frames, "frame"),
        counted(analysis.connections.len() as u64, "connection"),
        counted(analysis.sessions.len() as u64, "session")
    )?;
    writeln!(
        out,
        "messages {}  signed {}  {}  {}  {}  unsigned {}",
        s.messages,
        s.signed,
        paint(GOOD, &format!("valid {}", s.valid), s.valid > 0),
        paint(BAD, &format!("invalid {}", s.invalid), s.invalid > 0),
        paint(
            WARN,
            &format!("unverified {}", s.unverified),
            s.unverified > 0
        ),
        s.unsigned
    )?;
    if s.encrypted > 0 {
        writeln!(
            out,
            "encrypted {}  decrypted {}  (SMB3 transforms; the messages inside are counted above)",
            s.encrypted, s.decrypted
        )?;
    }
    if s.compressed > 0 {
        writeln!(
            out,
            "compressed {}  decompressed {}  (SMB2 compression transforms)",
            s.compressed, s.decompressed
        )?;
    }
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
    breaks(analysis, out)?;
    channels(analysis, out)?;
    security(analysis, out)?;
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
                paint(if p.failure { BAD } else { WARN }, p.kind.name(), true),
                p.detail
            )?;
        }
    }
    match super::not_verified_line(analysis) {
        Some(line) => writeln!(out, "\n{}", paint(WARN, &line, true))?,
        None if analysis.problems.is_empty() => {
            writeln!(out, "\n{}", paint(GOOD, "No problems found.", true))?
        }
        None => {}
    }
    Ok(())
}

const GOOD: anstyle::Style = anstyle::AnsiColor::Green.on_default();
const BAD: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();
const WARN: anstyle::Style = anstyle::AnsiColor::Yellow.on_default();

/// `text` in `style` when `on` (the writer strips the codes where colour is off).
fn paint(style: anstyle::Style, text: &str, on: bool) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
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
    if let Some(tcp) = super::chains::tcp_health(c) {
        writeln!(out, "       {tcp}")?;
    }
    if let Some(g) = &c.client_guid {
        writeln!(out, "       client GUID {g}")?;
    }
    if let Some(v) = &c.negotiate_validated {
        match v.detail() {
            Some(d) => writeln!(out, "       negotiate validation {} ({d})", v.name())?,
            None => writeln!(out, "       negotiate validation {}", v.name())?,
        }
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
    let user = user_name(s);
    let c = &s.counts;
    writeln!(
        out,
        "  {:<18}  {:<20}  {:<10}  {:<7}  {:<11}  {:>3}  {:>6}  {:>7}  {:>10}  {:>8}",
        session_hex(s.id),
        user,
        s.auth.map_or("?", |a| a.name()),
        s.dialect.as_deref().unwrap_or("?"),
        s.signing.unwrap_or("-"),
        s.channels.len(),
        c.valid,
        c.invalid,
        c.unverified,
        c.unsigned
    )?;
    let mut notes = vec![match &s.key_detail {
        Some(detail) => format!("keys: {detail}"),
        None => format!("keys: {}", s.key_source.name()),
    }];
    if let Some(check) = s.password_check.as_ref().filter(|_| s.key_detail.is_none()) {
        notes.push(format!("password {check}"));
    }
    if let Some(status) = s.logon_status.filter(|st| *st != 0) {
        notes.push(format!("logon {}", names::status_text(status)));
    }
    if let Some(mic) = &s.ntlm_mic {
        notes.push(format!("MIC {mic}"));
    }
    if let Some(mic) = &s.mech_list_mic {
        notes.push(format!("mechListMIC {mic}"));
    }
    writeln!(out, "  {:<18}  {}", "", notes.join(", "))
}

/// The Security section: one paragraph per weak setting found.
fn security(analysis: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    if analysis.security.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nSecurity")?;
    for f in &analysis.security {
        let mut line = format!(
            "  {:<22} {:>4}x  first frame {}",
            f.kind.name(),
            f.count,
            f.first_frame
        );
        if !f.variants.is_empty() {
            line += &format!("  ({})", f.variant_names().join(", "));
        }
        let conns: Vec<String> = f.connections.iter().map(|c| format!("#{c}")).collect();
        line += &format!("  connections {}", conns.join(" "));
        if !f.users.is_empty() {
            line += &format!("  users {}", f.users.join(", "));
        }
        writeln!(out, "{line}")?;
        writeln!(out, "      why: {}", f.why)?;
        writeln!(out, "      fix: {}", f.fix)?;
    }
    Ok(())
}

/// `DOMAIN\\user`, `user`, or `?` when the logon was not replayed.
pub(crate) fn user_name(s: &Session) -> String {
    match (&s.domain, &s.user) {
        (Some(d), Some(u)) if !d.is_empty() => format!("{d}\\{u}"),
        (_, Some(u)) => u.clone(),
        _ => "?".into(),
    }
}

/// The file a break concerns: `share\\path`, the path, or the FileId.
pub(crate) fn break_file(b: &Break) -> String {
    match (&b.share, &b.file) {
        (Some(share), Some(f)) => format!("{share}\\{}", f.trim_start_matches('\\')),
        (None, Some(f)) => f.clone(),
        _ => b.file_id.clone().unwrap_or_else(|| "?".into()),
    }
}

/// Seconds since the capture's first connection, as `12.345678`.
pub fn relative(ts: Timestamp, start: Timestamp) -> String {
    let us = (ts.0 - start.0) / 1_000;
    format!("{}.{:06}", us / 1_000_000, (us % 1_000_000).abs())
}

/// The "Breaks" section: one row per break notification, then what is known about it.
fn breaks(analysis: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let c = &analysis.break_counts;
    if c.notifications == 0 && c.acknowledgments == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\nBreaks  notifications {}  acknowledgments {}  responses {}  unacknowledged {}  rejected {}  unmatched acks {}",
        c.notifications,
        c.acknowledgments,
        c.responses,
        c.unacknowledged,
        c.rejected,
        c.unmatched_acks
    )?;
    if c.dropped > 0 {
        writeln!(out, "  ({} more breaks counted but not listed)", c.dropped)?;
    }
    writeln!(
        out,
        "  {:<7} {:<6} {:<5} {:<18} {:<5} {:<7} {:<5} {:>12}  {:<15} file",
        "frame", "kind", "proto", "levels", "on", "ack", "ack on", "latency", "status"
    )?;
    let chains = super::chains::chains(&analysis.breaks);
    for b in &analysis.breaks {
        if b.frame == b.chain_first
            && let Some(lead) = chains
                .get(&(b.kind.name(), b.frame))
                .and_then(|c| super::chains::lead(c, &analysis.connections))
        {
            writeln!(out, "  {lead}")?;
        }
        break_row(b, out)?;
    }
    Ok(())
}

fn break_row(b: &Break, out: &mut dyn Write) -> io::Result<()> {
    let ack = b.ack.as_ref();
    let levels = format!(
        "{} -> {}",
        b.old_level.as_deref().unwrap_or("?"),
        b.new_level
    );
    let status = match (b.outcome(), ack.and_then(|a| a.status)) {
        (BreakOutcome::AckRejected, Some(st)) => format!("rejected {}", names::status_text(st)),
        (o, _) => o.name().to_string(),
    };
    let file = break_file(b);
    writeln!(
        out,
        "  {:<7} {:<6} {:<5} {:<18} {:<5} {:<7} {:<6} {:>11}  {:<15} {file}",
        b.frame,
        b.kind.name(),
        b.protocol.name(),
        levels,
        format!("#{}", b.conn),
        ack.map(|a| a.frame.to_string())
            .unwrap_or_else(|| "-".into()),
        ack.map(|a| format!("#{}", a.conn))
            .unwrap_or_else(|| "-".into()),
        b.latency_ms
            .map(|l| format!("{l:.3} ms"))
            .unwrap_or_else(|| "-".into()),
        status,
    )?;
    let mut notes = Vec::new();
    if let Some(sid) = b.session_id {
        notes.push(format!("sess {}", session_hex(sid)));
    }
    if let Some(k) = &b.lease_key {
        notes.push(format!("lease {k}"));
    }
    if let Some(e) = b.epoch {
        notes.push(format!("epoch {e}"));
    }
    if let Some(f) = b.flags {
        let ack = if f & 1 != 0 { " ACK_REQUIRED" } else { "" };
        notes.push(format!("flags 0x{f:x}{ack}"));
    }
    if let Some(a) = ack.and_then(|a| a.response_frame.map(|r| (r, a))) {
        notes.push(format!(
            "response frame {}{}",
            a.0,
            a.1.response_level
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ));
    }
    if !b.rejected_acks.is_empty() {
        // Runs of one status: "28, 30 (STATUS_REQUEST_NOT_ACCEPTED), 44 (...)".
        let mut runs: Vec<(Option<u32>, Vec<String>)> = Vec::new();
        for a in &b.rejected_acks {
            match runs.last_mut() {
                Some((st, frames)) if *st == a.status => frames.push(a.frame.to_string()),
                _ => runs.push((a.status, vec![a.frame.to_string()])),
            }
        }
        let runs: Vec<String> = runs
            .iter()
            .map(|(st, frames)| {
                let st = st.map_or_else(|| "unanswered".to_string(), names::status_text);
                format!("{} ({st})", frames.join(", "))
            })
            .collect();
        notes.push(format!("refused acks at frames {}", runs.join(", ")));
    }
    if b.cross_channel() {
        notes.push("acknowledged on another channel".into());
    }
    if let Some(f) = b.resent_as {
        notes.push(format!("sent again at frame {f}"));
    }
    if let Some(f) = b.resend_of {
        notes.push(format!("repeats frame {f}"));
    }
    if b.paths.len() > 1 {
        notes.push(format!("paths {}", b.paths.join(", ")));
    }
    if b.tcp_retransmissions > 0 {
        notes.push(format!("TCP retransmitted {}x", b.tcp_retransmissions));
    }
    if let Some(l) = &b.late_ack {
        notes.push(format!("late ack frame {} on #{}", l.frame, l.conn));
    }
    if let Some(c) = &b.cause {
        let whose = if c.same_session {
            "same session"
        } else {
            "other session"
        };
        notes.push(format!(
            "after {} frame {} on #{} sess {} ({whose})",
            c.command,
            c.frame,
            c.conn,
            session_hex(c.session_id)
        ));
    }
    if !notes.is_empty() {
        writeln!(out, "  {:<7} {}", "", notes.join(", "))?;
    }
    Ok(())
}

/// The "Channels" section: each session with more than one channel, channel by channel.
fn channels(analysis: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let multi: Vec<&Session> = analysis
        .sessions
        .iter()
        .filter(|s| s.channels.len() > 1)
        .collect();
    let interfaces = analysis
        .connections
        .iter()
        .any(|c| !c.interfaces.is_empty());
    if multi.is_empty() && !interfaces {
        return Ok(());
    }
    writeln!(out, "\nChannels")?;
    for s in multi {
        writeln!(
            out,
            "  session {}  {} channels",
            session_hex(s.id),
            s.channels.len()
        )?;
        for id in &s.channels {
            let c = analysis.connections.iter().find(|c| c.id == *id);
            let binding = analysis
                .bindings
                .iter()
                .find(|b| b.session_id == s.id && b.conn == *id);
            let mut line = format!("    #{id:<3}");
            if let Some(c) = c {
                line += &format!(" {} -> {}", c.client, c.server);
            }
            match binding {
                Some(b) => {
                    let valid = match b.valid() {
                        Some(true) => "valid".to_string(),
                        Some(false) => "INVALID".to_string(),
                        None => format!("request {}", b.request_verdict),
                    };
                    let refused = match (b.accepted(), b.status) {
                        (Some(false), Some(status)) => {
                            format!(", refused: {}", names::status_text(status))
                        }
                        _ => String::new(),
                    };
                    line += &format!("  bound at frame {} ({valid}{refused})", b.frame);
                }
                None => line += "  first channel",
            }
            let requests = c
                .and_then(|c| c.session_requests.get(&s.id))
                .copied()
                .unwrap_or(0);
            line += &format!("  requests {requests}");
            let notified = analysis
                .breaks
                .iter()
                .filter(|b| b.session_id == Some(s.id) && b.conn == *id)
                .count();
            let acked = analysis
                .breaks
                .iter()
                .filter(|b| {
                    b.session_id == Some(s.id) && b.ack.as_ref().is_some_and(|a| a.conn == *id)
                })
                .count();
            if notified + acked > 0 {
                line += &format!("  breaks notified {notified} acknowledged {acked}");
            }
            if let Some(tcp) = c.and_then(super::chains::tcp_health) {
                line += &format!("  {tcp}");
            }
            writeln!(out, "{line}")?;
            if let Some(g) = c.and_then(|c| c.client_guid.as_ref()) {
                writeln!(out, "         client GUID {g}")?;
            }
        }
    }
    for c in analysis
        .connections
        .iter()
        .filter(|c| !c.interfaces.is_empty())
    {
        writeln!(
            out,
            "  server interfaces reported on #{} (frame {})",
            c.id, c.interfaces[0].frame
        )?;
        for i in &c.interfaces {
            let mut caps = Vec::new();
            if i.rss {
                caps.push("RSS");
            }
            if i.rdma {
                caps.push("RDMA");
            }
            writeln!(
                out,
                "    if {:<4} {:<40} {:>12}  {}",
                i.if_index,
                i.address
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "?".into()),
                link_speed(i.link_speed),
                caps.join(" ")
            )?;
        }
    }
    Ok(())
}

/// Bits per second as people say it: `10 Gbit/s`, `100 Mbit/s`.
fn link_speed(bps: u64) -> String {
    match bps {
        0 => "?".into(),
        b if b >= 1_000_000_000 && b % 1_000_000_000 == 0 => {
            format!("{} Gbit/s", b / 1_000_000_000)
        }
        b if b >= 1_000_000 => format!("{} Mbit/s", b / 1_000_000),
        b => format!("{b} bit/s"),
    }
}

/// "1 frame", "2 frames".
fn counted(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}
