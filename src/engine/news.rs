//! What the engine learned so far, for output while a live capture runs: news (new
//! sessions, channel bindings, break notifications and problems; the caller keeps a `Seen`
//! cursor and asking costs nothing when nothing changed) and snapshots for the live TUI.

use std::collections::HashSet;

use super::Engine;
use crate::flow::ConnId;
use crate::model::{Analysis, Binding, Break, Problem, Session};

/// One thing that happened, borrowed from the engine's records as they are now.
pub enum News<'a> {
    /// A logon concluded (its final SESSION_SETUP response was seen).
    Session(&'a Session),
    /// A channel binding concluded.
    Binding(&'a Binding),
    /// A break notification (its acknowledgment may follow; the final report tells).
    Break(&'a Break),
    Problem(&'a Problem),
}

/// How far the caller has been told.
#[derive(Debug, Default)]
pub struct Seen {
    problems: usize,
    bindings: usize,
    breaks: usize,
    /// SMB1 sessions by (connection, UID), SMB2 sessions by (server, SessionId).
    sessions: HashSet<SessionKey>,
}

/// How a session is told apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SessionKey {
    Smb1(ConnId, u16),
    Smb2(super::state::SessionRef),
}

impl Engine {
    /// Calls `tell` with everything not yet told through `seen`, in this order: sessions,
    /// bindings, breaks, problems.
    pub fn news(&self, seen: &mut Seen, mut tell: impl FnMut(News)) {
        if seen.sessions.len() < self.smb1_sessions.len() + self.smb2_sessions.len() {
            let smb1 = self
                .smb1_sessions
                .iter()
                .map(|((conn, uid), s)| (SessionKey::Smb1(*conn, *uid), &s.info));
            let smb2 = self
                .smb2_sessions
                .iter()
                .map(|(r, s)| (SessionKey::Smb2(*r), &s.info));
            for (key, info) in smb1.chain(smb2) {
                if seen.sessions.insert(key) {
                    tell(News::Session(info));
                }
            }
        }
        for b in self
            .analysis
            .bindings
            .get(seen.bindings..)
            .unwrap_or_default()
        {
            tell(News::Binding(b));
        }
        seen.bindings = self.analysis.bindings.len();
        for b in self.tracker.breaks.get(seen.breaks..).unwrap_or_default() {
            tell(News::Break(b));
        }
        seen.breaks = self.tracker.breaks.len();
        for p in self
            .analysis
            .problems
            .get(seen.problems..)
            .unwrap_or_default()
        {
            tell(News::Problem(p));
        }
        seen.problems = self.analysis.problems.len();
    }
}

impl Engine {
    /// The analysis as it stands, before the end-of-capture findings; `frames` so far.
    pub fn snapshot(&self, frames: u64) -> Analysis {
        let mut sessions: Vec<Session> = self
            .smb1_sessions
            .values()
            .map(|s| s.info.clone())
            .chain(self.smb2_sessions.values().map(|s| s.info.clone()))
            .collect();
        sessions.sort_by_key(|s| s.first_frame);
        Analysis {
            frames,
            connections: self
                .conns
                .iter()
                .filter(|c| c.opened)
                .map(|c| c.info.clone())
                .collect(),
            sessions,
            bindings: self.analysis.bindings.clone(),
            problems: self.analysis.problems.clone(),
            summary: self.analysis.summary.clone(),
            unverified_reasons: self.analysis.unverified_reasons.clone(),
            secrets_given: self.analysis.secrets_given,
            breaks: self.tracker.breaks.clone(),
            break_counts: self.tracker.counts.clone(),
            security: Vec::new(),
        }
    }
}
