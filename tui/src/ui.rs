//! Drawing: the tree, the timeline (only its visible rows), the detail pane, the status bar
//! and the help overlay. Reads the app; writes back only the scroll offset and the areas
//! the mouse needs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, List, ListItem, ListState, Paragraph, Row as TableRow, Table,
    TableState, Wrap,
};

use crate::app::{App, Pane, TreeItem, arrow};
use crate::input::KEYS;
use crate::model::{Direction, Row, Timeline, Verdict, session_hex};

/// Width of the hex dump column: offset, 16 bytes, ASCII.
const DUMP_WIDTH: u16 = 72;
/// Bytes per hex dump line.
const DUMP_LINE: usize = 16;

pub fn draw(frame: &mut Frame, app: &mut App) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    let tree_width = (main.width / 5).clamp(16, 30);
    let [tree, right] =
        Layout::horizontal([Constraint::Length(tree_width), Constraint::Min(10)]).areas(main);
    let [timeline, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Min(3)]).areas(right);
    app.areas.tree = tree;
    app.areas.timeline = timeline;
    app.areas.detail = detail;

    draw_tree(frame, app, tree);
    draw_timeline(frame, app, timeline);
    draw_detail(frame, app, detail);
    draw_status(frame, app, status);
    if app.help_shown() {
        draw_help(frame, frame.area());
    }
}

fn pane_block(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, style))
}

fn short_session(id: u64) -> String {
    if id >> 32 == 0 {
        format!("{id:08x}")
    } else {
        format!("{id:016x}")
    }
}

fn draw_tree(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.timeline();
    let items: Vec<ListItem> = app
        .tree()
        .iter()
        .map(|item| ListItem::new(tree_line(t, *item)))
        .collect();
    let list = List::new(items)
        .block(pane_block(" Sessions ".into(), app.focus() == Pane::Tree))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(app.tree_selected()));
    frame.render_stateful_widget(list, area, &mut state);
}

fn tree_line(t: &Timeline, item: TreeItem) -> Line<'static> {
    match item {
        TreeItem::All => Line::from(format!("All messages ({})", t.messages.len())),
        TreeItem::Heading(h) => Line::from(h).bold(),
        TreeItem::Connection(i) => match t.connections.get(i) {
            Some(c) => Line::from(format!(
                " #{} {} {}",
                c.id,
                c.client,
                c.dialect.as_deref().unwrap_or("")
            )),
            None => Line::default(),
        },
        TreeItem::Session(i) => match t.sessions.get(i) {
            Some(s) => {
                let user = s.user.as_deref().unwrap_or("?");
                let user = user.rsplit('\\').next().unwrap_or(user);
                let mut spans = vec![Span::raw(format!(
                    " {} {} {}",
                    short_session(s.id),
                    user,
                    s.auth.as_deref().unwrap_or("")
                ))];
                if s.invalid > 0 {
                    spans.push(Span::styled(format!(" {}✗", s.invalid), Color::Red));
                }
                Line::from(spans)
            }
            None => Line::default(),
        },
        TreeItem::Channel(s, c) => {
            let binding = t.sessions.get(s).and_then(|s| {
                t.bindings
                    .iter()
                    .find(|b| b.session_id == s.id && b.channel == c)
            });
            let client = t
                .connections
                .iter()
                .find(|k| k.id == c)
                .map(|k| k.client.clone())
                .unwrap_or_default();
            match binding {
                Some(b) => {
                    let (mark, color) = match b.valid {
                        Some(true) => ("✓", Color::Green),
                        Some(false) => ("✗", Color::Red),
                        None => ("?", Color::Yellow),
                    };
                    Line::from(vec![
                        Span::raw(format!("   #{c} bound f{} ", b.frame)),
                        Span::styled(mark, color),
                    ])
                }
                None => Line::from(format!("   #{c} {client}")),
            }
        }
    }
}

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Valid => Style::new().fg(Color::Green),
        Verdict::Invalid => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Verdict::Unverified => Style::new().fg(Color::Yellow),
        Verdict::Unsigned => Style::new().add_modifier(Modifier::DIM),
    }
}

