//! The list of security findings (`S`, issue 22): one line per kind with its count, first
//! frame, variants and users; the selected one's reason and fix below. Enter limits the
//! timeline to its frames (`Filter::security`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use smbcheck_model::MAX_FINDING_FRAMES;

use super::centered;
use super::fit::fit;
use crate::app::App;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect, selected: usize) {
    let findings = &app.timeline().analysis.security;
    let popup = centered(area, 110, findings.len() as u16 + 14);
    frame.render_widget(Clear, popup);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" Security findings: Enter shows their frames, Esc closes ")
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let list_height = (findings.len() as u16).min(inner.height / 2).max(1);
    let [list_area, detail] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(inner);
    let line_width = usize::from(inner.width);
    let items: Vec<ListItem> = findings
        .iter()
        .map(|f| {
            let mut text = format!(
                "{:<21}{:>5}  first frame {}",
                f.kind, f.count, f.first_frame
            );
            if !f.variants.is_empty() {
                text += &format!("  {}", f.variant_names().join(", "));
            }
            if !f.users.is_empty() {
                text += &format!("  {}", f.users.join(", "));
            }
            ListItem::new(fit(&text, line_width))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items).highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
        list_area,
        &mut state,
    );
    let Some(f) = findings.get(selected) else {
        return;
    };
    let frames = f
        .frames
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let lines = vec![
        Line::default(),
        Line::from(vec!["Why  ".bold(), f.why.into()]),
        Line::from(vec!["Fix  ".bold(), f.fix.into()]),
        Line::from(if f.frames.len() >= MAX_FINDING_FRAMES {
            format!("Frames (the first {MAX_FINDING_FRAMES}) {frames}")
        } else {
            format!("Frames {frames}")
        }),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), detail);
}
