//! Which rows the view shows: the filter, the filter actions, and rebuilding the view
//! after a change while keeping the selection where it was.

use smbcheck_model::SecurityKind;
use smbcheck_model::names::session_hex;

use crate::model::Row;

use super::App;

/// Which rows the timeline shows; all conditions set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub problems: bool,
    pub breaks: bool,
    pub session: Option<u64>,
    pub channel: Option<u32>,
    /// The frames of one security finding (its kind).
    pub security: Option<SecurityKind>,
}

impl Filter {
    /// `none`, or the conditions joined by ` + `.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.problems {
            parts.push("problems".to_string());
        }
        if self.breaks {
            parts.push("breaks".to_string());
        }
        if let Some(s) = self.session {
            parts.push(format!("session {}", session_hex(s)));
        }
        if let Some(c) = self.channel {
            parts.push(format!("channel #{c}"));
        }
        if let Some(k) = self.security {
            parts.push(format!("security {}", k.name()));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(" + ")
        }
    }
}

impl App {
    pub(super) fn toggle_problems(&mut self) {
        self.filter.problems = !self.filter.problems;
        self.rebuild_view();
    }

    pub(super) fn toggle_breaks(&mut self) {
        self.filter.breaks = !self.filter.breaks;
        if self.filter.breaks && self.timeline.analysis.breaks.is_empty() {
            self.notice = Some("no oplock or lease breaks in this capture".into());
        }
        self.rebuild_view();
    }

    pub(super) fn toggle_session(&mut self) {
        if self.filter.session.take().is_none() {
            match self.selected_row().map(|r| r.message.session_id) {
                Some(id) if id != 0 => self.filter.session = Some(id),
                _ => self.notice = Some("the selected message has no session".into()),
            }
        }
        self.rebuild_view();
    }

    pub(super) fn toggle_channel(&mut self) {
        if self.filter.channel.take().is_none() {
            self.filter.channel = self.selected_row().map(|r| r.message.conn);
        }
        self.rebuild_view();
    }

    pub(super) fn clear_filters(&mut self) {
        self.filter = Filter::default();
        self.rebuild_view();
    }

    fn shows(&self, i: usize, row: &Row) -> bool {
        let f = &self.filter;
        let m = &row.message;
        let a = &self.timeline.analysis;
        let marks = self.marks.get(&i);
        if f.problems && self.problem_rows.binary_search(&i).is_err() {
            return false;
        }
        if f.breaks && !marks.is_some_and(|m| m.break_of.is_some() || m.ack_of.is_some()) {
            return false;
        }
        if let Some(kind) = f.security {
            // The frames the finding shows (bounded by the model: MAX_FINDING_FRAMES).
            let frames = a
                .security
                .iter()
                .find(|s| s.kind == kind)
                .map(|s| &s.frames);
            if !frames.is_some_and(|f| f.contains(&m.frame)) {
                return false;
            }
        }
        if f.session.is_some_and(|s| s != m.session_id) {
            return false;
        }
        if let Some(c) = f.channel {
            // A binding is an event on every channel of the session it binds to.
            let binding_here = marks
                .and_then(|m| m.binding)
                .and_then(|b| a.bindings.get(b))
                .and_then(|b| a.sessions.iter().find(|s| s.id == b.session_id))
                .is_some_and(|s| s.channels.contains(&c));
            if m.conn != c && !binding_here {
                return false;
            }
        }
        true
    }

    /// Recomputes the view after a filter change, keeping the selected message or the one
    /// after it.
    pub(super) fn rebuild_view(&mut self) {
        let current = self.selected_index().unwrap_or(0);
        let view: Vec<usize> = self
            .timeline
            .messages
            .iter()
            .enumerate()
            .filter(|(i, r)| self.shows(*i, r))
            .map(|(i, _)| i)
            .collect();
        self.view = view;
        self.selected = self.view.partition_point(|&i| i < current);
        if self.selected >= self.view.len() {
            self.selected = self.view.len().saturating_sub(1);
        }
        self.offset = 0;
        self.detail_scroll = 0;
        // (A live capture starts with no message at all: nothing to explain then.)
        if self.view.is_empty() && !self.timeline.messages.is_empty() && self.notice.is_none() {
            self.notice = Some(format!(
                "no message matches the filter ({})",
                self.filter.describe()
            ));
        }
    }
}
