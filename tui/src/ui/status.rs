//! The status bar: the counts, the filter, the position and the notice; the search
//! being typed takes its place.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use smbcheck_model::names;

use crate::app::App;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.timeline();
    let a = &t.analysis;
    let s = &a.summary;
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
                a.problems.len(),
                a.breaks.len(),
                app.filter().describe()
            )),
        ];
        let not_verified = names::not_verified_line(a);
        if let Some(n) = app.notice().or(not_verified.as_deref()) {
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
