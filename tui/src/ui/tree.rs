//! The connection/session tree pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState};

use super::{pane_block, short_session};
use crate::app::{App, Pane, TreeItem};
use crate::model::Timeline;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
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
    let a = &t.analysis;
    match item {
        TreeItem::All => Line::from(format!("All messages ({})", t.messages.len())),
        TreeItem::Heading(h) => Line::from(h).bold(),
        TreeItem::Connection(i) => match a.connections.get(i) {
            Some(c) => Line::from(format!(
                " #{} {} {}",
                c.id,
                c.client,
                c.dialect.as_deref().unwrap_or("")
            )),
            None => Line::default(),
        },
        TreeItem::Session(i) => match a.sessions.get(i) {
            Some(s) => {
                // Its last `\` part: a client may name the domain in the user name.
                let user = s.user.as_deref().unwrap_or("?");
                let user = user.rsplit('\\').next().unwrap_or(user);
                let mut spans = vec![Span::raw(format!(
                    " {} {} {}",
                    short_session(s.id),
                    user,
                    s.auth.map_or("", |a| a.name())
                ))];
                if s.counts.invalid > 0 {
                    spans.push(Span::styled(format!(" {}✗", s.counts.invalid), Color::Red));
                }
                Line::from(spans)
            }
            None => Line::default(),
        },
        TreeItem::Channel(s, c) => {
            let binding = a.sessions.get(s).and_then(|s| {
                a.bindings
                    .iter()
                    .find(|b| b.session_id == s.id && b.conn == c)
            });
            let client = a
                .connections
                .iter()
                .find(|k| k.id == c)
                .map(|k| k.client.to_string())
                .unwrap_or_default();
            match binding {
                Some(b) => {
                    let (mark, color) = match b.valid() {
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
