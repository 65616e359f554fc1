//! The help overlay: the key list of `input`, over the middle of the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::input::KEYS;

pub(super) fn draw(frame: &mut Frame, area: Rect) {
    let popup = centered(area, 84, KEYS.len() as u16 + 4);
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
