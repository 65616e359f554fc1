//! Moving around: the selection in the focused pane, the panes themselves, following a
//! link, the next or previous problem, and the mouse wheel and clicks.

use ratatui::layout::Position;

use super::{App, Filter, Pane};

/// Rows moved by one mouse wheel step.
const WHEEL_STEP: usize = 3;

impl App {
    /// Moves the selection of the focused pane (the detail pane: its scroll) by `delta`.
    pub(super) fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Timeline => {
                let pos = step(self.selected, delta, self.view.len());
                self.select(pos);
            }
            Pane::Tree => {
                let target = step(self.tree_selected, delta, self.tree.len());
                self.tree_selected = self.nearest_selectable(target, delta >= 0);
            }
            Pane::Detail => {
                let lines = u16::try_from(delta.unsigned_abs()).unwrap_or(u16::MAX);
                self.detail_scroll = if delta < 0 {
                    self.detail_scroll.saturating_sub(lines)
                } else {
                    self.detail_scroll.saturating_add(lines).min(u16::MAX / 2)
                };
            }
        }
    }

    /// Selects position `pos` of the view, the detail pane back at its top.
    pub(super) fn select(&mut self, pos: usize) {
        self.selected = pos;
        self.detail_scroll = 0;
    }

    pub(super) fn cycle_pane(&mut self, forward: bool) {
        self.focus = match (self.focus, forward) {
            (Pane::Tree, true) | (Pane::Detail, false) => Pane::Timeline,
            (Pane::Timeline, true) | (Pane::Tree, false) => Pane::Detail,
            (Pane::Detail, true) | (Pane::Timeline, false) => Pane::Tree,
        };
        // A hidden tree is skipped.
        if self.focus == Pane::Tree && self.tree_hidden() {
            self.cycle_pane(forward);
        }
    }

    /// Whether the last drawing left the tree pane out.
    fn tree_hidden(&self) -> bool {
        self.areas.timeline.width > 0 && self.areas.tree.width == 0
    }

    /// `t`: shows the tree pane (and focuses it) or hides it, whatever the width.
    pub(super) fn toggle_tree(&mut self) {
        let hidden = self.tree_hidden();
        self.tree_shown = Some(hidden);
        self.focus = if hidden { Pane::Tree } else { Pane::Timeline };
    }

    pub(super) fn enter(&mut self) {
        match self.focus {
            Pane::Tree => self.apply_tree_item(),
            Pane::Timeline | Pane::Detail => match self.selected_index().and_then(|i| self.link(i))
            {
                Some((target, _)) => self.select_row(target),
                None => self.notice = Some("no linked message".into()),
            },
        }
    }

    /// Selects message `i`; clears the filter first when it hides that message.
    fn select_row(&mut self, i: usize) {
        if self.view.binary_search(&i).is_err() {
            self.filter = Filter::default();
            self.rebuild_view();
            self.notice = Some("filter cleared to show the linked message".into());
        }
        if let Ok(pos) = self.view.binary_search(&i) {
            self.select(pos);
        }
        self.focus = Pane::Timeline;
    }

    pub(super) fn next_problem(&mut self, forward: bool) {
        if self.problem_rows.is_empty() {
            self.notice = Some("no problems in this capture".into());
            return;
        }
        let is_problem = |pos: &usize| {
            self.view
                .get(*pos)
                .is_some_and(|i| self.problem_rows.binary_search(i).is_ok())
        };
        let n = self.view.len();
        let (first, wrapped) = if forward {
            (
                (self.selected + 1..n).find(is_problem),
                (0..n.min(self.selected + 1)).find(is_problem),
            )
        } else {
            (
                (0..self.selected).rev().find(is_problem),
                (self.selected..n).rev().find(is_problem),
            )
        };
        match (first, wrapped) {
            (Some(pos), _) => self.selected = pos,
            (None, Some(pos)) => {
                self.selected = pos;
                self.notice = Some(if forward {
                    "wrapped to the first problem".into()
                } else {
                    "wrapped to the last problem".into()
                });
            }
            (None, None) => self.notice = Some("no problem in this view".into()),
        }
        self.detail_scroll = 0;
        self.focus = Pane::Timeline;
    }

    /// The mouse wheel moves the pane under it, whichever pane has the focus.
    pub(super) fn scroll(&mut self, column: u16, row: u16, down: bool) {
        let at = Position::new(column, row);
        let pane = if self.areas.tree.contains(at) {
            Pane::Tree
        } else if self.areas.detail.contains(at) {
            Pane::Detail
        } else {
            Pane::Timeline
        };
        let saved = self.focus;
        self.focus = pane;
        let step = if pane == Pane::Tree { 1 } else { WHEEL_STEP };
        self.move_by(if down {
            step as isize
        } else {
            -(step as isize)
        });
        self.focus = saved;
    }

    /// A click focuses the pane under it and selects the message or tree item clicked.
    pub(super) fn click(&mut self, column: u16, row: u16) {
        let at = Position::new(column, row);
        if self.areas.timeline_rows.contains(at) {
            let pos = self.offset + usize::from(row - self.areas.timeline_rows.y);
            if pos < self.view.len() {
                self.select(pos);
            }
            self.focus = Pane::Timeline;
        } else if self.areas.timeline.contains(at) {
            self.focus = Pane::Timeline;
        } else if self.areas.tree.contains(at) {
            self.focus = Pane::Tree;
            let line = usize::from(row.saturating_sub(self.areas.tree.y + 1));
            if self.tree.get(line).is_some_and(|t| t.selectable()) {
                self.tree_selected = line;
            }
        } else if self.areas.detail.contains(at) {
            self.focus = Pane::Detail;
        }
    }
}

/// `from` moved by `delta` within `0..len`.
fn step(from: usize, delta: isize, len: usize) -> usize {
    let last = len.saturating_sub(1);
    if delta < 0 {
        from.saturating_sub(delta.unsigned_abs())
    } else {
        from.saturating_add(delta.unsigned_abs()).min(last)
    }
}
