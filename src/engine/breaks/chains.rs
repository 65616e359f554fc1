//! Break chains (issue 23): the copies of one break (same open and levels, or same lease
//! and epoch) the server re-sends, on the same or another channel, until one is
//! acknowledged. A chain is one event: its first copy (`chain_first`), its stall (first copy
//! to acknowledgment), the cause every copy shares; also what TCP did with each copy
//! (retransmissions of the segment that carried it), acknowledgments of an earlier copy
//! that come after the chain was acknowledged (`late_ack`, and what the server answered),
//! and the wait of the CREATE that caused the break (through STATUS_PENDING).

use crate::capture::Timestamp;
use crate::flow::{ConnId, Direction};
use crate::model::{BreakAck, LateAck};

use super::{Tracker, ms};

/// A CREATE's wait: its interim (STATUS_PENDING) response, its final response.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Wait {
    pub interim_frame: Option<u64>,
    pub response: Option<(u64, u32, f64)>,
}

impl Tracker {
    /// The copies of the chain break `i` belongs to, latest first (`i` and the copies
    /// before it).
    pub(super) fn chain_of(&self, i: usize) -> Vec<usize> {
        let Some(first) = self.breaks.get(i).map(|b| b.chain_first) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for j in (0..=i).rev() {
            let b = &self.breaks[j];
            if b.frame < first {
                break;
            }
            if b.chain_first == first && b.kind == self.breaks[i].kind {
                out.push(j);
            }
        }
        out
    }

    /// Break `later` re-sends break `earlier`: it joins that chain and shares its cause.
    pub(super) fn join_chain(&mut self, earlier: usize, later: usize) {
        let first = &self.breaks[earlier];
        let (frame, ts, conn, cause) = (
            first.chain_first,
            first.chain_first_ts,
            first.chain_first_conn,
            first.cause.clone(),
        );
        let b = &mut self.breaks[later];
        b.chain_first = frame;
        b.chain_first_ts = ts;
        b.chain_first_conn = conn;
        b.cause = cause;
    }

    /// Break `i` was kept: its cause learns the CREATE's wait if it is over, else is
    /// remembered to learn it later.
    pub(super) fn note_cause(&mut self, i: usize) {
        let Some(key) = self.breaks[i].cause.as_ref().map(|c| (c.conn, c.frame)) else {
            return;
        };
        if let Some(w) = self.waits.get(&key).copied() {
            self.fill_wait(i, w);
        }
        match self.caused.get_mut(&key) {
            Some(list) => {
                if list.len() < 256 {
                    list.push(i);
                }
            }
            None => self.caused.insert(key, vec![i]),
        }
    }

    fn fill_wait(&mut self, i: usize, w: Wait) {
        if let Some(c) = self.breaks[i].cause.as_mut() {
            c.interim_frame = w.interim_frame.or(c.interim_frame);
            if let Some((frame, status, wait)) = w.response {
                c.response_frame = Some(frame);
                c.response_status = Some(status);
                c.wait_ms = Some(wait);
            }
        }
    }

    /// The CREATE request at `frame` on `conn` got a STATUS_PENDING interim response.
    pub(super) fn create_interim(&mut self, conn: ConnId, frame: u64, interim: u64) {
        let key = (conn, frame);
        let mut w = self.waits.get(&key).copied().unwrap_or_default();
        w.interim_frame.get_or_insert(interim);
        self.waits.insert(key, w);
        for i in self.caused.get(&key).cloned().unwrap_or_default() {
            self.fill_wait(i, w);
        }
    }

    /// The CREATE request at `frame` (`ts`) on `conn` got its final response at
    /// `response` (`at`) with `status`.
    pub(super) fn create_done(
        &mut self,
        (conn, frame, ts): (ConnId, u64, Timestamp),
        response: u64,
        at: Timestamp,
        status: u32,
    ) {
        let key = (conn, frame);
        let mut w = self.waits.get(&key).copied().unwrap_or_default();
        w.response = Some((response, status, ms(at.0 - ts.0)));
        self.waits.insert(key, w);
        for i in self.caused.get(&key).cloned().unwrap_or_default() {
            self.fill_wait(i, w);
        }
    }

