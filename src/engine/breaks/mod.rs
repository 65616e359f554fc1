//! Oplock and lease breaks (issue 5): the opens that hold oplocks and leases, the break
//! notifications, the acknowledgments and the server's responses, correlated across every
//! connection (a break may go out on one channel of a session and be acknowledged on
//! another), and the CREATE that caused each break when the capture shows it.
//!
//! Memory stays bounded however long the capture: every table is a [`Capped`] map that
//! evicts its oldest entries (the open-file table holds at most [`MAX_OPENS`] opens over all
//! connections, oldest evicted first), and the list of breaks kept for the report stops at
//! [`MAX_BREAKS`] (later breaks are still counted).
//!
//! Here: the [`Tracker`], its entry points and the bookkeeping every kind of break shares
//! (recording a notification, matching an acknowledgment). Elsewhere: `smb2.rs` and
//! `smb1.rs` read the messages of each protocol, `opens.rs` remembers trees, CREATEs and
//! opens, `oplocks.rs` the oplock breaks of both protocols, `leases.rs` the lease breaks,
//! `cause.rs` which request caused a break, `names.rs` how levels and ids are shown,
//! `chains.rs` the chains of re-sent copies (issue 23: first copy, stall, shared cause,
//! late acknowledgments, TCP retransmissions per copy, the causing CREATE's wait).

use std::collections::{HashMap, VecDeque};

use dissectors::smb2::FileId;
use dissectors::status::STATUS_SUCCESS;

use crate::capture::Timestamp;
use crate::flow::{ConnId, Direction};
use crate::model::{Break, BreakAck, BreakCounts, BreakKind, BreakOutcome, Protocol};

mod capped;
mod cause;
mod chains;
mod leases;
mod names;
mod opens;
mod oplocks;
mod smb1;
mod smb2;
#[cfg(test)]
mod tests;

pub use capped::Capped;

use cause::CreateSeen;
use chains::Wait;
use leases::{Lease, LeaseId};
use opens::PendingCreate;
use oplocks::Oplocks;
use smb2::FileRef;

/// Opens remembered (SMB2 and SMB1 together), oldest evicted first.
pub const MAX_OPENS: usize = 65536;
/// Leases remembered, oldest evicted first.
const MAX_LEASES: usize = 65536;
/// Paths whose recent CREATEs are remembered (to name the cause of a break).
const MAX_PATHS: usize = 65536;
/// Trees, and requests awaiting their responses, remembered.
const MAX_PENDING: usize = 65536;
/// Breaks kept for the report.
pub const MAX_BREAKS: usize = 100_000;
/// Unmatched acknowledgments listed as problems, at most.
const MAX_UNMATCHED: usize = 1000;

/// Where a message was seen, and what is known of its connection.
pub struct Ctx<'a> {
    pub conn: ConnId,
    pub frame: u64,
    pub ts: Timestamp,
    pub dir: Direction,
    /// Names the server across channels: its GUID when negotiated, else its address.
    pub server: &'a str,
    pub client_guid: Option<&'a str>,
}

#[derive(Debug)]
pub struct Tracker {
    /// SMB2 trees by (session, TreeId): the share name.
    trees: Capped<(u64, u32), String>,
    /// SMB1 trees by (connection, TID).
    trees1: Capped<(ConnId, u16), String>,
    /// TREE_CONNECT requests awaiting responses: the share name.
    tree_requests: Capped<(ConnId, u64), String>,
    creates: Capped<(ConnId, u64), PendingCreate>,
    /// FileIds returned by CREATEs, by the CREATE's (connection, MessageId), for related
    /// compound elements.
    created: Capped<(ConnId, u64), FileId>,
    closes: Capped<(ConnId, u64), FileRef>,
    /// The file of the previous element of the compound request being read, per connection.
    compound_file: HashMap<ConnId, FileRef>,
    /// SMB2 opens by (server, FileId) and their unacknowledged breaks.
    oplocks: Oplocks<(String, FileId)>,
    /// SMB1 opens by (connection, FID) and their unacknowledged breaks.
    oplocks1: Oplocks<(ConnId, u16)>,
    leases: Capped<LeaseId, Lease>,
    /// Lease breaks not yet acknowledged: index into `breaks`.
    pending_lease: Capped<LeaseId, usize>,
    recent: Capped<String, VecDeque<CreateSeen>>,
    /// Acknowledgments awaiting the server's response, by (connection, MessageId).
    acks: Capped<(ConnId, u64), usize>,
    /// Late acknowledgments (of a copy of a chain acknowledged before) awaiting the
    /// server's response, by (connection, MessageId): the copy.
    late_acks: Capped<(ConnId, u64), usize>,
    /// Repeated SMB2 acknowledgments of a break (acknowledged, or its acknowledgment not
    /// answered yet) awaiting the server's response, by (connection, MessageId): the
    /// break, the acknowledgment, what it acknowledges.
    repeats: Capped<(ConnId, u64), (usize, BreakAck, String)>,
    /// Late acknowledgments not answered yet: connection, copy (a RST may answer them).
    late_waiting: Vec<(ConnId, usize)>,
    /// The last copy of the chain acknowledged latest, per lease.
    acked_lease: Capped<LeaseId, usize>,
    /// Breaks by the CREATE that caused them: (connection, request frame).
    caused: Capped<(ConnId, u64), Vec<usize>>,
    /// CREATE waits by (connection, request frame).
    waits: Capped<(ConnId, u64), Wait>,
    /// The time of the latest message seen, and at the end of the capture the time of its
    /// last frame (`FlowEvent::End`): where a chain never acknowledged stalls to.
    last_ts: Timestamp,
    pub breaks: Vec<Break>,
    pub counts: BreakCounts,
    /// Acknowledgments that matched no notification: frame, connection, what.
    pub unmatched: Vec<(u64, Timestamp, ConnId, String)>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            trees: Capped::new(MAX_PENDING),
            trees1: Capped::new(MAX_PENDING),
            tree_requests: Capped::new(MAX_PENDING),
            creates: Capped::new(MAX_PENDING),
            created: Capped::new(MAX_PENDING),
            closes: Capped::new(MAX_PENDING),
            compound_file: HashMap::new(),
            oplocks: Oplocks::default(),
            oplocks1: Oplocks::default(),
            leases: Capped::new(MAX_LEASES),
            pending_lease: Capped::new(MAX_PENDING),
            recent: Capped::new(MAX_PATHS),
            acks: Capped::new(MAX_PENDING),
            late_acks: Capped::new(MAX_PENDING),
            repeats: Capped::new(MAX_PENDING),
            late_waiting: Vec::new(),
            acked_lease: Capped::new(MAX_PENDING),
            caused: Capped::new(MAX_PENDING),
            waits: Capped::new(MAX_PENDING),
            last_ts: Timestamp::default(),
            breaks: Vec::new(),
            counts: BreakCounts::default(),
            unmatched: Vec::new(),
        }
    }
}

