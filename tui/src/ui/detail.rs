//! The detail pane: the selected message's fields, its events and link, its decoded
//! header, and its hex dump beside them (below them in a narrow terminal).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use smbcheck_model::names::{self, session_hex};
use smbcheck_model::{Break, BreakCause, Direction, LogonMac, Verdict};

use super::header;
use super::hex::{DUMP_WIDTH, hex_dump};
use super::{pane_block, verdict_style, verdict_text};
use crate::app::{App, Pane};
use crate::model::Row;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block(" Detail ".into(), app.focus() == Pane::Detail);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((i, row)) = app
        .selected_index()
        .and_then(|i| app.timeline().messages.get(i).map(|r| (i, r)))
    else {
        frame.render_widget(Paragraph::new("no message selected"), inner);
        return;
    };
    let info = detail_lines(app, i, row);
    let dump = hex_dump(row);
    let scroll = (app.detail_scroll, 0);
    if inner.width >= DUMP_WIDTH + 40 {
        let [left, right] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(DUMP_WIDTH)])
                .spacing(2)
                .areas(inner);
        frame.render_widget(
            Paragraph::new(info)
                .wrap(Wrap { trim: false })
                .scroll(scroll),
            left,
        );
        frame.render_widget(Paragraph::new(dump).scroll(scroll), right);
    } else {
        let mut lines = info;
        lines.push(Line::default());
        lines.extend(dump);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll(scroll),
            inner,
        );
    }
}

fn field(name: &str, value: impl Into<Span<'static>>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<10}"), Style::new().bold()),
        value.into(),
    ])
}