fn verdict_text(r: &Row) -> String {
    match &r.reason {
        Some(reason) => format!("{} {reason}", r.verdict.name()),
        None => r.verdict.name().to_string(),
    }
}

/// The note column: problems, break/ack links, bindings, file names.
fn note(app: &App, i: usize, r: &Row) -> Line<'static> {
    let t = app.timeline();
    let mut spans = Vec::new();
    if let Some(m) = app.marks(i) {
        for p in m.problems.iter().filter_map(|p| t.problems.get(*p)) {
            spans.push(Span::styled(format!("! {} ", p.kind), Color::Red));
        }
        if let Some(b) = m.break_of.and_then(|b| t.breaks.get(b)) {
            let text = match (b.ack_frame, b.latency_ms) {
                (Some(f), Some(ms)) => format!("{} break → f{f} {ms:.1}ms ", b.kind),
                (Some(f), None) => format!("{} break → f{f} ", b.kind),
                _ => format!("{} break, no ack ", b.kind),
            };
            let color = if b.acknowledged {
                Color::Magenta
            } else {
                Color::Red
            };
            spans.push(Span::styled(text, color));
        }
        if let Some(b) = m.ack_of.and_then(|b| t.breaks.get(b)) {
            spans.push(Span::styled(format!("ack ← f{} ", b.frame), Color::Magenta));
        }
        if let Some(b) = m.binding.and_then(|b| t.bindings.get(b)) {
            spans.push(Span::styled(
                format!("binds #{} to {} ", b.channel, short_session(b.session_id)),
                Color::Cyan,
            ));
        }
    }
    if let Some(f) = &r.file {
        spans.push(Span::raw(f.clone()));
    }
    Line::from(spans)
}

