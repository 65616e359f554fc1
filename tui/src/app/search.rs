//! The search: typing it, and finding the next or previous message that matches it in
//! the view.

use smbcheck_model::names;

use crate::model::Row;

use super::{App, Pane};

impl App {
    /// Changes the search being typed, if one is.
    pub(super) fn edit_search(&mut self, edit: impl FnOnce(&mut String)) {
        if let Some(s) = &mut self.search {
            edit(s);
        }
    }

    /// Ends the typing and finds the next match; an empty search repeats the last one.
    pub(super) fn search_submit(&mut self) {
        let typed = self.search.take().unwrap_or_default();
        if !typed.is_empty() {
            self.last_search = Some(typed);
        }
        self.find(true);
    }

    pub(super) fn find(&mut self, forward: bool) {
        let Some(query) = self.last_search.clone() else {
            self.notice = Some("nothing to find: type / and a search".into());
            return;
        };
        let query = Query::new(&query);
        let matches = |pos: &usize| {
            self.view
                .get(*pos)
                .and_then(|i| self.timeline.messages.get(*i))
                .is_some_and(|r| query.matches(r))
        };
        let n = self.view.len();
        let found = if forward {
            (self.selected + 1..n)
                .chain(0..n.min(self.selected + 1))
                .find(matches)
        } else {
            (0..self.selected)
                .rev()
                .chain((self.selected..n).rev())
                .find(matches)
        };
        match found {
            Some(pos) => {
                self.select(pos);
                self.focus = Pane::Timeline;
            }
            None => {
                let hidden = self.timeline.messages.iter().any(|r| query.matches(r));
                self.notice = Some(if hidden {
                    format!("{}: only in messages the filter hides", query.text)
                } else {
                    format!("not found: {}", query.text)
                });
            }
        }
    }
}

/// A search: a frame number (digits), a session id (`0x` and hex digits), or text found in
/// the command or the file name (any case).
struct Query {
    text: String,
    frame: Option<u64>,
    session: Option<String>,
    lower: String,
}

impl Query {
    fn new(text: &str) -> Query {
        let text = text.trim().to_string();
        let frame = text.strip_prefix('#').unwrap_or(&text).parse::<u64>().ok();
        let lower = text.to_lowercase();
        let session = lower
            .strip_prefix("0x")
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            .map(|h| h.trim_start_matches('0').to_string());
        Query {
            text,
            frame,
            session,
            lower,
        }
    }

    fn matches(&self, r: &Row) -> bool {
        let m = &r.message;
        if let Some(f) = self.frame {
            return m.frame == f;
        }
        if let Some(s) = &self.session {
            return format!("{:x}", m.session_id).contains(s.as_str());
        }
        names::command(m.protocol, m.command)
            .to_lowercase()
            .contains(&self.lower)
            || m.file
                .as_deref()
                .is_some_and(|f| f.to_lowercase().contains(&self.lower))
    }
}