    /// The chain of break `i` was acknowledged by `ack`: every copy learns the stall.
    pub(super) fn chain_acked(&mut self, i: usize, ack: &BreakAck) {
        for j in self.chain_of(i) {
            let b = &mut self.breaks[j];
            b.stall_ms = Some(ms(ack.ts.0 - b.chain_first_ts.0));
        }
    }

    /// An acknowledgment `ack` that found no unacknowledged break, where `acked` is the
    /// last copy of the chain acknowledged before for the same open or lease: if a copy of
    /// that chain went out on the acknowledgment's connection, the acknowledgment is that
    /// copy's, late. Whether it was.
    pub(super) fn late(&mut self, acked: Option<usize>, ack: &BreakAck) -> bool {
        let Some(last) = acked.filter(|i| *i < self.breaks.len()) else {
            return false;
        };
        let Some(answered) = self.breaks[last].ack.as_ref().map(|a| a.ts) else {
            return false;
        };
        let copy = self.chain_of(last).into_iter().find(|j| {
            let b = &self.breaks[*j];
            b.conn == ack.conn && b.late_ack.is_none() && b.ack.is_none()
        });
        let Some(j) = copy else {
            return false;
        };
        self.breaks[j].late_ack = Some(LateAck {
            frame: ack.frame,
            ts: ack.ts,
            conn: ack.conn,
            late_ms: ms(ack.ts.0 - answered.0),
            answer: None,
            answer_frame: None,
        });
        self.counts.late_acks += 1;
        self.late_acks.insert((ack.conn, ack.message_id), j);
        if self.late_waiting.len() < 1024 {
            self.late_waiting.push((ack.conn, j));
        }
        true
    }

    /// The server's response (`status`) at `frame` to a late acknowledgment of break `j`.
    pub(super) fn late_answered(&mut self, j: usize, frame: u64, status: u32) {
        if let Some(l) = self.breaks[j].late_ack.as_mut() {
            l.answer = Some(if status == 0 {
                "response".to_string()
            } else {
                format!("error 0x{status:08x}")
            });
            l.answer_frame = Some(frame);
        }
        self.late_waiting.retain(|(_, i)| *i != j);
    }

    /// A retransmission at `frame` in `dir` on `conn` of the segment first seen at
    /// `of_frame`: the break copies it carried count it.
    pub fn retransmitted(&mut self, conn: ConnId, dir: Direction, of_frame: u64) {
        if dir != Direction::ToClient {
            return;
        }
        for b in self.breaks.iter_mut().rev() {
            if b.frame < of_frame {
                break;
            }
            if b.frame == of_frame && b.conn == conn {
                b.tcp_retransmissions += 1;
            }
        }
    }

    /// The client's TCP acknowledged at `frame` the server's segment first seen at
    /// `of_frame` on `conn`: the break copies it carried reached the client.
    pub fn tcp_acknowledged(&mut self, conn: ConnId, of_frame: u64, frame: u64) {
        for b in self.breaks.iter_mut().rev() {
            if b.frame < of_frame {
                break;
            }
            if b.frame == of_frame && b.conn == conn && b.tcp_acked.is_none() {
                b.tcp_acked = Some(frame);
            }
        }
    }

    /// A RST at `frame` on `conn` sent by the server (`dir` ToClient): late
    /// acknowledgments on it still unanswered are answered by it.
    pub fn reset(&mut self, conn: ConnId, dir: Direction, frame: u64) {
        if dir != Direction::ToClient {
            return;
        }
        let (now, rest): (Vec<_>, Vec<_>) =
            self.late_waiting.drain(..).partition(|(c, _)| *c == conn);
        self.late_waiting = rest;
        for (_, j) in now {
            if let Some(l) = self.breaks[j].late_ack.as_mut()
                && l.answer.is_none()
            {
                l.answer = Some("RST".to_string());
                l.answer_frame = Some(frame);
            }
        }
    }

    /// End of capture at `end` (its last frame, of any stream): chains never acknowledged
    /// stalled from their first copy until then.
    pub(super) fn finish_chains(&mut self, end: Timestamp) {
        for b in &mut self.breaks {
            if b.stall_ms.is_none() && b.ack_required != Some(false) {
                b.stall_ms = Some(ms(end.0.max(b.ts.0) - b.chain_first_ts.0));
            }
        }
    }
}
