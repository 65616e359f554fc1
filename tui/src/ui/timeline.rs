//! The timeline pane: one line per message of the view, only the visible ones built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table, TableState};

use super::{pane_block, short_session, verdict_style, verdict_text};
use crate::app::{App, Pane};
use crate::model::{Direction, Row};

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

/// The arrow of a direction, client on the left.
fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "→",
        Direction::ToClient => "←",
    }
}