impl Tracker {
    // The entry points `smb2` and `smb1` are in smb2.rs and smb1.rs.

    /// Counts the breaks that waited in vain and hands over the list.
    pub fn finish(&mut self) -> (Vec<Break>, BreakCounts) {
        self.finish_chains(self.last_ts);
        self.counts.unacknowledged = self
            .breaks
            .iter()
            .filter(|b| b.outcome() == BreakOutcome::Unacknowledged)
            .count() as u64;
        (
            std::mem::take(&mut self.breaks),
            std::mem::take(&mut self.counts),
        )
    }

    /// Counts a notification and keeps it (unless the list is full), linked to the
    /// `previous` one of the same open or lease if it repeats it. Its index if kept.
    fn notified(&mut self, b: Break, previous: Option<usize>) -> Option<usize> {
        self.counts.notifications += 1;
        if self.breaks.len() >= MAX_BREAKS {
            self.counts.dropped += 1;
            return None;
        }
        self.breaks.push(b);
        let i = self.breaks.len() - 1;
        if let Some(p) = previous
            && self.mark_resend(p, i)
        {
            self.join_chain(p, i);
        }
        self.note_cause(i);
        Some(i)
    }

    /// The time of a message seen, or of the capture's last frame.
    pub fn seen_at(&mut self, ts: Timestamp) {
        if ts.0 > self.last_ts.0 {
            self.last_ts = ts;
        }
    }

    /// Links a notification to the earlier one it repeats (same open or lease, same
    /// levels, the earlier still unacknowledged).
    fn mark_resend(&mut self, earlier: usize, later: usize) -> bool {
        let (a, b) = (&self.breaks[earlier], &self.breaks[later]);
        if a.ack.is_none()
            && a.ack_required != Some(false)
            && a.new_level == b.new_level
            && a.old_level == b.old_level
        {
            let (frame_a, frame_b) = (a.frame, b.frame);
            self.breaks[earlier].resent_as = Some(frame_b);
            self.breaks[later].resend_of = Some(frame_a);
            return true;
        }
        false
    }

    /// Counts an acknowledgment and pairs it with the break `pending` (taken from the
    /// table of unacknowledged breaks) unless that break has one already. Else, where
    /// `acked` is the last copy of the chain acknowledged before for the same open or
    /// lease: a new try at that break if the server refused its acknowledgment; a late
    /// acknowledgment of a copy of that chain sent on its connection; a repeat of its
    /// acknowledgment (SMB2: the server's answer decides); or unmatched, saying `what`
    /// was acknowledged. The break it acknowledged, if any.
    fn acknowledged(
        &mut self,
        cx: &Ctx,
        (pending, acked): (Option<usize>, Option<usize>),
        ack: BreakAck,
        what: impl FnOnce() -> String,
    ) -> Option<usize> {
        self.counts.acknowledgments += 1;
        if let Some(i) = pending.filter(|i| self.breaks[*i].ack.is_none()) {
            self.acked(i, ack);
            return Some(i);
        }
        let acked = acked.filter(|i| *i < self.breaks.len());
        // MS-SMB2 3.3.5.22.1, 3.3.5.22.2: a refused acknowledgment (the level or lease
        // state does not match) leaves the break outstanding: the next one tries again.
        if let Some(i) = acked.filter(|i| self.refused(*i)) {
            let refused = self.breaks[i].ack.take().expect("refused implies an ack");
            self.rejected(i, refused);
            self.acked(i, ack);
            return Some(i);
        }
        if self.late(acked, &ack) {
            return None;
        }
        match acked.filter(|i| self.breaks[*i].protocol == Protocol::Smb2) {
            Some(i) => {
                let key = (ack.conn, ack.message_id);
                self.repeats.insert(key, (i, ack, what()));
            }
            None => {
                let detail = format!("{} matches no break notification", what());
                self.unmatched_ack(cx.frame, cx.ts, cx.conn, detail);
            }
        }
        None
    }