fn draw_timeline(frame: &mut Frame, app: &mut App, area: Rect) {
    let block = pane_block(
        format!(
            " Timeline {}/{} ",
            app.view().len(),
            app.timeline().messages.len()
        ),
        app.focus() == Pane::Timeline,
    );
    let inner = block.inner(area);
    // One line for the column header.
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    app.page = height;
    app.areas.timeline_rows = Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    };
    let selected = app.selected();
    if selected < app.offset {
        app.offset = selected;
    } else if selected >= app.offset + height {
        app.offset = selected + 1 - height;
    }
    let end = app.view().len().min(app.offset + height);
    let visible = app.view().get(app.offset..end).unwrap_or(&[]);

    let rows: Vec<TableRow> = visible
        .iter()
        .filter_map(|&i| app.timeline().messages.get(i).map(|r| (i, r)))
        .map(|(i, r)| {
            let dir = match r.direction {
                Direction::ToServer => Span::raw(arrow(r.direction)),
                Direction::ToClient => Span::styled(arrow(r.direction), Color::Blue),
            };
            TableRow::new(vec![
                Cell::from(Line::from(format!("{:.6}", r.time)).right_aligned()),
                Cell::from(Line::from(r.frame.to_string()).right_aligned()),
                Cell::from(format!("#{}", r.channel)),
                Cell::from(dir),
                Cell::from(r.command.clone()),
                Cell::from(
                    Line::from(if r.message_id == u64::MAX {
                        "-".to_string()
                    } else {
                        r.message_id.to_string()
                    })
                    .right_aligned(),
                ),
                Cell::from(short_session(r.session_id)),
                Cell::from(
                    r.status
                        .strip_prefix("STATUS_")
                        .unwrap_or(&r.status)
                        .to_string(),
                ),
                Cell::from(Span::styled(verdict_text(r), verdict_style(r.verdict))),
                Cell::from(note(app, i, r)),
            ])
        })
        .collect();
    let header = TableRow::new(vec![
        Cell::from(Line::from("Time").right_aligned()),
        Cell::from(Line::from("Frame").right_aligned()),
        Cell::from("Ch"),
        Cell::from(""),
        Cell::from("Command"),
        Cell::from(Line::from("Msg").right_aligned()),
        Cell::from("Session"),
        Cell::from("Status"),
        Cell::from("Verdict"),
        Cell::from("Note"),
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let widths = [
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(16),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(24),
        Constraint::Length(17),
        Constraint::Min(8),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default()
        .with_selected((!app.view().is_empty()).then(|| selected.saturating_sub(app.offset)));
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_detail(frame: &mut Frame, app: &App, area: Rect) {
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

fn hex_dump(r: &Row) -> Vec<Line<'static>> {
    let sig = r.signature.clone().unwrap_or(0..0);
    let sig_style = Style::new()
        .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        .patch(verdict_style(r.verdict).remove_modifier(Modifier::DIM));
    let mut lines = vec![
        Line::from(format!(
            "Bytes {} of {}{}",
            r.bytes.len(),
            r.length,
            if sig.is_empty() {
                String::new()
            } else {
                format!("  signature {}..{}", sig.start, sig.end)
            }
        ))
        .bold(),
    ];
    for (n, chunk) in r.bytes.chunks(DUMP_LINE).enumerate() {
        let base = n * DUMP_LINE;
        let mut spans = vec![Span::styled(format!("{base:04x}  "), Color::DarkGray)];
        for k in 0..DUMP_LINE {
            let text = match chunk.get(k) {
                Some(b) => format!("{b:02x}"),
                None => "  ".to_string(),
            };
            let style = if sig.contains(&(base + k)) {
                sig_style
            } else {
                Style::new()
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(if k == 7 { "  " } else { " " }));
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        spans.push(Span::raw(" "));
        spans.push(Span::styled(ascii, Color::DarkGray));
        lines.push(Line::from(spans));
    }
    lines
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.timeline();
    let s = &t.summary;
    let position = if app.view().is_empty() {
        "0/0".to_string()
    } else {
        format!("{}/{}", app.selected() + 1, app.view().len())
    };
    let left: Vec<Span> = if let Some(q) = app.search() {
        vec![
            Span::styled(" / ", Style::new().bold()),
            Span::raw(q.to_string()),
            Span::styled("█", Color::Gray),
            Span::raw("  Enter: find  Esc: cancel"),
        ]
    } else {
        let mut spans = vec![
            Span::styled(format!(" {} ", t.title), Style::new().bold()),
            Span::raw(format!("{} msgs {} signed: ", s.messages, s.signed)),
            Span::styled(format!("{} valid", s.valid), Color::Green),
            Span::raw(" "),
            Span::styled(
                format!("{} invalid", s.invalid),
                if s.invalid > 0 {
                    Style::new().fg(Color::Red).bold()
                } else {
                    Style::new()
                },
            ),
            Span::raw(" "),
            Span::styled(format!("{} unverified", s.unverified), Color::Yellow),
            Span::raw(format!(
                " │ {} problems {} breaks │ filter: {} │ {position}",
                t.problems.len(),
                t.breaks.len(),
                app.filter().describe()
            )),
        ];
        if let Some(n) = app.notice().or(s.not_verified.as_deref()) {
            spans.push(Span::styled(format!(" │ {n}"), Color::Yellow));
        }
        spans
    };
    let [l, r] = Layout::horizontal([Constraint::Min(10), Constraint::Length(16)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(left)).style(Style::new().bg(Color::Black)),
        l,
    );
    frame.render_widget(
        Paragraph::new(Line::from("? help  q quit ").right_aligned())
            .style(Style::new().bg(Color::Black)),
        r,
    );
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let width = area.width.min(84);
    let height = area.height.min(KEYS.len() as u16 + 4);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<15}"), Style::new().fg(Color::Cyan).bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(
        Line::from(" Verdicts: valid green, invalid red, unverified yellow, unsigned dim").dim(),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .title(" Keys ")
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        popup,
    );
}