fn detail_lines(app: &App, i: usize, r: &Row) -> Vec<Line<'static>> {
    let t = app.timeline();
    let a = &t.analysis;
    let m = &r.message;
    let conn = a.connections.iter().find(|c| c.id == m.conn);
    let (from, to) = match (conn, m.dir) {
        (Some(c), Direction::ToServer) => (c.client.to_string(), c.server.to_string()),
        (Some(c), Direction::ToClient) => (c.server.to_string(), c.client.to_string()),
        (None, _) => (String::new(), String::new()),
    };
    let kind = if m.is_response { "response" } else { "request" };
    let mut lines = vec![
        field(
            "Frame",
            format!("{}  t {:.6}s  channel #{}", m.frame, t.time(m), m.conn),
        ),
        field("Path", format!("{from} → {to}")),
        field(
            "Message",
            format!(
                "{} {} {kind}",
                m.protocol.name().to_uppercase(),
                names::command(m.protocol, m.command)
            ),
        ),
        field(
            "Ids",
            format!(
                "msg {}  session {}",
                if m.message_id == u64::MAX {
                    "0xffffffffffffffff".to_string()
                } else {
                    m.message_id.to_string()
                },
                session_hex(m.session_id)
            ),
        ),
        field("Status", names::status_text(m.status)),
        field(
            "Verdict",
            Span::styled(verdict_text(m.verdict), verdict_style(m.verdict)),
        ),
    ];
    if let Some(alg) = m.algorithm {
        lines.push(field("Algorithm", alg));
    }
    // The key the engine checked it with, or why there was none.
    let key = match (m.key, m.verdict) {
        (Some(k), _) => Some(format!(
            "{} of session {}",
            k.describe(),
            session_hex(m.session_id)
        )),
        (None, Verdict::Unverified(why)) => {
            Some(format!("none: {}", names::unverified_why(why, true)))
        }
        _ => None,
    };
    if let Some(k) = key {
        lines.push(field("Key", k));
    }
    if let Some(f) = &m.file {
        lines.push(field("File", f.clone()));
    }
    // The SESSION_SETUP response that ends a logon: the logon's own signatures.
    if let Some(l) = &m.logon {
        let session = a.sessions.iter().find(|s| s.id == m.session_id);
        if let Some(check) = session.and_then(|s| s.password_check.as_ref()) {
            lines.push(field("Password", check.to_string()));
        }
        for (name, mac) in [("NTLM MIC", &l.ntlm_mic), ("SPNEGO MIC", &l.mech_list_mic)] {
            if let Some(mac) = mac {
                let style = match mac {
                    LogonMac::Valid => Color::Green,
                    LogonMac::Invalid(_) => Color::Red,
                    _ => Color::Reset,
                };
                lines.push(field(name, Span::styled(mac.to_string(), style)));
            }
        }
    }
    if let Some(marks) = app.marks(i) {
        for p in marks.problems.iter().filter_map(|p| a.problems.get(*p)) {
            lines.push(field(
                "Problem",
                Span::styled(format!("{}: {}", p.kind, p.detail), Color::Red),
            ));
        }
        if let Some(b) = marks.break_of.and_then(|b| a.breaks.get(b)) {
            let kind = b.kind.name();
            let text = match (b.ack.as_ref().map(|a| a.frame), b.latency_ms) {
                (Some(f), Some(ms)) => {
                    format!("{kind} break, acknowledged in frame {f} after {ms:.3} ms")
                }
                (Some(f), None) => format!("{kind} break, acknowledged in frame {f}"),
                (None, _) => format!("{kind} break, never acknowledged"),
            };
            lines.push(field("Break", text));
            lines.push(field("", break_detail(b)));
            if let Some(c) = &b.cause {
                lines.push(field("Cause", cause_text(c)));
            }
            // A copy of a re-sent break, or one TCP had to retransmit (issue 23).
            if b.chain_first != b.frame || b.resent_as.is_some() || b.tcp_retransmissions > 0 {
                let stall = b
                    .stall_ms
                    .map(|ms| format!(", stalled {}", names::duration(ms)))
                    .unwrap_or_default();
                let ack = b.tcp_acked.map_or("no TCP ACK".to_string(), |f| {
                    format!("TCP ACK in frame {f}")
                });
                lines.push(field(
                    "Chain",
                    format!(
                        "first copy in frame {} on #{}{stall}; this copy: {} TCP retransmissions, {ack}",
                        b.chain_first, b.chain_first_conn, b.tcp_retransmissions
                    ),
                ));
            }
        }
        if let Some(b) = marks.ack_of.and_then(|b| a.breaks.get(b)) {
            let latency = b
                .latency_ms
                .map(|ms| format!(" after {ms:.3} ms"))
                .unwrap_or_default();
            lines.push(field(
                "Ack",
                format!(
                    "acknowledges the {} break of frame {}{latency}",
                    b.kind.name(),
                    b.frame
                ),
            ));
        }
        if let Some(b) = marks.binding.and_then(|b| a.bindings.get(b)) {
            let verdict = match b.valid() {
                Some(true) => "valid",
                Some(false) => "INVALID",
                None => "not checked",
            };
            lines.push(field(
                "Binding",
                format!(
                    "channel #{} bound to session {} ({verdict}{})",
                    b.conn,
                    session_hex(b.session_id),
                    b.status
                        .map(|s| format!(", {}", names::status_text(s)))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if let Some((j, how)) = app.link(i) {
        let frame = t.messages.get(j).map_or(0, |r| r.message.frame);
        lines.push(field("Link", format!("{how} in frame {frame} (Enter)")));
    }
    let fields = m.header.as_ref().map(header::fields).unwrap_or_default();
    if !fields.is_empty() {
        lines.push(Line::from("Header").bold());
        for (name, value) in fields {
            lines.push(Line::from(format!("  {name:<14}{value}")));
        }
    }
    lines
}

/// The request that made the server break (the CREATE of another opener, as the text and
/// JSON reports name it), and how long it waited for its final response.
pub(super) fn cause_text(c: &BreakCause) -> String {
    let whose = if c.same_session {
        "same session"
    } else {
        "other session"
    };
    let mut s = format!(
        "{} of {} in frame {} on #{} by session {} ({whose})",
        c.command,
        c.path,
        c.frame,
        c.conn,
        session_hex(c.session_id)
    );
    match c.wait_ms {
        Some(w) => {
            s += &format!(", waited {}", names::duration(w));
            if let Some(f) = c.interim_frame {
                s += &format!(" (STATUS_PENDING in frame {f})");
            }
            if let (Some(f), Some(st)) = (c.response_frame, c.response_status) {
                s += &format!(", answered in frame {f}: {}", names::status_text(st));
            }
        }
        None => s += ", no final response seen",
    }
    s
}

/// The file, the levels, what came of the break, and where it was acknowledged.
fn break_detail(b: &Break) -> String {
    let mut detail = Vec::new();
    if let Some(f) = &b.file {
        detail.push(f.clone());
    }
    detail.push(match &b.old_level {
        Some(old) => format!("{old} → {}", b.new_level),
        None => format!("to {}", b.new_level),
    });
    detail.push(b.outcome().name().to_string());
    if b.cross_channel() {
        detail.push("acknowledged on another channel".to_string());
    }
    detail.join(", ")
}
