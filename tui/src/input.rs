//! Keys and the mouse to actions. The key list below is also the help overlay.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::action::Action;
use crate::app::{App, Screen};

/// Every key, as the help overlay and tui/README.md list them.
pub const KEYS: &[(&str, &str)] = &[
    (
        "↑ ↓  k j",
        "previous / next message (tree: item, detail: scroll)",
    ),
    ("PgUp PgDn", "one page up / down"),
    ("g G  Home End", "first / last message"),
    (
        "Enter",
        "jump to the linked message: break ↔ ack, request ↔ response",
    ),
    (
        "",
        "(tree: only that session or channel; lanes: that event)",
    ),
    (
        "Tab Shift-Tab",
        "next / previous pane: tree, timeline, detail",
    ),
    ("t", "show / hide the tree (hidden below 120 columns)"),
    (
        "/",
        "search: command, file name, frame number, 0x session id",
    ),
    ("f F", "next / previous search match"),
    ("n N", "next / previous problem"),
    ("p", "filter: problems only (again: off)"),
    ("b", "filter: oplock/lease breaks and their acks only"),
    ("s", "filter: the selected message's session only"),
    ("c", "filter: the selected message's channel only"),
    ("S", "security findings; Enter: only the frames of one"),
    (
        "x Esc",
        "clear every filter (Esc: close a view or list first)",
    ),
    ("l", "lane view: the session's channels, breaks and acks"),
    (
        "← → [ ]",
        "lane view: scroll the lanes; previous / next session",
    ),
    ("h", "latency histogram of the session's break acks"),
    ("mouse", "wheel scrolls the pane under it, click selects"),
    ("?", "this help (? or Esc closes it)"),
    ("q Ctrl-C", "quit"),
];

/// The action for a terminal event in the app's current mode, if any.
pub fn action(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_action(app, key),
        Event::Mouse(mouse) => mouse_action(mouse),
        _ => None,
    }
}

fn key_action(app: &App, key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.search().is_some() {
        return match key.code {
            KeyCode::Enter => Some(Action::SearchSubmit),
            KeyCode::Esc => Some(Action::SearchCancel),
            KeyCode::Backspace => Some(Action::SearchBackspace),
            KeyCode::Char(c) => Some(Action::SearchInput(c)),
            _ => None,
        };
    }
    if app.help_shown() {
        return match key.code {
            KeyCode::Char('?') | KeyCode::Esc => Some(Action::Help),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        };
    }
    // Over the timeline (a view or a list), Esc closes it.
    let over = app.screen() != Screen::Timeline || app.security_shown().is_some();
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter => Action::Enter,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PrevPane,
        KeyCode::Char('/') => Action::SearchStart,
        KeyCode::Char('f') => Action::FindNext,
        KeyCode::Char('F') => Action::FindPrev,
        KeyCode::Char('n') => Action::NextProblem,
        KeyCode::Char('N') => Action::PrevProblem,
        KeyCode::Char('p') => Action::ToggleProblems,
        KeyCode::Char('b') => Action::ToggleBreaks,
        KeyCode::Char('s') => Action::ToggleSession,
        KeyCode::Char('c') => Action::ToggleChannel,
        // Esc closes (search, help: above) or clears; only q quits (as in less and htop).
        KeyCode::Esc if over => Action::Close,
        KeyCode::Char('x') | KeyCode::Esc => Action::ClearFilters,
        KeyCode::Char('t') => Action::ToggleTree,
        KeyCode::Char('l') => Action::Lanes,
        KeyCode::Char('h') => Action::Histogram,
        KeyCode::Char('S') => Action::Security,
        KeyCode::Left => Action::Left,
        KeyCode::Right => Action::Right,
        KeyCode::Char('[') => Action::PrevSession,
        KeyCode::Char(']') => Action::NextSession,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

fn mouse_action(mouse: &MouseEvent) -> Option<Action> {
    let (column, row) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Action::Scroll {
            column,
            row,
            down: true,
        }),
        MouseEventKind::ScrollUp => Some(Action::Scroll {
            column,
            row,
            down: false,
        }),
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { column, row }),
        _ => None,
    }
}
