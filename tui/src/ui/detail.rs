//! The detail pane: the selected message's fields, its events and link, its decoded
//! header, and its hex dump beside them (below them in a narrow terminal).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::hex::{DUMP_WIDTH, hex_dump};
use super::{pane_block, verdict_style, verdict_text};
use crate::app::{App, Pane};
use crate::model::{Direction, Row, session_hex};

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
        frame.render_widget(Paragraph::new(lines).scroll(scroll), inner);
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
    let conn = t.connections.iter().find(|c| c.id == r.channel);
    let (from, to) = match (conn, r.direction) {
        (Some(c), Direction::ToServer) => (c.client.clone(), c.server.clone()),
        (Some(c), Direction::ToClient) => (c.server.clone(), c.client.clone()),
        (None, _) => (String::new(), String::new()),
    };
    let kind = if r.is_response { "response" } else { "request" };
    let mut lines = vec![
        field(
            "Frame",
            format!("{}  t {:.6}s  channel #{}", r.frame, r.time, r.channel),
        ),
        field("Path", format!("{from} → {to}")),
        field("Message", format!("{} {} {kind}", r.protocol, r.command)),
        field(
            "Ids",
            format!(
                "msg {}  session {}",
                if r.message_id == u64::MAX {
                    "0xffffffffffffffff".to_string()
                } else {
                    r.message_id.to_string()
                },
                session_hex(r.session_id)
            ),
        ),
        field("Status", r.status.clone()),
        field(
            "Verdict",
            Span::styled(verdict_text(r), verdict_style(r.verdict)),
        ),
    ];
    if let Some(a) = &r.algorithm {
        lines.push(field("Algorithm", a.clone()));
    }
    if let Some(k) = &r.key {
        lines.push(field("Key", k.clone()));
    }
    if let Some(f) = &r.file {
        lines.push(field("File", f.clone()));
    }
    if let Some(m) = app.marks(i) {
        for p in m.problems.iter().filter_map(|p| t.problems.get(*p)) {
            lines.push(field(
                "Problem",
                Span::styled(format!("{}: {}", p.kind, p.detail), Color::Red),
            ));
        }
        if let Some(b) = m.break_of.and_then(|b| t.breaks.get(b)) {
            let text = match (b.ack_frame, b.latency_ms) {
                (Some(f), Some(ms)) => {
                    format!(
                        "{} break, acknowledged in frame {f} after {ms:.3} ms",
                        b.kind
                    )
                }
                (Some(f), None) => format!("{} break, acknowledged in frame {f}", b.kind),
                (None, _) => format!("{} break, never acknowledged", b.kind),
            };
            lines.push(field("Break", text));
            if !b.detail.is_empty() {
                lines.push(field("", b.detail.clone()));
            }
        }
        if let Some(b) = m.ack_of.and_then(|b| t.breaks.get(b)) {
            let latency = b
                .latency_ms
                .map(|ms| format!(" after {ms:.3} ms"))
                .unwrap_or_default();
            lines.push(field(
                "Ack",
                format!(
                    "acknowledges the {} break of frame {}{latency}",
                    b.kind, b.frame
                ),
            ));
        }
        if let Some(b) = m.binding.and_then(|b| t.bindings.get(b)) {
            let verdict = match b.valid {
                Some(true) => "valid",
                Some(false) => "INVALID",
                None => "not checked",
            };
            lines.push(field(
                "Binding",
                format!(
                    "channel #{} bound to session {} ({verdict}{})",
                    b.channel,
                    session_hex(b.session_id),
                    b.status
                        .as_deref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if let Some((j, how)) = app.link(i) {
        let frame = t.messages.get(j).map_or(0, |m| m.frame);
        lines.push(field("Link", format!("{how} in frame {frame} (Enter)")));
    }
    if let Some(decode) = t.decode {
        let fields = decode(&r.bytes);
        if !fields.is_empty() {
            lines.push(Line::from("Header").bold());
            for (name, value) in fields {
                lines.push(Line::from(format!("  {name:<14}{value}")));
            }
        }
    }
    lines
}
