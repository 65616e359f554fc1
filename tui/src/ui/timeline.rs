//! The timeline pane: one line per message of the view, only the visible ones built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table, TableState};

use smbcheck_model::names;
use smbcheck_model::{Direction, Message};

use super::columns::Columns;
use super::fit::{fit, short_command};
use super::{pane_block, short_session, verdict_style, verdict_text};
use crate::app::{App, Pane};

/// The note column: problems, break/ack links, bindings, file names.
/// The note column's width: what the other columns leave.
fn note_width(cols: &Columns, width: u16) -> usize {
    usize::from(width.saturating_sub(cols.used()))
}

/// The note column: problems, break/ack links, bindings, file names; cut after the last
/// whole word that fits (`width`), so no number in it is cut.
fn note(app: &App, i: usize, msg: &Message, width: usize) -> Line<'static> {
    let a = &app.timeline().analysis;
    let mut spans = Vec::new();
    if let Some(m) = app.marks(i) {
        for p in m.problems.iter().filter_map(|p| a.problems.get(*p)) {
            spans.push(Span::styled(format!("! {} ", p.kind), Color::Red));
        }
        if let Some(b) = m.break_of.and_then(|b| a.breaks.get(b)) {
            let kind = b.kind.name();
            let text = match (b.ack.as_ref().map(|a| a.frame), b.latency_ms) {
                (Some(f), Some(ms)) => format!("{kind} break → f{f} {ms:.1}ms "),
                (Some(f), None) => format!("{kind} break → f{f} "),
                _ => format!("{kind} break, no ack "),
            };
            let color = if b.ack.is_some() {
                Color::Magenta
            } else {
                Color::Red
            };
            spans.push(Span::styled(text, color));
        }
        if let Some(b) = m.ack_of.and_then(|b| a.breaks.get(b)) {
            spans.push(Span::styled(format!("ack ← f{} ", b.frame), Color::Magenta));
        }
        if let Some(b) = m.binding.and_then(|b| a.bindings.get(b)) {
            spans.push(Span::styled(
                format!("binds #{} to {} ", b.conn, short_session(b.session_id)),
                Color::Cyan,
            ));
        }
    }
    if let Some(f) = &msg.file {
        // The whole path, else its file name, else as much of it as fits.
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let room = width.saturating_sub(used);
        let name = f.rsplit('\\').next().unwrap_or(f);
        let shown = if f.chars().count() <= room {
            f.clone()
        } else if name.chars().count() <= room || room < 2 {
            name.to_string()
        } else {
            name.chars().take(room - 1).chain(['…']).collect()
        };
        spans.push(Span::raw(shown));
    }
    fit_spans(spans, width)
}

/// `spans` cut, after the last whole word that fits in `width`, with `…`.
fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut left = width;
    let mut out = Vec::new();
    for s in spans {
        let n = s.content.chars().count();
        if n <= left {
            left -= n;
            out.push(s);
            continue;
        }
        let cut = fit(s.content.trim_end(), left);
        out.push(Span::styled(cut, s.style));
        break;
    }
    Line::from(out)
}

pub(super) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
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

    let t = app.timeline();
    let last = (app.extents().last_ns - t.start.0).max(0) as f64 / 1e9;
    let cols = Columns::plan(app.extents(), format!("{last:.6}").len(), inner.width);
    let rows: Vec<TableRow> = visible
        .iter()
        .filter_map(|&i| t.messages.get(i).map(|r| (i, &r.message)))
        .map(|(i, m)| {
            let dir = match m.dir {
                Direction::ToServer => Span::raw(arrow(m.dir)),
                Direction::ToClient => Span::styled(arrow(m.dir), Color::Blue),
            };
            let status = names::status_text(m.status);
            let status = status.strip_prefix("STATUS_").unwrap_or(&status);
            let command = names::command(m.protocol, m.command);
            let verdict = if cols.verdict_reason() {
                verdict_text(m.verdict)
            } else {
                m.verdict.name().to_string()
            };
            let mut cells = vec![
                Cell::from(Line::from(format!("{:.6}", t.time(m))).right_aligned()),
                Cell::from(Line::from(m.frame.to_string()).right_aligned()),
                Cell::from(format!("#{}", m.conn)),
                Cell::from(dir),
                Cell::from(if cols.short_command() {
                    short_command(&command)
                } else {
                    command
                }),
            ];
            if cols.message_id.is_some() {
                cells.push(Cell::from(
                    Line::from(if m.message_id == u64::MAX {
                        "-".to_string()
                    } else {
                        m.message_id.to_string()
                    })
                    .right_aligned(),
                ));
            }
            if cols.session.is_some() {
                cells.push(Cell::from(short_session(m.session_id)));
            }
            cells.push(Cell::from(fit(status, usize::from(cols.status))));
            cells.push(Cell::from(Span::styled(verdict, verdict_style(m.verdict))));
            cells.push(Cell::from(note(app, i, m, note_width(&cols, inner.width))));
            TableRow::new(cells)
        })
        .collect();
    let mut header = vec![
        Cell::from(Line::from("Time").right_aligned()),
        Cell::from(Line::from("Frame").right_aligned()),
        Cell::from("Ch"),
        Cell::from(""),
        Cell::from("Command"),
    ];
    let mut widths = vec![
        Constraint::Length(cols.time),
        Constraint::Length(cols.frame),
        Constraint::Length(cols.channel),
        Constraint::Length(1),
        Constraint::Length(cols.command),
    ];
    if let Some(w) = cols.message_id {
        header.push(Cell::from(Line::from("Msg").right_aligned()));
        widths.push(Constraint::Length(w));
    }
    if let Some(w) = cols.session {
        header.push(Cell::from("Session"));
        widths.push(Constraint::Length(w));
    }
    header.extend([
        Cell::from("Status"),
        Cell::from("Verdict"),
        Cell::from("Note"),
    ]);
    widths.extend([
        Constraint::Length(cols.status),
        Constraint::Length(cols.verdict),
        Constraint::Fill(1),
    ]);
    let header = TableRow::new(header).style(Style::new().add_modifier(Modifier::BOLD));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default()
        .with_selected((!app.view().is_empty()).then(|| selected.saturating_sub(app.offset)));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The arrow of a direction, client on the left.
fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "→",
        Direction::ToClient => "←",
    }
}