    /// The server refused the acknowledgment of break `i`.
    fn refused(&self, i: usize) -> bool {
        self.breaks[i]
            .ack
            .as_ref()
            .is_some_and(|a| a.status.is_some_and(|s| s != STATUS_SUCCESS))
    }

    /// The server answered `ack`, a repeat of the acknowledgment of break `i` (`what` names
    /// it): refused, it is one more of the break's refused acknowledgments; accepted after
    /// the server refused the earlier one (both sent before its answer), it is the break's
    /// acknowledgment; accepted otherwise, it acknowledged no break the capture shows
    /// outstanding. The break, when it acknowledged one.
    fn repeat_answered(&mut self, i: usize, ack: BreakAck, what: String) -> Option<usize> {
        if ack.status != Some(STATUS_SUCCESS) {
            self.counts.rejected += 1;
            self.rejected(i, ack);
            return None;
        }
        if self.refused(i) {
            let refused = self.breaks[i].ack.take().expect("refused implies an ack");
            self.rejected(i, refused);
            self.acked(i, ack);
            return Some(i);
        }
        let b = &self.breaks[i];
        let detail = format!(
            "{what} repeats the acknowledgment at frame {} of the break at frame {}, and the \
             server accepted it: no break the capture shows was outstanding",
            b.ack.as_ref().map_or(0, |a| a.frame),
            b.frame
        );
        self.unmatched_ack(ack.frame, ack.ts, ack.conn, detail);
        None
    }

    /// `ack` is one of the acknowledgments of break `i` the server refused.
    fn rejected(&mut self, i: usize, ack: BreakAck) {
        let list = &mut self.breaks[i].rejected_acks;
        list.push(ack);
        list.sort_by_key(|a| a.frame);
    }

    fn unmatched_ack(&mut self, frame: u64, ts: Timestamp, conn: ConnId, detail: String) {
        self.counts.unmatched_acks += 1;
        if self.unmatched.len() < MAX_UNMATCHED {
            self.unmatched.push((frame, ts, conn, detail));
        }
    }

    fn acked(&mut self, i: usize, ack: BreakAck) {
        let b = &mut self.breaks[i];
        b.latency_ms = Some(ms(ack.ts.0 - b.ts.0));
        if b.protocol == Protocol::Smb2 && ack.status.is_none() {
            // The server's response names the acknowledgment by its MessageId.
            self.acks.insert((ack.conn, ack.message_id), i);
        }
        self.chain_acked(i, &ack);
        self.breaks[i].ack = Some(ack);
    }
}

/// A break notification seen at `cx`, from `old` to `new`, not yet acknowledged; what it
/// breaks is filled in by the caller.
fn notification(
    cx: &Ctx,
    kind: BreakKind,
    protocol: Protocol,
    (old, new): (Option<String>, String),
    ack_required: Option<bool>,
) -> Break {
    Break {
        kind,
        protocol,
        frame: cx.frame,
        ts: cx.ts,
        conn: cx.conn,
        session_id: None,
        file: None,
        share: None,
        file_id: None,
        old_level: old,
        new_level: new,
        lease_key: None,
        epoch: None,
        flags: None,
        paths: Vec::new(),
        ack_required,
        ack: None,
        rejected_acks: Vec::new(),
        latency_ms: None,
        resent_as: None,
        resend_of: None,
        cause: None,
        chain_first: cx.frame,
        chain_first_ts: cx.ts,
        chain_first_conn: cx.conn,
        stall_ms: None,
        tcp_retransmissions: 0,
        tcp_acked: None,
        late_ack: None,
    }
}

/// The client's acknowledgment seen at `cx`, awaiting the server's response.
fn ack_record(cx: &Ctx, session_id: u64, message_id: u64, level: String) -> BreakAck {
    BreakAck {
        frame: cx.frame,
        ts: cx.ts,
        conn: cx.conn,
        session_id,
        message_id,
        level,
        response_frame: None,
        response_conn: None,
        status: None,
        response_level: None,
    }
}

/// Nanoseconds as milliseconds, rounded to the microsecond.
fn ms(ns: i64) -> f64 {
    (ns / 1_000) as f64 / 1_000.0
}
