//! Drawing: the tree, the timeline (only its visible rows), the detail pane, the status bar
//! and the help overlay, one module each. Reads the app; writes back only the scroll offset
//! and the areas the mouse needs.

mod columns;
mod detail;
mod fit;
mod header;
mod help;
mod hex;
mod histogram;
mod lanes;
mod security;
mod status;
mod timeline;
mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

use smbcheck_model::Verdict;

use crate::app::{App, Screen};

pub fn draw(frame: &mut Frame, app: &mut App) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    match app.screen() {
        Screen::Timeline => draw_timeline(frame, app, main),
        Screen::Lanes => lanes::draw(frame, app, main),
        Screen::Histogram => histogram::draw(frame, app, main),
    }
    status::draw(frame, app, status);
    if let Some(selected) = app.security_shown() {
        security::draw(frame, app, frame.area(), selected);
    }
    if app.help_shown() {
        help::draw(frame, frame.area());
    }
}

/// The main screen: the tree (when wide enough or asked for), the timeline and the detail.
fn draw_timeline(frame: &mut Frame, app: &mut App, main: Rect) {
    let tree_width = if app.tree_shown(main.width) {
        (main.width / 5).clamp(16, 30)
    } else {
        0
    };
    let [tree, right] =
        Layout::horizontal([Constraint::Length(tree_width), Constraint::Min(10)]).areas(main);
    let [timeline, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Min(3)]).areas(right);
    app.areas.tree = tree;
    app.areas.timeline = timeline;
    app.areas.detail = detail;

    if tree_width > 0 {
        tree::draw(frame, app, tree);
    }
    timeline::draw(frame, app, timeline);
    detail::draw(frame, app, detail);
}

/// A popup of at most `width` x `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (area.width.min(width), area.height.min(height));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A pane's border and title, highlighted when it has the focus.
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

/// A session id as the tree and the timeline show it: 8 hex digits when it fits.
fn short_session(id: u64) -> String {
    if id >> 32 == 0 {
        format!("{id:08x}")
    } else {
        format!("{id:016x}")
    }
}

/// The colour of a verdict, in the timeline, the detail pane and the hex dump.
fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Valid => Style::new().fg(Color::Green),
        Verdict::Invalid => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Verdict::Unverified(_) => Style::new().fg(Color::Yellow),
        Verdict::Unsigned => Style::new().add_modifier(Modifier::DIM),
    }
}

/// The verdict and, for an unverified message, why.
fn verdict_text(v: Verdict) -> String {
    match v.reason() {
        Some(reason) => format!("{} {reason}", v.name()),
        None => v.name().to_string(),
    }
}
