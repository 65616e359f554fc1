//! `limit-reached` problems: one per connection (or refused flow) and limit, naming both.

use std::net::SocketAddr;

use super::Engine;
use crate::capture::Timestamp;
use crate::flow::ConnId;
use crate::limits::Limit;
use crate::model::ProblemKind;

impl Engine {
    /// Records that `limit` was reached for `conn` (None: a flow that was not followed),
    /// once per connection and limit.
    pub(super) fn limit_reached(
        &mut self,
        conn: Option<ConnId>,
        flow: Option<(SocketAddr, SocketAddr)>,
        frame: u64,
        ts: Timestamp,
        limit: Limit,
    ) {
        if !self.limits_reported.insert((conn, limit)) {
            return;
        }
        let what = match (conn, flow) {
            (Some(id), Some((from, to))) => format!("connection #{id} {from} -> {to}"),
            (Some(id), None) => format!("connection #{id}"),
            (None, Some((from, to))) => format!("flow {from} -> {to}"),
            (None, None) => "the capture".to_string(),
        };
        let consequence = match limit {
            Limit::Flows => "this and later new flows are not followed",
            Limit::BacklogPerFlow | Limit::BufferedTotal => {
                "buffered bytes dropped; messages touched are unverified"
            }
            Limit::Sessions => "this and later new sessions are not checked (no key)",
            Limit::SetupsPerConnection => "the oldest session setup in progress was dropped",
        };
        let detail = format!(
            "limit of {} reached on {what}: {consequence}",
            limit.describe(&self.limits)
        );
        self.problem(frame, ts, conn, ProblemKind::LimitReached, detail, false);
    }

    /// Whether a new session may be remembered; if not, the limit is reported.
    pub(super) fn room_for_session(&mut self, conn: ConnId, frame: u64, ts: Timestamp) -> bool {
        let sessions = self.smb2_sessions.len() + self.smb1_sessions.len();
        if sessions < self.limits.max_sessions {
            return true;
        }
        self.limit_reached(Some(conn), None, frame, ts, Limit::Sessions);
        false
    }
}
