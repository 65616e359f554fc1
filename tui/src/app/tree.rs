//! The connection/session tree: its items, which of them can be selected, and what
//! choosing one does (show only that connection, session or channel).

use crate::model::Timeline;

use super::{App, Pane};

/// One line of the connection/session tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeItem {
    All,
    Heading(&'static str),
    /// Index into `Analysis::connections`.
    Connection(usize),
    /// Index into `Analysis::sessions`.
    Session(usize),
    /// A channel of a session (index into `Analysis::sessions`, connection id).
    Channel(usize, u32),
}

impl TreeItem {
    pub(super) fn selectable(self) -> bool {
        !matches!(self, TreeItem::Heading(_))
    }
}

/// The tree: all messages, the connections, then each session with its channels.
pub(super) fn tree_items(t: &Timeline) -> Vec<TreeItem> {
    let mut items = vec![TreeItem::All, TreeItem::Heading("Connections")];
    items.extend((0..t.analysis.connections.len()).map(TreeItem::Connection));
    items.push(TreeItem::Heading("Sessions"));
    for (i, s) in t.analysis.sessions.iter().enumerate() {
        items.push(TreeItem::Session(i));
        items.extend(s.channels.iter().map(|c| TreeItem::Channel(i, *c)));
    }
    items
}

/// The first item that can be selected (0 if none can).
pub(super) fn first_selectable(tree: &[TreeItem]) -> usize {
    tree.iter().position(|t| t.selectable()).unwrap_or(0)
}

impl App {
    /// The selectable tree item at or next to `i`, preferring the direction of travel.
    pub(super) fn nearest_selectable(&self, i: usize, forward: bool) -> usize {
        let ok = |j: &usize| self.tree.get(*j).is_some_and(|t| t.selectable());
        let ahead = if forward {
            (i..self.tree.len()).find(ok)
        } else {
            (0..=i).rev().find(ok)
        };
        let behind = if forward {
            (0..=i).rev().find(ok)
        } else {
            (i..self.tree.len()).find(ok)
        };
        ahead.or(behind).unwrap_or(self.tree_selected)
    }

    /// Shows only the connection, session or channel of the selected tree item.
    pub(super) fn apply_tree_item(&mut self) {
        let Some(item) = self.tree.get(self.tree_selected).copied() else {
            return;
        };
        let a = &self.timeline.analysis;
        let (session, channel) = match item {
            TreeItem::All | TreeItem::Heading(_) => (None, None),
            TreeItem::Connection(c) => (None, a.connections.get(c).map(|c| c.id)),
            TreeItem::Session(s) => (a.sessions.get(s).map(|s| s.id), None),
            TreeItem::Channel(s, c) => (a.sessions.get(s).map(|s| s.id), Some(c)),
        };
        self.filter.session = session;
        self.filter.channel = channel;
        self.rebuild_view();
        self.focus = Pane::Timeline;
    }
}
