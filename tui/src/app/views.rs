//! The screens over the timeline: the channel-lane view of a session and its latency
//! histogram, and the list of security findings; opening, closing and moving in them.

use std::collections::HashMap;

use super::lanes::LaneView;
use super::{App, Filter, Pane};

/// What fills the screen above the status bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Timeline,
    Lanes,
    Histogram,
}

impl App {
    /// `l`: opens the lane view of the session the selection is about (a break's: the
    /// session that held the open), or of the session with the most breaks; closes it.
    pub(super) fn toggle_lanes(&mut self) {
        if self.screen != Screen::Timeline {
            self.screen = Screen::Timeline;
            return;
        }
        let Some(session) = self.pick_session() else {
            self.notice = Some("no session in this capture".into());
            return;
        };
        self.lanes = Some(LaneView::new(&self.timeline, session));
        self.screen = Screen::Lanes;
    }

    /// `h`: the histogram of the lane view's session (opens the lane view's session first).
    pub(super) fn toggle_histogram(&mut self) {
        match self.screen {
            Screen::Histogram => self.screen = Screen::Lanes,
            Screen::Lanes => self.screen = Screen::Histogram,
            Screen::Timeline => {
                self.toggle_lanes();
                if self.screen == Screen::Lanes {
                    self.screen = Screen::Histogram;
                }
            }
        }
    }

    /// `[` `]`: the lane view or histogram of the previous or next session.
    pub(super) fn next_session(&mut self, forward: bool) {
        let n = self.timeline.analysis.sessions.len();
        let Some(current) = self.lanes.as_ref().map(|l| l.session) else {
            return;
        };
        if n == 0 {
            return;
        }
        let next = if forward {
            (current + 1) % n
        } else {
            (current + n - 1) % n
        };
        self.lanes = Some(LaneView::new(&self.timeline, next));
    }

    /// The session of the selected message: for a break or its acknowledgment the session
    /// that held the open; else the session with the most breaks, then the most channels.
    fn pick_session(&self) -> Option<usize> {
        let a = &self.timeline.analysis;
        let index = |id: u64| a.sessions.iter().position(|s| s.id == id);
        let selected = self.selected_index();
        let from_break = selected
            .and_then(|i| self.marks.get(&i))
            .and_then(|m| m.break_of.or(m.ack_of))
            .and_then(|b| a.breaks.get(b)?.session_id)
            .and_then(index);
        let own = selected
            .and_then(|i| self.timeline.messages.get(i))
            .and_then(|r| index(r.message.session_id));
        let mut breaks: HashMap<u64, usize> = HashMap::new();
        for id in a.breaks.iter().filter_map(|b| b.session_id) {
            *breaks.entry(id).or_default() += 1;
        }
        let breaks_of = |s: usize| {
            a.sessions
                .get(s)
                .and_then(|s| breaks.get(&s.id))
                .copied()
                .unwrap_or(0)
        };
        let busiest = (0..a.sessions.len()).max_by_key(|&s| {
            let channels = a.sessions.get(s).map_or(0, |s| s.channels.len());
            (breaks_of(s), channels, std::cmp::Reverse(s))
        });
        let has_breaks = |s: usize| breaks_of(s) > 0;
        from_break.or(own.filter(|&s| has_breaks(s))).or(busiest)
    }

    /// Moves the lane view's selection by `delta` rows.
    pub(super) fn lanes_move(&mut self, delta: isize) {
        if let Some(l) = &mut self.lanes {
            let last = l.events.len().saturating_sub(1);
            l.selected = if delta < 0 {
                l.selected.saturating_sub(delta.unsigned_abs())
            } else {
                l.selected.saturating_add(delta.unsigned_abs()).min(last)
            };
            l.follow = true;
        }
    }

    /// Scrolls the lanes sideways by one.
    pub(super) fn lanes_scroll(&mut self, right: bool) {
        if let Some(l) = &mut self.lanes {
            l.follow = false;
            l.first_lane = if right {
                (l.first_lane + 1).min(l.lanes.len().saturating_sub(1))
            } else {
                l.first_lane.saturating_sub(1)
            };
        }
    }

    /// Enter in the lane view: the timeline at the selected event's frame.
    pub(super) fn lanes_enter(&mut self) {
        let Some(frame) = self
            .lanes
            .as_ref()
            .and_then(|l| l.selected_event())
            .map(|e| e.frame)
        else {
            return;
        };
        self.screen = Screen::Timeline;
        // That frame's message, else (a TCP event) the first message after it.
        let found = self
            .timeline
            .messages
            .iter()
            .enumerate()
            .filter(|(_, r)| r.message.frame >= frame)
            .min_by_key(|(_, r)| r.message.frame)
            .map(|(i, _)| i);
        if let Some(i) = found {
            if self.view.binary_search(&i).is_err() {
                self.filter = Filter::default();
                self.rebuild_view();
            }
            if let Ok(pos) = self.view.binary_search(&i) {
                self.select(pos);
            }
            self.focus = Pane::Timeline;
        }
    }

    /// `S`: the list of security findings (again: closes it).
    pub(super) fn toggle_security(&mut self) {
        if self.security.take().is_some() {
            return;
        }
        if self.timeline.analysis.security.is_empty() {
            self.notice = Some("no security findings in this capture".into());
            return;
        }
        self.security = Some(0);
    }

    pub(super) fn security_move(&mut self, delta: isize) {
        let n = self.timeline.analysis.security.len();
        if let Some(s) = &mut self.security {
            *s = if delta < 0 {
                s.saturating_sub(delta.unsigned_abs())
            } else {
                s.saturating_add(delta.unsigned_abs())
                    .min(n.saturating_sub(1))
            };
        }
    }

    /// Enter in the list: the timeline limited to the frames of the selected finding.
    pub(super) fn security_enter(&mut self) {
        let Some(kind) = self
            .security
            .take()
            .and_then(|s| self.timeline.analysis.security.get(s))
            .map(|f| f.kind)
        else {
            return;
        };
        self.filter.security = Some(kind);
        self.screen = Screen::Timeline;
        self.focus = Pane::Timeline;
        self.rebuild_view();
    }
}
